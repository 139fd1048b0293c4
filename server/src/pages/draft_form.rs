//! The draft editor's form as the JSON body of a draft: each field at the path its name
//! says (`title.zh`, `lots[0].value.amount`), typed by what the field is, with the form's
//! spare empty rows left out.

use crate::domain::said::Said;
use serde_json::{Map, Value, json};

/// The most rows a list of the form may have (lots, documents, criteria).
const MAX_ROWS: usize = 200;
/// The most fields a form may post, and the longest name and deepest path it may give
/// (`lots[0].title.zh` is four steps deep): a form is read into memory as it says.
const MAX_FIELDS: usize = 2_000;
const MAX_NAME: usize = 64;
const MAX_DEPTH: usize = 4;
/// The members a draft's form fills (those of a `tender.published` body).
const MEMBERS: [&str; 18] = [
    "id",
    "buyer",
    "title",
    "description",
    "category",
    "procedure",
    "justification",
    "region",
    "value",
    "lots",
    "documents",
    "enquiry_end",
    "tender_end",
    "reveal_end",
    "standstill_seconds",
    "amendment_notice_seconds",
    "award_criteria",
    "criteria",
];
/// Fields that hold whole numbers.
const INTEGERS: [&str; 3] = ["standstill_seconds", "amendment_notice_seconds", "weight"];
/// Fields that hold a date and time (`datetime-local`: in UTC unless the page's script
/// wrote them in UTC already, which it does before sending).
const TIMES: [&str; 3] = ["enquiry_end", "tender_end", "reveal_end"];

/// One step of a field's path.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `lots[2].title.zh` as its steps; `None` if it is not a path of the form.
fn steps(name: &str) -> Option<Vec<Step<'_>>> {
    if name.len() > MAX_NAME {
        return None;
    }
    let mut out = Vec::new();
    for part in name.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        out.push(Step::Key(key));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index: usize = rest.get(1..close)?.parse().ok()?;
            if !rest.starts_with('[') || index >= MAX_ROWS {
                return None;
            }
            out.push(Step::Index(index));
            rest = &rest[close + 1..];
        }
    }
    let known = matches!(out.first(), Some(Step::Key(first)) if MEMBERS.contains(first));
    (known && out.len() <= MAX_DEPTH).then_some(out)
}

/// A field's text as the value its name calls for.
fn typed(last: &str, text: &str) -> Value {
    if INTEGERS.contains(&last) {
        if let Ok(n) = text.parse::<i64>() {
            return json!(n);
        }
    } else if last == "price" {
        return json!(true);
    } else if TIMES.contains(&last) {
        // `2026-12-01T10:00` or `2026-12-01T10:00:00`, in UTC.
        let naive = text.len() == 16 || text.len() == 19;
        if naive && text.as_bytes().get(10) == Some(&b'T') {
            let seconds = if text.len() == 16 { ":00" } else { "" };
            return json!(format!("{text}{seconds}Z"));
        }
    }
    json!(text)
}

/// Puts `value` at `steps` under `at`; `false` if the path crosses a value already
/// there of another shape.
fn put(at: &mut Value, steps: &[Step<'_>], value: Value) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        *at = value;
        return true;
    };
    let fresh = || match rest.first() {
        Some(Step::Index(_)) => Value::Array(Vec::new()),
        _ => Value::Object(Map::new()),
    };
    let next = match (first, at) {
        (Step::Key(key), Value::Object(map)) => map.entry(*key).or_insert_with(fresh),
        (Step::Index(i), Value::Array(rows)) => {
            if rows.len() <= *i {
                rows.resize(*i + 1, Value::Null);
            }
            if rows[*i].is_null() {
                rows[*i] = fresh();
            }
            &mut rows[*i]
        }
        _ => return false,
    };
    put(next, rest, value)
}

/// Drops the empty rows and objects the form's spare rows leave.
fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(rows) => Some(Value::Array(rows.into_iter().filter_map(prune).collect())),
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

/// The draft body the form's `fields` say (the form's own `csrf` left out); `Err` names
/// a field whose name is not one of the form's.
pub(super) fn body_of(fields: &[(String, String)]) -> Result<Value, Said> {
    if fields.len() > MAX_FIELDS {
        return Err(crate::said!(
            "page.draft_fields",
            "a draft's form has at most {most} fields",
            most = MAX_FIELDS,
        ));
    }
    read(fields, true)
}

