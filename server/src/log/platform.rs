//! The one way the platform signs a statement with its key and has it logged: the
//! scheduler's transitions and lapsed bids, and the approval of a registration. (The
//! genesis entry, signed before the sequencer serves, and the operator's commands, which
//! log over HTTP, use [`sign`] too.)

use crate::error::AppError;
use crate::log::sequencer::{Sequenced, SequencerHandle};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use vitrine_ledger::statement::{SignedStatement, Statement, StatementError};
use vitrine_ledger::time::Timestamp;

/// A statement of `kind` about `subject`, issued at `issued_at`, signed by `key`.
pub fn sign(
    key: &SigningKey,
    kind: &str,
    subject: &str,
    body: Value,
    issued_at: Timestamp,
) -> Result<SignedStatement, StatementError> {
    let statement = Statement::from_value(json!({
        "kind": kind,
        "subject": subject,
        "issued_at": issued_at.to_string(),
        "body": body,
    }))?;
    let mut signed = SignedStatement::new(statement);
    signed.sign(key);
    Ok(signed)
}

/// Signs a statement with the platform's key, issued now, and has the sequencer log it.
pub async fn log(
    sequencer: &SequencerHandle,
    key: &SigningKey,
    kind: &str,
    subject: &str,
    body: Value,
) -> Result<Sequenced, AppError> {
    let now = Timestamp::now().truncate_to_micros();
    let signed = sign(key, kind, subject, body, now).map_err(AppError::internal)?;
    let (sequenced, _) = sequencer.submit(signed, Default::default(), now).await?;
    Ok(sequenced)
}
