//! Statements, their Ed25519 signatures, and log entries (DESIGN.md, "The log").
//!
//! - A **statement** is a JSON object with at least `kind`, `subject`, `body` (an object)
//!   and `issued_at`, and no floating-point numbers.
//! - A **signature** is Ed25519 over `"vitrine/statement/v1\n" || JCS(statement)`,
//!   written `{"public_key": base64(32 bytes), "sig": base64(64 bytes)}`.
//! - An **entry** is `JCS({"logged_at": ..., "signatures": [...], "statement": ...})`, at
//!   most 65,535 bytes.
//!
//! Whether a key was allowed to sign is a separate check against the key directory.

use crate::hash::{Hash, leaf_hash};
use crate::jcs::{self, CanonicalError, NumberError, ParseError};
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// The domain separation prefix of statement signatures.
pub const STATEMENT_SIGNATURE_DOMAIN: &[u8] = b"vitrine/statement/v1\n";
/// The largest entry, in bytes.
pub const MAX_ENTRY_SIZE: usize = 65_535;
/// The most signatures one statement may carry.
pub const MAX_SIGNATURES: usize = 16;
/// The longest statement kind.
pub const MAX_KIND_LENGTH: usize = 64;
/// The longest subject.
pub const MAX_SUBJECT_LENGTH: usize = 256;

/// Why a statement, a signed statement or an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Not JSON, or JSON with duplicate member names.
    #[error("{0}")]
    Json(String),
    /// Not a JSON object.
    #[error("{0} must be a JSON object")]
    NotObject(&'static str),
    /// A required member is absent.
    #[error("missing member {0:?}")]
    Missing(&'static str),
    /// A member is present but invalid.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The member.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A floating-point or out-of-range number.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The entry's bytes are not canonical JSON.
    #[error(transparent)]
    NotCanonical(#[from] CanonicalError),
    /// The entry is larger than [`MAX_ENTRY_SIZE`].
    #[error(
        "the entry has {0} bytes, more than the {MAX_ENTRY_SIZE}-byte limit (reference documents by hash)"
    )]
    TooLarge(usize),
    /// A signature does not verify.
    #[error("signature {index} (key {public_key}) does not verify")]
    BadSignature {
        /// Its position in `signatures`.
        index: usize,
        /// The key, base64.
        public_key: String,
    },
    /// No signatures.
    #[error("the statement is not signed")]
    Unsigned,
}

impl From<ParseError> for StatementError {
    fn from(e: ParseError) -> Self {
        StatementError::Json(e.to_string())
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> StatementError {
    StatementError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Checks the four required members, shared by every path that reads statements.
fn check_members(kind: &str, subject: &str, issued_at: &str) -> Result<Timestamp, StatementError> {
    let kind_ok = !kind.is_empty()
        && kind.len() <= MAX_KIND_LENGTH
        && kind.split('.').all(|part| {
            part.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && part
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        });
    if !kind_ok {
        return Err(invalid(
            "kind",
            format!("{kind:?} is not like \"bid.committed\" (lower-case words separated by dots)"),
        ));
    }
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_LENGTH {
        return Err(invalid(
            "subject",
            format!("must be 1 to {MAX_SUBJECT_LENGTH} characters"),
        ));
    }
    Timestamp::parse(issued_at).map_err(|e| invalid("issued_at", e.to_string()))
}

/// A valid statement: a JSON object with `kind`, `subject`, `body` and `issued_at`, and no
/// floating-point numbers. It keeps its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    value: Map<String, Value>,
    canonical: Vec<u8>,
    issued_at: Timestamp,
}

impl Statement {
    /// Validates a JSON value as a statement.
    pub fn from_value(value: Value) -> Result<Statement, StatementError> {
        let Value::Object(map) = value else {
            return Err(StatementError::NotObject("a statement"));
        };
        let text = |field: &'static str| -> Result<&str, StatementError> {
            match map.get(field) {
                None => Err(StatementError::Missing(field)),
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(invalid(field, "must be a string")),
            }
        };
        let issued_at = check_members(text("kind")?, text("subject")?, text("issued_at")?)?;
        match map.get("body") {
            None => return Err(StatementError::Missing("body")),
            Some(Value::Object(_)) => {}
            Some(_) => return Err(StatementError::NotObject("body")),
        }
        let value = Value::Object(map);
        jcs::check_integers(&value)?;
        let canonical = jcs::canonicalize(&value);
        let Value::Object(map) = value else {
            return Err(StatementError::NotObject("a statement"));
        };
        Ok(Statement {
            value: map,
            canonical,
            issued_at,
        })
    }

    /// Parses and validates a statement from JSON text.
    pub fn parse(text: &[u8]) -> Result<Statement, StatementError> {
        Statement::from_value(jcs::parse(text)?)
    }

    /// The statement kind, e.g. `bid.committed`.
    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }

