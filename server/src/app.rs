//! The application: everything started from [`Settings`] (the database, a private
//! cluster when none is configured, the migrations, the keys, the sequencer, the workers
//! and the HTTP server), with the routes mounted and the [`AppState`] they reach. Tests
//! start the real application the same way.

use crate::config::Settings;
use crate::db;
use crate::db::cluster::{self, PrivateCluster};
use crate::domain::Registry;
use crate::log::sequencer;
use crate::routes::intake;
use crate::routes::state::{AppState, BoundedCache, KeyCache};
use crate::routes::uploads::Uploads;
use crate::{auth, notify, outbox, routes, scheduler, telemetry};
use actix_web::{App, HttpServer, web};
use ed25519_dalek::SigningKey;
use std::path::Path;
use std::sync::Arc;
use vitrine_ledger::note::{KeyType, NoteSigner};

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The private PostgreSQL cluster.
    #[error(transparent)]
    Cluster(#[from] cluster::ClusterError),
    /// The database.
    #[error("{0}")]
    Database(String),
    /// A key file.
    #[error("{0}")]
    Key(String),
    /// A thread of the server's own (named).
    #[error("starting the {0} thread: {1}")]
    Thread(&'static str, std::io::Error),
    /// The pages' templates or messages (embedded: a build that ships broken ones).
    #[error("the pages: {0}")]
    Pages(String),
    /// Binding the listening socket.
    #[error("listening on {address}: {source}")]
    Bind {
        /// The address.
        address: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Loads a key file, or makes one (mode 0600) if it does not exist.
pub fn load_or_create_key(path: &Path, name: &str) -> Result<NoteSigner, StartError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let signer = NoteSigner::parse(&text)
                .map_err(|e| StartError::Key(format!("{}: {e}", path.display())))?;
            if signer.name() != name {
                return Err(StartError::Key(format!(
                    "{}: the key is named {:?}, but the log's origin is {name:?}",
                    path.display(),
                    signer.name()
                )));
            }
            Ok(signer)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| StartError::Key(format!("no randomness: {e}")))?;
            let signer = NoteSigner::new(name, KeyType::Ed25519, SigningKey::from_bytes(&seed))
                .map_err(|e| StartError::Key(e.to_string()))?;
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StartError::Key(format!("{}: {e}", parent.display())))?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| StartError::Key(format!("{}: {e}", path.display())))?;
            file.write_all(format!("{}\n", signer.to_signer_key()).as_bytes())
                .map_err(|e| StartError::Key(format!("{}: {e}", path.display())))?;
            tracing::info!(path = %path.display(), "made a new key");
            Ok(signer)
        }
        Err(e) => Err(StartError::Key(format!("{}: {e}", path.display()))),
    }
}

/// The database to use: configured, or the private cluster (started here).
pub fn database(settings: &Settings) -> Result<(String, Option<PrivateCluster>), StartError> {
    if let Some(url) = &settings.database_url {
        return Ok((url.clone(), None));
    }
    let cluster = PrivateCluster::start(&settings.data_dir, settings.pg_bin.as_deref())?;
    if !cluster.started_here() {
        tracing::info!("the private PostgreSQL cluster was already running; it is left running");
    }
    db::create_database(&cluster.url("postgres"), "vitrine").map_err(StartError::Database)?;
    Ok((cluster.url("vitrine"), Some(cluster)))
}

/// Runs the migrations on `url`.
pub fn migrate(url: &str) -> Result<Vec<String>, StartError> {
    db::migrate_url(url).map_err(StartError::Database)
}

/// The running application.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    sequencer: std::thread::JoinHandle<()>,
    scheduler: tokio::task::JoinHandle<()>,
    notifier: tokio::task::JoinHandle<()>,
    cluster: Option<PrivateCluster>,
    checkpoint_key: String,
}

