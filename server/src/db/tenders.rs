//! Tenders: the listing, and each tender's OCDS releases.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::Value;

#[derive(QueryableByName, serde::Serialize)]
/// A tender as the list shows it.
pub struct TenderRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub buyer_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub title: String,
    /// The title in each language the buyer gave (`{"zh": …, "en": …}`), for pages.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub titles: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub procedure: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub value_amount: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(missing_docs)]
    pub currency: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    #[allow(missing_docs)]
    pub tender_end: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[allow(missing_docs)]
    pub published_idx: i64,
}

/// Which tenders a listing shows: each filter given narrows it.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The status.
    pub status: Option<String>,
    /// The buyer's organisation id.
    pub buyer: Option<String>,
    /// The region code.
    pub region: Option<String>,
    /// The category (`goods`, `works`, `services`).
    pub category: Option<String>,
    /// The procedure.
    pub procedure: Option<String>,
    /// The smallest estimated value, a decimal.
    pub value_min: Option<String>,
    /// The largest estimated value, a decimal.
    pub value_max: Option<String>,
    /// Tenders whose deadline is at or after this time (RFC 3339).
    pub closing_after: Option<String>,
    /// Tenders whose deadline is before this time (RFC 3339).
    pub closing_before: Option<String>,
    /// Tenders published before this entry (the cursor of the next page).
    pub before: Option<i64>,
}

