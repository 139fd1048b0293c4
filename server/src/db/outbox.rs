//! The outbox's queries: each consumer's cursor, the rows after it, failures and dead
//! letters. The loop that uses them is [`crate::outbox`].

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Jsonb, Nullable, Text, Timestamptz};
use serde_json::Value;

/// A row of the outbox: the entries one sequencer batch logged, `first..=last`.
#[derive(Debug, Clone, QueryableByName)]
pub struct OutboxRow {
    /// Its id, in commit order.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// What it announces (`entries.logged`).
    #[diesel(sql_type = Text)]
    pub topic: String,
    /// `{"first": i, "last": j}`.
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
}

impl OutboxRow {
    /// The first and last entry indices it announces.
    pub fn entries(&self) -> Option<(i64, i64)> {
        Some((
            self.payload["first"].as_i64()?,
            self.payload["last"].as_i64()?,
        ))
    }
}

/// A consumer's cursor, locked for the transaction that reads it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Cursor {
    /// The last row handled (or set aside).
    #[diesel(sql_type = BigInt)]
    pub last_outbox_id: i64,
    /// Failed attempts at the row after it.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Whether its backoff still runs: the next attempt is not due yet.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub waiting: bool,
}

/// Makes the consumer's cursor if it has none: at the end of the outbox (`from_now`: what
/// was logged before it existed is not its business) or at its start.
pub fn ensure_cursor(conn: &mut PgConnection, consumer: &str, from_now: bool) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO outbox_cursors (consumer, last_outbox_id)
         SELECT $1, CASE WHEN $2 THEN coalesce(max(id), 0) ELSE 0 END FROM outbox
         ON CONFLICT (consumer) DO NOTHING",
    )
    .bind::<Text, _>(consumer)
    .bind::<diesel::sql_types::Bool, _>(from_now)
    .execute(conn)?;
    Ok(())
}

/// Locks the consumer's cursor for this transaction; `None` if another process holds it.
pub fn lock_cursor(conn: &mut PgConnection, consumer: &str) -> QueryResult<Option<Cursor>> {
    diesel::sql_query(
        "SELECT last_outbox_id, attempts, coalesce(retry_at > clock_timestamp(), false) AS waiting
         FROM outbox_cursors WHERE consumer = $1 FOR UPDATE SKIP LOCKED",
    )
    .bind::<Text, _>(consumer)
    .get_result(conn)
    .optional()
}

/// The rows of `topics` after `after`, in order, at most `limit`. (Ids follow commit
/// order because one writer, the sequencer holding its lock, writes the outbox.)
pub fn rows_after(
    conn: &mut PgConnection,
    after: i64,
    topics: &[&str],
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    diesel::sql_query(
        "SELECT id, topic, payload FROM outbox WHERE id > $1 AND topic = ANY($2)
         ORDER BY id LIMIT $3",
    )
    .bind::<BigInt, _>(after)
    .bind::<diesel::sql_types::Array<Text>, _>(topics)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// A failed attempt at the row after the cursor.
pub struct Failure<'a> {
    /// Attempts made at it so far.
    pub attempts: i32,
    /// The wait before the next, in seconds.
    pub delay_seconds: f64,
    /// The last attempt's error.
    pub error: &'a str,
}

/// Puts the cursor at `last`, with the failure pending at the row after it, or none.
pub fn set_cursor(
    conn: &mut PgConnection,
    consumer: &str,
    last: i64,
    failure: Option<Failure<'_>>,
) -> QueryResult<()> {
    let (attempts, delay, error) = match &failure {
        Some(f) => (f.attempts, Some(f.delay_seconds), Some(f.error)),
        None => (0, None, None),
    };
    diesel::sql_query(
        "UPDATE outbox_cursors
         SET last_outbox_id = $2, attempts = $3,
             retry_at = clock_timestamp() + make_interval(secs => $4), last_error = $5
         WHERE consumer = $1",
    )
    .bind::<Text, _>(consumer)
    .bind::<BigInt, _>(last)
    .bind::<Integer, _>(attempts)
    .bind::<Nullable<Double>, _>(delay)
    .bind::<Nullable<Text>, _>(error)
    .execute(conn)?;
    Ok(())
}

