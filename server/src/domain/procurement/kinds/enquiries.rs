//! Questions asked anonymously during the enquiry period, answered by the buyer.

use super::prelude::*;
use crate::domain::said::Said;

/// `enquiry.asked`: a question, under a one-time key, during the enquiry period.
pub struct EnquiryAsked;

impl Kind for EnquiryAsked {
    fn name(&self) -> &'static str {
        "enquiry.asked"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A question, before enquiry_end. Signed by a one-time key, sent with a bidder representative's credentials.",
            &["question"],
            json!({"question": shape::text(5_000, "The question")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        EnquiryAskedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_of(statement)
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn anonymous(&self) -> bool {
        true
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !signers.is_empty() {
            return Err(Refusal::Forbidden(crate::said!(
                "enquiry.one_time_key",
                "questions are asked under a one-time key, so that the public does not learn who may bid"
            )));
        }
        one_time_key(ctx, OneTime::Question)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at >= periods.enquiry_end {
            return Err(Refusal::Conflict(crate::said!(
                "enquiry.period_over",
                "the enquiry period of tender {tender} ended at {end}",
                tender = tender.id,
                end = tender.tender.period_text("enquiry_end")
            )));
        }
        let body = EnquiryAskedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Asked(EnquiryState {
                id: format!("enquiry-{}", tender.enquiries.len() + 1),
                question: body.question.to_owned(),
                asked_idx: ctx.index,
                date: ctx.logged_at.to_string(),
                answer: None,
                answered_idx: None,
                date_answered: None,
            }),
        ))
    }
}

/// The body of an `enquiry.asked`.
struct EnquiryAskedBody<'a> {
    /// The question, at most 5,000 characters.
    question: &'a str,
}

impl<'a> EnquiryAskedBody<'a> {
    /// Checks the body of an `enquiry.asked` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["question"])?;
        Ok(EnquiryAskedBody {
            question: bounded_text(body, "question", 5_000)?,
        })
    }
}

/// `enquiry.answered`: the buyer answers a question publicly, before the deadline.
pub struct EnquiryAnswered;

impl Kind for EnquiryAnswered {
    fn name(&self) -> &'static str {
        "enquiry.answered"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The answer, once, before tender_end. Signed by the buyer's officer.",
            &["enquiry", "answer"],
            json!({"enquiry": shape::text(64, "The enquiry's id, e.g. enquiry-1"), "answer": shape::text(20_000, "The answer")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        EnquiryAnsweredBody::parse(body).map(drop)
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
        if ctx.logged_at >= tender.times()?.tender_end {
            return Err(Refusal::Conflict(crate::said!(
                "enquiry.too_late",
                "the deadline of tender {tender} has passed: answers must come before it",
                tender = tender.id
            )));
        }
        let body = EnquiryAnsweredBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let id = body.enquiry;
        let enquiry = tender
            .enquiries
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| {
                Refusal::NotFound(crate::said!(
                    "enquiry.unknown",
                    "tender {tender} has no {enquiry}",
                    tender = tender.id,
                    enquiry = id
                ))
            })?;
        if enquiry.answer.is_some() {
            return Err(Refusal::Conflict(crate::said!(
                "enquiry.answered",
                "{enquiry} is already answered (amend the tender to change what it says)",
                enquiry = id
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Answered {
                enquiry: id.to_owned(),
                answer: body.answer.to_owned(),
                index: ctx.index,
                date: ctx.logged_at.to_string(),
            },
        ))
    }
}

/// The body of an `enquiry.answered`.
struct EnquiryAnsweredBody<'a> {
    /// The enquiry's id, e.g. `enquiry-1`.
    enquiry: &'a str,
    /// The answer, at most 20,000 characters.
    answer: &'a str,
}

impl<'a> EnquiryAnsweredBody<'a> {
    /// Checks the body of an `enquiry.answered` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["enquiry", "answer"])?;
        Ok(EnquiryAnsweredBody {
            enquiry: bounded_text(body, "enquiry", 64)?,
            answer: bounded_text(body, "answer", 20_000)?,
        })
    }
}
