//! Replay: rebuild every projection from the log into a scratch schema and compare it with
//! the live tables. A difference is an integrity alarm; it is reported with the entries
//! concerned. Everything happens in one transaction that is rolled back, so a replay
//! changes nothing.

use crate::db::schema;
use crate::domain::{Directory, Effect, Registry};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use vitrine_ledger::statement::Entry;

/// Projection tables, the columns compared, and the column naming the entry.
const TABLES: [(&str, &str, &str); 7] = [
    (
        "organisations",
        "id, name, kind, registered_idx, credit_code",
        "registered_idx",
    ),
    (
        "participant_keys",
        "encode(public_key, 'base64') AS public_key, organisation_id, role, registered_idx, revoked_idx",
        "coalesce(revoked_idx, registered_idx)",
    ),
    (
        "documents",
        "encode(sha256, 'hex') AS sha256, title, organisation_id, entry_idx",
        "entry_idx",
    ),
    (
        "tenders",
        "id, buyer_id, status, title, category, region, procedure, value_amount, currency, tender_end, published_idx, updated_idx, state, enquiry_end, reveal_end",
        "updated_idx",
    ),
    ("ocds_releases", "entry_idx, ocid, release", "entry_idx"),
    (
        "referenced_documents",
        "encode(sha256, 'hex') AS sha256, entry_idx",
        "entry_idx",
    ),
    (
        "tender_bids",
        "tender_id, commitment, position, state",
        "(state->>'committed_idx')::bigint",
    ),
];

/// One row that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The table.
    pub table: &'static str,
    /// `live only` (the tables have a row the log does not explain) or `log only` (the
    /// log implies a row the tables lack).
    pub side: &'static str,
    /// The entry concerned.
    pub entry: i64,
    /// The row, as JSON.
    pub row: String,
}

/// What a replay found.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    /// Entries replayed.
    pub entries: u64,
    /// Entries the rules refuse now, with why: each is an alarm.
    pub refused: Vec<(u64, String)>,
    /// Rows that differ.
    pub differences: Vec<Difference>,
}

impl ReplayReport {
    /// Whether the tables are exactly what the log implies.
    pub fn is_clean(&self) -> bool {
        self.refused.is_empty() && self.differences.is_empty()
    }
}

#[derive(QueryableByName)]
struct DiffRow {
    #[diesel(sql_type = BigInt)]
    entry: i64,
    #[diesel(sql_type = Text)]
    row: String,
}

/// Replays the whole log and compares. Reports at most `limit` differences per table side.
pub fn replay(
    conn: &mut PgConnection,
    registry: &Registry,
    limit: usize,
) -> Result<ReplayReport, String> {
    let mut report = ReplayReport::default();
    let result = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        diesel::sql_query("CREATE SCHEMA vitrine_replay").execute(conn)?;
        for (table, _, _) in TABLES {
            diesel::sql_query(format!(
                "CREATE TABLE vitrine_replay.{table} (LIKE public.{table} INCLUDING ALL)"
            ))
            .execute(conn)?;
        }
        // Unqualified projection tables now resolve to the scratch copies; the log stays public.
        diesel::sql_query("SET LOCAL search_path = vitrine_replay, public").execute(conn)?;
        let mut directory = Directory::default();
        let mut next = 0i64;
        loop {
            let rows: Vec<(i64, Vec<u8>)> = schema::log_entries::table
                .filter(schema::log_entries::idx.ge(next))
                .order(schema::log_entries::idx.asc())
                .limit(1000)
                .select((schema::log_entries::idx, schema::log_entries::entry))
                .load(conn)?;
            if rows.is_empty() {
                break;
            }
            let mut effects: Vec<(u64, Effect)> = Vec::new();
            // Who sent the chunk's sealed bids and anonymous questions: private, so not from
            // the log, but the rules on one standing bid per bidder need it.
            let last = rows.last().map_or(next, |r| r.0);
            let authors: std::collections::HashMap<i64, String> = schema::private_authors::table
                .filter(schema::private_authors::entry_idx.between(next, last))
                .select((
                    schema::private_authors::entry_idx,
                    schema::private_authors::organisation_id,
                ))
                .load(conn)?
                .into_iter()
                .collect();
            let entries: Vec<(i64, Result<Entry, String>)> = rows
                .into_iter()
                .map(|(idx, bytes)| (idx, Entry::parse(&bytes).map_err(|e| e.to_string())))
                .collect();
            // Table state the rules need, as the scratch tables hold it before this chunk.
            let mut state = crate::db::projection::prefetch(
                conn,
                registry,
                &mut directory,
                entries
                    .iter()
                    .filter_map(|(_, e)| e.as_ref().ok())
                    .map(|e| e.signed().statement()),
            )?;
            for (idx, entry) in entries {
                if idx != next {
                    report.refused.push((next as u64, format!("entry {next} is missing (found {idx})")));
                }
                next = idx + 1;
                report.entries += 1;
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        report.refused.push((idx as u64, format!("the stored entry is malformed: {e}")));
                        continue;
                    }
                };
                let statement = entry.signed().statement();
                let keys: Vec<[u8; 32]> = entry.signed().signatures().iter().map(|s| s.public_key).collect();
                let decided = crate::log::apply::decide(
                    registry,
                    statement,
                    &keys,
                    &state,
                    idx as u64,
                    entry.logged_at(),
                    authors.get(&idx).map(String::as_str),
                )
                .map_err(|r| format!("{r:?}"));
                match decided {
                    Ok(decided) => {
                        for effect in decided {
                            state.apply(&effect);
                            effects.push((idx as u64, effect));
                        }
                    }
                    Err(why) => report.refused.push((idx as u64, why)),
                }
            }
            let derived = std::mem::take(&mut state.procurement);
            drop(state);
            crate::db::projection::project(conn, &effects, &derived)?;
        }
        for (table, columns, entry) in TABLES {
            for (side, left, right) in [("live only", "public", "vitrine_replay"), ("log only", "vitrine_replay", "public")] {
                let rows: Vec<DiffRow> = diesel::sql_query(format!(
                    "SELECT {entry} AS entry, row_to_json(d)::text AS row FROM \
                     (SELECT {columns} FROM {left}.{table} EXCEPT SELECT {columns} FROM {right}.{table}) d \
                     ORDER BY 1 LIMIT {limit}"
                ))
                .load(conn)?;
                report.differences.extend(rows.into_iter().map(|r| Difference {
                    table,
                    side,
                    entry: r.entry,
                    row: r.row,
                }));
            }
        }
        // Never keep the scratch schema.
        Err(diesel::result::Error::RollbackTransaction)
    });
    match result {
        Err(diesel::result::Error::RollbackTransaction) | Ok(()) => Ok(report),
        Err(e) => Err(e.to_string()),
    }
}