/// Sets a row aside as a dead letter of the consumer.
pub fn dead_letter(
    conn: &mut PgConnection,
    consumer: &str,
    outbox_id: i64,
    attempts: i32,
    error: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO outbox_dead_letters (consumer, outbox_id, attempts, last_error, failed_at)
         VALUES ($1, $2, $3, $4, clock_timestamp())
         ON CONFLICT (consumer, outbox_id) DO UPDATE
         SET attempts = excluded.attempts, last_error = excluded.last_error,
             failed_at = clock_timestamp(), retry_requested_at = NULL,
             retry_requested_by = NULL",
    )
    .bind::<Text, _>(consumer)
    .bind::<BigInt, _>(outbox_id)
    .bind::<Integer, _>(attempts)
    .bind::<Text, _>(error)
    .execute(conn)?;
    Ok(())
}

/// A dead letter an administrator asked to try again, with its row.
#[derive(Debug, Clone, QueryableByName)]
pub struct Requested {
    /// The row's id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Its topic.
    #[diesel(sql_type = Text)]
    pub topic: String,
    /// Its payload.
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
    /// When the retry was asked for.
    #[diesel(sql_type = Timestamptz)]
    pub requested_at: chrono::DateTime<chrono::Utc>,
}

impl Requested {
    /// The outbox row, and when the retry was asked for.
    pub fn into_row(self) -> (OutboxRow, chrono::DateTime<chrono::Utc>) {
        let row = OutboxRow {
            id: self.id,
            topic: self.topic,
            payload: self.payload,
        };
        (row, self.requested_at)
    }
}

/// The dead letters an administrator asked to try again, oldest first, with their rows.
pub fn requested_retries(
    conn: &mut PgConnection,
    consumer: &str,
    limit: i64,
) -> QueryResult<Vec<Requested>> {
    diesel::sql_query(
        "SELECT o.id, o.topic, o.payload, d.retry_requested_at AS requested_at
         FROM outbox_dead_letters d
         JOIN outbox o ON o.id = d.outbox_id
         WHERE d.consumer = $1 AND d.retry_requested_at IS NOT NULL
         ORDER BY d.outbox_id LIMIT $2",
    )
    .bind::<Text, _>(consumer)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// A dead letter handled at last: it is gone.
pub fn resolve(conn: &mut PgConnection, consumer: &str, outbox_id: i64) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM outbox_dead_letters WHERE consumer = $1 AND outbox_id = $2")
        .bind::<Text, _>(consumer)
        .bind::<BigInt, _>(outbox_id)
        .execute(conn)?;
    Ok(())
}

/// A dead letter tried again on request (the request made at `requested_at`) that
/// failed again: it stays, with one more attempt and the new error, until asked again. A
/// request made while it was being tried stands.
pub fn retry_failed(
    conn: &mut PgConnection,
    consumer: &str,
    outbox_id: i64,
    requested_at: chrono::DateTime<chrono::Utc>,
    error: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE outbox_dead_letters
         SET attempts = attempts + 1, last_error = $3, failed_at = clock_timestamp(),
             retry_requested_at = CASE WHEN retry_requested_at = $4 THEN NULL
                                       ELSE retry_requested_at END,
             retry_requested_by = CASE WHEN retry_requested_at = $4 THEN NULL
                                       ELSE retry_requested_by END
         WHERE consumer = $1 AND outbox_id = $2",
    )
    .bind::<Text, _>(consumer)
    .bind::<BigInt, _>(outbox_id)
    .bind::<Text, _>(error)
    .bind::<Timestamptz, _>(requested_at)
    .execute(conn)?;
    Ok(())
}

