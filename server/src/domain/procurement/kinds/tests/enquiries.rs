//! `enquiry.asked` and `enquiry.answered`.

use super::fixture::*;

/// The question acme asks, under its one-time key, at 100.
const QUESTION: &str = "是否接受国产替代型号？";

fn asked() -> World {
    World::at(Stage::Published).then(
        &EnquiryAsked,
        TENDER,
        json!({"question": QUESTION}),
        &[OT_ACME],
        100,
        Some("acme"),
    )
}

#[test]
fn enquiry_asked() {
    let published = World::at(Stage::Published);
    let asked = asked();
    let cancelled = World::at(Stage::Published).cancel(50);
    let body = json!({"question": QUESTION});
    let q = |name, world, body| {
        case(name, world, &EnquiryAsked, body)
            .signed(&[OT_BETA])
            .by("beta")
            .at(500)
    };
    let question = |world: &World, id: &str| {
        TenderChange::Asked(EnquiryState {
            id: id.into(),
            question: QUESTION.into(),
            asked_idx: world.next(),
            date: ts(500),
            answer: None,
            answered_idx: None,
            date_answered: None,
        })
    };
    run(vec![
        q("an unknown member", &published, json!({"question": QUESTION, "lot": "lot-1"}))
            .body("body.lot is not part of this kind"),
        q("no question", &published, json!({})).body("body.question is missing"),
        q("a question of 5001 characters", &published, json!({"question": long(5_001)}))
            .body("body.question must be at most 5000 characters"),
        q("signed by a registered key", &published, body.clone())
            .signed(&[BETA])
            .forbidden("questions are asked under a one-time key, so that the public does not learn who may bid"),
        q("signed by a one-time key and a registered key", &published, body.clone())
            .signed(&[OT_BETA, BETA])
            .forbidden("questions are asked under a one-time key"),
        q("signed by no key", &published, body.clone())
            .signed(&[])
            .forbidden("is signed by a one-time key made for it"),
        q("signed by two one-time keys", &published, body.clone())
            .signed(&[OT_BETA, OT_SPARE])
            .forbidden("is not registered"),
        q("signed by a one-time key and a revoked key", &published, body.clone())
            .signed(&[OT_BETA, REVOKED])
            .forbidden("was revoked"),
        q("a tender that does not exist", &published, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        q("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        q("logged as the enquiry period ends", &published, body.clone())
            .at(ENQUIRY_END)
            .conflict("the enquiry period of tender ocds-vtest1-000001 ended at"),
        q("a first question", &published, body.clone())
            .accepted(question(&published, "enquiry-1")),
        q("a second question", &asked, body.clone())
            .accepted(question(&asked, "enquiry-2")),
    ]);
}

#[test]
fn enquiry_answered() {
    let asked = asked();
    let answered = asked.clone().then(
        &EnquiryAnswered,
        TENDER,
        json!({"enquiry": "enquiry-1", "answer": "接受"}),
        &[OFFICER],
        200,
        None,
    );
    let cancelled = asked.clone().cancel(150);
    let body = json!({"enquiry": "enquiry-1", "answer": "接受，须满足技术规格。"});
    let a = |name, world, body| {
        case(name, world, &EnquiryAnswered, body)
            .signed(&[OFFICER])
            .at(500)
    };
    let answer = |world: &World, at: i64| TenderChange::Answered {
        enquiry: "enquiry-1".into(),
        answer: "接受，须满足技术规格。".into(),
        index: world.next(),
        date: ts(at),
    };
    run(vec![
        a(
            "an unknown member",
            &asked,
            with(body.clone(), "public", json!(true)),
        )
        .body("body.public is not part of this kind"),
        a("no enquiry", &asked, without(body.clone(), "enquiry")).body("body.enquiry is missing"),
        a(
            "an enquiry id of 65 characters",
            &asked,
            with(body.clone(), "enquiry", json!(long(65))),
        )
        .body("body.enquiry must be at most 64 characters"),
        a("no answer", &asked, without(body.clone(), "answer")).body("body.answer is missing"),
        a(
            "an answer of 20001 characters",
            &asked,
            with(body.clone(), "answer", json!(long(20_001))),
        )
        .body("body.answer must be at most 20000 characters"),
        a("signed by another buyer's officer", &asked, body.clone())
            .signed(&[TOWN_OFFICER])
            .forbidden("needs a signature by a procurement officer of city"),
        a("signed by a bidder", &asked, body.clone())
            .signed(&[ACME])
            .forbidden("needs a signature by a procurement officer of city"),
        a("signed by an unknown key", &asked, body.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        a("signed by a revoked key", &asked, body.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        a("a tender that does not exist", &asked, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        a("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        a("logged at the deadline", &asked, body.clone())
            .at(TENDER_END)
            .conflict(
                "the deadline of tender ocds-vtest1-000001 has passed: answers must come before it",
            ),
        a(
            "an enquiry the tender does not have",
            &asked,
            with(body.clone(), "enquiry", json!("enquiry-9")),
        )
        .not_found("tender ocds-vtest1-000001 has no enquiry-9"),
        a("an enquiry already answered", &answered, body.clone())
            .conflict("enquiry-1 is already answered"),
        a("in the enquiry period", &asked, body.clone()).accepted(answer(&asked, 500)),
        a(
            "after the enquiry period, before the deadline",
            &asked,
            body.clone(),
        )
        .at(1_500)
        .accepted(answer(&asked, 1_500)),
    ]);
}
