//! Charity funds, read by anyone: the list, a fund with its disclosure calendar, its
//! donations and disbursements a page at a time, where a donation went and where a
//! disbursement's money came from (first in, first out, across funds), the ledger over
//! time, and the exports (CSV, and JSON with IATI transaction types).

use crate::db::funds::{self as queries, DonationRow, FundFilter, FundRow};
use crate::db::{DbPool, blocking};
use crate::domain::charity::fund::{DisbursementState, FundState, Recipient};
use crate::domain::charity::money::amount;
use crate::domain::charity::{calendar, unknown_disbursement, unknown_fund};
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// How many hops a trace follows money from fund to fund.
const MAX_HOPS: usize = 8;

/// How many parts of a donation a trace shows, across every fund it reaches.
pub const MAX_PARTS: usize = 500;

/// `{"amount": "12.50", "currency": "CNY"}` of `units`.
pub fn money(units: i64, currency: &str) -> Value {
    json!({"amount": amount(units), "currency": currency})
}

fn bad_query(said: crate::domain::said::Said) -> AppError {
    AppError::bad_request(ProblemType::InvalidQuery, said)
}

fn limit(given: Option<i64>, default: i64, max: i64) -> AppResult<i64> {
    let limit = given.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(bad_query(crate::said!(
            "query.limit",
            "limit must be from 1 to {max}",
            max = max
        )))
    }
}

/// A fund as the listing shows it.
pub fn fund_row_json(row: &FundRow) -> Value {
    json!({
        "id": row.id,
        "charity": row.charity_id,
        "kind": row.kind,
        "status": row.status,
        "purpose": row.purpose,
        "target": money(row.target, &row.currency),
        "balance": money(row.balance, &row.currency),
        "received": money(row.received, &row.currency),
        "disbursed": money(row.disbursed, &row.currency),
        "donations": row.donations,
        "disbursements": row.disbursements,
        "start": row.start,
        "end": row.end,
        "opened_idx": row.opened_idx,
    })
}

/// A fund, with what it owes of its disclosures as of now.
pub fn fund_json(fund: &FundState) -> Value {
    let c = &fund.currency;
    json!({
        "id": fund.id,
        "charity": fund.charity,
        "kind": fund.kind.as_str(),
        "status": fund.status.as_str(),
        "purpose": fund.purpose,
        "currency": c,
        "target": money(fund.target, c),
        "balance": money(fund.balance, c),
        "received": money(fund.received, c),
        "disbursed": money(fund.disbursed, c),
        "donations": fund.donations,
        "disbursements": fund.disbursements,
        "start": fund.start,
        "end": fund.end,
        "policy": {
            "officers": fund.policy.officers,
            "approvals": fund.policy.approvals,
            "above": fund.policy.above.as_ref().map(|t| json!({"amount": money(t.amount, c), "approvals": t.approvals})),
        },
        "disclosures": fund.disclosures,
        "disclosure_calendar": calendar(fund, chrono::Utc::now()),
        "opened_idx": fund.opened_idx,
        "opened_at": fund.opened_at,
        "updated_idx": fund.updated_idx,
        "closed": fund.closed,
    })
}

/// A donation: the donor only as a commitment, and their name if they agreed to it.
pub fn donation_json(row: &DonationRow, currency: &str) -> Value {
    json!({
        "fund": row.fund_id,
        "seq": row.seq,
        "entry": row.entry_idx,
        "logged_at": row.logged_at,
        "amount": money(row.amount, currency),
        "remaining": money(row.remaining, currency),
        "channel": row.channel,
        "reference": row.reference,
        "received_at": row.received_at,
        "donor_commitment": row.donor_commitment,
        "named": row.named,
        "donor_name": row.public_name,
        "source": row.source_fund.as_ref().map(|f| json!({"fund": f, "disbursement": row.source_disbursement})),
    })
}

