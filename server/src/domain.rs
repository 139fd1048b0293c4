//! Statement kinds and their rules. Each kind declares the schema of its body, who may sign
//! it and the rules it must satisfy against the current state, and returns the effects the
//! sequencer projects into the tables. No actix or diesel here: the rules are plain code.
//!
//! This module holds the key directory's kinds (`organisation.registered`,
//! `key.registered`, `key.revoked`) and `document.published`; procurement and charity
//! register theirs in their own modules.

use crate::procurement::{TenderChange, TenderState};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::statement::Statement;
use vitrine_ledger::time::Timestamp;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The platform's own statement key.
    Platform,
    /// A platform administrator.
    PlatformAdmin,
    /// An organisation's administrator.
    OrganisationAdmin,
    /// A buyer's procurement officer.
    ProcurementOfficer,
    /// A supplier's representative.
    BidderRepresentative,
    /// A supervisory body's officer.
    Supervisor,
}

impl Role {
    /// The name used in statements and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::PlatformAdmin => "platform_admin",
            Role::OrganisationAdmin => "organisation_admin",
            Role::ProcurementOfficer => "procurement_officer",
            Role::BidderRepresentative => "bidder_representative",
            Role::Supervisor => "supervisor",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        [
            Role::Platform,
            Role::PlatformAdmin,
            Role::OrganisationAdmin,
            Role::ProcurementOfficer,
            Role::BidderRepresentative,
            Role::Supervisor,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    fn is_platform(self) -> bool {
        matches!(self, Role::Platform | Role::PlatformAdmin)
    }
}

/// The kinds of organisation.
pub const ORGANISATION_KINDS: [&str; 5] =
    ["buyer", "supplier", "charity", "supervisor", "platform"];

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
    pub organisations: HashMap<String, String>,
    /// Unified social credit codes: code to organisation id (one organisation per code).
    pub credit_codes: HashMap<String, String>,
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
    Invalid(String),
    /// A signer is unknown, revoked or not allowed (403).
    Forbidden(String),
    /// The statement breaks a rule of the current state (409).
    Conflict(String),
    /// The statement names something that does not exist (404).
    NotFound(String),
}

/// A change a statement makes, projected into the tables by the sequencer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A new organisation.
    RegisterOrganisation {
        /// Its id.
        id: String,
        /// Its name.
        name: String,
        /// buyer, supplier, charity, supervisor or platform.
        kind: String,
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
    /// A change to a tender (`crate::procurement`).
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
}

