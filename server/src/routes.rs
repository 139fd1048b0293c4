//! The HTTP routes: one table, thin handlers. Reads go to the pool on blocking threads;
//! appends go to the sequencer.

use crate::db::{self, DbPool, DbTiles, schema};
use crate::domain::Registry;
use crate::error::{AppError, AppResult};
use crate::sequencer::SequencerHandle;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use vitrine_ledger::jcs;
use vitrine_ledger::merkle::{SubtreeSource, consistency_proof, inclusion_proof};
use vitrine_ledger::note::NoteVerifier;
use vitrine_ledger::statement::{Entry, SignedStatement, StatementError};
use vitrine_ledger::tile::{TileId, TileReader, TiledTree};
use vitrine_ledger::time::Timestamp;

/// The largest request body `POST /api/v1/statements` reads.
pub const MAX_STATEMENT_BYTES: usize = 128 * 1024;

/// What every handler can reach.
pub struct AppState {
    /// Connections for reads.
    pub pool: DbPool,
    /// The sequencer.
    pub sequencer: SequencerHandle,
    /// The statement kinds.
    pub registry: Arc<Registry>,
    /// The log's checkpoint key.
    pub log_key: NoteVerifier,
    /// The platform's statement key.
    pub platform_key: [u8; 32],
    /// Its signing half: the platform signs what its administrators approve.
    pub platform_signer: ed25519_dalek::SigningKey,
    /// Decoded signer keys.
    pub keys: KeyCache,
    /// Login attempts per address.
    pub login_limit: crate::accounts::RateLimit,
    /// Applications to register per address.
    pub registration_limit: crate::accounts::RateLimit,
    /// Forwards appends to the process that sequences, when it is another one.
    pub forwarder: ureq::Agent,
    /// What bounds document uploads.
    pub uploads: crate::document_routes::Uploads,
    /// The public base URL of the server (for links in OCDS packages), without a trailing
    /// slash; never taken from a request's headers.
    pub public_url: String,
}

/// Public keys already decoded to curve points, so that a signer's key is decompressed
/// once rather than on every statement. Bounded: emptied when full.
#[derive(Default)]
pub struct KeyCache {
    keys: std::sync::RwLock<std::collections::HashMap<[u8; 32], ed25519_dalek::VerifyingKey>>,
}

impl KeyCache {
    /// The most keys held.
    pub const CAPACITY: usize = 100_000;

    /// The decoded key, or `None` if the bytes are not a point.
    pub fn get(&self, bytes: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
        if let Some(key) = self.keys.read().ok()?.get(bytes) {
            return Some(*key);
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).ok()?;
        if let Ok(mut keys) = self.keys.write() {
            if keys.len() >= Self::CAPACITY {
                keys.clear();
            }
            keys.insert(*bytes, key);
        }
        Some(key)
    }
}

/// Marks a request forwarded by another server process (so it is never forwarded again).
pub const FORWARDED_HEADER: &str = "x-vitrine-forwarded";

/// The route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        crate::registration_routes::configure(crate::draft_routes::configure(
            crate::document_routes::configure(crate::account_routes::configure(web::scope(
                "/api/v1",
            ))),
        ))
        .route("/statements", web::post().to(post_statement))
        .route("/entries/{index}", web::get().to(get_entry))
        .route("/entries/{index}/receipt", web::get().to(get_receipt))
        .route("/proofs/consistency", web::get().to(get_consistency))
        .route("/keys", web::get().to(get_key))
        .route("/organisations/{id}", web::get().to(get_organisation))
        .route("/tenders", web::get().to(list_tenders))
        .route("/tenders/{id}", web::get().to(get_tender))
        .route("/ocds/releases", web::get().to(ocds_feed))
        .route("/ocds/releases.jsonl", web::get().to(ocds_bulk))
        .route(
            "/ocds/tenders/{id}/releases",
            web::get().to(ocds_tender_releases),
        )
        .route("/ocds/tenders/{id}/record", web::get().to(ocds_record))
        .route("/log", web::get().to(get_log_info))
        .route("/openapi.json", web::get().to(crate::openapi::document)),
    )
    .service(
        // Entry bundles compress well; API answers are small and not worth the CPU.
        web::scope("/log")
            .wrap(actix_web::middleware::Compress::default())
            .route("/checkpoint", web::get().to(get_checkpoint))
            .route("/tile/{path:.*}", web::get().to(get_tile)),
    )
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(metrics))
    .default_service(web::to(not_found));
}

