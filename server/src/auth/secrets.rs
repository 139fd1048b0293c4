//! Random secrets, and their hashes as stored (a session's or token's secret is stored
//! only hashed).

use crate::error::AppError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;

/// A random secret of `n` bytes, URL-safe base64.
pub fn random_token(n: usize) -> Result<String, AppError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(B64URL.encode(bytes))
}

pub(super) fn sha256(text: &str) -> Vec<u8> {
    vitrine_ledger::hash::sha256(text.as_bytes()).0.to_vec()
}
