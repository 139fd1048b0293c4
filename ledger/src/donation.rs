//! Donor receipts (DESIGN.md "Charity"): what a donor keeps to trace its donation. A donor
//! receipt is a C2SP tlog-proof ([`crate::tlog_proof`]) of the `donation.recorded` entry
//! whose extra data is the JCS bytes of
//!
//! ```json
//! {"donor": {...}, "entry": {...}, "salt": "<64 lowercase hex digits>"}
//! ```
//!
//! `entry` is the log entry as JSON (as in a receipt's `entry`); `donor` (the donor data,
//! an object) and `salt` open the donor commitment that the statement's body carries in
//! `donor`. Both are absent for an anonymous donation, or when the receipt is not to open
//! the commitment.
//!
//! The extra data is not authenticated by the proof, so checking a receipt recomputes
//! everything from it: the entry's leaf hash and its inclusion at the proof's index in a
//! checkpoint the policy trusts, its signatures, its kind, and the commitment.

use crate::bid::{Money, Salt};
use crate::checkpoint::{CheckpointError, CheckpointPolicy, VerifiedCheckpoint};
use crate::donor::{DonorError, DonorOpening};
use crate::hash::{Hash, hex_decode};
use crate::jcs;
use crate::merkle::ProofError;
use crate::receipt::Receipt;
use crate::statement::{Entry, StatementError};
use crate::time::Timestamp;
use crate::tlog_proof::{TlogProof, TlogProofError};
use serde_json::{Map, Value};

/// The kind of the statement a donor receipt proves.
pub const DONATION_RECORDED: &str = "donation.recorded";

/// Why a donor receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DonationError {
    /// The text is not a tlog-proof.
    #[error(transparent)]
    TlogProof(TlogProofError),
    /// The tlog-proof has no extra data.
    #[error("the tlog-proof carries no extra data, so it is not a donor receipt")]
    NoExtra,
    /// The extra data is not the JSON of a donor receipt.
    #[error("malformed donor receipt: {0}")]
    Malformed(String),
    /// The entry in the extra data is not a log entry.
    #[error("the donation's entry is malformed: {0}")]
    MalformedEntry(StatementError),
    /// The checkpoint is malformed or fails the policy.
    #[error("checkpoint: {0}")]
    Checkpoint(CheckpointError),
    /// The entry is not included at the proof's index in the checkpoint's tree.
    #[error("the donation's entry is not entry {index} of the checkpoint's tree: {reason}")]
    NotIncluded {
        /// The proof's index.
        index: u64,
        /// What the inclusion proof says.
        reason: ProofError,
    },
    /// A signature of the statement fails.
    #[error("the donation statement's signatures do not verify: {0}")]
    Signature(StatementError),
    /// The statement is of another kind.
    #[error("the entry is a {0:?} statement, not {DONATION_RECORDED:?}")]
    NotADonation(String),
    /// The statement's body lacks an amount or has a malformed donor commitment.
    #[error("the donation's body: {0}")]
    Body(String),
    /// The receipt opens a commitment the donation does not have.
    #[error(
        "the receipt carries donor data, but the donation is anonymous (it has no donor commitment)"
    )]
    NoCommitment,
    /// The donor data is not an object, or it and the salt do not open the commitment.
    #[error(transparent)]
    Donor(#[from] DonorError),
}

fn malformed(reason: impl Into<String>) -> DonationError {
    DonationError::Malformed(reason.into())
}

/// A donor receipt: the proof of a donation's entry, with what opens its donor commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorReceipt {
    /// The entry's index in the log.
    pub index: u64,
    /// The inclusion proof to the checkpoint, from the leaf's sibling up.
    pub proof: Vec<Hash>,
    /// The signed checkpoint.
    pub checkpoint: String,
    /// The `donation.recorded` entry.
    pub entry: Entry,
    /// The donor data and salt; `None` for an anonymous donation.
    pub opening: Option<DonorOpening>,
}

/// How the donor of a checked donation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DonorCheck {
    /// The receipt's donor data and salt open the donation's commitment.
    Opened(Hash),
    /// The donation has this commitment, and the receipt does not open it.
    NotOpened(Hash),
    /// An anonymous donation: no commitment.
    Anonymous,
}

