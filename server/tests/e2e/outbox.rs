//! The shared outbox consumer against a real PostgreSQL: a failing row is retried with
//! backoff and delivered once, a row that always fails becomes a dead letter and the
//! consumer goes on, a dead letter is tried again on request, a pass that dies midway
//! loses and repeats nothing, and one process at a time consumes.
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use vitrine_server::db::outbox::{self, OutboxRow};
use vitrine_server::outbox::{Consumer, Pass, Policy, pass};

/// A consumer that records each row it handles in `deliveries` (in its savepoint), and
/// fails the rows it is told to: a number of times, or always.
struct Recorder {
    /// Rows to fail, with how many more failures each (`u32::MAX`: always).
    failing: Mutex<Vec<(i64, u32)>>,
    /// The row whose handling panics.
    panic_on: Option<i64>,
    /// The row whose handling ends the connection, as a process dying midway does.
    cut_off_on: Option<i64>,
}

impl Recorder {
    fn new(failing: &[(i64, u32)]) -> Recorder {
        Recorder {
            failing: Mutex::new(failing.to_vec()),
            panic_on: None,
            cut_off_on: None,
        }
    }
}

impl Consumer for Recorder {
    fn name(&self) -> &'static str {
        "test-recorder"
    }

    fn handle(&self, conn: &mut PgConnection, row: &OutboxRow) -> Result<usize, String> {
        // Written first, so that a failure after it shows whether it was rolled back.
        diesel::sql_query("INSERT INTO deliveries (outbox_id) VALUES ($1)")
            .bind::<BigInt, _>(row.id)
            .execute(conn)
            .map_err(|e| e.to_string())?;
        if self.panic_on == Some(row.id) {
            panic!("the process dies while handling row {}", row.id);
        }
        if self.cut_off_on == Some(row.id) {
            // The process dies: its connection ends with the transaction open.
            let _ =
                diesel::sql_query("SELECT pg_terminate_backend(pg_backend_pid())").execute(conn);
            return Err("the connection is gone".into());
        }
        let mut failing = self.failing.lock().unwrap();
        if let Some((_, left)) = failing.iter_mut().find(|(id, _)| *id == row.id)
            && *left > 0
        {
            if *left != u32::MAX {
                *left -= 1;
            }
            return Err(format!("the receiver refused row {}", row.id));
        }
        Ok(1)
    }
}

#[derive(QueryableByName)]
struct Delivery {
    #[diesel(sql_type = BigInt)]
    outbox_id: i64,
}

/// A fresh database with `rows` outbox rows and a table of deliveries: its URL, a
/// connection, and the rows' ids.
fn setup(rows: usize) -> (String, PgConnection, Vec<i64>) {
    let url = crate::common::fresh_database();
    let mut conn = PgConnection::establish(&url).unwrap();
    diesel::sql_query("CREATE TABLE deliveries (outbox_id BIGINT NOT NULL)")
        .execute(&mut conn)
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..rows as i64 {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let id: Id = diesel::sql_query(
            "INSERT INTO outbox (entry_idx, topic, payload)
             VALUES ($1, 'entries.logged', jsonb_build_object('first', $1, 'last', $1))
             RETURNING id",
        )
        .bind::<BigInt, _>(n)
        .get_result(&mut conn)
        .unwrap();
        ids.push(id.id);
    }
    (url, conn, ids)
}

fn deliveries(conn: &mut PgConnection) -> Vec<i64> {
    diesel::sql_query("SELECT outbox_id FROM deliveries ORDER BY outbox_id")
        .load::<Delivery>(conn)
        .unwrap()
        .into_iter()
        .map(|d| d.outbox_id)
        .collect()
}

fn status(conn: &mut PgConnection) -> outbox::ConsumerStatus {
    outbox::consumers(conn)
        .unwrap()
        .into_iter()
        .find(|c| c.consumer == "test-recorder")
        .expect("the consumer's cursor")
}

