//! A disaster-relief spike, then tracing through a big fund. Loopback only, bounded in
//! count, stops by itself.
//!
//! ```sh
//! cargo build --release -p vitrine-server --example donation_spike
//! target/release/examples/donation_spike --donations 40000 --clients 64
//! target/release/examples/donation_spike --donations 1000000 --disbursements 100000
//! ```
//!
//! It starts the server in-process on a fresh data directory (its own PostgreSQL cluster),
//! registers a charity with an administrator and 64 officers' keys (a bank feed's machine
//! keys), a machine account with an API token for each of `--clients` connections, and a
//! recipient organisation, and opens one fund. It signs every statement before the clock
//! of its part starts (a round's donations once its statements are sent, so that none is
//! older than the log's clock allows), then:
//!
//! 1. `--rounds` times: sends `--donations` statements (`document.published`, what the
//!    server benchmark sends) to `POST /api/v1/statements`, then records `--donations`
//!    donations (`donation.recorded`, each with a donor commitment) through
//!    `POST /api/v1/funds/{id}/donations` with the donor's data for the vault, each from
//!    `--clients` connections, and reports each per second and their latency percentiles,
//!    and their ratio (`--via statements` sends the donations to `POST /api/v1/statements`
//!    instead, without the donors' data);
//! 2. proposes `--disbursements` disbursements (one officer of a 1-of-1 policy: each is
//!    approved as proposed), then executes them all, each taking its money first in, first
//!    out from the donations;
//! 3. times, from one connection, the trace of 1,000 random donations
//!    (`GET /api/v1/funds/{id}/donations/{n}`), 1,000 random disbursements' sources
//!    (`…/disbursements/{n}?limit=100`), the fund (`GET /api/v1/funds/{id}`), its ledger,
//!    and the fund's page (`GET /funds/{id}`) if the server has it.

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use vitrine_ledger::note::NoteSigner;
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;
use vitrine_server::config::Settings;

#[path = "common/raw_client.rs"]
mod raw_client;
#[path = "common/spray.rs"]
mod spray;
#[path = "common/statements.rs"]
mod statements;

use spray::Request;
use statements::b64;

/// A statement signed by one key.
fn signed(kind: &str, subject: &str, body: Value, key: &SigningKey) -> String {
    statements::sign(kind, subject, body, &[key])
}

