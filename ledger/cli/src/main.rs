//! `vitrine`: keys, signing, sealed bids, offline logs and verification, for bidders,
//! auditors and supervisors. No server needed.

use clap::{Args, Parser, Subcommand};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use vitrine_cli::dirlog::{DirLog, write_atomic};
use vitrine_cli::source::{self, Source};
use vitrine_ledger::bid::{Bid, Salt};
use vitrine_ledger::checkpoint::{Checkpoint, CheckpointPolicy};
use vitrine_ledger::donation::{DonorCheck, DonorReceipt};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::jcs;
use vitrine_ledger::merkle::{
    SubtreeSource, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
use vitrine_ledger::note::{KeyType, Note, NoteSigner, NoteVerifier};
use vitrine_ledger::receipt::Receipt;
use vitrine_ledger::statement::{Entry, SignedStatement, Statement};
use vitrine_ledger::tile::{TILE_WIDTH, TileId, TileReader, TiledTree, parse_entry_bundle};
use vitrine_ledger::time::Timestamp;
use vitrine_ledger::verify::{LogReader, Verification, verify_log};

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Keys, signed statements, sealed bids and verifiable logs for Vitrine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a key pair: the private key file (mode 0600) and FILE.pub with the verifier key.
    Keygen {
        /// Key name: for a log, its origin (e.g. vitrine.example/log); for a witness, its URL.
        #[arg(long)]
        name: String,
        /// Where to write the private key.
        #[arg(long, short)]
        out: PathBuf,
        /// A witness key (C2SP tlog-cosignature, type 0x04) instead of a signing key.
        #[arg(long)]
        witness: bool,
        /// Overwrite an existing key file.
        #[arg(long)]
        force: bool,
    },
    /// Sign a statement (or add a signature to a signed statement); prints the signed statement.
    Sign {
        /// The private key file.
        #[arg(long, short)]
        key: PathBuf,
        /// Set issued_at to the current time.
        #[arg(long)]
        now: bool,
        /// The statement or signed statement (JSON); `-` or nothing for standard input.
        input: Option<PathBuf>,
    },
    /// Sealed bids: commit, replace or withdraw before the deadline; reveal after it.
    Bid {
        #[command(subcommand)]
        command: BidCommand,
    },
    /// An offline log in a directory laid out as C2SP tlog-tiles.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Verify a whole log from a directory or a base URL.
    Verify(VerifyArgs),
    /// Print an inclusion proof (a receipt) for one entry, or a consistency proof.
    Prove {
        /// The log: a directory or a base URL.
        source: String,
        /// The entry's index.
        #[arg(long, conflicts_with = "from")]
        index: Option<u64>,
        /// Prove that the current tree extends the tree of this size.
        #[arg(long)]
        from: Option<u64>,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Check a receipt offline: checkpoint signatures, inclusion proof, entry and its signatures.
    CheckReceipt {
        /// The receipt (JSON); `-` for standard input.
        receipt: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Check a donor receipt offline: a tlog-proof of a donation.recorded entry whose extra
    /// data carries the entry and, unless anonymous, the donor data and salt that open its
    /// donor commitment.
    CheckDonation {
        /// The donor receipt (a .tlog-proof file); `-` for standard input.
        proof: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Cosign a log's checkpoint as a witness, after verifying that it extends the last one seen.
    Cosign {
        /// The log: a directory or a base URL.
        source: String,
        /// The witness's private key file (made with `keygen --witness`).
        #[arg(long, short)]
        key: PathBuf,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        log_key: String,
        /// The checkpoint this witness cosigned last; the log must extend it.
        #[arg(long)]
        since: Option<PathBuf>,
        /// Write the cosigned checkpoint here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// For a directory: add the cosignature to its checkpoint file.
        #[arg(long)]
        in_place: bool,
    },
}

#[derive(Subcommand)]
enum BidCommand {
    /// Commit to a bid: writes a fresh random salt to keep for the reveal and prints the
    /// commitment; with --one-time-key, prints the signed `bid.committed` statement to send.
    Commit {
        /// The bid (JSON): tender, lots, bidder, price, documents.
        #[arg(long)]
        bid: PathBuf,
        /// Where to write the salt (mode 0600). Keep it: without it the bid cannot be revealed.
        #[arg(long)]
        salt_out: PathBuf,
        /// The bid's one-time key, which signs the commitment so that who bid stays hidden
        /// until the deadline. Made (mode 0600) if the file does not exist; an existing one
        /// is used, to replace the bid it committed.
        #[arg(long)]
        one_time_key: Option<PathBuf>,
        /// The commitment of the bid this one replaces (committed by the same one-time key).
        #[arg(long, requires = "one_time_key")]
        replaces: Option<String>,
    },
    /// After the deadline: the signed `bid.revealed` statement, signed by the bid's one-time
    /// key and by the bidder's registered key.
    Reveal {
        #[arg(long)]
        bid: PathBuf,
        #[arg(long)]
        salt: PathBuf,
        /// The one-time key that signed the commitment.
        #[arg(long)]
        one_time_key: PathBuf,
        /// The bidder's registered key.
        #[arg(long)]
        key: PathBuf,
    },
    /// Before the deadline: the signed `bid.withdrawn` statement.
    Withdraw {
        #[arg(long)]
        bid: PathBuf,
        #[arg(long)]
        salt: PathBuf,
        /// The one-time key that signed the commitment.
        #[arg(long)]
        one_time_key: PathBuf,
    },
    /// Check that a bid and salt open a commitment.
    Check {
        #[arg(long)]
        bid: PathBuf,
        #[arg(long)]
        salt: PathBuf,
        /// The commitment, 64 hexadecimal digits.
        #[arg(long)]
        commitment: String,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Create an empty log; its origin is the log key's name.
    Init {
        dir: PathBuf,
        /// The log's private key file.
        #[arg(long, short)]
        key: PathBuf,
    },
    /// Append signed statements (files with one JSON object or JSON Lines; `-` for standard input).
    Append {
        dir: PathBuf,
        /// The log's private key file.
        #[arg(long, short)]
        key: PathBuf,
        /// Refuse statements whose issued_at is further than this from the clock (seconds; 0: no limit).
        #[arg(long, default_value_t = 600)]
        max_skew: u64,
        /// Write a receipt per appended entry to this file (JSON Lines).
        #[arg(long)]
        receipts: Option<PathBuf>,
        /// Statement files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
}

#[derive(Args)]
struct TrustArgs {
    /// The log's verifier key (name+hash+base64), or a file holding it.
    #[arg(long)]
    log_key: Option<String>,
    /// A witness verifier key, or a file holding it; repeat for each witness.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// How many witnesses must have cosigned.
    #[arg(long, default_value_t = 0)]
    threshold: usize,
}

#[derive(Args)]
struct VerifyArgs {
    /// The log: a directory or a base URL (https://host/log).
    source: String,
    #[command(flatten)]
    trust: TrustArgs,
    /// A checkpoint kept earlier: prove that the log extends it (a rewritten history fails).
    #[arg(long)]
    since: Option<PathBuf>,
    /// Check every signature with verify_strict instead of batch verification.
    #[arg(long)]
    strict: bool,
    /// Worker threads (default: one per core; 8 at least for a URL).
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// A failure: exit status 1 for a verification that failed, 2 for bad input or usage.
struct Failure {
    status: u8,
    message: String,
}

fn input_error(message: impl Into<String>) -> Failure {
    Failure {
        status: 2,
        message: message.into(),
    }
}

fn verify_failure(message: impl Into<String>) -> Failure {
    Failure {
        status: 1,
        message: message.into(),
    }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen {
            name,
            out,
            witness,
            force,
        } => keygen(&name, &out, witness, force),
        Command::Sign { key, now, input } => sign(&key, now, input.as_deref()),
        Command::Bid { command } => match command {
            BidCommand::Commit {
                bid,
                salt_out,
                one_time_key,
                replaces,
            } => bid_commit(
                &bid,
                &salt_out,
                one_time_key.as_deref(),
                replaces.as_deref(),
            ),
            BidCommand::Reveal {
                bid,
                salt,
                one_time_key,
                key,
            } => bid_reveal(&bid, &salt, &one_time_key, &key),
            BidCommand::Withdraw {
                bid,
                salt,
                one_time_key,
            } => bid_withdraw(&bid, &salt, &one_time_key),
            BidCommand::Check {
                bid,
                salt,
                commitment,
            } => bid_check(&bid, &salt, &commitment),
        },
        Command::Log { command } => match command {
            LogCommand::Init { dir, key } => log_init(&dir, &key),
            LogCommand::Append {
                dir,
                key,
                max_skew,
                receipts,
                inputs,
            } => log_append(&dir, &key, max_skew, receipts.as_deref(), &inputs),
        },
        Command::Verify(args) => verify(&args),
        Command::Prove {
            source,
            index,
            from,
            trust,
        } => prove(&source, index, from, &trust),
        Command::CheckReceipt { receipt, trust } => check_receipt(&receipt, &trust),
        Command::CheckDonation { proof, trust } => check_donation(&proof, &trust),
        Command::Cosign {
            source,
            key,
            log_key,
            since,
            out,
            in_place,
        } => cosign(
            &source,
            &key,
            &log_key,
            since.as_deref(),
            out.as_deref(),
            in_place,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("vitrine: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

/// `println!` that takes a closed pipe (`vitrine prove ... | head`) calmly.
macro_rules! out {
    ($($arg:tt)*) => {
        emit(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints to standard output; a closed pipe (`vitrine prove ... | head`) is not an error.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn read_input(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    match path {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => std::fs::read(p).map_err(|e| input_error(format!("{}: {e}", p.display()))),
    }
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    std::io::stdin()
        .read_to_end(&mut data)
        .map_err(|e| input_error(format!("standard input: {e}")))?;
    Ok(data)
}

fn load_signer(path: &Path) -> Result<NoteSigner, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input_error(format!("key file {}: {e}", path.display())))?;
    let signer = NoteSigner::parse(text.trim())
        .map_err(|e| input_error(format!("key file {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "vitrine: warning: {} can be read by other users; run chmod 600 on it",
                path.display()
            );
        }
    }
    Ok(signer)
}

/// A verifier key given inline or as a file.
fn load_verifier(text_or_path: &str) -> Result<NoteVerifier, Failure> {
    let text = if Path::new(text_or_path).is_file() {
        std::fs::read_to_string(text_or_path)
            .map_err(|e| input_error(format!("{text_or_path}: {e}")))?
    } else {
        text_or_path.to_owned()
    };
    NoteVerifier::parse(text.trim())
        .map_err(|e| input_error(format!("verifier key {text_or_path:?}: {e}")))
}

fn policy(trust: &TrustArgs) -> Result<CheckpointPolicy, Failure> {
    let log_key = trust.log_key.as_deref().ok_or_else(|| {
        input_error(
            "--log-key is required: the log's verifier key (name+hash+base64) or a file holding it",
        )
    })?;
    let witnesses = trust
        .witnesses
        .iter()
        .map(|w| load_verifier(w))
        .collect::<Result<Vec<_>, _>>()?;
    CheckpointPolicy::new(load_verifier(log_key)?, witnesses, trust.threshold)
        .map_err(|e| input_error(e.to_string()))
}

fn write_secret(path: &Path, data: &[u8], force: bool) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            input_error(format!(
                "{} exists; not overwriting it (use --force)",
                path.display()
            ))
        } else {
            input_error(format!("{}: {e}", path.display()))
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    }
    file.write_all(data)
        .map_err(|e| input_error(format!("{}: {e}", path.display())))
}

fn random_bytes() -> Result<[u8; 32], Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| input_error(format!("no randomness from the system: {e}")))?;
    Ok(bytes)
}

fn keygen(name: &str, out: &Path, witness: bool, force: bool) -> Outcome {
    let key_type = if witness {
        KeyType::Cosignature
    } else {
        KeyType::Ed25519
    };
    let signer = NoteSigner::new(name, key_type, SigningKey::from_bytes(&random_bytes()?))
        .map_err(|e| input_error(e.to_string()))?;
    write_secret(
        out,
        format!("{}\n", signer.to_signer_key()).as_bytes(),
        force,
    )?;
    let vkey = signer.verifier().to_verifier_key();
    let mut public = out.as_os_str().to_owned();
    public.push(".pub");
    std::fs::write(&public, format!("{vkey}\n"))
        .map_err(|e| input_error(format!("{}: {e}", Path::new(&public).display())))?;
    use base64::Engine as _;
    out!(
        "public key: {}",
        base64::engine::general_purpose::STANDARD
            .encode(signer.signing_key().verifying_key().as_bytes())
    );
    out!("verifier key: {vkey}");
    eprintln!(
        "vitrine: wrote the private key to {} (keep it secret) and the verifier key to {}",
        out.display(),
        Path::new(&public).display()
    );
    Ok(())
}

fn sign(key: &Path, now: bool, input: Option<&Path>) -> Outcome {
    let signer = load_signer(key)?;
    let data = read_input(input)?;
    let mut value = jcs::parse(&data).map_err(|e| input_error(e.to_string()))?;
    let is_signed = value.get("statement").is_some();
    if now {
        let target = if is_signed {
            &mut value["statement"]
        } else {
            &mut value
        };
        if let Value::Object(map) = target {
            map.insert(
                "issued_at".into(),
                Value::String(Timestamp::now().truncate_to_micros().to_string()),
            );
        }
    }
    let mut signed = if is_signed {
        SignedStatement::from_value(value)
    } else {
        Statement::from_value(value).map(SignedStatement::new)
    }
    .map_err(|e| input_error(format!("the statement: {e}")))?;
    if !signed.signatures().is_empty() {
        signed
            .verify()
            .map_err(|e| input_error(format!("the existing signatures: {e}")))?;
    }
    signed.sign(signer.signing_key());
    out!(
        "{}",
        serde_json::to_string_pretty(&signed.to_value()).unwrap_or_default()
    );
    Ok(())
}

fn read_bid(path: &Path) -> Result<Bid, Failure> {
    Bid::parse(&read_input(Some(path))?)
        .map_err(|e| input_error(format!("{}: {e}", path.display())))
}

fn read_salt(path: &Path) -> Result<Salt, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    Salt::from_hex(&text).map_err(|e| input_error(format!("{}: {e}", path.display())))
}

/// The one-time key at `path`, made first if there is none.
fn one_time_key(path: &Path) -> Result<NoteSigner, Failure> {
    if !path.exists() {
        let signer = NoteSigner::new(
            "vitrine-one-time-bid-key",
            KeyType::Ed25519,
            SigningKey::from_bytes(&random_bytes()?),
        )
        .map_err(|e| input_error(e.to_string()))?;
        write_secret(
            path,
            format!("{}\n", signer.to_signer_key()).as_bytes(),
            false,
        )?;
        eprintln!(
            "vitrine: made the bid's one-time key in {}; keep it for the reveal",
            path.display()
        );
    }
    load_signer(path)
}

/// Prints a statement signed by `keys`, in order.
fn emit_signed(statement: Statement, keys: &[&NoteSigner]) -> Outcome {
    let mut signed = SignedStatement::new(statement);
    for key in keys {
        signed.sign(key.signing_key());
    }
    out!(
        "{}",
        serde_json::to_string_pretty(&signed.to_value()).unwrap_or_default()
    );
    Ok(())
}

fn now() -> Timestamp {
    Timestamp::now().truncate_to_micros()
}

fn bid_commit(
    bid_path: &Path,
    salt_out: &Path,
    one_time: Option<&Path>,
    replaces: Option<&str>,
) -> Outcome {
    let bid = read_bid(bid_path)?;
    let replaces = replaces
        .map(|r| Hash::from_hex(r.trim()).map_err(|e| input_error(format!("--replaces: {e}"))))
        .transpose()?;
    if let Some(path) = one_time.filter(|p| p.exists()) {
        load_signer(path)?;
    }
    let salt = Salt(random_bytes()?);
    write_secret(salt_out, format!("{}\n", salt.to_hex()).as_bytes(), false)?;
    eprintln!(
        "vitrine: the salt is in {}; keep it and the bid file unchanged until the reveal",
        salt_out.display()
    );
    let Some(one_time) = one_time else {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "commitment": bid.commitment(&salt).to_hex(),
                "tender": bid.tender(),
            }))
            .unwrap_or_default()
        );
        return Ok(());
    };
    let key = one_time_key(one_time)?;
    let statement = bid
        .committed(&salt, replaces.as_ref(), now())
        .map_err(|e| input_error(format!("{}: {e}", bid_path.display())))?;
    emit_signed(statement, &[&key])
}

fn bid_reveal(bid_path: &Path, salt_path: &Path, one_time: &Path, key: &Path) -> Outcome {
    let bid = read_bid(bid_path)?;
    let salt = read_salt(salt_path)?;
    let (one_time, key) = (load_signer(one_time)?, load_signer(key)?);
    if one_time.signing_key().verifying_key() == key.signing_key().verifying_key() {
        return Err(input_error(
            "--key must be the bidder's registered key, not the bid's one-time key",
        ));
    }
    let statement = bid
        .revealed(&salt, now())
        .map_err(|e| input_error(format!("{}: {e}", bid_path.display())))?;
    emit_signed(statement, &[&one_time, &key])
}

fn bid_withdraw(bid_path: &Path, salt_path: &Path, one_time: &Path) -> Outcome {
    let bid = read_bid(bid_path)?;
    let salt = read_salt(salt_path)?;
    let statement = bid
        .withdrawn(&salt, now())
        .map_err(|e| input_error(format!("{}: {e}", bid_path.display())))?;
    emit_signed(statement, &[&load_signer(one_time)?])
}

fn bid_check(bid_path: &Path, salt_path: &Path, commitment: &str) -> Outcome {
    let bid = read_bid(bid_path)?;
    let salt = read_salt(salt_path)?;
    let commitment =
        Hash::from_hex(commitment.trim()).map_err(|e| input_error(format!("--commitment: {e}")))?;
    bid.check_reveal(&salt, &commitment)
        .map_err(|e| verify_failure(e.to_string()))?;
    out!("the bid and salt open commitment {}", commitment.to_hex());
    Ok(())
}

fn log_init(dir: &Path, key: &Path) -> Outcome {
    let signer = load_signer(key)?;
    if signer.key_type() != KeyType::Ed25519 {
        return Err(input_error(
            "a log key must be a signing key, not a witness key",
        ));
    }
    let vkey = signer.verifier().to_verifier_key();
    DirLog::init(dir, signer).map_err(input_error)?;
    out!("created an empty log in {}", dir.display());
    out!("verifier key: {vkey}");
    Ok(())
}

/// Reads signed statements: a file holding one JSON object, or JSON Lines.
fn read_statements(path: &Path) -> Result<Vec<SignedStatement>, Failure> {
    let data = read_input(Some(path))?;
    let name = if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    if let Ok(value) = jcs::parse(&data) {
        return SignedStatement::from_value(value)
            .map(|s| vec![s])
            .map_err(|e| input_error(format!("{name}: {e}")));
    }
    let mut statements = Vec::new();
    for (number, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let statement = SignedStatement::parse(line)
            .map_err(|e| input_error(format!("{name}, line {}: {e}", number + 1)))?;
        statements.push(statement);
    }
    Ok(statements)
}

fn log_append(
    dir: &Path,
    key: &Path,
    max_skew: u64,
    receipts: Option<&Path>,
    inputs: &[PathBuf],
) -> Outcome {
    let signer = load_signer(key)?;
    let mut statements = Vec::new();
    for input in inputs {
        statements.extend(read_statements(input)?);
    }
    let count = statements.len();
    let mut log = DirLog::open(dir, signer).map_err(input_error)?;
    let skew = (max_skew > 0).then(|| Duration::from_secs(max_skew));
    let appended = log.append(statements, skew).map_err(input_error)?;
    if let Some(path) = receipts {
        let source = source::DirSource {
            root: dir.to_owned(),
        };
        let tree = TiledTree::new(log.size(), &source);
        let mut out = String::new();
        for (offset, entry) in appended.entries.iter().enumerate() {
            let index = appended.first_index + offset as u64;
            let proof = inclusion_proof(&tree, index, log.size())
                .map_err(|e| input_error(e.to_string()))?;
            let receipt = Receipt {
                index,
                leaf_hash: entry.leaf_hash().to_base64(),
                logged_at: entry.logged_at().to_string(),
                checkpoint: appended.checkpoint.clone(),
                inclusion_proof: proof.iter().map(Hash::to_base64).collect(),
                entry: Some(entry.to_value()),
            };
            out.push_str(&serde_json::to_string(&receipt).unwrap_or_default());
            out.push('\n');
        }
        write_atomic(path, out.as_bytes()).map_err(input_error)?;
    }
    out!(
        "appended {count} entries ({}..{}); the log has {} entries",
        appended.first_index,
        appended.first_index + count as u64,
        log.size()
    );
    Ok(())
}

fn verify(args: &VerifyArgs) -> Outcome {
    let policy = policy(&args.trust)?;
    let since = match &args.since {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| input_error(format!("--since {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let source = Source::open(&args.source);
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let threads = args.jobs.unwrap_or(if source.is_remote() {
        cores.max(8)
    } else {
        cores
    });
    let bar = progress_bar(&source, &policy, args.quiet);
    let progress = |n: u64| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let how = Verification {
        policy: &policy,
        since: since.as_deref(),
        threads,
        batch: !args.strict,
        progress: Some(&progress),
    };
    let started = std::time::Instant::now();
    let result = verify_log(&source, &how);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result.map_err(|e| verify_failure(format!("verification FAILED: {e}")))?;
    let cp = &report.checkpoint.checkpoint;
    out!("verified {} ({} entries)", cp.origin, cp.size);
    out!("root hash: {}", cp.root);
    out!(
        "{} entries, {} signatures, {} tiles and bundles checked in {:.2}s",
        report.entries,
        report.signatures,
        report.tiles,
        started.elapsed().as_secs_f64()
    );
    if let Some((first, last)) = report.logged_between {
        out!("logged from {first} to {last}");
    }
    for (name, time) in &report.checkpoint.cosigned_by {
        out!("cosigned by {name} at {time}");
    }
    if let Some(old) = &report.extends {
        out!(
            "extends the checkpoint of size {} (root {})",
            old.size,
            old.root
        );
    }
    Ok(())
}

fn progress_bar(
    source: &Source,
    policy: &CheckpointPolicy,
    quiet: bool,
) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    // The size, for the bar's length; the checkpoint is verified properly afterwards.
    let size = source
        .read_checkpoint()
        .ok()
        .and_then(|bytes| policy.open(&bytes).ok())
        .map_or(0, |c| c.checkpoint.size);
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} entries {per_sec} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Reads a checkpoint: checked against the policy when a log key is given.
fn read_checkpoint(source: &Source, trust: &TrustArgs) -> Result<(String, Checkpoint), Failure> {
    let bytes = source
        .read_checkpoint()
        .map_err(|e| input_error(format!("cannot read the checkpoint: {e}")))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| verify_failure("the checkpoint is not text"))?;
    if trust.log_key.is_some() {
        let verified = policy(trust)?
            .open(&bytes)
            .map_err(|e| verify_failure(format!("checkpoint: {e}")))?;
        return Ok((text, verified.checkpoint));
    }
    eprintln!(
        "vitrine: warning: no --log-key given, so the checkpoint's signature was not checked"
    );
    let note = Note::parse(&bytes).map_err(|e| verify_failure(format!("checkpoint: {e}")))?;
    let checkpoint =
        Checkpoint::parse(note.text()).map_err(|e| verify_failure(format!("checkpoint: {e}")))?;
    Ok((text, checkpoint))
}

fn prove(source_arg: &str, index: Option<u64>, from: Option<u64>, trust: &TrustArgs) -> Outcome {
    let source = Source::open(source_arg);
    let (text, checkpoint) = read_checkpoint(&source, trust)?;
    let tree = TiledTree::new(checkpoint.size, &source);
    match (index, from) {
        (Some(index), None) => {
            if index >= checkpoint.size {
                return Err(input_error(format!(
                    "entry {index} is not in the log, which has {} entries",
                    checkpoint.size
                )));
            }
            let proof = inclusion_proof(&tree, index, checkpoint.size)
                .map_err(|e| verify_failure(e.to_string()))?;
            let bundle_index = index / TILE_WIDTH;
            let width = (checkpoint.size - bundle_index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let tile = TileId::entries(bundle_index, width);
            let data = source
                .read_tile(tile)
                .or_else(|e| source.read_tile(tile.full()).map_err(|_| e))
                .map_err(|e| verify_failure(format!("cannot read {tile}: {e}")))?;
            let (bundle_tile, entries) = match parse_entry_bundle(tile, &data) {
                Ok(entries) => (tile, entries),
                Err(_) => (
                    tile.full(),
                    parse_entry_bundle(tile.full(), &data)
                        .map_err(|e| verify_failure(e.to_string()))?,
                ),
            };
            let bytes = entries
                .get((index % TILE_WIDTH) as usize)
                .ok_or_else(|| verify_failure(format!("{bundle_tile} lacks entry {index}")))?;
            let entry =
                Entry::parse(bytes).map_err(|e| verify_failure(format!("entry {index}: {e}")))?;
            verify_inclusion(
                &entry.leaf_hash(),
                index,
                checkpoint.size,
                &proof,
                &checkpoint.root,
            )
            .map_err(|e| {
                verify_failure(format!("the log's tiles do not prove entry {index}: {e}"))
            })?;
            let receipt = Receipt {
                index,
                leaf_hash: entry.leaf_hash().to_base64(),
                logged_at: entry.logged_at().to_string(),
                checkpoint: text,
                inclusion_proof: proof.iter().map(Hash::to_base64).collect(),
                entry: Some(entry.to_value()),
            };
            out!(
                "{}",
                serde_json::to_string_pretty(&receipt).unwrap_or_default()
            );
        }
        (None, Some(old)) => {
            if old > checkpoint.size {
                return Err(input_error(format!(
                    "the log has {} entries, fewer than {old}",
                    checkpoint.size
                )));
            }
            let proof = consistency_proof(&tree, old, checkpoint.size)
                .map_err(|e| verify_failure(e.to_string()))?;
            // The older root from the current tiles: hashes never change once complete.
            let old_root = if old == 0 {
                vitrine_ledger::hash::empty_root()
            } else {
                tree.subtree_hash(0, old)
                    .map_err(|e| verify_failure(e.to_string()))?
            };
            verify_consistency(old, checkpoint.size, &proof, &old_root, &checkpoint.root)
                .map_err(|e| verify_failure(format!("the log's tiles are not consistent: {e}")))?;
            out!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "old_size": old,
                    "old_root": old_root.to_base64(),
                    "new_size": checkpoint.size,
                    "checkpoint": text,
                    "consistency_proof": proof.iter().map(Hash::to_base64).collect::<Vec<_>>(),
                }))
                .unwrap_or_default()
            );
        }
        _ => return Err(input_error("give --index <entry> or --from <older size>")),
    }
    Ok(())
}

