//! C2SP tlog-checkpoints (`c2sp.org/tlog-checkpoint`): the signed tree head, and the policy
//! that decides whether to trust one (the log's signature and a threshold of witnesses).

use crate::hash::Hash;
use crate::note::{KeyType, Note, NoteError, NoteSigner, NoteVerifier};

/// The body of a checkpoint: origin, tree size, root hash and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `vitrine.example/log`.
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The RFC 6962 root hash.
    pub root: Hash,
    /// Opaque extension lines (Vitrine writes none).
    pub extensions: Vec<String>,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note around it is malformed or a signature fails.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The note text is not a checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The origin differs from the log key's name.
    #[error("the checkpoint's origin {origin:?} is not the log key's name {key_name:?}")]
    OriginMismatch {
        /// The origin line.
        origin: String,
        /// The log key name.
        key_name: String,
    },
    /// Too few witnesses cosigned.
    #[error("{got} of the required {needed} witness cosignatures verified")]
    TooFewWitnesses {
        /// Valid cosignatures found.
        got: usize,
        /// The threshold.
        needed: usize,
    },
}

impl Checkpoint {
    /// Parses the note text of a checkpoint.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed(
            "the text must end with a newline",
        ))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("empty origin line"));
        }
        let size_line = lines
            .next()
            .ok_or(CheckpointError::Malformed("no tree size line"))?;
        let canonical_size = !size_line.is_empty()
            && size_line.bytes().all(|c| c.is_ascii_digit())
            && (size_line == "0" || !size_line.starts_with('0'));
        if !canonical_size {
            return Err(CheckpointError::Malformed(
                "the tree size is not a decimal number",
            ));
        }
        let size = size_line
            .parse::<u64>()
            .map_err(|_| CheckpointError::Malformed("the tree size is out of range"))?;
        let root_line = lines
            .next()
            .ok_or(CheckpointError::Malformed("no root hash line"))?;
        let root = Hash::from_base64(root_line)
            .map_err(|_| CheckpointError::Malformed("the root hash is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Signs the checkpoint with the log key and returns the signed note text.
    pub fn sign(&self, log_key: &NoteSigner) -> Result<String, CheckpointError> {
        let mut note = Note::new(&self.to_text())?;
        note.sign(log_key, 0);
        Ok(note.to_text())
    }
}

/// Which signatures make a checkpoint trustworthy.
#[derive(Debug, Clone)]
pub struct CheckpointPolicy {
    log_key: NoteVerifier,
    witnesses: Vec<NoteVerifier>,
    threshold: usize,
}

/// A checkpoint whose signatures satisfied a [`CheckpointPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The whole signed note, other signatures included.
    pub note: Note,
    /// The witnesses whose cosignatures verified, with their timestamps.
    pub cosigned_by: Vec<(String, u64)>,
}

impl CheckpointPolicy {
    /// Trust checkpoints signed by `log_key` (an Ed25519 key whose name is the origin) and
    /// cosigned by at least `threshold` of `witnesses`.
    pub fn new(
        log_key: NoteVerifier,
        witnesses: Vec<NoteVerifier>,
        threshold: usize,
    ) -> Result<CheckpointPolicy, CheckpointError> {
        if log_key.key_type() != KeyType::Ed25519 {
            return Err(CheckpointError::Malformed(
                "the log key must be an Ed25519 (type 0x01) verifier key",
            ));
        }
        if witnesses
            .iter()
            .any(|w| w.key_type() != KeyType::Cosignature)
        {
            return Err(CheckpointError::Malformed(
                "witness keys must be cosignature (type 0x04) verifier keys",
            ));
        }
        if threshold > witnesses.len() {
            return Err(CheckpointError::TooFewWitnesses {
                got: witnesses.len(),
                needed: threshold,
            });
        }
        Ok(CheckpointPolicy {
            log_key,
            witnesses,
            threshold,
        })
    }

