//! Tenders: one, and the list with its filters.

use crate::db::{self, blocking, tenders};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use vitrine_ledger::time::Timestamp;

pub(super) async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let tender = blocking(&state.pool, move |conn| {
        db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(crate::domain::procurement::unknown_tender(&id)))
    })
    .await?;
    Ok(HttpResponse::Ok().json(tender.public_view(Timestamp::now())))
}

#[derive(Deserialize)]
pub(super) struct TenderQuery {
    status: Option<String>,
    buyer: Option<String>,
    /// Tenders published before this entry (the cursor of the next page).
    before: Option<i64>,
    limit: Option<i64>,
}

/// Tenders, newest first, filtered by status and buyer, a page at a time.
pub(super) async fn list(
    state: web::Data<AppState>,
    query: web::Query<TenderQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            ProblemType::InvalidQuery,
            crate::said!("query.limit", "limit must be from 1 to {max}", max = 500),
        ));
    }
    if let Some(status) = &query.status
        && crate::domain::procurement::Status::parse(status).is_none()
    {
        return Err(AppError::bad_request(
            ProblemType::InvalidQuery,
            crate::said!(
                "query.status",
                "status {value} is not a tender status",
                value = format!("{status:?}")
            ),
        ));
    }
    let rows = blocking(&state.pool, move |conn| {
        let filter = tenders::Filter {
            status: query.status,
            buyer: query.buyer,
            before: query.before,
            ..tenders::Filter::default()
        };
        Ok(tenders::list(conn, &filter, limit)?)
    })
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.published_idx))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({"tenders": rows, "next_before": next})))
}
