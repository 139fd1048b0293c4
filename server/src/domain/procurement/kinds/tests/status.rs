//! `tender.status_changed`, `tender.completed` and `tender.cancelled`.

use super::fixture::*;

#[test]
fn tender_status_changed() {
    let published = World::at(Stage::Published);
    let bids = World::at(Stage::Bids);
    let revealed = World::at(Stage::Revealed);
    let lapsed = World::at(Stage::Lapsed);
    let cancelled = World::at(Stage::Published).cancel(50);
    let none_revealed = World::at(Stage::Opening)
        .lapse("acme", REVEAL_END)
        .lapse("beta", REVEAL_END)
        .lapse("gamma", REVEAL_END);
    // Gamma's bid, still sealed, logged before the platform kept who sent each bid.
    let legacy = World::at(Stage::Revealed).edit(|t| t.bids[2].holder = None);
    let to = |status: &str| json!({"to": status});
    let s = |name, world, body| case(name, world, &TenderStatusChanged, body).signed(&[PLATFORM]);
    let became = |world: &World, to: Status, reason: Option<&str>| TenderChange::Status {
        to,
        reason: reason.map(str::to_owned),
        index: world.next(),
    };
    run(vec![
        s(
            "an unknown member",
            &published,
            json!({"to": "active.tendering", "from": "active.enquiries"}),
        )
        .body("body.from is not part of this kind"),
        s("no status", &published, json!({})).body("body.to is missing"),
        s("a status that is not a tender's", &published, to("closed"))
            .body("body.to: \"closed\" is not a tender status"),
        s(
            "a reason of 2001 characters",
            &published,
            json!({"to": "unsuccessful", "reason": long(2_001)}),
        )
        .body("body.reason must be at most 2000 characters"),
        s(
            "signed by a platform administrator",
            &published,
            to("active.tendering"),
        )
        .signed(&[PLATFORM_ADMIN])
        .at(ENQUIRY_END)
        .forbidden("timed status changes are signed by the platform's key"),
        s(
            "signed by the buyer's officer",
            &published,
            to("active.tendering"),
        )
        .signed(&[OFFICER])
        .at(ENQUIRY_END)
        .forbidden("timed status changes are signed by the platform's key"),
        s(
            "signed by an unknown key",
            &published,
            to("active.tendering"),
        )
        .signed(&[OT_SPARE])
        .at(ENQUIRY_END)
        .forbidden("is not registered"),
        s(
            "signed by a revoked key",
            &published,
            to("active.tendering"),
        )
        .signed(&[PLATFORM, REVOKED])
        .at(ENQUIRY_END)
        .forbidden("was revoked"),
        s(
            "a tender that does not exist",
            &published,
            to("active.tendering"),
        )
        .subject(NO_TENDER)
        .at(ENQUIRY_END)
        .not_found("tender ocds-vtest1-999999 does not exist"),
        s("a cancelled tender", &cancelled, to("active.tendering"))
            .at(ENQUIRY_END)
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        s(
            "evaluation while a bid is still sealed",
            &revealed,
            to("evaluation"),
        )
        .at(REVEAL_END)
        .conflict(format!(
            "bid {} of tender ocds-vtest1-000001 is still sealed: log its bid.lapsed first",
            commitment("gamma")
        )),
        s(
            "a transition other than the one due",
            &published,
            to("opening"),
        )
        .at(ENQUIRY_END)
        .conflict("tender ocds-vtest1-000001 is due to become active.tendering, not opening"),
        s(
            "a transition before it is due",
            &published,
            to("active.tendering"),
        )
        .at(ENQUIRY_END - 1)
        .conflict("no transition of tender ocds-vtest1-000001 (active.enquiries) is due at"),
        // What it does.
        s(
            "tendering, as the enquiry period ends",
            &published,
            to("active.tendering"),
        )
        .at(ENQUIRY_END)
        .accepted(became(&published, Status::ActiveTendering, None)),
        s(
            "opening straight from enquiries, once the deadline passed too",
            &published,
            to("opening"),
        )
        .at(TENDER_END)
        .accepted(became(&published, Status::Opening, None)),
        s("opening, at the deadline", &bids, to("opening"))
            .at(TENDER_END)
            .accepted(became(&bids, Status::Opening, None)),
        s(
            "evaluation, once the sealed bids lapsed",
            &lapsed,
            to("evaluation"),
        )
        .accepted(became(&lapsed, Status::Evaluation, None)),
        s(
            "evaluation, a bid of unknown sender still sealed",
            &legacy,
            to("evaluation"),
        )
        .at(REVEAL_END)
        .accepted(became(&legacy, Status::Evaluation, None)),
        s(
            "unsuccessful, when no bid was revealed",
            &none_revealed,
            to("unsuccessful"),
        )
        .accepted(became(
            &none_revealed,
            Status::Unsuccessful,
            Some("no bid was revealed before the reveal window closed"),
        )),
    ]);
}

