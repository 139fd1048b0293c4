//! The buyer's desk: its drafts and tenders; a draft's editor (ready, or what is missing;
//! published by signing it in the browser); a tender's management (answering questions,
//! amending, disqualifying, awarding, the contract, payments, completing or cancelling),
//! each action a statement the officer signs in the browser (`static/js/desk.js`).

use super::page::{Page, PageResult};
use super::session::account;
use crate::db::{self, blocking, drafts, tenders};
use crate::domain::types::{OrganisationKind, Role};
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde_json::json;
use vitrine_ledger::time::Timestamp;

const WHY: &str = "the buyer's desk is for a buyer's procurement officers and administrators";

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
    let caller = match account(&page, &state, &request, buyer_staff, WHY).await {
        Ok(caller) => caller,
        Err(answer) => return Ok(answer),
    };
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
    let caller = match account(&page, &state, &request, buyer_staff, WHY).await {
        Ok(caller) => caller,
        Err(answer) => return Ok(answer),
    };
    let mut id = path.into_inner();
    if id == "new" {
        let wanted = query
            .iter()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.trim().to_owned());
        let Some(wanted) = wanted.filter(|w| !w.is_empty() && w.len() <= 256) else {
            return Err(page.error(AppError::bad_request(
                crate::error::ProblemType::InvalidQuery,
                "give the new tender's id (its ocid)",
            )));
        };
        let location = format!("/buyer/drafts/{}", super::page::url_escape(&wanted));
        return Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, location))
            .finish());
    }
    let buyer = caller.organisation.clone();
    let view = blocking(&state.pool, {
        let id = id.clone();
        move |conn| {
            let draft = drafts::find(conn, &buyer, &id, false)?;
            Ok(match draft {
                Some(d) => Some(crate::routes::drafts::view(
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
    let body = view.as_ref().map_or_else(
        || json!({"id": id, "buyer": caller.organisation, "value": {"currency": "CNY"}, "category": "goods", "procedure": "open", "award_criteria": "lowest_price"}),
        |v| v["body"].clone(),
    );
    id.truncate(256);
    page.render(
        "draft.html",
        context! { id, draft => view, body, organisation => caller.organisation, csrf => caller.csrf },
    )
}

/// `GET /tenders/{id}/manage`: the buyer's actions on one of its tenders.
pub(super) async fn manage(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> PageResult {
    let caller = match account(&page, &state, &request, buyer_staff, WHY).await {
        Ok(caller) => caller,
        Err(answer) => return Ok(answer),
    };
    let id = path.into_inner();
    let organisation = caller.organisation.clone();
    let (tender, timeline) = blocking(&state.pool, move |conn| {
        let tender = db::load_tender(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("tender {id} does not exist")))?;
        if tender.buyer != organisation {
            return Err(AppError::forbidden(format!(
                "tender {id} is another buyer's"
            )));
        }
        let timeline = db::log::entries_about(conn, &id, 1000)?;
        Ok((tender.public_view(Timestamp::now()), timeline))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "manage.html",
        context! { tender, timeline, organisation => caller.organisation, csrf => caller.csrf },
    )
}
