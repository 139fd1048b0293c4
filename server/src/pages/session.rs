//! Logging in and out with a form, and the account's own page. A login form carries a
//! token that must match a cookie this site set (double submit), so another site cannot
//! log a reader in to an account of its choosing; the session's pages carry the session's
//! own CSRF token, which every change made with the session cookie must present.

use super::page::{Page, PageResult};
use crate::auth::{self, Credentials, SESSION_COOKIE};
use crate::db::{accounts, blocking, notifications};
use crate::error::{AppError, ProblemType};
use crate::routes::intake;
use crate::routes::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use minijinja::context;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

/// The cookie a login form's token must match.
pub const FORM_COOKIE: &str = "vitrine_form";
/// The largest login form read.
const FORM_BYTES: usize = 8 * 1024;

/// Whether cookies are `Secure`: when the site's configured public address is https (a
/// request's `X-Forwarded-Proto` is the client's to write, so it decides nothing).
fn secure(request: &HttpRequest) -> bool {
    request
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.public_url.starts_with("https://"))
}

/// The form token of this browser, and the cookie to set if it has none yet.
fn form_token(request: &HttpRequest) -> Result<(String, Option<Cookie<'static>>), AppError> {
    if let Some(c) = request
        .cookie(FORM_COOKIE)
        .filter(|c| c.value().len() == 32)
    {
        return Ok((c.value().to_owned(), None));
    }
    let token = auth::random_token(24)?;
    let cookie = Cookie::build(FORM_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(request))
        .finish();
    Ok((token, Some(cookie)))
}

#[derive(Deserialize, Default)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    totp: Option<String>,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

fn login_page(
    page: &Page,
    status: StatusCode,
    form: &LoginForm,
    token: &str,
    error: Option<&str>,
    ask_totp: bool,
) -> PageResult {
    page.render_status(
        status,
        "login.html",
        context! {
            email => form.email.clone(),
            next => super::language::local_path(form.next.as_deref()),
            csrf => token,
            error,
            ask_totp,
        },
    )
}

/// `GET /login`.
pub(super) async fn form(
    page: Page,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let (token, cookie) = form_token(&request).map_err(|e| page.error(e))?;
    let next = query
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.clone());
    let form = LoginForm {
        next,
        ..LoginForm::default()
    };
    let mut response = login_page(&page, StatusCode::OK, &form, &token, None, false)?;
    if let Some(cookie) = cookie {
        response
            .add_cookie(&cookie)
            .map_err(|e| page.error(AppError::internal(e)))?;
    }
    Ok(response)
}

/// `POST /login`: the account's session, then back where the reader was going.
pub(super) async fn submit(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let body = intake::read_body(&request, payload, FORM_BYTES)
        .await
        .map_err(|e| page.error(e))?;
    let text = std::str::from_utf8(&body).unwrap_or_default();
    let form: LoginForm = intake::query(text).map_err(|e| page.error(e))?;
    let (token, _) = form_token(&request).map_err(|e| page.error(e))?;
    // Only a token this site made (32 characters) counts: never an empty pair.
    let matches = request.cookie(FORM_COOKIE).is_some_and(|c| {
        c.value().len() == 32 && bool::from(c.value().as_bytes().ct_eq(form.csrf.as_bytes()))
    });
    if !matches {
        return login_page(
            &page,
            StatusCode::FORBIDDEN,
            &form,
            &token,
            Some("login.expired"),
            false,
        );
    }
    if state
        .login_limit
        .check(request.peer_addr().map(|a| a.ip()))
        .is_err()
    {
        return login_page(
            &page,
            StatusCode::TOO_MANY_REQUESTS,
            &form,
            &token,
            Some("problem.rate-limited"),
            false,
        );
    }
    let (email, password) = (form.email.clone(), form.password.clone());
    let code = form.totp.clone().filter(|c| !c.trim().is_empty());
    let login = blocking(&state.pool, move |conn| {
        auth::login(conn, &email, &password, code.as_deref())
    })
    .await;
    let login = match login {
        Ok(login) => login,
        Err(e) if e.kind == ProblemType::TotpRequired => {
            let error = form.totp.is_some().then_some("login.wrong_code");
            return login_page(&page, StatusCode::UNAUTHORIZED, &form, &token, error, true);
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return login_page(
                &page,
                StatusCode::UNAUTHORIZED,
                &form,
                &token,
                Some("login.wrong"),
                false,
            );
        }
        Err(e) => return Err(page.error(e)),
    };
    let cookie = Cookie::build(SESSION_COOKIE, login.token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(&request))
        .max_age(actix_web::cookie::time::Duration::hours(
            auth::SESSION_HOURS,
        ))
        .finish();
    let next = match super::language::local_path(form.next.as_deref()) {
        "/" => "/me",
        other => other,
    };
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((LOCATION, next.to_owned()))
        .finish())
}