fn check_receipt(path: &Path, trust: &TrustArgs) -> Outcome {
    let policy = policy(trust)?;
    let data = read_input(Some(path))?;
    let receipt = Receipt::parse(&data).map_err(|e| input_error(e.to_string()))?;
    let checked = receipt
        .check(&policy)
        .map_err(|e| verify_failure(format!("receipt FAILED: {e}")))?;
    let cp = &checked.checkpoint.checkpoint;
    out!(
        "entry {} was logged at {} and is included in {} at size {}",
        receipt.index,
        receipt.logged_at,
        cp.origin,
        cp.size
    );
    if let Some(entry) = &checked.entry {
        let statement = entry.signed().statement();
        out!(
            "statement {} about {}, signed by {} key(s)",
            statement.kind(),
            statement.subject(),
            entry.signed().signatures().len()
        );
    }
    Ok(())
}

fn check_donation(path: &Path, trust: &TrustArgs) -> Outcome {
    let policy = policy(trust)?;
    let data = read_input(Some(path))?;
    let receipt = DonorReceipt::parse(&data).map_err(|e| input_error(e.to_string()))?;
    let checked = receipt
        .check(&policy)
        .map_err(|e| verify_failure(format!("donor receipt FAILED: {e}")))?;
    let cp = &checked.checkpoint.checkpoint;
    out!(
        "donation of {} {} to fund {} was logged at {} as entry {}, included in {} at size {}",
        checked.amount.amount,
        checked.amount.currency,
        checked.fund,
        checked.logged_at,
        checked.index,
        cp.origin,
        cp.size
    );
    match &checked.donor {
        DonorCheck::Opened(commitment) => {
            out!(
                "the donor data opens its commitment {}",
                commitment.to_hex()
            );
        }
        DonorCheck::NotOpened(commitment) => out!(
            "the donor commitment {} is not opened by this receipt (it carries no donor data)",
            commitment.to_hex()
        ),
        DonorCheck::Anonymous => out!("anonymous donation: no donor commitment"),
    }
    for (name, time) in &checked.checkpoint.cosigned_by {
        out!("cosigned by {name} at {time}");
    }
    Ok(())
}

