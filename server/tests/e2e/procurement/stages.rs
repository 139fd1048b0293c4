//! A tender's stages one at a time over HTTP: each test brings a tender to one stage and
//! checks what a participant meets there, every refusal answered by a problem document
//! that changes no table. (The rules themselves are tested case by case, without a
//! server, in `domain/procurement/kinds/tests/`; here is what reaches a user.)

use super::*;

/// The cast: two buyers with an officer's key each, four suppliers with a registered
/// key and a bidder representative's API token each, an API token of the first buyer's
/// clerk, and a supervisory body's supervisor.
struct Market {
    app: TestApp,
    officer: SigningKey,
    other_officer: SigningKey,
    supervisor: SigningKey,
    bidders: Vec<Bidder>,
    tokens: Vec<String>,
    clerk: String,
}

/// What the bidders bid, by index: A, B, C and D.
const PRICES: [&str; 4] = ["980000.00", "1150000.00", "1020000.00", "900000.00"];

impl Market {
    async fn new() -> Market {
        let app = spawn_app().await;
        let officer = SigningKey::from_bytes(&[11; 32]);
        let other_officer = SigningKey::from_bytes(&[12; 32]);
        app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
            .await;
        app.register(
            "xiamen-bureau",
            "buyer",
            &other_officer,
            "procurement_officer",
        )
        .await;
        let bidders: Vec<Bidder> = ["sup-a", "sup-b", "sup-c", "sup-d"]
            .iter()
            .zip(21..)
            .map(|(organisation, n)| Bidder::new(organisation, n))
            .collect();
        let mut tokens = Vec::new();
        for bidder in &bidders {
            let organisation = &bidder.organisation;
            app.register(
                organisation,
                "supplier",
                &bidder.key,
                "bidder_representative",
            )
            .await;
            let email = format!("rep@{organisation}.example");
            tokens.push(
                app.api_token(organisation, &email, "bidder_representative")
                    .await,
            );
        }
        let clerk = app
            .api_token(
                "fuzhou-bureau",
                "clerk@fuzhou-bureau.example",
                "procurement_officer",
            )
            .await;
        let supervisor = SigningKey::from_bytes(&[31; 32]);
        app.register("fujian-audit", "supervisor", &supervisor, "supervisor")
            .await;
        Market {
            app,
            officer,
            other_officer,
            supervisor,
            bidders,
            tokens,
            clerk,
        }
    }

    /// Uploads the tender document and publishes the tender, its periods ending
    /// `enquiry`, `tender` and `reveal` ms from now.
    async fn publish(&self, enquiry: i64, tender: i64, reveal: i64) {
        upload_text(&self.app, &self.clerk, TENDER_DOCUMENT).await;
        let body = tender_body(TENDER, "fuzhou-bureau", enquiry, tender, reveal);
        accepted(
            &self.app,
            &signed("tender.published", TENDER, body, &[&self.officer]),
        )
        .await;
    }

    /// Bidder `i` commits a sealed bid at its price, from its account.
    async fn commit(&mut self, i: usize) {
        let sealed = self.bidders[i].seal(PRICES[i], i as u8 + 1);
        let statement = self.bidders[i].commit_statement(&sealed.2, None);
        accepted_as(&self.app, &self.tokens[i], &statement).await;
        self.bidders[i].bid = Some(sealed);
    }

    /// Bidder `i` uploads its bid's document and reveals its bid.
    async fn reveal(&self, i: usize) {
        let bidder = &self.bidders[i];
        let (bid, salt, commitment) = bidder.bid.clone().unwrap();
        let (code, body) = upload(
            &self.app,
            &self.tokens[i],
            bid_document(&bidder.organisation, salt.0[0]),
        )
        .await;
        assert!(code == 201 || code == 200, "{body}");
        accepted(
            &self.app,
            &bidder.reveal_statement(&bid, &salt, &commitment),
        )
        .await;
    }

    /// Bidder `i`'s commitment.
    fn commitment(&self, i: usize) -> String {
        self.bidders[i].bid.as_ref().unwrap().2.clone()
    }

    /// The tender in evaluation: A, B and C revealed, D's bid lapsed.
    async fn in_evaluation() -> Market {
        let mut market = Market::new().await;
        market.publish(200, 4500, 10_000).await;
        wait_status(&market.app, TENDER, "active.tendering").await;
        for i in 0..4 {
            market.commit(i).await;
        }
        wait_status(&market.app, TENDER, "opening").await;
        for i in 0..3 {
            market.reveal(i).await;
        }
        wait_status(&market.app, TENDER, "evaluation").await;
        market
    }

    /// An `award.made` for `commitment`, by the buyer's officer, with an uploaded report.
    async fn award(&self, commitment: &str) -> Value {
        self.award_by(commitment, &self.officer).await
    }

    /// An `award.made` for `commitment` signed by `key`, with an uploaded report.
    async fn award_by(&self, commitment: &str, key: &SigningKey) -> Value {
        let report = upload_text(&self.app, &self.clerk, "评标报告：按最低价评审").await;
        signed(
            "award.made",
            TENDER,
            json!({"commitment": commitment, "evaluation_report_sha256": report}),
            &[key],
        )
    }

    /// The tender awarded to C, A having been disqualified (D's bid lapsed, B's is dearer).
    async fn awarded_to_c() -> Market {
        let market = Market::in_evaluation().await;
        accepted(
            &market.app,
            &signed(
                "bid.disqualified",
                TENDER,
                json!({"commitment": market.commitment(0), "reason": "资格审查未通过"}),
                &[&market.officer],
            ),
        )
        .await;
        accepted(&market.app, &market.award(&market.commitment(2)).await).await;
        market
    }
}

/// A complaint by `bidder` against `award`.
fn complaint(bidder: &Bidder, award: &str) -> Value {
    signed(
        "complaint.filed",
        TENDER,
        json!({"award": award, "text": "取消我方资格的理由不成立"}),
        &[&bidder.key],
    )
}