/// The listing's rows of the tenders `picked` selects (`id` and its sort key `k`, already
/// filtered, ordered and limited), in `order`. The titles are read from each row's state
/// after the limit: reading them reads the whole state, which a scan of many rows must not.
fn rows_of(picked: &str, order: &str) -> String {
    format!(
        "SELECT t.id, t.buyer_id, t.status, t.title,
                coalesce(t.state->'tender'->'title', '{{}}'::jsonb) AS titles, t.category,
                t.procedure, t.value_amount::text AS value_amount, t.currency,
                to_char(t.tender_end AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS tender_end,
                t.published_idx
         FROM ({picked}) AS picked JOIN tenders t ON t.id = picked.id
         ORDER BY picked.k {order}"
    )
}

/// Tenders, newest first, that pass `filter`, at most `limit`.
pub fn list(conn: &mut PgConnection, filter: &Filter, limit: i64) -> QueryResult<Vec<TenderRow>> {
    diesel::sql_query(rows_of(
        "SELECT id, published_idx AS k FROM tenders
         WHERE ($1::text IS NULL OR status = $1)
           AND ($2::text IS NULL OR buyer_id = $2)
           AND ($3::bigint IS NULL OR published_idx < $3)
           AND ($4::text IS NULL OR region = $4)
           AND ($5::text IS NULL OR category = $5)
           AND ($6::text IS NULL OR procedure = $6)
           AND ($7::numeric IS NULL OR value_amount >= $7::numeric)
           AND ($8::numeric IS NULL OR value_amount <= $8::numeric)
           AND ($9::timestamptz IS NULL OR tender_end >= $9::timestamptz)
           AND ($10::timestamptz IS NULL OR tender_end < $10::timestamptz)
         ORDER BY published_idx DESC
         LIMIT $11",
        "DESC",
    ))
    .bind::<Nullable<Text>, _>(filter.status.as_deref())
    .bind::<Nullable<Text>, _>(filter.buyer.as_deref())
    .bind::<Nullable<BigInt>, _>(filter.before)
    .bind::<Nullable<Text>, _>(filter.region.as_deref())
    .bind::<Nullable<Text>, _>(filter.category.as_deref())
    .bind::<Nullable<Text>, _>(filter.procedure.as_deref())
    .bind::<Nullable<Text>, _>(filter.value_min.as_deref())
    .bind::<Nullable<Text>, _>(filter.value_max.as_deref())
    .bind::<Nullable<Text>, _>(filter.closing_after.as_deref())
    .bind::<Nullable<Text>, _>(filter.closing_before.as_deref())
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Tenders still taking questions or bids, the soonest deadline first, at most `limit`.
pub fn closing_soonest(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<TenderRow>> {
    use crate::domain::procurement::Status;
    // The statuses are written into the text (they are the code's constants, never
    // input) so that the planner matches the partial index `tenders_open_by_deadline`.
    let picked = format!(
        "SELECT id, tender_end AS k FROM tenders
         WHERE status IN ('{}', '{}') AND tender_end > now()
         ORDER BY tender_end ASC
         LIMIT $1",
        Status::ActiveEnquiries.as_str(),
        Status::ActiveTendering.as_str(),
    );
    diesel::sql_query(rows_of(&picked, "ASC"))
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// The tenders awarded most recently (awarded, contracted or complete), at most `limit`.
pub fn recently_awarded(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<String>> {
    use crate::domain::procurement::Status;
    // As above: constants in the text, for the partial index `tenders_awarded_recently`.
    let rows: Vec<Id> = diesel::sql_query(format!(
        "SELECT id FROM tenders WHERE status IN ('{}', '{}', '{}') ORDER BY updated_idx DESC LIMIT $1",
        Status::Awarded.as_str(),
        Status::Contracted.as_str(),
        Status::Complete.as_str(),
    ))
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The tenders awarded to `supplier` (by an award that stands or stood), newest first, at
/// most `limit`.
pub fn awarded_to(conn: &mut PgConnection, supplier: &str, limit: i64) -> QueryResult<Vec<String>> {
    // The award's member is the supplier's id (a JSON key, not a role or a kind).
    let awarded = serde_json::json!([{ "supplier": supplier }]);
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT id FROM tenders
         WHERE state->'awards' @> $1
         ORDER BY published_idx DESC
         LIMIT $2",
    )
    .bind::<diesel::sql_types::Jsonb, _>(awarded)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The OCDS releases after entry `after` and up to entry `until` (if given), in log
/// order, at most `limit`: (entry index, release).
pub fn releases(
    conn: &mut PgConnection,
    after: i64,
    until: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(i64, Value)>> {
    use super::schema::ocds_releases::dsl::*;
    let mut query = ocds_releases
        .filter(entry_idx.gt(after))
        .order(entry_idx.asc())
        .limit(limit)
        .select((entry_idx, release))
        .into_boxed();
    if let Some(until) = until {
        query = query.filter(entry_idx.le(until));
    }
    query.load(conn)
}

/// The entry of the newest OCDS release, or -1.
pub fn last_release(conn: &mut PgConnection) -> QueryResult<i64> {
    use super::schema::ocds_releases::dsl::*;
    Ok(ocds_releases
        .select(diesel::dsl::max(entry_idx))
        .first::<Option<i64>>(conn)?
        .unwrap_or(-1))
}

/// A tender's OCDS releases, in log order: (entry index, release).
pub fn releases_of(conn: &mut PgConnection, tender: &str) -> QueryResult<Vec<(i64, Value)>> {
    use super::schema::ocds_releases::dsl::*;
    ocds_releases
        .filter(ocid.eq(tender))
        .order(entry_idx.asc())
        .select((entry_idx, release))
        .load(conn)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Tenders whose next timed transition may be due now (the enquiry period, the tendering
/// period or the reveal window has ended), soonest deadline first, at most `limit`: only
/// those, not every open tender.
pub fn due(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<String>> {
    use crate::domain::procurement::Status;
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT id FROM tenders
         WHERE (status = $1 AND enquiry_end <= now())
            OR (status = $2 AND tender_end <= now())
            OR (status = $3 AND reveal_end <= now())
         ORDER BY tender_end
         LIMIT $4",
    )
    .bind::<Text, _>(Status::ActiveEnquiries.as_str())
    .bind::<Text, _>(Status::ActiveTendering.as_str())
    .bind::<Text, _>(Status::Opening.as_str())
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Tenders with a complaint filed or accepted and not yet decided, newest first, at most
/// `limit`.
pub fn with_open_complaints(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<String>> {
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT id FROM tenders
         WHERE jsonb_path_exists(state, '$.complaints[*] ? (@.status == \"filed\" || @.status == \"accepted\")')
         ORDER BY updated_idx DESC
         LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// What a line about a tender's award shows: its titles and its awards (no bids).
#[derive(QueryableByName, serde::Serialize)]
pub struct AwardLine {
    /// The tender.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    /// Its title in each language given.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub titles: serde_json::Value,
    /// Its awards, as the tender's state holds them.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub awards: serde_json::Value,
}

/// The award lines of tenders `ids`, in that order (those that exist).
pub fn award_lines(conn: &mut PgConnection, ids: &[String]) -> QueryResult<Vec<AwardLine>> {
    let mut lines: Vec<AwardLine> = diesel::sql_query(
        "SELECT id, coalesce(state->'tender'->'title', '{}'::jsonb) AS titles,
                coalesce(state->'awards', '[]'::jsonb) AS awards
         FROM tenders WHERE id = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(ids)
    .load(conn)?;
    lines.sort_by_key(|l| ids.iter().position(|i| *i == l.id));
    Ok(lines)
}

/// Whether tender `id` is published.
pub fn exists(conn: &mut PgConnection, id: &str) -> QueryResult<bool> {
    use super::schema::tenders::dsl as t;
    let n: i64 = t::tenders.filter(t::id.eq(id)).count().get_result(conn)?;
    Ok(n > 0)
}