/// A donor receipt that checked.
#[derive(Debug, Clone)]
pub struct CheckedDonation {
    /// The entry's index in the log.
    pub index: u64,
    /// When the log integrated it.
    pub logged_at: Timestamp,
    /// The fund: the statement's subject.
    pub fund: String,
    /// How much.
    pub amount: Money,
    /// The donor commitment, and whether the receipt opened it.
    pub donor: DonorCheck,
    /// The entry.
    pub entry: Entry,
    /// The checkpoint the entry was proved against.
    pub checkpoint: VerifiedCheckpoint,
}

/// Reads a donation's body: its amount, and its donor commitment (absent for an anonymous
/// donation).
fn read_body(body: &Value) -> Result<(Money, Option<Hash>), DonationError> {
    let amount = body
        .get("amount")
        .ok_or_else(|| DonationError::Body("it has no \"amount\"".into()))?;
    let amount = Money::from_value(amount)
        .map_err(|reason| DonationError::Body(format!("invalid amount: {reason}")))?;
    let commitment = match body.get("donor") {
        None => None,
        Some(Value::String(hex)) => Some(Hash::from_hex(hex).map_err(|e| {
            DonationError::Body(format!(
                "the donor commitment is not 64 lowercase hexadecimal digits: {e}"
            ))
        })?),
        Some(_) => {
            return Err(DonationError::Body(
                "the donor commitment must be a string of 64 lowercase hexadecimal digits".into(),
            ));
        }
    };
    Ok((amount, commitment))
}

impl DonorReceipt {
    /// The donor receipt of `receipt` (which must carry its entry), opening the donor
    /// commitment with `opening` (`None` for an anonymous donation). Nothing is checked
    /// beyond the entry's form: see [`DonorReceipt::check`].
    pub fn from_receipt(
        receipt: &Receipt,
        opening: Option<DonorOpening>,
    ) -> Result<DonorReceipt, DonationError> {
        let entry = receipt
            .entry
            .as_ref()
            .ok_or_else(|| malformed("the receipt does not carry its entry"))?;
        let entry =
            Entry::parse(&jcs::canonicalize(entry)).map_err(DonationError::MalformedEntry)?;
        let proof = TlogProof::try_from(receipt).map_err(DonationError::TlogProof)?;
        Ok(DonorReceipt {
            index: proof.index,
            proof: proof.proof,
            checkpoint: proof.checkpoint,
            entry,
            opening,
        })
    }

    /// The extra data: `JCS({"donor": ..., "entry": ..., "salt": ...})`, without `donor`
    /// and `salt` when there is no opening.
    pub fn extra(&self) -> Vec<u8> {
        let mut extra = Map::new();
        extra.insert("entry".into(), self.entry.to_value());
        if let Some(opening) = &self.opening {
            extra.insert("donor".into(), opening.donor.clone());
            extra.insert("salt".into(), Value::String(opening.salt.to_hex()));
        }
        jcs::canonicalize(&Value::Object(extra))
    }

    /// The tlog-proof, with the extra data.
    pub fn to_tlog_proof(&self) -> TlogProof {
        TlogProof {
            extra: Some(self.extra()),
            index: self.index,
            proof: self.proof.clone(),
            checkpoint: self.checkpoint.clone(),
        }
    }

    /// The receipt in its text form (a `.tlog-proof` file).
    pub fn format(&self) -> String {
        self.to_tlog_proof().format()
    }

    /// Parses a donor receipt: a tlog-proof ([`TlogProof::parse`]) whose extra data is a
    /// JSON object with `entry` (a log entry) and either both `donor` (an object) and
    /// `salt` (64 lowercase hexadecimal digits) or neither, and no other member.
    pub fn parse(text: &[u8]) -> Result<DonorReceipt, DonationError> {
        DonorReceipt::from_tlog_proof(TlogProof::parse(text).map_err(DonationError::TlogProof)?)
    }

