//! User accounts, sessions and API tokens: the tables behind `crate::auth`. Secrets are
//! stored only hashed; the caller hashes them.

use super::schema::{api_tokens, organisations, sessions, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Who a session or token belongs to, as the tables name it (the caller parses the
/// names into types).
#[derive(Clone)]
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

/// The columns an [`Identity`] is read from, for queries that join users and
/// organisations.
const IDENTITY: (
    users::id,
    users::organisation_id,
    organisations::kind,
    users::role,
    users::email,
    users::totp_enabled,
) = (
    users::id,
    users::organisation_id,
    organisations::kind,
    users::role,
    users::email,
    users::totp_enabled,
);

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
#[derive(Clone)]
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
        .select((api_tokens::id, api_tokens::last_used, IDENTITY))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, last_used, columns)| Token {
        id,
        last_used,
        identity: identity(columns),
    }))
}

/// The live API tokens whose secrets hash to `token_hashes`, with their hashes, in one
/// query (what [`by_api_token`] does for each).
pub fn by_api_tokens(
    conn: &mut PgConnection,
    token_hashes: &[Vec<u8>],
) -> QueryResult<Vec<(Vec<u8>, Token)>> {
    type Row = (Vec<u8>, i64, Option<DateTime<Utc>>, IdentityColumns);
    let rows: Vec<Row> = api_tokens::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(api_tokens::token_hash.eq_any(token_hashes))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::token_hash,
            api_tokens::id,
            api_tokens::last_used,
            IDENTITY,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(hash, id, last_used, columns)| {
            let token = Token {
                id,
                last_used,
                identity: identity(columns),
            };
            (hash, token)
        })
        .collect())
}

/// Records that the API tokens `token_ids` were used now, in one statement.
pub fn touch_tokens(conn: &mut PgConnection, token_ids: &[i64]) -> QueryResult<()> {
    diesel::update(api_tokens::table.filter(api_tokens::id.eq_any(token_ids)))
        .set(api_tokens::last_used.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
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
        .select((sessions::csrf_token, IDENTITY))
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

/// A user as their own page shows them.
pub struct Profile {
    /// The address.
    pub email: String,
    /// The name shown.
    pub display_name: String,
    /// The organisation.
    pub organisation: String,
    /// The role's name.
    pub role: String,
    /// Whether the second factor is on.
    pub totp_enabled: bool,
}

/// User `id`.
pub fn profile(conn: &mut PgConnection, id: i64) -> QueryResult<Profile> {
    let (email, display_name, organisation, role, totp_enabled) = users::table
        .find(id)
        .select((
            users::email,
            users::display_name,
            users::organisation_id,
            users::role,
            users::totp_enabled,
        ))
        .first::<(String, String, String, String, bool)>(conn)?;
    Ok(Profile {
        email,
        display_name,
        organisation,
        role,
        totp_enabled,
    })
}

/// An API token as its owner lists it (never its secret).
pub struct TokenListing {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The user's API tokens, oldest first.
pub fn tokens_of(conn: &mut PgConnection, user: i64) -> QueryResult<Vec<TokenListing>> {
    type Row = (
        i64,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = api_tokens::table
        .filter(api_tokens::user_id.eq(user))
        .order(api_tokens::id)
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::created_at,
            api_tokens::last_used,
            api_tokens::revoked_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, created_at, last_used, revoked_at)| TokenListing {
                id,
                name,
                created_at,
                last_used,
                revoked_at,
            },
        )
        .collect())
}

/// Revokes the user's active token `id`; `false` if they have none by that id.
pub fn revoke_token(conn: &mut PgConnection, user: i64, id: i64) -> QueryResult<bool> {
    let revoked = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(revoked == 1)
}

/// Keeps a new TOTP secret for the user (not yet on).
pub fn set_totp_secret(conn: &mut PgConnection, user: i64, secret: &[u8]) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set(users::totp_secret.eq(secret))
        .execute(conn)?;
    Ok(())
}

/// The user's TOTP secret, if they started enrolment.
pub fn totp_secret(conn: &mut PgConnection, user: i64) -> QueryResult<Option<Vec<u8>>> {
    users::table
        .find(user)
        .select(users::totp_secret)
        .first(conn)
}

/// Turns the user's second factor on, the confirming code's step used.
pub fn enable_totp(conn: &mut PgConnection, user: i64, step: i64) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set((users::totp_enabled.eq(true), users::totp_last_step.eq(step)))
        .execute(conn)?;
    Ok(())
}

/// An anonymous statement an organisation sent, as logged.
pub struct Sent {
    /// The entry's index.
    pub index: i64,
    /// The statement's kind.
    pub kind: String,
    /// Its subject (the tender).
    pub subject: String,
    /// The entry.
    pub entry: Vec<u8>,
}

/// The anonymous statements `organisation` sent (the private record), in log order.
pub fn statements_of(conn: &mut PgConnection, organisation: &str) -> QueryResult<Vec<Sent>> {
    use super::schema::{log_entries, private_authors};
    let rows: Vec<(i64, String, String, Vec<u8>)> = private_authors::table
        .inner_join(log_entries::table.on(log_entries::idx.eq(private_authors::entry_idx)))
        .filter(private_authors::organisation_id.eq(organisation))
        .order(private_authors::entry_idx)
        .select((
            log_entries::idx,
            log_entries::kind,
            log_entries::subject,
            log_entries::entry,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(index, kind, subject, entry)| Sent {
            index,
            kind,
            subject,
            entry,
        })
        .collect())
}

/// The organisation and the role's name of the account with the (normalised) address,
/// if there is one.
pub fn organisation_and_role(
    conn: &mut PgConnection,
    email: &str,
) -> QueryResult<Option<(String, String)>> {
    users::table
        .filter(users::email.eq(email))
        .select((users::organisation_id, users::role))
        .first(conn)
        .optional()
}

/// A user as an administrator lists them (never their password or second factor).
#[derive(Debug, serde::Serialize)]
pub struct UserListing {
    /// Their id.
    pub id: i64,
    /// Their organisation.
    pub organisation: String,
    /// Their address.
    pub email: String,
    /// Their name.
    pub display_name: String,
    /// Their role's name.
    pub role: String,
    /// Whether their second factor is on.
    pub totp_enabled: bool,
    /// When the account was made (RFC 3339).
    pub created_at: String,
}

/// The users of `organisation` (of every organisation if `None`), newest first, at most
/// `limit`.
pub fn users(
    conn: &mut PgConnection,
    organisation: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserListing>> {
    let mut query = users::table
        .order(users::id.desc())
        .limit(limit)
        .select((
            users::id,
            users::organisation_id,
            users::email,
            users::display_name,
            users::role,
            users::totp_enabled,
            users::created_at,
        ))
        .into_boxed();
    if let Some(organisation) = organisation {
        query = query.filter(users::organisation_id.eq(organisation.to_owned()));
    }
    type Row = (i64, String, String, String, String, bool, DateTime<Utc>);
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, organisation, email, display_name, role, totp_enabled, created_at)| UserListing {
                id,
                organisation,
                email,
                display_name,
                role,
                totp_enabled,
                created_at: created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
        )
        .collect())
}