#[test]
fn tender_completed() {
    let awarded = World::at(Stage::Awarded);
    let contracted = World::at(Stage::Contracted);
    let completed = World::at(Stage::Contracted).then(
        &TenderCompleted,
        TENDER,
        json!({}),
        &[OFFICER],
        3_300,
        None,
    );
    let c = |name, world, body| case(name, world, &TenderCompleted, body).signed(&[OFFICER]);
    run(vec![
        c("any member", &contracted, json!({"reason": "完成"}))
            .body("body.reason is not part of this kind"),
        c("signed by another buyer's officer", &contracted, json!({}))
            .signed(&[TOWN_OFFICER])
            .forbidden("needs a signature by a procurement officer of city"),
        c("signed by the supplier", &contracted, json!({}))
            .signed(&[BETA])
            .forbidden("needs a signature by a procurement officer of city"),
        c("signed by an unknown key", &contracted, json!({}))
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        c("signed by a revoked key", &contracted, json!({}))
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        c("a tender that does not exist", &contracted, json!({}))
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        c("a tender already complete", &completed, json!({}))
            .conflict("tender ocds-vtest1-000001 is complete"),
        c("a tender awarded but not contracted", &awarded, json!({})).conflict(
            "only a contracted tender can be completed; tender ocds-vtest1-000001 is awarded",
        ),
        c(
            "a contracted tender, by the buyer's officer",
            &contracted,
            json!({}),
        )
        .accepted(TenderChange::Completed {
            index: contracted.next(),
        }),
    ]);
}

#[test]
fn tender_cancelled() {
    let tendering = World::at(Stage::Tendering);
    let awarded = World::at(Stage::Awarded);
    let contracted = World::at(Stage::Contracted);
    let cancelled = World::at(Stage::Tendering).cancel(1_050);
    let body = json!({"reason": "预算取消"});
    let c = |name, world, body| case(name, world, &TenderCancelled, body).signed(&[OFFICER]);
    let done = |world: &World| TenderChange::Cancelled {
        reason: "预算取消".into(),
        index: world.next(),
    };
    run(vec![
        c(
            "an unknown member",
            &tendering,
            json!({"reason": "r", "refund": true}),
        )
        .body("body.refund is not part of this kind"),
        c("no reason", &tendering, json!({})).body("body.reason is missing"),
        c("an empty reason", &tendering, json!({"reason": ""}))
            .body("body.reason must be a non-empty string"),
        c(
            "a reason of 5001 characters",
            &tendering,
            json!({"reason": long(5_001)}),
        )
        .body("body.reason must be at most 5000 characters"),
        c(
            "signed by another buyer's officer",
            &tendering,
            body.clone(),
        )
        .signed(&[TOWN_OFFICER])
        .forbidden("needs a signature by a procurement officer of city"),
        c("signed by an unknown key", &tendering, body.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        c("signed by a revoked key", &tendering, body.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        c("a tender that does not exist", &tendering, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        c("a tender already cancelled", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        c("a contracted tender", &contracted, body.clone()).conflict(
            "tender ocds-vtest1-000001 has a signed contract and can no longer be cancelled",
        ),
        c("a tender in its tendering period", &tendering, body.clone()).accepted(done(&tendering)),
        c(
            "an awarded tender, by the buyer's administrator",
            &awarded,
            body.clone(),
        )
        .signed(&[CITY_ADMIN])
        .accepted(done(&awarded)),
    ]);
}

/// Cancelling an awarded tender cancels its pending award too (`TenderState::apply`).
#[test]
fn cancelling_an_awarded_tender_cancels_its_award() {
    let world = World::at(Stage::Awarded).cancel(3_150);
    assert_eq!(world.tender().status, Status::Cancelled);
    assert_eq!(world.tender().awards[0].status, "cancelled");
}
