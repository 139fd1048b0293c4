//! Document contents, addressed by SHA-256: upload (any account) and download. A content
//! that a logged statement names (a tender's documents, a revealed bid's, an evaluation
//! report, a contract) is public; any other stays readable only by the organisation that
//! uploaded it, so a bid's documents uploaded early do not leak before the reveal.

use crate::app::AppState;
use crate::auth::{self, Credentials};
use crate::db::blocking;
use crate::db::schema::{blob_uploads, blobs, referenced_documents};
use crate::error::{AppError, AppResult};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use serde_json::json;
use sha2::Digest as _;
use vitrine_ledger::hash::Hash;

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// What bounds uploads: where bodies are spooled while they arrive, how many an account
/// may send, and how many are stored at once.
pub struct Uploads {
    /// The spool directory (in the data directory, mode 0700).
    dir: std::path::PathBuf,
    /// Uploads per account per hour.
    per_hour: auth::RateLimit<i64>,
    /// Uploads under way per account.
    in_flight: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
    /// Contents being written to the database at once (each is held in memory then).
    storing: tokio::sync::Semaphore,
}

impl Uploads {
    /// Uploads under way at once per account.
    pub const IN_FLIGHT_PER_ACCOUNT: usize = 2;
    /// Uploads per account per hour.
    pub const PER_HOUR: usize = 200;

    /// Spools in `dir` (made, mode 0700, emptied of what a previous run left: files over
    /// an hour old, as no upload lasts that long, so that another process sharing the
    /// data directory keeps the uploads it has under way).
    pub fn new(dir: std::path::PathBuf) -> std::io::Result<Uploads> {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let hour = std::time::Duration::from_secs(3600);
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age > hour);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Uploads {
            dir,
            per_hour: auth::RateLimit::new(
                Self::PER_HOUR,
                std::time::Duration::from_secs(3600),
                "uploads per account",
            ),
            in_flight: std::sync::Mutex::new(std::collections::HashMap::new()),
            storing: tokio::sync::Semaphore::new(2),
        })
    }

    /// Takes one of the account's upload slots, or refuses.
    fn start(&self, user: i64) -> AppResult<UploadSlot<'_>> {
        self.per_hour.check(Some(user))?;
        let mut in_flight = self.in_flight.lock().map_err(AppError::internal)?;
        let count = in_flight.entry(user).or_default();
        if *count >= Self::IN_FLIGHT_PER_ACCOUNT {
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!(
                    "an account sends at most {} uploads at once; wait for one to finish",
                    Self::IN_FLIGHT_PER_ACCOUNT
                ),
            )
            .with("retry_after_seconds", 1));
        }
        *count += 1;
        Ok(UploadSlot {
            uploads: self,
            user,
        })
    }
}

/// An upload under way; gives its slot back when dropped.
struct UploadSlot<'a> {
    uploads: &'a Uploads,
    user: i64,
}

impl Drop for UploadSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.uploads.in_flight.lock()
            && let Some(count) = in_flight.get_mut(&self.user)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                in_flight.remove(&self.user);
            }
        }
    }
}

