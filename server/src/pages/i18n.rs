//! The readers' languages: zh-CN and en, chosen by a remembered choice (the `lang` cookie)
//! or else by `Accept-Language`; and the messages of each, from `frontend/locales/`.

use crate::domain::said::Said;
use std::collections::BTreeMap;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    ZhCn,
    /// English.
    En,
}

/// The cookie that remembers the reader's choice.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// Its BCP 47 tag, as `lang` attributes and the cookie write it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language of a tag, if the pages have it (`zh`, `zh-CN`, `zh-Hans`, `en-GB` …).
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language for a reader: the remembered choice, else the first language of
    /// `Accept-Language` (by quality) that the pages have, else Chinese.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::parse) {
            return lang;
        }
        let Some(header) = accept_language else {
            return Lang::ZhCn;
        };
        let mut best: Option<(u16, Lang)> = None;
        // At most 16 ranges are read: a header is bounded, and so is the work it asks.
        for range in header.split(',').take(16) {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_quality);
            let (Some(lang), Some(q)) = (Lang::parse(tag), quality) else {
                continue;
            };
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::ZhCn, |(_, lang)| lang)
    }
}

/// A quality value (`0.8`) in thousandths; `None` if it is not one.
fn parse_quality(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let fraction: u16 = format!("{fraction:0<3}").parse().ok()?;
    let q = whole * 1000 + fraction;
    (q <= 1000).then_some(q)
}

/// The prefix of refusals' sentences: English is written in the code (see
/// [`Said`]), the other languages under `detail.<key>`.
pub const DETAIL: &str = "detail.";

/// The arguments of refusals that name one of the pages' words (a role, a status …), with
/// the prefix of that word's messages: `role = "supervisor"` is said as `role.supervisor`.
const NAMED_WORDS: &[(&str, &str)] = &[
    ("role", "role."),
    ("org_kind", "org_kind."),
    ("status", "status."),
    ("bid_status", "bid_status."),
    ("complaint_status", "complaint_status."),
    // What a decision makes a complaint: one of its statuses.
    ("decision", "complaint_status."),
    ("award_status", "award_status."),
    // The status a statement asks for, beside the one that is due.
    ("to_status", "status."),
    ("disbursement_status", "disbursement_status."),
];

/// What a page gives its scripts to say refusals: see [`Messages::for_refusals`].
#[derive(serde::Serialize)]
pub struct ForRefusals<'a> {
    /// Sentences and words, by key.
    pub messages: BTreeMap<&'a str, &'a str>,
    /// The arguments that name a word, with the prefix of its messages.
    pub named: BTreeMap<&'static str, &'static str>,
}

/// The argument that may be a sentence of its own ([`Said::because`]).
const WHY: &str = "why";

/// The messages of every language, by key.
pub struct Messages {
    by_lang: [BTreeMap<String, String>; 2],
}

/// The message files, embedded: (language, file name, contents).
const FILES: &[(Lang, &str, &str)] = &[
    (
        Lang::ZhCn,
        "pages.json",
        include_str!("../../../frontend/locales/zh-CN/pages.json"),
    ),
    (
        Lang::ZhCn,
        "verify.json",
        include_str!("../../../frontend/locales/zh-CN/verify.json"),
    ),
    (
        Lang::ZhCn,
        "details.json",
        include_str!("../../../frontend/locales/zh-CN/details.json"),
    ),
    (
        Lang::En,
        "pages.json",
        include_str!("../../../frontend/locales/en/pages.json"),
    ),
    (
        Lang::En,
        "verify.json",
        include_str!("../../../frontend/locales/en/verify.json"),
    ),
];

impl Messages {
    /// Reads the embedded message files; refuses a file that is not a flat object of
    /// strings, a key given twice, and a key one language has and another lacks.
    pub fn load() -> Result<Messages, String> {
        let mut by_lang = [BTreeMap::new(), BTreeMap::new()];
        for (lang, name, text) in FILES {
            let map: BTreeMap<String, String> = serde_json::from_str(text)
                .map_err(|e| format!("frontend/locales/{}/{name}: {e}", lang.tag()))?;
            let table = &mut by_lang[*lang as usize];
            for (key, value) in map {
                if table.insert(key.clone(), value).is_some() {
                    return Err(format!("message {key:?} is given twice in {}", lang.tag()));
                }
            }
        }
        let [zh, en] = &by_lang;
        if let Some(key) = zh
            .keys()
            .find(|k| !k.starts_with(DETAIL) && !en.contains_key(*k))
            .or_else(|| en.keys().find(|k| !zh.contains_key(*k)))
        {
            return Err(format!("message {key:?} is missing from a language"));
        }
        Ok(Messages { by_lang })
    }

