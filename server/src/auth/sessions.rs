//! Logging in and out, and API tokens: sessions with CSRF tokens, lock-out after failed
//! logins.

use super::caller::*;
use super::passwords::*;
use super::secrets::*;
use super::totp::*;
use crate::db::accounts;
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::http::StatusCode;
use chrono::Utc;
use diesel::pg::PgConnection;

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins in a row that lock an account.
pub const LOCK_AFTER: i32 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

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
    let row = accounts::for_login(conn, &email)?;
    // One answer, in one time, for every failure of e-mail, password or lock: nothing
    // tells whether an address has an account, or whether it is locked.
    let wrong = || {
        unauthorized(crate::said!(
            "session.wrong_password",
            "the e-mail address or the password is wrong (after {failures} failures in a row an account is locked for {minutes} minutes)",
            failures = LOCK_AFTER,
            minutes = LOCK_MINUTES,
        ))
    };
    let Some(account) = row else {
        // Spend the time a real check takes, so timing does not tell who has an account.
        let _ = verify_password(dummy_hash(), password);
        return Err(wrong());
    };
    let id = account.id;
    let password_ok = verify_password(&account.password_hash, password);
    if account.locked_until.is_some_and(|u| u > Utc::now()) {
        return Err(wrong());
    }
    // A wrong password, or a wrong second-factor code, counts toward the lock.
    let fail = |conn: &mut PgConnection| -> AppResult<()> {
        let failed = account.failed_logins + 1;
        let lock =
            (failed >= LOCK_AFTER).then(|| Utc::now() + chrono::Duration::minutes(LOCK_MINUTES));
        accounts::set_failures(conn, id, if lock.is_some() { 0 } else { failed }, lock)?;
        Ok(())
    };
    if !password_ok {
        fail(conn)?;
        return Err(wrong());
    }
    if account.totp_enabled {
        let secret = account.totp_secret.clone().unwrap_or_default();
        let last_step = account.totp_last_step;
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
                crate::said!(
                    "session.totp_code",
                    "send the current 6-digit code of your authenticator in totp (each code works once)"
                ),
            ));
        };
        accounts::use_totp_step(conn, id, step as i64)?;
    }
    accounts::set_failures(conn, id, 0, None)?;
    let token = random_token(32)?;
    let csrf = random_token(24)?;
    let expires = Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    accounts::insert_session(conn, &sha256(&token), id, &csrf, expires)?;
    Ok(Login {
        token,
        csrf,
        user_id: id,
    })
}

/// Ends the session whose secret is `token`.
pub fn logout(conn: &mut PgConnection, token: &str) -> AppResult<()> {
    Ok(accounts::delete_session(conn, &sha256(token))?)
}

/// A new API token for `user`: the secret, shown once, and its id.
pub fn create_token(conn: &mut PgConnection, user: i64, name: &str) -> AppResult<(i64, String)> {
    let token = format!("vtk_{}", random_token(32)?);
    let id = accounts::insert_token(conn, user, &sha256(&token), name)?;
    Ok((id, token))
}
