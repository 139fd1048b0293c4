//! The key directory's kinds: `log.genesis`, `organisation.registered`,
//! `key.registered`, `key.revoked`; and `document.published`.

use crate::domain::rules::{
    Context, DirectoryChange, Effect, Kind, Refusal, Registry, Signer, State, StateKey, any_signer,
    bounded_text, identifier, only, public_key, text,
};
use crate::domain::said::Said;
use crate::domain::shape;
use crate::domain::types::{OrganisationKind, Role};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::statement::Statement;

/// `organisation.registered`: `{"id", "name", "kind", "credit_code"}`, signed by the
/// platform. `credit_code`, the unified social credit code, is checked by its check
/// character; suppliers must give one, and no two organisations share one.
pub struct OrganisationRegistered;

impl Kind for OrganisationRegistered {
    fn name(&self) -> &'static str {
        "organisation.registered"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "An organisation. Subject: its id. Signed by the platform or a platform administrator (a supplier applies through POST /api/v1/registrations).",
            &["id", "name", "kind"],
            json!({
        "id": shape::identifier(), "name": shape::text(300, "Its name"),
        "kind": {"enum": OrganisationKind::ALL.map(OrganisationKind::as_str)},
        "credit_code": {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$", "description": "Unified social credit code (GB 32100, checked by its check character); required of suppliers"}}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        OrganisationRegisteredBody::parse(body).map(drop)
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
            crate::said!(
                "signer.platform",
                "needs a signature by the platform or a platform administrator"
            ),
        )?;
        let body = OrganisationRegisteredBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        if state.directory.organisations.contains_key(&body.id) {
            return Err(Refusal::Conflict(crate::said!(
                "org.taken",
                "organisation {organisation} is already registered",
                organisation = body.id
            )));
        }
        if let Some(code) = body.credit_code
            && let Some(holder) = state.directory.credit_codes.get(code)
        {
            return Err(Refusal::Conflict(crate::said!(
                "org.credit_code_taken",
                "credit code {code} is already registered to organisation {organisation}",
                code = code,
                organisation = holder
            )));
        }
        Ok(vec![Effect::Directory(
            DirectoryChange::RegisterOrganisation {
                id: body.id,
                name: body.name.to_owned(),
                kind: body.kind,
                credit_code: body.credit_code.map(str::to_owned),
            },
        )])
    }
}

/// The body of an `organisation.registered`.
pub struct OrganisationRegisteredBody<'a> {
    /// The organisation's id.
    pub id: String,
    /// Its name.
    pub name: &'a str,
    /// What it is.
    pub kind: OrganisationKind,
    /// Its unified social credit code, checked; a supplier always has one.
    pub credit_code: Option<&'a str>,
}

impl<'a> OrganisationRegisteredBody<'a> {
    /// Checks the body of an `organisation.registered` and reads it.
    pub fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["id", "name", "kind", "credit_code"])?;
        let id = identifier(body, "id")?;
        let name = bounded_text(body, "name", 300)?;
        let kind = organisation_kind(body)?;
        let credit_code = credit_code(body)?;
        if credit_code.is_none() && kind == OrganisationKind::Supplier {
            return Err(crate::said!(
                "org.credit_code_required",
                "{field} is required of a supplier: its unified social credit code (统一社会信用代码)",
                field = "body.credit_code"
            ));
        }
        Ok(OrganisationRegisteredBody {
            id,
            name,
            kind,
            credit_code,
        })
    }
}

/// `body.kind`: what the organisation is.
fn organisation_kind(body: &Value) -> Result<OrganisationKind, Said> {
    OrganisationKind::parse(text(body, "kind")?).ok_or_else(|| {
        crate::said!(
            "org.kind_unknown",
            "{field} must be one of {kinds}",
            field = "body.kind",
            kinds = OrganisationKind::names()
        )
    })
}

/// `body.credit_code`, if present: a checked unified social credit code.
fn credit_code(body: &Value) -> Result<Option<&str>, Said> {
    match body.get("credit_code") {
        None => Ok(None),
        Some(Value::String(code)) => crate::domain::credit_code::check(code)
            .map(|()| Some(code.as_str()))
            .map_err(|e| e.said("body.credit_code")),
        Some(_) => Err(crate::said!(
            "body.not_string",
            "{field} must be a string",
            field = "body.credit_code"
        )),
    }
}

