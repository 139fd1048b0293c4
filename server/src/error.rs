//! One error type for the application, answered as RFC 9457 problem details.

use crate::domain::Refusal;
use crate::domain::said::Said;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use std::fmt;

/// The base of problem type URIs; each type is documented in the OpenAPI document.
pub const PROBLEM_BASE: &str = "https://vitrine.dev/problems/";

/// Every kind of problem the server answers. The slug names it in the problem's `type`
/// (`{PROBLEM_BASE}{slug}`) and the title is its fixed summary (RFC 9457 §3.1.3);
/// the OpenAPI document lists them from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    /// `invalid-json`: The body is not the JSON the endpoint reads.
    InvalidJson,
    /// `invalid-statement`: Not a valid statement.
    InvalidStatement,
    /// `floating-point`: Statements carry no floating-point numbers.
    FloatingPoint,
    /// `unsigned`: The statement is not signed.
    Unsigned,
    /// `bad-signature`: A signature does not verify.
    BadSignature,
    /// `unknown-kind`: Unknown statement kind.
    UnknownKind,
    /// `invalid-body`: The body is invalid.
    InvalidBody,
    /// `clock-skew`: issued_at is too far from the log's clock.
    ClockSkew,
    /// `invalid-text`: Text the database cannot store.
    InvalidText,
    /// `unstorable`: The log cannot store this statement.
    Unstorable,
    /// `too-large`: Too large.
    TooLarge,
    /// `request-timeout`: The request body did not arrive in time.
    RequestTimeout,
    /// `unauthorized-signer`: A signer is not allowed to make this statement.
    UnauthorizedSigner,
    /// `rule-violation`: The statement breaks a rule of the log's current state.
    RuleViolation,
    /// `conflict`: The request conflicts with the current state.
    Conflict,
    /// `forbidden`: Not allowed.
    Forbidden,
    /// `unauthenticated`: Not authenticated.
    Unauthenticated,
    /// `csrf`: Missing or wrong CSRF token.
    Csrf,
    /// `totp-required`: A second factor is required.
    TotpRequired,
    /// `totp-mismatch`: The code does not match.
    TotpMismatch,
    /// `rate-limited`: Too many requests.
    RateLimited,
    /// `weak-password`: The password is too weak.
    WeakPassword,
    /// `invalid-user`: Invalid user.
    InvalidUser,
    /// `invalid-token`: Invalid token.
    InvalidToken,
    /// `invalid-registration`: Invalid registration.
    InvalidRegistration,
    /// `invalid-document`: Invalid document.
    InvalidDocument,
    /// `invalid-query`: A query parameter is invalid.
    InvalidQuery,
    /// `invalid-index`: Not an entry index.
    InvalidIndex,
    /// `invalid-range`: Not a range of the log.
    InvalidRange,
    /// `invalid-key`: Not a public key.
    InvalidKey,
    /// `not-found`: Not found.
    NotFound,
    /// `method-not-allowed`: Method not allowed.
    MethodNotAllowed,
    /// `unavailable`: Temporarily unavailable.
    Unavailable,
    /// `internal`: Internal error.
    Internal,
}

impl ProblemType {
    /// Every problem type.
    pub const ALL: [ProblemType; 34] = [
        ProblemType::InvalidJson,
        ProblemType::InvalidStatement,
        ProblemType::FloatingPoint,
        ProblemType::Unsigned,
        ProblemType::BadSignature,
        ProblemType::UnknownKind,
        ProblemType::InvalidBody,
        ProblemType::ClockSkew,
        ProblemType::InvalidText,
        ProblemType::Unstorable,
        ProblemType::TooLarge,
        ProblemType::RequestTimeout,
        ProblemType::UnauthorizedSigner,
        ProblemType::RuleViolation,
        ProblemType::Conflict,
        ProblemType::Forbidden,
        ProblemType::Unauthenticated,
        ProblemType::Csrf,
        ProblemType::TotpRequired,
        ProblemType::TotpMismatch,
        ProblemType::RateLimited,
        ProblemType::WeakPassword,
        ProblemType::InvalidUser,
        ProblemType::InvalidToken,
        ProblemType::InvalidRegistration,
        ProblemType::InvalidDocument,
        ProblemType::InvalidQuery,
        ProblemType::InvalidIndex,
        ProblemType::InvalidRange,
        ProblemType::InvalidKey,
        ProblemType::NotFound,
        ProblemType::MethodNotAllowed,
        ProblemType::Unavailable,
        ProblemType::Internal,
    ];

