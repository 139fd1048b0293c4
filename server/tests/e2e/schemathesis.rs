//! Schemathesis (PyPI) against the running server's own OpenAPI document: requests
//! generated from the document, valid and invalid, unauthenticated and with a token for
//! each role. Every answer must be documented: no 5xx, no status code the document does
//! not list for the operation, no body outside its schema, and every error an RFC 9457
//! problem document. A fixed seed and a time bound per run keep it reproducible and short.
//!
//! Runs when `VITRINE_SCHEMATHESIS` names the `schemathesis` command (deploy/test.sh
//! installs it; under CI it is required); says so when it is skipped.

use crate::common::app::{TestApp, spawn_app_alone};
use crate::common::signed;
use ed25519_dalek::SigningKey;
use serde_json::json;

/// Seconds each run may take; five runs.
const SECONDS_PER_RUN: u32 = 40;

async fn run(app: &TestApp, command: &str, who: &str, token: Option<&str>) -> Result<(), String> {
    // Schemathesis keeps a cache in the directory it runs from: a scratch one.
    let scratch = crate::common::temp_dir("schemathesis");
    let report = scratch.join(format!("{who}.xml"));
    let mut args: Vec<String> = vec![
        "run".into(),
        format!("{}/api/v1/openapi.json", app.base),
        "--url".into(),
        app.base.clone(),
        "--checks".into(),
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method,allow_header_conformance".into(),
        "--seed".into(),
        "20261127".into(),
        "--max-examples".into(),
        "25".into(),
        "--max-time".into(),
        SECONDS_PER_RUN.to_string(),
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
        // One worker: with two, Hypothesis describes its strategies' lambdas from two
        // threads at once, and CPython 3.11's `ast.parse` is not safe for that (a
        // `SystemError: AST constructor recursion depth mismatch` inside the tool, seen in CI).
        "--workers".into(),
        "1".into(),
        "--request-timeout".into(),
        "20".into(),
        "--suppress-health-check".into(),
        "all".into(),
        "--report".into(),
        "junit".into(),
        "--report-junit-path".into(),
        report.display().to_string(),
    ];
    // Revoking tokens by id would end the run's own credentials.
    args.extend(["--exclude-path".into(), "/api/v1/me/tokens/{id}".into()]);
    if let Some(token) = token {
        args.extend(["-H".into(), format!("Authorization: Bearer {token}")]);
    }
    let program = command.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args(&args)
            .current_dir(&scratch)
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
    })
    .await
    .unwrap()
    .map_err(|e| format!("cannot run {command}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("passed") || l.contains("failed") || l.contains("error"))
        .collect();
    eprintln!("schemathesis as {who}: {}", summary.join(" | "));
    if output.status.success() || only_its_own_flakiness(&report) {
        Ok(())
    } else {
        Err(format!(
            "schemathesis as {who} found undocumented answers (report {}):\n{stdout}\n{}",
            report.display(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Whether a failed run found nothing wrong with the server: no failed check, and every
/// error Hypothesis's own flakiness detector inside Schemathesis (a generator that drew
/// differently on a rerun) or CPython's `ast.parse` failing inside Hypothesis, which say
/// nothing of the answers. Said aloud when so.
fn only_its_own_flakiness(report: &std::path::Path) -> bool {
    let Ok(junit) = std::fs::read_to_string(report) else {
        return false;
    };
    let failures = junit.matches("<failure").count();
    let errors: Vec<&str> = junit.split("<error").skip(1).collect();
    let flaky = errors
        .iter()
        .filter(|e| {
            e.contains("FlakyFailure")
                || e.contains("Inconsistent results")
                || e.contains("AST constructor recursion depth mismatch")
        })
        .count();
    let tolerated = failures == 0 && !errors.is_empty() && flaky == errors.len();
    if tolerated {
        eprintln!(
            "WARNING: Schemathesis reported {flaky} internal error(s) of its generator (Hypothesis flakiness), no failed check; see {}",
            report.display()
        );
    }
    tolerated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_answer_is_documented() {
    let Ok(command) = std::env::var("VITRINE_SCHEMATHESIS") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run Schemathesis: set VITRINE_SCHEMATHESIS (deploy/test.sh does)"
        );
        eprintln!("SKIPPED: Schemathesis (VITRINE_SCHEMATHESIS is not set)");
        return;
    };
    let app = spawn_app_alone().await;
    // Something to find: a buyer with a tender, a supplier, a supervisory body.
    let officer = SigningKey::from_bytes(&[11; 32]);
    app.register("fuzhou-bureau", "buyer", &officer, "procurement_officer")
        .await;
    let bidder = SigningKey::from_bytes(&[21; 32]);
    app.register("sup-a", "supplier", &bidder, "bidder_representative")
        .await;
    let supervisor = SigningKey::from_bytes(&[31; 32]);
    app.register("audit-office", "supervisor", &supervisor, "supervisor")
        .await;
    let tokens = [
        (
            "officer",
            app.api_token(
                "fuzhou-bureau",
                "officer@fuzhou.example",
                "procurement_officer",
            )
            .await,
        ),
        (
            "bidder",
            app.api_token("sup-a", "rep@sup-a.example", "bidder_representative")
                .await,
        ),
        (
            "supervisor",
            app.api_token("audit-office", "audit@audit.example", "supervisor")
                .await,
        ),
        (
            "admin",
            app.api_token("platform", "admin@vitrine.example", "platform_admin")
                .await,
        ),
    ];
    let (status, body) = app
        .post(&signed(
            "organisation.registered",
            "sup-b",
            crate::common::app::organisation_body("sup-b", "supplier"),
            &[&app.admin],
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    // A published tender with a document, and a draft, so that answers with data are
    // checked against their schemas too.
    let document = b"tender document".to_vec();
    let (status, _, body) = app
        .request_full_raw(
            "POST",
            "/api/v1/documents",
            document.clone(),
            &[
                ("authorization", &format!("Bearer {}", tokens[0].1)),
                ("content-type", "text/plain"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let at = |seconds: i64| {
        (chrono::Utc::now() + chrono::Duration::seconds(seconds))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let tender = json!({
        "id": "ocds-vtest1-st0001", "buyer": "fuzhou-bureau",
        "title": {"zh": "服务器采购"}, "category": "goods", "region": "CN-FJ",
        "procedure": "open", "value": {"amount": "100000.00", "currency": "CNY"},
        "lots": [{"id": "lot-1", "title": {"zh": "服务器"}, "value": {"amount": "100000.00", "currency": "CNY"}}],
        "documents": [{"sha256": vitrine_ledger::hash::sha256(&document).to_hex(), "title": "招标文件"}],
        "enquiry_end": at(3600), "tender_end": at(7200), "reveal_end": at(10800),
        "standstill_seconds": 60, "amendment_notice_seconds": 60, "award_criteria": "lowest_price",
    });
    let (status, body) = app
        .post(&signed(
            "tender.published",
            "ocds-vtest1-st0001",
            tender.clone(),
            &[&officer],
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .request(
            "PUT",
            "/api/v1/drafts/ocds-vtest1-st0002",
            json!({"title": {"zh": "草稿"}}).to_string().into_bytes(),
            &[("authorization", &format!("Bearer {}", tokens[0].1))],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);

    let mut failures = Vec::new();
    if let Err(e) = run(&app, &command, "anonymous", None).await {
        failures.push(e);
    }
    for (who, token) in &tokens {
        if let Err(e) = run(&app, &command, who, Some(token)).await {
            failures.push(e);
        }
    }
    // The server still serves, and every role's token still works.
    let (status, ready) = app.get("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
