//! Typed settings, read once: defaults, then an optional TOML file, then `VITRINE_*`
//! environment variables. Passed explicitly; no global state.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything the server can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where to listen (`VITRINE_LISTEN`), e.g. `127.0.0.1:8080`; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The data directory (`VITRINE_DATA_DIR`): the private PostgreSQL cluster and the keys.
    pub data_dir: PathBuf,
    /// An external PostgreSQL (`VITRINE_DATABASE_URL`); without it, a private cluster is run.
    pub database_url: Option<String>,
    /// The log's origin and checkpoint key name (`VITRINE_LOG_ORIGIN`).
    pub log_origin: String,
    /// The log's checkpoint key file (`VITRINE_LOG_KEY_FILE`); made on first start if absent.
    pub log_key_file: Option<PathBuf>,
    /// The platform's statement key file (`VITRINE_PLATFORM_KEY_FILE`); made on first start.
    pub platform_key_file: Option<PathBuf>,
    /// Where PostgreSQL's `initdb`, `pg_ctl` and `postgres` are (`VITRINE_PG_BIN`); searched
    /// for when absent.
    pub pg_bin: Option<PathBuf>,
    /// Connections in the request pool (`VITRINE_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// The most statements one sequencer transaction takes (`VITRINE_BATCH_MAX`).
    pub batch_max: usize,
    /// How often the scheduler looks for due transitions, and the notifier for newly
    /// logged entries, in milliseconds (`VITRINE_SCHEDULER_INTERVAL_MS`).
    pub scheduler_interval_ms: u64,
    /// How far a statement's `issued_at` may be from the log's clock, in seconds
    /// (`VITRINE_MAX_CLOCK_SKEW`).
    pub max_clock_skew_seconds: u64,
    /// HTTP worker threads (`VITRINE_WORKERS`); 0 means one per core.
    pub workers: usize,
    /// The URL other server processes use to reach this one (`VITRINE_ADVERTISE_URL`);
    /// by default `http://<listen address>`.
    pub advertise_url: Option<String>,
    /// The URL the public reaches the server at (`VITRINE_PUBLIC_URL`), for the links the
    /// server writes (OCDS packages); by default `http://<listen address>`. Never taken
    /// from a request's `Host` or `X-Forwarded-Host`.
    pub public_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("vitrine-data"),
            database_url: None,
            log_origin: "vitrine.localhost/log".to_owned(),
            log_key_file: None,
            platform_key_file: None,
            pg_bin: None,
            db_pool_size: 8,
            batch_max: 4096,
            scheduler_interval_ms: 1000,
            max_clock_skew_seconds: 300,
            workers: 0,
            advertise_url: None,
            public_url: None,
        }
    }
}

/// Why settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for these settings.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("{name}: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let mut settings = match file {
            None => Settings::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| SettingsError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    /// Applies `VITRINE_*` variables from `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        fn parsed<T: std::str::FromStr>(
            name: &'static str,
            value: String,
        ) -> Result<T, SettingsError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| SettingsError::Env {
                name,
                message: e.to_string(),
            })
        }
        if let Some(v) = get("VITRINE_LISTEN") {
            self.listen = parsed("VITRINE_LISTEN", v)?;
        }
        if let Some(v) = get("VITRINE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("VITRINE_DATABASE_URL") {
            self.database_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("VITRINE_LOG_ORIGIN") {
            self.log_origin = v;
        }
        if let Some(v) = get("VITRINE_LOG_KEY_FILE") {
            self.log_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("VITRINE_PLATFORM_KEY_FILE") {
            self.platform_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("VITRINE_PG_BIN") {
            self.pg_bin = Some(PathBuf::from(v));
        }
        if let Some(v) = get("VITRINE_DB_POOL_SIZE") {
            self.db_pool_size = parsed("VITRINE_DB_POOL_SIZE", v)?;
        }
        if let Some(v) = get("VITRINE_SCHEDULER_INTERVAL_MS") {
            self.scheduler_interval_ms = parsed("VITRINE_SCHEDULER_INTERVAL_MS", v)?;
        }
        if let Some(v) = get("VITRINE_BATCH_MAX") {
            self.batch_max = parsed("VITRINE_BATCH_MAX", v)?;
        }
        if let Some(v) = get("VITRINE_MAX_CLOCK_SKEW") {
            self.max_clock_skew_seconds = parsed("VITRINE_MAX_CLOCK_SKEW", v)?;
        }
        if let Some(v) = get("VITRINE_ADVERTISE_URL") {
            self.advertise_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("VITRINE_PUBLIC_URL") {
            self.public_url = Some(v.trim_end_matches('/').to_owned()).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("VITRINE_WORKERS") {
            self.workers = parsed("VITRINE_WORKERS", v)?;
        }
        Ok(())
    }

    /// The log key file: configured, or `<data_dir>/log.key`.
    pub fn log_key_path(&self) -> PathBuf {
        self.log_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("log.key"))
    }

    /// The platform statement key file: configured, or `<data_dir>/platform.key`.
    pub fn platform_key_path(&self) -> PathBuf {
        self.platform_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("platform.key"))
    }

    /// The clock skew allowed for `issued_at`.
    pub fn max_clock_skew(&self) -> Duration {
        Duration::from_secs(self.max_clock_skew_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_defaults() {
        let mut settings: Settings =
            toml::from_str("listen = \"127.0.0.1:9000\"\nbatch_max = 10\n").unwrap();
        assert_eq!(settings.listen.port(), 9000);
        settings
            .apply_env(|name| match name {
                "VITRINE_BATCH_MAX" => Some("20".into()),
                "VITRINE_DATABASE_URL" => Some("postgres://x/y".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(settings.batch_max, 20);
        assert_eq!(settings.database_url.as_deref(), Some("postgres://x/y"));
        assert!(toml::from_str::<Settings>("nonsense = 1").is_err());
        let err = settings
            .apply_env(|name| (name == "VITRINE_LISTEN").then(|| "nowhere".into()))
            .unwrap_err();
        assert!(err.to_string().starts_with("VITRINE_LISTEN"));
    }
}
