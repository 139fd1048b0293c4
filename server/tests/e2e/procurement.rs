//! Procurement end to end over HTTP, against a real PostgreSQL: the helpers, scoring,
//! notifications, drafts, revoked keys and the scheduler across a restart here; a tender's
//! life from publication to payments, and each of its stages with the refusals a
//! participant meets there, in `stages`.

use crate::common::app::{TestApp, settings, spawn_app};
use crate::common::{signed, signed_by};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::time::Duration;
use vitrine_ledger::bid::{Bid, Salt};
use vitrine_ledger::hash::sha256;
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;

mod stages;

const TENDER: &str = "ocds-vtest1-000001";

fn at(offset_ms: i64) -> String {
    let now = Timestamp::now();
    let micros = now.unix_nanos() / 1000 + i128::from(offset_ms) * 1000;
    Timestamp::from_unix(
        (micros / 1_000_000) as i64,
        ((micros % 1_000_000) * 1000) as u32,
    )
    .unwrap()
    .to_string()
}

/// A tender of `buyer` whose periods end `enquiry`, `tender` and `reveal` ms from now.
pub(crate) fn tender_body(id: &str, buyer: &str, enquiry: i64, tender: i64, reveal: i64) -> Value {
    json!({
        "id": id,
        "buyer": buyer,
        "title": {"zh": "福州市政务云服务器采购", "en": "Fuzhou e-government cloud servers"},
        "description": {"zh": "采购服务器 40 台及三年维保。"},
        "category": "goods",
        "region": "CN-FJ",
        "procedure": "open",
        "value": {"amount": "1200000.00", "currency": "CNY"},
        "lots": [{"id": "lot-1", "title": {"zh": "服务器"}, "value": {"amount": "1200000.00", "currency": "CNY"}}],
        "documents": [{"sha256": sha256(TENDER_DOCUMENT.as_bytes()).to_hex(), "title": "招标文件"}],
        "enquiry_end": at(enquiry),
        "tender_end": at(tender),
        "reveal_end": at(reveal),
        "standstill_seconds": 2,
        "amendment_notice_seconds": 2,
        "award_criteria": "lowest_price",
    })
}

/// The content of the tenders' own document.
const TENDER_DOCUMENT: &str = "招标文件：福州市政务云服务器采购（第一版）";

/// Uploads `content` with an API token; returns its SHA-256 in hex.
async fn upload_text(app: &TestApp, token: &str, content: &str) -> String {
    let (code, body) = upload(app, token, content.as_bytes().to_vec()).await;
    assert!(code == 201 || code == 200, "{body}");
    body["sha256"].as_str().unwrap().to_owned()
}

/// An API token of a procurement officer of `buyer`, who has uploaded the tender document.
pub(crate) async fn buyer_clerk(app: &TestApp, buyer: &str) -> String {
    let token = app
        .api_token(
            buyer,
            &format!("clerk@{buyer}.example"),
            "procurement_officer",
        )
        .await;
    upload_text(app, &token, TENDER_DOCUMENT).await;
    token
}

/// The content of a bid's document.
fn bid_document(organisation: &str, salt_byte: u8) -> Vec<u8> {
    format!("技术方案与报价明细：{organisation}，第 {salt_byte} 版").into_bytes()
}

/// Uploads a document with an API token; returns the status and the answer.
async fn upload(app: &TestApp, token: &str, content: Vec<u8>) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (status, _, body) = app
        .request_full_raw(
            "POST",
            "/api/v1/documents",
            content,
            &[
                ("authorization", &auth),
                ("content-type", "text/plain; charset=utf-8"),
            ],
        )
        .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// GETs a document's bytes, with a token or none.
async fn download(
    app: &TestApp,
    sha256: &str,
    token: Option<&str>,
) -> (u16, Vec<(String, String)>) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let (status, headers, _) = app
        .request_full_raw(
            "GET",
            &format!("/api/v1/documents/{sha256}"),
            Vec::new(),
            &headers,
        )
        .await;
    (status, headers)
}

/// A bidder: its organisation, its registered key, and the one-time key of its bid.
struct Bidder {
    organisation: String,
    key: SigningKey,
    one_time: SigningKey,
    bid: Option<(Bid, Salt, String)>,
}

impl Bidder {
    fn new(organisation: &str, n: u8) -> Bidder {
        Bidder {
            organisation: organisation.into(),
            key: SigningKey::from_bytes(&[n; 32]),
            one_time: SigningKey::from_bytes(&[n + 100; 32]),
            bid: None,
        }
    }

    /// Seals a bid at `price`: the bid, its salt and its commitment, as the CLI makes them.
    fn seal(&self, price: &str, salt_byte: u8) -> (Bid, Salt, String) {
        let bid = Bid::from_value(json!({
            "tender": TENDER,
            "lots": ["lot-1"],
            "bidder": self.organisation,
            "price": {"amount": price, "currency": "CNY"},
            "documents": [{"sha256": vitrine_ledger::hash::sha256(&bid_document(&self.organisation, salt_byte)).to_hex(), "title": "投标文件"}],
        }))
        .unwrap();
        let salt = Salt([salt_byte; 32]);
        let commitment = bid.commitment(&salt).to_hex();
        (bid, salt, commitment)
    }

