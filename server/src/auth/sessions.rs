//! Logging in and out, and API tokens: sessions with CSRF tokens, lock-out after failed
//! logins.

use super::caller::*;
use super::passwords::*;
use super::secrets::*;
use super::totp::*;
use crate::db::schema::{api_tokens, sessions, users};
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

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
