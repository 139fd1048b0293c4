//! C2SP tlog-tiles (`c2sp.org/tlog-tiles`): tile coordinates and paths, hash tiles at
//! every level, entry bundles, a builder that produces the tiles of a growing log while
//! holding only the rightmost tiles, and proofs computed from tiles.

use crate::hash::{HASH_SIZE, Hash, leaf_hash, node_hash, perfect_root};
use crate::merkle::{MerkleTree, SubtreeSource};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// Tiles are subtrees of height 8.
pub const TILE_HEIGHT: u32 = 8;
/// A full tile holds 256 hashes (and a full entry bundle 256 entries).
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// The largest entry an entry bundle can carry (its length is a big-endian uint16).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;
/// The highest tile level the path format allows.
pub const MAX_LEVEL: u8 = 63;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Merkle tree hashes at the given tile level (0 holds leaf hashes).
    Hashes(u8),
    /// Log entries: an entry bundle.
    Entries,
}

/// The coordinates of a tile: its kind, its index within its level and its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Hash tile of some level, or entry bundle.
    pub kind: TileKind,
    /// The index within the level.
    pub index: u64,
    /// The number of hashes or entries, 1 to 256; below 256 the tile is partial.
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a tile path: {0}")]
pub struct TilePathError(String);

impl TileId {
    /// A hash tile.
    pub fn hashes(level: u8, index: u64, width: u16) -> TileId {
        TileId {
            kind: TileKind::Hashes(level),
            index,
            width,
        }
    }

    /// An entry bundle.
    pub fn entries(index: u64, width: u16) -> TileId {
        TileId {
            kind: TileKind::Entries,
            index,
            width,
        }
    }

    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The same tile at full width.
    pub fn full(&self) -> TileId {
        TileId {
            width: TILE_WIDTH as u16,
            ..*self
        }
    }

    /// The path below the log's prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes(level) => level.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut path = format!("tile/{level}/{}", index_path(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parses a path as [`TileId::path`] writes it, and nothing else.
    pub fn parse_path(path: &str) -> Result<TileId, TilePathError> {
        let bad = || TilePathError(path.chars().take(100).collect());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let canonical = !level.is_empty()
                && level.bytes().all(|c| c.is_ascii_digit())
                && (level == "0" || !level.starts_with('0'));
            let level: u8 = level.parse().map_err(|_| bad())?;
            if !canonical || level > MAX_LEVEL {
                return Err(bad());
            }
            TileKind::Hashes(level)
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index_part, width)) => {
                let canonical = !width.is_empty()
                    && width.bytes().all(|c| c.is_ascii_digit())
                    && !width.starts_with('0');
                let width: u16 = width.parse().map_err(|_| bad())?;
                if !canonical || !(1..=255).contains(&width) {
                    return Err(bad());
                }
                (index_part, width)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let elements: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, element) in elements.iter().enumerate() {
            let last = i + 1 == elements.len();
            let digits = if last {
                *element
            } else {
                element.strip_prefix('x').ok_or_else(bad)?
            };
            if digits.len() != 3 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            let value: u64 = digits.parse().map_err(|_| bad())?;
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(value))
                .ok_or_else(bad)?;
        }
        // A tile whose first leaf lies past any log's size (2^63 entries) names nothing:
        // refused, so that no arithmetic on its position can wrap round to a real tile.
        let level_of_leaves = match kind {
            TileKind::Entries => 0,
            TileKind::Hashes(level) => u32::from(level),
        };
        let shift = 8 * (level_of_leaves + 1);
        let past = if shift >= 64 {
            index > 0
        } else {
            (u128::from(index) << shift) > i64::MAX as u128
        };
        if past {
            return Err(bad());
        }
        let tile = TileId { kind, index, width };
        // Leading `x000` elements are not canonical.
        if tile.path() != path {
            return Err(bad());
        }
        Ok(tile)
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// `1234067` → `x001/x234/067`.
fn index_path(index: u64) -> String {
    let mut groups = vec![index % 1000];
    let mut n = index / 1000;
    while n > 0 {
        groups.push(n % 1000);
        n /= 1000;
    }
    let mut path = String::new();
    for (i, group) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            path.push_str(&format!("x{group:03}/"));
        } else {
            path.push_str(&format!("{group:03}"));
        }
    }
    path
}