/// A supervisor's decision on `complaint`.
fn decision(complaint: &str, decision: &str, keys: &[&SigningKey]) -> Value {
    signed(
        "complaint.decided",
        TENDER,
        json!({"complaint": complaint, "decision": decision, "reason": "经审查"}),
        keys,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_the_named_buyers_officer_publishes_and_its_documents_must_be_uploaded() {
    let market = Market::new().await;
    let app = &market.app;
    let body = tender_body(TENDER, "fuzhou-bureau", 3000, 9000, 13000);
    let publish =
        |body: &Value, key: &SigningKey| signed("tender.published", TENDER, body.clone(), &[key]);
    let wanted = "procurement officer of fuzhou-bureau";
    refused(app, &publish(&body, &market.other_officer), 403, wanted).await;
    refused(app, &publish(&body, &market.bidders[0].key), 403, wanted).await;
    let mut late = body.clone();
    late["tender_end"] = json!(at(-1000));
    late["enquiry_end"] = json!(at(-2000));
    refused(
        app,
        &publish(&late, &market.officer),
        409,
        "already be over",
    )
    .await;
    let document = sha256(TENDER_DOCUMENT.as_bytes()).to_hex();
    let not_uploaded = format!("document {document} of the tender is not uploaded");
    refused(app, &publish(&body, &market.officer), 409, &not_uploaded).await;
    let mut single = body.clone();
    single["procedure"] = json!("single_source");
    let unjustified = "justification is required";
    refused(app, &publish(&single, &market.officer), 422, unjustified).await;
    upload_text(app, &market.clerk, TENDER_DOCUMENT).await;
    assert_eq!(
        download(app, &document, None).await.0,
        404,
        "unpublished documents are private to their uploader"
    );
    accepted(app, &publish(&body, &market.officer)).await;
    refused(app, &publish(&body, &market.officer), 409, "already exists").await;
    assert_eq!(download(app, &document, None).await.0, 200);
    assert_eq!(status(app, TENDER).await, "active.enquiries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn questions_are_anonymous_answered_once_and_end_with_the_enquiry_period() {
    let market = Market::new().await;
    market.publish(3000, 60_000, 65_000).await;
    let app = &market.app;
    let ask = |question: &str, key: &SigningKey| {
        signed(
            "enquiry.asked",
            TENDER,
            json!({"question": question}),
            &[key],
        )
    };
    let token = &market.tokens[1];
    let registered = ask("是否接受五年质保？", &market.bidders[1].key);
    refused_as(app, token, &registered, 403, "one-time key").await;
    let asker = SigningKey::from_bytes(&[66; 32]);
    accepted_as(app, token, &ask("是否接受五年质保？", &asker)).await;
    let answer = |text: &str| {
        signed(
            "enquiry.answered",
            TENDER,
            json!({"enquiry": "enquiry-1", "answer": text}),
            &[&market.officer],
        )
    };
    accepted(app, &answer("接受，但不额外加分。")).await;
    refused(app, &answer("改为加分"), 409, "already answered").await;
    let (_, _, commitment) = market.bidders[0].seal(PRICES[0], 1);
    let early = market.bidders[0].commit_statement(&commitment, None);
    refused_as(app, &market.tokens[0], &early, 409, "accepts bids from").await;
    wait_status(app, TENDER, "active.tendering").await;
    refused_as(
        app,
        token,
        &ask("还能提问吗？", &asker),
        409,
        "enquiry period",
    )
    .await;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["enquiries"][0]["answer"], "接受，但不额外加分。");
    assert!(
        !public.to_string().contains("sup-b"),
        "the asker is named: {public}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn amendments_keep_their_notice_their_buyer_and_their_documents() {
    let market = Market::new().await;
    market.publish(200, 60_000, 65_000).await;
    let app = &market.app;
    wait_status(app, TENDER, "active.tendering").await;
    let amend = |changes: Value| {
        signed(
            "tender.amended",
            TENDER,
            json!({"changes": changes, "reason": "补充技术参数"}),
            &[&market.officer],
        )
    };
    let too_soon =
        json!({"value": {"amount": "1300000.00", "currency": "CNY"}, "tender_end": at(1000)});
    refused(app, &amend(too_soon), 409, "move tender_end too").await;
    let other_buyer = json!({"buyer": "xiamen-bureau"});
    refused(app, &amend(other_buyer), 422, "cannot be amended").await;
    let addendum = "技术参数补充：内存不低于 512 GB";
    let documents = amend(json!({"documents": [
        {"sha256": sha256(TENDER_DOCUMENT.as_bytes()).to_hex(), "title": "招标文件"},
        {"sha256": sha256(addendum.as_bytes()).to_hex(), "title": "技术参数补充"},
    ]}));
    let not_uploaded = "of the amended tender is not uploaded";
    refused(app, &documents, 409, not_uploaded).await;
    upload_text(app, &market.clerk, addendum).await;
    accepted(app, &documents).await;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["amendments"][0]["reason"], "补充技术参数");
    let documents = public["tender"]["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 2, "{public}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_a_suppliers_account_with_its_csrf_token_sends_a_sealed_bid() {
    let market = Market::new().await;
    market.publish(200, 60_000, 65_000).await;
    let app = &market.app;
    wait_status(app, TENDER, "active.tendering").await;
    let (_, _, commitment) = market.bidders[0].seal(PRICES[0], 1);
    let commit = market.bidders[0].commit_statement(&commitment, None);
    refused_raw(app, &commit, &[], 401, "log in").await;
    let officer = "officer@fuzhou.example";
    app.user("fuzhou-bureau", officer, "procurement_officer")
        .await;
    let password = crate::common::app::PASSWORD;
    let (session, csrf) = app.log_in(officer, password, None).await;
    let as_officer = [
        ("cookie", session.as_str()),
        ("x-csrf-token", csrf.as_str()),
    ];
    refused_raw(app, &commit, &as_officer, 403, "bidder representative").await;
    let (stolen, _) = app.log_in("rep@sup-a.example", password, None).await;
    refused_raw(app, &commit, &[("cookie", &stolen)], 403, "CSRF token").await;
    let registered = signed(
        "bid.committed",
        TENDER,
        json!({"commitment": commitment}),
        &[&market.bidders[0].key],
    );
    refused_as(app, &market.tokens[0], &registered, 403, "one-time key").await;
    accepted_as(app, &market.tokens[0], &commit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bidder_has_one_standing_bid_which_only_its_key_replaces() {
    let mut market = Market::new().await;
    market.publish(200, 60_000, 65_000).await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    market.commit(0).await;
    market.commit(1).await;
    let app = &market.app;
    // C commits, then replaces its bid with a better one; B cannot replace C's.
    let first = market.bidders[2].seal("1190000.00", 30);
    let c = &market.bidders[2];
    accepted_as(app, &market.tokens[2], &c.commit_statement(&first.2, None)).await;
    let second = c.seal("1020000.00", 31);
    let by_b = market.bidders[1].commit_statement(&second.2, Some(&first.2));
    refused_as(
        app,
        &market.tokens[1],
        &by_b,
        403,
        "only the key that committed",
    )
    .await;
    let replacement = c.commit_statement(&second.2, Some(&first.2));
    accepted_as(app, &market.tokens[2], &replacement).await;
    // A second commitment from A's account, under a fresh one-time key: no free option
    // to commit several prices and reveal only the one that beats the others.
    let mut again = Bidder::new("sup-a", 21);
    again.one_time = SigningKey::from_bytes(&[78; 32]);
    let (_, _, commitment) = again.seal("1.00", 98);
    let token = &market.tokens[0];
    let standing = again.commit_statement(&commitment, None);
    refused_as(app, token, &standing, 409, "already has a standing bid").await;
    let replacing_b = again.commit_statement(&commitment, Some(&market.commitment(1)));
    refused_as(app, token, &replacing_b, 403, "only the key that committed").await;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["number_of_bids"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bid_is_withdrawn_under_its_one_time_key_alone_from_its_bidders_account() {
    let mut market = Market::new().await;
    market.publish(200, 60_000, 65_000).await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    market.commit(0).await;
    let app = &market.app;
    let a = &market.bidders[0];
    let withdraw = |keys: &[&SigningKey]| {
        signed(
            "bid.withdrawn",
            TENDER,
            json!({"commitment": market.commitment(0)}),
            keys,
        )
    };
    // The registered key beside it would say who bid.
    let cosigned = withdraw(&[&a.one_time, &a.key]);
    let alone = "signed by the bid's one-time key alone";
    refused_as(app, &market.tokens[0], &cosigned, 403, alone).await;
    let mine = withdraw(&[&a.one_time]);
    let other = "sent by the same organisation";
    refused_as(app, &market.tokens[1], &mine, 403, other).await;
    accepted_as(app, &market.tokens[0], &mine).await;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["number_of_bids"], 0, "{public}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bids_stay_sealed_until_the_deadline_and_none_arrive_after_it() {
    let mut market = Market::new().await;
    market.publish(200, 4000, 60_000).await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    market.commit(0).await;
    market.commit(1).await;
    let app = &market.app;
    // The public sees how many bids, not whose.
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["number_of_bids"], 2);
    assert_eq!(public["bids"], Value::Null);
    // A bidder sees its own sealed bid, and no one else's.
    let auth = format!("Bearer {}", market.tokens[0]);
    let headers = [("authorization", auth.as_str())];
    let (_, mine) = app
        .request("GET", "/api/v1/me/statements", Vec::new(), &headers)
        .await;
    let mine = mine["statements"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        mine[0]["body"]["commitment"].as_str(),
        Some(market.commitment(0).as_str())
    );
    assert_eq!(app.get("/api/v1/me/statements").await.0, 401);
    let (bid, salt, commitment) = market.bidders[0].bid.clone().unwrap();
    let reveal = market.bidders[0].reveal_statement(&bid, &salt, &commitment);
    refused(app, &reveal, 409, "after its deadline").await;
    wait_status(app, TENDER, "opening").await;
    let mut late = Bidder::new("sup-c", 23);
    late.one_time = SigningKey::from_bytes(&[77; 32]);
    let (_, _, late_commitment) = late.seal("1.00", 99);
    let statement = late.commit_statement(&late_commitment, None);
    refused_as(
        app,
        &market.tokens[2],
        &statement,
        409,
        "deadline of tender",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bids_documents_are_its_bidders_until_the_reveal_makes_them_public() {
    let mut market = Market::new().await;
    market.publish(200, 4000, 60_000).await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    market.commit(0).await;
    wait_status(&market.app, TENDER, "opening").await;
    let app = &market.app;
    let (bid, salt, commitment) = market.bidders[0].bid.clone().unwrap();
    let reveal = market.bidders[0].reveal_statement(&bid, &salt, &commitment);
    refused(app, &reveal, 409, "is not uploaded").await;
    let document = bid_document("sup-a", salt.0[0]);
    let hash = sha256(&document).to_hex();
    let (code, stored) = upload(app, &market.tokens[0], document.clone()).await;
    assert_eq!(code, 201, "{stored}");
    assert_eq!(stored["sha256"], hash);
    let (code, _) = upload(app, &market.tokens[0], document.clone()).await;
    assert_eq!(code, 200, "the same content twice is one document");
    let plain = [("content-type", "text/plain")];
    let (code, _, _) = app
        .request_full_raw("POST", "/api/v1/documents", document, &plain)
        .await;
    assert_eq!(code, 401, "uploads need an account");
    let (code, empty) = upload(app, &market.tokens[0], Vec::new()).await;
    assert_eq!(code, 422, "{empty}");
    let bearer = format!("Bearer {}", market.tokens[0]);
    let untyped = [("authorization", bearer.as_str())];
    let (code, _, _) = app
        .request_full_raw("POST", "/api/v1/documents", b"x".to_vec(), &untyped)
        .await;
    assert_eq!(code, 422, "an upload without its media type");
    assert_eq!(download(app, "not-a-hash", None).await.0, 404);
    let (code, headers) = download(app, &hash, Some(&market.tokens[0])).await;
    assert_eq!(code, 200);
    // Private, it is served as bytes: the stored media type is the first uploader's, and
    // would tell a second uploader of the same content that someone holds it.
    let media_type = |headers: &[(String, String)]| {
        headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        media_type(&headers).as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(download(app, &hash, Some(&market.tokens[1])).await.0, 404);
    assert_eq!(download(app, &hash, None).await.0, 404);
    accepted(app, &reveal).await;
    let (code, headers) = download(app, &hash, None).await;
    assert_eq!(code, 200);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "cache-control" && v.contains("immutable")),
        "{headers:?}"
    );
    let declared = media_type(&headers).unwrap_or_default();
    assert!(declared.starts_with("text/plain"), "{headers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reveal_opens_the_commitment_under_its_bidders_key_once() {
    let mut market = Market::new().await;
    market.publish(200, 4000, 60_000).await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    market.commit(0).await;
    wait_status(&market.app, TENDER, "opening").await;
    let app = &market.app;
    let a = &market.bidders[0];
    let (bid, salt, commitment) = a.bid.clone().unwrap();
    upload(app, &market.tokens[0], bid_document("sup-a", salt.0[0])).await;
    let wrong_salt = a.reveal_statement(&bid, &Salt([9; 32]), &commitment);
    refused(app, &wrong_salt, 409, "do not hash to the commitment").await;
    let stolen = signed(
        "bid.revealed",
        TENDER,
        json!({"commitment": commitment, "bid": bid.to_value(), "salt": salt.to_hex()}),
        &[&a.one_time, &market.bidders[1].key],
    );
    refused(app, &stolen, 403, "registered key of sup-a").await;
    // As `vitrine bid reveal` makes it.
    let statement = bid.revealed(&salt, Timestamp::now()).unwrap();
    accepted(app, &signed_by(statement, &[&a.one_time, &a.key])).await;
    let again = a.reveal_statement(&bid, &salt, &commitment);
    refused(app, &again, 409, "cannot be revealed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unrevealed_bid_is_nobodys_until_its_window_closes_then_it_lapses_to_its_bidder() {
    let mut market = Market::new().await;
    market.publish(200, 4000, 10_000).await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    market.commit(0).await;
    market.commit(3).await;
    wait_status(&market.app, TENDER, "opening").await;
    let app = &market.app;
    let lapsed = market.commitment(3);
    // Only the platform attributes a lapse, and not before the window closes.
    let platform = vitrine_ledger::note::NoteSigner::parse(
        &std::fs::read_to_string(app.data_dir.join("platform.key")).unwrap(),
    )
    .unwrap();
    let lapse = |key: &SigningKey| {
        signed(
            "bid.lapsed",
            TENDER,
            json!({"commitment": lapsed, "bidder": "sup-d"}),
            &[key],
        )
    };
    let early = lapse(platform.signing_key());
    refused(app, &early, 409, "when its reveal window closes").await;
    refused(app, &lapse(&market.officer), 403, "platform's key").await;
    market.reveal(0).await;
    let bid_of_d = |public: &Value| {
        public["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["commitment"] == lapsed)
            .cloned()
            .unwrap()
    };
    // In the reveal window: not in the tender, not in OCDS, not on the log.
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    let d = bid_of_d(&public);
    assert_eq!(d["status"], "committed");
    assert!(d.get("bidder").is_none(), "{d}");
    let (_, feed) = app.get("/api/v1/ocds/releases?limit=10000").await;
    assert!(!feed.to_string().contains("sup-d"), "sup-d named early");
    let (_, checkpoint) = app.get("/api/v1/log").await;
    for index in 0..checkpoint["size"].as_u64().unwrap() {
        let (_, entry) = app.get(&format!("/api/v1/entries/{index}")).await;
        let names = entry.to_string().contains("sup-d");
        let about = entry["entry"]["statement"]["subject"] == TENDER;
        assert!(!(about && names), "entry {index} names sup-d");
    }
    // Closed: the lapse says whose it was, in the entry just before the closing.
    wait_status(app, TENDER, "evaluation").await;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    let d = bid_of_d(&public);
    assert_eq!(d["status"], "lapsed");
    assert_eq!(d["bidder"], "sup-d");
    let attributed = d["lapsed_at_entry"].as_u64().unwrap();
    let (_, entry) = app.get(&format!("/api/v1/entries/{attributed}")).await;
    let statement = &entry["entry"]["statement"];
    assert_eq!(statement["kind"], "bid.lapsed");
    assert_eq!(
        statement["body"],
        json!({"commitment": lapsed, "bidder": "sup-d"})
    );
    let closing = public["updated_at_entry"].as_u64().unwrap();
    assert_eq!(closing, attributed + 1, "the window closes after the lapse");
    let (_, entry) = app.get(&format!("/api/v1/entries/{closing}")).await;
    let body = &entry["entry"]["statement"]["body"];
    assert_eq!(*body, json!({"to": "evaluation"}));
    refused(app, &early, 409, "has lapsed").await;
    assert_eq!(public["number_of_bids"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_award_goes_to_the_lowest_valid_bid_with_its_report() {
    let market = Market::in_evaluation().await;
    let app = &market.app;
    let (a, c) = (market.commitment(0), market.commitment(2));
    refused(app, &market.award(&c).await, 409, "is lower").await;
    let lapsed = market.commitment(3);
    refused(app, &market.award(&lapsed).await, 409, "is lapsed").await;
    let nobody = market.award(&"cd".repeat(32)).await;
    refused(app, &nobody, 409, "only a bidder can be awarded").await;
    let by_other = market.award_by(&a, &market.other_officer).await;
    refused(app, &by_other, 403, "procurement officer of fuzhou-bureau").await;
    accepted(
        app,
        &signed(
            "bid.disqualified",
            TENDER,
            json!({"commitment": a, "reason": "资格审查未通过：缺少近三年财务审计报告"}),
            &[&market.officer],
        ),
    )
    .await;
    let no_report = signed(
        "award.made",
        TENDER,
        json!({"commitment": c, "evaluation_report_sha256": "ab".repeat(32)}),
        &[&market.officer],
    );
    let missing = "of the evaluation report is not uploaded";
    refused(app, &no_report, 409, missing).await;
    accepted(app, &market.award(&c).await).await;
    // (The same statement again would be answered with its receipt: a new one.)
    refused(app, &market.award(&c).await, 409, "already awarded").await;
    assert_eq!(status(app, TENDER).await, "awarded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn complaints_come_from_bidders_and_a_supervisor_decides_them() {
    let market = Market::awarded_to_c().await;
    let app = &market.app;
    let supervisor = &market.supervisor;
    // Within the standstill of two seconds.
    accepted(app, &complaint(&market.bidders[0], "award-1")).await;
    let from_d = complaint(&market.bidders[3], "award-1");
    refused(app, &from_d, 403, "revealed a bid").await;
    let by_officer = decision("complaint-1", "upheld", &[&market.officer]);
    refused(app, &by_officer, 403, "supervisor").await;
    accepted(app, &decision("complaint-1", "accepted", &[supervisor])).await;
    let again = decision("complaint-1", "accepted", &[supervisor]);
    refused(app, &again, 409, "cannot become").await;
    accepted(app, &decision("complaint-1", "upheld", &[supervisor])).await;
    // Upheld: the award falls and evaluation reopens.
    assert_eq!(status(app, TENDER).await, "evaluation");
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["awards"][0]["status"], "cancelled");
    assert_eq!(public["complaints"][0]["status"], "upheld");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_contract_needs_both_parties_after_the_standstill_and_payments_stay_within_it() {
    let market = Market::awarded_to_c().await;
    let app = &market.app;
    // Within the standstill of two seconds: a complaint, and the contract too early.
    accepted(app, &complaint(&market.bidders[0], "award-1")).await;
    let text = "政府采购合同：服务器 40 台，合同价 1,020,000.00 元";
    let contract_text = sha256(text.as_bytes()).to_hex();
    let contract_of = |document: &str, keys: &[&SigningKey]| {
        signed(
            "contract.signed",
            TENDER,
            json!({"award": "award-1", "value": {"amount": "1020000.00", "currency": "CNY"}, "document_sha256": document}),
            keys,
        )
    };
    let both = [&market.officer, &market.bidders[2].key];
    let contract = contract_of(&contract_text, &both);
    refused(app, &contract, 409, "standstill period").await;
    let buyer_alone = contract_of(&contract_text, &[&market.officer]);
    refused(app, &buyer_alone, 403, "needs a signature by sup-c").await;
    upload_text(app, &market.clerk, text).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late = complaint(&market.bidders[1], "award-1");
    refused(app, &late, 409, "standstill period ended").await;
    refused(app, &contract, 409, "waits for the supervisor").await;
    let dismissed = decision("complaint-1", "dismissed", &[&market.supervisor]);
    accepted(app, &dismissed).await;
    let unknown = contract_of(&"ef".repeat(32), &both);
    refused(app, &unknown, 409, "of the contract is not uploaded").await;
    accepted(app, &contract).await;
    assert_eq!(status(app, TENDER).await, "contracted");
    let pay = |amount: &str, reference: &str| {
        signed(
            "payment.recorded",
            TENDER,
            json!({"contract": "contract-1", "amount": {"amount": amount, "currency": "CNY"}, "reference": reference}),
            &[&market.officer],
        )
    };
    accepted(app, &pay("306000.00", "FZ-2026-0001")).await;
    refused(app, &pay("714000.01", "FZ-2026-0002"), 409, "exceed").await;
    accepted(app, &pay("714000.00", "FZ-2026-0002")).await;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    let payments = public["contracts"][0]["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 2);
}

/// The whole life of a tender along the path its participants take, then what the public
/// gets from it: its view, OCDS releases, record, feed and bulk download (checked by the
/// official checker), and a log that verifies and replays to exactly the tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tender_from_publication_to_payments() {
    let mut market = Market::new().await;
    market.publish(1500, 6000, 11_000).await;
    let officer = market.officer.clone();
    // A question under a one-time key, answered publicly.
    let asker = SigningKey::from_bytes(&[66; 32]);
    let question = json!({"question": "是否接受五年质保？"});
    let ask = signed("enquiry.asked", TENDER, question, &[&asker]);
    accepted_as(&market.app, &market.tokens[1], &ask).await;
    let answer = json!({"enquiry": "enquiry-1", "answer": "接受，但不额外加分。"});
    accepted(
        &market.app,
        &signed("enquiry.answered", TENDER, answer, &[&officer]),
    )
    .await;
    // An addendum, with its notice before the deadline.
    let addendum = "技术参数补充：内存不低于 512 GB";
    upload_text(&market.app, &market.clerk, addendum).await;
    let changes = json!({"documents": [
        {"sha256": sha256(TENDER_DOCUMENT.as_bytes()).to_hex(), "title": "招标文件"},
        {"sha256": sha256(addendum.as_bytes()).to_hex(), "title": "技术参数补充"},
    ]});
    let amendment = json!({"changes": changes, "reason": "补充技术参数"});
    accepted(
        &market.app,
        &signed("tender.amended", TENDER, amendment, &[&officer]),
    )
    .await;
    wait_status(&market.app, TENDER, "active.tendering").await;
    // Sealed bids; C replaces its first with a better one.
    market.commit(0).await;
    let b = market.bidders[1].seal(PRICES[1], 2);
    // As `vitrine bid commit --one-time-key` makes it.
    let statement = b.0.committed(&b.1, None, Timestamp::now()).unwrap();
    let one_time = &market.bidders[1].one_time;
    accepted_as(
        &market.app,
        &market.tokens[1],
        &signed_by(statement, &[one_time]),
    )
    .await;
    market.bidders[1].bid = Some(b);
    let first = market.bidders[2].seal("1190000.00", 30);
    let c = &market.bidders[2];
    accepted_as(
        &market.app,
        &market.tokens[2],
        &c.commit_statement(&first.2, None),
    )
    .await;
    let second = c.seal(PRICES[2], 3);
    let replacement = c.commit_statement(&second.2, Some(&first.2));
    accepted_as(&market.app, &market.tokens[2], &replacement).await;
    market.bidders[2].bid = Some(second);
    market.commit(3).await;
    // A, B and C reveal; D does not, and its bid lapses when the window closes.
    wait_status(&market.app, TENDER, "opening").await;
    for i in 0..3 {
        market.reveal(i).await;
    }
    wait_status(&market.app, TENDER, "evaluation").await;
    // A is disqualified; C, the lowest valid bid, is awarded; A's complaint is upheld and
    // C is awarded again; B's complaint is dismissed; the contract and its payments.
    let disqualified = json!({"commitment": market.commitment(0), "reason": "资格审查未通过"});
    accepted(
        &market.app,
        &signed("bid.disqualified", TENDER, disqualified, &[&officer]),
    )
    .await;
    let award = market.award(&market.commitment(2)).await;
    accepted(&market.app, &award).await;
    let supervisor = market.supervisor.clone();
    accepted(&market.app, &complaint(&market.bidders[0], "award-1")).await;
    accepted(
        &market.app,
        &decision("complaint-1", "upheld", &[&supervisor]),
    )
    .await;
    let award = market.award(&market.commitment(2)).await;
    accepted(&market.app, &award).await;
    accepted(&market.app, &complaint(&market.bidders[1], "award-2")).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let dismissed = decision("complaint-2", "dismissed", &[&supervisor]);
    accepted(&market.app, &dismissed).await;
    let text = "政府采购合同：服务器 40 台，合同价 1,020,000.00 元";
    let document = upload_text(&market.app, &market.clerk, text).await;
    let contract = json!({"award": "award-2", "value": {"amount": "1020000.00", "currency": "CNY"}, "document_sha256": document});
    let parties = [&officer, &market.bidders[2].key];
    accepted(
        &market.app,
        &signed("contract.signed", TENDER, contract, &parties),
    )
    .await;
    for (amount, reference) in [("306000.00", "FZ-2026-0001"), ("714000.00", "FZ-2026-0002")] {
        let payment = json!({"contract": "contract-1", "amount": {"amount": amount, "currency": "CNY"}, "reference": reference});
        accepted(
            &market.app,
            &signed("payment.recorded", TENDER, payment, &[&officer]),
        )
        .await;
    }
    accepted(
        &market.app,
        &signed("tender.completed", TENDER, json!({}), &[&officer]),
    )
    .await;
    let app = &market.app;
    let (_, public) = app.get(&format!("/api/v1/tenders/{TENDER}")).await;
    assert_eq!(public["status"], "complete");
    assert_eq!(public["awards"][0]["status"], "cancelled");
    assert_eq!(public["awards"][1]["supplier"], "sup-c");
    assert_eq!(public["awards"][1]["status"], "active");
    assert_eq!(public["enquiries"][0]["answer"], "接受，但不额外加分。");
    assert_eq!(public["amendments"][0]["reason"], "补充技术参数");
    assert_eq!(public["complaints"][0]["status"], "upheld");
    assert_eq!(public["complaints"][1]["status"], "dismissed");
    assert_eq!(
        public["contracts"][0]["payments"].as_array().unwrap().len(),
        2
    );
    let (_, listed) = app.get("/api/v1/tenders?status=complete").await;
    assert_eq!(listed["tenders"][0]["id"], TENDER);

    // Publication in OCDS: a release per entry that changed the tender, each naming its
    // log entry; the record compiles them; the feed pages through everything.
    let (code, releases) = app
        .get(&format!("/api/v1/ocds/tenders/{TENDER}/releases"))
        .await;
    assert_eq!(code, 200);
    let releases = releases["releases"].as_array().unwrap().clone();
    assert!(releases.len() > 20, "{}", releases.len());
    for release in &releases {
        let index = release["logEntry"]["index"].as_u64().unwrap();
        assert_eq!(release["id"], format!("{TENDER}-{index}"));
        let (_, entry) = app.get(&format!("/api/v1/entries/{index}")).await;
        assert_eq!(entry["entry"]["statement"]["subject"], TENDER);
        assert_eq!(release["date"], entry["entry"]["logged_at"]);
    }
    let tags: Vec<&str> = releases
        .iter()
        .map(|r| r["tag"][0].as_str().unwrap())
        .collect();
    for tag in [
        "tender",
        "tenderAmendment",
        "award",
        "contract",
        "implementation",
    ] {
        assert!(tags.contains(&tag), "no {tag} release in {tags:?}");
    }
    let (_, record) = app
        .get(&format!("/api/v1/ocds/tenders/{TENDER}/record"))
        .await;
    let compiled = &record["records"][0]["compiledRelease"];
    assert_eq!(compiled["awards"][1]["suppliers"][0]["id"], "sup-c");
    // Lots (Lots extension) with the items, bids and awards that relate to them.
    assert_eq!(compiled["tender"]["lots"][0]["id"], "lot-1");
    assert_eq!(
        compiled["tender"]["lots"][0]["value"]["amount"],
        1_200_000.0
    );
    assert_eq!(compiled["tender"]["items"][0]["relatedLot"], "lot-1");
    assert_eq!(compiled["awards"][1]["relatedLots"], json!(["lot-1"]));
    assert!(
        compiled["bids"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["status"] == "valid")
            .all(|b| b["relatedLots"] == json!(["lot-1"]))
    );
    // The question and its answer (Enquiries extension), without who asked.
    let enquiry = &compiled["tender"]["enquiries"][0];
    assert_eq!(enquiry["id"], "enquiry-1");
    assert_eq!(enquiry["description"], "是否接受五年质保？");
    assert_eq!(enquiry["answer"], "接受，但不额外加分。");
    assert!(enquiry["date"].is_string() && enquiry["dateAnswered"].is_string());
    assert!(enquiry.get("author").is_none());
    let answered = releases
        .iter()
        .find(|r| r["tender"]["enquiries"][0]["answer"].is_string())
        .expect("a release with the answer");
    assert_eq!(answered["tag"], json!(["tenderUpdate"]));
    assert_eq!(compiled["bids"]["details"].as_array().unwrap().len(), 5);
    assert_eq!(
        compiled["contracts"][0]["implementation"]["transactions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, first) = app.get("/api/v1/ocds/releases?limit=5").await;
    assert_eq!(first["releases"].as_array().unwrap().len(), 5);
    let next = first["links"]["next"].as_str().unwrap();
    let since = next
        .split("since=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let (_, page) = app
        .get(&format!("/api/v1/ocds/releases?since={since}&limit=10000"))
        .await;
    assert_eq!(
        5 + page["releases"].as_array().unwrap().len(),
        releases.len()
    );
    // The bulk download: the same releases, one per line, in log order.
    let (code, bulk) = app.get_bytes("/api/v1/ocds/releases.jsonl").await;
    assert_eq!(code, 200);
    let lines: Vec<Value> = String::from_utf8(bulk)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, releases);
    let (_, tail) = app
        .get_bytes(&format!("/api/v1/ocds/releases.jsonl?since={since}"))
        .await;
    assert_eq!(
        String::from_utf8(tail).unwrap().lines().count(),
        releases.len() - 5
    );
    let (code, _) = app.get("/api/v1/ocds/tenders/ocds-nosuch-1/record").await;
    assert_eq!(code, 404);
    for path in [
        "/api/v1/ocds/releases?limit=0",
        "/api/v1/tenders?limit=501",
        "/api/v1/tenders?status=bogus",
    ] {
        let (code, body) = app.get(path).await;
        assert_eq!(code, 400, "{path}");
        assert_eq!(body["type"], "https://vitrine.dev/problems/invalid-query");
    }
    // The official checker: zero errors.
    let (_, package) = app
        .get(&format!("/api/v1/ocds/tenders/{TENDER}/releases"))
        .await;
    cove_check(&package, "releases");
    cove_check(&record, "record");

    // The log verifies, and replaying it gives exactly the tables.
    let report = app.verify().await;
    assert!(report.checkpoint.checkpoint.size > 20);
    let url = app.database_url.clone();
    let replayed = tokio::task::spawn_blocking(move || {
        use diesel::Connection as _;
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        vitrine_server::log::replay::replay(&mut conn, &vitrine_server::domain::Registry::new(), 10)
            .unwrap()
    })
    .await
    .unwrap();
    assert!(replayed.is_clean(), "{replayed:?}");
    every_record_compiles(app).await;
}

/// Text that must show as text: markup, quotes, bidirectional controls.
const HOSTILE: &str = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\">\"'&amp;\u{202e}RTL\u{202c} marker-7f3a";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_public_pages_show_tenders_in_both_languages_and_verify_them_in_the_browser() {
    let market = Market::awarded_to_c().await;
    // A second tender whose every text is hostile, with a question and its answer.
    let hostile_id = "ocds-vtest1-000666";
    let mut body = tender_body(hostile_id, "fuzhou-bureau", 600_000, 1_200_000, 1_800_000);
    body["title"] = json!({"zh": HOSTILE, "en": HOSTILE});
    body["description"] = json!({"zh": HOSTILE.repeat(10_000 / HOSTILE.chars().count() + 1)
        .chars().take(10_000).collect::<String>()});
    body["documents"][0]["title"] = json!(HOSTILE);
    body["lots"][0]["title"] = json!({"zh": HOSTILE});
    body["justification"] = json!(HOSTILE);
    accepted(
        &market.app,
        &signed("tender.published", hostile_id, body, &[&market.officer]),
    )
    .await;
    let asker = SigningKey::from_bytes(&[67; 32]);
    let ask = signed(
        "enquiry.asked",
        hostile_id,
        json!({"question": HOSTILE}),
        &[&asker],
    );
    accepted_as(&market.app, &market.tokens[1], &ask).await;
    // More questions than a page of them shows (50), each under its own one-time key.
    for n in 0..51u8 {
        let asker = SigningKey::from_bytes(&[n.wrapping_add(100); 32]);
        let question = json!({"question": format!("question {n} of the paged list")});
        let ask = signed("enquiry.asked", hostile_id, question, &[&asker]);
        accepted_as(&market.app, &market.tokens[1], &ask).await;
    }
    // An amendment whose reason and new description are hostile, shown as before/after.
    let amendment = json!({"changes": {"description": {"zh": HOSTILE}}, "reason": HOSTILE});
    accepted(
        &market.app,
        &signed("tender.amended", hostile_id, amendment, &[&market.officer]),
    )
    .await;
    let answer = json!({"enquiry": "enquiry-1", "answer": HOSTILE});
    accepted(
        &market.app,
        &signed("enquiry.answered", hostile_id, answer, &[&market.officer]),
    )
    .await;
    let base = market.app.base.clone();
    let ran = tokio::task::spawn_blocking(move || {
        crate::common::browser::run(
            "pages.mjs",
            &[
                ("VITRINE_URL", base),
                ("VITRINE_TENDERS", format!("{TENDER},{hostile_id}")),
                ("VITRINE_HOSTILE_TENDER", hostile_id.to_owned()),
                ("VITRINE_HOSTILE", "RTL\u{202c} marker-7f3a".to_owned()),
                ("VITRINE_BUYER", "fuzhou-bureau".to_owned()),
                ("VITRINE_LOGIN_EMAIL", "rep@sup-b.example".to_owned()),
                ("VITRINE_PASSWORD", crate::common::app::PASSWORD.to_owned()),
            ],
        )
    })
    .await
    .unwrap();
    let Some(()) = ran else { return };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_supplier_registers_and_a_bidder_asks_seals_and_reveals_through_the_pages() {
    let market = Market::new().await;
    // Questions for 12 s, bids for 12 s more, the reveal window 40 s after that.
    market.publish(12_000, 24_000, 64_000).await;
    let key = vitrine_ledger::note::NoteSigner::new(
        "sup-a",
        vitrine_ledger::note::KeyType::Ed25519,
        market.bidders[0].key.clone(),
    )
    .unwrap()
    .to_signer_key();
    let base = market.app.base.clone();
    let ran = tokio::task::spawn_blocking(move || {
        crate::common::browser::run(
            "bidder.mjs",
            &[
                ("VITRINE_URL", base),
                ("VITRINE_TENDER", TENDER.to_owned()),
                ("VITRINE_EMAIL", "rep@sup-a.example".to_owned()),
                ("VITRINE_PASSWORD", crate::common::app::PASSWORD.to_owned()),
                ("VITRINE_KEY_FILE", format!("{key}\n")),
                (
                    "VITRINE_REGISTER_CODE",
                    crate::common::app::credit_code_for("browser-supplier"),
                ),
            ],
        )
    })
    .await
    .unwrap();
    let Some(()) = ran else { return };
    // The application is pending under the key the page made, whose private half the
    // page offered only as a file.
    let artefacts =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-artefacts");
    let verifier = std::fs::read_to_string(artefacts.join("registered.pub")).unwrap();
    let public_key = vitrine_ledger::note::NoteVerifier::parse(verifier.trim()).unwrap();
    // The key file the page offered reads as `vitrine keygen`'s do, and is that key.
    let key_file = std::fs::read_to_string(artefacts.join("browser-supplier.key")).unwrap();
    let signer = vitrine_ledger::note::NoteSigner::parse(&key_file).unwrap();
    assert_eq!(signer.verifier().to_verifier_key(), verifier.trim());
    let reviewer = market
        .app
        .api_token("platform", "reviewer@platform.example", "platform_admin")
        .await;
    let auth = format!("Bearer {reviewer}");
    let (status, list) = market
        .app
        .request(
            "GET",
            "/api/v1/registrations?status=pending",
            Vec::new(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let application = list["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["organisation"] == "browser-supplier")
        .unwrap_or_else(|| panic!("no application: {list}"));
    assert_eq!(
        application["public_key"],
        crate::common::base64(public_key.public_key().as_bytes())
    );
}

/// A key file as `vitrine keygen` writes it.
fn key_file(name: &str, key: &SigningKey) -> String {
    let signer = vitrine_ledger::note::NoteSigner::new(
        name,
        vitrine_ledger::note::KeyType::Ed25519,
        key.clone(),
    )
    .unwrap();
    format!("{}\n", signer.to_signer_key())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_whole_tender_through_the_pages_by_a_buyer_three_bidders_and_a_supervisor() {
    let market = Market::new().await;
    market
        .app
        .user(
            "fuzhou-bureau",
            "officer@fuzhou-bureau.example",
            "procurement_officer",
        )
        .await;
    market
        .app
        .user("fujian-audit", "judge@fujian-audit.example", "supervisor")
        .await;
    let bidders: Vec<Value> = market.bidders[..3]
        .iter()
        .map(|b| {
            json!({
                "org": b.organisation,
                "email": format!("rep@{}.example", b.organisation),
                "key": key_file(&b.organisation, &b.key),
            })
        })
        .collect();
    let base = market.app.base.clone();
    let env = [
        ("VITRINE_URL", base),
        ("VITRINE_PASSWORD", crate::common::app::PASSWORD.to_owned()),
        (
            "VITRINE_OFFICER",
            "officer@fuzhou-bureau.example".to_owned(),
        ),
        (
            "VITRINE_OFFICER_KEY",
            key_file("fuzhou-bureau", &market.officer),
        ),
        (
            "VITRINE_SUPERVISOR",
            "judge@fujian-audit.example".to_owned(),
        ),
        (
            "VITRINE_SUPERVISOR_KEY",
            key_file("fujian-audit", &market.supervisor),
        ),
        ("VITRINE_BIDDERS", Value::Array(bidders).to_string()),
    ];
    let ran = tokio::task::spawn_blocking(move || crate::common::browser::run("tender.mjs", &env))
        .await
        .unwrap();
    let Some(()) = ran else { return };
    // What the pages did is what the log says: the tender, complete, replays.
    let (status, tender) = market.app.get("/api/v1/tenders/ocds-vtest1-pages01").await;
    assert_eq!(status, 200);
    assert_eq!(tender["status"], "complete", "{tender}");
    assert_eq!(
        tender["contracts"][0]["payments"].as_array().unwrap().len(),
        1
    );
}
