//! Canonical JSON: RFC 8785, the JSON Canonicalization Scheme (JCS).
//!
//! Three pieces:
//! - [`parse`] reads I-JSON strictly (RFC 7493): valid UTF-8, no duplicate member names,
//!   no lone surrogates, bounded nesting;
//! - [`canonicalize`] writes any JSON value in its canonical form, numbers included
//!   (ECMAScript `Number.prototype.toString`, as RFC 8785 requires);
//! - [`check_canonical`] decides without allocating whether bytes are already canonical
//!   and free of non-integer numbers, which is what every log entry must be. It is the hot
//!   path of verifying a log.
//!
//! Vitrine statements carry no floating-point numbers (money is a decimal string), so
//! [`check_integers`] refuses any number that is not an integer of at most 2^53 - 1 in
//! magnitude, the range every JSON implementation reads exactly.

use serde::Deserialize as _;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt;

/// The largest integer magnitude a statement may carry: 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;

/// Why a JSON text was refused by [`parse`].
#[derive(Debug, thiserror::Error)]
#[error("invalid JSON: {0}")]
pub struct ParseError(String);

/// Parses a JSON text strictly: duplicate member names and nesting beyond [`MAX_DEPTH`] are
/// refused, as are invalid UTF-8 and lone surrogates.
pub fn parse(text: &[u8]) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = StrictValue::deserialize(&mut de).map_err(|e| ParseError(e.to_string()))?;
    de.end().map_err(|e| ParseError(e.to_string()))?;
    check_depth(&value.0, 0)?;
    Ok(value.0)
}

fn check_depth(value: &Value, depth: usize) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError(format!("nested deeper than {MAX_DEPTH} levels")));
    }
    match value {
        Value::Array(items) => items.iter().try_for_each(|v| check_depth(v, depth + 1)),
        Value::Object(map) => map.values().try_for_each(|v| check_depth(v, depth + 1)),
        _ => Ok(()),
    }
}

struct StrictValue(Value);

impl<'de> de::Deserialize<'de> for StrictValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Number(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrictValue, E> {
        Number::from_f64(v)
            .map(|n| StrictValue(Value::Number(n)))
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(StrictValue(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictValue, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let StrictValue(value) = access.next_value()?;
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate member name {key:?}")));
            }
            map.insert(key, value);
        }
        Ok(StrictValue(Value::Object(map)))
    }
}

/// The canonical form of a JSON value (RFC 8785).
pub fn canonicalize(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

/// Appends the canonical form of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| utf16_cmp(a.0, b.0));
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Orders strings by their UTF-16 code units, as RFC 8785 sorts member names.
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    if let Some(u) = n.as_u64() {
        if u <= 1 << 53 {
            out.extend_from_slice(u.to_string().as_bytes());
            return;
        }
    } else if let Some(i) = n.as_i64()
        && i.unsigned_abs() <= 1 << 53
    {
        out.extend_from_slice(i.to_string().as_bytes());
        return;
    }
    // Beyond 2^53 an integer is read as the nearest double, as in ECMAScript.
    let f = n.as_f64().unwrap_or(0.0);
    out.extend_from_slice(format_es_number(f).as_bytes());
}

/// Formats a finite double as ECMAScript's `Number.prototype.toString` does (ECMA-262
/// 7.1.12.1), which RFC 8785 adopts. Rust's shortest round-trip digits are the digits ES
/// requires; only their layout differs.
pub fn format_es_number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_owned();
    }
    if value < 0.0 {
        return format!("-{}", format_es_number(-value));
    }
    // Rust's shortest digits; ES breaks an exact tie between two shortest candidates
    // towards the even one, which exact formatting at that precision (ties to even) gives.
    let shortest = format!("{value:e}");
    let digit_count = shortest
        .split('e')
        .next()
        .map_or(1, |m| m.chars().filter(char::is_ascii_digit).count());
    let even = format!("{value:.prec$e}", prec = digit_count.saturating_sub(1));
    let sci = if even.parse::<f64>() == Ok(value) {
        even
    } else {
        shortest
    };
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let e = (n - 1).abs();
        if k == 1 {
            format!("{digits}e{sign}{e}")
        } else {
            format!("{}.{}e{sign}{e}", &digits[..1], &digits[1..])
        }
    }
}