    /// Reads the extra data of a tlog-proof as a donor receipt's.
    pub fn from_tlog_proof(proof: TlogProof) -> Result<DonorReceipt, DonationError> {
        let extra = proof.extra.as_deref().ok_or(DonationError::NoExtra)?;
        let value = jcs::parse(extra).map_err(|e| malformed(format!("the extra data: {e}")))?;
        let Value::Object(mut map) = value else {
            return Err(malformed("the extra data must be a JSON object"));
        };
        let entry = map
            .remove("entry")
            .ok_or_else(|| malformed("the extra data has no \"entry\""))?;
        let entry =
            Entry::parse(&jcs::canonicalize(&entry)).map_err(DonationError::MalformedEntry)?;
        let opening = match (map.remove("donor"), map.remove("salt")) {
            (None, None) => None,
            (Some(donor), Some(salt)) => {
                if !donor.is_object() {
                    return Err(malformed("\"donor\" must be a JSON object"));
                }
                let salt = salt
                    .as_str()
                    .and_then(hex_decode)
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| {
                        malformed("\"salt\" must be 64 lowercase hexadecimal digits (32 bytes)")
                    })?;
                Some(DonorOpening {
                    donor,
                    salt: Salt(salt),
                })
            }
            (Some(_), None) => return Err(malformed("\"donor\" is there without \"salt\"")),
            (None, Some(_)) => return Err(malformed("\"salt\" is there without \"donor\"")),
        };
        if let Some(unknown) = map.keys().next() {
            return Err(malformed(format!(
                "unknown member {unknown:?} in the extra data"
            )));
        }
        Ok(DonorReceipt {
            index: proof.index,
            proof: proof.proof,
            checkpoint: proof.checkpoint,
            entry,
            opening,
        })
    }

    /// Checks the receipt: the checkpoint against `policy`; the inclusion of the entry's
    /// leaf hash at `index`; the statement's signatures; that it is a `donation.recorded`
    /// with a valid amount; and, when the receipt carries donor data and salt, that they
    /// open the body's `donor` commitment.
    pub fn check(&self, policy: &CheckpointPolicy) -> Result<CheckedDonation, DonationError> {
        let proof = TlogProof::new(self.index, self.proof.clone(), self.checkpoint.clone());
        let checkpoint = proof
            .check(&self.entry.leaf_hash(), policy)
            .map_err(|e| match e {
                TlogProofError::Checkpoint(e) => DonationError::Checkpoint(e),
                TlogProofError::Proof(reason) => DonationError::NotIncluded {
                    index: self.index,
                    reason,
                },
                e @ TlogProofError::Malformed(_) => DonationError::TlogProof(e),
            })?;
        self.entry.verify().map_err(DonationError::Signature)?;
        let statement = self.entry.signed().statement();
        if statement.kind() != DONATION_RECORDED {
            return Err(DonationError::NotADonation(statement.kind().to_owned()));
        }
        let (amount, commitment) = read_body(statement.body())?;
        let donor = match (&self.opening, commitment) {
            (Some(opening), Some(commitment)) => {
                opening.opens(&commitment)?;
                DonorCheck::Opened(commitment)
            }
            (Some(_), None) => return Err(DonationError::NoCommitment),
            (None, Some(commitment)) => DonorCheck::NotOpened(commitment),
            (None, None) => DonorCheck::Anonymous,
        };
        Ok(CheckedDonation {
            index: self.index,
            logged_at: self.entry.logged_at(),
            fund: statement.subject().to_owned(),
            amount,
            donor,
            entry: self.entry.clone(),
            checkpoint,
        })
    }
}