fn statement_error(e: StatementError) -> AppError {
    match e {
        StatementError::Json(m) => AppError::bad_request("invalid-json", m),
        StatementError::Number(n) => AppError::invalid(
            "floating-point",
            "Statements carry no floating-point numbers",
            n.to_string(),
        ),
        StatementError::BadSignature { index, public_key } => AppError::invalid(
            "bad-signature",
            "A signature does not verify",
            format!("signature {index} (key {public_key}) does not verify over this statement"),
        )
        .with("signature", index),
        StatementError::Unsigned => AppError::invalid(
            "unsigned",
            "The statement is not signed",
            "add at least one signature",
        ),
        StatementError::TooLarge(n) => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The entry is too large",
            format!("the entry would have {n} bytes; at most 65535 (reference documents by hash)"),
        ),
        other => AppError::invalid(
            "invalid-statement",
            "Not a valid statement",
            other.to_string(),
        ),
    }
}

async fn post_statement(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let body = crate::intake::read_body(&request, payload, MAX_STATEMENT_BYTES).await?;
    // The moment of receipt: what deadlines are judged by.
    let received = Timestamp::now().truncate_to_micros();
    let value =
        jcs::parse(&body).map_err(|e| AppError::bad_request("invalid-json", e.to_string()))?;
    // What the database cannot store is refused here, alone, never in a batch.
    crate::intake::storable(&value).map_err(|e| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        ..e
    })?;
    let signed = SignedStatement::from_value(value).map_err(statement_error)?;
    signed
        .verify_with(|key| state.keys.get(key))
        .map_err(statement_error)?;
    // The entry's size is the log's first rule, whatever the kind.
    Entry::check_fits(&signed).map_err(statement_error)?;
    let statement = signed.statement();
    let kind = state.registry.get(statement.kind()).ok_or_else(|| {
        AppError::invalid(
            "unknown-kind",
            "Unknown statement kind",
            format!(
                "the log does not accept statements of kind {:?}",
                statement.kind()
            ),
        )
        .with("kinds", state.registry.names())
    })?;
    kind.check_body(statement.body())
        .map_err(|m| AppError::invalid("invalid-body", "The statement's body is invalid", m))?;
    // A statement signed only by a one-time key: the sender must be an account allowed to
    // bid. The log does not say who; the platform records it privately.
    let author = if kind.anonymous() {
        let credentials = crate::accounts::Credentials::of(&request);
        Some(
            blocking(&state.pool, move |conn| {
                let caller = crate::accounts::require(conn, &credentials)?;
                caller.check_csrf(&credentials)?;
                if caller.organisation_kind != "supplier"
                    || !matches!(
                        caller.role.as_str(),
                        "bidder_representative" | "organisation_admin"
                    )
                {
                    return Err(AppError::forbidden(
                        "sealed bids and anonymous questions are sent by a supplier's bidder representative",
                    ));
                }
                Ok((caller.organisation, caller.user_id))
            })
            .await?,
        )
    } else {
        None
    };
    if !state.sequencer.status.ready.load(Ordering::SeqCst) {
        if request.headers().contains_key(FORWARDED_HEADER) {
            return Err(AppError::unavailable(
                "this process is not the sequencer (any more); try again",
            ));
        }
        return forward(&state, &request, body).await;
    }
    let (sequenced, appended) = state.sequencer.submit(signed, author, received).await?;
    let status = if appended {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(sequenced.receipt()))
}

