//! Setting up the second factor from the account page, with plain forms: one makes the
//! secret (shown on the account page until a code confirms it), one confirms it.

use super::forms::{self, Factor, Posted, Refusal};
use super::page::{Page, PageResult};
use super::session::me_page;
use super::signed_in::ANYONE;
use crate::db::blocking;
use crate::routes::accounts::{confirm_totp_as, start_totp_as};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, web};

/// Reads the form for a signed-in reader whose second factor is not set up yet.
async fn read(
    page: &Page,
    state: &web::Data<AppState>,
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Posted, super::page::PageError> {
    Posted::read(
        page,
        state,
        (request, payload),
        ANYONE,
        Factor::NotYet,
        forms::FORM_BYTES,
    )
    .await
}

/// `POST /me/totp`: a new secret, shown on the account page.
pub(super) async fn start(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let posted = read(&page, &state, &request, payload).await?;
    let caller = posted.caller.clone();
    match blocking(&state.pool, move |conn| start_totp_as(conn, caller)).await {
        Ok(_) => Ok(actix_web::HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, "/me#totp-title"))
            .finish()),
        Err(e) if e.status.is_server_error() => Err(page.error(e)),
        Err(e) => {
            let refused = Refusal::new("totp-start", &e, &[], &posted).localised(&page);
            me_page(&page, &state, posted.caller, None, Some(refused)).await
        }
    }
}

/// `POST /me/totp/confirm`, with the authenticator's `code`.
pub(super) async fn confirm(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let posted = read(&page, &state, &request, payload).await?;
    let caller = posted.caller.clone();
    let code = posted.get("code").trim().to_owned();
    match blocking(&state.pool, move |conn| {
        confirm_totp_as(conn, &caller, &code)
    })
    .await
    {
        Ok(()) => Ok(forms::done("/me", "totp_on")),
        Err(e) if e.status.is_server_error() => Err(page.error(e)),
        Err(e) => {
            let refused = Refusal::new("totp-confirm", &e, &["code"], &posted).localised(&page);
            me_page(&page, &state, posted.caller, None, Some(refused)).await
        }
    }
}
