//! `vitrine-server`: serve the log, run migrations, bootstrap the first administrator.

use clap::{Parser, Subcommand};
use ed25519_dalek::VerifyingKey;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use vitrine_ledger::statement::SignedStatement;
use vitrine_ledger::time::Timestamp;
use vitrine_server::Application;
use vitrine_server::config::Settings;
use vitrine_server::domain::types::{PLATFORM_ORGANISATION, Role};

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
    /// The first platform administrator, in one step: registers their key on the log
    /// (signed by the platform key) and, with --email and --name, creates their account
    /// (the password is read from standard input). Works whether the server is running
    /// (at the configured `listen`) or not (then it starts the log in this process for
    /// the moment it takes). Each step already done is left as it is, so it can be rerun.
    BootstrapAdmin {
        /// The administrator's Ed25519 public key: the `.pub` file `vitrine keygen` wrote,
        /// the verifier key in it, or the bare base64 key.
        #[arg(long)]
        public_key: String,
        /// The administrator's e-mail address, their login.
        #[arg(long, requires = "name")]
        email: Option<String>,
        /// A name to show.
        #[arg(long, requires = "email")]
        name: Option<String>,
    },
    /// Register an organisation on the log (a buyer, a charity, a supervisory body; a
    /// supplier too, though suppliers usually apply themselves), signed by the platform
    /// key. Works whether the server is running or not.
    RegisterOrganisation {
        /// Its id on the log: letters, digits, `.`, `_`, `-`.
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// buyer, supplier, charity or supervisor.
        #[arg(long)]
        kind: String,
        /// Its unified social credit code (required of suppliers).
        #[arg(long)]
        credit_code: Option<String>,
    },
    /// Register a key of an organisation with its role (a procurement officer's, say),
    /// signed by the platform key. Works whether the server is running or not.
    RegisterKey {
        /// The organisation's id on the log.
        #[arg(long)]
        organisation: String,
        /// The key: the `.pub` file `vitrine keygen` wrote, the verifier key in it, or the
        /// bare base64 key.
        #[arg(long)]
        public_key: String,
        /// organisation_admin, procurement_officer, bidder_representative, supervisor,
        /// charity_officer...
        #[arg(long)]
        role: String,
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
        Command::BootstrapAdmin {
            public_key,
            email,
            name,
        } => bootstrap_admin(&settings, &public_key, email.zip(name)),
        Command::RegisterOrganisation {
            id,
            name,
            kind,
            credit_code,
        } => register_organisation(&settings, &id, &name, &kind, credit_code.as_deref()),
        Command::RegisterKey {
            organisation,
            public_key,
            role,
        } => public_key_argument(&public_key).and_then(|key| {
            let receipt = log_as_platform(
                &settings,
                "key.registered",
                &organisation,
                json!({"organisation": organisation, "public_key": key, "role": role}),
            )?;
            println!(
                "registered the key {key} as {role} of {organisation}: entry {}",
                receipt["index"]
            );
            Ok(())
        }),
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
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let (url, _cluster) = vitrine_server::database(settings).map_err(|e| e.to_string())?;
    vitrine_server::migrate(&url).map_err(|e| e.to_string())?;
    let mut conn = vitrine_server::db::connect(&url)?;
    let id = vitrine_server::auth::create_user(
        &mut conn,
        &vitrine_server::auth::NewUser {
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
    let (url, _cluster) = vitrine_server::database(settings).map_err(|e| e.to_string())?;
    let mut conn = vitrine_server::db::connect(&url)?;
    let registry = vitrine_server::domain::Registry::new();
    let report = vitrine_server::log::replay::replay(&mut conn, &registry, 50)?;
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

fn bootstrap_admin(
    settings: &Settings,
    public_key: &str,
    account: Option<(String, String)>,
) -> Result<(), String> {
    use vitrine_server::db::{accounts, directory};
    let public_key = public_key_argument(public_key)?;
    // The platform key must exist already: a command never makes keys as a side effect.
    platform_signer(settings)?;
    // Everything about the account is checked before anything is logged.
    let account = match account {
        None => None,
        Some((email, name)) => {
            let email = vitrine_server::auth::email_address(&email)
                .ok_or_else(|| format!("--email {email:?} is not an e-mail address"))?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| format!("reading the password from standard input: {e}"))?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            vitrine_server::auth::check_new_password(&password, &email)?;
            Some((email, name, password))
        }
    };
    let (url, _cluster) = vitrine_server::database(settings).map_err(|e| e.to_string())?;
    vitrine_server::migrate(&url).map_err(|e| e.to_string())?;
    let mut conn = vitrine_server::db::connect(&url)?;
    let key_bytes = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&public_key)
            .map_err(|e| e.to_string())?
    };
    // Whether the account exists already, and as what: before anything is logged.
    let account = match account {
        None => None,
        Some((email, name, password)) => {
            let existing =
                accounts::organisation_and_role(&mut conn, &email).map_err(|e| e.to_string())?;
            match existing {
                Some((organisation, role)) if is_platform_admin(&organisation, &role) => {
                    Some((email, name, password, true))
                }
                Some(_) => return Err(format!("{email} already has an account of another kind")),
                None => Some((email, name, password, false)),
            }
        }
    };
    let holder = directory::key(&mut conn, &key_bytes).map_err(|e| e.to_string())?;
    match holder {
        Some(key) if is_platform_admin(&key.organisation, &key.role) => {
            println!("the key {public_key} is already a platform administrator's");
        }
        Some(key) => {
            return Err(format!(
                "the key {public_key} is registered already, as {} of {}: make a new one (vitrine keygen)",
                key.role, key.organisation
            ));
        }
        None => {
            let receipt = log_as_platform(
                settings,
                "key.registered",
                PLATFORM_ORGANISATION,
                json!({"organisation": PLATFORM_ORGANISATION, "public_key": public_key, "role": Role::PlatformAdmin.as_str()}),
            )?;
            println!(
                "registered the key {public_key} as a platform administrator's: entry {}",
                receipt["index"]
            );
        }
    }
    if let Some((email, name, password, exists)) = account {
        if exists {
            println!(
                "{email} is already a platform administrator's account; its password is unchanged"
            );
        } else {
            let id = vitrine_server::auth::create_user(
                &mut conn,
                &vitrine_server::auth::NewUser {
                    organisation: PLATFORM_ORGANISATION,
                    email: &email,
                    display_name: &name,
                    role: Role::PlatformAdmin.as_str(),
                    password: &password,
                },
            )
            .map_err(|e| e.detail)?;
            println!("created the account {email} (user {id}, platform_admin of platform)");
        }
        println!(
            "log in with it (POST /api/v1/session), then set up its second factor (POST /api/v1/me/totp)"
        );
    }
    Ok(())
}

