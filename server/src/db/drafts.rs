//! Tenders in draft, private to their buyer: not on the log until published.

use super::schema::{blob_uploads, referenced_documents, tender_drafts, tenders};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

/// A draft as stored.
pub struct Draft {
    /// Its id (the tender's ocid to be).
    pub id: String,
    /// The body of its `tender.published` to be.
    pub body: Value,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

/// The buyer's drafts, newest first, at most 500.
pub fn of_buyer(conn: &mut PgConnection, buyer: &str) -> QueryResult<Vec<Draft>> {
    let rows: Vec<(String, Value, DateTime<Utc>)> = tender_drafts::table
        .filter(tender_drafts::buyer_id.eq(buyer))
        .order(tender_drafts::updated_at.desc())
        .limit(500)
        .select((
            tender_drafts::id,
            tender_drafts::body,
            tender_drafts::updated_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, body, updated_at)| Draft {
            id,
            body,
            updated_at,
        })
        .collect())
}

/// The buyer's draft `id`; `lock` holds its row for the transaction.
pub fn find(
    conn: &mut PgConnection,
    buyer: &str,
    id: &str,
    lock: bool,
) -> QueryResult<Option<Draft>> {
    let query = tender_drafts::table
        .find((buyer, id))
        .select((tender_drafts::body, tender_drafts::updated_at));
    let row: Option<(Value, DateTime<Utc>)> = if lock {
        query.for_update().first(conn).optional()?
    } else {
        query.first(conn).optional()?
    };
    Ok(row.map(|(body, updated_at)| Draft {
        id: id.to_owned(),
        body,
        updated_at,
    }))
}

/// Saves the buyer's draft `id` (made or replaced) by `user`; when it was saved.
pub fn save(
    conn: &mut PgConnection,
    buyer: &str,
    id: &str,
    body: &Value,
    user: i64,
) -> QueryResult<DateTime<Utc>> {
    diesel::insert_into(tender_drafts::table)
        .values((
            tender_drafts::id.eq(id),
            tender_drafts::buyer_id.eq(buyer),
            tender_drafts::body.eq(body),
            tender_drafts::updated_by.eq(user),
        ))
        .on_conflict((tender_drafts::buyer_id, tender_drafts::id))
        .do_update()
        .set((
            tender_drafts::body.eq(body),
            tender_drafts::updated_by.eq(user),
            tender_drafts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(tender_drafts::updated_at)
        .get_result(conn)
}

/// Throws the buyer's draft `id` away; `false` if there was none.
pub fn delete(conn: &mut PgConnection, buyer: &str, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(tender_drafts::table.find((buyer, id))).execute(conn)? == 1)
}

/// Whether a tender `id` is published (on the log).
pub fn published(conn: &mut PgConnection, id: &str) -> QueryResult<bool> {
    let count: i64 = tenders::table.find(id).count().get_result(conn)?;
    Ok(count > 0)
}

/// Of the contents `wanted`, those `organisation` may publish: uploaded by it, or public
/// already.
pub fn publishable(
    conn: &mut PgConnection,
    organisation: &str,
    wanted: &[[u8; 32]],
) -> QueryResult<Vec<Vec<u8>>> {
    let wanted: Vec<Vec<u8>> = wanted.iter().map(|h| h.to_vec()).collect();
    let mut present: Vec<Vec<u8>> = blob_uploads::table
        .filter(blob_uploads::sha256.eq_any(&wanted))
        .filter(blob_uploads::organisation_id.eq(organisation))
        .select(blob_uploads::sha256)
        .load(conn)?;
    present.extend(
        referenced_documents::table
            .filter(referenced_documents::sha256.eq_any(&wanted))
            .select(referenced_documents::sha256)
            .load::<Vec<u8>>(conn)?,
    );
    Ok(present)
}
