//! Accounts: users of organisations, their passwords (argon2id), sessions (cookies with
//! CSRF tokens), API tokens for machines, TOTP second factors (RFC 6238, required of
//! procurement officers and supervisors), lock-out after failed logins and a rate limit
//! on login per address.
//!
//! Users are not on the log: the log names organisations and their signing keys, never
//! people (DESIGN.md, "No personal data in the log").

use crate::db::schema::{api_tokens, organisations, sessions, users};
use crate::domain::types::{OrganisationKind, Role};
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use hmac::{KeyInit, Mac};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;

/// The session cookie.
pub const SESSION_COOKIE: &str = "vitrine_session";
/// The header a cookie-authenticated request must carry on any change.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins in a row that lock an account.
pub const LOCK_AFTER: i32 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// Whether a user of the role named `role` must use a second factor.
pub fn needs_totp(role: &str) -> bool {
    Role::parse(role).is_some_and(Role::needs_second_factor)
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a new password: long enough, not the e-mail address.
pub fn check_new_password(password: &str, email: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!("a password has at least {MIN_PASSWORD} characters"));
    }
    if password.eq_ignore_ascii_case(email) {
        return Err("the password cannot be the e-mail address".into());
    }
    Ok(())
}

/// A random secret of `n` bytes, URL-safe base64.
pub fn random_token(n: usize) -> Result<String, AppError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(B64URL.encode(bytes))
}

fn sha256(text: &str) -> Vec<u8> {
    vitrine_ledger::hash::sha256(text.as_bytes()).0.to_vec()
}

/// TOTP (RFC 6238) with HMAC-SHA1, 30-second steps, 6 digits: the code for `step`.
pub fn totp(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 1_000_000
}

/// The time step of `unix` seconds.
pub fn totp_step(unix: i64) -> u64 {
    (unix.max(0) / 30) as u64
}

/// The step a code matches, within one step of `now` either way.
pub fn totp_match(secret: &[u8], code: &str, now: i64) -> Option<u64> {
    let code: u32 = code
        .trim()
        .parse()
        .ok()
        .filter(|_| code.trim().len() == 6)?;
    let step = totp_step(now);
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| totp(secret, *s) == code)
}

/// Base32 (RFC 4648, no padding), for authenticator apps.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// What a request presents to authenticate: read on the HTTP worker, checked against
/// the database on a blocking thread.
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
                format!(
                    "a change made with a session cookie must carry the session's CSRF token in {CSRF_HEADER}"
                ),
            ))
        }
    }

    /// Refuses (403 `forbidden`, saying `why`) a caller whose role and organisation kind do
    /// not pass `allowed`.
    pub fn require(
        &self,
        allowed: impl FnOnce(Role, OrganisationKind) -> bool,
        why: &str,
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
                format!(
                    "a {} must set up a TOTP second factor (POST /api/v1/me/totp) before acting",
                    self.role
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
    type Row = (i64, String, String, String, String, bool);
    let columns = (
        users::id,
        users::organisation_id,
        organisations::kind,
        users::role,
        users::email,
        users::totp_enabled,
    );
    if let Some(header) = &credentials.authorization {
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthorized("the Authorization header must be \"Bearer <token>\""))?;
        let row: Option<(i64, Option<DateTime<Utc>>, Row)> = api_tokens::table
            .inner_join(users::table.inner_join(organisations::table))
            .filter(api_tokens::token_hash.eq(sha256(token)))
            .filter(api_tokens::revoked_at.is_null())
            .select((api_tokens::id, api_tokens::last_used, columns))
            .first(conn)
            .optional()?;
        let (
            token_id,
            last_used,
            (user_id, organisation, organisation_kind, role, email, totp_enabled),
        ) = row.ok_or_else(|| unauthorized("the API token is unknown or revoked"))?;
        // Recorded to the minute: a write per request would cost more than the request.
        if last_used.is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1)) {
            diesel::update(api_tokens::table.find(token_id))
                .set(api_tokens::last_used.eq(diesel::dsl::now))
                .execute(conn)?;
        }
        let (organisation_kind, role) = identity(&organisation, &organisation_kind, &role)?;
        return Ok(Some(Caller {
            user_id,
            organisation,
            organisation_kind,
            role,
            email,
            totp_enabled,
            csrf: None,
        }));
    }
    let Some(cookie) = &credentials.session else {
        return Ok(None);
    };
    let row: Option<(String, Row)> = sessions::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(sessions::token_hash.eq(sha256(cookie)))
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .select((sessions::csrf_token, columns))
        .first(conn)
        .optional()?;
    let (csrf, (user_id, organisation, organisation_kind, role, email, totp_enabled)) =
        row.ok_or_else(|| unauthorized("the session has expired or ended; log in again"))?;
    let (organisation_kind, role) = identity(&organisation, &organisation_kind, &role)?;
    Ok(Some(Caller {
        user_id,
        organisation,
        organisation_kind,
        role,
        email,
        totp_enabled,
        csrf: Some(csrf),
    }))
}

