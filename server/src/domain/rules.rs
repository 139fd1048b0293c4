//! What every statement kind shares: the [`Kind`] trait, the [`State`] a batch's rules
//! see, the [`Effect`]s they return and the [`Refusal`]s they give, and the small checks
//! of a statement's body that every area uses. Each kind declares the schema of its body,
//! who may sign it and the rules it must satisfy against the current state, and returns
//! the effects the sequencer projects into the tables.

use crate::domain::charity::fund::FundChange;
use crate::domain::charity::projection::Funds;
use crate::domain::procurement::projection::Tenders;
use crate::domain::procurement::tender::TenderChange;
use crate::domain::said::Said;
use crate::domain::types::{OrganisationKind, Role};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use vitrine_ledger::bid::Money;
use vitrine_ledger::hash::Hash;
use vitrine_ledger::statement::Statement;
use vitrine_ledger::time::Timestamp;

/// A registered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Its organisation.
    pub organisation: String,
    /// Its role.
    pub role: Role,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// The key directory as of the current point of the log, held by the sequencer.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Keys by public key.
    pub keys: HashMap<[u8; 32], KeyRecord>,
    /// Organisations: id to kind.
    pub organisations: HashMap<String, OrganisationKind>,
    /// Unified social credit codes: code to organisation id (one organisation per code).
    pub credit_codes: HashMap<String, String>,
}

impl Directory {
    /// What organisation `id` is, if it is registered.
    pub fn kind_of(&self, id: &str) -> Option<OrganisationKind> {
        self.organisations.get(id).copied()
    }
}

/// A signer whose key is active.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The public key.
    pub public_key: [u8; 32],
    /// Its organisation.
    pub organisation: String,
    /// Its role.
    pub role: Role,
}

/// Why a statement is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body does not follow the kind's schema (422).
    Invalid(Said),
    /// A signer is unknown, revoked or not allowed (403).
    Forbidden(Said),
    /// The statement breaks a rule of the current state (409).
    Conflict(Said),
    /// The statement names something that does not exist (404).
    NotFound(Said),
}

impl std::fmt::Display for Refusal {
    /// What an operator reads: the kind of refusal and its English sentence.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, said) = match self {
            Refusal::Invalid(s) => ("invalid", s),
            Refusal::Forbidden(s) => ("forbidden", s),
            Refusal::Conflict(s) => ("conflict", s),
            Refusal::NotFound(s) => ("not found", s),
        };
        write!(f, "{what}: {said}")
    }
}

/// A change a statement makes, projected into the tables by the sequencer: one variant
/// per area, each area's own change inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A change to the directory (organisations, keys, published documents).
    Directory(DirectoryChange),
    /// A change to a tender (`procurement`).
    Tender {
        /// The tender.
        id: String,
        /// The entry's index.
        index: u64,
        /// The entry's `logged_at`.
        at: Timestamp,
        /// What changes.
        change: Box<TenderChange>,
    },
    /// A change to a fund (`charity`).
    Fund {
        /// The fund.
        id: String,
        /// The entry's index.
        index: u64,
        /// The entry's `logged_at`.
        at: Timestamp,
        /// What changes.
        change: Box<FundChange>,
    },
}

/// A change to the directory, which every area's rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryChange {
    /// A new organisation.
    RegisterOrganisation {
        /// Its id.
        id: String,
        /// Its name.
        name: String,
        /// What it is.
        kind: OrganisationKind,
        /// Its unified social credit code, if it has one (suppliers must).
        credit_code: Option<String>,
    },
    /// A new key.
    RegisterKey {
        /// The key.
        public_key: [u8; 32],
        /// Its organisation.
        organisation: String,
        /// Its role.
        role: Role,
    },
    /// A key revoked.
    RevokeKey {
        /// The key.
        public_key: [u8; 32],
    },
    /// A document published by hash.
    PublishDocument {
        /// SHA-256 of its content.
        sha256: [u8; 32],
        /// Its title.
        title: String,
        /// The publishing organisation.
        organisation: String,
    },
}

/// State that lives only in the tables, fetched for a whole batch before its rules run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StateKey {
    /// Whether a document with this hash was published.
    Document([u8; 32]),
    /// A tender and everything that happened to it.
    Tender(String),
    /// Whether a document's content was uploaded (by its hash).
    Blob([u8; 32]),
    /// A fund.
    Fund(String),
    /// A fund's disbursement, by its number (and, for a transfer, the fund it pays).
    Disbursement(String, u32),
    /// A fund's donations with money left, as far as the batch's disbursements of it
    /// could take: those the batch names, and this many units more (a disbursement
    /// proposed in the batch may be executed in it too).
    FundQueue(String, i64),
    /// Whether a fund has a donation by this channel with this reference.
    DonationReference(String, String, String),
}

