//! `complaint.filed` and `complaint.decided`.

use super::fixture::*;

const TEXT: &str = "评标委员会漏算了我方的售后服务分。";

/// Award-1 (to beta, standstill until 3200) with acme's complaint filed at 3150, and
/// decided at 3160 by `decisions` in turn.
fn complained(decisions: &[&str]) -> World {
    let mut world = World::at(Stage::Awarded).then(
        &ComplaintFiled,
        TENDER,
        json!({"award": "award-1", "text": TEXT}),
        &[ACME],
        3_150,
        None,
    );
    for (i, decision) in decisions.iter().enumerate() {
        world = world.then(
            &ComplaintDecided,
            TENDER,
            json!({"complaint": "complaint-1", "decision": decision, "reason": "理由"}),
            &[SUPERVISOR],
            3_160 + i as i64,
            None,
        );
    }
    world
}

#[test]
fn complaint_filed() {
    let awarded = World::at(Stage::Awarded);
    let filed = complained(&[]);
    let upheld = complained(&["upheld"]);
    let cancelled = World::at(Stage::Awarded).cancel(3_120);
    let body = json!({"award": "award-1", "text": TEXT});
    let c = |name, world, body| {
        case(name, world, &ComplaintFiled, body)
            .signed(&[ACME])
            .at(3_170)
    };
    let complaint = |world: &World, id: &str, complainant: &str| {
        TenderChange::Complained(ComplaintState {
            id: id.into(),
            award: "award-1".into(),
            complainant: complainant.into(),
            text: TEXT.into(),
            status: "filed".into(),
            filed_idx: world.next(),
            decisions: Vec::new(),
        })
    };
    run(vec![
        c("an unknown member", &awarded, with(body.clone(), "remedy", json!("重新评标")))
            .body("body.remedy is not part of this kind"),
        c("no award", &awarded, without(body.clone(), "award")).body("body.award is missing"),
        c("an award id of 65 characters", &awarded, with(body.clone(), "award", json!(long(65))))
            .body("body.award must be at most 64 characters"),
        c("no text", &awarded, without(body.clone(), "text")).body("body.text is missing"),
        c("a text of 20001 characters", &awarded, with(body.clone(), "text", json!(long(20_001))))
            .body("body.text must be at most 20000 characters"),
        c("by a supplier whose bid lapsed", &awarded, body.clone())
            .signed(&[GAMMA])
            .forbidden("complaints are filed by a bidder of tender ocds-vtest1-000001 (a supplier that revealed a bid)"),
        c("by a key of a bidder whose role is not to bid", &awarded, body.clone())
            .signed(&[ACME_CLERK])
            .forbidden("complaints are filed by a bidder of tender ocds-vtest1-000001"),
        c("by the buyer's officer", &awarded, body.clone())
            .signed(&[OFFICER])
            .forbidden("complaints are filed by a bidder of tender ocds-vtest1-000001"),
        c("signed by an unknown key", &awarded, body.clone())
            .signed(&[ACME, OT_SPARE])
            .forbidden("is not registered"),
        c("signed by a revoked key", &awarded, body.clone())
            .signed(&[ACME, REVOKED])
            .forbidden("was revoked"),
        c("a tender that does not exist", &awarded, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        c("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        c("an award the tender does not have", &awarded, with(body.clone(), "award", json!("award-9")))
            .not_found("tender ocds-vtest1-000001 has no award award-9"),
        c("filed as the standstill period ends", &awarded, body.clone())
            .at(AWARDED_AT + STANDSTILL)
            .conflict("complaints against award award-1 were possible until its standstill period ended at"),
        c("against an award already cancelled, within its standstill", &upheld, body.clone())
            .conflict("complaints against award award-1 were possible until its standstill period ended"),
        c("by a bidder that was not awarded, in the standstill", &awarded, body.clone())
            .accepted(complaint(&awarded, "complaint-1", "acme")),
        c("a second complaint, by the awarded bidder's rival's administrator", &filed, body.clone())
            .signed(&[ACME_ADMIN])
            .accepted(complaint(&filed, "complaint-2", "acme")),
    ]);
}

#[test]
fn complaint_decided() {
    let filed = complained(&[]);
    let accepted = complained(&["accepted"]);
    let upheld = complained(&["upheld"]);
    let dismissed = complained(&["dismissed"]);
    let cancelled = complained(&[]).cancel(3_160);
    let decide = |decision: &str| json!({"complaint": "complaint-1", "decision": decision, "reason": "理由成立"});
    let d = |name, world, body| {
        case(name, world, &ComplaintDecided, body)
            .signed(&[SUPERVISOR])
            .at(3_180)
    };
    let decided = |world: &World, decision: &str| TenderChange::ComplaintDecided {
        complaint: "complaint-1".into(),
        decision: decision.into(),
        reason: "理由成立".into(),
        index: world.next(),
    };
    run(vec![
        d(
            "an unknown member",
            &filed,
            with(decide("accepted"), "remedy", json!("x")),
        )
        .body("body.remedy is not part of this kind"),
        d(
            "no complaint",
            &filed,
            without(decide("accepted"), "complaint"),
        )
        .body("body.complaint is missing"),
        d(
            "a complaint id of 65 characters",
            &filed,
            with(decide("accepted"), "complaint", json!(long(65))),
        )
        .body("body.complaint must be at most 64 characters"),
        d(
            "no decision",
            &filed,
            without(decide("accepted"), "decision"),
        )
        .body("body.decision is missing"),
        d("a decision that is not one", &filed, decide("rejected"))
            .body("body.decision must be accepted, upheld or dismissed"),
        d("no reason", &filed, without(decide("accepted"), "reason"))
            .body("body.reason is missing"),
        d(
            "a reason of 20001 characters",
            &filed,
            with(decide("accepted"), "reason", json!(long(20_001))),
        )
        .body("body.reason must be at most 20000 characters"),
        d("signed by the buyer's officer", &filed, decide("accepted"))
            .signed(&[OFFICER])
            .forbidden("complaints are decided by a supervisory body's supervisor"),
        d(
            "signed by a supervisor's key of an organisation that is not a supervisory body",
            &filed,
            decide("accepted"),
        )
        .signed(&[CITY_SUPERVISOR])
        .forbidden("complaints are decided by a supervisory body's supervisor"),
        d("signed by an unknown key", &filed, decide("accepted"))
            .signed(&[SUPERVISOR, OT_SPARE])
            .forbidden("is not registered"),
        d("signed by a revoked key", &filed, decide("accepted"))
            .signed(&[SUPERVISOR, REVOKED])
            .forbidden("was revoked"),
        d("a tender that does not exist", &filed, decide("accepted"))
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        d("a cancelled tender", &cancelled, decide("accepted"))
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        d(
            "a complaint the tender does not have",
            &filed,
            with(decide("accepted"), "complaint", json!("complaint-9")),
        )
        .not_found("tender ocds-vtest1-000001 has no complaint-9"),
        d(
            "accepting a complaint accepted already",
            &accepted,
            decide("accepted"),
        )
        .conflict("complaint-1 is accepted: it cannot become accepted"),
        d(
            "dismissing an upheld complaint",
            &upheld,
            decide("dismissed"),
        )
        .conflict("complaint-1 is upheld: it cannot become dismissed"),
        d(
            "upholding a dismissed complaint",
            &dismissed,
            decide("upheld"),
        )
        .conflict("complaint-1 is dismissed: it cannot become upheld"),
        d(
            "accepting a filed complaint for review",
            &filed,
            decide("accepted"),
        )
        .accepted(decided(&filed, "accepted")),
        d("upholding a filed complaint", &filed, decide("upheld"))
            .accepted(decided(&filed, "upheld")),
        d(
            "dismissing a complaint under review",
            &accepted,
            decide("dismissed"),
        )
        .accepted(decided(&accepted, "dismissed")),
        d(
            "upholding a complaint under review",
            &accepted,
            decide("upheld"),
        )
        .accepted(decided(&accepted, "upheld")),
    ]);
}

/// An upheld complaint cancels the award and reopens evaluation (`TenderState::apply`).
#[test]
fn an_upheld_complaint_reopens_evaluation() {
    let world = complained(&["upheld"]);
    assert_eq!(world.tender().status, Status::Evaluation);
    assert_eq!(world.tender().awards[0].status, "cancelled");
    assert_eq!(world.tender().complaints[0].status, "upheld");
}

/// Two complaints against award-1: the first upheld reopens evaluation, award-2 goes to
/// beta again and its contract is signed; then the second complaint, against the award
/// that fell already, is upheld. The decision is on the record and changes nothing else:
/// the tender stays contracted, award-2 active.
#[test]
fn upholding_a_complaint_against_a_fallen_award_leaves_the_contract_standing() {
    let file = |world: World, at: i64| {
        world.then(
            &ComplaintFiled,
            TENDER,
            json!({"award": "award-1", "text": TEXT}),
            &[ACME],
            at,
            None,
        )
    };
    let uphold = json!({"complaint": "complaint-2", "decision": "upheld", "reason": "理由"});
    let contracted = file(file(World::at(Stage::Awarded), 3_150), 3_151)
        .then(
            &ComplaintDecided,
            TENDER,
            json!({"complaint": "complaint-1", "decision": "upheld", "reason": "理由"}),
            &[SUPERVISOR],
            3_160,
            None,
        )
        .then(
            &AwardMade,
            TENDER,
            json!({"commitment": commitment("beta"), "evaluation_report_sha256": hex(REPORT)}),
            &[OFFICER],
            3_170,
            None,
        )
        .then(
            &ContractSigned,
            TENDER,
            json!({"award": "award-2", "value": {"amount": "900000.00", "currency": "CNY"}, "document_sha256": hex(CONTRACT_DOC)}),
            &[OFFICER, BETA],
            3_170 + STANDSTILL,
            None,
        );
    assert_eq!(contracted.tender().status, Status::Contracted);
    let after = contracted.then(
        &ComplaintDecided,
        TENDER,
        uphold,
        &[SUPERVISOR],
        3_400,
        None,
    );
    let tender = after.tender();
    assert_eq!(tender.complaints[1].status, "upheld");
    assert_eq!(
        tender.status,
        Status::Contracted,
        "the tender left contracted"
    );
    assert_eq!(tender.awards[0].status, "cancelled");
    assert_eq!(tender.awards[1].status, "active");
}
