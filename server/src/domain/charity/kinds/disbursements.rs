//! Disbursements: proposed by an officer, approved by the officers the fund's policy
//! requires, executed (paid, taking the donations first in, first out) and acknowledged by
//! the recipient with its own key.

use super::prelude::*;

/// The most evidence documents a disbursement names.
const MAX_EVIDENCE: usize = 50;

/// `disbursement.proposed`: an officer proposes a disbursement of the fund.
pub struct DisbursementProposed;

impl Kind for DisbursementProposed {
    fn name(&self) -> &'static str {
        "disbursement.proposed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A disbursement proposed, numbered in its fund from 1. Signed by one or more officers that the fund's policy names; each signature is an approval. The recipient is one of: `{\"organisation\": id}`, `{\"fund\": id}` (another fund on Vitrine, to which it is a donation), or `{\"person\": commitment, \"key\": public key}` (a person known to the log by a commitment, who acknowledges with that key, made for them). Evidence documents are uploaded first.",
            &["amount", "recipient", "purpose"],
            json!({
                "amount": shape::money(),
                "recipient": {"type": "object", "minProperties": 1, "maxProperties": 2, "additionalProperties": false, "properties": {
                    "organisation": shape::identifier(),
                    "fund": shape::identifier(),
                    "person": shape::hex_hash("The commitment to the person: SHA-256(\"vitrine/donor/v1\\n\" || JCS(data) || salt)"),
                    "key": shape::public_key(),
                }},
                "purpose": shape::bilingual(2_000),
                "evidence": {"type": "array", "maxItems": MAX_EVIDENCE, "items": shape::hex_hash("SHA-256 of an evidence document")},
            }),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        ProposalBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        let body = statement.body();
        let mut keys = fund_of(statement);
        if let Ok(amount) = positive_money(body, "amount") {
            keys.push(StateKey::FundQueue(
                statement.subject().to_owned(),
                amount.1,
            ));
        }
        if let Some(other) = body["recipient"]["fund"].as_str() {
            keys.push(StateKey::Fund(other.to_owned()));
        }
        if let Value::Array(evidence) = &body["evidence"] {
            keys.extend(
                evidence
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(|h| Hash::from_hex(h).ok())
                    .map(|h| StateKey::Blob(h.0)),
            );
        }
        keys
    }

    fn one_time_keys(&self) -> usize {
        0
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let fund = open_fund(state, statement)?;
        let approvers = policy_officers(signers, fund)?;
        let body = ProposalBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        in_currency(fund, &body.amount.0)?;
        match &body.recipient {
            Recipient::Organisation { id } => {
                if state.directory.kind_of(id).is_none() {
                    return Err(Refusal::NotFound(
                        crate::domain::directory::unknown_organisation(id),
                    ));
                }
            }
            Recipient::Fund { id } => {
                if *id == fund.id {
                    return Err(Refusal::Conflict(crate::said!(
                        "disbursement.to_itself",
                        "fund {fund} cannot pay itself",
                        fund = fund.id
                    )));
                }
                let other = state
                    .charity
                    .get(id)
                    .ok_or_else(|| Refusal::NotFound(unknown_fund(id)))?;
                if other.status == FundStatus::Closed {
                    return Err(Refusal::Conflict(closed(&other.id)));
                }
                if other.currency != fund.currency {
                    return Err(Refusal::Conflict(crate::said!(
                        "disbursement.other_currency",
                        "fund {other} counts in {other_currency}, fund {fund} in {fund_currency}: a transfer stays in one currency",
                        other = other.id,
                        other_currency = other.currency,
                        fund = fund.id,
                        fund_currency = fund.currency
                    )));
                }
            }
            Recipient::Person { key, .. } => {
                if let Ok(bytes) = BASE64.decode(key)
                    && let Ok(bytes) = <[u8; 32]>::try_from(bytes)
                    && state.directory.keys.contains_key(&bytes)
                {
                    return Err(Refusal::Conflict(crate::said!(
                        "disbursement.person_key_registered",
                        "{field} is a registered key: a person acknowledges with a key made for this disbursement",
                        field = "body.recipient.key"
                    )));
                }
            }
        }
        if let Some(missing) = body
            .evidence
            .iter()
            .find(|h| !state.may_publish(&h.0, signers))
        {
            return Err(Refusal::Conflict(crate::said!(
                "document.not_uploaded_evidence",
                "document {document} of the disbursement's evidence is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
                document = missing.to_hex()
            )));
        }
        let required = fund.policy.required(body.amount.1);
        let approvals: Vec<Approval> = approvers
            .into_iter()
            .map(|key| Approval {
                key,
                idx: ctx.index,
            })
            .collect();
        let status = if approvals.len() as u32 >= required {
            DisbursementStatus::Approved
        } else {
            DisbursementStatus::Proposed
        };
        Ok(vec![change(
            ctx,
            &fund.id,
            FundChange::Proposed(Box::new(DisbursementState {
                fund: fund.id.clone(),
                seq: fund.disbursements + 1,
                amount: body.amount.1,
                recipient: body.recipient,
                purpose: statement.body()["purpose"].clone(),
                evidence: body.evidence.iter().map(Hash::to_hex).collect(),
                required,
                approvals,
                status,
                proposed_idx: ctx.index,
                proposed_at: ctx.logged_at.to_string(),
                executed: None,
                acknowledged: None,
            })),
        )])
    }
}

