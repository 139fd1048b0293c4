//! Tenders: the list with its filters, and a tender's page.

use super::page::{Page, PageResult};
use crate::db::{self, blocking, log as entries, tenders};
use crate::domain::procurement::Status;
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use minijinja::context;
use std::collections::BTreeMap;
use vitrine_ledger::time::Timestamp;

/// Tenders a page of the list shows.
const PAGE_SIZE: i64 = 50;
/// The most entries a tender's timeline shows.
const TIMELINE: i64 = 1000;
/// The categories and procedures the filters offer (those `tender.published` takes).
const CATEGORIES: [&str; 3] = ["goods", "works", "services"];
const PROCEDURES: [&str; 4] = [
    "open",
    "selective",
    "competitive_negotiation",
    "single_source",
];

/// The filters as the reader typed them, and the problems with them, by field.
#[derive(Default)]
struct Form {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<&'static str, &'static str>,
}

const FIELDS: [&str; 10] = [
    "status",
    "buyer",
    "region",
    "category",
    "procedure",
    "value_min",
    "value_max",
    "closing_from",
    "closing_to",
    "before",
];

fn is_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    (1..=15).contains(&whole.len())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() <= 2
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (!text.contains('.') || !fraction.is_empty())
}

/// The start of day `date` (`YYYY-MM-DD`), plus `days`, as RFC 3339.
fn day(date: &str, days: i64) -> Option<String> {
    // Years PostgreSQL and the log both write, with a day to spare at either end.
    let valid = date.len() == 10
        && date.as_bytes()[4] == b'-'
        && date.as_bytes()[7] == b'-'
        && date[..4]
            .parse::<u16>()
            .is_ok_and(|y| (1970..=9998).contains(&y));
    let start = Timestamp::parse(&format!("{date}T00:00:00Z"))
        .ok()
        .filter(|_| valid)?;
    Timestamp::from_unix(start.unix_seconds() + days * 86_400, 0)
        .ok()
        .map(|t| t.to_string())
}

impl Form {
    fn read(pairs: Vec<(String, String)>) -> Form {
        let mut form = Form::default();
        for (name, value) in pairs {
            if let Some(field) = FIELDS.iter().find(|f| **f == name) {
                let value = value.trim();
                if !value.is_empty() {
                    form.values.insert(field, value.to_owned());
                }
            }
        }
        for (field, value) in &form.values {
            let problem = match *field {
                _ if value.chars().count() > 64 || value.chars().any(char::is_control) => {
                    Some("filter.too_long")
                }
                "status" if Status::parse(value).is_none() => Some("filter.bad_status"),
                "category" if !CATEGORIES.contains(&value.as_str()) => Some("filter.bad_choice"),
                "procedure" if !PROCEDURES.contains(&value.as_str()) => Some("filter.bad_choice"),
                "value_min" | "value_max" if !is_decimal(value) => Some("filter.bad_amount"),
                "closing_from" | "closing_to" if day(value, 0).is_none() => Some("filter.bad_date"),
                "before" if value.parse::<u32>().is_err() => Some("filter.bad_cursor"),
                _ => None,
            };
            if let Some(problem) = problem {
                form.errors.insert(field, problem);
            }
        }
        form
    }

    fn filter(&self) -> tenders::Filter {
        let get = |f: &str| self.values.get(f).cloned();
        tenders::Filter {
            status: get("status"),
            buyer: get("buyer"),
            region: get("region"),
            category: get("category"),
            procedure: get("procedure"),
            value_min: get("value_min"),
            value_max: get("value_max"),
            closing_after: get("closing_from").and_then(|d| day(&d, 0)),
            closing_before: get("closing_to").and_then(|d| day(&d, 1)),
            before: get("before").and_then(|b| b.parse().ok()),
        }
    }

    /// Every field with what the reader typed, or nothing.
    fn all_values(&self) -> BTreeMap<&'static str, String> {
        FIELDS
            .iter()
            .map(|f| (*f, self.values.get(f).cloned().unwrap_or_default()))
            .collect()
    }

    /// The query string of these filters without the cursor, for the next page's link.
    fn query(&self) -> Vec<(&'static str, String)> {
        self.values
            .iter()
            .filter(|(k, _)| **k != "before")
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }
}

/// `GET /tenders`: tenders, newest first, with the filters.
pub(super) async fn list(
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let form = Form::read(query.into_inner());
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let ctx = |rows: Vec<tenders::TenderRow>, next: Option<i64>| {
        context! {
            tenders => rows,
            next_before => next,
            values => form.all_values(),
            errors => form.errors.clone(),
            query => form.query(),
            statuses => statuses.clone(),
            categories => CATEGORIES,
            procedures => PROCEDURES,
        }
    };
    if !form.errors.is_empty() {
        return page.render_status(StatusCode::BAD_REQUEST, "tenders.html", ctx(vec![], None));
    }
    let filter = form.filter();
    let rows = blocking(&state.pool, move |conn| {
        Ok(tenders::list(conn, &filter, PAGE_SIZE)?)
    })
    .await
    .map_err(|e| page.error(e))?;
    let next = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.published_idx))
        .flatten();
    page.render("tenders.html", ctx(rows, next))
}

/// `GET /tenders/{id}`: everything about one tender, with its timeline on the log.
pub(super) async fn show(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> PageResult {
    let id = path.into_inner();
    let (tender, (timeline, logged), buyer) = blocking(&state.pool, move |conn| {
        let tender = db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("tender {id} does not exist")))?;
        let timeline = entries::entries_about(conn, &id, TIMELINE)?;
        let logged = entries::count_about(conn, &id)?;
        let buyer = db::directory::organisation(conn, &tender.buyer)?.map(|o| o.name);
        Ok((
            tender.public_view(Timestamp::now()),
            (timeline, logged),
            buyer,
        ))
    })
    .await
    .map_err(|e| page.error(e))?;
    let criteria = tender["tender"]["criteria"].clone();
    page.render(
        "tender.html",
        context! { tender, timeline, logged, buyer_name => buyer, criteria },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_that_do_not_parse_are_named_with_their_field() {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let form = Form::read(pairs(&[
            ("status", "open"),
            ("value_min", "1e5"),
            ("value_max", "100.5"),
            ("closing_from", "2026-13-01"),
            ("closing_to", "2026-12-31"),
            ("category", "goods"),
            ("closing_from", "0000-01-01"),
            ("buyer", &"x".repeat(65)),
            ("unknown", "ignored"),
        ]));
        assert_eq!(form.errors.get("status"), Some(&"filter.bad_status"));
        assert_eq!(form.errors.get("value_min"), Some(&"filter.bad_amount"));
        assert_eq!(form.errors.get("closing_from"), Some(&"filter.bad_date"));
        assert_eq!(form.errors.get("buyer"), Some(&"filter.too_long"));
        for ok in ["value_max", "closing_to", "category"] {
            assert!(!form.errors.contains_key(ok), "{ok}");
        }
        assert!(!form.values.contains_key("unknown"));
        let form = Form::read(pairs(&[("closing_to", "2026-12-31"), ("value_min", "10")]));
        let filter = form.filter();
        assert_eq!(
            filter.closing_before.as_deref(),
            Some("2027-01-01T00:00:00Z")
        );
        assert_eq!(filter.value_min.as_deref(), Some("10"));
    }
}
