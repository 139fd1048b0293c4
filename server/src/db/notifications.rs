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

/// A notification as its user lists it.
pub struct Listed {
    /// Its id.
    pub id: i64,
    /// The entry it tells of.
    pub entry_idx: i64,
    /// That entry's kind.
    pub kind: String,
    /// The tender.
    pub tender_id: String,
    /// What happened, in zh and en.
    pub summary: Value,
    /// When it was written.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was read, if it was.
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The user's notifications, newest first: only unread ones if `unread`, older than
/// `before` if given, at most `limit`.
pub fn of_user(
    conn: &mut PgConnection,
    user: i64,
    unread: bool,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    use super::schema::notifications as n;
    type Row = (
        i64,
        i64,
        String,
        String,
        Value,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let mut listing = n::table
        .filter(n::user_id.eq(user))
        .order(n::id.desc())
        .limit(limit)
        .select((
            n::id,
            n::entry_idx,
            n::kind,
            n::tender_id,
            n::summary,
            n::created_at,
            n::read_at,
        ))
        .into_boxed();
    if unread {
        listing = listing.filter(n::read_at.is_null());
    }
    if let Some(before) = before {
        listing = listing.filter(n::id.lt(before));
    }
    let rows: Vec<Row> = listing.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, entry_idx, kind, tender_id, summary, created_at, read_at)| Listed {
                id,
                entry_idx,
                kind,
                tender_id,
                summary,
                created_at,
                read_at,
            },
        )
        .collect())
}

/// How many of the user's notifications are unread.
pub fn unread_count(conn: &mut PgConnection, user: i64) -> QueryResult<i64> {
    use super::schema::notifications as n;
    n::table
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks the user's notification `id` read (once: reading it again keeps the first
/// time); `false` if the user has no such notification.
pub fn mark_read(conn: &mut PgConnection, user: i64, id: i64) -> QueryResult<bool> {
    use super::schema::notifications as n;
    let mine = n::table.filter(n::id.eq(id)).filter(n::user_id.eq(user));
    diesel::update(mine.filter(n::read_at.is_null()))
        .set(n::read_at.eq(diesel::dsl::now))
        .execute(conn)?;
    let found: i64 = mine.count().get_result(conn)?;
    Ok(found > 0)
}