    /// The message `key` in `lang`, if there is one.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&str> {
        self.by_lang[lang as usize].get(key).map(String::as_str)
    }

    /// A refusal's sentence in `lang`: its message with the arguments put in (a role or a
    /// status in the reader's words, see [`NAMED_WORDS`]; a `why` that is a sentence of its
    /// own in `lang` too), or the English as it was written when the language has no
    /// message for it.
    pub fn said(&self, lang: Lang, said: &Said) -> String {
        let table = &self.by_lang[lang as usize];
        let template = said
            .key()
            .filter(|_| lang != Lang::En)
            .and_then(|key| table.get(&format!("{DETAIL}{key}")));
        let Some(template) = template else {
            return said.text().to_owned();
        };
        let word = |name: &str, value: &'_ str| -> String {
            if let (WHY, Some(why)) = (name, said.why()) {
                return self.said(lang, why);
            }
            NAMED_WORDS
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, prefix)| table.get(&format!("{prefix}{value}")))
                .map_or_else(|| value.to_owned(), String::clone)
        };
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after
                .find('}')
                .map(|close| (close, said.arg(&after[..close])))
            {
                Some((close, Some(value))) => {
                    out.push_str(&word(&after[..close], value));
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Every message of `lang` whose key starts with `prefix`: what the scripts need.
    pub fn with_prefix(&self, lang: Lang, prefix: &str) -> BTreeMap<&str, &str> {
        self.by_lang[lang as usize]
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The messages the scripts show (`js.*`, `verify.*`, and `problem.*` for the API's
    /// refusals).
    pub fn for_scripts(&self, lang: Lang) -> BTreeMap<&str, &str> {
        let mut all = self.with_prefix(lang, "js.");
        all.extend(self.with_prefix(lang, "verify."));
        all.extend(self.with_prefix(lang, "problem."));
        all
    }

    /// What the signing pages' scripts need to say the API's refusals in `lang`: every
    /// `detail.*` sentence and the words its arguments are said in, with the arguments
    /// that name such words and their words' prefixes ([`NAMED_WORDS`]). No sentences in
    /// English, where the API's own `detail` is the sentence.
    pub fn for_refusals(&self, lang: Lang) -> ForRefusals<'_> {
        let mut messages = BTreeMap::new();
        if lang != Lang::En {
            messages = self.with_prefix(lang, DETAIL);
            for (_, prefix) in NAMED_WORDS {
                messages.extend(self.with_prefix(lang, prefix));
            }
        }
        ForRefusals {
            messages,
            named: NAMED_WORDS.iter().copied().collect(),
        }
    }

    /// Every key of the pages (the same in every language), refusals' sentences aside.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_lang[Lang::En as usize].keys().map(String::as_str)
    }

    /// Every refusal's key that `lang` has a sentence for, with the sentence.
    pub fn details(&self, lang: Lang) -> BTreeMap<&str, &str> {
        self.with_prefix(lang, DETAIL)
            .into_iter()
            .map(|(k, v)| (&k[DETAIL.len()..], v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remembered_choice_wins_then_accept_language_by_quality() {
        let cases = [
            (None, None, Lang::ZhCn),
            (Some("en"), Some("zh-CN"), Lang::En),
            (Some("zh-CN"), Some("en"), Lang::ZhCn),
            (Some("fr"), Some("en-GB,en;q=0.8"), Lang::En),
            (None, Some("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En),
            (None, Some("fr;q=1, zh-TW;q=0.5, en;q=0.7"), Lang::En),
            (None, Some("de, fr"), Lang::ZhCn),
            (None, Some("en;q=0, zh;q=0.1"), Lang::ZhCn),
            (None, Some("en;q=2"), Lang::ZhCn),
            (None, Some("en;q=0.0001"), Lang::ZhCn),
            (None, Some("zh-Hans-CN"), Lang::ZhCn),
            (None, Some(""), Lang::ZhCn),
        ];
        for (cookie, header, want) in cases {
            assert_eq!(
                Lang::negotiate(cookie, header),
                want,
                "{cookie:?} {header:?}"
            );
        }
    }

    /// Every keyed sentence of the server's code, as the macro writes it: (file, key, English).
    fn said_in_code() -> Vec<(String, String, String)> {
        fn literal(text: &str) -> Option<(String, &str)> {
            let text = text.trim_start().strip_prefix('"')?;
            let mut out = String::new();
            let mut chars = text.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => return Some((out, &text[i + 1..])),
                    '\\' => out.push(chars.next()?.1),
                    c => out.push(c),
                }
            }
            None
        }
        fn walk(dir: &std::path::Path, found: &mut Vec<(String, String, String)>) {
            for entry in std::fs::read_dir(dir).expect("a source folder") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("domain/said.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    for (at, _) in text.match_indices(concat!("said", "!(")) {
                        let (key, rest) = literal(&text[at + 6..]).expect("a key literal");
                        let rest = rest.trim_start().strip_prefix(',').expect("a comma");
                        let (english, _) = literal(rest).expect("an English literal");
                        found.push((path.display().to_string(), key, english));
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        found
    }

    /// The `{names}` a sentence puts in.
    fn names(text: &str) -> std::collections::BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_refusal_in_the_code_is_said_in_chinese_with_the_same_names() {
        let messages = Messages::load().expect("the message files load");
        let chinese = messages.details(Lang::ZhCn);
        let code = said_in_code();
        assert!(code.len() > 10, "the scan found {} sentences", code.len());
        let mut english = BTreeMap::new();
        let plain = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        for (file, key, text) in &code {
            if let Some(other) = english.insert(key.as_str(), text.as_str()) {
                assert_eq!(other, text, "{key} says two things ({file})");
            }
            let zh = chinese
                .get(key.as_str())
                .unwrap_or_else(|| panic!("{key} ({file}) has no detail.{key} in zh-CN"));
            // The macro's `concat!` holds the English to its arguments; a name here is a
            // plain name, with no format spec or escaped brace the pages cannot put in.
            for name in names(text).into_iter().chain(names(zh)) {
                assert!(
                    plain(name),
                    "{key} puts in {{{name}}}: only {{plain_names}}"
                );
            }
            assert!(
                !text.contains("{{") && !zh.contains("{{") && !zh.trim().is_empty(),
                "{key}: a sentence with escaped braces, or no Chinese"
            );
            assert_eq!(
                names(zh),
                names(text),
                "{key}: the Chinese puts in other names"
            );
        }
        for key in chinese.keys() {
            assert!(
                english.contains_key(key),
                "detail.{key} is said nowhere in the code"
            );
        }
    }

    #[test]
    fn a_refusal_is_said_in_the_readers_language() {
        let messages = Messages::load().expect("the message files load");
        let said = crate::said!(
            "user.taken",
            "{email} already has an account",
            email = "{role}@example.org"
        );
        assert_eq!(
            messages.said(Lang::En, &said),
            "{role}@example.org already has an account"
        );
        // An argument is put in as it is: braces in it are not read as names.
        assert_eq!(
            messages.said(Lang::ZhCn, &said),
            "{role}@example.org 已有账户"
        );
        // A role, a kind of organisation or a status is said in the reader's words.
        let unfit = crate::said!(
            "user.role_unfit",
            "a {org_kind} organisation has no {role}",
            org_kind = "supplier",
            role = "supervisor"
        );
        assert_eq!(
            messages.said(Lang::ZhCn, &unfit),
            "“供应商”类机构没有“监督人员”角色"
        );
        assert_eq!(
            messages.said(Lang::En, &unfit),
            "a supplier organisation has no supervisor"
        );
        let unkeyed = Said::from("a parser's own words");
        assert_eq!(messages.said(Lang::ZhCn, &unkeyed), "a parser's own words");
        // A sentence around another says that one in the reader's language too.
        let inner = crate::said!(
            "body.text_length",
            "{field} must be 1 to {max} characters",
            field = "body.title.zh",
            max = 300
        );
        let outer = crate::said!(
            "tender.lot_problem",
            "lot {lot}: {why}",
            lot = "lot-1",
            why = inner
        )
        .because(inner);
        assert_eq!(
            messages.said(Lang::ZhCn, &outer),
            "标段 lot-1：body.title.zh 须为 1 到 300 个字符"
        );
        assert_eq!(
            messages.said(Lang::En, &outer),
            "lot lot-1: body.title.zh must be 1 to 300 characters"
        );
    }

    #[test]
    fn every_language_has_every_message() {
        let messages = Messages::load().expect("the message files load");
        for key in messages.keys() {
            for lang in Lang::ALL {
                let text = messages.get(lang, key).expect("present");
                assert!(!text.trim().is_empty(), "{key} is empty in {}", lang.tag());
            }
        }
    }
}
