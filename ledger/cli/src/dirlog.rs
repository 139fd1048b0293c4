//! An offline log in a directory laid out exactly as C2SP tlog-tiles: `checkpoint`,
//! `tile/<L>/...` and `tile/entries/...`. The directory can be served as it is by any
//! static web server, and every file in it is checked by `vitrine verify`.
//!
//! Appending takes an exclusive lock on the directory, writes every file by a rename (so a
//! reader never sees half a file), and writes the checkpoint last. Partial tiles stay until
//! their full tile exists, so every checkpoint's tiles remain available; then they are
//! removed. A crash before the checkpoint leaves the log at its previous size.

use crate::source::DirSource;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use vitrine_ledger::checkpoint::{Checkpoint, CheckpointPolicy};
use vitrine_ledger::note::NoteSigner;
use vitrine_ledger::statement::{Entry, EntryView, SignedStatement};
use vitrine_ledger::tile::{
    TILE_WIDTH, TileBuilder, TileId, TileKind, TileReader, hashes_at_level, parse_entry_bundle,
    partial_tiles,
};
use vitrine_ledger::time::Timestamp;
use vitrine_ledger::verify::{SignatureItem, SignatureVerifier};

/// A log directory, locked for writing.
pub struct DirLog {
    root: PathBuf,
    signer: NoteSigner,
    builder: TileBuilder,
    last_logged_at: Option<Timestamp>,
    _lock: File,
}

/// The outcome of an append.
pub struct Appended {
    pub first_index: u64,
    pub entries: Vec<Entry>,
    pub checkpoint: String,
}

fn lock(root: &Path) -> Result<File, String> {
    let dir = File::open(root).map_err(|e| format!("{}: {e}", root.display()))?;
    dir.try_lock().map_err(|_| {
        format!(
            "{} is locked by another vitrine process; try again when it has finished",
            root.display()
        )
    })?;
    Ok(dir)
}

/// Batch-verifies signatures on every core; the position of the first bad one, if any.
fn first_bad_signature(items: &[SignatureItem<'_>]) -> Option<usize> {
    const CHUNK: usize = 1024;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let bad = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut verifier = SignatureVerifier::new(true);
                loop {
                    let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let start = chunk * CHUNK;
                    if start >= items.len() {
                        break;
                    }
                    let end = (start + CHUNK).min(items.len());
                    if let Err(position) = verifier.verify(&items[start..end])
                        && let Ok(mut bad) = bad.lock()
                    {
                        bad.push(start + position);
                    }
                }
            });
        }
    });
    bad.into_inner().ok().and_then(|bad| bad.into_iter().min())
}

/// Writes a file atomically: a temporary file in the same directory, then a rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let mut file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    file.write_all(data)
        .and_then(|()| file.sync_data())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

impl DirLog {
    /// Creates an empty log in `root` (which must be absent or empty). The origin is the
    /// log key's name.
    pub fn init(root: &Path, signer: NoteSigner) -> Result<String, String> {
        if root.exists()
            && fs::read_dir(root)
                .map_err(|e| format!("{}: {e}", root.display()))?
                .next()
                .is_some()
        {
            return Err(format!(
                "{} is not empty: a log starts in an empty directory",
                root.display()
            ));
        }
        fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let _lock = lock(root)?;
        let checkpoint = Checkpoint {
            origin: signer.name().to_owned(),
            size: 0,
            root: vitrine_ledger::hash::empty_root(),
            extensions: Vec::new(),
        }
        .sign(&signer)
        .map_err(|e| e.to_string())?;
        write_atomic(&root.join("checkpoint"), checkpoint.as_bytes())?;
        Ok(checkpoint)
    }

