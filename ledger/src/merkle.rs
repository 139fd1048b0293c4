//! The RFC 6962 / RFC 9162 Merkle tree: an incremental tree that keeps only its right
//! edge, and inclusion and consistency proofs, generated and verified.

use crate::hash::{Hash, empty_root, leaf_hash, node_hash};

/// An append-only Merkle tree that holds only its right edge: one hash per set bit of the
/// tree size, at most 64 hashes whatever the size. Appending is O(log n) worst case and
/// O(1) amortised; the root is O(log n).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    size: u64,
    /// Roots of the perfect subtrees that make up the tree, largest (leftmost) first.
    edge: Vec<Hash>,
}

/// Why a right edge was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tree of size {size} has {expected} edge hashes, not {given}")]
pub struct EdgeError {
    size: u64,
    expected: u32,
    given: usize,
}

impl MerkleTree {
    /// The empty tree.
    pub fn new() -> MerkleTree {
        MerkleTree::default()
    }

    /// Rebuilds a tree from its size and right edge, as [`MerkleTree::edge`] returned them.
    pub fn from_edge(size: u64, edge: Vec<Hash>) -> Result<MerkleTree, EdgeError> {
        if edge.len() != size.count_ones() as usize {
            return Err(EdgeError {
                size,
                expected: size.count_ones(),
                given: edge.len(),
            });
        }
        Ok(MerkleTree { size, edge })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the perfect subtrees making up the tree, largest first.
    pub fn edge(&self) -> &[Hash] {
        &self.edge
    }

    /// Appends an entry and returns its index.
    pub fn append_entry(&mut self, entry: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size;
        let mut hash = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            // A perfect subtree of the same height is completed: merge it into its parent.
            let left = self.edge.pop().unwrap_or_default();
            hash = node_hash(&left, &hash);
            size >>= 1;
        }
        self.edge.push(hash);
        self.size += 1;
        index
    }