/// The body of a `disbursement.proposed`.
struct ProposalBody {
    amount: (Money, i64),
    recipient: Recipient,
    evidence: Vec<Hash>,
}

impl ProposalBody {
    fn parse(body: &Value) -> Result<ProposalBody, Said> {
        only(body, &["amount", "recipient", "purpose", "evidence"])?;
        let amount = positive_money(body, "amount")?;
        let recipient = recipient(body)?;
        bilingual(body, "purpose", 2_000)?;
        let evidence = match body.get("evidence") {
            None => Vec::new(),
            Some(Value::Array(list)) if list.len() <= MAX_EVIDENCE => {
                let mut hashes: Vec<Hash> = Vec::with_capacity(list.len());
                for (position, item) in list.iter().enumerate() {
                    let h = hash(&json!({ "h": item }), "h").map_err(|_| {
                        crate::said!(
                            "body.not_hash",
                            "{field} must be 64 lowercase hexadecimal digits",
                            field = format!("body.evidence[{position}]")
                        )
                    })?;
                    if hashes.contains(&h) {
                        return Err(crate::said!(
                            "disbursement.evidence_repeated",
                            "{field} names a document twice",
                            field = format!("body.evidence[{position}]")
                        ));
                    }
                    hashes.push(h);
                }
                hashes
            }
            Some(_) => {
                return Err(crate::said!(
                    "disbursement.evidence",
                    "{field} must be a list of at most {max} SHA-256 hashes",
                    field = "body.evidence",
                    max = MAX_EVIDENCE
                ));
            }
        };
        Ok(ProposalBody {
            amount,
            recipient,
            evidence,
        })
    }
}

/// `body.recipient`: an organisation, a fund, or a person (a commitment and their key).
fn recipient(body: &Value) -> Result<Recipient, Said> {
    let Some(Value::Object(map)) = body.get("recipient") else {
        return Err(bad_recipient());
    };
    let inner = body.get("recipient").expect("present");
    let members: Vec<&str> = map.keys().map(String::as_str).collect();
    match members.as_slice() {
        ["organisation"] => Ok(Recipient::Organisation {
            id: identifier(inner, "organisation").map_err(|s| nested(s, "recipient"))?,
        }),
        ["fund"] => Ok(Recipient::Fund {
            id: identifier(inner, "fund").map_err(|s| nested(s, "recipient"))?,
        }),
        ["key", "person"] | ["person", "key"] => {
            let commitment = hash(inner, "person").map_err(|s| nested(s, "recipient"))?;
            let key = public_key(inner, "key").map_err(|s| nested(s, "recipient"))?;
            Ok(Recipient::Person {
                commitment: commitment.to_hex(),
                key: BASE64.encode(key),
            })
        }
        _ => Err(bad_recipient()),
    }
}