/// The number of hashes at tile level `level` in a tree of `size` entries:
/// `floor(size / 256^level)`.
pub fn hashes_at_level(size: u64, level: u8) -> u64 {
    let shift = TILE_HEIGHT * u32::from(level);
    if shift >= 64 { 0 } else { size >> shift }
}

/// Every tile (hash tiles at every level and entry bundles) of a tree of `size` entries,
/// full and partial.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut tiles = Vec::new();
    let mut level = 0u8;
    loop {
        let count = hashes_at_level(size, level);
        if count == 0 {
            break;
        }
        for index in 0..count.div_ceil(TILE_WIDTH) {
            let width = (count - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            tiles.push(TileId::hashes(level, index, width));
            if level == 0 {
                tiles.push(TileId::entries(index, width));
            }
        }
        level += 1;
    }
    tiles
}

/// The rightmost (partial) tiles of a tree of `size` entries, bottom level first, and the
/// partial entry bundle if any. These are what a writer needs to resume.
pub fn partial_tiles(size: u64) -> Vec<TileId> {
    let mut tiles = Vec::new();
    let mut level = 0u8;
    loop {
        let count = hashes_at_level(size, level);
        if count == 0 {
            break;
        }
        let width = (count % TILE_WIDTH) as u16;
        if width > 0 {
            tiles.push(TileId::hashes(level, count / TILE_WIDTH, width));
            if level == 0 {
                tiles.push(TileId::entries(count / TILE_WIDTH, width));
            }
        }
        level += 1;
    }
    tiles
}

/// Why a tile's bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A hash tile is not `width * 32` bytes long.
    #[error("{tile}: {actual} bytes where {expected} were expected")]
    WrongSize {
        /// Which tile.
        tile: TileId,
        /// The expected length.
        expected: usize,
        /// The actual length.
        actual: usize,
    },
    /// An entry bundle does not hold `width` well-framed entries.
    #[error("{tile}: {reason}")]
    BadBundle {
        /// Which bundle.
        tile: TileId,
        /// What is wrong.
        reason: String,
    },
    /// An entry is too large for a bundle.
    #[error("an entry of {0} bytes exceeds the {MAX_ENTRY_SIZE}-byte limit")]
    EntryTooLarge(usize),
}

/// Splits a hash tile into its hashes, checking its length against its width.
pub fn parse_hash_tile(tile: TileId, data: &[u8]) -> Result<Vec<Hash>, TileError> {
    let expected = usize::from(tile.width) * HASH_SIZE;
    if data.len() != expected {
        return Err(TileError::WrongSize {
            tile,
            expected,
            actual: data.len(),
        });
    }
    Ok(data
        .chunks_exact(HASH_SIZE)
        .map(|chunk| Hash(chunk.try_into().unwrap_or_default()))
        .collect())
}

/// Concatenates hashes into a hash tile.
pub fn encode_hash_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Splits an entry bundle into its entries: exactly `tile.width` big-endian uint16
/// length-prefixed entries and nothing after them.
pub fn parse_entry_bundle(tile: TileId, data: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut entries = Vec::with_capacity(usize::from(tile.width));
    let mut rest = data;
    while !rest.is_empty() {
        if entries.len() == usize::from(tile.width) {
            return Err(TileError::BadBundle {
                tile,
                reason: format!("more than {} entries", tile.width),
            });
        }
        if rest.len() < 2 {
            return Err(TileError::BadBundle {
                tile,
                reason: format!("truncated length prefix of entry {}", entries.len()),
            });
        }
        let length = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if rest.len() < 2 + length {
            return Err(TileError::BadBundle {
                tile,
                reason: format!(
                    "entry {} is truncated: {} of {length} bytes",
                    entries.len(),
                    rest.len() - 2
                ),
            });
        }
        entries.push(&rest[2..2 + length]);
        rest = &rest[2 + length..];
    }
    if entries.len() != usize::from(tile.width) {
        return Err(TileError::BadBundle {
            tile,
            reason: format!(
                "{} entries where {} were expected",
                entries.len(),
                tile.width
            ),
        });
    }
    Ok(entries)
}

