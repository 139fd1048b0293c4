//! The log's write path and its checks: statements are decided and appended in batches
//! ([`sequencer`], with [`apply`] judging each statement; `crate::db::projection` writes
//! their effects), or are sent on to the process that sequences ([`forward`]); the platform signs its own
//! statements one way ([`platform`]); [`replay`] rebuilds every projection from the log
//! and compares.

pub mod apply;
pub mod forward;
pub mod platform;
pub mod replay;
pub mod sequencer;
