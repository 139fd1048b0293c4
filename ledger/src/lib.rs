//! Vitrine's verifiable log, as a pure library: no I/O, no database, no async.
//!
//! Everything here follows the normative formats of DESIGN.md ("The log"), which build on
//! public specifications so that anyone can check a Vitrine log with their own tools:
//!
//! - [`jcs`]: canonical JSON (RFC 8785);
//! - [`statement`]: statements, their Ed25519 signatures and log entries;
//! - [`merkle`]: the RFC 6962 / RFC 9162 tree, inclusion and consistency proofs;
//! - [`note`] and [`checkpoint`]: C2SP signed notes, checkpoints and witness cosignatures;
//! - [`tile`]: C2SP tlog-tiles, and proofs computed from tiles;
//! - [`bid`]: sealed-bid commitments (`vitrine/bid/v1`);
//! - [`receipt`]: what an append returns, checkable offline;
//! - [`tlog_proof`]: C2SP tlog-proof files (index, inclusion proof, checkpoint, extra data);
//! - [`donor`]: donor commitments (`vitrine/donor/v1`);
//! - [`donation`]: donor receipts, tlog-proofs of a donation that open its donor commitment;
//! - [`verify`]: batch signature verification and whole-log verification.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bid;
pub mod checkpoint;
pub mod donation;
pub mod donor;
pub mod hash;
pub mod jcs;
pub mod merkle;
pub mod note;
pub mod receipt;
pub mod statement;
pub mod tile;
pub mod time;
pub mod tlog_proof;
pub mod verify;

pub use hash::Hash;
pub use time::Timestamp;
