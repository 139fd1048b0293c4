//! What templates may call besides the engine's built-ins: `t` (a message in the reader's
//! language), and filters for the log's values: localised text, money, times, hashes.

use super::i18n::{Lang, Messages};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use std::sync::Arc;

fn lang_of(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or(Lang::ZhCn)
}

/// Registers `t` and the filters.
pub(super) fn register(env: &mut Environment<'static>, messages: Arc<Messages>) {
    env.add_function(
        "t",
        move |state: &State, key: &str, args: Kwargs| -> Result<String, Error> {
            let lang = lang_of(state);
            let Some(text) = messages.get(lang, key) else {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("no message {key:?} in {}", lang.tag()),
                ));
            };
            let mut out = text.to_owned();
            for name in args.args() {
                let value: Value = args.get(name)?;
                out = out.replace(&format!("{{{name}}}"), &value.to_string());
            }
            Ok(out)
        },
    );
    env.add_filter("text", localised);
    env.add_filter("money", money);
    env.add_filter("datetime", datetime);
    env.add_filter("short", short);
    env.add_filter("decimal", decimal);
    env.add_filter("shown", shown);
    env.add_filter("utc_input", utc_input);
    env.add_filter("pick", pick);
}

/// Localised text (`{"zh": …, "en": …}`) in the reader's language, else the other; a plain
/// string as it is.
fn localised(state: &State, value: Value) -> String {
    if let Some(s) = value.as_str() {
        return s.to_owned();
    }
    if value.kind() != ValueKind::Map {
        return String::new();
    }
    let want = match lang_of(state) {
        Lang::ZhCn => ["zh", "en"],
        Lang::En => ["en", "zh"],
    };
    want.iter()
        .filter_map(|k| value.get_attr(k).ok())
        .find_map(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A decimal amount with its thousands grouped: `1234567.50` → `1,234,567.50`.
pub fn group_thousands(amount: &str) -> String {
    let (sign, digits) = match amount.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", amount),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return amount.to_owned();
    }
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// Money (`{"amount", "currency"}`, or a bare amount) as `CNY 1,200,000.00`.
fn money(value: Value) -> String {
    if let Some(amount) = value.as_str() {
        return group_thousands(amount);
    }
    if value.kind() != ValueKind::Map {
        return String::new();
    }
    let field = |k: &str| {
        value
            .get_attr(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    match (field("amount"), field("currency")) {
        (Some(amount), Some(currency)) => format!("{currency} {}", group_thousands(&amount)),
        (Some(amount), None) => group_thousands(&amount),
        _ => String::new(),
    }
}

/// An RFC 3339 time as `2026-12-02 10:00 UTC`: what a reader without scripts sees; the
/// page's script rewrites it in the reader's own zone.
fn datetime(value: Value) -> String {
    let Some(text) = value.as_str() else {
        return String::new();
    };
    match vitrine_ledger::time::Timestamp::parse(text) {
        Ok(t) => {
            let s = t.to_string();
            format!("{} {} UTC", &s[..10], &s[11..16])
        }
        Err(_) => text.to_owned(),
    }
}

/// An integer count of hundredths (or of 10^-`places`) written exactly as a decimal:
/// `9149|decimal(2)` is `91.49`, `285000|decimal(4)` is `28.5000`. No floating point: the
/// sums a reader redoes are the platform's, to the last digit.
fn decimal(value: Value, places: Option<u32>) -> String {
    let places = places.unwrap_or(2).min(12);
    let Ok(n) = i128::try_from(value.clone()) else {
        return value.to_string();
    };
    let scale = 10i128.pow(places);
    let sign = if n < 0 { "-" } else { "" };
    let (whole, fraction) = (n.abs() / scale, n.abs() % scale);
    if places == 0 {
        return format!("{sign}{whole}");
    }
    format!("{sign}{whole}.{fraction:0width$}", width = places as usize)
}

/// A value as a reader reads it: text as it is, bilingual text in the reader's language,
/// money as money, anything else as compact JSON (escaped by the template like any text).
fn shown(state: &State, value: Value) -> String {
    if let Some(s) = value.as_str() {
        return s.to_owned();
    }
    if value.kind() == ValueKind::Map {
        if value.get_attr("zh").is_ok_and(|v| !v.is_undefined())
            || value.get_attr("en").is_ok_and(|v| !v.is_undefined())
        {
            return localised(state, value);
        }
        if value.get_attr("amount").is_ok_and(|v| !v.is_undefined()) {
            return money(value);
        }
    }
    serde_json::to_string(&value).unwrap_or_default()
}

/// `value`'s member at `path` (`title.zh`) as a form field shows it: a string, or a
/// number; anything else (missing, `none`, an object) as nothing. A draft may hold any
/// shape the API took, and a field must not fail the page.
fn pick(value: Value, path: &str) -> String {
    let mut at = value;
    for key in path.split('.') {
        at = match at.get_attr(key) {
            Ok(next) if !next.is_undefined() && !next.is_none() => next,
            _ => return String::new(),
        };
    }
    match at.kind() {
        ValueKind::String => at.as_str().unwrap_or_default().to_owned(),
        ValueKind::Number => at.to_string(),
        _ => String::new(),
    }
}

/// A UTC time (`2026-12-01T10:00:00Z`) as a `datetime-local` input's value in UTC
/// (`2026-12-01T10:00:00`); anything else as nothing.
fn utc_input(value: Value) -> String {
    value
        .as_str()
        .and_then(|t| vitrine_ledger::time::Timestamp::parse(t).ok())
        .map(|t| {
            let text = t.to_string();
            text.get(..19).unwrap_or_default().to_owned()
        })
        .unwrap_or_default()
}

/// The first `n` characters (12 by default) and an ellipsis, for hashes and keys.
fn short(value: Value, n: Option<usize>) -> String {
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    let n = n.unwrap_or(12);
    if text.chars().count() <= n {
        text
    } else {
        let head: String = text.chars().take(n).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_shows_a_string_or_a_number_whatever_the_shape_around_it() {
        let body = Value::from_serialize(serde_json::json!({
            "title": {"en": "Servers"},
            "weight": 30,
            "lots": "not a list",
            "value": {"amount": {"nested": 1}},
        }));
        for (path, want) in [
            ("title.en", "Servers"),
            ("title.zh", ""),
            ("weight", "30"),
            ("lots.id", ""),
            ("value.amount", ""),
            ("missing.deeper", ""),
        ] {
            assert_eq!(pick(body.clone(), path), want, "{path}");
        }
        assert_eq!(pick(Value::from(()), "id"), "");
        assert_eq!(pick(Value::UNDEFINED, "id"), "");
    }

    #[test]
    fn a_utc_time_fills_a_datetime_input_and_nothing_else_does() {
        for (value, want) in [
            (Value::from("2027-01-10T09:30:00Z"), "2027-01-10T09:30:00"),
            (
                Value::from("2027-01-10T09:30:00.250Z"),
                "2027-01-10T09:30:00",
            ),
            (Value::from("2027-01-10"), ""),
            (Value::from("<b>"), ""),
            (Value::from(5), ""),
            (Value::UNDEFINED, ""),
        ] {
            assert_eq!(utc_input(value.clone()), want, "{value:?}");
        }
    }

    #[test]
    fn scores_are_written_exactly() {
        for (n, places, want) in [
            (9149, 2, "91.49"),
            (285_000, 4, "28.5000"),
            (7, 2, "0.07"),
            (0, 2, "0.00"),
            (-5, 2, "-0.05"),
            (10_000, 2, "100.00"),
        ] {
            assert_eq!(decimal(Value::from(n), Some(places)), want);
        }
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        for (amount, want) in [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("1200000.00", "1,200,000.00"),
            ("-1234567.5", "-1,234,567.5"),
            ("12.345", "12.345"),
            ("abc", "abc"),
        ] {
            assert_eq!(group_thousands(amount), want);
        }
    }
}
