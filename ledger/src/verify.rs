//! Verifying statement signatures in bulk, and whole logs from their tiles.
//!
//! [`SignatureVerifier`] checks many signatures with Ed25519 batch verification and falls
//! back to `verify_strict` one by one to name the signature that failed. It refuses what
//! `verify_strict` refuses: small-order keys, non-canonical or small-order `R`, and
//! non-canonical `s`. Keys with a torsion component are always checked one by one. The
//! batch equation is cofactorless with random coefficients, so it can differ from
//! `verify_strict` only on a signature deliberately built with a torsion component in `R`
//! by the holder of the private key (nobody else can build one); use
//! [`Verification::batch`]` = false` to rule even that out.
//!
//! [`verify_log`] checks a whole log: the checkpoint's signatures, every entry bundle and
//! every hash tile at every level, every entry's form and signatures, the order of
//! `logged_at`, the root, and optionally that the log extends an older checkpoint.

use crate::checkpoint::{Checkpoint, CheckpointError, CheckpointPolicy, VerifiedCheckpoint};
use crate::hash::{Hash, leaf_hash, perfect_root};
use crate::merkle::MerkleTree;
use crate::statement::{EntryView, StatementSignature, signing_message};
use crate::tile::{
    TILE_WIDTH, TileError, TileId, TileKind, TileReader, edge_from_partial_tiles, hashes_at_level,
    parse_entry_bundle, parse_hash_tile,
};
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use curve25519_dalek::constants::EIGHT_TORSION;
use ed25519_dalek::{Signature, VerifyingKey};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// One signature to check: the canonical statement it signs and the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignatureItem<'a> {
    /// `JCS(statement)`.
    pub statement: &'a [u8],
    /// The signature.
    pub signature: &'a StatementSignature,
}

#[derive(Clone)]
enum KeyStatus {
    /// Not a point, or of small order: every signature by it fails.
    Unusable,
    /// In the prime-order subgroup: safe to batch.
    Batchable(VerifyingKey),
    /// Has a torsion component: checked one by one.
    Mixed(VerifyingKey),
}

/// Checks statement signatures in batches, caching the decoded keys.
pub struct SignatureVerifier {
    keys: HashMap<[u8; 32], KeyStatus>,
    small_order: Vec<[u8; 32]>,
    batch: bool,
}

impl SignatureVerifier {
    /// A verifier; with `batch` false every signature is checked with `verify_strict`.
    pub fn new(batch: bool) -> SignatureVerifier {
        let mut small_order = Vec::with_capacity(16);
        for point in EIGHT_TORSION {
            let bytes = point.compress().to_bytes();
            small_order.push(bytes);
            let mut flipped = bytes;
            flipped[31] ^= 0x80;
            small_order.push(flipped);
        }
        SignatureVerifier {
            keys: HashMap::new(),
            small_order,
            batch,
        }
    }

    fn key(&mut self, bytes: &[u8; 32]) -> KeyStatus {
        self.keys
            .entry(*bytes)
            .or_insert_with(|| match VerifyingKey::from_bytes(bytes) {
                Err(_) => KeyStatus::Unusable,
                Ok(key) if key.is_weak() => KeyStatus::Unusable,
                Ok(key) if key.to_edwards().is_torsion_free() => KeyStatus::Batchable(key),
                Ok(key) => KeyStatus::Mixed(key),
            })
            .clone()
    }

    /// Whether `R` is a canonical encoding of a point that is not of small order, as far as
    /// bytes can tell (`verify_strict` refuses the others).
    fn r_acceptable(&self, r: &[u8]) -> bool {
        let y_non_canonical =
            r[31] & 0x7f == 0x7f && r[1..31].iter().all(|&b| b == 0xff) && r[0] >= 0xed;
        !y_non_canonical && !self.small_order.iter().any(|s| s[..] == r[..32])
    }

