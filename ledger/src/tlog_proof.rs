//! C2SP tlog-proof files (`c2sp.org/tlog-proof@v1`): an entry's index, its inclusion proof
//! and a signed checkpoint, with optional opaque extra data, checkable offline with the
//! log's verifier key (and the witnesses' keys). Stored with the extension `.tlog-proof`.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64 of the extra data>          (optional)
//! index <decimal, no leading zeros>
//! <base64 hash>                             (zero or more: the inclusion proof, from
//! ...                                        the leaf's sibling up)
//!                                           (an empty line)
//! <the signed checkpoint, verbatim>
//! ```
//!
//! Parsing is strict: one spelling per proof. The extra data is not authenticated by the
//! proof: whoever reads it must check it against the entry it proves.

use crate::checkpoint::{Checkpoint, CheckpointError, CheckpointPolicy, VerifiedCheckpoint};
use crate::hash::Hash;
use crate::merkle::{ProofError, verify_inclusion};
use crate::note::Note;
use crate::receipt::Receipt;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The first line of a tlog-proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most hashes an inclusion proof can have (a tree of up to 2^64 leaves).
pub const MAX_PROOF_HASHES: usize = 64;

/// Why a tlog-proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogProofError {
    /// The text is not a tlog-proof.
    #[error("malformed tlog-proof: {0}")]
    Malformed(String),
    /// The checkpoint is malformed or fails the policy.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The inclusion proof does not lead from the leaf to the checkpoint's root.
    #[error("inclusion proof: {0}")]
    Proof(#[from] ProofError),
}

fn malformed(reason: impl Into<String>) -> TlogProofError {
    TlogProofError::Malformed(reason.into())
}