/// What of the form's `fields` reads as a draft's body, the rest left out: to show the
/// form again, refused, with what was typed.
pub(super) fn kept(fields: &[(String, String)]) -> Value {
    read(&fields[..fields.len().min(MAX_FIELDS)], false).unwrap_or_else(|_| json!({}))
}

/// The body `fields` say; `strict`: a field that does not read refuses the form, else it
/// is left out.
fn read(fields: &[(String, String)], strict: bool) -> Result<Value, Said> {
    let mut body = Value::Object(Map::new());
    for (name, text) in fields {
        let text = text.trim();
        if name == "csrf" || text.is_empty() {
            continue;
        }
        let Some(steps) = steps(name) else {
            match strict {
                true => {
                    return Err(crate::said!(
                        "page.draft_no_field",
                        "the form has no field {name}",
                        name = format!("{name:?}"),
                    ));
                }
                false => continue,
            }
        };
        let last = match steps.last() {
            Some(Step::Key(key)) => *key,
            _ => "",
        };
        if !put(&mut body, &steps, typed(last, text)) && strict {
            return Err(crate::said!(
                "page.draft_clash",
                "the form's field {name} clashes with another",
                name = format!("{name:?}"),
            ));
        }
    }
    let mut body = prune(body).unwrap_or_else(|| json!({}));
    // Each lot's value is in the tender's currency.
    let currency = body["value"]["currency"].clone();
    let lots = body.get_mut("lots").and_then(Value::as_array_mut);
    if let (Some(lots), true) = (lots, currency.is_string()) {
        for lot in lots {
            if lot["value"].is_object() {
                lot["value"]["currency"] = currency.clone();
            }
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_body_its_names_say_without_its_spare_rows() {
        let body = body_of(&form(&[
            ("csrf", "token"),
            ("id", "ocds-abc123-1"),
            ("title.zh", " 办公用品 "),
            ("title.en", ""),
            ("value.amount", "1000.00"),
            ("value.currency", "CNY"),
            ("lots[0].id", "lot-1"),
            ("lots[0].value.amount", "400"),
            ("lots[1].id", ""),
            ("lots[1].title.zh", ""),
            ("criteria[0].id", "price"),
            ("criteria[0].weight", "60"),
            ("criteria[0].price", "on"),
            ("criteria[1].id", "quality"),
            ("criteria[1].weight", "forty"),
            ("standstill_seconds", "864000"),
            ("enquiry_end", "2026-12-10T09:30"),
            ("tender_end", "2026-12-20T09:30:15"),
            ("reveal_end", "2026-12-21T09:30:15Z"),
        ]))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "id": "ocds-abc123-1",
                "title": {"zh": "办公用品"},
                "value": {"amount": "1000.00", "currency": "CNY"},
                "lots": [{"id": "lot-1", "value": {"amount": "400", "currency": "CNY"}}],
                "criteria": [
                    {"id": "price", "weight": 60, "price": true},
                    {"id": "quality", "weight": "forty"},
                ],
                "standstill_seconds": 864000,
                "enquiry_end": "2026-12-10T09:30:00Z",
                "tender_end": "2026-12-20T09:30:15Z",
                "reveal_end": "2026-12-21T09:30:15Z",
            })
        );
        assert_eq!(body_of(&form(&[("title.zh", "")])).unwrap(), json!({}));
    }

    #[test]
    fn names_that_are_not_the_forms_are_refused() {
        let deep = format!("title{}", ".a".repeat(100_000));
        let wide: Vec<(String, String)> = (0..2_001)
            .map(|i| (format!("lots[{}].id", i % 200), "x".into()))
            .collect();
        assert!(body_of(&wide).unwrap_err().contains("at most 2000 fields"));
        for name in [
            deep.as_str(),
            "title.zh.a.b.c",
            "logo",
            "lots[0].value.amount.x",
            "lots[200].id",
            "lots[99999999999].id",
            "lots[-1].id",
            "lots[x].id",
            "lots[0",
            "a..b",
            "",
            "<script>",
            "lots]0[.id",
        ] {
            assert!(body_of(&form(&[(name, "x")])).is_err(), "{name:?}");
        }
        let clash = body_of(&form(&[("title", "flat"), ("title.zh", "nested")]));
        assert!(clash.unwrap_err().contains("title.zh"));
        let clash = body_of(&form(&[("lots.id", "x"), ("lots[0].id", "y")]));
        assert!(clash.is_err());
        // Refused, the form shows again with what of it reads.
        let typed = form(&[("logo", "x"), ("title.zh", "招标"), ("lots[999].id", "y")]);
        assert_eq!(kept(&typed), json!({"title": {"zh": "招标"}}));
    }
}
