//! Makes a large offline log for benchmarks and tests, through the same `DirLog` that
//! `vitrine log append` uses (every signature is verified on the way in).
//!
//! `cargo run --release -p vitrine-cli --example make_log -- DIR ENTRIES [SIGNERS]`
//!
//! Writes the log key to `DIR.key` and its verifier key to `DIR.key.pub`. Statements are
//! signed by SIGNERS keys (default 1,000), one in five by a second key as well.

use ed25519_dalek::SigningKey;
use serde_json::json;
use std::path::PathBuf;
use vitrine_cli::dirlog::DirLog;
use vitrine_ledger::note::{KeyType, NoteSigner};
use vitrine_ledger::statement::{SignedStatement, Statement};
use vitrine_ledger::time::Timestamp;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, count) = match (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) {
        (Some(dir), Some(count)) => (PathBuf::from(dir), count),
        _ => return Err("usage: make_log DIR ENTRIES [SIGNERS]".into()),
    };
    let signers: usize = args
        .get(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
        .max(2);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    let log_key = NoteSigner::new(
        "vitrine.example/bench",
        KeyType::Ed25519,
        SigningKey::from_bytes(&seed),
    )
    .map_err(|e| e.to_string())?;
    let key_path = PathBuf::from(format!("{}.key", dir.display()));
    std::fs::write(&key_path, format!("{}\n", log_key.to_signer_key()))
        .map_err(|e| e.to_string())?;
    std::fs::write(
        format!("{}.key.pub", dir.display()),
        format!("{}\n", log_key.verifier().to_verifier_key()),
    )
    .map_err(|e| e.to_string())?;
    DirLog::init(&dir, log_key.clone())?;
    let keys: Vec<SigningKey> = (0..signers)
        .map(|i| {
            let mut bytes = seed;
            bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
            SigningKey::from_bytes(&bytes)
        })
        .collect();
    let mut log = DirLog::open(&dir, log_key)?;
    let chunk = 100_000;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let started = std::time::Instant::now();
    let mut done = 0;
    while done < count {
        let n = chunk.min(count - done);
        let issued_at = Timestamp::now().to_string();
        let per_thread = n.div_ceil(threads);
        let statements: Vec<SignedStatement> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (keys, issued_at) = (&keys, &issued_at);
                    scope.spawn(move || {
                        let from = done + t * per_thread;
                        let to = (from + per_thread).min(done + n);
                        (from..to)
                            .map(|i| sign(i, keys, issued_at))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        log.append(statements, None)?;
        done += n;
        eprintln!("{done} entries ({:.1}s)", started.elapsed().as_secs_f64());
    }
    println!("{}", dir.display());
    Ok(())
}

fn sign(i: usize, keys: &[SigningKey], issued_at: &str) -> SignedStatement {
    let statement = Statement::from_value(json!({
        "kind": "bid.committed",
        "subject": format!("ocds-213czf-000-{:05}", i % 5000),
        "issued_at": issued_at,
        "body": {
            "commitment": format!("{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            "lots": ["lot-1"],
            "note": "投标承诺",
        },
    }))
    .unwrap_or_else(|e| panic!("statement {i}: {e}"));
    let mut signed = SignedStatement::new(statement);
    signed.sign(&keys[i % keys.len()]);
    if i.is_multiple_of(5) {
        signed.sign(&keys[(i + 1) % keys.len()]);
    }
    signed
}
