//! Sealed bids: `bid.committed`, `bid.withdrawn`, `bid.lapsed`, `bid.revealed` and
//! `bid.disqualified`.

use super::fixture::*;

/// The bid `bid.committed` makes in `world`.
fn committed(
    world: &World,
    commitment: &str,
    one_time: u8,
    holder: &str,
    at: i64,
    replaces: Option<String>,
) -> TenderChange {
    TenderChange::BidCommitted {
        bid: BidState {
            commitment: commitment.into(),
            key: b64(one_time),
            holder: Some(holder.into()),
            lapsed_idx: None,
            status: BidStatus::Committed,
            committed_idx: world.next(),
            committed_at: ts(at),
            revealed: None,
            reason: None,
        },
        replaces,
        index: world.next(),
    }
}

/// A tender in its reveal window whose only bid is `bid`, committed under the one-time key
/// `one_time` from `author`'s account; and the sealed bid.
fn one_bid(bid: Value, one_time: u8, author: &str) -> (World, (Bid, Salt, String)) {
    let sealed = seal(bid, 0x21);
    let world = World::at(Stage::Tendering)
        .commit_sealed(&sealed.2, one_time, author, 1_100)
        .status("opening", TENDER_END);
    (world, sealed)
}

/// The reveal of the only bid of a tender made by `one_bid`, signed by `keys`.
fn odd<'w>(
    name: &'static str,
    (world, sealed): &'w (World, (Bid, Salt, String)),
    keys: &[u8],
) -> Case<'w> {
    case(name, world, &BidRevealed, reveal_body(sealed))
        .signed(keys)
        .at(2_500)
}

/// A commitment no bid has.
fn fresh() -> String {
    hex(0x77)
}

