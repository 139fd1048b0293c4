//! Procurement (DESIGN.md "Procurement"): a tender's life on the log, from publication to
//! payments, as statement kinds with their rules.
//!
//! A tender and everything that happens to it (bids, awards, contracts, payments) form one
//! aggregate, [`TenderState`]. Every procurement statement names its tender as its
//! `subject`; the sequencer fetches the aggregate once per batch, the rules judge each
//! statement against it in log order, and [`TenderChange`]s update it. The table
//! `tenders` keeps the aggregate (as JSON, with its listing columns beside it), so the
//! replay command can rebuild it from the log and compare.
//!
//! Time rules are judged by the entry's `logged_at`, never by the signer's `issued_at`.
//! The scheduler (`crate::scheduler`) logs the timed status changes, signed by the
//! platform; a rule never waits for it.
//!
//! **Sealed bids.** A bid is committed by a one-time key that is not in the directory, so
//! the public sees how many bids a tender has, not whose. The reveal is signed by that
//! one-time key and by a registered key of the bidder, binding the bid to the bidder for
//! everyone.

mod checks;
mod kinds;
pub mod ocds;
pub mod projection;
pub mod tender;

pub use checks::{document_hashes, unknown_tender};
pub use kinds::{ocid, register, tender_problems};
pub use tender::*;
