//! Liveness, readiness and Prometheus metrics.

use crate::db::blocking;
use crate::error::AppResult;
use crate::routes::state::AppState;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};
use serde_json::json;
use std::sync::atomic::Ordering;

pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub(super) async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    blocking(&state.pool, |conn| Ok(crate::db::ping(conn)?)).await?;
    let sequencing = state.sequencer.status.ready.load(Ordering::SeqCst);
    Ok(HttpResponse::Ok()
        .json(json!({"status": "ready", "database": "ok", "sequencing": sequencing})))
}

pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let status = &state.sequencer.status;
    let size = super::log::latest(&state).map(|(s, _)| s).unwrap_or(0);
    let text = format!(
        "# HELP vitrine_log_size Entries in the newest checkpoint.\n# TYPE vitrine_log_size gauge\nvitrine_log_size {size}\n\
         # HELP vitrine_appended_total Entries appended by this process.\n# TYPE vitrine_appended_total counter\nvitrine_appended_total {}\n\
         # HELP vitrine_batches_total Sequencer transactions committed by this process.\n# TYPE vitrine_batches_total counter\nvitrine_batches_total {}\n\
         # HELP vitrine_refused_total Statements refused by the rules.\n# TYPE vitrine_refused_total counter\nvitrine_refused_total {}\n\
         # HELP vitrine_batch_seconds_total Time spent in sequencer batches.\n# TYPE vitrine_batch_seconds_total counter\nvitrine_batch_seconds_total {}\n\
         # HELP vitrine_sequencing Whether this process holds the sequencer lock.\n# TYPE vitrine_sequencing gauge\nvitrine_sequencing {}\n",
        status.appended.load(Ordering::Relaxed),
        status.batches.load(Ordering::Relaxed),
        status.refused.load(Ordering::Relaxed),
        status.commit_micros.load(Ordering::Relaxed) as f64 / 1e6,
        u8::from(status.ready.load(Ordering::Relaxed)),
    );
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4"))
        .body(text)
}