#[test]
fn bid_committed() {
    let published = World::at(Stage::Published);
    let tendering = World::at(Stage::Tendering);
    let bids = World::at(Stage::Bids);
    let cancelled = World::at(Stage::Tendering).cancel(1_050);
    let withdrawn = World::at(Stage::Bids).then(
        &BidWithdrawn,
        TENDER,
        json!({"commitment": commitment("acme")}),
        &[OT_ACME],
        1_400,
        Some("acme"),
    );
    // Acme's bid, logged before the platform kept who sent each bid.
    let legacy = World::at(Stage::Bids).edit(|t| t.bids[0].holder = None);
    let fresh = fresh();
    let acme = commitment("acme");
    let new = json!({"commitment": fresh});
    let replacing = json!({"commitment": fresh, "replaces": acme});
    let c = |name, world, body| {
        case(name, world, &BidCommitted, body)
            .signed(&[OT_ACME])
            .by("acme")
    };
    run(vec![
        // The body's schema.
        c(
            "an unknown member",
            &tendering,
            json!({"commitment": fresh, "price": "1"}),
        )
        .body("body.price is not part of this kind"),
        c("no commitment", &tendering, json!({})).body("body.commitment is missing"),
        c(
            "a commitment that is not a hash",
            &tendering,
            json!({"commitment": "abc"}),
        )
        .body("body.commitment must be 64 lowercase hexadecimal digits"),
        c(
            "a replaced commitment that is not a hash",
            &tendering,
            json!({"commitment": fresh, "replaces": "abc"}),
        )
        .body("body.replaces must be 64 lowercase hexadecimal digits"),
        // Who signs.
        c(
            "signed by the bidder's registered key",
            &tendering,
            new.clone(),
        )
        .signed(&[ACME])
        .forbidden("a bid is signed by a one-time key made for it, not by a registered key"),
        c(
            "signed by a one-time key and a registered key",
            &tendering,
            new.clone(),
        )
        .signed(&[OT_ACME, ACME])
        .forbidden("not by a registered key, so that who bid stays hidden"),
        c("signed by no key", &tendering, new.clone())
            .signed(&[])
            .forbidden("a bid is signed by a one-time key made for it"),
        c("signed by two one-time keys", &tendering, new.clone())
            .signed(&[OT_ACME, OT_SPARE])
            .forbidden("is not registered"),
        c(
            "signed by a one-time key and a revoked key",
            &tendering,
            new.clone(),
        )
        .signed(&[OT_ACME, REVOKED])
        .forbidden("was revoked"),
        c("sent from no account", &tendering, new.clone())
            .by_nobody()
            .forbidden("a sealed bid is sent from a supplier's account"),
        // The tender and its timeline.
        c("a tender that does not exist", &tendering, new.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        c("a cancelled tender", &cancelled, new.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        c(
            "logged before the enquiry period ends",
            &published,
            new.clone(),
        )
        .at(ENQUIRY_END - 1)
        .conflict("tender ocds-vtest1-000001 accepts bids from"),
        c(
            "logged at the deadline, before the scheduler's opening",
            &tendering,
            new.clone(),
        )
        .at(TENDER_END)
        .conflict("the deadline of tender ocds-vtest1-000001 passed at"),
        // The tender's bids.
        c(
            "a commitment that is already a bid",
            &bids,
            json!({"commitment": acme}),
        )
        .signed(&[OT_SPARE])
        .conflict("is already a bid of tender ocds-vtest1-000001"),
        c(
            "a second bid under the same one-time key",
            &bids,
            new.clone(),
        )
        .conflict("your organisation already has a standing bid"),
        c(
            "a second bid of the same organisation under another one-time key",
            &bids,
            new.clone(),
        )
        .signed(&[OT_SPARE])
        .conflict("your organisation already has a standing bid"),
        c("replacing another key's bid", &bids, replacing.clone())
            .signed(&[OT_BETA])
            .by("beta")
            .forbidden("only the key that committed a bid can replace it"),
        c(
            "replacing its key's bid from another organisation's account",
            &bids,
            replacing.clone(),
        )
        .by("beta")
        .forbidden("only the key that committed a bid can replace it"),
        c("replacing a withdrawn bid", &withdrawn, replacing.clone())
            .conflict(format!("bid {acme} no longer stands")),
        c(
            "replacing a bid the tender does not have",
            &bids,
            json!({"commitment": fresh, "replaces": hex(0x78)}),
        )
        .not_found("tender ocds-vtest1-000001 has no bid 7878"),
        // What it does.
        c("a first bid", &tendering, new.clone())
            .at(1_100)
            .accepted(committed(&tendering, &fresh, OT_ACME, "acme", 1_100, None)),
        c(
            "a bid logged as the enquiry period ends, before the scheduler's transition",
            &published,
            new.clone(),
        )
        .at(ENQUIRY_END)
        .accepted(committed(
            &published,
            &fresh,
            OT_ACME,
            "acme",
            ENQUIRY_END,
            None,
        )),
        c("a bid replacing its key's own", &bids, replacing.clone())
            .at(1_500)
            .accepted(committed(
                &bids,
                &fresh,
                OT_ACME,
                "acme",
                1_500,
                Some(acme.clone()),
            )),
        c(
            "a new bid after withdrawing the first",
            &withdrawn,
            new.clone(),
        )
        .signed(&[OT_SPARE])
        .at(1_500)
        .accepted(committed(&withdrawn, &fresh, OT_SPARE, "acme", 1_500, None)),
        c(
            "replacing a bid logged before the platform kept its sender",
            &legacy,
            replacing.clone(),
        )
        .at(1_500)
        .accepted(committed(
            &legacy,
            &fresh,
            OT_ACME,
            "acme",
            1_500,
            Some(acme.clone()),
        )),
    ]);
}

#[test]
fn bid_withdrawn() {
    let bids = World::at(Stage::Bids);
    let cancelled = World::at(Stage::Bids).cancel(1_400);
    let withdrawn = World::at(Stage::Bids).then(
        &BidWithdrawn,
        TENDER,
        json!({"commitment": commitment("acme")}),
        &[OT_ACME],
        1_400,
        Some("acme"),
    );
    let legacy = World::at(Stage::Bids).edit(|t| t.bids[0].holder = None);
    let acme = commitment("acme");
    let body = json!({"commitment": acme});
    let w = |name, world, body| {
        case(name, world, &BidWithdrawn, body)
            .signed(&[OT_ACME])
            .by("acme")
    };
    let done = |world: &World| TenderChange::BidWithdrawn {
        commitment: commitment("acme"),
        index: world.next(),
    };
    run(vec![
        w(
            "an unknown member",
            &bids,
            json!({"commitment": acme, "reason": "r"}),
        )
        .body("body.reason is not part of this kind"),
        w("no commitment", &bids, json!({})).body("body.commitment is missing"),
        w(
            "a commitment that is not a hash",
            &bids,
            json!({"commitment": "ACME"}),
        )
        .body("body.commitment must be 64 lowercase hexadecimal digits"),
        w(
            "signed by the bidder's registered key alone",
            &bids,
            body.clone(),
        )
        .signed(&[ACME])
        .forbidden("a withdrawal is signed by the bid's one-time key alone"),
        w(
            "signed by its one-time key and the bidder's registered key",
            &bids,
            body.clone(),
        )
        .signed(&[OT_ACME, ACME])
        .forbidden("so that who bid stays hidden until the deadline"),
        w("signed by two one-time keys", &bids, body.clone())
            .signed(&[OT_ACME, OT_SPARE])
            .forbidden("is not registered"),
        w(
            "signed by a one-time key and a revoked key",
            &bids,
            body.clone(),
        )
        .signed(&[OT_ACME, REVOKED])
        .forbidden("was revoked"),
        w("a tender that does not exist", &bids, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        w("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        w(
            "logged at the deadline, before the scheduler's opening",
            &bids,
            body.clone(),
        )
        .at(TENDER_END)
        .conflict("has passed: bids can no longer be withdrawn"),
        w(
            "a bid the tender does not have",
            &bids,
            json!({"commitment": fresh()}),
        )
        .not_found("tender ocds-vtest1-000001 has no bid 7777"),
        w("signed by another bid's one-time key", &bids, body.clone())
            .signed(&[OT_BETA])
            .by("beta")
            .forbidden(
                "only the key that committed a bid, sent by the same organisation, can withdraw it",
            ),
        w(
            "signed by its key, from another organisation's account",
            &bids,
            body.clone(),
        )
        .by("beta")
        .forbidden("only the key that committed a bid, sent by the same organisation"),
        w("signed by its key, from no account", &bids, body.clone())
            .by_nobody()
            .forbidden("only the key that committed a bid, sent by the same organisation"),
        w("a bid already withdrawn", &withdrawn, body.clone()).conflict("no longer stands"),
        w("by its key, from its sender's account", &bids, body.clone()).accepted(done(&bids)),
        w(
            "a bid logged before the platform kept its sender, by its key alone",
            &legacy,
            body.clone(),
        )
        .by_nobody()
        .accepted(done(&legacy)),
    ]);
}

#[test]
fn bid_lapsed() {
    let revealed = World::at(Stage::Revealed);
    let evaluation = World::at(Stage::Evaluation);
    let cancelled = World::at(Stage::Revealed).cancel(2_300);
    let gamma = commitment("gamma");
    let body = json!({"commitment": gamma, "bidder": "gamma"});
    let l = |name, world, body| {
        case(name, world, &BidLapsed, body)
            .signed(&[PLATFORM])
            .at(REVEAL_END)
    };
    run(vec![
        l(
            "an unknown member",
            &revealed,
            json!({"commitment": gamma, "bidder": "gamma", "price": "1"}),
        )
        .body("body.price is not part of this kind"),
        l(
            "a commitment that is not a hash",
            &revealed,
            json!({"commitment": "g", "bidder": "gamma"}),
        )
        .body("body.commitment must be 64 lowercase hexadecimal digits"),
        l("no bidder", &revealed, json!({"commitment": gamma})).body("body.bidder is missing"),
        l(
            "a bidder id with a space",
            &revealed,
            json!({"commitment": gamma, "bidder": "gamma co"}),
        )
        .body("body.bidder must be 1 to 64"),
        l(
            "signed by a platform administrator",
            &revealed,
            body.clone(),
        )
        .signed(&[PLATFORM_ADMIN])
        .forbidden("a lapsed bid is attributed by the platform's key"),
        l("signed by an unknown key", &revealed, body.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        l("signed by a revoked key", &revealed, body.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        l("a tender that does not exist", &revealed, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        l("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        l(
            "logged before the reveal window closes",
            &revealed,
            body.clone(),
        )
        .at(REVEAL_END - 1)
        .conflict("lapse when its reveal window closes"),
        l(
            "a tender that has left its reveal window",
            &evaluation,
            body.clone(),
        )
        .at(3_050)
        .conflict("tender ocds-vtest1-000001 is evaluation: its reveal window closed"),
        l(
            "a bid the tender does not have",
            &revealed,
            json!({"commitment": fresh(), "bidder": "gamma"}),
        )
        .not_found("tender ocds-vtest1-000001 has no bid 7777"),
        l(
            "a revealed bid",
            &revealed,
            json!({"commitment": commitment("acme"), "bidder": "acme"}),
        )
        .conflict("is not sealed any more"),
        l(
            "attributed to an organisation that did not send it",
            &revealed,
            json!({"commitment": gamma, "bidder": "beta"}),
        )
        .conflict("was not sent by beta"),
        l(
            "a bid still sealed, by the platform, once the window closed",
            &revealed,
            body.clone(),
        )
        .accepted(TenderChange::BidLapsed {
            commitment: gamma.clone(),
            index: revealed.next(),
        }),
    ]);
}

#[test]
fn bid_revealed() {
    let bids = World::at(Stage::Bids);
    let opening = World::at(Stage::Opening);
    let revealed = World::at(Stage::Revealed);
    let cancelled = World::at(Stage::Opening).cancel(2_050);
    let acme = sealed("acme");
    let body = reveal_body(&acme);
    let mut wrong_salt = body.clone();
    wrong_salt["salt"] = json!(Salt([0x99; 32]).to_hex());
    let never_committed = reveal_body(&seal(bid_value("acme", "1.00"), 0x55));
    // Bids, each the only one of its tender, that break one rule of the reveal.
    let other_tender = one_bid(
        with(
            bid_value("acme", "1.00"),
            "tender",
            json!("ocds-vtest1-000002"),
        ),
        OT_ACME,
        "acme",
    );
    let sent_by_another = one_bid(bid_value("beta", "1.00"), OT_ACME, "acme");
    let by_a_buyer = one_bid(bid_value("city", "1.00"), OT_SPARE, "city");
    let other_lot = one_bid(
        with(bid_value("acme", "1.00"), "lots", json!(["lot-9"])),
        OT_ACME,
        "acme",
    );
    let not_uploaded = one_bid(
        with(
            bid_value("acme", "1.00"),
            "documents",
            json!([{"sha256": hex(NOBODY_DOC)}]),
        ),
        OT_ACME,
        "acme",
    );
    let in_dollars = one_bid(
        with(
            bid_value("acme", "1.00"),
            "price",
            json!({"amount": "1.00", "currency": "USD"}),
        ),
        OT_ACME,
        "acme",
    );
    // Acme's bid logged before the platform kept its sender, and a second bid of acme's,
    // revealed already.
    let second = seal(bid_value("acme", "990000.00"), 0x22);
    let twice = World::at(Stage::Tendering)
        .commit("acme", 1_100)
        .edit(|t| t.bids[0].holder = None)
        .commit_sealed(&second.2, OT_SPARE, "acme", 1_200)
        .status("opening", TENDER_END)
        .then(
            &BidRevealed,
            TENDER,
            reveal_body(&second),
            &[OT_SPARE, ACME],
            2_100,
            None,
        );
    let r = |name, world, body| {
        case(name, world, &BidRevealed, body)
            .signed(&[OT_ACME, ACME])
            .at(2_500)
    };
    run(vec![
        // The body's schema.
        r(
            "an unknown member",
            &opening,
            with(body.clone(), "note", json!("n")),
        )
        .body("body.note is not part of this kind"),
        r(
            "a commitment that is not a hash",
            &opening,
            with(body.clone(), "commitment", json!("c")),
        )
        .body("body.commitment must be 64 lowercase hexadecimal digits"),
        r("no salt", &opening, without(body.clone(), "salt")).body("body.salt is missing"),
        r(
            "a salt of 31 bytes",
            &opening,
            with(body.clone(), "salt", json!("ab".repeat(31))),
        )
        .body("body.salt: the salt must be 64 lowercase hexadecimal digits"),
        r("no bid", &opening, without(body.clone(), "bid"))
            .body("body.bid: a bid must be a JSON object"),
        r(
            "a bid without a price",
            &opening,
            with(body.clone(), "bid", without(acme.0.to_value(), "price")),
        )
        .body("body.bid: the bid has no \"price\""),
        // Who signs.
        r(
            "signed by the bidder's registered key alone",
            &opening,
            body.clone(),
        )
        .signed(&[ACME])
        .forbidden("a bid is signed by a one-time key made for it"),
        r("signed by two one-time keys", &opening, body.clone())
            .signed(&[OT_ACME, OT_SPARE, ACME])
            .forbidden("is not registered"),
        r(
            "signed by a one-time key and a revoked key",
            &opening,
            body.clone(),
        )
        .signed(&[OT_ACME, REVOKED])
        .forbidden("was revoked"),
        // The tender and its timeline.
        r("a tender that does not exist", &opening, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        r("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        r("logged before the deadline", &bids, body.clone())
            .at(TENDER_END - 1)
            .conflict("are revealed after its deadline"),
        r("logged as the reveal window closes", &opening, body.clone())
            .at(REVEAL_END)
            .conflict("the reveal window of tender ocds-vtest1-000001 closed at"),
        // The bid.
        r("a bid that was never committed", &opening, never_committed)
            .not_found("tender ocds-vtest1-000001 has no bid"),
        r(
            "signed by another bid's one-time key",
            &opening,
            body.clone(),
        )
        .signed(&[OT_BETA, ACME])
        .forbidden("the reveal must be signed by the one-time key that committed the bid"),
        r("a bid revealed already", &revealed, body.clone())
            .conflict("cannot be revealed: it is revealed"),
        r("the wrong salt", &opening, wrong_salt)
            .conflict("the bid and salt do not hash to the commitment"),
        odd("a bid for another tender", &other_tender, &[OT_ACME, ACME])
            .conflict("the bid names tender ocds-vtest1-000002, not ocds-vtest1-000001"),
        odd(
            "a bid naming another organisation than the one that sent it",
            &sent_by_another,
            &[OT_ACME, BETA],
        )
        .forbidden("a bid is revealed by the organisation that sent it"),
        r("not signed by the bidder", &opening, body.clone())
            .signed(&[OT_ACME, BETA])
            .forbidden("the reveal must also be signed by a registered key of acme"),
        r(
            "signed by a key of the bidder whose role is not to bid",
            &opening,
            body.clone(),
        )
        .signed(&[OT_ACME, ACME_CLERK])
        .forbidden("the reveal must also be signed by a registered key of acme"),
        odd("a bid of a buyer", &by_a_buyer, &[OT_SPARE, CITY_ADMIN])
            .forbidden("city is not a supplier"),
        case(
            "a second bid of a bidder that revealed one",
            &twice,
            &BidRevealed,
            body.clone(),
        )
        .signed(&[OT_ACME, ACME])
        .at(2_500)
        .conflict("acme has already revealed a bid in tender ocds-vtest1-000001"),
        odd(
            "a bid for a lot the tender does not have",
            &other_lot,
            &[OT_ACME, ACME],
        )
        .conflict("the bid names lot lot-9, which tender ocds-vtest1-000001 does not have"),
        odd(
            "a bid whose document nobody uploaded",
            &not_uploaded,
            &[OT_ACME, ACME],
        )
        .conflict("of the bid is not uploaded by the signer's organisation"),
        odd(
            "a bid priced in another currency",
            &in_dollars,
            &[OT_ACME, ACME],
        )
        .conflict("the bid's price is in \"USD\", the tender's value in \"CNY\""),
        // What it does.
        r(
            "by its one-time key and the bidder, in the window",
            &opening,
            body.clone(),
        )
        .accepted(TenderChange::BidRevealed {
            commitment: acme.2.clone(),
            revealed: RevealedBid {
                bidder: "acme".into(),
                bid: acme.0.to_value(),
                price: json!({"amount": "1000000.00", "currency": "CNY"}),
                revealed_idx: opening.next(),
            },
        }),
        r(
            "signed by the bidder's administrator",
            &opening,
            body.clone(),
        )
        .signed(&[OT_ACME, ACME_ADMIN])
        .accepted(TenderChange::BidRevealed {
            commitment: acme.2.clone(),
            revealed: RevealedBid {
                bidder: "acme".into(),
                bid: acme.0.to_value(),
                price: json!({"amount": "1000000.00", "currency": "CNY"}),
                revealed_idx: opening.next(),
            },
        }),
    ]);
}

#[test]
fn bid_disqualified() {
    let revealed = World::at(Stage::Revealed);
    let evaluation = World::at(Stage::Evaluation);
    let cancelled = World::at(Stage::Evaluation).cancel(3_050);
    let beta = commitment("beta");
    let body = json!({"commitment": beta, "reason": "资质证书过期"});
    let d = |name, world, body| case(name, world, &BidDisqualified, body).signed(&[OFFICER]);
    run(vec![
        d(
            "an unknown member",
            &evaluation,
            with(body.clone(), "score", json!(0)),
        )
        .body("body.score is not part of this kind"),
        d(
            "a commitment that is not a hash",
            &evaluation,
            with(body.clone(), "commitment", json!(7)),
        )
        .body("body.commitment must be a non-empty string"),
        d("no reason", &evaluation, without(body.clone(), "reason")).body("body.reason is missing"),
        d(
            "a reason of 5001 characters",
            &evaluation,
            with(body.clone(), "reason", json!(long(5_001))),
        )
        .body("body.reason must be at most 5000 characters"),
        d(
            "signed by another buyer's officer",
            &evaluation,
            body.clone(),
        )
        .signed(&[TOWN_OFFICER])
        .forbidden("needs a signature by a procurement officer of city"),
        d("signed by a bidder", &evaluation, body.clone())
            .signed(&[ACME])
            .forbidden("needs a signature by a procurement officer of city"),
        d("signed by an unknown key", &evaluation, body.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        d("signed by a revoked key", &evaluation, body.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        d("a tender that does not exist", &evaluation, body.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        d("a cancelled tender", &cancelled, body.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        d(
            "a tender still in its reveal window",
            &revealed,
            body.clone(),
        )
        .conflict("bids are disqualified during evaluation; tender ocds-vtest1-000001 is opening"),
        d(
            "a bid the tender does not have",
            &evaluation,
            with(body.clone(), "commitment", json!(fresh())),
        )
        .not_found("tender ocds-vtest1-000001 has no bid 7777"),
        d(
            "a lapsed bid",
            &evaluation,
            with(body.clone(), "commitment", json!(commitment("gamma"))),
        )
        .conflict("only a revealed bid can be disqualified"),
        d(
            "a revealed bid, by the buyer's officer, in evaluation",
            &evaluation,
            body.clone(),
        )
        .accepted(TenderChange::BidDisqualified {
            commitment: beta.clone(),
            reason: "资质证书过期".into(),
            index: evaluation.next(),
        }),
    ]);
}
