//! Forwarding: a process that does not sequence sends a checked statement to the one
//! that does (its address is in `sequencer_lease`) and answers what it answers.

use crate::db::{DbPool, blocking, leases};
use crate::error::{AppError, AppResult};

/// Marks a request forwarded by another server process (so it is never forwarded again).
pub const FORWARDED_HEADER: &str = "x-vitrine-forwarded";

/// What the sequencing process answered: status, content type and body.
pub struct Forwarded {
    /// The HTTP status.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its body.
    pub body: Vec<u8>,
}

/// Sends `body` to `path` (the route the request came to) with the sender's
/// `credentials` (headers the sequencing process checks again) at the process that
/// sequences.
pub async fn forward(
    pool: &DbPool,
    agent: ureq::Agent,
    path: String,
    credentials: Vec<(&'static str, String)>,
    body: Vec<u8>,
) -> AppResult<Forwarded> {
    blocking(pool, move |conn| {
        let url = leases::sequencer_url(conn)?.ok_or_else(|| {
            AppError::unavailable(crate::said!(
                "log.no_sequencer",
                "no process sequences the log yet; try again"
            ))
        })?;
        let mut forwarded = agent
            .post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .header(FORWARDED_HEADER, "1");
        for (name, value) in &credentials {
            forwarded = forwarded.header(*name, value);
        }
        let unanswered = |e: ureq::Error| {
            AppError::unavailable(crate::said!(
                "log.forward_failed",
                "the sequencing process did not answer ({why}); try again",
                why = e
            ))
        };
        let mut response = forwarded.send(&body[..]).map_err(unanswered)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        let body = response.body_mut().read_to_vec().map_err(unanswered)?;
        Ok(Forwarded {
            status,
            content_type,
            body,
        })
    })
    .await
}