/// Fast retries, so that the tests take well under a second of backoff.
fn fast() -> Policy {
    Policy {
        max_attempts: 3,
        first_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        rows_per_pass: 100,
        idle: Duration::from_millis(10),
    }
}

/// Passes until `done` says so after one (ten seconds at most).
fn run_until(
    conn: &mut PgConnection,
    consumer: &dyn Consumer,
    policy: &Policy,
    mut done: impl FnMut(&mut PgConnection) -> bool,
) -> Vec<Pass> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut passes = Vec::new();
    loop {
        passes.push(pass(conn, consumer, policy).unwrap());
        if done(conn) {
            return passes;
        }
        assert!(Instant::now() < deadline, "never done; passes: {passes:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ends the consumer's backoff now, as if its wait had passed.
fn end_backoff(conn: &mut PgConnection) {
    diesel::sql_query("UPDATE outbox_cursors SET retry_at = clock_timestamp()")
        .execute(conn)
        .unwrap();
}

#[test]
fn a_row_that_fails_twice_then_succeeds_is_delivered_once() {
    let (_, mut conn, ids) = setup(3);
    let consumer = Recorder::new(&[(ids[1], 2)]);
    // A wait long enough that the test never reaches it by itself.
    let policy = Policy {
        first_backoff: Duration::from_secs(3600),
        max_backoff: Duration::from_secs(7200),
        ..fast()
    };
    let first = pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!((first.handled, first.failed), (1, 1), "{first:?}");
    // The first row is kept; the failed one's write was rolled back with it.
    assert_eq!(deliveries(&mut conn), [ids[0]]);
    let waiting = status(&mut conn);
    assert_eq!(waiting.last_outbox_id, ids[0]);
    assert_eq!(waiting.attempts, 1);
    assert_eq!(
        waiting.last_error.as_deref(),
        Some(format!("the receiver refused row {}", ids[1]).as_str())
    );
    // The next attempt is due one first backoff after the failure.
    let wait = waiting.retry_at.unwrap() - chrono::Utc::now();
    assert!(
        (3590..=3600).contains(&wait.num_seconds()),
        "retry in {wait:?}"
    );
    // Within its backoff the row is not tried again.
    let early = pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!(
        early,
        Pass::default(),
        "tried again before its backoff ended"
    );
    assert_eq!(status(&mut conn).attempts, 1);
    // Once it has passed, the row is tried alone, fails again, and waits twice as long.
    end_backoff(&mut conn);
    let second = pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!((second.handled, second.failed), (0, 1), "{second:?}");
    let waiting = status(&mut conn);
    assert_eq!(waiting.attempts, 2);
    let wait = waiting.retry_at.unwrap() - chrono::Utc::now();
    assert!(
        (7190..=7200).contains(&wait.num_seconds()),
        "retry in {wait:?}"
    );
    end_backoff(&mut conn);
    run_until(&mut conn, &consumer, &policy, |conn| {
        status(conn).last_outbox_id == ids[2]
    });
    assert_eq!(
        deliveries(&mut conn),
        ids,
        "each row delivered exactly once"
    );
    let done = status(&mut conn);
    assert_eq!((done.attempts, done.pending, done.dead_letters), (0, 0, 0));
    assert_eq!((done.retry_at, done.last_error), (None, None));
    assert!(
        outbox::dead_letters(&mut conn, None, None, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_consumer_that_panics_has_failed_that_row() {
    let (_, mut conn, ids) = setup(3);
    let consumer = Recorder {
        panic_on: Some(ids[1]),
        ..Recorder::new(&[])
    };
    let policy = fast();
    run_until(&mut conn, &consumer, &policy, |conn| {
        status(conn).last_outbox_id == ids[2]
    });
    assert_eq!(deliveries(&mut conn), [ids[0], ids[2]]);
    let letters = outbox::dead_letters(&mut conn, None, None, 10).unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].outbox_id, ids[1]);
    assert_eq!(letters[0].attempts, 3);
    assert!(
        letters[0]
            .last_error
            .starts_with("the consumer panicked: the process dies"),
        "{letters:?}"
    );
}

/// A consumer whose write for one row breaks a deferred constraint: each row's savepoint
/// passes, and the transaction fails at its commit.
struct BreaksTheCommit {
    row: i64,
}

impl Consumer for BreaksTheCommit {
    fn name(&self) -> &'static str {
        "test-recorder"
    }

    fn handle(&self, conn: &mut PgConnection, row: &OutboxRow) -> Result<usize, String> {
        Recorder::new(&[]).handle(conn, row)?;
        if row.id == self.row {
            diesel::sql_query("INSERT INTO checked_at_commit (outbox_id) VALUES (-1)")
                .execute(conn)
                .map_err(|e| e.to_string())?;
        }
        Ok(1)
    }
}

#[test]
fn a_row_that_breaks_the_pass_at_commit_ends_as_a_dead_letter() {
    let (_, mut conn, ids) = setup(3);
    diesel::sql_query(
        "CREATE TABLE checked_at_commit (outbox_id BIGINT REFERENCES outbox (id)
             DEFERRABLE INITIALLY DEFERRED)",
    )
    .execute(&mut conn)
    .unwrap();
    let consumer = BreaksTheCommit { row: ids[1] };
    let policy = fast();
    let failed = pass(&mut conn, &consumer, &policy);
    assert!(failed.is_err(), "the commit should fail: {failed:?}");
    assert!(
        deliveries(&mut conn).is_empty(),
        "the whole pass was rolled back"
    );
    // The failure is charged, to the first row after the cursor, which is then tried alone.
    assert_eq!(status(&mut conn).attempts, 1);
    // Each pass that reaches the second row fails; the failures are charged until it is
    // alone and set aside.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut failures = 1;
    while status(&mut conn).last_outbox_id != ids[2] {
        assert!(
            Instant::now() < deadline,
            "never done after {failures} failures"
        );
        failures += usize::from(pass(&mut conn, &consumer, &policy).is_err());
        std::thread::sleep(Duration::from_millis(10));
    }
    // The first failure was charged to the first row, which then passed alone; the
    // second row was charged three times, the policy's limit.
    assert_eq!(failures, 4);
    assert_eq!(deliveries(&mut conn), [ids[0], ids[2]]);
    let letters = outbox::dead_letters(&mut conn, None, None, 10).unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].outbox_id, ids[1]);
    assert_eq!(letters[0].last_error, "the pass failed");
}