/// The state a batch's rules see: the directory, and prefetched table state, updated as
/// the batch's statements take effect.
pub struct State<'a> {
    /// The key directory.
    pub directory: &'a mut Directory,
    /// Prefetched keys that exist.
    pub present: HashSet<StateKey>,
    /// Procurement's part: the tenders the batch sees, and their OCDS releases.
    pub procurement: Tenders,
    /// Charity's part: the funds, disbursements and donation queues the batch sees.
    pub charity: Funds,
    /// Prefetched uploads of document contents: (hash, organisation that uploaded it).
    pub uploads: HashSet<([u8; 32], String)>,
    /// Prefetched contents already public (named by a logged statement), and those the
    /// batch makes public.
    pub public_documents: HashSet<[u8; 32]>,
}

/// Where a statement falls in the log: what its rules may depend on besides the state.
#[derive(Debug, Clone)]
pub struct Context {
    /// The index the entry takes.
    pub index: u64,
    /// The log's time for it (rules on deadlines use this, never `issued_at`).
    pub logged_at: Timestamp,
    /// Signing keys outside the directory, which the kind accepts as one-time keys.
    pub one_time_keys: Vec<[u8; 32]>,
    /// For a statement signed only by one-time keys: the organisation whose account sent
    /// it. The log does not say; the platform knows it privately (`private_authors`).
    pub author: Option<String>,
}

impl State<'_> {
    /// Whether a statement signed by `signers` may make the content `hash` public: it is
    /// public already, or one of their organisations uploaded it.
    pub fn may_publish(&self, hash: &[u8; 32], signers: &[Signer]) -> bool {
        self.public_documents.contains(hash)
            || signers
                .iter()
                .any(|s| self.uploads.contains(&(*hash, s.organisation.clone())))
    }

    /// The active signers of a statement, or the refusal naming the first unusable key.
    pub fn signers(&self, keys: &[[u8; 32]]) -> Result<Vec<Signer>, Refusal> {
        keys.iter()
            .map(|key| match self.directory.keys.get(key) {
                None => Err(Refusal::Forbidden(crate::said!(
                    "key.unknown",
                    "key {key} is not registered",
                    key = BASE64.encode(key)
                ))),
                Some(record) if record.revoked => Err(Refusal::Forbidden(crate::said!(
                    "key.revoked",
                    "key {key} was revoked",
                    key = BASE64.encode(key)
                ))),
                Some(record) => Ok(Signer {
                    public_key: *key,
                    organisation: record.organisation.clone(),
                    role: record.role,
                }),
            })
            .collect()
    }

    /// Applies an effect to the in-memory state.
    pub fn apply(&mut self, effect: &Effect) {
        match effect {
            Effect::Directory(change) => self.apply_directory(change),
            Effect::Tender {
                id,
                index,
                at,
                change,
            } => {
                self.public_documents.extend(
                    change
                        .documents_named()
                        .iter()
                        .filter_map(|h| Hash::from_hex(h).ok())
                        .map(|h| h.0),
                );
                self.procurement.apply(id, *index, *at, change);
            }
            Effect::Fund {
                id,
                index,
                at,
                change,
            } => {
                self.public_documents.extend(
                    change
                        .documents_named()
                        .iter()
                        .filter_map(|h| Hash::from_hex(h).ok())
                        .map(|h| h.0),
                );
                self.charity.apply(id, *index, &at.to_string(), change);
            }
        }
    }

    fn apply_directory(&mut self, change: &DirectoryChange) {
        match change {
            DirectoryChange::RegisterOrganisation {
                id,
                kind,
                credit_code,
                ..
            } => {
                self.directory.organisations.insert(id.clone(), *kind);
                if let Some(code) = credit_code {
                    self.directory.credit_codes.insert(code.clone(), id.clone());
                }
            }
            DirectoryChange::RegisterKey {
                public_key,
                organisation,
                role,
            } => {
                self.directory.keys.insert(
                    *public_key,
                    KeyRecord {
                        organisation: organisation.clone(),
                        role: *role,
                        revoked: false,
                    },
                );
            }
            DirectoryChange::RevokeKey { public_key } => {
                if let Some(record) = self.directory.keys.get_mut(public_key) {
                    record.revoked = true;
                }
            }
            DirectoryChange::PublishDocument { sha256, .. } => {
                self.present.insert(StateKey::Document(*sha256));
            }
        }
    }

    /// The signers of a statement: the registered keys, and the keys outside the directory
    /// if the kind accepts that many one-time keys. A revoked key is always refused.
    pub fn partition_signers(
        &self,
        keys: &[[u8; 32]],
        one_time: usize,
    ) -> Result<(Vec<Signer>, Vec<[u8; 32]>), Refusal> {
        let (registered, unknown): (Vec<[u8; 32]>, Vec<[u8; 32]>) = keys
            .iter()
            .partition(|key| self.directory.keys.contains_key(*key));
        if unknown.len() > one_time {
            return Err(Refusal::Forbidden(crate::said!(
                "key.unknown",
                "key {key} is not registered",
                key = BASE64.encode(unknown[one_time])
            )));
        }
        Ok((self.signers(&registered)?, unknown))
    }
}

