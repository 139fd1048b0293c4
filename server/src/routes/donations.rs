//! Donations as the charity records them, with the donor's data for the vault: the
//! statement (`donation.recorded`) goes to the log with only the commitment, the data and
//! salt to the vault (off the log, erasable); the donor's receipt (a C2SP tlog-proof with
//! the opening); and the erasure of a donor's data.

use crate::auth::{self, Credentials};
use crate::db::{blocking, funds as queries};
use crate::domain::Role;
use crate::domain::said::Said;
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
            "donations and disbursements are recorded by a charity's officers and administrators"
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

/// What a request's part for the vault is refused with, each way it can be wrong.
struct VaultRefusals {
    /// The statement carries a commitment and the request no part for it.
    missing: fn() -> Said,
    /// The request has the part and the statement no commitment.
    uncommitted: fn() -> Said,
    /// The part is not an object.
    shape: fn() -> Said,
    /// The part has this member, not its own.
    member: fn(String) -> Said,
    /// Its data and salt open this, not the commitment.
    mismatch: fn(String) -> Said,
}

/// A request's part for the vault, checked to open the statement's commitment.
struct VaultPart<'a> {
    members: &'a serde_json::Map<String, Value>,
    commitment: &'a str,
    data: Value,
    salt: Salt,
}

/// The request's part `member` for the vault (with only `members`), checked to open
/// `committed`, the statement's commitment: its members, the commitment, the data and the
/// salt; none when neither the request nor the statement has one.
fn vault_part<'a>(
    request: &'a Value,
    member: &str,
    committed: Option<&'a str>,
    members: &[&str],
    refusals: VaultRefusals,
) -> AppResult<Option<VaultPart<'a>>> {
    let Some(part) = request.get(member) else {
        return match committed {
            None => Ok(None),
            Some(_) => Err(invalid((refusals.missing)())),
        };
    };
    let Some(commitment) = committed else {
        return Err(invalid((refusals.uncommitted)()));
    };
    let Some(map) = part.as_object() else {
        return Err(invalid((refusals.shape)()));
    };
    if let Some(extra) = map.keys().find(|k| !members.contains(&k.as_str())) {
        return Err(invalid((refusals.member)(format!("{member}.{extra}"))));
    }
    let data = map.get("data").cloned().unwrap_or(Value::Null);
    if !data.is_object() {
        return Err(invalid(crate::said!(
            "donation.vault_data",
            "{field} must be an object (name, identity number, contact, …)",
            field = format!("{member}.data")
        )));
    }
    if vitrine_ledger::jcs::canonicalize(&data).len() > MAX_DONOR_BYTES {
        return Err(invalid(crate::said!(
            "donation.vault_too_large",
            "{field} must be at most {max} bytes",
            field = format!("{member}.data"),
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
                field = format!("{member}.salt")
            ))
        })?;
    let opened = donor_commitment(&data, &salt.0)
        .map_err(|e| invalid(e.to_string().into()))?
        .to_hex();
    if opened != commitment {
        return Err(invalid((refusals.mismatch)(opened)));
    }
    Ok(Some(VaultPart {
        members: map,
        commitment,
        data,
        salt,
    }))
}

