//! `award.made`: lowest price, plain scores, and weighted criteria.

use super::fixture::*;

/// The award of the bid of `organisation` (one of `BIDDERS`, at `price`) made in `world`
/// at `at`, publishing `scores`.
fn award(
    world: &World,
    organisation: &str,
    price: &str,
    at: i64,
    scores: Option<Value>,
) -> TenderChange {
    TenderChange::Awarded(AwardState {
        id: "award-1".into(),
        commitment: commitment(organisation),
        supplier: organisation.into(),
        lots: vec!["lot-1".into()],
        value: json!({"amount": price, "currency": "CNY"}),
        evaluation_report_sha256: hex(REPORT),
        scores,
        status: "pending".into(),
        awarded_idx: world.next(),
        date: ts(at),
        standstill_end: ts(at + STANDSTILL),
    })
}

/// The body of the award of `organisation`'s bid, with `scores` if given.
fn body(organisation: &str, scores: Option<Value>) -> Value {
    let mut body =
        json!({"commitment": commitment(organisation), "evaluation_report_sha256": hex(REPORT)});
    if let Some(scores) = scores {
        body["scores"] = scores;
    }
    body
}

#[test]
fn award_made_at_the_lowest_price() {
    let opening = World::at(Stage::Revealed);
    let evaluation = World::at(Stage::Evaluation);
    let awarded = World::at(Stage::Awarded);
    let cancelled = World::at(Stage::Evaluation).cancel(3_050);
    let beta_out = World::at(Stage::Evaluation).then(
        &BidDisqualified,
        TENDER,
        json!({"commitment": commitment("beta"), "reason": "资质证书过期"}),
        &[OFFICER],
        3_050,
        None,
    );
    let (acme, beta, gamma) = (commitment("acme"), commitment("beta"), commitment("gamma"));
    let a = |name, world, body| {
        case(name, world, &AwardMade, body)
            .signed(&[OFFICER])
            .at(3_100)
    };
    run(vec![
        // The body's schema.
        a(
            "an unknown member",
            &evaluation,
            with(body("beta", None), "lots", json!(["lot-1"])),
        )
        .body("body.lots is not part of this kind"),
        a(
            "a commitment that is not a hash",
            &evaluation,
            with(body("beta", None), "commitment", json!("beta")),
        )
        .body("body.commitment must be 64 lowercase hexadecimal digits"),
        a(
            "no evaluation report",
            &evaluation,
            without(body("beta", None), "evaluation_report_sha256"),
        )
        .body("body.evaluation_report_sha256 is missing"),
        a(
            "scores that are a list",
            &evaluation,
            body("beta", Some(json!([9000, 8000]))),
        )
        .body("body.scores must map each revealed bid's commitment to its score"),
        a(
            "points per criterion given to something else than a commitment",
            &evaluation,
            body("beta", Some(json!({"acme": {"technical": 90}}))),
        )
        .body("body.scores: \"acme\" is not a commitment"),
        a(
            "a score given to something else than a commitment",
            &evaluation,
            body("beta", Some(json!({"acme": 9000}))),
        )
        .body("body.scores: \"acme\" is not a commitment"),
        a(
            "a score above 10000",
            &evaluation,
            body("beta", Some(json!({beta.as_str(): 10_001}))),
        )
        .body(format!(
            "body.scores.{beta} must be an integer from 0 to 10000"
        )),
        // Who signs.
        a(
            "signed by another buyer's officer",
            &evaluation,
            body("beta", None),
        )
        .signed(&[TOWN_OFFICER])
        .forbidden("needs a signature by a procurement officer of city"),
        a("signed by an unknown key", &evaluation, body("beta", None))
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        a("signed by a revoked key", &evaluation, body("beta", None))
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        // The tender.
        a(
            "a tender that does not exist",
            &evaluation,
            body("beta", None),
        )
        .subject(NO_TENDER)
        .not_found("tender ocds-vtest1-999999 does not exist"),
        a("a cancelled tender", &cancelled, body("beta", None))
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        a(
            "a tender still in its reveal window",
            &opening,
            body("beta", None),
        )
        .at(2_500)
        .conflict("awards are made during evaluation; tender ocds-vtest1-000001 is opening"),
        a("a tender already awarded", &awarded, body("beta", None))
            .at(3_150)
            .conflict("tender ocds-vtest1-000001 is already awarded (award award-1)"),
        // The bid.
        a(
            "a commitment that is not a bid",
            &evaluation,
            with(body("beta", None), "commitment", json!(hex(0x77))),
        )
        .conflict("is not a bid of tender ocds-vtest1-000001: only a bidder can be awarded"),
        a("a lapsed bid", &evaluation, body("gamma", None)).conflict(format!(
            "bid {gamma} is lapsed: only a revealed bid that stands can be awarded"
        )),
        a("a disqualified bid", &beta_out, body("beta", None)).conflict(format!(
            "bid {beta} is disqualified: only a revealed bid that stands"
        )),
        a(
            "a bid dearer than another revealed bid",
            &evaluation,
            body("acme", None),
        )
        .conflict(format!(
            "is awarded at the lowest price, and bid {beta} is lower: disqualify it"
        )),
        a(
            "scores for a tender awarded at the lowest price",
            &evaluation,
            body(
                "beta",
                Some(json!({beta.as_str(): 9000, acme.as_str(): 8000})),
            ),
        )
        .invalid("tender is awarded at the lowest price: body.scores does not apply"),
        a(
            "an evaluation report nobody uploaded",
            &evaluation,
            with(
                body("beta", None),
                "evaluation_report_sha256",
                json!(hex(NOBODY_DOC)),
            ),
        )
        .conflict("of the evaluation report is not uploaded by the signer's organisation"),
        // What it does.
        a("the lowest revealed bid", &evaluation, body("beta", None)).accepted(award(
            &evaluation,
            "beta",
            "900000.00",
            3_100,
            None,
        )),
        a(
            "the next bid, once the lowest is disqualified",
            &beta_out,
            body("acme", None),
        )
        .accepted(award(&beta_out, "acme", "1000000.00", 3_100, None)),
    ]);
}

