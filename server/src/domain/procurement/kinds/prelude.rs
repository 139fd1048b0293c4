//! What every procurement kind's file uses.

pub(super) use super::super::checks::*;
pub(super) use super::super::tender::*;
pub(super) use crate::domain::rules::{
    Context, Effect, Kind, Refusal, Signer, State, StateKey, bounded_text, identifier, only, text,
};
pub(super) use crate::domain::shape;
pub(super) use crate::domain::types::{OrganisationKind, Role};
pub(super) use serde_json::{Value, json};
pub(super) use std::collections::HashSet;
pub(super) use vitrine_ledger::bid::{Bid, Money, Salt};
pub(super) use vitrine_ledger::hash::Hash;
pub(super) use vitrine_ledger::statement::Statement;
pub(super) use vitrine_ledger::time::Timestamp;
