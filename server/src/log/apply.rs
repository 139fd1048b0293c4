//! Judging one statement against a batch's state, as the sequencer and the replay command
//! both do: its signers, then its kind's rules. (What the batch writes is
//! [`crate::db::projection`].)

use crate::domain::types::PLATFORM_ORGANISATION;
use crate::domain::{Context, Effect, Refusal, Registry, Role, Signer, State};
use vitrine_ledger::statement::Statement;
use vitrine_ledger::time::Timestamp;

/// The kind of the first entry of every log.
pub const GENESIS_KIND: &str = "log.genesis";

/// Judges one statement against the state: its signers, then its kind's rules. Returns
/// the effects (not yet applied).
pub fn decide(
    registry: &Registry,
    statement: &Statement,
    keys: &[[u8; 32]],
    state: &State<'_>,
    index: u64,
    logged_at: Timestamp,
    author: Option<&str>,
) -> Result<Vec<Effect>, Refusal> {
    let kind = registry.get(statement.kind()).ok_or_else(|| {
        Refusal::Invalid(crate::said!(
            "statement.unknown_kind",
            "the log does not accept statements of kind {kind}",
            kind = format!("{:?}", statement.kind())
        ))
    })?;
    let (signers, one_time_keys) = if statement.kind() == GENESIS_KIND {
        // The genesis entry is signed by the platform key it registers.
        let signers = keys
            .iter()
            .map(|k| Signer {
                public_key: *k,
                organisation: PLATFORM_ORGANISATION.into(),
                role: Role::Platform,
            })
            .collect();
        (signers, Vec::new())
    } else {
        state.partition_signers(keys, kind.one_time_keys())?
    };
    let ctx = Context {
        index,
        logged_at,
        one_time_keys,
        author: author.map(str::to_owned),
    };
    kind.decide(statement, &signers, state, &ctx)
}