/// A user's organisation kind and role, as the tables name them; a name the types do
/// not know is an integrity failure, not the caller's.
fn identity(organisation: &str, kind: &str, role: &str) -> AppResult<(OrganisationKind, Role)> {
    match (OrganisationKind::parse(kind), Role::parse_of_user(role)) {
        (Some(kind), Some(role)) => Ok((kind, role)),
        _ => Err(AppError::internal(format!(
            "INTEGRITY ALARM: a user of {organisation} has kind {kind:?} and role {role:?}"
        ))),
    }
}

/// The caller, who must be authenticated.
pub fn require(conn: &mut PgConnection, credentials: &Credentials) -> AppResult<Caller> {
    authenticate(conn, credentials)?.ok_or_else(|| {
        unauthorized("log in (POST /api/v1/session) or send an API token (Authorization: Bearer)")
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
    why: &str,
) -> AppResult<Caller> {
    let caller = require_to_act(conn, credentials, change)?;
    caller.require(|role, _| role == Role::PlatformAdmin, why)?;
    Ok(caller)
}

/// Normalises an e-mail address (trimmed, lower case); `None` if it is not one.
pub fn email_address(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let plausible = email.contains('@')
        && email.len() <= 254
        && !email.starts_with('@')
        && !email.ends_with('@');
    plausible.then_some(email)
}

/// 401 with a problem document.
pub fn unauthorized(detail: impl Into<String>) -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        ProblemType::Unauthenticated,
        detail,
    )
}

/// What a login attempt gave.
pub struct Login {
    /// The session's secret, for the cookie.
    pub token: String,
    /// Its CSRF token.
    pub csrf: String,
    /// The user.
    pub user_id: i64,
}

