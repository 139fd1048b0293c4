//! Telling participants what concerns them. Today: in-app notifications to the bidders
//! of a tender ([`in_app`]), an outbox consumer. E-mail and webhooks come next, as
//! consumers of their own.

pub mod in_app;
