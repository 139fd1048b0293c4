//! What the charity kinds check again and again: the fund a statement names, who may sign
//! for it, its disbursements, and the body's common fields.

use super::fund::{DisbursementState, FundChange, FundState, FundStatus};
use super::money;
use crate::domain::rules::{Context, Effect, Refusal, Signer, State, StateKey, text};
use crate::domain::said::Said;
use crate::domain::types::Role;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use vitrine_ledger::bid::Money;
use vitrine_ledger::statement::Statement;
use vitrine_ledger::time::Timestamp;

/// That there is no fund `id`.
pub fn unknown_fund(id: &str) -> Said {
    crate::said!("fund.unknown", "fund {fund} does not exist", fund = id)
}

/// The fund the statement names as its subject.
pub(super) fn fund<'s>(
    state: &'s State<'_>,
    statement: &Statement,
) -> Result<&'s FundState, Refusal> {
    state
        .charity
        .get(statement.subject())
        .ok_or_else(|| Refusal::NotFound(unknown_fund(statement.subject())))
}

/// The fund, which must still be open.
pub(super) fn open_fund<'s>(
    state: &'s State<'_>,
    statement: &Statement,
) -> Result<&'s FundState, Refusal> {
    let fund = fund(state, statement)?;
    if fund.status == FundStatus::Closed {
        return Err(Refusal::Conflict(closed(&fund.id)));
    }
    Ok(fund)
}

/// That fund `id` is closed.
pub(super) fn closed(id: &str) -> Said {
    crate::said!(
        "fund.closed",
        "fund {fund} is closed: nothing but its disclosures may follow",
        fund = id
    )
}

/// A key of the fund's charity that may act for it: an officer or its administrator.
pub(super) fn charity_officer(signers: &[Signer], fund: &FundState) -> Result<(), Refusal> {
    if signers.iter().any(|s| {
        s.organisation == fund.charity
            && matches!(s.role, Role::ProcurementOfficer | Role::OrganisationAdmin)
    }) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(crate::said!(
            "signer.charity_officer",
            "needs a signature by an officer of {charity}, the fund's charity",
            charity = fund.charity
        )))
    }
}

/// The signers, every one of them an officer the fund's policy names (an approval counts
/// only an officer's key, once).
pub(super) fn policy_officers(
    signers: &[Signer],
    fund: &FundState,
) -> Result<Vec<String>, Refusal> {
    if signers.is_empty() {
        return Err(Refusal::Forbidden(crate::said!(
            "signer.fund_officer",
            "needs a signature by an officer that fund {fund}'s policy names",
            fund = fund.id
        )));
    }
    let mut keys: Vec<String> = Vec::with_capacity(signers.len());
    for signer in signers {
        let key = BASE64.encode(signer.public_key);
        if !fund.policy.names(&key) {
            return Err(Refusal::Forbidden(crate::said!(
                "signer.not_fund_officer",
                "key {key} is not one of the officers that fund {fund}'s policy names",
                key = key,
                fund = fund.id
            )));
        }
        if keys.contains(&key) {
            return Err(Refusal::Forbidden(crate::said!(
                "signer.repeated",
                "key {key} signs twice: each officer counts once",
                key = key
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// Disbursement `body.disbursement` of the fund.
pub(super) fn named_disbursement<'s>(
    state: &'s State<'_>,
    fund: &FundState,
    body: &Value,
) -> Result<&'s DisbursementState, Refusal> {
    let seq = disbursement_number(body).map_err(Refusal::Invalid)?;
    state
        .charity
        .disbursement(&fund.id, seq)
        .ok_or_else(|| Refusal::NotFound(unknown_disbursement(&fund.id, seq)))
}

/// That fund `fund` has no disbursement `seq`.
pub fn unknown_disbursement(fund: &str, seq: u32) -> Said {
    crate::said!(
        "disbursement.unknown",
        "fund {fund} has no disbursement {disbursement}",
        fund = fund,
        disbursement = seq
    )
}

/// `body.disbursement`: a disbursement's number, from 1.
pub(super) fn disbursement_number(body: &Value) -> Result<u32, Said> {
    body.get("disbursement")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            crate::said!(
                "body.not_number",
                "{field} must be a whole number from 1",
                field = "body.disbursement"
            )
        })
}

/// `body.{field}`: money of more than zero, within what a fund may hold: (money, units).
pub(super) fn positive_money(body: &Value, field: &str) -> Result<(Money, i64), Said> {
    let money = crate::domain::rules::money(body, field)?;
    match money::units(&money) {
        Some(0) => Err(crate::said!(
            "body.zero",
            "{field} must be more than zero",
            field = format!("body.{field}")
        )),
        Some(units) => Ok((money, units)),
        None => Err(crate::said!(
            "body.too_much",
            "{field} must be at most {max}",
            field = format!("body.{field}"),
            max = money::amount(money::MAX_UNITS)
        )),
    }
}

/// That the money is in the fund's currency.
pub(super) fn in_currency(fund: &FundState, money: &Money) -> Result<(), Refusal> {
    if money.currency == fund.currency {
        Ok(())
    } else {
        Err(Refusal::Conflict(crate::said!(
            "fund.currency",
            "fund {fund} counts in {fund_currency}, not {currency}",
            fund = fund.id,
            fund_currency = fund.currency,
            currency = money.currency
        )))
    }
}

/// `body.{field}`: an RFC 3339 time.
pub(super) fn time(body: &Value, field: &str) -> Result<Timestamp, Said> {
    let text = text(body, field).map_err(|_| {
        crate::said!(
            "body.not_time",
            "{field} must be an RFC 3339 time",
            field = format!("body.{field}")
        )
    })?;
    Timestamp::parse(text).map_err(|e| {
        crate::said!(
            "body.invalid",
            "{field}: {why}",
            field = format!("body.{field}"),
            why = e
        )
    })
}

/// `body.{field}`, if present: a boolean.
pub(super) fn flag(body: &Value, field: &str) -> Result<bool, Said> {
    match body.get(field) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(crate::said!(
            "body.not_boolean",
            "{field} must be true or false",
            field = format!("body.{field}")
        )),
    }
}

/// The fund's change made by the entry `ctx` describes.
pub(super) fn change(ctx: &Context, fund: &str, change: FundChange) -> Effect {
    Effect::Fund {
        id: fund.to_owned(),
        index: ctx.index,
        at: ctx.logged_at,
        change: Box::new(change),
    }
}

/// The state every charity statement needs: its fund, which is its subject.
pub(super) fn fund_of(statement: &Statement) -> Vec<StateKey> {
    vec![StateKey::Fund(statement.subject().to_owned())]
}

/// The fund and the disbursement the statement names (a hint, read cheaply: the body is
/// checked at intake and in `decide`).
pub(super) fn fund_and_disbursement(statement: &Statement) -> Vec<StateKey> {
    let mut keys = fund_of(statement);
    if let Ok(seq) = disbursement_number(statement.body()) {
        keys.push(StateKey::Disbursement(statement.subject().to_owned(), seq));
    }
    keys
}