    /// Its slug, e.g. `bad-signature`.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemType::InvalidJson => "invalid-json",
            ProblemType::InvalidStatement => "invalid-statement",
            ProblemType::FloatingPoint => "floating-point",
            ProblemType::Unsigned => "unsigned",
            ProblemType::BadSignature => "bad-signature",
            ProblemType::UnknownKind => "unknown-kind",
            ProblemType::InvalidBody => "invalid-body",
            ProblemType::ClockSkew => "clock-skew",
            ProblemType::InvalidText => "invalid-text",
            ProblemType::Unstorable => "unstorable",
            ProblemType::TooLarge => "too-large",
            ProblemType::RequestTimeout => "request-timeout",
            ProblemType::UnauthorizedSigner => "unauthorized-signer",
            ProblemType::RuleViolation => "rule-violation",
            ProblemType::Conflict => "conflict",
            ProblemType::Forbidden => "forbidden",
            ProblemType::Unauthenticated => "unauthenticated",
            ProblemType::Csrf => "csrf",
            ProblemType::TotpRequired => "totp-required",
            ProblemType::TotpMismatch => "totp-mismatch",
            ProblemType::RateLimited => "rate-limited",
            ProblemType::WeakPassword => "weak-password",
            ProblemType::InvalidUser => "invalid-user",
            ProblemType::InvalidToken => "invalid-token",
            ProblemType::InvalidRegistration => "invalid-registration",
            ProblemType::InvalidDocument => "invalid-document",
            ProblemType::InvalidQuery => "invalid-query",
            ProblemType::InvalidIndex => "invalid-index",
            ProblemType::InvalidRange => "invalid-range",
            ProblemType::InvalidKey => "invalid-key",
            ProblemType::NotFound => "not-found",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::Unavailable => "unavailable",
            ProblemType::Internal => "internal",
        }
    }

    /// Its fixed, short summary.
    pub fn title(self) -> &'static str {
        match self {
            ProblemType::InvalidJson => "The body is not the JSON the endpoint reads",
            ProblemType::InvalidStatement => "Not a valid statement",
            ProblemType::FloatingPoint => "Statements carry no floating-point numbers",
            ProblemType::Unsigned => "The statement is not signed",
            ProblemType::BadSignature => "A signature does not verify",
            ProblemType::UnknownKind => "Unknown statement kind",
            ProblemType::InvalidBody => "The body is invalid",
            ProblemType::ClockSkew => "issued_at is too far from the log's clock",
            ProblemType::InvalidText => "Text the database cannot store",
            ProblemType::Unstorable => "The log cannot store this statement",
            ProblemType::TooLarge => "Too large",
            ProblemType::RequestTimeout => "The request body did not arrive in time",
            ProblemType::UnauthorizedSigner => "A signer is not allowed to make this statement",
            ProblemType::RuleViolation => "The statement breaks a rule of the log's current state",
            ProblemType::Conflict => "The request conflicts with the current state",
            ProblemType::Forbidden => "Not allowed",
            ProblemType::Unauthenticated => "Not authenticated",
            ProblemType::Csrf => "Missing or wrong CSRF token",
            ProblemType::TotpRequired => "A second factor is required",
            ProblemType::TotpMismatch => "The code does not match",
            ProblemType::RateLimited => "Too many requests",
            ProblemType::WeakPassword => "The password is too weak",
            ProblemType::InvalidUser => "Invalid user",
            ProblemType::InvalidToken => "Invalid token",
            ProblemType::InvalidRegistration => "Invalid registration",
            ProblemType::InvalidDocument => "Invalid document",
            ProblemType::InvalidQuery => "A query parameter is invalid",
            ProblemType::InvalidIndex => "Not an entry index",
            ProblemType::InvalidRange => "Not a range of the log",
            ProblemType::InvalidKey => "Not a public key",
            ProblemType::NotFound => "Not found",
            ProblemType::MethodNotAllowed => "Method not allowed",
            ProblemType::Unavailable => "Temporarily unavailable",
            ProblemType::Internal => "Internal error",
        }
    }

    /// Its URI, the problem document's `type`.
    pub fn uri(self) -> String {
        format!("{PROBLEM_BASE}{}", self.slug())
    }
}

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The problem type.
    pub kind: ProblemType,
    /// What happened in this case: the English sentence, with its message key and
    /// arguments when it has them (the pages say it in the reader's language; the problem
    /// document carries the key and arguments as `detail_key` and `detail_args`).
    pub detail: Said,
    /// Extension members.
    pub extensions: Map<String, Value>,
}

