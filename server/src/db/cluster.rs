//! A private PostgreSQL cluster in the data directory, for zero-configuration use: made with
//! `initdb` on first start, started with `pg_ctl`, reached over a Unix socket in a private
//! directory (no TCP port), and stopped on shutdown. As root, PostgreSQL runs as the
//! `postgres` user, since it refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the private cluster could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No PostgreSQL server binaries.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them \
         (Debian: `apt-get install postgresql`), point VITRINE_PG_BIN at their directory, or \
         set VITRINE_DATABASE_URL to use a running server"
    )]
    NoBinaries,
    /// A command failed.
    #[error("{command} failed: {output}")]
    Command {
        /// What was run.
        command: String,
        /// What it printed.
        output: String,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The `postgres` user cannot reach the data directory.
    #[error(
        "PostgreSQL runs as the postgres user, which cannot reach {0}, where this data \
         directory's cluster already is; let it pass through (chmod o+x on each directory \
         above), or move the data directory (VITRINE_DATA_DIR) somewhere it can reach"
    )]
    Unreachable(PathBuf),
    /// `postgres.location` names something other than a relocated cluster's directory.
    #[error("{0} names {1}, which is not a directory under /var/lib/vitrine/clusters")]
    BadLocation(PathBuf, PathBuf),
    /// The socket path would be too long for a Unix socket.
    #[error("the data directory path {0} is too long for a Unix socket; use a shorter one")]
    PathTooLong(PathBuf),
}

/// Where a root-run server keeps the clusters of data directories the `postgres` user
/// cannot reach.
pub const RELOCATED: &str = "/var/lib/vitrine/clusters";

/// Whether the `postgres` user can pass through `dir` (and every directory above it).
fn postgres_reaches(dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// The directory that holds the cluster, its socket and its log: the data directory,
/// or, as root, its relocated home (see [`PrivateCluster::start`]).
fn cluster_home(data_dir: &Path) -> Result<PathBuf, ClusterError> {
    let record = data_dir.join("postgres.location");
    if let Ok(recorded) = std::fs::read_to_string(&record) {
        // Only a directory of ours, not a link to elsewhere: root changes its owner and mode.
        let home = PathBuf::from(recorded.trim());
        let ours = home.starts_with(RELOCATED)
            && !home
                .components()
                .any(|c| c == std::path::Component::ParentDir)
            && std::fs::symlink_metadata(&home).is_ok_and(|m| m.is_dir());
        if !ours {
            return Err(ClusterError::BadLocation(record, home));
        }
        return Ok(home);
    }
    if !is_root() || data_dir.join("postgres/PG_VERSION").is_file() || postgres_reaches(data_dir) {
        return Ok(data_dir.to_owned());
    }
    use sha2::Digest as _;
    use std::os::unix::fs::PermissionsExt as _;
    let digest = sha2::Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let base = Path::new(RELOCATED);
    std::fs::create_dir_all(base).map_err(io(base))?;
    // Root's, and passable (not listable) by the postgres user on the way to its cluster.
    for dir in [Path::new("/var/lib/vitrine"), base] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).map_err(io(dir))?;
    }
    // The data directory itself (keys, uploads) stays root's alone.
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(io(data_dir))?;
    // A cluster left there by an earlier data directory of the same path (since removed)
    // is not this one's: a fresh name, then.
    let mut home = base.join(&name);
    if home.exists() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        home = base.join(format!("{name}-{nanos:x}-{}", std::process::id()));
    }
    std::fs::create_dir_all(&home).map_err(io(&home))?;
    std::fs::write(&record, format!("{}\n", home.display())).map_err(io(&record))?;
    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o600))
        .map_err(io(&record))?;
    tracing::warn!(
        data_dir = %data_dir.display(),
        cluster = %home.display(),
        "the postgres user cannot reach the data directory: its PostgreSQL cluster lives in {} (recorded in {})",
        home.display(),
        record.display()
    );
    Ok(home)
}

/// A running private cluster.
#[derive(Debug)]
pub struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    as_postgres: bool,
    /// Whether this process started it: only then does it stop it. A cluster found
    /// running (a server using it, say) is left running.
    started: bool,
    stopped: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Finds the directory holding `initdb` and `pg_ctl`: the configured one, the newest
