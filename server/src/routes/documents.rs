//! Document contents, addressed by SHA-256: upload (any account) and download. A content
//! that a logged statement names (a tender's documents, a revealed bid's, an evaluation
//! report, a contract) is public; any other stays readable only by the organisation that
//! uploaded it, so a bid's documents uploaded early do not leak before the reveal.

use crate::auth::{self, Credentials};
use crate::db::{blocking, documents};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use crate::routes::uploads::Spool;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use sha2::Digest as _;
use vitrine_ledger::hash::Hash;

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

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
    let media_type = media_type(&request)?;
    let credentials = Credentials::of(&request);
    let caller = blocking(&state.pool, move |conn| {
        let caller = auth::require(conn, &credentials)?;
        caller.check_csrf(&credentials)?;
        Ok(caller)
    })
    .await?;
    crate::routes::intake::declared_length(&request, MAX_DOCUMENT_BYTES)?;
    let _slot = state.uploads.start(caller.user_id)?;
    let received = receive(&state, &request, payload).await?;
    let (hash, size) = (received.hash, received.size);
    let new = store(&state, received, media_type, caller).await?;
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

/// Stores a received document for the caller; whether its organisation's upload is new.
/// Only a few contents are in memory at once, on their way to the database.
async fn store(
    state: &AppState,
    received: Received,
    media_type: String,
    caller: auth::Caller,
) -> AppResult<bool> {
    let _storing = state.uploads.storing.acquire().await.map_err(|_| {
        AppError::unavailable(crate::said!(
            "upload.shutting_down",
            "the server is shutting down"
        ))
    })?;
    blocking(&state.pool, move |conn| {
        received.store(conn, &media_type, &caller)
    })
    .await
}

/// The media type the uploader declares.
fn media_type(request: &HttpRequest) -> AppResult<String> {
    let declared = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .ok_or_else(|| {
            AppError::invalid(
                ProblemType::InvalidDocument,
                crate::said!(
                    "upload.media_type",
                    "send the document's media type in Content-Type"
                ),
            )
        })?;
    Ok(declared.to_owned())
}

/// A document received whole, on disk.
struct Received {
    spool: Spool,
    hash: Hash,
    size: usize,
}

/// Spools the body to disk as it arrives, hashing it; refuses an empty one.
async fn receive(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
) -> AppResult<Received> {
    let mut spool = Spool::create(&state.uploads.dir)?;
    let mut hasher = sha2::Sha256::new();
    let size = crate::routes::intake::stream_body(request, payload, MAX_DOCUMENT_BYTES, |chunk| {
        use std::io::Write as _;
        hasher.update(chunk);
        spool.file.write_all(chunk).map_err(AppError::internal)
    })
    .await?;
    if size == 0 {
        return Err(AppError::invalid(
            ProblemType::InvalidDocument,
            crate::said!("upload.empty", "the document is empty"),
        ));
    }
    let hash = Hash(hasher.finalize().into());
    Ok(Received { spool, hash, size })
}

impl Received {
    /// Stores the content unless it is stored already, and records the caller's
    /// organisation's upload of it; whether that upload is new.
    fn store(
        mut self,
        conn: &mut diesel::PgConnection,
        media_type: &str,
        caller: &auth::Caller,
    ) -> AppResult<bool> {
        use std::io::{Read as _, Seek as _};
        let hash = self.hash.0;
        if !documents::stored(conn, &hash)? {
            let mut content = Vec::with_capacity(self.size);
            self.spool.file.rewind().map_err(AppError::internal)?;
            self.spool
                .file
                .read_to_end(&mut content)
                .map_err(AppError::internal)?;
            documents::store(
                conn,
                &documents::NewContent {
                    sha256: &hash,
                    content: &content,
                    media_type,
                    user: caller.user_id,
                    organisation: &caller.organisation,
                },
            )?;
        }
        drop(self.spool);
        Ok(documents::record_upload(
            conn,
            &hash,
            &caller.organisation,
            caller.user_id,
        )?)
    }
}

/// A document's content: public once the log names it, otherwise only to the
/// organisations that uploaded it.
pub(super) async fn download(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let text = path.into_inner();
    let hash = Hash::from_hex(&text).map_err(|_| {
        AppError::not_found(crate::said!(
            "upload.not_sha256",
            "{hash} is not a SHA-256 (64 lowercase hexadecimal digits)",
            hash = format!("{text:?}")
        ))
    })?;
    let credentials = Credentials::of(&request);
    let (content, media_type, public) = blocking(&state.pool, move |conn| {
        let missing = || {
            AppError::not_found(crate::said!(
                "upload.no_document",
                "no document {hash}",
                hash = hash.to_hex()
            ))
        };
        let (content, media_type) = documents::content(conn, &hash.0)?.ok_or_else(missing)?;
        let public = documents::is_public(conn, &hash.0)?;
        if !public {
            // Not named by the log yet: only the organisations that uploaded it see it,
            // and to anyone else it does not exist.
            let Some(caller) = auth::authenticate(conn, &credentials)? else {
                return Err(missing());
            };
            if !documents::uploaded_by(conn, &hash.0, &caller.organisation)? {
                return Err(missing());
            }
        }
        Ok((content, media_type, public))
    })
    .await?;
    // A private content goes out as bytes: the media type stored is its first uploader's,
    // and showing it would tell a second uploader that another organisation holds it.
    let media_type = if public {
        media_type
    } else {
        "application/octet-stream".to_owned()
    };
    Ok(document_response(content, media_type, public, &text[..16]))
}

/// A document as a download: cached for ever if public, never if private; named by the
/// start of its hash.
fn document_response(
    content: Vec<u8>,
    media_type: String,
    public: bool,
    name: &str,
) -> HttpResponse {
    let cache = if public {
        "public, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, media_type))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(content)
}