/// A disbursement, with its approvals, evidence, execution and acknowledgement.
pub fn disbursement_json(d: &DisbursementState, currency: &str, revoked: &Revoked) -> Value {
    let recipient = match &d.recipient {
        Recipient::Organisation { id } => json!({"organisation": id}),
        Recipient::Fund { id } => json!({"fund": id}),
        Recipient::Person { commitment, key } => json!({"person": commitment, "key": key}),
    };
    let mut view = json!({
        "fund": d.fund,
        "seq": d.seq,
        "amount": money(d.amount, currency),
        "recipient": recipient,
        "purpose": d.purpose,
        "evidence": d.evidence,
        "required_approvals": d.required,
        "approvals": d.approvals,
        "status": d.status.as_str(),
        "proposed_idx": d.proposed_idx,
        "proposed_at": d.proposed_at,
        "executed": d.executed,
        "acknowledged": d.acknowledged,
    });
    if d.executed.is_none() {
        // Until it is paid, an approval counts while its officer's key is active: the
        // execution checks that again, so the reader is told before trying.
        let mut active = 0;
        for (shown, approval) in view["approvals"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .zip(&d.approvals)
        {
            if revoked.0.contains(&approval.key) {
                shown["revoked"] = json!(true);
            } else {
                active += 1;
            }
        }
        view["approvals_active"] = json!(active);
        view["payable"] = json!(active >= d.required);
    }
    view
}

/// The approvers' keys revoked since, of disbursements not yet paid (whose approvals
/// count only while their keys are active).
#[derive(Debug, Default)]
pub struct Revoked(std::collections::HashSet<String>);

impl Revoked {
    /// Which keys approving `disbursements` (those not paid) have been revoked.
    pub fn of<'a>(
        conn: &mut diesel::PgConnection,
        disbursements: impl IntoIterator<Item = &'a DisbursementState>,
    ) -> diesel::QueryResult<Revoked> {
        let mut keys: Vec<String> = disbursements
            .into_iter()
            .filter(|d| d.executed.is_none())
            .flat_map(|d| d.approvals.iter().map(|a| a.key.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        Ok(Revoked(
            queries::revoked_keys(conn, &keys)?.into_iter().collect(),
        ))
    }
}

#[derive(Deserialize)]
pub(super) struct FundQuery {
    charity: Option<String>,
    status: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// Funds, newest first, by charity and status, a page at a time.
pub(super) async fn list(
    state: web::Data<AppState>,
    query: web::Query<FundQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let limit = limit(query.limit, 50, 500)?;
    if let Some(status) = &query.status
        && !matches!(status.as_str(), "open" | "closed")
    {
        return Err(bad_query(crate::said!(
            "query.fund_status",
            "status {value} is not a fund's status (open, closed)",
            value = format!("{status:?}")
        )));
    }
    let rows = blocking(&state.pool, move |conn| {
        let filter = FundFilter {
            charity: query.charity,
            status: query.status,
            before: query.before,
        };
        Ok(queries::list(conn, &filter, limit)?)
    })
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.opened_idx))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({
        "funds": rows.iter().map(fund_row_json).collect::<Vec<_>>(),
        "next_before": next,
    })))
}

/// The fund `id`, or 404.
pub fn load_fund(conn: &mut diesel::PgConnection, id: &str) -> AppResult<FundState> {
    queries::get(conn, id)?.ok_or_else(|| AppError::not_found(unknown_fund(id)))
}