/// That no organisation `id` is registered.
pub fn unknown_organisation(id: &str) -> Said {
    crate::said!(
        "org.unknown",
        "organisation {organisation} is not registered",
        organisation = id
    )
}

/// `key.registered`: `{"organisation", "public_key", "role"}`, signed by the platform, or
/// by an administrator of that organisation for its own keys.
pub struct KeyRegistered;

impl Kind for KeyRegistered {
    fn name(&self) -> &'static str {
        "key.registered"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A key of an organisation, with its role. Signed by the platform or an administrator of the organisation.",
            &["organisation", "public_key", "role"],
            json!({
        "organisation": shape::identifier(), "public_key": shape::public_key(),
        "role": {"enum": Role::OF_USERS.map(Role::as_str)}}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        KeyRegisteredBody::parse(body).map(drop)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let KeyRegisteredBody {
            organisation,
            public_key: key,
            role,
        } = KeyRegisteredBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let Some(kind) = state.directory.organisations.get(&organisation) else {
            return Err(Refusal::Conflict(unknown_organisation(&organisation)));
        };
        if role == Role::PlatformAdmin && *kind != OrganisationKind::Platform {
            return Err(Refusal::Conflict(crate::said!(
                "key.platform_admin_elsewhere",
                "platform administrators belong to the platform organisation"
            )));
        }
        any_signer(
            signers,
            |s| {
                s.role.is_platform()
                    || (s.role == Role::OrganisationAdmin
                        && s.organisation == organisation
                        && role != Role::PlatformAdmin)
            },
            crate::said!(
                "signer.platform_or_admin",
                "needs a signature by the platform, a platform administrator or an administrator of the organisation"
            ),
        )?;
        if state.directory.keys.contains_key(&key) {
            return Err(Refusal::Conflict(crate::said!(
                "key.taken",
                "key {key} is already registered",
                key = BASE64.encode(key)
            )));
        }
        Ok(vec![Effect::Directory(DirectoryChange::RegisterKey {
            public_key: key,
            organisation,
            role,
        })])
    }
}

/// The body of a `key.registered`.
struct KeyRegisteredBody {
    /// The key's organisation.
    organisation: String,
    /// The key, a usable Ed25519 public key.
    public_key: [u8; 32],
    /// Its role: a user's, never the platform's.
    role: Role,
}

impl KeyRegisteredBody {
    /// Checks the body of a `key.registered` and reads it.
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["organisation", "public_key", "role"])?;
        let organisation = identifier(body, "organisation")?;
        let public_key = public_key(body, "public_key")?;
        let role = text(body, "role")?;
        match Role::parse(role) {
            Some(Role::Platform) | None => Err(crate::said!(
                "key.role_unknown",
                "{field} must be one of platform_admin, organisation_admin, procurement_officer, bidder_representative, supervisor; not {given}",
                field = "body.role",
                given = format!("{role:?}")
            )),
            Some(role) => Ok(KeyRegisteredBody {
                organisation,
                public_key,
                role,
            }),
        }
    }
}

/// `key.revoked`: `{"public_key", "reason"}`, signed by the platform, an administrator of the
/// key's organisation, or the key itself.
pub struct KeyRevoked;

impl Kind for KeyRevoked {
    fn name(&self) -> &'static str {
        "key.revoked"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Revokes a key. Signed by the platform, an administrator of the key's organisation, or the key itself.",
            &["public_key", "reason"],
            json!({"public_key": shape::public_key(), "reason": shape::text(2_000, "Why")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        KeyRevokedBody::parse(body).map(drop)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let key = KeyRevokedBody::parse(statement.body())
            .map_err(Refusal::Invalid)?
            .public_key;
        let Some(record) = state.directory.keys.get(&key) else {
            return Err(Refusal::Conflict(crate::said!(
                "key.unknown",
                "key {key} is not registered",
                key = BASE64.encode(key)
            )));
        };
        if record.revoked {
            return Err(Refusal::Conflict(crate::said!(
                "key.already_revoked",
                "key {key} is already revoked",
                key = BASE64.encode(key)
            )));
        }
        if record.role == Role::Platform {
            return Err(Refusal::Conflict(crate::said!(
                "key.platform_key",
                "the platform key is replaced, not revoked"
            )));
        }
        any_signer(
            signers,
            |s| {
                s.role.is_platform()
                    || s.public_key == key
                    || (s.role == Role::OrganisationAdmin && s.organisation == record.organisation)
            },
            crate::said!(
                "signer.revoker",
                "needs a signature by the platform, an administrator of the key's organisation or the key itself"
            ),
        )?;
        Ok(vec![Effect::Directory(DirectoryChange::RevokeKey {
            public_key: key,
        })])
    }
}

/// The body of a `key.revoked`. Its `reason` is checked but not kept: the log says it,
/// and no rule reads it.
struct KeyRevokedBody {
    /// The key revoked.
    public_key: [u8; 32],
}

impl KeyRevokedBody {
    /// Checks the body of a `key.revoked` and reads it.
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["public_key", "reason"])?;
        let public_key = public_key(body, "public_key")?;
        bounded_text(body, "reason", 2_000)?;
        Ok(KeyRevokedBody { public_key })
    }
}