/// A number that a statement may not carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// A number with a fraction or an exponent.
    #[error(
        "floating-point number {number} at {path}: statements carry no floating-point numbers (write money as a decimal string)"
    )]
    Float {
        /// Where, as a JSON pointer.
        path: String,
        /// The number as written.
        number: String,
    },
    /// An integer that JSON readers cannot all read exactly.
    #[error("integer {number} at {path} is beyond ±(2^53 - 1)")]
    TooLarge {
        /// Where, as a JSON pointer.
        path: String,
        /// The number as written.
        number: String,
    },
}

/// Checks that every number in `value` is an integer of magnitude at most 2^53 - 1.
pub fn check_integers(value: &Value) -> Result<(), NumberError> {
    fn walk(value: &Value, path: &mut String) -> Result<(), NumberError> {
        match value {
            Value::Number(n) => {
                let magnitude = n.as_u64().or_else(|| n.as_i64().map(i64::unsigned_abs));
                match magnitude {
                    Some(m) if m <= MAX_SAFE_INTEGER => Ok(()),
                    Some(_) => Err(NumberError::TooLarge {
                        path: pointer(path),
                        number: n.to_string(),
                    }),
                    None => Err(NumberError::Float {
                        path: pointer(path),
                        number: n.to_string(),
                    }),
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    fn pointer(path: &str) -> String {
        if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        }
    }
    walk(value, &mut String::new())
}

/// Why bytes are not canonical JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not canonical JSON at byte {offset}: {reason}")]
pub struct CanonicalError {
    /// The byte offset of the first problem.
    pub offset: usize,
    /// What the problem is.
    pub reason: &'static str,
}

/// Checks that `bytes` is exactly the RFC 8785 canonical form of a JSON value whose numbers
/// are all integers of magnitude at most 2^53 - 1.
///
/// This is equivalent to `canonicalize(parse(bytes)?) == bytes` together with
/// [`check_integers`], without building the value.
pub fn check_canonical(bytes: &[u8]) -> Result<(), CanonicalError> {
    if std::str::from_utf8(bytes).is_err() {
        let offset = std::str::from_utf8(bytes)
            .err()
            .map_or(0, |e| e.valid_up_to());
        return Err(CanonicalError {
            offset,
            reason: "invalid UTF-8",
        });
    }
    let mut scanner = Scanner { bytes, pos: 0 };
    scanner.value(0)?;
    if scanner.pos != bytes.len() {
        return scanner.fail("trailing bytes after the value");
    }
    Ok(())
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn fail<T>(&self, reason: &'static str) -> Result<T, CanonicalError> {
        Err(CanonicalError {
            offset: self.pos,
            reason,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), CanonicalError> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.fail("invalid literal")
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), CanonicalError> {
        if depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b' ' | b'\t' | b'\n' | b'\r') => self.fail("whitespace is not canonical"),
            Some(_) => self.fail("unexpected byte"),
            None => self.fail("unexpected end"),
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), CanonicalError> {
        self.pos += 1;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth + 1)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.fail("expected , or ] in array"),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), CanonicalError> {
        self.pos += 1;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut previous: Option<&'a [u8]> = None;
        loop {
            if self.peek() != Some(b'"') {
                return self.fail("expected a member name");
            }
            let key_start = self.pos;
            let key = self.string()?;
            if let Some(prev) = previous
                && escaped_utf16_cmp(prev, key) != Ordering::Less
            {
                self.pos = key_start;
                return self.fail("member names not in canonical order, or duplicated");
            }
            previous = Some(key);
            if self.peek() != Some(b':') {
                return self.fail("expected : after member name");
            }
            self.pos += 1;
            self.value(depth + 1)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.fail("expected , or } in object"),
            }
        }
    }

    /// Scans a canonical string and returns its content between the quotes, still escaped.
    fn string(&mut self) -> Result<&'a [u8], CanonicalError> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    let content = &self.bytes[start..self.pos];
                    self.pos += 1;
                    return Ok(content);
                }
                Some(b'\\') => {
                    let escape = self.bytes.get(self.pos + 1).copied();
                    match escape {
                        Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 2,
                        Some(b'u') => {
                            let hex = self.bytes.get(self.pos + 2..self.pos + 6);
                            let code = match hex {
                                Some([b'0', b'0', hi @ (b'0' | b'1'), lo]) if is_lower_hex(*lo) => {
                                    (hex_value(*hi) << 4) | hex_value(*lo)
                                }
                                _ => return self.fail("\\u escape of a character that needs none"),
                            };
                            if matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return self.fail("\\u escape where a short escape is canonical");
                            }
                            self.pos += 6;
                        }
                        _ => return self.fail("escape that is not canonical"),
                    }
                }
                Some(0x00..=0x1f) => return self.fail("control character not escaped"),
                Some(_) => self.pos += 1,
            }
        }
    }

    fn number(&mut self) -> Result<(), CanonicalError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
            }
            _ => return self.fail("invalid number"),
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            self.pos = start;
            return self.fail("floating-point number");
        }
        let digits = &self.bytes[digits_start..self.pos];
        if digits == b"0" && digits_start != start {
            self.pos = start;
            return self.fail("-0 is not canonical");
        }
        if digits.len() > 16 {
            self.pos = start;
            return self.fail("integer beyond ±(2^53 - 1)");
        }
        let magnitude = digits
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        if magnitude > MAX_SAFE_INTEGER {
            self.pos = start;
            return self.fail("integer beyond ±(2^53 - 1)");
        }
        Ok(())
    }
}

