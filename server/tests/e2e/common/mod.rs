//! Helpers shared by the server's end-to-end tests: the test PostgreSQL, fresh databases,
//! signed statements.

pub mod app;
pub mod browser;

use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::Duration;
use vitrine_ledger::statement::{SignedStatement, Statement};
use vitrine_ledger::time::Timestamp;

/// The admin connection string of the test PostgreSQL, with `{db}` for the database name.
pub fn postgres() -> &'static (String, String) {
    static SERVER: OnceLock<(String, String)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (admin, pattern) = match std::env::var("VITRINE_TEST_DATABASE_URL") {
            Ok(url) => {
                // A URL like postgres://user@host:port/postgres: swap the database name.
                let base = url.rsplit_once('/').map_or(url.clone(), |(b, _)| b.to_owned());
                (url.clone(), format!("{base}/{{db}}"))
            }
            Err(_) => {
                let dir = std::env::temp_dir().join("vitrine-test-postgres");
                let cluster = vitrine_server::db::cluster::PrivateCluster::start(&dir, None).unwrap();
                let admin = cluster.url("postgres");
                let pattern = cluster.url("{db}");
                // Keep it running for the other tests and the next run.
                std::mem::forget(cluster);
                (admin, pattern)
            }
        };
        let mut conn = PgConnection::establish(&admin).unwrap();
        // Each test process has its own template and databases, named after its process id,
        // so that test runs sharing the cluster (two checkouts, say) leave each other alone.
        // Those of processes that are gone are dropped.
        let old: Vec<String> = diesel::sql_query(
            "SELECT datname AS name FROM pg_database WHERE datname LIKE 'vitrine_test_%' OR datname LIKE 'vitrine_template%'",
        )
        .load::<Name>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .filter(|name| owner(name).is_none_or(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()))
        .collect();
        for name in old {
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .unwrap();
        }
        diesel::sql_query(format!("CREATE DATABASE {}", template()))
            .execute(&mut conn)
            .unwrap();
        vitrine_server::migrate(&pattern.replace("{db}", &template())).unwrap();
        (admin, pattern)
    })
}

/// This process's template database.
fn template() -> String {
    format!("vitrine_template_{}", std::process::id())
}

/// The process id a test database or template is named after.
fn owner(name: &str) -> Option<u32> {
    name.strip_prefix("vitrine_template_")
        .or_else(|| name.strip_prefix("vitrine_test_"))
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse().ok())
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
}

