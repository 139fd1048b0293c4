//! What a request may bring, checked before anything else reads it: bodies bounded in size
//! (refused by their declared length before a byte is read) and in time (a body that
//! trickles in is cut off), text the database can store (no U+0000 anywhere), and every
//! refusal of actix's extractors answered as a problem document. Principle 7 of DESIGN.md:
//! bad input harms nobody else.

use crate::domain::said::Said;
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt as _;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// The longest a client may leave a body unfinished between two pieces of it.
pub const BODY_IDLE: Duration = Duration::from_secs(10);

/// The slowest upload accepted, in bytes a second: a body of `n` bytes has
/// `10 s + n / BODY_MIN_RATE` to arrive in full.
pub const BODY_MIN_RATE: u64 = 64 * 1024;

/// The longest a body of at most `limit` bytes may take to arrive.
pub fn body_deadline(limit: usize) -> Duration {
    Duration::from_secs(10) + Duration::from_secs(limit as u64 / BODY_MIN_RATE)
}

/// 413: larger than the endpoint reads.
pub fn too_large(limit: usize) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ProblemType::TooLarge,
        crate::said!(
            "intake.too_large",
            "a request body here is at most {limit} bytes",
            limit = limit
        ),
    )
}

fn too_slow() -> AppError {
    AppError::new(
        StatusCode::REQUEST_TIMEOUT,
        ProblemType::RequestTimeout,
        crate::said!(
            "intake.too_slow",
            "a body must keep arriving (no pause over {idle}s) and arrive in full at {rate} KiB/s or faster",
            idle = BODY_IDLE.as_secs(),
            rate = BODY_MIN_RATE / 1024,
        ),
    )
}

/// Refuses a request whose declared `Content-Length` exceeds `limit`, before its body is
/// read; returns the declared length.
pub fn declared_length(request: &HttpRequest, limit: usize) -> AppResult<Option<u64>> {
    let Some(value) = request.headers().get(CONTENT_LENGTH) else {
        return Ok(None);
    };
    let length: u64 = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            AppError::bad_request(
                ProblemType::InvalidBody,
                crate::said!("intake.content_length", "Content-Length is not a number"),
            )
        })?;
    if length > limit as u64 {
        return Err(too_large(limit));
    }
    Ok(Some(length))
}

/// The body's pieces as they arrive, within [`BODY_IDLE`] of each other and the deadline
/// for `limit`, at most `limit` bytes in all; `on_chunk` takes each.
pub async fn stream_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    mut on_chunk: impl FnMut(&[u8]) -> AppResult<()>,
) -> AppResult<usize> {
    declared_length(request, limit)?;
    let deadline = Instant::now() + body_deadline(limit);
    let mut read = 0usize;
    loop {
        let wait = (Instant::now() + BODY_IDLE).min(deadline);
        let next = tokio::time::timeout_at(wait, payload.next())
            .await
            .map_err(|_| too_slow())?;
        let Some(chunk) = next else {
            return Ok(read);
        };
        let chunk =
            chunk.map_err(|e| AppError::bad_request(ProblemType::InvalidBody, e.to_string()))?;
        read += chunk.len();
        if read > limit {
            return Err(too_large(limit));
        }
        on_chunk(&chunk)?;
    }
}

