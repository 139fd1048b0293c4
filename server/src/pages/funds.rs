//! Charity funds, for anyone: the list, a fund's page (its balance over time and its money
//! in and out drawn as inline SVG, its donations and disbursements a page at a time, its
//! disclosures and their calendar), where a donation went (across funds, end to end) and
//! where a disbursement's money came from.

use super::fund_charts;
use super::page::{Page, PageResult};
use crate::db::{self, blocking, funds as queries};
use crate::domain::charity::fund::FundState;
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::funds::{
    Revoked, disbursement_json, donation_json, fund_json, fund_row_json, load_fund,
    trace_disbursement, trace_donation,
};
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use minijinja::context;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Funds a page of the list shows.
const LIST_PAGE: i64 = 50;
/// Donations and disbursements a page of a fund's page shows.
const SECTION_PAGE: i64 = 50;
/// The donations a page of a disbursement's sources shows.
const SOURCES_PAGE: i64 = 500;

/// The list's filters as the reader typed them, and the problems with them, by field.
#[derive(Default)]
struct ListForm {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<&'static str, &'static str>,
}

const LIST_FIELDS: [&str; 3] = ["status", "charity", "before"];

/// Whether `text` could be an organisation's or a fund's id (letters, digits, `-_.`).
pub(super) fn is_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

impl ListForm {
    fn read(pairs: Vec<(String, String)>) -> ListForm {
        let mut form = ListForm::default();
        for (name, value) in pairs {
            if let Some(field) = LIST_FIELDS.iter().find(|f| **f == name) {
                let value = value.trim();
                if !value.is_empty() {
                    form.values.insert(field, value.to_owned());
                }
            }
        }
        for (field, value) in &form.values {
            let problem = match *field {
                "status" if !matches!(value.as_str(), "open" | "closed") => {
                    Some("filter.bad_choice")
                }
                "charity" if !is_id(value) => Some("filter.too_long"),
                "before" if value.parse::<u32>().is_err() => Some("filter.bad_cursor"),
                _ => None,
            };
            if let Some(problem) = problem {
                form.errors.insert(field, problem);
            }
        }
        form
    }

    fn filter(&self) -> queries::FundFilter {
        queries::FundFilter {
            charity: self.values.get("charity").cloned(),
            status: self.values.get("status").cloned(),
            before: self.values.get("before").and_then(|b| b.parse().ok()),
        }
    }

    fn all_values(&self) -> BTreeMap<&'static str, String> {
        LIST_FIELDS
            .iter()
            .map(|f| (*f, self.values.get(f).cloned().unwrap_or_default()))
            .collect()
    }

    /// The filters without the cursor, for the next page's link.
    fn query(&self) -> Vec<(&'static str, String)> {
        self.values
            .iter()
            .filter(|(k, _)| **k != "before")
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }
}

/// How much of its target a fund raised, in whole percent (none without a target).
fn percent(received: i64, target: i64) -> Option<i64> {
    (target > 0).then(|| (i128::from(received) * 100 / i128::from(target)) as i64)
}

/// `GET /funds`: funds, newest first, by status and charity.
pub(super) async fn list(
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let form = ListForm::read(query.into_inner());
    let ctx = |funds: Vec<Value>, next: Option<i64>| {
        context! {
            funds, next_before => next, values => form.all_values(),
            errors => form.errors.clone(), query => form.query(),
        }
    };
    if !form.errors.is_empty() {
        return page.render_status(StatusCode::BAD_REQUEST, "funds.html", ctx(vec![], None));
    }
    let filter = form.filter();
    let rows = blocking(&state.pool, move |conn| {
        Ok(queries::list(conn, &filter, LIST_PAGE)?)
    })
    .await
    .map_err(|e| page.error(e))?;
    let next = (rows.len() as i64 == LIST_PAGE)
        .then(|| rows.last().map(|r| r.opened_idx))
        .flatten();
    let funds = rows
        .iter()
        .map(|r| {
            let mut view = fund_row_json(r);
            view["percent"] = json!(percent(r.received, r.target));
            view
        })
        .collect();
    page.render("funds.html", ctx(funds, next))
}

