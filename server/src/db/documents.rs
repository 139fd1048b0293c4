//! Document contents by SHA-256 (`blobs`), which organisations uploaded each
//! (`blob_uploads`), and which the log made public (`referenced_documents`).

use super::schema::{blob_uploads, blobs, referenced_documents};
use diesel::prelude::*;

/// Whether the content is stored.
pub fn stored(conn: &mut PgConnection, sha256: &[u8; 32]) -> QueryResult<bool> {
    let count: i64 = blobs::table
        .filter(blobs::sha256.eq(sha256.to_vec()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// A content to store, with who first uploaded it.
pub struct NewContent<'a> {
    /// Its SHA-256.
    pub sha256: &'a [u8; 32],
    /// The bytes.
    pub content: &'a [u8],
    /// Its media type.
    pub media_type: &'a str,
    /// The user who uploaded it.
    pub user: i64,
    /// Their organisation.
    pub organisation: &'a str,
}

/// Stores a content once (a second store of the same content does nothing).
pub fn store(conn: &mut PgConnection, new: &NewContent<'_>) -> QueryResult<()> {
    diesel::insert_into(blobs::table)
        .values((
            blobs::sha256.eq(new.sha256.to_vec()),
            blobs::content.eq(new.content),
            blobs::media_type.eq(new.media_type),
            blobs::uploaded_by.eq(new.user),
            blobs::organisation_id.eq(new.organisation),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Records that `organisation` uploaded the content; `true` the first time.
pub fn record_upload(
    conn: &mut PgConnection,
    sha256: &[u8; 32],
    organisation: &str,
    user: i64,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(blob_uploads::table)
        .values((
            blob_uploads::sha256.eq(sha256.to_vec()),
            blob_uploads::organisation_id.eq(organisation),
            blob_uploads::uploaded_by.eq(user),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(inserted == 1)
}

/// The content and its media type, if stored.
pub fn content(
    conn: &mut PgConnection,
    sha256: &[u8; 32],
) -> QueryResult<Option<(Vec<u8>, String)>> {
    blobs::table
        .find(sha256.to_vec())
        .select((blobs::content, blobs::media_type))
        .first(conn)
        .optional()
}

/// Whether a logged statement names the content (which makes it public).
pub fn is_public(conn: &mut PgConnection, sha256: &[u8; 32]) -> QueryResult<bool> {
    let count: i64 = referenced_documents::table
        .filter(referenced_documents::sha256.eq(sha256.to_vec()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Whether `organisation` uploaded the content.
pub fn uploaded_by(
    conn: &mut PgConnection,
    sha256: &[u8; 32],
    organisation: &str,
) -> QueryResult<bool> {
    let count: i64 = blob_uploads::table
        .filter(blob_uploads::sha256.eq(sha256.to_vec()))
        .filter(blob_uploads::organisation_id.eq(organisation))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}
