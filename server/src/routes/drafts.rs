//! Tenders in draft: the buyer's officers prepare a tender before publishing it. A draft is
//! private to the buyer and is not on the log, since nothing about a tender is public
//! until it is published. Each answer says whether the draft is ready to publish and, if
//! not, what is missing. Publishing is signing the draft's body as `tender.published`
//! (the officer's key never reaches the server); once that is logged, the draft is gone.

use crate::auth::{self, Caller, Credentials};
use crate::db::{blocking, drafts};
use crate::domain::procurement::{document_hashes, tender_problems};
use crate::domain::said::Said;
use crate::domain::types::{OrganisationKind, Role};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

/// A draft's body is at most this large (a logged entry is at most 64 KiB).
pub(crate) const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// The caller, who must act for a buyer as a procurement officer or its administrator.
fn buyer_staff(
    conn: &mut PgConnection,
    credentials: &Credentials,
    change: bool,
) -> AppResult<Caller> {
    let caller = auth::require_to_act(conn, credentials, change)?;
    caller.require(
        |role, kind| {
            kind == OrganisationKind::Buyer
                && matches!(role, Role::ProcurementOfficer | Role::OrganisationAdmin)
        },
        crate::said!(
            "draft.staff_only",
            "drafts are prepared by a buyer's procurement officers and administrators"
        ),
    )?;
    Ok(caller)
}

/// What stands between a draft and its publication: the rules of `tender.published` that
/// can be checked now, and documents not yet uploaded. (Times are judged when it is sent.)
fn problems(conn: &mut PgConnection, buyer: &str, body: &Value) -> QueryResult<Vec<Said>> {
    let mut problems = tender_problems(body);
    let wanted = document_hashes(&body["documents"]);
    if !wanted.is_empty() {
        // Uploaded by the buyer, or already public: what the buyer may publish.
        let present = drafts::publishable(conn, buyer, &wanted)?;
        for missing in wanted
            .iter()
            .filter(|h| !present.iter().any(|p| p[..] == h[..]))
        {
            problems.push(crate::said!(
                "draft.document_missing",
                "document {document} is not uploaded by your organisation (POST /api/v1/documents)",
                document = vitrine_ledger::hash::hex_encode(missing),
            ));
        }
    }
    Ok(problems)
}

/// A draft as the API and the pages show it: its body, whether it is ready, what is missing.
pub(crate) fn view(
    conn: &mut PgConnection,
    buyer: &str,
    id: &str,
    body: &Value,
    updated_at: DateTime<Utc>,
) -> QueryResult<Value> {
    Ok(view_and_problems(conn, buyer, id, body, updated_at)?.0)
}

/// [`view`], and its problems as said (for the pages, which say them in the reader's
/// language).
pub(crate) fn view_and_problems(
    conn: &mut PgConnection,
    buyer: &str,
    id: &str,
    body: &Value,
    updated_at: DateTime<Utc>,
) -> QueryResult<(Value, Vec<Said>)> {
    let problems = problems(conn, buyer, body)?;
    let view = json!({
        "id": id,
        "status": "draft",
        "ready": problems.is_empty(),
        "problems": problems.iter().map(Said::text).collect::<Vec<_>>(),
        "body": body,
        "updated_at": updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    Ok((view, problems))
}

fn missing(id: &str) -> AppError {
    AppError::not_found(crate::said!(
        "draft.unknown",
        "your organisation has no draft {draft}",
        draft = id
    ))
}

pub(super) async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let drafts = blocking(&state.pool, move |conn| {
        let caller = buyer_staff(conn, &credentials, false)?;
        drafts::of_buyer(conn, &caller.organisation)?
            .iter()
            .map(|d| {
                view(conn, &caller.organisation, &d.id, &d.body, d.updated_at)
                    .map_err(AppError::from)
            })
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"drafts": drafts})))
}

