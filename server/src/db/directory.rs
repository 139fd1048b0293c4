//! The key directory's tables: organisations and participant keys, loaded whole by the
//! sequencer and written by the entries that register and revoke them.

use super::schema::{organisations, participant_keys};
use crate::domain::types::{OrganisationKind, Role};
use crate::domain::{Directory, KeyRecord};
use diesel::prelude::*;

/// The directory as the tables hold it.
pub fn load(conn: &mut PgConnection) -> Result<Directory, String> {
    let mut directory = Directory::default();
    let rows: Vec<(String, String, Option<String>)> = organisations::table
        .select((
            organisations::id,
            organisations::kind,
            organisations::credit_code,
        ))
        .load(conn)
        .map_err(|e| e.to_string())?;
    for (id, kind, code) in rows {
        let kind = OrganisationKind::parse(&kind).ok_or_else(|| {
            format!("INTEGRITY ALARM: organisation {id} has an unknown kind {kind:?}")
        })?;
        if let Some(code) = code {
            directory.credit_codes.insert(code, id.clone());
        }
        directory.organisations.insert(id, kind);
    }
    let keys: Vec<(Vec<u8>, String, String, Option<i64>)> = participant_keys::table
        .select((
            participant_keys::public_key,
            participant_keys::organisation_id,
            participant_keys::role,
            participant_keys::revoked_idx,
        ))
        .load(conn)
        .map_err(|e| e.to_string())?;
    for (key, organisation, role, revoked) in keys {
        let (Ok(key), Some(role)) = (<[u8; 32]>::try_from(key), Role::parse(&role)) else {
            return Err("INTEGRITY ALARM: a malformed row in participant_keys".into());
        };
        directory.keys.insert(
            key,
            KeyRecord {
                organisation,
                role,
                revoked: revoked.is_some(),
            },
        );
    }
    Ok(directory)
}

/// A key as the directory lists it.
pub struct KeyRow {
    /// The key.
    pub public_key: Vec<u8>,
    /// Its organisation.
    pub organisation: String,
    /// Its role's name.
    pub role: String,
    /// The entry that registered it.
    pub registered_idx: i64,
    /// The entry that revoked it, if one did.
    pub revoked_idx: Option<i64>,
}

/// An organisation as the directory lists it.
pub struct OrganisationRow {
    /// Its name.
    pub name: String,
    /// Its kind's name.
    pub kind: String,
    /// The entry that registered it.
    pub registered_idx: i64,
    /// Its unified social credit code, if it has one.
    pub credit_code: Option<String>,
}

/// The key `public_key`, if registered.
pub fn key(conn: &mut PgConnection, public_key: &[u8]) -> QueryResult<Option<KeyRow>> {
    let row: Option<(String, String, i64, Option<i64>)> = participant_keys::table
        .find(public_key)
        .select((
            participant_keys::organisation_id,
            participant_keys::role,
            participant_keys::registered_idx,
            participant_keys::revoked_idx,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(organisation, role, registered_idx, revoked_idx)| KeyRow {
            public_key: public_key.to_vec(),
            organisation,
            role,
            registered_idx,
            revoked_idx,
        }),
    )
}

/// The organisation `id`, if registered.
pub fn organisation(conn: &mut PgConnection, id: &str) -> QueryResult<Option<OrganisationRow>> {
    let row: Option<(String, String, i64, Option<String>)> = organisations::table
        .find(id)
        .select((
            organisations::name,
            organisations::kind,
            organisations::registered_idx,
            organisations::credit_code,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(name, kind, registered_idx, credit_code)| OrganisationRow {
            name,
            kind,
            registered_idx,
            credit_code,
        },
    ))
}

/// The keys of organisation `id`, in the order they were registered.
pub fn keys_of(conn: &mut PgConnection, id: &str) -> QueryResult<Vec<KeyRow>> {
    let rows: Vec<(Vec<u8>, String, i64, Option<i64>)> = participant_keys::table
        .filter(participant_keys::organisation_id.eq(id))
        .select((
            participant_keys::public_key,
            participant_keys::role,
            participant_keys::registered_idx,
            participant_keys::revoked_idx,
        ))
        .order(participant_keys::registered_idx)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(public_key, role, registered_idx, revoked_idx)| KeyRow {
            public_key,
            organisation: id.to_owned(),
            role,
            registered_idx,
            revoked_idx,
        })
        .collect())
}

/// What of a new organisation the directory holds already.
pub enum Taken {
    /// The organisation id.
    Organisation,
    /// The credit code, by this organisation.
    CreditCode(String),
    /// The key.
    Key,
}

/// The first of an organisation id, a credit code and a key that the directory holds
/// already (what an application asks to register).
pub fn taken(
    conn: &mut PgConnection,
    organisation: &str,
    credit_code: &str,
    public_key: &[u8],
) -> QueryResult<Option<Taken>> {
    if organisations::table
        .find(organisation)
        .count()
        .get_result::<i64>(conn)?
        > 0
    {
        return Ok(Some(Taken::Organisation));
    }
    let holder: Option<String> = organisations::table
        .filter(organisations::credit_code.eq(credit_code))
        .select(organisations::id)
        .first(conn)
        .optional()?;
    if let Some(holder) = holder {
        return Ok(Some(Taken::CreditCode(holder)));
    }
    let key_taken: i64 = participant_keys::table
        .find(public_key)
        .count()
        .get_result(conn)?;
    Ok((key_taken > 0).then_some(Taken::Key))
}