#[test]
fn award_made_by_scores() {
    let plain = World::of(
        with(tender_body(), "award_criteria", json!("scored")),
        Stage::Evaluation,
    );
    let (acme, beta, gamma) = (commitment("acme"), commitment("beta"), commitment("gamma"));
    let a = |name, organisation, scores| {
        case(name, &plain, &AwardMade, body(organisation, scores))
            .signed(&[OFFICER])
            .at(3_100)
    };
    let scores = json!({acme.as_str(): 9100, beta.as_str(): 8000});
    run(vec![
        a("no scores", "acme", None).invalid(
            "tender is awarded by scores: body.scores must give every revealed bid its score",
        ),
        a(
            "a revealed bid left unscored",
            "beta",
            Some(json!({beta.as_str(): 9000})),
        )
        .invalid(format!("body.scores has no score for revealed bid {acme}")),
        a(
            "a score for a lapsed bid",
            "acme",
            Some(json!({acme.as_str(): 9100, beta.as_str(): 8000, gamma.as_str(): 100})),
        )
        .invalid(format!(
            "body.scores scores {gamma}, which is not a revealed bid that stands"
        )),
        a(
            "points per criterion for a tender without criteria",
            "acme",
            Some(json!({acme.as_str(): {"technical": 90}, beta.as_str(): 8000})),
        )
        .invalid(format!(
            "body.scores.{acme} must be an integer from 0 to 10000"
        )),
        a("a bid with the lower score", "beta", Some(scores.clone())).conflict(format!(
            "the award must go to the highest score (9100); bid {beta} scored 8000"
        )),
        a(
            "the bid with the highest score, though dearer",
            "acme",
            Some(scores.clone()),
        )
        .accepted(award(
            &plain,
            "acme",
            "1000000.00",
            3_100,
            Some(scores.clone()),
        )),
    ]);
}

#[test]
fn award_made_by_weighted_criteria() {
    let weighted = World::of(
        with(
            with(tender_body(), "award_criteria", json!("scored")),
            "criteria",
            criteria(),
        ),
        Stage::Evaluation,
    );
    let (acme, beta, gamma) = (commitment("acme"), commitment("beta"), commitment("gamma"));
    let a = |name, organisation, scores| {
        case(
            name,
            &weighted,
            &AwardMade,
            body(organisation, Some(scores)),
        )
        .signed(&[OFFICER])
        .at(3_100)
    };
    // The committee's points; the platform scores the price: beta's, the lowest, 100.00,
    // acme's 900000 / 1000000 × 100 = 90.00.
    //   acme: 30 × 90.00 + 50 × 95 + 20 × 90 = 9250 (hundredths)
    //   beta: 30 × 100   + 50 × 80 + 20 × 85 = 8700
    let acme_points = json!({"technical": 95, "service": 90});
    let beta_points = json!({"technical": 80, "service": 85});
    let points = json!({acme.as_str(): acme_points, beta.as_str(): beta_points});
    let totals = json!({
        acme.as_str(): {"total": 9250, "criteria": {"price": 9000, "technical": 9500, "service": 9000}},
        beta.as_str(): {"total": 8700, "criteria": {"price": 10_000, "technical": 8000, "service": 8500}},
    });
    run(vec![
        a("points for a lapsed bid", "acme", json!({acme.as_str(): acme_points, beta.as_str(): beta_points, gamma.as_str(): acme_points}))
            .invalid(format!("body.scores scores {gamma}, which is not a revealed bid that stands")),
        a("a revealed bid without points", "acme", json!({acme.as_str(): acme_points}))
            .invalid(format!("body.scores has no points for revealed bid {beta}")),
        a("a bid's points that are not per criterion", "acme", json!({acme.as_str(): acme_points, beta.as_str(): 80}))
            .invalid(format!("body.scores.{beta} must map each criterion to its points")),
        a("points for the price, which the platform scores", "acme", json!({acme.as_str(): {"technical": 95, "service": 90, "price": 100}, beta.as_str(): beta_points}))
            .invalid(format!("body.scores.{acme}.price: no such criterion, or the price")),
        a("a criterion left without points", "acme", json!({acme.as_str(): {"technical": 95}, beta.as_str(): beta_points}))
            .invalid(format!("body.scores.{acme}.service must be an integer from 0 to 100")),
        a("points above 100", "acme", json!({acme.as_str(): {"technical": 101, "service": 90}, beta.as_str(): beta_points}))
            .invalid(format!("body.scores.{acme}.technical must be an integer from 0 to 100")),
        a("a bid with the lower total", "beta", points.clone())
            .conflict(format!("the award must go to the highest score (9250); bid {beta} scored 8700")),
        a("the bid with the highest total, its sums published", "acme", points.clone())
            .accepted(award(&weighted, "acme", "1000000.00", 3_100, Some(totals))),
    ]);
}
