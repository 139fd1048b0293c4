//! The last-minute rush: many tenders close at once while hundreds of bidders commit their
//! sealed bids in the final seconds. Loopback only, bounded in count, stops by itself.
//!
//! ```sh
//! cargo run --release -p vitrine-server --example tender_rush -- \
//!     --tenders 20 --bidders 300 --clients 128 --rush-seconds 10
//! ```
//!
//! It starts the server in-process on a fresh data directory (its own PostgreSQL cluster).
//! It registers a buyer, `--bidders` suppliers with their keys and accounts (API tokens),
//! and `--tenders` tenders that all close at the same moment. Then it signs one sealed bid
//! per supplier and tender, each under a one-time key. In the last `--rush-seconds`
//! before the deadline it sends them all from `--clients` connections. It reports commits
//! per second, latency percentiles, and the latency of the commits sent in the final
//! second. Afterwards it checks that every acknowledged bid is in its tender and that no
//! bid sent before the deadline was refused or lost.

use ed25519_dalek::SigningKey;
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vitrine_ledger::bid::{Bid, Salt};
use vitrine_ledger::note::NoteSigner;
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;
use vitrine_server::config::Settings;

#[path = "common/raw_client.rs"]
mod raw_client;
use raw_client::RawClient;
#[path = "common/statements.rs"]
mod statements;
use statements::{at, key, sign};

