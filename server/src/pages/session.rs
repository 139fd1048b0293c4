//! Logging in and out with a form, and the account's own page. A login form carries a
//! token that must match a cookie this site set (double submit), so another site cannot
//! log a reader in to an account of its choosing; the session's pages carry the session's
//! own CSRF token, which every change made with the session cookie must present.

use super::page::{Page, PageResult};
use super::signed_in::{ANYONE, account};
use crate::auth::{self, Credentials, SESSION_COOKIE};
use crate::db::{accounts, blocking, notifications};
use crate::error::{AppError, ProblemType};
use crate::routes::intake;
use crate::routes::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
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
    Ok(HttpResponse::SeeOther()
        .cookie(super::signed_in::session_removal())
        .insert_header((LOCATION, "/"))
        .finish())
}

/// `GET /me`: who the reader is, and what they were told.
pub(super) async fn me(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let caller = account(&page, &state, &request, ANYONE).await?;
    let done = super::forms::done_word(&query);
    me_page(&page, &state, caller, done, None).await
}

/// The account page, saying what was done or what was refused; while the second factor
/// is being set up, with its secret and the form that confirms it.
pub(super) async fn me_page(
    page: &Page,
    state: &web::Data<AppState>,
    caller: auth::Caller,
    done: Option<&str>,
    refused: Option<super::forms::Refusal>,
) -> PageResult {
    let (caller, profile, (told, followed), enrolment) = blocking(&state.pool, move |conn| {
        let profile = accounts::profile(conn, caller.user_id)?;
        let followed = crate::db::subscriptions::followed_tenders(conn, caller.user_id, 200)?;
        let enrolment = match caller.totp_enabled {
            true => None,
            false => accounts::totp_secret(conn, caller.user_id)?
                .map(|secret| crate::routes::accounts::Enrolment::of(&secret, &caller.email)),
        };
        let told: Vec<serde_json::Value> =
            notifications::of_user(conn, caller.user_id, false, None, 50)?
                .into_iter()
                .map(crate::routes::accounts::notification)
                .collect();
        Ok((caller, profile, (told, followed), enrolment))
    })
    .await
    .map_err(|e| page.error(e))?;
    // The second factor's forms show while it is not on; the confirmation, once a secret
    // waits for it.
    let shown: Vec<String> = match (caller.totp_enabled, enrolment.is_some()) {
        (true, _) => vec![],
        (false, false) => vec!["totp-start".into()],
        (false, true) => vec!["totp-start".into(), "totp-confirm".into()],
    };
    let refused = refused.map(|r| r.unless_shown(&shown));
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, super::forms::Refusal::status);
    page.render_status(
        status,
        "me.html",
        context! {
            done,
            refused,
            totp_secret => enrolment.as_ref().map(|e| e.secret.clone()),
            totp_uri => enrolment.map(|e| e.uri),
            name => profile.display_name,
            email => profile.email,
            organisation => caller.organisation,
            role => caller.role.to_string(),
            kind => caller.organisation_kind.to_string(),
            totp_enabled => caller.totp_enabled,
            needs_totp => caller.role.needs_second_factor(),
            notifications => told,
            followed,
            csrf => caller.csrf,
        },
    )
}