#[test]
fn rows_of_other_topics_pass_a_consumer_by() {
    let (_, mut conn, ids) = setup(2);
    diesel::sql_query(
        "INSERT INTO outbox (entry_idx, topic, payload) VALUES (5, 'something.else', '{}')",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO outbox (entry_idx, topic, payload)
         VALUES (6, 'entries.logged', '{\"first\": 6, \"last\": 6}')",
    )
    .execute(&mut conn)
    .unwrap();
    let consumer = Recorder::new(&[]);
    let handled = pass(&mut conn, &consumer, &fast()).unwrap();
    assert_eq!(handled.handled, 3, "{handled:?}");
    let delivered = deliveries(&mut conn);
    assert_eq!(delivered.len(), 3);
    assert_eq!(delivered[..2], ids[..]);
    assert_eq!(
        delivered[2],
        ids[1] + 2,
        "the other topic's row was skipped"
    );
}

#[test]
fn a_row_that_always_fails_becomes_a_dead_letter_and_the_consumer_goes_on() {
    let (_, mut conn, ids) = setup(3);
    let consumer = Recorder::new(&[(ids[1], u32::MAX)]);
    let policy = fast();
    let passes = run_until(&mut conn, &consumer, &policy, |conn| {
        status(conn).last_outbox_id == ids[2]
    });
    assert_eq!(
        passes.iter().map(|p| p.failed).sum::<usize>(),
        2,
        "two failures wait their backoff; the third sets the row aside: {passes:?}"
    );
    assert_eq!(passes.iter().map(|p| p.dead_lettered).sum::<usize>(), 1);
    assert_eq!(deliveries(&mut conn), [ids[0], ids[2]]);
    let letters = outbox::dead_letters(&mut conn, Some("test-recorder"), None, 10).unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter.outbox_id, ids[1]);
    assert_eq!(letter.attempts, 3);
    assert_eq!((letter.first_entry, letter.last_entry), (Some(1), Some(1)));
    assert_eq!(
        letter.last_error,
        format!("the receiver refused row {}", ids[1])
    );
    assert_eq!(letter.retry_requested_at, None);
    assert_eq!(status(&mut conn).dead_letters, 1);
    // Nothing more happens to it until an administrator asks.
    pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!(deliveries(&mut conn), [ids[0], ids[2]]);

    // Asked again while the receiver still refuses: it stays, one attempt more.
    assert!(outbox::request_retry(&mut conn, "test-recorder", ids[1], None).unwrap());
    let retried = pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!(retried.recovered, 0);
    let letters = outbox::dead_letters(&mut conn, None, None, 10).unwrap();
    assert_eq!(
        (letters[0].attempts, letters[0].retry_requested_at),
        (4, None)
    );
    assert_eq!(deliveries(&mut conn), [ids[0], ids[2]]);

    // Once the receiver takes it, a retry delivers it, once, and the dead letter is gone.
    consumer.failing.lock().unwrap().clear();
    assert!(outbox::request_retry(&mut conn, "test-recorder", ids[1], None).unwrap());
    let recovered = pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!(recovered.recovered, 1, "{recovered:?}");
    assert_eq!(deliveries(&mut conn), ids);
    assert!(
        outbox::dead_letters(&mut conn, None, None, 10)
            .unwrap()
            .is_empty()
    );
    assert!(!outbox::request_retry(&mut conn, "test-recorder", ids[1], None).unwrap());
    pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!(deliveries(&mut conn), ids, "nothing delivered twice");
}

