//! What every charity kind's file uses.

pub(super) use super::super::checks::*;
pub(super) use super::super::fund::*;
pub(super) use super::super::money;
pub(super) use crate::domain::rules::{
    Context, Effect, Kind, Refusal, Signer, State, StateKey, any_signer, bilingual, bounded_text,
    hash, identifier, nested, only, public_key, public_key_at, text,
};
pub(super) use crate::domain::said::Said;
pub(super) use crate::domain::shape;
pub(super) use crate::domain::types::{OrganisationKind, Role};
pub(super) use base64::Engine as _;
pub(super) use base64::engine::general_purpose::STANDARD as BASE64;
pub(super) use serde_json::{Value, json};
pub(super) use vitrine_ledger::bid::Money;
pub(super) use vitrine_ledger::hash::Hash;
pub(super) use vitrine_ledger::statement::Statement;
pub(super) use vitrine_ledger::time::Timestamp;
