//! Charity's public pages in a browser (`tests/browser/charity.mjs`), over a scenario seeded
//! over HTTP as a charity would: two charities; a fund with donations by several channels
//! and named, unnamed and anonymous donors; disbursements to a hospital (acknowledged, and
//! one paid without evidence or acknowledgement), a transfer to the other charity's fund
//! (spent there in turn) and one still short of its approvals; an old fund whose
//! disclosures are overdue. A donor's receipt file is fetched here with an officer's token,
//! and a copy of it tampered with, for the browser to open.

use crate::common::app::{TestApp, spawn_app};
use crate::common::signed;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use vitrine_ledger::donor::donor_commitment;
use vitrine_ledger::hash::sha256;
use vitrine_ledger::time::Timestamp;
use vitrine_ledger::tlog_proof::TlogProof;

const FUND: &str = "flood-relief-2026";
const SCHOOL: &str = "school-repair";
const OLD: &str = "winter-coats-2025";

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn b64(key: &SigningKey) -> String {
    crate::common::base64(key.verifying_key().as_bytes())
}

fn cny(amount: &str) -> Value {
    json!({"amount": amount, "currency": "CNY"})
}

fn days_from_now(days: i64) -> String {
    Timestamp::from_unix(Timestamp::now().unix_seconds() + days * 86_400, 0)
        .unwrap()
        .to_string()
}