/// A spooled body; its file is removed when dropped.
struct Spool {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl Spool {
    fn create(dir: &std::path::Path) -> AppResult<Spool> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let name = auth::random_token(12)?;
        let path = dir.join(format!("{name}.part"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(AppError::internal)?;
        Ok(Spool { path, file })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Uploads a document. The caller is authenticated before a byte of the body is read; a
/// body declared larger than the limit is refused unread; the body is spooled to disk as
/// it arrives (an unfinished upload holds no memory) and cut off if it stalls; then its
/// content is stored once, and this organisation's upload of it recorded. The answer is
/// the same whether or not another organisation uploaded the same content.
pub(super) async fn upload(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let media_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .ok_or_else(|| {
            AppError::invalid(
                "invalid-document",
                "Invalid document",
                "send the document's media type in Content-Type",
            )
        })?
        .to_owned();
    let credentials = Credentials::of(&request);
    let caller = blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        caller.check_csrf(&credentials)?;
        Ok(caller)
    })
    .await?;
    crate::log::intake::declared_length(&request, MAX_DOCUMENT_BYTES)?;
    let _slot = state.uploads.start(caller.user_id)?;
    let mut spool = Spool::create(&state.uploads.dir)?;
    let mut hasher = sha2::Sha256::new();
    let size = crate::log::intake::stream_body(&request, payload, MAX_DOCUMENT_BYTES, |chunk| {
        use std::io::Write as _;
        hasher.update(chunk);
        spool.file.write_all(chunk).map_err(AppError::internal)
    })
    .await?;
    if size == 0 {
        return Err(AppError::invalid(
            "invalid-document",
            "Invalid document",
            "the document is empty",
        ));
    }
    let hash = Hash(hasher.finalize().into());
    // Only a few contents are in memory at once, on their way to the database.
    let _storing = state
        .uploads
        .storing
        .acquire()
        .await
        .map_err(|_| AppError::unavailable("the server is shutting down"))?;
    let new = blocking(&state.pool, move |conn| {
        use std::io::{Read as _, Seek as _};
        let stored: i64 = blobs::table
            .filter(blobs::sha256.eq(hash.0.to_vec()))
            .count()
            .get_result(conn)?;
        if stored == 0 {
            let mut content = Vec::with_capacity(size);
            spool.file.rewind().map_err(AppError::internal)?;
            spool
                .file
                .read_to_end(&mut content)
                .map_err(AppError::internal)?;
            diesel::insert_into(blobs::table)
                .values((
                    blobs::sha256.eq(hash.0.to_vec()),
                    blobs::content.eq(&content),
                    blobs::media_type.eq(&media_type),
                    blobs::uploaded_by.eq(caller.user_id),
                    blobs::organisation_id.eq(&caller.organisation),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
        }
        drop(spool);
        let inserted = diesel::insert_into(blob_uploads::table)
            .values((
                blob_uploads::sha256.eq(hash.0.to_vec()),
                blob_uploads::organisation_id.eq(&caller.organisation),
                blob_uploads::uploaded_by.eq(caller.user_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(inserted == 1)
    })
    .await?;
    // 201 the first time this organisation uploads the content, 200 after: nothing here
    // depends on what other organisations hold.
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(json!({
        "sha256": hash.to_hex(),
        "size": size,
        "url": format!("/api/v1/documents/{}", hash.to_hex()),
    })))
}

pub(super) async fn download(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let text = path.into_inner();
    let hash = Hash::from_hex(&text).map_err(|_| {
        AppError::not_found(format!(
            "{text:?} is not a SHA-256 (64 lowercase hexadecimal digits)"
        ))
    })?;
    let credentials = Credentials::of(&request);
    let (content, media_type, public) = blocking(&state.pool, move |conn| {
        let row: Option<(Vec<u8>, String)> = blobs::table
            .find(hash.0.to_vec())
            .select((blobs::content, blobs::media_type))
            .first(conn)
            .optional()?;
        let missing = || AppError::not_found(format!("no document {}", hash.to_hex()));
        let (content, media_type) = row.ok_or_else(missing)?;
        let public: i64 = referenced_documents::table
            .filter(referenced_documents::sha256.eq(hash.0.to_vec()))
            .count()
            .get_result(conn)?;
        if public == 0 {
            // Not named by the log yet: only the organisations that uploaded it see it,
            // and to anyone else it does not exist.
            let Some(caller) = auth::authenticate(conn, &credentials)? else {
                return Err(missing());
            };
            let uploaded: i64 = blob_uploads::table
                .filter(blob_uploads::sha256.eq(hash.0.to_vec()))
                .filter(blob_uploads::organisation_id.eq(&caller.organisation))
                .count()
                .get_result(conn)?;
            if uploaded == 0 {
                return Err(missing());
            }
        }
        Ok((content, media_type, public > 0))
    })
    .await?;
    let cache = if public {
        "public, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, media_type))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", &text[..16]),
        ))
        .body(content))
}
