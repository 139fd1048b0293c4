//! The charity desk through its pages, in headless Chromium: a charity's administrator
//! opens a fund; an officer records a donation with its donor's data and downloads the
//! donor's receipt, imports the bank's CSV (a repeated reference refused in the page, a
//! row the log refuses shown with its reason, the others recorded; the same file again
//! records nothing), proposes a disbursement to a person (whose acknowledgement code is
//! made in the browser) and one to an organisation; a second officer approves both; the
//! first executes them; the person acknowledges with the code, another organisation's key
//! is refused, the recipient organisation acknowledges. Then the fund's tables, the
//! vault (no donor data without its donation), the receipt offline, and the replay.
//! The desk's refusals to readers who are not the charity's are checked over HTTP.

use crate::common::app::{PASSWORD, TestApp, spawn_app};
use crate::common::base64;
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::json;
use vitrine_ledger::donation::{DonorCheck, DonorReceipt, check_donor_receipt};

const CHARITY: &str = "relief-desk";
const FUND: &str = "flood-relief-2027";

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
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

/// A page as a browser asks for it (following a redirect): status and body.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>, lang: &str) -> (u16, String) {
    let mut headers = vec![("accept", "text/html"), ("accept-language", lang)];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    let (status, _, body) = app
        .request_full_raw("GET", path, Vec::new(), &headers)
        .await;
    (status, String::from_utf8(body).unwrap())
}