impl Application {
    /// Starts the database, the sequencer and the HTTP server.
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let (url, cluster) = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || database(&settings))
                .await
                .map_err(|e| StartError::Database(e.to_string()))??
        };
        {
            let url = url.clone();
            tokio::task::spawn_blocking(move || migrate(&url))
                .await
                .map_err(|e| StartError::Database(e.to_string()))??;
        }
        let log_key = load_or_create_key(&settings.log_key_path(), &settings.log_origin)?;
        let platform_name = format!("{}/platform", settings.log_origin);
        let platform_key = load_or_create_key(&settings.platform_key_path(), &platform_name)?;
        let checkpoint_key = log_key.verifier().to_verifier_key();
        tracing::info!(%checkpoint_key, "log checkpoint key");
        let registry = Arc::new(Registry::new());
        // Bound first, so that the default public address has the real port.
        let listener =
            std::net::TcpListener::bind(settings.listen).map_err(|source| StartError::Bind {
                address: settings.listen,
                source,
            })?;
        let port = listener.local_addr().map_or(0, |a| a.port());
        let local_url = {
            let ip = match settings.listen.ip() {
                ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
                ip => ip,
            };
            format!("http://{}", std::net::SocketAddr::new(ip, port))
        };
        // Links name the configured public address, never one a request claims.
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| local_url.clone());
        let advertise = Arc::new(std::sync::OnceLock::new());
        let (sequencer, sequencer_thread) = sequencer::start(sequencer::SequencerConfig {
            database_url: url.clone(),
            log_key: log_key.clone(),
            platform_key: platform_key.signing_key().clone(),
            registry: registry.clone(),
            batch_max: settings.batch_max.max(1),
            max_clock_skew: settings.max_clock_skew(),
            advertise: advertise.clone(),
        });
        let pool = db::pool(&url, settings.db_pool_size).map_err(StartError::Database)?;
        let tokens = auth::TokenLookups::start(pool.clone())
            .map_err(|e| StartError::Thread("token-lookups", e))?;
        let state = web::Data::new(AppState {
            pool,
            sequencer,
            registry,
            log_key: log_key.verifier(),
            platform_key: platform_key.signing_key().verifying_key().to_bytes(),
            platform_signer: platform_key.signing_key().clone(),
            keys: KeyCache::default(),
            tokens,
            fund_charities: BoundedCache::default(),
            login_limit: auth::RateLimit::new(
                10,
                std::time::Duration::from_secs(60),
                auth::Counted::LoginAttempts,
            ),
            registration_limit: auth::RateLimit::new(
                10,
                std::time::Duration::from_secs(60),
                auth::Counted::Applications,
            ),
            forwarder: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(std::time::Duration::from_secs(30)))
                .build()
                .into(),
            uploads: Uploads::new(settings.data_dir.join("uploads"))
                .map_err(|e| StartError::Key(format!("the upload spool: {e}")))?,
            public_url,
        });
        let scheduler = tokio::spawn(scheduler::run(
            state.pool.clone(),
            state.sequencer.clone(),
            platform_key.signing_key().clone(),
            std::time::Duration::from_millis(settings.scheduler_interval_ms.max(10)),
        ));
        let notifier = outbox::spawn(
            &state.pool,
            notify::in_app::InApp,
            outbox::Policy {
                idle: std::time::Duration::from_millis(settings.scheduler_interval_ms.max(10)),
                ..outbox::Policy::default()
            },
        );
        let renderer = web::Data::new(crate::pages::Renderer::load().map_err(StartError::Pages)?);
        let mut server = HttpServer::new(move || {
            let mut headers = actix_web::middleware::DefaultHeaders::new();
            for header in crate::pages::SECURITY_HEADERS {
                headers = headers.add(header);
            }
            App::new()
                .app_data(state.clone())
                .app_data(renderer.clone())
                .wrap(headers)
                .wrap(actix_web::middleware::from_fn(intake::refuse_nul))
                .wrap(actix_web::middleware::from_fn(telemetry::requests))
                .configure(intake::extractor_configs)
                .configure(crate::pages::configure)
                .configure(routes::configure)
                .default_service(web::to(crate::pages::not_found))
        });
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server
            .shutdown_timeout(10)
            .listen(listener)
            .map_err(|source| StartError::Bind {
                address: settings.listen,
                source,
            })?;
        let url = settings.advertise_url.clone().unwrap_or(local_url);
        let _ = advertise.set(url);
        Ok(Application {
            port,
            server: server.run(),
            sequencer: sequencer_thread,
            scheduler,
            notifier,
            cluster,
            checkpoint_key,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The log's checkpoint verifier key.
    pub fn checkpoint_key(&self) -> &str {
        &self.checkpoint_key
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT, SIGTERM or the handle), then lets the sequencer finish
    /// its batch and stops the private cluster.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            sequencer,
            scheduler,
            notifier,
            mut cluster,
            ..
        } = self;
        server.await?;
        // The scheduler holds a handle to the sequencer: it goes first, so that the
        // sequencer sees its last handle dropped, finishes its batch and stops.
        scheduler.abort();
        let _ = scheduler.await;
        notifier.abort();
        let _ = notifier.await;
        tokio::task::spawn_blocking(move || {
            let _ = sequencer.join();
            if let Some(cluster) = cluster.as_mut()
                && let Err(e) = cluster.stop()
            {
                tracing::warn!(error = %e, "stopping PostgreSQL");
            }
        })
        .await
        .map_err(std::io::Error::other)?;
        Ok(())
    }
}