/// `document.published`: `{"sha256", "title"}`, signed by any active key; a document is
/// published once.
pub struct DocumentPublished;

/// The body of a `document.published`.
struct DocumentPublishedBody<'a> {
    /// SHA-256 of the document's content.
    sha256: [u8; 32],
    /// Its title, at most 500 characters.
    title: &'a str,
}

impl<'a> DocumentPublishedBody<'a> {
    /// Checks the body of a `document.published` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["sha256", "title"])?;
        let sha256 = Hash::from_hex(text(body, "sha256")?)
            .map(|h| h.0)
            .map_err(|_| {
                crate::said!(
                    "body.not_hash",
                    "{field} must be 64 lowercase hexadecimal digits",
                    field = "body.sha256"
                )
            })?;
        let title = text(body, "title")?;
        if title.chars().count() > 500 {
            return Err(crate::said!(
                "body.longer_than",
                "{field} is longer than {max} characters",
                field = "body.title",
                max = 500
            ));
        }
        Ok(DocumentPublishedBody { sha256, title })
    }
}

impl Kind for DocumentPublished {
    fn name(&self) -> &'static str {
        "document.published"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A document by its hash. Signed by any active key.",
            &["sha256", "title"],
            json!({"sha256": shape::hex_hash("SHA-256 of the content"), "title": shape::text(500, "Its title")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        DocumentPublishedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        DocumentPublishedBody::parse(statement.body())
            .map(|body| vec![StateKey::Document(body.sha256)])
            .unwrap_or_default()
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let DocumentPublishedBody { sha256, title } =
            DocumentPublishedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        if state.present.contains(&StateKey::Document(sha256)) {
            return Err(Refusal::Conflict(crate::said!(
                "document.published_already",
                "document {document} is already published",
                document = Hash(sha256).to_hex()
            )));
        }
        let signer = signers
            .first()
            .ok_or_else(|| Refusal::Forbidden("unsigned".into()))?;
        Ok(vec![Effect::Directory(DirectoryChange::PublishDocument {
            sha256,
            title: title.to_owned(),
            organisation: signer.organisation.clone(),
        })])
    }
}

/// `log.genesis`, the first entry of every log: the platform registers its organisation
/// and its statement key, and names the log's checkpoint key. Signed by the platform key.
pub struct Genesis;

impl Kind for Genesis {
    fn name(&self) -> &'static str {
        "log.genesis"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The first entry: the platform registers its organisation and key. Signed by the platform.",
            &["origin", "checkpoint_key", "platform_key", "organisation"],
            json!({
        "origin": shape::text(256, "The log's origin"), "checkpoint_key": shape::text(512, "The checkpoint verifier key"), "platform_key": shape::public_key(),
        "organisation": {"type": "object", "required": ["id", "name"], "properties": {"id": shape::identifier(), "name": shape::text(300, "Its name")}}}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        GenesisBody::parse(body).map(drop)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        _ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !state.directory.organisations.is_empty() {
            return Err(Refusal::Conflict(crate::said!(
                "directory.genesis_twice",
                "the log already has its genesis entry"
            )));
        }
        let body = GenesisBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let key = body.platform_key;
        any_signer(
            signers,
            |s| s.public_key == key,
            crate::said!(
                "signer.genesis",
                "needs a signature by the platform key it registers"
            ),
        )?;
        Ok(vec![
            Effect::Directory(DirectoryChange::RegisterOrganisation {
                id: body.organisation.clone(),
                name: body.organisation_name.to_owned(),
                kind: OrganisationKind::Platform,
                credit_code: None,
            }),
            Effect::Directory(DirectoryChange::RegisterKey {
                public_key: key,
                organisation: body.organisation,
                role: Role::Platform,
            }),
        ])
    }
}

/// The body of a `log.genesis`. Its `origin` and `checkpoint_key` are checked but not
/// kept: the log says them, and no rule reads them.
struct GenesisBody<'a> {
    /// The platform's statement key.
    platform_key: [u8; 32],
    /// The platform organisation's id.
    organisation: String,
    /// Its name.
    organisation_name: &'a str,
}

