//! What bounds document uploads: bodies spooled to a private directory as they arrive,
//! uploads per account at once and per hour, and contents stored at once.

use crate::auth;
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::http::StatusCode;

/// What bounds uploads: where bodies are spooled while they arrive, how many an account
/// may send, and how many are stored at once.
pub struct Uploads {
    /// The spool directory (in the data directory, mode 0700).
    pub dir: std::path::PathBuf,
    /// Uploads per account per hour.
    per_hour: auth::RateLimit<i64>,
    /// Uploads under way per account.
    in_flight: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
    /// Contents being written to the database at once (each is held in memory then).
    pub storing: tokio::sync::Semaphore,
}

impl Uploads {
    /// Uploads under way at once per account.
    pub const IN_FLIGHT_PER_ACCOUNT: usize = 2;
    /// Uploads per account per hour.
    pub const PER_HOUR: usize = 200;

    /// Spools in `dir` (made, mode 0700, emptied of what a previous run left: files over
    /// an hour old, as no upload lasts that long, so that another process sharing the
    /// data directory keeps the uploads it has under way).
    pub fn new(dir: std::path::PathBuf) -> std::io::Result<Uploads> {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let hour = std::time::Duration::from_secs(3600);
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age > hour);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Uploads {
            dir,
            per_hour: auth::RateLimit::new(
                Self::PER_HOUR,
                std::time::Duration::from_secs(3600),
                auth::Counted::Uploads,
            ),
            in_flight: std::sync::Mutex::new(std::collections::HashMap::new()),
            storing: tokio::sync::Semaphore::new(2),
        })
    }

    /// Takes one of the account's upload slots, or refuses.
    pub fn start(&self, user: i64) -> AppResult<UploadSlot<'_>> {
        self.per_hour.check(Some(user))?;
        let mut in_flight = self.in_flight.lock().map_err(AppError::internal)?;
        let count = in_flight.entry(user).or_default();
        if *count >= Self::IN_FLIGHT_PER_ACCOUNT {
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemType::RateLimited,
                crate::said!(
                    "upload.in_flight",
                    "an account sends at most {most} uploads at once; wait for one to finish",
                    most = Self::IN_FLIGHT_PER_ACCOUNT
                ),
            )
            .with("retry_after_seconds", 1));
        }
        *count += 1;
        Ok(UploadSlot {
            uploads: self,
            user,
        })
    }
}

/// An upload under way; gives its slot back when dropped.
pub struct UploadSlot<'a> {
    uploads: &'a Uploads,
    user: i64,
}

impl Drop for UploadSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.uploads.in_flight.lock()
            && let Some(count) = in_flight.get_mut(&self.user)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                in_flight.remove(&self.user);
            }
        }
    }
}

/// A spooled body; its file is removed when dropped.
pub struct Spool {
    /// Where it is.
    pub path: std::path::PathBuf,
    /// The open file.
    pub file: std::fs::File,
}

impl Spool {
    /// A new spool file in `dir`.
    pub fn create(dir: &std::path::Path) -> AppResult<Spool> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let name = auth::random_token(12)?;
        let path = dir.join(format!("{name}.part"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(AppError::internal)?;
        Ok(Spool { path, file })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
