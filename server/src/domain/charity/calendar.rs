//! The disclosure calendar of 民政部令第81号 (《慈善组织信息公开办法》, in force
//! 2026-01-01), as this platform reads it for a fund:
//!
//! - a campaign or project longer than six months discloses at least every three months:
//!   one `periodic` disclosure is due by each three-month mark after its start that falls
//!   before its end (start + 3 months, + 6 months, …);
//! - every fund discloses in full (`final`) within three months of its end;
//! - a fund with money left at its end discloses what is left and what becomes of it
//!   (`leftover`) within three months of its end: what was left before the first entry
//!   about it logged at or after its end, or when it closed (money spent or received
//!   after the end does not change what is owed; the log's time counts, not a gift's
//!   received time).
//!
//! Its end is the end of its period, or its closing if it closed earlier. Months are
//! calendar months in UTC (31 January + 1 month = 28 or 29 February). A periodic
//! disclosure meets the first mark not met whose window it falls after the start of (each
//! disclosure meets one mark); a disclosure after its mark meets it late.

use super::fund::{DisclosureKind, FundState};
use chrono::{DateTime, Months, Utc};
use serde::Serialize;

/// One disclosure the fund owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// What must be disclosed.
    pub kind: DisclosureKind,
    /// By when (RFC 3339).
    pub by: String,
    /// Where it stands.
    pub status: DueStatus,
    /// The entry of the disclosure that met it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_by: Option<u64>,
}

/// Where a disclosure owed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    /// Disclosed in time.
    Done,
    /// Disclosed after its date.
    Late,
    /// Not disclosed, and its date has passed: a red flag.
    Overdue,
    /// Not yet due.
    Upcoming,
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// What `fund` owes and where each stands, as of `now`, in date order.
pub fn calendar(fund: &FundState, now: DateTime<Utc>) -> Vec<Due> {
    let (Some(start), Some(period_end)) = (time(&fund.start), time(&fund.end)) else {
        return Vec::new();
    };
    let end = match fund.closed.as_ref().and_then(|c| time(&c.at)) {
        Some(closed) if closed < period_end => closed,
        _ => period_end,
    };
    let disclosures: Vec<(DisclosureKind, DateTime<Utc>, u64)> = fund
        .disclosures
        .iter()
        .filter_map(|d| Some((d.kind, time(&d.at)?, d.idx)))
        .collect();
    let status = |by: DateTime<Utc>, met: Option<(DateTime<Utc>, u64)>| match met {
        Some((at, _)) if at <= by => DueStatus::Done,
        Some(_) => DueStatus::Late,
        None if now > by => DueStatus::Overdue,
        None => DueStatus::Upcoming,
    };
    let mut owed = Vec::new();
    let long = start
        .checked_add_months(Months::new(6))
        .is_some_and(|six| period_end > six);
    if long {
        let mut periodic = disclosures
            .iter()
            .filter(|d| d.0 == DisclosureKind::Periodic)
            .peekable();
        let mut from = start;
        for k in 1..=400u32 {
            let Some(mark) = start.checked_add_months(Months::new(3 * k)) else {
                break;
            };
            if mark >= end {
                break;
            }
            // The first periodic disclosure after the previous mark meets this one.
            while periodic.peek().is_some_and(|d| d.1 <= from) {
                periodic.next();
            }
            let met = periodic.next().map(|d| (d.1, d.2));
            owed.push(Due {
                kind: DisclosureKind::Periodic,
                by: text(mark),
                status: status(mark, met),
                met_by: met.map(|m| m.1),
            });
            from = mark;
        }
    }
    let Some(after_end) = end.checked_add_months(Months::new(3)) else {
        return owed;
    };
    let first = |kind: DisclosureKind| disclosures.iter().find(|d| d.0 == kind).map(|d| (d.1, d.2));
    let met = first(DisclosureKind::Final);
    owed.push(Due {
        kind: DisclosureKind::Final,
        by: text(after_end),
        status: status(after_end, met),
        met_by: met.map(|m| m.1),
    });
    // Whether money is left is judged at the end, by what was left then, whatever came in
    // or went out after (a disclosure of it counts whenever).
    let leftover = first(DisclosureKind::Leftover);
    if leftover.is_some() || (now >= end && fund.left() > 0) {
        owed.push(Due {
            kind: DisclosureKind::Leftover,
            by: text(after_end),
            status: status(after_end, leftover),
            met_by: leftover.map(|m| m.1),
        });
    }
    owed
}

/// The disclosures of `fund` overdue at `now`.
pub fn overdue(fund: &FundState, now: DateTime<Utc>) -> Vec<Due> {
    calendar(fund, now)
        .into_iter()
        .filter(|d| d.status == DueStatus::Overdue)
        .collect()
}