/// Sends a checked statement to the process that sequences, and answers what it answers.
async fn forward(
    state: &web::Data<AppState>,
    request: &actix_web::HttpRequest,
    body: Vec<u8>,
) -> AppResult<HttpResponse> {
    let agent = state.forwarder.clone();
    // The sender's credentials go along: the sequencing process checks them again.
    let credentials: Vec<(&'static str, String)> =
        ["authorization", "cookie", crate::accounts::CSRF_HEADER]
            .into_iter()
            .filter_map(|name| {
                request
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (name, v.to_owned()))
            })
            .collect();
    let (status, content_type, answer) = blocking(&state.pool, move |conn| {
        let url: String = schema::sequencer_lease::table
            .select(schema::sequencer_lease::url)
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::unavailable("no process sequences the log yet; try again"))?;
        let mut forwarded = agent
            .post(format!("{url}/api/v1/statements"))
            .header("content-type", "application/json")
            .header(FORWARDED_HEADER, "1");
        for (name, value) in &credentials {
            forwarded = forwarded.header(*name, value);
        }
        let mut response = forwarded.send(&body[..]).map_err(|e| {
            AppError::unavailable(format!(
                "the sequencing process did not answer ({e}); try again"
            ))
        })?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        let answer = response.body_mut().read_to_vec().map_err(|e| {
            AppError::unavailable(format!(
                "the sequencing process did not answer ({e}); try again"
            ))
        })?;
        Ok((status, content_type, answer))
    })
    .await?;
    let status = StatusCode::from_u16(status).map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, content_type))
        .body(answer))
}

/// Runs `work` with a pooled connection on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    pool: &DbPool,
    work: impl FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

fn latest(state: &AppState) -> AppResult<(u64, String)> {
    state
        .sequencer
        .status
        .checkpoint
        .read()
        .ok()
        .and_then(|c| c.clone())
        .ok_or_else(|| AppError::unavailable("the log has no checkpoint yet"))
}

/// The newest checkpoint: from the sequencer if it runs here, else from the database.
async fn current_checkpoint(state: &web::Data<AppState>) -> AppResult<(u64, String)> {
    if let Ok(latest) = latest(state) {
        return Ok(latest);
    }
    blocking(&state.pool, |conn| {
        db::latest_checkpoint(conn)?
            .map(|(size, note)| (size as u64, note))
            .ok_or_else(|| AppError::unavailable("the log has no checkpoint yet"))
    })
    .await
}

/// An entry index in its one canonical form: decimal digits, no sign, no leading zero.
fn parse_index(text: &str) -> AppResult<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| {
            AppError::bad_request("invalid-index", format!("{text:?} is not an entry index"))
        })
}