    /// Only the log's signature, no witnesses.
    pub fn log_only(log_key: NoteVerifier) -> Result<CheckpointPolicy, CheckpointError> {
        CheckpointPolicy::new(log_key, Vec::new(), 0)
    }

    /// The log key.
    pub fn log_key(&self) -> &NoteVerifier {
        &self.log_key
    }

    /// Parses a signed checkpoint and checks it against the policy: the log's signature
    /// must verify, every signature by a known key must verify, and at least `threshold`
    /// witnesses must have cosigned. Signatures by unknown keys are ignored.
    pub fn open(&self, bytes: &[u8]) -> Result<VerifiedCheckpoint, CheckpointError> {
        let note = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin != self.log_key.name() {
            return Err(CheckpointError::OriginMismatch {
                origin: checkpoint.origin,
                key_name: self.log_key.name().to_owned(),
            });
        }
        if note.verify_by(&self.log_key)?.is_none() {
            return Err(NoteError::MissingSignature(self.log_key.to_verifier_key()).into());
        }
        let mut cosigned_by = Vec::new();
        for witness in &self.witnesses {
            if let Some(Some(timestamp)) = note.verify_by(witness)? {
                cosigned_by.push((witness.name().to_owned(), timestamp));
            }
        }
        if cosigned_by.len() < self.threshold {
            return Err(CheckpointError::TooFewWitnesses {
                got: cosigned_by.len(),
                needed: self.threshold,
            });
        }
        Ok(VerifiedCheckpoint {
            checkpoint,
            note,
            cosigned_by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn checkpoint_text_round_trip_and_refusals() {
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse(text).unwrap();
        assert_eq!(cp.size, 20_852_163);
        assert_eq!(cp.to_text(), text);
        for bad in [
            "example.com/x\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "example.com/x\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
            "example.com/x\n12\n",
            "\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "example.com/x\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
            "example.com/x\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn policy_requires_log_signature_and_witness_threshold() {
        let log = NoteSigner::new(
            "example.org/log",
            KeyType::Ed25519,
            SigningKey::from_bytes(&[1; 32]),
        )
        .unwrap();
        let w1 = NoteSigner::new(
            "w1.example",
            KeyType::Cosignature,
            SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap();
        let w2 = NoteSigner::new(
            "w2.example",
            KeyType::Cosignature,
            SigningKey::from_bytes(&[3; 32]),
        )
        .unwrap();
        let cp = Checkpoint {
            origin: "example.org/log".into(),
            size: 5,
            root: crate::hash::sha256(b"x"),
            extensions: vec![],
        };
        let mut note = Note::new(&cp.to_text()).unwrap();
        note.sign(&log, 0);
        note.sign(&w1, 1000);
        let bytes = note.to_text();
        let policy =
            CheckpointPolicy::new(log.verifier(), vec![w1.verifier(), w2.verifier()], 1).unwrap();
        let verified = policy.open(bytes.as_bytes()).unwrap();
        assert_eq!(verified.cosigned_by, vec![("w1.example".to_owned(), 1000)]);
        let strict =
            CheckpointPolicy::new(log.verifier(), vec![w1.verifier(), w2.verifier()], 2).unwrap();
        assert_eq!(
            strict.open(bytes.as_bytes()),
            Err(CheckpointError::TooFewWitnesses { got: 1, needed: 2 })
        );
        // A checkpoint signed only by a witness is not the log's.
        let mut lone = Note::new(&cp.to_text()).unwrap();
        lone.sign(&w1, 1000);
        assert!(matches!(
            policy.open(lone.to_text().as_bytes()),
            Err(CheckpointError::Note(NoteError::MissingSignature(_)))
        ));
        let other = NoteSigner::new(
            "example.org/other",
            KeyType::Ed25519,
            SigningKey::from_bytes(&[1; 32]),
        )
        .unwrap();
        assert!(matches!(
            CheckpointPolicy::log_only(other.verifier())
                .unwrap()
                .open(bytes.as_bytes()),
            Err(CheckpointError::OriginMismatch { .. })
        ));
    }
}