/// The state a batch's rules see: the directory, and prefetched table state, updated as
/// the batch's statements take effect.
pub struct State<'a> {
    /// The key directory.
    pub directory: &'a mut Directory,
    /// Prefetched keys that exist.
    pub present: HashSet<StateKey>,
    /// Prefetched tenders (`None`: no such tender yet).
    pub tenders: HashMap<String, Option<TenderState>>,
    /// The OCDS release of each entry that changed a tender: (index, ocid, release).
    pub releases: Vec<(u64, String, serde_json::Value)>,
    /// The OCDS head ([`crate::ocds::head`]) of each tender the batch changed, as of its
    /// latest release.
    pub ocds_heads: HashMap<String, serde_json::Value>,
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
                None => Err(Refusal::Forbidden(format!(
                    "key {} is not registered",
                    BASE64.encode(key)
                ))),
                Some(record) if record.revoked => Err(Refusal::Forbidden(format!(
                    "key {} was revoked",
                    BASE64.encode(key)
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
            Effect::RegisterOrganisation {
                id,
                kind,
                credit_code,
                ..
            } => {
                self.directory
                    .organisations
                    .insert(id.clone(), kind.clone());
                if let Some(code) = credit_code {
                    self.directory.credit_codes.insert(code.clone(), id.clone());
                }
            }
            Effect::RegisterKey {
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
            Effect::RevokeKey { public_key } => {
                if let Some(record) = self.directory.keys.get_mut(public_key) {
                    record.revoked = true;
                }
            }
            Effect::PublishDocument { sha256, .. } => {
                self.present.insert(StateKey::Document(*sha256));
            }
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
                        .filter_map(|h| vitrine_ledger::hash::Hash::from_hex(h).ok())
                        .map(|h| h.0),
                );
                // What OCDS says of the tender before the entry, but its bids' details: as
                // the batch's previous entry on it left it, or from the prefetched state.
                let before = match change.as_ref() {
                    TenderChange::Published(_) => None,
                    _ => self.ocds_heads.remove(id).or_else(|| {
                        self.tenders
                            .get(id)
                            .and_then(Option::as_ref)
                            .map(crate::ocds::head)
                    }),
                };
                let slot = self.tenders.entry(id.clone()).or_default();
                match (slot.as_mut(), change.as_ref()) {
                    (_, TenderChange::Published(tender)) => *slot = Some(tender.as_ref().clone()),
                    (Some(tender), change) => tender.apply(change),
                    (None, _) => {}
                }
                // The release shows the tender right after this entry.
                if let Some(tender) = slot.as_ref() {
                    let (release, head) =
                        crate::ocds::release(*index, *at, change, before.as_ref(), tender);
                    self.releases.push((*index, id.clone(), release));
                    self.ocds_heads.insert(id.clone(), head);
                }
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
            return Err(Refusal::Forbidden(format!(
                "key {} is not registered",
                BASE64.encode(unknown[one_time])
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
    fn check_body(&self, body: &Value) -> Result<(), String>;

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

pub(crate) fn text<'a>(body: &'a Value, field: &str) -> Result<&'a str, String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("body.{field} must be a non-empty string")),
        None => Err(format!("body.{field} is missing")),
    }
}

pub(crate) fn public_key(body: &Value, field: &str) -> Result<[u8; 32], String> {
    let text = text(body, field)?;
    let bytes = BASE64
        .decode(text)
        .map_err(|_| format!("body.{field} must be a base64 Ed25519 public key"))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("body.{field} must be 32 bytes"))?;
    match ed25519_dalek::VerifyingKey::from_bytes(&key) {
        Ok(vk) if !vk.is_weak() && vk.to_edwards().is_torsion_free() => Ok(key),
        _ => Err(format!("body.{field} is not a usable Ed25519 public key")),
    }
}

pub(crate) fn only(body: &Value, allowed: &[&str]) -> Result<(), String> {
    match body.as_object() {
        None => Err("body must be an object".to_owned()),
        Some(map) => match map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(extra) => Err(format!("body.{extra} is not part of this kind")),
            None => Ok(()),
        },
    }
}

pub(crate) fn identifier(body: &Value, field: &str) -> Result<String, String> {
    let id = text(body, field)?;
    let ok = id.len() <= 64
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "body.{field} must be 1 to 64 letters, digits, '-', '_' or '.'"
        ))
    }
}

pub(crate) fn any_signer(
    signers: &[Signer],
    allowed: impl Fn(&Signer) -> bool,
    what: &str,
) -> Result<(), Refusal> {
    if signers.iter().any(allowed) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!("needs a signature by {what}")))
    }
}

/// `organisation.registered`: `{"id", "name", "kind", "credit_code"}`, signed by the
/// platform. `credit_code`, the unified social credit code, is checked by its check
/// character; suppliers must give one, and no two organisations share one.
pub struct OrganisationRegistered;

