//! The parts of the `vitrine` command that tests and tools reuse: reading a log from a
//! directory or a URL, and the file-backed log.

pub mod dirlog;
pub mod source;