/// Parses and checks a donor receipt ([`DonorReceipt::parse`], [`DonorReceipt::check`]).
pub fn check_donor_receipt(
    text: &[u8],
    policy: &CheckpointPolicy,
) -> Result<CheckedDonation, DonationError> {
    DonorReceipt::parse(text)?.check(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::donor::donor_commitment;
    use crate::hash::leaf_hash;
    use crate::merkle::{MemoryTree, inclusion_proof};
    use crate::note::{KeyType, NoteError, NoteSigner};
    use crate::statement::{SignedStatement, Statement};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    const FUND: &str = "fund-2026-0001";

    fn log_key(seed: u8) -> NoteSigner {
        NoteSigner::new(
            "vitrine.example/log",
            KeyType::Ed25519,
            SigningKey::from_bytes(&[seed; 32]),
        )
        .unwrap()
    }

    fn policy() -> CheckpointPolicy {
        CheckpointPolicy::log_only(log_key(1).verifier()).unwrap()
    }

    fn opening() -> DonorOpening {
        DonorOpening {
            donor: json!({"name": "张三", "id_number": "110101199003077777", "contact": "13800000000"}),
            salt: Salt([0x5a; 32]),
        }
    }

    fn entry(kind: &str, body: Value) -> Entry {
        let statement = Statement::from_value(json!({
            "kind": kind,
            "subject": FUND,
            "issued_at": "2026-11-21T09:59:58Z",
            "body": body,
        }))
        .unwrap();
        let mut signed = SignedStatement::new(statement);
        signed.sign(&SigningKey::from_bytes(&[42; 32]));
        Entry::new(signed, Timestamp::parse("2026-11-21T10:00:00.25Z").unwrap()).unwrap()
    }

    fn body(donor: Option<&DonorOpening>) -> Value {
        let mut body = json!({
            "amount": {"amount": "100.00", "currency": "CNY"},
            "channel": "bank_transfer",
            "reference": "BT-20261121-0042",
            "received_at": "2026-11-21T08:00:00Z",
            "named": false,
        });
        if let Some(opening) = donor {
            body["donor"] = json!(opening.commitment().unwrap().to_hex());
        }
        body
    }

    /// The receipt of `entry` as entry 5 of a seven-entry log, its checkpoint signed by
    /// `log_key(key_seed)`.
    fn receipt_at_5(entry: Entry, opening: Option<DonorOpening>, key_seed: u8) -> DonorReceipt {
        let mut leaves: Vec<Hash> = (0..7u8).map(|i| leaf_hash(&[i])).collect();
        leaves[5] = entry.leaf_hash();
        let tree = MemoryTree::new(leaves);
        let checkpoint = Checkpoint {
            origin: "vitrine.example/log".into(),
            size: 7,
            root: tree.root(7).unwrap(),
            extensions: vec![],
        }
        .sign(&log_key(key_seed))
        .unwrap();
        DonorReceipt {
            index: 5,
            proof: inclusion_proof(&tree, 5, 7).unwrap(),
            checkpoint,
            entry,
            opening,
        }
    }

    fn named_receipt() -> DonorReceipt {
        receipt_at_5(
            entry(DONATION_RECORDED, body(Some(&opening()))),
            Some(opening()),
            1,
        )
    }

    fn extra_json(receipt: &DonorReceipt) -> Value {
        serde_json::from_slice(&receipt.extra()).unwrap()
    }

    /// A receipt whose extra data is `extra`, and otherwise as `receipt`.
    fn with_extra(receipt: &DonorReceipt, extra: &Value) -> String {
        TlogProof {
            extra: Some(jcs::canonicalize(extra)),
            ..receipt.to_tlog_proof()
        }
        .format()
    }

    #[test]
    fn a_named_donation_round_trips_and_opens_its_commitment() {
        let receipt = named_receipt();
        let text = receipt.format();
        assert_eq!(DonorReceipt::parse(text.as_bytes()).unwrap(), receipt);
        let checked = check_donor_receipt(text.as_bytes(), &policy()).unwrap();
        assert_eq!(checked.index, 5);
        assert_eq!(checked.fund, FUND);
        assert_eq!(checked.amount.amount, "100.00");
        assert_eq!(checked.amount.currency, "CNY");
        assert_eq!(
            checked.logged_at,
            Timestamp::parse("2026-11-21T10:00:00.25Z").unwrap()
        );
        assert_eq!(
            checked.donor,
            DonorCheck::Opened(opening().commitment().unwrap())
        );
        assert_eq!(checked.checkpoint.checkpoint.size, 7);
        // The extra data is JCS of exactly the three members.
        let extra = receipt.extra();
        assert_eq!(jcs::canonicalize(&jcs::parse(&extra).unwrap()), extra);
        let value = extra_json(&receipt);
        assert_eq!(
            value.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["donor", "entry", "salt"]
        );
        assert_eq!(value["salt"], json!("5a".repeat(32)));
        assert_eq!(value["entry"], receipt.entry.to_value());
        let line = text.lines().nth(1).unwrap();
        assert_eq!(line, format!("extra {}", BASE64.encode(&extra)));
    }

    #[test]
    fn an_anonymous_donation_has_no_donor_and_salt() {
        let receipt = receipt_at_5(entry(DONATION_RECORDED, body(None)), None, 1);
        let value = extra_json(&receipt);
        assert_eq!(
            value.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["entry"]
        );
        let checked = check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap();
        assert_eq!(checked.donor, DonorCheck::Anonymous);
        // A named donation's receipt without the opening proves the donation only.
        let unopened = DonorReceipt {
            opening: None,
            ..named_receipt()
        };
        let checked = check_donor_receipt(unopened.format().as_bytes(), &policy()).unwrap();
        assert_eq!(
            checked.donor,
            DonorCheck::NotOpened(opening().commitment().unwrap())
        );
    }

    #[test]
    fn a_receipt_converts_with_its_entry() {
        let named = named_receipt();
        let receipt = Receipt {
            index: named.index,
            leaf_hash: named.entry.leaf_hash().to_base64(),
            logged_at: named.entry.logged_at().to_string(),
            checkpoint: named.checkpoint.clone(),
            inclusion_proof: named.proof.iter().map(Hash::to_base64).collect(),
            entry: Some(named.entry.to_value()),
        };
        assert_eq!(
            DonorReceipt::from_receipt(&receipt, Some(opening())).unwrap(),
            named
        );
        let bare = Receipt {
            entry: None,
            ..receipt
        };
        assert_eq!(
            DonorReceipt::from_receipt(&bare, None),
            Err(malformed("the receipt does not carry its entry"))
        );
    }

    #[test]
    fn a_changed_amount_fails() {
        let receipt = named_receipt();
        let mut extra = extra_json(&receipt);
        extra["entry"]["statement"]["body"]["amount"]["amount"] = json!("10000.00");
        let err = check_donor_receipt(with_extra(&receipt, &extra).as_bytes(), &policy());
        assert!(
            matches!(err, Err(DonationError::NotIncluded { index: 5, .. })),
            "{err:?}"
        );
        // Even with a proof rebuilt for the changed entry, the signature fails.
        let mut forged = receipt.entry.to_value();
        forged["statement"]["body"]["amount"]["amount"] = json!("10000.00");
        let forged = Entry::parse(&jcs::canonicalize(&forged)).unwrap();
        let rebuilt = receipt_at_5(forged, Some(opening()), 1);
        let err = check_donor_receipt(rebuilt.format().as_bytes(), &policy());
        assert!(matches!(err, Err(DonationError::Signature(_))), "{err:?}");
    }

    #[test]
    fn a_wrong_salt_or_donor_fails() {
        let mut receipt = named_receipt();
        receipt.opening = Some(DonorOpening {
            salt: Salt([0x5b; 32]),
            ..opening()
        });
        let err = check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap_err();
        assert_eq!(err, DonationError::Donor(DonorError::Mismatch));
        assert_eq!(
            err.to_string(),
            "the donor data and salt do not open the donation's commitment"
        );
        let mut donor = opening().donor;
        donor["name"] = json!("李四");
        receipt.opening = Some(DonorOpening { donor, ..opening() });
        assert_eq!(
            check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap_err(),
            DonationError::Donor(DonorError::Mismatch)
        );
    }

    #[test]
    fn a_proof_for_another_index_fails() {
        let receipt = named_receipt();
        for index in [4, 6] {
            let moved = DonorReceipt {
                index,
                ..receipt.clone()
            };
            let err = check_donor_receipt(moved.format().as_bytes(), &policy()).unwrap_err();
            assert!(
                matches!(err, DonationError::NotIncluded { index: i, .. } if i == index),
                "{err:?}"
            );
        }
        let beyond = DonorReceipt {
            index: 7,
            ..receipt
        };
        let err = check_donor_receipt(beyond.format().as_bytes(), &policy()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the donation's entry is not entry 7 of the checkpoint's tree: leaf 7 is not in a tree of size 7"
        );
    }

    #[test]
    fn a_checkpoint_from_another_key_fails() {
        let receipt = receipt_at_5(
            entry(DONATION_RECORDED, body(Some(&opening()))),
            Some(opening()),
            2,
        );
        let err = check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap_err();
        assert!(
            matches!(
                err,
                DonationError::Checkpoint(CheckpointError::Note(NoteError::MissingSignature(_)))
            ),
            "{err:?}"
        );
    }

    #[test]
    fn another_kind_or_a_bad_body_fails() {
        let receipt = receipt_at_5(
            entry("disbursement.executed", body(Some(&opening()))),
            Some(opening()),
            1,
        );
        assert_eq!(
            check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap_err(),
            DonationError::NotADonation("disbursement.executed".into())
        );
        let mut no_amount = body(None);
        no_amount.as_object_mut().unwrap().remove("amount");
        let mut bad_commitment = body(None);
        bad_commitment["donor"] = json!("ABCD");
        let mut null_commitment = body(None);
        null_commitment["donor"] = Value::Null;
        let mut float_amount = body(None);
        float_amount["amount"] = json!({"amount": "1e3", "currency": "CNY"});
        for (body, needle) in [
            (no_amount, "no \"amount\""),
            (bad_commitment, "not 64 lowercase hexadecimal"),
            (null_commitment, "must be a string of 64"),
            (float_amount, "invalid amount"),
        ] {
            let receipt = receipt_at_5(entry(DONATION_RECORDED, body), None, 1);
            let err = check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap_err();
            assert!(
                matches!(&err, DonationError::Body(m) if m.contains(needle)),
                "{err:?}"
            );
        }
        // Donor data for an anonymous donation opens nothing.
        let receipt = receipt_at_5(entry(DONATION_RECORDED, body(None)), Some(opening()), 1);
        assert_eq!(
            check_donor_receipt(receipt.format().as_bytes(), &policy()).unwrap_err(),
            DonationError::NoCommitment
        );
    }

    #[test]
    fn malformed_extra_data_is_named() {
        let receipt = named_receipt();
        let extra = extra_json(&receipt);
        let tlog = receipt.to_tlog_proof();
        let edited = |edit: fn(&mut Map<String, Value>)| {
            let mut v = extra.clone();
            edit(v.as_object_mut().unwrap());
            with_extra(&receipt, &v)
        };
        let cases: Vec<(String, &str)> = vec![
            (
                tlog.format().replacen("\nextra ", "\nx", 1),
                "malformed tlog-proof",
            ),
            (
                TlogProof {
                    extra: None,
                    ..tlog.clone()
                }
                .format(),
                "carries no extra data",
            ),
            (
                TlogProof {
                    extra: Some(br#"{"entry":1,"entry":2}"#.to_vec()),
                    ..tlog.clone()
                }
                .format(),
                "malformed donor receipt: the extra data: invalid JSON",
            ),
            (
                with_extra(&receipt, &json!([extra])),
                "must be a JSON object",
            ),
            (
                edited(|v| {
                    v.remove("entry");
                }),
                "no \"entry\"",
            ),
            (
                edited(|v| {
                    v.remove("salt");
                }),
                "\"donor\" is there without \"salt\"",
            ),
            (
                edited(|v| {
                    v.remove("donor");
                }),
                "\"salt\" is there without \"donor\"",
            ),
            (
                edited(|v| v["salt"] = json!("5A".repeat(32))),
                "\"salt\" must be 64 lowercase",
            ),
            (
                edited(|v| v["salt"] = json!("5a".repeat(31))),
                "\"salt\" must be 64 lowercase",
            ),
            (
                edited(|v| v["donor"] = json!("张三")),
                "\"donor\" must be a JSON object",
            ),
            (
                edited(|v| {
                    v.insert("note".into(), json!("x"));
                }),
                "unknown member \"note\"",
            ),
            (
                edited(|v| v["entry"]["logged_at"] = json!("yesterday")),
                "the donation's entry is malformed",
            ),
        ];
        for (text, needle) in cases {
            let err = DonorReceipt::parse(text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
        // The commitment the tests rely on is the definition's.
        assert_eq!(
            opening().commitment().unwrap(),
            donor_commitment(&opening().donor, &[0x5a; 32]).unwrap()
        );
    }
}