/// Checks e-mail, password and (if set up) the TOTP code; locks the account after
/// [`LOCK_AFTER`] failures in a row. Every failure of e-mail or password reads the same.
pub fn login(
    conn: &mut PgConnection,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> AppResult<Login> {
    let email = email.trim().to_lowercase();
    type Row = (
        i64,
        String,
        Option<Vec<u8>>,
        bool,
        Option<i64>,
        i32,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = users::table
        .filter(users::email.eq(&email))
        .select((
            users::id,
            users::password_hash,
            users::totp_secret,
            users::totp_enabled,
            users::totp_last_step,
            users::failed_logins,
            users::locked_until,
        ))
        .first(conn)
        .optional()?;
    // One answer, in one time, for every failure of e-mail, password or lock: nothing
    // tells whether an address has an account, or whether it is locked.
    let wrong = || {
        unauthorized(format!(
            "the e-mail address or the password is wrong (after {LOCK_AFTER} failures in a row an account is locked for {LOCK_MINUTES} minutes)"
        ))
    };
    let Some((id, stored, secret, totp_enabled, last_step, failed, locked_until)) = row else {
        // Spend the time a real check takes, so timing does not tell who has an account.
        let _ = verify_password(dummy_hash(), password);
        return Err(wrong());
    };
    let password_ok = verify_password(&stored, password);
    if locked_until.is_some_and(|u| u > Utc::now()) {
        return Err(wrong());
    }
    // A wrong password, or a wrong second-factor code, counts toward the lock.
    let fail = |conn: &mut PgConnection| -> AppResult<()> {
        let failed = failed + 1;
        let lock =
            (failed >= LOCK_AFTER).then(|| Utc::now() + chrono::Duration::minutes(LOCK_MINUTES));
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(if lock.is_some() { 0 } else { failed }),
                users::locked_until.eq(lock),
            ))
            .execute(conn)?;
        Ok(())
    };
    if !password_ok {
        fail(conn)?;
        return Err(wrong());
    }
    if totp_enabled {
        let secret = secret.unwrap_or_default();
        let step = code
            .and_then(|c| totp_match(&secret, c, Utc::now().timestamp()))
            .filter(|s| last_step.is_none_or(|l| *s as i64 > l));
        let Some(step) = step else {
            // No code yet is the first step of logging in; a wrong one is a failure.
            if code.is_some() {
                fail(conn)?;
            }
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::TotpRequired,
                "send the current 6-digit code of your authenticator in totp (each code works once)",
            ));
        };
        diesel::update(users::table.find(id))
            .set(users::totp_last_step.eq(step as i64))
            .execute(conn)?;
    }
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
    let token = random_token(32)?;
    let csrf = random_token(24)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(sha256(&token)),
            sessions::user_id.eq(id),
            sessions::csrf_token.eq(&csrf),
            sessions::expires_at.eq(Utc::now() + chrono::Duration::hours(SESSION_HOURS)),
        ))
        .execute(conn)?;
    Ok(Login {
        token,
        csrf,
        user_id: id,
    })
}

/// Ends the session whose secret is `token`.
pub fn logout(conn: &mut PgConnection, token: &str) -> AppResult<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(sha256(token)))).execute(conn)?;
    Ok(())
}

/// A new API token for `user`: the secret, shown once, and its id.
pub fn create_token(conn: &mut PgConnection, user: i64, name: &str) -> AppResult<(i64, String)> {
    let token = format!("vtk_{}", random_token(32)?);
    let id = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user),
            api_tokens::token_hash.eq(sha256(&token)),
            api_tokens::name.eq(name),
        ))
        .returning(api_tokens::id)
        .get_result(conn)?;
    Ok((id, token))
}

/// A user to create.
pub struct NewUser<'a> {
    /// The organisation, registered on the log.
    pub organisation: &'a str,
    /// The e-mail address (stored lower-case).
    pub email: &'a str,
    /// A name to show.
    pub display_name: &'a str,
    /// The name of one of [`Role::OF_USERS`].
    pub role: &'a str,
    /// The initial password.
    pub password: &'a str,
}

/// Creates a user; refuses unknown organisations and roles, weak passwords and taken
/// addresses with a problem each.
pub fn create_user(conn: &mut PgConnection, user: &NewUser<'_>) -> AppResult<i64> {
    let email = email_address(user.email).ok_or_else(|| {
        AppError::invalid(ProblemType::InvalidUser, "email is not an e-mail address")
    })?;
    let Some(role) = Role::parse_of_user(user.role) else {
        return Err(AppError::invalid(
            ProblemType::InvalidUser,
            format!(
                "role must be one of {}",
                Role::OF_USERS.map(Role::as_str).join(", ")
            ),
        ));
    };
    if user.display_name.trim().is_empty() || user.display_name.chars().count() > 200 {
        return Err(AppError::invalid(
            ProblemType::InvalidUser,
            "display_name must be 1 to 200 characters",
        ));
    }
    check_new_password(user.password, &email)
        .map_err(|m| AppError::invalid(ProblemType::WeakPassword, m))?;
    let kind: Option<String> = crate::db::schema::organisations::table
        .find(user.organisation)
        .select(crate::db::schema::organisations::kind)
        .first(conn)
        .optional()?;
    let kind = kind
        .as_deref()
        .and_then(OrganisationKind::parse)
        .ok_or_else(|| {
            AppError::invalid(
                ProblemType::InvalidUser,
                format!(
                    "organisation {} is not registered on the log",
                    user.organisation
                ),
            )
        })?;
    if !role.fits(kind) {
        return Err(AppError::invalid(
            ProblemType::InvalidUser,
            format!("a {kind} organisation has no {role}"),
        ));
    }
    let hash = hash_password(user.password).map_err(AppError::internal)?;
    insert_user(
        conn,
        user.organisation,
        &email,
        user.display_name.trim(),
        role.as_str(),
        &hash,
    )
}

