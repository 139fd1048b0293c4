//! The outbox's consumers and their dead letters, for platform administrators: how far
//! each consumer has got, what it set aside, and a request to try a dead letter again.

use crate::auth::{self, Credentials};
use crate::db::{blocking, outbox};
use crate::error::{AppError, AppResult};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// Who may watch the outbox.
const ADMINISTRATORS: &str = "the outbox is watched by platform administrators";

/// Every consumer's cursor, backlog, pending failure and count of dead letters.
pub(super) async fn consumers(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let consumers = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, false, ADMINISTRATORS)?;
        Ok(outbox::consumers(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "consumers": consumers })))
}

#[derive(Deserialize)]
pub(super) struct DeadLetterQuery {
    consumer: Option<String>,
}

/// Dead letters, of one consumer or all, at most 500.
pub(super) async fn dead_letters(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<DeadLetterQuery>,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let consumer = query.into_inner().consumer;
    let letters = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, false, ADMINISTRATORS)?;
        Ok(outbox::dead_letters(conn, consumer.as_deref(), 500)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": letters })))
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
    let requested = {
        let consumer = consumer.clone();
        blocking(&state.pool, move |conn| {
            auth::require_platform_admin(conn, &credentials, true, ADMINISTRATORS)?;
            Ok(outbox::request_retry(conn, &consumer, outbox_id)?)
        })
        .await?
    };
    if !requested {
        return Err(AppError::not_found(format!(
            "{consumer} has no dead letter for outbox row {outbox_id}"
        )));
    }
    Ok(HttpResponse::Accepted().json(json!({
        "consumer": consumer,
        "outbox_id": outbox_id,
        "status": "retry requested",
    })))
}
