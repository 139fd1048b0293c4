//! Sealed-bid commitments (`vitrine/bid/v1`, DESIGN.md "Procurement"):
//! `commitment = SHA-256("vitrine/bid/v1\n" || JCS(bid) || salt)` with a 32-byte random
//! salt. The bid names the tender, the lots, the bidder's organisation, the price and the
//! hashes of its documents, so a commitment cannot be moved to another tender.
//!
//! Commitments, salts and document hashes are written as lowercase hexadecimal.

use crate::hash::{Hash, hex_decode, hex_encode};
use crate::jcs;
use crate::statement::{Statement, StatementError};
use crate::time::Timestamp;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The domain separation prefix of bid commitments.
pub const BID_COMMITMENT_DOMAIN: &[u8] = b"vitrine/bid/v1\n";

/// Why a bid, a salt or a reveal was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BidError {
    /// Not JSON, or JSON with duplicate member names.
    #[error("{0}")]
    Json(String),
    /// A required member is absent.
    #[error("the bid has no {0:?}")]
    Missing(&'static str),
    /// A member is present but invalid.
    #[error("invalid {field} in the bid: {reason}")]
    Invalid {
        /// The member.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The salt is not 32 bytes of hexadecimal.
    #[error("the salt must be 64 lowercase hexadecimal digits (32 bytes)")]
    BadSalt,
    /// The revealed bid and salt do not hash to the commitment.
    #[error("the bid and salt do not match the commitment")]
    Mismatch,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> BidError {
    BidError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A 32-byte random salt. The bidder keeps it secret until the reveal.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt(pub [u8; 32]);

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(..)")
    }
}

impl Salt {
    /// Parses 64 lowercase hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Salt, BidError> {
        let bytes = hex_decode(text.trim()).ok_or(BidError::BadSalt)?;
        Ok(Salt(bytes.try_into().map_err(|_| BidError::BadSalt)?))
    }

    /// Lowercase hexadecimal.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }
}

/// An amount of money: a decimal string and an ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// The amount, e.g. `1234.50`.
    pub amount: String,
    /// The currency, e.g. `CNY`.
    pub currency: String,
}

impl Money {
    /// Reads `{"amount": "1234.50", "currency": "CNY"}`: a non-negative decimal with at most
    /// four decimal places, and three upper-case letters.
    pub fn from_value(value: &Value) -> Result<Money, String> {
        let Value::Object(map) = value else {
            return Err(r#"must be {"amount": "1234.50", "currency": "CNY"}"#.to_owned());
        };
        let amount = map
            .get("amount")
            .and_then(Value::as_str)
            .ok_or("amount must be a decimal string such as \"1234.50\"")?;
        let currency = map
            .get("currency")
            .and_then(Value::as_str)
            .ok_or("currency must be an ISO 4217 code such as \"CNY\"")?;
        if map.len() != 2 {
            return Err("only amount and currency are allowed".to_owned());
        }
        let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let whole_ok = !whole.is_empty()
            && whole.len() <= 15
            && whole.bytes().all(|c| c.is_ascii_digit())
            && (whole == "0" || !whole.starts_with('0'));
        let fraction_ok = (amount.contains('.') && (1..=4).contains(&fraction.len())
            || !amount.contains('.'))
            && fraction.bytes().all(|c| c.is_ascii_digit());
        if !whole_ok || !fraction_ok {
            return Err(format!(
                "amount {amount:?} is not a non-negative decimal with at most 4 decimal places"
            ));
        }
        if currency.len() != 3 || !currency.bytes().all(|c| c.is_ascii_uppercase()) {
            return Err(format!("currency {currency:?} is not an ISO 4217 code"));
        }
        Ok(Money {
            amount: amount.to_owned(),
            currency: currency.to_owned(),
        })
    }
}

/// A validated bid: a JSON object with `tender` (the tender's ocid), `lots` (non-empty,
/// distinct lot ids), `bidder` (the organisation's id), `price` (money) and `documents`
/// (each `{"sha256": <64 hex digits>, ...}`). Other members (per-lot prices, delivery
/// terms) are committed to as well. No floating-point numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    value: Map<String, Value>,
    canonical: Vec<u8>,
}

impl Bid {
    /// The bid as JSON.
    pub fn to_value(&self) -> Value {
        Value::Object(self.value.clone())
    }

    /// Parses and validates a bid.
    pub fn parse(text: &[u8]) -> Result<Bid, BidError> {
        Bid::from_value(jcs::parse(text).map_err(|e| BidError::Json(e.to_string()))?)
    }

