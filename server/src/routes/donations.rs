//! Donations as the charity records them, with the donor's data for the vault: the
//! statement (`donation.recorded`) goes to the log with only the commitment, the data and
//! salt to the vault (off the log, erasable); the donor's receipt (a C2SP tlog-proof with
//! the opening); and the erasure of a donor's data.

use crate::auth::{self, Credentials};
use crate::db::{blocking, funds as queries};
use crate::domain::Role;
use crate::domain::types::OrganisationKind;
use crate::error::{AppError, AppResult, ProblemType};
use crate::log::forward::FORWARDED_HEADER;
use crate::log::sequencer::Private;
use crate::routes::funds::load_fund;
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use vitrine_ledger::bid::Salt;
use vitrine_ledger::donation::DonorReceipt;
use vitrine_ledger::donor::{DonorOpening, donor_commitment};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::time::Timestamp;

/// The largest request: a statement and the donor's data.
pub const MAX_DONATION_BYTES: usize = crate::routes::statements::MAX_STATEMENT_BYTES + 16 * 1024;

/// The most bytes of a donor's data (its JCS).
const MAX_DONOR_BYTES: usize = 8 * 1024;

fn invalid(said: crate::domain::said::Said) -> AppError {
    AppError::invalid(ProblemType::InvalidBody, said)
}

/// An officer or the administrator of a charity, allowed to act now.
fn charity_officer(
    conn: &mut diesel::PgConnection,
    credentials: &Credentials,
    change: bool,
) -> AppResult<auth::Caller> {
    let caller = auth::require_to_act(conn, credentials, change)?;
    charity_only(&caller)?;
    Ok(caller)
}

/// Refuses a caller who is not an officer or the administrator of a charity.
fn charity_only(caller: &auth::Caller) -> AppResult<()> {
    caller.require(
        |role, kind| {
            kind == OrganisationKind::Charity
                && matches!(role, Role::ProcurementOfficer | Role::OrganisationAdmin)
        },
        crate::said!(
            "donation.charity_only",
            "donations are recorded by a charity's officers and administrators"
        ),
    )
}

/// The charity whose fund `id` is (404 if there is none), read once per process: a fund
/// never changes hands.
async fn fund_charity(state: &AppState, id: &str) -> AppResult<String> {
    if let Some(charity) = state.fund_charities.get(id) {
        return Ok(charity);
    }
    let owned = id.to_owned();
    let charity = blocking(
        &state.pool,
        move |conn| Ok(load_fund(conn, &owned)?.charity),
    )
    .await?;
    state.fund_charities.insert(id.to_owned(), charity.clone());
    Ok(charity)
}

/// What the donor's part of the request says, checked against the statement's body, for
/// the vault of `charity`'s `fund`.
fn donor_of(
    request: &Value,
    body: &Value,
    charity: &str,
    fund: &str,
) -> AppResult<Option<crate::db::vault::VaultEntry>> {
    let committed = body.get("donor").and_then(Value::as_str);
    let Some(donor) = request.get("donor") else {
        return match committed {
            None => Ok(None),
            Some(_) => Err(invalid(crate::said!(
                "donation.vault_missing",
                "the statement commits to a donor: send the donor's data and salt as {field} for the vault",
                field = "donor"
            ))),
        };
    };
    let Some(commitment) = committed else {
        return Err(invalid(crate::said!(
            "donation.vault_anonymous",
            "{field} is given but the statement has no donor commitment (body.donor)",
            field = "donor"
        )));
    };
    let Some(map) = donor.as_object() else {
        return Err(invalid(crate::said!(
            "donation.vault_shape",
            "{field} must be an object with data, salt and, if the donor agreed to be named, public_name",
            field = "donor"
        )));
    };
    if let Some(extra) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "data" | "salt" | "public_name"))
    {
        return Err(invalid(crate::said!(
            "donation.vault_member",
            "{field} is not part of the donor's data",
            field = format!("donor.{extra}")
        )));
    }
    let data = map.get("data").cloned().unwrap_or(Value::Null);
    if !data.is_object() {
        return Err(invalid(crate::said!(
            "donation.vault_data",
            "{field} must be an object (name, identity number, contact, …)",
            field = "donor.data"
        )));
    }
    if vitrine_ledger::jcs::canonicalize(&data).len() > MAX_DONOR_BYTES {
        return Err(invalid(crate::said!(
            "donation.vault_too_large",
            "{field} must be at most {max} bytes",
            field = "donor.data",
            max = MAX_DONOR_BYTES
        )));
    }
    let salt = map
        .get("salt")
        .and_then(Value::as_str)
        .and_then(|s| Salt::from_hex(s).ok())
        .ok_or_else(|| {
            invalid(crate::said!(
                "donation.vault_salt",
                "{field} must be 32 random bytes as 64 lowercase hexadecimal digits",
                field = "donor.salt"
            ))
        })?;
    let opened = donor_commitment(&data, &salt.0)
        .map_err(|e| invalid(e.to_string().into()))?
        .to_hex();
    if opened != commitment {
        return Err(invalid(crate::said!(
            "donation.vault_mismatch",
            "the donor's data and salt do not open the statement's commitment (body.donor): SHA-256(\"vitrine/donor/v1\\n\" || JCS(data) || salt) is {opened}",
            opened = opened
        )));
    }
    let named = body.get("named").and_then(Value::as_bool).unwrap_or(false);
    let public_name = match map.get("public_name") {
        None => None,
        Some(Value::String(name)) if named && (1..=200).contains(&name.chars().count()) => {
            Some(name.clone())
        }
        Some(_) if !named => {
            return Err(invalid(crate::said!(
                "donation.vault_unnamed",
                "{field} is given but the donor did not agree to be named (body.named is not true)",
                field = "donor.public_name"
            )));
        }
        Some(_) => {
            return Err(invalid(crate::said!(
                "donation.vault_name",
                "{field} must be 1 to 200 characters",
                field = "donor.public_name"
            )));
        }
    };
    Ok(Some(crate::db::vault::VaultEntry {
        commitment: commitment.to_owned(),
        charity: charity.to_owned(),
        fund: fund.to_owned(),
        data,
        salt: salt.0,
        public_name,
    }))
}

