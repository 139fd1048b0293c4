//! The sequencer (DESIGN.md, "Sequencing"): one per log. It holds the tree's right edge
//! (the rightmost tiles), takes validated statements from the handlers and commits them in
//! batches: one PostgreSQL transaction inserts the entries with consecutive indices,
//! applies the projections, writes the outbox rows, the tiles and the new signed
//! checkpoint; then every waiting request gets its receipt. Rules are checked here, in log
//! order, so no race can break them.
//!
//! Only one process sequences a log: the one holding a PostgreSQL advisory lock. The
//! sequencer runs on a thread of its own with a connection of its own.

use crate::db::{self, NewEntry};
use crate::domain::{Directory, Effect, Registry};
use crate::error::{AppError, ProblemType};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use vitrine_ledger::checkpoint::{Checkpoint, CheckpointPolicy};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::merkle::inclusion_proof;
use vitrine_ledger::note::NoteSigner;
use vitrine_ledger::receipt::Receipt;
use vitrine_ledger::statement::{Entry, SignedStatement, Statement};
use vitrine_ledger::tile::{
    MemoryTiles, TileBuilder, TileId, TileReader, TiledTree, partial_tiles,
};
use vitrine_ledger::time::Timestamp;

/// The advisory lock key of the sequencer ("vitrine" in ASCII).
pub const SEQUENCER_LOCK: i64 = 0x0076_6974_7269_6e65;

/// The kind of the first entry of every log, by which the platform key registers itself.
pub use crate::log::apply::GENESIS_KIND;

/// A statement whose signatures verified, waiting to be sequenced.
pub struct Submission {
    /// The statement.
    pub signed: SignedStatement,
    /// SHA-256 of its canonical signed form: its identity for idempotency.
    pub statement_hash: [u8; 32],
    /// Where the receipt goes: `(receipt, newly appended)`.
    pub reply: oneshot::Sender<Result<(Sequenced, bool), AppError>>,
    /// What its sender keeps off the log, written in the transaction that logs it.
    pub private: Private,
    /// When the server received it: its `logged_at`, unless an earlier entry of the log
    /// has a later one. A statement that arrived before a deadline is judged as such,
    /// however long the queue in front of the sequencer.
    pub received: Timestamp,
}

/// What a statement's sender keeps off the log, in tables that can erase it: written in
/// the transaction that logs the statement, so that a statement sent with its donor's data
/// is never logged without it, and a refused statement leaves nothing behind.
#[derive(Default)]
pub struct Private {
    /// Who sent an anonymous statement (organisation, user), for the private record.
    pub author: Option<(String, i64)>,
    /// The data behind a commitment the statement carries (a donation's donor, or the
    /// person a disbursement is proposed to), for the vault (the handler checked that it
    /// opens the commitment). A statement found logged already stores nothing: its handler
    /// keeps the data itself.
    pub vault: Option<db::vault::VaultEntry>,
}

/// What the sequencer answers for a logged statement: the parts of its receipt. The
/// handler turns them into JSON, so that work runs on the HTTP workers in parallel rather
/// than on the sequencer's thread.
pub struct Sequenced {
    /// The entry's index.
    pub index: u64,
    /// The entry.
    pub entry: Entry,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: Arc<str>,
    /// The inclusion proof.
    pub proof: Vec<Hash>,
    /// For an entry newly logged that numbers what it records in its subject (a fund's
    /// donation, or its disbursement proposed), that number: what the handler would
    /// otherwise read back from the tables.
    pub numbered: Option<u64>,
}

impl Sequenced {
    /// The receipt.
    pub fn receipt(&self) -> Receipt {
        receipt(self.index, &self.entry, &self.checkpoint, &self.proof)
    }
}

/// What the rest of the server sees of the sequencer.
#[derive(Default)]
pub struct SequencerStatus {
    /// The sequencer holds the lock and its state is loaded.
    pub ready: AtomicBool,
    /// The newest checkpoint: size and signed note.
    pub checkpoint: RwLock<Option<(u64, String)>>,
    /// Entries appended since start.
    pub appended: AtomicU64,
    /// Transactions committed since start.
    pub batches: AtomicU64,
    /// Statements refused by rules since start.
    pub refused: AtomicU64,
    /// Sum of batch commit durations, in microseconds.
    pub commit_micros: AtomicU64,
}