/// How many donor records the vault holds for the fund, and how many of the fund's
/// donations name a donor.
async fn vault_and_named_donations(app: &TestApp) -> (i64, i64) {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        vault: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        donors: i64,
    }
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let counts: Counts = diesel::sql_query(
            "SELECT (SELECT count(*) FROM donor_vault WHERE fund_id = $1) AS vault,
                    (SELECT count(*) FROM fund_donations
                     WHERE fund_id = $1 AND donor_commitment IS NOT NULL) AS donors",
        )
        .bind::<diesel::sql_types::Text, _>(FUND)
        .get_result(&mut conn)
        .unwrap();
        (counts.vault, counts.donors)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_charity_records_disburses_and_its_recipients_acknowledge_through_the_pages() {
    let app = spawn_app().await;
    let (admin, officer_a, officer_b) = (key(70), key(71), key(72));
    app.register(CHARITY, "charity", &admin, "organisation_admin")
        .await;
    for officer in [&officer_a, &officer_b] {
        app.register_key(CHARITY, officer, "procurement_officer", &admin)
            .await;
    }
    let (hospital, school) = (key(73), key(74));
    app.register("hospital", "buyer", &hospital, "organisation_admin")
        .await;
    app.register("school", "charity", &school, "organisation_admin")
        .await;
    for (organisation, email, role) in [
        (CHARITY, "head@relief.example", "organisation_admin"),
        (CHARITY, "a@relief.example", "procurement_officer"),
        (CHARITY, "b@relief.example", "procurement_officer"),
        ("hospital", "clerk@hospital.example", "procurement_officer"),
        ("school", "head@school.example", "organisation_admin"),
    ] {
        app.user(organisation, email, role).await;
    }

    // The desk is for a charity's officers and administrators: a stranger is sent to log
    // in, another organisation's user is told why not, in their language.
    // (The client follows the redirect to the login page, which comes back here.)
    let (status, html) = page(&app, "/charity", None, "zh-CN").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("type=\"password\"") && html.contains("value=\"&#x2f;charity\""),
        "{html}"
    );
    let (clerk, _) = app.log_in("clerk@hospital.example", PASSWORD, None).await;
    let (status, html) = page(&app, "/charity", Some(&clerk), "zh-CN").await;
    assert_eq!(status, 403, "{html}");
    assert!(
        html.contains("慈善工作台仅供慈善组织的工作人员和管理员使用"),
        "{html}"
    );
    let (status, html) = page(&app, "/charity", Some(&clerk), "en").await;
    assert_eq!(status, 403);
    assert!(
        html.contains("the charity desk is for a charity&#x27;s officers and administrators")
            || html.contains("the charity desk is for a charity's officers and administrators"),
        "{html}"
    );

    let base = app.base.clone();
    let env = vec![
        ("VITRINE_URL", base),
        ("VITRINE_PASSWORD", PASSWORD.to_owned()),
        ("VITRINE_FUND", FUND.to_owned()),
        ("VITRINE_ADMIN", "head@relief.example".to_owned()),
        ("VITRINE_ADMIN_KEY", key_file(CHARITY, &admin)),
        ("VITRINE_OFFICER_A", "a@relief.example".to_owned()),
        ("VITRINE_OFFICER_A_KEY", key_file("officer-a", &officer_a)),
        ("VITRINE_OFFICER_B", "b@relief.example".to_owned()),
        ("VITRINE_OFFICER_B_KEY", key_file("officer-b", &officer_b)),
        (
            "VITRINE_OFFICER_KEYS",
            json!([
                base64(officer_a.verifying_key().as_bytes()),
                base64(officer_b.verifying_key().as_bytes())
            ])
            .to_string(),
        ),
        ("VITRINE_HOSPITAL_KEY", key_file("hospital", &hospital)),
        ("VITRINE_SCHOOL_KEY", key_file("school", &school)),
    ];
    let ran =
        tokio::task::spawn_blocking(move || crate::common::browser::run("charity_desk.mjs", &env))
            .await
            .unwrap();
    let Some(()) = ran else { return };

    // What the pages did is in the fund's tables: four donations, two disbursements paid
    // and acknowledged, the balance what is left.
    let (status, fund) = app.get(&format!("/api/v1/funds/{FUND}")).await;
    assert_eq!(status, 200, "{fund}");
    assert_eq!(fund["charity"], CHARITY);
    assert_eq!(fund["donations"], json!(4), "{fund}");
    assert_eq!(fund["received"]["amount"], "1000.50", "{fund}");
    assert_eq!(fund["disbursed"]["amount"], "350.00", "{fund}");
    assert_eq!(fund["balance"]["amount"], "650.50", "{fund}");
    assert_eq!(
        fund["policy"]["officers"],
        json!([
            base64(officer_a.verifying_key().as_bytes()),
            base64(officer_b.verifying_key().as_bytes())
        ])
    );
    let (_, listed) = app
        .get(&format!("/api/v1/funds/{FUND}/disbursements"))
        .await;
    let disbursements = listed["disbursements"].as_array().unwrap();
    assert_eq!(disbursements.len(), 2, "{listed}");
    for d in disbursements {
        assert_eq!(d["status"], "executed", "{d}");
        assert_eq!(d["approvals"].as_array().unwrap().len(), 2, "{d}");
        assert!(d["acknowledged"].is_object(), "{d}");
    }
    let person = &disbursements[0];
    assert_eq!(
        person["acknowledged"]["key"], person["recipient"]["key"],
        "the person acknowledged with the key made for them: {person}"
    );
    assert!(
        person["recipient"]["person"]
            .as_str()
            .is_some_and(|c| c.len() == 64),
        "{person}"
    );
    assert_eq!(person["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(
        disbursements[1]["recipient"],
        json!({"organisation": "hospital"})
    );
    assert_eq!(
        disbursements[1]["acknowledged"]["key"],
        json!(base64(hospital.verifying_key().as_bytes()))
    );
    // No personal data reached the log; the vault holds each named donor's data once, and
    // nothing for a donation that was refused or imported twice.
    let (_, page_of) = app
        .get(&format!("/api/v1/funds/{FUND}/donations?limit=100"))
        .await;
    let text = format!("{page_of}{listed}");
    for secret in [
        "350102199001011234",
        "350102199002023456",
        "13900000000",
        "陈七",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(page_of["donations"][0]["donor_name"], "爱心人士张先生");
    // The vault also holds the person's data, proposed with the disbursement to them (the
    // route checked that it opens the commitment the log carries).
    assert_eq!(vault_and_named_donations(&app).await, (3 + 1, 3));
    let commitment = person["recipient"]["person"].as_str().unwrap();
    let kept = app
        .count(&format!(
            "SELECT count(*) AS count FROM donor_vault WHERE commitment = '{commitment}'
               AND charity_id = '{CHARITY}' AND data->>'name' = '陈七' AND length(salt) = 32"
        ))
        .await;
    assert_eq!(kept, 1, "the person's data is in the charity's vault");
    // The receipt the officer downloaded checks offline and opens its donor.
    let artefacts =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-artefacts");
    let receipt = std::fs::read(artefacts.join("charity-desk-receipt.tlog-proof")).unwrap();
    let checked = check_donor_receipt(&receipt, &app.policy()).unwrap();
    assert_eq!(
        (checked.fund.as_str(), checked.amount.amount.as_str()),
        (FUND, "500.00")
    );
    assert!(
        matches!(checked.donor, DonorCheck::Opened(_)),
        "the receipt opens the donor's commitment: {:?}",
        checked.donor
    );
    let opening = DonorReceipt::parse(&receipt).unwrap().opening.unwrap();
    assert_eq!(opening.donor["name"], "张三", "{:?}", opening.donor);

    // Another charity's administrator cannot work on this fund.
    let (school_head, _) = app.log_in("head@school.example", PASSWORD, None).await;
    for path in ["donations", "disbursements"] {
        let (status, html) = page(
            &app,
            &format!("/charity/funds/{FUND}/{path}"),
            Some(&school_head),
            "zh-CN",
        )
        .await;
        assert_eq!(status, 403, "{html}");
        assert!(
            html.contains(&format!("基金 {FUND} 属于 {CHARITY}")),
            "{html}"
        );
    }

    let report = app.replay().await;
    assert!(
        report.refused.is_empty() && report.differences.is_empty(),
        "{report:?}"
    );
    app.verify().await;
}
