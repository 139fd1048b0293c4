//! Logging: JSON lines in production, one per refused or failed request, each carrying the
//! request id the answer echoes; no query string or body reaches the log.

use crate::common::{agent, free_port, fresh_database, temp_dir};
use serde_json::Value;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn json_logs_carry_the_request_id_and_no_secrets() {
    let database_url = fresh_database();
    let data_dir = temp_dir("logging");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_vitrine-server"))
        .env("VITRINE_DATABASE_URL", &database_url)
        .env("VITRINE_DATA_DIR", &data_dir)
        .env("VITRINE_LISTEN", format!("127.0.0.1:{port}"))
        .env("VITRINE_LOG", "info")
        .env("VITRINE_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while agent().get(&format!("{base}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The caller's id is echoed and logged; a new one is made when there is none.
    let answer = agent()
        .get(&format!("{base}/no/such/page?token=hunter2"))
        .header("x-request-id", "trace-42")
        .call()
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(answer.headers()["x-request-id"], "trace-42");
    let answer = agent()
        .post(&format!("{base}/api/v1/statements"))
        .header("content-type", "application/json")
        .send("{\"password\": \"hunter2\"")
        .unwrap();
    assert_eq!(answer.status(), 400);
    let made = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(made.len(), 16, "{made}");
    // An id that is not a short token is replaced, not logged.
    let answer = agent()
        .get(&format!("{base}/healthz"))
        .header("x-request-id", "a b\"c")
        .call()
        .unwrap();
    assert_ne!(answer.headers()["x-request-id"], "a b\"c");

    stop_gracefully(&mut server);
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let request = |id: &str| {
        lines
            .iter()
            .find(|l| l["span"]["id"] == id)
            .unwrap_or_else(|| panic!("no line for request {id} in\n{log}"))
    };
    let refused = request("trace-42");
    assert_eq!(refused["level"], "INFO");
    assert_eq!(refused["fields"]["status"], 404);
    assert_eq!(refused["span"]["path"], "/no/such/page");
    assert_eq!(refused["span"]["method"], "GET");
    assert_eq!(request(&made)["fields"]["status"], 400);
    assert!(!log.contains("hunter2"), "a secret reached the log:\n{log}");
    // Successful requests are not logged at info.
    assert!(!lines.iter().any(|l| l["span"]["path"] == "/healthz"));
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "sequencer ready")
    );
}

/// Stops the server with SIGINT (graceful shutdown), through the `kill` command.
fn stop_gracefully(server: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_unknown_log_format_is_refused_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_vitrine-server"))
        .env("VITRINE_LOG_FORMAT", "xml")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("VITRINE_LOG_FORMAT must be text or json"),
        "{stderr}"
    );
}
