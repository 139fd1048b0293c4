//! The platform administrators' desk: applications to register (approved or rejected
//! with the API, from the page), and the outbox's workers with their dead letters.

use super::page::{Page, PageResult};
use super::session::account;
use crate::db::{blocking, outbox, registrations};
use crate::domain::types::{OrganisationKind, Role};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, web};
use minijinja::context;

fn platform_admin(role: Role, _: OrganisationKind) -> bool {
    role == Role::PlatformAdmin
}

/// `GET /admin`.
pub(super) async fn desk(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> PageResult {
    let caller = match account(
        &page,
        &state,
        &request,
        platform_admin,
        "this desk is for platform administrators",
    )
    .await
    {
        Ok(caller) => caller,
        Err(answer) => return Ok(answer),
    };
    let (applications, consumers, dead) = blocking(&state.pool, |conn| {
        let applications: Vec<serde_json::Value> = registrations::list(conn, Some("pending"), 200)?
            .into_iter()
            .map(crate::routes::registrations::listed)
            .collect();
        let consumers = outbox::consumers(conn)?;
        let dead = outbox::dead_letters(conn, None, None, 100)?;
        Ok((applications, consumers, dead))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "admin.html",
        context! { applications, consumers, dead, csrf => caller.csrf },
    )
}
