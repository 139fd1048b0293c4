//! One error type for the application, answered as RFC 9457 problem details.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use std::fmt;

/// The base of problem type URIs; each type is documented in the OpenAPI document.
pub const PROBLEM_BASE: &str = "https://vitrine.dev/problems/";

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The problem type, a short slug (`bad-signature`).
    pub kind: &'static str,
    /// A short, fixed summary of the type.
    pub title: &'static str,
    /// What happened in this case.
    pub detail: String,
    /// Extension members.
    pub extensions: Map<String, Value>,
}

/// A handler's result.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A problem.
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> AppError {
        AppError {
            status,
            kind,
            title,
            detail: detail.into(),
            extensions: Map::new(),
        }
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> AppError {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// 400: the request is not what the endpoint reads.
    pub fn bad_request(kind: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, kind, "Bad request", detail)
    }

    /// 422: well-formed, but not a valid statement.
    pub fn invalid(kind: &'static str, title: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, kind, title, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 403: a signer is not allowed to make this statement.
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::new(
            StatusCode::FORBIDDEN,
            "unauthorized-signer",
            "A signer is not allowed to make this statement",
            detail,
        )
    }

    /// 409: the statement breaks a rule of the current state.
    pub fn conflict(detail: impl Into<String>) -> AppError {
        AppError::new(
            StatusCode::CONFLICT,
            "rule-violation",
            "The statement breaks a rule of the log's current state",
            detail,
        )
    }

    /// 503: not ready (the sequencer is starting or another instance sequences).
    pub fn unavailable(detail: impl Into<String>) -> AppError {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable",
            detail,
        )
    }

    /// 500, logged with its cause; the client sees a generic message.
    pub fn internal(cause: impl fmt::Display) -> AppError {
        tracing::error!(error = %cause, "internal error");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed; the failure was logged",
        )
    }

    /// The problem document.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "type": format!("{PROBLEM_BASE}{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Value::Object(map) = &mut body {
            for (k, v) in &self.extensions {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.title,
            self.status.as_u16(),
            self.detail
        )
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/problem+json");
        // A refusal for too many requests says when to try again (RFC 9110 Retry-After).
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            let seconds = self
                .extensions
                .get("retry_after_seconds")
                .and_then(Value::as_u64)
                .unwrap_or(60);
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(self.to_json().to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found("no such record"),
            other => AppError::internal(other),
        }
    }
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(e: r2d2_error::PoolError) -> Self {
        AppError::unavailable(format!("no database connection: {e}"))
    }
}

mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}