fn bad_recipient() -> Said {
    crate::said!(
        "disbursement.recipient",
        "{field} must be {organisation}, {fund} or {person}",
        field = "body.recipient",
        organisation = "{\"organisation\": id}",
        fund = "{\"fund\": id}",
        person = "{\"person\": commitment, \"key\": public key}"
    )
}

/// `disbursement.approved`: officers approve a proposed disbursement.
pub struct DisbursementApproved;

impl Kind for DisbursementApproved {
    fn name(&self) -> &'static str {
        "disbursement.approved"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Approvals of a disbursement not yet executed. Signed by one or more officers that the fund's policy names, none of whom approved it before; each signature is one approval.",
            &["disbursement"],
            json!({"disbursement": number_schema()}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        only_disbursement(body)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        fund_and_disbursement(statement)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let fund = open_fund(state, statement)?;
        let keys = policy_officers(signers, fund)?;
        self.check_body(statement.body())
            .map_err(Refusal::Invalid)?;
        let disbursement = named_disbursement(state, fund, statement.body())?;
        not_executed(disbursement, fund)?;
        if let Some(repeated) = keys
            .iter()
            .find(|k| disbursement.approvals.iter().any(|a| &a.key == *k))
        {
            return Err(Refusal::Conflict(crate::said!(
                "disbursement.approved_already",
                "key {key} approved disbursement {disbursement} already: each officer approves once",
                key = repeated,
                disbursement = disbursement.seq
            )));
        }
        Ok(vec![change(
            ctx,
            &fund.id,
            FundChange::Approved {
                seq: disbursement.seq,
                keys,
            },
        )])
    }
}

/// `disbursement.executed`: an officer records that an approved disbursement was paid.
pub struct DisbursementExecuted;