fn is_lower_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}

fn hex_value(c: u8) -> u8 {
    if c.is_ascii_digit() {
        c - b'0'
    } else {
        c - b'a' + 10
    }
}

/// Compares two canonical escaped string contents by the UTF-16 code units they denote.
fn escaped_utf16_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let plain = |s: &[u8]| s.iter().all(|&c| c < 0x80 && c != b'\\');
    if plain(a) && plain(b) {
        return a.cmp(b);
    }
    // Canonical content is valid UTF-8 (checked before scanning) with only simple escapes.
    let decode = |s: &[u8]| -> String {
        let text = std::str::from_utf8(s).unwrap_or_default();
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).unwrap_or(0);
                    out.push(char::from_u32(code).unwrap_or('\0'));
                }
                Some(other) => out.push(other),
                None => {}
            }
        }
        out
    };
    utf16_cmp(&decode(a), &decode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        String::from_utf8(canonicalize(&parse(text.as_bytes()).unwrap())).unwrap()
    }

    #[test]
    fn sorts_and_strips() {
        assert_eq!(
            canon(r#" { "b" : 1 , "a" : [ true , null ] } "#),
            r#"{"a":[true,null],"b":1}"#
        );
    }

    #[test]
    fn refuses_duplicates_and_depth() {
        assert!(parse(br#"{"a":1,"a":2}"#).is_err());
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes()).is_err());
        assert!(parse(br#""\ud800""#).is_err());
        assert!(parse(b"{} x").is_err());
    }

    #[test]
    fn check_canonical_accepts_canonical_and_refuses_the_rest() {
        for good in [
            r#"{"a":[true,null],"b":-12}"#,
            r#""\u001f\n\"\\/""#,
            r#"{"\r":1,"1":2,"":3}"#,
            "9007199254740991",
        ] {
            let value = parse(good.as_bytes()).unwrap();
            if canonicalize(&value) == good.as_bytes() {
                assert_eq!(check_canonical(good.as_bytes()), Ok(()), "{good}");
            }
        }
        for bad in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":1}"#,
            r#"{ "a":1}"#,
            r#""\/""#,
            r#""\u000a""#,
            r#""\u0041""#,
            r#""\u001F""#,
            "1.5",
            "1e3",
            "-0",
            "01",
            "9007199254740992",
            "[1,]",
            "tru",
            "{}{}",
        ] {
            assert!(
                check_canonical(bad.as_bytes()).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn integer_policy() {
        assert!(check_integers(&parse(b"[1,-2,9007199254740991]").unwrap()).is_ok());
        let err = check_integers(&parse(br#"{"a":{"b":[0,1.5]}}"#).unwrap()).unwrap_err();
        assert_eq!(
            err.to_string().split(':').next().unwrap(),
            "floating-point number 1.5 at /a/b/1"
        );
        assert!(matches!(
            check_integers(&parse(b"9007199254740992").unwrap()),
            Err(NumberError::TooLarge { .. })
        ));
        assert!(matches!(
            check_integers(&parse(b"1.0").unwrap()),
            Err(NumberError::Float { .. })
        ));
    }
}
