//! Server-side rendering of the pages with a full database (issue 11): the tender list and
//! a tender with 1,000 bids and a long timeline, among 10,000 tenders. Loopback only,
//! bounded in count, stops by itself.
//!
//! ```sh
//! cargo build --release -p vitrine-server --example page_render
//! target/release/examples/page_render --tenders 10000 --bidders 1000 --reveals 200
//! ```
//!
//! It starts the server in-process on a fresh data directory (its own PostgreSQL cluster),
//! removed afterwards. It registers a buyer with its procurement officer's key, whose
//! account uploads the tender document, and publishes `--tenders` ordinary tenders from 64
//! connections (half still taking questions, half taking bids; goods, works and services
//! by turns). Then one more, the big tender, with short periods: `--bidders` suppliers,
//! each with a registered key and an account (API token), commit one sealed bid each from
//! their own token; once the scheduler has moved it to `opening`, the first `--reveals` of
//! them upload their bid's document and reveal their bid (signed by the bid's one-time key
//! and their registered key). The reveal window stays open for an hour, so that nothing
//! moves while the pages are measured.
//!
//! Once the outbox is drained and the server idle, it measures five pages: 200 sequential
//! requests from one connection after 20 warm-up requests (each timed to the last byte of
//! the answer), then 8 connections for 5 s. Every answer must be 200 and HTML naming the
//! tender(s) it should; it exits 1 otherwise.

use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vitrine_ledger::bid::{Bid, Salt};
use vitrine_ledger::hash::sha256;
use vitrine_ledger::note::NoteSigner;
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;
use vitrine_server::config::Settings;

#[path = "common/statements.rs"]
mod statements;
use statements::{at, b64, key, sign};

/// The big tender's ocid.
const BIG: &str = "ocds-pgbnch-big";
/// Its title (in Chinese, the language a reader without preferences gets).
const BIG_TITLE: &str = "福州市政务云服务器采购（一千家投标）";
/// In every ordinary tender's title.
const ORDINARY_MARK: &str = "办公设备采购项目";
/// The tender document every tender names.
const TENDER_DOCUMENT: &str = "招标文件：办公设备与政务云服务器采购（页面基准）";
/// Connections that seed.
const SEEDERS: usize = 64;
/// Sequential requests timed per page, after the warm-up ones.
const SEQUENTIAL: usize = 200;
const WARM_UP: usize = 20;
/// Connections, and seconds, of the concurrent measurement.
const CONCURRENT: usize = 8;
const CONCURRENT_SECONDS: u64 = 5;

struct Options {
    tenders: usize,
    bidders: usize,
    reveals: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        tenders: 10_000,
        bidders: 1000,
        reveals: 200,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|_| format!("{flag}: a number"))?;
        match flag.as_str() {
            "--tenders" => options.tenders = value.clamp(2, 100_000),
            "--bidders" => options.bidders = value.clamp(1, 2000),
            "--reveals" => options.reveals = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    options.reveals = options.reveals.min(options.bidders);
    Ok(options)
}

/// An answer, read whole.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A keep-alive HTTP/1.1 client that keeps the answer's body (the pages are checked, and
/// a refusal's detail is shown), reading `content-length` and chunked bodies.
struct Http {
    stream: std::net::TcpStream,
    host: String,
    buffer: Vec<u8>,
}