    /// Checks every item; on failure returns the position of the first one that fails.
    pub fn verify(&mut self, items: &[SignatureItem<'_>]) -> Result<(), usize> {
        let mut first_bad: Option<usize> = None;
        let mut batch_positions = Vec::with_capacity(items.len());
        let mut messages: Vec<Vec<u8>> = Vec::with_capacity(items.len());
        let mut signatures = Vec::with_capacity(items.len());
        let mut keys = Vec::with_capacity(items.len());
        for (position, item) in items.iter().enumerate() {
            let signature = Signature::from_bytes(&item.signature.sig);
            match self.key(&item.signature.public_key) {
                KeyStatus::Unusable => {
                    first_bad.get_or_insert(position);
                }
                KeyStatus::Batchable(key)
                    if self.batch && self.r_acceptable(&item.signature.sig[..32]) =>
                {
                    batch_positions.push(position);
                    messages.push(signing_message(item.statement));
                    signatures.push(signature);
                    keys.push(key);
                }
                KeyStatus::Batchable(key) | KeyStatus::Mixed(key) => {
                    if key
                        .verify_strict(&signing_message(item.statement), &signature)
                        .is_err()
                    {
                        first_bad.get_or_insert(position);
                    }
                }
            }
        }
        if !batch_positions.is_empty() {
            let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            if ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_err() {
                for (i, &position) in batch_positions.iter().enumerate() {
                    if keys[i].verify_strict(&messages[i], &signatures[i]).is_err() {
                        first_bad = Some(first_bad.map_or(position, |p| p.min(position)));
                        break;
                    }
                }
            }
        }
        match first_bad {
            None => Ok(()),
            Some(position) => Err(position),
        }
    }
}

/// Reads a log: its checkpoint and its tiles. Shared between threads.
pub trait LogReader: TileReader + Sync {
    /// The signed checkpoint.
    fn read_checkpoint(&self) -> Result<Vec<u8>, Self::Error>;

    /// The widths of the partial versions of `tile` that the source holds, for sources that
    /// can list them (a directory). Older partial tiles stay published until the full tile
    /// exists (C2SP tlog-tiles), so they are checked too: each must be a prefix of the
    /// verified tile. Sources that cannot list return nothing.
    fn partial_widths(&self, _tile: TileId) -> Vec<u16> {
        Vec::new()
    }
}

/// How to verify a log.
pub struct Verification<'a> {
    /// Which checkpoint signatures to require.
    pub policy: &'a CheckpointPolicy,
    /// An older signed checkpoint that the log must extend.
    pub since: Option<&'a [u8]>,
    /// Worker threads.
    pub threads: usize,
    /// Batch signature verification (the default) or `verify_strict` one by one.
    pub batch: bool,
    /// Called from the workers with the number of entries just verified.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

/// What a successful verification established.
#[derive(Debug, Clone)]
pub struct LogReport {
    /// The verified checkpoint.
    pub checkpoint: VerifiedCheckpoint,
    /// Entries verified.
    pub entries: u64,
    /// Signatures verified.
    pub signatures: u64,
    /// Hash tiles and entry bundles read and checked.
    pub tiles: u64,
    /// The older checkpoint the log was proved to extend.
    pub extends: Option<Checkpoint>,
    /// `logged_at` of the first and last entries.
    pub logged_between: Option<(Timestamp, Timestamp)>,
}

/// What failed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The checkpoint is malformed or its signatures fail the policy.
    #[error("checkpoint: {0}")]
    Checkpoint(CheckpointError),
    /// The older checkpoint is malformed or not the log's.
    #[error("the older checkpoint: {0}")]
    OldCheckpoint(CheckpointError),
    /// A resource could not be read.
    #[error("cannot read {what}: {message}")]
    Read {
        /// The path.
        what: String,
        /// The reader's message.
        message: String,
    },
    /// A tile or bundle is malformed.
    #[error("{0}")]
    Tile(#[from] TileError),
    /// An entry is malformed or a signature fails.
    #[error("entry {index} (in {bundle}): {reason}")]
    Entry {
        /// The entry's index in the log.
        index: u64,
        /// The bundle holding it.
        bundle: String,
        /// What is wrong.
        reason: String,
    },
    /// An entry does not hash to its leaf hash in the level-0 tile.
    #[error("entry {index}: its leaf hash is not hash {position} of {tile}")]
    LeafMismatch {
        /// The entry's index.
        index: u64,
        /// The level-0 tile.
        tile: String,
        /// Position in the tile.
        position: usize,
    },
    /// A hash in a tile of level 1 or more is not the hash of the tile below.
    #[error("{tile}: hash {position} is not the hash of the tile below it")]
    TileMismatch {
        /// The tile.
        tile: String,
        /// Position in the tile.
        position: usize,
    },
    /// The root computed from the tiles is not the checkpoint's.
    #[error(
        "the root hash computed from the tiles ({computed}) is not the checkpoint's ({expected})"
    )]
    RootMismatch {
        /// The checkpoint's root.
        expected: Hash,
        /// The computed root.
        computed: Hash,
    },
    /// `logged_at` went backwards.
    #[error("entry {index}: logged_at {at} is earlier than the previous entry's {previous}")]
    TimeWentBack {
        /// The entry's index.
        index: u64,
        /// Its time.
        at: Timestamp,
        /// The previous entry's time.
        previous: Timestamp,
    },
    /// The log is smaller than the older checkpoint.
    #[error("the log shrank: the older checkpoint has {old} entries, the current one {new}")]
    Shrank {
        /// The older size.
        old: u64,
        /// The current size.
        new: u64,
    },
    /// The first entries no longer hash to the older checkpoint's root.
    #[error(
        "history was rewritten: the first {size} entries now hash to {computed}, the older checkpoint says {expected}"
    )]
    Rewritten {
        /// The older size.
        size: u64,
        /// The older root.
        expected: Hash,
        /// The root of the first `size` entries now.
        computed: Hash,
    },
}