impl Kind for OrganisationRegistered {
    fn name(&self) -> &'static str {
        "organisation.registered"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["id", "name", "kind", "credit_code"])?;
        identifier(body, "id")?;
        text(body, "name")?;
        let kind = text(body, "kind")?;
        if !ORGANISATION_KINDS.contains(&kind) {
            return Err(format!(
                "body.kind must be one of {}",
                ORGANISATION_KINDS.join(", ")
            ));
        }
        match (credit_code(body)?, kind) {
            (None, "supplier") => Err(
                "body.credit_code is required of a supplier: its unified social credit code (统一社会信用代码)"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        any_signer(
            signers,
            |s| s.role.is_platform(),
            "the platform or a platform administrator",
        )?;
        let body = statement.body();
        let id = identifier(body, "id").map_err(Refusal::Invalid)?;
        if state.directory.organisations.contains_key(&id) {
            return Err(Refusal::Conflict(format!(
                "organisation {id} is already registered"
            )));
        }
        let code = credit_code(body).map_err(Refusal::Invalid)?;
        if let Some(holder) = code.and_then(|c| state.directory.credit_codes.get(c)) {
            return Err(Refusal::Conflict(format!(
                "credit code {} is already registered to organisation {holder}",
                code.unwrap_or_default()
            )));
        }
        Ok(vec![Effect::RegisterOrganisation {
            id,
            name: text(body, "name").map_err(Refusal::Invalid)?.to_owned(),
            kind: text(body, "kind").map_err(Refusal::Invalid)?.to_owned(),
            credit_code: code.map(str::to_owned),
        }])
    }
}

/// `body.credit_code`, if present: a checked unified social credit code.
fn credit_code(body: &Value) -> Result<Option<&str>, String> {
    match body.get("credit_code") {
        None => Ok(None),
        Some(Value::String(code)) => crate::credit_code::check(code)
            .map(|()| Some(code.as_str()))
            .map_err(|e| format!("body.credit_code: {e}")),
        Some(_) => Err("body.credit_code must be a string".into()),
    }
}

/// `key.registered`: `{"organisation", "public_key", "role"}`, signed by the platform, or
/// by an administrator of that organisation for its own keys.
pub struct KeyRegistered;

impl Kind for KeyRegistered {
    fn name(&self) -> &'static str {
        "key.registered"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["organisation", "public_key", "role"])?;
        identifier(body, "organisation")?;
        public_key(body, "public_key")?;
        let role = text(body, "role")?;
        match Role::parse(role) {
            Some(Role::Platform) | None => Err(format!(
                "body.role must be one of platform_admin, organisation_admin, procurement_officer, bidder_representative, supervisor; not {role:?}"
            )),
            Some(_) => Ok(()),
        }
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let body = statement.body();
        let organisation = identifier(body, "organisation").map_err(Refusal::Invalid)?;
        let key = public_key(body, "public_key").map_err(Refusal::Invalid)?;
        let role = text(body, "role")
            .ok()
            .and_then(Role::parse)
            .ok_or_else(|| Refusal::Invalid("body.role is not a role".into()))?;
        let Some(kind) = state.directory.organisations.get(&organisation) else {
            return Err(Refusal::Conflict(format!(
                "organisation {organisation} is not registered"
            )));
        };
        if role == Role::PlatformAdmin && kind != "platform" {
            return Err(Refusal::Conflict(
                "platform administrators belong to the platform organisation".into(),
            ));
        }
        any_signer(
            signers,
            |s| {
                s.role.is_platform()
                    || (s.role == Role::OrganisationAdmin
                        && s.organisation == organisation
                        && role != Role::PlatformAdmin)
            },
            "the platform, a platform administrator or an administrator of the organisation",
        )?;
        if state.directory.keys.contains_key(&key) {
            return Err(Refusal::Conflict(format!(
                "key {} is already registered",
                BASE64.encode(key)
            )));
        }
        Ok(vec![Effect::RegisterKey {
            public_key: key,
            organisation,
            role,
        }])
    }
}

/// `key.revoked`: `{"public_key", "reason"}`, signed by the platform, an administrator of the
/// key's organisation, or the key itself.
pub struct KeyRevoked;

impl Kind for KeyRevoked {
    fn name(&self) -> &'static str {
        "key.revoked"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["public_key", "reason"])?;
        public_key(body, "public_key")?;
        text(body, "reason")?;
        Ok(())
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let key = public_key(statement.body(), "public_key").map_err(Refusal::Invalid)?;
        let Some(record) = state.directory.keys.get(&key) else {
            return Err(Refusal::Conflict(format!(
                "key {} is not registered",
                BASE64.encode(key)
            )));
        };
        if record.revoked {
            return Err(Refusal::Conflict(format!(
                "key {} is already revoked",
                BASE64.encode(key)
            )));
        }
        if record.role == Role::Platform {
            return Err(Refusal::Conflict(
                "the platform key is replaced, not revoked".into(),
            ));
        }
        any_signer(
            signers,
            |s| {
                s.role.is_platform()
                    || s.public_key == key
                    || (s.role == Role::OrganisationAdmin && s.organisation == record.organisation)
            },
            "the platform, an administrator of the key's organisation or the key itself",
        )?;
        Ok(vec![Effect::RevokeKey { public_key: key }])
    }
}