async fn get_entry(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let index = parse_index(&path)?;
    let bytes = blocking(&state.pool, move |conn| {
        schema::log_entries::table
            .filter(schema::log_entries::idx.eq(index as i64))
            .select(schema::log_entries::entry)
            .first::<Vec<u8>>(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("entry {index} is not in the log")))
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

async fn get_receipt(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let index = parse_index(&path)?;
    let (size, note) = current_checkpoint(&state).await?;
    let receipt = blocking(&state.pool, move |conn| {
        if index >= size {
            return Err(AppError::not_found(format!(
                "entry {index} is not in the log of size {size}"
            )));
        }
        let bytes: Vec<u8> = schema::log_entries::table
            .filter(schema::log_entries::idx.eq(index as i64))
            .select(schema::log_entries::entry)
            .first(conn)?;
        let entry = Entry::parse(&bytes).map_err(AppError::internal)?;
        let reader = DbTiles::new(conn, size);
        let proof = inclusion_proof(&TiledTree::new(size, &reader), index, size)
            .map_err(AppError::internal)?;
        Ok(crate::sequencer::receipt(index, &entry, &note, &proof))
    })
    .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

async fn get_consistency(
    state: web::Data<AppState>,
    query: web::Query<ConsistencyQuery>,
) -> AppResult<HttpResponse> {
    let (size, note) = current_checkpoint(&state).await?;
    let (from, to) = (query.from, query.to.unwrap_or(size));
    if from > to || to > size {
        return Err(AppError::bad_request(
            "invalid-range",
            format!("need from <= to <= {size} (the newest checkpoint's size)"),
        ));
    }
    let body = blocking(&state.pool, move |conn| {
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
        Ok(json!({
            "from": from,
            "to": to,
            "from_root": root(from)?,
            "to_root": root(to)?,
            "consistency_proof": proof.iter().map(|h| h.to_base64()).collect::<Vec<_>>(),
            "checkpoint": note,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
struct KeyQuery {
    public_key: String,
}

async fn get_key(
    state: web::Data<AppState>,
    query: web::Query<KeyQuery>,
) -> AppResult<HttpResponse> {
    let key = BASE64
        .decode(query.public_key.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            AppError::bad_request("invalid-key", "public_key must be base64 of 32 bytes")
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

async fn get_tender(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let tender = blocking(&state.pool, move |conn| {
        db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("tender {id} does not exist")))
    })
    .await?;
    Ok(HttpResponse::Ok().json(tender.public_view(Timestamp::now())))
}

#[derive(Deserialize)]
struct TenderQuery {
    status: Option<String>,
    buyer: Option<String>,
    /// Tenders published before this entry (the cursor of the next page).
    before: Option<i64>,
    limit: Option<i64>,
}

#[derive(diesel::QueryableByName, serde::Serialize)]
struct TenderRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    buyer_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    procedure: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    value_amount: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    currency: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    tender_end: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    published_idx: i64,
}

/// Tenders, newest first, filtered by status and buyer, a page at a time.
async fn list_tenders(
    state: web::Data<AppState>,
    query: web::Query<TenderQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid-query",
            "limit must be from 1 to 500",
        ));
    }
    if let Some(status) = &query.status
        && crate::procurement::Status::parse(status).is_none()
    {
        return Err(AppError::bad_request(
            "invalid-query",
            format!("status {status:?} is not a tender status"),
        ));
    }
    let rows: Vec<TenderRow> = blocking(&state.pool, move |conn| {
        use diesel::sql_types::{BigInt, Nullable, Text};
        Ok(diesel::sql_query(
            "SELECT id, buyer_id, status, title, category, procedure, value_amount::text AS value_amount,
                    currency, to_char(tender_end AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS tender_end,
                    published_idx
             FROM tenders
             WHERE ($1::text IS NULL OR status = $1)
               AND ($2::text IS NULL OR buyer_id = $2)
               AND ($3::bigint IS NULL OR published_idx < $3)
             ORDER BY published_idx DESC
             LIMIT $4",
        )
        .bind::<Nullable<Text>, _>(query.status)
        .bind::<Nullable<Text>, _>(query.buyer)
        .bind::<Nullable<BigInt>, _>(query.before)
        .bind::<BigInt, _>(limit)
        .load(conn)?)
    })
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.published_idx))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({"tenders": rows, "next_before": next})))
}

#[derive(Deserialize)]
struct FeedQuery {
    since: Option<i64>,
    limit: Option<i64>,
}

/// Every OCDS release after entry `since`, in log order, a page at a time: the feed a
/// mirror follows, and the bulk dump (page until `links.next` is absent).
async fn ocds_feed(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    let since = query.since.unwrap_or(-1);
    let limit = query.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid-query",
            "limit must be from 1 to 10000",
        ));
    }
    let rows: Vec<(i64, Value)> = blocking(&state.pool, move |conn| {
        Ok(schema::ocds_releases::table
            .filter(schema::ocds_releases::entry_idx.gt(since))
            .order(schema::ocds_releases::entry_idx.asc())
            .limit(limit)
            .select((
                schema::ocds_releases::entry_idx,
                schema::ocds_releases::release,
            ))
            .load(conn)?)
    })
    .await?;
    // Links use the configured public address, never the request's Host header.
    let feed = format!("{}/api/v1/ocds/releases", state.public_url);
    let uri = match request.query_string() {
        "" => feed.clone(),
        query => format!("{feed}?{query}"),
    };
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.0))
        .flatten();
    let mut package = crate::ocds::release_package(
        &uri,
        &Timestamp::now().to_string(),
        rows.into_iter().map(|r| r.1).collect(),
    );
    if let Some(next) = next {
        package["links"] = json!({"next": format!("{feed}?since={next}&limit={limit}")});
    }
    // A page that is full never changes; the last page grows as the log does.
    let cache = if next.is_some() {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=5"
    };
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, cache))
        .json(package))
}