    fn commit_statement(&self, commitment: &str, replaces: Option<&str>) -> Value {
        let mut body = json!({"commitment": commitment});
        if let Some(old) = replaces {
            body["replaces"] = json!(old);
        }
        signed("bid.committed", TENDER, body, &[&self.one_time])
    }

    fn reveal_statement(&self, bid: &Bid, salt: &Salt, commitment: &str) -> Value {
        signed(
            "bid.revealed",
            TENDER,
            json!({"commitment": commitment, "bid": bid.to_value(), "salt": salt.to_hex()}),
            &[&self.one_time, &self.key],
        )
    }
}

async fn status(app: &TestApp, id: &str) -> String {
    let (code, tender) = app.get(&format!("/api/v1/tenders/{id}")).await;
    assert_eq!(code, 200, "{tender}");
    tender["status"].as_str().unwrap().to_owned()
}

/// Waits for the scheduler to bring the tender to `wanted`.
async fn wait_status(app: &TestApp, id: &str, wanted: &str) {
    for _ in 0..200 {
        if status(app, id).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "tender {id} did not become {wanted}; it is {}",
        status(app, id).await
    );
}

/// Posts a statement that must be refused with `code` and a detail containing `detail`,
/// and checks that the refusal changed no table.
async fn refused(app: &TestApp, statement: &Value, code: u16, detail: &str) {
    let before = app.snapshot().await;
    let (status, body) = app.post(statement).await;
    assert_eq!(status, code, "{body}");
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(detail),
        "expected {detail:?} in {body}"
    );
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
}

/// A tender's status as its table row holds it (for when no server runs).
async fn status_in_table(database_url: &str, id: &str) -> String {
    let (url, id) = (database_url.to_owned(), id.to_owned());
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use vitrine_server::db::schema::tenders;
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        tenders::table
            .find(id)
            .select(tenders::status)
            .first::<String>(&mut conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// Runs the official OCDS checker, libcoveocds, on `package` (through tests/ocds/cove.py,
/// which serves the schema offline) when `VITRINE_OCDS_CHECK` names a Python that has it
/// (deploy/test.sh installs one; under CI it is required); says so when it is skipped.
fn cove_check(package: &Value, name: &str) {
    let Ok(python) = std::env::var("VITRINE_OCDS_CHECK") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run libcoveocds: set VITRINE_OCDS_CHECK (deploy/test.sh does)"
        );
        eprintln!(
            "SKIPPED: libcoveocds check of the {name} package (VITRINE_OCDS_CHECK is not set)"
        );
        return;
    };
    let dir = crate::common::temp_dir("ocds");
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(package).unwrap()).unwrap();
    let cove = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ocds/cove.py");
    let output = std::process::Command::new(python)
        .arg(cove)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "libcoveocds failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let errors = report["validation_errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        errors.is_empty(),
        "libcoveocds found {} errors in the {name} package ({}): {}",
        errors.len(),
        path.display(),
        serde_json::to_string_pretty(&errors).unwrap()
    );
    // The extensions must have loaded, or `bids`, `lots` and `enquiries` went unchecked.
    assert_eq!(
        report["extensions"]["invalid_extension"],
        json!({}),
        "an extension did not load"
    );
    // Fields outside the schema and its extensions are only our own: the entry a release
    // came from, and the buyer's payment reference. Lots, enquiries and bid details are
    // checked by their extensions, so they must not appear here.
    let additional: Vec<&str> = report["additional_fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(
        additional
            .iter()
            .all(|f| ["logEntry", "reference"].contains(f)),
        "fields outside OCDS and its extensions: {additional:?}"
    );
    eprintln!(
        "libcoveocds: the {name} package has 0 errors; additional fields: {}",
        report["additional_fields"]
    );
}

/// Sorts every array of objects with ids by id: OCDS merging identifies such items by id,
/// and keeps them in the order they first appeared in the releases.
fn by_id(value: &mut Value) {
    match value {
        Value::Object(map) => map.values_mut().for_each(by_id),
        Value::Array(items) => {
            items.iter_mut().for_each(by_id);
            if items.iter().all(|i| i.get("id").is_some()) {
                items.sort_by_key(|i| i["id"].to_string());
            }
        }
        _ => {}
    }
}

/// The reference compiler as the oracle: every tender's releases, merged by the OCDS merge
/// rules with `ocdskit compile` (tests/ocds/compile.py, offline), give exactly its record's
/// compiled release. Also libcoveocds on the whole release feed and a record. Skipped,
/// and said so, when `VITRINE_OCDS_CHECK` is not set (never under CI).
async fn every_record_compiles(app: &TestApp) {
    let Ok(python) = std::env::var("VITRINE_OCDS_CHECK") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must compile OCDS with ocdskit: set VITRINE_OCDS_CHECK (deploy/test.sh does)"
        );
        eprintln!("SKIPPED: ocdskit compile of the releases (VITRINE_OCDS_CHECK is not set)");
        return;
    };
    let (_, feed) = app.get("/api/v1/ocds/releases?limit=10000").await;
    cove_check(&feed, "feed");
    let (_, listed) = app.get("/api/v1/tenders?limit=500").await;
    let ids: Vec<String> = listed["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!ids.is_empty());
    let compile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ocds/compile.py");
    for id in ids {
        let (code, releases) = app
            .get(&format!("/api/v1/ocds/tenders/{id}/releases"))
            .await;
        assert_eq!(code, 200);
        let (code, record) = app.get(&format!("/api/v1/ocds/tenders/{id}/record")).await;
        assert_eq!(code, 200);
        let mut child = std::process::Command::new(&python)
            .arg(&compile)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&serde_json::to_vec(&releases).unwrap())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "ocdskit compile failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut compiled: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut ours = record["records"][0]["compiledRelease"].clone();
        by_id(&mut compiled);
        by_id(&mut ours);
        assert_eq!(
            compiled,
            ours,
            "tender {id}: ocdskit compiles its {} releases to\n{}\nbut its record says\n{}",
            releases["releases"].as_array().unwrap().len(),
            serde_json::to_string_pretty(&compiled).unwrap(),
            serde_json::to_string_pretty(&ours).unwrap()
        );
    }
}

