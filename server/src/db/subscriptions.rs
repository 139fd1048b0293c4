//! What users follow: the `subscriptions` table. Private to each user, never on the log.

use super::schema::subscriptions;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// What a subscription follows.
const TENDER: &str = "tender";

/// User `user` follows tender `tender` (again: no change).
pub fn follow_tender(conn: &mut PgConnection, user: i64, tender: &str) -> QueryResult<()> {
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::user_id.eq(user),
            subscriptions::kind.eq(TENDER),
            subscriptions::target.eq(tender),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// User `user` no longer follows tender `tender`.
pub fn unfollow_tender(conn: &mut PgConnection, user: i64, tender: &str) -> QueryResult<()> {
    diesel::delete(
        subscriptions::table
            .filter(subscriptions::user_id.eq(user))
            .filter(subscriptions::kind.eq(TENDER))
            .filter(subscriptions::target.eq(tender)),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether user `user` follows tender `tender`.
pub fn follows_tender(conn: &mut PgConnection, user: i64, tender: &str) -> QueryResult<bool> {
    let n: i64 = subscriptions::table
        .filter(subscriptions::user_id.eq(user))
        .filter(subscriptions::kind.eq(TENDER))
        .filter(subscriptions::target.eq(tender))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A tender a user follows, as their page lists it.
#[derive(QueryableByName, serde::Serialize)]
pub struct Followed {
    /// The tender.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Its title in each language given.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub titles: serde_json::Value,
    /// Its status.
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// The tenders user `user` follows, most recently followed first, at most `limit`.
pub fn followed_tenders(
    conn: &mut PgConnection,
    user: i64,
    limit: i64,
) -> QueryResult<Vec<Followed>> {
    diesel::sql_query(
        "SELECT t.id, coalesce(t.state->'tender'->'title', '{}'::jsonb) AS titles, t.status
         FROM subscriptions s JOIN tenders t ON t.id = s.target
         WHERE s.user_id = $1 AND s.kind = $2
         ORDER BY s.id DESC LIMIT $3",
    )
    .bind::<BigInt, _>(user)
    .bind::<Text, _>(TENDER)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Notifies every follower of `tender` of entry `index` (once per user and entry: one who
/// also bid hears of it once).
pub fn notify_followers(
    conn: &mut PgConnection,
    tender: &str,
    index: i64,
    kind: &str,
    summary: &serde_json::Value,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (user_id, entry_idx, kind, tender_id, summary)
         SELECT s.user_id, $2, $3, $1, $4 FROM subscriptions s
         WHERE s.kind = $5 AND s.target = $1
         ON CONFLICT (user_id, entry_idx) DO NOTHING",
    )
    .bind::<Text, _>(tender)
    .bind::<BigInt, _>(index)
    .bind::<Text, _>(kind)
    .bind::<diesel::sql_types::Jsonb, _>(summary)
    .bind::<Text, _>(TENDER)
    .execute(conn)
}