/// A tlog-proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data, unauthenticated; `None` or non-empty (an empty extra is
    /// written as none).
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log.
    pub index: u64,
    /// The RFC 6962 inclusion proof, from the leaf's sibling up to the root's child.
    pub proof: Vec<Hash>,
    /// The signed checkpoint (a C2SP signed note, ending with a newline), verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// A proof without extra data.
    pub fn new(index: u64, proof: Vec<Hash>, checkpoint: String) -> TlogProof {
        TlogProof {
            extra: None,
            index,
            proof,
            checkpoint,
        }
    }

    /// The proof in its text form.
    pub fn format(&self) -> String {
        let mut out = String::with_capacity(64 + 45 * self.proof.len() + self.checkpoint.len());
        out.push_str(TLOG_PROOF_HEADER);
        out.push('\n');
        if let Some(extra) = self.extra.as_ref().filter(|e| !e.is_empty()) {
            out.push_str("extra ");
            out.push_str(&BASE64.encode(extra));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for hash in &self.proof {
            out.push_str(&hash.to_base64());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses a proof strictly: the header line; an optional `extra` line of non-empty
    /// canonical base64; `index` with a decimal without leading zeros; at most
    /// [`MAX_PROOF_HASHES`] lines of base64 32-byte hashes; an empty line; a well-formed
    /// signed checkpoint and nothing after it. Carriage returns are refused anywhere.
    /// Signatures are not checked here: see [`TlogProof::check`].
    pub fn parse(text: &[u8]) -> Result<TlogProof, TlogProofError> {
        if text.contains(&b'\r') {
            return Err(malformed(
                "it contains a carriage return (lines end with \\n alone)",
            ));
        }
        // Every line before the checkpoint is non-empty, so the first empty line ends them.
        let (head, checkpoint) = match find_blank_line(text) {
            Some(at) => (&text[..at], &text[at + 2..]),
            None => {
                return Err(malformed("no empty line before the checkpoint"));
            }
        };
        let head = std::str::from_utf8(head)
            .ok()
            .filter(|h| h.is_ascii())
            .ok_or_else(|| malformed("the lines before the checkpoint are not ASCII"))?;
        let mut lines = head.split('\n').peekable();
        if lines.next() != Some(TLOG_PROOF_HEADER) {
            return Err(malformed(format!(
                "the first line is not {TLOG_PROOF_HEADER}"
            )));
        }
        let extra = match lines.peek().and_then(|l| l.strip_prefix("extra ")) {
            Some(data) => {
                lines.next();
                if data.is_empty() {
                    return Err(malformed(
                        "the extra line has no data (without extra data, omit the line)",
                    ));
                }
                Some(
                    BASE64
                        .decode(data)
                        .map_err(|_| malformed("the extra data is not valid base64"))?,
                )
            }
            None => None,
        };
        let index_line = lines.next().ok_or_else(|| malformed("no index line"))?;
        let digits = index_line
            .strip_prefix("index ")
            .ok_or_else(|| malformed(format!("expected the index line, not {index_line:?}")))?;
        let canonical = !digits.is_empty()
            && digits.bytes().all(|c| c.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !canonical {
            return Err(malformed(format!(
                "the index {digits:?} is not a decimal number without leading zeros"
            )));
        }
        let index = digits
            .parse::<u64>()
            .map_err(|_| malformed(format!("the index {digits} is out of range")))?;
        let mut proof = Vec::new();
        for (n, line) in lines.enumerate() {
            if proof.len() == MAX_PROOF_HASHES {
                return Err(malformed(format!(
                    "an inclusion proof has at most {MAX_PROOF_HASHES} hashes"
                )));
            }
            let hash = Hash::from_base64(line).map_err(|e| {
                malformed(format!(
                    "inclusion proof line {}: {e} ({line:?} is not a base64 SHA-256 hash)",
                    n + 1
                ))
            })?;
            proof.push(hash);
        }
        let checkpoint = std::str::from_utf8(checkpoint)
            .map_err(|_| malformed("the checkpoint is not UTF-8 text"))?;
        let note = Note::parse(checkpoint.as_bytes()).map_err(CheckpointError::from)?;
        Checkpoint::parse(note.text())?;
        Ok(TlogProof {
            extra,
            index,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Checks the proof for the entry whose RFC 6962 leaf hash is `leaf`: the checkpoint
    /// against `policy`, then the inclusion proof of `leaf` at `index` to the checkpoint's
    /// root. Answers the verified checkpoint. The extra data is not looked at.
    pub fn check(
        &self,
        leaf: &Hash,
        policy: &CheckpointPolicy,
    ) -> Result<VerifiedCheckpoint, TlogProofError> {
        let checkpoint = policy.open(self.checkpoint.as_bytes())?;
        verify_inclusion(
            leaf,
            self.index,
            checkpoint.checkpoint.size,
            &self.proof,
            &checkpoint.checkpoint.root,
        )?;
        Ok(checkpoint)
    }
}

/// The position of the first `\n\n`.
fn find_blank_line(text: &[u8]) -> Option<usize> {
    text.windows(2).position(|pair| pair == b"\n\n")
}

/// The tlog-proof of a JSON receipt: its index, inclusion proof and checkpoint, no extra.
impl TryFrom<&Receipt> for TlogProof {
    type Error = TlogProofError;

    fn try_from(receipt: &Receipt) -> Result<TlogProof, TlogProofError> {
        let proof = receipt
            .inclusion_proof
            .iter()
            .map(|h| Hash::from_base64(h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed(format!("the receipt's inclusion_proof: {e}")))?;
        Ok(TlogProof::new(
            receipt.index,
            proof,
            receipt.checkpoint.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::{MemoryTree, inclusion_proof};
    use crate::note::{KeyType, NoteSigner};
    use ed25519_dalek::SigningKey;

    fn log_key(seed: u8) -> NoteSigner {
        NoteSigner::new(
            "vitrine.example/log",
            KeyType::Ed25519,
            SigningKey::from_bytes(&[seed; 32]),
        )
        .unwrap()
    }

    /// A tree of five leaves and the proof of leaf 3 against its checkpoint.
    fn proof_of_3() -> (Vec<Hash>, TlogProof) {
        let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        let tree = MemoryTree::new(leaves.clone());
        let checkpoint = Checkpoint {
            origin: "vitrine.example/log".into(),
            size: 5,
            root: tree.root(5).unwrap(),
            extensions: vec![],
        }
        .sign(&log_key(1))
        .unwrap();
        let proof = inclusion_proof(&tree, 3, 5).unwrap();
        (leaves, TlogProof::new(3, proof, checkpoint))
    }

    #[test]
    fn format_parse_round_trip_and_check() {
        let (leaves, mut proof) = proof_of_3();
        let policy = CheckpointPolicy::log_only(log_key(1).verifier()).unwrap();
        let text = proof.format();
        assert!(
            text.starts_with("c2sp.org/tlog-proof@v1\nindex 3\n"),
            "{text}"
        );
        assert!(text.contains("\n\nvitrine.example/log\n5\n"), "{text}");
        assert_eq!(TlogProof::parse(text.as_bytes()).unwrap(), proof);
        let verified = proof.check(&leaves[3], &policy).unwrap();
        assert_eq!(verified.checkpoint.size, 5);

        proof.extra = Some("捐赠 receipt".as_bytes().to_vec());
        let text = proof.format();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra 5o2Q6LWgIHJlY2VpcHQ=\nindex 3\n"));
        assert_eq!(TlogProof::parse(text.as_bytes()).unwrap(), proof);
        // An empty extra is no extra.
        proof.extra = Some(Vec::new());
        assert_eq!(
            TlogProof::parse(proof.format().as_bytes()).unwrap().extra,
            None
        );
    }

    #[test]
    fn the_proof_of_the_first_leaf_of_a_one_leaf_tree_has_no_hashes() {
        let leaf = leaf_hash(b"only");
        let checkpoint = Checkpoint {
            origin: "vitrine.example/log".into(),
            size: 1,
            root: leaf,
            extensions: vec![],
        }
        .sign(&log_key(1))
        .unwrap();
        let proof = TlogProof::new(0, vec![], checkpoint);
        let text = proof.format();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\nvitrine.example/log\n"));
        let parsed = TlogProof::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed, proof);
        let policy = CheckpointPolicy::log_only(log_key(1).verifier()).unwrap();
        parsed.check(&leaf, &policy).unwrap();
    }

    #[test]
    fn check_refuses_another_leaf_index_or_key() {
        let (leaves, proof) = proof_of_3();
        let policy = CheckpointPolicy::log_only(log_key(1).verifier()).unwrap();
        assert_eq!(
            proof.check(&leaves[2], &policy),
            Err(TlogProofError::Proof(ProofError::RootMismatch))
        );
        let moved = TlogProof {
            index: 2,
            ..proof.clone()
        };
        assert!(matches!(
            moved.check(&leaves[3], &policy),
            Err(TlogProofError::Proof(_))
        ));
        let beyond = TlogProof {
            index: 5,
            ..proof.clone()
        };
        assert_eq!(
            beyond.check(&leaves[3], &policy),
            Err(TlogProofError::Proof(ProofError::IndexOutOfRange {
                index: 5,
                size: 5
            }))
        );
        let other = CheckpointPolicy::log_only(log_key(2).verifier()).unwrap();
        assert!(matches!(
            proof.check(&leaves[3], &other),
            Err(TlogProofError::Checkpoint(CheckpointError::Note(_)))
        ));
    }

    #[test]
    fn parse_refuses_every_other_spelling() {
        let (_, proof) = proof_of_3();
        let good = proof.format();
        let first_hash = proof.proof[0].to_base64();
        let cases: Vec<(String, &str)> = vec![
            (
                good.replacen("tlog-proof@v1", "tlog-proof@v2", 1),
                "the first line",
            ),
            (format!("\n{good}"), "the first line"),
            (good.replacen("index 3", "index 03", 1), "leading zeros"),
            (good.replacen("index 3", "index +3", 1), "leading zeros"),
            (good.replacen("index 3", "index ", 1), "leading zeros"),
            (good.replacen("index 3", "index  3", 1), "leading zeros"),
            (
                good.replacen("index 3", "index 18446744073709551616", 1),
                "out of range",
            ),
            (good.replacen("index 3\n", "", 1), "expected the index line"),
            (
                good.replacen("index 3", "Index 3", 1),
                "expected the index line",
            ),
            (
                good.replacen("\nindex", "\nextra !!\nindex", 1),
                "not valid base64",
            ),
            (
                good.replacen("\nindex", "\nextra AA\nindex", 1),
                "not valid base64",
            ),
            (good.replacen("\nindex", "\nextra \nindex", 1), "no data"),
            (
                good.replacen(&first_hash, &first_hash[..43], 1),
                "not a base64 SHA-256",
            ),
            (
                good.replacen(&first_hash, "AAAA", 1),
                "a hash has 32 bytes, not 3",
            ),
            (
                good.replacen("\n\nvitrine.example", "\nvitrine.example", 1),
                "base64 SHA-256",
            ),
            (good.replace('\n', "\r\n"), "carriage return"),
            (good.replacen("\n", "\r\n", 1), "carriage return"),
            (format!("{good}garbage\n"), "malformed signature line"),
            (format!("{good}\n"), "checkpoint"),
            (good.trim_end().to_owned(), "ends with a newline"),
            (
                "c2sp.org/tlog-proof@v1\nindex 3\n".to_owned(),
                "no empty line",
            ),
            (String::new(), "no empty line"),
        ];
        for (text, needle) in cases {
            let err = TlogProof::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        let mut long = String::from("c2sp.org/tlog-proof@v1\nindex 3\n");
        for _ in 0..=MAX_PROOF_HASHES {
            long.push_str(&first_hash);
            long.push('\n');
        }
        long.push('\n');
        long.push_str(&proof.checkpoint);
        let err = TlogProof::parse(long.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("at most 64 hashes"), "{err}");
        let mut latin = good.into_bytes();
        latin[30] = 0xff;
        assert!(TlogProof::parse(&latin).is_err());
    }

    #[test]
    fn a_receipt_converts_to_a_tlog_proof() {
        let (_, proof) = proof_of_3();
        let receipt = Receipt {
            index: 3,
            leaf_hash: leaf_hash(&[3]).to_base64(),
            logged_at: "2026-11-21T10:00:00Z".into(),
            checkpoint: proof.checkpoint.clone(),
            inclusion_proof: proof.proof.iter().map(Hash::to_base64).collect(),
            entry: None,
        };
        assert_eq!(TlogProof::try_from(&receipt).unwrap(), proof);
        let bad = Receipt {
            inclusion_proof: vec!["AAAA".into()],
            ..receipt
        };
        assert!(matches!(
            TlogProof::try_from(&bad),
            Err(TlogProofError::Malformed(_))
        ));
    }
}