    /// Opens a log for appending, checking that its checkpoint is signed by `signer` and
    /// that its partial tiles agree with it.
    pub fn open(root: &Path, signer: NoteSigner) -> Result<DirLog, String> {
        let lock = lock(root)?;
        let source = DirSource {
            root: root.to_owned(),
        };
        let bytes = fs::read(root.join("checkpoint")).map_err(|e| {
            format!(
                "{}: {e} (create the log with `vitrine log init`)",
                root.join("checkpoint").display()
            )
        })?;
        let policy = CheckpointPolicy::log_only(signer.verifier()).map_err(|e| e.to_string())?;
        let checkpoint = policy
            .open(&bytes)
            .map_err(|e| {
                format!(
                    "{}/checkpoint: {e} (is this the log's key?)",
                    root.display()
                )
            })?
            .checkpoint;
        let size = checkpoint.size;
        let mut partials = Vec::new();
        for tile in partial_tiles(size) {
            let data = source.read_tile(tile).map_err(|e| e.to_string())?;
            partials.push((tile, data));
        }
        let builder = TileBuilder::resume(size, &partials).map_err(|e| e.to_string())?;
        if builder.root() != checkpoint.root {
            return Err(format!(
                "{}: the partial tiles do not match the checkpoint's root; run `vitrine verify` on it",
                root.display()
            ));
        }
        let last_logged_at = if size == 0 {
            None
        } else {
            let index = (size - 1) / TILE_WIDTH;
            let width = (size - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let tile = TileId::entries(index, width);
            let data = source.read_tile(tile).map_err(|e| e.to_string())?;
            let entries = parse_entry_bundle(tile, &data).map_err(|e| e.to_string())?;
            let last = entries.last().ok_or("empty entry bundle")?;
            Some(
                EntryView::parse(last)
                    .map_err(|e| format!("{tile}: {e}"))?
                    .logged_at,
            )
        };
        Ok(DirLog {
            root: root.to_owned(),
            signer,
            builder,
            last_logged_at,
            _lock: lock,
        })
    }

    pub fn size(&self) -> u64 {
        self.builder.size()
    }

    /// Appends signed statements: every signature is verified (batch verification), the
    /// signer's `issued_at` must be within `max_skew` of the log's clock, and `logged_at`
    /// never goes backwards. Nothing is written unless every statement is accepted.
    pub fn append(
        &mut self,
        statements: Vec<SignedStatement>,
        max_skew: Option<std::time::Duration>,
    ) -> Result<Appended, String> {
        let now = Timestamp::now().truncate_to_micros();
        let logged_at = match self.last_logged_at {
            Some(last) if last > now => last,
            _ => now,
        };
        let mut items = Vec::new();
        let mut owners = Vec::new();
        for (n, signed) in statements.iter().enumerate() {
            if signed.signatures().is_empty() {
                return Err(format!(
                    "statement {n}: it is not signed (use `vitrine sign`)"
                ));
            }
            if let Some(skew) = max_skew {
                let issued = signed.statement().issued_at();
                if issued.abs_diff(&now) > skew {
                    return Err(format!(
                        "statement {n}: issued_at {issued} is more than {}s from the log's clock ({now})",
                        skew.as_secs()
                    ));
                }
            }
            for signature in signed.signatures() {
                items.push(SignatureItem {
                    statement: signed.statement().canonical(),
                    signature,
                });
                owners.push(n);
            }
        }
        if let Some(bad) = first_bad_signature(&items) {
            return Err(format!(
                "statement {}: a signature does not verify",
                owners[bad]
            ));
        }
        let mut entries = Vec::with_capacity(statements.len());
        for (n, signed) in statements.into_iter().enumerate() {
            // Entry::new does not verify signatures: the batch above did.
            entries.push(Entry::new(signed, logged_at).map_err(|e| format!("statement {n}: {e}"))?);
        }
        let first_index = self.builder.size();
        let before = partial_tiles(first_index);
        for entry in &entries {
            self.builder
                .append(entry.bytes())
                .map_err(|e| e.to_string())?;
        }
        for (tile, data) in self.builder.take_tiles() {
            write_atomic(&self.root.join(tile.path()), &data)?;
        }
        let checkpoint = Checkpoint {
            origin: self.signer.name().to_owned(),
            size: self.builder.size(),
            root: self.builder.root(),
            extensions: Vec::new(),
        }
        .sign(&self.signer)
        .map_err(|e| e.to_string())?;
        write_atomic(&self.root.join("checkpoint"), checkpoint.as_bytes())?;
        // Older partial tiles stay published for the checkpoints that named them, until
        // their full tile exists (C2SP tlog-tiles); then they go.
        let size = self.builder.size();
        for tile in before {
            let level = match tile.kind {
                TileKind::Hashes(level) => level,
                TileKind::Entries => 0,
            };
            if hashes_at_level(size, level) / TILE_WIDTH > tile.index {
                // Every partial version of a tile lives in `<tile>.p/`.
                let _ = fs::remove_dir_all(self.root.join(format!("{}.p", tile.full().path())));
            }
        }
        if !entries.is_empty() {
            self.last_logged_at = Some(logged_at);
        }
        Ok(Appended {
            first_index,
            entries,
            checkpoint,
        })
    }
}
