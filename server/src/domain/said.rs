//! What the server says when it refuses: the English sentence the API answers, and, for
//! the pages and for clients in another language, the message's key and its arguments.
//!
//! A refusal is written where it happens, in English, with named arguments:
//!
//! ```
//! # use vitrine_server::said;
//! let tender = "T-1";
//! let refusal = said!("bid.deadline_passed", "the deadline of tender {tender} has passed", tender = tender);
//! assert_eq!(refusal.text(), "the deadline of tender T-1 has passed");
//! assert_eq!(refusal.arg("tender"), Some("T-1"));
//! ```
//!
//! `frontend/locales/zh-CN/details.json` holds the same message under `detail.<key>` in
//! Chinese, with the same `{names}`; a test holds the two to each other. A sentence with no
//! key (from a parser outside the project, say) is shown as it is in every language.

use std::fmt;
use std::ops::Deref;

/// A refusal's sentence, with its key and arguments when it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    key: Option<&'static str>,
    args: Vec<(&'static str, String)>,
    text: String,
    /// The keyed sentence its `why` argument is, to be said in the reader's language too.
    why: Option<Box<Said>>,
}

impl Said {
    /// A keyed sentence: `text` is the English with the `args` already put in.
    pub fn keyed(key: &'static str, text: String, args: Vec<(&'static str, String)>) -> Said {
        Said {
            key: Some(key),
            args,
            text,
            why: None,
        }
    }

    /// This sentence, whose `why` argument is `why`'s English, with `why` itself kept so
    /// that it is said in the reader's language too (`"lot {lot}: {why}"` around a
    /// lot's own refusal).
    pub fn because(mut self, why: Said) -> Said {
        debug_assert_eq!(self.arg("why"), Some(why.text()), "{self:?}");
        if why.key.is_some() {
            self.why = Some(Box::new(why));
        }
        self
    }

    /// Every problem, as one sentence: the problem itself when there is one (its key
    /// kept), or all of them joined by `; ` (in English, as they were written).
    pub fn joined(mut problems: Vec<Said>) -> Said {
        if problems.len() == 1 {
            return problems.remove(0);
        }
        let texts: Vec<&str> = problems.iter().map(Said::text).collect();
        Said::from(texts.join("; "))
    }

    /// The keyed sentence its `why` argument is, if it was given one ([`Said::because`]).
    pub fn why(&self) -> Option<&Said> {
        self.why.as_deref()
    }

    /// The English sentence.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The message's key, if it has one.
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    /// Its arguments, by name.
    pub fn args(&self) -> &[(&'static str, String)] {
        &self.args
    }

    /// The argument `name`, if it has one.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Writes a keyed refusal: `said!(key, "English with {name}", name = value, …)`.
#[macro_export]
macro_rules! said {
    ($key:literal, $text:literal $(, $name:ident = $value:expr)* $(,)?) => {{
        // Every value is read before any name is bound: a value may use a name.
        let ($($name,)*) = ($(::std::string::ToString::to_string(&$value),)*);
        $crate::domain::said::Said::keyed(
            $key,
            // Through `concat!`, the sentence cannot take a variable that is not named
            // here: every `{name}` it puts in is one of its arguments.
            format!(concat!($text) $(, $name = $name)*),
            vec![$((stringify!($name), $name)),*],
        )
    }};
}

impl From<String> for Said {
    fn from(text: String) -> Said {
        Said {
            key: None,
            args: Vec::new(),
            text,
            why: None,
        }
    }
}

impl From<&str> for Said {
    fn from(text: &str) -> Said {
        Said::from(text.to_owned())
    }
}

impl From<Said> for String {
    fn from(said: Said) -> String {
        said.text
    }
}

impl Deref for Said {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<&str> for Said {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<str> for Said {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_keyed_sentence_keeps_its_arguments_and_reads_as_its_english() {
        let n = 3;
        let said = crate::said!("test.count", "{n} bids, {n} sealed", n = n);
        assert_eq!(said.text(), "3 bids, 3 sealed");
        assert_eq!(said.key(), Some("test.count"));
        assert_eq!(said.args(), &[("n", "3".to_owned())]);
    }

    #[test]
    fn a_sentence_around_another_keeps_it() {
        let inner = crate::said!("test.count", "{n} bids", n = 2);
        let outer =
            crate::said!("test.lot", "lot {lot}: {why}", lot = "a", why = inner).because(inner);
        assert_eq!(outer.text(), "lot a: 2 bids");
        assert_eq!(outer.why().and_then(|w| w.key()), Some("test.count"));
        let plain = crate::said!("test.lot", "lot {lot}: {why}", lot = "a", why = "no key");
        assert!(plain.because("no key".into()).why().is_none());
    }
}