/// `POST /api/v1/funds/{id}/donations`: `{"statement": <signed donation.recorded>,
/// "donor": {"data": {…}, "salt": "<hex>", "public_name": "…"}}`. The caller is
/// authenticated before the body is read; the donor's data goes to the vault in the
/// transaction that logs the statement, so a donation recorded here never lacks its data
/// and a refused one leaves none behind. A process that does not sequence checks the request
/// and forwards it whole to the one that does.
pub(super) async fn record(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let fund_id = path.into_inner();
    let caller = state
        .tokens
        .require_to_act(Credentials::of(&request), true)
        .await?;
    charity_only(&caller)?;
    let charity = fund_charity(&state, &fund_id).await?;
    if charity != caller.organisation {
        return Err(AppError::forbidden(crate::said!(
            "donation.not_your_fund",
            "fund {fund} is {charity}'s: its donations are recorded by its own officers",
            fund = fund_id,
            charity = charity
        )));
    }
    let body = crate::routes::intake::read_body(&request, payload, MAX_DONATION_BYTES).await?;
    let value = vitrine_ledger::jcs::parse(&body)
        .map_err(|e| AppError::bad_request(ProblemType::InvalidJson, e.to_string()))?;
    crate::routes::intake::storable(&value).map_err(|e| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        ..e
    })?;
    let mut value = value;
    let Some(map) = value.as_object_mut() else {
        return Err(invalid(crate::said!(
            "donation.request_shape",
            "the request is {shape}",
            shape = "{\"statement\": signed donation.recorded, \"donor\": {…}}"
        )));
    };
    if let Some(extra) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "statement" | "donor"))
    {
        return Err(invalid(crate::said!(
            "donation.request_member",
            "{field} is not part of the request",
            field = extra.clone()
        )));
    }
    let statement_value = map.remove("statement").unwrap_or(Value::Null);
    let received = Timestamp::now().truncate_to_micros();
    let (signed, _) = crate::routes::statements::checked_value(&state, statement_value)?;
    let statement = signed.statement();
    if statement.kind() != "donation.recorded" || statement.subject() != fund_id {
        return Err(invalid(crate::said!(
            "donation.statement_kind",
            "the statement must be a donation.recorded whose subject is fund {fund}",
            fund = fund_id
        )));
    }
    let donor = donor_of(&value, statement.body(), &charity, &fund_id)?;
    if !state.sequencer.status.ready.load(Ordering::SeqCst) {
        if request.headers().contains_key(FORWARDED_HEADER) {
            return Err(AppError::unavailable(crate::said!(
                "log.not_sequencer",
                "this process is not the sequencer (any more); try again"
            )));
        }
        // The sequencing process does it all again, the vault with the log.
        return crate::routes::statements::forward(&state, &request, body).await;
    }
    let private = Private {
        author: None,
        donor: donor.clone(),
    };
    let (sequenced, appended) = state.sequencer.submit(signed, private, received).await?;
    if let (false, Some(donor)) = (appended, donor) {
        // Logged already (sent again): the data sent now is kept if none was.
        blocking(&state.pool, move |conn| {
            crate::db::vault::store(conn, &[&donor])?;
            Ok(())
        })
        .await?;
    }
    let receipt = sequenced.receipt();
    let seq = match sequenced.donation {
        Some(seq) => Some(seq as i64),
        None => {
            let index = receipt.index as i64;
            let id = fund_id.clone();
            blocking(&state.pool, move |conn| {
                Ok(queries::donation_at_entry(conn, &id, index)?.map(|d| d.seq))
            })
            .await?
        }
    };
    let status = if appended {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(json!({
        "fund": fund_id,
        "donation": seq,
        "receipt": receipt,
        "donor_receipt": seq.map(|s| format!("/api/v1/funds/{}/donations/{s}/receipt", fund_id)),
    })))
}

