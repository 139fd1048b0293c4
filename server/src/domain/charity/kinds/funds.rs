//! A fund's life: opened by its charity with an approval policy, its disclosures, and its
//! closing.

use super::prelude::*;

/// The most officers a policy names.
const MAX_OFFICERS: usize = 32;

/// `fund.opened`: a charity opens a fund for a campaign or a project.
pub struct FundOpened;

impl Kind for FundOpened {
    fn name(&self) -> &'static str {
        "fund.opened"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A fund (募捐活动 or 慈善项目), its subject the fund's id. Signed by the charity's administrator. Its policy names the officers who approve disbursements: `approvals` of them, or `above.approvals` for a disbursement of more than `above.amount`.",
            &[
                "charity", "kind", "purpose", "target", "start", "end", "policy",
            ],
            json!({
                "charity": shape::identifier(),
                "kind": {"type": "string", "enum": ["campaign", "project"]},
                "purpose": shape::bilingual(2_000),
                "target": shape::money(),
                "start": shape::time("When it starts"),
                "end": shape::time("When it ends"),
                "policy": shape::object("Who approves disbursements", &["officers", "approvals"], json!({
                    "officers": {"type": "array", "minItems": 1, "maxItems": MAX_OFFICERS, "items": shape::public_key()},
                    "approvals": {"type": "integer", "minimum": 1, "maximum": MAX_OFFICERS},
                    "above": shape::object("More approvals above an amount", &["amount", "approvals"], json!({
                        "amount": shape::money(),
                        "approvals": {"type": "integer", "minimum": 1, "maximum": MAX_OFFICERS},
                    })),
                })),
            }),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        FundOpenedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        fund_of(statement)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let id = statement.subject();
        let ok = id.len() <= 64
            && id.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
            && id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
        if !ok {
            return Err(Refusal::Invalid(crate::said!(
                "fund.bad_id",
                "a fund's id (the statement's subject) must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit"
            )));
        }
        let body = FundOpenedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        match state.directory.kind_of(&body.charity) {
            None => {
                return Err(Refusal::NotFound(
                    crate::domain::directory::unknown_organisation(&body.charity),
                ));
            }
            Some(OrganisationKind::Charity) => {}
            Some(other) => {
                return Err(Refusal::Conflict(crate::said!(
                    "fund.not_charity",
                    "organisation {organisation} is a {org_kind}: only a charity opens funds",
                    organisation = body.charity,
                    org_kind = other.as_str()
                )));
            }
        }
        any_signer(
            signers,
            |s| s.organisation == body.charity && s.role == Role::OrganisationAdmin,
            crate::said!(
                "signer.charity_admin",
                "needs a signature by the administrator of {charity}",
                charity = body.charity
            ),
        )?;
        if state.charity.get(id).is_some() {
            return Err(Refusal::Conflict(crate::said!(
                "fund.exists",
                "fund {fund} exists already",
                fund = id
            )));
        }
        for (position, key) in body.officers.iter().enumerate() {
            let field = format!("body.policy.officers[{position}]");
            let text = BASE64.encode(key);
            match state.directory.keys.get(key) {
                Some(record)
                    if record.organisation == body.charity
                        && matches!(
                            record.role,
                            Role::ProcurementOfficer | Role::OrganisationAdmin
                        )
                        && !record.revoked => {}
                Some(record) if record.revoked => {
                    return Err(Refusal::Conflict(crate::said!(
                        "fund.officer_revoked",
                        "{field}: key {key} was revoked",
                        field = field,
                        key = text
                    )));
                }
                _ => {
                    return Err(Refusal::Conflict(crate::said!(
                        "fund.officer_not_charity",
                        "{field}: key {key} is not an officer's key of {charity}",
                        field = field,
                        key = text,
                        charity = body.charity
                    )));
                }
            }
        }
        let fund = FundState {
            id: id.to_owned(),
            charity: body.charity.clone(),
            kind: body.kind,
            purpose: body.purpose.clone(),
            currency: body.target.0.currency.clone(),
            target: body.target.1,
            start: body.start.to_string(),
            end: body.end.to_string(),
            policy: Policy {
                officers: body.officers.iter().map(|k| BASE64.encode(k)).collect(),
                approvals: body.approvals,
                above: body.above.clone(),
            },
            status: FundStatus::Open,
            balance: 0,
            received: 0,
            disbursed: 0,
            donations: 0,
            disbursements: 0,
            disclosures: Vec::new(),
            opened_idx: ctx.index,
            opened_at: ctx.logged_at.to_string(),
            updated_idx: ctx.index,
            closed: None,
            left_at_end: None,
        };
        Ok(vec![change(ctx, id, FundChange::Opened(Box::new(fund)))])
    }
}