    /// The record it concerns, e.g. an OCDS `ocid`.
    pub fn subject(&self) -> &str {
        self.value["subject"].as_str().unwrap_or_default()
    }

    /// The body object.
    pub fn body(&self) -> &Value {
        &self.value["body"]
    }

    /// When the signer says it issued the statement.
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }

    /// The statement as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.value
    }

    /// `JCS(statement)`.
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }

    /// The bytes a signer signs: `"vitrine/statement/v1\n" || JCS(statement)`.
    pub fn signing_message(&self) -> Vec<u8> {
        signing_message(&self.canonical)
    }
}

/// `"vitrine/statement/v1\n" || canonical`.
pub fn signing_message(canonical_statement: &[u8]) -> Vec<u8> {
    let mut message =
        Vec::with_capacity(STATEMENT_SIGNATURE_DOMAIN.len() + canonical_statement.len());
    message.extend_from_slice(STATEMENT_SIGNATURE_DOMAIN);
    message.extend_from_slice(canonical_statement);
    message
}

/// One signature of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementSignature {
    /// The signer's Ed25519 public key.
    pub public_key: [u8; 32],
    /// The Ed25519 signature.
    pub sig: [u8; 64],
}

impl StatementSignature {
    fn to_value(self) -> Value {
        serde_json::json!({
            "public_key": BASE64.encode(self.public_key),
            "sig": BASE64.encode(self.sig),
        })
    }

    /// Appends `{"public_key":"…","sig":"…"}` in canonical form (base64 needs no escapes,
    /// and the members are in order).
    fn write_canonical(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(br#"{"public_key":""#);
        out.extend_from_slice(BASE64.encode(self.public_key).as_bytes());
        out.extend_from_slice(br#"","sig":""#);
        out.extend_from_slice(BASE64.encode(self.sig).as_bytes());
        out.extend_from_slice(br#""}"#);
    }

    /// Parses the base64 members of a signature object.
    fn parse(public_key: &str, sig: &str) -> Result<StatementSignature, StatementError> {
        Ok(StatementSignature {
            public_key: decode_exact::<32>(public_key)
                .ok_or_else(|| invalid("public_key", "must be base64 of 32 bytes"))?,
            sig: decode_exact::<64>(sig)
                .ok_or_else(|| invalid("sig", "must be base64 of 64 bytes"))?,
        })
    }

    /// Verifies this signature over a canonical statement with `verify_strict`.
    pub fn verify(&self, canonical_statement: &[u8]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.public_key) else {
            return false;
        };
        self.verify_with_key(&key, canonical_statement)
    }

    /// The same with the key already decoded (decoding is a sixth of the cost): `key`
    /// must be this signature's `public_key`.
    pub fn verify_with_key(&self, key: &VerifyingKey, canonical_statement: &[u8]) -> bool {
        key.as_bytes() == &self.public_key
            && key
                .verify_strict(
                    &signing_message(canonical_statement),
                    &Signature::from_bytes(&self.sig),
                )
                .is_ok()
    }
}

/// Decodes canonical standard base64 of exactly `N` bytes.
fn decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = BASE64.decode(text).ok()?;
    let array: [u8; N] = bytes.try_into().ok()?;
    // Only the canonical encoding: one entry, one byte string.
    (BASE64.encode(array) == text).then_some(array)
}

/// A statement with its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedStatement {
    statement: Statement,
    signatures: Vec<StatementSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature<'a> {
    #[serde(borrow)]
    public_key: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    sig: std::borrow::Cow<'a, str>,
}

impl SignedStatement {
    /// A statement with no signatures yet.
    pub fn new(statement: Statement) -> SignedStatement {
        SignedStatement {
            statement,
            signatures: Vec::new(),
        }
    }