/// One page of a section, counted from its newest row: which of how many, and the links
/// to its neighbours (the other section stays where the reader had it).
#[derive(Debug, serde::Serialize, PartialEq)]
struct Pager {
    page: i64,
    pages: i64,
    total: i64,
    previous: Option<String>,
    next: Option<String>,
}

/// The sections of a fund's page that come a page at a time, by their query parameter.
const SECTIONS: [&str; 2] = ["donations", "disbursements"];

/// The page of each section the reader asked for (`?donations=2`).
fn asked_pages(pairs: &[(String, String)]) -> AppResult<BTreeMap<&'static str, i64>> {
    let mut pages = BTreeMap::new();
    for (name, value) in pairs {
        let Some(section) = SECTIONS.iter().find(|s| **s == name) else {
            continue;
        };
        match value.parse::<i64>() {
            Ok(page) if (1..=1_000_000).contains(&page) => {
                pages.insert(*section, page);
            }
            _ => {
                return Err(AppError::bad_request(
                    ProblemType::InvalidQuery,
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
    /// Page `asked` of `total` rows numbered 1 to `total`, newest first.
    fn new(section: &'static str, total: i64, asked: &BTreeMap<&'static str, i64>) -> Pager {
        let pages = ((total + SECTION_PAGE - 1) / SECTION_PAGE).max(1);
        let page = asked.get(section).copied().unwrap_or(1).min(pages);
        let link = |to: i64| {
            let mut query: Vec<String> = asked
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

    /// The numbers this page shows: after `.0`, `.1` of them (in number order).
    fn window(&self) -> (i64, i64) {
        let end = (self.total - (self.page - 1) * SECTION_PAGE).max(0);
        let start = (end - SECTION_PAGE).max(0);
        (start, end - start)
    }
}

/// What a fund's page shows besides the fund.
struct FundPage {
    fund: FundState,
    ledger: Vec<queries::LedgerRow>,
    channels: Vec<queries::ChannelTotal>,
    recipients: Vec<queries::RecipientTotal>,
    donations: Vec<queries::DonationRow>,
    disbursements: Vec<crate::domain::charity::fund::DisbursementState>,
    revoked: Revoked,
    donations_pager: Pager,
    disbursements_pager: Pager,
}

/// `GET /funds/{id}`: everything about one fund.
pub(super) async fn show(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let id = path.into_inner();
    let asked = asked_pages(&query).map_err(|e| page.error(e))?;
    let loaded = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let donations_pager = Pager::new("donations", fund.donations as i64, &asked);
        let (after, count) = donations_pager.window();
        let mut donations = match count {
            0 => Vec::new(),
            n => queries::donations(conn, &id, after, n)?,
        };
        donations.reverse();
        let disbursements_pager =
            Pager::new("disbursements", i64::from(fund.disbursements), &asked);
        let (after, count) = disbursements_pager.window();
        let mut disbursements = match count {
            0 => Vec::new(),
            n => queries::disbursements(conn, &id, after as i32, n)?,
        };
        disbursements.reverse();
        let revoked = Revoked::of(conn, &disbursements)?;
        Ok(FundPage {
            ledger: queries::ledger(conn, &id)?,
            channels: queries::channel_totals(conn, &id)?,
            recipients: queries::recipient_totals(conn, &id)?,
            fund,
            donations,
            disbursements,
            revoked,
            donations_pager,
            disbursements_pager,
        })
    })
    .await
    .map_err(|e| page.error(e))?;
    let currency = loaded.fund.currency.clone();
    let chart = fund_charts::balance_chart(&loaded.ledger);
    let flow = fund_charts::flow(
        &loaded.channels,
        &loaded.recipients,
        loaded.fund.received,
        loaded.fund.balance,
    );
    let donations: Vec<Value> = loaded
        .donations
        .iter()
        .map(|d| donation_json(d, &currency))
        .collect();
    let disbursements: Vec<Value> = loaded
        .disbursements
        .iter()
        .map(|d| disbursement_json(d, &currency, &loaded.revoked))
        .collect();
    let overdue = crate::domain::charity::overdue(&loaded.fund, chrono::Utc::now()).len();
    page.render(
        "fund.html",
        context! {
            fund => fund_json(&loaded.fund),
            percent => percent(loaded.fund.received, loaded.fund.target),
            chart, flow, currency, donations, disbursements, overdue,
            pagers => context! {
                donations => loaded.donations_pager,
                disbursements => loaded.disbursements_pager,
            },
        },
    )
}

/// A donation's or disbursement's number in a path: from 1 to `max`.
fn number(text: &str, max: i64) -> AppResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            AppError::bad_request(
                ProblemType::InvalidIndex,
                crate::said!(
                    "query.number",
                    "{value} is not a number from 1",
                    value = format!("{text:?}")
                ),
            )
        })
}

/// A trace of where a donation went (`routes::funds::trace_donation`), as the hops a page
/// shows one after the other: the donation, then each donation it became in another fund
/// (depth first), each part that continues naming the hop it continues as.
fn hops(trace: &Value) -> Vec<Value> {
    fn walk(trace: &Value, depth: usize, from: Option<usize>, out: &mut Vec<Value>) -> usize {
        let me = out.len();
        out.push(Value::Null);
        let mut parts = Vec::new();
        for part in trace["went_to"].as_array().into_iter().flatten() {
            let mut shown = part.clone();
            if let Some(map) = shown.as_object_mut()
                && let Some(next) = map.remove("continues")
            {
                if next.get("went_to").is_some() {
                    let hop = walk(&next, depth + 1, Some(me), out);
                    map.insert("continues_hop".into(), json!(hop));
                    map.insert("continues_as".into(), next["donation"].clone());
                } else {
                    // Beyond the hops a trace follows: where to look next.
                    map.insert("continues_beyond".into(), next);
                }
            }
            parts.push(shown);
        }
        out[me] = json!({
            "hop": me,
            "depth": depth,
            "from": from,
            "fund": trace["fund"],
            "donation": trace["donation"],
            "went_to": parts,
            "more": trace["more"],
            "next_after": trace["next_after"],
            "not_yet_spent": trace["not_yet_spent"],
        });
        me
    }
    let mut out = Vec::new();
    walk(trace, 0, None, &mut out);
    out
}

/// The funds a list of hops passes through, with what each is for and whose it is.
fn funds_of(conn: &mut diesel::PgConnection, hops: &[Value]) -> AppResult<BTreeMap<String, Value>> {
    let ids: Vec<String> = hops
        .iter()
        .filter_map(|h| h["fund"].as_str().map(str::to_owned))
        .collect();
    Ok(db::charity::load_funds(conn, &ids)?
        .into_iter()
        .map(|(id, f)| {
            let view =
                json!({"purpose": f.purpose, "charity": f.charity, "status": f.status.as_str()});
            (id, view)
        })
        .collect())
}

/// `GET /funds/{id}/donations/{seq}`: where a donation went, end to end (`?after=` the
/// entry of the last part shown, for the next page of its parts).
pub(super) async fn donation(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let (id, seq) = path.into_inner();
    let seq = number(&seq, i64::MAX).map_err(|e| page.error(e))?;
    let after = after(&query, || {
        crate::said!("query.after_entry", "after must be an entry's index")
    })
    .map_err(|e| page.error(e))?;
    let (hops, funds) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let trace = trace_donation(conn, &fund, seq, after, 0, &mut {
            crate::routes::funds::MAX_PARTS
        })?;
        let hops = hops(&trace);
        let funds = funds_of(conn, &hops)?;
        Ok((hops, funds))
    })
    .await
    .map_err(|e| page.error(e))?;
    let first = hops.first().cloned().unwrap_or_default();
    page.render(
        "donation.html",
        context! { first, hops, funds, after, first_page => after == 0 },
    )
}