    /// Validates a bid.
    pub fn from_value(value: Value) -> Result<Bid, BidError> {
        let Value::Object(map) = value else {
            return Err(BidError::Json("a bid must be a JSON object".to_owned()));
        };
        let text = |field: &'static str| -> Result<&str, BidError> {
            match map.get(field) {
                None => Err(BidError::Missing(field)),
                Some(Value::String(s)) if !s.is_empty() => Ok(s),
                Some(_) => Err(invalid(field, "must be a non-empty string")),
            }
        };
        text("tender")?;
        text("bidder")?;
        let lots = match map.get("lots") {
            None => return Err(BidError::Missing("lots")),
            Some(Value::Array(lots)) if !lots.is_empty() => lots,
            Some(_) => return Err(invalid("lots", "must be a non-empty array of lot ids")),
        };
        let mut seen = HashSet::new();
        for lot in lots {
            match lot.as_str() {
                Some(id) if !id.is_empty() && seen.insert(id) => {}
                _ => {
                    return Err(invalid(
                        "lots",
                        "lot ids must be distinct non-empty strings",
                    ));
                }
            }
        }
        Money::from_value(map.get("price").ok_or(BidError::Missing("price"))?)
            .map_err(|reason| invalid("price", reason))?;
        let documents = match map.get("documents") {
            None => return Err(BidError::Missing("documents")),
            Some(Value::Array(documents)) => documents,
            Some(_) => return Err(invalid("documents", "must be an array")),
        };
        for document in documents {
            let hash = document.get("sha256").and_then(Value::as_str);
            if hash.is_none_or(|h| Hash::from_hex(h).is_err()) {
                return Err(invalid(
                    "documents",
                    "each document needs \"sha256\": 64 lowercase hexadecimal digits",
                ));
            }
        }
        let value = Value::Object(map);
        jcs::check_integers(&value).map_err(|e| BidError::Json(e.to_string()))?;
        let canonical = jcs::canonicalize(&value);
        let Value::Object(map) = value else {
            return Err(BidError::Json("a bid must be a JSON object".to_owned()));
        };
        Ok(Bid {
            value: map,
            canonical,
        })
    }

    /// The tender's ocid.
    pub fn tender(&self) -> &str {
        self.value["tender"].as_str().unwrap_or_default()
    }

    /// The bidder's organisation.
    pub fn bidder(&self) -> &str {
        self.value["bidder"].as_str().unwrap_or_default()
    }

    /// The lots it bids for (distinct, at least one).
    pub fn lots(&self) -> Vec<&str> {
        self.value["lots"]
            .as_array()
            .map(|lots| lots.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Its price (validated when the bid was).
    pub fn price(&self) -> Money {
        Money::from_value(&self.value["price"]).unwrap_or(Money {
            amount: String::new(),
            currency: String::new(),
        })
    }

    /// `JCS(bid)`.
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }

    /// The commitment to this bid under `salt`.
    pub fn commitment(&self, salt: &Salt) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update(BID_COMMITMENT_DOMAIN);
        hasher.update(&self.canonical);
        hasher.update(salt.0);
        Hash(hasher.finalize().into())
    }

    /// Checks a reveal: this bid under `salt` hashes to `commitment`.
    pub fn check_reveal(&self, salt: &Salt, commitment: &Hash) -> Result<(), BidError> {
        if self.commitment(salt) == *commitment {
            Ok(())
        } else {
            Err(BidError::Mismatch)
        }
    }
}

/// The statements a bidder signs about its bid (the server's `bid.*` kinds), each about
/// the tender the bid names. All are signed by the bid's one-time key; the reveal also by
/// the bidder's registered key.
impl Bid {
    /// `bid.committed`: the commitment under `salt`; with `replaces`, it replaces that bid,
    /// which the same one-time key committed.
    pub fn committed(
        &self,
        salt: &Salt,
        replaces: Option<&Hash>,
        issued_at: Timestamp,
    ) -> Result<Statement, StatementError> {
        let mut body = json!({"commitment": self.commitment(salt).to_hex()});
        if let Some(old) = replaces {
            body["replaces"] = json!(old.to_hex());
        }
        self.statement("bid.committed", body, issued_at)
    }

    /// `bid.withdrawn`: withdraws the bid committed under `salt`.
    pub fn withdrawn(
        &self,
        salt: &Salt,
        issued_at: Timestamp,
    ) -> Result<Statement, StatementError> {
        let body = json!({"commitment": self.commitment(salt).to_hex()});
        self.statement("bid.withdrawn", body, issued_at)
    }

    /// `bid.revealed`: the bid and its salt, opening the commitment.
    pub fn revealed(&self, salt: &Salt, issued_at: Timestamp) -> Result<Statement, StatementError> {
        let body = json!({
            "commitment": self.commitment(salt).to_hex(),
            "bid": self.to_value(),
            "salt": salt.to_hex(),
        });
        self.statement("bid.revealed", body, issued_at)
    }

