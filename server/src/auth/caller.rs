//! Who makes a request: the credentials it presents (a session cookie with its CSRF
//! token, or an API token), the typed [`Caller`] they resolve to, and the checks a route
//! asks of it.

use super::secrets::*;
use crate::db::accounts;
use crate::domain::said::Said;
use crate::domain::types::{OrganisationKind, Role};
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::Utc;
use diesel::pg::PgConnection;
use subtle::ConstantTimeEq as _;

/// The session cookie.
pub const SESSION_COOKIE: &str = "vitrine_session";
/// The header a cookie-authenticated request must carry on any change.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether a user of the role named `role` must use a second factor.
pub fn needs_totp(role: &str) -> bool {
    Role::parse(role).is_some_and(Role::needs_second_factor)
}

/// What a request presents to authenticate: read on the HTTP worker, checked against
/// the database on a blocking thread (or, for API tokens on the busiest routes, together
/// with the others waiting, by `TokenLookups`).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The session cookie's value, if any.
    pub session: Option<String>,
    /// The CSRF header, if any.
    pub csrf: Option<String>,
}

impl Credentials {
    /// Reads them from a request.
    pub fn of(request: &HttpRequest) -> Credentials {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Credentials {
            authorization: header("authorization"),
            session: request.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()),
            csrf: header(CSRF_HEADER),
        }
    }
}

/// Who made a request, and how.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user_id: i64,
    /// Their organisation.
    pub organisation: String,
    /// What it is.
    pub organisation_kind: OrganisationKind,
    /// Their role.
    pub role: Role,
    /// Their e-mail address.
    pub email: String,
    /// Whether they have a second factor (required of some roles before they act).
    pub totp_enabled: bool,
    /// The session's CSRF token, if a session cookie authenticated the request (API
    /// tokens need none).
    pub csrf: Option<String>,
}

impl Caller {
    /// Refuses a change made with a session cookie but without its CSRF token.
    pub fn check_csrf(&self, credentials: &Credentials) -> AppResult<()> {
        let Some(expected) = &self.csrf else {
            return Ok(());
        };
        let given = credentials.csrf.as_deref().unwrap_or_default();
        if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            Ok(())
        } else {
            Err(AppError::new(
                StatusCode::FORBIDDEN,
                ProblemType::Csrf,
                crate::said!(
                    "session.csrf_missing",
                    "a change made with a session cookie must carry the session's CSRF token in {header}",
                    header = CSRF_HEADER,
                ),
            ))
        }
    }

    /// Refuses (403 `forbidden`, saying `why`) a caller whose role and organisation kind do
    /// not pass `allowed`.
    pub fn require(
        &self,
        allowed: impl FnOnce(Role, OrganisationKind) -> bool,
        why: impl Into<Said>,
    ) -> AppResult<()> {
        if allowed(self.role, self.organisation_kind) {
            Ok(())
        } else {
            Err(AppError::forbidden(why))
        }
    }

    /// Refuses users whose role needs a second factor they have not set up.
    pub fn check_totp(&self) -> AppResult<()> {
        if self.role.needs_second_factor() && !self.totp_enabled {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                ProblemType::TotpRequired,
                crate::said!(
                    "session.totp_first",
                    "a {role} must set up a TOTP second factor (POST /api/v1/me/totp) before acting",
                    role = self.role,
                ),
            ));
        }
        Ok(())
    }
}

/// Finds the caller from the session cookie or the `Authorization: Bearer` token;
/// `None` if the request carries neither. A cookie or token that does not match is an
/// error (401), not an anonymous request.
pub fn authenticate(
    conn: &mut PgConnection,
    credentials: &Credentials,
) -> AppResult<Option<Caller>> {
    if let Some(header) = &credentials.authorization {
        let found = accounts::by_api_token(conn, &bearer_hash(header)?)?;
        if let Some(token) = found.as_ref().filter(|t| use_to_record(t)) {
            accounts::touch_token(conn, token.id)?;
        }
        return token_caller(found).map(Some);
    }
    let Some(cookie) = &credentials.session else {
        return Ok(None);
    };
    let (csrf, found) = accounts::by_session(conn, &sha256(cookie))?.ok_or_else(|| {
        unauthorized(crate::said!(
            "session.expired",
            "the session has expired or ended; log in again"
        ))
    })?;
    caller(found, Some(csrf)).map(Some)
}

/// The hash of the API token an `Authorization` header carries; 401 unless the header
/// is `Bearer <token>`.
pub(super) fn bearer_hash(header: &str) -> AppResult<Vec<u8>> {
    let token = header.strip_prefix("Bearer ").ok_or_else(|| {
        unauthorized(crate::said!(
            "token.bearer",
            "the Authorization header must be \"Bearer <token>\""
        ))
    })?;
    Ok(sha256(token))
}

/// Whether a token's use is to be recorded now: to the minute, as a write per request
/// would cost more than the request.
pub(super) fn use_to_record(token: &accounts::Token) -> bool {
    token
        .last_used
        .is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1))
}

/// The caller a live token names; 401 if no live token matched.
pub(super) fn token_caller(found: Option<accounts::Token>) -> AppResult<Caller> {
    let token = found.ok_or_else(|| {
        unauthorized(crate::said!(
            "token.unknown",
            "the API token is unknown or revoked"
        ))
    })?;
    caller(token.identity, None)
}

/// The caller an account row names; an organisation kind or role the types do not know
/// is an integrity failure, not the caller's.
fn caller(found: accounts::Identity, csrf: Option<String>) -> AppResult<Caller> {
    let kind = OrganisationKind::parse(&found.organisation_kind);
    let role = Role::parse_of_user(&found.role);
    let (Some(organisation_kind), Some(role)) = (kind, role) else {
        return Err(AppError::internal(format!(
            "INTEGRITY ALARM: a user of {} has kind {:?} and role {:?}",
            found.organisation, found.organisation_kind, found.role
        )));
    };
    Ok(Caller {
        user_id: found.user_id,
        organisation: found.organisation,
        organisation_kind,
        role,
        email: found.email,
        totp_enabled: found.totp_enabled,
        csrf,
    })
}

/// The caller, who must be authenticated.
pub fn require(conn: &mut PgConnection, credentials: &Credentials) -> AppResult<Caller> {
    authenticate(conn, credentials)?.ok_or_else(|| {
        unauthorized(crate::said!(
            "session.required",
            "log in (POST /api/v1/session) or send an API token (Authorization: Bearer)"
        ))
    })
}

/// The caller, who must be authenticated and allowed to act now: a change made with a
/// session carries its CSRF token, and a role that needs a second factor has set it up.
pub fn require_to_act(
    conn: &mut PgConnection,
    credentials: &Credentials,
    change: bool,
) -> AppResult<Caller> {
    let caller = require(conn, credentials)?;
    if change {
        caller.check_csrf(credentials)?;
    }
    caller.check_totp()?;
    Ok(caller)
}

/// The caller, who must be a platform administrator allowed to act now (see
/// [`require_to_act`]); `why` says what they alone may do.
pub fn require_platform_admin(
    conn: &mut PgConnection,
    credentials: &Credentials,
    change: bool,
    why: impl Into<Said>,
) -> AppResult<Caller> {
    let caller = require_to_act(conn, credentials, change)?;
    caller.require(|role, _| role == Role::PlatformAdmin, why)?;
    Ok(caller)
}

/// 401 with a problem document.
pub fn unauthorized(detail: impl Into<Said>) -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        ProblemType::Unauthenticated,
        detail,
    )
}
