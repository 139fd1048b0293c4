//! The database, and the only place that writes SQL: the connection pool and
//! [`blocking`], embedded migrations, the private cluster, the generated schema, and the
//! queries, a file per area. The sequencer keeps connections of its own
//! ([`log::connect`]).

pub mod accounts;
pub mod charity;
pub mod charity_desk;
pub mod cluster;
pub mod directory;
pub mod documents;
pub mod drafts;
pub mod fund_watch;
pub mod funds;
pub mod leases;
pub mod log;
pub mod notifications;
pub mod outbox;
pub mod projection;
pub mod registrations;
pub mod replay;
#[allow(missing_docs)] // Generated-style table definitions.
pub mod schema;
pub mod subscriptions;
pub mod tenders;
pub mod vault;
pub mod writes;

use crate::error::AppResult;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;
use vitrine_ledger::tile::{TILE_WIDTH, TileId, TileKind, TileReader, push_bundle_entry};

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

pub use log::NewEntry;

/// A pool of connections for request handlers.
pub type DbPool = Pool<ConnectionManager<PgConnection>>;

/// The longest a request waits for a pooled connection.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a pool with bounded waits.
pub fn pool(url: &str, size: u32) -> Result<DbPool, String> {
    Pool::builder()
        .max_size(size)
        .connection_timeout(CONNECTION_TIMEOUT)
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(|e| format!("connecting to PostgreSQL: {e}"))
}

/// Runs `work` with a pooled connection on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    pool: &DbPool,
    work: impl FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(crate::error::AppError::internal)?
}

/// Runs the pending migrations; returns their names.
pub fn migrate(conn: &mut PgConnection) -> Result<Vec<String>, String> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| format!("running migrations: {e}"))
}