#[test]
fn a_restart_resumes_where_the_last_committed_pass_stopped() {
    let (url, mut conn, ids) = setup(5);
    let policy = Policy {
        rows_per_pass: 2,
        ..fast()
    };
    // One pass of a first process: two rows.
    let first = pass(&mut conn, &Recorder::new(&[]), &policy).unwrap();
    assert_eq!((first.handled, first.more), (2, true));
    // A second process dies (its connection ends) while handling the fourth row, after
    // handling the third in the same transaction: both are rolled back with it.
    let fourth = ids[3];
    let dying = std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let consumer = Recorder {
            cut_off_on: Some(fourth),
            ..Recorder::new(&[])
        };
        pass(&mut conn, &consumer, &policy)
            .map(drop)
            .map_err(|e| e.to_string())
    });
    let died = dying.join().unwrap();
    assert!(died.is_err(), "the pass should have died: {died:?}");
    assert_eq!(deliveries(&mut conn), ids[..2]);
    assert_eq!(status(&mut conn).last_outbox_id, ids[1]);
    // A restarted process picks up from the cursor.
    let fresh = Recorder::new(&[]);
    run_until(&mut conn, &fresh, &policy, |conn| {
        status(conn).last_outbox_id == ids[4]
    });
    assert_eq!(
        deliveries(&mut conn),
        ids,
        "every row once, none lost, none twice"
    );
}