struct Options {
    tenders: usize,
    bidders: usize,
    clients: usize,
    rush_seconds: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        tenders: 20,
        bidders: 300,
        clients: 128,
        rush_seconds: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|_| format!("{flag}: a number"))?;
        match flag.as_str() {
            "--tenders" => options.tenders = value.clamp(1, 200),
            "--bidders" => options.bidders = value.clamp(1, 2000),
            "--clients" => options.clients = value.clamp(1, 512),
            "--rush-seconds" => options.rush_seconds = value.clamp(2, 120) as u64,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let options = options()?;
    let data_dir = std::env::temp_dir().join(format!("vitrine-rush-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let settings = Settings {
        listen: "127.0.0.1:0".parse().map_err(|_| "address")?,
        data_dir: data_dir.clone(),
        scheduler_interval_ms: 200,
        ..Settings::default()
    };
    let (database_url, _) = {
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || vitrine_server::database(&settings))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let address = format!("127.0.0.1:{}", app.port());
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    let ready = format!("http://{address}/readyz");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for _ in 0..300 {
        let sequencing = agent
            .get(&ready)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .is_some_and(|body| body.contains("\"sequencing\":true"));
        if sequencing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let result =
        tokio::task::spawn_blocking(move || rush(&options, &address, &data_dir, &database_url))
            .await
            .map_err(|e| e.to_string())?;
    handle.stop(true).await;
    let _ = server.await;
    result
}

fn post(client: &mut RawClient, body: &str) -> Result<(), String> {
    match client.post_with("/api/v1/statements", body, "")? {
        201 => Ok(()),
        status => Err(format!("HTTP {status} for {body}")),
    }
}

fn rush(
    options: &Options,
    address: &str,
    data_dir: &std::path::Path,
    database_url: &str,
) -> Result<(), String> {
    use diesel::Connection as _;
    let platform = NoteSigner::parse(
        &std::fs::read_to_string(data_dir.join("platform.key")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let platform = platform.signing_key();
    let mut client = RawClient::connect(address)?;
    let b64 = |k: &SigningKey| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(k.verifying_key().as_bytes())
    };
    // The buyer and its officer.
    let officer = key(0, 1);
    post(
        &mut client,
        &sign(
            "organisation.registered",
            "buyer",
            json!({"id": "buyer", "name": "采购中心", "kind": "buyer"}),
            &[platform],
        ),
    )?;
    post(
        &mut client,
        &sign(
            "key.registered",
            "buyer",
            json!({"organisation": "buyer", "public_key": b64(&officer), "role": "procurement_officer"}),
            &[platform],
        ),
    )?;
    // Suppliers: keys on the log, accounts in the database, an API token each.
    eprintln!("registering {} suppliers with accounts...", options.bidders);
    let mut conn = diesel::PgConnection::establish(database_url).map_err(|e| e.to_string())?;
    let mut tokens = Vec::new();
    for n in 0..options.bidders {
        let id = format!("sup-{n}");
        let k = key(n as u32, 2);
        post(
            &mut client,
            &sign(
                "organisation.registered",
                &id,
                json!({"id": id, "name": format!("供应商 {n}"), "kind": "supplier", "credit_code": statements::credit_code("350100", n)}),
                &[platform],
            ),
        )?;
        post(
            &mut client,
            &sign(
                "key.registered",
                &id,
                json!({"organisation": id, "public_key": b64(&k), "role": "bidder_representative"}),
                &[platform],
            ),
        )?;
        let user = vitrine_server::auth::create_user(
            &mut conn,
            &vitrine_server::auth::NewUser {
                organisation: &id,
                email: &format!("rep@{id}.example"),
                display_name: "投标代表",
                role: "bidder_representative",
                password: "rush rush rush rush",
            },
        )
        .map_err(|e| e.detail)?;
        let (_, token) =
            vitrine_server::auth::create_token(&mut conn, user, "rush").map_err(|e| e.detail)?;
        tokens.push(token);
    }
    // Tenders that all close together, leaving time to sign the bids first.
    let signing_seconds = (options.tenders * options.bidders) as f64 / 8_000.0 + 5.0;
    let deadline = at(signing_seconds + options.rush_seconds as f64);
    let reveal_end = at(signing_seconds + options.rush_seconds as f64 + 3600.0);
    let tender_ids: Vec<String> = (0..options.tenders)
        .map(|t| format!("ocds-rushxx-{t:04}"))
        .collect();
    for id in &tender_ids {
        post(
            &mut client,
            &sign(
                "tender.published",
                id,
                json!({
                    "id": id, "buyer": "buyer",
                    "title": {"zh": "服务器采购"}, "category": "goods", "region": "CN-FJ", "procedure": "open",
                    "value": {"amount": "1000000.00", "currency": "CNY"},
                    "lots": [{"id": "lot-1", "title": {"zh": "服务器"}, "value": {"amount": "1000000.00", "currency": "CNY"}}],
                    "documents": [],
                    "enquiry_end": at(0.0).to_string(), "tender_end": deadline.to_string(), "reveal_end": reveal_end.to_string(),
                    "standstill_seconds": 0, "amendment_notice_seconds": 0, "award_criteria": "lowest_price",
                }),
                &[&officer],
            ),
        )?;
    }
    // One sealed bid per supplier and tender, each under its own one-time key.
    eprintln!(
        "signing {} sealed bids...",
        tender_ids.len() * options.bidders
    );
    let mut bids: Vec<(usize, String)> = Vec::new();
    for (t, id) in tender_ids.iter().enumerate() {
        for n in 0..options.bidders {
            let bid = Bid::from_value(json!({
                "tender": id, "lots": ["lot-1"], "bidder": format!("sup-{n}"),
                "price": {"amount": format!("{}.00", 900_000 + n), "currency": "CNY"}, "documents": [],
            }))
            .map_err(|e| e.to_string())?;
            let commitment = bid.commitment(&Salt([(n % 251) as u8; 32])).to_hex();
            let one_time = key((t * options.bidders + n) as u32, 3);
            bids.push((
                n,
                sign(
                    "bid.committed",
                    id,
                    json!({"commitment": commitment}),
                    &[&one_time],
                ),
            ));
        }
    }
    // The rush: everything goes out in the last seconds, spread evenly over them.
    let rush_start = Instant::now()
        + Duration::from_secs_f64(
            (deadline.unix_nanos() - Timestamp::now().unix_nanos()) as f64 / 1e9
                - options.rush_seconds as f64,
        );
    while Instant::now() < rush_start {
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "rush: {} commits in {}s before the deadline...",
        bids.len(),
        options.rush_seconds
    );
    let spacing = Duration::from_secs_f64((options.rush_seconds as f64 - 0.25) / bids.len() as f64);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(bids.len()));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..options.clients {
            scope.spawn(|| {
                let mut client = None;
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((n, body)) = bids.get(i) else { break };
                    // Bid i leaves at its slot in the rush.
                    let due = started + spacing * i as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let sent = Timestamp::now();
                    let clock = Instant::now();
                    let header = format!("authorization: Bearer {}\r\n", tokens[*n]);
                    let status = match client.as_mut() {
                        Some(c) => Ok(c),
                        None => RawClient::connect(address).map(|c| client.insert(c)),
                    }
                    .and_then(|c| c.post_with("/api/v1/statements", body, &header));
                    if status.is_err() {
                        client = None;
                    }
                    local.push((sent, clock.elapsed(), status));
                }
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(local);
            });
        }
    });
    let elapsed = started.elapsed();
    let results = results.into_inner().unwrap_or_default();
    let in_time: Vec<_> = results.iter().filter(|r| r.0 < deadline).collect();
    let accepted = results.iter().filter(|r| matches!(r.2, Ok(201))).count();
    // Logged at arrival: a bid sent before the deadline must be accepted, whatever the
    // queue (allowing 50 ms for the request to reach the server).
    let lost: Vec<_> = in_time
        .iter()
        .filter(|r| !matches!(r.2, Ok(201)))
        .filter(|r| r.0.unix_nanos() <= deadline.unix_nanos() - 50_000_000)
        .collect();
    let mut latencies: Vec<Duration> = results.iter().map(|r| r.1).collect();
    latencies.sort_unstable();
    let mut last_second: Vec<Duration> = results
        .iter()
        .filter(|r| deadline.unix_nanos() - r.0.unix_nanos() <= 1_000_000_000)
        .map(|r| r.1)
        .collect();
    last_second.sort_unstable();
    let pct = |v: &[Duration], p: f64| {
        v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let in_time_accepted = in_time.iter().filter(|r| matches!(r.2, Ok(201))).count();
    println!(
        "sent before the deadline: {} ({} accepted); sent after it (the clients fell behind): {}",
        in_time.len(),
        in_time_accepted,
        results.len() - in_time.len()
    );
    println!(
        "{} tenders x {} bidders: {} commits sent in {:.2}s from {} clients ({:.0}/s); {} accepted; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; last second before the deadline: {} commits, p99 {:.1} ms",
        options.tenders,
        options.bidders,
        results.len(),
        elapsed.as_secs_f64(),
        options.clients,
        results.len() as f64 / elapsed.as_secs_f64(),
        accepted,
        pct(&latencies, 0.5),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0),
        last_second.len(),
        pct(&last_second, 0.99),
    );
    // Every acknowledged bid is in its tender.
    let mut counted = 0;
    let loaded =
        vitrine_server::db::load_tenders(&mut conn, &tender_ids).map_err(|e| e.to_string())?;
    counted += loaded.values().map(|t| t.bids.len()).sum::<usize>();
    if counted != accepted {
        return Err(format!(
            "{accepted} bids were acknowledged but the tenders hold {counted}"
        ));
    }
    if let Some(first) = lost.first() {
        return Err(format!(
            "{} bids answered before the deadline were not accepted; the first: {:?}",
            lost.len(),
            first.2
        ));
    }
    println!(
        "every acknowledged bid is in its tender; every bid sent before the deadline was accepted"
    );
    Ok(())
}