/// The `after` of a page's query (0 when not given; the last one said counts): a
/// number from 0, else a bad request saying `why`.
fn after(
    query: &[(String, String)],
    why: impl FnOnce() -> crate::domain::said::Said,
) -> AppResult<i64> {
    match query.iter().rev().find(|(k, _)| k == "after") {
        None => Ok(0),
        Some((_, v)) => v
            .parse::<i64>()
            .ok()
            .filter(|a| *a >= 0)
            .ok_or_else(|| AppError::bad_request(ProblemType::InvalidQuery, why())),
    }
}

/// `GET /funds/{id}/disbursements/{seq}`: where a disbursement's money came from, with
/// its approvals, evidence and acknowledgement (`?after=` a donation's number, for the
/// next page of its sources).
pub(super) async fn disbursement(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let (id, seq) = path.into_inner();
    let seq = number(&seq, i64::from(i32::MAX)).map_err(|e| page.error(e))? as i32;
    let after = after(&query, || {
        crate::said!("query.after", "after must be a donation's number")
    })
    .map_err(|e| page.error(e))?;
    let (trace, fund) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let trace = trace_disbursement(conn, &fund, seq, after, SOURCES_PAGE)?;
        Ok((trace, fund_json(&fund)))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "disbursement.html",
        context! { d => trace["disbursement"].clone(), trace, fund, first_page => after == 0 },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_pages_from_its_newest_row() {
        let none = BTreeMap::new();
        let pager = Pager::new("donations", 120, &none);
        assert_eq!((pager.page, pager.pages), (1, 3));
        assert_eq!(pager.window(), (70, 50));
        assert_eq!(pager.next.as_deref(), Some("?donations=2#donations-title"));
        let asked = BTreeMap::from([("donations", 3), ("disbursements", 2)]);
        let last = Pager::new("donations", 120, &asked);
        assert_eq!(last.window(), (0, 20));
        assert_eq!(
            last.previous.as_deref(),
            Some("?disbursements=2&donations=2#donations-title")
        );
        assert!(last.next.is_none());
        // Past the end: the last page; nothing at all: one empty page.
        assert_eq!(Pager::new("disbursements", 10, &asked).window(), (0, 10));
        assert_eq!(Pager::new("donations", 0, &none).window(), (0, 0));
        for bad in ["0", "-2", "x", "99999999999"] {
            assert!(
                asked_pages(&[("donations".into(), bad.into())]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_trace_is_its_hops_depth_first() {
        let trace = json!({
            "fund": "a", "donation": {"seq": 1}, "not_yet_spent": {"amount": "0.00"},
            "went_to": [
                {"amount": {"amount": "5.00"}, "disbursement": {"seq": 1}, "continues": {
                    "fund": "b", "donation": {"seq": 7}, "not_yet_spent": {"amount": "1.00"},
                    "went_to": [{"amount": {"amount": "4.00"}, "disbursement": {"seq": 2},
                        "continues": {"fund": "c", "donation": 3, "more": true}}],
                    "more": true, "next_after": 41,
                }},
                {"amount": {"amount": "2.00"}, "disbursement": {"seq": 2}},
            ],
        });
        let hops = hops(&trace);
        assert_eq!(hops.len(), 2);
        assert_eq!(hops[0]["went_to"][0]["continues_hop"], 1);
        assert_eq!(hops[0]["went_to"][0]["continues_as"]["seq"], 7);
        assert!(hops[0]["went_to"][0].get("continues").is_none());
        assert!(hops[0]["went_to"][1].get("continues_hop").is_none());
        assert_eq!(
            (hops[1]["depth"].clone(), hops[1]["from"].clone()),
            (json!(1), json!(0))
        );
        assert_eq!(
            hops[1]["went_to"][0]["continues_beyond"],
            json!({"fund": "c", "donation": 3, "more": true})
        );
        // Where each hop's parts go on: the page links its next page there.
        assert_eq!(hops[1]["next_after"], 41);
        assert!(hops[0]["next_after"].is_null());
    }

    #[test]
    fn a_page_goes_on_after_a_number_from_zero() {
        let query = |v: &str| vec![("after".to_owned(), v.to_owned())];
        let why = || crate::said!("query.after_entry", "after must be an entry's index");
        assert_eq!(after(&[], why).unwrap(), 0);
        assert_eq!(after(&query("17"), why).unwrap(), 17);
        for bad in ["-1", "x", "", "1e3"] {
            assert!(after(&query(bad), why).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_list_refuses_filters_it_cannot_read() {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let form = ListForm::read(pairs(&[
            ("status", "gone"),
            ("charity", "no spaces"),
            ("before", "x"),
        ]));
        assert_eq!(form.errors.len(), 3);
        let form = ListForm::read(pairs(&[("status", "open"), ("charity", "relief")]));
        assert!(form.errors.is_empty());
        assert_eq!(form.filter().charity.as_deref(), Some("relief"));
        assert_eq!(percent(25, 100), Some(25));
        assert_eq!(percent(25, 0), None);
    }
}
