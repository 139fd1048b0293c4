//! The log explorer: the newest checkpoint and entries, an entry with its statement,
//! signatures and inclusion proof, and the consistency of two sizes of the log. Every
//! entry shown can be verified in the reader's browser (`static/js/verify.js`).

use super::page::{Page, PageResult};
use crate::db::{blocking, log as entries};
use crate::error::{AppError, ProblemType};
use crate::routes::log::{consistency, current_checkpoint, parse_index, receipt_of};
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use minijinja::context;

/// Entries a page of the explorer lists.
const PAGE_SIZE: i64 = 50;

/// `GET /explorer`: the newest checkpoint and the newest entries.
pub(super) async fn overview(
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let before = query
        .iter()
        .rev()
        .find(|(k, _)| k == "before")
        .map(|(_, v)| v.parse::<i64>().ok().filter(|b| *b >= 0).ok_or(()));
    let before = match before {
        Some(Err(())) => {
            return Err(page.error(AppError::bad_request(
                ProblemType::InvalidQuery,
                crate::said!("page.before", "before must be an entry index"),
            )));
        }
        Some(Ok(b)) => Some(b),
        None => None,
    };
    let (size, note) = current_checkpoint(&state)
        .await
        .map_err(|e| page.error(e))?;
    let recent = blocking(&state.pool, move |conn| {
        Ok(entries::recent_entries(conn, before, PAGE_SIZE)?)
    })
    .await
    .map_err(|e| page.error(e))?;
    let next = (recent.len() as i64 == PAGE_SIZE)
        .then(|| recent.last().map(|e| e.index))
        .flatten();
    page.render(
        "explorer.html",
        context! {
            size, checkpoint => note, entries => recent, next_before => next,
            site => state.public_url.trim_end_matches('/'),
        },
    )
}

/// `GET /entries/{index}`: one entry, its statement and signatures, and its proof.
pub(super) async fn entry(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> PageResult {
    let index = parse_index(&path).map_err(|e| page.error(e))?;
    let (size, note) = current_checkpoint(&state)
        .await
        .map_err(|e| page.error(e))?;
    let receipt = blocking(&state.pool, move |conn| {
        receipt_of(conn, index, size, &note)
    })
    .await
    .map_err(|e| page.error(e))?;
    let entry = receipt.entry.clone().unwrap_or_default();
    let statement_json = serde_json::to_string_pretty(&entry["statement"]).unwrap_or_default();
    page.render(
        "entry.html",
        context! { receipt, entry, statement_json, size },
    )
}

/// `GET /consistency?from=&to=`: a proof that the log of size `to` extends the log of
/// size `from`, which the page checks against the newest signed checkpoint.
pub(super) async fn consistency_page(
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let (size, note) = current_checkpoint(&state)
        .await
        .map_err(|e| page.error(e))?;
    let get = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (from_text, to_text) = (get("from"), get("to"));
    let ctx = |proof: Option<serde_json::Value>, error: Option<&str>| {
        context! {
            size, checkpoint => note.clone(), proof, error,
            from => from_text.clone(), to => to_text.clone(),
        }
    };
    let Some(from_text) = from_text.as_deref() else {
        return page.render("consistency.html", ctx(None, None));
    };
    let parse = |t: &str| t.parse::<u64>().ok();
    let to = to_text.as_deref().map_or(Some(size), parse);
    let (Some(from), Some(to)) = (parse(from_text), to) else {
        return page.render_status(
            StatusCode::BAD_REQUEST,
            "consistency.html",
            ctx(None, Some("consistency.bad_size")),
        );
    };
    if from > to || to > size {
        return page.render_status(
            StatusCode::BAD_REQUEST,
            "consistency.html",
            ctx(None, Some("consistency.bad_range")),
        );
    }
    let proof = blocking(&state.pool, move |conn| consistency(conn, size, from, to))
        .await
        .map_err(|e| page.error(e))?;
    let proof = serde_json::json!({
        "from": from, "to": to,
        "from_root": proof.from_root, "to_root": proof.to_root,
        "hashes": proof.hashes,
    });
    page.render("consistency.html", ctx(Some(proof), None))
}