/// Appends one entry to an entry bundle.
pub fn push_bundle_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), TileError> {
    let length = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLarge(entry.len()))?;
    bundle.extend_from_slice(&length.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Builds the tiles of a growing log. It holds only the rightmost, partial tiles (at most
/// 255 hashes per level and 255 entries), so its memory does not grow with the log.
#[derive(Debug, Clone, Default)]
pub struct TileBuilder {
    tree: MerkleTree,
    /// The partial hash tile of each level, bottom first.
    levels: Vec<Vec<Hash>>,
    /// The partial entry bundle, encoded.
    bundle: Vec<u8>,
    /// Full tiles completed since the last take, with their bytes.
    completed: Vec<(TileId, Vec<u8>)>,
}

/// Why a builder could not resume from stored tiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// A stored tile is malformed.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// A partial tile is missing or of the wrong width.
    #[error("missing or wrong partial tile {0}")]
    Missing(TileId),
    /// The partial entry bundle does not hash to the partial level-0 tile.
    #[error("the entries of {0} do not match the leaf hashes of the level-0 tile")]
    Mismatch(TileId),
}

impl TileBuilder {
    /// A builder for an empty log.
    pub fn new() -> TileBuilder {
        TileBuilder::default()
    }

    /// Resumes a log of `size` entries from its partial tiles (as [`partial_tiles`] lists
    /// them), given as `(tile, bytes)`.
    pub fn resume(size: u64, partials: &[(TileId, Vec<u8>)]) -> Result<TileBuilder, ResumeError> {
        let mut builder = TileBuilder::new();
        let mut levels: Vec<Vec<Hash>> = Vec::new();
        let mut level = 0u8;
        while hashes_at_level(size, level) > 0 {
            let count = hashes_at_level(size, level);
            let width = (count % TILE_WIDTH) as u16;
            let hashes = if width == 0 {
                Vec::new()
            } else {
                let id = TileId::hashes(level, count / TILE_WIDTH, width);
                let (_, data) = partials
                    .iter()
                    .find(|(t, _)| *t == id)
                    .ok_or(ResumeError::Missing(id))?;
                parse_hash_tile(id, data)?
            };
            levels.push(hashes);
            level += 1;
        }
        let edge = edge_from_partial_tiles(&levels);
        let width = size % TILE_WIDTH;
        if width > 0 {
            let id = TileId::entries(size / TILE_WIDTH, width as u16);
            let (_, data) = partials
                .iter()
                .find(|(t, _)| *t == id)
                .ok_or(ResumeError::Missing(id))?;
            let entries = parse_entry_bundle(id, data)?;
            // The bundle must match the leaf hashes it claims.
            let leaves = &levels[0];
            if entries.iter().zip(leaves).any(|(e, h)| leaf_hash(e) != *h) {
                return Err(ResumeError::Mismatch(id));
            }
            builder.bundle = data.clone();
        }
        builder.tree = MerkleTree::from_edge(size, edge).map_err(|_| {
            ResumeError::Missing(TileId::hashes(
                0,
                size / TILE_WIDTH,
                (size % TILE_WIDTH) as u16,
            ))
        })?;
        builder.levels = levels;
        Ok(builder)
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The current root hash.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// The tree's right edge.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// Appends an entry; returns its index and leaf hash.
    pub fn append(&mut self, entry: &[u8]) -> Result<(u64, Hash), TileError> {
        if entry.len() > MAX_ENTRY_SIZE {
            return Err(TileError::EntryTooLarge(entry.len()));
        }
        let leaf = leaf_hash(entry);
        let index = self.tree.append_leaf_hash(leaf);
        push_bundle_entry(&mut self.bundle, entry)?;
        if (index + 1).is_multiple_of(TILE_WIDTH) {
            let bundle = std::mem::take(&mut self.bundle);
            self.completed.push((
                TileId::entries(index / TILE_WIDTH, TILE_WIDTH as u16),
                bundle,
            ));
        }
        // Push the hash up the levels: a completed tile's root is the next level's hash.
        let mut hash = leaf;
        let mut level = 0usize;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            if self.levels[level].len() as u64 != TILE_WIDTH {
                break;
            }
            let tile_hashes = std::mem::take(&mut self.levels[level]);
            let tile_index = hashes_at_level(self.tree.size(), level as u8) / TILE_WIDTH - 1;
            hash = perfect_root(&tile_hashes);
            self.completed.push((
                TileId::hashes(level as u8, tile_index, TILE_WIDTH as u16),
                encode_hash_tile(&tile_hashes),
            ));
            level += 1;
        }
        Ok((index, leaf))
    }

    /// The tiles to publish for the current size: every full tile completed since the last
    /// call, then the current partial tiles. Full tiles never change once written.
    pub fn take_tiles(&mut self) -> Vec<(TileId, Vec<u8>)> {
        let mut tiles = std::mem::take(&mut self.completed);
        tiles.extend(self.partial_tiles());
        tiles
    }

    /// The current partial tiles and partial entry bundle, with their bytes.
    pub fn partial_tiles(&self) -> Vec<(TileId, Vec<u8>)> {
        let size = self.tree.size();
        let mut tiles = Vec::new();
        for (level, hashes) in self.levels.iter().enumerate() {
            if !hashes.is_empty() {
                let index = hashes_at_level(size, level as u8) / TILE_WIDTH;
                tiles.push((
                    TileId::hashes(level as u8, index, hashes.len() as u16),
                    encode_hash_tile(hashes),
                ));
            }
        }
        if !self.bundle.is_empty() {
            tiles.push((
                TileId::entries(size / TILE_WIDTH, (size % TILE_WIDTH) as u16),
                self.bundle.clone(),
            ));
        }
        tiles
    }
}

/// The right edge of a tree (see [`MerkleTree::edge`]) from the hashes of its partial
/// tiles, bottom level first: for each level from the top, the perfect subtrees of its
/// partial tile, given by the binary digits of the tile's width.
pub fn edge_from_partial_tiles(levels: &[Vec<Hash>]) -> Vec<Hash> {
    let mut edge = Vec::new();
    for hashes in levels.iter().rev() {
        let mut offset = 0usize;
        for bit in (0..TILE_HEIGHT).rev() {
            let span = 1usize << bit;
            if hashes.len() & span != 0 {
                edge.push(perfect_root(&hashes[offset..offset + span]));
                offset += span;
            }
        }
    }
    edge
}

/// Reads tiles from wherever a log keeps them: a directory, an HTTP server, a database.
pub trait TileReader {
    /// Why a read failed.
    type Error: fmt::Display;

    /// The bytes of one tile or entry bundle.
    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, Self::Error>;
}

/// Why a hash could not be read from tiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TiledTreeError {
    /// The reader failed.
    #[error("reading {tile}: {message}")]
    Read {
        /// Which tile.
        tile: TileId,
        /// The reader's message.
        message: String,
    },
    /// A tile is malformed.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// A hash outside the tree was asked for.
    #[error("range {start}..{end} is not in a tree of size {size}")]
    OutOfRange {
        /// Start of the range.
        start: u64,
        /// End of the range.
        end: u64,
        /// The tree size.
        size: u64,
    },
}

