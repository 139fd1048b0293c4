//! Donor commitments (`vitrine/donor/v1`, DESIGN.md "Charity"):
//! `commitment = SHA-256("vitrine/donor/v1\n" || JCS(donor data) || salt)` with a 32-byte
//! random salt, written as lowercase hexadecimal.
//!
//! The donor data (a JSON object: name, ID number, contact, ...) and the salt live in the
//! vault, never in the log; the log carries only the commitment. Whoever holds the data and
//! the salt (the donor, with its receipt) can show that they open the commitment, and
//! erasing them from the vault breaks no proof.

use crate::bid::Salt;
use crate::hash::Hash;
use crate::jcs;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The domain separation prefix of donor commitments.
pub const DONOR_COMMITMENT_DOMAIN: &[u8] = b"vitrine/donor/v1\n";

/// Why donor data does not make or open a commitment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DonorError {
    /// The donor data is not a JSON object.
    #[error("the donor data must be a JSON object")]
    NotObject,
    /// The donor data and salt hash to another commitment.
    #[error("the donor data and salt do not open the donation's commitment")]
    Mismatch,
}

/// The commitment to `data` (a JSON object, whose members are not judged here) under
/// `salt`: `SHA-256("vitrine/donor/v1\n" || JCS(data) || salt)`.
pub fn donor_commitment(data: &Value, salt: &[u8; 32]) -> Result<Hash, DonorError> {
    if !data.is_object() {
        return Err(DonorError::NotObject);
    }
    let mut hasher = Sha256::new();
    hasher.update(DONOR_COMMITMENT_DOMAIN);
    hasher.update(jcs::canonicalize(data));
    hasher.update(salt);
    Ok(Hash(hasher.finalize().into()))
}

/// What opens a donor commitment: the donor data and the salt. Its `Debug` form shows
/// neither, so that it never ends up in a log file.
#[derive(Clone, PartialEq, Eq)]
pub struct DonorOpening {
    /// The donor data, a JSON object.
    pub donor: Value,
    /// The salt.
    pub salt: Salt,
}

impl std::fmt::Debug for DonorOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DonorOpening(..)")
    }
}

impl DonorOpening {
    /// The commitment this data and salt make.
    pub fn commitment(&self) -> Result<Hash, DonorError> {
        donor_commitment(&self.donor, &self.salt.0)
    }

    /// Checks that this data and salt open `commitment`.
    pub fn opens(&self, commitment: &Hash) -> Result<(), DonorError> {
        if self.commitment()? == *commitment {
            Ok(())
        } else {
            Err(DonorError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn donor() -> Value {
        json!({"name": "张三", "id_number": "110101199003077777", "contact": "zhangsan@example.com"})
    }

    fn salt() -> [u8; 32] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn commitment_known_answer() {
        // Computed independently in Python 3 with hashlib:
        //   c = json.dumps(data, ensure_ascii=False, separators=(",", ":"),
        //                  sort_keys=True).encode("utf-8")   # JCS, for this object
        //   hashlib.sha256(b"vitrine/donor/v1\n" + c + bytes(range(32))).hexdigest()
        // where c is
        //   {"contact":"zhangsan@example.com","id_number":"110101199003077777","name":"张三"}
        assert_eq!(
            String::from_utf8(jcs::canonicalize(&donor())).unwrap(),
            r#"{"contact":"zhangsan@example.com","id_number":"110101199003077777","name":"张三"}"#
        );
        assert_eq!(
            donor_commitment(&donor(), &salt()).unwrap().to_hex(),
            "b2a7f4ac464ebd820ec3097c2fc611f358cc017abcff8d5589b3e4f84d87db2c"
        );
    }

    #[test]
    fn commitment_binds_data_and_salt_not_member_order() {
        let commitment = donor_commitment(&donor(), &salt()).unwrap();
        let reordered = jcs::parse(
            r#"{ "contact": "zhangsan@example.com", "name": "张三", "id_number": "110101199003077777" }"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(donor_commitment(&reordered, &salt()).unwrap(), commitment);
        let opening = DonorOpening {
            donor: donor(),
            salt: Salt(salt()),
        };
        assert_eq!(opening.opens(&commitment), Ok(()));
        let wrong_salt = DonorOpening {
            salt: Salt([0; 32]),
            ..opening.clone()
        };
        assert_eq!(wrong_salt.opens(&commitment), Err(DonorError::Mismatch));
        let mut other = donor();
        other["name"] = json!("李四");
        let wrong_data = DonorOpening {
            donor: other,
            ..opening.clone()
        };
        assert_eq!(wrong_data.opens(&commitment), Err(DonorError::Mismatch));
        // Nothing personal in the Debug form.
        assert_eq!(format!("{opening:?}"), "DonorOpening(..)");
    }

    #[test]
    fn donor_data_must_be_an_object() {
        for data in [json!("张三"), json!(["张三"]), json!(null), json!(7)] {
            assert_eq!(
                donor_commitment(&data, &salt()),
                Err(DonorError::NotObject),
                "{data}"
            );
        }
    }
}