    /// The Merkle Tree Hash of the whole tree.
    pub fn root(&self) -> Hash {
        let mut hashes = self.edge.iter().rev();
        match hashes.next() {
            None => empty_root(),
            Some(last) => hashes.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

/// A source of the Merkle Tree Hashes of subtrees of one tree: tiles, a database, or
/// leaves in memory.
pub trait SubtreeSource {
    /// Why a hash could not be had.
    type Error;

    /// `MTH(D[start:end])`, for `start < end <= tree size`. Proof generation only asks for
    /// ranges whose start is a multiple of the largest power of two smaller than or equal
    /// to `end - start`.
    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, Self::Error>;
}

/// Why a proof could not be computed or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not in the tree.
    #[error("leaf {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The first tree is larger than the second.
    #[error("a tree of size {old} cannot extend to size {new}")]
    SizesOutOfOrder {
        /// The older size.
        old: u64,
        /// The newer size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("a proof for these sizes has {expected} hashes, not {given}")]
    WrongLength {
        /// How many the sizes require.
        expected: usize,
        /// How many were given.
        given: usize,
    },
    /// The proof leads to another root.
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
    /// The proof leads to another root for the older tree.
    #[error("the proof does not lead to the older tree's root hash")]
    OldRootMismatch,
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The inclusion proof (RFC 9162 §2.1.3.1) of leaf `index` in the tree of size `size`,
/// from the leaf's sibling up to the root's child.
pub fn inclusion_proof<S: SubtreeSource>(
    source: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofOrSourceError<S::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size }.into());
    }
    let mut proof = Vec::new();
    let (mut start, mut end) = (0u64, size);
    // Walk from the root down, collecting siblings; reverse at the end.
    while end - start > 1 {
        let k = split_point(end - start);
        if index < start + k {
            proof.push(
                source
                    .subtree_hash(start + k, end)
                    .map_err(ProofOrSourceError::Source)?,
            );
            end = start + k;
        } else {
            proof.push(
                source
                    .subtree_hash(start, start + k)
                    .map_err(ProofOrSourceError::Source)?,
            );
            start += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The consistency proof (RFC 9162 §2.1.4.1) between the trees of sizes `old` and `new`.
pub fn consistency_proof<S: SubtreeSource>(
    source: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, ProofOrSourceError<S::Error>> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new }.into());
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    let mut proof = Vec::new();
    let (mut start, mut end) = (0u64, new);
    let mut m = old;
    let mut whole = true;
    // SUBPROOF(m, D[start:end], whole), iteratively.
    loop {
        let n = end - start;
        if m == n {
            if !whole {
                proof.push(
                    source
                        .subtree_hash(start, end)
                        .map_err(ProofOrSourceError::Source)?,
                );
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push(
                source
                    .subtree_hash(start + k, end)
                    .map_err(ProofOrSourceError::Source)?,
            );
            end = start + k;
        } else {
            proof.push(
                source
                    .subtree_hash(start, start + k)
                    .map_err(ProofOrSourceError::Source)?,
            );
            start += k;
            m -= k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// A proof could not be computed: either the request was impossible or the source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofOrSourceError<E> {
    /// The request itself is impossible.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The source of hashes failed.
    #[error("could not read the tree: {0}")]
    Source(E),
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_length(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            given: proof.len(),
        });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                expected,
                given: proof.len(),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 || r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The number of hashes in an inclusion proof of `index` in a tree of `size`.
fn inclusion_proof_length(index: u64, size: u64) -> usize {
    let mut length = 0;
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let k = split_point(end - start);
        if index < start + k {
            end = start + k;
        } else {
            start += k;
        }
        length += 1;
    }
    length
}

fn consistency_proof_length(old: u64, new: u64) -> usize {
    if old == 0 || old == new {
        return 0;
    }
    let (mut start, mut end, mut m, mut whole, mut length) = (0u64, new, old, true, 0);
    loop {
        let n = end - start;
        if m == n {
            if !whole {
                length += 1;
            }
            return length;
        }
        let k = split_point(n);
        if m <= k {
            end = start + k;
        } else {
            start += k;
            m -= k;
            whole = false;
        }
        length += 1;
    }
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2) between a tree of size `old` with
/// root `old_root` and a tree of size `new` with root `new_root`.
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    let expected = consistency_proof_length(old, new);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            given: proof.len(),
        });
    }
    if old == new {
        if old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    if old == 0 {
        // Every tree extends the empty tree.
        return if *old_root == empty_root() {
            Ok(())
        } else {
            Err(ProofError::OldRootMismatch)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                expected,
                given: proof.len(),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if snode != 0 || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// All leaf hashes of a tree in memory: the reference source for tests and small logs.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    leaves: Vec<Hash>,
}

/// A [`MemoryTree`] was asked for leaves it does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("range {start}..{end} is not in a tree of {size} leaves")]
pub struct RangeError {
    start: u64,
    end: u64,
    size: u64,
}

impl MemoryTree {
    /// A tree of these leaf hashes.
    pub fn new(leaves: Vec<Hash>) -> MemoryTree {
        MemoryTree { leaves }
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.leaves.push(leaf);
    }

    /// The leaf hashes.
    pub fn leaves(&self) -> &[Hash] {
        &self.leaves
    }

    /// The root of the first `size` leaves, by the RFC 6962 recursion.
    pub fn root(&self, size: u64) -> Result<Hash, RangeError> {
        if size == 0 {
            return Ok(empty_root());
        }
        self.subtree_hash(0, size)
    }
}

impl SubtreeSource for MemoryTree {
    type Error = RangeError;

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, RangeError> {
        if start >= end || end > self.leaves.len() as u64 {
            return Err(RangeError {
                start,
                end,
                size: self.leaves.len() as u64,
            });
        }
        if end - start == 1 {
            return Ok(self.leaves[start as usize]);
        }
        let k = split_point(end - start);
        Ok(node_hash(
            &self.subtree_hash(start, start + k)?,
            &self.subtree_hash(start + k, end)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(1 << 40), 1 << 39);
    }

    #[test]
    fn incremental_root_matches_recursive_root() {
        let mut tree = MerkleTree::new();
        let mut memory = MemoryTree::default();
        assert_eq!(tree.root(), empty_root());
        for i in 0u32..300 {
            let leaf = leaf_hash(&i.to_be_bytes());
            tree.append_leaf_hash(leaf);
            memory.push(leaf);
            assert_eq!(
                tree.root(),
                memory.root(tree.size()).unwrap(),
                "size {}",
                tree.size()
            );
            assert_eq!(tree.edge().len(), tree.size().count_ones() as usize);
        }
        let copy = MerkleTree::from_edge(tree.size(), tree.edge().to_vec()).unwrap();
        assert_eq!(copy.root(), tree.root());
        assert!(MerkleTree::from_edge(7, vec![Hash::default()]).is_err());
    }
}