/// A statement kind.
pub trait Kind: Send + Sync {
    /// The `kind` member, e.g. `key.registered`.
    fn name(&self) -> &'static str;

    /// Checks the body's schema; run when the statement arrives.
    fn check_body(&self, body: &Value) -> Result<(), Said>;

    /// The JSON Schema of the body, which the OpenAPI document publishes under the
    /// kind's name; its description says who signs and when. (`check_body` checks
    /// what it says, and more.)
    fn body_schema(&self) -> Value;

    /// Table state the rules will need, fetched for the whole batch at once.
    fn prefetch(&self, _statement: &Statement) -> Vec<StateKey> {
        Vec::new()
    }

    /// How many signing keys outside the directory (one-time keys) the kind accepts.
    fn one_time_keys(&self) -> usize {
        0
    }

    /// Whether its signer stays anonymous to the public (a one-time key alone): then the
    /// sender must be an account allowed to bid, which the platform records privately.
    fn anonymous(&self) -> bool {
        false
    }

    /// Checks the signers and the rules against the current state, in log order, and
    /// returns the effects.
    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal>;
}

/// `body.{field}`: a non-empty string.
pub(crate) fn text<'a>(body: &'a Value, field: &str) -> Result<&'a str, Said> {
    match body.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(crate::said!(
            "body.not_text",
            "{field} must be a non-empty string",
            field = format!("body.{field}")
        )),
        None => Err(crate::said!(
            "body.missing",
            "{field} is missing",
            field = format!("body.{field}")
        )),
    }
}

/// `body.{field}`: a [`text`] of at most `max` characters.
pub(crate) fn bounded_text<'a>(body: &'a Value, field: &str, max: usize) -> Result<&'a str, Said> {
    let text = text(body, field)?;
    if text.chars().count() > max {
        return Err(crate::said!(
            "body.too_long",
            "{field} must be at most {max} characters",
            field = format!("body.{field}"),
            max = max
        ));
    }
    Ok(text)
}

/// `body.{field}`: a usable Ed25519 public key, in base64.
pub(crate) fn public_key(body: &Value, field: &str) -> Result<[u8; 32], Said> {
    public_key_at(body.get(field), format!("body.{field}"))
}

/// `value`, the member `field` (its whole path, `body.…`): a usable Ed25519 public key, in
/// base64.
pub(crate) fn public_key_at(value: Option<&Value>, field: String) -> Result<[u8; 32], Said> {
    let text = match value {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(_) => {
            return Err(crate::said!(
                "body.not_text",
                "{field} must be a non-empty string",
                field = field
            ));
        }
        None => {
            return Err(crate::said!(
                "body.missing",
                "{field} is missing",
                field = field
            ));
        }
    };
    let bytes = BASE64.decode(text).map_err(|_| {
        crate::said!(
            "body.not_public_key",
            "{field} must be a base64 Ed25519 public key",
            field = field.clone()
        )
    })?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| {
        crate::said!(
            "body.not_32_bytes",
            "{field} must be 32 bytes",
            field = field.clone()
        )
    })?;
    match ed25519_dalek::VerifyingKey::from_bytes(&key) {
        Ok(vk) if !vk.is_weak() && vk.to_edwards().is_torsion_free() => Ok(key),
        _ => Err(crate::said!(
            "body.unusable_key",
            "{field} is not a usable Ed25519 public key",
            field = field
        )),
    }
}

/// A refusal of a member of a nested object, read as `body.{member}`, said of its whole
/// path: `body.{within}.{member}`.
pub(crate) fn nested(said: Said, within: &str) -> Said {
    let Some(key) = said.key() else {
        return said;
    };
    let from = "body.";
    let to = format!("body.{within}.");
    Said::keyed(
        key,
        said.text().replacen(from, &to, 1),
        said.args()
            .iter()
            .map(|(name, value)| {
                let value = if *name == "field" {
                    value.replacen(from, &to, 1)
                } else {
                    value.clone()
                };
                (*name, value)
            })
            .collect(),
    )
}