impl Http {
    fn connect(address: &str) -> Result<Http, String> {
        let stream = std::net::TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        Ok(Http {
            stream,
            host: address.to_owned(),
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    fn fill(&mut self) -> Result<(), String> {
        use std::io::Read as _;
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Sends one request (extra header lines each end in `\r\n`) and reads the whole answer.
    fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<Answer, String> {
        use std::io::Write as _;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n{headers}\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.stream.write_all(&request).map_err(|e| e.to_string())?;
        let end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n", 0) {
                break end;
            }
            self.fill()?;
        };
        let head = std::str::from_utf8(&self.buffer[..end])
            .map_err(|e| e.to_string())?
            .to_owned();
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or("a malformed status line")?;
        let header = |wanted: &str| {
            head.lines().skip(1).find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case(wanted)
                    .then(|| value.trim().to_owned())
            })
        };
        let content_type = header("content-type").unwrap_or_default();
        let start = end + 4;
        let (body, consumed) =
            if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
                let mut body = Vec::new();
                let mut at = start;
                loop {
                    let line_end = loop {
                        if let Some(e) = find(&self.buffer, b"\r\n", at) {
                            break e;
                        }
                        self.fill()?;
                    };
                    let size_text = std::str::from_utf8(&self.buffer[at..line_end])
                        .map_err(|e| e.to_string())?;
                    let size =
                        usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                            .map_err(|_| "a malformed chunk size")?;
                    at = line_end + 2;
                    while self.buffer.len() < at + size + 2 {
                        self.fill()?;
                    }
                    body.extend_from_slice(&self.buffer[at..at + size]);
                    at += size + 2;
                    if size == 0 {
                        break (body, at);
                    }
                }
            } else {
                let length: usize = header("content-length")
                    .and_then(|v| v.parse().ok())
                    .ok_or("an answer without content-length")?;
                while self.buffer.len() < start + length {
                    self.fill()?;
                }
                (self.buffer[start..start + length].to_vec(), start + length)
            };
        self.buffer.drain(..consumed);
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }

    fn get(&mut self, path: &str) -> Result<Answer, String> {
        self.request("GET", path, "", b"")
    }

    /// Posts a statement (with an API token, if given), again while the server asks to
    /// wait (429, 503); an error unless it is logged (201).
    fn statement(&mut self, body: &str, token: Option<&str>) -> Result<(), String> {
        let mut headers = "content-type: application/json\r\n".to_owned();
        if let Some(token) = token {
            headers.push_str(&format!("authorization: Bearer {token}\r\n"));
        }
        for _ in 0..100 {
            let answer = self.request("POST", "/api/v1/statements", &headers, body.as_bytes())?;
            match answer.status {
                201 => return Ok(()),
                429 | 503 => std::thread::sleep(Duration::from_millis(100)),
                status => {
                    let kind = serde_json::from_str::<Value>(body).unwrap_or(Value::Null)
                        ["statement"]["kind"]
                        .clone();
                    return Err(format!(
                        "HTTP {status} for a {kind} statement: {}",
                        answer.text()
                    ));
                }
            }
        }
        Err("the server kept asking to wait".into())
    }

    /// Uploads a document with an API token; an error unless it is stored (201, or 200
    /// if this organisation had uploaded it already).
    fn upload(&mut self, token: &str, content: &[u8]) -> Result<(), String> {
        let headers =
            format!("authorization: Bearer {token}\r\ncontent-type: text/plain; charset=utf-8\r\n");
        let answer = self.request("POST", "/api/v1/documents", &headers, content)?;
        match answer.status {
            200 | 201 => Ok(()),
            status => Err(format!("upload: HTTP {status}: {}", answer.text())),
        }
    }

    /// A tender's status, from the API.
    fn status(&mut self, id: &str) -> Result<String, String> {
        let answer = self.get(&format!("/api/v1/tenders/{id}"))?;
        if answer.status != 200 {
            return Err(format!("tender {id}: HTTP {}", answer.status));
        }
        Ok(answer.json()["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Waits (at most `limit`) for the scheduler to bring the tender to `wanted`.
    fn wait_status(&mut self, id: &str, wanted: &str, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            let status = self.status(id)?;
            if status == wanted {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "tender {id} did not become {wanted}; it is {status}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Runs `work(state, i)` for every `i` below `count` from `threads` threads, each with
/// its own `state` (a connection); the first error stops them all.
fn in_parallel<S>(
    count: usize,
    threads: usize,
    state: impl Fn() -> Result<S, String> + Sync,
    work: impl Fn(&mut S, usize) -> Result<(), String> + Sync,
) -> Result<(), String> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(count).max(1) {
            scope.spawn(|| {
                let result = state().and_then(|mut s| {
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        work(&mut s, i)?;
                    }
                    Ok(())
                });
                if let Err(e) = result {
                    failed.store(true, Ordering::Relaxed);
                    first_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(e);
                }
            });
        }
    });
    match first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// An ordinary tender's ocid and title.
fn ordinary(t: usize) -> (String, String) {
    (
        format!("ocds-pgbnch-{t:06}"),
        format!("{ORDINARY_MARK}（编号 {t:06}）"),
    )
}

const CATEGORIES: [&str; 3] = ["goods", "works", "services"];
const REGIONS: [&str; 4] = ["CN-FJ", "CN-BJ", "CN-SH", "CN-GD"];

/// An ordinary tender's body: even ones take bids already (their enquiry period is
/// over when published), odd ones questions for a month; all close in 40 days and more.
fn ordinary_body(t: usize, document: &str) -> Value {
    let (id, title) = ordinary(t);
    let amount = format!("{}.00", 50_000 + (t * 7919) % 9_000_000);
    let enquiry_end = if t.is_multiple_of(2) {
        at(0.0)
    } else {
        at(30.0 * 86_400.0)
    };
    let tender_end = 40.0 * 86_400.0 + t as f64 * 60.0;
    json!({
        "id": id, "buyer": "buyer",
        "title": {"zh": title, "en": format!("Office equipment, number {t:06}")},
        "description": {"zh": "采购台式计算机、打印机及三年维保服务。", "en": "Desktop computers, printers and three years of maintenance."},
        "category": CATEGORIES[t % 3], "region": REGIONS[t % 4], "procedure": "open",
        "value": {"amount": amount, "currency": "CNY"},
        "lots": [{"id": "lot-1", "title": {"zh": "办公设备"}, "value": {"amount": amount, "currency": "CNY"}}],
        "documents": [{"sha256": document, "title": "招标文件"}],
        "enquiry_end": enquiry_end.to_string(),
        "tender_end": at(tender_end).to_string(),
        "reveal_end": at(tender_end + 7.0 * 86_400.0).to_string(),
        "standstill_seconds": 0, "amendment_notice_seconds": 0, "award_criteria": "lowest_price",
    })
}

/// Supplier `n`'s bid on the big tender, its salt and its document.
fn big_bid(n: usize) -> Result<(Bid, Salt, Vec<u8>), String> {
    let document = format!("技术方案与报价明细：sup-{n}").into_bytes();
    let bid = Bid::from_value(json!({
        "tender": BIG, "lots": ["lot-1"], "bidder": format!("sup-{n}"),
        "price": {"amount": format!("{}.00", 900_000 + n * 37), "currency": "CNY"},
        "documents": [{"sha256": sha256(&document).to_hex(), "title": "投标文件"}],
    }))
    .map_err(|e| e.to_string())?;
    let mut salt = [0x5a; 32];
    salt[..4].copy_from_slice(&(n as u32).to_be_bytes());
    Ok((bid, Salt(salt), document))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let options = options()?;
    let data_dir = std::env::temp_dir().join(format!("vitrine-pages-{}", std::process::id()));
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
    let dir = data_dir.clone();
    let result =
        tokio::task::spawn_blocking(move || bench(&options, &address, &dir, &database_url))
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
) -> Result<(), String> {
    use diesel::Connection as _;
    let connect = || diesel::PgConnection::establish(database_url).map_err(|e| e.to_string());
    let platform = NoteSigner::parse(
        &std::fs::read_to_string(data_dir.join("platform.key")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let platform = platform.signing_key();
    let mut client = Http::connect(address)?;
    let mut conn = connect()?;
    let total = Instant::now();

    // The buyer, its officer's key, and the officer's account, which uploads the document.
    let officer = key(0, 1);
    client.statement(
        &sign(
            "organisation.registered",
            "buyer",
            json!({"id": "buyer", "name": "福州市政府采购中心", "kind": "buyer"}),
            &[platform],
        ),
        None,
    )?;
    client.statement(
        &sign(
            "key.registered",
            "buyer",
            json!({"organisation": "buyer", "public_key": b64(&officer), "role": "procurement_officer"}),
            &[platform],
        ),
        None,
    )?;
    let clerk = vitrine_server::auth::create_user(
        &mut conn,
        &vitrine_server::auth::NewUser {
            organisation: "buyer",
            email: "clerk@buyer.example",
            display_name: "采购经办人",
            role: "procurement_officer",
            password: "pages pages pages pages",
        },
    )
    .map_err(|e| e.detail)?;
    let (_, clerk) =
        vitrine_server::auth::create_token(&mut conn, clerk, "pages").map_err(|e| e.detail)?;
    client.upload(&clerk, TENDER_DOCUMENT.as_bytes())?;
    let document = sha256(TENDER_DOCUMENT.as_bytes()).to_hex();

    // Suppliers: keys on the log, accounts (argon2id: the slow part) and API tokens.
    eprintln!("registering {} suppliers with accounts...", options.bidders);
    let started = Instant::now();
    let tokens: Mutex<Vec<Option<String>>> = Mutex::new(vec![None; options.bidders]);
    in_parallel(
        options.bidders,
        4,
        || Ok((Http::connect(address)?, connect()?)),
        |(client, conn), n| {
            let id = format!("sup-{n}");
            client.statement(
                &sign(
                    "organisation.registered",
                    &id,
                    json!({"id": id, "name": format!("供应商 {n}"), "kind": "supplier", "credit_code": statements::credit_code("350200", n)}),
                    &[platform],
                ),
                None,
            )?;
            client.statement(
                &sign(
                    "key.registered",
                    &id,
                    json!({"organisation": id, "public_key": b64(&key(n as u32, 2)), "role": "bidder_representative"}),
                    &[platform],
                ),
                None,
            )?;
            let user = vitrine_server::auth::create_user(
                conn,
                &vitrine_server::auth::NewUser {
                    organisation: &id,
                    email: &format!("rep@{id}.example"),
                    display_name: "投标代表",
                    role: "bidder_representative",
                    password: "pages pages pages pages",
                },
            )
            .map_err(|e| e.detail)?;
            let (_, token) =
                vitrine_server::auth::create_token(conn, user, "pages").map_err(|e| e.detail)?;
            tokens.lock().unwrap_or_else(|e| e.into_inner())[n] = Some(token);
            Ok(())
        },
    )?;
    let tokens: Vec<String> = tokens
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .collect::<Option<_>>()
        .ok_or("a supplier has no token")?;
    let suppliers_seconds = started.elapsed().as_secs_f64();
    eprintln!("  {suppliers_seconds:.1}s");

    // The ordinary tenders.
    eprintln!(
        "publishing {} tenders from {SEEDERS} connections...",
        options.tenders
    );
    let started = Instant::now();
    in_parallel(
        options.tenders,
        SEEDERS,
        || Http::connect(address),
        |client, t| {
            let (id, _) = ordinary(t);
            let body = ordinary_body(t, &document);
            client.statement(&sign("tender.published", &id, body, &[&officer]), None)
        },
    )?;
    let tenders_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "  {tenders_seconds:.1}s ({:.0} tenders/s)",
        options.tenders as f64 / tenders_seconds
    );

    // The big tender: questions for 3 s, then bids until its deadline, then an hour to
    // reveal them.
    let bid_seconds = 3.0 + 20.0 + options.bidders as f64 * 0.04;
    let tender_end = at(bid_seconds);
    let big = json!({
        "id": BIG, "buyer": "buyer",
        "title": {"zh": BIG_TITLE, "en": "Fuzhou e-government cloud servers (a thousand bidders)"},
        "description": {"zh": "采购服务器 40 台及三年维保。"},
        "category": "goods", "region": "CN-FJ", "procedure": "open",
        "value": {"amount": "1200000.00", "currency": "CNY"},
        "lots": [{"id": "lot-1", "title": {"zh": "服务器"}, "value": {"amount": "1200000.00", "currency": "CNY"}}],
        "documents": [{"sha256": document, "title": "招标文件"}],
        "enquiry_end": at(3.0).to_string(),
        "tender_end": tender_end.to_string(),
        "reveal_end": at(bid_seconds + 3600.0).to_string(),
        "standstill_seconds": 0, "amendment_notice_seconds": 0, "award_criteria": "lowest_price",
    });
    // A fresh connection: the first one has been idle longer than the server keeps it.
    let mut client = Http::connect(address)?;
    client.statement(&sign("tender.published", BIG, big, &[&officer]), None)?;
    eprintln!(
        "the big tender takes bids for {bid_seconds:.0}s; {} suppliers commit...",
        options.bidders
    );
    client.wait_status(BIG, "active.tendering", Duration::from_secs(30))?;
    let started = Instant::now();
    in_parallel(
        options.bidders,
        SEEDERS,
        || Http::connect(address),
        |client, n| {
            let (bid, salt, _) = big_bid(n)?;
            let commitment = bid.commitment(&salt).to_hex();
            let body = sign(
                "bid.committed",
                BIG,
                json!({"commitment": commitment}),
                &[&key(n as u32, 3)],
            );
            client.statement(&body, Some(&tokens[n]))
        },
    )?;
    let commits_seconds = started.elapsed().as_secs_f64();
    if Timestamp::now() >= tender_end {
        return Err("the commits ran past the big tender's deadline".into());
    }
    eprintln!("  {commits_seconds:.1}s; waiting for the deadline and the opening...");
    client.wait_status(BIG, "opening", Duration::from_secs_f64(bid_seconds + 60.0))?;
    eprintln!("{} suppliers reveal...", options.reveals);
    let started = Instant::now();
    in_parallel(
        options.reveals,
        16,
        || Http::connect(address),
        |client, n| {
            let (bid, salt, content) = big_bid(n)?;
            client.upload(&tokens[n], &content)?;
            let commitment = bid.commitment(&salt).to_hex();
            let body = sign(
                "bid.revealed",
                BIG,
                json!({"commitment": commitment, "bid": bid.to_value(), "salt": salt.to_hex()}),
                &[&key(n as u32, 3), &key(n as u32, 2)],
            );
            client.statement(&body, None)
        },
    )?;
    let reveals_seconds = started.elapsed().as_secs_f64();
    eprintln!("  {reveals_seconds:.1}s");
    let seeding_seconds = total.elapsed().as_secs_f64();

    // Idle: the outbox consumers caught up, then a moment for the rest to settle.
    let started = Instant::now();
    loop {
        let consumers =
            vitrine_server::db::outbox::consumers(&mut conn).map_err(|e| e.to_string())?;
        if consumers.iter().all(|c| c.pending == 0) || started.elapsed() > Duration::from_secs(300)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let drain_seconds = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let about_big =
        vitrine_server::db::log::count_about(&mut conn, BIG).map_err(|e| e.to_string())?;
    let log_size = vitrine_server::db::log::recent_entries(&mut conn, None, 1)
        .map_err(|e| e.to_string())?
        .first()
        .map_or(0, |e| e.index + 1);

    println!(
        "seeded: {} tenders + the big one, {} suppliers with accounts, {} sealed bids, {} revealed; {} log entries",
        options.tenders, options.bidders, options.bidders, options.reveals, log_size
    );
    println!(
        "seeding took {seeding_seconds:.1}s: suppliers {suppliers_seconds:.1}s, tenders {tenders_seconds:.1}s ({:.0}/s from {SEEDERS} connections), commits {commits_seconds:.1}s, waiting for the deadline, reveals {reveals_seconds:.1}s; then {drain_seconds:.1}s for the outbox to drain",
        options.tenders as f64 / tenders_seconds
    );
    // The home page's and the big tender's queries, each alone (the median of 50), to
    // tell the database's share of a page from the rest.
    {
        use vitrine_server::db::{self, tenders};
        let awarded = tenders::recently_awarded(&mut conn, 6).unwrap_or_default();
        let mut time = |what: &str, run: &mut dyn FnMut(&mut diesel::PgConnection) -> usize| {
            let mut spans: Vec<Duration> = (0..50)
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(run(&mut conn));
                    started.elapsed()
                })
                .collect();
            spans.sort_unstable();
            println!(
                "  {what}: {:.2} ms (median of 50)",
                spans[25].as_secs_f64() * 1000.0
            );
        };
        println!("queries alone:");
        time("closing_soonest(10)", &mut |c| {
            tenders::closing_soonest(c, 10).map_or(0, |r| r.len())
        });
        time("recently_awarded(6)", &mut |c| {
            tenders::recently_awarded(c, 6).map_or(0, |r| r.len())
        });
        time("award_lines(6)", &mut |c| {
            tenders::award_lines(c, &awarded).map_or(0, |r| r.len())
        });
        time("list(50)", &mut |c| {
            tenders::list(c, &tenders::Filter::default(), 50).map_or(0, |r| r.len())
        });
        time("load_tender(the big one)", &mut |c| {
            db::load_tender(c, BIG).map_or(0, |t| t.map_or(0, |t| t.bids.len()))
        });
    }
    println!(
        "load average before measuring: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    // The pages, and what each must contain.
    let (ordinary_id, ordinary_title) = ordinary(options.tenders / 2);
    let pages: Vec<(String, String)> = vec![
        ("/".into(), ORDINARY_MARK.into()),
        ("/tenders".into(), BIG_TITLE.into()),
        (
            "/tenders?status=active.tendering&category=goods".into(),
            ORDINARY_MARK.into(),
        ),
        (format!("/tenders/{BIG}"), BIG_TITLE.into()),
        // Its last page of bids.
        (format!("/tenders/{BIG}?bids=10"), BIG_TITLE.into()),
        (format!("/tenders/{ordinary_id}"), ordinary_title),
    ];
    let failures = AtomicUsize::new(0);
    let first_failure = Mutex::new(None::<String>);
    let fetch = |client: &mut Option<Http>, path: &str, mark: &str| -> (Duration, usize) {
        let clock = Instant::now();
        let answer = match client.as_mut() {
            Some(c) => Ok(c),
            None => Http::connect(address).map(|c| client.insert(c)),
        }
        .and_then(|c| c.get(path));
        let elapsed = clock.elapsed();
        let problem = match &answer {
            Err(e) => {
                *client = None;
                Some(format!("GET {path}: {e}"))
            }
            Ok(a) if a.status != 200 => Some(format!("GET {path}: HTTP {}", a.status)),
            Ok(a) if !a.content_type.starts_with("text/html") => {
                Some(format!("GET {path}: {}", a.content_type))
            }
            Ok(a) => {
                let text = a.text();
                (!text.starts_with("<!doctype html") || !text.contains(mark))
                    .then(|| format!("GET {path}: not a page naming {mark}"))
            }
        };
        if let Some(problem) = problem {
            failures.fetch_add(1, Ordering::Relaxed);
            first_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(problem);
        }
        (elapsed, answer.map_or(0, |a| a.body.len()))
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |v: &[Duration], p: f64| {
        v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
            .map_or(0.0, |d| ms(*d))
    };
    let mut rows = Vec::new();
    for (path, mark) in &pages {
        let mut client = None;
        for _ in 0..WARM_UP {
            fetch(&mut client, path, mark);
        }
        let mut sequential = Vec::with_capacity(SEQUENTIAL);
        let mut bytes = (usize::MAX, 0);
        for _ in 0..SEQUENTIAL {
            let (elapsed, size) = fetch(&mut client, path, mark);
            sequential.push(elapsed);
            bytes = (bytes.0.min(size), bytes.1.max(size));
        }
        sequential.sort_unstable();
        drop(client);
        let concurrent = Mutex::new(Vec::new());
        let started = Instant::now();
        let until = started + Duration::from_secs(CONCURRENT_SECONDS);
        std::thread::scope(|scope| {
            for _ in 0..CONCURRENT {
                scope.spawn(|| {
                    let mut client = None;
                    let mut local = Vec::new();
                    while Instant::now() < until {
                        local.push(fetch(&mut client, path, mark).0);
                    }
                    concurrent
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(local);
                });
            }
        });
        let elapsed = started.elapsed().as_secs_f64();
        let mut concurrent = concurrent.into_inner().unwrap_or_default();
        concurrent.sort_unstable();
        rows.push(format!(
            "| `GET {path}` | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} |",
            if bytes.0 == bytes.1 {
                format!("{}", bytes.1)
            } else {
                format!("{}–{}", bytes.0, bytes.1)
            },
            pct(&sequential, 0.5),
            pct(&sequential, 0.95),
            pct(&sequential, 0.99),
            pct(&sequential, 1.0),
            concurrent.len() as f64 / elapsed,
            pct(&concurrent, 0.95),
            pct(&concurrent, 0.99),
        ));
        eprintln!("  measured {path}");
    }

    // What the big tender's page shows.
    let big_page = Http::connect(address)?.get(&format!("/tenders/{BIG}"))?;
    let text = big_page.text();
    let timeline_shown = text.matches("data-verify-index=").count();
    let bid_rows = text.matches("<tr><td><code class=\"hash\"").count();
    println!(
        "the big tender's page: {bid_rows} bids in its table ({} revealed), {timeline_shown} timeline entries shown of {about_big} on the log about it",
        options.reveals
    );
    println!(
        "\n{SEQUENTIAL} sequential requests on one connection after {WARM_UP} warm-up ones, then {CONCURRENT} connections for {CONCURRENT_SECONDS}s; times in ms, to the last byte\n"
    );
    println!(
        "| page | bytes | p50 | p95 | p99 | max | ×{CONCURRENT} req/s | ×{CONCURRENT} p95 | ×{CONCURRENT} p99 |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        println!("{row}");
    }
    let failures = failures.into_inner();
    if failures > 0 {
        return Err(format!(
            "{failures} answers were not a 200 page naming what they should; the first: {}",
            first_failure
                .into_inner()
                .unwrap_or_default()
                .unwrap_or_default()
        ));
    }
    println!("\nevery answer was 200 and a page naming its tender(s)");
    Ok(())
}