/// Like `refused`, with extra request headers (credentials).
async fn refused_raw(
    app: &TestApp,
    statement: &Value,
    headers: &[(&str, &str)],
    code: u16,
    detail: &str,
) {
    let before = app.snapshot().await;
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/statements",
            statement.to_string().into_bytes(),
            headers,
        )
        .await;
    assert_eq!(status, code, "{body}");
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(detail),
        "expected {detail:?} in {body}"
    );
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
}

/// Refused when sent with the API token `token`.
async fn refused_as(app: &TestApp, token: &str, statement: &Value, code: u16, detail: &str) {
    let auth = format!("Bearer {token}");
    refused_raw(app, statement, &[("authorization", &auth)], code, detail).await;
}

/// Accepted when sent with the API token `token`.
async fn accepted_as(app: &TestApp, token: &str, statement: &Value) -> Value {
    let (status, body) = app.post_as(statement, token).await;
    assert_eq!(status, 201, "{body}");
    crate::common::conforms_to_openapi(statement);
    body
}

pub(crate) async fn accepted(app: &TestApp, statement: &Value) -> Value {
    let (status, body) = app.post(statement).await;
    assert_eq!(status, 201, "{body}");
    crate::common::conforms_to_openapi(statement);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transitions_due_while_the_server_was_down_happen_at_start() {
    let app = spawn_app().await;
    let officer = SigningKey::from_bytes(&[11; 32]);
    app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
        .await;
    buyer_clerk(&app, "fuzhou-bureau").await;
    let id = "ocds-vtest1-restart";
    accepted(
        &app,
        &signed(
            "tender.published",
            id,
            tender_body(id, "fuzhou-bureau", 1500, 1800, 2100),
            &[&officer],
        ),
    )
    .await;
    // Stop the server before any deadline, and wait until all of them have passed.
    app.handle.stop(true).await;
    assert_eq!(
        status_in_table(&app.database_url, id).await,
        "active.enquiries",
        "the first server moved the tender before it stopped: lengthen the periods"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let restarted = Application::build(settings(Some(app.database_url.clone()), &app.data_dir))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", restarted.port());
    let handle = restarted.handle();
    tokio::spawn(restarted.run_until_stopped());
    let again = app.served_by(base, handle);
    again.wait_ready().await;
    wait_status(&again, id, "unsuccessful").await;
    let (_, tender) = again.get(&format!("/api/v1/tenders/{id}")).await;
    assert_eq!(
        tender["reason"],
        "no bid was revealed before the reveal window closed"
    );
    // Both transitions are on the log, signed by the platform, in order.
    let (_, log) = again.get("/api/v1/log").await;
    let size = log["size"].as_u64().unwrap();
    let mut seen = Vec::new();
    for index in 0..size {
        let (_, entry) = again.get(&format!("/api/v1/entries/{index}")).await;
        let statement = &entry["entry"]["statement"];
        if statement["kind"] == "tender.status_changed" {
            seen.push(statement["body"]["to"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, ["opening", "unsuccessful"]);
    every_record_compiles(&again).await;
    again.handle.stop(true).await;
}

/// A scored tender of xiamen-bureau (with `criteria`, if given) in evaluation, with two
/// revealed bids: the dearer at 1,100,000 and the cheaper at 990,000. Answers the
/// officer's key, the evaluation report's hash and the two commitments.
async fn scored_tender_in_evaluation(
    app: &TestApp,
    id: &str,
    criteria: Option<Value>,
    seed: u8,
) -> (SigningKey, String, String, String) {
    let officer = SigningKey::from_bytes(&[51; 32]);
    app.register("xiamen-bureau", "buyer", &officer, "procurement_officer")
        .await;
    let mut revealed = Vec::new();
    for (n, price) in [(seed, "1100000.00"), (seed + 1, "990000.00")] {
        let organisation = format!("sup-s{n}");
        let key = SigningKey::from_bytes(&[n; 32]);
        let one_time = SigningKey::from_bytes(&[n + 100; 32]);
        app.register(&organisation, "supplier", &key, "bidder_representative")
            .await;
        let token = app
            .api_token(
                &organisation,
                &format!("rep@{organisation}.example"),
                "bidder_representative",
            )
            .await;
        let bid = Bid::from_value(json!({
            "tender": id, "lots": ["lot-1"], "bidder": organisation,
            "price": {"amount": price, "currency": "CNY"}, "documents": [],
        }))
        .unwrap();
        let salt = Salt([n; 32]);
        let commitment = bid.commitment(&salt).to_hex();
        revealed.push((bid, salt, commitment, key, one_time, token));
    }
    let clerk = buyer_clerk(app, "xiamen-bureau").await;
    let report = upload_text(app, &clerk, "评标报告：综合评分法").await;
    // A reveal window wide enough for a loaded machine: the scheduler may be 2 s late.
    let mut body = tender_body(id, "xiamen-bureau", 1000, 5000, 10000);
    body["award_criteria"] = json!("scored");
    if let Some(criteria) = criteria {
        body["criteria"] = criteria;
    }
    accepted(app, &signed("tender.published", id, body, &[&officer])).await;
    wait_status(app, id, "active.tendering").await;
    for (_, _, commitment, _, one_time, token) in &revealed {
        accepted_as(
            app,
            token,
            &signed(
                "bid.committed",
                id,
                json!({"commitment": commitment}),
                &[one_time],
            ),
        )
        .await;
    }
    wait_status(app, id, "opening").await;
    for (bid, salt, commitment, key, one_time, _) in &revealed {
        accepted(
            app,
            &signed(
                "bid.revealed",
                id,
                json!({"commitment": commitment, "bid": bid.to_value(), "salt": salt.to_hex()}),
                &[one_time, key],
            ),
        )
        .await;
    }
    wait_status(app, id, "evaluation").await;
    (
        officer,
        report,
        revealed[0].2.clone(),
        revealed[1].2.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scored_tenders_go_to_the_highest_score() {
    let app = spawn_app().await;
    let id = "ocds-vtest1-scored";
    let (officer, report, dear, cheap) = scored_tender_in_evaluation(&app, id, None, 61).await;
    let (dear, cheap) = (&dear, &cheap);
    let award = |commitment: &str, scores: Option<Value>| {
        let mut body = json!({"commitment": commitment, "evaluation_report_sha256": report});
        if let Some(scores) = scores {
            body["scores"] = scores;
        }
        signed("award.made", id, body, &[&officer])
    };
    refused(&app, &award(dear, None), 422, "body.scores must give").await;
    refused(
        &app,
        &award(dear, Some(json!({dear: 9100}))),
        422,
        "no score for revealed bid",
    )
    .await;
    refused(
        &app,
        &award(cheap, Some(json!({dear: 9100, cheap: 8700}))),
        409,
        "highest score (9100)",
    )
    .await;
    refused(
        &app,
        &award(dear, Some(json!({dear: 10001, cheap: 8700}))),
        422,
        "from 0 to 10000",
    )
    .await;
    // The dearer bid wins on quality: scores, not price, decide here.
    accepted(&app, &award(dear, Some(json!({dear: 9100, cheap: 8700})))).await;
    let (_, tender) = app.get(&format!("/api/v1/tenders/{id}")).await;
    assert_eq!(tender["awards"][0]["scores"][dear], 9100);
    assert_eq!(tender["awards"][0]["supplier"], "sup-s61");
    every_record_compiles(&app).await;
}

/// The caller's notifications, once `wanted` of them have arrived (the notifier works in
/// the background).
async fn notifications(app: &TestApp, token: &str, wanted: usize) -> Value {
    for _ in 0..100 {
        let (code, body) = with_token(app, "GET", "/api/v1/me/notifications", None, token).await;
        assert_eq!(code, 200, "{body}");
        if body["notifications"].as_array().unwrap().len() >= wanted {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {wanted} notifications arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bidders_are_told_of_answers_and_amendments() {
    let app = spawn_app().await;
    let officer = SigningKey::from_bytes(&[11; 32]);
    app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
        .await;
    let clerk = buyer_clerk(&app, "fuzhou-bureau").await;
    let mut tokens = Vec::new();
    for (n, organisation) in ["sup-a", "sup-b", "sup-c"].iter().enumerate() {
        let key = SigningKey::from_bytes(&[71 + n as u8; 32]);
        app.register(organisation, "supplier", &key, "bidder_representative")
            .await;
        tokens.push(
            app.api_token(
                organisation,
                &format!("rep@{organisation}.example"),
                "bidder_representative",
            )
            .await,
        );
    }
    // Everyone in a bidding organisation who may act for it is told, not only the sender.
    let a_admin = app
        .api_token("sup-a", "admin@sup-a.example", "organisation_admin")
        .await;
    let id = "ocds-vtest1-notify";
    accepted(
        &app,
        &signed(
            "tender.published",
            id,
            tender_body(id, "fuzhou-bureau", 1500, 6000, 60000),
            &[&officer],
        ),
    )
    .await;
    // A asks, anonymously; the buyer answers.
    accepted_as(
        &app,
        &tokens[0],
        &signed(
            "enquiry.asked",
            id,
            json!({"question": "交货期可否延长至 60 天？"}),
            &[&SigningKey::from_bytes(&[81; 32])],
        ),
    )
    .await;
    accepted(
        &app,
        &signed(
            "enquiry.answered",
            id,
            json!({"enquiry": "enquiry-1", "answer": "可以。"}),
            &[&officer],
        ),
    )
    .await;
    let answered = notifications(&app, &tokens[0], 1).await;
    assert_eq!(answered["notifications"][0]["kind"], "enquiry.answered");
    assert!(
        answered["notifications"][0]["summary"]["zh"]
            .as_str()
            .unwrap()
            .contains("问题已答复：可以。")
    );
    // A and B bid; C does not.
    wait_status(&app, id, "active.tendering").await;
    for (n, token) in tokens[..2].iter().enumerate() {
        let bidder = ["sup-a", "sup-b"][n];
        let bid = Bid::from_value(json!({
            "tender": id, "lots": ["lot-1"], "bidder": bidder,
            "price": {"amount": "990000.00", "currency": "CNY"}, "documents": [],
        }))
        .unwrap();
        let statement = bid
            .committed(&Salt([n as u8 + 1; 32]), None, Timestamp::now())
            .unwrap();
        let one_time = SigningKey::from_bytes(&[91 + n as u8; 32]);
        accepted_as(&app, token, &signed_by(statement, &[&one_time])).await;
    }
    let deadline = at(7000);
    let second_edition =
        upload_text(&app, &clerk, "招标文件：福州市政务云服务器采购（第二版）").await;
    accepted(
        &app,
        &signed(
            "tender.amended",
            id,
            json!({"changes": {
                "tender_end": deadline,
                // The tender's document replaced, and its lot: OCDS keeps the old ones,
                // superseded and cancelled, as merging the releases would.
                "documents": [{"sha256": second_edition, "title": "招标文件（第二版）"}],
                "lots": [{"id": "lot-2", "title": {"zh": "服务器（调整）"}, "value": {"amount": "1200000.00", "currency": "CNY"}}],
            }, "reason": "应投标人要求延长投标期"}),
            &[&officer],
        ),
    )
    .await;
    // The list of tenders shows the new deadline (its columns follow amendments).
    let (_, listed) = app.get("/api/v1/tenders?limit=500").await;
    let row = listed["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .cloned()
        .unwrap();
    let shown = Timestamp::parse(row["tender_end"].as_str().unwrap()).unwrap();
    let moved = Timestamp::parse(&deadline).unwrap();
    assert_eq!(shown.unix_seconds(), moved.unix_seconds(), "{row}");
    let a = notifications(&app, &tokens[0], 2).await;
    assert_eq!(a["unread"], 2);
    let amended = &a["notifications"][0];
    assert_eq!(amended["kind"], "tender.amended");
    assert_eq!(amended["tender"], id);
    let en = amended["summary"]["en"].as_str().unwrap();
    assert!(
        en.contains(&format!("The deadline is now {deadline}")),
        "{en}"
    );
    assert!(en.contains("withdraw or replace your bid"), "{en}");
    let (_, entry) = app
        .get(&format!("/api/v1/entries/{}", amended["entry"]))
        .await;
    assert_eq!(entry["entry"]["statement"]["kind"], "tender.amended");
    assert_eq!(notifications(&app, &a_admin, 2).await["unread"], 2);
    let b = notifications(&app, &tokens[1], 1).await;
    assert_eq!(b["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(b["notifications"][0]["kind"], "tender.amended");
    // C took no part: nothing, even after the others' arrived.
    assert_eq!(
        notifications(&app, &tokens[2], 0).await["notifications"],
        json!([])
    );

    // Read: one's own only; someone else's does not exist; a refusal changes nothing.
    let b_note = b["notifications"][0]["id"].as_i64().unwrap();
    let read_path = format!("/api/v1/me/notifications/{b_note}/read");
    let (code, problem) = with_token(&app, "POST", &read_path, None, &tokens[2]).await;
    assert_eq!(code, 404, "{problem}");
    assert_eq!(notifications(&app, &tokens[1], 1).await["unread"], 1);
    let (code, problem) = app
        .request(
            "POST",
            &format!("/api/v1/me/notifications/{b_note}/read"),
            Vec::new(),
            &[],
        )
        .await;
    assert_eq!(code, 401, "{problem}");
    assert_eq!(
        with_token(&app, "POST", &read_path, None, &tokens[1])
            .await
            .0,
        204
    );
    let b = notifications(&app, &tokens[1], 1).await;
    assert_eq!(b["unread"], 0);
    assert!(b["notifications"][0]["read_at"].is_string());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        with_token(&app, "POST", &read_path, None, &tokens[1])
            .await
            .0,
        204
    );
    assert_eq!(
        notifications(&app, &tokens[1], 1).await["notifications"][0]["read_at"],
        b["notifications"][0]["read_at"],
        "read once: the first time stays"
    );
    let (_, unread) = with_token(
        &app,
        "GET",
        "/api/v1/me/notifications?unread=true",
        None,
        &tokens[1],
    )
    .await;
    assert_eq!(unread["notifications"], json!([]));
    let (code, problem) = with_token(
        &app,
        "GET",
        "/api/v1/me/notifications?limit=0",
        None,
        &tokens[1],
    )
    .await;
    assert_eq!(code, 400, "{problem}");

    // Handling the outbox again (as after a crash before the cursor moved) repeats nothing.
    let url = app.database_url.clone();
    let (before, after) = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        let count = |conn: &mut diesel::PgConnection| -> i64 {
            vitrine_server::db::schema::notifications::table
                .count()
                .get_result(conn)
                .unwrap()
        };
        let before = count(&mut conn);
        diesel::sql_query("UPDATE outbox_cursors SET last_outbox_id = 0")
            .execute(&mut conn)
            .unwrap();
        let policy = vitrine_server::outbox::Policy::default();
        while vitrine_server::outbox::pass(
            &mut conn,
            &vitrine_server::notify::in_app::InApp,
            &policy,
        )
        .unwrap()
        .more
        {}
        (before, count(&mut conn))
    })
    .await
    .unwrap();
    assert_eq!(before, 5, "A's two users twice, and B once");
    assert_eq!(after, before);
    every_record_compiles(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_key_cannot_reveal_and_its_successor_can() {
    let app = spawn_app().await;
    let officer = SigningKey::from_bytes(&[11; 32]);
    app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
        .await;
    buyer_clerk(&app, "fuzhou-bureau").await;
    let admin = SigningKey::from_bytes(&[101; 32]);
    let (old, new) = (
        SigningKey::from_bytes(&[102; 32]),
        SigningKey::from_bytes(&[103; 32]),
    );
    app.register("sup-r", "supplier", &admin, "organisation_admin")
        .await;
    app.register_key("sup-r", &old, "bidder_representative", &admin)
        .await;
    let token = app
        .api_token("sup-r", "rep@sup-r.example", "bidder_representative")
        .await;
    let id = "ocds-vtest1-rotate";
    accepted(
        &app,
        &signed(
            "tender.published",
            id,
            tender_body(id, "fuzhou-bureau", 300, 2500, 60000),
            &[&officer],
        ),
    )
    .await;
    // Bids are judged by the log's time, not by the recorded status.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let bid = Bid::from_value(json!({
        "tender": id, "lots": ["lot-1"], "bidder": "sup-r",
        "price": {"amount": "1000000.00", "currency": "CNY"}, "documents": [],
    }))
    .unwrap();
    let (salt, one_time) = (Salt([5; 32]), SigningKey::from_bytes(&[104; 32]));
    let commit = bid.committed(&salt, None, Timestamp::now()).unwrap();
    accepted_as(&app, &token, &signed_by(commit, &[&one_time])).await;
    wait_status(&app, id, "opening").await;
    // The supplier rotates its key: the administrator registers the new one, and the old
    // one, thought compromised, revokes itself.
    app.register_key("sup-r", &new, "bidder_representative", &admin)
        .await;
    accepted(
        &app,
        &signed(
            "key.revoked",
            "sup-r",
            json!({"public_key": crate::common::base64(old.verifying_key().as_bytes()), "reason": "私钥可能泄露"}),
            &[&old],
        ),
    )
    .await;
    let reveal = |key: &SigningKey| {
        let statement = bid.revealed(&salt, Timestamp::now()).unwrap();
        signed_by(statement, &[&one_time, key])
    };
    refused(&app, &reveal(&old), 403, "was revoked").await;
    accepted(&app, &reveal(&new)).await;
    let (_, tender) = app.get(&format!("/api/v1/tenders/{id}")).await;
    assert_eq!(tender["bids"][0]["status"], "revealed", "{tender}");
    assert_eq!(tender["bids"][0]["bidder"], "sup-r", "{tender}");
    every_record_compiles(&app).await;
}

/// A request with an API token; answers the status and the JSON body.
async fn with_token(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: &str,
) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    app.request(method, path, bytes, &[("authorization", &auth)])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tender_is_drafted_privately_then_published() {
    let app = spawn_app().await;
    let officer = SigningKey::from_bytes(&[11; 32]);
    app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
        .await;
    let clerk = buyer_clerk(&app, "fuzhou-bureau").await;
    app.register(
        "xiamen-bureau",
        "buyer",
        &SigningKey::from_bytes(&[12; 32]),
        "procurement_officer",
    )
    .await;
    let rival = buyer_clerk(&app, "xiamen-bureau").await;
    app.register(
        "sup-a",
        "supplier",
        &SigningKey::from_bytes(&[21; 32]),
        "bidder_representative",
    )
    .await;
    let supplier = app
        .api_token("sup-a", "rep@sup-a.example", "bidder_representative")
        .await;
    let id = "ocds-vtest1-draft1";
    let path = format!("/api/v1/drafts/{id}");

    // A draft's id is its tender's ocid, bounded like one.
    for bad in [
        "notanocid".to_owned(),
        format!("ocds-vtest1-{}", "x".repeat(60)),
    ] {
        let (code, problem) = with_token(
            &app,
            "PUT",
            &format!("/api/v1/drafts/{bad}"),
            Some(&json!({})),
            &clerk,
        )
        .await;
        assert_eq!(code, 422, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("ocid"),
            "{problem}"
        );
    }
    let (_, listed) = with_token(&app, "GET", "/api/v1/drafts", None, &clerk).await;
    assert_eq!(listed["drafts"], json!([]), "{listed}");

    // A first, incomplete draft: saved, with what is missing.
    let (code, draft) = with_token(
        &app,
        "PUT",
        &path,
        Some(&json!({"title": {"zh": "路灯维修"}})),
        &clerk,
    )
    .await;
    assert_eq!(code, 201, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["ready"], false);
    assert_eq!(draft["body"]["buyer"], "fuzhou-bureau");
    assert_eq!(draft["body"]["id"], id);
    // Every problem, not only the first.
    let problems: Vec<&str> = draft["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for missing in [
        "category",
        "region",
        "procedure",
        "value",
        "lots",
        "documents",
        "award_criteria",
        "enquiry_end",
        "tender_end",
        "reveal_end",
        "standstill_seconds",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(missing)),
            "no problem names {missing}: {problems:?}"
        );
    }
    // Private: the public, suppliers and other buyers see nothing. Another buyer's draft
    // of the same id is its own: saving it tells nothing of ours, nor touches it.
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}")).await.0, 404);
    assert_eq!(with_token(&app, "GET", &path, None, &rival).await.0, 404);
    assert_eq!(
        with_token(&app, "GET", "/api/v1/drafts", None, &supplier)
            .await
            .0,
        403
    );
    let (code, theirs) = with_token(&app, "PUT", &path, Some(&json!({})), &rival).await;
    assert_eq!(code, 201, "{theirs}");
    assert_eq!(theirs["body"]["buyer"], "xiamen-bureau");
    let (code, ours) = with_token(&app, "GET", &path, None, &clerk).await;
    assert_eq!(code, 200);
    assert_eq!(ours["body"], draft["body"]);
    assert_eq!(with_token(&app, "DELETE", &path, None, &rival).await.0, 204);
    let (code, problem) = with_token(
        &app,
        "PUT",
        &path,
        Some(&json!({"id": "ocds-vtest1-other"})),
        &clerk,
    )
    .await;
    assert_eq!(code, 422, "{problem}");
    for (bad, code) in [(json!([1, 2]), 422), (json!("草稿"), 422)] {
        let (answer, problem) = with_token(&app, "PUT", &path, Some(&bad), &clerk).await;
        assert_eq!(answer, code, "{problem}");
    }
    let auth = format!("Bearer {clerk}");
    let (code, problem) = app
        .request(
            "PUT",
            &path,
            b"{not json".to_vec(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(code, 400, "{problem}");
    assert_eq!(problem["type"], "https://vitrine.dev/problems/invalid-json");
    let (_, unchanged) = with_token(&app, "GET", &path, None, &clerk).await;
    assert_eq!(
        unchanged["body"], draft["body"],
        "refusals changed the draft"
    );

    // Complete, but a document is not uploaded yet; then it is, and the draft is ready.
    let addendum = "技术参数补充（草稿）";
    let mut body = tender_body(id, "fuzhou-bureau", 3000, 9000, 13000);
    body["documents"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sha256": sha256(addendum.as_bytes()).to_hex(), "title": "技术参数"}));
    body.as_object_mut().unwrap().remove("buyer");
    let (code, draft) = with_token(&app, "PUT", &path, Some(&body), &clerk).await;
    assert_eq!(code, 200, "{draft}");
    assert_eq!(draft["ready"], false);
    assert_eq!(
        draft["problems"],
        json!([format!(
            "document {} is not uploaded by your organisation (POST /api/v1/documents)",
            sha256(addendum.as_bytes()).to_hex()
        )])
    );
    upload_text(&app, &clerk, addendum).await;
    let (_, listed) = with_token(&app, "GET", "/api/v1/drafts", None, &clerk).await;
    assert_eq!(listed["drafts"][0]["id"], id);
    assert_eq!(listed["drafts"][0]["ready"], true, "{listed}");

    // Publishing: the officer signs the draft's body; the draft is then gone.
    let ready = listed["drafts"][0]["body"].clone();
    accepted(&app, &signed("tender.published", id, ready, &[&officer])).await;
    assert_eq!(status(&app, id).await, "active.enquiries");
    assert_eq!(with_token(&app, "GET", &path, None, &clerk).await.0, 404);
    let (code, problem) = with_token(&app, "PUT", &path, Some(&json!({})), &clerk).await;
    assert_eq!(code, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("already published")
    );

    // A draft can be thrown away, once.
    let other = "/api/v1/drafts/ocds-vtest1-draft2";
    assert_eq!(
        with_token(&app, "PUT", other, Some(&json!({})), &clerk)
            .await
            .0,
        201
    );
    assert_eq!(with_token(&app, "DELETE", other, None, &rival).await.0, 404);
    assert_eq!(with_token(&app, "DELETE", other, None, &clerk).await.0, 204);
    assert_eq!(with_token(&app, "DELETE", other, None, &clerk).await.0, 404);
    every_record_compiles(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn weighted_criteria_decide_the_award() {
    let app = spawn_app().await;
    let id = "ocds-vtest1-weighted";
    let criteria = json!([
        {"id": "price", "title": {"zh": "价格", "en": "Price"}, "weight": 30, "price": true},
        {"id": "technical", "title": {"zh": "技术方案"}, "weight": 50},
        {"id": "service", "title": {"zh": "售后服务"}, "weight": 20},
    ]);
    // Criteria must weigh 100 in all.
    let mut bad = tender_body("ocds-vtest1-badweights", "xiamen-bureau", 1000, 5000, 8000);
    bad["award_criteria"] = json!("scored");
    bad["criteria"] = json!([{"id": "technical", "title": {"zh": "技术"}, "weight": 90}]);
    let (officer, report, dear, cheap) =
        scored_tender_in_evaluation(&app, id, Some(criteria), 71).await;
    refused(
        &app,
        &signed(
            "tender.published",
            "ocds-vtest1-badweights",
            bad,
            &[&officer],
        ),
        422,
        "the weights sum to 90, not 100",
    )
    .await;
    let award = |commitment: &str, scores: Value| {
        signed(
            "award.made",
            id,
            json!({"commitment": commitment, "evaluation_report_sha256": report, "scores": scores}),
            &[&officer],
        )
    };
    // The committee scores technical and service; the platform scores the price:
    // the cheaper bid gets 100, the dearer 990,000 / 1,100,000 = 90.00 points.
    //   dearer:  30 × 90.00 + 50 × 95 + 20 × 90 = 9,250 (hundredths)
    //   cheaper: 30 × 100   + 50 × 80 + 20 × 85 = 8,700
    let points = json!({dear.as_str(): {"technical": 95, "service": 90}, cheap.as_str(): {"technical": 80, "service": 85}});
    refused(
        &app,
        &award(&cheap, points.clone()),
        409,
        "highest score (9250)",
    )
    .await;
    refused(
        &app,
        &award(&dear, json!({dear.as_str(): {"technical": 95, "service": 90, "price": 100}, cheap.as_str(): {"technical": 80, "service": 85}})),
        422,
        "which the platform scores from the bids",
    )
    .await;
    refused(
        &app,
        &award(&dear, json!({dear.as_str(): {"technical": 95}, cheap.as_str(): {"technical": 80, "service": 85}})),
        422,
        "service must be an integer from 0 to 100",
    )
    .await;
    accepted(&app, &award(&dear, points)).await;
    let (_, tender) = app.get(&format!("/api/v1/tenders/{id}")).await;
    let scores = &tender["awards"][0]["scores"];
    assert_eq!(scores[&dear]["total"], 9250, "{scores}");
    assert_eq!(scores[&dear]["criteria"]["price"], 9000);
    assert_eq!(scores[&cheap]["total"], 8700);
    assert_eq!(scores[&cheap]["criteria"]["price"], 10_000);
    let (_, record) = app.get(&format!("/api/v1/ocds/tenders/{id}/record")).await;
    assert_eq!(
        record["records"][0]["compiledRelease"]["tender"]["awardCriteriaDetails"],
        "价格 30%; 技术方案 50%; 售后服务 20%"
    );
    every_record_compiles(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_statement_makes_public_only_what_its_signers_uploaded() {
    let app = spawn_app().await;
    let officer = SigningKey::from_bytes(&[31; 32]);
    app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
        .await;
    let clerk = buyer_clerk(&app, "fuzhou-bureau").await;
    app.register(
        "sup-a",
        "supplier",
        &SigningKey::from_bytes(&[32; 32]),
        "bidder_representative",
    )
    .await;
    let supplier = app
        .api_token("sup-a", "rep@sup-a.example", "bidder_representative")
        .await;
    app.register(
        "sup-b",
        "supplier",
        &SigningKey::from_bytes(&[33; 32]),
        "bidder_representative",
    )
    .await;
    let rival = app
        .api_token("sup-b", "rep@sup-b.example", "bidder_representative")
        .await;
    // A bidder's private document: only its organisation can read it.
    let secret = bid_document("sup-a", 7);
    let (code, _) = upload(&app, &supplier, secret.clone()).await;
    assert_eq!(code, 201);
    let hash = sha256(&secret).to_hex();
    assert_eq!(download(&app, &hash, Some(&supplier)).await.0, 200);
    assert_eq!(download(&app, &hash, Some(&clerk)).await.0, 404);

    // A buyer's officer names it in a tender: refused, and it stays private.
    let mut body = tender_body(TENDER, "fuzhou-bureau", 3000, 9000, 13000);
    body["documents"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sha256": hash, "title": "偷来的方案"}));
    let before = app.snapshot().await;
    refused(
        &app,
        &signed("tender.published", TENDER, body, &[&officer]),
        409,
        "is not uploaded by the signer's organisation",
    )
    .await;
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
    // A document.published naming it logs a hash and a title, and makes nothing readable.
    accepted(
        &app,
        &signed(
            "document.published",
            "doc-stolen",
            json!({"sha256": hash, "title": "偷来的方案"}),
            &[&officer],
        ),
    )
    .await;
    assert_eq!(download(&app, &hash, None).await.0, 404);
    assert_eq!(download(&app, &hash, Some(&clerk)).await.0, 404);

    // The same bytes uploaded by another organisation: the same answer as a first upload,
    // so an upload tells nothing of what others hold; and it is then readable by both.
    let (code, answer) = upload(&app, &rival, secret.clone()).await;
    assert_eq!(code, 201, "{answer}");
    let (code, _) = upload(&app, &rival, secret.clone()).await;
    assert_eq!(code, 200, "a second upload by the same organisation");
    assert_eq!(download(&app, &hash, Some(&rival)).await.0, 200);
    assert_eq!(download(&app, &hash, Some(&clerk)).await.0, 404);

    // The tender's own documents, which its buyer uploaded, are published.
    accepted(
        &app,
        &signed(
            "tender.published",
            TENDER,
            tender_body(TENDER, "fuzhou-bureau", 3000, 9000, 13000),
            &[&officer],
        ),
    )
    .await;
    let public = sha256(TENDER_DOCUMENT.as_bytes()).to_hex();
    assert_eq!(download(&app, &public, None).await.0, 200);
    let report = app.replay().await;
    assert!(report.is_clean(), "{report:?}");
    every_record_compiles(&app).await;
}