/// Reads a whole body of at most `limit` bytes, bounded in time.
pub async fn read_body(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> AppResult<Vec<u8>> {
    let mut body = Vec::new();
    stream_body(request, payload, limit, |chunk| {
        body.extend_from_slice(chunk);
        Ok(())
    })
    .await?;
    Ok(body)
}

/// Refuses text PostgreSQL cannot store: U+0000 in any string or member name. Names where
/// (a JSON pointer).
pub fn storable(value: &Value) -> AppResult<()> {
    fn find(value: &Value, at: &mut String) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                let found = find(item, at);
                if !found {
                    at.truncate(len);
                }
                found
            }),
            Value::Object(members) => members.iter().any(|(name, member)| {
                let len = at.len();
                at.push('/');
                at.push_str(&name.replace('~', "~0").replace('/', "~1"));
                let found = name.contains('\0') || find(member, at);
                if !found {
                    at.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut at = String::new();
    if find(value, &mut at) {
        let said = crate::said!(
            "intake.nul_json",
            "the JSON at \"{pointer}\" contains U+0000 (NUL), which no text here may contain",
            pointer = at
        );
        return Err(nul_refused(said).with("pointer", at));
    }
    Ok(())
}

fn nul_refused(said: Said) -> AppError {
    AppError::bad_request(ProblemType::InvalidText, said)
}

/// Parses a JSON body into `T`, refusing text the database cannot store.
pub fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request(ProblemType::InvalidJson, e.to_string()))?;
    storable(&value)?;
    serde_json::from_value(value)
        .map_err(|e| AppError::bad_request(ProblemType::InvalidJson, e.to_string()))
}

/// The middleware: a path or query string that carries U+0000 (`%00`) is refused before
/// any handler sees it.
pub async fn refuse_nul(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri = request.uri();
    let bad = |text: &str| text.contains("%00") || text.contains('\0');
    if bad(uri.path()) || uri.query().is_some_and(bad) {
        let error = nul_refused(crate::said!(
            "intake.nul_path",
            "the request's path or query contains U+0000 (NUL), which no text here may contain"
        ));
        let (request, _) = request.into_parts();
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(ServiceResponse::new(request, response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}

/// Extractor configurations whose refusals are problem documents, not plain text.
pub fn extractor_configs(config: &mut web::ServiceConfig) {
    config
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            // (`query` below, for handlers that authenticate before they read the query.)
            AppError::bad_request(ProblemType::InvalidQuery, e.to_string()).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            AppError::not_found(crate::said!(
                "intake.no_such_resource",
                "no such resource: {why}",
                why = e
            ))
            .into()
        }))
        .app_data(
            web::JsonConfig::default()
                .limit(64 * 1024)
                .error_handler(|e, _| match e {
                    actix_web::error::JsonPayloadError::OverflowKnownLength { limit, .. }
                    | actix_web::error::JsonPayloadError::Overflow { limit } => {
                        too_large(limit).into()
                    }
                    other => {
                        AppError::bad_request(ProblemType::InvalidJson, other.to_string()).into()
                    }
                }),
        )
        .app_data(web::PayloadConfig::default().limit(64 * 1024));
}

/// A request's query string as `T`, refused as the query extractor refuses it: for
/// handlers that authenticate the caller before they judge the query.
pub fn query<T: serde::de::DeserializeOwned>(query_string: &str) -> AppResult<T> {
    web::Query::<T>::from_query(query_string)
        .map(web::Query::into_inner)
        .map_err(|e| AppError::bad_request(ProblemType::InvalidQuery, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_found_anywhere_and_named_by_its_pointer() {
        assert!(storable(&json!({"a": ["x", "y"], "b": {"c": "天"}})).is_ok());
        let e = storable(&json!({"a": ["x", "y\u{0}z"]})).unwrap_err();
        assert_eq!(e.extensions["pointer"], "/a/1");
        let e = storable(&json!({"a/b": {"k\u{0}": 1}})).unwrap_err();
        assert_eq!(e.extensions["pointer"], "/a~1b/k\u{0}");
        assert!(storable(&json!("\u{0}")).is_err());
        // Other control characters and noncharacters are stored as they are.
        assert!(storable(&json!({"a": "\u{1}\u{fffe}\u{ffff}\u{10ffff}"})).is_ok());
    }

    #[test]
    fn deadlines_grow_with_the_limit() {
        assert_eq!(body_deadline(128 * 1024), Duration::from_secs(12));
        assert_eq!(body_deadline(20 * 1024 * 1024), Duration::from_secs(330));
    }
}
