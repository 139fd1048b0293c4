//! The key directory's kinds: `log.genesis`, `organisation.registered`,
//! `key.registered`, `key.revoked`; and `document.published`.

use crate::domain::rules::{
    Context, Effect, Kind, Refusal, Registry, Signer, State, StateKey, any_signer, identifier,
    only, public_key, text,
};
use crate::domain::types::{OrganisationKind, Role};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
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

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["id", "name", "kind", "credit_code"])?;
        identifier(body, "id")?;
        text(body, "name")?;
        let kind = organisation_kind(body)?;
        match (credit_code(body)?, kind) {
            (None, OrganisationKind::Supplier) => Err(
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
            kind: organisation_kind(body).map_err(Refusal::Invalid)?,
            credit_code: code.map(str::to_owned),
        }])
    }
}

/// `body.kind`: what the organisation is.
fn organisation_kind(body: &Value) -> Result<OrganisationKind, String> {
    OrganisationKind::parse(text(body, "kind")?)
        .ok_or_else(|| format!("body.kind must be one of {}", OrganisationKind::names()))
}

/// `body.credit_code`, if present: a checked unified social credit code.
fn credit_code(body: &Value) -> Result<Option<&str>, String> {
    match body.get("credit_code") {
        None => Ok(None),
        Some(Value::String(code)) => crate::domain::credit_code::check(code)
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
        if role == Role::PlatformAdmin && *kind != OrganisationKind::Platform {
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
                kind: OrganisationKind::Platform,
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

/// Registers the directory's kinds.
pub fn register(registry: &mut Registry) {
    registry.register(Box::new(Genesis));
    registry.register(Box::new(OrganisationRegistered));
    registry.register(Box::new(KeyRegistered));
    registry.register(Box::new(KeyRevoked));
    registry.register(Box::new(DocumentPublished));
}
