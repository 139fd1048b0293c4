//! Pages for signed-in readers: [`account`] finds the reader's account from their session
//! cookie, or sends them to log in and back.

use super::page::{Page, PageError, url_escape};
use crate::auth::{self, Credentials, SESSION_COOKIE};
use crate::db::blocking;
use crate::domain::said::Said;
use crate::domain::types::{OrganisationKind, Role};
use crate::routes::state::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

/// The cookie that removes the session cookie.
pub(super) fn session_removal() -> Cookie<'static> {
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    gone
}

/// Who may use a page: whom `allowed` lets in, and, to the others, `why` not.
#[derive(Clone, Copy)]
pub(super) struct Who {
    pub allowed: fn(Role, OrganisationKind) -> bool,
    pub why: fn() -> Said,
}

/// Anyone with an account.
pub(super) const ANYONE: Who = Who {
    allowed: |_, _| true,
    why: || crate::said!("page.anyone", "log in with your account"),
};

/// The reader's account, if their session is one that `who` lets in; a reader with no
/// session (or one that ended) is sent to log in and back, one whom it does not let in
/// gets the error page saying why.
pub(super) async fn account(
    page: &Page,
    state: &web::Data<AppState>,
    request: &HttpRequest,
    who: Who,
) -> Result<auth::Caller, PageError> {
    let credentials = Credentials::of(request);
    // Back to the page after logging in; a form posted to a page comes back to the
    // account page (its action is not a page to show).
    let method = request.method();
    let path =
        match method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD {
            true => request.path().to_owned(),
            false => "/me".to_owned(),
        };
    let log_in = format!("/login?next={}", url_escape(&path));
    if credentials.session.is_none() {
        return Err(PageError::see_other(log_in, None));
    }
    blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        caller.require(who.allowed, (who.why)())?;
        Ok(caller)
    })
    .await
    .map_err(|e| match e.status == StatusCode::UNAUTHORIZED {
        // The session ended (expired, or logged out elsewhere): log in again.
        true => PageError::see_other(log_in, Some(session_removal())),
        false => page.error(e),
    })
}
