//! Suppliers' applications to register, waiting for a platform administrator: the
//! `registrations` table. Nothing here is on the log; an approval logs the organisation
//! and its key through the platform.

use super::schema::registrations;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

/// What an application asks to register.
pub struct NewApplication<'a> {
    /// The organisation's id (the statement's subject).
    pub organisation: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its unified social credit code.
    pub credit_code: &'a str,
    /// The key it registers.
    pub public_key: &'a [u8],
    /// The signed statement, which proves the applicant holds the key.
    pub proof: &'a serde_json::Value,
    /// The first administrator's (normalised) address.
    pub admin_email: &'a str,
    /// Their name.
    pub admin_name: &'a str,
    /// Their password, hashed.
    pub password_hash: &'a str,
}

/// Files the application; its number, or `None` when one with the same organisation id,
/// credit code or key is already waiting.
pub fn insert(conn: &mut PgConnection, new: &NewApplication<'_>) -> QueryResult<Option<i64>> {
    let inserted = diesel::insert_into(registrations::table)
        .values((
            registrations::organisation_id.eq(new.organisation),
            registrations::name.eq(new.name),
            registrations::credit_code.eq(new.credit_code),
            registrations::public_key.eq(new.public_key),
            registrations::proof.eq(new.proof),
            registrations::admin_email.eq(new.admin_email),
            registrations::admin_name.eq(new.admin_name),
            registrations::password_hash.eq(new.password_hash),
        ))
        .returning(registrations::id)
        .get_result::<i64>(conn);
    match inserted {
        Ok(number) => Ok(Some(number)),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An application as the reviewers' list shows it.
#[derive(Queryable)]
pub struct Listed {
    /// Its number.
    pub id: i64,
    /// The organisation's id.
    pub organisation: String,
    /// Its name.
    pub name: String,
    /// Its credit code.
    pub credit_code: String,
    /// The key it registers.
    pub public_key: Vec<u8>,
    /// The first administrator's address.
    pub admin_email: String,
    /// Their name.
    pub admin_name: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

/// At most `limit` applications, oldest first, of one status or all.
pub fn list(conn: &mut PgConnection, status: Option<&str>, limit: i64) -> QueryResult<Vec<Listed>> {
    let mut listing = registrations::table
        .order(registrations::id)
        .limit(limit)
        .select((
            registrations::id,
            registrations::organisation_id,
            registrations::name,
            registrations::credit_code,
            registrations::public_key,
            registrations::admin_email,
            registrations::admin_name,
            registrations::status,
            registrations::reason,
            registrations::created_at,
        ))
        .into_boxed();
    if let Some(status) = status {
        listing = listing.filter(registrations::status.eq(status));
    }
    listing.load(conn)
}

/// An application as its review needs it.
#[derive(Queryable)]
pub struct Application {
    /// The organisation's id.
    pub organisation: String,
    /// Its name.
    pub name: String,
    /// Its credit code.
    pub credit_code: String,
    /// The key it registers.
    pub public_key: Vec<u8>,
    /// The first administrator's address.
    pub admin_email: String,
    /// Their name.
    pub admin_name: String,
    /// Their password, hashed.
    pub password_hash: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// The entry that logged its organisation, once its approval has.
    pub organisation_idx: Option<i64>,
}

/// Application `id`, if there is one.
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Application>> {
    registrations::table
        .find(id)
        .select((
            registrations::organisation_id,
            registrations::name,
            registrations::credit_code,
            registrations::public_key,
            registrations::admin_email,
            registrations::admin_name,
            registrations::password_hash,
            registrations::status,
            registrations::organisation_idx,
        ))
        .first(conn)
        .optional()
}

/// Records that entry `index` logged application `id`'s organisation.
pub fn set_organisation_idx(conn: &mut PgConnection, id: i64, index: i64) -> QueryResult<()> {
    diesel::update(registrations::table.find(id))
        .set(registrations::organisation_idx.eq(index))
        .execute(conn)?;
    Ok(())
}

/// How a review ends.
pub enum Decision<'a> {
    /// Approved: the organisation and its key are on the log.
    Approved,
    /// Rejected, for this reason.
    Rejected(&'a str),
}

/// Records the decision on application `id` by user `by`, if the application is still
/// pending; whether it was.
pub fn decide(
    conn: &mut PgConnection,
    id: i64,
    decision: Decision<'_>,
    by: i64,
) -> QueryResult<bool> {
    let pending = registrations::table
        .find(id)
        .filter(registrations::status.eq("pending"));
    let (status, reason) = match decision {
        Decision::Approved => ("approved", None),
        Decision::Rejected(reason) => ("rejected", Some(reason)),
    };
    let decided = diesel::update(pending)
        .set((
            registrations::status.eq(status),
            registrations::reason.eq(reason),
            registrations::decided_at.eq(diesel::dsl::now),
            registrations::decided_by.eq(by),
        ))
        .execute(conn)?;
    Ok(decided > 0)
}