/// A fund: its state, its disclosure calendar, and its money in by channel and out by
/// recipient.
pub(super) async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (fund, channels, recipients) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let channels = queries::channel_totals(conn, &id)?;
        let recipients = queries::recipient_totals(conn, &id)?;
        Ok((fund, channels, recipients))
    })
    .await?;
    let c = fund.currency.clone();
    let mut body = fund_json(&fund);
    body["money_in"] = channels
        .iter()
        .map(|t| json!({"channel": t.channel, "fund": t.source_fund, "amount": money(t.amount, &c), "donations": t.count}))
        .collect();
    body["money_out"] = recipients
        .iter()
        .map(|t| json!({"recipient_kind": t.recipient_kind, "recipient": t.recipient, "amount": money(t.amount, &c), "disbursements": t.count}))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct DonationsQuery {
    after: Option<i64>,
    limit: Option<i64>,
    /// The donation logged by this entry (a donor's receipt names its entry).
    entry: Option<i64>,
}

/// A fund's donations, oldest first, a page at a time (`after` the last one's number); or
/// the one logged by `entry`.
pub(super) async fn donations(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DonationsQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let limit = limit(query.limit, 100, 1000)?;
    let after = query.after.unwrap_or(0).max(0);
    let entry = query.entry;
    let (fund, rows) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let rows = match entry {
            Some(entry) => queries::donation_at_entry(conn, &id, entry)?
                .into_iter()
                .collect(),
            None => queries::donations(conn, &id, after, limit)?,
        };
        Ok((fund, rows))
    })
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({
        "donations": rows.iter().map(|r| donation_json(r, &fund.currency)).collect::<Vec<_>>(),
        "next_after": next,
    })))
}

/// A fund's disbursements, in the order proposed, a page at a time.
pub(super) async fn disbursements(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let limit = limit(query.limit, 100, 1000)?;
    let after = query.after.unwrap_or(0).clamp(0, i32::MAX as i64) as i32;
    let (fund, rows, revoked) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let rows = queries::disbursements(conn, &id, after, limit)?;
        let revoked = Revoked::of(conn, &rows)?;
        Ok((fund, rows, revoked))
    })
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({
        "disbursements": rows.iter().map(|d| disbursement_json(d, &fund.currency, &revoked)).collect::<Vec<_>>(),
        "next_after": next,
    })))
}

/// A donation's or disbursement's number in a path.
fn number(text: &str, what: &str) -> AppResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|n| (1..=i32::MAX as i64).contains(n) || (what == "donation" && *n >= 1))
        .ok_or_else(|| {
            AppError::bad_request(
                ProblemType::InvalidIndex,
                crate::said!(
                    "query.number",
                    "{value} is not a number from 1",
                    value = format!("{text:?}")
                ),
            )
        })
}

/// Where donation `seq` of `fund` went: the disbursements that took from it, how much
/// each, with their evidence and acknowledgements; and, for a disbursement to another
/// fund, where that donation went in turn (up to [`MAX_HOPS`] funds on). The parts come
/// in the order the disbursements were executed, those of this donation after the one
/// executed by entry `after`, at most `budget` parts in all across funds: past them,
/// `more` says so and `next_after` names the entry to go on after, for this donation (a
/// disbursement executes in one entry, so no two parts of a donation share one).
pub fn trace_donation(
    conn: &mut diesel::PgConnection,
    fund: &FundState,
    seq: i64,
    after: i64,
    hops: usize,
    budget: &mut usize,
) -> AppResult<Value> {
    let donation = queries::donation(conn, &fund.id, seq)?.ok_or_else(|| {
        AppError::not_found(crate::said!(
            "donation.unknown",
            "fund {fund} has no donation {donation}",
            fund = fund.id,
            donation = seq
        ))
    })?;
    let allocations =
        queries::allocations_of_donation(conn, &fund.id, seq, after, *budget as i64 + 1)?;
    let more = allocations.len() > *budget;
    let allocations = &allocations[..allocations.len().min(*budget)];
    *budget -= allocations.len();
    let next_after = more.then(|| allocations.last().map_or(after, |a| a.entry_idx));
    let numbers: Vec<i32> = allocations.iter().map(|a| a.disbursement_seq).collect();
    let disbursements: std::collections::HashMap<i32, DisbursementState> =
        queries::disbursements_numbered(conn, &fund.id, &numbers)?
            .into_iter()
            .map(|d| (d.seq as i32, d))
            .collect();
    let revoked = Revoked::of(conn, disbursements.values())?;
    let mut went_to = Vec::with_capacity(allocations.len());
    for allocation in allocations {
        let Some(d) = disbursements.get(&allocation.disbursement_seq) else {
            continue;
        };
        let mut part = json!({
            "amount": money(allocation.amount, &fund.currency),
            "entry": allocation.entry_idx,
            "disbursement": disbursement_json(d, &fund.currency, &revoked),
        });
        if let (Recipient::Fund { id }, Some(execution)) = (&d.recipient, &d.executed)
            && let Some(there) = execution.donation
        {
            part["continues"] = match queries::get(conn, id)? {
                Some(other) if hops < MAX_HOPS && *budget > 0 => {
                    trace_donation(conn, &other, there as i64, 0, hops + 1, budget)?
                }
                _ => json!({"fund": id, "donation": there, "more": true}),
            };
        }
        went_to.push(part);
    }
    Ok(json!({
        "fund": fund.id,
        "donation": donation_json(&donation, &fund.currency),
        "went_to": went_to,
        "more": more,
        "next_after": next_after,
        "not_yet_spent": money(donation.remaining, &fund.currency),
    }))
}