/// A handler's result.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// 405: `path` does not answer `method`; `allow` lists what it answers.
    pub fn method_not_allowed(path: &str, method: &str, allow: &str) -> AppError {
        AppError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::MethodNotAllowed,
            crate::said!(
                "method.not_allowed",
                "{path} does not answer {method}; it answers {allow}",
                path = path,
                method = method,
                allow = allow,
            ),
        )
    }

    /// A problem.
    pub fn new(status: StatusCode, kind: ProblemType, detail: impl Into<Said>) -> AppError {
        AppError {
            status,
            kind,
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
    pub fn bad_request(kind: ProblemType, detail: impl Into<Said>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, kind, detail)
    }

    /// 422: well-formed, but not valid.
    pub fn invalid(kind: ProblemType, detail: impl Into<Said>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, kind, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<Said>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, ProblemType::NotFound, detail)
    }

    /// 403: the caller (an account) may not do this.
    pub fn forbidden(detail: impl Into<Said>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, ProblemType::Forbidden, detail)
    }

    /// 403: a signer is not allowed to make this statement.
    pub fn unauthorized_signer(detail: impl Into<Said>) -> AppError {
        AppError::new(
            StatusCode::FORBIDDEN,
            ProblemType::UnauthorizedSigner,
            detail,
        )
    }

    /// 409: the request conflicts with the current state (an account, a draft, an
    /// application).
    pub fn conflict(detail: impl Into<Said>) -> AppError {
        AppError::new(StatusCode::CONFLICT, ProblemType::Conflict, detail)
    }

    /// 409: the statement breaks a rule of the log's current state.
    pub fn rule_violation(detail: impl Into<Said>) -> AppError {
        AppError::new(StatusCode::CONFLICT, ProblemType::RuleViolation, detail)
    }

    /// 503: not ready (the sequencer is starting or another instance sequences).
    pub fn unavailable(detail: impl Into<Said>) -> AppError {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemType::Unavailable,
            detail,
        )
    }

    /// 500, logged with its cause; the client sees a generic message.
    pub fn internal(cause: impl fmt::Display) -> AppError {
        tracing::error!(error = %cause, "internal error");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::Internal,
            "the server failed; the failure was logged",
        )
    }

    /// The problem document.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "type": self.kind.uri(),
            "title": self.kind.title(),
            "status": self.status.as_u16(),
            "detail": self.detail.text(),
        });
        if let (Value::Object(map), Some(keyed)) = (&mut body, keyed(&self.detail)) {
            // For a client in another language: the sentence's key and its arguments, and
            // the sentence its `why` argument is, if it is one.
            for (name, value) in keyed {
                map.insert(format!("detail_{name}"), value);
            }
        }
        if let Value::Object(map) = &mut body {
            for (k, v) in &self.extensions {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

/// A keyed sentence as `{"key", "args", "why"}` (`why`: the keyed sentence its `why`
/// argument is, the same way), or `None` for a sentence with no key.
fn keyed(said: &Said) -> Option<Map<String, Value>> {
    let key = said.key()?;
    let args: Map<String, Value> = said
        .args()
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::from(value.as_str())))
        .collect();
    let mut out = Map::new();
    out.insert("key".into(), Value::from(key));
    out.insert("args".into(), Value::Object(args));
    if let Some(why) = said.why().and_then(keyed) {
        out.insert("why".into(), Value::Object(why));
    }
    Some(out)
}

