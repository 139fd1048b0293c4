//! The home page: tenders closing soonest, recent awards, and the log's size and newest
//! checkpoint.

use super::page::{Page, PageResult};
use crate::db::{blocking, tenders};
use crate::routes::log::current_checkpoint;
use crate::routes::state::AppState;
use actix_web::web;
use minijinja::context;

pub(super) async fn home(page: Page, state: web::Data<AppState>) -> PageResult {
    let (size, note) = current_checkpoint(&state)
        .await
        .map_err(|e| page.error(e))?;
    let (closing, awarded) = blocking(&state.pool, |conn| {
        let closing = tenders::closing_soonest(conn, 10)?;
        let ids = tenders::recently_awarded(conn, 6)?;
        // Their titles and awards alone: a tender's bids may be thousands.
        let awarded = tenders::award_lines(conn, &ids)?;
        Ok((closing, awarded))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "home.html",
        context! { closing, awarded, size, checkpoint => note },
    )
}
