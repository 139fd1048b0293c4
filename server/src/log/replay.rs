//! Replay: rebuild every projection from the log into a scratch schema and compare it with
//! the live tables. A difference is an integrity alarm; it is reported with the entries
//! concerned. Everything happens in one transaction that is rolled back, so a replay
//! changes nothing.

use crate::db::replay as queries;
pub use crate::db::replay::Difference;
use crate::domain::{Directory, Effect, Registry};
use diesel::Connection as _;
use diesel::pg::PgConnection;
use vitrine_ledger::statement::Entry;

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

/// Replays the whole log and compares. Reports at most `limit` differences per table side.
pub fn replay(
    conn: &mut PgConnection,
    registry: &Registry,
    limit: usize,
) -> Result<ReplayReport, String> {
    let mut report = ReplayReport::default();
    let result = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        queries::scratch_projections(conn)?;
        let mut directory = Directory::default();
        let mut next = 0i64;
        loop {
            let rows = queries::entries_from(conn, next, 1000)?;
            if rows.is_empty() {
                break;
            }
            let mut effects: Vec<(u64, Effect)> = Vec::new();
            // Who sent the chunk's sealed bids and anonymous questions: private, so not from
            // the log, but the rules on one standing bid per bidder need it.
            let last = rows.last().map_or(next, |r| r.0);
            let authors = queries::authors_between(conn, next, last)?;
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
                    .map(|e| (e.signed().statement(), true)),
            )?;
            for (idx, entry) in entries {
                if idx != next {
                    report.refused.push((
                        next as u64,
                        format!("entry {next} is missing (found {idx})"),
                    ));
                }
                next = idx + 1;
                report.entries += 1;
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        report
                            .refused
                            .push((idx as u64, format!("the stored entry is malformed: {e}")));
                        continue;
                    }
                };
                let statement = entry.signed().statement();
                let keys: Vec<[u8; 32]> = entry
                    .signed()
                    .signatures()
                    .iter()
                    .map(|s| s.public_key)
                    .collect();
                let decided = crate::log::apply::decide(
                    registry,
                    statement,
                    &keys,
                    &state,
                    idx as u64,
                    entry.logged_at(),
                    authors.get(&idx).map(String::as_str),
                )
                .map_err(|r| r.to_string());
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
            let derived = crate::db::projection::Derived::take(&mut state);
            drop(state);
            crate::db::projection::project(conn, &effects, &derived, &[])?;
        }
        report.differences = queries::differences(conn, limit)?;
        // Never keep the scratch schema.
        Err(diesel::result::Error::RollbackTransaction)
    });
    match result {
        Err(diesel::result::Error::RollbackTransaction) | Ok(()) => Ok(report),
        Err(e) => Err(e.to_string()),
    }
}
