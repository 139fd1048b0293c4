//! A tender's status: the scheduler's timed transitions (`tender.status_changed`), and
//! the buyer's `tender.completed` and `tender.cancelled`.

use super::prelude::*;
use crate::domain::said::Said;

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

    fn check_body(&self, body: &Value) -> Result<(), Said> {
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
            return Err(Refusal::Forbidden(crate::said!(
                "status.platform_only",
                "timed status changes are signed by the platform's key"
            )));
        }
        let tender = open_tender(state, statement)?;
        let to = TenderStatusChangedBody::parse(statement.body())
            .map_err(Refusal::Invalid)?
            .to;
        // A bid still sealed when the reveal window closes is first attributed to its
        // sender (`bid.lapsed`): withholding a bid is as visible as forfeiting a bid
        // security. Only bids whose sender is not known (logged before the platform kept
        // it) lapse with the transition alone.
        if matches!(to, Status::Evaluation | Status::Unsuccessful)
            && let Some((commitment, _)) = tender.lapsing().first()
        {
            return Err(Refusal::Conflict(crate::said!(
                "status.bid_sealed",
                "bid {commitment} of tender {tender} is still sealed: log its bid.lapsed first",
                commitment = commitment,
                tender = tender.id
            )));
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
            Some((due, _)) => Err(Refusal::Conflict(crate::said!(
                "status.other_due",
                "tender {tender} is due to become {status}, not {to_status}",
                tender = tender.id,
                status = due.as_str(),
                to_status = to.as_str()
            ))),
            None => Err(Refusal::Conflict(crate::said!(
                "status.none_due",
                "no transition of tender {tender} ({status}) is due at {at}",
                tender = tender.id,
                status = tender.status.as_str(),
                at = ctx.logged_at
            ))),
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
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["to", "reason"])?;
        let to = text(body, "to")?;
        let to = Status::parse(to).ok_or_else(|| {
            crate::said!(
                "status.unknown",
                "{field}: {given} is not a tender status",
                field = "body.to",
                given = format!("{to:?}")
            )
        })?;
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

    fn check_body(&self, body: &Value) -> Result<(), Said> {
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
            return Err(Refusal::Conflict(crate::said!(
                "status.not_contracted",
                "only a contracted tender can be completed; tender {tender} is {status}",
                tender = tender.id,
                status = tender.status.as_str()
            )));
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

    fn check_body(&self, body: &Value) -> Result<(), Said> {
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
            return Err(Refusal::Conflict(crate::said!(
                "status.contracted",
                "tender {tender} has a signed contract and can no longer be cancelled",
                tender = tender.id
            )));
        }
        let body = TenderCancelledBody::parse(statement.body()).map_err(Refusal::Invalid)?;
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
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["reason"])?;
        Ok(TenderCancelledBody {
            reason: bounded_text(body, "reason", 5_000)?,
        })
    }
}
