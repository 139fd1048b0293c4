//! One loop for every outbox consumer (DESIGN.md, principle 5: derived data is never
//! lost). The sequencer writes an outbox row with each batch, in the transaction that
//! logs it; a consumer ([`Consumer`]: in-app notifications today, search, mail and
//! webhooks next) handles the rows after its cursor, in order.
//!
//! - **At least once, and once where it can.** A pass runs in one transaction: it locks
//!   the consumer's cursor (`FOR UPDATE SKIP LOCKED`, so one process at a time is the
//!   consumer), handles each row in a savepoint and moves the cursor with it. What a
//!   consumer writes to the database is therefore done exactly once; what it sends
//!   elsewhere may be sent again after a crash, so it sends with stable ids.
//! - **Retries with backoff.** A row whose handling fails is rolled back alone; the cursor
//!   stays on it with the attempt counted and the next one due after an exponential
//!   backoff ([`Policy`]). Rows before it in the pass are kept.
//! - **Dead letters.** After [`Policy::max_attempts`] the row is set aside as a dead
//!   letter and the consumer goes on. An administrator lists dead letters and asks for one
//!   to be tried again (`/api/v1/outbox/…`); the next pass tries it first.
//!
//! A consumer adds a file with its `impl Consumer` and one `outbox::spawn` in `app.rs`.

use crate::db::outbox::{self as queries, OutboxRow};
use crate::db::{self, DbPool};
use diesel::Connection as _;
use diesel::pg::PgConnection;
use std::sync::Arc;
use std::time::Duration;

/// A worker fed by the outbox.
pub trait Consumer: Send + Sync + 'static {
    /// Its name in `outbox_cursors` and in the administrator's pages.
    fn name(&self) -> &'static str;

    /// Whether a new consumer starts at the end of the outbox (what was logged before it
    /// existed is not its business) rather than at its start.
    fn starts_at_end(&self) -> bool {
        false
    }

    /// The topics it handles; rows of other topics pass it by.
    fn topics(&self) -> &'static [&'static str] {
        &["entries.logged"]
    }

    /// Handles one row, in a savepoint of the pass's transaction: what it writes commits
    /// with the cursor's move, or is rolled back with a failure. It must be idempotent:
    /// a row handled before a crash is handled again. Returns how many things it did (for
    /// the logs); an error is kept, as text, for the administrator: it must not carry
    /// secrets or personal data.
    fn handle(&self, conn: &mut PgConnection, row: &OutboxRow) -> Result<usize, String>;
}

/// How a consumer retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts at a row before it becomes a dead letter.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles with each failure after.
    pub first_backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
    /// Rows handled in one transaction. A consumer that sends things elsewhere (mail,
    /// webhooks) takes 1, so that a crash sends again at most the row under way.
    pub rows_per_pass: i64,
    /// The wait between passes when there is nothing to do.
    pub idle: Duration,
}

impl Default for Policy {
    /// Ten attempts over about nine minutes, from one second to the next up to five
    /// minutes; 200 rows a pass; a look every half second.
    fn default() -> Policy {
        Policy {
            max_attempts: 10,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            rows_per_pass: 200,
            idle: Duration::from_millis(500),
        }
    }
}

impl Policy {
    /// The wait after the `attempts`-th failure: `first_backoff × 2^(attempts − 1)`, at
    /// most `max_backoff`.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.first_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Rows handled.
    pub handled: usize,
    /// What their handling did, summed.
    pub done: usize,
    /// Rows that failed and wait for their next attempt (0 or 1).
    pub failed: usize,
    /// Rows set aside as dead letters.
    pub dead_lettered: usize,
    /// Dead letters handled on an administrator's request.
    pub recovered: usize,
    /// Whether rows are left for another pass at once.
    pub more: bool,
}

/// Why a row's handling failed, inside its savepoint.
struct Failed(String);

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Failed {
        Failed(e.to_string())
    }
}

