//! Tenders: one, and the list with its filters.

use crate::db::{self, blocking};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
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
            .ok_or_else(|| AppError::not_found(format!("tender {id} does not exist")))
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

#[derive(diesel::QueryableByName, serde::Serialize)]
struct TenderRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    buyer_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    procedure: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    value_amount: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    currency: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    tender_end: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    published_idx: i64,
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
            "limit must be from 1 to 500",
        ));
    }
    if let Some(status) = &query.status
        && crate::domain::procurement::Status::parse(status).is_none()
    {
        return Err(AppError::bad_request(
            ProblemType::InvalidQuery,
            format!("status {status:?} is not a tender status"),
        ));
    }
    let rows: Vec<TenderRow> = blocking(&state.pool, move |conn| {
        use diesel::sql_types::{BigInt, Nullable, Text};
        Ok(diesel::sql_query(
            "SELECT id, buyer_id, status, title, category, procedure, value_amount::text AS value_amount,
                    currency, to_char(tender_end AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS tender_end,
                    published_idx
             FROM tenders
             WHERE ($1::text IS NULL OR status = $1)
               AND ($2::text IS NULL OR buyer_id = $2)
               AND ($3::bigint IS NULL OR published_idx < $3)
             ORDER BY published_idx DESC
             LIMIT $4",
        )
        .bind::<Nullable<Text>, _>(query.status)
        .bind::<Nullable<Text>, _>(query.buyer)
        .bind::<Nullable<BigInt>, _>(query.before)
        .bind::<BigInt, _>(limit)
        .load(conn)?)
    })
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.published_idx))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({"tenders": rows, "next_before": next})))
}
