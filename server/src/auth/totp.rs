//! Second factors: TOTP (RFC 6238), and base32 secrets for authenticator apps.

use hmac::{KeyInit, Mac};

/// TOTP (RFC 6238) with HMAC-SHA1, 30-second steps, 6 digits: the code for `step`.
pub fn totp(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 1_000_000
}

/// The time step of `unix` seconds.
pub fn totp_step(unix: i64) -> u64 {
    (unix.max(0) / 30) as u64
}

/// The step a code matches, within one step of `now` either way.
pub fn totp_match(secret: &[u8], code: &str, now: i64) -> Option<u64> {
    let code: u32 = code
        .trim()
        .parse()
        .ok()
        .filter(|_| code.trim().len() == 6)?;
    let step = totp_step(now);
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| totp(secret, *s) == code)
}

/// Base32 (RFC 4648, no padding), for authenticator apps.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA-1: the last six digits of the eight-digit codes.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            assert_eq!(totp(secret, totp_step(time)), code, "t = {time}");
        }
        assert_eq!(totp_match(secret, "287082", 59), Some(1));
        assert_eq!(totp_match(secret, "287082", 59 + 30), Some(1));
        assert_eq!(totp_match(secret, "287082", 59 + 90), None);
        assert_eq!(totp_match(secret, "28708", 59), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }
}
