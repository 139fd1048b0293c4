//! User accounts, sessions and API tokens: the tables behind `crate::auth`. Secrets are
//! stored only hashed; the caller hashes them.

use super::schema::{api_tokens, organisations, sessions, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Who a session or token belongs to, as the tables name it (the caller parses the
/// names into types).
pub struct Identity {
    /// The user.
    pub user_id: i64,
    /// Their organisation.
    pub organisation: String,
    /// Its kind's name.
    pub organisation_kind: String,
    /// Their role's name.
    pub role: String,
    /// Their e-mail address.
    pub email: String,
    /// Whether they have a second factor.
    pub totp_enabled: bool,
}

type IdentityColumns = (i64, String, String, String, String, bool);

fn identity(
    (user_id, organisation, organisation_kind, role, email, totp_enabled): IdentityColumns,
) -> Identity {
    Identity {
        user_id,
        organisation,
        organisation_kind,
        role,
        email,
        totp_enabled,
    }
}

/// A live API token.
pub struct Token {
    /// Its id.
    pub id: i64,
    /// When it was last used (to the minute).
    pub last_used: Option<DateTime<Utc>>,
    /// Whose it is.
    pub identity: Identity,
}

/// The live API token whose secret hashes to `token_hash`.
pub fn by_api_token(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<Token>> {
    let row: Option<(i64, Option<DateTime<Utc>>, IdentityColumns)> = api_tokens::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::id,
            api_tokens::last_used,
            (
                users::id,
                users::organisation_id,
                organisations::kind,
                users::role,
                users::email,
                users::totp_enabled,
            ),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, last_used, columns)| Token {
        id,
        last_used,
        identity: identity(columns),
    }))
}

/// Records that an API token was used now.
pub fn touch_token(conn: &mut PgConnection, token_id: i64) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(token_id))
        .set(api_tokens::last_used.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// The unexpired session whose secret hashes to `token_hash`: its CSRF token and whose it
/// is.
pub fn by_session(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<(String, Identity)>> {
    let row: Option<(String, IdentityColumns)> = sessions::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .select((
            sessions::csrf_token,
            (
                users::id,
                users::organisation_id,
                organisations::kind,
                users::role,
                users::email,
                users::totp_enabled,
            ),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(csrf, columns)| (csrf, identity(columns))))
}

/// What logging in checks of an account.
pub struct LoginRow {
    /// The user.
    pub id: i64,
    /// Their password's argon2id hash (PHC string).
    pub password_hash: String,
    /// Their TOTP secret, if they started enrolment.
    pub totp_secret: Option<Vec<u8>>,
    /// Whether the second factor is on.
    pub totp_enabled: bool,
    /// The last TOTP step used (each code works once).
    pub totp_last_step: Option<i64>,
    /// Failed logins in a row.
    pub failed_logins: i32,
    /// Until when the account is locked, if it is.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The account of `email` (normalised), if there is one.
pub fn for_login(conn: &mut PgConnection, email: &str) -> QueryResult<Option<LoginRow>> {
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
        .filter(users::email.eq(email))
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
    Ok(row.map(
        |(
            id,
            password_hash,
            totp_secret,
            totp_enabled,
            totp_last_step,
            failed_logins,
            locked_until,
        )| {
            LoginRow {
                id,
                password_hash,
                totp_secret,
                totp_enabled,
                totp_last_step,
                failed_logins,
                locked_until,
            }
        },
    ))
}

/// Sets the count of failed logins and the lock.
pub fn set_failures(
    conn: &mut PgConnection,
    user: i64,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set((
            users::failed_logins.eq(failed_logins),
            users::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records the TOTP step a login used, so that its code works once.
pub fn use_totp_step(conn: &mut PgConnection, user: i64, step: i64) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set(users::totp_last_step.eq(step))
        .execute(conn)?;
    Ok(())
}

/// A new session.
pub fn insert_session(
    conn: &mut PgConnection,
    token_hash: &[u8],
    user: i64,
    csrf: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user),
            sessions::csrf_token.eq(csrf),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends the session whose secret hashes to `token_hash`.
pub fn delete_session(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)?;
    Ok(())
}

/// A new API token for `user`; its id.
pub fn insert_token(
    conn: &mut PgConnection,
    user: i64,
    token_hash: &[u8],
    name: &str,
) -> QueryResult<i64> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::name.eq(name),
        ))
        .returning(api_tokens::id)
        .get_result(conn)
}

/// Whether the (normalised) address has an account.
pub fn address_taken(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    let taken: i64 = users::table
        .filter(users::email.eq(email))
        .count()
        .get_result(conn)?;
    Ok(taken > 0)
}

/// A new user; its id.
pub fn insert_user(
    conn: &mut PgConnection,
    organisation: &str,
    email: &str,
    display_name: &str,
    role: &str,
    password_hash: &str,
) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values((
            users::organisation_id.eq(organisation),
            users::email.eq(email),
            users::display_name.eq(display_name),
            users::role.eq(role),
            users::password_hash.eq(password_hash),
        ))
        .returning(users::id)
        .get_result(conn)
}
