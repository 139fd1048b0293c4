//! Charity end to end over HTTP, against a real PostgreSQL: a fund with many donations
//! and disbursements traced both ways to the fen and recomputed here from the log's rule;
//! a transfer from one fund to another traced end to end; every refusal answered with a
//! problem document and nothing changed; replay equal to the tables; a donor's receipt
//! checked offline, by the library and by the `vitrine` command; and erasure from the vault
//! leaving the log, the proofs and the traces as they were.

use crate::common::app::{TestApp, spawn_app};
use crate::common::{base64, signed};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vitrine_ledger::donation::{DonorCheck, check_donor_receipt};
use vitrine_ledger::donor::donor_commitment;
use vitrine_ledger::hash::sha256;
use vitrine_ledger::time::Timestamp;

const FUND: &str = "relief-quake-2026";
const SCHOOL_FUND: &str = "school-rebuild";

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn b64(key: &SigningKey) -> String {
    base64(key.verifying_key().as_bytes())
}

fn cny(amount: &str) -> Value {
    json!({"amount": amount, "currency": "CNY"})
}

/// Units (ten-thousandths) of a decimal amount.
fn units(amount: &str) -> i64 {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    whole.parse::<i64>().unwrap() * 10_000 + format!("{fraction:0<4}").parse::<i64>().unwrap()
}

fn amount_of(money: &Value) -> i64 {
    units(money["amount"].as_str().unwrap())
}

/// The people of the cases.
struct Cast {
    admin: SigningKey,
    officers: [SigningKey; 3],
    school_admin: SigningKey,
    school_officer: SigningKey,
    hospital: SigningKey,
    /// An officer's API token of relief (records donations, uploads evidence).
    relief_token: String,
    /// relief's administrator's API token (erases donors' data).
    relief_admin_token: String,
    school_token: String,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = key(30);
    let officers = [key(31), key(32), key(33)];
    app.register("relief", "charity", &admin, "organisation_admin")
        .await;
    for officer in &officers {
        app.register_key("relief", officer, "procurement_officer", &admin)
            .await;
    }
    let (school_admin, school_officer) = (key(40), key(41));
    app.register("school", "charity", &school_admin, "organisation_admin")
        .await;
    app.register_key(
        "school",
        &school_officer,
        "procurement_officer",
        &school_admin,
    )
    .await;
    let hospital = key(50);
    app.register("hospital", "buyer", &hospital, "organisation_admin")
        .await;
    let relief_token = app
        .api_token("relief", "clerk@relief.example", "procurement_officer")
        .await;
    let relief_admin_token = app
        .api_token("relief", "head@relief.example", "organisation_admin")
        .await;
    let school_token = app
        .api_token("school", "clerk@school.example", "procurement_officer")
        .await;
    Cast {
        admin,
        officers,
        school_admin,
        school_officer,
        hospital,
        relief_token,
        relief_admin_token,
        school_token,
    }
}

async fn accepted(app: &TestApp, statement: &Value) -> Value {
    let (status, body) = app.post(statement).await;
    assert_eq!(status, 201, "{body}");
    crate::common::conforms_to_openapi(statement);
    body
}

/// A statement refused with `code`, saying `detail`, that changed no table.
async fn refused(app: &TestApp, statement: &Value, code: u16, detail: &str) {
    let before = app.snapshot().await;
    let (status, body) = app.post(statement).await;
    assert_eq!(status, code, "{body}");
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(detail),
        "expected {detail:?} in {body}"
    );
    assert!(body["detail_key"].is_string(), "a keyed refusal: {body}");
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
}