/// Serialises a time as RFC 3339 in UTC, to the second (`2026-12-02T09:00:00Z`).
pub fn rfc3339<S: serde::Serializer>(
    time: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// [`rfc3339`] for a time that may be absent (`null`).
pub fn rfc3339_option<S: serde::Serializer>(
    time: &Option<chrono::DateTime<chrono::Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => rfc3339(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// One connection to `url`, for a command.
pub fn connect(url: &str) -> Result<PgConnection, String> {
    PgConnection::establish(url).map_err(|e| format!("connecting to PostgreSQL: {e}"))
}

/// Connects to `url` and runs the pending migrations; returns their names.
pub fn migrate_url(url: &str) -> Result<Vec<String>, String> {
    migrate(&mut connect(url)?)
}

/// Makes the database `name` on the server at `admin_url` unless it exists.
pub fn create_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut admin = PgConnection::establish(admin_url)
        .map_err(|e| format!("connecting to the private cluster: {e}"))?;
    let exists = diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .execute(&mut admin)
        .map_err(|e| e.to_string())?;
    if exists == 0 {
        // An identifier cannot be a bind parameter; quoted, it is taken as written.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        diesel::sql_query(format!("CREATE DATABASE {quoted}"))
            .execute(&mut admin)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The newest signed checkpoint: its size and note.
pub fn latest_checkpoint(conn: &mut PgConnection) -> QueryResult<Option<(i64, String)>> {
    use schema::checkpoints::dsl::*;
    checkpoints
        .select((size, note))
        .order(size.desc())
        .first(conn)
        .optional()
}

/// Tenders with their bids, from `tenders` and `tender_bids`; ids not found are absent.
pub fn load_tenders(
    conn: &mut PgConnection,
    ids: &[String],
) -> QueryResult<std::collections::HashMap<String, crate::domain::procurement::TenderState>> {
    let rows: Vec<(String, serde_json::Value)> = schema::tenders::table
        .filter(schema::tenders::id.eq_any(ids))
        .select((schema::tenders::id, schema::tenders::state))
        .load(conn)?;
    let unreadable = |what: String| diesel::result::Error::DeserializationError(what.into());
    let mut tenders = std::collections::HashMap::new();
    for (id, json) in rows {
        let tender: crate::domain::procurement::TenderState = serde_json::from_value(json)
            .map_err(|e| {
                unreadable(format!(
                    "INTEGRITY ALARM: the stored state of tender {id} is unreadable: {e}"
                ))
            })?;
        tenders.insert(id, tender);
    }
    // As text, read straight into bids (a tender may have thousands).
    let bids: Vec<(String, String)> = schema::tender_bids::table
        .filter(schema::tender_bids::tender_id.eq_any(ids))
        .order((
            schema::tender_bids::tender_id,
            schema::tender_bids::position,
        ))
        .select((
            schema::tender_bids::tender_id,
            diesel::dsl::sql::<diesel::sql_types::Text>("state::text"),
        ))
        .load(conn)?;
    for (id, json) in bids {
        let bid = serde_json::from_str(&json).map_err(|e| {
            unreadable(format!(
                "INTEGRITY ALARM: a stored bid of tender {id} is unreadable: {e}"
            ))
        })?;
        if let Some(tender) = tenders.get_mut(&id) {
            tender.bids.push(bid);
        }
    }
    Ok(tenders)
}

/// One tender with its bids.
pub fn load_tender(
    conn: &mut PgConnection,
    id: &str,
) -> QueryResult<Option<crate::domain::procurement::TenderState>> {
    Ok(load_tenders(conn, &[id.to_owned()])?.remove(id))
}

/// The stored hashes of a tile (possibly wider than a partial tile asked for).
pub fn tile_hashes(
    conn: &mut PgConnection,
    tile_level: u8,
    tile_index: u64,
) -> QueryResult<Option<Vec<u8>>> {
    use schema::log_tiles::dsl::*;
    log_tiles
        .filter(level.eq(i16::from(tile_level)))
        .filter(idx.eq(tile_index as i64))
        .select(hashes)
        .first(conn)
        .optional()
}

/// The entry at `index`, if the log has it.
pub fn entry(conn: &mut PgConnection, index: u64) -> QueryResult<Option<Vec<u8>>> {
    schema::log_entries::table
        .filter(schema::log_entries::idx.eq(index as i64))
        .select(schema::log_entries::entry)
        .first(conn)
        .optional()
}

/// Whether the database answers.
pub fn ping(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// Entries `[start, end)`, in order.
pub fn entries(conn: &mut PgConnection, start: u64, end: u64) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    use schema::log_entries::dsl::*;
    log_entries
        .filter(idx.ge(start as i64))
        .filter(idx.lt(end as i64))
        .order(idx.asc())
        .select((idx, entry))
        .load(conn)
}

/// Reads tiles and entry bundles from the database, for a tree of at most `size` entries.
pub struct DbTiles<'c> {
    conn: std::cell::RefCell<&'c mut PgConnection>,
    size: u64,
}

impl<'c> DbTiles<'c> {
    /// Tiles of the tree of `size` entries.
    pub fn new(conn: &'c mut PgConnection, size: u64) -> DbTiles<'c> {
        DbTiles {
            conn: std::cell::RefCell::new(conn),
            size,
        }
    }
}

/// A tile that does not exist (yet) or a database failure.
#[derive(Debug, thiserror::Error)]
pub enum TileReadError {
    /// Not in a tree of this size.
    #[error("no such tile")]
    NotFound,
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

impl TileReader for DbTiles<'_> {
    type Error = TileReadError;

    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, TileReadError> {
        let width = u64::from(tile.width);
        let mut conn = self.conn.borrow_mut();
        match tile.kind {
            TileKind::Hashes(level) => {
                let available = vitrine_ledger::tile::hashes_at_level(self.size, level);
                if tile.index * TILE_WIDTH + width > available {
                    return Err(TileReadError::NotFound);
                }
                let hashes =
                    tile_hashes(&mut conn, level, tile.index)?.ok_or(TileReadError::NotFound)?;
                let wanted = (width * 32) as usize;
                if hashes.len() < wanted {
                    return Err(TileReadError::NotFound);
                }
                Ok(hashes[..wanted].to_vec())
            }
            TileKind::Entries => {
                let start = tile.index * TILE_WIDTH;
                if start + width > self.size {
                    return Err(TileReadError::NotFound);
                }
                let rows = entries(&mut conn, start, start + width)?;
                if rows.len() as u64 != width {
                    return Err(TileReadError::NotFound);
                }
                let mut bundle = Vec::with_capacity(rows.iter().map(|(_, e)| e.len() + 2).sum());
                for (_, entry) in rows {
                    push_bundle_entry(&mut bundle, &entry).map_err(|_| TileReadError::NotFound)?;
                }
                Ok(bundle)
            }
        }
    }
}