impl<'a> GenesisBody<'a> {
    /// Checks the body of a `log.genesis` and reads it. (The organisation's members are
    /// named `body.id` and `body.name` in the refusals, as they always were.)
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(
            body,
            &["origin", "checkpoint_key", "platform_key", "organisation"],
        )?;
        bounded_text(body, "origin", 256)?;
        bounded_text(body, "checkpoint_key", 512)?;
        let platform_key = public_key(body, "platform_key")?;
        let organisation = body.get("organisation").ok_or_else(|| {
            crate::said!(
                "body.missing",
                "{field} is missing",
                field = "body.organisation"
            )
        })?;
        Ok(GenesisBody {
            platform_key,
            organisation: identifier(organisation, "id")?,
            organisation_name: bounded_text(organisation, "name", 300)?,
        })
    }
}

/// Registers the directory's kinds.
pub fn register(registry: &mut Registry) {
    registry.register(Box::new(Genesis));
    registry.register(Box::new(OrganisationRegistered));
    registry.register(Box::new(KeyRegistered));
    registry.register(Box::new(KeyRevoked));
    registry.register(Box::new(DocumentPublished));
}

/// Every refusal of the directory's kinds, each its own case, judged without a database:
/// the body's schema first (`check_body`, run at intake), then the rules against the
/// state (`decide`, run by the sequencer in log order).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::KeyRecord;
    use crate::domain::procurement::projection::Tenders;
    use crate::domain::rules::Directory;
    use serde_json::json;
    use std::collections::HashSet;
    use vitrine_ledger::time::Timestamp;

    /// What a case expects.
    #[derive(Debug)]
    enum Expect {
        /// `check_body` refuses, saying this.
        Body(&'static str),
        /// `decide` refuses: 403 or 409, saying this.
        Forbidden(&'static str),
        Conflict(&'static str),
        /// It passes, with this effect alone.
        Effect(Effect),
    }

    fn key(n: u8) -> [u8; 32] {
        ed25519_dalek::SigningKey::from_bytes(&[n; 32])
            .verifying_key()
            .to_bytes()
    }

    fn b64(n: u8) -> String {
        BASE64.encode(key(n))
    }

    const PLATFORM_KEY: u8 = 1;
    const CITY_ADMIN: u8 = 2;
    const OFFICER: u8 = 3;
    const REVOKED: u8 = 4;
    const PLATFORM_ORG_ADMIN: u8 = 5;
    const NEW: u8 = 9;

    /// A directory with the platform, a buyer (`city`) with its administrator and an
    /// officer, a supplier (`acme`) with a credit code, and a revoked key.
    fn directory() -> Directory {
        let mut directory = Directory::default();
        for (id, kind) in [
            ("platform", OrganisationKind::Platform),
            ("city", OrganisationKind::Buyer),
            ("acme", OrganisationKind::Supplier),
        ] {
            directory.organisations.insert(id.into(), kind);
        }
        directory
            .credit_codes
            .insert("91350100M000100Y43".into(), "acme".into());
        for (n, organisation, role, revoked) in [
            (PLATFORM_KEY, "platform", Role::Platform, false),
            (CITY_ADMIN, "city", Role::OrganisationAdmin, false),
            (OFFICER, "city", Role::ProcurementOfficer, false),
            (REVOKED, "city", Role::ProcurementOfficer, true),
            (
                PLATFORM_ORG_ADMIN,
                "platform",
                Role::OrganisationAdmin,
                false,
            ),
        ] {
            directory.keys.insert(
                key(n),
                KeyRecord {
                    organisation: organisation.into(),
                    role,
                    revoked,
                },
            );
        }
        directory
    }

    /// Judges a statement of `kind` with `body`, signed by the keys numbered `signed_by`,
    /// as the sequencer does: the body's schema, the signers resolved against the
    /// directory (unknown and revoked keys refused), then the rules.
    fn judge(
        kind: &dyn Kind,
        body: Value,
        signed_by: &[u8],
        directory: &mut Directory,
        published: &[[u8; 32]],
    ) -> Result<Vec<Effect>, (char, String)> {
        kind.check_body(&body)
            .map_err(|m| ('b', m.text().to_owned()))?;
        let statement = Statement::from_value(json!({
            "kind": kind.name(),
            "subject": "s",
            "issued_at": "2026-12-01T00:00:00Z",
            "body": body,
        }))
        .expect("a statement");
        let keys: Vec<[u8; 32]> = signed_by.iter().map(|n| key(*n)).collect();
        let state = State {
            directory,
            present: published.iter().copied().map(StateKey::Document).collect(),
            procurement: Tenders::default(),
            charity: Default::default(),
            uploads: HashSet::new(),
            public_documents: HashSet::new(),
        };
        let refused = |refusal: Refusal| match refusal {
            Refusal::Forbidden(m) => ('f', m.text().to_owned()),
            Refusal::Conflict(m) => ('c', m.text().to_owned()),
            Refusal::Invalid(m) => ('i', m.text().to_owned()),
            Refusal::NotFound(m) => ('n', m.text().to_owned()),
        };
        let signers = if kind.name() == "log.genesis" {
            // The genesis entry is signed by the platform key it registers, not yet known.
            keys.iter()
                .map(|k| Signer {
                    public_key: *k,
                    organisation: "platform".into(),
                    role: Role::Platform,
                })
                .collect()
        } else {
            state
                .partition_signers(&keys, kind.one_time_keys())
                .map_err(refused)?
                .0
        };
        let ctx = Context {
            index: 7,
            logged_at: Timestamp::parse("2026-12-01T00:00:01Z").expect("a time"),
            one_time_keys: Vec::new(),
            author: None,
        };
        kind.decide(&statement, &signers, &state, &ctx)
            .map_err(refused)
    }

    /// A case: its name, the kind, the body, who signs, and what it should come to.
    type Case<'k> = (&'static str, &'k dyn Kind, Value, Vec<u8>, Expect);

    fn run(cases: Vec<Case<'_>>, published: &[[u8; 32]]) {
        let mut failures = Vec::new();
        for (name, kind, body, signed_by, expect) in cases {
            let mut directory = directory();
            let got = judge(kind, body, &signed_by, &mut directory, published);
            let ok = match (&expect, &got) {
                (Expect::Body(m), Err(('b', got)))
                | (Expect::Forbidden(m), Err(('f', got)))
                | (Expect::Conflict(m), Err(('c', got))) => got.contains(m),
                (Expect::Effect(effect), Ok(got)) => got.as_slice() == std::slice::from_ref(effect),
                _ => false,
            };
            if !ok {
                failures.push(format!("{name}: expected {expect:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn organisation_registered() {
        let body = |id: &str, kind: &str| json!({"id": id, "name": "名称", "kind": kind});
        let supplier = |code: &str| json!({"id": "new-co", "name": "新公司", "kind": "supplier", "credit_code": code});
        let k: &dyn Kind = &OrganisationRegistered;
        let p = vec![PLATFORM_KEY];
        run(
            vec![
                (
                    "a buyer",
                    k,
                    body("works", "buyer"),
                    p.clone(),
                    Expect::Effect(Effect::Directory(DirectoryChange::RegisterOrganisation {
                        id: "works".into(),
                        name: "名称".into(),
                        kind: OrganisationKind::Buyer,
                        credit_code: None,
                    })),
                ),
                (
                    "signed by a revoked key",
                    k,
                    body("works", "buyer"),
                    vec![REVOKED],
                    Expect::Forbidden("was revoked"),
                ),
                (
                    "signed by an unknown key",
                    k,
                    body("works", "buyer"),
                    vec![NEW],
                    Expect::Forbidden("is not registered"),
                ),
                (
                    "not an object",
                    k,
                    json!(["id"]),
                    p.clone(),
                    Expect::Body("must be an object"),
                ),
                (
                    "an unknown member",
                    k,
                    json!({"id": "x", "name": "n", "kind": "buyer", "logo": "x"}),
                    p.clone(),
                    Expect::Body("body.logo is not part"),
                ),
                (
                    "no name",
                    k,
                    json!({"id": "x", "kind": "buyer"}),
                    p.clone(),
                    Expect::Body("body.name is missing"),
                ),
                (
                    "a name of 301 characters",
                    k,
                    json!({"id": "x", "name": "名".repeat(301), "kind": "buyer"}),
                    p.clone(),
                    Expect::Body("body.name must be at most 300 characters"),
                ),
                (
                    "an id with a space",
                    k,
                    body("a b", "buyer"),
                    p.clone(),
                    Expect::Body("body.id must be 1 to 64"),
                ),
                (
                    "an id of 65 characters",
                    k,
                    body(&"a".repeat(65), "buyer"),
                    p.clone(),
                    Expect::Body("body.id must be 1 to 64"),
                ),
                (
                    "an id of dots",
                    k,
                    body("..", "buyer"),
                    p.clone(),
                    Expect::Body("starting with a letter or digit"),
                ),
                (
                    "an id that starts with '-'",
                    k,
                    body("-rf", "buyer"),
                    p.clone(),
                    Expect::Body("starting with a letter or digit"),
                ),
                (
                    "an unknown kind",
                    k,
                    body("x", "government"),
                    p.clone(),
                    Expect::Body("body.kind must be one of buyer, supplier"),
                ),
                (
                    "a supplier without a credit code",
                    k,
                    body("x", "supplier"),
                    p.clone(),
                    Expect::Body("credit_code is required of a supplier"),
                ),
                (
                    "a credit code with a wrong check character",
                    k,
                    supplier("91350100M000100Y44"),
                    p.clone(),
                    Expect::Body("body.credit_code"),
                ),
                (
                    "a credit code that is not text",
                    k,
                    json!({"id": "x", "name": "n", "kind": "supplier", "credit_code": 5}),
                    p.clone(),
                    Expect::Body("must be a string"),
                ),
                (
                    "signed by an officer",
                    k,
                    body("works", "buyer"),
                    vec![OFFICER],
                    Expect::Forbidden("the platform or a platform administrator"),
                ),
                (
                    "an id already registered",
                    k,
                    body("city", "buyer"),
                    p.clone(),
                    Expect::Conflict("organisation city is already registered"),
                ),
                (
                    "a credit code already registered",
                    k,
                    supplier("91350100M000100Y43"),
                    p,
                    Expect::Conflict("already registered to organisation acme"),
                ),
            ],
            &[],
        );
    }

    #[test]
    fn key_registered() {
        let body = |organisation: &str, n: u8, role: &str| json!({"organisation": organisation, "public_key": b64(n), "role": role});
        let k: &dyn Kind = &KeyRegistered;
        // The all-zero point has small order: no signature by it means anything.
        let weak = BASE64.encode([0u8; 32]);
        run(
            vec![
                (
                    "by the platform",
                    k,
                    body("city", NEW, "procurement_officer"),
                    vec![PLATFORM_KEY],
                    Expect::Effect(Effect::Directory(DirectoryChange::RegisterKey {
                        public_key: key(NEW),
                        organisation: "city".into(),
                        role: Role::ProcurementOfficer,
                    })),
                ),
                (
                    "a platform administrator by the platform organisation's administrator",
                    k,
                    body("platform", NEW, "platform_admin"),
                    vec![PLATFORM_ORG_ADMIN],
                    Expect::Forbidden("the platform, a platform administrator"),
                ),
                (
                    "an organisation id with a space",
                    k,
                    body("a b", NEW, "supervisor"),
                    vec![PLATFORM_KEY],
                    Expect::Body("body.organisation must be 1 to 64"),
                ),
                (
                    "signed by the new key itself",
                    k,
                    body("city", NEW, "supervisor"),
                    vec![NEW],
                    Expect::Forbidden("is not registered"),
                ),
                (
                    "by the organisation's administrator",
                    k,
                    body("city", NEW, "procurement_officer"),
                    vec![CITY_ADMIN],
                    Expect::Effect(Effect::Directory(DirectoryChange::RegisterKey {
                        public_key: key(NEW),
                        organisation: "city".into(),
                        role: Role::ProcurementOfficer,
                    })),
                ),
                (
                    "a key that is not base64",
                    k,
                    json!({"organisation": "city", "public_key": "%%%", "role": "supervisor"}),
                    vec![PLATFORM_KEY],
                    Expect::Body("must be a base64 Ed25519 public key"),
                ),
                (
                    "a key of 31 bytes",
                    k,
                    json!({"organisation": "city", "public_key": BASE64.encode([7u8; 31]), "role": "supervisor"}),
                    vec![PLATFORM_KEY],
                    Expect::Body("must be 32 bytes"),
                ),
                (
                    "a weak key",
                    k,
                    json!({"organisation": "city", "public_key": weak, "role": "supervisor"}),
                    vec![PLATFORM_KEY],
                    Expect::Body("not a usable Ed25519 public key"),
                ),
                (
                    "the platform's role",
                    k,
                    body("city", NEW, "platform"),
                    vec![PLATFORM_KEY],
                    Expect::Body("body.role must be one of"),
                ),
                (
                    "an unknown role",
                    k,
                    body("city", NEW, "mayor"),
                    vec![PLATFORM_KEY],
                    Expect::Body("body.role must be one of"),
                ),
                (
                    "an unregistered organisation",
                    k,
                    body("nowhere", NEW, "supervisor"),
                    vec![PLATFORM_KEY],
                    Expect::Conflict("organisation nowhere is not registered"),
                ),
                (
                    "a platform administrator of a buyer",
                    k,
                    body("city", NEW, "platform_admin"),
                    vec![PLATFORM_KEY],
                    Expect::Conflict("platform administrators belong to the platform"),
                ),
                (
                    "by an officer",
                    k,
                    body("city", NEW, "procurement_officer"),
                    vec![OFFICER],
                    Expect::Forbidden("an administrator of the organisation"),
                ),
                (
                    "by another organisation's administrator",
                    k,
                    body("acme", NEW, "bidder_representative"),
                    vec![CITY_ADMIN],
                    Expect::Forbidden("an administrator of the organisation"),
                ),
                (
                    "a key already registered",
                    k,
                    body("city", OFFICER, "supervisor"),
                    vec![PLATFORM_KEY],
                    Expect::Conflict("is already registered"),
                ),
            ],
            &[],
        );
    }

    #[test]
    fn key_revoked() {
        let body = |n: u8| json!({"public_key": b64(n), "reason": "离职"});
        let k: &dyn Kind = &KeyRevoked;
        run(
            vec![
                (
                    "by the platform",
                    k,
                    body(OFFICER),
                    vec![PLATFORM_KEY],
                    Expect::Effect(Effect::Directory(DirectoryChange::RevokeKey {
                        public_key: key(OFFICER),
                    })),
                ),
                (
                    "by a revoked key of the organisation",
                    k,
                    body(OFFICER),
                    vec![REVOKED],
                    Expect::Forbidden("was revoked"),
                ),
                (
                    "by the key itself",
                    k,
                    body(OFFICER),
                    vec![OFFICER],
                    Expect::Effect(Effect::Directory(DirectoryChange::RevokeKey {
                        public_key: key(OFFICER),
                    })),
                ),
                (
                    "by the organisation's administrator",
                    k,
                    body(OFFICER),
                    vec![CITY_ADMIN],
                    Expect::Effect(Effect::Directory(DirectoryChange::RevokeKey {
                        public_key: key(OFFICER),
                    })),
                ),
                (
                    "no reason",
                    k,
                    json!({"public_key": b64(OFFICER)}),
                    vec![PLATFORM_KEY],
                    Expect::Body("body.reason is missing"),
                ),
                (
                    "a reason of 2001 characters",
                    k,
                    json!({"public_key": b64(OFFICER), "reason": "因".repeat(2_001)}),
                    vec![PLATFORM_KEY],
                    Expect::Body("body.reason must be at most 2000 characters"),
                ),
                (
                    "an empty reason",
                    k,
                    json!({"public_key": b64(OFFICER), "reason": ""}),
                    vec![PLATFORM_KEY],
                    Expect::Body("body.reason must be a non-empty string"),
                ),
                (
                    "an unregistered key",
                    k,
                    body(NEW),
                    vec![PLATFORM_KEY],
                    Expect::Conflict("is not registered"),
                ),
                (
                    "a key already revoked",
                    k,
                    body(REVOKED),
                    vec![PLATFORM_KEY],
                    Expect::Conflict("is already revoked"),
                ),
                (
                    "the platform's key",
                    k,
                    body(PLATFORM_KEY),
                    vec![PLATFORM_KEY],
                    Expect::Conflict("replaced, not revoked"),
                ),
                (
                    "by another officer",
                    k,
                    body(CITY_ADMIN),
                    vec![OFFICER],
                    Expect::Forbidden("or the key itself"),
                ),
            ],
            &[],
        );
    }

    #[test]
    fn document_published() {
        let hash = "ab".repeat(32);
        let body = |title: &str| json!({"sha256": hash, "title": title});
        let k: &dyn Kind = &DocumentPublished;
        let published = [[0xab; 32]];
        run(
            vec![
                (
                    "a hash in capitals",
                    k,
                    json!({"sha256": "AB".repeat(32), "title": "t"}),
                    vec![OFFICER],
                    Expect::Body("64 lowercase hexadecimal digits"),
                ),
                (
                    "a short hash",
                    k,
                    json!({"sha256": "ab", "title": "t"}),
                    vec![OFFICER],
                    Expect::Body("64 lowercase hexadecimal digits"),
                ),
                (
                    "a title of 501 characters",
                    k,
                    body(&"字".repeat(501)),
                    vec![OFFICER],
                    Expect::Body("longer than 500 characters"),
                ),
                (
                    "published already",
                    k,
                    body("招标文件"),
                    vec![OFFICER],
                    Expect::Conflict("is already published"),
                ),
            ],
            &published,
        );
        run(
            vec![(
                "a new document",
                k,
                body("招标文件"),
                vec![OFFICER],
                Expect::Effect(Effect::Directory(DirectoryChange::PublishDocument {
                    sha256: [0xab; 32],
                    title: "招标文件".into(),
                    organisation: "city".into(),
                })),
            )],
            &[],
        );
    }

    #[test]
    fn genesis() {
        let body = |n: u8| {
            json!({"origin": "vitrine.test/log", "checkpoint_key": "vitrine.test/log+00000000+AAAA",
                   "platform_key": b64(n), "organisation": {"id": "platform", "name": "平台"}})
        };
        let k: &dyn Kind = &Genesis;
        run(
            vec![
                (
                    "no organisation",
                    k,
                    json!({"origin": "o", "checkpoint_key": "c", "platform_key": b64(NEW)}),
                    vec![NEW],
                    Expect::Body("body.organisation is missing"),
                ),
                (
                    "no origin",
                    k,
                    json!({"checkpoint_key": "c", "platform_key": b64(NEW), "organisation": {"id": "p", "name": "n"}}),
                    vec![NEW],
                    Expect::Body("body.origin is missing"),
                ),
                (
                    "no checkpoint key",
                    k,
                    json!({"origin": "o", "platform_key": b64(NEW), "organisation": {"id": "p", "name": "n"}}),
                    vec![NEW],
                    Expect::Body("body.checkpoint_key is missing"),
                ),
                (
                    "no platform key",
                    k,
                    json!({"origin": "o", "checkpoint_key": "c", "organisation": {"id": "p", "name": "n"}}),
                    vec![NEW],
                    Expect::Body("body.platform_key is missing"),
                ),
                (
                    "a second genesis",
                    k,
                    body(NEW),
                    vec![NEW],
                    Expect::Conflict("already has its genesis entry"),
                ),
            ],
            &[],
        );
        // On an empty log: signed by the key it registers, and by no other.
        let mut empty = Directory::default();
        let effects = judge(k, body(NEW), &[NEW], &mut empty, &[]).expect("the genesis entry");
        assert_eq!(
            effects,
            [
                Effect::Directory(DirectoryChange::RegisterOrganisation {
                    id: "platform".into(),
                    name: "平台".into(),
                    kind: OrganisationKind::Platform,
                    credit_code: None,
                }),
                Effect::Directory(DirectoryChange::RegisterKey {
                    public_key: key(NEW),
                    organisation: "platform".into(),
                    role: Role::Platform,
                }),
            ]
        );
        let refused = judge(k, body(NEW), &[OFFICER], &mut empty, &[]);
        assert!(
            matches!(&refused, Err(('f', m)) if m.contains("the platform key it registers")),
            "{refused:?}"
        );
    }
}