#[derive(Deserialize)]
struct BulkQuery {
    since: Option<i64>,
}

/// Every OCDS release after entry `since`, in log order, one per line (JSON Lines): the
/// bulk download. Streamed a page at a time; it ends at the log's size when it started.
async fn ocds_bulk(
    state: web::Data<AppState>,
    query: web::Query<BulkQuery>,
) -> AppResult<HttpResponse> {
    const PAGE: i64 = 1000;
    let since = query.since.unwrap_or(-1);
    let until: i64 = blocking(&state.pool, |conn| {
        Ok(schema::ocds_releases::table
            .select(diesel::dsl::max(schema::ocds_releases::entry_idx))
            .first::<Option<i64>>(conn)?
            .unwrap_or(-1))
    })
    .await?;
    let pool = state.pool.clone();
    let pages = futures_util::stream::unfold(Some(since), move |after| {
        let pool = pool.clone();
        async move {
            let after = after.filter(|a| *a < until)?;
            let page = blocking(&pool, move |conn| {
                Ok(schema::ocds_releases::table
                    .filter(schema::ocds_releases::entry_idx.gt(after))
                    .filter(schema::ocds_releases::entry_idx.le(until))
                    .order(schema::ocds_releases::entry_idx.asc())
                    .limit(PAGE)
                    .select((
                        schema::ocds_releases::entry_idx,
                        schema::ocds_releases::release,
                    ))
                    .load::<(i64, Value)>(conn)?)
            })
            .await;
            match page {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map(|r| r.0);
                    let mut lines = Vec::with_capacity(rows.len() * 1024);
                    for (_, release) in rows {
                        if serde_json::to_writer(&mut lines, &release).is_err() {
                            break;
                        }
                        lines.push(b'\n');
                    }
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from(lines)), last))
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
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"vitrine-ocds-releases.jsonl\"",
        ))
        .streaming(pages))
}

async fn tender_releases(
    state: &web::Data<AppState>,
    id: String,
) -> AppResult<(crate::procurement::TenderState, Vec<(i64, Value)>)> {
    blocking(&state.pool, move |conn| {
        let tender = db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("tender {id} does not exist")))?;
        let releases = schema::ocds_releases::table
            .filter(schema::ocds_releases::ocid.eq(&id))
            .order(schema::ocds_releases::entry_idx.asc())
            .select((
                schema::ocds_releases::entry_idx,
                schema::ocds_releases::release,
            ))
            .load(conn)?;
        Ok((tender, releases))
    })
    .await
}

/// A tender's releases, one per log entry that changed it.
async fn ocds_tender_releases(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (_, releases) = tender_releases(&state, id.clone()).await?;
    Ok(HttpResponse::Ok().json(crate::ocds::release_package(
        &format!("{}/api/v1/ocds/tenders/{id}/releases", state.public_url),
        &Timestamp::now().to_string(),
        releases.into_iter().map(|r| r.1).collect(),
    )))
}

