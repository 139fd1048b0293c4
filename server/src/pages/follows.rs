//! Following a tender: a plain form on its page (and on the account page, to stop), for
//! anyone signed in. Followers are told in the app of what its bidders are told
//! (amendments, answers, the award, a cancellation); nobody else learns who follows.

use super::forms::{self, Factor, Posted};
use super::page::{Page, PageResult};
use super::signed_in::ANYONE;
use crate::db::{blocking, subscriptions, tenders};
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::{HttpRequest, web};

/// `POST /tenders/{id}/follow`.
pub(super) async fn follow(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
) -> PageResult {
    change(page, state, request, payload, path.into_inner(), true).await
}

/// `POST /tenders/{id}/unfollow`.
pub(super) async fn unfollow(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
) -> PageResult {
    change(page, state, request, payload, path.into_inner(), false).await
}

async fn change(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    id: String,
    on: bool,
) -> PageResult {
    let posted = Posted::read(
        &page,
        &state,
        (&request, payload),
        ANYONE,
        Factor::NotYet,
        forms::FORM_BYTES,
    )
    .await?;
    let user = posted.caller.user_id;
    let tender = id.clone();
    blocking(&state.pool, move |conn| {
        if !tenders::exists(conn, &tender)? {
            return Err(AppError::not_found(
                crate::domain::procurement::unknown_tender(&tender),
            ));
        }
        match on {
            true => subscriptions::follow_tender(conn, user, &tender)?,
            false => subscriptions::unfollow_tender(conn, user, &tender)?,
        }
        Ok(())
    })
    .await
    .map_err(|e| page.error(e))?;
    // Back where the form was: the tender's page, or the account page.
    let back = match super::language::local_path(Some(posted.get("back"))) {
        "/" => format!("/tenders/{}", super::page::url_escape(&id)),
        other => other.split(['?', '#']).next().unwrap_or("/").to_owned(),
    };
    Ok(forms::done(
        &back,
        if on { "followed" } else { "unfollowed" },
    ))
}