    /// The statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[StatementSignature] {
        &self.signatures
    }

    /// Signs with `key`, replacing an earlier signature by the same key.
    pub fn sign(&mut self, key: &SigningKey) {
        let public_key = key.verifying_key().to_bytes();
        let sig = key.sign(&self.statement.signing_message()).to_bytes();
        self.signatures.retain(|s| s.public_key != public_key);
        self.signatures.push(StatementSignature { public_key, sig });
    }

    /// Adds a signature made elsewhere (by a browser, a hardware key).
    pub fn add_signature(&mut self, signature: StatementSignature) {
        self.signatures
            .retain(|s| s.public_key != signature.public_key);
        self.signatures.push(signature);
    }

    /// Checks that there is at least one signature, at most [`MAX_SIGNATURES`], no key twice,
    /// and that every signature verifies (`verify_strict`).
    pub fn verify(&self) -> Result<(), StatementError> {
        self.verify_with(|key| VerifyingKey::from_bytes(key).ok())
    }

    /// [`SignedStatement::verify`] with decoded keys from `decode` (a cache, say); `None`
    /// means the key is not a valid point.
    pub fn verify_with(
        &self,
        mut decode: impl FnMut(&[u8; 32]) -> Option<VerifyingKey>,
    ) -> Result<(), StatementError> {
        check_signature_set(&self.signatures)?;
        for (index, signature) in self.signatures.iter().enumerate() {
            let verified = decode(&signature.public_key)
                .is_some_and(|key| signature.verify_with_key(&key, self.statement.canonical()));
            if !verified {
                return Err(StatementError::BadSignature {
                    index,
                    public_key: BASE64.encode(signature.public_key),
                });
            }
        }
        Ok(())
    }

    /// Parses `{"statement": {...}, "signatures": [...]}` (signatures may be empty).
    pub fn parse(text: &[u8]) -> Result<SignedStatement, StatementError> {
        SignedStatement::from_value(jcs::parse(text)?)
    }

    /// Reads a signed statement from a JSON value.
    pub fn from_value(value: Value) -> Result<SignedStatement, StatementError> {
        let Value::Object(mut map) = value else {
            return Err(StatementError::NotObject("a signed statement"));
        };
        let statement = Statement::from_value(
            map.remove("statement")
                .ok_or(StatementError::Missing("statement"))?,
        )?;
        let signatures = match map.remove("signatures") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| {
                    let field = |name: &str| item.get(name).and_then(Value::as_str);
                    let size_ok = item.as_object().is_some_and(|m| m.len() == 2);
                    match (field("public_key"), field("sig")) {
                        (Some(public_key), Some(sig)) if size_ok => {
                            StatementSignature::parse(public_key, sig)
                        }
                        _ => Err(invalid(
                            "signatures",
                            "each signature is {\"public_key\": <base64>, \"sig\": <base64>}",
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(invalid("signatures", "must be an array")),
        };
        if let Some(extra) = map.keys().next() {
            return Err(invalid(
                "signed statement",
                format!("unknown member {extra:?}"),
            ));
        }
        Ok(SignedStatement {
            statement,
            signatures,
        })
    }

    /// `{"signatures": [...], "statement": {...}}`.
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "statement": Value::Object(self.statement.value.clone()),
            "signatures": self.signatures.iter().map(|s| s.to_value()).collect::<Vec<_>>(),
        })
    }

    /// SHA-256 of [`SignedStatement::canonical_bytes`]: what identifies a signed statement,
    /// so that sending the same one twice logs it once.
    pub fn hash(&self) -> Hash {
        crate::hash::sha256(&self.canonical_bytes())
    }

    /// `JCS({"signatures": [...], "statement": ...})`, built from the statement's canonical
    /// bytes without a JSON tree (equal to canonicalising [`SignedStatement::to_value`]).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.statement.canonical.len() + 160);
        out.extend_from_slice(br#"{"signatures":"#);
        write_signatures(&self.signatures, &mut out);
        out.extend_from_slice(br#","statement":"#);
        out.extend_from_slice(&self.statement.canonical);
        out.push(b'}');
        out
    }
}

fn write_signatures(signatures: &[StatementSignature], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, signature) in signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        signature.write_canonical(out);
    }
    out.push(b']');
}

fn check_signature_set(signatures: &[StatementSignature]) -> Result<(), StatementError> {
    if signatures.is_empty() {
        return Err(StatementError::Unsigned);
    }
    if signatures.len() > MAX_SIGNATURES {
        return Err(invalid(
            "signatures",
            format!("at most {MAX_SIGNATURES} signatures"),
        ));
    }
    let mut seen = HashSet::new();
    if !signatures.iter().all(|s| seen.insert(s.public_key)) {
        return Err(invalid("signatures", "the same key signed twice"));
    }
    Ok(())
}

