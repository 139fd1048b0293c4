//! The contract both parties sign after the standstill, and its payments.

use super::prelude::*;
use crate::domain::said::Said;

/// `contract.signed`: after the standstill, both parties sign the contract.
pub struct ContractSigned;

impl Kind for ContractSigned {
    fn name(&self) -> &'static str {
        "contract.signed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The contract, after the standstill with no complaint open. Signed by the buyer's officer and the supplier; the document uploaded first.",
            &["award", "value", "document_sha256"],
            json!({"award": shape::text(64, "The award's id, e.g. award-1"), "value": shape::money(), "document_sha256": shape::hex_hash("SHA-256 of the signed contract")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        ContractSignedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        // A hint of what to fetch, read cheaply: the body is checked at intake and in
        // `decide`, not here.
        let document = &statement.body()["document_sha256"];
        tender_and(statement, &document_hashes(document))
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let tender = open_tender(state, statement)?;
        buyer_officer(signers, tender)?;
        let body = ContractSignedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let award_id = body.award;
        let award = tender
            .awards
            .iter()
            .find(|a| a.id == award_id)
            .ok_or_else(|| {
                Refusal::NotFound(crate::said!(
                    "award.unknown",
                    "tender {tender} has no award {award}",
                    tender = tender.id,
                    award = award_id,
                ))
            })?;
        if !signers.iter().any(|s| {
            s.organisation == award.supplier
                && matches!(s.role, Role::BidderRepresentative | Role::OrganisationAdmin)
        }) {
            return Err(Refusal::Forbidden(crate::said!(
                "contract.needs_supplier",
                "a contract is signed by both parties: it needs a signature by {supplier}, the supplier",
                supplier = award.supplier,
            )));
        }
        if award.status != "pending" {
            return Err(Refusal::Conflict(crate::said!(
                "contract.award_not_pending",
                "award {award} is {award_status}",
                award = award_id,
                award_status = award.status,
            )));
        }
        let standstill_end = Timestamp::parse(&award.standstill_end)
            .map_err(|e| Refusal::Invalid(e.to_string().into()))?;
        if ctx.logged_at < standstill_end {
            return Err(Refusal::Conflict(crate::said!(
                "contract.in_standstill",
                "the standstill period of award {award} ends at {standstill_end}: the contract can be signed after it",
                award = award_id,
                standstill_end = standstill_end,
            )));
        }
        if let Some(open) = tender
            .complaints
            .iter()
            .find(|c| c.award == award.id && c.is_open())
        {
            return Err(Refusal::Conflict(crate::said!(
                "contract.complaint_open",
                "complaint {complaint} against award {award} is {complaint_status}: the contract waits for the supervisor's decision",
                complaint = open.id,
                award = award_id,
                complaint_status = open.status,
            )));
        }
        let value = &body.value;
        let awarded = Money::from_value(&award.value).map_err(|e| Refusal::Invalid(e.into()))?;
        if value.currency != awarded.currency || minor_units(value) > minor_units(&awarded) {
            return Err(Refusal::Conflict(crate::said!(
                "contract.over_award",
                "the contract's value {amount} {currency} exceeds the award's {award_amount} {award_currency}",
                amount = value.amount,
                currency = value.currency,
                award_amount = awarded.amount,
                award_currency = awarded.currency,
            )));
        }
        uploaded(state, &[body.document.0], "the contract", signers)?;
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Contracted(ContractState {
                id: format!("contract-{}", tender.contracts.len() + 1),
                award: award.id.clone(),
                supplier: award.supplier.clone(),
                value: money_value(value),
                document_sha256: body.document.to_hex(),
                signed_idx: ctx.index,
                date_signed: ctx.logged_at.to_string(),
                payments: Vec::new(),
            }),
        ))
    }
}

/// The body of a `contract.signed`.
struct ContractSignedBody<'a> {
    /// The award's id, e.g. `award-1`.
    award: &'a str,
    /// The contract's value.
    value: Money,
    /// SHA-256 of the signed contract (`document_sha256`).
    document: Hash,
}

impl<'a> ContractSignedBody<'a> {
    /// Checks the body of a `contract.signed` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["award", "value", "document_sha256"])?;
        Ok(ContractSignedBody {
            award: bounded_text(body, "award", 64)?,
            value: money(body, "value")?,
            document: hash(body, "document_sha256")?,
        })
    }
}

/// `payment.recorded`: the buyer records a payment under a contract.
pub struct PaymentRecorded;

impl Kind for PaymentRecorded {
    fn name(&self) -> &'static str {
        "payment.recorded"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A payment under the contract, never beyond its value. Signed by the buyer's officer.",
            &["contract", "amount", "reference"],
            json!({"contract": shape::text(64, "The contract's id"), "amount": shape::money(), "reference": shape::text(200, "The buyer's reference, e.g. an invoice number")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        PaymentRecordedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_of(statement)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let tender = open_tender(state, statement)?;
        buyer_officer(signers, tender)?;
        let body = PaymentRecordedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let id = body.contract;
        let contract = tender
            .contracts
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                Refusal::NotFound(crate::said!(
                    "contract.unknown",
                    "tender {tender} has no contract {contract}",
                    tender = tender.id,
                    contract = id,
                ))
            })?;
        let amount = &body.amount;
        let value = Money::from_value(&contract.value).map_err(|e| Refusal::Invalid(e.into()))?;
        let paid: i128 = contract
            .payments
            .iter()
            .filter_map(|p| Money::from_value(&p.amount).ok())
            .map(|m| minor_units(&m))
            .sum();
        if amount.currency != value.currency {
            return Err(Refusal::Conflict(crate::said!(
                "payment.other_currency",
                "contract {contract} is in {currency}, the payment in {payment_currency}",
                contract = id,
                currency = value.currency,
                payment_currency = amount.currency,
            )));
        }
        if paid + minor_units(amount) > minor_units(&value) {
            return Err(Refusal::Conflict(crate::said!(
                "payment.over_contract",
                "the payments would exceed contract {contract}'s value of {amount} {currency}",
                contract = id,
                amount = value.amount,
                currency = value.currency,
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Paid {
                contract: id.to_owned(),
                payment: PaymentState {
                    amount: money_value(amount),
                    reference: body.reference.to_owned(),
                    recorded_idx: ctx.index,
                    date: ctx.logged_at.to_string(),
                },
            },
        ))
    }
}

/// The body of a `payment.recorded`.
struct PaymentRecordedBody<'a> {
    /// The contract's id, e.g. `contract-1`.
    contract: &'a str,
    /// The amount paid.
    amount: Money,
    /// The buyer's reference, e.g. an invoice number; at most 200 characters.
    reference: &'a str,
}

impl<'a> PaymentRecordedBody<'a> {
    /// Checks the body of a `payment.recorded` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["contract", "amount", "reference"])?;
        Ok(PaymentRecordedBody {
            contract: bounded_text(body, "contract", 64)?,
            amount: money(body, "amount")?,
            reference: bounded_text(body, "reference", 200)?,
        })
    }
}
