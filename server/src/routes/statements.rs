//! `POST /api/v1/statements`: a signed statement, checked, then sequenced here or
//! forwarded to the process that sequences.

use crate::domain::Role;
use crate::error::{AppError, AppResult, ProblemType};
use crate::log::sequencer::Private;
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};
use std::sync::atomic::Ordering;
use vitrine_ledger::jcs;
use vitrine_ledger::statement::{Entry, SignedStatement, StatementError};
use vitrine_ledger::time::Timestamp;

/// The largest request body `POST /api/v1/statements` reads.
pub const MAX_STATEMENT_BYTES: usize = 128 * 1024;

pub use crate::log::forward::FORWARDED_HEADER;

fn statement_error(e: StatementError) -> AppError {
    match e {
        StatementError::Json(m) => AppError::bad_request(ProblemType::InvalidJson, m),
        StatementError::Number(n) => AppError::invalid(ProblemType::FloatingPoint, n.to_string()),
        StatementError::BadSignature { index, public_key } => AppError::invalid(
            ProblemType::BadSignature,
            crate::said!(
                "statement.bad_signature",
                "signature {index} (key {public_key}) does not verify over this statement",
                index = index,
                public_key = public_key,
            ),
        )
        .with("signature", index),
        StatementError::Unsigned => AppError::invalid(
            ProblemType::Unsigned,
            crate::said!("statement.unsigned", "add at least one signature"),
        ),
        StatementError::TooLarge(n) => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::TooLarge,
            crate::said!(
                "statement.too_large",
                "the entry would have {bytes} bytes; at most 65535 (reference documents by hash)",
                bytes = n
            ),
        ),
        other => AppError::invalid(ProblemType::InvalidStatement, other.to_string()),
    }
}

/// Reads, checks and sequences (or forwards) one signed statement.
pub(super) async fn post(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let body = crate::routes::intake::read_body(&request, payload, MAX_STATEMENT_BYTES).await?;
    // The moment of receipt: what deadlines are judged by.
    let received = Timestamp::now().truncate_to_micros();
    let (signed, anonymous) = checked(&state, &body)?;
    let author = if anonymous {
        Some(author(&state, &request).await?)
    } else {
        None
    };
    if !state.sequencer.status.ready.load(Ordering::SeqCst) {
        if request.headers().contains_key(FORWARDED_HEADER) {
            return Err(AppError::unavailable(crate::said!(
                "log.not_sequencer",
                "this process is not the sequencer (any more); try again"
            )));
        }
        return forward(&state, &request, body).await;
    }
    let (sequenced, appended) = state
        .sequencer
        .submit(
            signed,
            Private {
                author,
                vault: None,
            },
            received,
        )
        .await?;
    let status = if appended {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(sequenced.receipt()))
}

/// The statement in `body`, checked as far as it can be without the log's state: JSON
/// the database can store, signatures by known keys (or one-time keys), the entry's size,
/// a known kind and its body's shape. Whether its kind is signed by one-time keys only.
pub(crate) fn checked(state: &AppState, body: &[u8]) -> AppResult<(SignedStatement, bool)> {
    let value = jcs::parse(body)
        .map_err(|e| AppError::bad_request(ProblemType::InvalidJson, e.to_string()))?;
    // What the database cannot store is refused here, alone, never in a batch.
    crate::routes::intake::storable(&value).map_err(|e| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        ..e
    })?;
    checked_value(state, value)
}

/// [`checked`] for a statement parsed already, as JSON the database can store.
pub(crate) fn checked_value(
    state: &AppState,
    value: serde_json::Value,
) -> AppResult<(SignedStatement, bool)> {
    let signed = SignedStatement::from_value(value).map_err(statement_error)?;
    signed
        .verify_with(|key| state.keys.get(key))
        .map_err(statement_error)?;
    // The entry's size is the log's first rule, whatever the kind.
    Entry::check_fits(&signed).map_err(statement_error)?;
    let statement = signed.statement();
    let kind = state.registry.get(statement.kind()).ok_or_else(|| {
        AppError::invalid(
            ProblemType::UnknownKind,
            crate::said!(
                "statement.unknown_kind",
                "the log does not accept statements of kind {kind}",
                kind = format!("{:?}", statement.kind())
            ),
        )
        .with("kinds", state.registry.names())
    })?;
    kind.check_body(statement.body())
        .map_err(|m| AppError::invalid(ProblemType::InvalidBody, m))?;
    let anonymous = kind.anonymous();
    Ok((signed, anonymous))
}

/// Who sends a statement signed only by a one-time key: an account allowed to bid. The
/// log does not say who; the platform records it privately.
async fn author(state: &AppState, request: &actix_web::HttpRequest) -> AppResult<(String, i64)> {
    let credentials = crate::auth::Credentials::of(request);
    let caller = state.tokens.require(credentials.clone()).await?;
    caller.check_csrf(&credentials)?;
    caller.require(
        Role::may_bid,
        crate::said!(
            "statement.bidders_only",
            "sealed bids and anonymous questions are sent by a supplier's bidder representative"
        ),
    )?;
    Ok((caller.organisation, caller.user_id))
}

/// Sends a checked request to the process that sequences, at the route it came to, and
/// answers what that process answers.
pub(super) async fn forward(
    state: &web::Data<AppState>,
    request: &actix_web::HttpRequest,
    body: Vec<u8>,
) -> AppResult<HttpResponse> {
    let agent = state.forwarder.clone();
    // The sender's credentials go along: the sequencing process checks them again.
    let credentials: Vec<(&'static str, String)> =
        ["authorization", "cookie", crate::auth::CSRF_HEADER]
            .into_iter()
            .filter_map(|name| {
                request
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (name, v.to_owned()))
            })
            .collect();
    let path = request.path().to_owned();
    let answer = crate::log::forward::forward(&state.pool, agent, path, credentials, body).await?;
    let status = StatusCode::from_u16(answer.status).map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, answer.content_type))
        .body(answer.body))
}