/// What one worker learned from one entry bundle and its level-0 tile.
struct BundleSummary {
    width: usize,
    /// The tile's root, for a full tile.
    full_root: Option<Hash>,
    /// The leaf hashes, kept only where a root must be computed (the last tile, and the
    /// tile where the older checkpoint ends).
    leaves: Option<Vec<Hash>>,
    first_logged_at: Timestamp,
    last_logged_at: Timestamp,
    signatures: u64,
}

/// Reads a tile, falling back to the full tile if a partial one is gone.
fn read_tile<R: TileReader>(reader: &R, tile: TileId) -> Result<(TileId, Vec<u8>), VerifyError> {
    match reader.read_tile(tile) {
        Ok(data) => Ok((tile, data)),
        Err(first) => {
            if !tile.is_full()
                && let Ok(data) = reader.read_tile(tile.full())
            {
                return Ok((tile.full(), data));
            }
            Err(VerifyError::Read {
                what: tile.path(),
                message: first.to_string(),
            })
        }
    }
}

/// Bundles verified together: one batch of signatures spans them (larger batches are
/// faster per signature).
const BUNDLES_PER_BATCH: u64 = 4;

/// One entry bundle and its level-0 tile, read and framed.
struct LoadedBundle {
    index: u64,
    width: u16,
    tile: TileId,
    leaves: Vec<Hash>,
    bundle: TileId,
    data: Vec<u8>,
}

fn load_bundle<R: LogReader>(
    reader: &R,
    size: u64,
    index: u64,
) -> Result<LoadedBundle, VerifyError> {
    let width = (size - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
    let (tile, tile_data) = read_tile(reader, TileId::hashes(0, index, width))?;
    let mut leaves = parse_hash_tile(tile, &tile_data)?;
    leaves.truncate(usize::from(width));
    let (bundle, data) = read_tile(reader, TileId::entries(index, width))?;
    // Frame it now, so that a malformed bundle is reported as such.
    parse_entry_bundle(bundle, &data)?;
    Ok(LoadedBundle {
        index,
        width,
        tile,
        leaves,
        bundle,
        data,
    })
}

/// Checks every entry of a bundle except signatures: leaf hashes, form, `logged_at` order.
fn check_entries(loaded: &LoadedBundle) -> Result<Vec<EntryView<'_>>, VerifyError> {
    let mut entries = parse_entry_bundle(loaded.bundle, &loaded.data)?;
    entries.truncate(usize::from(loaded.width));
    let base = loaded.index * TILE_WIDTH;
    let mut views: Vec<EntryView<'_>> = Vec::with_capacity(entries.len());
    for (position, entry) in entries.into_iter().enumerate() {
        let index = base + position as u64;
        if leaf_hash(entry) != loaded.leaves[position] {
            return Err(VerifyError::LeafMismatch {
                index,
                tile: loaded.tile.path(),
                position,
            });
        }
        let view = EntryView::parse(entry).map_err(|e| VerifyError::Entry {
            index,
            bundle: loaded.bundle.path(),
            reason: e.to_string(),
        })?;
        if let Some(previous) = views.last().map(|v| v.logged_at)
            && view.logged_at < previous
        {
            return Err(VerifyError::TimeWentBack {
                index,
                at: view.logged_at,
                previous,
            });
        }
        views.push(view);
    }
    Ok(views)
}

