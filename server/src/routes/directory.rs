//! The key directory: a key, an organisation with its keys.

use crate::db::{blocking, directory};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub(super) struct KeyQuery {
    public_key: String,
}

pub(super) async fn get_key(
    state: web::Data<AppState>,
    query: web::Query<KeyQuery>,
) -> AppResult<HttpResponse> {
    let key = BASE64
        .decode(query.public_key.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            AppError::bad_request(
                ProblemType::InvalidKey,
                crate::said!(
                    "query.public_key",
                    "{field} must be base64 of 32 bytes",
                    field = "public_key"
                ),
            )
        })?;
    let row = blocking(&state.pool, move |conn| {
        directory::key(conn, &key)?.ok_or_else(|| {
            AppError::not_found(crate::said!(
                "query.key_unknown",
                "this key is not registered"
            ))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "public_key": query.public_key.trim(),
        "organisation": row.organisation,
        "role": row.role,
        "registered_at_entry": row.registered_idx,
        "revoked_at_entry": row.revoked_idx,
        "active": row.revoked_idx.is_none(),
    })))
}

pub(super) async fn get_organisation(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = blocking(&state.pool, move |conn| {
        let organisation = directory::organisation(conn, &id)?.ok_or_else(|| {
            AppError::not_found(crate::domain::directory::unknown_organisation(&id))
        })?;
        let keys = directory::keys_of(conn, &id)?;
        Ok(json!({
            "id": id,
            "name": organisation.name,
            "kind": organisation.kind,
            "credit_code": organisation.credit_code,
            "registered_at_entry": organisation.registered_idx,
            "keys": keys.into_iter().map(|k| json!({
                "public_key": BASE64.encode(k.public_key),
                "role": k.role,
                "registered_at_entry": k.registered_idx,
                "revoked_at_entry": k.revoked_idx,
                "active": k.revoked_idx.is_none(),
            })).collect::<Vec<Value>>(),
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
