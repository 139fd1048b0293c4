//! The home page: tenders closing soonest, recent awards, and the log's size and newest
//! checkpoint.

use super::page::{Page, PageResult};
use crate::db::{self, blocking, tenders};
use crate::routes::log::current_checkpoint;
use crate::routes::state::AppState;
use actix_web::web;
use minijinja::context;
use vitrine_ledger::time::Timestamp;

pub(super) async fn home(page: Page, state: web::Data<AppState>) -> PageResult {
    let (size, note) = current_checkpoint(&state)
        .await
        .map_err(|e| page.error(e))?;
    let (closing, awarded) = blocking(&state.pool, |conn| {
        let closing = tenders::closing_soonest(conn, 10)?;
        let ids = tenders::recently_awarded(conn, 6)?;
        let mut states = db::load_tenders(conn, &ids)?;
        let now = Timestamp::now();
        let awarded: Vec<serde_json::Value> = ids
            .iter()
            .filter_map(|id| states.remove(id))
            .map(|t| t.public_view(now))
            .collect();
        Ok((closing, awarded))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "home.html",
        context! { closing, awarded, size, checkpoint => note },
    )
}