/// A statement the rules refuse.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        match refusal {
            Refusal::Invalid(m) => AppError::invalid(ProblemType::InvalidBody, m),
            Refusal::Forbidden(m) => AppError::unauthorized_signer(m),
            Refusal::Conflict(m) => AppError::rule_violation(m),
            Refusal::NotFound(m) => AppError::not_found(m),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.title(),
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
        AppError::unavailable(crate::said!(
            "db.unavailable",
            "no database connection: {why}",
            why = e
        ))
    }
}

mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_type_is_listed_once() {
        // The variants, read from this file's enum, against ProblemType::ALL: a new
        // variant left out of the list would escape the OpenAPI document.
        let source = include_str!("error.rs");
        let start = source.find("pub enum ProblemType {").expect("the enum");
        let end = start + source[start..].find("\n}").expect("its end");
        let variants = source[start..end]
            .lines()
            .filter(|l| l.starts_with("    ") && l.trim_end().ends_with(',') && !l.contains("//"))
            .count();
        assert_eq!(variants, ProblemType::ALL.len());
    }

    #[test]
    fn every_problem_type_has_its_own_slug_and_a_title() {
        let slugs: std::collections::HashSet<&str> =
            ProblemType::ALL.iter().map(|t| t.slug()).collect();
        assert_eq!(
            slugs.len(),
            ProblemType::ALL.len(),
            "two types share a slug"
        );
        for kind in ProblemType::ALL {
            assert!(!kind.title().is_empty());
            assert!(
                kind.slug()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{kind:?}"
            );
            assert_eq!(kind.uri(), format!("{PROBLEM_BASE}{}", kind.slug()));
        }
    }

    #[test]
    fn a_refusal_of_the_rules_is_answered_with_its_status_and_type() {
        let cases = [
            (Refusal::Invalid("x".into()), 422, ProblemType::InvalidBody),
            (
                Refusal::Forbidden("x".into()),
                403,
                ProblemType::UnauthorizedSigner,
            ),
            (
                Refusal::Conflict("x".into()),
                409,
                ProblemType::RuleViolation,
            ),
            (Refusal::NotFound("x".into()), 404, ProblemType::NotFound),
        ];
        for (refusal, status, kind) in cases {
            let error = AppError::from(refusal);
            assert_eq!((error.status.as_u16(), error.kind), (status, kind));
            let body = error.to_json();
            assert_eq!(body["type"], kind.uri());
            assert_eq!(body["title"], kind.title());
            assert_eq!(body["detail"], "x");
            assert!(body.get("detail_key").is_none(), "{body}");
        }
    }

    #[test]
    fn a_keyed_detail_carries_its_key_arguments_and_inner_sentence() {
        let inner = crate::said!("body.missing", "{field} is missing", field = "body.title");
        let detail = crate::said!(
            "body.invalid",
            "{field}: {why}",
            field = "body.lots[0]",
            why = inner
        )
        .because(inner);
        let body = AppError::invalid(ProblemType::InvalidBody, detail).to_json();
        assert_eq!(body["detail"], "body.lots[0]: body.title is missing");
        assert_eq!(body["detail_key"], "body.invalid");
        assert_eq!(
            body["detail_args"],
            serde_json::json!({"field": "body.lots[0]", "why": "body.title is missing"})
        );
        assert_eq!(
            body["detail_why"],
            serde_json::json!({"key": "body.missing", "args": {"field": "body.title"}})
        );
    }
}