async fn with_token(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    app.request(method, path, body, &[("authorization", &auth)])
        .await
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

fn open_fund(charity: &str, officers: &[&SigningKey], approvals: u32) -> Value {
    json!({
        "charity": charity,
        "kind": "campaign",
        "purpose": {"zh": "地震灾后救助", "en": "Earthquake relief"},
        "target": cny("1000000.00"),
        "start": Timestamp::now().to_string(),
        "end": Timestamp::from_unix(Timestamp::now().unix_seconds() + 86_400 * 300, 0).unwrap().to_string(),
        "policy": {
            "officers": officers.iter().map(|k| b64(k)).collect::<Vec<_>>(),
            "approvals": approvals,
            "above": {"amount": cny("50000.00"), "approvals": 3},
        },
    })
}

/// A donation recorded through the charity's endpoint: named donors get a vault entry.
struct Gift {
    amount: String,
    donor: Option<(Value, [u8; 32])>,
}

fn donation_statement(officer: &SigningKey, gift: &Gift, reference: &str) -> Value {
    let mut body = json!({
        "amount": cny(&gift.amount),
        "channel": "bank_transfer",
        "reference": reference,
        "received_at": Timestamp::now().to_string(),
    });
    if let Some((data, salt)) = &gift.donor {
        body["donor"] = json!(donor_commitment(data, salt).unwrap().to_hex());
        body["named"] = json!(data.get("public").is_some());
    }
    signed("donation.recorded", FUND, body, &[officer])
}

async fn record(
    app: &TestApp,
    token: &str,
    fund: &str,
    statement: Value,
    gift: &Gift,
) -> (u16, Value) {
    let mut request = json!({"statement": statement});
    if let Some((data, salt)) = &gift.donor {
        request["donor"] = json!({"data": data, "salt": vitrine_ledger::hash::hex_encode(salt)});
        if let Some(name) = data.get("public") {
            request["donor"]["public_name"] = name.clone();
        }
    }
    with_token(
        app,
        "POST",
        &format!("/api/v1/funds/{fund}/donations"),
        token,
        request.to_string().into_bytes(),
    )
    .await
}

/// Asks for the vault's data behind `commitment` to be erased, with `token`.
async fn erase(app: &TestApp, token: &str, commitment: &str) -> (u16, Value) {
    let path = format!("/api/v1/donors/{commitment}/erase");
    with_token(app, "POST", &path, token, Vec::new()).await
}

/// The cast, and relief's fund [`FUND`] opened, two of its three officers to approve.
async fn cast_and_fund(app: &TestApp) -> Cast {
    let c = cast(app).await;
    let [a, b, officer_c] = &c.officers;
    accepted(
        app,
        &signed(
            "fund.opened",
            FUND,
            open_fund("relief", &[a, b, officer_c], 2),
            &[&c.admin],
        ),
    )
    .await;
    c
}

fn number(n: u64) -> Value {
    json!({ "disbursement": n })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fund_is_traced_both_ways_to_the_fen_and_its_refusals_change_nothing() {
    let app = spawn_app().await;
    let c = cast_and_fund(&app).await;
    let [a, b, officer_c] = &c.officers;
    let evidence = upload(&app, &c.relief_token, "发票：帐篷 200 顶，合计").await;
    accepted(&app, &signed("fund.opened", SCHOOL_FUND, json!({
        "charity": "school", "kind": "project", "purpose": {"zh": "校舍重建"},
        "target": cny("200000.00"), "start": Timestamp::now().to_string(),
        "end": Timestamp::from_unix(Timestamp::now().unix_seconds() + 86_400 * 30, 0).unwrap().to_string(),
        "policy": {"officers": [b64(&c.school_officer)], "approvals": 1},
    }), &[&c.school_admin])).await;

    // 40 donations: amounts with fen, every third anonymous, every fourth named publicly.
    let mut gifts = Vec::new();
    for n in 1..=40u64 {
        let amount = format!("{}.{:02}", 100 + n * 37, (n * 13) % 100);
        let donor = (n % 3 != 0).then(|| {
            let mut data = json!({"name": format!("捐赠人{n}"), "id_number": format!("35010219900101{n:04}"), "phone": "13800000000"});
            if n % 4 == 0 {
                data["public"] = json!(format!("爱心人士{n}"));
            }
            (data, [n as u8; 32])
        });
        let gift = Gift { amount, donor };
        let statement = donation_statement(a, &gift, &format!("ICBC-{n:05}"));
        let (status, body) = record(&app, &c.relief_token, FUND, statement, &gift).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["donation"], json!(n), "{body}");
        gifts.push(gift);
    }
    let received: i64 = gifts.iter().map(|g| units(&g.amount)).sum();
    let (_, fund) = app.get(&format!("/api/v1/funds/{FUND}")).await;
    assert_eq!(amount_of(&fund["balance"]), received, "{fund}");
    assert_eq!(fund["donations"], json!(40));

    // The same bank reference again, the wrong salt, data without a commitment: refused,
    // and neither the log nor the vault changed.
    let before = app.snapshot().await;
    let again = Gift {
        amount: "1.00".into(),
        donor: Some((
            json!({"name": "重复的捐赠人", "id_number": "350102199001019999"}),
            [77; 32],
        )),
    };
    let (status, body) = record(
        &app,
        &c.relief_token,
        FUND,
        donation_statement(a, &again, "ICBC-00001"),
        &again,
    )
    .await;
    assert_eq!(
        (
            status,
            body["detail"]
                .as_str()
                .unwrap()
                .contains("with reference ICBC-00001 already")
        ),
        (409, true),
        "{body}"
    );
    let liar = Gift {
        amount: "1.00".into(),
        donor: Some((json!({"name": "某人"}), [9; 32])),
    };
    let mut wrong = json!({"statement": donation_statement(a, &liar, "ICBC-X1"), "donor": {"data": {"name": "别人"}, "salt": vitrine_ledger::hash::hex_encode(&[9; 32])}});
    let (status, body) = with_token(
        &app,
        "POST",
        &format!("/api/v1/funds/{FUND}/donations"),
        &c.relief_token,
        wrong.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("do not open the statement's commitment"),
        "{body}"
    );
    wrong.as_object_mut().unwrap().remove("donor");
    let (status, body) = with_token(
        &app,
        "POST",
        &format!("/api/v1/funds/{FUND}/donations"),
        &c.relief_token,
        wrong.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("send the donor's data and salt"),
        "{body}"
    );
    // Another charity's officer cannot record into relief's fund.
    let (status, body) = record(
        &app,
        &c.school_token,
        FUND,
        donation_statement(a, &again, "ICBC-X2"),
        &again,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        app.snapshot().await,
        before,
        "refused donations changed the tables"
    );

    // Disbursements: a proposal signed by one officer, approved by another; one above the
    // threshold needs all three.
    let hospital = json!({"organisation": "hospital"});
    let propose = |amount: &str, recipient: &Value, by: &[&SigningKey]| {
        signed(
            "disbursement.proposed",
            FUND,
            json!({
                "amount": cny(amount), "recipient": recipient,
                "purpose": {"zh": "救灾帐篷", "en": "Tents"}, "evidence": [evidence],
            }),
            by,
        )
    };
    let execute = |n: u64, by: &SigningKey| {
        signed(
            "disbursement.executed",
            FUND,
            json!({"disbursement": n, "reference": format!("PAY-{n}")}),
            &[by],
        )
    };
    accepted(&app, &propose("1234.56", &hospital, &[a])).await; // 1
    refused(
        &app,
        &execute(1, a),
        409,
        "needs 2 approvals by officers whose keys are active; it has 1",
    )
    .await;
    refused(
        &app,
        &signed("disbursement.approved", FUND, number(1), &[a]),
        409,
        "approved disbursement 1 already",
    )
    .await;
    refused(
        &app,
        &signed(
            "disbursement.approved",
            FUND,
            number(1),
            &[&c.school_officer],
        ),
        403,
        "is not one of the officers",
    )
    .await;
    accepted(
        &app,
        &signed("disbursement.approved", FUND, number(1), &[b]),
    )
    .await;
    // Beyond the balance at this point of the log: refused, whatever the approvals.
    accepted(
        &app,
        &propose(
            &vitrine_server::domain::charity::money::amount(received + 1),
            &hospital,
            &[a, b, officer_c],
        ),
    )
    .await; // 2
    refused(&app, &execute(2, a), 409, "would take it below zero").await;
    accepted(&app, &execute(1, b)).await;
    // A person, with a key made for them; and a transfer to the school's fund.
    let person_key = key(60);
    let person = json!({"person": sha256(b"recipient").to_hex(), "key": b64(&person_key)});
    accepted(&app, &propose("2000.00", &person, &[a, b])).await; // 3
    accepted(
        &app,
        &propose("5000.50", &json!({"fund": SCHOOL_FUND}), &[a, b]),
    )
    .await; // 4
    accepted(&app, &propose("777.77", &hospital, &[b, officer_c])).await; // 5
    // Executed out of the order proposed: 5, 4, 3.
    for n in [5, 4, 3] {
        accepted(&app, &execute(n, a)).await;
    }
    // The officer C's key is revoked: it approves nothing any more.
    accepted(&app, &propose("10.00", &hospital, &[a, officer_c])).await; // 6, approved
    accepted(
        &app,
        &signed(
            "key.revoked",
            "relief",
            json!({"public_key": b64(officer_c), "reason": "离职"}),
            &[&c.admin],
        ),
    )
    .await;
    refused(
        &app,
        &signed("disbursement.approved", FUND, number(6), &[officer_c]),
        403,
        "was revoked",
    )
    .await;
    // Disbursement 6 had the two approvals it needs, one by C: with C's key revoked, one
    // counts, and readers are told it is not payable until approved again. A paid one's
    // approvals counted when it was paid.
    let (_, waiting) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements/6"))
        .await;
    let waiting = &waiting["disbursement"];
    assert_eq!(
        (
            &waiting["status"],
            &waiting["approvals_active"],
            &waiting["payable"]
        ),
        (&json!("approved"), &json!(1), &json!(false)),
        "{waiting}"
    );
    let revoked: Vec<&Value> = waiting["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["revoked"] == true)
        .map(|a| &a["key"])
        .collect();
    assert_eq!(revoked, [&json!(b64(officer_c))], "{waiting}");
    let (_, one) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements/1"))
        .await;
    assert!(one["disbursement"].get("payable").is_none(), "{one}");
    let (_, listed) = app
        .get(&format!(
            "/api/v1/funds/{FUND}/disbursements?after=5&limit=1"
        ))
        .await;
    assert_eq!(
        listed["disbursements"][0]["approvals_active"], 1,
        "{listed}"
    );
    let (_, page) = app
        .get_bytes(&format!("/funds/{FUND}/disbursements/6"))
        .await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(page.matches("data-revoked>").count(), 1, "{page}");
    assert!(page.contains("data-revoked-approvals"), "{page}");
    // The officers' desk counts it as waiting for approval, not for payment (2, approved
    // by A, B and C, needs two: it is still payable).
    let waiting = || {
        let url = app.database_url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                use diesel::Connection as _;
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                let all = vitrine_server::db::charity_desk::waiting(&mut conn, "relief").unwrap();
                let relief = all.iter().find(|w| w.fund_id == FUND).unwrap();
                (relief.proposed, relief.approved)
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(waiting().await, (1, 1));
    // Approved again by B, it is payable.
    accepted(
        &app,
        &signed("disbursement.approved", FUND, number(6), &[b]),
    )
    .await;
    let (_, six) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements/6"))
        .await;
    assert_eq!(
        (
            &six["disbursement"]["approvals_active"],
            &six["disbursement"]["payable"]
        ),
        (&json!(2), &json!(true)),
        "{six}"
    );
    assert_eq!(waiting().await, (0, 2));
    // Acknowledgements: only the named recipient.
    refused(
        &app,
        &signed("disbursement.acknowledged", FUND, number(1), &[a]),
        403,
        "acknowledged by its recipient, hospital",
    )
    .await;
    refused(
        &app,
        &signed("disbursement.acknowledged", FUND, number(3), &[&key(61)]),
        403,
        "acknowledged by its recipient",
    )
    .await;
    accepted(
        &app,
        &signed("disbursement.acknowledged", FUND, number(1), &[&c.hospital]),
    )
    .await;
    accepted(
        &app,
        &signed("disbursement.acknowledged", FUND, number(3), &[&person_key]),
    )
    .await;
    accepted(
        &app,
        &signed(
            "disbursement.acknowledged",
            FUND,
            number(4),
            &[&c.school_officer],
        ),
    )
    .await;
    refused(
        &app,
        &signed("disbursement.acknowledged", FUND, number(1), &[&c.hospital]),
        409,
        "was acknowledged already",
    )
    .await;
    // The school spends the transfer.
    accepted(
        &app,
        &signed(
            "disbursement.proposed",
            SCHOOL_FUND,
            json!({"amount": cny("3000.00"), "recipient": hospital, "purpose": {"zh": "课桌椅"}}),
            &[&c.school_officer],
        ),
    )
    .await;
    accepted(
        &app,
        &signed(
            "disbursement.executed",
            SCHOOL_FUND,
            json!({"disbursement": 1, "reference": "S-1"}),
            &[&c.school_officer],
        ),
    )
    .await;

    // FIFO recomputed here from what the API lists, in the order the executions were
    // logged: 1, 5, 4, 3.
    let (_, listed) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements"))
        .await;
    let disbursements = listed["disbursements"].as_array().unwrap();
    let mut executed: Vec<(i64, u64, i64)> = disbursements
        .iter()
        .filter(|d| d["status"] == "executed")
        .map(|d| {
            (
                d["executed"]["idx"].as_i64().unwrap(),
                d["seq"].as_u64().unwrap(),
                amount_of(&d["amount"]),
            )
        })
        .collect();
    executed.sort();
    assert_eq!(
        executed.iter().map(|e| e.1).collect::<Vec<_>>(),
        [1, 5, 4, 3]
    );
    let mut left: Vec<i64> = gifts.iter().map(|g| units(&g.amount)).collect();
    let mut expected: BTreeMap<(u64, u64), i64> = BTreeMap::new(); // (donation, disbursement)
    for (_, seq, amount) in &executed {
        let mut wanted = *amount;
        for (i, l) in left.iter_mut().enumerate() {
            if wanted == 0 {
                break;
            }
            let take = wanted.min(*l);
            if take > 0 {
                *l -= take;
                wanted -= take;
                expected.insert((i as u64 + 1, *seq), take);
            }
        }
    }
    let mut traced: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    for n in 1..=40u64 {
        let (status, trace) = app
            .get(&format!("/api/v1/funds/{FUND}/donations/{n}"))
            .await;
        assert_eq!(status, 200, "{trace}");
        let mut spent = 0;
        for part in trace["went_to"].as_array().unwrap() {
            let seq = part["disbursement"]["seq"].as_u64().unwrap();
            traced.insert((n, seq), amount_of(&part["amount"]));
            spent += amount_of(&part["amount"]);
        }
        assert_eq!(
            spent + amount_of(&trace["not_yet_spent"]),
            units(&gifts[n as usize - 1].amount),
            "donation {n}: {trace}"
        );
    }
    assert_eq!(traced, expected, "every allocation, to the fen");

    // A donation split over several disbursements, a part a page: the same parts, in the
    // order they were paid, each page saying where the next goes on.
    let (&split, _) = expected
        .iter()
        .map(|((n, _), _)| n)
        .fold(BTreeMap::new(), |mut counts: BTreeMap<u64, usize>, n| {
            *counts.entry(*n).or_default() += 1;
            counts
        })
        .iter()
        .find(|(_, parts)| **parts >= 2)
        .expect("a donation split over two disbursements or more");
    let (_, whole) = app
        .get(&format!("/api/v1/funds/{FUND}/donations/{split}"))
        .await;
    assert_eq!(
        (&whole["more"], &whole["next_after"]),
        (&json!(false), &Value::Null)
    );
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = app
            .get(&format!(
                "/api/v1/funds/{FUND}/donations/{split}?limit=1&after={after}"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        let parts = page["went_to"].as_array().unwrap();
        assert!(parts.len() <= 1, "{page}");
        paged.extend(parts.iter().cloned());
        match page["next_after"].as_i64() {
            Some(next) => {
                assert_eq!(page["more"], true, "{page}");
                assert_eq!(json!(next), parts[0]["entry"], "{page}");
                after = next;
            }
            None => break,
        }
    }
    assert_eq!(
        &json!(paged),
        &whole["went_to"],
        "paged, the same parts in the same order"
    );
    // The trace page goes on after a part the same way, and says so.
    let html = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    let link = |part: &Value| {
        format!(
            "/funds/{FUND}/disbursements/{}\"",
            part["disbursement"]["seq"]
        )
    };
    let (status, page) = app
        .get_bytes(&format!(
            "/funds/{FUND}/donations/{split}?after={}",
            paged[0]["entry"]
        ))
        .await;
    let page = html(page);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"after-lead\""), "{page}");
    assert!(
        !page.contains(&link(&paged[0])),
        "the first part is not shown again"
    );
    assert!(page.contains(&link(&paged[1])), "the next part is: {page}");
    let (_, page) = app
        .get_bytes(&format!("/funds/{FUND}/donations/{split}"))
        .await;
    let page = html(page);
    assert!(paged.iter().all(|p| page.contains(&link(p))), "{page}");
    assert!(!page.contains("after-lead") && !page.contains("data-more-parts"));
    let (status, page) = app
        .get_bytes(&format!("/funds/{FUND}/donations/{split}?after=-3"))
        .await;
    assert_eq!(status, 400, "a readable refusal: {}", html(page.clone()));
    // Said in the reader's language (Chinese, when the browser names none).
    assert!(html(page).contains("after 须为日志条目的序号"));
    for bad in ["limit=0", "limit=501", "limit=x", "after=x"] {
        let (status, problem) = app
            .get(&format!("/api/v1/funds/{FUND}/donations/{split}?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {problem}");
        assert_eq!(
            problem["type"], "https://vitrine.dev/problems/invalid-query",
            "{bad}: {problem}"
        );
    }
    for (_, seq, amount) in &executed {
        let (_, sources) = app
            .get(&format!("/api/v1/funds/{FUND}/disbursements/{seq}"))
            .await;
        let total: i64 = sources["came_from"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| amount_of(&p["amount"]))
            .sum();
        assert_eq!(total, *amount, "{sources}");
        for part in sources["came_from"].as_array().unwrap() {
            let donation = part["donation"]["seq"].as_u64().unwrap();
            assert_eq!(
                expected.get(&(donation, *seq)),
                Some(&amount_of(&part["amount"]))
            );
        }
    }

    // The transfer, end to end: a donation whose money went to the school's fund, then on
    // to the hospital.
    let (&(first, _), _) = expected.iter().find(|((_, d), _)| *d == 4).unwrap();
    let (_, trace) = app
        .get(&format!("/api/v1/funds/{FUND}/donations/{first}"))
        .await;
    let transfer = trace["went_to"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["disbursement"]["seq"] == 4)
        .unwrap();
    let there = &transfer["continues"];
    assert_eq!(there["fund"], SCHOOL_FUND, "{trace}");
    assert_eq!(
        there["donation"]["source"],
        json!({"fund": FUND, "disbursement": 4})
    );
    assert_eq!(amount_of(&there["donation"]["amount"]), units("5000.50"));
    assert_eq!(
        there["went_to"][0]["disbursement"]["recipient"],
        json!({"organisation": "hospital"})
    );
    assert_eq!(amount_of(&there["went_to"][0]["amount"]), units("3000.00"));
    assert_eq!(amount_of(&there["not_yet_spent"]), units("2000.50"));

    // The ledger ends at the balance; the exports list every transaction.
    let (_, fund) = app.get(&format!("/api/v1/funds/{FUND}")).await;
    let spent: i64 = executed.iter().map(|e| e.2).sum();
    assert_eq!(amount_of(&fund["balance"]), received - spent, "{fund}");
    let (_, ledger) = app.get(&format!("/api/v1/funds/{FUND}/ledger")).await;
    let last = ledger["ledger"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(amount_of(&last["balance"]), received - spent, "{ledger}");
    let (_, days) = app.get(&format!("/api/v1/funds/{FUND}/ledger")).await;
    let last_day = days["ledger"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(amount_of(&last_day["balance"]), received - spent, "{days}");
    let money_in: i64 = fund["money_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| amount_of(&m["amount"]))
        .sum();
    assert_eq!(money_in, received, "{fund}");
    let money_out: i64 = fund["money_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| amount_of(&m["amount"]))
        .sum();
    assert_eq!(money_out, spent, "{fund}");
    let to_school = fund["money_out"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["recipient"] == SCHOOL_FUND)
        .unwrap();
    assert_eq!(amount_of(&to_school["amount"]), units("5000.50"));
    let (status, csv) = app
        .get_bytes(&format!("/api/v1/funds/{FUND}/export.csv"))
        .await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 40 + 4, "{csv}");
    let (status, export) = app.get(&format!("/api/v1/funds/{FUND}/export.json")).await;
    assert_eq!(status, 200);
    let transactions = export["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 44);
    assert_eq!(
        transactions
            .iter()
            .filter(|t| t["transaction_type"]["code"] == "1")
            .count(),
        40
    );
    let out = transactions
        .iter()
        .find(|t| t["seq"] == 4 && t["transaction_type"]["code"] == "3")
        .unwrap();
    assert!(
        out["receiver_org"]["receiver_activity_id"]
            .as_str()
            .unwrap()
            .ends_with("/funds/school-rebuild"),
        "{out}"
    );

    // Public listings name only donors who agreed; never their data.
    let (_, page) = app
        .get(&format!("/api/v1/funds/{FUND}/donations?limit=1000"))
        .await;
    let listing = page.to_string();
    assert!(
        !listing.contains("35010219900101"),
        "identity numbers never leave the vault"
    );
    assert_eq!(page["donations"][3]["donor_name"], "爱心人士4");
    assert_eq!(page["donations"][0]["donor_name"], Value::Null);

    // Another charity names a relief donor's commitment in its own fund (any signed
    // statement can): relief's vault row is neither named nor opened for it.
    let (data, salt) = gifts[3].donor.as_ref().unwrap();
    let copied = donor_commitment(data, salt).unwrap().to_hex();
    let logged = accepted(
        &app,
        &signed(
            "donation.recorded",
            SCHOOL_FUND,
            json!({
                "amount": cny("1.00"), "channel": "bank_transfer", "reference": "COPY-4",
                "received_at": Timestamp::now().to_string(), "donor": copied, "named": true,
            }),
            &[&c.school_officer],
        ),
    )
    .await;
    let (_, found) = app
        .get(&format!(
            "/api/v1/funds/{SCHOOL_FUND}/donations?entry={}",
            logged["index"]
        ))
        .await;
    let copy = &found["donations"][0];
    assert_eq!(
        (copy["donor_commitment"].as_str(), &copy["donor_name"]),
        (Some(copied.as_str()), &Value::Null),
        "{found}"
    );
    let auth = format!("Bearer {}", c.school_token);
    let (status, _, body) = app
        .request_full_raw(
            "GET",
            &format!(
                "/api/v1/funds/{SCHOOL_FUND}/donations/{}/receipt",
                copy["seq"]
            ),
            Vec::new(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let receipt = vitrine_ledger::donation::DonorReceipt::parse(&body).unwrap();
    assert!(
        receipt.opening.is_none(),
        "relief's donor is not opened for school"
    );

    // A closed fund takes no donation.
    accepted(
        &app,
        &signed(
            "fund.closed",
            SCHOOL_FUND,
            json!({"reason": "项目结束"}),
            &[&c.school_admin],
        ),
    )
    .await;
    refused(&app, &signed("donation.recorded", SCHOOL_FUND, json!({"amount": cny("1.00"), "channel": "cash", "reference": "C-1", "received_at": Timestamp::now().to_string()}), &[&c.school_officer]), 409, "is closed").await;

    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
    app.verify().await;

    // The donor's receipt, checked offline; then the donor's data erased.
    let receipt = donor_receipt(&app, &c.relief_token, 2).await;
    let checked = check_donor_receipt(receipt.as_bytes(), &app.policy()).unwrap();
    assert_eq!(checked.fund, FUND);
    assert_eq!(checked.amount.amount, gifts[1].amount);
    assert!(matches!(checked.donor, DonorCheck::Opened(_)));
    let (_, log) = app.get("/api/v1/log").await;
    let log_key = log["checkpoint_key"].as_str().unwrap().to_owned();
    check_with_the_command(&log_key, &receipt, "the donor data opens its commitment");
    let commitment = donor_commitment(&gifts[1].donor.as_ref().unwrap().0, &[2; 32])
        .unwrap()
        .to_hex();
    let (status, body) = with_token(
        &app,
        "POST",
        &format!("/api/v1/donors/{commitment}/erase"),
        &c.relief_token,
        Vec::new(),
    )
    .await;
    assert_eq!(status, 404, "an officer is not the administrator: {body}");
    // Who asks comes first: an anonymous caller is told to authenticate, whatever the
    // path says;
    // the administrator is told what a commitment is.
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/donors/not-a-commitment/erase",
            Vec::new(),
            &[],
        )
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = with_token(
        &app,
        "POST",
        "/api/v1/donors/not-a-commitment/erase",
        &c.relief_admin_token,
        Vec::new(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("is not a commitment"),
        "{body}"
    );
    let (status, body) = erase(&app, &c.relief_admin_token, &commitment).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["erased_at"].is_string());
    // The receipt the donor holds still checks; a new one no longer opens the commitment;
    // the trace, the replay and the log are as they were.
    assert!(matches!(
        check_donor_receipt(receipt.as_bytes(), &app.policy())
            .unwrap()
            .donor,
        DonorCheck::Opened(_)
    ));
    let after = donor_receipt(&app, &c.relief_token, 2).await;
    assert!(matches!(
        check_donor_receipt(after.as_bytes(), &app.policy())
            .unwrap()
            .donor,
        DonorCheck::NotOpened(_)
    ));
    let (status, trace) = app.get(&format!("/api/v1/funds/{FUND}/donations/2")).await;
    assert_eq!(status, 200);
    assert_eq!(trace["donation"]["donor_commitment"], json!(commitment));
    let named = 4;
    let named_commitment = donor_commitment(
        &gifts[named - 1].donor.as_ref().unwrap().0,
        &[named as u8; 32],
    )
    .unwrap()
    .to_hex();
    with_token(
        &app,
        "POST",
        &format!("/api/v1/donors/{named_commitment}/erase"),
        &c.relief_admin_token,
        Vec::new(),
    )
    .await;
    let (_, page) = app
        .get(&format!("/api/v1/funds/{FUND}/donations?limit=1000"))
        .await;
    assert_eq!(
        page["donations"][3]["donor_name"],
        Value::Null,
        "an erased name is not shown"
    );
    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
    app.verify().await;
    // Any entry's receipt as a tlog-proof file: the transfer's execution.
    let transfer = disbursements.iter().find(|d| d["seq"] == 4).unwrap();
    let index = transfer["executed"]["idx"].as_u64().unwrap();
    let (_, entry) = app.get(&format!("/api/v1/entries/{index}")).await;
    let leaf =
        vitrine_ledger::hash::Hash::from_base64(entry["leaf_hash"].as_str().unwrap()).unwrap();
    let (status, proof) = app
        .get_bytes(&format!("/api/v1/entries/{index}/proof"))
        .await;
    assert_eq!(status, 200);
    let proof = vitrine_ledger::tlog_proof::TlogProof::parse(&proof).unwrap();
    assert_eq!(proof.index, index);
    proof.check(&leaf, &app.policy()).unwrap();
}

async fn donor_receipt(app: &TestApp, token: &str, n: u64) -> String {
    let auth = format!("Bearer {token}");
    let (status, headers, body) = app
        .request_full_raw(
            "GET",
            &format!("/api/v1/funds/{FUND}/donations/{n}/receipt"),
            Vec::new(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "content-disposition" && v.contains(".tlog-proof"))
    );
    String::from_utf8(body).unwrap()
}

/// `vitrine check-donation`, the command a donor runs, from the workspace's target.
fn check_with_the_command(log_key: &str, receipt: &str, says: &str) {
    let exe = std::env::current_exe().unwrap();
    let vitrine = exe.parent().unwrap().parent().unwrap().join("vitrine");
    assert!(
        vitrine.exists(),
        "{} is missing: build it (cargo build -p vitrine-cli) before this test",
        vitrine.display()
    );
    let dir = crate::common::temp_dir("donor-receipt");
    let file = dir.join("gift.tlog-proof");
    std::fs::write(&file, receipt).unwrap();
    let output = std::process::Command::new(&vitrine)
        .arg("check-donation")
        .arg(&file)
        .arg("--log-key")
        .arg(log_key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(says), "{stdout}");
    assert!(stdout.contains(&format!("to fund {FUND}")), "{stdout}");
}

/// Sends `statements` from `clients` at once; each must be accepted.
async fn accepted_concurrently(app: &TestApp, statements: Vec<Value>, clients: usize) {
    use futures_util::StreamExt as _;
    let answers: Vec<(u16, Value)> = futures_util::stream::iter(statements)
        .map(|s| async move { app.post(&s).await })
        .buffer_unordered(clients)
        .collect()
        .await;
    for (status, body) in answers {
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statements_on_one_fund_sharing_batches_allocate_as_the_log_says_and_replay_alike() {
    let app = spawn_app().await;
    let (admin, officer) = (key(30), key(31));
    app.register("relief", "charity", &admin, "organisation_admin")
        .await;
    app.register_key("relief", &officer, "procurement_officer", &admin)
        .await;
    app.register("hospital", "buyer", &key(50), "organisation_admin")
        .await;
    accepted(
        &app,
        &signed(
            "fund.opened",
            FUND,
            json!({
                "charity": "relief", "kind": "campaign", "purpose": {"zh": "救灾"},
                "target": cny("100000.00"), "start": Timestamp::now().to_string(),
                "end": Timestamp::from_unix(Timestamp::now().unix_seconds() + 86_400, 0).unwrap().to_string(),
                "policy": {"officers": [b64(&officer)], "approvals": 1},
            }),
            &[&admin],
        ),
    )
    .await;
    let donation = |n: u64| {
        signed(
            "donation.recorded",
            FUND,
            json!({"amount": cny(&format!("{}.{:02}", 1 + n % 9, n % 100)), "channel": "wechat_pay",
                   "reference": format!("WX{n:06}"), "received_at": Timestamp::now().to_string()}),
            &[&officer],
        )
    };
    // More donations with money left than a batch reads of a fund's queue at once (2,000),
    // so that later batches read it only in part, sent 32 at a time so that they share
    // batches.
    accepted_concurrently(&app, (1..=2_100).map(donation).collect(), 32).await;
    // Proposals, and a stranger's proposal of the most a statement may carry, among more
    // donations.
    let stranger = key(99);
    let mut mixed: Vec<Value> = (1..=40)
        .map(|n| {
            signed(
                "disbursement.proposed",
                FUND,
                json!({"amount": cny(&format!("{}.{:02}", 150 + n, n)), "recipient": {"organisation": "hospital"}, "purpose": {"zh": "物资"}}),
                &[&officer],
            )
        })
        .collect();
    mixed.extend((2_101..=2_300).map(donation));
    accepted_concurrently(&app, mixed, 32).await;
    let huge = signed(
        "disbursement.proposed",
        FUND,
        json!({"amount": cny("100000000000000.00"), "recipient": {"organisation": "hospital"}, "purpose": {"zh": "x"}}),
        &[&stranger],
    );
    // Executions in any order, with donations and the stranger's proposals among them.
    let mut mixed: Vec<Value> = (1..=40u64)
        .rev()
        .map(|n| {
            signed(
                "disbursement.executed",
                FUND,
                json!({"disbursement": n, "reference": format!("PAY{n}")}),
                &[&officer],
            )
        })
        .collect();
    mixed.extend((2_301..=2_400).map(donation));
    let strangers: Vec<Value> = (0..20).map(|_| huge.clone()).collect();
    let (executions, refused) = tokio::join!(
        accepted_concurrently(&app, mixed, 32),
        futures_util::future::join_all(strangers.iter().map(|s| app.post(s)))
    );
    let () = executions;
    for (status, body) in refused {
        assert_eq!(status, 403, "{body}");
    }

    // First in, first out, recomputed from what the API lists.
    let mut amounts: Vec<i64> = Vec::new();
    let mut after = 0;
    loop {
        let (_, page) = app
            .get(&format!(
                "/api/v1/funds/{FUND}/donations?after={after}&limit=1000"
            ))
            .await;
        for d in page["donations"].as_array().unwrap() {
            assert_eq!(d["seq"].as_u64().unwrap() as usize, amounts.len() + 1);
            amounts.push(amount_of(&d["amount"]));
        }
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(amounts.len(), 2_400);
    let (_, listed) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements?limit=1000"))
        .await;
    let mut executed: Vec<(i64, u64, i64)> = listed["disbursements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["executed"]["idx"].as_i64().unwrap(),
                d["seq"].as_u64().unwrap(),
                amount_of(&d["amount"]),
            )
        })
        .collect();
    assert_eq!(executed.len(), 40);
    executed.sort();
    // Each donation's number is its place in log order: the entry of donation n is the
    // n-th donation entry. Executions take from the donations logged before them only.
    let (_, first) = app
        .get(&format!("/api/v1/funds/{FUND}/donations?limit=1000"))
        .await;
    let mut entries: Vec<i64> = first["donations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entry"].as_i64().unwrap())
        .collect();
    for after in [1000, 2000] {
        let (_, page) = app
            .get(&format!(
                "/api/v1/funds/{FUND}/donations?after={after}&limit=1000"
            ))
            .await;
        entries.extend(
            page["donations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["entry"].as_i64().unwrap()),
        );
    }
    let mut left = amounts.clone();
    for (idx, seq, amount) in &executed {
        let mut wanted = *amount;
        let mut expected = Vec::new();
        for (i, l) in left.iter_mut().enumerate() {
            if wanted == 0 {
                break;
            }
            if *l == 0 {
                continue;
            }
            assert!(
                entries[i] < *idx,
                "an execution took from a donation logged after it"
            );
            let take = wanted.min(*l);
            *l -= take;
            wanted -= take;
            expected.push((i as u64 + 1, take));
        }
        assert_eq!(wanted, 0);
        let (_, sources) = app
            .get(&format!(
                "/api/v1/funds/{FUND}/disbursements/{seq}?limit=5000"
            ))
            .await;
        let got: Vec<(u64, i64)> = sources["came_from"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["donation"]["seq"].as_u64().unwrap(),
                    amount_of(&p["amount"]),
                )
            })
            .collect();
        assert_eq!(got, expected, "disbursement {seq}");
    }
    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
}

/// A bank feed's requests arrive together, several tokens at once, and their tokens are
/// looked up together: each request still gets its own answer (recorded, another
/// charity's fund, an unknown token) and the tokens' use is recorded; a token whose user's
/// second factor is off, or that is revoked, is refused from the next request on, with
/// nothing recorded; and a donation logged without its donor's data keeps the data sent
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_s_tokens_are_checked_each_even_together_and_a_revoked_one_stops_at_once() {
    use futures_util::StreamExt as _;
    let app = spawn_app().await;
    let c = cast_and_fund(&app).await;
    let [a, ..] = &c.officers;
    let unknown = "vt_0000000000000000000000000000000000000000000";
    let tokens = [
        (c.relief_token.as_str(), 201, ""),
        (c.relief_admin_token.as_str(), 201, ""),
        (
            c.school_token.as_str(),
            403,
            "only its own officers record its donations",
        ),
        (unknown, 401, "unknown or revoked"),
    ];
    let requests: Vec<_> = (0..80usize)
        .map(|n| {
            let (token, status, says) = tokens[n % tokens.len()];
            let gift = Gift {
                amount: format!("{}.{:02}", 10 + n, n % 100),
                donor: (n % 2 == 0).then(|| (json!({"name": format!("捐赠人{n}")}), [n as u8; 32])),
            };
            (token, status, says, gift, format!("FEED-{n:04}"))
        })
        .collect();
    let answers: Vec<_> = futures_util::stream::iter(&requests)
        .map(|(token, status, says, gift, reference)| {
            let app = &app;
            async move {
                let statement = donation_statement(a, gift, reference);
                let answer = record(app, token, FUND, statement, gift).await;
                (*status, *says, answer)
            }
        })
        .buffer_unordered(40)
        .collect()
        .await;
    for (expected, says, (status, body)) in &answers {
        assert_eq!(status, expected, "{body}");
        if *expected != 201 {
            assert!(body["detail"].as_str().unwrap().contains(says), "{body}");
        }
    }
    let recorded: i64 = requests
        .iter()
        .filter(|r| r.1 == 201)
        .map(|r| units(&r.3.amount))
        .sum();
    let (_, fund) = app.get(&format!("/api/v1/funds/{FUND}")).await;
    assert_eq!(fund["donations"], json!(40), "{fund}");
    assert_eq!(amount_of(&fund["balance"]), recorded, "{fund}");

    // Their use is recorded (read from the table: the token routes record it themselves),
    // once the answers are sent.
    let mut used = 0;
    for _ in 0..50 {
        used = app
            .count("SELECT count(*) AS count FROM api_tokens WHERE last_used IS NOT NULL")
            .await;
        if used == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert_eq!(
        used, 3,
        "the relief clerk's, relief's administrator's and school's tokens were used"
    );
    // A token whose user's second factor is off acts no more (checked on every request).
    assert_eq!(app.count("WITH t AS (UPDATE users SET totp_enabled = false WHERE email = 'clerk@relief.example' RETURNING 1) SELECT count(*) AS count FROM t").await, 1);
    let before = app.snapshot().await;
    let gift = Gift {
        amount: "5.00".into(),
        donor: None,
    };
    let (status, body) = record(
        &app,
        &c.relief_token,
        FUND,
        donation_statement(a, &gift, "FEED-NO-TOTP"),
        &gift,
    )
    .await;
    assert_eq!(
        (
            status,
            body["type"]
                .as_str()
                .unwrap_or_default()
                .ends_with("totp-required")
        ),
        (403, true),
        "{body}"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused caller changed the tables"
    );
    assert_eq!(app.count("WITH t AS (UPDATE users SET totp_enabled = true WHERE email = 'clerk@relief.example' RETURNING 1) SELECT count(*) AS count FROM t").await, 1);
    // The clerk's token is revoked, and the very next request with it is refused and
    // records nothing.
    let (status, listed) = with_token(
        &app,
        "GET",
        "/api/v1/me/tokens",
        &c.relief_token,
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let revoke = format!("/api/v1/me/tokens/{}", listed["tokens"][0]["id"]);
    let (status, body) = with_token(&app, "DELETE", &revoke, &c.relief_token, Vec::new()).await;
    assert_eq!(status, 204, "{body}");
    let before = app.snapshot().await;
    let (status, body) = record(
        &app,
        &c.relief_token,
        FUND,
        donation_statement(a, &gift, "FEED-AFTER"),
        &gift,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown or revoked"),
        "{body}"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused token changed the tables"
    );
    // The administrator's token goes on working.
    let (status, body) = record(
        &app,
        &c.relief_admin_token,
        FUND,
        donation_statement(a, &gift, "FEED-AFTER"),
        &gift,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["donation"], json!(41), "{body}");

    // A donation logged through the statements route (so with no vault row) and sent
    // here again with its donor's data: logged once, and the data is kept now.
    let late = Gift {
        amount: "7.00".into(),
        donor: Some((json!({"name": "后补的捐赠人"}), [77; 32])),
    };
    let statement = donation_statement(a, &late, "FEED-LATE");
    accepted(&app, &statement).await;
    let vault = "SELECT count(*) AS count FROM donor_vault";
    let kept = app.count(vault).await;
    let (status, body) = record(&app, &c.relief_admin_token, FUND, statement, &late).await;
    assert_eq!(status, 200, "logged already: {body}");
    assert_eq!(body["donation"], json!(42), "{body}");
    assert_eq!(
        app.count(vault).await,
        kept + 1,
        "the late donor's data is kept"
    );
    let receipt = donor_receipt(&app, &c.relief_admin_token, 42).await;
    assert!(matches!(
        check_donor_receipt(receipt.as_bytes(), &app.policy())
            .unwrap()
            .donor,
        DonorCheck::Opened(_)
    ));
}

/// A disbursement proposed to a person through the fund's route keeps the person's data in
/// the charity's vault, off the log, in the transaction that logs it: a request whose data
/// does not open the commitment, that lacks it, that gives it for an organisation, or that
/// comes from another charity is refused and stores nothing; sent again, it is answered
/// the same and kept once; erasure empties it and leaves the log as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_person_s_data_goes_to_the_vault_with_the_proposal_and_nowhere_else() {
    let app = spawn_app().await;
    let c = cast_and_fund(&app).await;
    let [a, ..] = &c.officers;
    let data = json!({"name": "陈七", "id_number": "350102199001011234"});
    let salt = vitrine_ledger::hash::hex_encode(&[7; 32]);
    let commitment = donor_commitment(&data, &[7; 32]).unwrap().to_hex();
    let proposal = |recipient: Value| {
        signed(
            "disbursement.proposed",
            FUND,
            json!({"amount": cny("100.00"), "recipient": recipient, "purpose": {"en": "Rent"}}),
            &[a],
        )
    };
    let to_person = proposal(json!({"person": commitment, "key": b64(&key(60))}));
    let to_hospital = proposal(json!({"organisation": "hospital"}));
    let send = |request: Value, token: String| {
        let app = &app;
        async move {
            with_token(
                app,
                "POST",
                &format!("/api/v1/funds/{FUND}/disbursements"),
                &token,
                request.to_string().into_bytes(),
            )
            .await
        }
    };
    let opened = json!({"data": data, "salt": salt});
    let before = app.snapshot().await;
    for (request, token, status, words) in [
        (
            json!({"statement": to_person}),
            &c.relief_token,
            422,
            "send their data and salt as person",
        ),
        (
            json!({"statement": to_person, "person": {"data": {"name": "陈八"}, "salt": salt}}),
            &c.relief_token,
            422,
            "do not open the proposal's commitment",
        ),
        (
            json!({"statement": to_person, "person": {"data": data, "salt": salt, "public_name": "陈"}}),
            &c.relief_token,
            422,
            "person.public_name is not part of the person's data",
        ),
        (
            json!({"statement": to_hospital, "person": opened}),
            &c.relief_token,
            422,
            "is not to a person",
        ),
        (
            json!({"statement": to_person, "donor": opened}),
            &c.relief_token,
            422,
            "donor is not part of the request",
        ),
        (
            json!({"statement": to_person, "person": opened}),
            &c.school_token,
            403,
            "only its own officers",
        ),
    ] {
        let (got, body) = send(request.clone(), token.clone()).await;
        assert_eq!(got, status, "{request}: {body}");
        assert!(
            body["detail"].as_str().unwrap_or("").contains(words),
            "{request}: {body}"
        );
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "refused proposals changed nothing"
    );
    let vault_rows = format!(
        "SELECT count(*) AS count FROM donor_vault WHERE commitment = '{commitment}'
           AND charity_id = 'relief' AND fund_id = '{FUND}' AND data->>'name' = '陈七'"
    );
    assert_eq!(app.count(&vault_rows).await, 0);

    let request = json!({"statement": to_person, "person": opened});
    let (status, body) = send(request.clone(), c.relief_token.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["disbursement"], 1, "{body}");
    let index = body["receipt"]["index"].as_u64().unwrap();
    assert_eq!(
        app.count(&vault_rows).await,
        1,
        "the person's data is in the vault"
    );
    let on_the_log = "SELECT count(*) AS count FROM log_entries
         WHERE position(convert_to('350102199001011234', 'UTF8') IN entry) > 0
            OR position(convert_to('陈七', 'UTF8') IN entry) > 0";
    assert_eq!(app.count(on_the_log).await, 0, "nothing of it on the log");
    // Sent again: the same entry and number, kept once.
    let (status, again) = send(request, c.relief_token.clone()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["disbursement"], &again["receipt"]["index"]),
        (&json!(1), &json!(index))
    );
    assert_eq!(app.count(&vault_rows).await, 1);
    // An organisation's disbursement needs no person.
    let (status, body) = send(json!({"statement": to_hospital}), c.relief_token.clone()).await;
    assert_eq!((status, &body["disbursement"]), (201, &json!(2)), "{body}");

    // Erased: the data is gone, the log and the replay are as they were.
    let (status, body) = erase(&app, &c.relief_admin_token, &commitment).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.count(&vault_rows).await, 0);
    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
}

/// What a fund held at its end is what the first entry logged at or after its end finds:
/// the leftover disclosure is owed for it whatever comes in after; and the migration that
/// fills it in for funds logged before it was recorded finds what the replay does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fund_owes_the_leftover_it_held_at_its_end() {
    use diesel::{Connection as _, RunQueryDsl as _};
    let app = spawn_app().await;
    let c = cast(&app).await;
    let [a, b, officer_c] = &c.officers;
    let now = Timestamp::now().unix_seconds();
    let mut body = open_fund("relief", &[a, b, officer_c], 2);
    body["start"] = json!(Timestamp::from_unix(now - 86_400, 0).unwrap().to_string());
    body["end"] = json!(Timestamp::from_unix(now + 2, 0).unwrap().to_string());
    accepted(&app, &signed("fund.opened", FUND, body, &[&c.admin])).await;
    let gift = |amount: &str, reference: &str| {
        let gift = Gift {
            amount: amount.into(),
            donor: None,
        };
        donation_statement(a, &gift, reference)
    };
    accepted(&app, &gift("10.00", "B-1")).await;
    let left = format!(
        "SELECT (state->>'left_at_end')::bigint AS count FROM funds
         WHERE id = '{FUND}' AND state ? 'left_at_end'"
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) AS count FROM ({left}) l"))
            .await,
        0,
        "not yet ended"
    );
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    accepted(&app, &gift("5.00", "B-2")).await;
    assert_eq!(app.count(&left).await, 100_000, "10.00 held at its end");
    let (_, fund) = app.get(&format!("/api/v1/funds/{FUND}")).await;
    assert_eq!(fund["balance"]["amount"], "15.00", "{fund}");
    let owed: Vec<&Value> = fund["disclosure_calendar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["kind"])
        .collect();
    assert!(owed.contains(&&json!("leftover")), "{fund}");

    // A database written before the field: the migration fills it in as the log says.
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        diesel::sql_query("UPDATE funds SET state = state - 'left_at_end'")
            .execute(&mut conn)
            .unwrap();
        let migration =
            include_str!("../../../migrations/2026-12-04-000003_fund_left_at_end/up.sql");
        assert_eq!(diesel::sql_query(migration).execute(&mut conn).unwrap(), 1);
    })
    .await
    .unwrap();
    assert_eq!(app.count(&left).await, 100_000);
    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
}
