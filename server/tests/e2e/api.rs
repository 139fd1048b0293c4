//! The server end to end: the real application on port 0, a fresh PostgreSQL database per
//! test (copied from a migrated template), real HTTP requests.
//!
//! PostgreSQL: `VITRINE_TEST_DATABASE_URL` (a `postgres://user@host:port/postgres` URL)
//! names a server to use; without it the tests start a private cluster in
//! `$TMPDIR/vitrine-test-postgres` and leave it running for the next run (deploy/test.sh
//! stops it).

use crate::common::app::{organisation_body, settings, spawn_app};
use crate::common::{Count, base64, check_consistency, document, signed, temp_dir};

use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::time::Duration;
use vitrine_ledger::receipt::Receipt;
use vitrine_ledger::statement::{SignedStatement, Statement};
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn suppliers_register_with_a_checked_credit_code() {
    let app = spawn_app().await;
    let register = |id: &str, code: Option<&str>| {
        let mut body = json!({"id": id, "name": "福州某某科技有限公司", "kind": "supplier"});
        if let Some(code) = code {
            body["credit_code"] = json!(code);
        }
        signed("organisation.registered", id, body, &[&app.admin])
    };
    let before = app.snapshot().await;
    let refusals = [
        (register("s1", None), 422, "required of a supplier"),
        (
            register("s1", Some("91350100M000100Y44")),
            422,
            "call for '3'",
        ),
        (
            register("s1", Some("91350100m000100Y43")),
            422,
            "character 9",
        ),
        (register("s1", Some("9135010")), 422, "18 characters"),
    ];
    for (statement, status, detail) in &refusals {
        let (got, body) = app.post(statement).await;
        assert_eq!(got, *status, "{body}");
        assert_eq!(body["type"], "https://vitrine.dev/problems/invalid-body");
        assert!(body["detail"].as_str().unwrap().contains(detail), "{body}");
    }
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");

    let (status, body) = app.post(&register("s1", Some("91350100M000100Y43"))).await;
    assert_eq!(status, 201, "{body}");
    let (status, organisation) = app.get("/api/v1/organisations/s1").await;
    assert_eq!(status, 200);
    assert_eq!(organisation["credit_code"], "91350100M000100Y43");
    assert_eq!(organisation["kind"], "supplier");

    // One organisation per code.
    let before = app.snapshot().await;
    let (status, body) = app.post(&register("s2", Some("91350100M000100Y43"))).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("already registered to organisation s1"),
        "{body}"
    );
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");

    // Buyers may give one; the log replays to the same tables.
    let mut buyer = organisation_body("b1", "buyer");
    buyer["credit_code"] = json!("91330100799655058B");
    let (status, body) = app
        .post(&signed(
            "organisation.registered",
            "b1",
            buyer,
            &[&app.admin],
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    let url = app.database_url.clone();
    let report = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        vitrine_server::log::replay::replay(&mut conn, &vitrine_server::domain::Registry::new(), 10)
            .unwrap()
    })
    .await
    .unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_give_a_log_that_verifies_and_receipts_that_check() {
    let app = spawn_app().await;
    let keys: Vec<SigningKey> = (0..8u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    for (i, key) in keys.iter().enumerate() {
        app.register(&format!("buyer-{i}"), "buyer", key, "procurement_officer")
            .await;
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for client in 0..32u64 {
        let app = app.clone();
        let key = keys[client as usize % keys.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut receipts = Vec::new();
            for n in 0..25u64 {
                let statement = signed(
                    "document.published",
                    &format!("doc-{client}-{n}"),
                    document(client * 1000 + n),
                    &[&key],
                );
                let (status, body) = app.post(&statement).await;
                assert_eq!(status, 201, "{body}");
                receipts.push(serde_json::from_value::<Receipt>(body).unwrap());
            }
            receipts
        }));
    }
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.extend(task.await.unwrap());
    }
    let report = app.verify().await;
    let size = report.checkpoint.checkpoint.size;
    assert_eq!(
        size,
        1 + 1 + 16 + 800,
        "genesis, admin, 8 organisations and keys, 800 documents"
    );
    // Indices are distinct and consecutive.
    let mut indices: Vec<u64> = receipts.iter().map(|r| r.index).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices.len(), 800);
    assert_eq!(*indices.last().unwrap(), size - 1);
    // Every receipt checks, and its checkpoint is consistent with the final one.
    let policy = app.policy();
    let final_root = report.checkpoint.checkpoint.root;
    for receipt in receipts.iter().step_by(7) {
        let checked = receipt.check(&policy).unwrap();
        let old = checked.checkpoint.checkpoint;
        let (status, proof) = app
            .get(&format!(
                "/api/v1/proofs/consistency?from={}&to={size}",
                old.size
            ))
            .await;
        assert_eq!(status, 200, "{proof}");
        check_consistency(&proof, &old, size, &final_root);
        // A fresh receipt proves the entry against the newest checkpoint too.
        let (status, fresh) = app
            .get(&format!("/api/v1/entries/{}/receipt", receipt.index))
            .await;
        assert_eq!(status, 200);
        let fresh: Receipt = serde_json::from_value(fresh).unwrap();
        assert_eq!(fresh.leaf_hash, receipt.leaf_hash);
        fresh.check(&policy).unwrap();
    }
    let (status, metrics) = app.get_bytes("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(metrics)
            .unwrap()
            .contains(&format!("vitrine_log_size {size}"))
    );
    app.handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusals_answer_problems_and_change_nothing() {
    let app = spawn_app().await;
    let officer = SigningKey::from_bytes(&[11; 32]);
    let stranger = SigningKey::from_bytes(&[12; 32]);
    app.register("city-works", "buyer", &officer, "procurement_officer")
        .await;
    let (status, _) = app
        .post(&signed(
            "document.published",
            "doc",
            document(1),
            &[&officer],
        ))
        .await;
    assert_eq!(status, 201);
    let before = app.snapshot().await;

    let mut cases: Vec<(Vec<u8>, u16, &str, &str)> = Vec::new();
    let good = signed("document.published", "doc", document(2), &[&officer]);
    // A signature over other bytes.
    let mut tampered = good.clone();
    tampered["statement"]["subject"] = json!("doc-other");
    cases.push((
        tampered.to_string().into_bytes(),
        422,
        "bad-signature",
        "does not verify",
    ));
    // A signature by another key presented as the officer's.
    let mut swapped = good.clone();
    swapped["signatures"][0]["sig"] =
        signed("document.published", "doc", document(2), &[&stranger])["signatures"][0]["sig"]
            .clone();
    cases.push((
        swapped.to_string().into_bytes(),
        422,
        "bad-signature",
        "does not verify",
    ));
    // An unknown key.
    cases.push((
        signed("document.published", "doc", document(3), &[&stranger])
            .to_string()
            .into_bytes(),
        403,
        "unauthorized-signer",
        "is not registered",
    ));
    // An unknown kind.
    cases.push((
        signed("tender.teleported", "t", json!({}), &[&officer])
            .to_string()
            .into_bytes(),
        422,
        "unknown-kind",
        "tender.teleported",
    ));
    // A body the kind does not accept.
    cases.push((
        signed(
            "document.published",
            "doc",
            json!({"sha256": "xyz", "title": "t"}),
            &[&officer],
        )
        .to_string()
        .into_bytes(),
        422,
        "invalid-body",
        "sha256",
    ));
    // A floating-point number.
    let float = format!(
        r#"{{"statement":{{"kind":"document.published","subject":"d","issued_at":"{}","body":{{"sha256":"{}","title":"t","pages":1.5}}}},"signatures":[]}}"#,
        Timestamp::now(),
        "0".repeat(64)
    );
    cases.push((float.into_bytes(), 422, "floating-point", "1.5"));
    // JSON without a canonical form: duplicate member names.
    cases.push((
        br#"{"statement":{"kind":"a.b","kind":"a.c"},"signatures":[]}"#.to_vec(),
        400,
        "invalid-json",
        "duplicate member",
    ));
    cases.push((b"{not json".to_vec(), 400, "invalid-json", "invalid JSON"));
    // Unsigned.
    let mut unsigned = good.clone();
    unsigned["signatures"] = json!([]);
    cases.push((
        unsigned.to_string().into_bytes(),
        422,
        "unsigned",
        "signature",
    ));
    // Oversized: an entry above 65,535 bytes, and a request above the limit.
    let big = signed(
        "document.published",
        "doc",
        json!({"sha256": "0".repeat(64), "title": "x".repeat(70_000)}),
        &[&officer],
    );
    cases.push((big.to_string().into_bytes(), 413, "too-large", "65535"));
    cases.push((vec![b' '; 200_000], 413, "too-large", "bytes"));
    // A rule of the state: the same document twice.
    cases.push((
        signed("document.published", "doc-again", document(1), &[&officer])
            .to_string()
            .into_bytes(),
        409,
        "rule-violation",
        "already published",
    ));
    // Back-dated.
    let mut old = Statement::from_value(json!({"kind": "document.published", "subject": "d", "issued_at": "2026-01-01T00:00:00Z", "body": document(4)})).unwrap();
    old = Statement::from_value(Value::Object(old.as_map().clone())).unwrap();
    let mut old = SignedStatement::new(old);
    old.sign(&officer);
    cases.push((
        old.to_value().to_string().into_bytes(),
        422,
        "clock-skew",
        "log's clock",
    ));
    // Genesis again.
    cases.push((signed("log.genesis", "x", json!({"origin": "x", "checkpoint_key": "x", "platform_key": base64(officer.verifying_key().as_bytes()), "organisation": {"id": "p", "name": "p"}}), &[&officer]).to_string().into_bytes(), 409, "rule-violation", "genesis"));
    // An officer registering keys, which only administrators may do.
    cases.push((signed("key.registered", "city-works", json!({"organisation": "city-works", "public_key": base64(stranger.verifying_key().as_bytes()), "role": "procurement_officer"}), &[&officer]).to_string().into_bytes(), 403, "unauthorized-signer", "administrator"));

    for (body, status, kind, needle) in cases {
        let (got, problem) = app.post_raw(body).await;
        assert_eq!(got, status, "{problem}");
        assert_eq!(
            problem["type"],
            json!(format!("https://vitrine.dev/problems/{kind}")),
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains(needle),
            "{needle:?} not in {problem}"
        );
    }
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
    app.verify().await;
    app.handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_are_idempotent_and_revoked_keys_are_refused() {
    let app = spawn_app().await;
    let org_admin = SigningKey::from_bytes(&[21; 32]);
    let officer = SigningKey::from_bytes(&[22; 32]);
    app.register("supplier-a", "supplier", &org_admin, "organisation_admin")
        .await;
    // An organisation's administrator registers its own officers.
    app.register_key("supplier-a", &officer, "bidder_representative", &org_admin)
        .await;
    let statement = signed("document.published", "doc", document(9), &[&officer]);
    let (first, a) = app.post(&statement).await;
    let (second, b) = app.post(&statement).await;
    assert_eq!((first, second), (201, 200));
    assert_eq!(a["index"], b["index"]);
    assert_eq!(a["leaf_hash"], b["leaf_hash"]);
    // Revoked by its organisation's administrator: its later statements are refused.
    let (status, body) = app
        .post(&signed(
            "key.revoked",
            "supplier-a",
            json!({"public_key": base64(officer.verifying_key().as_bytes()), "reason": "left the company"}),
            &[&org_admin],
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, problem) = app
        .post(&signed(
            "document.published",
            "doc",
            document(10),
            &[&officer],
        ))
        .await;
    assert_eq!(status, 403);
    assert!(
        problem["detail"].as_str().unwrap().contains("was revoked"),
        "{problem}"
    );
    // The directory shows it.
    let (status, organisation) = app.get("/api/v1/organisations/supplier-a").await;
    assert_eq!(status, 200);
    assert_eq!(organisation["keys"][1]["active"], json!(false));
    assert_eq!(organisation["keys"][0]["role"], json!("organisation_admin"));
    // Entries and tiles are served.
    let (status, entry) = app.get(&format!("/api/v1/entries/{}", a["index"])).await;
    assert_eq!(status, 200);
    assert_eq!(
        entry["entry"]["statement"]["kind"],
        json!("document.published")
    );
    let (status, _) = app.get("/api/v1/entries/999999").await;
    assert_eq!(status, 404);
    let report = app.verify().await;
    let size = report.checkpoint.checkpoint.size;
    let (status, tile) = app.get_bytes(&format!("/log/tile/0/000.p/{size}")).await;
    assert_eq!((status, tile.len()), (200, size as usize * 32));
    let (status, _) = app
        .get_bytes(&format!("/log/tile/0/000.p/{}", size + 1))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get_bytes("/log/tile/0/000").await;
    assert_eq!(status, 404, "a full tile that does not exist yet");
    let (status, openapi) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(openapi["paths"]["/api/v1/statements"]["post"].is_object());
    // Every statement kind's body has its schema, and the schemas refuse what the server
    // refuses (the procurement tests check every statement they send against them).
    for kind in vitrine_server::domain::Registry::new().names() {
        assert!(
            openapi["components"]["schemas"][kind]["description"].is_string(),
            "no body schema for {kind}"
        );
    }
    let schema = &openapi["components"]["schemas"]["bid.committed"];
    let commitment = "ab".repeat(32);
    assert_eq!(
        crate::common::conforms(&openapi, schema, &json!({"commitment": commitment}), "body"),
        Ok(())
    );
    for (bad, why) in [
        (json!({}), "body: commitment is required"),
        (
            json!({"commitment": commitment, "price": "1"}),
            "body.price is not allowed",
        ),
        (
            json!({"commitment": 7}),
            "body.commitment: a integer, not a string",
        ),
    ] {
        assert_eq!(
            crate::common::conforms(&openapi, schema, &bad, "body"),
            Err(why.to_owned())
        );
    }
    let tender = &openapi["components"]["schemas"]["tender.published"];
    let bad_category = json!({"category": "food"});
    assert!(
        crate::common::conforms(
            &openapi,
            &tender["properties"]["category"],
            &bad_category["category"],
            "c"
        )
        .unwrap_err()
        .contains("is not one of")
    );
    app.handle.stop(true).await;
}

/// Zero configuration: a private cluster in the data directory, stopped on shutdown and
/// reused by the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zero_config_runs_and_reuses_a_private_cluster() {
    let data_dir = temp_dir("zero");
    let app = Application::build(settings(None, &data_dir)).await.unwrap();
    let port = app.port();
    let handle = app.handle();
    let running = tokio::spawn(app.run_until_stopped());
    let client: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |client: ureq::Agent, url: String| {
        tokio::task::spawn_blocking(move || {
            let mut r = client.get(&url).call().unwrap();
            (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
        })
    };
    for _ in 0..100 {
        let (_, ready) = get(client.clone(), format!("http://127.0.0.1:{port}/readyz"))
            .await
            .unwrap();
        if ready.contains("\"sequencing\":true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, checkpoint) = get(
        client.clone(),
        format!("http://127.0.0.1:{port}/log/checkpoint"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        checkpoint.starts_with("vitrine.test/log\n1\n"),
        "{checkpoint}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data_dir.join("log.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    assert!(
        !data_dir.join("postgres/postmaster.pid").exists(),
        "PostgreSQL still runs after shutdown"
    );
    // A second start reuses the data: same key, same log.
    let again = Application::build(settings(None, &data_dir)).await.unwrap();
    let port = again.port();
    let handle = again.handle();
    let running = tokio::spawn(again.run_until_stopped());
    for _ in 0..100 {
        let (_, ready) = get(client.clone(), format!("http://127.0.0.1:{port}/readyz"))
            .await
            .unwrap();
        if ready.contains("\"sequencing\":true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, second) = get(client, format!("http://127.0.0.1:{port}/log/checkpoint"))
        .await
        .unwrap();
    assert_eq!(second, checkpoint);
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Replay rebuilds the projections from the log and finds any row the log does not explain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replay_reproduces_the_tables_and_reports_tampering() {
    let app = spawn_app().await;
    let org_admin = SigningKey::from_bytes(&[31; 32]);
    let officer = SigningKey::from_bytes(&[32; 32]);
    app.register(
        "audit-office",
        "supervisor",
        &org_admin,
        "organisation_admin",
    )
    .await;
    app.register_key("audit-office", &officer, "supervisor", &org_admin)
        .await;
    for n in 0..30 {
        let (status, _) = app
            .post(&signed(
                "document.published",
                "doc",
                document(500 + n),
                &[&officer],
            ))
            .await;
        assert_eq!(status, 201);
    }
    let (status, revoked) = app
        .post(&signed(
            "key.revoked",
            "audit-office",
            json!({"public_key": base64(officer.verifying_key().as_bytes()), "reason": "rotated"}),
            &[&org_admin],
        ))
        .await;
    assert_eq!(status, 201);
    let revoked_at = revoked["index"].as_i64().unwrap();
    let url = app.database_url.clone();
    let report = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let clean = vitrine_server::log::replay::replay(&mut conn, &vitrine_server::domain::Registry::new(), 10).unwrap();
        assert!(clean.is_clean(), "{clean:?}");
        assert_eq!(clean.entries, 2 + 2 + 1 + 30 + 1);
        // Someone edits the tables behind the log's back.
        diesel::sql_query("UPDATE documents SET title = 'rewritten' WHERE entry_idx = (SELECT min(entry_idx) FROM documents)")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("UPDATE participant_keys SET revoked_idx = NULL WHERE revoked_idx IS NOT NULL")
            .execute(&mut conn)
            .unwrap();
        let report = vitrine_server::log::replay::replay(&mut conn, &vitrine_server::domain::Registry::new(), 10).unwrap();
        // The replay itself left nothing behind.
        let schemas: i64 = diesel::sql_query("SELECT count(*) AS count FROM pg_namespace WHERE nspname = 'vitrine_replay'")
            .get_result::<Count>(&mut conn)
            .unwrap()
            .count;
        assert_eq!(schemas, 0);
        report
    })
    .await
    .unwrap();
    assert!(!report.is_clean());
    let doc = report
        .differences
        .iter()
        .find(|d| d.table == "documents" && d.side == "live only")
        .unwrap();
    assert!(doc.row.contains("rewritten"), "{doc:?}");
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.table == "documents" && d.side == "log only" && d.entry == doc.entry)
    );
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.table == "participant_keys"
                && d.side == "log only"
                && d.entry == revoked_at),
        "{:?}",
        report.differences
    );
    app.handle.stop(true).await;
}