/// A log entry: a signed statement and the time the log integrated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    signed: SignedStatement,
    logged_at: Timestamp,
    bytes: Vec<u8>,
}

impl Entry {
    /// Makes the entry of a signed statement logged at `logged_at`. Signatures are not
    /// checked here: call [`SignedStatement::verify`] first.
    pub fn new(signed: SignedStatement, logged_at: Timestamp) -> Result<Entry, StatementError> {
        check_signature_set(&signed.signatures)?;
        // Members in canonical order (logged_at < signatures < statement); the time and
        // base64 need no escapes, and the statement is canonical already.
        let mut bytes = Vec::with_capacity(signed.statement.canonical.len() + 200);
        bytes.extend_from_slice(br#"{"logged_at":""#);
        bytes.extend_from_slice(logged_at.to_string().as_bytes());
        bytes.extend_from_slice(br#"","signatures":"#);
        write_signatures(&signed.signatures, &mut bytes);
        bytes.extend_from_slice(br#","statement":"#);
        bytes.extend_from_slice(&signed.statement.canonical);
        bytes.push(b'}');
        if bytes.len() > MAX_ENTRY_SIZE {
            return Err(StatementError::TooLarge(bytes.len()));
        }
        Ok(Entry {
            signed,
            logged_at,
            bytes,
        })
    }

    /// Checks, without building it, that the entry of `signed` fits in [`MAX_ENTRY_SIZE`]
    /// whenever it is logged (with the longest `logged_at`, to the nanosecond), and that
    /// its signature set is valid: what [`Entry::new`] would refuse. Answers the size the
    /// entry has with the longest `logged_at`.
    pub fn check_fits(signed: &SignedStatement) -> Result<usize, StatementError> {
        check_signature_set(&signed.signatures)?;
        // `{"logged_at":"` + time + `","signatures":` + signatures + `,"statement":` +
        // statement + `}`; the longest time is `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
        const LONGEST_TIME: usize = 30;
        let mut signatures = Vec::with_capacity(160 * signed.signatures.len() + 2);
        write_signatures(&signed.signatures, &mut signatures);
        let size =
            14 + LONGEST_TIME + 15 + signatures.len() + 13 + signed.statement.canonical.len() + 1;
        if size > MAX_ENTRY_SIZE {
            return Err(StatementError::TooLarge(size));
        }
        Ok(size)
    }

    /// Parses an entry's bytes: canonical JSON, the entry's shape, a valid statement.
    /// Signatures are not verified: call [`Entry::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Entry, StatementError> {
        let view = EntryView::parse(bytes)?;
        let statement = Statement::from_value(jcs::parse(view.statement)?)?;
        Ok(Entry {
            signed: SignedStatement {
                statement,
                signatures: view.signatures,
            },
            logged_at: view.logged_at,
            bytes: bytes.to_vec(),
        })
    }

    /// Verifies every signature.
    pub fn verify(&self) -> Result<(), StatementError> {
        self.signed.verify()
    }

    /// The canonical bytes: the leaf of the log.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The RFC 6962 leaf hash.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.bytes)
    }

    /// The signed statement.
    pub fn signed(&self) -> &SignedStatement {
        &self.signed
    }

    /// When the log integrated it.
    pub fn logged_at(&self) -> Timestamp {
        self.logged_at
    }

    /// The entry as a JSON value.
    pub fn to_value(&self) -> Value {
        // The bytes are canonical JSON made by this module.
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// The parts of an entry needed to verify it, borrowed from its bytes without building a
/// JSON tree: the hot path of verifying a whole log.
#[derive(Debug, Clone)]
pub struct EntryView<'a> {
    /// `JCS(statement)`, a slice of the entry (the entry is canonical, so its `statement`
    /// member is the canonical form of the statement).
    pub statement: &'a [u8],
    /// The signatures, decoded.
    pub signatures: Vec<StatementSignature>,
    /// When the log integrated it.
    pub logged_at: Timestamp,
    /// The statement kind.
    pub kind: String,
    /// The statement subject.
    pub subject: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry<'a> {
    #[serde(borrow)]
    logged_at: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    signatures: Vec<&'a RawValue>,
    #[serde(borrow)]
    statement: &'a RawValue,
}

#[derive(Deserialize)]
struct RawStatement<'a> {
    #[serde(borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    subject: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    issued_at: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
}

impl<'a> EntryView<'a> {
    /// Checks an entry's bytes completely except for the signatures themselves: size,
    /// canonical JSON without floating-point numbers, the entry and statement shapes, and
    /// the encodings of keys and signatures.
    pub fn parse(bytes: &'a [u8]) -> Result<EntryView<'a>, StatementError> {
        if bytes.len() > MAX_ENTRY_SIZE {
            return Err(StatementError::TooLarge(bytes.len()));
        }
        jcs::check_canonical(bytes)?;
        // serde would read a struct from the array of its members' values too: an entry,
        // and each of its signatures, is an object and nothing else.
        if !bytes.starts_with(b"{") {
            return Err(StatementError::NotObject("an entry"));
        }
        let raw: RawEntry<'a> = serde_json::from_slice(bytes)
            .map_err(|e| StatementError::Json(format!("not an entry: {e}")))?;
        let logged_at =
            Timestamp::parse(&raw.logged_at).map_err(|e| invalid("logged_at", e.to_string()))?;
        let statement = raw.statement.get().as_bytes();
        if !statement.starts_with(b"{") {
            return Err(StatementError::NotObject("a statement"));
        }
        let fields: RawStatement<'_> =
            serde_json::from_slice(statement).map_err(|e| invalid("statement", e.to_string()))?;
        let kind = fields.kind.ok_or(StatementError::Missing("kind"))?;
        let subject = fields.subject.ok_or(StatementError::Missing("subject"))?;
        let issued_at = fields
            .issued_at
            .ok_or(StatementError::Missing("issued_at"))?;
        let body = fields.body.ok_or(StatementError::Missing("body"))?;
        if !body.get().starts_with('{') {
            return Err(StatementError::NotObject("body"));
        }
        check_members(&kind, &subject, &issued_at)?;
        let signatures = raw
            .signatures
            .iter()
            .map(|raw| {
                let text = raw.get();
                if !text.starts_with('{') {
                    return Err(invalid(
                        "signatures",
                        "each signature is an object {\"public_key\", \"sig\"}",
                    ));
                }
                let s: RawSignature<'_> =
                    serde_json::from_str(text).map_err(|e| invalid("signatures", e.to_string()))?;
                StatementSignature::parse(&s.public_key, &s.sig)
            })
            .collect::<Result<Vec<_>, _>>()?;
        check_signature_set(&signatures)?;
        Ok(EntryView {
            statement,
            signatures,
            logged_at,
            kind: kind.into_owned(),
            subject: subject.into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Statement {
        Statement::parse(
            r#"{"kind":"tender.published","subject":"ocds-abc-1","issued_at":"2026-11-21T10:00:00Z","body":{"title":"路灯维修 Street lights","value":{"amount":"120000.00","currency":"CNY"},"lots":2}}"#.as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn an_entry_and_its_signatures_are_objects_never_arrays() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let mut signed = SignedStatement::new(statement());
        signed.sign(&key);
        let entry = Entry::new(signed, Timestamp::parse("2026-11-21T10:00:01Z").unwrap()).unwrap();
        let value = entry.to_value();
        let as_array =
            serde_json::json!([value["logged_at"], value["signatures"], value["statement"]]);
        let bytes = jcs::canonicalize(&as_array);
        assert_eq!(
            Entry::parse(&bytes),
            Err(StatementError::NotObject("an entry"))
        );
        let mut pair = value.clone();
        let sig = &value["signatures"][0];
        pair["signatures"] = serde_json::json!([[sig["public_key"], sig["sig"]]]);
        let err = Entry::parse(&jcs::canonicalize(&pair)).unwrap_err();
        assert!(
            matches!(
                err,
                StatementError::Invalid {
                    field: "signatures",
                    ..
                }
            ),
            "{err}"
        );
        // The object form parses.
        assert!(Entry::parse(&jcs::canonicalize(&value)).is_ok());
    }

    #[test]
    fn sign_verify_and_entry_round_trip() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let mut signed = SignedStatement::new(statement());
        signed.sign(&key);
        signed.verify().unwrap();
        let entry = Entry::new(
            signed.clone(),
            Timestamp::parse("2026-11-21T10:00:01.5Z").unwrap(),
        )
        .unwrap();
        let parsed = Entry::parse(entry.bytes()).unwrap();
        assert_eq!(parsed, entry);
        parsed.verify().unwrap();
        assert!(entry.bytes().starts_with(
            br#"{"logged_at":"2026-11-21T10:00:01.5Z","signatures":[{"public_key":""#
        ));
        let view = EntryView::parse(entry.bytes()).unwrap();
        assert_eq!(view.statement, signed.statement().canonical());
        assert_eq!(view.kind, "tender.published");
    }

    #[test]
    fn refuses_bad_statements() {
        let cases: &[(&str, &str)] = &[
            (r#"[]"#, "must be a JSON object"),
            (
                r#"{"subject":"s","issued_at":"2026-11-21T10:00:00Z","body":{}}"#,
                "missing member \"kind\"",
            ),
            (
                r#"{"kind":"Bid","subject":"s","issued_at":"2026-11-21T10:00:00Z","body":{}}"#,
                "invalid kind",
            ),
            (
                r#"{"kind":"bid.x","subject":"","issued_at":"2026-11-21T10:00:00Z","body":{}}"#,
                "invalid subject",
            ),
            (
                r#"{"kind":"bid.x","subject":"s","issued_at":"2026-11-21 10:00","body":{}}"#,
                "invalid issued_at",
            ),
            (
                r#"{"kind":"bid.x","subject":"s","issued_at":"2026-11-21T10:00:00Z","body":[]}"#,
                "body must be a JSON object",
            ),
            (
                r#"{"kind":"bid.x","subject":"s","issued_at":"2026-11-21T10:00:00Z","body":{"price":1.5}}"#,
                "floating-point number 1.5 at /body/price",
            ),
            (
                r#"{"kind":"bid.x","subject":"s","issued_at":"2026-11-21T10:00:00Z","body":{},"body":{}}"#,
                "duplicate member",
            ),
        ];
        for (text, message) in cases {
            let err = Statement::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
    }

    #[test]
    fn refuses_forged_duplicate_and_missing_signatures() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let other = SigningKey::from_bytes(&[6; 32]);
        let mut signed = SignedStatement::new(statement());
        assert_eq!(signed.verify(), Err(StatementError::Unsigned));
        signed.sign(&key);
        // A signature by another key, presented as this key's.
        let mut forged = signed.clone();
        let wrong = SignedStatement {
            signatures: vec![],
            ..signed.clone()
        };
        let mut wrong = wrong;
        wrong.sign(&other);
        forged.signatures[0].sig = wrong.signatures[0].sig;
        assert!(matches!(
            forged.verify(),
            Err(StatementError::BadSignature { index: 0, .. })
        ));
        // The same signature over another statement.
        let mut moved = SignedStatement::new(
            Statement::parse(br#"{"kind":"tender.published","subject":"ocds-abc-2","issued_at":"2026-11-21T10:00:00Z","body":{}}"#).unwrap(),
        );
        moved.add_signature(signed.signatures[0]);
        assert!(moved.verify().is_err());
        // The same key twice.
        let mut twice = signed.clone();
        twice.signatures.push(signed.signatures[0]);
        assert!(twice.verify().is_err());
        // Malformed signature bytes.
        let mut bad = signed.to_value();
        bad["signatures"][0]["sig"] = Value::String("AAAA".into());
        assert!(SignedStatement::from_value(bad).is_err());
    }

    #[test]
    fn refuses_non_canonical_and_oversized_entries() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let mut signed = SignedStatement::new(statement());
        signed.sign(&key);
        let entry = Entry::new(signed, Timestamp::parse("2026-11-21T10:00:01Z").unwrap()).unwrap();
        let mut spaced = entry.bytes().to_vec();
        spaced.insert(1, b' ');
        assert!(matches!(
            Entry::parse(&spaced),
            Err(StatementError::NotCanonical(_))
        ));
        let big = format!(
            r#"{{"kind":"doc.x","subject":"s","issued_at":"2026-11-21T10:00:00Z","body":{{"text":"{}"}}}}"#,
            "x".repeat(70_000)
        );
        let mut signed = SignedStatement::new(Statement::parse(big.as_bytes()).unwrap());
        signed.sign(&key);
        assert!(matches!(
            Entry::new(signed, Timestamp::now()),
            Err(StatementError::TooLarge(_))
        ));
    }
}
