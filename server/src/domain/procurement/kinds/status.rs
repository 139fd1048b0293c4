//! A tender's status: the scheduler's timed transitions (`tender.status_changed`), and
//! the buyer's `tender.completed` and `tender.cancelled`.

use super::prelude::*;

/// `tender.status_changed`: the platform's scheduler logs a timed transition.
pub struct TenderStatusChanged;

impl Kind for TenderStatusChanged {
    fn name(&self) -> &'static str {
        "tender.status_changed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A timed transition. Signed by the platform's scheduler.",
            &["to"],
            json!({"to": {"type": "string"}, "reason": shape::text(2_000, "Why (unsuccessful)")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        TenderStatusChangedBody::parse(body).map(drop)
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
        if !signers.iter().any(|s| s.role == Role::Platform) {
            return Err(Refusal::Forbidden(
                "timed status changes are signed by the platform's key".into(),
            ));
        }
        let tender = open_tender(state, statement)?;
        let to = TenderStatusChangedBody::parse(statement.body())
            .map_err(|e| Refusal::Invalid(e.into()))?
            .to;
        // A bid still sealed when the reveal window closes is first attributed to its
        // sender (`bid.lapsed`): withholding a bid is as visible as forfeiting a bid
        // security. Only bids whose sender is not known (logged before the platform kept
        // it) lapse with the transition alone.
        if matches!(to, Status::Evaluation | Status::Unsuccessful)
            && let Some((commitment, _)) = tender.lapsing().first()
        {
            return Err(Refusal::Conflict(
                format!(
                    "bid {commitment} of tender {} is still sealed: log its bid.lapsed first",
                    tender.id
                )
                .into(),
            ));
        }
        match tender.due_transition(ctx.logged_at) {
            Some((due, reason)) if due == to => Ok(change(
                ctx,
                &tender.id,
                TenderChange::Status {
                    to,
                    reason,
                    index: ctx.index,
                },
            )),
            Some((due, _)) => Err(Refusal::Conflict(
                format!(
                    "tender {} is due to become {}, not {}",
                    tender.id,
                    due.as_str(),
                    to.as_str()
                )
                .into(),
            )),
            None => Err(Refusal::Conflict(
                format!(
                    "no transition of tender {} ({}) is due at {}",
                    tender.id,
                    tender.status.as_str(),
                    ctx.logged_at
                )
                .into(),
            )),
        }
    }
}

/// The body of a `tender.status_changed`. Its `reason` is checked but not kept: the
/// change logged takes the reason of the transition due (`TenderState::due_transition`).
struct TenderStatusChangedBody {
    /// The status the tender becomes.
    to: Status,
}

impl TenderStatusChangedBody {
    /// Checks the body of a `tender.status_changed` and reads it.
    fn parse(body: &Value) -> Result<Self, String> {
        only(body, &["to", "reason"])?;
        let to = text(body, "to")?;
        let to =
            Status::parse(to).ok_or_else(|| format!("body.to: {to:?} is not a tender status"))?;
        if body.get("reason").is_some() {
            bounded_text(body, "reason", 2_000)?;
        }
        Ok(TenderStatusChangedBody { to })
    }
}

/// `tender.completed`: the buyer closes a contracted tender.
pub struct TenderCompleted;

impl Kind for TenderCompleted {
    fn name(&self) -> &'static str {
        "tender.completed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The contract is fulfilled. Signed by the buyer's officer.",
            &[],
            json!({}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &[])
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
        if tender.status != Status::Contracted {
            return Err(Refusal::Conflict(
                format!(
                    "only a contracted tender can be completed; tender {} is {}",
                    tender.id,
                    tender.status.as_str()
                )
                .into(),
            ));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Completed { index: ctx.index },
        ))
    }
}

/// `tender.cancelled`: the buyer cancels a tender before its contract, with a reason.
pub struct TenderCancelled;

impl Kind for TenderCancelled {
    fn name(&self) -> &'static str {
        "tender.cancelled"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Cancels the tender. Signed by the buyer's officer.",
            &["reason"],
            json!({"reason": shape::text(5_000, "Why")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        TenderCancelledBody::parse(body).map(drop)
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
        if tender.status == Status::Contracted {
            return Err(Refusal::Conflict(
                format!(
                    "tender {} has a signed contract and can no longer be cancelled",
                    tender.id
                )
                .into(),
            ));
        }
        let body =
            TenderCancelledBody::parse(statement.body()).map_err(|e| Refusal::Invalid(e.into()))?;
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Cancelled {
                reason: body.reason.to_owned(),
                index: ctx.index,
            },
        ))
    }
}

/// The body of a `tender.cancelled`.
struct TenderCancelledBody<'a> {
    /// Why, at most 5,000 characters.
    reason: &'a str,
}

impl<'a> TenderCancelledBody<'a> {
    /// Checks the body of a `tender.cancelled` and reads it.
    fn parse(body: &'a Value) -> Result<Self, String> {
        only(body, &["reason"])?;
        Ok(TenderCancelledBody {
            reason: bounded_text(body, "reason", 5_000)?,
        })
    }
}
