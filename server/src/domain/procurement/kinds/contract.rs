//! The contract both parties sign after the standstill, and its payments.

use super::prelude::*;

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

    fn check_body(&self, body: &Value) -> Result<(), String> {
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
        let body =
            ContractSignedBody::parse(statement.body()).map_err(|e| Refusal::Invalid(e.into()))?;
        let award_id = body.award;
        let award = tender
            .awards
            .iter()
            .find(|a| a.id == award_id)
            .ok_or_else(|| {
                Refusal::NotFound(format!("tender {} has no award {award_id}", tender.id).into())
            })?;
        if !signers.iter().any(|s| {
            s.organisation == award.supplier
                && matches!(s.role, Role::BidderRepresentative | Role::OrganisationAdmin)
        }) {
            return Err(Refusal::Forbidden(format!(
                "a contract is signed by both parties: it needs a signature by {}, the supplier",
                award.supplier
            ).into()));
        }
        if award.status != "pending" {
            return Err(Refusal::Conflict(
                format!("award {award_id} is {}", award.status).into(),
            ));
        }
        let standstill_end = Timestamp::parse(&award.standstill_end)
            .map_err(|e| Refusal::Invalid(e.to_string().into()))?;
        if ctx.logged_at < standstill_end {
            return Err(Refusal::Conflict(format!(
                "the standstill period of award {award_id} ends at {standstill_end}: the contract can be signed after it"
            ).into()));
        }
        if let Some(open) = tender
            .complaints
            .iter()
            .find(|c| c.award == award.id && c.is_open())
        {
            return Err(Refusal::Conflict(format!(
                "complaint {} against award {award_id} is {}: the contract waits for the supervisor's decision",
                open.id, open.status
            ).into()));
        }
        let value = &body.value;
        let awarded = Money::from_value(&award.value).map_err(|e| Refusal::Invalid(e.into()))?;
        if value.currency != awarded.currency || minor_units(value) > minor_units(&awarded) {
            return Err(Refusal::Conflict(
                format!(
                    "the contract's value {} {} exceeds the award's {} {}",
                    value.amount, value.currency, awarded.amount, awarded.currency
                )
                .into(),
            ));
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
    fn parse(body: &'a Value) -> Result<Self, String> {
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

    fn check_body(&self, body: &Value) -> Result<(), String> {
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
        let body =
            PaymentRecordedBody::parse(statement.body()).map_err(|e| Refusal::Invalid(e.into()))?;
        let id = body.contract;
        let contract = tender
            .contracts
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                Refusal::NotFound(format!("tender {} has no contract {id}", tender.id).into())
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
            return Err(Refusal::Conflict(
                format!(
                    "contract {id} is in {}, the payment in {}",
                    value.currency, amount.currency
                )
                .into(),
            ));
        }
        if paid + minor_units(amount) > minor_units(&value) {
            return Err(Refusal::Conflict(
                format!(
                    "the payments would exceed contract {id}'s value of {} {}",
                    value.amount, value.currency
                )
                .into(),
            ));
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
    fn parse(body: &'a Value) -> Result<Self, String> {
        only(body, &["contract", "amount", "reference"])?;
        Ok(PaymentRecordedBody {
            contract: bounded_text(body, "contract", 64)?,
            amount: money(body, "amount")?,
            reference: bounded_text(body, "reference", 200)?,
        })
    }
}