struct Options {
    donations: usize,
    disbursements: usize,
    clients: usize,
    rounds: usize,
    /// Donations go through the donations route with the donors' data (or, false, to
    /// `POST /api/v1/statements` without it).
    vault: bool,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        donations: 40_000,
        disbursements: 0,
        clients: 64,
        rounds: 1,
        vault: true,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        if flag == "--via" {
            options.vault = match value.as_str() {
                "donations" => true,
                "statements" => false,
                _ => return Err("--via: donations or statements".into()),
            };
            continue;
        }
        let value: usize = value.parse().map_err(|_| format!("{flag}: a number"))?;
        match flag.as_str() {
            "--donations" => options.donations = value.clamp(1, 2_000_000),
            "--disbursements" => options.disbursements = value.min(200_000),
            "--clients" => options.clients = value.clamp(1, 512),
            "--rounds" => options.rounds = value.clamp(1, 20),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

/// Sends `bodies` to `POST /api/v1/statements` from `clients` connections; every answer
/// must be 201.
fn send(address: &str, bodies: &[String], clients: usize) -> Result<spray::Run, String> {
    let requests: Vec<Request<'_>> = bodies
        .iter()
        .map(|body| Request {
            path: "/api/v1/statements",
            body: body.clone(),
            headers: "",
        })
        .collect();
    let run = spray::send(address, &requests, clients, 201);
    run.all_answered()?;
    Ok(run)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The sequencer's counters from `GET /metrics`: entries appended, batches committed, and
/// seconds spent in batches.
fn sequencer_counters(agent: &ureq::Agent, base: &str) -> Result<[f64; 3], String> {
    let text = agent
        .get(&format!("{base}/metrics"))
        .call()
        .map_err(|e| e.to_string())?
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .ok_or(format!("/metrics has no {name}"))
    };
    Ok([
        value("vitrine_appended_total")?,
        value("vitrine_batches_total")?,
        value("vitrine_batch_seconds_total")?,
    ])
}

/// Times `GET`s of `paths` one after another from one connection: (p50, p95, p99, bytes
/// of the last answer), every answer 200.
fn time_gets(
    agent: &ureq::Agent,
    base: &str,
    paths: &[String],
) -> Result<(f64, f64, f64, usize), String> {
    let mut times = Vec::with_capacity(paths.len());
    let mut bytes = 0;
    for path in paths {
        let started = Instant::now();
        let mut response = agent
            .get(&format!("{base}{path}"))
            .call()
            .map_err(|e| e.to_string())?;
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        times.push(started.elapsed());
        if response.status() != 200 {
            return Err(format!("GET {path}: HTTP {}", response.status()));
        }
        bytes = body.len();
    }
    times.sort_unstable();
    Ok((
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        bytes,
    ))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let options = options()?;
    let data_dir = std::env::temp_dir().join(format!("vitrine-spike-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let settings = Settings {
        listen: "127.0.0.1:0".parse().map_err(|_| "address")?,
        data_dir: data_dir.clone(),
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
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    for _ in 0..300 {
        let sequencing = agent
            .get(&format!("http://{address}/readyz"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .is_some_and(|body| body.contains("\"sequencing\":true"));
        if sequencing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dir = data_dir.clone();
    let result =
        tokio::task::spawn_blocking(move || bench(&options, &address, &dir, &database_url, &agent))
            .await
            .map_err(|e| e.to_string())?;
    handle.stop(true).await;
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

fn bench(
    options: &Options,
    address: &str,
    data_dir: &std::path::Path,
    database_url: &str,
    agent: &ureq::Agent,
) -> Result<(), String> {
    let platform = NoteSigner::parse(
        &std::fs::read_to_string(data_dir.join("platform.key")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let platform = platform.signing_key();
    let setup: Vec<String> = {
        let admin = SigningKey::from_bytes(&[1; 32]);
        let mut setup = vec![
            signed(
                "organisation.registered",
                "relief",
                json!({"id": "relief", "name": "赈灾基金会", "kind": "charity"}),
                platform,
            ),
            signed(
                "organisation.registered",
                "hospital",
                json!({"id": "hospital", "name": "县人民医院", "kind": "buyer"}),
                platform,
            ),
            signed(
                "key.registered",
                "relief",
                json!({"organisation": "relief", "public_key": b64(&admin), "role": "organisation_admin"}),
                platform,
            ),
        ];
        for n in 0..64u8 {
            let key = SigningKey::from_bytes(&[n + 2; 32]);
            setup.push(signed("key.registered", "relief", json!({"organisation": "relief", "public_key": b64(&key), "role": "procurement_officer"}), platform));
        }
        setup
    };
    send(address, &setup, 1)?;
    let admin = SigningKey::from_bytes(&[1; 32]);
    let officers: Vec<SigningKey> = (0..64u8)
        .map(|n| SigningKey::from_bytes(&[n + 2; 32]))
        .collect();
    let fund = "quake-relief";
    let end = Timestamp::from_unix(Timestamp::now().unix_seconds() + 86_400 * 365, 0)
        .map_err(|e| e.to_string())?;
    send(
        address,
        &[signed(
            "fund.opened",
            fund,
            json!({
                "charity": "relief", "kind": "campaign",
                "purpose": {"zh": "地震救灾", "en": "Earthquake relief"},
                "target": {"amount": "500000000.00", "currency": "CNY"},
                "start": Timestamp::now().to_string(), "end": end.to_string(),
                "policy": {"officers": [b64(&officers[0])], "approvals": 1},
            }),
            &admin,
        )],
        1,
    )?;
    // The bank feed's machine accounts (an administrator's role: no second factor to
    // enrol), an API token for each connection.
    let mut conn = {
        use diesel::Connection as _;
        diesel::PgConnection::establish(database_url).map_err(|e| e.to_string())?
    };
    let mut tokens = Vec::new();
    for n in 0..options.clients {
        let user = vitrine_server::auth::create_user(
            &mut conn,
            &vitrine_server::auth::NewUser {
                organisation: "relief",
                email: &format!("feed-{n}@relief.example"),
                display_name: "银行到账接口",
                role: "organisation_admin",
                password: "feed feed feed feed",
            },
        )
        .map_err(|e| e.detail.to_string())?;
        let (_, token) = vitrine_server::auth::create_token(&mut conn, user, "bank feed")
            .map_err(|e| e.detail.to_string())?;
        tokens.push(format!("authorization: Bearer {token}\r\n"));
    }
    drop(conn);
    let donations_path = format!("/api/v1/funds/{fund}/donations");
    let received = Timestamp::now().to_string();
    let mut total: i64 = 0;
    let mut rates = Vec::new();
    for round in 0..options.rounds {
        eprintln!(
            "round {}: signing {} statements, then as many donations after sending them...",
            round + 1,
            options.donations
        );
        let statements: Vec<String> = (0..options.donations)
            .map(|n| {
                let hash =
                    vitrine_ledger::hash::sha256(format!("spike-{round}-{n}").as_bytes()).to_hex();
                signed(
                    "document.published",
                    &format!("ocds-spike-{}", n % 1000),
                    json!({"sha256": hash, "title": format!("救灾物资清单 {n}")}),
                    &officers[n % officers.len()],
                )
            })
            .collect();
        let base = format!("http://{address}");
        let before = sequencer_counters(agent, &base)?;
        eprintln!("round {}: sending the statements...", round + 1);
        let logged = send(address, &statements, options.clients)?;
        // Signed after the statements were sent, so that none is older than the log's
        // clock allows (a million statements take minutes to send).
        let donations: Vec<Request<'_>> = (0..options.donations)
            .map(|i| {
                let n = round * options.donations + i;
                // 1.00 to 500.99 CNY, with fen.
                let fen = 100 + (n as i64 * 7_919) % 50_000;
                total += fen;
                let data = json!({"name": format!("捐赠人 {n}"), "phone": format!("138{n:08}")});
                let mut salt = [0u8; 32];
                salt[..8].copy_from_slice(&(n as u64).to_le_bytes());
                let commitment = vitrine_ledger::donor::donor_commitment(&data, &salt)
                    .unwrap_or_else(|e| panic!("commitment: {e}"))
                    .to_hex();
                let statement = signed("donation.recorded", fund, json!({
                    "amount": {"amount": format!("{}.{:02}", fen / 100, fen % 100), "currency": "CNY"},
                    "channel": if n.is_multiple_of(3) { "alipay" } else if n % 3 == 1 { "wechat_pay" } else { "bank_transfer" },
                    "reference": format!("TX{n:09}"), "received_at": received,
                    "donor": commitment, "named": false,
                }), &officers[n % officers.len()]);
                if !options.vault {
                    return Request { path: "/api/v1/statements", body: statement, headers: "" };
                }
                Request {
                    path: &donations_path,
                    body: format!(
                        r#"{{"statement":{statement},"donor":{{"data":{data},"salt":"{}"}}}}"#,
                        vitrine_ledger::hash::hex_encode(&salt)
                    ),
                    headers: &tokens[i % tokens.len()],
                }
            })
            .collect();
        let between = sequencer_counters(agent, &base)?;
        eprintln!("round {}: recording the donations...", round + 1);
        let recorded = spray::send(address, &donations, options.clients, 201);
        recorded.all_answered()?;
        let after = sequencer_counters(agent, &base)?;
        for (what, run, [a0, b0, s0], [a1, b1, s1]) in [
            ("statements", &logged, before, between),
            ("donations", &recorded, between, after),
        ] {
            println!(
                "round {}: {} {what} in {:.2}s from {} clients: {:.0}/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} per batch, {:.2} ms each",
                round + 1,
                run.latencies.len(),
                run.elapsed.as_secs_f64(),
                options.clients,
                run.rate(),
                run.percentile(0.5),
                run.percentile(0.9),
                run.percentile(0.99),
                run.percentile(1.0),
                (a1 - a0) / (b1 - b0).max(1.0),
                (s1 - s0) * 1000.0 / (b1 - b0).max(1.0),
            );
        }
        rates.push((recorded.rate(), logged.rate()));
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let (donations, statements) = (
        median(rates.iter().map(|r| r.0).collect()),
        median(rates.iter().map(|r| r.1).collect()),
    );
    println!(
        "median of {} rounds: donations {donations:.0}/s, statements {statements:.0}/s: {:.2}x",
        rates.len(),
        donations / statements
    );
    if options.disbursements > 0 {
        // About 60 % of what came in, in disbursements of varied sizes.
        let each = (total * 6 / 10 / options.disbursements as i64).max(1);
        let proposals: Vec<String> = (0..options.disbursements)
            .map(|n| {
                let fen = each / 2 + (n as i64 * 104_729) % each.max(1);
                signed("disbursement.proposed", fund, json!({
                    "amount": {"amount": format!("{}.{:02}", fen / 100, fen % 100), "currency": "CNY"},
                    "recipient": {"organisation": "hospital"},
                    "purpose": {"zh": "救灾物资"},
                }), &officers[0])
            })
            .collect();
        let proposed = send(address, &proposals, options.clients)?.elapsed;
        let executions: Vec<String> = (1..=options.disbursements)
            .map(|n| {
                signed(
                    "disbursement.executed",
                    fund,
                    json!({"disbursement": n, "reference": format!("PAY{n:07}")}),
                    &officers[0],
                )
            })
            .collect();
        let executed = send(address, &executions, options.clients)?;
        println!(
            "{} disbursements proposed in {:.2}s, executed in {:.2}s ({:.0}/s; p50 {:.1} ms, p99 {:.1} ms)",
            options.disbursements,
            proposed.as_secs_f64(),
            executed.elapsed.as_secs_f64(),
            executed.rate(),
            executed.percentile(0.5),
            executed.percentile(0.99),
        );
    }
    let base = format!("http://{address}");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = |below: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize + 1
    };
    let traces: Vec<String> = (0..1000)
        .map(|_| {
            format!(
                "/api/v1/funds/{fund}/donations/{}",
                random(options.donations * options.rounds)
            )
        })
        .collect();
    let mut report = vec![("trace a donation", time_gets(agent, &base, &traces)?)];
    if options.disbursements > 0 {
        let sources: Vec<String> = (0..1000)
            .map(|_| {
                format!(
                    "/api/v1/funds/{fund}/disbursements/{}?limit=100",
                    random(options.disbursements)
                )
            })
            .collect();
        report.push((
            "a disbursement's sources",
            time_gets(agent, &base, &sources)?,
        ));
    }
    let repeat = |path: String| vec![path; 200];
    report.push((
        "the fund (JSON)",
        time_gets(agent, &base, &repeat(format!("/api/v1/funds/{fund}")))?,
    ));
    report.push((
        "its ledger by day",
        time_gets(
            agent,
            &base,
            &repeat(format!("/api/v1/funds/{fund}/ledger")),
        )?,
    ));
    if let Ok(page) = time_gets(agent, &base, &repeat(format!("/funds/{fund}"))) {
        report.push(("the fund's page", page));
    }
    for (what, (p50, p95, p99, bytes)) in report {
        println!("{what}: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms ({bytes} bytes)");
    }
    Ok(())
}
