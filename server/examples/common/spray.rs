//! Sends a list of requests from concurrent keep-alive connections and times each: the
//! load generators' common loop (loopback only, bounded by the list).

use super::raw_client::RawClient;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One `POST` of a run.
pub struct Request<'a> {
    /// Its path.
    pub path: &'a str,
    /// Its JSON body.
    pub body: String,
    /// Extra header lines, each ending in `\r\n` (or none).
    pub headers: &'a str,
}

/// What a run came to.
pub struct Run {
    /// The latencies of the requests answered as expected, sorted.
    pub latencies: Vec<Duration>,
    /// From the first request sent to the last answer.
    pub elapsed: Duration,
    /// What went wrong with the others.
    pub failures: Vec<String>,
}

impl Run {
    /// Answers per second.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at `p` (0 to 1), in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        let sorted = &self.latencies;
        sorted
            .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    /// An error naming the first failure, if any.
    pub fn all_answered(&self) -> Result<(), String> {
        match self.failures.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "{} requests failed, the first with {first}",
                self.failures.len()
            )),
        }
    }
}

/// Sends `requests` in order from `clients` connections to `address`; a request counts
/// as answered if its status is `expect`. A connection that fails is opened again.
pub fn send(address: &str, requests: &[Request<'_>], clients: usize, expect: u16) -> Run {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(requests.len()));
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let mut local = Vec::new();
                let mut client = None;
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(n) else {
                        break;
                    };
                    let sent = Instant::now();
                    let answer = match client.as_mut() {
                        Some(c) => Ok(c),
                        None => RawClient::connect(address).map(|c| client.insert(c)),
                    }
                    .and_then(|c| c.post_with(request.path, &request.body, request.headers));
                    match answer {
                        Ok(status) if status == expect => local.push(sent.elapsed()),
                        Ok(status) => failures
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(format!("HTTP {status}")),
                        Err(e) => {
                            client = None;
                            failures.lock().unwrap_or_else(|e| e.into_inner()).push(e)
                        }
                    }
                }
                latencies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(local);
            });
        }
    });
    let elapsed = started.elapsed();
    let mut latencies = latencies.into_inner().unwrap_or_default();
    latencies.sort_unstable();
    Run {
        latencies,
        elapsed,
        failures: failures.into_inner().unwrap_or_default(),
    }
}