    fn statement(
        &self,
        kind: &str,
        body: Value,
        issued_at: Timestamp,
    ) -> Result<Statement, StatementError> {
        Statement::from_value(json!({
            "kind": kind,
            "subject": self.tender(),
            "issued_at": issued_at.to_string(),
            "body": body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BID: &str = r#"{"tender":"ocds-213czf-000-00001","lots":["lot-1"],"bidder":"91350100M000100Y43","price":{"amount":"98000.00","currency":"CNY"},"documents":[{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","title":"技术方案"}]}"#;

    #[test]
    fn commitment_binds_bid_and_salt() {
        let bid = Bid::parse(BID.as_bytes()).unwrap();
        let salt = Salt([1; 32]);
        let commitment = bid.commitment(&salt);
        // The definition, computed by hand.
        let mut preimage = b"vitrine/bid/v1\n".to_vec();
        preimage.extend_from_slice(&jcs::canonicalize(&jcs::parse(BID.as_bytes()).unwrap()));
        preimage.extend_from_slice(&[1; 32]);
        assert_eq!(commitment, crate::hash::sha256(&preimage));
        assert_eq!(bid.check_reveal(&salt, &commitment), Ok(()));
        assert_eq!(
            bid.check_reveal(&Salt([2; 32]), &commitment),
            Err(BidError::Mismatch)
        );
        let other = Bid::parse(BID.replace("98000.00", "97000.00").as_bytes()).unwrap();
        assert_eq!(
            other.check_reveal(&salt, &commitment),
            Err(BidError::Mismatch)
        );
        // Member order and whitespace do not matter: the commitment is over JCS(bid).
        let reordered = r#"{ "price":{"currency":"CNY","amount":"98000.00"}, "tender":"ocds-213czf-000-00001","lots":["lot-1"],"bidder":"91350100M000100Y43","documents":[{"title":"技术方案","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#;
        assert_eq!(
            Bid::parse(reordered.as_bytes()).unwrap().commitment(&salt),
            commitment
        );
    }

    #[test]
    fn a_bid_says_its_tender_bidder_lots_and_price() {
        let two_lots = BID.replace(r#"["lot-1"]"#, r#"["lot-1","lot-2"]"#);
        let bid = Bid::parse(two_lots.as_bytes()).unwrap();
        assert_eq!(bid.tender(), "ocds-213czf-000-00001");
        assert_eq!(bid.bidder(), "91350100M000100Y43");
        assert_eq!(bid.lots(), ["lot-1", "lot-2"]);
        assert_eq!(
            bid.price(),
            Money {
                amount: "98000.00".into(),
                currency: "CNY".into()
            }
        );
    }

    #[test]
    fn bid_statements_name_the_tender_and_open_the_commitment() {
        let bid = Bid::parse(BID.as_bytes()).unwrap();
        let salt = Salt([7; 32]);
        let at = Timestamp::parse("2026-11-21T10:00:00.123456Z").unwrap();
        let commitment = bid.commitment(&salt).to_hex();
        let committed = bid.committed(&salt, None, at).unwrap();
        assert_eq!(committed.kind(), "bid.committed");
        assert_eq!(committed.subject(), "ocds-213czf-000-00001");
        assert_eq!(committed.issued_at(), at);
        assert_eq!(committed.body(), &json!({"commitment": commitment}));
        let old = Hash([9; 32]);
        let replacing = bid.committed(&salt, Some(&old), at).unwrap();
        assert_eq!(replacing.body()["replaces"], json!(old.to_hex()));
        let withdrawn = bid.withdrawn(&salt, at).unwrap();
        assert_eq!(withdrawn.kind(), "bid.withdrawn");
        assert_eq!(withdrawn.body(), &json!({"commitment": commitment}));
        let revealed = bid.revealed(&salt, at).unwrap();
        assert_eq!(revealed.kind(), "bid.revealed");
        // What a verifier does with a reveal: the bid and salt it carries open the commitment.
        let body = revealed.body();
        let opened = Bid::from_value(body["bid"].clone()).unwrap();
        let salt_back = Salt::from_hex(body["salt"].as_str().unwrap()).unwrap();
        let claimed = Hash::from_hex(body["commitment"].as_str().unwrap()).unwrap();
        assert_eq!(opened.check_reveal(&salt_back, &claimed), Ok(()));
        assert_eq!(claimed.to_hex(), commitment);
    }

    #[test]
    fn refuses_incomplete_bids() {
        for (needle, replacement, message) in [
            (r#""tender":"ocds-213czf-000-00001","#, "", "no \"tender\""),
            (r#"["lot-1"]"#, "[]", "invalid lots"),
            (r#"["lot-1"]"#, r#"["a","a"]"#, "invalid lots"),
            (r#""98000.00""#, r#""98,000""#, "invalid price"),
            (r#""98000.00""#, "98000", "invalid price"),
            (r#""CNY""#, r#""yuan""#, "invalid price"),
            ("e3b0c442", "E3B0C442", "invalid documents"),
            (r#""title""#, r#""pages":1.5,"title""#, "floating-point"),
        ] {
            let text = BID.replacen(needle, replacement, 1);
            let err = Bid::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
        assert_eq!(Salt::from_hex("00"), Err(BidError::BadSalt));
    }
}