/// Handles one row in a savepoint; a consumer that panics has failed that row.
fn attempt(
    conn: &mut PgConnection,
    consumer: &dyn Consumer,
    row: &OutboxRow,
) -> Result<usize, String> {
    conn.transaction::<usize, Failed, _>(|conn| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| consumer.handle(conn, row)))
            .unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(format!("the consumer panicked: {why}"))
            })
            .map_err(Failed)
    })
    .map_err(|Failed(e)| e)
}

/// One pass of `consumer`: the dead letters asked for again, then the rows after its
/// cursor, up to the policy's limit, in one transaction. A row that failed before is tried
/// alone, so that its failure is its own. If the transaction itself fails after a row was
/// tried (a deferred constraint at commit, say), the row after the cursor is charged with
/// an attempt in a transaction of its own, so that a row that always breaks the pass
/// still ends as a dead letter; a failure before any row (the database is down) charges
/// nothing.
pub fn pass(
    conn: &mut PgConnection,
    consumer: &dyn Consumer,
    policy: &Policy,
) -> diesel::QueryResult<Pass> {
    let policy = Policy {
        max_attempts: policy.max_attempts.max(1),
        rows_per_pass: policy.rows_per_pass.max(1),
        ..*policy
    };
    let name = consumer.name();
    let tried = std::cell::Cell::new(false);
    let result = conn.transaction(|conn| handle_rows(conn, consumer, &policy, &tried));
    if result.is_err() && tried.get() {
        let charged =
            conn.transaction(|conn| charge_next_row(conn, consumer, &policy, "the pass failed"));
        if let Err(e) = charged {
            tracing::warn!(consumer = name, error = %e, "a failed outbox pass could not be recorded");
        }
    }
    result
}

/// The body of a pass, inside its transaction.
fn handle_rows(
    conn: &mut PgConnection,
    consumer: &dyn Consumer,
    policy: &Policy,
    tried: &std::cell::Cell<bool>,
) -> diesel::QueryResult<Pass> {
    let name = consumer.name();
    let mut pass = Pass::default();
    let Some(cursor) = cursor(conn, consumer)? else {
        // Another process is the consumer for now.
        return Ok(pass);
    };
    for requested in queries::requested_retries(conn, name, policy.rows_per_pass)? {
        tried.set(true);
        let (row, requested_at) = requested.into_row();
        match attempt(conn, consumer, &row) {
            Ok(done) => {
                queries::resolve(conn, name, row.id)?;
                pass.recovered += 1;
                pass.done += done;
            }
            Err(e) => queries::retry_failed(conn, name, row.id, requested_at, &e)?,
        }
    }
    if cursor.waiting {
        return Ok(pass);
    }
    // A row that failed before is tried alone.
    let limit = if cursor.attempts > 0 {
        1
    } else {
        policy.rows_per_pass
    };
    let rows = queries::rows_after(conn, cursor.last_outbox_id, consumer.topics(), limit)?;
    let mut last = cursor.last_outbox_id;
    let mut attempts = cursor.attempts;
    for row in &rows {
        tried.set(true);
        match attempt(conn, consumer, row) {
            Ok(done) => {
                pass.handled += 1;
                pass.done += done;
                last = row.id;
                attempts = 0;
            }
            Err(e) => {
                let dead = fail(conn, name, policy, last, row.id, attempts + 1, &e)?;
                if dead {
                    pass.dead_lettered += 1;
                    last = row.id;
                    attempts = 0;
                } else {
                    pass.failed = 1;
                    return Ok(pass);
                }
            }
        }
    }
    if last != cursor.last_outbox_id || attempts != cursor.attempts {
        queries::set_cursor(conn, name, last, None)?;
    }
    pass.more = rows.len() as i64 == limit;
    Ok(pass)
}