/// Where a donation went (`after` the entry of the last part shown, at most `limit` parts).
pub(super) async fn donation(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, seq) = path.into_inner();
    let seq = number(&seq, "donation")?;
    let mut budget = limit(query.limit, MAX_PARTS as i64, MAX_PARTS as i64)? as usize;
    let after = query.after.unwrap_or(0).max(0);
    let trace = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        trace_donation(conn, &fund, seq, after, 0, &mut budget)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trace))
}

/// Where disbursement `seq` of `fund` took its money from: the donations, oldest first,
/// and how much of each (a page of them, `after` a donation's number); a donation that
/// is a transfer names the fund and disbursement it came from.
pub fn trace_disbursement(
    conn: &mut diesel::PgConnection,
    fund: &FundState,
    seq: i32,
    after: i64,
    limit: i64,
) -> AppResult<Value> {
    let d = queries::disbursement(conn, &fund.id, seq)?
        .ok_or_else(|| AppError::not_found(unknown_disbursement(&fund.id, seq as u32)))?;
    let allocations = queries::allocations_of_disbursement(conn, &fund.id, seq, after, limit)?;
    let revoked = Revoked::of(conn, [&d])?;
    let numbers: Vec<i64> = allocations.iter().map(|a| a.donation_seq).collect();
    let donations = queries::donations_numbered(conn, &fund.id, &numbers)?;
    let came_from: Vec<Value> = allocations
        .iter()
        .zip(&donations)
        .map(|(a, donation)| {
            json!({
                "amount": money(a.amount, &fund.currency),
                "donation": donation_json(donation, &fund.currency),
            })
        })
        .collect();
    let next = (allocations.len() as i64 == limit)
        .then(|| allocations.last().map(|a| a.donation_seq))
        .flatten();
    Ok(json!({
        "fund": fund.id,
        "disbursement": disbursement_json(&d, &fund.currency, &revoked),
        "came_from": came_from,
        "next_after": next,
    }))
}

/// Where a disbursement's money came from.
pub(super) async fn disbursement(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, seq) = path.into_inner();
    let seq = number(&seq, "disbursement")? as i32;
    let limit = limit(query.limit, 500, 5000)?;
    let after = query.after.unwrap_or(0).max(0);
    let trace = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        trace_disbursement(conn, &fund, seq, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trace))
}