/// A tender's record: links to its releases and its compiled release.
async fn ocds_record(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (tender, releases) = tender_releases(&state, id.clone()).await?;
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
    Ok(HttpResponse::Ok().json(crate::ocds::record_package(
        &releases_url,
        &Timestamp::now().to_string(),
        &tender,
        &linked,
    )))
}

async fn get_organisation(
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

async fn get_log_info(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let size = latest(&state).map(|(size, _)| size).ok();
    Ok(HttpResponse::Ok().json(json!({
        "origin": state.log_key.name(),
        "checkpoint_key": state.log_key.to_verifier_key(),
        "platform_key": BASE64.encode(state.platform_key),
        "size": size,
        "kinds": state.registry.names(),
    })))
}

async fn get_checkpoint(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let (_, note) = current_checkpoint(&state).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache, max-age=1"))
        .body(note))
}

async fn get_tile(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let tile = TileId::parse_path(&format!("tile/{}", path.into_inner()))
        .map_err(|e| AppError::not_found(e.to_string()))?;
    let (size, _) = current_checkpoint(&state).await?;
    let data = blocking(&state.pool, move |conn| {
        DbTiles::new(conn, size)
            .read_tile(tile)
            .map_err(|e| match e {
                db::TileReadError::NotFound => {
                    AppError::not_found(format!("{tile} is not in the log of size {size}"))
                }
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

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    blocking(&state.pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await?;
    let sequencing = state.sequencer.status.ready.load(Ordering::SeqCst);
    Ok(HttpResponse::Ok()
        .json(json!({"status": "ready", "database": "ok", "sequencing": sequencing})))
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let status = &state.sequencer.status;
    let size = latest(&state).map(|(s, _)| s).unwrap_or(0);
    let text = format!(
        "# HELP vitrine_log_size Entries in the newest checkpoint.\n# TYPE vitrine_log_size gauge\nvitrine_log_size {size}\n\
         # HELP vitrine_appended_total Entries appended by this process.\n# TYPE vitrine_appended_total counter\nvitrine_appended_total {}\n\
         # HELP vitrine_batches_total Sequencer transactions committed by this process.\n# TYPE vitrine_batches_total counter\nvitrine_batches_total {}\n\
         # HELP vitrine_refused_total Statements refused by the rules.\n# TYPE vitrine_refused_total counter\nvitrine_refused_total {}\n\
         # HELP vitrine_batch_seconds_total Time spent in sequencer batches.\n# TYPE vitrine_batch_seconds_total counter\nvitrine_batch_seconds_total {}\n\
         # HELP vitrine_sequencing Whether this process holds the sequencer lock.\n# TYPE vitrine_sequencing gauge\nvitrine_sequencing {}\n",
        status.appended.load(Ordering::Relaxed),
        status.batches.load(Ordering::Relaxed),
        status.refused.load(Ordering::Relaxed),
        status.commit_micros.load(Ordering::Relaxed) as f64 / 1e6,
        u8::from(status.ready.load(Ordering::Relaxed)),
    );
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4"))
        .body(text)
}

/// No route took the request: 405 with `Allow` if the path is a resource that answers
/// other methods, else 404.
async fn not_found(request: actix_web::HttpRequest) -> AppResult<HttpResponse> {
    if let Some(methods) = crate::openapi::methods_of(request.path())
        && !methods.iter().any(|m| m == request.method().as_str())
    {
        let allow = methods.join(", ");
        let problem = AppError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!(
                "{} does not answer {}; it answers {allow}",
                request.path(),
                request.method()
            ),
        );
        let mut response = actix_web::ResponseError::error_response(&problem);
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        return Ok(response);
    }
    Err(AppError::not_found(format!(
        "no resource at {} {}",
        request.method(),
        request.path()
    )))
}
