//! OCDS: the feed of releases, the bulk download, a tender's releases and its record.

use crate::db::{self, blocking, tenders};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use vitrine_ledger::time::Timestamp;

#[derive(Deserialize)]
pub(super) struct FeedQuery {
    since: Option<i64>,
    limit: Option<i64>,
}

/// Every OCDS release after entry `since`, in log order, a page at a time: the feed a
/// mirror follows, and the bulk dump (page until `links.next` is absent).
pub(super) async fn feed(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    let since = query.since.unwrap_or(-1);
    let limit = query.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::bad_request(
            ProblemType::InvalidQuery,
            crate::said!("query.limit", "limit must be from 1 to {max}", max = 10_000),
        ));
    }
    let rows: Vec<(i64, Value)> = blocking(&state.pool, move |conn| {
        Ok(tenders::releases(conn, since, None, limit)?)
    })
    .await?;
    let (package, complete) = feed_page(&state, &request, rows, limit);
    // A page that is full never changes; the last page grows as the log does.
    let cache = if complete {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=5"
    };
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, cache))
        .json(package))
}

/// A page of the feed as a release package, linking to the next page if it is full;
/// whether it is.
fn feed_page(
    state: &AppState,
    request: &actix_web::HttpRequest,
    rows: Vec<(i64, Value)>,
    limit: i64,
) -> (Value, bool) {
    // Links use the configured public address, never the request's Host header.
    let feed = format!("{}/api/v1/ocds/releases", state.public_url);
    let uri = match request.query_string() {
        "" => feed.clone(),
        query => format!("{feed}?{query}"),
    };
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.0))
        .flatten();
    let mut package = crate::domain::procurement::ocds::release_package(
        &uri,
        &Timestamp::now().to_string(),
        rows.into_iter().map(|r| r.1).collect(),
    );
    if let Some(next) = next {
        package["links"] = json!({"next": format!("{feed}?since={next}&limit={limit}")});
    }
    (package, next.is_some())
}

#[derive(Deserialize)]
pub(super) struct BulkQuery {
    since: Option<i64>,
}

/// Every OCDS release after entry `since`, in log order, one per line (JSON Lines): the
/// bulk download. Streamed a page at a time; it ends at the log's size when it started.
pub(super) async fn bulk(
    state: web::Data<AppState>,
    query: web::Query<BulkQuery>,
) -> AppResult<HttpResponse> {
    let since = query.since.unwrap_or(-1);
    let until: i64 = blocking(&state.pool, |conn| Ok(tenders::last_release(conn)?)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"vitrine-ocds-releases.jsonl\"",
        ))
        .streaming(bulk_pages(state.pool.clone(), since, until)))
}

/// The releases after entry `since` up to entry `until`, as pages of JSON Lines.
fn bulk_pages(
    pool: db::DbPool,
    since: i64,
    until: i64,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    const PAGE: i64 = 1000;
    futures_util::stream::unfold(Some(since), move |after| {
        let pool = pool.clone();
        async move {
            let after = after.filter(|a| *a < until)?;
            let page = blocking(&pool, move |conn| {
                Ok(tenders::releases(conn, after, Some(until), PAGE)?)
            })
            .await;
            match page {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map(|r| r.0);
                    Some((Ok(json_lines(rows)), last))
                }
                Err(e) => {
                    tracing::error!(error = %e.detail, "the bulk download stopped");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError(e.detail)),
                        None,
                    ))
                }
            }
        }
    })
}

/// Releases, one JSON document per line.
fn json_lines(rows: Vec<(i64, Value)>) -> web::Bytes {
    let mut lines = Vec::with_capacity(rows.len() * 1024);
    for (_, release) in rows {
        if serde_json::to_writer(&mut lines, &release).is_err() {
            break;
        }
        lines.push(b'\n');
    }
    web::Bytes::from(lines)
}

async fn releases_of(
    state: &web::Data<AppState>,
    id: String,
) -> AppResult<(crate::domain::procurement::TenderState, Vec<(i64, Value)>)> {
    blocking(&state.pool, move |conn| {
        let tender = db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(crate::domain::procurement::unknown_tender(&id)))?;
        let releases = tenders::releases_of(conn, &id)?;
        Ok((tender, releases))
    })
    .await
}

/// A tender's releases, one per log entry that changed it.
pub(super) async fn tender_releases(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (_, releases) = releases_of(&state, id.clone()).await?;
    Ok(
        HttpResponse::Ok().json(crate::domain::procurement::ocds::release_package(
            &format!("{}/api/v1/ocds/tenders/{id}/releases", state.public_url),
            &Timestamp::now().to_string(),
            releases.into_iter().map(|r| r.1).collect(),
        )),
    )
}

/// A tender's record: links to its releases and its compiled release.
pub(super) async fn record(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (tender, releases) = releases_of(&state, id.clone()).await?;
    let releases_url = format!("{}/api/v1/ocds/tenders/{id}/releases", state.public_url);
    let linked: Vec<(u64, String, Value)> = releases
        .into_iter()
        .map(|(index, r)| {
            (
                index as u64,
                r["date"].as_str().unwrap_or_default().to_owned(),
                r["tag"].clone(),
            )
        })
        .collect();
    Ok(
        HttpResponse::Ok().json(crate::domain::procurement::ocds::record_package(
            &releases_url,
            &Timestamp::now().to_string(),
            &tender,
            &linked,
        )),
    )
}
