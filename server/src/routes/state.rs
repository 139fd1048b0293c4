//! What every handler can reach: [`AppState`], built once by [`crate::app`].

use crate::auth;
use crate::db::DbPool;
use crate::domain::Registry;
use crate::log::sequencer::SequencerHandle;
use crate::routes::uploads::Uploads;
use std::sync::Arc;
use vitrine_ledger::note::NoteVerifier;

/// What every handler can reach.
pub struct AppState {
    /// Connections for reads.
    pub pool: DbPool,
    /// The sequencer.
    pub sequencer: SequencerHandle,
    /// The statement kinds.
    pub registry: Arc<Registry>,
    /// The log's checkpoint key.
    pub log_key: NoteVerifier,
    /// The platform's statement key.
    pub platform_key: [u8; 32],
    /// Its signing half: the platform signs what its administrators approve.
    pub platform_signer: ed25519_dalek::SigningKey,
    /// Decoded signer keys.
    pub keys: KeyCache,
    /// API tokens, looked up together.
    pub tokens: auth::TokenLookups,
    /// Each fund's charity, once read (a fund never changes hands).
    pub fund_charities: BoundedCache<String, String>,
    /// Login attempts per address.
    pub login_limit: auth::RateLimit,
    /// Applications to register per address.
    pub registration_limit: auth::RateLimit,
    /// Forwards appends to the process that sequences, when it is another one.
    pub forwarder: ureq::Agent,
    /// What bounds document uploads.
    pub uploads: Uploads,
    /// The public base URL of the server (for links in OCDS packages), without a trailing
    /// slash; never taken from a request's headers.
    pub public_url: String,
}

/// A cache of what never changes once known, shared by the workers and bounded: emptied
/// when it holds [`BoundedCache::CAPACITY`] entries.
pub struct BoundedCache<K, V> {
    entries: std::sync::RwLock<std::collections::HashMap<K, V>>,
}

impl<K, V> Default for BoundedCache<K, V> {
    fn default() -> Self {
        BoundedCache {
            entries: std::sync::RwLock::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> BoundedCache<K, V> {
    /// The most entries held.
    pub const CAPACITY: usize = 100_000;

    /// The value known for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.entries.read().ok()?.get(key).cloned()
    }

    /// Keeps `value` for `key`.
    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
            entries.insert(key, value);
        }
    }
}

/// Public keys already decoded to curve points, so that a signer's key is decompressed
/// once rather than on every statement.
#[derive(Default)]
pub struct KeyCache(BoundedCache<[u8; 32], ed25519_dalek::VerifyingKey>);

impl KeyCache {
    /// The decoded key, or `None` if the bytes are not a point.
    pub fn get(&self, bytes: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
        if let Some(key) = self.0.get(bytes) {
            return Some(key);
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).ok()?;
        self.0.insert(*bytes, key);
        Some(key)
    }
}