/// A fresh database copied from the migrated template.
pub fn fresh_database() -> String {
    let (admin, pattern) = postgres();
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let name = format!(
        "vitrine_test_{}_{}",
        std::process::id(),
        vitrine_ledger::hash::hex_encode(&bytes)
    );
    let mut conn = PgConnection::establish(admin).unwrap();
    // Copying a template needs it to have no other connection: retry briefly.
    for attempt in 0.. {
        match diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {}", template()))
            .execute(&mut conn)
        {
            Ok(_) => break,
            Err(e) if attempt < 50 => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("creating {name}: {e}"),
        }
    }
    pattern.replace("{db}", &name)
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "vitrine-{name}-{}",
        vitrine_ledger::hash::hex_encode(&bytes)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn signed(kind: &str, subject: &str, body: Value, keys: &[&SigningKey]) -> Value {
    let statement = Statement::from_value(json!({
        "kind": kind,
        "subject": subject,
        "issued_at": Timestamp::now().to_string(),
        "body": body,
    }))
    .unwrap();
    signed_by(statement, keys)
}

/// A statement signed by `keys`, in order.
pub fn signed_by(statement: Statement, keys: &[&SigningKey]) -> Value {
    let mut signed = SignedStatement::new(statement);
    for key in keys {
        signed.sign(key);
    }
    signed.to_value()
}

pub fn document(n: u64) -> Value {
    json!({"sha256": vitrine_ledger::hash::sha256(&n.to_le_bytes()).to_hex(), "title": format!("招标文件 {n}")})
}

/// Verifies the whole log served at `base` (`http://host:port`) over HTTP, as
/// `vitrine verify http://host:port/log` does; panics with the failure.
pub fn verify_over_http(
    base: &str,
    policy: &vitrine_ledger::checkpoint::CheckpointPolicy,
) -> vitrine_ledger::verify::LogReport {
    let source = vitrine_cli::source::HttpSource::new(&format!("{base}/log"));
    vitrine_ledger::verify::verify_log(
        &source,
        &vitrine_ledger::verify::Verification {
            policy,
            since: None,
            threads: 4,
            batch: true,
            progress: None,
        },
    )
    .unwrap()
}

/// Checks a `GET /api/v1/proofs/consistency` answer: the proof leads from the older tree
/// to the newer one.
pub fn check_consistency(
    answer: &Value,
    old: &vitrine_ledger::checkpoint::Checkpoint,
    size: u64,
    root: &vitrine_ledger::hash::Hash,
) {
    let hashes: Vec<vitrine_ledger::hash::Hash> = answer["consistency_proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| vitrine_ledger::hash::Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect();
    vitrine_ledger::merkle::verify_consistency(old.size, size, &hashes, &old.root, root).unwrap();
}

/// An HTTP client that answers every status and gives up after 20 seconds.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// Waits up to 30 s until the server at `base` sequences the log; whether it did.
pub fn wait_until_sequencing(base: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Ok(mut r) = agent().get(&format!("{base}/readyz")).call()
            && r.body_mut()
                .read_to_string()
                .unwrap_or_default()
                .contains("\"sequencing\":true")
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Decodes RFC 4648 base32 (upper case, no padding), as authenticator apps read secrets.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// Checks `value` against a JSON Schema of the OpenAPI document `root`: `$ref`, `type`,
/// `enum`, `required`, `properties`, `additionalProperties`, `items`, the size bounds and
/// integer bounds. (`pattern` and `format` are left to the server, which checks them.)
pub fn conforms(root: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = root
            .pointer(reference.trim_start_matches('#'))
            .ok_or_else(|| format!("{at}: no schema {reference}"))?;
        return conforms(root, target, value, at);
    }
    let type_name = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if let Some(wanted) = schema["type"].as_str()
        && wanted != type_name
    {
        return Err(format!("{at}: a {type_name}, not a {wanted}"));
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    let bound = |key: &str| schema[key].as_u64().map(|b| b as usize);
    let too = |n: usize, min: &str, max: &str| {
        bound(min).is_some_and(|m| n < m) || bound(max).is_some_and(|m| n > m)
    };
    match value {
        Value::String(s) if too(s.chars().count(), "minLength", "maxLength") => {
            return Err(format!(
                "{at}: {} characters is out of bounds",
                s.chars().count()
            ));
        }
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or_default();
            if schema["minimum"].as_f64().is_some_and(|m| n < m)
                || schema["maximum"].as_f64().is_some_and(|m| n > m)
            {
                return Err(format!("{at}: {n} is out of bounds"));
            }
        }
        Value::Array(items) => {
            if too(items.len(), "minItems", "maxItems") {
                return Err(format!("{at}: {} items is out of bounds", items.len()));
            }
            if schema["items"].is_object() {
                for (i, item) in items.iter().enumerate() {
                    conforms(root, &schema["items"], item, &format!("{at}[{i}]"))?;
                }
            }
        }
        Value::Object(members) => {
            if too(members.len(), "minProperties", "maxProperties") {
                return Err(format!("{at}: {} members is out of bounds", members.len()));
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !members.contains_key(name) {
                    return Err(format!("{at}: {name} is required"));
                }
            }
            for (name, member) in members {
                let at = format!("{at}.{name}");
                match schema["properties"].get(name) {
                    Some(property) => conforms(root, property, member, &at)?,
                    None => match &schema["additionalProperties"] {
                        Value::Bool(false) => return Err(format!("{at} is not allowed")),
                        extra @ Value::Object(_) => conforms(root, extra, member, &at)?,
                        _ => {}
                    },
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks a signed statement's body against the OpenAPI document's schema for its kind.
pub fn conforms_to_openapi(signed: &Value) {
    let spec = vitrine_server::routes::openapi::spec();
    let kind = signed["statement"]["kind"].as_str().unwrap_or_default();
    let schema = &spec["components"]["schemas"][kind];
    assert!(
        schema.is_object(),
        "the OpenAPI document has no body schema for {kind}"
    );
    if let Err(e) = conforms(&spec, schema, &signed["statement"]["body"], "body") {
        panic!("a {kind} the server accepted does not match its OpenAPI schema: {e}");
    }
}
