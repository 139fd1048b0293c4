//! The charity officer's desk: the charity's funds and what waits in each (disbursements
//! to approve, to execute, to be acknowledged), a fund opened by the administrator; a
//! fund's donations recorded one at a time or imported from the bank's CSV; its
//! disbursements proposed, approved and executed. Every statement is built and signed in
//! the browser with the officer's own key (`static/js/charity.js`), which never leaves it;
//! these handlers give the script what it needs.

use super::page::{Page, PageError, PageResult};
use super::signed_in::{Who, account};
use crate::auth::Caller;
use crate::db::{self, blocking, charity_desk, directory, funds};
use crate::domain::charity::CHANNELS;
use crate::domain::charity::fund::{FundState, Recipient};
use crate::domain::types::{OrganisationKind, Role};
use crate::error::{AppError, ProblemType};
use crate::routes::funds::{Revoked, disbursement_json, donation_json, fund_json, fund_row_json};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use minijinja::context;
use serde_json::{Value, json};

/// The most funds the desk lists.
const FUNDS_LISTED: i64 = 200;
/// The most waiting disbursements the desk lists for one fund.
const WAITING_LISTED: i64 = 20;
/// The most disbursements the disbursements page lists.
const OPEN_LISTED: i64 = 200;
/// How many of the newest donations the donations page lists.
const RECENT_DONATIONS: i64 = 20;
/// The most references one check of a bank file asks about.
const REFERENCES_PER_CHECK: usize = 100;

const DESK: Who = Who {
    allowed: charity_staff,
    why: || {
        crate::said!(
            "page.desk_charity",
            "the charity desk is for a charity's officers and administrators"
        )
    },
};

fn charity_staff(role: Role, kind: OrganisationKind) -> bool {
    kind == OrganisationKind::Charity
        && matches!(role, Role::ProcurementOfficer | Role::OrganisationAdmin)
}

/// Whether the caller's role must set up a second factor before it acts.
fn second_factor_missing(caller: &Caller) -> bool {
    caller.role.needs_second_factor() && !caller.totp_enabled
}

/// The fund `id`, which must be the caller's charity's.
fn own_fund(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    id: &str,
) -> Result<FundState, AppError> {
    let fund = crate::routes::funds::load_fund(conn, id)?;
    if fund.charity != caller.organisation {
        return Err(AppError::forbidden(crate::said!(
            "page.fund_not_yours",
            "fund {fund} is {charity}'s: its desk is for that charity's officers",
            fund = fund.id,
            charity = fund.charity
        )));
    }
    Ok(fund)
}

/// The keys of the charity that a fund's policy may name: its officers' and its
/// administrators', not revoked.
fn officer_keys(conn: &mut diesel::PgConnection, charity: &str) -> Result<Vec<Value>, AppError> {
    Ok(directory::keys_of(conn, charity)?
        .into_iter()
        .filter(|k| {
            k.revoked_idx.is_none()
                && matches!(
                    Role::parse(&k.role),
                    Some(Role::ProcurementOfficer | Role::OrganisationAdmin)
                )
        })
        .map(|k| {
            json!({
                "public_key": BASE64.encode(&k.public_key),
                "role": k.role,
                "registered_at_entry": k.registered_idx,
            })
        })
        .collect())
}

/// `GET /charity`: the charity's funds, what waits in each, and (for its administrator)
/// the form that opens a fund.
pub(super) async fn desk(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    let admin = caller.role == Role::OrganisationAdmin;
    let charity = caller.organisation.clone();
    let (funds, keys) = blocking(&state.pool, move |conn| {
        let filter = funds::FundFilter {
            charity: Some(charity.clone()),
            ..funds::FundFilter::default()
        };
        let rows = funds::list(conn, &filter, FUNDS_LISTED)?;
        let waiting = charity_desk::waiting(conn, &charity)?;
        let mut listed = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut fund = fund_row_json(row);
            if let Some(w) = waiting.iter().find(|w| w.fund_id == row.id) {
                let officers = funds::get(conn, &row.id)?
                    .map(|f| f.policy.officers)
                    .unwrap_or_default();
                let open = charity_desk::open_disbursements(conn, &row.id, WAITING_LISTED)?;
                let revoked = Revoked::of(conn, &open)?;
                fund["proposed"] = json!(w.proposed);
                fund["approved"] = json!(w.approved);
                fund["unacknowledged"] = json!(w.unacknowledged);
                fund["officers"] = json!(officers);
                fund["waiting"] = open
                    .iter()
                    .map(|d| disbursement_json(d, &row.currency, &revoked))
                    .collect();
            }
            listed.push(fund);
        }
        let keys = if admin {
            officer_keys(conn, &charity)?
        } else {
            Vec::new()
        };
        Ok((listed, keys))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "charity_desk.html",
        context! {
            organisation => caller.organisation,
            admin,
            totp_missing => second_factor_missing(&caller),
            csrf => caller.csrf,
            funds,
            officer_keys => keys,
        },
    )
}

