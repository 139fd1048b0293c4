//! The account routes: log in and out, who am I, API tokens, the TOTP second factor, and
//! creating users. Every change made with a session cookie needs its CSRF token.

use crate::auth::{self, Caller, NewUser, SESSION_COOKIE};
use crate::db::blocking;
use crate::db::{accounts, notifications};
use crate::domain::Role;
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::pg::PgConnection;
use serde::Deserialize;
use serde_json::{Value, json};

/// The largest form these routes read.
const FORM_BYTES: usize = 8 * 1024;

/// Authenticates the caller (with the CSRF token, for a change made with a session), and
/// only then reads the JSON body: nobody makes the server read a body without an account.
pub(super) async fn caller_and_form<T: serde::de::DeserializeOwned>(
    state: &web::Data<AppState>,
    request: &HttpRequest,
    payload: web::Payload,
) -> AppResult<(Caller, T)> {
    let credentials = auth::Credentials::of(request);
    let caller = blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        caller.check_csrf(&credentials)?;
        Ok(caller)
    })
    .await?;
    let body = crate::routes::intake::read_body(request, payload, FORM_BYTES).await?;
    Ok((caller, crate::routes::intake::json(&body)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogIn {
    email: String,
    password: String,
    totp: Option<String>,
}

pub(super) async fn log_in(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    state
        .login_limit
        .check(request.peer_addr().map(|a| a.ip()))?;
    let body = crate::routes::intake::read_body(&request, payload, FORM_BYTES).await?;
    let form: LogIn = crate::routes::intake::json(&body)?;
    let secure = request.connection_info().scheme() == "https";
    let (login, caller) = blocking(&state.pool, move |conn| {
        let login = auth::login(conn, &form.email, &form.password, form.totp.as_deref())?;
        let caller = user(conn, login.user_id)?;
        Ok((login, caller))
    })
    .await?;
    let cookie = Cookie::build(SESSION_COOKIE, login.token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::hours(
            auth::SESSION_HOURS,
        ))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(json!({
        "user": caller,
        "csrf_token": login.csrf,
        "totp_required": auth::needs_totp(caller["role"].as_str().unwrap_or_default()) && caller["totp_enabled"] != true,
    })))
}

fn user(conn: &mut PgConnection, id: i64) -> AppResult<serde_json::Value> {
    let user = accounts::profile(conn, id)?;
    Ok(json!({
        "id": id,
        "email": user.email,
        "display_name": user.display_name,
        "organisation": user.organisation,
        "role": user.role,
        "totp_enabled": user.totp_enabled,
    }))
}

/// Runs `work` for an authenticated caller; changes need the CSRF token of a session.
pub(super) async fn as_caller<T: Send + 'static>(
    state: &web::Data<AppState>,
    request: &HttpRequest,
    change: bool,
    work: impl FnOnce(&mut PgConnection, Caller) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let credentials = auth::Credentials::of(request);
    blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        if change {
            caller.check_csrf(&credentials)?;
        }
        work(conn, caller)
    })
    .await
}

pub(super) async fn log_out(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let token = request
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .ok_or_else(|| {
            auth::unauthorized(crate::said!(
                "session.none_to_end",
                "there is no session to end"
            ))
        })?;
    as_caller(&state, &request, true, move |conn, _| {
        auth::logout(conn, &token)
    })
    .await?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

pub(super) async fn me(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let me = as_caller(&state, &request, false, |conn, caller| {
        user(conn, caller.user_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenName {
    name: String,
}

pub(super) async fn create_token(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (caller, form): (Caller, TokenName) = caller_and_form(&state, &request, payload).await?;
    if form.name.trim().is_empty() || form.name.chars().count() > 100 {
        return Err(AppError::invalid(
            ProblemType::InvalidToken,
            crate::said!(
                "token.name",
                "{field} must be 1 to 100 characters",
                field = "name"
            ),
        ));
    }
    let (id, token) = blocking(&state.pool, move |conn| {
        caller.check_totp()?;
        auth::create_token(conn, caller.user_id, form.name.trim())
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": id,
        "token": token,
        "note": "the token is shown once; send it as Authorization: Bearer <token>",
    })))
}

pub(super) async fn list_tokens(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let listed = as_caller(&state, &request, false, |conn, caller| {
        Ok(accounts::tokens_of(conn, caller.user_id)?)
    })
    .await?;
    let tokens: Vec<_> = listed
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "created_at": t.created_at.to_rfc3339(),
                "last_used": t.last_used.map(|t| t.to_rfc3339()),
                "revoked_at": t.revoked_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"tokens": tokens})))
}