/// Refuses an address that already has an account.
pub fn check_address_free(conn: &mut PgConnection, email: &str) -> AppResult<()> {
    let taken: i64 = users::table
        .filter(users::email.eq(email))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(format!(
            "{email} already has an account"
        )));
    }
    Ok(())
}

/// Inserts a checked user with an argon2id password hash; refuses a taken address.
pub fn insert_user(
    conn: &mut PgConnection,
    organisation: &str,
    email: &str,
    display_name: &str,
    role: &str,
    password_hash: &str,
) -> AppResult<i64> {
    check_address_free(conn, email)?;
    Ok(diesel::insert_into(users::table)
        .values((
            users::organisation_id.eq(organisation),
            users::email.eq(email),
            users::display_name.eq(display_name),
            users::role.eq(role),
            users::password_hash.eq(password_hash),
        ))
        .returning(users::id)
        .get_result(conn)?)
}

/// An argon2id hash to verify against when the account does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no such account, no such password").unwrap_or_default())
}

/// Attempts per address (or per account): at most `limit` in `window`.
pub struct RateLimit<K = IpAddr> {
    limit: usize,
    window: Duration,
    /// What is counted, for the refusal: "login attempts".
    what: &'static str,
    seen: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: std::hash::Hash + Eq> RateLimit<K> {
    /// A limit of `limit` attempts per `window`; `what` names them ("login attempts").
    pub fn new(limit: usize, window: Duration, what: &'static str) -> RateLimit<K> {
        RateLimit {
            limit,
            window,
            what,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `address`; refuses it past the limit.
    pub fn check(&self, address: Option<K>) -> AppResult<()> {
        let Some(address) = address else {
            return Ok(());
        };
        let now = Instant::now();
        let mut seen = self.seen.lock().map_err(AppError::internal)?;
        if seen.len() > 100_000 {
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = seen.entry(address).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            // Until the oldest attempt in the window leaves it.
            let wait = times.front().map_or(self.window, |t| {
                self.window.saturating_sub(now.duration_since(*t))
            });
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemType::RateLimited,
                format!(
                    "at most {} {} per {} seconds; wait and try again",
                    self.limit,
                    self.what,
                    self.window.as_secs()
                ),
            )
            .with("retry_after_seconds", wait.as_secs().max(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA-1: the last six digits of the eight-digit codes.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            assert_eq!(totp(secret, totp_step(time)), code, "t = {time}");
        }
        assert_eq!(totp_match(secret, "287082", 59), Some(1));
        assert_eq!(totp_match(secret, "287082", 59 + 30), Some(1));
        assert_eq!(totp_match(secret, "287082", 59 + 90), None);
        assert_eq!(totp_match(secret, "28708", 59), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterx"));
        assert!(!verify_password("not a hash", "x"));
        assert!(check_new_password("short", "a@b.c").is_err());
    }

    #[test]
    fn the_rate_limit_counts_per_address() {
        let limit = RateLimit::new(2, Duration::from_secs(60), "login attempts");
        let a = Some(IpAddr::from([127, 0, 0, 1]));
        let b = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_err());
        assert!(limit.check(b).is_ok());
    }
}