/// What the donor's part of the request says, checked against the statement's body, for
/// the vault of `charity`'s `fund`.
fn donor_of(
    request: &Value,
    body: &Value,
    charity: &str,
    fund: &str,
) -> AppResult<Option<crate::db::vault::VaultEntry>> {
    let refusals = VaultRefusals {
        missing: || {
            crate::said!(
                "donation.vault_missing",
                "the statement commits to a donor: send the donor's data and salt as {field} for the vault",
                field = "donor"
            )
        },
        uncommitted: || {
            crate::said!(
                "donation.vault_anonymous",
                "{field} is given but the statement has no donor commitment (body.donor)",
                field = "donor"
            )
        },
        shape: || {
            crate::said!(
                "donation.vault_shape",
                "{field} must be an object with data, salt and, if the donor agreed to be named, public_name",
                field = "donor"
            )
        },
        member: |field| {
            crate::said!(
                "donation.vault_member",
                "{field} is not part of the donor's data",
                field = field
            )
        },
        mismatch: |opened| {
            crate::said!(
                "donation.vault_mismatch",
                "the donor's data and salt do not open the statement's commitment (body.donor): SHA-256(\"vitrine/donor/v1\\n\" || JCS(data) || salt) is {opened}",
                opened = opened
            )
        },
    };
    let committed = body.get("donor").and_then(Value::as_str);
    let members = ["data", "salt", "public_name"];
    let Some(VaultPart {
        members: map,
        commitment,
        data,
        salt,
    }) = vault_part(request, "donor", committed, &members, refusals)?
    else {
        return Ok(None);
    };
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

/// What the person's part of a proposal says, checked against the proposal's body, for
/// the vault of `charity`'s `fund`: required when the disbursement is to a person.
fn person_of(
    request: &Value,
    body: &Value,
    charity: &str,
    fund: &str,
) -> AppResult<Option<crate::db::vault::VaultEntry>> {
    let refusals = VaultRefusals {
        missing: || {
            crate::said!(
                "disbursement.vault_missing",
                "the disbursement is to a person: send their data and salt as {field} for the vault",
                field = "person"
            )
        },
        uncommitted: || {
            crate::said!(
                "disbursement.vault_not_person",
                "{field} is given but the disbursement is not to a person (body.recipient.person)",
                field = "person"
            )
        },
        shape: || {
            crate::said!(
                "disbursement.vault_shape",
                "{field} must be an object with data and salt",
                field = "person"
            )
        },
        member: |field| {
            crate::said!(
                "disbursement.vault_member",
                "{field} is not part of the person's data",
                field = field
            )
        },
        mismatch: |opened| {
            crate::said!(
                "disbursement.vault_mismatch",
                "the person's data and salt do not open the proposal's commitment (body.recipient.person): SHA-256(\"vitrine/donor/v1\\n\" || JCS(data) || salt) is {opened}",
                opened = opened
            )
        },
    };
    let committed = body
        .get("recipient")
        .and_then(|r| r.get("person"))
        .and_then(Value::as_str);
    let Some(VaultPart {
        commitment,
        data,
        salt,
        ..
    }) = vault_part(request, "person", committed, &["data", "salt"], refusals)?
    else {
        return Ok(None);
    };
    Ok(Some(crate::db::vault::VaultEntry {
        commitment: commitment.to_owned(),
        charity: charity.to_owned(),
        fund: fund.to_owned(),
        data,
        salt: salt.0,
        public_name: None,
    }))
}

/// What a request logs with data for the vault: a donation with its donor's, or a
/// disbursement proposed with the data of the person it is to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Vaulted {
    Donation,
    Proposal,
}

impl Vaulted {
    fn kind(self) -> &'static str {
        match self {
            Vaulted::Donation => "donation.recorded",
            Vaulted::Proposal => "disbursement.proposed",
        }
    }

    fn member(self) -> &'static str {
        match self {
            Vaulted::Donation => "donor",
            Vaulted::Proposal => "person",
        }
    }
}

