//! Vitrine's server: PostgreSQL, the sequencer, and the log over HTTP.
//!
//! [`Application::build`] starts everything from [`config::Settings`]. The modules,
//! dependencies pointing down the list (`tests/layout.rs` checks that none points back):
//!
//! - [`app`]: builds the application and mounts the routes;
//! - [`pages`]: the web pages (templates, messages and static files from `frontend/`);
//! - [`routes`]: the JSON API, one route table, one file per resource, with body intake
//!   and the state handlers reach;
//! - [`scheduler`], [`notify`], [`outbox`]: the workers;
//! - [`auth`]: accounts, sessions, tokens, second factors, rate limits;
//! - [`log`]: the sequencer, judging a statement, the platform's own statements,
//!   forwarding and replay;
//! - [`db`]: the pool, the schema, the private cluster, and every query;
//! - [`error`], [`telemetry`]: problem details (which know the domain's refusals),
//!   logging;
//! - [`domain`]: the rules, as plain code;
//! - [`config`]: the settings.
#![deny(missing_docs)]
// The OpenAPI document is one `json!` literal, deeper than the default limit.
#![recursion_limit = "256"]

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod log;
pub mod notify;
pub mod outbox;
pub mod pages;
pub mod routes;
pub mod scheduler;
pub mod telemetry;

pub use app::{Application, StartError, database, load_or_create_key, migrate};
