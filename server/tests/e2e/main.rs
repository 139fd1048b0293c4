//! The server's end-to-end tests, in one binary: each module drives the server over HTTP
//! (in process or as a child process) against a real PostgreSQL, with the helpers in
//! `common`. One binary links once, and a helper no test uses is a warning.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

mod accounts;
mod api;
mod charity;
mod charity_desk;
mod charity_pages;
mod commands;
mod crash;
mod hardening;
mod logging;
mod outbox;
mod pages;
mod procurement;
mod schemathesis;