pub(super) async fn revoke_token(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    as_caller(&state, &request, true, move |conn, caller| {
        if !accounts::revoke_token(conn, caller.user_id, id)? {
            return Err(AppError::not_found(crate::said!(
                "token.not_yours",
                "you have no active token {token}",
                token = id
            )));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts TOTP enrolment: a new secret, for the authenticator app. The factor is on only
/// once a code confirms it.
pub(super) async fn start_totp(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let enrolment = as_caller(&state, &request, true, start_totp_as).await?;
    Ok(HttpResponse::Created().json(json!({
        "secret": enrolment.secret,
        "otpauth_uri": enrolment.uri,
        "next": "POST /api/v1/me/totp/confirm with {\"code\": \"123456\"} from the app",
    })))
}

/// A second factor being set up: its secret in base32, and as an `otpauth://` address.
pub(crate) struct Enrolment {
    /// The secret, for typing into the authenticator app.
    pub secret: String,
    /// The `otpauth://totp/…` address, for a QR code or a link.
    pub uri: String,
}

/// Starts `caller`'s TOTP enrolment: a new secret, kept until a code confirms it.
pub(crate) fn start_totp_as(conn: &mut PgConnection, caller: Caller) -> AppResult<Enrolment> {
    if caller.totp_enabled {
        return Err(AppError::conflict(crate::said!(
            "totp.already_set_up",
            "a second factor is already set up"
        )));
    }
    let mut secret = [0u8; 20];
    getrandom::fill(&mut secret).map_err(AppError::internal)?;
    accounts::set_totp_secret(conn, caller.user_id, &secret)?;
    Ok(Enrolment::of(&secret, &caller.email))
}

impl Enrolment {
    /// The enrolment of `secret` for the account of `email`.
    pub(crate) fn of(secret: &[u8], email: &str) -> Enrolment {
        let secret = auth::base32(secret);
        let uri = format!(
            "otpauth://totp/Vitrine:{email}?secret={secret}&issuer=Vitrine&algorithm=SHA1&digits=6&period=30"
        );
        Enrolment { secret, uri }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: String,
}

pub(super) async fn confirm_totp(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (caller, form): (Caller, Code) = caller_and_form(&state, &request, payload).await?;
    blocking(&state.pool, move |conn| {
        confirm_totp_as(conn, &caller, &form.code)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Turns `caller`'s second factor on, if `code` is the current one of the secret their
/// enrolment made.
pub(crate) fn confirm_totp_as(
    conn: &mut PgConnection,
    caller: &Caller,
    code: &str,
) -> AppResult<()> {
    let secret = accounts::totp_secret(conn, caller.user_id)?;
    let secret = secret.ok_or_else(|| {
        AppError::conflict(crate::said!(
            "totp.not_started",
            "start with POST /api/v1/me/totp"
        ))
    })?;
    let step =
        auth::totp_match(&secret, code, chrono::Utc::now().timestamp()).ok_or_else(|| {
            AppError::invalid(
                ProblemType::TotpMismatch,
                crate::said!(
                    "totp.mismatch",
                    "check the device's clock and send the current code"
                ),
            )
        })?;
    accounts::enable_totp(conn, caller.user_id, step as i64)?;
    Ok(())
}

/// The anonymous statements (sealed bids, withdrawals, questions) the caller's
/// organisation sent: the platform's private record, shown to their senders only.
pub(super) async fn my_statements(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let rows = as_caller(&state, &request, false, |conn, caller| {
        Ok(accounts::statements_of(conn, &caller.organisation)?)
    })
    .await?;
    let statements: Vec<_> = rows
        .into_iter()
        .map(|sent| {
            let body = vitrine_ledger::statement::Entry::parse(&sent.entry)
                .map(|e| e.signed().statement().body().clone())
                .unwrap_or_default();
            json!({"index": sent.index, "kind": sent.kind, "tender": sent.subject, "body": body})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"statements": statements})))
}

#[derive(Deserialize)]
pub(super) struct NotificationQuery {
    /// Only those not yet read.
    #[serde(default)]
    unread: bool,
    /// Those older than this one (the cursor of the next page).
    before: Option<i64>,
    limit: Option<i64>,
}

/// The caller's notifications, newest first, with the number still unread.
pub(super) async fn my_notifications(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<NotificationQuery>,
) -> AppResult<HttpResponse> {
    let NotificationQuery {
        unread,
        before,
        limit,
    } = query.into_inner();
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            ProblemType::InvalidQuery,
            crate::said!("query.limit", "limit must be from 1 to {max}", max = 500),
        ));
    }
    let (rows, unread_count) = as_caller(&state, &request, false, move |conn, caller| {
        let rows = notifications::of_user(conn, caller.user_id, unread, before, limit)?;
        Ok((rows, notifications::unread_count(conn, caller.user_id)?))
    })
    .await?;
    let next_before = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id));
    let notifications: Vec<_> = rows.into_iter().map(notification).collect();
    Ok(HttpResponse::Ok().json(json!({
        "notifications": notifications,
        "unread": unread_count,
        "next_before": next_before.flatten(),
    })))
}

/// A notification as the API and the pages show it.
pub(crate) fn notification(n: notifications::Listed) -> Value {
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "id": n.id,
        "entry": n.entry_idx,
        "kind": n.kind,
        "tender": n.tender_id,
        "summary": n.summary,
        "created_at": time(n.created_at),
        "read_at": n.read_at.map(time),
    })
}

