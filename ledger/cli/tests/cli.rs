//! The `vitrine` command end to end: the real binary, real files, a real HTTP server on
//! loopback. Each test works in its own temporary directory.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vitrine_ledger::bid::{Bid, Salt};
use vitrine_ledger::donation::DonorReceipt;
use vitrine_ledger::donor::DonorOpening;
use vitrine_ledger::hash::Hash;
use vitrine_ledger::receipt::Receipt;
use vitrine_ledger::statement::{SignedStatement, Statement};
use vitrine_ledger::time::Timestamp;
use vitrine_ledger::tlog_proof::TlogProof;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vitrine-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vitrine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(args)
        .output()
        .expect("run vitrine")
}

fn ok(args: &[&str]) -> String {
    let out = vitrine(args);
    assert!(
        out.status.success(),
        "vitrine {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with `status` and a message containing `needle`.
fn fails(args: &[&str], status: i32, needle: &str) {
    let out = vitrine(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(status),
        "vitrine {args:?}: {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "vitrine {args:?}: expected {needle:?} in {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn statement(i: usize) -> Statement {
    Statement::from_value(json!({
        "kind": "bid.committed",
        "subject": format!("ocds-213czf-000-{:05}", i % 97),
        "issued_at": Timestamp::now().to_string(),
        "body": {"commitment": format!("{i:064x}"), "note": "投标 \"x\"\n"},
    }))
    .unwrap()
}

/// Writes `count` signed statements as JSON Lines, signed by a handful of keys.
fn write_statements(path: &Path, range: std::ops::Range<usize>) {
    let keys: Vec<SigningKey> = (1..=8u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in range {
        let mut signed = SignedStatement::new(statement(i));
        signed.sign(&keys[i % keys.len()]);
        if i % 10 == 0 {
            signed.sign(&keys[(i + 3) % keys.len()]);
        }
        writeln!(
            file,
            "{}",
            serde_json::to_string(&signed.to_value()).unwrap()
        )
        .unwrap();
    }
}

/// Makes the log key `log.key` (named `vitrine.example/log`) in the scratch directory.
fn log_keygen(t: &Scratch) {
    ok(&[
        "keygen",
        "--name",
        "vitrine.example/log",
        "--out",
        &t.s("log.key"),
    ]);
}

/// Appends the statements of one file of the scratch directory to `log`, with `log.key`.
fn append(t: &Scratch, log: &str, file: &str) -> String {
    ok(&["log", "append", log, "--key", &t.s("log.key"), &t.s(file)])
}

fn vkey(scratch: &Scratch, name: &str) -> String {
    std::fs::read_to_string(scratch.path(&format!("{name}.pub")))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read() {
    let t = Scratch::new("keygen");
    let out = ok(&[
        "keygen",
        "--name",
        "acme.example",
        "--out",
        &t.s("acme.key"),
    ]);
    assert!(out.contains("public key: "), "{out}");
    assert!(out.contains(&format!("verifier key: {}", vkey(&t, "acme.key"))));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(t.path("acme.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(t.path("acme.key")).unwrap();
    fails(
        &[
            "keygen",
            "--name",
            "acme.example",
            "--out",
            &t.s("acme.key"),
        ],
        2,
        "not overwriting",
    );
    assert_eq!(std::fs::read(t.path("acme.key")).unwrap(), before);
    fails(
        &["keygen", "--name", "bad name", "--out", &t.s("x.key")],
        2,
        "invalid key name",
    );
    assert!(!t.path("x.key").exists());
}

#[test]
fn sign_adds_signatures_and_refuses_bad_statements_and_keys() {
    let t = Scratch::new("sign");
    ok(&["keygen", "--name", "a", "--out", &t.s("a.key")]);
    ok(&["keygen", "--name", "b", "--out", &t.s("b.key")]);
    std::fs::write(
        t.path("st.json"),
        r#"{"kind":"disbursement.approved","subject":"fund-7","body":{"amount":{"amount":"500.00","currency":"CNY"}}}"#,
    )
    .unwrap();
    let once = ok(&["sign", "--key", &t.s("a.key"), "--now", &t.s("st.json")]);
    std::fs::write(t.path("once.json"), &once).unwrap();
    let twice = ok(&["sign", "--key", &t.s("b.key"), &t.s("once.json")]);
    let signed = SignedStatement::parse(twice.as_bytes()).unwrap();
    assert_eq!(signed.signatures().len(), 2);
    signed.verify().unwrap();

    // Refusals: a clear message, exit status 2, nothing on standard output.
    std::fs::write(
        t.path("float.json"),
        r#"{"kind":"a.b","subject":"s","issued_at":"2026-11-21T00:00:00Z","body":{"x":0.5}}"#,
    )
    .unwrap();
    fails(
        &["sign", "--key", &t.s("a.key"), &t.s("float.json")],
        2,
        "floating-point number 0.5 at /body/x",
    );
    std::fs::write(
        t.path("noissued.json"),
        r#"{"kind":"a.b","subject":"s","body":{}}"#,
    )
    .unwrap();
    fails(
        &["sign", "--key", &t.s("a.key"), &t.s("noissued.json")],
        2,
        "missing member \"issued_at\"",
    );
    fails(
        &["sign", "--key", &t.s("a.key.pub"), &t.s("st.json")],
        2,
        "a signer key starts with PRIVATE+KEY+",
    );
    fails(
        &["sign", "--key", &t.s("missing.key"), &t.s("st.json")],
        2,
        "missing.key",
    );
    // A tampered signature already on the statement is refused rather than countersigned.
    let mut value: Value = serde_json::from_str(&once).unwrap();
    value["statement"]["subject"] = json!("fund-8");
    std::fs::write(t.path("tampered.json"), value.to_string()).unwrap();
    fails(
        &["sign", "--key", &t.s("b.key"), &t.s("tampered.json")],
        2,
        "does not verify",
    );
}

#[test]
fn bid_commit_and_reveal_check() {
    let t = Scratch::new("bid");
    let bid = json!({
        "tender": "ocds-213czf-000-00042",
        "lots": ["lot-1", "lot-2"],
        "bidder": "91350100M000100Y43",
        "price": {"amount": "1234567.80", "currency": "CNY"},
        "documents": [{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "title": "技术标"}],
    });
    std::fs::write(t.path("bid.json"), bid.to_string()).unwrap();
    let out: Value = serde_json::from_str(&ok(&[
        "bid",
        "commit",
        "--bid",
        &t.s("bid.json"),
        "--salt-out",
        &t.s("salt"),
    ]))
    .unwrap();
    let commitment = out["commitment"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(t.path("salt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The commitment is the DESIGN.md definition over the bid and the salt written.
    let salt = Salt::from_hex(&std::fs::read_to_string(t.path("salt")).unwrap()).unwrap();
    let expected = Bid::from_value(bid.clone()).unwrap().commitment(&salt);
    assert_eq!(Hash::from_hex(&commitment).unwrap(), expected);
    ok(&[
        "bid",
        "check",
        "--bid",
        &t.s("bid.json"),
        "--salt",
        &t.s("salt"),
        "--commitment",
        &commitment,
    ]);

    // Another price under the same salt does not open the commitment.
    let mut cheaper = bid.clone();
    cheaper["price"]["amount"] = json!("1234567.00");
    std::fs::write(t.path("cheaper.json"), cheaper.to_string()).unwrap();
    fails(
        &[
            "bid",
            "check",
            "--bid",
            &t.s("cheaper.json"),
            "--salt",
            &t.s("salt"),
            "--commitment",
            &commitment,
        ],
        1,
        "do not match",
    );
    // A fresh salt every time: the same bid never gives the same commitment twice.
    let again: Value = serde_json::from_str(&ok(&[
        "bid",
        "commit",
        "--bid",
        &t.s("bid.json"),
        "--salt-out",
        &t.s("salt2"),
    ]))
    .unwrap();
    assert_ne!(again["commitment"], out["commitment"]);
    // A salt is never overwritten, and a bad bid writes no salt.
    fails(
        &[
            "bid",
            "commit",
            "--bid",
            &t.s("bid.json"),
            "--salt-out",
            &t.s("salt"),
        ],
        2,
        "not overwriting",
    );
    std::fs::write(t.path("nolots.json"), json!({"tender": "t", "bidder": "b", "lots": [], "price": {"amount": "1", "currency": "CNY"}, "documents": []}).to_string()).unwrap();
    fails(
        &[
            "bid",
            "commit",
            "--bid",
            &t.s("nolots.json"),
            "--salt-out",
            &t.s("salt3"),
        ],
        2,
        "invalid lots",
    );
    assert!(!t.path("salt3").exists());
}

/// The public key (base64) `keygen` printed.
fn public_key(keygen_output: &str) -> String {
    keygen_output
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .unwrap()
        .to_owned()
}

/// The signer keys (base64) of a signed statement, after checking every signature.
fn signers(signed: &Value) -> Vec<String> {
    SignedStatement::from_value(signed.clone())
        .unwrap()
        .verify()
        .unwrap();
    signed["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["public_key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn bid_statements_are_signed_ready_to_send() {
    let t = Scratch::new("bid-statements");
    let bid = json!({
        "tender": "ocds-213czf-000-00043",
        "lots": ["lot-1"],
        "bidder": "91350100M000100Y43",
        "price": {"amount": "880000.00", "currency": "CNY"},
        "documents": [],
    });
    std::fs::write(t.path("bid.json"), bid.to_string()).unwrap();
    let registered = public_key(&ok(&[
        "keygen",
        "--name",
        "acme.example",
        "--out",
        &t.s("acme.key"),
    ]));
    let commit = |salt: &str, replaces: Option<&str>| {
        let mut args = vec![
            "bid".to_owned(),
            "commit".into(),
            "--bid".into(),
            t.s("bid.json"),
            "--salt-out".into(),
            t.s(salt),
            "--one-time-key".into(),
            t.s("bid.otk"),
        ];
        if let Some(old) = replaces {
            args.extend(["--replaces".into(), old.to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        serde_json::from_str::<Value>(&ok(&args)).unwrap()
    };
    // The first commit makes the one-time key, and it alone signs.
    let first = commit("salt1", None);
    assert_eq!(first["statement"]["kind"], "bid.committed");
    assert_eq!(first["statement"]["subject"], "ocds-213czf-000-00043");
    let one_time = signers(&first);
    assert_eq!(one_time.len(), 1);
    assert_ne!(one_time[0], registered);
    let salt1 = Salt::from_hex(&std::fs::read_to_string(t.path("salt1")).unwrap()).unwrap();
    let bid_value = Bid::from_value(bid.clone()).unwrap();
    let old = bid_value.commitment(&salt1).to_hex();
    assert_eq!(first["statement"]["body"], json!({"commitment": old}));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(t.path("bid.otk"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A replacement reuses the key and names the bid it replaces.
    let second = commit("salt2", Some(&old));
    assert_eq!(signers(&second), one_time);
    assert_eq!(second["statement"]["body"]["replaces"], json!(old));
    assert_ne!(second["statement"]["body"]["commitment"], json!(old));
    // The withdrawal is signed by the same key.
    let withdrawn: Value = serde_json::from_str(&ok(&[
        "bid",
        "withdraw",
        "--bid",
        &t.s("bid.json"),
        "--salt",
        &t.s("salt2"),
        "--one-time-key",
        &t.s("bid.otk"),
    ]))
    .unwrap();
    assert_eq!(withdrawn["statement"]["kind"], "bid.withdrawn");
    assert_eq!(
        withdrawn["statement"]["body"]["commitment"],
        second["statement"]["body"]["commitment"]
    );
    assert_eq!(signers(&withdrawn), one_time);
    // The reveal: one-time key then registered key, and it opens the commitment.
    let revealed: Value = serde_json::from_str(&ok(&[
        "bid",
        "reveal",
        "--bid",
        &t.s("bid.json"),
        "--salt",
        &t.s("salt1"),
        "--one-time-key",
        &t.s("bid.otk"),
        "--key",
        &t.s("acme.key"),
    ]))
    .unwrap();
    assert_eq!(revealed["statement"]["kind"], "bid.revealed");
    assert_eq!(signers(&revealed), vec![one_time[0].clone(), registered]);
    let body = &revealed["statement"]["body"];
    assert_eq!(body["commitment"], json!(old));
    Bid::from_value(body["bid"].clone())
        .unwrap()
        .check_reveal(
            &Salt::from_hex(body["salt"].as_str().unwrap()).unwrap(),
            &Hash::from_hex(&old).unwrap(),
        )
        .unwrap();

    // Refusals: a replacement needs its key; the registered key cannot stand in for the
    // one-time key; a damaged key file leaves no salt behind.
    fails(
        &[
            "bid",
            "commit",
            "--bid",
            &t.s("bid.json"),
            "--salt-out",
            &t.s("salt3"),
            "--replaces",
            &old,
        ],
        2,
        "--one-time-key",
    );
    fails(
        &[
            "bid",
            "reveal",
            "--bid",
            &t.s("bid.json"),
            "--salt",
            &t.s("salt1"),
            "--one-time-key",
            &t.s("acme.key"),
            "--key",
            &t.s("acme.key"),
        ],
        2,
        "not the bid's one-time key",
    );
    std::fs::write(t.path("broken.otk"), "not a key\n").unwrap();
    fails(
        &[
            "bid",
            "commit",
            "--bid",
            &t.s("bid.json"),
            "--salt-out",
            &t.s("salt4"),
            "--one-time-key",
            &t.s("broken.otk"),
        ],
        2,
        "broken.otk",
    );
    assert!(!t.path("salt3").exists() && !t.path("salt4").exists());
}

fn file_listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_100k_entry_log_round_trips_and_any_tampering_fails() {
    let t = Scratch::new("roundtrip");
    log_keygen(&t);
    let log = t.s("log");
    let key = vkey(&t, "log.key");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    write_statements(&t.path("a.jsonl"), 0..60_000);
    write_statements(&t.path("b.jsonl"), 60_000..100_000);
    let out = ok(&[
        "log",
        "append",
        &log,
        "--key",
        &t.s("log.key"),
        &t.s("a.jsonl"),
    ]);
    assert!(out.contains("the log has 60000 entries"), "{out}");
    std::fs::copy(t.path("log/checkpoint"), t.path("old.checkpoint")).unwrap();
    append(&t, &log, "b.jsonl");
    let out = ok(&[
        "verify",
        &log,
        "--log-key",
        &key,
        "--since",
        &t.s("old.checkpoint"),
    ]);
    assert!(
        out.contains("verified vitrine.example/log (100000 entries)"),
        "{out}"
    );
    assert!(out.contains("100000 entries, 110000 signatures"), "{out}");
    assert!(
        out.contains("extends the checkpoint of size 60000"),
        "{out}"
    );
    let strict = ok(&["verify", &log, "--log-key", &key, "--strict", "--quiet"]);
    assert!(
        strict.contains("100000 entries, 110000 signatures"),
        "{strict}"
    );

    // Only the files a verifier checks are in the directory: the old partial tiles are gone.
    let files = file_listing(&t.path("log"));
    assert_eq!(
        files.len(),
        1 + 391 + 391 + 2 + 1,
        "checkpoint, bundles, level-0 tiles, level-1 tiles and the level-2 tile"
    );

    // One changed byte anywhere fails verification, with a message saying where.
    let pick = |suffix: &str| -> PathBuf {
        files
            .iter()
            .map(|(p, _)| p.clone())
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no file ending {suffix}"))
    };
    let cases: Vec<(PathBuf, usize, &str)> = vec![
        (pick("checkpoint"), 0, "checkpoint"),
        (pick("checkpoint"), 22, "checkpoint"),
        (pick("checkpoint"), 40, "checkpoint"),
        (pick("checkpoint"), 90, "checkpoint"),
        (pick("tile/entries/000"), 3, "entry 0"),
        (pick("tile/entries/000"), 20_000, "entry"),
        (pick("tile/entries/390.p/160"), 500, "entry 998"),
        (pick("tile/0/000"), 0, "entry 0: its leaf hash"),
        (pick("tile/0/200"), 8191, "tile/0/200"),
        (pick("tile/0/390.p/160"), 100, "tile/0/390.p/160"),
        (pick("tile/1/000"), 77, "tile/1/000"),
        (pick("tile/1/001.p/134"), 4000, "tile/1/001.p/134"),
        (pick("tile/2/000.p/1"), 31, "tile/2/000.p/1"),
    ];
    for (path, offset, needle) in cases {
        let original = std::fs::read(&path).unwrap();
        let mut changed = original.clone();
        let at = offset.min(changed.len() - 1);
        changed[at] ^= 0x01;
        std::fs::write(&path, &changed).unwrap();
        let out = vitrine(&["verify", &log, "--log-key", &key, "--quiet"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{} byte {at}: {stderr}",
            path.display()
        );
        assert!(stderr.contains("verification FAILED"), "{stderr}");
        assert!(
            stderr.contains(needle) || needle == "checkpoint" && stderr.contains("checkpoint"),
            "{} byte {at}: {stderr}",
            path.display()
        );
        std::fs::write(&path, &original).unwrap();
    }
    // A truncated tile and a missing bundle are reported, not panicked over.
    let tile = pick("tile/0/100");
    let original = std::fs::read(&tile).unwrap();
    std::fs::write(&tile, &original[..1000]).unwrap();
    fails(
        &["verify", &log, "--log-key", &key, "--quiet"],
        1,
        "tile/0/100: 1000 bytes where 8192 were expected",
    );
    std::fs::write(&tile, &original).unwrap();
    let bundle = pick("tile/entries/050");
    std::fs::rename(&bundle, t.path("moved")).unwrap();
    fails(
        &["verify", &log, "--log-key", &key, "--quiet"],
        1,
        "cannot read tile/entries/050",
    );
    std::fs::rename(t.path("moved"), &bundle).unwrap();
    ok(&["verify", &log, "--log-key", &key, "--quiet"]);
}

#[test]
fn since_detects_a_rewritten_or_shrunk_history() {
    let t = Scratch::new("since");
    log_keygen(&t);
    let key = vkey(&t, "log.key");
    write_statements(&t.path("a.jsonl"), 0..700);
    write_statements(&t.path("b.jsonl"), 700..900);
    write_statements(&t.path("c.jsonl"), 5000..5700);
    for dir in ["honest", "forged"] {
        ok(&["log", "init", &t.s(dir), "--key", &t.s("log.key")]);
    }
    ok(&[
        "log",
        "append",
        &t.s("honest"),
        "--key",
        &t.s("log.key"),
        &t.s("a.jsonl"),
    ]);
    std::fs::copy(t.path("honest/checkpoint"), t.path("seen.checkpoint")).unwrap();
    ok(&[
        "log",
        "append",
        &t.s("honest"),
        "--key",
        &t.s("log.key"),
        &t.s("b.jsonl"),
    ]);
    ok(&[
        "verify",
        &t.s("honest"),
        "--log-key",
        &key,
        "--since",
        &t.s("seen.checkpoint"),
    ]);
    // The operator re-signs a different history of the same length and more: every
    // signature verifies, but it does not extend what an auditor saw earlier.
    ok(&[
        "log",
        "append",
        &t.s("forged"),
        "--key",
        &t.s("log.key"),
        &t.s("c.jsonl"),
        &t.s("b.jsonl"),
    ]);
    ok(&["verify", &t.s("forged"), "--log-key", &key]);
    fails(
        &[
            "verify",
            &t.s("forged"),
            "--log-key",
            &key,
            "--since",
            &t.s("seen.checkpoint"),
        ],
        1,
        "history was rewritten: the first 700 entries",
    );
    // A log smaller than the checkpoint seen.
    std::fs::copy(t.path("honest/checkpoint"), t.path("big.checkpoint")).unwrap();
    let small = t.s("small");
    ok(&["log", "init", &small, "--key", &t.s("log.key")]);
    ok(&[
        "log",
        "append",
        &small,
        "--key",
        &t.s("log.key"),
        &t.s("a.jsonl"),
    ]);
    fails(
        &[
            "verify",
            &small,
            "--log-key",
            &key,
            "--since",
            &t.s("big.checkpoint"),
        ],
        1,
        "the log shrank",
    );
}

#[test]
fn append_refuses_bad_statements_and_changes_nothing() {
    let t = Scratch::new("append-refusals");
    log_keygen(&t);
    ok(&[
        "keygen",
        "--name",
        "other.example/log",
        "--out",
        &t.s("other.key"),
    ]);
    let log = t.s("log");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    write_statements(&t.path("good.jsonl"), 0..300);
    append(&t, &log, "good.jsonl");
    let before = file_listing(&t.path("log"));

    // One forged signature among many.
    write_statements(&t.path("batch.jsonl"), 300..600);
    let text = std::fs::read_to_string(t.path("batch.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut forged: Value = serde_json::from_str(&lines[123]).unwrap();
    forged["statement"]["body"]["commitment"] = json!("00");
    lines[123] = forged.to_string();
    std::fs::write(t.path("forged.jsonl"), lines.join("\n")).unwrap();
    fails(
        &[
            "log",
            "append",
            &log,
            "--key",
            &t.s("log.key"),
            &t.s("forged.jsonl"),
        ],
        2,
        "statement 123: a signature does not verify",
    );
    // Unsigned, back-dated, malformed, a wrong log key.
    std::fs::write(
        t.path("unsigned.json"),
        json!({"statement": statement(1).as_map(), "signatures": []}).to_string(),
    )
    .unwrap();
    fails(
        &[
            "log",
            "append",
            &log,
            "--key",
            &t.s("log.key"),
            &t.s("unsigned.json"),
        ],
        2,
        "not signed",
    );
    let mut old = SignedStatement::new(
        Statement::from_value(json!({"kind": "bid.committed", "subject": "s", "issued_at": "2026-01-01T00:00:00Z", "body": {}})).unwrap(),
    );
    old.sign(&SigningKey::from_bytes(&[1; 32]));
    std::fs::write(t.path("old.json"), old.to_value().to_string()).unwrap();
    fails(
        &[
            "log",
            "append",
            &log,
            "--key",
            &t.s("log.key"),
            &t.s("old.json"),
        ],
        2,
        "issued_at 2026-01-01T00:00:00Z is more than 600s from the log's clock",
    );
    std::fs::write(t.path("garbage.json"), "{\"statement\": ").unwrap();
    fails(
        &[
            "log",
            "append",
            &log,
            "--key",
            &t.s("log.key"),
            &t.s("garbage.json"),
        ],
        2,
        "garbage.json, line 1",
    );
    fails(
        &[
            "log",
            "append",
            &log,
            "--key",
            &t.s("other.key"),
            &t.s("good.jsonl"),
        ],
        2,
        "is not the log key's name",
    );
    // Another process holds the log.
    {
        let signer = vitrine_ledger::note::NoteSigner::parse(
            &std::fs::read_to_string(t.path("log.key")).unwrap(),
        )
        .unwrap();
        let _held = vitrine_cli::dirlog::DirLog::open(&t.path("log"), signer).unwrap();
        fails(
            &[
                "log",
                "append",
                &log,
                "--key",
                &t.s("log.key"),
                &t.s("good.jsonl"),
            ],
            2,
            "locked by another vitrine process",
        );
    }
    assert_eq!(
        file_listing(&t.path("log")),
        before,
        "a refused append changed the log"
    );
    fails(
        &["log", "init", &log, "--key", &t.s("log.key")],
        2,
        "is not empty",
    );
    fails(
        &["verify", &t.s("nowhere"), "--log-key", &vkey(&t, "log.key")],
        1,
        "cannot read checkpoint",
    );
    fails(&["verify", &log], 2, "--log-key is required");
}

#[test]
fn receipts_and_proofs_check_offline() {
    let t = Scratch::new("receipts");
    log_keygen(&t);
    let key = vkey(&t, "log.key");
    let log = t.s("log");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    write_statements(&t.path("a.jsonl"), 0..1000);
    ok(&[
        "log",
        "append",
        &log,
        "--key",
        &t.s("log.key"),
        &t.s("a.jsonl"),
        "--receipts",
        &t.s("receipts.jsonl"),
    ]);
    let receipts = std::fs::read_to_string(t.path("receipts.jsonl")).unwrap();
    assert_eq!(receipts.lines().count(), 1000);
    for (i, line) in receipts.lines().enumerate().step_by(97) {
        std::fs::write(t.path("r.json"), line).unwrap();
        let out = ok(&["check-receipt", &t.s("r.json"), "--log-key", &key]);
        assert!(out.contains(&format!("entry {i} was logged at")), "{out}");
    }
    // A receipt from `prove`, after the log grew.
    write_statements(&t.path("b.jsonl"), 1000..1300);
    append(&t, &log, "b.jsonl");
    let receipt = ok(&["prove", &log, "--index", "777", "--log-key", &key]);
    std::fs::write(t.path("777.json"), &receipt).unwrap();
    let out = ok(&["check-receipt", &t.s("777.json"), "--log-key", &key]);
    assert!(
        out.contains("included in vitrine.example/log at size 1300"),
        "{out}"
    );
    assert!(
        out.contains("statement bid.committed about ocds-213czf-000-00001"),
        "{out}"
    );

    // Tampered receipts fail, saying why.
    let original: Value = serde_json::from_str(&receipt).unwrap();
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut v = original.clone();
    v["index"] = json!(778);
    cases.push((v, "inclusion proof"));
    let mut v = original.clone();
    let proof0 = v["inclusion_proof"][0].as_str().unwrap().to_owned();
    let other = if proof0.starts_with('A') { "B" } else { "A" };
    v["inclusion_proof"][0] = json!(format!("{other}{}", &proof0[1..]));
    cases.push((v, "inclusion proof"));
    let mut v = original.clone();
    v["entry"]["statement"]["subject"] = json!("ocds-other");
    cases.push((v, "the entry does not match the receipt"));
    let mut v = original.clone();
    v["entry"]["logged_at"] = json!("2020-01-01T00:00:00Z");
    cases.push((v, "the entry does not match the receipt"));
    let mut v = original.clone();
    v["checkpoint"] = json!(
        original["checkpoint"]
            .as_str()
            .unwrap()
            .replace("\n1300\n", "\n1301\n")
    );
    cases.push((v, "checkpoint"));
    for (value, needle) in cases {
        std::fs::write(t.path("bad.json"), value.to_string()).unwrap();
        fails(
            &["check-receipt", &t.s("bad.json"), "--log-key", &key],
            1,
            needle,
        );
    }
    std::fs::write(t.path("bad.json"), "{}").unwrap();
    fails(
        &["check-receipt", &t.s("bad.json"), "--log-key", &key],
        2,
        "malformed receipt",
    );

    // Consistency proofs between sizes.
    let proof: Value =
        serde_json::from_str(&ok(&["prove", &log, "--from", "1000", "--log-key", &key])).unwrap();
    assert_eq!(proof["old_size"], 1000);
    assert_eq!(proof["new_size"], 1300);
    fails(
        &["prove", &log, "--index", "1300", "--log-key", &key],
        2,
        "entry 1300 is not in the log",
    );
}

#[test]
fn witnesses_cosign_and_verifiers_count_them() {
    let t = Scratch::new("witness");
    log_keygen(&t);
    ok(&[
        "keygen",
        "--name",
        "audit.example/w1",
        "--witness",
        "--out",
        &t.s("w1.key"),
    ]);
    ok(&[
        "keygen",
        "--name",
        "audit.example/w2",
        "--witness",
        "--out",
        &t.s("w2.key"),
    ]);
    let key = vkey(&t, "log.key");
    let log = t.s("log");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    write_statements(&t.path("a.jsonl"), 0..300);
    append(&t, &log, "a.jsonl");
    let (w1, w2) = (vkey(&t, "w1.key"), vkey(&t, "w2.key"));
    fails(
        &[
            "verify",
            &log,
            "--log-key",
            &key,
            "--witness",
            &w1,
            "--threshold",
            "1",
        ],
        1,
        "0 of the required 1 witness cosignatures",
    );
    ok(&[
        "cosign",
        &log,
        "--key",
        &t.s("w1.key"),
        "--log-key",
        &key,
        "--in-place",
        "--out",
        &t.s("w1.checkpoint"),
    ]);
    let out = ok(&[
        "verify",
        &log,
        "--log-key",
        &key,
        "--witness",
        &w1,
        "--witness",
        &w2,
        "--threshold",
        "1",
    ]);
    assert!(out.contains("cosigned by audit.example/w1"), "{out}");
    fails(
        &[
            "verify",
            &log,
            "--log-key",
            &key,
            "--witness",
            &w1,
            "--witness",
            &w2,
            "--threshold",
            "2",
        ],
        1,
        "1 of the required 2",
    );
    // A witness does not cosign a log that rewrote what it cosigned.
    let forged = t.s("forged");
    ok(&["log", "init", &forged, "--key", &t.s("log.key")]);
    write_statements(&t.path("c.jsonl"), 9000..9400);
    ok(&[
        "log",
        "append",
        &forged,
        "--key",
        &t.s("log.key"),
        &t.s("c.jsonl"),
    ]);
    fails(
        &[
            "cosign",
            &forged,
            "--key",
            &t.s("w2.key"),
            "--log-key",
            &key,
            "--since",
            &t.s("w1.checkpoint"),
        ],
        1,
        "not cosigning: history was rewritten",
    );
    fails(
        &["cosign", &log, "--key", &t.s("log.key"), "--log-key", &key],
        2,
        "a witness key is needed",
    );
}

/// A minimal static file server on loopback, for `vitrine verify http://...`.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let root = root.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    let path = request
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("/")
                        .trim_start_matches("/log/");
                    let response = match std::fs::read(root.join(path)) {
                        Ok(body) if !path.contains("..") => {
                            let mut r = format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                                body.len()
                            )
                            .into_bytes();
                            r.extend_from_slice(&body);
                            r
                        }
                        _ => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec(),
                    };
                    if stream.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}/log")
}

#[test]
fn verify_reads_a_log_over_http() {
    let t = Scratch::new("http");
    log_keygen(&t);
    let key = vkey(&t, "log.key");
    let log = t.s("log");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    write_statements(&t.path("a.jsonl"), 0..3000);
    append(&t, &log, "a.jsonl");
    let url = serve(t.path("log"));
    let out = ok(&["verify", &url, "--log-key", &key]);
    assert!(
        out.contains("verified vitrine.example/log (3000 entries)"),
        "{out}"
    );
    let receipt = ok(&["prove", &url, "--index", "2999", "--log-key", &key]);
    std::fs::write(t.path("r.json"), receipt).unwrap();
    ok(&["check-receipt", &t.s("r.json"), "--log-key", &key]);
    std::fs::remove_file(t.path("log/tile/0/005")).unwrap();
    fails(
        &["verify", &url, "--log-key", &key],
        1,
        "tile/0/005: HTTP 404",
    );
    fails(
        &["verify", "http://127.0.0.1:9/log", "--log-key", &key],
        1,
        "cannot read checkpoint",
    );
}

/// A log whose operator tiled and signed an entry that is not canonical JSON: every hash
/// matches, so only the entry check can catch it.
#[test]
fn a_non_canonical_entry_is_named() {
    use vitrine_ledger::checkpoint::Checkpoint;
    use vitrine_ledger::note::NoteSigner;
    use vitrine_ledger::statement::Entry;
    use vitrine_ledger::tile::TileBuilder;
    let t = Scratch::new("noncanonical");
    log_keygen(&t);
    let signer = NoteSigner::parse(&std::fs::read_to_string(t.path("log.key")).unwrap()).unwrap();
    let key = SigningKey::from_bytes(&[3; 32]);
    let mut builder = TileBuilder::new();
    for i in 0..300 {
        let mut signed = SignedStatement::new(statement(i));
        signed.sign(&key);
        let entry = Entry::new(signed, Timestamp::now()).unwrap();
        let mut bytes = entry.bytes().to_vec();
        if i == 257 {
            // The same JSON with a space after the first colon.
            let at = bytes.iter().position(|&b| b == b':').unwrap();
            bytes.insert(at + 1, b' ');
        }
        builder.append(&bytes).unwrap();
    }
    for (tile, data) in builder.take_tiles() {
        let path = t.path("log").join(tile.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let checkpoint = Checkpoint {
        origin: "vitrine.example/log".into(),
        size: 300,
        root: builder.root(),
        extensions: vec![],
    }
    .sign(&signer)
    .unwrap();
    std::fs::write(t.path("log/checkpoint"), checkpoint).unwrap();
    fails(
        &["verify", &t.s("log"), "--log-key", &vkey(&t, "log.key")],
        1,
        "entry 257 (in tile/entries/001.p/44): not canonical JSON at byte 13: whitespace is not canonical",
    );
}

/// Partial tiles stay published for the checkpoints that named them until the full tile
/// exists (C2SP tlog-tiles), and `verify` checks them too.
#[test]
fn older_partial_tiles_stay_until_their_tile_is_full_and_are_checked() {
    let t = Scratch::new("partials");
    log_keygen(&t);
    let key = vkey(&t, "log.key");
    let log = t.s("log");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    write_statements(&t.path("a.jsonl"), 0..300);
    write_statements(&t.path("b.jsonl"), 300..400);
    write_statements(&t.path("c.jsonl"), 400..520);
    append(&t, &log, "a.jsonl");
    append(&t, &log, "b.jsonl");
    for kept in [
        "tile/0/001.p/44",
        "tile/entries/001.p/44",
        "tile/0/001.p/144",
        "tile/1/000.p/1",
    ] {
        assert!(t.path("log").join(kept).is_file(), "{kept} is gone");
    }
    ok(&["verify", &log, "--log-key", &key]);
    // A changed byte in an older partial tile is caught.
    let old = t.path("log/tile/0/001.p/44");
    let original = std::fs::read(&old).unwrap();
    let mut changed = original.clone();
    changed[100] ^= 1;
    std::fs::write(&old, &changed).unwrap();
    fails(
        &["verify", &log, "--log-key", &key],
        1,
        "tile/0/001.p/44: hash 3",
    );
    std::fs::write(&old, &original).unwrap();
    let old_bundle = t.path("log/tile/entries/001.p/44");
    let original = std::fs::read(&old_bundle).unwrap();
    let mut changed = original.clone();
    changed[50] ^= 1;
    std::fs::write(&old_bundle, &changed).unwrap();
    fails(
        &["verify", &log, "--log-key", &key],
        1,
        "tile/entries/001.p/44",
    );
    std::fs::write(&old_bundle, &original).unwrap();
    // Once tile 1 is full, its partial versions go.
    append(&t, &log, "c.jsonl");
    assert!(t.path("log/tile/0/001").is_file());
    assert!(!t.path("log/tile/0/001.p").exists());
    assert!(!t.path("log/tile/entries/001.p").exists());
    assert!(t.path("log/tile/1/000.p/1").is_file() && t.path("log/tile/1/000.p/2").is_file());
    ok(&["verify", &log, "--log-key", &key]);
}

/// A signed `donation.recorded` statement to `fund-7`, with a donor commitment when
/// `opening` is given.
fn donation_statement(amount: &str, reference: &str, opening: Option<&DonorOpening>) -> Value {
    let mut body = json!({
        "amount": {"amount": amount, "currency": "CNY"},
        "channel": "bank_transfer",
        "reference": reference,
        "received_at": "2026-11-21T08:00:00Z",
        "named": false,
    });
    if let Some(opening) = opening {
        body["donor"] = json!(opening.commitment().unwrap().to_hex());
    }
    let statement = Statement::from_value(json!({
        "kind": "donation.recorded",
        "subject": "fund-7",
        "issued_at": Timestamp::now().to_string(),
        "body": body,
    }))
    .unwrap();
    let mut signed = SignedStatement::new(statement);
    signed.sign(&SigningKey::from_bytes(&[77; 32]));
    signed.to_value()
}

#[test]
fn donor_receipts_check_offline() {
    let t = Scratch::new("donation");
    log_keygen(&t);
    ok(&[
        "keygen",
        "--name",
        "vitrine.example/other",
        "--out",
        &t.s("other.key"),
    ]);
    let key = vkey(&t, "log.key");
    let log = t.s("log");
    ok(&["log", "init", &log, "--key", &t.s("log.key")]);
    let opening = DonorOpening {
        donor: json!({"name": "张三", "id_number": "110101199003077777", "contact": "13800000000"}),
        salt: Salt([0x3c; 32]),
    };
    // Entries 0..300 are bids, 300 a named donation, 301 an anonymous one.
    write_statements(&t.path("bids.jsonl"), 0..300);
    append(&t, &log, "bids.jsonl");
    let donations = format!(
        "{}\n{}\n",
        donation_statement("100.00", "BT-1", Some(&opening)),
        donation_statement("25.50", "BT-2", None)
    );
    std::fs::write(t.path("donations.jsonl"), donations).unwrap();
    ok(&[
        "log",
        "append",
        &log,
        "--key",
        &t.s("log.key"),
        &t.s("donations.jsonl"),
        "--receipts",
        &t.s("receipts.jsonl"),
    ]);
    let receipts: Vec<Receipt> = std::fs::read_to_string(t.path("receipts.jsonl"))
        .unwrap()
        .lines()
        .map(|line| Receipt::parse(line.as_bytes()).unwrap())
        .collect();
    let write = |name: &str, receipt: &DonorReceipt| {
        std::fs::write(t.path(name), receipt.format()).unwrap();
        t.s(name)
    };

    let named = DonorReceipt::from_receipt(&receipts[0], Some(opening.clone())).unwrap();
    let out = ok(&[
        "check-donation",
        &write("named.tlog-proof", &named),
        "--log-key",
        &key,
    ]);
    let logged_at = named.entry.logged_at();
    assert!(
        out.contains(&format!(
            "donation of 100.00 CNY to fund fund-7 was logged at {logged_at} as entry 300, included in vitrine.example/log at size 302"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "the donor data opens its commitment {}",
            opening.commitment().unwrap().to_hex()
        )),
        "{out}"
    );
    let anonymous = DonorReceipt::from_receipt(&receipts[1], None).unwrap();
    let out = ok(&[
        "check-donation",
        &write("anon.tlog-proof", &anonymous),
        "--log-key",
        &key,
    ]);
    assert!(
        out.contains("donation of 25.50 CNY to fund fund-7"),
        "{out}"
    );
    assert!(out.contains("as entry 301,"), "{out}");
    assert!(
        out.contains("anonymous donation: no donor commitment"),
        "{out}"
    );

    // After the log grew: the receipt `prove` prints makes a donor receipt too.
    write_statements(&t.path("more.jsonl"), 300..400);
    append(&t, &log, "more.jsonl");
    let proved = ok(&["prove", &log, "--index", "300", "--log-key", &key]);
    let proved = DonorReceipt::from_receipt(
        &Receipt::parse(proved.as_bytes()).unwrap(),
        Some(opening.clone()),
    )
    .unwrap();
    let out = ok(&[
        "check-donation",
        &write("later.tlog-proof", &proved),
        "--log-key",
        &key,
    ]);
    assert!(
        out.contains("included in vitrine.example/log at size 402"),
        "{out}"
    );

    // Verification failures: exit status 1, saying why.
    let wrong_salt = DonorReceipt {
        opening: Some(DonorOpening {
            salt: Salt([0x3d; 32]),
            ..opening.clone()
        }),
        ..named.clone()
    };
    fails(
        &[
            "check-donation",
            &write("bad.tlog-proof", &wrong_salt),
            "--log-key",
            &key,
        ],
        1,
        "the donor data and salt do not open the donation's commitment",
    );
    let moved = DonorReceipt {
        index: 299,
        ..named.clone()
    };
    fails(
        &[
            "check-donation",
            &write("bad.tlog-proof", &moved),
            "--log-key",
            &key,
        ],
        1,
        "is not entry 299 of the checkpoint's tree",
    );
    let bid = DonorReceipt::from_receipt(
        &Receipt::parse(ok(&["prove", &log, "--index", "3", "--log-key", &key]).as_bytes())
            .unwrap(),
        None,
    )
    .unwrap();
    fails(
        &[
            "check-donation",
            &write("bad.tlog-proof", &bid),
            "--log-key",
            &key,
        ],
        1,
        "not \"donation.recorded\"",
    );
    let named_path = t.s("named.tlog-proof");
    fails(
        &[
            "check-donation",
            &named_path,
            "--log-key",
            &vkey(&t, "other.key"),
        ],
        1,
        "checkpoint",
    );

    // Input errors: exit status 2.
    let receipt_json = t.path("receipt.json");
    std::fs::write(&receipt_json, serde_json::to_string(&receipts[0]).unwrap()).unwrap();
    fails(
        &["check-donation", &t.s("receipt.json"), "--log-key", &key],
        2,
        "malformed tlog-proof",
    );
    let plain = TlogProof::try_from(&receipts[0]).unwrap().format();
    std::fs::write(t.path("plain.tlog-proof"), plain).unwrap();
    fails(
        &[
            "check-donation",
            &t.s("plain.tlog-proof"),
            "--log-key",
            &key,
        ],
        2,
        "carries no extra data",
    );
    fails(&["check-donation", &named_path], 2, "--log-key is required");
}