#[derive(Deserialize)]
pub(super) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`, with the session's CSRF token.
pub(super) async fn logout(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let body = intake::read_body(&request, payload, FORM_BYTES)
        .await
        .map_err(|e| page.error(e))?;
    let form: LogoutForm =
        intake::query(std::str::from_utf8(&body).unwrap_or_default()).map_err(|e| page.error(e))?;
    let mut credentials = Credentials::of(&request);
    credentials.csrf = Some(form.csrf);
    let session = credentials.session.clone();
    blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        caller.check_csrf(&credentials)?;
        if let Some(token) = session {
            auth::logout(conn, &token)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| page.error(e))?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((LOCATION, "/"))
        .finish())
}

/// `GET /me`: who the reader is, and what they were told.
pub(super) async fn me(page: Page, state: web::Data<AppState>, request: HttpRequest) -> PageResult {
    let caller = match account(&page, &state, &request, |_, _| true, "").await {
        Ok(caller) => caller,
        Err(answer) => return Ok(answer),
    };
    let (caller, profile, told) = blocking(&state.pool, move |conn| {
        let profile = accounts::profile(conn, caller.user_id)?;
        let told: Vec<serde_json::Value> =
            notifications::of_user(conn, caller.user_id, false, None, 50)?
                .into_iter()
                .map(crate::routes::accounts::notification)
                .collect();
        Ok((caller, profile, told))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "me.html",
        context! {
            name => profile.display_name,
            email => profile.email,
            organisation => caller.organisation,
            role => caller.role.to_string(),
            kind => caller.organisation_kind.to_string(),
            totp_enabled => caller.totp_enabled,
            needs_totp => caller.role.needs_second_factor(),
            notifications => told,
            csrf => caller.csrf,
        },
    )
}

/// The reader's account, if their session is one that `allowed` lets in; a reader with
/// no session is sent to log in and back (`Err` holds that answer, or the error page).
pub(super) async fn account(
    page: &Page,
    state: &web::Data<AppState>,
    request: &HttpRequest,
    allowed: fn(crate::domain::types::Role, crate::domain::types::OrganisationKind) -> bool,
    why: &'static str,
) -> Result<auth::Caller, HttpResponse> {
    let credentials = Credentials::of(request);
    if credentials.session.is_none() {
        let next = request.path().to_owned();
        let location = format!("/login?next={}", super::page::url_escape(&next));
        return Err(HttpResponse::SeeOther()
            .insert_header((LOCATION, location))
            .finish());
    }
    let path = request.path().to_owned();
    blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        caller.require(allowed, why)?;
        Ok(caller)
    })
    .await
    .map_err(|e| {
        if e.status == StatusCode::UNAUTHORIZED {
            // The session ended (expired, or logged out elsewhere): log in again.
            let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
            gone.make_removal();
            let location = format!("/login?next={}", super::page::url_escape(&path));
            return HttpResponse::SeeOther()
                .cookie(gone)
                .insert_header((LOCATION, location))
                .finish();
        }
        ResponseError::error_response(&page.error(e))
    })
}
