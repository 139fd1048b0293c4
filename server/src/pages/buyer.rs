//! The buyer's desk: its drafts and tenders; a draft's editor (a plain form, saved as is,
//! with what is missing; published by signing it in the browser); a tender's management
//! (answering questions, amending, disqualifying, awarding, the contract, payments,
//! completing or cancelling), each action a statement the officer signs in the browser
//! (`static/js/desk.js`).

use super::forms::{Factor, Posted, Refusal};
use super::page::{Page, PageResult};
use super::signed_in::{Who, account};
use crate::db::{self, blocking, drafts, tenders};
use crate::domain::types::{OrganisationKind, Role};
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde_json::json;
use vitrine_ledger::time::Timestamp;

const DESK: Who = Who {
    allowed: buyer_staff,
    why: || {
        crate::said!(
            "page.desk_buyer",
            "the buyer's desk is for a buyer's procurement officers and administrators"
        )
    },
};

fn buyer_staff(role: Role, kind: OrganisationKind) -> bool {
    kind == OrganisationKind::Buyer
        && matches!(role, Role::ProcurementOfficer | Role::OrganisationAdmin)
}

/// `GET /buyer`: the drafts and the tenders of the reader's organisation.
pub(super) async fn desk(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    let buyer = caller.organisation.clone();
    let (drafts, tenders) = blocking(&state.pool, move |conn| {
        let drafts: Vec<serde_json::Value> = drafts::of_buyer(conn, &buyer)?
            .into_iter()
            .map(|d| json!({"id": d.id, "title": d.body["title"], "updated_at": d.updated_at.to_rfc3339()}))
            .collect();
        let filter = tenders::Filter {
            buyer: Some(buyer),
            ..tenders::Filter::default()
        };
        Ok((drafts, tenders::list(conn, &filter, 200)?))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "buyer.html",
        context! { organisation => caller.organisation, drafts, tenders, totp => caller.totp_enabled },
    )
}

/// `GET /buyer/drafts/{id}`: a draft's editor (`new?id=` starts one).
pub(super) async fn draft(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    let id = path.into_inner();
    if id == "new" {
        let wanted = query
            .iter()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.trim().to_owned());
        let Some(wanted) = wanted.filter(|w| !w.is_empty() && w.len() <= 256) else {
            return Err(page.error(AppError::bad_request(
                crate::error::ProblemType::InvalidQuery,
                crate::said!("page.new_tender_id", "give the new tender's id (its ocid)"),
            )));
        };
        let location = format!("/buyer/drafts/{}", super::page::url_escape(&wanted));
        return Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, location))
            .finish());
    }
    let done = super::forms::done_word(&query);
    draft_page(&page, &state, caller, id, None, done).await
}

/// A draft's editor: the draft as saved, or as the reader posted it with its refusal.
async fn draft_page(
    page: &Page,
    state: &web::Data<AppState>,
    caller: crate::auth::Caller,
    mut id: String,
    posted: Option<(serde_json::Value, Refusal)>,
    done: Option<&str>,
) -> PageResult {
    let buyer = caller.organisation.clone();
    let view = blocking(&state.pool, {
        let id = id.clone();
        move |conn| {
            let draft = drafts::find(conn, &buyer, &id, false)?;
            Ok(match draft {
                Some(d) => Some(crate::routes::drafts::view_and_problems(
                    conn,
                    &buyer,
                    &id,
                    &d.body,
                    d.updated_at,
                )?),
                None => None,
            })
        }
    })
    .await
    .map_err(|e| page.error(e))?;
    // What is missing, in the reader's language.
    let view = view.map(|(mut view, problems)| {
        let said: Vec<String> = problems.iter().map(|p| page.said(p)).collect();
        view["problems"] = json!(said);
        view
    });
    let (body, refused) = match posted {
        Some((body, refused)) => (body, Some(refused)),
        None => (
            view.as_ref().map_or_else(
                || json!({"id": id, "buyer": caller.organisation, "value": {"currency": "CNY"}, "category": "goods", "procedure": "open", "award_criteria": "lowest_price"}),
                |v| v["body"].clone(),
            ),
            None,
        ),
    };
    let status = refused.as_ref().map_or(StatusCode::OK, Refusal::status);
    id.truncate(256);
    page.render_status(
        status,
        "draft.html",
        context! {
            id, draft => view, body, done, refused,
            organisation => caller.organisation, csrf => caller.csrf,
        },
    )
}

/// The most bytes the draft editor's form posts: a description of 20,000 characters of
/// three bytes each, percent-encoded, with room for the rest.
const DRAFT_FORM_BYTES: usize = 256 * 1024;

/// `POST /buyer/drafts/{id}`: the draft editor's form, saved as the draft `id`.
pub(super) async fn save_draft(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
) -> PageResult {
    let posted = Posted::read(
        &page,
        &state,
        (&request, payload),
        DESK,
        Factor::Required,
        DRAFT_FORM_BYTES,
    )
    .await?;
    let id = path.into_inner();
    let body = super::draft_form::body_of(posted.fields())
        .map_err(|m| AppError::invalid(crate::error::ProblemType::InvalidBody, m));
    let caller = posted.caller.clone();
    let saved = match body {
        Ok(body) => {
            let id = id.clone();
            let kept = body.clone();
            let saved = blocking(&state.pool, move |conn| {
                crate::routes::drafts::check_id(&id)?;
                // The API's limits and checks, as if the body had come as JSON.
                let bytes = serde_json::to_vec(&body).map_err(AppError::internal)?;
                if bytes.len() > crate::routes::drafts::MAX_DRAFT_BYTES {
                    return Err(crate::routes::intake::too_large(
                        crate::routes::drafts::MAX_DRAFT_BYTES,
                    ));
                }
                let body = crate::routes::drafts::parse_body(&bytes, &id)?;
                crate::routes::drafts::save_as(conn, &caller, &id, body)
            })
            .await;
            saved.map_err(|e| (e, kept))
        }
        Err(e) => Err((e, super::draft_form::kept(posted.fields()))),
    };
    match saved {
        Ok(_) => {
            let path = format!("/buyer/drafts/{}", super::page::url_escape(&id));
            Ok(super::forms::done(&path, "draft_saved"))
        }
        Err((e, _)) if e.status.is_server_error() => Err(page.error(e)),
        Err((e, kept)) => {
            let refused = Refusal::new("draft", &e, &[], &posted).localised(&page);
            draft_page(
                &page,
                &state,
                posted.caller,
                id,
                Some((kept, refused)),
                None,
            )
            .await
        }
    }
}

/// `GET /tenders/{id}/manage`: the buyer's actions on one of its tenders.
pub(super) async fn manage(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    let id = path.into_inner();
    let organisation = caller.organisation.clone();
    let (tender, timeline) = blocking(&state.pool, move |conn| {
        let tender = db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(crate::domain::procurement::unknown_tender(&id)))?;
        if tender.buyer != organisation {
            return Err(AppError::forbidden(crate::said!(
                "page.tender_not_yours",
                "tender {tender} is another buyer's",
                tender = id
            )));
        }
        let timeline = db::log::newest_about(conn, &id, 1000)?;
        Ok((tender.public_view(Timestamp::now()), timeline))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "manage.html",
        context! { tender, timeline, organisation => caller.organisation, csrf => caller.csrf },
    )
}
