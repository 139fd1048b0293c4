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

/// Tenders, newest first, of `status` and `buyer` if given, published before entry
/// `before` if given, at most `limit`.
pub fn list(
    conn: &mut PgConnection,
    status: Option<&str>,
    buyer: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<TenderRow>> {
    diesel::sql_query(
        "SELECT id, buyer_id, status, title, category, procedure, value_amount::text AS value_amount,
                currency, to_char(tender_end AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS tender_end,
                published_idx
         FROM tenders
         WHERE ($1::text IS NULL OR status = $1)
           AND ($2::text IS NULL OR buyer_id = $2)
           AND ($3::bigint IS NULL OR published_idx < $3)
         ORDER BY published_idx DESC
         LIMIT $4",
    )
    .bind::<Nullable<Text>, _>(status)
    .bind::<Nullable<Text>, _>(buyer)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
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
