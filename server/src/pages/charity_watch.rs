//! The supervisor's view of charity across funds: each fund's totals with its red flags
//! counted, the disbursements paid without evidence, those paid and not acknowledged by
//! their recipients after some days (`?days=`, 30 by default), and the disclosures
//! overdue by the calendar of 民政部令第81号. Everything here is public on the log, so
//! the page is public too: a charity regulator, a journalist and a donor see the same.

use super::page::{Page, PageResult};
use crate::db::{blocking, fund_watch};
use crate::routes::funds::{Revoked, disbursement_json, money};
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use minijinja::context;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The days after which a disbursement paid and not acknowledged is flagged, unless asked.
const DEFAULT_DAYS: i32 = 30;
/// The most days the reader may ask for (ten years).
const MAX_DAYS: i32 = 3650;
/// Funds a page of the totals shows; flagged disbursements a list shows.
const FUNDS_PAGE: i64 = 100;
const FLAGGED: i64 = 200;
/// The most funds whose calendars are read for overdue disclosures.
const CALENDARS: i64 = 5000;

/// Flagged disbursements are paid ones, whose approvals counted when they were paid.
fn flagged_json(rows: Vec<fund_watch::Flagged>) -> Vec<Value> {
    rows.iter()
        .map(|f| disbursement_json(&f.disbursement, &f.currency, &Revoked::default()))
        .collect()
}

/// `GET /supervision/charity`.
pub(super) async fn view(
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    let mut errors: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, value) in query.into_inner() {
        if let Some(field) = ["days", "before"].into_iter().find(|f| *f == name) {
            values.insert(field, value.trim().to_owned());
        }
    }
    let days = match values.get("days").filter(|d| !d.is_empty()) {
        None => DEFAULT_DAYS,
        Some(text) => match text.parse::<i32>() {
            Ok(d) if (0..=MAX_DAYS).contains(&d) => d,
            _ => {
                errors.insert("days", "watch.bad_days");
                DEFAULT_DAYS
            }
        },
    };
    let before = match values.get("before").filter(|b| !b.is_empty()) {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(b) if b >= 0 => Some(b),
            _ => {
                errors.insert("before", "filter.bad_cursor");
                None
            }
        },
    };
    values.insert("days", days.to_string());
    if !errors.is_empty() {
        return page.render_status(
            StatusCode::BAD_REQUEST,
            "charity_watch.html",
            context! { values, errors, days, loaded => false },
        );
    }
    let (totals, (no_evidence, no_evidence_total), (waiting, waiting_total), owing) =
        blocking(&state.pool, move |conn| {
            Ok((
                fund_watch::totals(conn, days, before, FUNDS_PAGE)?,
                fund_watch::executed_without_evidence(conn, FLAGGED)?,
                fund_watch::unacknowledged(conn, days, FLAGGED)?,
                fund_watch::funds_owing_disclosures(conn, CALENDARS)?,
            ))
        })
        .await
        .map_err(|e| page.error(e))?;
    let next_before = (totals.len() as i64 == FUNDS_PAGE)
        .then(|| totals.last().map(|t| t.opened_idx))
        .flatten();
    let funds: Vec<Value> = totals
        .iter()
        .map(|t| {
            let c = &t.currency;
            json!({
                "id": t.id, "charity": t.charity_id, "status": t.status, "purpose": t.purpose,
                "target": money(t.target, c), "received": money(t.received, c),
                "disbursed": money(t.disbursed, c), "balance": money(t.balance, c),
                "donations": t.donations, "disbursements": t.disbursements,
                "pending": t.pending, "without_evidence": t.without_evidence,
                "unacknowledged": t.unacknowledged,
            })
        })
        .collect();
    let now = chrono::Utc::now();
    let overdue: Vec<Value> = owing
        .iter()
        .flat_map(|fund| {
            crate::domain::charity::overdue(fund, now)
                .into_iter()
                .map(|due| {
                    json!({"fund": fund.id, "charity": fund.charity, "purpose": fund.purpose,
                           "kind": due.kind.as_str(), "by": due.by})
                })
                .collect::<Vec<_>>()
        })
        .collect();
    page.render(
        "charity_watch.html",
        context! {
            values, errors, days, loaded => true, funds, next_before,
            no_evidence => flagged_json(no_evidence), no_evidence_total,
            waiting => flagged_json(waiting), waiting_total, overdue,
        },
    )
}
