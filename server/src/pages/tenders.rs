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
/// The rows a section of a tender's page shows at a time: its bids, questions, complaints
/// and amendments, and the entries of its timeline.
const BIDS_PAGE: usize = 100;
const SECTION_PAGE: usize = 50;
const TIMELINE_PAGE: i64 = 100;
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

/// One page of a section of a tender's page: which page of how many, and the links to
/// its neighbours (the other sections stay where the reader had them).
#[derive(Debug, serde::Serialize, PartialEq)]
struct Pager {
    page: usize,
    pages: usize,
    total: usize,
    previous: Option<String>,
    next: Option<String>,
}

/// The sections of a tender's page that come a page at a time, by their query parameter.
const SECTIONS: [&str; 5] = ["bids", "questions", "complaints", "amendments", "timeline"];

/// The page of each section the reader asked for (`?bids=2`); a page that is not a number
/// is refused with its section named.
fn asked_pages(pairs: &[(String, String)]) -> Result<BTreeMap<&'static str, usize>, AppError> {
    let mut pages = BTreeMap::new();
    for (name, value) in pairs {
        let Some(section) = SECTIONS.iter().find(|s| **s == name) else {
            continue;
        };
        match value.parse::<usize>() {
            Ok(page) if (1..=1_000_000).contains(&page) => {
                pages.insert(*section, page);
            }
            _ => {
                return Err(AppError::bad_request(
                    crate::error::ProblemType::InvalidQuery,
                    crate::said!(
                        "page.number",
                        "{section} takes a page number from 1",
                        section = section
                    ),
                ));
            }
        }
    }
    Ok(pages)
}

impl Pager {
    /// Page `asked` (the last if there are fewer, or if none is asked) of `total` rows in
    /// pages of `size`, with links that keep the other sections' pages of `pages`.
    fn new(
        section: &'static str,
        asked: Option<usize>,
        total: usize,
        size: usize,
        pages_asked: &BTreeMap<&'static str, usize>,
    ) -> Pager {
        let pages = total.div_ceil(size).max(1);
        let page = asked.unwrap_or(pages).min(pages);
        let link = |to: usize| {
            let mut query: Vec<String> = pages_asked
                .iter()
                .filter(|(s, _)| **s != section)
                .map(|(s, p)| format!("{s}={p}"))
                .collect();
            query.push(format!("{section}={to}"));
            format!("?{}#{section}-title", query.join("&"))
        };
        Pager {
            page,
            pages,
            total,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }

    /// The rows of this page, pages counted from the last row back (in row order).
    fn range_from_newest(&self, size: usize) -> std::ops::Range<usize> {
        let end = self.total.saturating_sub((self.page - 1) * size);
        end.saturating_sub(size)..end
    }

    /// The rows of this page, out of all of them.
    fn range(&self, size: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1) * size;
        start.min(self.total)..(start + size).min(self.total)
    }
}

/// Keeps one page of the array `view[key]` (the first page unless asked), and says which.
fn paginate(
    view: &mut serde_json::Value,
    key: &str,
    section: &'static str,
    size: usize,
    pages_asked: &BTreeMap<&'static str, usize>,
) -> Pager {
    let rows = view[key].as_array_mut();
    let total = rows.as_ref().map_or(0, |r| r.len());
    let pager = Pager::new(
        section,
        Some(pages_asked.get(section).copied().unwrap_or(1)),
        total,
        size,
        pages_asked,
    );
    if let Some(rows) = rows {
        let range = pager.range(size);
        rows.truncate(range.end);
        rows.drain(..range.start);
    }
    pager
}