/// Verifies a group of consecutive bundles, with one signature batch for all of them.
fn verify_group<R: LogReader>(
    reader: &R,
    size: u64,
    bundles: std::ops::Range<u64>,
    keep_leaves: impl Fn(u64) -> bool,
    signatures: &mut SignatureVerifier,
) -> Vec<(u64, Result<BundleSummary, VerifyError>)> {
    let mut loaded = Vec::new();
    for index in bundles.clone() {
        match load_bundle(reader, size, index) {
            Ok(bundle) => loaded.push(bundle),
            Err(e) => return vec![(index, Err(e))],
        }
    }
    let mut views = Vec::with_capacity(loaded.len());
    for bundle in &loaded {
        match check_entries(bundle) {
            Ok(v) => views.push(v),
            Err(e) => return vec![(bundle.index, Err(e))],
        }
    }
    let mut items = Vec::new();
    let mut owners = Vec::new();
    for (b, bundle_views) in views.iter().enumerate() {
        for (position, view) in bundle_views.iter().enumerate() {
            for (k, signature) in view.signatures.iter().enumerate() {
                items.push(SignatureItem {
                    statement: view.statement,
                    signature,
                });
                owners.push((b, position, k));
            }
        }
    }
    if let Err(bad) = signatures.verify(&items) {
        let (b, position, k) = owners[bad];
        let bundle = &loaded[b];
        return vec![(
            bundle.index,
            Err(VerifyError::Entry {
                index: bundle.index * TILE_WIDTH + position as u64,
                bundle: bundle.bundle.path(),
                reason: format!(
                    "signature {k} (key {}) does not verify",
                    BASE64.encode(items[bad].signature.public_key)
                ),
            }),
        )];
    }
    loaded
        .iter()
        .zip(&views)
        .map(|(bundle, bundle_views)| {
            let count = bundle_views.iter().map(|v| v.signatures.len() as u64).sum();
            let summary = BundleSummary {
                width: usize::from(bundle.width),
                full_root: (u64::from(bundle.width) == TILE_WIDTH)
                    .then(|| perfect_root(&bundle.leaves)),
                first_logged_at: bundle_views
                    .first()
                    .map(|v| v.logged_at)
                    .unwrap_or_else(Timestamp::now),
                last_logged_at: bundle_views
                    .last()
                    .map(|v| v.logged_at)
                    .unwrap_or_else(Timestamp::now),
                leaves: keep_leaves(bundle.index).then(|| bundle.leaves.clone()),
                signatures: count,
            };
            (bundle.index, Ok(summary))
        })
        .collect()
}

