//! `tender.published` and `tender.amended`.

use super::fixture::*;

/// The tender as `tender.published` makes it, in `world`, with `body` and `status`.
fn published(world: &World, body: Value, status: Status) -> TenderChange {
    TenderChange::Published(Box::new(TenderState {
        id: TENDER.into(),
        buyer: "city".into(),
        status,
        reason: None,
        tender: body.into(),
        published_idx: world.next(),
        updated_idx: world.next(),
        bids: Vec::new(),
        awards: Vec::new(),
        contracts: Vec::new(),
        enquiries: Vec::new(),
        amendments: Vec::new(),
        complaints: Vec::new(),
    }))
}

/// A scored tender with weighted criteria `criteria`.
fn scored(criteria: Value) -> Value {
    with(
        with(tender_body(), "award_criteria", json!("scored")),
        "criteria",
        criteria,
    )
}

/// One criterion, weighing 100 %.
fn criterion(extra: &str, value: Value) -> Value {
    let mut c = json!({"id": "technical", "title": {"zh": "技术"}, "weight": 100});
    c[extra] = value;
    json!([c])
}

fn lot(id: &str) -> Value {
    json!({"id": id, "title": {"zh": "服务器"}, "value": {"amount": "100.00", "currency": "CNY"}})
}

#[test]
fn tender_published() {
    let none = World::new();
    let good = tender_body();
    let p = |name, body| {
        case(name, &none, &TenderPublished, body)
            .signed(&[OFFICER])
            .at(0)
    };
    let lots = |lots: Value| with(tender_body(), "lots", lots);
    let documents = |documents: Value| with(tender_body(), "documents", documents);
    let many_lots: Vec<Value> = (0..101).map(|i| lot(&format!("lot-{i}"))).collect();
    let many_documents: Vec<Value> = (0..201)
        .map(|i| json!({"sha256": format!("{:064x}", i), "title": "附件"}))
        .collect();
    // A document made public by another buyer's tender may be named by anyone.
    let town_tender = with(
        with(
            with(tender_body(), "id", json!("ocds-vtest1-town01")),
            "buyer",
            json!("town"),
        ),
        "documents",
        json!([{"sha256": hex(TOWN_DOC), "title": "示范文本"}]),
    );
    let public = World::new().then(
        &TenderPublished,
        "ocds-vtest1-town01",
        town_tender,
        &[TOWN_OFFICER],
        0,
        None,
    );
    let naming_public = documents(json!([{"sha256": hex(TOWN_DOC), "title": "示范文本"}]));
    let exists = World::at(Stage::Published);
    run(vec![
        // The body's schema.
        p("a body that is not an object", json!(["ocds-vtest1-000001"]))
            .body("the body must be a JSON object"),
        p("an unknown member", with(good.clone(), "logo", json!("x")))
            .body("body.logo is not part of this kind"),
        p("no id", without(good.clone(), "id")).body("body.id is missing"),
        p("an id with a space", with(good.clone(), "id", json!("ocds-vtest1-a b")))
            .body("body.id must be 1 to 64"),
        p("an id that is not an ocid", with(good.clone(), "id", json!("tender-1")))
            .body("must be an OCDS ocid"),
        p("a buyer id with a space", with(good.clone(), "buyer", json!("the city")))
            .body("body.buyer must be 1 to 64"),
        p("no title", without(good.clone(), "title"))
            .body("body.title must be {\"zh\": …, \"en\": …}"),
        p("a title in a third language", with(good.clone(), "title", json!({"fr": "Serveurs"})))
            .body("body.title takes zh and en texts only"),
        p("a title of 301 characters", with(good.clone(), "title", json!({"zh": long(301)})))
            .body("body.title.zh must be 1 to 300 characters"),
        p("a description of 20001 characters", with(good.clone(), "description", json!({"en": long(20_001)})))
            .body("body.description.en must be 1 to 20000 characters"),
        p("an unknown category", with(good.clone(), "category", json!("land")))
            .body("body.category must be goods, works or services"),
        p("no region", without(good.clone(), "region")).body("body.region is missing"),
        p("a region of 65 characters", with(good.clone(), "region", json!(long(65))))
            .body("body.region must be at most 64 characters"),
        p("an unknown procedure", with(good.clone(), "procedure", json!("auction")))
            .body("body.procedure must be open, selective, competitive_negotiation or single_source"),
        p("a single-source procedure without a justification", with(good.clone(), "procedure", json!("single_source")))
            .body("body.justification is required of a single-source procedure"),
        p("a justification of 5001 characters", with(good.clone(), "justification", json!(long(5_001))))
            .body("body.justification must be at most 5000 characters"),
        p("no value", without(good.clone(), "value")).body("body.value is missing"),
        p("a value with a thousands separator", with(good.clone(), "value", json!({"amount": "1,200", "currency": "CNY"})))
            .body("body.value: amount \"1,200\" is not a non-negative decimal"),
        p("lots that are not an array", lots(json!({"lot-1": {}})))
            .body("body.lots must be a non-empty array of lots"),
        p("no lot", lots(json!([]))).body("body.lots must hold 1 to 100 lots"),
        p("101 lots", lots(Value::Array(many_lots))).body("body.lots must hold 1 to 100 lots"),
        p("a lot that is not an object", lots(json!(["lot-1"])))
            .body("body.lots[0]: body must be an object"),
        p("a lot with an unknown member", lots(json!([with(lot("lot-1"), "price", json!(1))])))
            .body("body.lots[0]: body.price is not part of this kind"),
        p("a lot id with a space", lots(json!([lot("lot 1")])))
            .body("body.lots[0]: body.id must be 1 to 64"),
        p("a lot listed twice", lots(json!([lot("lot-1"), lot("lot-1")])))
            .body("body.lots: lot lot-1 appears twice"),
        p("a lot without a title", lots(json!([without(lot("lot-1"), "title")])))
            .body("lot lot-1: body.title must be"),
        p("a lot without a value", lots(json!([without(lot("lot-1"), "value")])))
            .body("lot lot-1: body.value is missing"),
        p("a lot in another currency", lots(json!([with(lot("lot-1"), "value", json!({"amount": "1", "currency": "USD"}))])))
            .body("lot lot-1: its value is in USD but the tender's is in CNY"),
        p("no documents", without(good.clone(), "documents"))
            .body("body.documents must be an array of at most 200 documents"),
        p("201 documents", documents(Value::Array(many_documents)))
            .body("body.documents must be an array of at most 200 documents"),
        p("a document listed twice", documents(json!([{"sha256": hex(TENDER_DOC), "title": "a"}, {"sha256": hex(TENDER_DOC), "title": "b"}])))
            .body("is listed twice"),
        p("a document that is not an object", documents(json!([hex(TENDER_DOC)])))
            .body("body.documents[0]: body must be an object"),
        p("a document with an unknown member", documents(json!([{"sha256": hex(TENDER_DOC), "title": "a", "url": "http://x"}])))
            .body("body.documents[0]: body.url is not part of this kind"),
        p("a document hash in capitals", documents(json!([{"sha256": hex(TENDER_DOC).to_uppercase(), "title": "a"}])))
            .body("body.documents[0]: body.sha256 must be 64 lowercase hexadecimal digits"),
        p("a document title of 301 characters", documents(json!([{"sha256": hex(TENDER_DOC), "title": long(301)}])))
            .body("body.documents[0]: body.title must be at most 300 characters"),
        p("no enquiry_end", without(good.clone(), "enquiry_end"))
            .body("body.enquiry_end must be an RFC 3339 time"),
        p("a tender_end that is not a time", with(good.clone(), "tender_end", json!("2026-12-01 00:00")))
            .body("body.tender_end: "),
        p("a standstill of more than 90 days", with(good.clone(), "standstill_seconds", json!(7_776_001)))
            .body("body.standstill_seconds must be an integer from 0 to 7776000"),
        p("an enquiry period ending after the deadline", with(good.clone(), "enquiry_end", json!(ts(TENDER_END + 1))))
            .body("body.enquiry_end must not be after body.tender_end"),
        p("a reveal window ending at the deadline", with(good.clone(), "reveal_end", json!(ts(TENDER_END))))
            .body("body.reveal_end must be after body.tender_end"),
        p("no amendment notice", without(good.clone(), "amendment_notice_seconds"))
            .body("body.amendment_notice_seconds must be an integer from 0 to 7776000"),
        p("an amendment notice of more than 90 days", with(good.clone(), "amendment_notice_seconds", json!(7_776_001)))
            .body("body.amendment_notice_seconds must be an integer from 0 to 7776000"),
        p("unknown award criteria", with(good.clone(), "award_criteria", json!("best_value")))
            .body("body.award_criteria must be lowest_price or scored"),
        p("criteria for a lowest-price tender", with(good.clone(), "criteria", criteria()))
            .body("body.criteria applies to scored tenders only"),
        p("criteria that are not an array", scored(json!({"technical": 100})))
            .body("body.criteria must be an array of criteria"),
        p("no criterion", scored(json!([]))).body("body.criteria must hold 1 to 20 criteria"),
        p("a criterion that is not an object", scored(json!(["technical"])))
            .body("body.criteria[0]: body must be an object"),
        p("a criterion with an unknown member", scored(criterion("max", json!(5))))
            .body("body.criteria[0]: body.max is not part of this kind"),
        p("a criterion id with a space", scored(criterion("id", json!("tech nical"))))
            .body("body.criteria[0]: body.id must be 1 to 64"),
        p("a criterion listed twice", scored(json!([
            {"id": "technical", "title": {"zh": "技术"}, "weight": 50},
            {"id": "technical", "title": {"zh": "技术"}, "weight": 50},
        ])))
            .body("body.criteria: criterion technical appears twice"),
        p("a criterion without a title", scored(json!([{"id": "technical", "weight": 100}])))
            .body("criterion technical: body.title must be"),
        p("a criterion weighing 0", scored(criterion("weight", json!(0))))
            .body("criterion technical: weight must be an integer from 1 to 100"),
        p("a criterion whose price flag is not a boolean", scored(criterion("price", json!("yes"))))
            .body("criterion technical: price must be true or false"),
        p("criteria weighing 90 in all", scored(criterion("weight", json!(90))))
            .body("body.criteria: the weights sum to 90, not 100"),
        p("two price criteria", scored(json!([
            {"id": "price", "title": {"zh": "价格"}, "weight": 50, "price": true},
            {"id": "cost", "title": {"zh": "费用"}, "weight": 50, "price": true},
        ])))
            .body("body.criteria: at most one criterion is the price"),
        p("two problems, both named", without(with(good.clone(), "category", json!("land")), "region"))
            .body("body.category must be goods, works or services; body.region is missing"),
        // The rules.
        p("an id other than the statement's subject", good.clone())
            .subject("ocds-vtest1-000002")
            .invalid("body.id \"ocds-vtest1-000001\" must be the statement's subject"),
        p("a buyer that is not registered", with(good.clone(), "buyer", json!("nowhere")))
            .invalid("body.buyer nowhere is not a registered buyer"),
        p("a buyer that is a supplier", with(good.clone(), "buyer", json!("acme")))
            .signed(&[ACME])
            .invalid("body.buyer acme is not a registered buyer"),
        p("signed by another buyer's officer", good.clone())
            .signed(&[TOWN_OFFICER])
            .forbidden("needs a signature by a procurement officer of city, the tender's buyer"),
        p("signed by a key of the buyer that is not an officer's", good.clone())
            .signed(&[CITY_SUPERVISOR])
            .forbidden("needs a signature by a procurement officer of city"),
        p("signed by an unknown key", good.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        p("signed by a revoked key", good.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        case("a tender that already exists", &exists, &TenderPublished, good.clone())
            .signed(&[OFFICER])
            .conflict("tender ocds-vtest1-000001 already exists"),
        p("logged at the deadline", good.clone())
            .at(TENDER_END)
            .conflict("the tender period would already be over"),
        p("a document nobody uploaded", documents(json!([{"sha256": hex(NOBODY_DOC), "title": "a"}])))
            .conflict("document eeee"),
        p("a document only another organisation uploaded", documents(json!([{"sha256": hex(TOWN_DOC), "title": "a"}])))
            .conflict("of the tender is not uploaded by the signer's organisation"),
        // What it does.
        p("by the buyer's officer, in the enquiry period", good.clone())
            .accepted(published(&none, good.clone(), Status::ActiveEnquiries)),
        p("by the buyer's administrator, after the enquiry period", good.clone())
            .signed(&[CITY_ADMIN])
            .at(ENQUIRY_END)
            .accepted(published(&none, good.clone(), Status::ActiveTendering)),
        case("naming a document another tender made public", &public, &TenderPublished, naming_public.clone())
            .signed(&[OFFICER])
            .at(1)
            .accepted(published(&public, naming_public, Status::ActiveEnquiries)),
        p("a scored tender with weighted criteria", scored(criteria()))
            .accepted(published(&none, scored(criteria()), Status::ActiveEnquiries)),
    ]);
}

#[test]
fn tender_amended() {
    let open = World::at(Stage::Published);
    let tendering = World::at(Stage::Tendering);
    let bids = World::at(Stage::Bids);
    let cancelled = World::at(Stage::Published).cancel(50);
    let amend = |changes: Value| json!({"changes": changes, "reason": "更正"});
    let a = |name, world, changes: Value| {
        case(name, world, &TenderAmended, amend(changes))
            .signed(&[OFFICER])
            .at(100)
    };
    let title = json!({"title": {"zh": "新标题"}});
    // The amendment the accepted cases make: the tender after it, and what it records.
    let amended = |world: &World, changes: Value, at: i64| {
        let before = world.tender().tender.document().clone();
        let mut after = before.clone();
        let mut previous = serde_json::Map::new();
        for (field, value) in changes.as_object().expect("changes") {
            previous.insert(field.clone(), before[field.as_str()].clone());
            after[field.as_str()] = value.clone();
        }
        TenderChange::Amended {
            amendment: AmendmentState {
                id: "amendment-1".into(),
                changes,
                previous: Value::Object(previous),
                reason: "更正".into(),
                amended_idx: world.next(),
                date: ts(at),
            },
            tender: after.into(),
        }
    };
    let addendum = json!({"documents": [{"sha256": hex(TENDER_DOC), "title": "招标文件"}, {"sha256": hex(ADDENDUM), "title": "补遗"}]});
    let later =
        json!({"value": {"amount": "1100000.00", "currency": "CNY"}, "tender_end": ts(2_200)});
    run(vec![
        // The body's schema.
        case(
            "an unknown member",
            &open,
            &TenderAmended,
            json!({"changes": title, "reason": "r", "by": "x"}),
        )
        .body("body.by is not part of this kind"),
        case(
            "no reason",
            &open,
            &TenderAmended,
            json!({"changes": title}),
        )
        .body("body.reason is missing"),
        case(
            "a reason of 5001 characters",
            &open,
            &TenderAmended,
            json!({"changes": title, "reason": long(5_001)}),
        )
        .body("body.reason must be at most 5000 characters"),
        case("no changes", &open, &TenderAmended, json!({"reason": "r"}))
            .body("body.changes must be an object of the members that change"),
        a("changes that change nothing", &open, json!({}))
            .body("body.changes must be an object of the members that change"),
        a("a change of the buyer", &open, json!({"buyer": "town"}))
            .body("body.changes.buyer cannot be amended"),
        // The rules.
        a("a tender that does not exist", &open, title.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        a("a cancelled tender", &cancelled, title.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        a("signed by another buyer's officer", &open, title.clone())
            .signed(&[TOWN_OFFICER])
            .forbidden("needs a signature by a procurement officer of city"),
        a("signed by an unknown key", &open, title.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        a("signed by a revoked key", &open, title.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        a(
            "logged at the deadline, before the scheduler's opening",
            &bids,
            title.clone(),
        )
        .at(TENDER_END)
        .conflict(
            "the deadline of tender ocds-vtest1-000001 has passed: it can no longer be amended",
        ),
        a(
            "a change that leaves an invalid tender",
            &open,
            json!({"lots": []}),
        )
        .invalid("after the amendment: body.lots must hold 1 to 100 lots"),
        a(
            "a change of the enquiry period's end once it is over",
            &tendering,
            json!({"enquiry_end": ts(1_050)}),
        )
        .at(1_100)
        .conflict("the enquiry period is over: its end can no longer change"),
        a(
            "a deadline moved into the past",
            &tendering,
            json!({"tender_end": ts(ENQUIRY_END)}),
        )
        .at(1_500)
        .conflict("the new deadline would already be past"),
        a(
            "a change of value with less notice than the tender requires",
            &tendering,
            json!({"value": {"amount": "1100000.00", "currency": "CNY"}}),
        )
        .at(1_800)
        .conflict("needs 300s before the deadline, and 200s would be left: move tender_end too"),
        a(
            "a document nobody uploaded",
            &open,
            json!({"documents": [{"sha256": hex(NOBODY_DOC), "title": "补遗"}]}),
        )
        .conflict("of the amended tender is not uploaded by the signer's organisation"),
        // What it does.
        a("a new title", &open, title.clone()).accepted(amended(&open, title.clone(), 100)),
        a("an addendum uploaded by the buyer", &open, addendum.clone()).accepted(amended(
            &open,
            addendum.clone(),
            100,
        )),
        a(
            "a change of value that moves the deadline to keep the notice",
            &tendering,
            later.clone(),
        )
        .at(1_800)
        .accepted(amended(&tendering, later.clone(), 1_800)),
    ]);
}

#[test]
fn an_ocid_is_ocds_a_six_character_prefix_and_an_id_and_any_text_is_judged_without_panic() {
    use crate::domain::procurement::ocid;
    assert!(ocid("ocds-vtest1-000001"));
    assert!(ocid("ocds-abc123-x"));
    for not in [
        "ocds-vtest1",
        "ocds-vtest1-",
        "ocds-VTEST1-1",
        "ocds-vtes1-1",
        "ocid-vtest1-1",
        "ocds-abcde字-1",
        "ocds-字字-1",
        "ocds-",
        "",
    ] {
        assert!(!ocid(not), "{not:?} taken for an ocid");
    }
}
