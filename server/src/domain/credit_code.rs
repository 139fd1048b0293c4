//! The unified social credit code (统一社会信用代码, GB 32100-2015): the 18-character
//! identifier of every organisation registered in China. The last character is a check
//! character over the first 17, in an alphabet of 31 (digits and capitals without I, O,
//! S, V and Z), weighted by powers of 3 modulo 31.

use crate::domain::said::Said;
use std::fmt;

/// The code's alphabet, in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of the first 17 characters: 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a text is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Not 18 characters.
    Length(usize),
    /// A character outside the alphabet, at a 1-based position.
    Character {
        /// 1-based.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The check character does not match the other 17.
    Check {
        /// What the first 17 characters call for.
        expected: char,
        /// What the code has.
        found: char,
    },
}

impl fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreditCodeError::Length(n) => {
                write!(f, "a unified social credit code has 18 characters, not {n}")
            }
            CreditCodeError::Character { position, found } => write!(
                f,
                "character {position} ({found:?}) cannot appear in a unified social credit code \
                 (digits and capital letters except I, O, S, V and Z)"
            ),
            CreditCodeError::Check { expected, found } => write!(
                f,
                "the check character is {found:?} but the first 17 characters call for \
                 {expected:?}: a character was mistyped"
            ),
        }
    }
}

impl std::error::Error for CreditCodeError {}

impl CreditCodeError {
    /// The refusal of `field` (`body.credit_code`): its name, then why, keyed.
    pub fn said(&self, field: &str) -> Said {
        match self {
            CreditCodeError::Length(n) => crate::said!(
                "credit_code.length",
                "{field}: a unified social credit code has 18 characters, not {length}",
                field = field,
                length = n,
            ),
            CreditCodeError::Character { position, found } => crate::said!(
                "credit_code.character",
                "{field}: character {position} ({found}) cannot appear in a unified social credit code (digits and capital letters except I, O, S, V and Z)",
                field = field,
                position = position,
                found = format!("{found:?}"),
            ),
            CreditCodeError::Check { expected, found } => crate::said!(
                "credit_code.check",
                "{field}: the check character is {found} but the first 17 characters call for {expected}: a character was mistyped",
                field = field,
                found = format!("{found:?}"),
                expected = format!("{expected:?}"),
            ),
        }
    }
}

fn value(c: char) -> Option<u32> {
    u8::try_from(c)
        .ok()
        .and_then(|b| ALPHABET.iter().position(|&a| a == b))
        .map(|v| v as u32)
}

/// The check character that completes the first 17 characters of a code, or `None` if
/// they are not 17 characters of the alphabet.
pub fn check_character(first17: &str) -> Option<char> {
    let values: Vec<u32> = first17.chars().map(value).collect::<Option<_>>()?;
    if values.len() != 17 {
        return None;
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    Some(ALPHABET[((31 - sum % 31) % 31) as usize] as char)
}

/// Checks a unified social credit code: length, alphabet and check character.
pub fn check(code: &str) -> Result<(), CreditCodeError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(CreditCodeError::Length(chars.len()));
    }
    if let Some((i, &c)) = chars.iter().enumerate().find(|(_, c)| value(**c).is_none()) {
        return Err(CreditCodeError::Character {
            position: i + 1,
            found: c,
        });
    }
    let first17: String = chars[..17].iter().collect();
    let expected = check_character(&first17).ok_or(CreditCodeError::Length(chars.len()))?;
    if chars[17] != expected {
        return Err(CreditCodeError::Check {
            expected,
            found: chars[17],
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published codes: the standard's example, and organisations' public registrations.
    const REAL: [&str; 4] = [
        "91350100M000100Y43",
        "91330100799655058B",
        "91110000802100433B",
        "91440300708461136T",
    ];

    #[test]
    fn published_codes_check() {
        for code in REAL {
            assert_eq!(check(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for code in REAL {
            let chars: Vec<char> = code.chars().collect();
            for i in 0..18 {
                for &b in ALPHABET {
                    let c = b as char;
                    if c == chars[i] {
                        continue;
                    }
                    let mut changed = chars.clone();
                    changed[i] = c;
                    let changed: String = changed.into_iter().collect();
                    assert!(
                        matches!(check(&changed), Err(CreditCodeError::Check { .. })),
                        "{changed}"
                    );
                }
            }
        }
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        assert_eq!(check("9135010"), Err(CreditCodeError::Length(7)));
        assert_eq!(
            check("91350100m000100Y43"),
            Err(CreditCodeError::Character {
                position: 9,
                found: 'm'
            })
        );
        assert_eq!(
            check("91350100M000100I43"),
            Err(CreditCodeError::Character {
                position: 16,
                found: 'I'
            })
        );
        let error = check("91350100M000100Y44").unwrap_err();
        assert_eq!(
            error,
            CreditCodeError::Check {
                expected: '3',
                found: '4'
            }
        );
        assert!(error.to_string().contains("call for '3'"), "{error}");
        // The keyed refusal says the same, after the field's name.
        for bad in ["9135010", "91350100m000100Y43", "91350100M000100Y44"] {
            let error = check(bad).unwrap_err();
            let said = error.said("body.credit_code");
            assert_eq!(said.text(), format!("body.credit_code: {error}"));
            assert_eq!(said.arg("field"), Some("body.credit_code"));
        }
        assert_eq!(
            check("九一三五〇一〇〇M000100Y43"),
            Err(CreditCodeError::Character {
                position: 1,
                found: '九'
            })
        );
    }
}
