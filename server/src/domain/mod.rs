//! The rules of the log, as plain code: no actix, diesel or tokio here, so they can be
//! tested without a server.
//!
//! - [`rules`]: what every kind shares: the [`Kind`](rules::Kind) trait, the batch's
//!   [`State`](rules::State), [`Effect`](rules::Effect)s and [`Refusal`](rules::Refusal)s;
//! - [`types`]: the identities the rules speak of;
//! - [`shape`]: the pieces of the JSON Schemas the kinds declare for their bodies;
//! - [`directory`]: organisations, keys and published documents;
//! - [`procurement`]: tenders, from publication to payments, and their OCDS releases;
//! - [`charity`]: funds, donations and disbursements, traced first in, first out.
//!
//! A new area (supervision) adds its folder beside `procurement/`, a variant of
//! [`Effect`](rules::Effect) and its part of [`State`](rules::State), and registers its
//! kinds in [`Registry::new`].

pub mod charity;
pub mod credit_code;
pub mod directory;
pub mod procurement;
pub mod rules;
pub mod said;
pub mod shape;
pub mod types;

pub use rules::{
    Context, Directory, DirectoryChange, Effect, KeyRecord, Kind, Refusal, Registry, Signer, State,
    StateKey,
};
pub use types::Role;

impl Registry {
    /// Every area's kinds.
    pub fn new() -> Registry {
        let mut registry = Registry::empty();
        directory::register(&mut registry);
        procurement::register(&mut registry);
        charity::register(&mut registry);
        registry
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}