async fn accepted(app: &TestApp, statement: &Value) -> Value {
    let (status, body) = app.post(statement).await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn upload(app: &TestApp, token: &str, content: &str) -> String {
    let auth = format!("Bearer {token}");
    let (status, _, body) = app
        .request_full_raw(
            "POST",
            "/api/v1/documents",
            content.as_bytes().to_vec(),
            &[
                ("authorization", &auth),
                ("content-type", "text/plain; charset=utf-8"),
            ],
        )
        .await;
    assert!(
        status == 201 || status == 200,
        "{}",
        String::from_utf8_lossy(&body)
    );
    sha256(content.as_bytes()).to_hex()
}

/// Records a donation as the charity's desk does: the statement, and the donor's data and
/// salt for the vault (`donor`: data, salt, public name if they agreed to one).
async fn donate(
    app: &TestApp,
    token: &str,
    officer: &SigningKey,
    (amount, channel, reference): (&str, &str, &str),
    donor: Option<(Value, [u8; 32], Option<&str>)>,
) -> u64 {
    let mut body = json!({
        "amount": cny(amount), "channel": channel, "reference": reference,
        "received_at": Timestamp::now().to_string(),
    });
    let mut request = json!({});
    if let Some((data, salt, public)) = &donor {
        body["donor"] = json!(donor_commitment(data, salt).unwrap().to_hex());
        body["named"] = json!(public.is_some());
        request["donor"] = json!({"data": data, "salt": vitrine_ledger::hash::hex_encode(salt)});
        if let Some(name) = public {
            request["donor"]["public_name"] = json!(name);
        }
    }
    request["statement"] = signed("donation.recorded", FUND, body, &[officer]);
    let auth = format!("Bearer {token}");
    let (status, answer) = app
        .request(
            "POST",
            &format!("/api/v1/funds/{FUND}/donations"),
            request.to_string().into_bytes(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    answer["donation"].as_u64().unwrap()
}

fn fund_body(charity: &str, kind: &str, purpose: Value, start: String, end: String) -> Value {
    json!({
        "charity": charity, "kind": kind, "purpose": purpose, "target": cny("20000.00"),
        "start": start, "end": end,
    })
}

/// A receipt file and its copy with the donation's amount changed in its extra data.
fn tamper(receipt: &str) -> String {
    let mut proof = TlogProof::parse(receipt.as_bytes()).unwrap();
    let mut extra: Value = serde_json::from_slice(proof.extra.as_ref().unwrap()).unwrap();
    let amount = &mut extra["entry"]["statement"]["body"]["amount"]["amount"];
    assert_eq!(amount, "1200.50");
    *amount = json!("12000.50");
    proof.extra = Some(vitrine_ledger::jcs::canonicalize(&extra));
    proof.format()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_charity_pages_show_trace_and_flag_in_a_browser() {
    let app = spawn_app().await;
    let (relief_admin, a, b) = (key(70), key(71), key(72));
    app.register("relief", "charity", &relief_admin, "organisation_admin")
        .await;
    for officer in [&a, &b] {
        app.register_key("relief", officer, "procurement_officer", &relief_admin)
            .await;
    }
    let (school_admin, school_officer) = (key(80), key(81));
    app.register("school", "charity", &school_admin, "organisation_admin")
        .await;
    app.register_key(
        "school",
        &school_officer,
        "procurement_officer",
        &school_admin,
    )
    .await;
    let hospital = key(90);
    app.register("hospital", "buyer", &hospital, "organisation_admin")
        .await;
    let relief = app
        .api_token("relief", "clerk@relief.example", "procurement_officer")
        .await;
    let school_token = app
        .api_token("school", "clerk@school.example", "procurement_officer")
        .await;

    // Three funds: relief's, with 1 of 2 officers approving (both above 5,000); the
    // school's; and an old one of the school's, ended without its disclosures.
    let mut relief_fund = fund_body(
        "relief",
        "campaign",
        json!({"zh": "洪水灾后救助", "en": "Flood relief"}),
        Timestamp::now().to_string(),
        days_from_now(300),
    );
    relief_fund["policy"] = json!({"officers": [b64(&a), b64(&b)], "approvals": 1,
        "above": {"amount": cny("5000.00"), "approvals": 2}});
    accepted(
        &app,
        &signed("fund.opened", FUND, relief_fund, &[&relief_admin]),
    )
    .await;
    let school_policy = json!({"officers": [b64(&school_officer)], "approvals": 1});
    let mut school_fund = fund_body(
        "school",
        "project",
        json!({"zh": "校舍修缮", "en": "School repairs"}),
        Timestamp::now().to_string(),
        days_from_now(90),
    );
    school_fund["policy"] = school_policy.clone();
    accepted(
        &app,
        &signed("fund.opened", SCHOOL, school_fund, &[&school_admin]),
    )
    .await;
    let mut old_fund = fund_body(
        "school",
        "campaign",
        json!({"zh": "冬衣募捐", "en": "Winter coats"}),
        days_from_now(-400),
        days_from_now(-200),
    );
    old_fund["policy"] = school_policy;
    accepted(
        &app,
        &signed("fund.opened", OLD, old_fund, &[&school_admin]),
    )
    .await;

    // Five donations by four channels: named, unnamed, anonymous.
    let person = |n: u8| json!({"name": format!("捐赠人{n}"), "id_number": format!("3501021990010{n:05}"), "phone": "13800000000"});
    let gifts = [
        (
            ("3000.00", "bank_transfer", "ICBC-1"),
            Some((person(1), [1; 32], Some("爱心人士张"))),
        ),
        (
            ("1200.50", "alipay", "ALI-2"),
            Some((person(2), [2; 32], None)),
        ),
        (("800.00", "wechat_pay", "WX-3"), None),
        (
            ("2500.00", "bank_transfer", "ICBC-4"),
            Some((person(4), [4; 32], None)),
        ),
        (("450.00", "cash", "CASH-5"), None),
    ];
    for (n, (gift, donor)) in gifts.into_iter().enumerate() {
        assert_eq!(donate(&app, &relief, &a, gift, donor).await, n as u64 + 1);
    }

    // Disbursements: 1 to the hospital, acknowledged; 2 a transfer to the school's fund,
    // acknowledged by it; 3 to the hospital without evidence, never acknowledged; 4 above
    // the threshold, one approval of two.
    let invoice = upload(&app, &relief, "发票：救灾物资，合计 2000.00 元").await;
    let agreement = upload(&app, &relief, "捐赠协议：校舍修缮 1500.00 元").await;
    let propose = |amount: &str, recipient: Value, evidence: Vec<&String>| {
        signed(
            "disbursement.proposed",
            FUND,
            json!({"amount": cny(amount), "recipient": recipient,
                   "purpose": {"zh": "救灾物资", "en": "Relief supplies"}, "evidence": evidence}),
            &[&a],
        )
    };
    let hospital_id = json!({"organisation": "hospital"});
    accepted(
        &app,
        &propose("2000.00", hospital_id.clone(), vec![&invoice]),
    )
    .await;
    accepted(
        &app,
        &propose("1500.00", json!({"fund": SCHOOL}), vec![&agreement]),
    )
    .await;
    accepted(&app, &propose("600.00", hospital_id.clone(), vec![])).await;
    accepted(&app, &propose("6000.00", hospital_id, vec![&invoice])).await;
    for n in 1..=3 {
        accepted(
            &app,
            &signed(
                "disbursement.executed",
                FUND,
                json!({"disbursement": n, "reference": format!("PAY-{n}")}),
                &[&b],
            ),
        )
        .await;
    }
    accepted(
        &app,
        &signed(
            "disbursement.acknowledged",
            FUND,
            json!({"disbursement": 1}),
            &[&hospital],
        ),
    )
    .await;
    accepted(
        &app,
        &signed(
            "disbursement.acknowledged",
            FUND,
            json!({"disbursement": 2}),
            &[&school_officer],
        ),
    )
    .await;
    // The school spends most of the transfer.
    let desks = upload(&app, &school_token, "发票：课桌椅 1000.00 元").await;
    accepted(
        &app,
        &signed(
            "disbursement.proposed",
            SCHOOL,
            json!({"amount": cny("1000.00"), "recipient": {"organisation": "hospital"},
                   "purpose": {"zh": "课桌椅"}, "evidence": [desks]}),
            &[&school_officer],
        ),
    )
    .await;
    accepted(
        &app,
        &signed(
            "disbursement.executed",
            SCHOOL,
            json!({"disbursement": 1, "reference": "S-1"}),
            &[&school_officer],
        ),
    )
    .await;

    // What the pages must show, from the API.
    let (_, fund) = app.get(&format!("/api/v1/funds/{FUND}")).await;
    let bands_of = |f: &Value| {
        let held = f["balance"]["amount"] != "0.00";
        f["money_in"].as_array().unwrap().len()
            + f["money_out"].as_array().unwrap().len()
            + usize::from(held)
    };
    let bands = bands_of(&fund);
    assert_eq!(bands, 4 + 2 + 1, "{fund}");
    let (_, school) = app.get(&format!("/api/v1/funds/{SCHOOL}")).await;
    let school_bands = bands_of(&school);
    let (_, ledger) = app
        .get(&format!("/api/v1/funds/{FUND}/ledger?bucket=day"))
        .await;
    let points = ledger["ledger"].as_array().unwrap().len();
    assert!(points >= 1, "{ledger}");
    let (_, trace) = app.get(&format!("/api/v1/funds/{FUND}/donations/2")).await;
    assert_eq!(
        trace["went_to"][0]["continues"]["fund"], SCHOOL,
        "donation 2 went on to the school: {trace}"
    );
    let (_, sources) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements/2"))
        .await;
    let sources = sources["came_from"].as_array().unwrap().len();

    // The donor's receipt, as the charity gives it, and a copy tampered with.
    let auth = format!("Bearer {relief}");
    let (status, _, body) = app
        .request_full_raw(
            "GET",
            &format!("/api/v1/funds/{FUND}/donations/2/receipt"),
            Vec::new(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let receipt = String::from_utf8(body).unwrap();
    let dir = crate::common::temp_dir("charity-pages");
    let receipt_file = dir.join(format!("{FUND}-donation-2.tlog-proof"));
    std::fs::write(&receipt_file, &receipt).unwrap();
    let tampered_file = dir.join(format!("{FUND}-donation-2-tampered.tlog-proof"));
    std::fs::write(&tampered_file, tamper(&receipt)).unwrap();

    let env = [
        ("VITRINE_URL", app.base.clone()),
        ("VITRINE_FUND", FUND.to_owned()),
        ("VITRINE_SCHOOL", SCHOOL.to_owned()),
        ("VITRINE_OLD", OLD.to_owned()),
        ("VITRINE_POINTS", points.to_string()),
        ("VITRINE_BANDS", bands.to_string()),
        ("VITRINE_SCHOOL_BANDS", school_bands.to_string()),
        ("VITRINE_DONATIONS", "5".to_owned()),
        ("VITRINE_DISBURSEMENTS", "4".to_owned()),
        ("VITRINE_RECEIPT", receipt_file.display().to_string()),
        ("VITRINE_TAMPERED", tampered_file.display().to_string()),
        ("VITRINE_RECEIPT_DONATION", "2".to_owned()),
        ("VITRINE_FLAGGED", format!("{FUND}#3")),
        ("VITRINE_SOURCES", sources.to_string()),
    ];
    let ran = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();
        crate::common::browser::run("charity.mjs", &env)
    })
    .await
    .unwrap();
    let Some(()) = ran else { return };

    // The pages read; they changed nothing.
    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
}