/// Logs the statement of a request `{"statement": …, <member>: {…}}` about fund `fund_id`
/// with its data for the vault, in one transaction; the receipt's parts, whether it was
/// new, and the number it gave (the donation's, the disbursement's). The caller is
/// authenticated before the body is read. A process that does not sequence checks the
/// request and forwards it whole to the one that does.
async fn log_with_vault(
    state: &web::Data<AppState>,
    request: &HttpRequest,
    fund_id: &str,
    payload: web::Payload,
    what: Vaulted,
) -> AppResult<Result<(crate::log::sequencer::Sequenced, bool), HttpResponse>> {
    let caller = state
        .tokens
        .require_to_act(Credentials::of(request), true)
        .await?;
    charity_only(&caller)?;
    let charity = fund_charity(state, fund_id).await?;
    if charity != caller.organisation {
        return Err(AppError::forbidden(crate::said!(
            "donation.not_your_fund",
            "fund {fund} is {charity}'s: only its own officers record its donations and disbursements",
            fund = fund_id,
            charity = charity
        )));
    }
    let body = crate::routes::intake::read_body(request, payload, MAX_DONATION_BYTES).await?;
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
            shape = format!(
                "{{\"statement\": signed {}, \"{}\": {{…}}}}",
                what.kind(),
                what.member()
            )
        )));
    };
    if let Some(extra) = map
        .keys()
        .find(|k| *k != "statement" && *k != what.member())
    {
        return Err(invalid(crate::said!(
            "donation.request_member",
            "{field} is not part of the request",
            field = extra.clone()
        )));
    }
    let statement_value = map.remove("statement").unwrap_or(Value::Null);
    let received = Timestamp::now().truncate_to_micros();
    let (signed, _) = crate::routes::statements::checked_value(state, statement_value)?;
    let statement = signed.statement();
    if statement.kind() != what.kind() || statement.subject() != fund_id {
        return Err(invalid(crate::said!(
            "donation.statement_kind",
            "the statement must be a {kind} whose subject is fund {fund}",
            kind = what.kind(),
            fund = fund_id
        )));
    }
    let vault = match what {
        Vaulted::Donation => donor_of(&value, statement.body(), &charity, fund_id)?,
        Vaulted::Proposal => person_of(&value, statement.body(), &charity, fund_id)?,
    };
    if !state.sequencer.status.ready.load(Ordering::SeqCst) {
        if request.headers().contains_key(FORWARDED_HEADER) {
            return Err(AppError::unavailable(crate::said!(
                "log.not_sequencer",
                "this process is not the sequencer (any more); try again"
            )));
        }
        // The sequencing process does it all again, the vault with the log.
        return Ok(Err(crate::routes::statements::forward(
            state, request, body,
        )
        .await?));
    }
    let private = Private {
        author: None,
        vault: vault.clone(),
    };
    let (sequenced, appended) = state.sequencer.submit(signed, private, received).await?;
    if let (false, Some(vault)) = (appended, vault) {
        // Logged already (sent again): the data sent now is kept if none was.
        blocking(&state.pool, move |conn| {
            crate::db::vault::store(conn, &[&vault])?;
            Ok(())
        })
        .await?;
    }
    Ok(Ok((sequenced, appended)))
}

/// `POST /api/v1/funds/{id}/donations`: `{"statement": <signed donation.recorded>,
/// "donor": {"data": {…}, "salt": "<hex>", "public_name": "…"}}`. The donor's data goes
/// to the vault in the transaction that logs the statement, so a donation recorded here
/// never lacks its data and a refused one leaves none behind.
pub(super) async fn record(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    logged_with_vault(
        state,
        request,
        path.into_inner(),
        payload,
        Vaulted::Donation,
    )
    .await
}

/// `POST /api/v1/funds/{id}/disbursements`: `{"statement": <signed
/// disbursement.proposed>, "person": {"data": {…}, "salt": "<hex>"}}`, the person's data
/// (for a disbursement to a person, and only then) to the vault with the proposal, as a
/// donor's is with a donation: off the log, for the charity, erasable.
pub(super) async fn propose(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    logged_with_vault(
        state,
        request,
        path.into_inner(),
        payload,
        Vaulted::Proposal,
    )
    .await
}

/// Logs the request's statement with its data for the vault; answers the receipt and the
/// number the entry gave (201, or 200 when it was logged already), or what the sequencing
/// process answered.
async fn logged_with_vault(
    state: web::Data<AppState>,
    request: HttpRequest,
    fund_id: String,
    payload: web::Payload,
    what: Vaulted,
) -> AppResult<HttpResponse> {
    let (sequenced, appended) =
        match log_with_vault(&state, &request, &fund_id, payload, what).await? {
            Ok(logged) => logged,
            Err(forwarded) => return Ok(forwarded),
        };
    let receipt = sequenced.receipt();
    let seq = match sequenced.numbered {
        Some(seq) => Some(seq as i64),
        None => {
            // Logged already: read back what it numbered.
            let index = receipt.index as i64;
            let id = fund_id.clone();
            blocking(&state.pool, move |conn| {
                Ok(match what {
                    Vaulted::Donation => {
                        queries::donation_at_entry(conn, &id, index)?.map(|d| d.seq)
                    }
                    Vaulted::Proposal => queries::disbursement_proposed_by(conn, &id, index)?,
                })
            })
            .await?
        }
    };
    let status = if appended {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = match what {
        Vaulted::Donation => json!({
            "fund": fund_id,
            "donation": seq,
            "receipt": receipt,
            "donor_receipt": seq.map(|s| format!("/api/v1/funds/{fund_id}/donations/{s}/receipt")),
        }),
        Vaulted::Proposal => json!({
            "fund": fund_id,
            "disbursement": seq,
            "receipt": receipt,
        }),
    };
    Ok(HttpResponse::build(status).json(answer))
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