/// The Merkle tree of a log of a given size, read from its tiles on demand and cached.
///
/// A partial tile that is gone (the log grew and deleted it) is read from the full tile,
/// whose first hashes are the same.
pub struct TiledTree<'r, R: TileReader> {
    size: u64,
    reader: &'r R,
    cache: RefCell<HashMap<(u8, u64), Vec<Hash>>>,
    /// Perfect subtree hashes already asked for, by (height, index): proofs for
    /// neighbouring leaves (a batch's receipts) ask for many of the same.
    nodes: RefCell<HashMap<(u32, u64), Hash>>,
}

impl<'r, R: TileReader> TiledTree<'r, R> {
    /// The tree of the first `size` entries of the log behind `reader`.
    pub fn new(size: u64, reader: &'r R) -> TiledTree<'r, R> {
        TiledTree {
            size,
            reader,
            cache: RefCell::new(HashMap::new()),
            nodes: RefCell::new(HashMap::new()),
        }
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash, computed from tiles.
    pub fn root(&self) -> Result<Hash, TiledTreeError> {
        if self.size == 0 {
            return Ok(crate::hash::empty_root());
        }
        self.subtree_hash(0, self.size)
    }

    /// Hashes `[first, first + count)` of tile level `level`, all inside one tile.
    fn level_hashes(&self, level: u8, first: u64, count: u64) -> Result<Vec<Hash>, TiledTreeError> {
        let index = first / TILE_WIDTH;
        let offset = (first % TILE_WIDTH) as usize;
        let available = hashes_at_level(self.size, level);
        let full_tiles = available / TILE_WIDTH;
        let width = if index < full_tiles {
            TILE_WIDTH
        } else {
            available % TILE_WIDTH
        };
        if let Some(hashes) = self.cache.borrow().get(&(level, index))
            && hashes.len() >= offset + count as usize
        {
            return Ok(hashes[offset..offset + count as usize].to_vec());
        }
        let id = TileId::hashes(level, index, width as u16);
        let hashes = match self.reader.read_tile(id) {
            Ok(data) => parse_hash_tile(id, &data)?,
            Err(first_error) if !id.is_full() => match self.reader.read_tile(id.full()) {
                Ok(data) => parse_hash_tile(id.full(), &data)?,
                Err(_) => {
                    return Err(TiledTreeError::Read {
                        tile: id,
                        message: first_error.to_string(),
                    });
                }
            },
            Err(e) => {
                return Err(TiledTreeError::Read {
                    tile: id,
                    message: e.to_string(),
                });
            }
        };
        let slice = hashes
            .get(offset..offset + count as usize)
            .map(<[Hash]>::to_vec)
            .ok_or(TileError::WrongSize {
                tile: id,
                expected: (offset + count as usize) * HASH_SIZE,
                actual: hashes.len() * HASH_SIZE,
            })?;
        self.cache.borrow_mut().insert((level, index), hashes);
        Ok(slice)
    }

    /// The hash of the perfect subtree of height `height` with index `index` at that height.
    fn perfect_hash(&self, height: u32, index: u64) -> Result<Hash, TiledTreeError> {
        if let Some(hash) = self.nodes.borrow().get(&(height, index)) {
            return Ok(*hash);
        }
        // Inside a tile, a node is the hash of its two children, each remembered: the
        // receipts of one batch share most of the nodes of the rightmost tiles.
        let hash = if height.is_multiple_of(TILE_HEIGHT) {
            self.level_hashes((height / TILE_HEIGHT) as u8, index, 1)?[0]
        } else {
            node_hash(
                &self.perfect_hash(height - 1, 2 * index)?,
                &self.perfect_hash(height - 1, 2 * index + 1)?,
            )
        };
        self.nodes.borrow_mut().insert((height, index), hash);
        Ok(hash)
    }
}

impl<R: TileReader> SubtreeSource for TiledTree<'_, R> {
    type Error = TiledTreeError;

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, TiledTreeError> {
        if start >= end || end > self.size {
            return Err(TiledTreeError::OutOfRange {
                start,
                end,
                size: self.size,
            });
        }
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            return self.perfect_hash(n.trailing_zeros(), start / n);
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        Ok(node_hash(
            &self.subtree_hash(start, start + k)?,
            &self.subtree_hash(start + k, end)?,
        ))
    }
}

/// Tiles held in memory, keyed by their coordinates: a reader for tests and benchmarks.
#[derive(Debug, Clone, Default)]
pub struct MemoryTiles {
    tiles: HashMap<TileId, Vec<u8>>,
}

/// A tile a [`MemoryTiles`] does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no tile {0}")]
pub struct NoSuchTile(pub TileId);

impl MemoryTiles {
    /// Stores tiles as a builder publishes them.
    pub fn store(&mut self, tiles: Vec<(TileId, Vec<u8>)>) {
        self.tiles.extend(tiles);
    }