fn cosign(
    source_arg: &str,
    key: &Path,
    log_key: &str,
    since: Option<&Path>,
    out: Option<&Path>,
    in_place: bool,
) -> Outcome {
    let witness = load_signer(key)?;
    if witness.key_type() != KeyType::Cosignature {
        return Err(input_error(
            "a witness key is needed (make one with `vitrine keygen --witness`)",
        ));
    }
    let policy = CheckpointPolicy::log_only(load_verifier(log_key)?)
        .map_err(|e| input_error(e.to_string()))?;
    let since_bytes = match since {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| input_error(format!("--since {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let source = Source::open(source_arg);
    let how = Verification {
        policy: &policy,
        since: since_bytes.as_deref(),
        threads: std::thread::available_parallelism().map_or(2, usize::from),
        batch: true,
        progress: None,
    };
    let report =
        verify_log(&source, &how).map_err(|e| verify_failure(format!("not cosigning: {e}")))?;
    let mut note = report.checkpoint.note.clone();
    let now = Timestamp::now().unix_seconds().max(0) as u64;
    note.sign(&witness, now);
    let text = note.to_text();
    if let Some(path) = out {
        write_atomic(path, text.as_bytes()).map_err(input_error)?;
    }
    if in_place {
        let Source::Dir(dir) = &source else {
            return Err(input_error("--in-place needs a directory"));
        };
        let path = dir.root.join("checkpoint");
        let current =
            std::fs::read(&path).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
        let current = Note::parse(&current).map_err(|e| input_error(e.to_string()))?;
        if current.text() != note.text() {
            return Err(input_error(
                "the log grew while it was being verified; cosign again",
            ));
        }
        write_atomic(&path, text.as_bytes()).map_err(input_error)?;
    }
    emit(&text);
    Ok(())
}
