//! The log's own tables: entries, tiles, checkpoints, the outbox row of each batch, and
//! the private record of who sent each anonymous statement; what the sequencer writes
//! and reads to resume.

use super::schema;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Jsonb, SmallInt, Text, Timestamptz};
use serde_json::json;
use std::collections::HashMap;
use vitrine_ledger::checkpoint::Checkpoint;
use vitrine_ledger::tile::{TileId, TileKind};
use vitrine_ledger::time::Timestamp;

diesel::define_sql_function! {
    /// PostgreSQL's `pg_try_advisory_lock`: takes a session lock if free.
    fn pg_try_advisory_lock(key: BigInt) -> Bool;
}

/// A row of `log_entries` about to be written.
#[allow(missing_docs)]
pub struct NewEntry {
    pub idx: i64,
    pub leaf_hash: Vec<u8>,
    pub entry: Vec<u8>,
    pub statement_hash: Vec<u8>,
    pub kind: String,
    pub subject: String,
    pub logged_at: chrono::DateTime<chrono::Utc>,
}

/// Writes a batch's entries, its outbox row, the tiles it changed and the new
/// checkpoint in one statement: one round trip, with a text that never changes (so it is
/// parsed once), however large the batch.
pub fn insert_batch(
    conn: &mut PgConnection,
    rows: &[NewEntry],
    tiles: &[(TileId, Vec<u8>)],
    checkpoint: &Checkpoint,
    note: &str,
) -> QueryResult<()> {
    // One outbox row per batch: the workers it feeds (search, notifications) read the
    // entries of the range, in log order, and are idempotent.
    let (Some(first), Some(last)) = (rows.first().map(|r| r.idx), rows.last().map(|r| r.idx))
    else {
        return Ok(());
    };
    let hash_tiles: Vec<(i16, i64, &Vec<u8>)> = tiles
        .iter()
        .filter_map(|(tile, data)| match tile.kind {
            TileKind::Hashes(level) => Some((i16::from(level), tile.index as i64, data)),
            TileKind::Entries => None,
        })
        .collect();
    diesel::sql_query(
        "WITH entries AS (
             INSERT INTO log_entries (idx, leaf_hash, entry, statement_hash, kind, subject, logged_at)
             SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[],
                                  $5::text[], $6::text[], $7::timestamptz[])
         ), outbox_rows AS (
             INSERT INTO outbox (entry_idx, topic, payload)
             VALUES ($8, 'entries.logged', $9)
         ), tiles AS (
             INSERT INTO log_tiles (level, idx, hashes)
             SELECT * FROM unnest($10::smallint[], $11::bigint[], $12::bytea[])
             ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes
         )
         INSERT INTO checkpoints (size, root, note) VALUES ($13, $14, $15)",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.idx).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| &r.leaf_hash).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| &r.entry).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| &r.statement_hash).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| &r.kind).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| &r.subject).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.logged_at).collect::<Vec<_>>())
    .bind::<BigInt, _>(first)
    .bind::<Jsonb, _>(json!({"first": first, "last": last}))
    .bind::<Array<SmallInt>, _>(hash_tiles.iter().map(|t| t.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(hash_tiles.iter().map(|t| t.1).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(hash_tiles.iter().map(|t| t.2).collect::<Vec<_>>())
    .bind::<BigInt, _>(checkpoint.size as i64)
    .bind::<Bytea, _>(checkpoint.root.0.as_slice())
    .bind::<Text, _>(note)
    .execute(conn)?;
    Ok(())
}

/// A log time as PostgreSQL's.
pub fn to_chrono(t: Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_seconds(), (t.unix_nanos() % 1_000_000_000) as u32)
        .unwrap_or_default()
}

/// PostgreSQL's time as the log's.
pub fn from_chrono(t: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp::from_unix(t.timestamp(), t.timestamp_subsec_nanos())
        .unwrap_or_else(|_| Timestamp::now())
}

/// A connection of the sequencer's own. The tables grow under its prepared statements: a
/// generic plan made while they were small would scan them whole forever after, so every
/// plan is made for its parameters.
pub fn connect(url: &str) -> Result<PgConnection, String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query("SET plan_cache_mode = force_custom_plan")
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Takes the session advisory lock `key` if it is free.
pub fn try_lock(conn: &mut PgConnection, key: i64) -> QueryResult<bool> {
    diesel::select(pg_try_advisory_lock(key)).get_result(conn)
}

/// How many entries the log holds.
pub fn entry_count(conn: &mut PgConnection) -> QueryResult<i64> {
    schema::log_entries::table.count().get_result(conn)
}

/// The `logged_at` of the newest entry.
pub fn last_logged_at(conn: &mut PgConnection) -> QueryResult<Option<Timestamp>> {
    Ok(schema::log_entries::table
        .select(schema::log_entries::logged_at)
        .order(schema::log_entries::idx.desc())
        .first::<chrono::DateTime<chrono::Utc>>(conn)
        .optional()?
        .map(from_chrono))
}

/// The entries already logged of these statement hashes: hash to index.
pub fn logged(conn: &mut PgConnection, hashes: &[Vec<u8>]) -> QueryResult<HashMap<Vec<u8>, i64>> {
    Ok(schema::log_entries::table
        .filter(schema::log_entries::statement_hash.eq_any(hashes))
        .select((
            schema::log_entries::statement_hash,
            schema::log_entries::idx,
        ))
        .load::<(Vec<u8>, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Records privately who sent each anonymous statement: (entry, organisation, user).
pub fn insert_private_authors(
    conn: &mut PgConnection,
    authors: &[(i64, String, i64)],
) -> QueryResult<()> {
    if authors.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO private_authors (entry_idx, organisation_id, user_id)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])",
    )
    .bind::<Array<BigInt>, _>(authors.iter().map(|a| a.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(authors.iter().map(|a| &a.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(authors.iter().map(|a| a.2).collect::<Vec<_>>())
    .execute(conn)?;
    Ok(())
}

/// An entry as a listing shows it: where it is, what kind, about what, when.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntrySummary {
    /// Its index.
    pub index: i64,
    /// The statement's kind.
    pub kind: String,
    /// The statement's subject.
    pub subject: String,
    /// When the log integrated it (RFC 3339).
    pub logged_at: String,
}

fn summaries(rows: Vec<(i64, String, String, chrono::DateTime<chrono::Utc>)>) -> Vec<EntrySummary> {
    rows.into_iter()
        .map(|(index, kind, subject, at)| EntrySummary {
            index,
            kind,
            subject,
            logged_at: from_chrono(at).to_string(),
        })
        .collect()
}

/// The newest `limit` entries about `subject`, in log order.
pub fn newest_about(
    conn: &mut PgConnection,
    subject: &str,
    limit: i64,
) -> QueryResult<Vec<EntrySummary>> {
    use schema::log_entries::dsl as e;
    let mut rows: Vec<_> = e::log_entries
        .filter(e::subject.eq(subject))
        .order(e::idx.desc())
        .limit(limit)
        .select((e::idx, e::kind, e::subject, e::logged_at))
        .load(conn)?;
    rows.reverse();
    Ok(summaries(rows))
}

/// The entries about `subject` in log order, from the `offset`th, at most `limit`.
pub fn entries_about(
    conn: &mut PgConnection,
    subject: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<EntrySummary>> {
    use schema::log_entries::dsl as e;
    let rows: Vec<_> = e::log_entries
        .filter(e::subject.eq(subject))
        .order(e::idx.asc())
        .offset(offset)
        .limit(limit)
        .select((e::idx, e::kind, e::subject, e::logged_at))
        .load(conn)?;
    Ok(summaries(rows))
}

/// How many entries are about `subject`.
pub fn count_about(conn: &mut PgConnection, subject: &str) -> QueryResult<i64> {
    use schema::log_entries::dsl as e;
    e::log_entries
        .filter(e::subject.eq(subject))
        .count()
        .get_result(conn)
}

/// The newest entries, before entry `before` if given, newest first, at most `limit`.
pub fn recent_entries(
    conn: &mut PgConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EntrySummary>> {
    use schema::log_entries::dsl as e;
    let mut query = e::log_entries
        .order(e::idx.desc())
        .limit(limit)
        .select((e::idx, e::kind, e::subject, e::logged_at))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(e::idx.lt(before));
    }
    Ok(summaries(query.load(conn)?))
}
