//! The key directory: a key, an organisation with its keys.

use crate::db::{blocking, schema};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use diesel::prelude::*;
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
                "public_key must be base64 of 32 bytes",
            )
        })?;
    let row = blocking(&state.pool, move |conn| {
        schema::participant_keys::table
            .find(key)
            .select((
                schema::participant_keys::organisation_id,
                schema::participant_keys::role,
                schema::participant_keys::registered_idx,
                schema::participant_keys::revoked_idx,
            ))
            .first::<(String, String, i64, Option<i64>)>(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("this key is not registered"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "public_key": query.public_key.trim(),
        "organisation": row.0,
        "role": row.1,
        "registered_at_entry": row.2,
        "revoked_at_entry": row.3,
        "active": row.3.is_none(),
    })))
}

pub(super) async fn get_organisation(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = blocking(&state.pool, move |conn| {
        let (name, kind, registered, credit_code): (String, String, i64, Option<String>) =
            schema::organisations::table
                .find(&id)
                .select((
                    schema::organisations::name,
                    schema::organisations::kind,
                    schema::organisations::registered_idx,
                    schema::organisations::credit_code,
                ))
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    AppError::not_found(format!("organisation {id} is not registered"))
                })?;
        let keys: Vec<(Vec<u8>, String, i64, Option<i64>)> = schema::participant_keys::table
            .filter(schema::participant_keys::organisation_id.eq(&id))
            .select((
                schema::participant_keys::public_key,
                schema::participant_keys::role,
                schema::participant_keys::registered_idx,
                schema::participant_keys::revoked_idx,
            ))
            .order(schema::participant_keys::registered_idx)
            .load(conn)?;
        Ok(json!({
            "id": id,
            "name": name,
            "kind": kind,
            "credit_code": credit_code,
            "registered_at_entry": registered,
            "keys": keys.into_iter().map(|(k, role, at, revoked)| json!({
                "public_key": BASE64.encode(k),
                "role": role,
                "registered_at_entry": at,
                "revoked_at_entry": revoked,
                "active": revoked.is_none(),
            })).collect::<Vec<Value>>(),
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
