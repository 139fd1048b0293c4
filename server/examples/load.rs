//! A load generator for `POST /api/v1/statements`, on loopback only, bounded in count.
//!
//! ```sh
//! cargo run --release -p vitrine-server --example load -- \
//!     --url http://127.0.0.1:8080 --platform-key vitrine-data/platform.key \
//!     --clients 64 --requests 20000
//! ```
//!
//! It registers an organisation and 64 keys with the platform key, signs every statement
//! before the clock starts (so the client's signing is not measured), then sends them from
//! `--clients` concurrent connections and reports appends per second and latency
//! percentiles. Every answer must be 201 with a receipt.

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::time::Duration;
use vitrine_ledger::note::NoteSigner;

#[path = "common/raw_client.rs"]
mod raw_client;
#[path = "common/spray.rs"]
mod spray;
#[path = "common/statements.rs"]
mod statements;

use spray::Request;

/// A statement signed by one key.
fn signed(kind: &str, subject: &str, body: Value, key: &SigningKey) -> String {
    statements::sign(kind, subject, body, &[key])
}

struct Options {
    url: String,
    platform_key: String,
    clients: usize,
    requests: usize,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        url: "http://127.0.0.1:8080".into(),
        platform_key: "vitrine-data/platform.key".into(),
        clients: 64,
        requests: 20_000,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => options.url = value,
            "--platform-key" => options.platform_key = value,
            "--clients" => options.clients = value.parse().map_err(|_| "--clients: a number")?,
            "--requests" => options.requests = value.parse().map_err(|_| "--requests: a number")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    let host = options.url.trim_start_matches("http://");
    if !(host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")) {
        return Err("the load generator only targets loopback addresses".into());
    }
    options.requests = options.requests.min(1_000_000);
    Ok(options)
}

fn post(agent: &ureq::Agent, url: &str, body: &str) -> Result<u16, String> {
    let mut response = agent
        .post(url)
        .header("content-type", "application/json")
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let _ = response.body_mut().read_to_vec();
    Ok(status)
}

fn main() -> Result<(), String> {
    let options = options()?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let url = format!("{}/api/v1/statements", options.url.trim_end_matches('/'));
    let platform = NoteSigner::parse(
        &std::fs::read_to_string(&options.platform_key)
            .map_err(|e| format!("{}: {e}", options.platform_key))?,
    )
    .map_err(|e| e.to_string())?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    let run = vitrine_ledger::hash::hex_encode(&seed[..4]);
    let organisation = format!("load-{run}");
    let status = post(
        &agent,
        &url,
        &signed(
            "organisation.registered",
            &organisation,
            json!({"id": organisation, "name": "Load test", "kind": "buyer"}),
            platform.signing_key(),
        ),
    )?;
    if status != 201 {
        return Err(format!("registering the organisation: HTTP {status}"));
    }
    let keys: Vec<SigningKey> = (0..64u8)
        .map(|i| {
            let mut bytes = seed;
            bytes[31] = i;
            SigningKey::from_bytes(&bytes)
        })
        .collect();
    for key in &keys {
        use base64::Engine as _;
        let public =
            base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes());
        let status = post(
            &agent,
            &url,
            &signed(
                "key.registered",
                &organisation,
                json!({"organisation": organisation, "public_key": public, "role": "procurement_officer"}),
                platform.signing_key(),
            ),
        )?;
        if status != 201 {
            return Err(format!("registering a key: HTTP {status}"));
        }
    }
    eprintln!("signing {} statements...", options.requests);
    let bodies: Vec<String> = (0..options.requests)
        .map(|n| {
            let hash = vitrine_ledger::hash::sha256(format!("{run}-{n}").as_bytes()).to_hex();
            signed(
                "document.published",
                &format!("ocds-load-{run}-{}", n % 1000),
                json!({"sha256": hash, "title": format!("招标文件 {n}")}),
                &keys[n % keys.len()],
            )
        })
        .collect();
    eprintln!("sending from {} clients...", options.clients);
    let address = options
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let requests: Vec<Request<'_>> = bodies
        .into_iter()
        .map(|body| Request {
            path: "/api/v1/statements",
            body,
            headers: "",
        })
        .collect();
    let run = spray::send(&address, &requests, options.clients, 201);
    println!(
        "{} appends in {:.2}s from {} clients: {:.0}/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} failed",
        run.latencies.len(),
        run.elapsed.as_secs_f64(),
        options.clients,
        run.rate(),
        run.percentile(0.50),
        run.percentile(0.90),
        run.percentile(0.99),
        run.percentile(1.0),
        run.failures.len()
    );
    run.all_answered()?;
    Ok(())
}
