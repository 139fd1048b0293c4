//! The log: entries, receipts, consistency proofs, the checkpoint and the tiles
//! (C2SP tlog-tiles), and what the log is.

use crate::db::{self, DbTiles, blocking};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::json;
use vitrine_ledger::merkle::{SubtreeSource, consistency_proof, inclusion_proof};
use vitrine_ledger::statement::Entry;
use vitrine_ledger::tile::{TileId, TileReader, TiledTree};

pub(super) fn latest(state: &AppState) -> AppResult<(u64, String)> {
    state
        .sequencer
        .status
        .checkpoint
        .read()
        .ok()
        .and_then(|c| c.clone())
        .ok_or_else(no_checkpoint)
}

/// The refusal while the log has no checkpoint.
fn no_checkpoint() -> AppError {
    AppError::unavailable(crate::said!(
        "checkpoint.none",
        "the log has no checkpoint yet"
    ))
}

/// The newest checkpoint: from the sequencer if it runs here, else from the database.
pub(crate) async fn current_checkpoint(state: &web::Data<AppState>) -> AppResult<(u64, String)> {
    if let Ok(latest) = latest(state) {
        return Ok(latest);
    }
    blocking(&state.pool, |conn| {
        db::latest_checkpoint(conn)?
            .map(|(size, note)| (size as u64, note))
            .ok_or_else(no_checkpoint)
    })
    .await
}

/// An entry index in its one canonical form: decimal digits, no sign, no leading zero.
pub(crate) fn parse_index(text: &str) -> AppResult<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| {
            AppError::bad_request(
                ProblemType::InvalidIndex,
                crate::said!(
                    "entry.not_index",
                    "{index} is not an entry index",
                    index = format!("{text:?}")
                ),
            )
        })
}

pub(super) async fn get_entry(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let index = parse_index(&path)?;
    let bytes = blocking(&state.pool, move |conn| {
        db::entry(conn, index)?.ok_or_else(|| {
            AppError::not_found(crate::said!(
                "entry.unknown",
                "entry {index} is not in the log",
                index = index
            ))
        })
    })
    .await?;
    let entry = Entry::parse(&bytes).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(json!({
        "index": index,
        "leaf_hash": entry.leaf_hash().to_base64(),
        "logged_at": entry.logged_at().to_string(),
        "entry": entry.to_value(),
    })))
}

pub(super) async fn get_receipt(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let index = parse_index(&path)?;
    let (size, note) = current_checkpoint(&state).await?;
    let receipt = blocking(&state.pool, move |conn| {
        receipt_of(conn, index, size, &note)
    })
    .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// `GET /api/v1/entries/{index}/proof`: the entry's receipt as a C2SP tlog-proof file
/// (its index, the inclusion proof and the checkpoint; no extra data), for tools that
/// read that format.
pub(super) async fn get_proof(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let index = parse_index(&path)?;
    let (size, note) = current_checkpoint(&state).await?;
    let receipt = blocking(&state.pool, move |conn| {
        receipt_of(conn, index, size, &note)
    })
    .await?;
    let proof =
        vitrine_ledger::tlog_proof::TlogProof::try_from(&receipt).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        ))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"entry-{index}.tlog-proof\""),
        ))
        .body(proof.format()))
}

/// The receipt of entry `index` against the checkpoint of size `size` (`note`).
pub(crate) fn receipt_of(
    conn: &mut diesel::PgConnection,
    index: u64,
    size: u64,
    note: &str,
) -> AppResult<vitrine_ledger::receipt::Receipt> {
    if index >= size {
        return Err(AppError::not_found(crate::said!(
            "entry.beyond",
            "entry {index} is not in the log of size {size}",
            index = index,
            size = size,
        )));
    }
    let bytes = db::entry(conn, index)?.ok_or_else(|| {
        AppError::internal(format!(
            "entry {index} is under the checkpoint but not stored"
        ))
    })?;
    let entry = Entry::parse(&bytes).map_err(AppError::internal)?;
    let reader = DbTiles::new(conn, size);
    let proof =
        inclusion_proof(&TiledTree::new(size, &reader), index, size).map_err(AppError::internal)?;
    Ok(crate::log::sequencer::receipt(index, &entry, note, &proof))
}

#[derive(Deserialize)]
pub(super) struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

pub(super) async fn get_consistency(
    state: web::Data<AppState>,
    query: web::Query<ConsistencyQuery>,
) -> AppResult<HttpResponse> {
    let (size, note) = current_checkpoint(&state).await?;
    let (from, to) = (query.from, query.to.unwrap_or(size));
    if from > to || to > size {
        return Err(AppError::bad_request(
            ProblemType::InvalidRange,
            crate::said!(
                "proof.range",
                "need from <= to <= {size} (the newest checkpoint's size)",
                size = size
            ),
        ));
    }
    let body = blocking(&state.pool, move |conn| {
        let proof = consistency(conn, size, from, to)?;
        Ok(json!({
            "from": from,
            "to": to,
            "from_root": proof.from_root,
            "to_root": proof.to_root,
            "consistency_proof": proof.hashes,
            "checkpoint": note,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A consistency proof between sizes `from` and `to` of the tree of size `size`, and
/// both roots: all in base64.
pub(crate) struct Consistency {
    /// The root of the smaller tree.
    pub from_root: String,
    /// The root of the larger tree.
    pub to_root: String,
    /// The proof's hashes.
    pub hashes: Vec<String>,
}

pub(crate) fn consistency(
    conn: &mut diesel::PgConnection,
    size: u64,
    from: u64,
    to: u64,
) -> AppResult<Consistency> {
    let reader = DbTiles::new(conn, size);
    let tree = TiledTree::new(size, &reader);
    let proof = consistency_proof(&tree, from, to).map_err(AppError::internal)?;
    let root = |n: u64| -> AppResult<String> {
        if n == 0 {
            Ok(vitrine_ledger::hash::empty_root().to_base64())
        } else {
            tree.subtree_hash(0, n)
                .map(|h| h.to_base64())
                .map_err(AppError::internal)
        }
    };
    Ok(Consistency {
        from_root: root(from)?,
        to_root: root(to)?,
        hashes: proof.iter().map(|h| h.to_base64()).collect(),
    })
}

pub(super) async fn get_log_info(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let size = latest(&state).map(|(size, _)| size).ok();
    Ok(HttpResponse::Ok().json(json!({
        "origin": state.log_key.name(),
        "checkpoint_key": state.log_key.to_verifier_key(),
        "platform_key": BASE64.encode(state.platform_key),
        "size": size,
        "kinds": state.registry.names(),
    })))
}

pub(super) async fn get_checkpoint(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let (_, note) = current_checkpoint(&state).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache, max-age=1"))
        .body(note))
}

pub(super) async fn get_tile(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let tile = TileId::parse_path(&format!("tile/{}", path.into_inner()))
        .map_err(|e| AppError::not_found(e.to_string()))?;
    let (size, _) = current_checkpoint(&state).await?;
    let data = blocking(&state.pool, move |conn| {
        DbTiles::new(conn, size)
            .read_tile(tile)
            .map_err(|e| match e {
                db::TileReadError::NotFound => AppError::not_found(crate::said!(
                    "log.tile_beyond",
                    "{tile} is not in the log of size {size}",
                    tile = tile,
                    size = size,
                )),
                db::TileReadError::Database(e) => AppError::from(e),
            })
    })
    .await?;
    let cache = if tile.is_full() {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((CONTENT_TYPE, "application/octet-stream"))
        .insert_header((CACHE_CONTROL, cache));
    Ok(response.body(data))
}
