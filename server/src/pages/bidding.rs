//! The bidder's pages: applying to register a supplier (its key made in the browser), and
//! a tender's bidding workspace (questions, sealed bids, replacing, withdrawing and
//! revealing them). The signing happens in the browser (`static/js/bidder.js`); these
//! handlers give it what it needs, and the JSON API takes the signed statements.

use super::page::{Page, PageResult};
use super::signed_in::Who;
use crate::db::{self, blocking};
use crate::domain::types::Role;
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::{HttpRequest, web};
use minijinja::context;
use vitrine_ledger::time::Timestamp;

/// `GET /register`: a supplier applies to register.
pub(super) async fn register(page: Page) -> PageResult {
    page.render("register.html", context! {})
}

/// `GET /tenders/{id}/bid`: the bidding workspace of a supplier's account.
pub(super) async fn workspace(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> PageResult {
    let id = path.into_inner();
    let bidders = Who {
        allowed: Role::may_bid,
        why: || {
            crate::said!(
                "page.bidders_only",
                "only a supplier's bidder representatives and administrators bid and ask questions"
            )
        },
    };
    let caller = super::signed_in::account(&page, &state, &request, bidders).await?;
    let tender = blocking(&state.pool, move |conn| {
        let tender = db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(crate::domain::procurement::unknown_tender(&id)))?;
        Ok(tender.public_view(Timestamp::now()))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "bid.html",
        context! {
            tender,
            organisation => caller.organisation,
            csrf => caller.csrf,
        },
    )
}