/// `document.published`: `{"sha256", "title"}`, signed by any active key; a document is
/// published once.
pub struct DocumentPublished;

fn document_hash(body: &Value) -> Result<[u8; 32], String> {
    Hash::from_hex(text(body, "sha256")?)
        .map(|h| h.0)
        .map_err(|_| "body.sha256 must be 64 lowercase hexadecimal digits".to_owned())
}

impl Kind for DocumentPublished {
    fn name(&self) -> &'static str {
        "document.published"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["sha256", "title"])?;
        document_hash(body)?;
        let title = text(body, "title")?;
        if title.chars().count() > 500 {
            return Err("body.title is longer than 500 characters".into());
        }
        Ok(())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        document_hash(statement.body())
            .map(|h| vec![StateKey::Document(h)])
            .unwrap_or_default()
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let body = statement.body();
        let sha256 = document_hash(body).map_err(Refusal::Invalid)?;
        if state.present.contains(&StateKey::Document(sha256)) {
            return Err(Refusal::Conflict(format!(
                "document {} is already published",
                Hash(sha256).to_hex()
            )));
        }
        let signer = signers
            .first()
            .ok_or_else(|| Refusal::Forbidden("unsigned".into()))?;
        Ok(vec![Effect::PublishDocument {
            sha256,
            title: text(body, "title").map_err(Refusal::Invalid)?.to_owned(),
            organisation: signer.organisation.clone(),
        }])
    }
}

/// `log.genesis`, the first entry of every log: the platform registers its organisation
/// and its statement key, and names the log's checkpoint key. Signed by the platform key.
pub struct Genesis;

impl Kind for Genesis {
    fn name(&self) -> &'static str {
        "log.genesis"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(
            body,
            &["origin", "checkpoint_key", "platform_key", "organisation"],
        )?;
        text(body, "origin")?;
        text(body, "checkpoint_key")?;
        public_key(body, "platform_key")?;
        let organisation = body
            .get("organisation")
            .ok_or("body.organisation is missing")?;
        identifier(organisation, "id")?;
        text(organisation, "name")?;
        Ok(())
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !state.directory.organisations.is_empty() {
            return Err(Refusal::Conflict(
                "the log already has its genesis entry".into(),
            ));
        }
        let body = statement.body();
        let key = public_key(body, "platform_key").map_err(Refusal::Invalid)?;
        any_signer(
            signers,
            |s| s.public_key == key,
            "the platform key it registers",
        )?;
        let organisation = &body["organisation"];
        let id = identifier(organisation, "id").map_err(Refusal::Invalid)?;
        Ok(vec![
            Effect::RegisterOrganisation {
                id: id.clone(),
                name: text(organisation, "name")
                    .map_err(Refusal::Invalid)?
                    .to_owned(),
                kind: "platform".into(),
                credit_code: None,
            },
            Effect::RegisterKey {
                public_key: key,
                organisation: id,
                role: Role::Platform,
            },
        ])
    }
}

/// The statement kinds the log accepts.
pub struct Registry {
    kinds: HashMap<&'static str, Box<dyn Kind>>,
}

impl Registry {
    /// The kinds of this module.
    pub fn new() -> Registry {
        let mut registry = Registry {
            kinds: HashMap::new(),
        };
        registry.register(Box::new(Genesis));
        registry.register(Box::new(OrganisationRegistered));
        registry.register(Box::new(KeyRegistered));
        registry.register(Box::new(KeyRevoked));
        registry.register(Box::new(DocumentPublished));
        crate::procurement::register(&mut registry);
        registry
    }

    /// Adds a kind (domain modules call this).
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

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}
