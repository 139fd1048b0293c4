//! Statement kinds and their rules. Each kind declares the schema of its body, who may sign
//! it and the rules it must satisfy against the current state, and returns the effects the
//! sequencer projects into the tables. No actix or diesel here: the rules are plain code.
//!
//! This module holds the key directory's kinds (`organisation.registered`,
//! `key.registered`, `key.revoked`) and `document.published`; procurement and charity
//! register theirs in their own modules.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::statement::Statement;

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
}

/// The state a batch's rules see: the directory, and prefetched table state, updated as
/// the batch's statements take effect.
pub struct State<'a> {
    /// The key directory.
    pub directory: &'a mut Directory,
    /// Prefetched keys that exist.
    pub present: HashSet<StateKey>,
}

impl State<'_> {
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
            Effect::RegisterOrganisation { id, kind, .. } => {
                self.directory
                    .organisations
                    .insert(id.clone(), kind.clone());
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
        }
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

    /// Checks the signers and the rules against the current state, in log order, and
    /// returns the effects.
    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
    ) -> Result<Vec<Effect>, Refusal>;
}

fn text<'a>(body: &'a Value, field: &str) -> Result<&'a str, String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("body.{field} must be a non-empty string")),
        None => Err(format!("body.{field} is missing")),
    }
}

fn public_key(body: &Value, field: &str) -> Result<[u8; 32], String> {
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

fn only(body: &Value, allowed: &[&str]) -> Result<(), String> {
    match body.as_object() {
        None => Err("body must be an object".to_owned()),
        Some(map) => match map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(extra) => Err(format!("body.{extra} is not part of this kind")),
            None => Ok(()),
        },
    }
}

fn identifier(body: &Value, field: &str) -> Result<String, String> {
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

fn any_signer(
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

/// `organisation.registered`: `{"id", "name", "kind"}`, signed by the platform.
pub struct OrganisationRegistered;

impl Kind for OrganisationRegistered {
    fn name(&self) -> &'static str {
        "organisation.registered"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["id", "name", "kind"])?;
        identifier(body, "id")?;
        text(body, "name")?;
        let kind = text(body, "kind")?;
        if !ORGANISATION_KINDS.contains(&kind) {
            return Err(format!(
                "body.kind must be one of {}",
                ORGANISATION_KINDS.join(", ")
            ));
        }
        Ok(())
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
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
        Ok(vec![Effect::RegisterOrganisation {
            id,
            name: text(body, "name").map_err(Refusal::Invalid)?.to_owned(),
            kind: text(body, "kind").map_err(Refusal::Invalid)?.to_owned(),
        }])
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