/// A fund's money in and out and its balance, by day, oldest first.
pub(super) async fn ledger(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (fund, rows) = blocking(&state.pool, move |conn| {
        let fund = load_fund(conn, &id)?;
        let rows = queries::ledger(conn, &id)?;
        Ok((fund, rows))
    })
    .await?;
    let c = &fund.currency;
    Ok(HttpResponse::Ok().json(json!({
        "fund": fund.id,
        "currency": c,
        "ledger": rows.iter().map(|r| json!({
            "period": r.period,
            "in": money(r.money_in, c),
            "out": money(r.money_out, c),
            "donations": r.donations,
            "disbursements": r.disbursements,
            "balance": money(r.balance, c),
        })).collect::<Vec<_>>(),
    })))
}

/// IATI's transaction type codes (https://iatistandard.org/en/iati-standard/203/codelists/transactiontype/):
/// money in is `1` (Incoming Funds), money paid out is `3` (Disbursement).
fn iati(direction: &str) -> Value {
    match direction {
        "in" => json!({"code": "1", "name": "Incoming Funds"}),
        _ => json!({"code": "3", "name": "Disbursement"}),
    }
}

/// The IATI activity identifier of a fund on this platform.
fn activity(public_url: &str, fund: &str) -> String {
    format!("{public_url}/funds/{fund}")
}

fn export_json_line(row: &queries::ExportRow, fund: &FundState, public_url: &str) -> Value {
    let mut t = json!({
        "transaction_type": iati(&row.direction),
        "entry": row.entry_idx,
        "date": row.logged_at,
        "value": money(row.amount, &fund.currency),
        "seq": row.seq,
    });
    if row.direction == "in" {
        t["channel"] = json!(row.channel);
        t["reference"] = json!(row.reference);
        t["donor_commitment"] = json!(row.donor_commitment);
        t["donor_name"] = json!(row.public_name);
        if let Some(source) = &row.source_fund {
            t["provider_org"] = json!({"provider_activity_id": activity(public_url, source), "ref": source, "disbursement": row.source_disbursement});
        }
        t["receiver_org"] =
            json!({"receiver_activity_id": activity(public_url, &fund.id), "ref": fund.charity});
    } else {
        t["provider_org"] =
            json!({"provider_activity_id": activity(public_url, &fund.id), "ref": fund.charity});
        let mut receiver = json!({"kind": row.recipient_kind, "ref": row.recipient});
        if row.recipient_kind.as_deref() == Some("fund")
            && let Some(other) = &row.recipient
        {
            receiver["receiver_activity_id"] = json!(activity(public_url, other));
        }
        t["receiver_org"] = receiver;
        t["description"] = row.purpose.clone().unwrap_or(Value::Null);
        t["evidence"] = json!(row.evidence_count);
        t["acknowledged"] = json!(row.acknowledged);
    }
    t
}