/// Whether a user or key row (organisation, role) is a platform administrator's.
fn is_platform_admin(organisation: &str, role: &str) -> bool {
    organisation == PLATFORM_ORGANISATION && Role::parse(role) == Some(Role::PlatformAdmin)
}

/// The platform's statement key, which the server made on its first start.
fn platform_signer(settings: &Settings) -> Result<vitrine_ledger::note::NoteSigner, String> {
    let path = settings.platform_key_path();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e}. The platform key is made when the server first starts: start it once (`cargo run --release -p vitrine-server`), then run this from the same directory (or set VITRINE_DATA_DIR or VITRINE_PLATFORM_KEY_FILE)",
            path.display()
        )
    })?;
    vitrine_ledger::note::NoteSigner::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Signs a statement with the platform key and logs it; the receipt.
fn log_as_platform(
    settings: &Settings,
    kind: &str,
    subject: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let platform = platform_signer(settings)?;
    let signed = vitrine_server::log::platform::sign(
        platform.signing_key(),
        kind,
        subject,
        body,
        Timestamp::now().truncate_to_micros(),
    )
    .map_err(|e| e.to_string())?;
    log_statement(settings, &signed)
}

fn register_organisation(
    settings: &Settings,
    id: &str,
    name: &str,
    kind: &str,
    credit_code: Option<&str>,
) -> Result<(), String> {
    let mut body = json!({"id": id, "name": name, "kind": kind});
    if let Some(code) = credit_code {
        body["credit_code"] = json!(code);
    }
    let receipt = log_as_platform(settings, "organisation.registered", id, body)?;
    println!(
        "registered the organisation {id} ({kind}): entry {}",
        receipt["index"]
    );
    Ok(())
}

/// Logs a signed statement: through the server at `listen` if it runs, else through the
/// log started in this process for the moment (on a free loopback port). The receipt.
fn log_statement(
    settings: &Settings,
    signed: &SignedStatement,
) -> Result<serde_json::Value, String> {
    let body = signed.to_value().to_string();
    match post_statement(&format!("http://{}", settings.listen), &body) {
        Err(PostError::Unreachable(_)) => {}
        Err(PostError::Refused(message)) => return Err(message),
        Ok(receipt) => return Ok(receipt),
    }
    eprintln!(
        "no server answers at {}: starting the log in this process",
        settings.listen
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut local = settings.clone();
        local.listen = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
        local.public_url = None;
        let app = Application::build(local)
            .await
            .map_err(|e| e.to_string())?;
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let server = tokio::spawn(app.run_until_stopped());
        let body = body.clone();
        let result = tokio::task::spawn_blocking(move || {
            // Until this process holds the sequencer (another one may, at another address).
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let ready = ureq::get(&format!("{base}/readyz"))
                    .call()
                    .ok()
                    .and_then(|mut r| r.body_mut().read_to_string().ok())
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .is_some_and(|v| v["sequencing"] == json!(true));
                if ready {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err("another process sequences this log (a server at another address?): run this with VITRINE_LISTEN set to its address".to_owned());
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            post_statement(&base, &body).map_err(|e| match e {
                PostError::Unreachable(m) | PostError::Refused(m) => m,
            })
        })
        .await
        .map_err(|e| e.to_string())?;
        handle.stop(true).await;
        let _ = server.await;
        result
    })
}

enum PostError {
    /// Nothing answered.
    Unreachable(String),
    /// The server answered with a refusal.
    Refused(String),
}

fn post_statement(base: &str, body: &str) -> Result<serde_json::Value, PostError> {
    let url = format!("{base}/api/v1/statements");
    let mut response = ureq::post(&url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("content-type", "application/json")
        .send(body)
        .map_err(|e| PostError::Unreachable(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if status == 201 || status == 200 {
        serde_json::from_str(&text).map_err(|e| PostError::Refused(format!("{url}: {e}")))
    } else {
        // A problem document: its detail says why.
        let detail = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|p| p["detail"].as_str().map(str::to_owned))
            .unwrap_or(text);
        Err(PostError::Refused(format!(
            "the server refused the statement ({status}): {detail}"
        )))
    }
}