/// `GET /tenders/{id}`: everything about one tender, with its timeline on the log; long
/// sections (bids, questions, complaints, amendments, the timeline) a page at a time.
pub(super) async fn show(
    page: Page,
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let id = path.into_inner();
    let asked = asked_pages(&query).map_err(|e| page.error(e))?;
    let done = super::forms::done_word(&query);
    // A signed-in reader may follow the tender (a session that ended reads as anyone).
    let credentials = crate::auth::Credentials::of(&request);
    let timeline_page = asked.get("timeline").copied();
    let (mut tender, (timeline, timeline_pager, bids_pager), buyer, follow) =
        blocking(&state.pool, {
            let asked = asked.clone();
            move |conn| {
                let follow = match credentials.session.is_some() {
                    true => crate::auth::require(conn, &credentials).ok(),
                    false => None,
                };
                let tender = db::load_tender(conn, &id)?.ok_or_else(|| {
                    AppError::not_found(crate::domain::procurement::unknown_tender(&id))
                })?;
                let logged = entries::count_about(conn, &id)?;
                // Counted from the newest: page 1 is the newest entries.
                let pager = Pager::new(
                    "timeline",
                    Some(timeline_page.unwrap_or(1)),
                    logged as usize,
                    TIMELINE_PAGE as usize,
                    &asked,
                );
                let rows = pager.range_from_newest(TIMELINE_PAGE as usize);
                let timeline =
                    entries::entries_about(conn, &id, rows.start as i64, rows.len() as i64)?;
                let buyer = db::directory::organisation(conn, &tender.buyer)?.map(|o| o.name);
                // Only the page of bids shown is made into the view.
                let bids_pager = Pager::new(
                    "bids",
                    Some(asked.get("bids").copied().unwrap_or(1)),
                    tender.bids.len(),
                    BIDS_PAGE,
                    &asked,
                );
                let follow = match follow {
                    Some(caller) => {
                        let following =
                            db::subscriptions::follows_tender(conn, caller.user_id, &id)?;
                        Some(serde_json::json!({"following": following, "csrf": caller.csrf}))
                    }
                    None => None,
                };
                let view =
                    tender.public_view_of_bids(Timestamp::now(), bids_pager.range(BIDS_PAGE));
                Ok((view, (timeline, pager, bids_pager), buyer, follow))
            }
        })
        .await
        .map_err(|e| page.error(e))?;
    // Sealed bids come as their count alone, never a page of them.
    let bids_pager = match tender["bids"].is_array() {
        true => bids_pager,
        false => Pager::new("bids", None, 0, BIDS_PAGE, &asked),
    };
    let pagers: BTreeMap<&str, Pager> = [
        ("enquiries", "questions", SECTION_PAGE),
        ("complaints", "complaints", SECTION_PAGE),
        ("amendments", "amendments", SECTION_PAGE),
    ]
    .into_iter()
    .map(|(key, section, size)| (section, paginate(&mut tender, key, section, size, &asked)))
    .chain([("timeline", timeline_pager), ("bids", bids_pager)])
    .collect();
    let criteria = tender["tender"]["criteria"].clone();
    page.render(
        "tender.html",
        context! { tender, timeline, pagers, buyer_name => buyer, criteria, follow, done },
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

    #[test]
    fn a_section_comes_a_page_at_a_time_and_keeps_the_others_pages() {
        let asked = asked_pages(&[
            ("bids".into(), "2".into()),
            ("timeline".into(), "3".into()),
            ("other".into(), "x".into()),
        ])
        .unwrap();
        let pager = Pager::new("bids", Some(2), 250, 100, &asked);
        assert_eq!(pager.pages, 3);
        assert_eq!(pager.range(100), 100..200);
        assert_eq!(
            pager.previous.as_deref(),
            Some("?timeline=3&bids=1#bids-title")
        );
        assert_eq!(pager.next.as_deref(), Some("?timeline=3&bids=3#bids-title"));
        // Past the end, or none asked: the last page.
        assert_eq!(
            Pager::new("bids", Some(9), 250, 100, &asked).range(100),
            200..250
        );
        assert_eq!(Pager::new("timeline", None, 250, 100, &asked).page, 3);
        // The timeline counts from its newest entry: page 1 is the newest 100.
        let newest = |page| Pager::new("timeline", Some(page), 250, 100, &asked);
        assert_eq!(newest(1).range_from_newest(100), 150..250);
        assert_eq!(newest(3).range_from_newest(100), 0..50);
        assert_eq!(newest(9).range_from_newest(100), 0..50);
        assert_eq!(
            Pager::new("timeline", Some(1), 0, 100, &asked).range_from_newest(100),
            0..0
        );
        let empty = Pager::new("bids", Some(1), 0, 100, &asked);
        assert_eq!((empty.pages, empty.range(100)), (1, 0..0));
        assert!(empty.previous.is_none() && empty.next.is_none());
        for bad in ["0", "-1", "two", "", "99999999999"] {
            let refused = asked_pages(&[("questions".into(), bad.into())]).unwrap_err();
            assert!(refused.detail.contains("questions"), "{bad}");
        }
        let mut view = serde_json::json!({"bids": (0..250).collect::<Vec<_>>()});
        let pager = paginate(&mut view, "bids", "bids", 100, &asked);
        assert_eq!((pager.page, pager.total), (2, 250));
        assert_eq!(view["bids"][0], 100);
        assert_eq!(view["bids"].as_array().unwrap().len(), 100);
        let mut sealed = serde_json::json!({"bids": null});
        assert_eq!(paginate(&mut sealed, "bids", "bids", 100, &asked).total, 0);
        assert!(sealed["bids"].is_null());
    }
}
