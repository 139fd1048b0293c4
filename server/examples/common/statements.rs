//! What the load generators sign and register with: statements signed by given keys,
//! keys made from a seed, times from now, and credit codes with their check character.
// Each example uses what it needs of these.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use vitrine_ledger::statement::{SignedStatement, Statement};
use vitrine_ledger::time::Timestamp;

/// A statement of `kind` about `subject`, issued now, signed by each of `keys`, as JSON.
pub fn sign(kind: &str, subject: &str, body: Value, keys: &[&SigningKey]) -> String {
    let statement = Statement::from_value(json!({
        "kind": kind,
        "subject": subject,
        "issued_at": Timestamp::now().to_string(),
        "body": body,
    }))
    .unwrap_or_else(|e| panic!("statement: {e}"));
    let mut signed = SignedStatement::new(statement);
    for key in keys {
        signed.sign(key);
    }
    signed.to_value().to_string()
}

/// A key's public half in standard base64, as statements name keys.
pub fn b64(key: &SigningKey) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes())
}

/// A key made from `seed` and `salt` (the same two give the same key).
pub fn key(seed: u32, salt: u8) -> SigningKey {
    let mut bytes = [salt; 32];
    bytes[..4].copy_from_slice(&seed.to_be_bytes());
    SigningKey::from_bytes(&bytes)
}

/// The time `seconds_from_now` from now (negative: ago), to the microsecond.
pub fn at(seconds_from_now: f64) -> Timestamp {
    let now = Timestamp::now();
    let nanos = now.unix_nanos() + (seconds_from_now * 1e9) as i128;
    Timestamp::from_unix(
        (nanos / 1_000_000_000) as i64,
        (nanos % 1_000_000_000) as u32,
    )
    .unwrap_or(now)
    .truncate_to_micros()
}

/// The `n`th unified social credit code of the area `area` (six digits), with its check
/// character.
pub fn credit_code(area: &str, n: usize) -> String {
    let first17 = format!("91{area}{n:09}");
    let check = vitrine_server::domain::credit_code::check_character(&first17).unwrap_or('0');
    format!("{first17}{check}")
}