/// `/usr/lib/postgresql/<version>/bin`, or `PATH`.
pub fn find_binaries(configured: Option<&Path>) -> Result<PathBuf, ClusterError> {
    let usable = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = configured {
        return if usable(dir) {
            Ok(dir.to_owned())
        } else {
            Err(ClusterError::NoBinaries)
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| usable(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| usable(dir))
        .ok_or(ClusterError::NoBinaries)
}

fn is_root() -> bool {
    // /proc/self belongs to the process's effective user.
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn chown_to_postgres(path: &Path) -> Result<(), ClusterError> {
    run(Command::new("chown")
        .arg("-R")
        .arg("postgres:postgres")
        .arg(path))
}

fn run(command: &mut Command) -> Result<(), ClusterError> {
    let output = command.output().map_err(|e| ClusterError::Command {
        command: format!("{command:?}"),
        output: e.to_string(),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ClusterError::Command {
            command: format!("{command:?}"),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

impl PrivateCluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Makes (on first use) and starts the cluster under `<data_dir>/postgres`; as root,
    /// when the `postgres` user cannot reach the data directory (a 0700 directory above
    /// it, say a `mktemp -d` or root's home) and no cluster is there yet, under
    /// [`RELOCATED`]`/<hash of the data directory>` instead, recorded in
    /// `<data_dir>/postgres.location` so that every later start finds it.
    pub fn start(data_dir: &Path, bin: Option<&Path>) -> Result<PrivateCluster, ClusterError> {
        let bin = find_binaries(bin)?;
        std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
        let data_dir = data_dir.canonicalize().map_err(io(data_dir))?;
        let home = cluster_home(&data_dir)?;
        let data_dir = home.as_path();
        let data = data_dir.join("postgres");
        let socket_dir = data_dir.join("run");
        if socket_dir.join(".s.PGSQL.5432").as_os_str().len() > 100 {
            return Err(ClusterError::PathTooLong(data_dir.to_owned()));
        }
        let mut cluster = PrivateCluster {
            bin,
            log_file: data_dir.join("postgres.log"),
            data,
            socket_dir,
            as_postgres: is_root(),
            started: false,
            stopped: false,
        };
        cluster.make_private(data_dir)?;
        std::fs::create_dir_all(&cluster.socket_dir).map_err(io(&cluster.socket_dir))?;
        if cluster.as_postgres {
            let reachable = Command::new("runuser")
                .args(["-u", "postgres", "--", "test", "-x"])
                .arg(data_dir)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                return Err(ClusterError::Unreachable(data_dir.to_owned()));
            }
        }
        if !cluster.data.join("PG_VERSION").is_file() {
            std::fs::create_dir_all(&cluster.data).map_err(io(&cluster.data))?;
            if cluster.as_postgres {
                chown_to_postgres(&cluster.data)?;
            }
            tracing::info!(data = %cluster.data.display(), "creating a private PostgreSQL cluster");
            run(cluster
                .command("initdb")
                .arg("-D")
                .arg(&cluster.data)
                .args([
                    "--username=postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ]))?;
        }
        if cluster.as_postgres {
            chown_to_postgres(&cluster.socket_dir)?;
            chown_to_postgres(&cluster.log_file)?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&cluster.socket_dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io(&cluster.socket_dir))?;
        }
        let options = format!(
            "-c listen_addresses='' -k {} -c unix_socket_permissions=0700 -c max_connections=200",
            cluster.socket_dir.display()
        );
        let running = cluster
            .command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&cluster.data)
            .output()
            .is_ok_and(|o| o.status.success());
        if !running {
            run(cluster
                .command("pg_ctl")
                .arg("start")
                .arg("-D")
                .arg(&cluster.data)
                .arg("-l")
                .arg(&cluster.log_file)
                .args(["-w", "-t", "60", "-o"])
                .arg(&options))
            .map_err(|e| match e {
                ClusterError::Command { command, output } => ClusterError::Command {
                    command,
                    output: format!("{output} (see {})", cluster.log_file.display()),
                },
                other => other,
            })?;
            cluster.started = true;
        }
        Ok(cluster)
    }

    /// Makes the data directory and PostgreSQL's log private: the directory 0700 (as root,
    /// 0710 with group `postgres`, which PostgreSQL needs to pass through), the log 0600.
    fn make_private(&self, data_dir: &Path) -> Result<(), ClusterError> {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = if self.as_postgres {
            run(Command::new("chgrp").arg("postgres").arg(data_dir))?;
            0o710
        } else {
            0o700
        };
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(mode))
            .map_err(io(data_dir))?;
        if !self.log_file.exists() {
            std::fs::write(&self.log_file, b"").map_err(io(&self.log_file))?;
        }
        std::fs::set_permissions(&self.log_file, std::fs::Permissions::from_mode(0o600))
            .map_err(io(&self.log_file))
    }

    /// Whether this process started the cluster (and so will stop it).
    pub fn started_here(&self) -> bool {
        self.started
    }

    /// A libpq connection string for `database` over the private socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "host='{}' dbname='{database}' user='postgres'",
            self.socket_dir
                .display()
                .to_string()
                .replace('\\', "\\\\")
                .replace('\'', "\\'")
        )
    }

    /// Stops the cluster (fast shutdown: open transactions roll back) if this process
    /// started it; a cluster found running is left running.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        if self.stopped || !self.started {
            return Ok(());
        }
        self.stopped = true;
        run(self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "-t", "60"]))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "stopping the private PostgreSQL cluster");
        }
    }
}
