//! Crash: `kill -9` of the server in the middle of a load. After a restart every
//! acknowledged receipt still verifies, the log has no gaps, and nothing that was not
//! acknowledged is half-applied.

use crate::common::{
    Count, agent, base64, check_consistency, document, free_port, fresh_database, signed, temp_dir,
    verify_over_http,
};
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::process::{Child, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vitrine_ledger::checkpoint::CheckpointPolicy;
use vitrine_ledger::note::{NoteSigner, NoteVerifier};
use vitrine_ledger::receipt::Receipt;

fn start(database_url: &str, data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vitrine-server"))
        .env("VITRINE_DATABASE_URL", database_url)
        .env("VITRINE_DATA_DIR", data_dir)
        .env("VITRINE_LISTEN", format!("127.0.0.1:{port}"))
        .env("VITRINE_LOG", "warn")
        .spawn()
        .unwrap()
}

fn wait_ready(base: &str) {
    assert!(
        crate::common::wait_until_sequencing(base),
        "the server did not become ready"
    );
}

fn post(base: &str, body: &Value) -> Result<(u16, Value), String> {
    let mut r = agent()
        .post(&format!("{base}/api/v1/statements"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

fn get(base: &str, path: &str) -> Value {
    let mut r = agent().get(&format!("{base}{path}")).call().unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn kill_9_in_the_middle_of_a_load_loses_nothing_acknowledged() {
    let database_url = fresh_database();
    let data_dir = temp_dir("crash");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database_url, &data_dir, port);
    wait_ready(&base);
    let platform =
        NoteSigner::parse(&std::fs::read_to_string(data_dir.join("platform.key")).unwrap())
            .unwrap();
    let keys: Vec<SigningKey> = (0..4u8)
        .map(|i| SigningKey::from_bytes(&[i + 90; 32]))
        .collect();
    let (status, body) = post(
        &base,
        &signed(
            "organisation.registered",
            "o",
            json!({"id": "crash-buyer", "name": "Crash", "kind": "buyer"}),
            &[platform.signing_key()],
        ),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    for key in &keys {
        let body = json!({"organisation": "crash-buyer", "public_key": base64(key.verifying_key().as_bytes()), "role": "procurement_officer"});
        let (status, answer) = post(
            &base,
            &signed("key.registered", "o", body, &[platform.signing_key()]),
        )
        .unwrap();
        assert_eq!(status, 201, "{answer}");
    }

    // 16 clients send until the server dies under them.
    let acknowledged: Mutex<Vec<Receipt>> = Mutex::new(Vec::new());
    let unacknowledged: Mutex<Vec<Value>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for client in 0..16u64 {
            let (base, keys, acknowledged, unacknowledged, stop) =
                (&base, &keys, &acknowledged, &unacknowledged, &stop);
            scope.spawn(move || {
                for n in 0..400u64 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let statement = signed(
                        "document.published",
                        "d",
                        document(client * 10_000 + n),
                        &[&keys[n as usize % keys.len()]],
                    );
                    match post(base, &statement) {
                        Ok((201, receipt)) => acknowledged
                            .lock()
                            .unwrap()
                            .push(serde_json::from_value(receipt).unwrap()),
                        _ => {
                            unacknowledged.lock().unwrap().push(statement);
                            break;
                        }
                    }
                }
            });
        }
        // Kill once a few hundred are in, while the rest are in flight.
        let deadline = Instant::now() + Duration::from_secs(30);
        while acknowledged.lock().unwrap().len() < 300 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        server.kill().unwrap();
        server.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    let unacknowledged = unacknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() >= 300,
        "only {} acknowledged",
        acknowledged.len()
    );
    assert!(
        !unacknowledged.is_empty(),
        "the kill caught no request in flight"
    );

    // Restart on the same database and data.
    let mut server = start(&database_url, &data_dir, port);
    wait_ready(&base);
    let checkpoint_key = NoteVerifier::parse(
        get(&base, "/api/v1/log")["checkpoint_key"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let policy = CheckpointPolicy::log_only(checkpoint_key).unwrap();
    let report = verify_over_http(&base, &policy);
    let size = report.checkpoint.checkpoint.size;
    let root = report.checkpoint.checkpoint.root;
    for receipt in &acknowledged {
        let checked = receipt.check(&policy).unwrap();
        let old = checked.checkpoint.checkpoint;
        assert!(old.size <= size);
        let proof = get(
            &base,
            &format!("/api/v1/proofs/consistency?from={}&to={size}", old.size),
        );
        check_consistency(&proof, &old, size, &root);
        let entry = get(&base, &format!("/api/v1/entries/{}", receipt.index));
        assert_eq!(entry["leaf_hash"].as_str().unwrap(), receipt.leaf_hash);
    }
    // Nothing half-applied: every projection row belongs to a logged entry, and back.
    let mut conn = PgConnection::establish(&database_url).unwrap();
    let mut count = |sql: &str| {
        diesel::sql_query(sql)
            .get_result::<Count>(&mut conn)
            .unwrap()
            .count
    };
    let entries = count("SELECT count(*) AS count FROM log_entries");
    assert_eq!(entries as u64, size);
    assert_eq!(
        count("SELECT count(*) AS count FROM log_entries WHERE kind = 'document.published'"),
        count("SELECT count(*) AS count FROM documents")
    );
    // The outbox rows (one per batch) cover every entry once.
    assert_eq!(
        count(
            "SELECT coalesce(sum((payload->>'last')::bigint - (payload->>'first')::bigint + 1), 0)::bigint AS count FROM outbox"
        ),
        entries
    );
    assert_eq!(
        count(
            "SELECT count(*) AS count FROM outbox a JOIN outbox b ON a.id < b.id
             AND (a.payload->>'first')::bigint <= (b.payload->>'last')::bigint
             AND (b.payload->>'first')::bigint <= (a.payload->>'last')::bigint"
        ),
        0,
        "outbox rows overlap"
    );
    assert_eq!(
        count("SELECT coalesce(max(idx) + 1, 0) AS count FROM log_entries"),
        entries,
        "a gap in the indices"
    );
    // What was in flight either made it (answered 200 now) or not (appended now, once).
    for statement in unacknowledged {
        let (status, answer) = post(&base, &statement).unwrap();
        assert!(status == 200 || status == 201, "{answer}");
        let (again, _) = post(&base, &statement).unwrap();
        assert_eq!(again, 200);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
}

fn start_with_keys(
    database_url: &str,
    data_dir: &std::path::Path,
    keys_dir: &std::path::Path,
    port: u16,
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vitrine-server"))
        .env("VITRINE_DATABASE_URL", database_url)
        .env("VITRINE_DATA_DIR", data_dir)
        .env("VITRINE_LOG_KEY_FILE", keys_dir.join("log.key"))
        .env("VITRINE_PLATFORM_KEY_FILE", keys_dir.join("platform.key"))
        .env("VITRINE_LISTEN", format!("127.0.0.1:{port}"))
        .env("VITRINE_LOG", "warn")
        .spawn()
        .unwrap()
}

/// Posts until the log answers 200 or 201, retrying while no process sequences.
fn post_until_logged(base: &str, body: &Value) -> Receipt {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match post(base, body) {
            Ok((200 | 201, receipt)) => return serde_json::from_value(receipt).unwrap(),
            Ok((503, _)) | Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Through `base`, a process that does not sequence: a charity, its fund, and two
/// donations sent with the donors' data, forwarded whole to the sequencing process. The
/// first is logged and its data kept in the vault; the second (the same bank reference)
/// is refused with the sequencing process's problem document, and keeps no data. Returns
/// how many entries it logged.
fn donations_through(base: &str, database_url: &str, platform: &SigningKey) -> u64 {
    use vitrine_ledger::donor::donor_commitment;
    let admin = SigningKey::from_bytes(&[78; 32]);
    let officer = SigningKey::from_bytes(&[79; 32]);
    post_until_logged(
        base,
        &signed(
            "organisation.registered",
            "fc",
            json!({"id": "fc", "name": "转发慈善会", "kind": "charity"}),
            &[platform],
        ),
    );
    for (key, role) in [
        (&admin, "organisation_admin"),
        (&officer, "procurement_officer"),
    ] {
        let body = json!({"organisation": "fc", "public_key": base64(key.verifying_key().as_bytes()), "role": role});
        post_until_logged(base, &signed("key.registered", "fc", body, &[platform]));
    }
    let end = vitrine_ledger::time::Timestamp::now().unix_seconds() + 86_400 * 30;
    post_until_logged(
        base,
        &signed(
            "fund.opened",
            "fc-fund",
            json!({
                "charity": "fc", "kind": "campaign", "purpose": {"zh": "转发测试"},
                "target": {"amount": "1000.00", "currency": "CNY"},
                "start": vitrine_ledger::time::Timestamp::now().to_string(),
                "end": vitrine_ledger::time::Timestamp::from_unix(end, 0).unwrap().to_string(),
                "policy": {"officers": [base64(officer.verifying_key().as_bytes())], "approvals": 1},
            }),
            &[&admin],
        ),
    );
    let mut conn = PgConnection::establish(database_url).unwrap();
    let user = vitrine_server::auth::create_user(
        &mut conn,
        &vitrine_server::auth::NewUser {
            organisation: "fc",
            email: "feed@fc.example",
            display_name: "银行接口",
            role: "organisation_admin",
            password: "forwarded forwarded",
        },
    )
    .unwrap();
    let (_, token) = vitrine_server::auth::create_token(&mut conn, user, "feed").unwrap();
    let donate = |salt: [u8; 32]| {
        let data = json!({"name": "转发的捐赠人", "phone": "13900000000"});
        let commitment = donor_commitment(&data, &salt).unwrap().to_hex();
        let statement = signed(
            "donation.recorded",
            "fc-fund",
            json!({
                "amount": {"amount": "12.34", "currency": "CNY"}, "channel": "bank_transfer",
                "reference": "FWD-1", "received_at": vitrine_ledger::time::Timestamp::now().to_string(),
                "donor": commitment, "named": false,
            }),
            &[&officer],
        );
        let request = json!({"statement": statement, "donor": {"data": data, "salt": vitrine_ledger::hash::hex_encode(&salt)}});
        // Retried while no process sequences, as the statements are.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut answer = agent()
                .post(&format!("{base}/api/v1/funds/fc-fund/donations"))
                .header("content-type", "application/json")
                .header("authorization", &format!("Bearer {token}"))
                .send(request.to_string())
                .unwrap();
            let status = answer.status().as_u16();
            let body: Value =
                serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
            if status != 503 || Instant::now() > deadline {
                return (status, body, commitment);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let vault = |conn: &mut PgConnection, commitment: &str| {
        diesel::sql_query(
            "SELECT count(*) AS count FROM donor_vault WHERE commitment = $1 AND data IS NOT NULL",
        )
        .bind::<diesel::sql_types::Text, _>(commitment)
        .get_result::<Count>(conn)
        .unwrap()
        .count
    };
    let (status, body, kept) = donate([5; 32]);
    assert_eq!((status, &body["donation"]), (201, &json!(1)), "{body}");
    let receipt: Receipt = serde_json::from_value(body["receipt"].clone()).unwrap();
    let entry = get(base, &format!("/api/v1/entries/{}", receipt.index));
    assert!(entry.to_string().contains("donation.recorded"), "{entry}");
    assert_eq!(
        vault(&mut conn, &kept),
        1,
        "the donor's data is kept with the donation"
    );
    let (status, body, refused) = donate([6; 32]);
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("FWD-1"),
        "the sequencing process's own refusal: {body}"
    );
    assert_eq!(
        vault(&mut conn, &refused),
        0,
        "a refused donation keeps no data"
    );
    1 + 2 + 1 + 1
}

/// Two processes on one database: the second forwards appends to the first, which
/// sequences; when the first is killed, the second takes the lock and goes on, losing and
/// duplicating nothing.
#[test]
fn killing_the_sequencing_process_hands_the_log_to_the_other() {
    let database_url = fresh_database();
    let keys_dir = temp_dir("failover-keys");
    let (dir_a, dir_b) = (temp_dir("failover-a"), temp_dir("failover-b"));
    let (port_a, port_b) = (free_port(), free_port());
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    let mut a = start_with_keys(&database_url, &dir_a, &keys_dir, port_a);
    wait_ready(&base_a);
    let mut b = start_with_keys(&database_url, &dir_b, &keys_dir, port_b);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let ready = agent()
            .get(&format!("{base_b}/readyz"))
            .call()
            .ok()
            .map(|mut r| r.body_mut().read_to_string().unwrap_or_default());
        if ready.is_some_and(|r| r.contains("\"sequencing\":false")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let platform =
        NoteSigner::parse(&std::fs::read_to_string(keys_dir.join("platform.key")).unwrap())
            .unwrap();
    let officer = SigningKey::from_bytes(&[77; 32]);
    // Through B, forwarded to A.
    post_until_logged(
        &base_b,
        &signed(
            "organisation.registered",
            "o",
            json!({"id": "fo", "name": "Failover", "kind": "buyer"}),
            &[platform.signing_key()],
        ),
    );
    let body = json!({"organisation": "fo", "public_key": base64(officer.verifying_key().as_bytes()), "role": "procurement_officer"});
    post_until_logged(
        &base_b,
        &signed("key.registered", "o", body, &[platform.signing_key()]),
    );
    let charity = donations_through(&base_b, &database_url, platform.signing_key());

    let acknowledged: Mutex<Vec<Receipt>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for client in 0..8u64 {
            let (base_b, officer, acknowledged) = (&base_b, &officer, &acknowledged);
            scope.spawn(move || {
                for n in 0..60u64 {
                    let statement = signed(
                        "document.published",
                        "d",
                        document(client * 1000 + n),
                        &[officer],
                    );
                    let receipt = post_until_logged(base_b, &statement);
                    acknowledged.lock().unwrap().push(receipt);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while acknowledged.lock().unwrap().len() < 150 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        a.kill().unwrap();
        a.wait().unwrap();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert_eq!(acknowledged.len(), 480);
    let log = get(&base_b, "/api/v1/log");
    let policy = CheckpointPolicy::log_only(
        NoteVerifier::parse(log["checkpoint_key"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let report = verify_over_http(&base_b, &policy);
    let size = report.checkpoint.checkpoint.size;
    assert_eq!(
        size,
        1 + 2 + charity + 480,
        "genesis, organisation and key, the charity's, 480 documents: none lost, none twice"
    );
    let mut indices: Vec<u64> = acknowledged.iter().map(|r| r.index).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices.len(), 480);
    for receipt in &acknowledged {
        receipt.check(&policy).unwrap();
        let entry = get(&base_b, &format!("/api/v1/entries/{}", receipt.index));
        assert_eq!(entry["leaf_hash"].as_str().unwrap(), receipt.leaf_hash);
    }
    assert!(
        get(&base_b, "/readyz")["sequencing"].as_bool().unwrap(),
        "B took over"
    );
    b.kill().unwrap();
    b.wait().unwrap();
    for dir in [keys_dir, dir_a, dir_b] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