impl Kind for DisbursementExecuted {
    fn name(&self) -> &'static str {
        "disbursement.executed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A disbursement paid, once the approvals its policy requires are given by officers whose keys are still active, and never beyond the fund's balance at this point of the log. It takes its money from the fund's donations first in, first out. Signed by an officer that the fund's policy names.",
            &["disbursement", "reference"],
            json!({
                "disbursement": number_schema(),
                "reference": shape::text(128, "The payment's reference (the bank's)"),
            }),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        only(body, &["disbursement", "reference"])?;
        disbursement_number(body)?;
        bounded_text(body, "reference", 128).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        let mut keys = fund_and_disbursement(statement);
        keys.push(StateKey::FundQueue(statement.subject().to_owned(), 0));
        keys
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let fund = open_fund(state, statement)?;
        policy_officers(signers, fund)?;
        self.check_body(statement.body())
            .map_err(Refusal::Invalid)?;
        let disbursement = named_disbursement(state, fund, statement.body())?;
        not_executed(disbursement, fund)?;
        // Approvals count while their officers' keys are active.
        let active = disbursement
            .approvals
            .iter()
            .filter(|a| {
                BASE64
                    .decode(&a.key)
                    .ok()
                    .and_then(|k| <[u8; 32]>::try_from(k).ok())
                    .and_then(|k| state.directory.keys.get(&k))
                    .is_some_and(|r| !r.revoked)
            })
            .count() as u32;
        if active < disbursement.required {
            return Err(Refusal::Conflict(crate::said!(
                "disbursement.needs_approvals",
                "disbursement {disbursement} needs {required} approvals by officers whose keys are active; it has {active}",
                disbursement = disbursement.seq,
                required = disbursement.required,
                active = active
            )));
        }
        if disbursement.amount > fund.balance {
            return Err(Refusal::Conflict(crate::said!(
                "disbursement.overdraw",
                "fund {fund} holds {balance} {currency} at this point of the log: disbursement {disbursement} of {amount} would take it below zero",
                fund = fund.id,
                balance = money::amount(fund.balance),
                currency = fund.currency,
                disbursement = disbursement.seq,
                amount = money::amount(disbursement.amount)
            )));
        }
        let mut effects = Vec::with_capacity(2);
        let mut donation = None;
        let mut incoming = None;
        if let Recipient::Fund { id } = &disbursement.recipient {
            let other = state
                .charity
                .get(id)
                .ok_or_else(|| Refusal::NotFound(unknown_fund(id)))?;
            if other.status == FundStatus::Closed {
                return Err(Refusal::Conflict(closed(&other.id)));
            }
            if other
                .balance
                .checked_add(disbursement.amount)
                .is_none_or(|b| b > money::MAX_UNITS)
                || other.received.checked_add(disbursement.amount).is_none()
            {
                return Err(Refusal::Conflict(crate::said!(
                    "donation.too_much",
                    "fund {fund} would hold more than {max} {currency}",
                    fund = other.id,
                    max = money::amount(money::MAX_UNITS),
                    currency = other.currency
                )));
            }
            donation = Some(other.donations + 1);
            incoming = Some(Donation {
                fund: other.id.clone(),
                seq: other.donations + 1,
                idx: ctx.index,
                at: ctx.logged_at.to_string(),
                amount: disbursement.amount,
                channel: "fund".into(),
                reference: format!("{}/{}", fund.id, disbursement.seq),
                received_at: ctx.logged_at.to_string(),
                donor: None,
                named: false,
                source: Some((fund.id.clone(), disbursement.seq)),
            });
        }
        let allocations = allocate(state, fund, disbursement.amount)?;
        let reference =
            bounded_text(statement.body(), "reference", 128).map_err(Refusal::Invalid)?;
        effects.push(change(
            ctx,
            &fund.id,
            FundChange::Executed {
                seq: disbursement.seq,
                reference: reference.to_owned(),
                allocations,
                donation,
            },
        ));
        if let Some(incoming) = incoming {
            let other = incoming.fund.clone();
            effects.push(change(ctx, &other, FundChange::Donated(Box::new(incoming))));
        }
        Ok(effects)
    }
}

/// The parts of the fund's donations that `amount` takes, first in, first out: from the
/// oldest donation with money left, all that is left of each until the last, which gives
/// only what remains to take (see the module's documentation).
fn allocate(state: &State<'_>, fund: &FundState, amount: i64) -> Result<Vec<Allocation>, Refusal> {
    let queue = state.charity.queue(&fund.id);
    let mut allocations = Vec::new();
    let mut wanted = amount;
    for (donation, left) in queue.into_iter().flat_map(|q| q.head.iter()) {
        if wanted == 0 {
            break;
        }
        let take = wanted.min(*left);
        allocations.push(Allocation {
            donation: *donation,
            amount: take,
        });
        wanted -= take;
    }
    if wanted > 0 {
        // The balance covered it, so the queue must, unless the batch read it only as far
        // as its trusted statements named (a stranger's proposal does not widen it).
        return Err(Refusal::Conflict(crate::said!(
            "disbursement.queue_short",
            "fund {fund}'s donations with money left, as read for this batch, do not cover a disbursement of {amount}: send the statement again",
            fund = fund.id,
            amount = money::amount(amount)
        )));
    }
    Ok(allocations)
}

/// `disbursement.acknowledged`: the recipient acknowledges an executed disbursement with
/// its own key.
pub struct DisbursementAcknowledged;

