//! What a newcomer and an attacker found, kept found: bodies read only after
//! authentication and bounded in size and time, text the database cannot store refused at
//! intake, a statement the database refuses failing only itself, problem documents for
//! every refusal, one canonical path per resource, links that ignore the request's Host,
//! second-factor failures that lock, and a private cluster that commands leave running.

use crate::common::app::{PASSWORD, TestApp, spawn_app};
use crate::common::{document, signed};
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

/// Sends `head` (a request line and headers, without the blank line) and `body` over a raw
/// connection, then waits up to `wait` for an answer; returns its status line and the time
/// it took, or `None` if nothing came.
fn raw(app: &TestApp, head: &str, body: &[u8], wait: Duration) -> Option<(String, Duration)> {
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let started = Instant::now();
    stream
        .write_all(format!("{head}\r\nhost: {address}\r\n\r\n").as_bytes())
        .unwrap();
    let _ = stream.write_all(body);
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    let status = text.lines().next()?.to_owned();
    Some((status, started.elapsed()))
}

/// [`raw`], off the runtime's threads; panics if nothing came.
async fn raw_answer(
    app: &std::sync::Arc<TestApp>,
    head: String,
    body: &'static [u8],
    wait: Duration,
) -> (String, Duration) {
    let app = app.clone();
    tokio::task::spawn_blocking(move || raw(&app, &head, body, wait))
        .await
        .unwrap()
        .expect("no answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_is_authenticated_and_bounded_before_its_body_is_read() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[61; 32]);
    app.register("sup-u", "supplier", &key, "bidder_representative")
        .await;
    let token = app
        .api_token("sup-u", "rep@sup-u.example", "bidder_representative")
        .await;
    let app = std::sync::Arc::new(app);
    // Without an account: refused at once, though the declared body never arrives.
    let (status, took) = raw_answer(&app, "POST /api/v1/documents HTTP/1.1\r\ncontent-type: text/plain\r\ncontent-length: 10000000000".to_owned(), b"0123456789", Duration::from_secs(5)).await;
    assert!(status.contains(" 401 "), "{status}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // With an account, a body declared larger than the limit is refused unread.
    let auth = format!("authorization: Bearer {token}");
    let (status, took) = raw_answer(&app, format!("POST /api/v1/documents HTTP/1.1\r\ncontent-type: text/plain\r\ncontent-length: 10000000000\r\n{auth}"), b"0123456789", Duration::from_secs(5)).await;
    assert!(status.contains(" 413 "), "{status}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // A body that stops arriving is cut off.
    let (status, took) = raw_answer(&app, format!("POST /api/v1/documents HTTP/1.1\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n{auth}"), b"0123456789", Duration::from_secs(30)).await;
    assert!(status.contains(" 408 "), "{status}");
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "{took:?}"
    );
    // Nothing was stored, and the spool is empty again.
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let stored: i64 = vitrine_server::db::schema::blobs::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored, 0);
    let spooled = std::fs::read_dir(app.data_dir.join("uploads"))
        .unwrap()
        .count();
    assert_eq!(spooled, 0);
    // Every route that needs an account says so before reading a body.
    for head in [
        "POST /api/v1/registrations/1/reject HTTP/1.1",
        "POST /api/v1/users HTTP/1.1",
        "PUT /api/v1/drafts/ocds-vtest1-x HTTP/1.1",
        "POST /api/v1/me/tokens HTTP/1.1",
        "POST /api/v1/me/totp/confirm HTTP/1.1",
    ] {
        let (status, took) = raw_answer(
            &app,
            format!("{head}\r\ncontent-type: application/json\r\ncontent-length: 10000000000"),
            b"{",
            Duration::from_secs(5),
        )
        .await;
        assert!(status.contains(" 401 "), "{head}: {status}");
        assert!(took < Duration::from_secs(3), "{head}: {took:?}");
    }
    // Other bodies: a statement declared too large is refused unread, without an account.
    let (status, _) = raw_answer(&app, "POST /api/v1/statements HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 99999999".to_owned(), b"{", Duration::from_secs(5)).await;
    assert!(status.contains(" 413 "), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_statement_with_nul_is_refused_at_intake_and_fails_nobody() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[62; 32]);
    app.register("buyer-n", "buyer", &key, "procurement_officer")
        .await;
    let before = app.snapshot().await;
    let poison = signed(
        "document.published",
        "doc-nul",
        json!({"sha256": vitrine_ledger::hash::sha256(b"x").to_hex(), "title": "a\u{0}b"}),
        &[&key],
    );
    let (status, problem) = app.post(&poison).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["type"], "https://vitrine.dev/problems/invalid-text");
    assert_eq!(problem["pointer"], "/statement/body/title");
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
    // Sent among ordinary statements, it fails only itself.
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for n in 0..40u64 {
        let app = app.clone();
        let key = key.clone();
        let poison = poison.clone();
        tasks.push(tokio::spawn(async move {
            if n % 10 == 0 {
                app.post(&poison).await.0
            } else {
                let statement = signed(
                    "document.published",
                    &format!("doc-{n}"),
                    document(n),
                    &[&key],
                );
                app.post(&statement).await.0
            }
        }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        let status = task.await.unwrap();
        assert_eq!(status, if n % 10 == 0 { 422 } else { 201 }, "statement {n}");
    }
    app.verify().await;
}

/// Sends `statements` at once; returns each one's status and answer.
async fn post_all(app: &std::sync::Arc<TestApp>, statements: Vec<Value>) -> Vec<(u16, Value)> {
    let tasks: Vec<_> = statements
        .into_iter()
        .map(|statement| {
            let app = app.clone();
            tokio::spawn(async move { app.post(&statement).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_statement_the_database_refuses_fails_only_itself() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[63; 32]);
    app.register("buyer-p", "buyer", &key, "procurement_officer")
        .await;
    // The fault, injected in PostgreSQL itself: any entry whose subject is "poison" makes
    // the sequencer's transaction fail, as a value PostgreSQL cannot store would.
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    diesel::sql_query(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'injected fault: poison'; END $$",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "CREATE TRIGGER poison BEFORE INSERT ON log_entries FOR EACH ROW
         WHEN (NEW.subject = 'poison') EXECUTE FUNCTION refuse_poison()",
    )
    .execute(&mut conn)
    .unwrap();
    let poison = signed("document.published", "poison", document(999_999), &[&key]);
    let app = std::sync::Arc::new(app);
    for round in 0..3u64 {
        let mut statements: Vec<Value> = (0..60u64)
            .map(|n| {
                signed(
                    "document.published",
                    &format!("doc-{round}-{n}"),
                    document(round * 1000 + n),
                    &[&key],
                )
            })
            .collect();
        statements.insert(30, poison.clone());
        let answers = post_all(&app, statements).await;
        for (n, (status, body)) in answers.iter().enumerate() {
            if n == 30 {
                assert_eq!(*status, 422, "{body}");
                assert_eq!(body["type"], "https://vitrine.dev/problems/unstorable");
            } else {
                assert_eq!(*status, 201, "statement {n} of round {round}: {body}");
            }
        }
    }
    let report = app.verify().await;
    // The genesis, the administrator's key, the organisation, its key, and 3 × 60.
    assert_eq!(report.checkpoint.checkpoint.size, 4 + 180);
    let replay = app.replay().await;
    assert!(replay.is_clean(), "{replay:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nul_and_malformed_requests_are_problems_never_500() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[64; 32]);
    app.register("sup-q", "supplier", &key, "organisation_admin")
        .await;
    let token = app
        .api_token("sup-q", "admin@sup-q.example", "organisation_admin")
        .await;
    let auth = format!("Bearer {token}");
    let before = app.snapshot().await;
    for path in [
        "/api/v1/tenders/a%00b",
        "/api/v1/tenders?buyer=a%00b",
        "/api/v1/ocds/tenders/a%00b/record",
        "/api/v1/organisations/%00",
        "/api/v1/drafts/x%00",
    ] {
        let (status, problem) = app.request("GET", path, Vec::new(), &[]).await;
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(
            problem["type"], "https://vitrine.dev/problems/invalid-text",
            "{path}"
        );
    }
    for (path, body) in [
        (
            "/api/v1/session",
            json!({"email": "a\u{0}@example.org", "password": "x"}),
        ),
        ("/api/v1/me/tokens", json!({"name": "t\u{0}"})),
        (
            "/api/v1/users",
            json!({"organisation": "sup-q", "email": "u\u{0}@sup-q.example", "display_name": "u", "role": "bidder_representative", "password": "long enough password"}),
        ),
    ] {
        let (status, problem) = app
            .request(
                "POST",
                path,
                body.to_string().into_bytes(),
                &[("authorization", &auth)],
            )
            .await;
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(
            problem["type"], "https://vitrine.dev/problems/invalid-text",
            "{path}"
        );
    }
    // Duplicate query parameters, an unparsable path id, an oversized form: problems.
    let (status, problem) = app
        .request("GET", "/api/v1/tenders?status=a&status=b", Vec::new(), &[])
        .await;
    assert_eq!(status, 400, "{problem}");
    let (status, _) = app
        .request(
            "POST",
            "/api/v1/me/notifications/null,null/read",
            Vec::new(),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 404);
    for path in ["/api/v1/session", "/api/v1/users"] {
        let (status, problem) = app
            .request(
                "POST",
                path,
                vec![b' '; 300 * 1024],
                &[("authorization", &auth)],
            )
            .await;
        assert_eq!(status, 413, "{path}: {problem}");
    }
    // Entries and tiles have one path each.
    for path in [
        "/api/v1/entries/+1",
        "/api/v1/entries/01",
        "/api/v1/entries/-0",
    ] {
        let (status, problem) = app.request("GET", path, Vec::new(), &[]).await;
        assert_eq!(status, 400, "{path}: {problem}");
    }
    assert_eq!(app.get("/api/v1/entries/1").await.0, 200);
    let (status, _) = app
        .get_bytes("/log/tile/entries/x072/x057/x594/x037/x927/936.p/5")
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.snapshot().await, before, "a refusal changed the tables");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_ignore_the_host_a_request_claims() {
    let app = spawn_app().await;
    let (status, headers, body) = app
        .request_full(
            "GET",
            "/api/v1/ocds/releases?limit=5",
            Vec::new(),
            &[("x-forwarded-host", "evil.example")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["uri"],
        format!("{}/api/v1/ocds/releases?limit=5", app.base)
    );
    assert!(!body.to_string().contains("evil.example"));
    assert!(
        headers.iter().any(|(n, _)| n == "cache-control"),
        "{headers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_second_factor_codes_lock_the_account() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[65; 32]);
    app.register("buyer-t", "buyer", &key, "procurement_officer")
        .await;
    app.api_token("buyer-t", "officer@buyer-t.example", "procurement_officer")
        .await;
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let secret: Option<Vec<u8>> = vitrine_server::db::schema::users::table
        .filter(vitrine_server::db::schema::users::email.eq("officer@buyer-t.example"))
        .select(vitrine_server::db::schema::users::totp_secret)
        .first(&mut conn)
        .unwrap();
    let secret = secret.unwrap();
    let login = |code: String| {
        let body = json!({"email": "officer@buyer-t.example", "password": PASSWORD, "totp": code});
        app.request(
            "POST",
            "/api/v1/session",
            body.to_string().into_bytes(),
            &[],
        )
    };
    let step = vitrine_server::auth::totp_step(chrono::Utc::now().timestamp());
    let right = |offset: u64| format!("{:06}", vitrine_server::auth::totp(&secret, step + offset));
    // A code that is none of the accepted ones (the window is one step either side).
    let wrong = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| {
            (0..3).all(|o| *c != right(o))
                && *c != format!("{:06}", vitrine_server::auth::totp(&secret, step - 1))
        })
        .unwrap();
    for _ in 0..5 {
        let (status, problem) = login(wrong.clone()).await;
        assert_eq!(status, 401, "{problem}");
    }
    // Locked: the right password with the right code is refused now.
    let (status, problem) = login(right(1)).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(
        problem["type"],
        "https://vitrine.dev/problems/unauthenticated"
    );
}

#[test]
fn a_command_leaves_a_cluster_it_found_running() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = crate::common::temp_dir("cluster");
    let mut first = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap();
    assert!(first.started_here());
    // The data directory and PostgreSQL's log are private.
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o007,
        0,
        "the data directory is open to others: {mode:o}"
    );
    let log = std::fs::metadata(dir.join("postgres.log")).unwrap();
    assert_eq!(log.permissions().mode() & 0o077, 0);
    // A second user of the same directory (a command run while the server runs) finds it
    // running, and leaves it running when it is done.
    let second = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap();
    assert!(!second.started_here());
    let url = second.url("postgres");
    drop(second);
    let mut conn = PgConnection::establish(&url).unwrap();
    diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
    drop(conn);
    first.stop().unwrap();
    assert!(PgConnection::establish(&url).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_unicode_is_either_refused_at_intake_or_logged() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree as _;
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[66; 32]);
    app.register("buyer-u", "buyer", &key, "procurement_officer")
        .await;
    // Titles of any characters, with those that trouble databases and parsers often drawn:
    // U+0000, other controls, noncharacters, the largest code point.
    let character = prop_oneof![
        Just('\u{0}'),
        Just('\u{1}'),
        Just('\u{7f}'),
        Just('\u{fffe}'),
        Just('\u{ffff}'),
        Just('\u{10ffff}'),
        Just('\u{feff}'),
        any::<char>(),
    ];
    let titles = proptest::collection::vec(character, 1..24)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut statements = Vec::new();
    for n in 0..200u64 {
        let title = titles.new_tree(&mut runner).unwrap().current();
        let statement = signed(
            "document.published",
            &format!("doc-u-{n}"),
            json!({"sha256": vitrine_ledger::hash::sha256(&n.to_be_bytes()).to_hex(), "title": title}),
            &[&key],
        );
        statements.push((title.contains('\0'), statement));
    }
    let app = std::sync::Arc::new(app);
    let expected: Vec<bool> = statements.iter().map(|(nul, _)| *nul).collect();
    let answers = post_all(&app, statements.into_iter().map(|(_, s)| s).collect()).await;
    assert!(expected.iter().any(|nul| *nul) && expected.iter().any(|nul| !*nul));
    for ((status, body), nul) in answers.iter().zip(&expected) {
        if *nul {
            assert_eq!(*status, 422, "{body}");
            assert_eq!(body["type"], "https://vitrine.dev/problems/invalid-text");
        } else {
            assert_eq!(*status, 201, "{body}");
        }
    }
    // Lone surrogates in escapes are not JSON text at all.
    for escape in ["\\ud800", "\\udfff", "\\ud800\\u0041"] {
        let body = format!(
            r#"{{"statement":{{"kind":"document.published","subject":"x","issued_at":"2026-01-01T00:00:00Z","body":{{"title":"{escape}"}}}},"signatures":[]}}"#
        );
        let (status, problem) = app.post_raw(body.into_bytes()).await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["type"], "https://vitrine.dev/problems/invalid-json");
    }
    app.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_method_a_resource_does_not_answer_is_405_with_allow() {
    let app = spawn_app().await;
    let (_, openapi) = app.get("/api/v1/openapi.json").await;
    let paths = openapi["paths"].as_object().unwrap();
    let mut checked = 0;
    for (template, item) in paths {
        let mut documented: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        documented.sort();
        // A concrete path: every parameter a plausible segment.
        let path: String = template
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let (status, headers, body) = app
            .request_full_raw(
                "PATCH",
                &path,
                b"{}".to_vec(),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(
            status,
            405,
            "PATCH {path}: {}",
            String::from_utf8_lossy(&body)
        );
        let allow = headers
            .iter()
            .find(|(n, _)| n == "allow")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("PATCH {path}: no Allow header"));
        let mut allowed: Vec<String> = allow.split(", ").map(str::to_owned).collect();
        allowed.sort();
        assert_eq!(allowed, documented, "PATCH {path}");
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["status"], 405);
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "content-type" && v == "application/problem+json"),
            "{headers:?}"
        );
        checked += 1;
    }
    assert!(checked > 30, "{checked}");
    // Where nothing is, it is still 404.
    let (status, _) = app.get("/api/v1/nowhere").await;
    assert_eq!(status, 404);
}

#[test]
fn as_root_a_data_directory_postgres_cannot_reach_still_starts() {
    use std::os::unix::fs::PermissionsExt as _;
    if std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout != b"0\n")
    {
        eprintln!(
            "SKIPPED: the relocation of an unreachable data directory's cluster happens only as root"
        );
        return;
    }
    // As `mktemp -d` or root's home: a 0700 directory above the data directory.
    let private = crate::common::temp_dir("private");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let dir = private.join("vitrine-data");
    let mut cluster = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap();
    let recorded = std::fs::read_to_string(dir.join("postgres.location")).unwrap();
    let home = std::path::PathBuf::from(recorded.trim());
    assert!(
        home.starts_with(vitrine_server::db::cluster::RELOCATED),
        "{home:?}"
    );
    assert!(home.join("postgres/PG_VERSION").is_file());
    let url = cluster.url("postgres");
    let mut conn = PgConnection::establish(&url).unwrap();
    diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
    drop(conn);
    cluster.stop().unwrap();
    // The next start finds it where the record says.
    let mut again = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap();
    assert!(again.started_here());
    let mut conn = PgConnection::establish(&again.url("postgres")).unwrap();
    diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
    drop(conn);
    again.stop().unwrap();
    // The data directory keeps its keys private, though the cluster lives elsewhere.
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{mode:o}");
    // A new data directory at the same path does not take over the old one's cluster.
    std::fs::remove_dir_all(&dir).unwrap();
    let mut fresh = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap();
    let other = std::fs::read_to_string(dir.join("postgres.location")).unwrap();
    assert_ne!(other.trim(), recorded.trim());
    fresh.stop().unwrap();
    // A record naming anything else is refused.
    std::fs::write(dir.join("postgres.location"), "/etc\n").unwrap();
    let refused = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap_err();
    assert!(
        refused.to_string().contains("not a directory under"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(other.trim());
    let _ = std::fs::remove_dir_all(&private);
}

/// Opens an upload that sends its head and part of its body, then holds it open.
fn held_upload(app: &TestApp, token: &str) -> std::net::TcpStream {
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(
            format!(
                "POST /api/v1/documents HTTP/1.1\r\nhost: {address}\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\nauthorization: Bearer {token}\r\n\r\nstarted"
            )
            .as_bytes(),
        )
        .unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_are_capped_per_account_at_once_and_per_hour() {
    let app = spawn_app().await;
    for (n, organisation) in [(62u8, "sup-v"), (63, "sup-w")] {
        app.register(
            organisation,
            "supplier",
            &SigningKey::from_bytes(&[n; 32]),
            "bidder_representative",
        )
        .await;
    }
    let token = app
        .api_token("sup-v", "rep@sup-v.example", "bidder_representative")
        .await;
    let other = app
        .api_token("sup-w", "rep@sup-w.example", "bidder_representative")
        .await;
    let upload = |token: &str, n: usize| {
        let auth = format!("Bearer {token}");
        let app = &app;
        async move {
            app.request_full_raw(
                "POST",
                "/api/v1/documents",
                format!("document {n}").into_bytes(),
                &[("authorization", &auth), ("content-type", "text/plain")],
            )
            .await
        }
    };
    // Two uploads under way: a third from the same account is refused at once, with a
    // problem document; another account is not held up.
    let held: Vec<std::net::TcpStream> = (0..2).map(|_| held_upload(&app, &token)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, headers, body) = upload(&token, 0).await;
    assert_eq!(status, 429, "{}", String::from_utf8_lossy(&body));
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "content-type" && v == "application/problem+json")
    );
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("at once"),
        "{problem}"
    );
    assert_eq!(upload(&other, 0).await.0, 201);
    // Abandoned, they free their slots.
    drop(held);
    let mut freed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, _, _) = upload(&token, 1).await;
        if status == 201 {
            freed = true;
            break;
        }
        assert_eq!(status, 429);
    }
    assert!(freed, "the abandoned uploads kept their slots");
    // At most 200 an hour: the rest are refused, and not stored.
    let mut accepted = 0;
    let mut refused = None;
    for n in 2..400 {
        let (status, _, body) = upload(&token, n).await;
        match status {
            201 => accepted += 1,
            429 => {
                refused = Some((n, serde_json::from_slice::<Value>(&body).unwrap()));
                break;
            }
            other => panic!("upload {n}: {other}"),
        }
    }
    let (n, problem) = refused.expect("no upload was refused");
    assert!(accepted < 200, "{accepted}");
    assert_eq!(problem["status"], 429, "{problem}");
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let hash = vitrine_ledger::hash::sha256(format!("document {n}").as_bytes());
    let stored: i64 = vitrine_server::db::schema::blobs::table
        .filter(vitrine_server::db::schema::blobs::sha256.eq(hash.0.to_vec()))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored, 0);
    // The other account still uploads.
    assert_eq!(upload(&other, 1).await.0, 201);
}