/// A handle to send statements to the sequencer.
#[derive(Clone)]
pub struct SequencerHandle {
    sender: mpsc::Sender<Submission>,
    /// Its status.
    pub status: Arc<SequencerStatus>,
}

impl SequencerHandle {
    /// Sends a statement and waits for its receipt.
    pub async fn submit(
        &self,
        signed: SignedStatement,
        private: Private,
        received: Timestamp,
    ) -> Result<(Sequenced, bool), AppError> {
        let statement_hash = signed.hash().0;
        let (reply, receipt) = oneshot::channel();
        self.sender
            .send(Submission {
                signed,
                statement_hash,
                reply,
                private,
                received,
            })
            .await
            .map_err(|_| {
                AppError::unavailable(crate::said!(
                    "log.shutting_down",
                    "the sequencer is shutting down"
                ))
            })?;
        receipt.await.map_err(|_| {
            AppError::unavailable(crate::said!(
                "log.stopped",
                "the sequencer stopped before answering"
            ))
        })?
    }
}

/// What the sequencer needs to run.
pub struct SequencerConfig {
    /// The database.
    pub database_url: String,
    /// The log's checkpoint key; its name is the origin.
    pub log_key: NoteSigner,
    /// The platform's statement key.
    pub platform_key: ed25519_dalek::SigningKey,
    /// The kinds.
    pub registry: Arc<Registry>,
    /// The most statements per transaction.
    pub batch_max: usize,
    /// The allowed distance between `issued_at` and the log's clock.
    pub max_clock_skew: Duration,
    /// The URL at which other processes reach this one, set once the server listens.
    pub advertise: Arc<std::sync::OnceLock<String>>,
}

/// Starts the sequencer thread. It ends when every handle is dropped.
pub fn start(config: SequencerConfig) -> (SequencerHandle, std::thread::JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel(65_536);
    let status = Arc::new(SequencerStatus::default());
    let handle = SequencerHandle {
        sender,
        status: status.clone(),
    };
    let thread = std::thread::Builder::new()
        .name("sequencer".into())
        .spawn(move || run(config, receiver, status))
        .unwrap_or_else(|e| panic!("cannot start the sequencer thread: {e}"));
    (handle, thread)
}