/// The body of a `fund.opened`.
struct FundOpenedBody {
    charity: String,
    kind: FundKind,
    purpose: Value,
    target: (Money, i64),
    start: Timestamp,
    end: Timestamp,
    officers: Vec<[u8; 32]>,
    approvals: u32,
    above: Option<Threshold>,
}

impl FundOpenedBody {
    fn parse(body: &Value) -> Result<FundOpenedBody, Said> {
        only(
            body,
            &[
                "charity", "kind", "purpose", "target", "start", "end", "policy",
            ],
        )?;
        let charity = identifier(body, "charity")?;
        let kind = FundKind::parse(text(body, "kind")?).ok_or_else(|| {
            crate::said!(
                "body.one_of",
                "{field} must be one of {allowed}",
                field = "body.kind",
                allowed = "campaign, project"
            )
        })?;
        bilingual(body, "purpose", 2_000)?;
        let target = positive_money(body, "target")?;
        let start = time(body, "start")?;
        let end = time(body, "end")?;
        if end <= start {
            return Err(crate::said!(
                "fund.period",
                "{field} must be after body.start",
                field = "body.end"
            ));
        }
        let policy = body.get("policy").ok_or_else(|| {
            crate::said!("body.missing", "{field} is missing", field = "body.policy")
        })?;
        only(policy, &["officers", "approvals", "above"]).map_err(|s| nested(s, "policy"))?;
        let listed = match policy.get("officers") {
            Some(Value::Array(listed)) if (1..=MAX_OFFICERS).contains(&listed.len()) => listed,
            _ => {
                return Err(crate::said!(
                    "fund.officers",
                    "{field} must list 1 to {max} officers' public keys",
                    field = "body.policy.officers",
                    max = MAX_OFFICERS
                ));
            }
        };
        let mut officers = Vec::with_capacity(listed.len());
        for (position, key) in listed.iter().enumerate() {
            let field = format!("body.policy.officers[{position}]");
            let key = public_key_at(Some(key), field.clone())?;
            if officers.contains(&key) {
                return Err(crate::said!(
                    "fund.officer_repeated",
                    "{field} repeats a key: each officer is named once",
                    field = field
                ));
            }
            officers.push(key);
        }
        let count = |value: Option<&Value>, field: &str| -> Result<u32, Said> {
            value
                .and_then(Value::as_u64)
                .filter(|n| (1..=officers.len() as u64).contains(n))
                .map(|n| n as u32)
                .ok_or_else(|| {
                    crate::said!(
                        "fund.approvals",
                        "{field} must be a whole number from 1 to {officers}, the number of officers",
                        field = field.to_owned(),
                        officers = officers.len()
                    )
                })
        };
        let approvals = count(policy.get("approvals"), "body.policy.approvals")?;
        let above = match policy.get("above") {
            None => None,
            Some(above) => {
                only(above, &["amount", "approvals"]).map_err(|s| nested(s, "policy.above"))?;
                let (money, amount) =
                    positive_money(above, "amount").map_err(|s| nested(s, "policy.above"))?;
                if money.currency != target.0.currency {
                    return Err(crate::said!(
                        "fund.threshold_currency",
                        "{field} must be in the fund's currency, {currency}",
                        field = "body.policy.above.amount",
                        currency = target.0.currency
                    ));
                }
                let higher = count(above.get("approvals"), "body.policy.above.approvals")?;
                if higher <= approvals {
                    return Err(crate::said!(
                        "fund.threshold_approvals",
                        "{field} must be more than body.policy.approvals",
                        field = "body.policy.above.approvals"
                    ));
                }
                Some(Threshold {
                    amount,
                    approvals: higher,
                })
            }
        };
        Ok(FundOpenedBody {
            charity,
            kind,
            purpose: body["purpose"].clone(),
            target,
            start,
            end,
            officers,
            approvals,
            above,
        })
    }
}