/// The body is an object with no member but the `allowed`.
pub(crate) fn only(body: &Value, allowed: &[&str]) -> Result<(), Said> {
    match body.as_object() {
        None => Err(crate::said!("body.not_object", "body must be an object")),
        Some(map) => match map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(extra) => Err(crate::said!(
                "body.not_of_kind",
                "{field} is not part of this kind",
                field = format!("body.{extra}")
            )),
            None => Ok(()),
        },
    }
}

/// `body.{field}`: an identifier, 1 to 64 letters, digits, `-`, `_` or `.`.
pub(crate) fn identifier(body: &Value, field: &str) -> Result<String, Said> {
    let id = text(body, field)?;
    // It starts with a letter or digit: `.`, `..` or `-x` would read as something else in
    // a path or on a command line.
    let ok = id.len() <= 64
        && id.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(crate::said!(
            "body.not_identifier",
            "{field} must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit",
            field = format!("body.{field}")
        ))
    }
}

/// `body.{field}`: a SHA-256 hash or a commitment, 64 lowercase hexadecimal digits.
pub(crate) fn hash(body: &Value, field: &str) -> Result<Hash, Said> {
    Hash::from_hex(text(body, field)?).map_err(|_| {
        crate::said!(
            "body.not_hash",
            "{field} must be 64 lowercase hexadecimal digits",
            field = format!("body.{field}")
        )
    })
}

/// `body.{field}`, a [`hash`], in the hexadecimal the state keeps (the text as given: a
/// hash has one spelling).
pub(crate) fn hex_hash(body: &Value, field: &str) -> Result<String, Said> {
    hash(body, field).map(|h| h.to_hex())
}

pub(crate) fn money(body: &Value, field: &str) -> Result<Money, Said> {
    let value = body.get(field).ok_or_else(|| {
        crate::said!(
            "body.missing",
            "{field} is missing",
            field = format!("body.{field}")
        )
    })?;
    Money::from_value(value).map_err(|e| {
        crate::said!(
            "body.invalid",
            "{field}: {why}",
            field = format!("body.{field}"),
            why = e
        )
    })
}

/// Money as the state keeps it: the `{"amount", "currency"}` that [`Money::from_value`]
/// read, which has no other member.
pub(crate) fn money_value(money: &Money) -> Value {
    json!({"amount": money.amount, "currency": money.currency})
}

/// `{"zh": …, "en": …}` with at least one of the two.
pub(crate) fn bilingual(body: &Value, field: &str, max: usize) -> Result<(), Said> {
    let Some(Value::Object(map)) = body.get(field) else {
        // The shape is an argument: a keyed sentence has no literal braces.
        return Err(crate::said!(
            "body.not_bilingual",
            "{field} must be {shape} with at least one language",
            field = format!("body.{field}"),
            shape = "{\"zh\": …, \"en\": …}",
        ));
    };
    if map.is_empty() || map.keys().any(|k| k != "zh" && k != "en") {
        return Err(crate::said!(
            "body.zh_en_only",
            "{field} takes zh and en texts only",
            field = format!("body.{field}")
        ));
    }
    for (language, text) in map {
        match text.as_str() {
            Some(t) if !t.trim().is_empty() && t.chars().count() <= max => {}
            _ => {
                return Err(crate::said!(
                    "body.text_length",
                    "{field} must be 1 to {max} characters",
                    field = format!("body.{field}.{language}"),
                    max = max
                ));
            }
        }
    }
    Ok(())
}

/// Refuses, saying `refusal`, unless one of the signers is `allowed`.
pub(crate) fn any_signer(
    signers: &[Signer],
    allowed: impl Fn(&Signer) -> bool,
    refusal: Said,
) -> Result<(), Refusal> {
    if signers.iter().any(allowed) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(refusal))
    }
}

/// The statement kinds the log accepts, by name. [`Registry::new`](crate::domain::Registry)
/// gives every area's.
pub struct Registry {
    kinds: HashMap<&'static str, Box<dyn Kind>>,
}

impl Registry {
    /// No kinds yet.
    pub fn empty() -> Registry {
        Registry {
            kinds: HashMap::new(),
        }
    }

    /// Adds a kind (each area registers its own).
    pub fn register(&mut self, kind: Box<dyn Kind>) {
        self.kinds.insert(kind.name(), kind);
    }

    /// The kind named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Kind> {
        self.kinds.get(name).map(AsRef::as_ref)
    }

    /// The names of the kinds, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.kinds.keys().copied().collect();
        names.sort_unstable();
        names
    }
}
