//! Complaints against an award during its standstill, decided by a supervisory body.

use super::prelude::*;
use crate::domain::said::Said;

/// `complaint.filed`: a bidder who revealed a bid contests an award during its standstill.
pub struct ComplaintFiled;

impl Kind for ComplaintFiled {
    fn name(&self) -> &'static str {
        "complaint.filed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A complaint against an award, during its standstill. Signed by a registered key of a bidder that revealed a bid.",
            &["award", "text"],
            json!({"award": shape::text(64, "The award's id"), "text": shape::text(20_000, "The complaint")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        ComplaintFiledBody::parse(body).map(drop)
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
        let bidders: HashSet<&str> = tender
            .bids
            .iter()
            .filter_map(|b| b.revealed.as_ref().map(|r| r.bidder.as_str()))
            .collect();
        let complainant = signers
            .iter()
            .find(|s| {
                bidders.contains(s.organisation.as_str())
                    && matches!(
                        s.role,
                        Role::BidderRepresentative | Role::OrganisationAdmin
                    )
            })
            .ok_or_else(|| {
                Refusal::Forbidden(crate::said!(
                    "complaint.not_a_bidder",
                    "complaints are filed by a bidder of tender {tender} (a supplier that revealed a bid)",
                    tender = tender.id,
                ))
            })?;
        let body = ComplaintFiledBody::parse(statement.body()).map_err(Refusal::Invalid)?;
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
        let standstill_end = Timestamp::parse(&award.standstill_end)
            .map_err(|e| Refusal::Invalid(e.to_string().into()))?;
        if award.status != "pending" || ctx.logged_at >= standstill_end {
            return Err(Refusal::Conflict(crate::said!(
                "complaint.after_standstill",
                "complaints against award {award} were possible until its standstill period ended at {standstill_end}",
                award = award_id,
                standstill_end = standstill_end,
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Complained(ComplaintState {
                id: format!("complaint-{}", tender.complaints.len() + 1),
                award: award_id.to_owned(),
                complainant: complainant.organisation.clone(),
                text: body.text.to_owned(),
                status: "filed".into(),
                filed_idx: ctx.index,
                decisions: Vec::new(),
            }),
        ))
    }
}

/// The body of a `complaint.filed`.
struct ComplaintFiledBody<'a> {
    /// The award's id, e.g. `award-1`.
    award: &'a str,
    /// The complaint, at most 20,000 characters.
    text: &'a str,
}

impl<'a> ComplaintFiledBody<'a> {
    /// Checks the body of a `complaint.filed` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["award", "text"])?;
        Ok(ComplaintFiledBody {
            award: bounded_text(body, "award", 64)?,
            text: bounded_text(body, "text", 20_000)?,
        })
    }
}

/// `complaint.decided`: a supervisor accepts a complaint for review, upholds it (the award
/// falls and evaluation reopens) or dismisses it, with a reason.
pub struct ComplaintDecided;

impl Kind for ComplaintDecided {
    fn name(&self) -> &'static str {
        "complaint.decided"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A supervisor's decision. Signed by a supervisory body's supervisor.",
            &["complaint", "decision", "reason"],
            json!({"complaint": shape::text(64, "The complaint's id"), "decision": {"enum": ["accepted", "upheld", "dismissed"]}, "reason": shape::text(20_000, "Why")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        ComplaintDecidedBody::parse(body).map(drop)
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
        let supervisor = signers.iter().any(|s| {
            s.role == Role::Supervisor
                && state.directory.kind_of(&s.organisation) == Some(OrganisationKind::Supervisor)
        });
        if !supervisor {
            return Err(Refusal::Forbidden(crate::said!(
                "decision.not_supervisor",
                "complaints are decided by a supervisory body's supervisor"
            )));
        }
        let tender = open_tender(state, statement)?;
        let body = ComplaintDecidedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let (id, decision) = (body.complaint, body.decision);
        let complaint = tender
            .complaints
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                Refusal::NotFound(crate::said!(
                    "complaint.unknown",
                    "tender {tender} has no {complaint}",
                    tender = tender.id,
                    complaint = id,
                ))
            })?;
        let allowed = matches!(
            (complaint.status.as_str(), decision),
            ("filed", _) | ("accepted", "upheld" | "dismissed")
        );
        if !allowed {
            return Err(Refusal::Conflict(crate::said!(
                "decision.not_allowed",
                "{complaint} is {complaint_status}: it cannot become {decision}",
                complaint = id,
                complaint_status = complaint.status,
                decision = decision,
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::ComplaintDecided {
                complaint: id.to_owned(),
                decision: decision.to_owned(),
                reason: body.reason.to_owned(),
                index: ctx.index,
            },
        ))
    }
}

/// The body of a `complaint.decided`.
struct ComplaintDecidedBody<'a> {
    /// The complaint's id, e.g. `complaint-1`.
    complaint: &'a str,
    /// `accepted`, `upheld` or `dismissed`.
    decision: &'a str,
    /// Why, at most 20,000 characters.
    reason: &'a str,
}

impl<'a> ComplaintDecidedBody<'a> {
    /// Checks the body of a `complaint.decided` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["complaint", "decision", "reason"])?;
        let complaint = bounded_text(body, "complaint", 64)?;
        let decision = text(body, "decision")?;
        if !["accepted", "upheld", "dismissed"].contains(&decision) {
            return Err(crate::said!(
                "decision.unknown",
                "body.decision must be accepted, upheld or dismissed"
            ));
        }
        Ok(ComplaintDecidedBody {
            complaint,
            decision,
            reason: bounded_text(body, "reason", 20_000)?,
        })
    }
}
