//! Receipts: what an append returns, and what a participant keeps as proof that its
//! statement was logged — the entry's index, leaf hash and `logged_at`, a signed
//! checkpoint that includes it, the inclusion proof to that checkpoint, and optionally
//! the entry itself. Checkable offline with the log's verifier key.
//!
//! ```json
//! {"index": 41, "leaf_hash": "<base64>", "logged_at": "2026-11-21T17:25:58.1Z",
//!  "checkpoint": "<signed note>", "inclusion_proof": ["<base64>", ...], "entry": {...}}
//! ```

use crate::checkpoint::{CheckpointError, CheckpointPolicy, VerifiedCheckpoint};
use crate::hash::Hash;
use crate::jcs;
use crate::merkle::{ProofError, verify_inclusion};
use crate::statement::{Entry, StatementError};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A receipt, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The entry's index in the log.
    pub index: u64,
    /// Its RFC 6962 leaf hash, base64.
    pub leaf_hash: String,
    /// When the log integrated it.
    pub logged_at: String,
    /// A signed checkpoint whose tree includes the entry.
    pub checkpoint: String,
    /// The inclusion proof to that checkpoint, base64 hashes from the leaf up.
    pub inclusion_proof: Vec<String>,
    /// The entry itself, if the receipt carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Value>,
}

/// Why a receipt does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// A member is malformed.
    #[error("malformed receipt: {0}")]
    Malformed(String),
    /// The checkpoint fails the policy.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The inclusion proof fails.
    #[error("inclusion proof: {0}")]
    Proof(#[from] ProofError),
    /// The entry is malformed or its signatures fail.
    #[error("entry: {0}")]
    Entry(#[from] StatementError),
    /// The entry does not match the receipt.
    #[error("the entry does not match the receipt: {0}")]
    EntryMismatch(&'static str),
}

/// A receipt that checked.
#[derive(Debug, Clone)]
pub struct CheckedReceipt {
    /// The checkpoint it was proved against.
    pub checkpoint: VerifiedCheckpoint,
    /// The entry, when the receipt carried it.
    pub entry: Option<Entry>,
}

impl Receipt {
    /// Parses a receipt from JSON.
    pub fn parse(text: &[u8]) -> Result<Receipt, ReceiptError> {
        // serde would read a struct from the array of its members' values too.
        if !text.trim_ascii_start().starts_with(b"{") {
            return Err(ReceiptError::Malformed("a receipt is a JSON object".into()));
        }
        serde_json::from_slice(text).map_err(|e| ReceiptError::Malformed(e.to_string()))
    }

    /// Checks the receipt: the checkpoint against `policy`, the inclusion proof of the leaf
    /// hash to the checkpoint's root, and, when the entry is present, that it is canonical,
    /// hashes to the leaf hash, carries the same `logged_at` and that its signatures verify.
    pub fn check(&self, policy: &CheckpointPolicy) -> Result<CheckedReceipt, ReceiptError> {
        let leaf = Hash::from_base64(&self.leaf_hash)
            .map_err(|e| ReceiptError::Malformed(format!("leaf_hash: {e}")))?;
        let logged_at = Timestamp::parse(&self.logged_at)
            .map_err(|e| ReceiptError::Malformed(format!("logged_at: {e}")))?;
        let proof = self
            .inclusion_proof
            .iter()
            .map(|h| Hash::from_base64(h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ReceiptError::Malformed(format!("inclusion_proof: {e}")))?;
        let checkpoint = policy.open(self.checkpoint.as_bytes())?;
        verify_inclusion(
            &leaf,
            self.index,
            checkpoint.checkpoint.size,
            &proof,
            &checkpoint.checkpoint.root,
        )?;
        let entry = match &self.entry {
            None => None,
            Some(value) => {
                let bytes = jcs::canonicalize(value);
                let entry = Entry::parse(&bytes)?;
                if entry.leaf_hash() != leaf {
                    return Err(ReceiptError::EntryMismatch("its leaf hash differs"));
                }
                if entry.logged_at() != logged_at {
                    return Err(ReceiptError::EntryMismatch("its logged_at differs"));
                }
                entry.verify()?;
                Some(entry)
            }
        };
        Ok(CheckedReceipt { checkpoint, entry })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_an_object_never_the_array_of_its_members() {
        let members = r#"[0, "AAAA", "2026-11-21T10:00:00Z", "x", []]"#;
        assert_eq!(
            Receipt::parse(members.as_bytes()),
            Err(ReceiptError::Malformed("a receipt is a JSON object".into()))
        );
        let object = r#" {"index": 0, "leaf_hash": "AAAA", "logged_at": "2026-11-21T10:00:00Z", "checkpoint": "x", "inclusion_proof": []}"#;
        assert_eq!(Receipt::parse(object.as_bytes()).unwrap().index, 0);
    }
}
