//! SHA-256 hashes and the RFC 6962 domain-separated leaf and node hashes.
//!
//! Every hash prefix of the log is defined here, in one place.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// The size of a hash in bytes.
pub const HASH_SIZE: usize = 32;

/// RFC 6962 prefix of a leaf hash.
const LEAF_PREFIX: u8 = 0x00;
/// RFC 6962 prefix of an interior node hash.
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 hash: a leaf, a node or a tree root.
///
/// Equality is constant time.
#[derive(Clone, Copy, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// The bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Standard base64 with padding, as C2SP checkpoints write root hashes.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Lowercase hexadecimal, as documents and bid commitments are referenced.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }

    /// Parses standard base64 of exactly 32 bytes; non-canonical encodings are refused.
    pub fn from_base64(text: &str) -> Result<Hash, HashParseError> {
        let bytes = BASE64.decode(text).map_err(|_| HashParseError::Base64)?;
        Hash::from_slice(&bytes)
    }

    /// Parses 64 lowercase hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Hash, HashParseError> {
        let bytes = hex_decode(text).ok_or(HashParseError::Hex)?;
        Hash::from_slice(&bytes)
    }

    /// Takes exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash, HashParseError> {
        let array: [u8; HASH_SIZE] = bytes
            .try_into()
            .map_err(|_| HashParseError::Length(bytes.len()))?;
        Ok(Hash(array))
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Hash {}

impl std::hash::Hash for Hash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// Why a hash could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// Not canonical standard base64.
    #[error("not valid base64")]
    Base64,
    /// Not lowercase hexadecimal.
    #[error("not lowercase hexadecimal")]
    Hex,
    /// Decoded to the wrong number of bytes.
    #[error("a hash has 32 bytes, not {0}")]
    Length(usize),
}

/// SHA-256 of arbitrary bytes.
pub fn sha256(data: &[u8]) -> Hash {
    Hash(Sha256::digest(data).into())
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(b"")
}

/// RFC 6962 leaf hash: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(entry);
    Hash(hasher.finalize().into())
}

/// RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut block = [0u8; 1 + 2 * HASH_SIZE];
    block[0] = NODE_PREFIX;
    block[1..33].copy_from_slice(&left.0);
    block[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(block).into())
}

/// The root of a perfect tree whose leaves (or subtree roots) are `hashes`.
///
/// `hashes.len()` must be a power of two; this is the Merkle Tree Hash of a full tile.
pub fn perfect_root(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// Lowercase hexadecimal encoding.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 0x0f) as usize] as char);
    }
    out
}

/// Decodes lowercase hexadecimal; `None` for odd lengths, uppercase or other characters.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_round_trip_and_refusals() {
        let h = sha256(b"abc");
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        assert_eq!(
            Hash::from_hex(&h.to_hex().to_uppercase()),
            Err(HashParseError::Hex)
        );
        assert_eq!(Hash::from_hex("00"), Err(HashParseError::Length(1)));
        assert_eq!(Hash::from_base64("AA=="), Err(HashParseError::Length(1)));
        assert_eq!(
            Hash::from_base64("not base64!"),
            Err(HashParseError::Base64)
        );
    }
}