#[test]
fn one_process_at_a_time_consumes() {
    let (url, mut conn, _) = setup(2);
    let consumer = Recorder::new(&[]);
    let policy = fast();
    outbox::ensure_cursor(&mut conn, consumer.name(), false).unwrap();
    // Another process holds the cursor (its pass is under way).
    let mut other = PgConnection::establish(&url).unwrap();
    other
        .transaction::<_, diesel::result::Error, _>(|other| {
            let held = outbox::lock_cursor(other, consumer.name())?;
            assert!(held.is_some());
            let skipped = pass(&mut conn, &consumer, &policy).unwrap();
            assert_eq!(skipped, Pass::default(), "a locked cursor is left alone");
            Ok(())
        })
        .unwrap();
    assert!(deliveries(&mut conn).is_empty());
    let handled = pass(&mut conn, &consumer, &policy).unwrap();
    assert_eq!(handled.handled, 2);
}

/// Platform administrators see the consumers and their dead letters over the API and ask
/// for a retry, which the running server's consumer then handles; nobody else can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_list_dead_letters_and_have_them_retried() {
    let app = crate::common::app::spawn_app().await;
    let admin = app
        .api_token("platform", "root@platform.example", "platform_admin")
        .await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[31; 32]);
    app.register("supplier-a", "supplier", &key, "bidder_representative")
        .await;
    let bidder = app
        .api_token(
            "supplier-a",
            "bid@supplier-a.example",
            "bidder_representative",
        )
        .await;
    let bearer = |token: &str| format!("Bearer {token}");
    // The notifier gave up on the batch that logged the first entries.
    let url = app.database_url.clone();
    let row = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let first: Id = diesel::sql_query("SELECT min(id) AS id FROM outbox")
            .get_result(&mut conn)
            .unwrap();
        outbox::dead_letter(
            &mut conn,
            "notifications",
            first.id,
            10,
            "the mail server refused",
        )
        .unwrap();
        first.id
    })
    .await
    .unwrap();

    let (status, body) = app
        .request("GET", "/api/v1/outbox/dead-letters", Vec::new(), &[])
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = app
        .request(
            "GET",
            "/api/v1/outbox/dead-letters",
            Vec::new(),
            &[("authorization", &bearer(&bidder))],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["type"], "https://vitrine.dev/problems/forbidden");
    let retry = format!("/api/v1/outbox/dead-letters/notifications/{row}/retry");
    let (status, body) = app
        .request(
            "POST",
            &retry,
            Vec::new(),
            &[("authorization", &bearer(&bidder))],
        )
        .await;
    assert_eq!(status, 403, "{body}");

    let as_admin = [("authorization", bearer(&admin))];
    let as_admin: Vec<(&str, &str)> = as_admin.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = app
        .request("GET", "/api/v1/outbox/dead-letters", Vec::new(), &as_admin)
        .await;
    assert_eq!(status, 200, "{body}");
    let letters = body["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{body}");
    assert_eq!(letters[0]["consumer"], "notifications");
    assert_eq!(letters[0]["outbox_id"], row);
    assert_eq!(letters[0]["attempts"], 10);
    assert_eq!(letters[0]["last_error"], "the mail server refused");
    assert_eq!(letters[0]["retry_requested_at"], serde_json::Value::Null);
    // The bidder's refused retry changed nothing.
    let (_, body) = app
        .request(
            "GET",
            "/api/v1/outbox/dead-letters?consumer=notifications",
            Vec::new(),
            &as_admin,
        )
        .await;
    assert_eq!(
        body["dead_letters"][0]["retry_requested_at"],
        serde_json::Value::Null
    );
    let (status, body) = app
        .request("GET", "/api/v1/outbox/consumers", Vec::new(), &as_admin)
        .await;
    assert_eq!(status, 200, "{body}");
    let notifications = body["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["consumer"] == "notifications")
        .cloned()
        .unwrap();
    assert_eq!(notifications["dead_letters"], 1, "{body}");

    let (status, body) = app.request("POST", &retry, Vec::new(), &as_admin).await;
    assert_eq!(status, 202, "{body}");
    // The server's notifier tries it on its next pass; handled, it is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = app
            .request("GET", "/api/v1/outbox/dead-letters", Vec::new(), &as_admin)
            .await;
        if body["dead_letters"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "never retried: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = app.request("POST", &retry, Vec::new(), &as_admin).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["type"], "https://vitrine.dev/problems/not-found");
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/outbox/dead-letters/notifications/not-a-number/retry",
            Vec::new(),
            &as_admin,
        )
        .await;
    // A path that names no row is no resource, as everywhere else.
    assert_eq!(status, 404, "{body}");
    app.handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_come_a_page_at_a_time_and_say_who_asked_for_a_retry() {
    let app = crate::common::app::spawn_app().await;
    let admin = app
        .api_token("platform", "root@platform.example", "platform_admin")
        .await;
    let as_admin = [("authorization", format!("Bearer {admin}"))];
    let as_admin: Vec<(&str, &str)> = as_admin.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let key = ed25519_dalek::SigningKey::from_bytes(&[32; 32]);
    app.register("supplier-b", "supplier", &key, "bidder_representative")
        .await;
    // Three rows a consumer no process runs gave up on, so that nothing handles them.
    let url = app.database_url.clone();
    let rows: Vec<i64> = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        outbox::ensure_cursor(&mut conn, "idle", false).unwrap();
        let rows: Vec<i64> = outbox::rows_after(&mut conn, 0, &["entries.logged"], 3)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        for id in &rows {
            outbox::dead_letter(&mut conn, "idle", *id, 10, "refused").unwrap();
        }
        rows
    })
    .await
    .unwrap();
    assert_eq!(rows.len(), 3, "the setup logged three batches");
    let page = |query: String| {
        let app = &app;
        let as_admin = &as_admin;
        async move {
            let path = format!("/api/v1/outbox/dead-letters?consumer=idle{query}");
            app.request("GET", &path, Vec::new(), as_admin).await
        }
    };
    let (status, first) = page("&limit=2".into()).await;
    assert_eq!(status, 200, "{first}");
    let ids = |body: &serde_json::Value| -> Vec<i64> {
        body["dead_letters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["outbox_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&first), rows[..2]);
    let next = &first["next"];
    assert_eq!(next["after_outbox_id"], rows[1], "{first}");
    let after = format!(
        "&limit=2&after_consumer={}&after_outbox_id={}",
        next["after_consumer"].as_str().unwrap(),
        next["after_outbox_id"]
    );
    let (_, second) = page(after).await;
    assert_eq!(ids(&second), rows[2..]);
    assert_eq!(second["next"], serde_json::Value::Null, "{second}");
    for bad in [
        "&limit=0",
        "&limit=501",
        "&after_consumer=idle",
        "&after_outbox_id=1",
        "&limit=abc",
        "&limit=1&limit=2",
    ] {
        let (status, body) = page(bad.into()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["type"], "https://vitrine.dev/problems/invalid-query");
    }
    // Whoever is not an administrator learns nothing of the query, however malformed.
    for query in ["", "?limit=abc", "?limit=0", "?limit=99999999999999999999"] {
        let path = format!("/api/v1/outbox/dead-letters{query}");
        let (status, body) = app.request("GET", &path, Vec::new(), &[]).await;
        assert_eq!(status, 401, "{query}: {body}");
    }
    // Who asked for a retry is kept with the dead letter.
    let (_, me) = app
        .request("GET", "/api/v1/me", Vec::new(), &as_admin)
        .await;
    let retry = format!("/api/v1/outbox/dead-letters/idle/{}/retry", rows[0]);
    let (status, body) = app.request("POST", &retry, Vec::new(), &as_admin).await;
    assert_eq!(status, 202, "{body}");
    let (_, listed) = page("&limit=1".into()).await;
    let letter = &listed["dead_letters"][0];
    assert_eq!(letter["retry_requested_by"], me["id"], "{listed}");
    assert!(letter["retry_requested_at"].is_string(), "{listed}");
    app.handle.stop(true).await;
}