/// `fund.disclosed`: the charity publishes a disclosure (a report, by its hash).
pub struct FundDisclosed;

impl Kind for FundDisclosed {
    fn name(&self) -> &'static str {
        "fund.disclosed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A disclosure of the fund (民政部令第81号): `periodic` (at least every three months of a campaign or project longer than six months), `final` (in full, within three months of its end) or `leftover` (what was left, within three months of its end). Signed by an officer of the charity; the report uploaded first. The only statement a closed fund takes.",
            &["kind", "document_sha256"],
            json!({
                "kind": {"type": "string", "enum": ["periodic", "final", "leftover"]},
                "document_sha256": shape::hex_hash("SHA-256 of the report"),
            }),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        disclosure(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        let mut keys = fund_of(statement);
        keys.extend(
            crate::domain::procurement::document_hashes(&statement.body()["document_sha256"])
                .into_iter()
                .map(StateKey::Blob),
        );
        keys
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let fund = fund(state, statement)?;
        charity_officer(signers, fund)?;
        let (kind, document) = disclosure(statement.body()).map_err(Refusal::Invalid)?;
        if !state.may_publish(&document.0, signers) {
            return Err(Refusal::Conflict(crate::said!(
                "document.not_uploaded_disclosure",
                "document {document} of the disclosure is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
                document = document.to_hex()
            )));
        }
        Ok(vec![change(
            ctx,
            &fund.id,
            FundChange::Disclosed(Disclosure {
                kind,
                document_sha256: document.to_hex(),
                idx: ctx.index,
                at: ctx.logged_at.to_string(),
            }),
        )])
    }
}

fn disclosure(body: &Value) -> Result<(DisclosureKind, Hash), Said> {
    only(body, &["kind", "document_sha256"])?;
    let kind = DisclosureKind::parse(text(body, "kind")?).ok_or_else(|| {
        crate::said!(
            "body.one_of",
            "{field} must be one of {allowed}",
            field = "body.kind",
            allowed = "periodic, final, leftover"
        )
    })?;
    Ok((kind, hash(body, "document_sha256")?))
}

/// `fund.closed`: the charity closes a fund; only its disclosures follow.
pub struct FundClosed;

impl Kind for FundClosed {
    fn name(&self) -> &'static str {
        "fund.closed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The fund closes: it takes no donation and makes no disbursement after this. Signed by the charity's administrator or an officer its policy names. What is left must be disclosed (`fund.disclosed`, kind `leftover`) within three months.",
            &["reason"],
            json!({"reason": shape::text(500, "Why it closes")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        only(body, &["reason"])?;
        bounded_text(body, "reason", 500).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        fund_of(statement)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let fund = open_fund(state, statement)?;
        let officer = |s: &Signer| {
            (s.organisation == fund.charity && s.role == Role::OrganisationAdmin)
                || fund.policy.names(&BASE64.encode(s.public_key))
        };
        any_signer(
            signers,
            officer,
            crate::said!(
                "signer.fund_closer",
                "needs a signature by the administrator of {charity} or an officer that fund {fund}'s policy names",
                charity = fund.charity,
                fund = fund.id
            ),
        )?;
        self.check_body(statement.body())
            .map_err(Refusal::Invalid)?;
        let reason = bounded_text(statement.body(), "reason", 500).map_err(Refusal::Invalid)?;
        Ok(vec![change(
            ctx,
            &fund.id,
            FundChange::Closed {
                reason: reason.to_owned(),
            },
        )])
    }
}