/// The consumer's cursor, locked for this transaction, made first if it has none;
/// `None` while another process holds it.
fn cursor(
    conn: &mut PgConnection,
    consumer: &dyn Consumer,
) -> diesel::QueryResult<Option<queries::Cursor>> {
    if let Some(cursor) = queries::lock_cursor(conn, consumer.name())? {
        return Ok(Some(cursor));
    }
    // A new consumer, or one another process holds (then this changes nothing).
    queries::ensure_cursor(conn, consumer.name(), consumer.starts_at_end())?;
    queries::lock_cursor(conn, consumer.name())
}

/// Records the `attempts`-th failure of row `outbox_id`, the row after `last` (where the
/// cursor stays): a dead letter, with the cursor moved past it, once the policy's limit
/// is reached (then `true`), else a wait before the next attempt.
fn fail(
    conn: &mut PgConnection,
    name: &str,
    policy: &Policy,
    last: i64,
    outbox_id: i64,
    attempts: i32,
    error: &str,
) -> diesel::QueryResult<bool> {
    if attempts >= policy.max_attempts {
        tracing::error!(
            consumer = name,
            outbox_id,
            attempts,
            error = %error,
            "outbox row set aside as a dead letter"
        );
        queries::dead_letter(conn, name, outbox_id, attempts, error)?;
        queries::set_cursor(conn, name, outbox_id, None)?;
        return Ok(true);
    }
    let delay = policy.backoff(attempts);
    tracing::warn!(
        consumer = name,
        outbox_id,
        attempts,
        retry_in_ms = delay.as_millis() as u64,
        error = %error,
        "outbox row failed; it will be tried again"
    );
    let failure = queries::Failure {
        attempts,
        delay_seconds: delay.as_secs_f64(),
        error,
    };
    queries::set_cursor(conn, name, last, Some(failure))?;
    Ok(false)
}

/// After a pass whose transaction failed: the row after the cursor is charged with one
/// more attempt.
fn charge_next_row(
    conn: &mut PgConnection,
    consumer: &dyn Consumer,
    policy: &Policy,
    error: &str,
) -> diesel::QueryResult<()> {
    let name = consumer.name();
    // (Made again if the failed pass was the first and made it.)
    let Some(cursor) = cursor(conn, consumer)? else {
        return Ok(());
    };
    if let Some(row) =
        queries::rows_after(conn, cursor.last_outbox_id, consumer.topics(), 1)?.first()
    {
        let (last, attempts) = (cursor.last_outbox_id, cursor.attempts + 1);
        fail(conn, name, policy, last, row.id, attempts, error)?;
    }
    Ok(())
}

/// Runs `consumer` until the process ends: passes back to back while there is a backlog,
/// one every `policy.idle` otherwise.
pub async fn run(pool: DbPool, consumer: Arc<dyn Consumer>, policy: Policy) {
    loop {
        let pool = pool.clone();
        let worker = consumer.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            pass(&mut conn, worker.as_ref(), &policy).map_err(|e| e.to_string())
        })
        .await;
        match outcome {
            Ok(Ok(pass)) if pass.more => continue,
            Ok(Ok(pass)) if pass.done > 0 || pass.recovered > 0 => {
                tracing::debug!(consumer = consumer.name(), ?pass, "outbox pass");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(consumer = consumer.name(), error = %e, "outbox pass failed; retrying");
            }
            Err(e) => {
                tracing::warn!(consumer = consumer.name(), error = %e, "outbox pass panicked; retrying");
            }
        }
        tokio::time::sleep(policy.idle).await;
    }
}

/// Starts `consumer` on its own task.
pub fn spawn(
    pool: &db::DbPool,
    consumer: impl Consumer,
    policy: Policy,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(pool.clone(), Arc::new(consumer), policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_wait_up_to_the_longest() {
        let policy = Policy {
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            ..Policy::default()
        };
        let waits: Vec<u64> = (1..=8).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        // Absurd counts neither overflow nor wait less.
        assert_eq!(policy.backoff(i32::MAX), Duration::from_secs(60));
        assert_eq!(policy.backoff(0), Duration::from_secs(1));
    }
}
