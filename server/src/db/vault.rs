//! The vault's writes: donors' data and salts behind the commitments donations log,
//! kept off the log in the transaction that logs them (see `funds.rs` for its reads and
//! erasure).

use super::writes::Writes;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Jsonb, Nullable, Text};
use serde_json::Value;

/// A donor's data and salt for the commitment they open, with the charity and fund that
/// keep it, and the name the donor agreed to be shown by (if they did).
#[derive(Debug, Clone)]
pub struct VaultEntry {
    /// SHA-256 of the data and salt, lowercase hex: what the donation logs.
    pub commitment: String,
    /// The charity.
    pub charity: String,
    /// The fund.
    pub fund: String,
    /// The donor's data.
    pub data: Value,
    /// The salt.
    pub salt: [u8; 32],
    /// The public name.
    pub public_name: Option<String>,
}

/// Keeps donors' data and salts; how many are new. The same commitment again is kept
/// once, as it was first stored (the data and salt open it, so they are the same; a public
/// name sent again differently is not taken).
pub fn store(conn: &mut PgConnection, entries: &[&VaultEntry]) -> QueryResult<usize> {
    let mut writes = Writes::default();
    let stored = store_with(&mut writes, entries);
    Ok(writes.execute(conn, stored.as_deref())? as usize)
}

/// [`store`] as one of several writes: the name of its clause, which returns a row
/// for each new entry.
pub fn store_with<'a>(writes: &mut Writes<'a>, entries: &[&'a VaultEntry]) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    let entries = entries.to_vec();
    Some(writes.add(
        "INSERT INTO donor_vault (commitment, charity_id, fund_id, data, salt, public_name)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::bytea[],
                              $6::text[])
         ON CONFLICT (commitment) DO NOTHING RETURNING 1",
        move |q| {
            q.bind::<Array<Text>, _>(entries.iter().map(|e| &e.commitment).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(entries.iter().map(|e| &e.charity).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(entries.iter().map(|e| &e.fund).collect::<Vec<_>>())
                .bind::<Array<Jsonb>, _>(entries.iter().map(|e| &e.data).collect::<Vec<_>>())
                .bind::<Array<Bytea>, _>(entries.iter().map(|e| &e.salt[..]).collect::<Vec<_>>())
                .bind::<Array<Nullable<Text>>, _>(
                    entries
                        .iter()
                        .map(|e| e.public_name.as_ref())
                        .collect::<Vec<_>>(),
                )
        },
    ))
}
