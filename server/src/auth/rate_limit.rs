//! Attempts per address or per account, in a sliding window.

use crate::domain::said::Said;
use crate::error::{AppError, AppResult, ProblemType};
use actix_web::http::StatusCode;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts per address (or per account): at most `limit` in `window`.
pub struct RateLimit<K = IpAddr> {
    limit: usize,
    window: Duration,
    /// What is counted, for the refusal.
    what: Counted,
    seen: Mutex<HashMap<K, VecDeque<Instant>>>,
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Logins, per address.
    LoginAttempts,
    /// Applications to register, per address.
    Applications,
    /// Uploads, per account.
    Uploads,
}

impl<K: std::hash::Hash + Eq> RateLimit<K> {
    /// A limit of `limit` attempts of `what` per `window`.
    pub fn new(limit: usize, window: Duration, what: Counted) -> RateLimit<K> {
        RateLimit {
            limit,
            window,
            what,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// What a refusal says: each kind of attempt its own sentence, in other languages too.
    fn refusal(&self) -> Said {
        let (limit, seconds) = (self.limit, self.window.as_secs());
        match self.what {
            Counted::LoginAttempts => crate::said!(
                "rate.login",
                "at most {limit} login attempts per {seconds} seconds; wait and try again",
                limit = limit,
                seconds = seconds,
            ),
            Counted::Applications => crate::said!(
                "rate.registration",
                "at most {limit} applications to register per {seconds} seconds; wait and try again",
                limit = limit,
                seconds = seconds,
            ),
            Counted::Uploads => crate::said!(
                "rate.upload",
                "at most {limit} uploads per account per {seconds} seconds; wait and try again",
                limit = limit,
                seconds = seconds,
            ),
        }
    }

    /// Counts an attempt from `address`; refuses it past the limit.
    pub fn check(&self, address: Option<K>) -> AppResult<()> {
        let Some(address) = address else {
            return Ok(());
        };
        let now = Instant::now();
        let mut seen = self.seen.lock().map_err(AppError::internal)?;
        if seen.len() > 100_000 {
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = seen.entry(address).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            // Until the oldest attempt in the window leaves it.
            let wait = times.front().map_or(self.window, |t| {
                self.window.saturating_sub(now.duration_since(*t))
            });
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemType::RateLimited,
                self.refusal(),
            )
            .with("retry_after_seconds", wait.as_secs().max(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_counts_per_address() {
        let limit = RateLimit::new(2, Duration::from_secs(60), Counted::LoginAttempts);
        let a = Some(IpAddr::from([127, 0, 0, 1]));
        let b = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_err());
        assert!(limit.check(b).is_ok());
    }
}