/// `GET /api/v1/funds/{id}/donations/{seq}/receipt`: the donor's receipt, a C2SP
/// tlog-proof whose extra data carries the entry and the opening of its commitment (while
/// the vault still holds it), for the charity's officers to give the donor.
pub(super) async fn receipt(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, seq) = path.into_inner();
    let seq: i64 = seq.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
        AppError::bad_request(
            ProblemType::InvalidIndex,
            crate::said!(
                "query.number",
                "{value} is not a number from 1",
                value = format!("{seq:?}")
            ),
        )
    })?;
    let credentials = Credentials::of(&request);
    let caller = blocking(&state.pool, move |conn| {
        charity_officer(conn, &credentials, false)
    })
    .await?;
    let (size, note) = crate::routes::log::current_checkpoint(&state).await?;
    let (text, file) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        if fund.charity != caller.organisation {
            return Err(AppError::forbidden(crate::said!(
                "donation.receipt_not_yours",
                "a donor's receipt is given by the fund's own charity, {charity}",
                charity = fund.charity
            )));
        }
        let donation = queries::donation(conn, &fund.id, seq)?.ok_or_else(|| {
            AppError::not_found(crate::said!(
                "donation.unknown",
                "fund {fund} has no donation {donation}",
                fund = fund.id,
                donation = seq
            ))
        })?;
        if donation.source_fund.is_some() {
            return Err(AppError::not_found(crate::said!(
                "donation.transfer_no_receipt",
                "donation {donation} is a transfer from another fund: its receipt is that disbursement's entry ({entry})",
                donation = seq,
                entry = donation.entry_idx
            )));
        }
        let receipt =
            crate::routes::log::receipt_of(conn, donation.entry_idx as u64, size, &note)?;
        let opening = match &donation.donor_commitment {
            // Only what this charity keeps: a commitment another charity's donor's data
            // opens is not this charity's to hand out.
            Some(c) => queries::vault_get(conn, c)?
                .filter(|v| v.charity_id == fund.charity)
                .and_then(|v| {
                let salt: [u8; 32] = v.salt?.try_into().ok()?;
                Some(DonorOpening {
                    donor: v.data?,
                    salt: Salt(salt),
                })
            }),
            None => None,
        };
        let receipt = DonorReceipt::from_receipt(&receipt, opening).map_err(AppError::internal)?;
        Ok((receipt.format(), format!("{}-donation-{seq}.tlog-proof", fund.id)))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}

/// `POST /api/v1/donors/{commitment}/erase`: erases a donor's personal data from the
/// vault (PIPL art. 47, GDPR art. 17), by the charity's administrator or a platform
/// administrator. The log, its proofs and every trace stay as they were: they carry only
/// the commitment.
pub(super) async fn erase(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let commitment = path.into_inner();
    let credentials = Credentials::of(&request);
    let erased_at = blocking(&state.pool, move |conn| {
        // Who asks first: a stranger learns nothing, not even what the path should be.
        let caller = auth::require_to_act(conn, &credentials, true)?;
        if Hash::from_hex(&commitment).is_err() {
            return Err(AppError::bad_request(
                ProblemType::InvalidQuery,
                crate::said!(
                    "donor.not_commitment",
                    "{value} is not a commitment (64 lowercase hexadecimal digits)",
                    value = format!("{commitment:?}")
                ),
            ));
        }
        let row = queries::vault_get(conn, &commitment)?;
        let allowed = |row: &queries::VaultRow| {
            caller.role == Role::PlatformAdmin
                || (caller.role == Role::OrganisationAdmin && caller.organisation == row.charity_id)
        };
        let Some(row) = row.filter(allowed) else {
            return Err(AppError::not_found(crate::said!(
                "donor.unknown",
                "your organisation's vault holds no donor data for commitment {commitment}",
                commitment = commitment
            )));
        };
        if row.erased_at.is_none() {
            queries::vault_erase(conn, &commitment)?;
            tracing::info!(charity = %row.charity_id, fund = %row.fund_id, "a donor's data was erased from the vault");
        }
        Ok(queries::vault_get(conn, &commitment)?.and_then(|r| r.erased_at))
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"erased_at": erased_at})))
}
