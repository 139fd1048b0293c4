//! Passwords: argon2id hashes, and what a new password must be.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a new password: long enough, not the e-mail address.
pub fn check_new_password(password: &str, email: &str) -> Result<(), crate::domain::said::Said> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(crate::said!(
            "password.too_short",
            "a password has at least {min} characters",
            min = MIN_PASSWORD,
        ));
    }
    if password.eq_ignore_ascii_case(email) {
        return Err(crate::said!(
            "password.is_email",
            "the password cannot be the e-mail address"
        ));
    }
    Ok(())
}

/// An argon2id hash to verify against when the account does not exist.
pub(super) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no such account, no such password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterx"));
        assert!(!verify_password("not a hash", "x"));
        assert!(check_new_password("short", "a@b.c").is_err());
    }
}
