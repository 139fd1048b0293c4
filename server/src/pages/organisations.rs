//! An organisation's page: who it is, its keys and their history, its tenders and awards.

use super::page::{Page, PageResult};
use crate::db::{self, blocking, directory, tenders};
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::web;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use minijinja::context;
use serde_json::json;
use vitrine_ledger::time::Timestamp;

/// The most tenders and awards the page lists.
const LISTED: i64 = 100;

pub(super) async fn show(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> PageResult {
    let id = path.into_inner();
    let (organisation, keys, bought, won) = blocking(&state.pool, move |conn| {
        let org = directory::organisation(conn, &id)?.ok_or_else(|| {
            AppError::not_found(crate::domain::directory::unknown_organisation(&id))
        })?;
        let keys: Vec<serde_json::Value> = directory::keys_of(conn, &id)?
            .into_iter()
            .map(|k| {
                json!({
                    "public_key": BASE64.encode(&k.public_key),
                    "role": k.role,
                    "registered_at_entry": k.registered_idx,
                    "revoked_at_entry": k.revoked_idx,
                })
            })
            .collect();
        let filter = tenders::Filter {
            buyer: Some(id.clone()),
            ..tenders::Filter::default()
        };
        let bought = tenders::list(conn, &filter, LISTED)?;
        let ids = tenders::awarded_to(conn, &id, LISTED)?;
        let mut states = db::load_tenders(conn, &ids)?;
        let now = Timestamp::now();
        let won: Vec<serde_json::Value> = ids
            .iter()
            .filter_map(|t| states.remove(t))
            .map(|t| t.public_view(now))
            .collect();
        let organisation = json!({
            "id": id,
            "name": org.name,
            "kind": org.kind,
            "registered_at_entry": org.registered_idx,
            "credit_code": org.credit_code,
        });
        Ok((organisation, keys, bought, won))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "organisation.html",
        context! { organisation, keys, bought, won },
    )
}
