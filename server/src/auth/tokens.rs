//! API tokens looked up together. A bank or payment channel's feed (donations), or
//! bidders' machines before a deadline (sealed bids), send many requests at once, each with
//! its token; looked up one by one, each costs a pooled connection, its check and a query,
//! more than the rest of the request. Here a thread of its own takes every lookup waiting
//! and answers them with one query (and one update of the tokens' last use), the way the
//! sequencer takes a batch: with one request waiting it is one query as before, with a
//! hundred still one. Each answer reflects the tables at or after the request arrived: a
//! token revoked before is refused, as with [`super::caller::authenticate`].

use super::caller::{
    Caller, Credentials, bearer_hash, require, require_to_act, token_caller, use_to_record,
};
use crate::db::{self, DbPool, accounts};
use crate::error::{AppError, AppResult};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The most lookups waiting; a request finding the queue full waits for room (within
/// [`TokenLookups::WAIT`]).
const QUEUE: usize = 4096;

/// The most tokens in one query.
const BATCH: usize = 512;

type Answer = AppResult<Option<accounts::Token>>;

struct Lookup {
    hash: Vec<u8>,
    answer: oneshot::Sender<Answer>,
}

/// The queue of lookups and the thread answering it; the thread ends when this is
/// dropped.
pub struct TokenLookups {
    queue: mpsc::Sender<Lookup>,
    /// For the session cookies, looked up one by one as before.
    pool: DbPool,
}

impl TokenLookups {
    /// The longest a request waits for its token to be looked up: longer than the pool's
    /// wait for a connection, so that a request finding the thread idle while the database
    /// does not answer is told so (one queued behind such a wait is told it timed out; both
    /// are 503).
    pub const WAIT: Duration = db::CONNECTION_TIMEOUT.saturating_add(Duration::from_secs(2));

    /// Starts the thread, which takes connections from `pool`.
    pub fn start(pool: DbPool) -> std::io::Result<TokenLookups> {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let connections = pool.clone();
        std::thread::Builder::new()
            .name("token-lookups".into())
            .spawn(move || answer_all(connections, waiting))?;
        Ok(TokenLookups { queue, pool })
    }

    /// What [`require`] does, with a bearer token looked up here and a session cookie on
    /// a blocking thread as before; recording a token's use here fails no request.
    pub async fn require(&self, credentials: Credentials) -> AppResult<Caller> {
        match &credentials.authorization {
            Some(header) => token_caller(self.find(bearer_hash(header)?).await?),
            None => db::blocking(&self.pool, move |conn| require(conn, &credentials)).await,
        }
    }

    /// What [`require_to_act`] does, with a bearer token looked up here and a session
    /// cookie on a blocking thread as before.
    pub async fn require_to_act(
        &self,
        credentials: Credentials,
        change: bool,
    ) -> AppResult<Caller> {
        if credentials.authorization.is_none() {
            return db::blocking(&self.pool, move |conn| {
                require_to_act(conn, &credentials, change)
            })
            .await;
        }
        let caller = self.require(credentials.clone()).await?;
        if change {
            caller.check_csrf(&credentials)?;
        }
        caller.check_totp()?;
        Ok(caller)
    }

    async fn find(&self, hash: Vec<u8>) -> Answer {
        let (answer, answered) = oneshot::channel();
        let stopped = || AppError::internal("the token lookups' thread stopped");
        let asked = async {
            self.queue
                .send(Lookup { hash, answer })
                .await
                .map_err(|_| stopped())?;
            answered.await.map_err(|_| stopped())?
        };
        tokio::time::timeout(Self::WAIT, asked)
            .await
            .unwrap_or_else(|_| {
                Err(AppError::unavailable(crate::said!(
                    "token.lookup_timeout",
                    "the API token could not be checked within {seconds} s; try again",
                    seconds = Self::WAIT.as_secs()
                )))
            })
    }
}

fn answer_all(pool: DbPool, mut waiting: mpsc::Receiver<Lookup>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = waiting.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match waiting.try_recv() {
                Ok(lookup) => batch.push(lookup),
                Err(_) => break,
            }
        }
        // Whoever stopped waiting (timed out, went away) is not looked up.
        batch.retain(|lookup| !lookup.answer.is_closed());
        if batch.is_empty() {
            continue;
        }
        let looked = guarded("looking up API tokens", || look_up(&pool, &batch));
        let used = match looked {
            Ok((found, conn)) => {
                let used: Vec<i64> = found
                    .values()
                    .filter(|t| use_to_record(t))
                    .map(|t| t.id)
                    .collect();
                for lookup in batch.drain(..) {
                    let _ = lookup.answer.send(Ok(found.get(&lookup.hash).cloned()));
                }
                (!used.is_empty()).then_some((used, conn))
            }
            Err(e) => {
                for lookup in batch.drain(..) {
                    let _ = lookup.answer.send(Err(e.clone()));
                }
                None
            }
        };
        // After the answers: recording the tokens' use is bookkeeping, and its failure
        // fails no request.
        if let Some((used, mut conn)) = used {
            let touched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                accounts::touch_tokens(&mut conn, &used)
            }));
            let why = match touched {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => Some("it panicked".to_owned()),
            };
            if let Some(why) = why {
                tracing::warn!(error = %why, tokens = used.len(), "API tokens' use not recorded");
            }
        }
    }
}

/// `work`, with a panic made an internal error (saying `what` and the panic's message), so
/// that one batch's failure does not end the thread.
fn guarded<T>(what: &str, work: impl FnOnce() -> AppResult<T>) -> AppResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(AppError::internal(format!("{what} panicked: {message}")))
    })
}

type Connection =
    diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<diesel::PgConnection>>;

/// The live tokens among the batch's, by hash, and the connection that read them.
fn look_up(
    pool: &DbPool,
    batch: &[Lookup],
) -> AppResult<(HashMap<Vec<u8>, accounts::Token>, Connection)> {
    let mut hashes: Vec<Vec<u8>> = batch.iter().map(|l| l.hash.clone()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut conn = pool.get()?;
    let found = accounts::by_api_tokens(&mut conn, &hashes)?
        .into_iter()
        .collect();
    Ok((found, conn))
}