/// `GET /charity/funds/{id}/donations`: a donation recorded by hand, the bank's CSV
/// imported, and the newest donations with their donors' receipts.
pub(super) async fn donations(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    let id = path.into_inner();
    let who = caller.clone();
    let (fund, recent) = blocking(&state.pool, move |conn| {
        let fund = own_fund(conn, &who, &id)?;
        let after = (fund.donations as i64 - RECENT_DONATIONS).max(0);
        let mut recent: Vec<Value> = funds::donations(conn, &fund.id, after, RECENT_DONATIONS)?
            .iter()
            .map(|d| donation_json(d, &fund.currency))
            .collect();
        recent.reverse();
        Ok((fund, recent))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "donation_form.html",
        context! {
            fund => fund_json(&fund),
            recent,
            channels => CHANNELS,
            organisation => caller.organisation,
            totp_missing => second_factor_missing(&caller),
            csrf => caller.csrf,
        },
    )
}

/// `GET /charity/funds/{id}/recorded?r=<channel>:<reference>&…`: which of a bank file's
/// references the fund has recorded already (JSON, for the import's preview): a file
/// imported again records nothing twice and sends no donor's data for a donation the log
/// would refuse.
pub(super) async fn recorded(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let caller = account(&page, &state, &request, DESK).await?;
    let id = path.into_inner();
    let wanted: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k == "r")
        .filter_map(|(_, v)| v.split_once(':'))
        .map(|(c, r)| (c.to_owned(), r.to_owned()))
        .collect();
    if wanted.len() > REFERENCES_PER_CHECK {
        return Err(page.error(AppError::bad_request(
            ProblemType::InvalidQuery,
            crate::said!(
                "page.references_per_check",
                "ask about at most {max} references at a time",
                max = REFERENCES_PER_CHECK
            ),
        )));
    }
    let recorded = blocking(&state.pool, move |conn| {
        let fund = own_fund(conn, &caller, &id)?;
        Ok(charity_desk::recorded_references(conn, &fund.id, &wanted)?)
    })
    .await
    .map_err(|e| page.error(e))?;
    let recorded: Vec<Value> = recorded
        .into_iter()
        .map(|r| json!({"channel": r.channel, "reference": r.reference, "donation": r.seq}))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "private, no-store"))
        .json(json!({ "recorded": recorded })))
}

/// `GET /charity/funds/{id}/disbursements`: a disbursement proposed (with its evidence;
/// to a person, with the key they acknowledge with, made in the browser), and those that
/// wait: to be approved by the officers the policy names, to be executed, to be
/// acknowledged.
pub(super) async fn disbursements(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    let id = path.into_inner();
    let who = caller.clone();
    let (fund, open, others) = blocking(&state.pool, move |conn| {
        let fund = own_fund(conn, &who, &id)?;
        let open = charity_desk::open_disbursements(conn, &fund.id, OPEN_LISTED)?;
        let revoked = Revoked::of(conn, &open)?;
        let open: Vec<Value> = open
            .iter()
            .map(|d| disbursement_json(d, &fund.currency, &revoked))
            .collect();
        let filter = funds::FundFilter {
            status: Some("open".into()),
            ..funds::FundFilter::default()
        };
        let others: Vec<Value> = funds::list(conn, &filter, FUNDS_LISTED)?
            .iter()
            .filter(|f| f.id != fund.id && f.currency == fund.currency)
            .map(fund_row_json)
            .collect();
        Ok((fund, open, others))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "disbursement_form.html",
        context! {
            fund => fund_json(&fund),
            open,
            others,
            organisation => caller.organisation,
            totp_missing => second_factor_missing(&caller),
            csrf => caller.csrf,
        },
    )
}

/// `GET /funds/{id}/disbursements/{seq}/acknowledge`: the recipient's page. An
/// organisation (or a fund's charity) signs with one of its registered keys; a person
/// with the acknowledgement code the charity gave them (the key made for them when the
/// disbursement was proposed), without an account.
pub(super) async fn acknowledge(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (id, seq) = path.into_inner();
    let Some(seq) = seq.parse::<i32>().ok().filter(|n| *n >= 1) else {
        return Err(page.error(AppError::not_found(crate::said!(
            "page.no_such",
            "there is no such page: {why}",
            why = format!("{seq:?} is not a disbursement's number")
        ))));
    };
    let (fund, recipient, view) = blocking(&state.pool, move |conn| {
        let fund = crate::routes::funds::load_fund(conn, &id)?;
        let disbursement = funds::disbursement(conn, &fund.id, seq)?.ok_or_else(|| {
            AppError::not_found(crate::domain::charity::unknown_disbursement(
                &fund.id, seq as u32,
            ))
        })?;
        // Who acknowledges: an organisation by name, a fund by its charity.
        let recipient = match &disbursement.recipient {
            Recipient::Organisation { id } => {
                let name = directory::organisation(conn, id)?.map(|o| o.name);
                json!({"kind": "organisation", "id": id, "name": name})
            }
            Recipient::Fund { id } => {
                let charity = db::funds::get(conn, id)?.map(|f| f.charity);
                json!({"kind": "fund", "id": id, "charity": charity})
            }
            Recipient::Person { key, .. } => json!({"kind": "person", "key": key}),
        };
        let view = disbursement_json(
            &disbursement,
            &fund.currency,
            &Revoked::of(conn, [&disbursement])?,
        );
        Ok((fund, recipient, view))
    })
    .await
    .map_err(|e| page.error(e))?;
    page.render(
        "acknowledge.html",
        context! {
            fund => fund_json(&fund),
            disbursement => view,
            recipient,
        },
    )
}
