//! The shapes of statement bodies: the pieces of the JSON Schemas that kinds declare
//! ([`Kind::body_schema`](crate::domain::rules::Kind::body_schema)), which the OpenAPI
//! document publishes. A kind's schema sits beside its `check_body`, in its own file: the
//! rules check more than a schema can say (the state, who signed, the time), and the
//! schema's description says who signs and when.

use serde_json::{Value, json};

/// A string of 1 to `max` characters.
pub fn text(max: usize, description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "description": description})
}

/// 64 lowercase hexadecimal digits (a SHA-256).
pub fn hex_hash(description: &str) -> Value {
    json!({"type": "string", "pattern": "^[0-9a-f]{64}$", "description": description})
}

/// An object with exactly these members, of which `required` must be present.
pub fn object(description: &str, required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "description": description, "required": required, "properties": properties, "additionalProperties": false})
}

/// An identifier: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or
/// digit.
pub fn identifier() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"})
}

/// An Ed25519 public key in base64.
pub fn public_key() -> Value {
    json!({"type": "string", "format": "byte", "description": "Ed25519 public key, base64 of 32 bytes"})
}

/// An amount of money (the OpenAPI document's `Money`).
pub fn money() -> Value {
    json!({"$ref": "#/components/schemas/Money"})
}

/// Text in Chinese, English or both, each of 1 to `max` characters.
pub fn bilingual(max: usize) -> Value {
    json!({"type": "object", "minProperties": 1, "additionalProperties": false, "properties": {"zh": text(max, "Chinese"), "en": text(max, "English")}})
}

/// An RFC 3339 time.
pub fn time(description: &str) -> Value {
    json!({"type": "string", "format": "date-time", "description": description})
}

/// Documents by hash, each uploaded first.
pub fn documents() -> Value {
    json!({"type": "array", "maxItems": 200, "items": object("A document, uploaded first (POST /api/v1/documents).", &["sha256", "title"], json!({"sha256": hex_hash("SHA-256 of the content"), "title": text(300, "Its title")}))})
}

/// A sealed bid's commitment.
pub fn commitment() -> Value {
    hex_hash("The bid's commitment: SHA-256(\"vitrine/bid/v1\\n\" || JCS(bid) || salt)")
}
