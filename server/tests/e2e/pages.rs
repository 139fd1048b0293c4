//! The pages' plain forms, in headless Chromium with its scripts turned off: what needs
//! no signature works as HTML forms (the second factor, an application approved or
//! rejected, a user created, a draft saved), each refusal shown beside its field with
//! what was typed kept, a form from another site refused; and the pages' answers to HEAD,
//! to a method they do not take and to a query they cannot read.

use crate::common::app::{PASSWORD, TestApp, spawn_app};
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

/// Files an application to register supplier `id` under a key made from `seed`.
async fn apply(app: &TestApp, id: &str, seed: u8) {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let body = json!({"id": id, "name": format!("{id} 有限公司"), "kind": "supplier", "credit_code": crate::common::app::credit_code_for(id)});
    let statement = crate::common::signed("organisation.registered", id, body, &[&key]);
    let application = json!({
        "statement": statement,
        "administrator": {"email": format!("boss@{id}.example"), "display_name": "王经理", "password": PASSWORD},
    });
    let (status, answer) = app
        .request(
            "POST",
            "/api/v1/registrations",
            application.to_string().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

/// The database's answer to `query` (one row, one JSON column).
async fn one(app: &TestApp, query: &'static str) -> Option<Value> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        value: Value,
    }
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(query)
            .get_result::<Row>(&mut conn)
            .optional()
            .unwrap()
            .map(|r| r.value)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_desks_work_as_plain_forms_without_scripts() {
    let app = spawn_app().await;
    app.user("platform", "admin@platform.example", "platform_admin")
        .await;
    let buyer_key = SigningKey::from_bytes(&[171; 32]);
    app.register("fuzhou-bureau", "buyer", &buyer_key, "procurement_officer")
        .await;
    app.user(
        "fuzhou-bureau",
        "officer@fuzhou.example",
        "procurement_officer",
    )
    .await;
    apply(&app, "sup-approve", 161).await;
    apply(&app, "sup-reject", 162).await;
    // A published tender, to follow (its document uploaded first).
    crate::procurement::buyer_clerk(&app, "fuzhou-bureau").await;
    let tender = "ocds-vtest1-follow1";
    let body =
        crate::procurement::tender_body(tender, "fuzhou-bureau", 600_000, 1_200_000, 1_800_000);
    let published = crate::common::signed("tender.published", tender, body, &[&buyer_key]);
    crate::procurement::accepted(&app, &published).await;
    // The notifier gave up on the first batch.
    let dead = one(&app, "SELECT to_jsonb(min(id)) AS value FROM outbox")
        .await
        .and_then(|v| v.as_i64())
        .expect("the outbox has rows");
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        vitrine_server::db::outbox::dead_letter(
            &mut conn,
            "notifications",
            dead,
            10,
            "the mail server refused",
        )
        .unwrap();
    })
    .await
    .unwrap();
    let base = app.base.clone();
    let ran = tokio::task::spawn_blocking(move || {
        crate::common::browser::run(
            "forms.mjs",
            &[
                ("VITRINE_URL", base),
                ("VITRINE_ADMIN", "admin@platform.example".to_owned()),
                ("VITRINE_OFFICER", "officer@fuzhou.example".to_owned()),
                ("VITRINE_PASSWORD", PASSWORD.to_owned()),
                ("VITRINE_TENDER", tender.to_owned()),
                ("VITRINE_DEAD_LETTER", format!("notifications-{dead}")),
            ],
        )
    })
    .await
    .unwrap();
    let Some(()) = ran else { return };
    // The dead letter was asked to be tried again (or, tried, is gone).
    let waiting = one(
        &app,
        "SELECT to_jsonb(count(*)) AS value FROM outbox_dead_letters WHERE retry_requested_at IS NULL",
    )
    .await;
    assert_eq!(waiting, Some(json!(0)));
    // What the forms did is in the tables: one approved (the organisation on the log),
    // one rejected with its reason, the user made, the draft with its times in UTC.
    let decided = one(
        &app,
        "SELECT jsonb_object_agg(organisation_id, jsonb_build_array(status, reason)) AS value FROM registrations",
    )
    .await
    .unwrap();
    assert_eq!(decided["sup-approve"][0], "approved", "{decided}");
    assert_eq!(
        decided["sup-reject"],
        json!(["rejected", "信用代码与营业执照不符"])
    );
    let (status, _) = app.get("/api/v1/organisations/sup-approve").await;
    assert_eq!(status, 200);
    let clerk = one(
        &app,
        "SELECT jsonb_build_array(organisation_id, role, display_name) AS value FROM users WHERE email = 'clerk@fuzhou.example'",
    )
    .await;
    assert_eq!(
        clerk,
        Some(json!([
            "fuzhou-bureau",
            "procurement_officer",
            "林文员 <img src=x onerror=\"window.__pwned=1\"> \"'\u{202e}RTL"
        ]))
    );
    // The new user logs in with the password the form gave.
    app.log_in("clerk@fuzhou.example", "a long enough passphrase", None)
        .await;
    let draft = one(
        &app,
        "SELECT body AS value FROM tender_drafts WHERE id = 'ocds-vtest1-forms01'",
    )
    .await
    .unwrap();
    assert_eq!(draft["title"]["zh"], "无脚本保存的草稿", "{draft}");
    assert_eq!(draft["enquiry_end"], "2027-01-10T09:30:00Z", "{draft}");
    assert_eq!(draft["standstill_seconds"], 864000, "{draft}");
    assert_eq!(
        draft["lots"],
        json!([{"id": "lot-1", "value": {"amount": "500000.00", "currency": "CNY"}}])
    );
    // The tender is cancelled: its follower (the administrator) is told in the app; the
    // officer, who stopped following it, is not.
    let cancelled = crate::common::signed(
        "tender.cancelled",
        tender,
        json!({"reason": "预算调整"}),
        &[&buyer_key],
    );
    crate::procurement::accepted(&app, &cancelled).await;
    let mut waited = 0;
    while told(&app, "admin@platform.example").await == 0 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(
        told(&app, "admin@platform.example").await,
        1,
        "the follower is told once"
    );
    assert_eq!(
        told(&app, "officer@fuzhou.example").await,
        0,
        "who stopped following is not"
    );
}

/// How many times the user of `email` was told of the follow test's tender's cancellation.
async fn told(app: &TestApp, email: &'static str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(
            "SELECT count(*) AS n FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE u.email = $1 AND n.tender_id = 'ocds-vtest1-follow1' AND n.kind = 'tender.cancelled'",
        )
        .bind::<diesel::sql_types::Text, _>(email)
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
    })
    .await
    .unwrap()
}
