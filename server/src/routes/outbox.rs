//! The outbox's consumers and their dead letters, for platform administrators: how far
//! each consumer has got, what it set aside, and a request to try a dead letter again.

use crate::auth::{self, Caller, Credentials};
use crate::db::{blocking, outbox};
use crate::domain::said::Said;
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// Who may watch the outbox: the refusal of anyone else.
fn administrators() -> Said {
    crate::said!(
        "outbox.administrators",
        "the outbox is watched by platform administrators"
    )
}

/// Every consumer's cursor, backlog, pending failure and count of dead letters.
pub(super) async fn consumers(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let consumers = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, false, administrators())?;
        Ok(outbox::consumers(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "consumers": consumers })))
}

#[derive(Deserialize)]
pub(super) struct DeadLetterQuery {
    consumer: Option<String>,
    after_consumer: Option<String>,
    after_outbox_id: Option<i64>,
    limit: Option<i64>,
}

/// Dead letters, of one consumer or all, by consumer and row, a page at a time (at most
/// `limit`, 100 unless said, up to 500); `next` says where the next page starts.
pub(super) async fn dead_letters(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let query_string = request.query_string().to_owned();
    let (letters, limit) = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, false, administrators())?;
        let query: DeadLetterQuery = crate::routes::intake::query(&query_string)?;
        let limit = query.check()?;
        let after = query
            .after_consumer
            .as_deref()
            .map(|consumer| outbox::After {
                consumer,
                outbox_id: query.after_outbox_id.unwrap_or_default(),
            });
        let consumer = query.consumer.as_deref();
        Ok((outbox::dead_letters(conn, consumer, after, limit)?, limit))
    })
    .await?;
    // A full page may have another after it.
    let next = (letters.len() as i64 == limit)
        .then(|| letters.last())
        .flatten()
        .map(|last| json!({"after_consumer": last.consumer, "after_outbox_id": last.outbox_id}));
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": letters, "next": next })))
}

impl DeadLetterQuery {
    /// Checks the query; the page's size.
    fn check(&self) -> AppResult<i64> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(invalid_query(crate::said!(
                "query.limit",
                "limit must be from 1 to {max}",
                max = 500
            )));
        }
        if self.after_consumer.is_some() != self.after_outbox_id.is_some() {
            return Err(invalid_query(crate::said!(
                "outbox.after_pair",
                "after_consumer and after_outbox_id go together (from the previous page's next)"
            )));
        }
        Ok(limit)
    }
}

fn invalid_query(detail: Said) -> AppError {
    AppError::bad_request(ProblemType::InvalidQuery, detail)
}

/// Asks for a dead letter to be tried again: its consumer tries it first on its next
/// pass; if it fails again it stays, with the new error.
pub(super) async fn retry(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let (consumer, outbox_id) = path.into_inner();
    let caller = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, true, administrators())
    })
    .await?;
    retry_as(&state, caller, consumer.clone(), outbox_id).await?;
    Ok(HttpResponse::Accepted().json(json!({
        "consumer": consumer,
        "outbox_id": outbox_id,
        "status": "retry requested",
    })))
}

/// Asks, for `caller` (a platform administrator allowed to act, checked by the caller's
/// route), for `consumer`'s dead letter of outbox row `outbox_id` to be tried again.
pub(crate) async fn retry_as(
    state: &AppState,
    caller: Caller,
    consumer: String,
    outbox_id: i64,
) -> AppResult<()> {
    let requested = {
        let consumer = consumer.clone();
        blocking(&state.pool, move |conn| {
            request_retry(conn, &consumer, outbox_id, caller.user_id)
        })
        .await?
    };
    if !requested {
        return Err(AppError::not_found(crate::said!(
            "outbox.no_dead_letter",
            "{consumer} has no dead letter for outbox row {row}",
            consumer = consumer,
            row = outbox_id,
        )));
    }
    Ok(())
}

/// Records user `by`'s request to try a dead letter again, if there is one; whether there
/// is. Who asked is kept with the dead letter, and logged (by id alone).
fn request_retry(
    conn: &mut diesel::PgConnection,
    consumer: &str,
    outbox_id: i64,
    by: i64,
) -> AppResult<bool> {
    let requested = outbox::request_retry(conn, consumer, outbox_id, Some(by))?;
    if requested {
        tracing::info!(
            consumer,
            outbox_id,
            user = by,
            "dead letter retry requested"
        );
    }
    Ok(requested)
}
