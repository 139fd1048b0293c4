//! `vitrine-server`: serve the log, run migrations, bootstrap the first administrator.

use clap::{Parser, Subcommand};
use ed25519_dalek::VerifyingKey;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use vitrine_ledger::statement::{SignedStatement, Statement};
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;
use vitrine_server::config::Settings;

#[derive(Parser)]
#[command(
    name = "vitrine-server",
    version,
    about = "Vitrine's server: the verifiable log over HTTP"
)]
struct Cli {
    /// A TOML settings file; VITRINE_* environment variables override it.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve (the default). With no database configured, runs a private PostgreSQL cluster.
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Rebuild every projection from the log in a scratch schema and compare it with the
    /// live tables; exits 1 and lists the entries concerned if they differ.
    Replay,
    /// Register the first platform administrator's key, signed by the platform key. The
    /// server must be running; its address is the configured `listen`.
    BootstrapAdmin {
        /// The administrator's Ed25519 public key, base64 (`vitrine keygen` prints it).
        #[arg(long)]
        public_key: String,
    },
    /// Create a user account of a registered organisation (the first platform
    /// administrator's, say). The password is read from standard input.
    CreateUser {
        /// The organisation's id on the log (`platform` for the platform's own users).
        #[arg(long)]
        organisation: String,
        /// The e-mail address, the login.
        #[arg(long)]
        email: String,
        /// platform_admin, organisation_admin, procurement_officer, bidder_representative
        /// or supervisor.
        #[arg(long)]
        role: String,
        /// A name to show.
        #[arg(long)]
        name: String,
    },
}

fn main() -> ExitCode {
    match vitrine_server::telemetry::LogFormat::from_env() {
        Ok(format) => vitrine_server::telemetry::init(format),
        Err(e) => {
            eprintln!("vitrine-server: {e}");
            return ExitCode::from(2);
        }
    }
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("vitrine-server: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Replay => replay(&settings),
        Command::BootstrapAdmin { public_key } => bootstrap_admin(&settings, &public_key),
        Command::CreateUser {
            organisation,
            email,
            role,
            name,
        } => create_user(&settings, &organisation, &email, &role, &name),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("vitrine-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listen = settings.listen;
        let app = Application::build(settings)
            .await
            .map_err(|e| e.to_string())?;
        // For the operator, on standard output; the log (standard error) may be JSON.
        println!(
            "vitrine-server: listening on http://{}:{}  (log: /log/, API: /api/v1/)",
            listen.ip(),
            app.port()
        );
        println!(
            "vitrine-server: checkpoint verifier key: {}",
            app.checkpoint_key()
        );
        tracing::info!(
            address = %std::net::SocketAddr::new(listen.ip(), app.port()),
            checkpoint_key = %app.checkpoint_key(),
            "listening"
        );
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn migrate(settings: &Settings) -> Result<(), String> {
    let (url, _cluster) = vitrine_server::database(settings).map_err(|e| e.to_string())?;
    let applied = vitrine_server::migrate(&url).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("the database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

fn create_user(
    settings: &Settings,
    organisation: &str,
    email: &str,
    role: &str,
    name: &str,
) -> Result<(), String> {
    use diesel::Connection as _;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let (url, _cluster) = vitrine_server::database(settings).map_err(|e| e.to_string())?;
    vitrine_server::migrate(&url).map_err(|e| e.to_string())?;
    let mut conn = diesel::PgConnection::establish(&url).map_err(|e| e.to_string())?;
    let id = vitrine_server::accounts::create_user(
        &mut conn,
        &vitrine_server::accounts::NewUser {
            organisation,
            email,
            display_name: name,
            role,
            password,
        },
    )
    .map_err(|e| e.detail)?;
    println!("created user {id} ({email}, {role} of {organisation})");
    Ok(())
}

fn replay(settings: &Settings) -> Result<(), String> {
    use diesel::Connection as _;
    let (url, _cluster) = vitrine_server::database(settings).map_err(|e| e.to_string())?;
    let mut conn = diesel::PgConnection::establish(&url).map_err(|e| e.to_string())?;
    let registry = vitrine_server::domain::Registry::new();
    let report = vitrine_server::replay::replay(&mut conn, &registry, 50)?;
    println!("replayed {} entries", report.entries);
    for (index, why) in &report.refused {
        println!("ALARM: entry {index} would be refused now: {why}");
    }
    for d in &report.differences {
        println!(
            "ALARM: {} ({}), entry {}: {}",
            d.table, d.side, d.entry, d.row
        );
    }
    if report.is_clean() {
        println!("the tables are exactly what the log implies");
        Ok(())
    } else {
        Err(format!(
            "{} refused entries and {} differing rows",
            report.refused.len(),
            report.differences.len()
        ))
    }
}

/// An Ed25519 public key given as bare base64, as a verifier key (what `vitrine keygen`
/// writes to its `.pub` file), or as the path of such a file.
fn public_key_argument(given: &str) -> Result<String, String> {
    use base64::Engine as _;
    let text = match std::fs::read_to_string(given) {
        Ok(contents) => contents,
        Err(_) => given.to_owned(),
    };
    let text = text.trim();
    if let Ok(verifier) = vitrine_ledger::note::NoteVerifier::parse(text) {
        return Ok(
            base64::engine::general_purpose::STANDARD.encode(verifier.public_key().as_bytes())
        );
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| {
            "--public-key must be an Ed25519 public key: base64, a verifier key, or the .pub file `vitrine keygen` wrote".to_owned()
        })?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "--public-key must be 32 bytes".to_owned())?;
    VerifyingKey::from_bytes(&key)
        .map_err(|_| "--public-key is not an Ed25519 point".to_owned())?;
    Ok(text.to_owned())
}

fn bootstrap_admin(settings: &Settings, public_key: &str) -> Result<(), String> {
    let public_key = public_key_argument(public_key)?;
    // The platform key must exist already: a command never makes keys as a side effect.
    let path = settings.platform_key_path();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e}. The platform key is made when the server first starts; run this where the server runs (or set VITRINE_DATA_DIR or VITRINE_PLATFORM_KEY_FILE)",
            path.display()
        )
    })?;
    let platform = vitrine_ledger::note::NoteSigner::parse(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let statement = Statement::from_value(json!({
        "kind": "key.registered",
        "subject": "platform",
        "issued_at": Timestamp::now().truncate_to_micros().to_string(),
        "body": {"organisation": "platform", "public_key": public_key, "role": "platform_admin"},
    }))
    .map_err(|e| e.to_string())?;
    let mut signed = SignedStatement::new(statement);
    signed.sign(platform.signing_key());
    let url = format!("http://{}/api/v1/statements", settings.listen);
    let mut response = ureq::post(&url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("content-type", "application/json")
        .send(signed.to_value().to_string())
        .map_err(|e| format!("{url}: {e} (is the server running?)"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if status == 201 || status == 200 {
        println!("{body}");
        Ok(())
    } else {
        Err(format!(
            "the server refused the registration ({status}): {body}"
        ))
    }
}
