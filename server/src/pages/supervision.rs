//! The supervisor's desk: complaints to decide, each beside its tender's history; the
//! decision is a statement the supervisor signs in the browser.

use super::page::{Page, PageResult};
use super::signed_in::{Who, account};
use crate::db::{self, blocking};
use crate::domain::types::{OrganisationKind, Role};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, web};
use minijinja::context;
use vitrine_ledger::time::Timestamp;

fn supervisor(role: Role, kind: OrganisationKind) -> bool {
    kind == OrganisationKind::Supervisor && role == Role::Supervisor
}

/// `GET /supervision`: every tender with a complaint not yet decided for good.
pub(super) async fn complaints(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> PageResult {
    let supervisors = Who {
        allowed: supervisor,
        why: || {
            crate::said!(
                "page.supervisors_only",
                "complaints are decided by a supervisory body's supervisors"
            )
        },
    };
    let caller = account(&page, &state, &request, supervisors).await?;
    let cases = blocking(&state.pool, |conn| {
        let ids = db::tenders::with_open_complaints(conn, 200)?;
        let mut states = db::load_tenders(conn, &ids)?;
        let now = Timestamp::now();
        let mut cases = Vec::new();
        for id in &ids {
            if let Some(tender) = states.remove(id) {
                let timeline = db::log::newest_about(conn, id, 1000)?;
                cases.push(
                    serde_json::json!({"tender": tender.public_view(now), "timeline": timeline}),
                );
            }
        }
        Ok(cases)
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "supervision.html",
        context! { cases, organisation => caller.organisation, csrf => caller.csrf },
    )
}
