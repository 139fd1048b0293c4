//! Document contents, addressed by SHA-256: upload (any account) and download. A content
//! that a logged statement names (a tender's documents, a revealed bid's, an evaluation
//! report, a contract) is public; any other stays readable only by the organisation that
//! uploaded it, so a bid's documents uploaded early do not leak before the reveal.

use crate::accounts::{self, Credentials};
use crate::db::schema::{blobs, referenced_documents};
use crate::error::{AppError, AppResult};
use crate::routes::{AppState, blocking};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use serde_json::json;
use vitrine_ledger::hash::{Hash, sha256};

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// Adds the document routes to the `/api/v1` scope.
pub fn configure(scope: actix_web::Scope) -> actix_web::Scope {
    scope
        .route("/documents", web::post().to(upload))
        .route("/documents/{sha256}", web::get().to(download))
}

async fn upload(
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
    let content = crate::routes::read_body(payload, MAX_DOCUMENT_BYTES).await?;
    if content.is_empty() {
        return Err(AppError::invalid(
            "invalid-document",
            "Invalid document",
            "the document is empty",
        ));
    }
    let hash = sha256(&content);
    let created = blocking(&state.pool, move |conn| {
        let caller = accounts::require(conn, &credentials)?;
        caller.check_csrf(&credentials)?;
        let inserted = diesel::insert_into(blobs::table)
            .values((
                blobs::sha256.eq(hash.0.to_vec()),
                blobs::content.eq(&content),
                blobs::media_type.eq(&media_type),
                blobs::uploaded_by.eq(caller.user_id),
                blobs::organisation_id.eq(&caller.organisation),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok((inserted == 1, content.len()))
    })
    .await?;
    let (new, size) = created;
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

async fn download(
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
        let row: Option<(Vec<u8>, String, String)> = blobs::table
            .find(hash.0.to_vec())
            .select((blobs::content, blobs::media_type, blobs::organisation_id))
            .first(conn)
            .optional()?;
        let missing = || AppError::not_found(format!("no document {}", hash.to_hex()));
        let (content, media_type, owner) = row.ok_or_else(missing)?;
        let public: i64 = referenced_documents::table
            .filter(referenced_documents::sha256.eq(hash.0.to_vec()))
            .count()
            .get_result(conn)?;
        if public == 0 {
            // Not named by the log yet: only its uploader's organisation sees it, and to
            // anyone else it does not exist.
            let caller = accounts::authenticate(conn, &credentials)?;
            if caller.is_none_or(|c| c.organisation != owner) {
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
