//! API tokens looked up together. A bank or payment channel's feed sends many requests at
//! once, each with its token; looked up one by one, each costs a pooled connection, its
//! check and a query, more than the rest of the request. Here a thread of its own takes
//! every lookup waiting and answers them with one query (and one update of the tokens'
//! last use), the way the sequencer takes a batch: with one request waiting it is one
//! query as before, with a hundred still one. Each answer reflects the tables at or after
//! the request arrived: a token revoked before is refused, as with [`super::caller::authenticate`].

use super::caller::{Caller, Credentials, bearer_hash, require_to_act, stale, token_caller};
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
}

impl TokenLookups {
    /// The longest a request waits for its token to be looked up.
    pub const WAIT: Duration = Duration::from_secs(10);

    /// Starts the thread, which takes connections from `pool`.
    pub fn start(pool: DbPool) -> std::io::Result<TokenLookups> {
        let (queue, waiting) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("token-lookups".into())
            .spawn(move || answer_all(pool, waiting))?;
        Ok(TokenLookups { queue })
    }

    /// What [`require_to_act`] does, with a bearer token looked up here and a
    /// session cookie on a blocking thread as before.
    pub async fn require_to_act(
        &self,
        pool: &DbPool,
        credentials: Credentials,
        change: bool,
    ) -> AppResult<Caller> {
        let Some(header) = &credentials.authorization else {
            return db::blocking(pool, move |conn| require_to_act(conn, &credentials, change))
                .await;
        };
        let caller = token_caller(self.find(bearer_hash(header)?).await?)?;
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
        let looked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| look_up(&pool, &batch)))
                .unwrap_or_else(|_| Err(AppError::internal("looking up API tokens panicked")));
        match looked {
            Ok(found) => {
                for lookup in batch.drain(..) {
                    let _ = lookup.answer.send(Ok(found.get(&lookup.hash).cloned()));
                }
            }
            Err(e) => {
                for lookup in batch.drain(..) {
                    let _ = lookup.answer.send(Err(e.clone()));
                }
            }
        }
    }
}

/// The live tokens among the batch's, by hash; records their use.
fn look_up(pool: &DbPool, batch: &[Lookup]) -> AppResult<HashMap<Vec<u8>, accounts::Token>> {
    let mut hashes: Vec<Vec<u8>> = batch.iter().map(|l| l.hash.clone()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut conn = pool.get()?;
    let found: HashMap<_, _> = accounts::by_api_tokens(&mut conn, &hashes)?
        .into_iter()
        .collect();
    let used: Vec<i64> = found.values().filter(|t| stale(t)).map(|t| t.id).collect();
    if !used.is_empty() {
        accounts::touch_tokens(&mut conn, &used)?;
    }
    Ok(found)
}