pub(super) async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let credentials = Credentials::of(&request);
    let draft = blocking(&state.pool, move |conn| {
        let caller = buyer_staff(conn, &credentials, false)?;
        let draft =
            drafts::find(conn, &caller.organisation, &id, false)?.ok_or_else(|| missing(&id))?;
        Ok(view(
            conn,
            &caller.organisation,
            &id,
            &draft.body,
            draft.updated_at,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(draft))
}

/// Saves a draft, complete or not. The server fills in `id` (the path) and `buyer` (the
/// caller's organisation).
pub(super) async fn put(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    // Who asks is checked before the body is read.
    let credentials = Credentials::of(&request);
    let caller = blocking(&state.pool, move |conn| {
        buyer_staff(conn, &credentials, true)
    })
    .await?;
    check_id(&id)?;
    let bytes = crate::routes::intake::read_body(&request, payload, MAX_DRAFT_BYTES).await?;
    let body = parse_body(&bytes, &id)?;
    let (created, draft) =
        blocking(&state.pool, move |conn| save_as(conn, &caller, &id, body)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(draft))
}

/// Saves `body` (checked as [`parse_body`] does) as the draft `id` of `caller`, one of
/// a buyer's staff allowed to act (the caller's route checked it), with `buyer` filled
/// in: whether the draft is new, and how it now stands.
pub(crate) fn save_as(
    conn: &mut PgConnection,
    caller: &Caller,
    id: &str,
    mut body: Value,
) -> AppResult<(bool, Value)> {
    body["buyer"] = json!(caller.organisation);
    conn.transaction(|conn| save(conn, caller, id, &body))
}

/// A draft's id is its tender's to be: an ocid, as publishing will need.
pub(crate) fn check_id(id: &str) -> AppResult<()> {
    let identifier = crate::domain::rules::identifier(&json!({ "id": id }), "id").is_ok();
    if !identifier || !crate::domain::procurement::ocid(id) {
        return Err(AppError::invalid(
            ProblemType::InvalidBody,
            crate::said!(
                "draft.id",
                "a draft's id is its tender's OCDS ocid: \"ocds-\", the publisher's six-character prefix, \"-\", then the tender's own id; at most 64 letters, digits, '.', '_' or '-'"
            ),
        ));
    }
    Ok(())
}

/// A draft's body: a JSON object the database can store, whose `id`, if given, is the
/// draft's. The answer has the `id` filled in.
pub(crate) fn parse_body(bytes: &[u8], id: &str) -> AppResult<Value> {
    let mut body = vitrine_ledger::jcs::parse(bytes)
        .map_err(|e| AppError::bad_request(ProblemType::InvalidJson, e.to_string()))?;
    crate::routes::intake::storable(&body)?;
    if !body.is_object() {
        return Err(AppError::invalid(
            ProblemType::InvalidBody,
            crate::said!(
                "draft.not_object",
                "a draft is the body of a tender.published statement: a JSON object"
            ),
        ));
    }
    if body.get("id").is_some_and(|v| v.as_str() != Some(id)) {
        return Err(AppError::invalid(
            ProblemType::InvalidBody,
            crate::said!(
                "draft.id_mismatch",
                "{field} must be the draft's id {draft}, or absent",
                field = "body.id",
                draft = format!("{id:?}"),
            ),
        ));
    }
    body["id"] = json!(id);
    Ok(body)
}

/// Saves the caller's organisation's draft `id`, unless its tender is published:
/// whether the draft is new, and how it now stands.
fn save(
    conn: &mut PgConnection,
    caller: &Caller,
    id: &str,
    body: &Value,
) -> AppResult<(bool, Value)> {
    if drafts::published(conn, id)? {
        return Err(AppError::conflict(crate::said!(
            "draft.published",
            "tender {tender} is already published: amend it with tender.amended",
            tender = id
        )));
    }
    // Drafts are kept per buyer: another buyer's draft of the same id is neither seen nor
    // touched (and its existence is not told).
    let mine = drafts::find(conn, &caller.organisation, id, true)?.is_some();
    let at = drafts::save(conn, &caller.organisation, id, body, caller.user_id)?;
    Ok((!mine, view(conn, &caller.organisation, id, body, at)?))
}

pub(super) async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let credentials = Credentials::of(&request);
    blocking(&state.pool, move |conn| {
        let caller = buyer_staff(conn, &credentials, true)?;
        if !drafts::delete(conn, &caller.organisation, &id)? {
            return Err(missing(&id));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
