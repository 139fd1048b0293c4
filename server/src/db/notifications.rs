//! In-app notifications: the entries that concern bidders, and who is told.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Jsonb, Nullable, Text};
use serde_json::Value;

/// A logged entry of a kind the notifier tells of.
#[derive(QueryableByName)]
pub struct Logged {
    /// Its index.
    #[diesel(sql_type = BigInt)]
    pub idx: i64,
    /// Its statement's kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its statement's subject (the tender).
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// The entry.
    #[diesel(sql_type = Bytea)]
    pub entry: Vec<u8>,
}

/// The entries `first..=last` of the given kinds, in log order.
pub fn entries_of_kinds(
    conn: &mut PgConnection,
    first: i64,
    last: i64,
    kinds: &[&str],
) -> QueryResult<Vec<Logged>> {
    diesel::sql_query(
        "SELECT idx, kind, subject, entry FROM log_entries
         WHERE idx BETWEEN $1 AND $2 AND kind = ANY($3) ORDER BY idx",
    )
    .bind::<BigInt, _>(first)
    .bind::<BigInt, _>(last)
    .bind::<Array<Text>, _>(kinds)
    .load(conn)
}

#[derive(QueryableByName)]
struct Title {
    #[diesel(sql_type = Nullable<Jsonb>)]
    title: Option<Value>,
}

/// A tender's title (`{"zh", "en"}`), if it has one.
pub fn tender_title(conn: &mut PgConnection, tender: &str) -> QueryResult<Option<Value>> {
    Ok(
        diesel::sql_query("SELECT state->'tender'->'title' AS title FROM tenders WHERE id = $1")
            .bind::<Text, _>(tender)
            .get_result::<Title>(conn)
            .optional()?
            .and_then(|t| t.title),
    )
}

/// Notifies the users of the given `roles` in every organisation that sent an anonymous
/// statement about `tender` before entry `index`; once per user and entry.
pub fn notify_senders(
    conn: &mut PgConnection,
    tender: &str,
    index: i64,
    kind: &str,
    summary: &Value,
    roles: &[&str],
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (user_id, entry_idx, kind, tender_id, summary)
         SELECT u.id, $2, $3, $1, $4 FROM users u
         WHERE u.role = ANY($5)
           AND u.organisation_id IN (
               SELECT pa.organisation_id FROM private_authors pa
               JOIN log_entries l ON l.idx = pa.entry_idx
               WHERE l.subject = $1 AND l.idx < $2)
         ON CONFLICT (user_id, entry_idx) DO NOTHING",
    )
    .bind::<Text, _>(tender)
    .bind::<BigInt, _>(index)
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(summary)
    .bind::<Array<Text>, _>(roles)
    .execute(conn)
}
