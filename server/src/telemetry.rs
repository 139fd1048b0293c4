//! Logging: one span per HTTP request, carrying a request id that the answer echoes in
//! `x-request-id`, and the choice of text or JSON lines (`VITRINE_LOG_FORMAT`).
//!
//! Every request's outcome is logged when it ends: server errors at `error`, refusals at
//! `info`, successes at `debug` (at thousands of appends a second, a line per success would
//! cost more than the append). Paths are logged without their query strings, and no
//! header or body is logged, so no secret reaches the log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument as _;

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    /// Reads `VITRINE_LOG_FORMAT` (`text` or `json`; text when unset).
    pub fn from_env() -> Result<LogFormat, String> {
        match std::env::var("VITRINE_LOG_FORMAT").as_deref() {
            Err(_) | Ok("text") => Ok(LogFormat::Text),
            Ok("json") => Ok(LogFormat::Json),
            Ok(other) => Err(format!(
                "VITRINE_LOG_FORMAT must be text or json, not {other:?}"
            )),
        }
    }
}

/// Installs the global subscriber: level from `VITRINE_LOG` (default `info`), to stderr.
pub fn init(format: LogFormat) {
    // A malformed request (a negative Content-Length, say) is the client's error: actix
    // answers it 400 and would log it as an ERROR, which anyone could flood.
    let filter = tracing_subscriber::EnvFilter::try_from_env("VITRINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        .add_directive(
            "actix_http::h1::dispatcher=off"
                .parse()
                .unwrap_or_else(|_| {
                    tracing_subscriber::filter::Directive::from(tracing::Level::INFO)
                }),
        );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour only on a terminal: a log written to a file has no escape codes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// A request id: the caller's, if it is a short token, or a new one.
fn request_id(request: &ServiceRequest) -> HeaderValue {
    let given = request.headers().get(&REQUEST_ID).filter(|v| {
        let bytes = v.as_bytes();
        (1..=64).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
    });
    if let Some(id) = given {
        return id.clone();
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(|| {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        u64::from_le_bytes(seed)
    });
    let id = format!(
        "{:016x}",
        base.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed))
    );
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The middleware: a span per request, its outcome logged, its id echoed.
pub async fn requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&request);
    let span = tracing::info_span!(
        "request",
        id = id.to_str().unwrap_or_default(),
        method = %request.method(),
        path = request.path(),
    );
    let started = Instant::now();
    async move {
        let mut response = next.call(request).await?;
        let status = response.status().as_u16();
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        match status {
            500.. => tracing::error!(status, millis, "request failed"),
            400.. => tracing::info!(status, millis, "request refused"),
            _ => tracing::debug!(status, millis, "request served"),
        }
        response.headers_mut().insert(REQUEST_ID, id);
        Ok(response)
    }
    .instrument(span)
    .await
}