/// A dead letter, as an administrator sees it.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct DeadLetter {
    /// The consumer that gave up.
    #[diesel(sql_type = Text)]
    pub consumer: String,
    /// The outbox row.
    #[diesel(sql_type = BigInt)]
    pub outbox_id: i64,
    /// The first entry it announces.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub first_entry: Option<i64>,
    /// The last entry it announces.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub last_entry: Option<i64>,
    /// Attempts made.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// The last attempt's error.
    #[diesel(sql_type = Text)]
    pub last_error: String,
    /// When it was set aside (or last failed).
    #[diesel(sql_type = Timestamptz)]
    #[serde(serialize_with = "super::rfc3339")]
    pub failed_at: chrono::DateTime<chrono::Utc>,
    /// When an administrator asked for it to be tried again, if they have since.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[serde(serialize_with = "super::rfc3339_option")]
    pub retry_requested_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The user who asked, while the request stands.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub retry_requested_by: Option<i64>,
}

/// Where a page of dead letters starts: after this consumer's row.
pub struct After<'a> {
    /// The consumer.
    pub consumer: &'a str,
    /// The row.
    pub outbox_id: i64,
}

/// Dead letters, of one consumer or all, by consumer and row, after `after`, at most
/// `limit`.
pub fn dead_letters(
    conn: &mut PgConnection,
    consumer: Option<&str>,
    after: Option<After<'_>>,
    limit: i64,
) -> QueryResult<Vec<DeadLetter>> {
    diesel::sql_query(
        "SELECT d.consumer, d.outbox_id, (o.payload->>'first')::bigint AS first_entry,
                (o.payload->>'last')::bigint AS last_entry, d.attempts, d.last_error,
                d.failed_at, d.retry_requested_at, d.retry_requested_by
         FROM outbox_dead_letters d JOIN outbox o ON o.id = d.outbox_id
         WHERE ($1::text IS NULL OR d.consumer = $1)
           AND ($2::text IS NULL OR (d.consumer, d.outbox_id) > ($2, $3))
         ORDER BY d.consumer, d.outbox_id LIMIT $4",
    )
    .bind::<Nullable<Text>, _>(consumer)
    .bind::<Nullable<Text>, _>(after.as_ref().map(|a| a.consumer))
    .bind::<BigInt, _>(after.as_ref().map_or(0, |a| a.outbox_id))
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Asks for a dead letter to be tried again, for user `by` (an operator at the database
/// need not be one); `false` if there is no such dead letter.
pub fn request_retry(
    conn: &mut PgConnection,
    consumer: &str,
    outbox_id: i64,
    by: Option<i64>,
) -> QueryResult<bool> {
    let updated = diesel::sql_query(
        "UPDATE outbox_dead_letters
         SET retry_requested_at = clock_timestamp(), retry_requested_by = $3
         WHERE consumer = $1 AND outbox_id = $2",
    )
    .bind::<Text, _>(consumer)
    .bind::<BigInt, _>(outbox_id)
    .bind::<Nullable<BigInt>, _>(by)
    .execute(conn)?;
    Ok(updated == 1)
}

/// A consumer's progress, as an administrator sees it.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct ConsumerStatus {
    /// Its name.
    #[diesel(sql_type = Text)]
    pub consumer: String,
    /// The last row it handled or set aside.
    #[diesel(sql_type = BigInt)]
    pub last_outbox_id: i64,
    /// Rows after it, not yet handled.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    /// Failed attempts at the next row.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// When the next attempt is due, if one failed.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[serde(serialize_with = "super::rfc3339_option")]
    pub retry_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The failed attempt's error.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    /// Its dead letters.
    #[diesel(sql_type = BigInt)]
    pub dead_letters: i64,
}

/// Every consumer's progress.
pub fn consumers(conn: &mut PgConnection) -> QueryResult<Vec<ConsumerStatus>> {
    diesel::sql_query(
        "SELECT c.consumer, c.last_outbox_id,
                (SELECT count(*) FROM outbox o WHERE o.id > c.last_outbox_id) AS pending,
                c.attempts, c.retry_at, c.last_error,
                (SELECT count(*) FROM outbox_dead_letters d WHERE d.consumer = c.consumer)
                    AS dead_letters
         FROM outbox_cursors c ORDER BY c.consumer",
    )
    .load(conn)
}