/// Verifies a whole log. See the module documentation for what is checked.
pub fn verify_log<R: LogReader>(
    reader: &R,
    how: &Verification<'_>,
) -> Result<LogReport, VerifyError> {
    let checkpoint_bytes = reader.read_checkpoint().map_err(|e| VerifyError::Read {
        what: "checkpoint".to_owned(),
        message: e.to_string(),
    })?;
    let verified = how
        .policy
        .open(&checkpoint_bytes)
        .map_err(VerifyError::Checkpoint)?;
    let size = verified.checkpoint.size;
    let old = match how.since {
        None => None,
        Some(bytes) => {
            // The older checkpoint needs only the log's signature: it may predate the
            // witnesses' cosignatures.
            let old = CheckpointPolicy::log_only(how.policy.log_key().clone())
                .and_then(|policy| policy.open(bytes))
                .map_err(VerifyError::OldCheckpoint)?;
            if old.checkpoint.size > size {
                return Err(VerifyError::Shrank {
                    old: old.checkpoint.size,
                    new: size,
                });
            }
            Some(old.checkpoint)
        }
    };
    let old_size = old.as_ref().map_or(0, |c| c.size);

    // Level 0 and the entries, in parallel.
    let bundles = size.div_ceil(TILE_WIDTH);
    let next = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(u64, Result<BundleSummary, VerifyError>)>> = Mutex::new(Vec::new());
    let threads = how.threads.max(1).min(bundles.max(1) as usize);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut signatures = SignatureVerifier::new(how.batch);
                let mut local = Vec::new();
                loop {
                    let group = next.fetch_add(1, Ordering::Relaxed);
                    let first = group * BUNDLES_PER_BATCH;
                    if first >= bundles || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let last = (first + BUNDLES_PER_BATCH).min(bundles);
                    let keep =
                        |b: u64| b + 1 == bundles || (old_size > 0 && b == old_size / TILE_WIDTH);
                    for (b, result) in
                        verify_group(reader, size, first..last, keep, &mut signatures)
                    {
                        match &result {
                            Err(_) => failed.store(true, Ordering::Relaxed),
                            Ok(summary) => {
                                if let Some(progress) = how.progress {
                                    progress(summary.width as u64);
                                }
                            }
                        }
                        local.push((b, result));
                    }
                }
                if let Ok(mut all) = results.lock() {
                    all.extend(local);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(b, _)| *b);
    let mut summaries = Vec::with_capacity(results.len());
    for (_, result) in results {
        summaries.push(result?);
    }
    if summaries.len() as u64 != bundles {
        return Err(VerifyError::Read {
            what: "entry bundles".to_owned(),
            message: "a worker stopped early".to_owned(),
        });
    }
    let mut entries = 0u64;
    let mut signature_count = 0u64;
    for (b, pair) in summaries.windows(2).enumerate() {
        if pair[1].first_logged_at < pair[0].last_logged_at {
            return Err(VerifyError::TimeWentBack {
                index: (b as u64 + 1) * TILE_WIDTH,
                at: pair[1].first_logged_at,
                previous: pair[0].last_logged_at,
            });
        }
    }
    for summary in &summaries {
        entries += summary.width as u64;
        signature_count += summary.signatures;
    }
    let mut tiles_read = 2 * bundles;

    // Levels 1 and up: every hash must be the root of the full tile below it.
    let mut levels: Vec<Vec<Hash>> = Vec::new();
    let mut below: Vec<Hash> = summaries.iter().filter_map(|s| s.full_root).collect();
    let mut level: u8 = 1;
    while hashes_at_level(size, level) > 0 {
        let count = hashes_at_level(size, level);
        debug_assert_eq!(count, below.len() as u64);
        let mut next_below = Vec::new();
        for index in 0..count.div_ceil(TILE_WIDTH) {
            let width = (count - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let (tile_id, data) = read_tile(reader, TileId::hashes(level, index, width))?;
            let hashes = parse_hash_tile(tile_id, &data)?;
            tiles_read += 1;
            let start = (index * TILE_WIDTH) as usize;
            for position in 0..usize::from(width) {
                if hashes[position] != below[start + position] {
                    return Err(VerifyError::TileMismatch {
                        tile: tile_id.path(),
                        position,
                    });
                }
            }
            if u64::from(width) == TILE_WIDTH {
                next_below.push(perfect_root(&hashes));
            }
        }
        levels.push(std::mem::replace(&mut below, next_below));
        level += 1;
    }

    // The root: from the verified partial parts of every level.
    let leaves_of = |bundle: u64| -> Vec<Hash> {
        summaries
            .get(bundle as usize)
            .and_then(|s| s.leaves.clone())
            .unwrap_or_default()
    };
    let root_at = |tree_size: u64| -> Hash {
        let mut partials: Vec<Vec<Hash>> = Vec::new();
        let mut l = 0u8;
        while hashes_at_level(tree_size, l) > 0 {
            let count = hashes_at_level(tree_size, l);
            let start = count / TILE_WIDTH * TILE_WIDTH;
            let part = if l == 0 {
                let leaves = if count.is_multiple_of(TILE_WIDTH) {
                    Vec::new()
                } else {
                    leaves_of(count / TILE_WIDTH)
                };
                leaves[..(count - start) as usize].to_vec()
            } else {
                levels[usize::from(l) - 1][start as usize..count as usize].to_vec()
            };
            partials.push(part);
            l += 1;
        }
        MerkleTree::from_edge(tree_size, edge_from_partial_tiles(&partials))
            .map(|t| t.root())
            .unwrap_or_default()
    };
    let computed = root_at(size);
    if computed != verified.checkpoint.root {
        return Err(VerifyError::RootMismatch {
            expected: verified.checkpoint.root,
            computed,
        });
    }
    // Older partial versions of the rightmost tiles: prefixes of what was verified.
    let mut level = 0u8;
    while hashes_at_level(size, level) > 0 {
        let count = hashes_at_level(size, level);
        let index = count / TILE_WIDTH;
        let start = (index * TILE_WIDTH) as usize;
        let verified: Vec<Hash> = if level == 0 {
            leaves_of(index)
        } else {
            levels[usize::from(level) - 1][start..count as usize].to_vec()
        };
        let mut kinds = vec![TileId::hashes(level, index, TILE_WIDTH as u16)];
        if level == 0 {
            kinds.push(TileId::entries(index, TILE_WIDTH as u16));
        }
        for full in kinds {
            for width in reader.partial_widths(full) {
                // The current partial tile was verified above; a wider one belongs to no
                // checkpoint up to this one (an append that crashed before its checkpoint).
                if usize::from(width) >= verified.len() {
                    continue;
                }
                let tile = TileId { width, ..full };
                let (tile, data) = read_tile(reader, tile)?;
                tiles_read += 1;
                let hashes: Vec<Hash> = if tile.kind == TileKind::Entries {
                    parse_entry_bundle(tile, &data)?
                        .iter()
                        .map(|e| leaf_hash(e))
                        .collect()
                } else {
                    parse_hash_tile(tile, &data)?
                };
                if let Some(position) =
                    (0..hashes.len()).find(|&i| verified.get(i) != Some(&hashes[i]))
                {
                    return Err(VerifyError::TileMismatch {
                        tile: tile.path(),
                        position,
                    });
                }
            }
        }
        level += 1;
    }
    if let Some(old) = &old {
        let computed = root_at(old.size);
        if computed != old.root {
            return Err(VerifyError::Rewritten {
                size: old.size,
                expected: old.root,
                computed,
            });
        }
    }
    let logged_between = summaries
        .first()
        .zip(summaries.last())
        .map(|(first, last)| (first.first_logged_at, last.last_logged_at));
    Ok(LogReport {
        checkpoint: verified,
        entries,
        signatures: signature_count,
        tiles: tiles_read,
        extends: old,
        logged_between,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::{SignedStatement, Statement};
    use ed25519_dalek::SigningKey;

    fn item_set(n: usize) -> (Vec<Statement>, Vec<StatementSignature>) {
        let mut statements = Vec::new();
        let mut signatures = Vec::new();
        for i in 0..n {
            let key = SigningKey::from_bytes(&[(i % 5) as u8 + 1; 32]);
            let statement = Statement::parse(
                format!(r#"{{"kind":"t.x","subject":"s{i}","issued_at":"2026-01-01T00:00:00Z","body":{{}}}}"#)
                    .as_bytes(),
            )
            .unwrap();
            let mut signed = SignedStatement::new(statement.clone());
            signed.sign(&key);
            signatures.push(signed.signatures()[0]);
            statements.push(statement);
        }
        (statements, signatures)
    }

    #[test]
    fn batch_accepts_good_and_names_the_first_bad() {
        let (statements, mut signatures) = item_set(40);
        for batch in [true, false] {
            let items: Vec<_> = statements
                .iter()
                .zip(&signatures)
                .map(|(s, sig)| SignatureItem {
                    statement: s.canonical(),
                    signature: sig,
                })
                .collect();
            assert_eq!(SignatureVerifier::new(batch).verify(&items), Ok(()));
        }
        signatures[17].sig[40] ^= 1;
        signatures[31].sig[3] ^= 1;
        for batch in [true, false] {
            let items: Vec<_> = statements
                .iter()
                .zip(&signatures)
                .map(|(s, sig)| SignatureItem {
                    statement: s.canonical(),
                    signature: sig,
                })
                .collect();
            assert_eq!(SignatureVerifier::new(batch).verify(&items), Err(17));
        }
    }

    #[test]
    fn refuses_small_order_keys_and_r() {
        let (statements, mut signatures) = item_set(3);
        // The identity as a public key: verify_strict refuses it, so must the batch.
        let identity = EIGHT_TORSION[0].compress().to_bytes();
        signatures[1].public_key = identity;
        let items: Vec<_> = statements
            .iter()
            .zip(&signatures)
            .map(|(s, sig)| SignatureItem {
                statement: s.canonical(),
                signature: sig,
            })
            .collect();
        assert_eq!(SignatureVerifier::new(true).verify(&items), Err(1));
        let (statements, mut signatures) = item_set(3);
        signatures[2].sig[..32].copy_from_slice(&identity);
        let items: Vec<_> = statements
            .iter()
            .zip(&signatures)
            .map(|(s, sig)| SignatureItem {
                statement: s.canonical(),
                signature: sig,
            })
            .collect();
        assert_eq!(SignatureVerifier::new(true).verify(&items), Err(2));
    }
}