/// Marks one of the caller's notifications read.
pub(super) async fn read_notification(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    as_caller(&state, &request, true, move |conn, caller| {
        // Someone else's notification does not exist, as far as the caller can tell.
        if !notifications::mark_read(conn, caller.user_id, id)? {
            return Err(AppError::not_found(crate::said!(
                "account.no_notification",
                "you have no notification {notification}",
                notification = id
            )));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    organisation: String,
    email: String,
    display_name: String,
    role: String,
    password: String,
}

/// A platform administrator creates users of any organisation; an organisation's
/// administrator, of their own.
pub(super) async fn create_user(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (caller, form): (Caller, CreateUser) = caller_and_form(&state, &request, payload).await?;
    let id = blocking(&state.pool, move |conn| {
        let user = NewUser {
            organisation: &form.organisation,
            email: &form.email,
            display_name: &form.display_name,
            role: &form.role,
            password: &form.password,
        };
        create_user_as(conn, &caller, &user)
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({"id": id})))
}

/// Creates `user` for `caller` (whose CSRF token the route checked): a platform
/// administrator, for any organisation; an organisation's administrator, for their own;
/// either with their second factor set up. The new user's id.
pub(crate) fn create_user_as(
    conn: &mut PgConnection,
    caller: &Caller,
    user: &NewUser<'_>,
) -> AppResult<i64> {
    caller.check_totp()?;
    // Only the platform's administrators make platform administrators (an administrator
    // of the platform's own organisation may not).
    let makes_platform_admin = Role::parse_of_user(user.role.trim()) == Some(Role::PlatformAdmin);
    let allowed = caller.role == Role::PlatformAdmin
        || (caller.role == Role::OrganisationAdmin
            && caller.organisation == user.organisation
            && !makes_platform_admin);
    if !allowed {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ProblemType::Forbidden,
            crate::said!(
                "user.created_by",
                "users of {organisation} are created by its administrator or a platform administrator",
                organisation = user.organisation,
            ),
        ));
    }
    auth::create_user(conn, user)
}
