//! Reading charity's tables across funds, for the supervisor's view of them: every fund's
//! totals with its red flags counted, the disbursements paid without evidence, those
//! paid and not acknowledged by their recipients for some days, and the funds that may
//! owe a disclosure (the calendar itself is the domain's, [`crate::domain::charity::overdue`]).

use crate::domain::charity::fund::{DisbursementState, FundState};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text};
use serde_json::Value;

/// A fund's totals, with its flags counted (amounts in units).
#[derive(Debug, Clone, QueryableByName)]
pub struct FundTotals {
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub id: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub charity_id: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub status: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub currency: String,
    /// `{"zh": …, "en": …}`.
    #[diesel(sql_type = Jsonb)]
    pub purpose: Value,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub target: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub disbursed: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub balance: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub donations: i64,
    #[diesel(sql_type = Integer)]
    #[allow(missing_docs)]
    pub disbursements: i32,
    /// Disbursements proposed and not yet paid.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    /// Paid without evidence.
    #[diesel(sql_type = BigInt)]
    pub without_evidence: i64,
    /// Paid, and not acknowledged for the days asked.
    #[diesel(sql_type = BigInt)]
    pub unacknowledged: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub opened_idx: i64,
}

/// Every fund's totals, newest first, opened before entry `before` (the next page's
/// cursor), with its disbursements not acknowledged `days` after they were paid counted.
pub fn totals(
    conn: &mut PgConnection,
    days: i32,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<FundTotals>> {
    diesel::sql_query(
        "SELECT f.id, f.charity_id, f.status, f.currency, f.state->'purpose' AS purpose,
                f.target, f.received, f.disbursed, f.balance, f.donations, f.disbursements,
                coalesce(b.pending, 0) AS pending,
                coalesce(b.without_evidence, 0) AS without_evidence,
                coalesce(b.unacknowledged, 0) AS unacknowledged, f.opened_idx
         FROM funds f
         LEFT JOIN LATERAL (
             SELECT count(*) FILTER (WHERE status <> 'executed') AS pending,
                    count(*) FILTER (WHERE status = 'executed' AND evidence_count = 0)
                        AS without_evidence,
                    count(*) FILTER (WHERE status = 'executed' AND acknowledged_idx IS NULL
                                     AND executed_at <= now() - make_interval(days => $1))
                        AS unacknowledged
             FROM fund_disbursements WHERE fund_id = f.id
         ) b ON true
         WHERE ($2::bigint IS NULL OR f.opened_idx < $2)
         ORDER BY f.opened_idx DESC LIMIT $3",
    )
    .bind::<Integer, _>(days)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// A disbursement of some fund, with its fund's currency and how many rows the list has
/// in all.
#[derive(Debug, Clone)]
pub struct Flagged {
    /// The disbursement.
    pub disbursement: DisbursementState,
    /// Its fund's currency.
    pub currency: String,
}

#[derive(QueryableByName)]
struct FlaggedRow {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The rows, and how many there are in all (beyond `limit`).
fn flagged(rows: Vec<FlaggedRow>) -> QueryResult<(Vec<Flagged>, i64)> {
    let total = rows.first().map_or(0, |r| r.total);
    let rows = rows
        .into_iter()
        .map(|r| {
            let disbursement = serde_json::from_str(&r.state).map_err(|e| {
                diesel::result::Error::DeserializationError(
                    format!("INTEGRITY ALARM: a stored disbursement is unreadable: {e}").into(),
                )
            })?;
            Ok(Flagged {
                disbursement,
                currency: r.currency,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    Ok((rows, total))
}

/// Disbursements paid without any evidence, the latest paid first (at most `limit`), and
/// how many there are.
pub fn executed_without_evidence(
    conn: &mut PgConnection,
    limit: i64,
) -> QueryResult<(Vec<Flagged>, i64)> {
    let rows = diesel::sql_query(
        "SELECT b.state::text AS state, f.currency, count(*) OVER () AS total
         FROM fund_disbursements b JOIN funds f ON f.id = b.fund_id
         WHERE b.status = 'executed' AND b.evidence_count = 0
         ORDER BY b.executed_idx DESC LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    flagged(rows)
}

/// Disbursements paid at least `days` days ago and not acknowledged by their recipient,
/// the longest waiting first (at most `limit`), and how many there are.
pub fn unacknowledged(
    conn: &mut PgConnection,
    days: i32,
    limit: i64,
) -> QueryResult<(Vec<Flagged>, i64)> {
    let rows = diesel::sql_query(
        "SELECT b.state::text AS state, f.currency, count(*) OVER () AS total
         FROM fund_disbursements b JOIN funds f ON f.id = b.fund_id
         WHERE b.status = 'executed' AND b.acknowledged_idx IS NULL
           AND b.executed_at <= now() - make_interval(days => $1)
         ORDER BY b.executed_at, b.fund_id, b.seq LIMIT $2",
    )
    .bind::<Integer, _>(days)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    flagged(rows)
}

#[derive(QueryableByName)]
struct StateText {
    #[diesel(sql_type = Text)]
    state: String,
}

/// The funds that may owe a disclosure by now, oldest first (at most `limit`): those
/// whose period started, or that closed, more than 80 days ago (no disclosure falls due
/// sooner than three calendar months after either). Which they owe, and whether it is
/// overdue, is the calendar's to say.
pub fn funds_owing_disclosures(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<FundState>> {
    let rows: Vec<StateText> = diesel::sql_query(
        "SELECT state::text AS state FROM funds
         WHERE period_start <= now() - interval '80 days'
            OR (state->'closed'->>'at')::timestamptz <= now() - interval '80 days'
         ORDER BY opened_idx LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    rows.into_iter()
        .map(|r| {
            serde_json::from_str(&r.state).map_err(|e| {
                diesel::result::Error::DeserializationError(
                    format!("INTEGRITY ALARM: the stored state of a fund is unreadable: {e}")
                        .into(),
                )
            })
        })
        .collect()
}