impl Kind for DisbursementAcknowledged {
    fn name(&self) -> &'static str {
        "disbursement.acknowledged"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The recipient's acknowledgement that an executed disbursement reached it. Signed by the recipient: a key of the organisation; for a fund, a key of an officer of its charity; for a person, the key named when the disbursement was proposed. Once.",
            &["disbursement"],
            json!({"disbursement": number_schema()}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        only_disbursement(body)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        fund_and_disbursement(statement)
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        // An acknowledgement is due even from a closed fund's recipient.
        let fund = fund(state, statement)?;
        self.check_body(statement.body())
            .map_err(Refusal::Invalid)?;
        let disbursement = named_disbursement(state, fund, statement.body())?;
        let key = match &disbursement.recipient {
            Recipient::Person { key, .. } => {
                let one_time = ctx.one_time_keys.first().map(|k| BASE64.encode(k));
                match (signers, one_time) {
                    ([], Some(signed)) if signed == *key => signed,
                    _ => return Err(Refusal::Forbidden(wrong_acknowledger(disbursement))),
                }
            }
            Recipient::Organisation { id } => {
                if !ctx.one_time_keys.is_empty() {
                    return Err(Refusal::Forbidden(wrong_acknowledger(disbursement)));
                }
                let signer = signers
                    .iter()
                    .find(|s| s.organisation == *id)
                    .ok_or_else(|| Refusal::Forbidden(wrong_acknowledger(disbursement)))?;
                BASE64.encode(signer.public_key)
            }
            Recipient::Fund { id } => {
                let charity = state.charity.get(id).map(|f| f.charity.clone());
                if !ctx.one_time_keys.is_empty() {
                    return Err(Refusal::Forbidden(wrong_acknowledger(disbursement)));
                }
                let signer = signers
                    .iter()
                    .find(|s| {
                        Some(&s.organisation) == charity.as_ref()
                            && matches!(s.role, Role::ProcurementOfficer | Role::OrganisationAdmin)
                    })
                    .ok_or_else(|| Refusal::Forbidden(wrong_acknowledger(disbursement)))?;
                BASE64.encode(signer.public_key)
            }
        };
        if disbursement.status != DisbursementStatus::Executed {
            return Err(Refusal::Conflict(crate::said!(
                "disbursement.not_executed",
                "disbursement {disbursement} of fund {fund} is {disbursement_status}: it is acknowledged once executed",
                disbursement = disbursement.seq,
                fund = fund.id,
                disbursement_status = disbursement.status.as_str()
            )));
        }
        if disbursement.acknowledged.is_some() {
            return Err(Refusal::Conflict(crate::said!(
                "disbursement.acknowledged_already",
                "disbursement {disbursement} of fund {fund} was acknowledged already",
                disbursement = disbursement.seq,
                fund = fund.id
            )));
        }
        Ok(vec![change(
            ctx,
            &fund.id,
            FundChange::Acknowledged {
                seq: disbursement.seq,
                key,
            },
        )])
    }
}

fn wrong_acknowledger(disbursement: &DisbursementState) -> Said {
    let (_, id) = disbursement.recipient_columns();
    crate::said!(
        "disbursement.wrong_acknowledger",
        "disbursement {disbursement} is acknowledged by its recipient, {recipient}, with its own key",
        disbursement = disbursement.seq,
        recipient = id
    )
}

/// The schema of `body.disbursement`: a disbursement's number in its fund.
fn number_schema() -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": u32::MAX, "description": "The disbursement's number in its fund"})
}

/// A body of nothing but `disbursement`, a disbursement's number.
fn only_disbursement(body: &Value) -> Result<(), Said> {
    only(body, &["disbursement"])?;
    disbursement_number(body).map(drop)
}

/// Refuses a disbursement that was executed already.
fn not_executed(disbursement: &DisbursementState, fund: &FundState) -> Result<(), Refusal> {
    if disbursement.status == DisbursementStatus::Executed {
        return Err(Refusal::Conflict(crate::said!(
            "disbursement.executed_already",
            "disbursement {disbursement} of fund {fund} was executed already",
            disbursement = disbursement.seq,
            fund = fund.id
        )));
    }
    Ok(())
}