    /// All stored tiles.
    pub fn tiles(&self) -> &HashMap<TileId, Vec<u8>> {
        &self.tiles
    }

    /// Mutable access, to tamper with in tests.
    pub fn tiles_mut(&mut self) -> &mut HashMap<TileId, Vec<u8>> {
        &mut self.tiles
    }
}

impl TileReader for MemoryTiles {
    type Error = NoSuchTile;

    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, NoSuchTile> {
        self.tiles.get(&tile).cloned().ok_or(NoSuchTile(tile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_past_any_log_are_refused() {
        // 2^56 entry tiles start at leaf 2^64: it would wrap round to tile 0.
        assert!(TileId::parse_path("tile/entries/x072/x057/x594/x037/x927/936.p/5").is_err());
        assert!(TileId::parse_path("tile/0/x072/x057/x594/x037/x927/936").is_err());
        // The last entry tile of a log of 2^63 entries is fine.
        let last = (1u64 << 55) - 1;
        let path = TileId {
            kind: TileKind::Entries,
            index: last,
            width: TILE_WIDTH as u16,
        }
        .path();
        assert_eq!(TileId::parse_path(&path).ok().map(|t| t.index), Some(last));
    }

    #[test]
    fn paths() {
        assert_eq!(
            TileId::hashes(0, 1_234_067, 256).path(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(TileId::hashes(2, 5, 17).path(), "tile/2/005.p/17");
        assert_eq!(TileId::entries(1000, 256).path(), "tile/entries/x001/000");
        for path in [
            "tile/0/x001/x234/067",
            "tile/2/005.p/17",
            "tile/entries/x001/000",
            "tile/63/000",
        ] {
            assert_eq!(TileId::parse_path(path).unwrap().path(), path);
        }
        for bad in [
            "tile/0/1234067",
            "tile/0/x000/067",
            "tile/01/000",
            "tile/64/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/017",
            "tile/0/x1/000",
            "tile/data/000",
            "tile/0/00",
            "tile/0/001/002",
        ] {
            assert!(TileId::parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tiles_of_70000_entries_match_the_specification_example() {
        let tiles: Vec<TileId> = tiles_for_size(70_000)
            .into_iter()
            .filter(|t| t.kind != TileKind::Entries)
            .collect();
        let full0 = tiles
            .iter()
            .filter(|t| t.kind == TileKind::Hashes(0) && t.is_full())
            .count();
        assert_eq!(full0, 273);
        assert!(tiles.contains(&TileId::hashes(0, 273, 112)));
        assert!(tiles.contains(&TileId::hashes(1, 0, 256)));
        assert!(tiles.contains(&TileId::hashes(1, 1, 17)));
        assert!(tiles.contains(&TileId::hashes(2, 0, 1)));
        assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);
        assert_eq!(
            partial_tiles(256),
            vec![TileId::hashes(1, 0, 1)],
            "a tree of 256 has a full level-0 tile and a partial level-1 tile of width 1"
        );
    }

    #[test]
    fn builder_resume_continues_identically() {
        let mut builder = TileBuilder::new();
        let mut tiles = MemoryTiles::default();
        for i in 0..70_000u32 {
            builder.append(&i.to_be_bytes()).unwrap();
            if i % 9_999 == 0 {
                tiles.store(builder.take_tiles());
                let size = builder.size();
                let partials: Vec<_> = partial_tiles(size)
                    .into_iter()
                    .map(|t| (t, tiles.read_tile(t).unwrap()))
                    .collect();
                let resumed = TileBuilder::resume(size, &partials).unwrap();
                assert_eq!(resumed.root(), builder.root());
                builder = resumed;
            }
        }
        tiles.store(builder.take_tiles());
        let tree = TiledTree::new(builder.size(), &tiles);
        assert_eq!(tree.root().unwrap(), builder.root());
        for t in tiles_for_size(70_000) {
            assert!(tiles.tiles().contains_key(&t), "missing {t}");
        }
    }

    #[test]
    fn bundles_refuse_bad_framing() {
        let id = TileId::entries(0, 2);
        let mut bundle = Vec::new();
        push_bundle_entry(&mut bundle, b"ab").unwrap();
        push_bundle_entry(&mut bundle, b"").unwrap();
        assert_eq!(
            parse_entry_bundle(id, &bundle).unwrap(),
            vec![&b"ab"[..], &b""[..]]
        );
        assert!(parse_entry_bundle(id, &bundle[..bundle.len() - 1]).is_err());
        assert!(parse_entry_bundle(TileId::entries(0, 1), &bundle).is_err());
        assert!(parse_entry_bundle(TileId::entries(0, 3), &bundle).is_err());
        assert!(push_bundle_entry(&mut bundle, &vec![0; 70_000]).is_err());
    }
}