fn csv_field(text: &str) -> String {
    // A leading =, +, - or @ would be read as a formula by a spreadsheet.
    let guarded = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The CSV export's header.
pub const CSV_HEADER: &str = "entry,date,transaction_type,iati_code,seq,amount,currency,channel,reference,donor_commitment,donor_name,counterparty_kind,counterparty,purpose_zh,purpose_en,evidence,acknowledged\n";

fn export_csv_line(row: &queries::ExportRow, fund: &FundState) -> String {
    let (kind, name) = if row.direction == "in" {
        ("incoming", "1")
    } else {
        ("disbursement", "3")
    };
    let (counterparty_kind, counterparty) = if row.direction == "in" {
        match &row.source_fund {
            Some(f) => ("fund".to_owned(), f.clone()),
            None => (String::new(), String::new()),
        }
    } else {
        (
            row.recipient_kind.clone().unwrap_or_default(),
            row.recipient.clone().unwrap_or_default(),
        )
    };
    let purpose = |l: &str| {
        row.purpose
            .as_ref()
            .and_then(|p| p[l].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let fields = [
        row.entry_idx.to_string(),
        row.logged_at.clone(),
        kind.to_owned(),
        name.to_owned(),
        row.seq.to_string(),
        amount(row.amount),
        fund.currency.clone(),
        row.channel.clone().unwrap_or_default(),
        row.reference.clone().unwrap_or_default(),
        row.donor_commitment.clone().unwrap_or_default(),
        row.public_name.clone().unwrap_or_default(),
        counterparty_kind,
        counterparty,
        purpose("zh"),
        purpose("en"),
        row.evidence_count
            .map(|n| n.to_string())
            .unwrap_or_default(),
        row.acknowledged.map(|a| a.to_string()).unwrap_or_default(),
    ];
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// Every transaction of the fund in log order, streamed a page at a time.
fn export_pages(
    pool: DbPool,
    fund: FundState,
    public_url: String,
    format: Format,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    const PAGE: i64 = 5_000;
    // (the entry after which the next page starts, whether one was written, done)
    futures_util::stream::unfold(Some((-1i64, false)), move |cursor| {
        let pool = pool.clone();
        let fund = fund.clone();
        let public_url = public_url.clone();
        async move {
            let (after, written) = cursor?;
            let id = fund.id.clone();
            let page = blocking(&pool, move |conn| {
                Ok(queries::export(conn, &id, after, PAGE)?)
            })
            .await;
            match page {
                Ok(rows) if rows.is_empty() => {
                    let end = if format == Format::Json { "]}\n" } else { "" };
                    Some((Ok(web::Bytes::from(end)), None))
                }
                Ok(rows) => {
                    let last = rows.last().map(|r| r.entry_idx).unwrap_or(after);
                    let mut out = String::with_capacity(rows.len() * 256);
                    for (i, row) in rows.iter().enumerate() {
                        match format {
                            Format::Json => {
                                if written || i > 0 {
                                    out.push(',');
                                }
                                out.push_str(
                                    &export_json_line(row, &fund, &public_url).to_string(),
                                );
                                out.push('\n');
                            }
                            Format::Csv => out.push_str(&export_csv_line(row, &fund)),
                        }
                    }
                    Some((Ok(web::Bytes::from(out)), Some((last, true))))
                }
                Err(e) => {
                    tracing::error!(error = %e.detail, "a fund's export stopped");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError(e.detail)),
                        None,
                    ))
                }
            }
        }
    })
}

/// `GET /api/v1/funds/{id}/export.json`.
pub(super) async fn export_json(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    export(state, path.into_inner(), Format::Json).await
}

/// `GET /api/v1/funds/{id}/export.csv`.
pub(super) async fn export_csv(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    export(state, path.into_inner(), Format::Csv).await
}

/// A fund's export, streamed.
async fn export(state: web::Data<AppState>, id: String, format: Format) -> AppResult<HttpResponse> {
    let fund = blocking(&state.pool, move |conn| load_fund(conn, &id)).await?;
    let (content_type, head) = match format {
        Format::Json => {
            let mut head = json!({
                "fund": fund_json(&fund),
                "iati_activity_id": activity(&state.public_url, &fund.id),
                "note": "transaction_type is IATI's TransactionType codelist: 1 Incoming Funds (donations and transfers in), 3 Disbursement (executed disbursements). Amounts are decimal strings.",
            })
            .to_string();
            // The object stays open for the transactions.
            head.pop();
            head.push_str(",\"transactions\":[\n");
            ("application/json", head)
        }
        Format::Csv => ("text/csv; charset=utf-8", CSV_HEADER.to_owned()),
    };
    let name = format!(
        "attachment; filename=\"{}-{}\"",
        fund.id,
        if format == Format::Json {
            "transactions.json"
        } else {
            "transactions.csv"
        }
    );
    let body =
        futures_util::stream::once(
            async move { Ok::<_, actix_web::Error>(web::Bytes::from(head)) },
        )
        .chain(export_pages(
            state.pool.clone(),
            fund,
            state.public_url.clone(),
            format,
        ));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CONTENT_DISPOSITION, name))
        .streaming(body))
}

use futures_util::StreamExt as _;