fn run(
    config: SequencerConfig,
    mut receiver: mpsc::Receiver<Submission>,
    status: Arc<SequencerStatus>,
) {
    loop {
        match Sequencer::open(&config, &status, &receiver) {
            Ok(mut sequencer) => {
                status.ready.store(true, Ordering::SeqCst);
                let finished = sequencer.serve(&mut receiver);
                status.ready.store(false, Ordering::SeqCst);
                if finished {
                    return;
                }
            }
            Err(e) => {
                if receiver.is_closed() {
                    return;
                }
                tracing::error!(error = %e, "sequencer could not start; retrying");
                // Answer what is waiting rather than leave it hanging.
                while let Ok(submission) = receiver.try_recv() {
                    let _ = submission
                        .reply
                        .send(Err(AppError::unavailable(crate::said!(
                            "log.not_ready",
                            "the log is not ready; try again"
                        ))));
                }
                if receiver.is_closed() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// The sequencer: a planner that decides batches in log order, and a writer that commits
/// them. (Overlapping the two, deciding a batch while the last one commits, was measured:
/// no gain, since the machine's cores are the limit, not the wait for the database.)
struct Sequencer<'c> {
    planner: Planner<'c>,
    writer: Writer<'c>,
    /// Statements the database refused to store, each found alone: refused at once if
    /// sent again. Bounded: emptied when full.
    unstorable: std::collections::HashSet<[u8; 32]>,
}

/// The most statement hashes remembered as unstorable.
const UNSTORABLE_CAPACITY: usize = 10_000;

/// Decides batches: reads the state their rules need, checks them in log order, appends
/// them to the tree and signs the new checkpoint.
struct Planner<'c> {
    config: &'c SequencerConfig,
    status: &'c SequencerStatus,
    /// For the reads that decide a batch.
    conn: PgConnection,
    builder: TileBuilder,
    directory: Directory,
    last_logged_at: Option<Timestamp>,
}

/// Commits decided batches and answers their requests. Its connection holds the lock.
struct Writer<'c> {
    status: &'c SequencerStatus,
    conn: PgConnection,
}

/// The tiles a batch changed and the checkpoint it signed.
struct Published {
    tiles: Vec<(TileId, Vec<u8>)>,
    checkpoint: Checkpoint,
    note: String,
}

/// A batch decided and ready to commit.
struct Decided {
    batch: Vec<Submission>,
    outcomes: Vec<Outcome>,
    rows: Vec<NewEntry>,
    effects: Vec<(u64, Effect)>,
    /// What it derived: tenders' and funds' final states, OCDS releases.
    derived: crate::db::projection::Derived,
    /// The private authors of its anonymous statements: (index, organisation, user).
    authors: Vec<(i64, String, i64)>,
    /// What it appended, if anything.
    published: Option<Published>,
    started: Instant,
}

/// One statement of a batch and what became of it.
enum Outcome {
    Appended {
        index: u64,
        entry: Entry,
        numbered: Option<u64>,
    },
    Duplicate {
        index: u64,
    },
    Refused(AppError),
}

impl<'c> Sequencer<'c> {
    fn open(
        config: &'c SequencerConfig,
        status: &'c SequencerStatus,
        receiver: &mpsc::Receiver<Submission>,
    ) -> Result<Sequencer<'c>, String> {
        let mut conn = db::log::connect(&config.database_url)?;
        // Wait for the lock: another process may be sequencing.
        let mut waited = false;
        loop {
            let locked = db::log::try_lock(&mut conn, SEQUENCER_LOCK).map_err(|e| e.to_string())?;
            if locked {
                break;
            }
            // Every handle dropped: the process is stopping; stop waiting.
            if receiver.is_closed() {
                return Err("stopped while another process sequenced this log".into());
            }
            if !waited {
                tracing::info!("another process sequences this log; waiting for its lock");
                waited = true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // Tell the other processes where to forward appends.
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            if let Some(url) = config.advertise.get() {
                break url.clone();
            }
            if Instant::now() > deadline {
                return Err("the server never started listening".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        crate::db::leases::record(&mut conn, &url).map_err(|e| e.to_string())?;
        let reader = db::log::connect(&config.database_url)?;
        let mut sequencer = Sequencer {
            planner: Planner {
                config,
                status,
                conn: reader,
                builder: TileBuilder::new(),
                directory: Directory::default(),
                last_logged_at: None,
            },
            writer: Writer { status, conn },
            unstorable: std::collections::HashSet::new(),
        };
        sequencer.planner.load()?;
        if sequencer.planner.builder.size() == 0 {
            sequencer.genesis()?;
        }
        tracing::info!(size = sequencer.planner.builder.size(), "sequencer ready");
        Ok(sequencer)
    }

    /// The first entry of a new log: the platform registers its organisation and key.
    fn genesis(&mut self) -> Result<(), String> {
        let config = self.planner.config;
        let platform = config.platform_key.verifying_key();
        use base64::Engine as _;
        let statement = Statement::from_value(json!({
            "kind": GENESIS_KIND,
            "subject": config.log_key.name(),
            "issued_at": Timestamp::now().truncate_to_micros().to_string(),
            "body": {
                "origin": config.log_key.name(),
                "checkpoint_key": config.log_key.verifier().to_verifier_key(),
                "platform_key": base64::engine::general_purpose::STANDARD.encode(platform.as_bytes()),
                "organisation": {"id": "platform", "name": "Vitrine platform", "kind": "platform"},
            },
        }))
        .map_err(|e| e.to_string())?;
        let mut signed = SignedStatement::new(statement);
        signed.sign(&config.platform_key);
        let (reply, _answer) = oneshot::channel();
        let statement_hash = signed.hash().0;
        let decided = self.planner.plan(vec![Submission {
            signed,
            statement_hash,
            reply,
            private: Private::default(),
            received: Timestamp::now().truncate_to_micros(),
        }]);
        let committed = decided.is_some_and(|decided| self.writer.commit(decided).is_ok());
        if committed && self.planner.builder.size() == 1 {
            tracing::info!("logged the genesis entry");
            Ok(())
        } else {
            Err("could not log the genesis entry".into())
        }
    }

    /// Serves batches until the channel closes (returns true) or the database fails
    /// (returns false, to reopen and reload).
    fn serve(&mut self, receiver: &mut mpsc::Receiver<Submission>) -> bool {
        loop {
            let Some(first) = receiver.blocking_recv() else {
                return true;
            };
            let mut batch = vec![first];
            while batch.len() < self.planner.config.batch_max {
                match receiver.try_recv() {
                    Ok(submission) => batch.push(submission),
                    Err(_) => break,
                }
            }
            if !self.unstorable.is_empty() {
                let (refused, rest): (Vec<_>, Vec<_>) = batch
                    .into_iter()
                    .partition(|s| self.unstorable.contains(&s.statement_hash));
                for submission in refused {
                    let _ = submission.reply.send(Err(unstorable()));
                }
                if rest.is_empty() {
                    continue;
                }
                batch = rest;
            }
            if !self.sequence(batch) {
                return false;
            }
        }
    }

    /// Decides and commits one batch. If its transaction fails while the database is
    /// still there, one of its statements is to blame (one the rules accepted but the
    /// database cannot store): the batch is split in halves and each sequenced again,
    /// until the statement to blame is alone; it is refused and the rest commit. One bad
    /// statement never fails another. False if the database itself failed.
    fn sequence(&mut self, batch: Vec<Submission>) -> bool {
        let Some(decided) = self.planner.plan(batch) else {
            return false;
        };
        let Err((mut batch, error)) = self.writer.commit(decided) else {
            return true;
        };
        // The planner moved on as if the batch had committed: back to what is stored.
        if !self.writer.alive() {
            tracing::error!(error = %error, "sequencer transaction failed and the database is gone; reloading");
            fail(batch, error);
            return false;
        }
        if let Err(e) = self.planner.load() {
            fail(batch, e);
            return false;
        }
        if batch.len() == 1 {
            let submission = batch.remove(0);
            tracing::warn!(
                statement = %vitrine_ledger::hash::hex_encode(&submission.statement_hash),
                kind = %submission.signed.statement().kind(),
                error = %error,
                "the database refused to store a statement; refused it alone"
            );
            if self.unstorable.len() >= UNSTORABLE_CAPACITY {
                self.unstorable.clear();
            }
            self.unstorable.insert(submission.statement_hash);
            let _ = submission.reply.send(Err(unstorable()));
            return true;
        }
        tracing::warn!(error = %error, statements = batch.len(), "sequencer transaction failed; finding the statement to blame");
        let second = batch.split_off(batch.len() / 2);
        if !self.sequence(batch) {
            fail(second, "the database failed");
            return false;
        }
        self.sequence(second)
    }
}

/// The refusal of a statement that the database would not store.
fn unstorable() -> AppError {
    AppError::invalid(
        ProblemType::Unstorable,
        crate::said!(
            "log.unstorable",
            "the database refused to store this statement (it was tried alone, and the other statements of its batch were logged); it will not be logged"
        ),
    )
}

impl Planner<'_> {
    /// Loads the right edge, the directory and the last time from the tables, and checks
    /// that the tiles agree with the newest checkpoint.
    fn load(&mut self) -> Result<(), String> {
        let latest = crate::db::latest_checkpoint(&mut self.conn).map_err(|e| e.to_string())?;
        let (size, note) = match latest {
            None => (0, None),
            Some((size, note)) => (size as u64, Some(note)),
        };
        let mut partials = Vec::new();
        {
            let reader = crate::db::DbTiles::new(&mut self.conn, size);
            for tile in partial_tiles(size) {
                let data = reader
                    .read_tile(tile)
                    .map_err(|e| format!("reading {tile} to resume: {e}"))?;
                partials.push((tile, data));
            }
        }
        self.builder = TileBuilder::resume(size, &partials).map_err(|e| e.to_string())?;
        if let Some(note) = &note {
            let policy = CheckpointPolicy::log_only(self.config.log_key.verifier())
                .map_err(|e| e.to_string())?;
            let checkpoint = policy
                .open(note.as_bytes())
                .map_err(|e| {
                    format!("the newest checkpoint does not verify with the log key: {e}")
                })?
                .checkpoint;
            if checkpoint.root != self.builder.root() {
                return Err(
                    "INTEGRITY ALARM: the stored tiles do not hash to the newest checkpoint".into(),
                );
            }
        }
        let count = db::log::entry_count(&mut self.conn).map_err(|e| e.to_string())?;
        if count as u64 != size {
            return Err(format!(
                "INTEGRITY ALARM: {count} entries are stored but the newest checkpoint has {size}"
            ));
        }
        self.last_logged_at = db::log::last_logged_at(&mut self.conn).map_err(|e| e.to_string())?;
        self.directory = crate::db::directory::load(&mut self.conn)?;
        if let Some(note) = note {
            *self.status.checkpoint.write().map_err(|e| e.to_string())? = Some((size, note));
        }
        Ok(())
    }

    /// Decides one batch: refusals, duplicates and new entries, appended to the tree, with
    /// the signed checkpoint. `None` if the database failed (the batch was answered; the
    /// state is reloaded on reopen).
    fn plan(&mut self, batch: Vec<Submission>) -> Option<Decided> {
        let started = Instant::now();
        let now = Timestamp::now().truncate_to_micros();
        // Each entry is logged at its arrival, kept non-decreasing in log order.
        let mut clock = self.last_logged_at;
        let hashes: Vec<Vec<u8>> = batch.iter().map(|s| s.statement_hash.to_vec()).collect();
        let existing: HashMap<Vec<u8>, i64> = match db::log::logged(&mut self.conn, &hashes) {
            Ok(found) => found,
            Err(e) => return fail(batch, e),
        };
        // Table state the rules need, fetched once for the batch.
        let mut directory = std::mem::take(&mut self.directory);
        let trusted: Vec<bool> = batch
            .iter()
            .map(|s| {
                s.signed.signatures().iter().all(|sig| {
                    directory
                        .keys
                        .get(&sig.public_key)
                        .is_some_and(|k| !k.revoked)
                })
            })
            .collect();
        let prefetched = crate::db::projection::prefetch(
            &mut self.conn,
            &self.config.registry,
            &mut directory,
            batch
                .iter()
                .zip(trusted)
                .map(|(s, trusted)| (s.signed.statement(), trusted)),
        );
        let mut state = match prefetched {
            Ok(state) => state,
            Err(e) => {
                self.directory = directory;
                return fail(batch, e);
            }
        };
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        let mut effects: Vec<(u64, Effect)> = Vec::new();
        let mut in_batch: HashMap<[u8; 32], u64> = HashMap::new();
        let mut authors: Vec<(i64, String, i64)> = Vec::new();
        for submission in &batch {
            let statement = submission.signed.statement();
            if let Some(index) = existing.get(submission.statement_hash.as_slice()) {
                outcomes.push(Outcome::Duplicate {
                    index: *index as u64,
                });
                continue;
            }
            if let Some(index) = in_batch.get(&submission.statement_hash) {
                outcomes.push(Outcome::Duplicate { index: *index });
                continue;
            }
            let skew = statement.issued_at().abs_diff(&now);
            if skew > self.config.max_clock_skew {
                outcomes.push(Outcome::Refused(
                    AppError::invalid(ProblemType::ClockSkew,
                        crate::said!(
                            "statement.clock_skew",
                            "issued_at {issued_at} is {skew}s from the log's clock ({now}); at most {most}s is allowed",
                            issued_at = statement.issued_at(),
                            skew = skew.as_secs(),
                            now = now,
                            most = self.config.max_clock_skew.as_secs(),
                        ),
                    )
                    .with("log_time", now.to_string()),
                ));
                continue;
            }
            if self.config.registry.get(statement.kind()).is_none() {
                outcomes.push(Outcome::Refused(AppError::invalid(
                    ProblemType::UnknownKind,
                    crate::said!(
                        "statement.unknown_kind",
                        "the log does not accept statements of kind {kind}",
                        kind = format!("{:?}", statement.kind())
                    ),
                )));
                continue;
            }
            if statement.kind() == GENESIS_KIND && (self.builder.size() != 0 || !rows.is_empty()) {
                outcomes.push(Outcome::Refused(AppError::rule_violation(crate::said!(
                    "directory.genesis_twice",
                    "the log already has its genesis entry"
                ))));
                continue;
            }
            let keys: Vec<[u8; 32]> = submission
                .signed
                .signatures()
                .iter()
                .map(|s| s.public_key)
                .collect();
            let arrived = submission.received.min(now);
            let logged_at = clock.map_or(arrived, |last| last.max(arrived));
            let decided = crate::log::apply::decide(
                &self.config.registry,
                statement,
                &keys,
                &state,
                self.builder.size(),
                logged_at,
                submission
                    .private
                    .author
                    .as_ref()
                    .map(|(organisation, _)| organisation.as_str()),
            );
            let decided = match decided {
                Ok(decided) => decided,
                Err(refusal) => {
                    self.status.refused.fetch_add(1, Ordering::Relaxed);
                    outcomes.push(Outcome::Refused(refusal.into()));
                    continue;
                }
            };
            // The handler checked the size already; the entry here differs only in logged_at.
            let appended = Entry::new(submission.signed.clone(), logged_at)
                .map_err(|e| e.to_string())
                .and_then(|entry| {
                    let (index, leaf) = self
                        .builder
                        .append(entry.bytes())
                        .map_err(|e| e.to_string())?;
                    Ok((entry, index, leaf))
                });
            let (entry, index, leaf) = match appended {
                Ok(appended) => appended,
                Err(e) => {
                    outcomes.push(Outcome::Refused(AppError::new(
                        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                        ProblemType::TooLarge,
                        e,
                    )));
                    continue;
                }
            };
            let numbered = numbered(&decided, statement.subject());
            for effect in decided {
                state.apply(&effect);
                effects.push((index, effect));
            }
            in_batch.insert(submission.statement_hash, index);
            clock = Some(logged_at);
            if let Some((organisation, user)) = &submission.private.author {
                authors.push((index as i64, organisation.clone(), *user));
            }
            rows.push(NewEntry {
                idx: index as i64,
                leaf_hash: leaf.0.to_vec(),
                entry: entry.bytes().to_vec(),
                statement_hash: submission.statement_hash.to_vec(),
                kind: statement.kind().to_owned(),
                subject: statement.subject().to_owned(),
                logged_at: db::log::to_chrono(logged_at),
            });
            outcomes.push(Outcome::Appended {
                index,
                entry,
                numbered,
            });
        }
        let derived = crate::db::projection::Derived::take(&mut state);
        drop(state);
        self.directory = directory;
        let mut published = None;
        if !rows.is_empty() {
            let tiles = self.builder.take_tiles();
            let checkpoint = Checkpoint {
                origin: self.config.log_key.name().to_owned(),
                size: self.builder.size(),
                root: self.builder.root(),
                extensions: Vec::new(),
            };
            let note = match checkpoint.sign(&self.config.log_key) {
                Ok(note) => note,
                Err(e) => return fail(batch, e),
            };
            self.last_logged_at = clock;
            published = Some(Published {
                tiles,
                checkpoint,
                note,
            });
        }
        Some(Decided {
            batch,
            outcomes,
            rows,
            effects,
            derived,
            authors,
            published,
            started,
        })
    }
}

impl Writer<'_> {
    /// Commits a decided batch and answers its requests. If its transaction fails, nothing
    /// is answered: the whole batch comes back, with the error, to be sequenced again.
    #[allow(clippy::result_large_err)]
    fn commit(&mut self, decided: Decided) -> Result<(), (Vec<Submission>, diesel::result::Error)> {
        let Decided {
            batch,
            outcomes,
            rows,
            effects,
            derived,
            authors,
            published,
            started,
        } = decided;
        let mut answered = None;
        if let Some(Published {
            tiles,
            checkpoint,
            note,
        }) = published
        {
            // The donors' (and persons') data behind the commitments it logs.
            let donors: Vec<&db::vault::VaultEntry> = batch
                .iter()
                .zip(&outcomes)
                .filter(|(_, outcome)| matches!(outcome, Outcome::Appended { .. }))
                .filter_map(|(submission, _)| submission.private.vault.as_ref())
                .collect();
            let committed = self.conn.transaction(|conn| {
                crate::db::projection::project(conn, &effects, &derived, &donors)?;
                db::log::insert_private_authors(conn, &authors)?;
                db::log::insert_batch(conn, &rows, &tiles, &checkpoint, &note)
            });
            if let Err(e) = committed {
                return Err((batch, e));
            }
            let status = self.status;
            status
                .appended
                .fetch_add(rows.len() as u64, Ordering::Relaxed);
            status.batches.fetch_add(1, Ordering::Relaxed);
            status
                .commit_micros
                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            if let Ok(mut latest) = status.checkpoint.write() {
                *latest = Some((checkpoint.size, note.clone()));
            }
            let mut memory = MemoryTiles::default();
            memory.store(tiles);
            answered = Some((checkpoint.size, Arc::from(note), memory));
        }
        self.answer(batch, outcomes, answered);
        Ok(())
    }

    /// Whether the database still answers on the writer's connection.
    fn alive(&mut self) -> bool {
        db::ping(&mut self.conn).is_ok()
    }

    /// Sends every receipt and refusal.
    fn answer(
        &mut self,
        batch: Vec<Submission>,
        outcomes: Vec<Outcome>,
        published: Option<(u64, Arc<str>, MemoryTiles)>,
    ) {
        let latest = self.status.checkpoint.read().ok().and_then(|c| c.clone());
        // Every hash the proof of a new entry needs is in the tiles this batch wrote (the
        // rightmost tile of each level); one tree for the batch shares the nodes its
        // receipts have in common.
        let tree = published
            .as_ref()
            .map(|(size, _, tiles)| TiledTree::new(*size, tiles));
        for (submission, outcome) in batch.into_iter().zip(outcomes) {
            let answer = match outcome {
                Outcome::Refused(e) => Err(e),
                Outcome::Appended {
                    index,
                    entry,
                    numbered,
                } => match (&published, &tree) {
                    (Some((size, note, _)), Some(tree)) => inclusion_proof(tree, index, *size)
                        .map(|proof| {
                            let checkpoint = note.clone();
                            (
                                Sequenced {
                                    index,
                                    entry,
                                    checkpoint,
                                    proof,
                                    numbered,
                                },
                                true,
                            )
                        })
                        .map_err(AppError::internal),
                    _ => Err(AppError::internal("appended without a checkpoint")),
                },
                Outcome::Duplicate { index } => match &latest {
                    Some((size, note)) => {
                        self.stored_receipt(index, *size, note).map(|r| (r, false))
                    }
                    None => Err(AppError::internal("a duplicate without a checkpoint")),
                },
            };
            let _ = submission.reply.send(answer);
        }
    }

    /// A receipt for an entry already in the log, from the stored tiles.
    fn stored_receipt(&mut self, index: u64, size: u64, note: &str) -> Result<Sequenced, AppError> {
        let bytes = db::entry(&mut self.conn, index)?
            .ok_or_else(|| AppError::internal(format!("entry {index} is logged but not stored")))?;
        let entry = Entry::parse(&bytes).map_err(AppError::internal)?;
        let reader = crate::db::DbTiles::new(&mut self.conn, size);
        let tree = TiledTree::new(size, &reader);
        let proof = inclusion_proof(&tree, index, size).map_err(AppError::internal)?;
        Ok(Sequenced {
            index,
            entry,
            checkpoint: Arc::from(note),
            proof,
            numbered: None,
        })
    }
}

/// The number that `effects` (one entry's) give what they record in `fund`, if they record
/// a donation or a disbursement proposed there.
fn numbered(effects: &[Effect], fund: &str) -> Option<u64> {
    use crate::domain::charity::fund::FundChange;
    effects.iter().find_map(|effect| match effect {
        Effect::Fund { id, change, .. } if id == fund => match change.as_ref() {
            FundChange::Donated(d) => Some(d.seq),
            FundChange::Proposed(d) => Some(u64::from(d.seq)),
            _ => None,
        },
        _ => None,
    })
}

/// Answers a whole batch that could not be decided: try again.
fn fail(batch: Vec<Submission>, error: impl std::fmt::Display) -> Option<Decided> {
    tracing::error!(error = %error, "sequencer batch failed");
    for submission in batch {
        let _ = submission
            .reply
            .send(Err(AppError::unavailable(crate::said!(
                "log.batch_failed",
                "the log could not commit this batch; try again"
            ))));
    }
    None
}

/// A receipt for `entry` at `index`, proved against the signed checkpoint `note`.
pub fn receipt(index: u64, entry: &Entry, note: &str, proof: &[Hash]) -> Receipt {
    Receipt {
        index,
        leaf_hash: entry.leaf_hash().to_base64(),
        logged_at: entry.logged_at().to_string(),
        checkpoint: note.to_owned(),
        inclusion_proof: proof.iter().map(Hash::to_base64).collect(),
        entry: Some(entry.to_value()),
    }
}
