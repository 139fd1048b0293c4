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
