//! Publishing a tender and changing it before the deadline: `tender.published` and
//! `tender.amended`, with the checks of a tender's body that drafts share.

use super::award::criteria;
use super::prelude::*;
use crate::domain::said::Said;

/// `tender.published`: a buyer's procurement officer publishes a tender.
pub struct TenderPublished;

const TENDER_FIELDS: [&str; 18] = [
    "id",
    "buyer",
    "title",
    "description",
    "category",
    "region",
    "procedure",
    "justification",
    "value",
    "lots",
    "documents",
    "enquiry_end",
    "tender_end",
    "reveal_end",
    "standstill_seconds",
    "amendment_notice_seconds",
    "award_criteria",
    "criteria",
];

impl Kind for TenderPublished {
    fn name(&self) -> &'static str {
        "tender.published"
    }

    fn body_schema(&self) -> Value {
        tender_schema(
            &[
                "id",
                "buyer",
                "title",
                "category",
                "region",
                "procedure",
                "value",
                "lots",
                "documents",
                "enquiry_end",
                "tender_end",
                "reveal_end",
                "standstill_seconds",
                "amendment_notice_seconds",
                "award_criteria",
            ],
            "A tender. Subject: its ocid. Signed by a procurement officer of the buyer, before tender_end; its documents uploaded first.",
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        TenderPublishedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        // A hint of what to fetch, read cheaply: the body is checked at intake and in
        // `decide`, not here.
        tender_and(statement, &document_hashes(&statement.body()["documents"]))
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let body = TenderPublishedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let id = body.id;
        if id != statement.subject() {
            return Err(Refusal::Invalid(crate::said!(
                "tender.id_not_subject",
                "{field} {id} must be the statement's subject {subject}",
                field = "body.id",
                id = format!("{id:?}"),
                subject = format!("{:?}", statement.subject())
            )));
        }
        let buyer = body.buyer;
        if state.directory.kind_of(buyer) != Some(OrganisationKind::Buyer) {
            return Err(Refusal::Invalid(crate::said!(
                "tender.buyer_unknown",
                "{field} {buyer} is not a registered buyer",
                field = "body.buyer",
                buyer = buyer
            )));
        }
        let draft = TenderState {
            id: id.to_owned(),
            buyer: buyer.to_owned(),
            status: Status::ActiveEnquiries,
            reason: None,
            tender: body.tender.clone().into(),
            published_idx: ctx.index,
            updated_idx: ctx.index,
            bids: Vec::new(),
            awards: Vec::new(),
            contracts: Vec::new(),
            enquiries: Vec::new(),
            amendments: Vec::new(),
            complaints: Vec::new(),
        };
        buyer_officer(signers, &draft)?;
        if state
            .procurement
            .tenders
            .get(id)
            .is_some_and(Option::is_some)
        {
            return Err(Refusal::Conflict(crate::said!(
                "tender.exists",
                "tender {tender} already exists",
                tender = id
            )));
        }
        let periods = draft.times()?;
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(crate::said!(
                "tender.period_over",
                "the tender period would already be over: tender_end {tender_end} is before the log's time {now}",
                tender_end = body.tender["tender_end"].as_str().unwrap_or_default(),
                now = ctx.logged_at
            )));
        }
        uploaded(state, &body.documents, "the tender", signers)?;
        let status = if ctx.logged_at < periods.enquiry_end {
            Status::ActiveEnquiries
        } else {
            Status::ActiveTendering
        };
        Ok(change(
            ctx,
            id,
            TenderChange::Published(Box::new(TenderState { status, ..draft })),
        ))
    }
}

/// The body of a `tender.published`: the tender itself, which the state keeps as
/// published, with what the rules read of it typed.
struct TenderPublishedBody<'a> {
    /// The tender's ocid.
    id: &'a str,
    /// Its buyer.
    buyer: &'a str,
    /// SHA-256 of each of its documents.
    documents: Vec<[u8; 32]>,
    /// The whole tender.
    tender: &'a Value,
}

impl<'a> TenderPublishedBody<'a> {
    /// Checks the body of a `tender.published` (every problem, see [`tender_problems`])
    /// and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        let problems = tender_problems(body);
        if !problems.is_empty() {
            return Err(Said::joined(problems));
        }
        Ok(TenderPublishedBody {
            id: text(body, "id")?,
            buyer: text(body, "buyer")?,
            documents: document_hashes(&body["documents"]),
            tender: body,
        })
    }
}

/// Everything wrong with the body of a `tender.published` (a draft's, say), each problem
/// once: a draft lists them all, a refused statement names them all.
pub fn tender_problems(body: &Value) -> Vec<Said> {
    let mut problems = Vec::new();
    let mut note = |result: Result<(), Said>| {
        if let Err(e) = result {
            problems.push(e);
        }
    };
    // `{field}: {why}` for a problem of a member of a list (`body.lots[0]`, say).
    let within = |field: String, why: Said| {
        crate::said!("body.invalid", "{field}: {why}", field = field, why = why).because(why)
    };
    // `lot {lot}: {why}` for a problem of a lot.
    let of_lot = |lot: &dyn std::fmt::Display, why: Said| {
        crate::said!(
            "tender.lot_problem",
            "lot {lot}: {why}",
            lot = lot,
            why = why
        )
        .because(why)
    };
    if !body.is_object() {
        return vec![crate::said!(
            "body.not_json_object",
            "the body must be a JSON object"
        )];
    }
    note(only(body, &TENDER_FIELDS));
    note(identifier(body, "id").and_then(|id| {
        if ocid(&id) {
            Ok(())
        } else {
            Err(crate::said!(
                "tender.not_ocid",
                "{field} {id} must be an OCDS ocid: \"ocds-\", the publisher's six-character prefix, \"-\", then the tender's own id",
                field = "body.id",
                id = format!("{id:?}")
            ))
        }
    }));
    note(identifier(body, "buyer").map(drop));
    note(bilingual(body, "title", 300).map(drop));
    if body.get("description").is_some() {
        note(bilingual(body, "description", 20_000).map(drop));
    }
    note(text(body, "category").and_then(|category| {
        if ["goods", "works", "services"].contains(&category) {
            Ok(())
        } else {
            Err(crate::said!(
                "tender.category",
                "{field} must be goods, works or services",
                field = "body.category"
            ))
        }
    }));
    note(bounded_text(body, "region", 64).map(drop));
    let procedure = text(body, "procedure").ok();
    note(match procedure {
        Some("open" | "selective" | "competitive_negotiation" | "single_source") => Ok(()),
        _ => Err(crate::said!(
            "tender.procedure",
            "{field} must be open, selective, competitive_negotiation or single_source",
            field = "body.procedure"
        )),
    });
    if procedure == Some("single_source") {
        note(
            bounded_text(body, "justification", 5_000)
                .map(drop)
                .map_err(|_| {
                    crate::said!(
                        "tender.justification",
                        "{field} is required of a single-source procedure (why no competition)",
                        field = "body.justification"
                    )
                }),
        );
    } else if body.get("justification").is_some() {
        note(bounded_text(body, "justification", 5_000).map(drop));
    }
    let value = money(body, "value");
    let currency = value.as_ref().ok().map(|v| v.currency.clone());
    note(value.map(drop));
    match body.get("lots") {
        Some(Value::Array(lots)) if !lots.is_empty() && lots.len() <= 100 => {
            let mut ids = HashSet::new();
            for (i, lot) in lots.iter().enumerate() {
                note(
                    only(lot, &["id", "title", "value"])
                        .map_err(|e| within(format!("body.lots[{i}]"), e)),
                );
                let id = match identifier(lot, "id") {
                    Ok(id) => id,
                    Err(e) => {
                        note(Err(within(format!("body.lots[{i}]"), e)));
                        format!("#{i}")
                    }
                };
                if !ids.insert(id.clone()) {
                    note(Err(crate::said!(
                        "tender.lot_twice",
                        "{field}: lot {lot} appears twice",
                        field = "body.lots",
                        lot = id
                    )));
                }
                note(
                    bilingual(lot, "title", 300)
                        .map(drop)
                        .map_err(|e| of_lot(&id, e)),
                );
                match money(lot, "value") {
                    Ok(lot_value) => {
                        if let Some(currency) = &currency
                            && lot_value.currency != *currency
                        {
                            note(Err(crate::said!(
                                "tender.lot_currency",
                                "lot {lot}: its value is in {lot_currency} but the tender's is in {currency}",
                                lot = id,
                                lot_currency = lot_value.currency,
                                currency = currency
                            )));
                        }
                    }
                    Err(e) => note(Err(of_lot(&id, e))),
                }
            }
        }
        Some(Value::Array(_)) => note(Err(crate::said!(
            "tender.lots_count",
            "{field} must hold 1 to 100 lots",
            field = "body.lots"
        ))),
        _ => note(Err(crate::said!(
            "tender.lots_missing",
            "{field} must be a non-empty array of lots",
            field = "body.lots"
        ))),
    }
    match body.get("documents") {
        Some(Value::Array(documents)) if documents.len() <= 200 => {
            let mut seen = HashSet::new();
            for (i, document) in documents.iter().enumerate() {
                let field = format!("body.documents[{i}]");
                if let Some(hash) = document["sha256"].as_str()
                    && !seen.insert(hash)
                {
                    note(Err(crate::said!(
                        "document.listed_twice",
                        "{field}: document {document} is listed twice",
                        field = field,
                        document = hash
                    )));
                }
                note(only(document, &["sha256", "title"]).map_err(|e| within(field.clone(), e)));
                note(
                    hex_hash(document, "sha256")
                        .map(drop)
                        .map_err(|e| within(field.clone(), e)),
                );
                note(
                    bounded_text(document, "title", 300)
                        .map(drop)
                        .map_err(|e| within(field.clone(), e)),
                );
            }
        }
        _ => note(Err(crate::said!(
            "document.too_many",
            "{field} must be an array of at most 200 documents",
            field = "body.documents"
        ))),
    }
    if let Err(periods) = Periods::problems(body) {
        periods.into_iter().for_each(|p| note(Err(p)));
    }
    if body
        .get("amendment_notice_seconds")
        .and_then(Value::as_u64)
        .is_none_or(|s| s > 90 * 86_400)
    {
        note(Err(crate::said!(
            "tender.notice_seconds",
            "{field} must be an integer from 0 to 7776000 (90 days): how long before the deadline a change to documents, value, lots or criteria must come (15 days in Chinese government procurement)",
            field = "body.amendment_notice_seconds"
        )));
    }
    let award_criteria = text(body, "award_criteria").ok();
    if !matches!(award_criteria, Some("lowest_price" | "scored")) {
        note(Err(crate::said!(
            "tender.award_criteria",
            "{field} must be lowest_price or scored",
            field = "body.award_criteria"
        )));
    }
    if body.get("criteria").is_some() {
        if award_criteria == Some("scored") {
            note(criteria(body).map(drop));
        } else {
            note(Err(crate::said!(
                "tender.criteria_unscored",
                "{field} applies to scored tenders only",
                field = "body.criteria"
            )));
        }
    }
    problems
}

/// Whether `id` has the shape of an OCDS ocid: `ocds-`, a six-character prefix, `-`, more.
pub fn ocid(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("ocds-") else {
        return false;
    };
    let Some((prefix, local)) = rest.split_at_checked(6) else {
        return false;
    };
    prefix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && local.len() > 1
        && local.starts_with('-')
}

/// `tender.amended`: the buyer changes the tender before the deadline, with a reason. A
/// change to documents, value, lots or criteria must leave `amendment_notice_seconds` before the
/// deadline, so an amendment that needs it moves the deadline too.
pub struct TenderAmended;

impl Kind for TenderAmended {
    fn name(&self) -> &'static str {
        "tender.amended"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Changes the tender before tender_end; a change to documents, value, lots or criteria must leave amendment_notice_seconds. Signed by the buyer's officer; new documents uploaded first.",
            &["changes", "reason"],
            json!({
        "changes": {"type": "object", "minProperties": 1, "description": "The members that change, with their new values", "additionalProperties": false, "properties": {
            "title": shape::bilingual(300), "description": shape::bilingual(20_000), "documents": shape::documents(), "value": shape::money(),
            "lots": {"type": "array"}, "criteria": {"type": "array"}, "enquiry_end": shape::time("New end"), "tender_end": shape::time("New deadline"), "reveal_end": shape::time("New end"), "amendment_notice_seconds": {"type": "integer", "minimum": 0}}},
        "reason": shape::text(5_000, "Why")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        TenderAmendedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        // A hint of what to fetch, read cheaply: the body is checked at intake and in
        // `decide`, not here.
        let documents = &statement.body()["changes"]["documents"];
        tender_and(statement, &document_hashes(documents))
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let tender = open_tender(state, statement)?;
        buyer_officer(signers, tender)?;
        let periods = tender.times()?;
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(crate::said!(
                "amendment.too_late",
                "the deadline of tender {tender} has passed: it can no longer be amended",
                tender = tender.id
            )));
        }
        let body = TenderAmendedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let changes = body.changes;
        let amended = tender.tender.amended(changes);
        let previous: serde_json::Map<String, Value> = changes
            .keys()
            .map(|field| (field.clone(), tender.tender.member(field).clone()))
            .collect();
        // The amended tender must be a valid tender.
        TenderPublished
            .check_body(amended.document())
            .map_err(|e| {
                Refusal::Invalid(
                    crate::said!("amendment.invalid", "after the amendment: {why}", why = e)
                        .because(e),
                )
            })?;
        let new = amended.periods().map_err(Refusal::Invalid)?;
        if new.enquiry_end != periods.enquiry_end && ctx.logged_at >= periods.enquiry_end {
            return Err(Refusal::Conflict(crate::said!(
                "amendment.enquiry_over",
                "the enquiry period is over: its end can no longer change"
            )));
        }
        if new.tender_end <= ctx.logged_at {
            return Err(Refusal::Conflict(crate::said!(
                "amendment.deadline_past",
                "the new deadline would already be past"
            )));
        }
        if changes.keys().any(|k| MATERIAL.contains(&k.as_str())) {
            let notice = amended.notice_seconds();
            let left = new.tender_end.unix_seconds() - ctx.logged_at.unix_seconds();
            if left < notice as i64 {
                return Err(Refusal::Conflict(crate::said!(
                    "amendment.notice",
                    "a change to documents, value, lots or criteria needs {notice}s before the deadline, and {left}s would be left: move tender_end too",
                    notice = notice,
                    left = left
                )));
            }
        }
        uploaded(state, &body.documents, "the amended tender", signers)?;
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Amended {
                amendment: AmendmentState {
                    id: format!("amendment-{}", tender.amendments.len() + 1),
                    changes: Value::Object(changes.clone()),
                    previous: Value::Object(previous),
                    reason: body.reason.to_owned(),
                    amended_idx: ctx.index,
                    date: ctx.logged_at.to_string(),
                },
                tender: amended,
            },
        ))
    }
}

/// The body of a `tender.amended`.
struct TenderAmendedBody<'a> {
    /// The members that change, with their new values: at least one, each amendable.
    /// (Whether the tender they make is valid is for decide, which has the tender.)
    changes: &'a serde_json::Map<String, Value>,
    /// Why, at most 5,000 characters.
    reason: &'a str,
    /// SHA-256 of each document the changes list, if they change the documents.
    documents: Vec<[u8; 32]>,
}

impl<'a> TenderAmendedBody<'a> {
    /// Checks the body of a `tender.amended` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["changes", "reason"])?;
        let reason = bounded_text(body, "reason", 5_000)?;
        let changes = match body.get("changes") {
            Some(Value::Object(changes)) if !changes.is_empty() => changes,
            _ => {
                return Err(crate::said!(
                    "amendment.changes",
                    "{field} must be an object of the members that change",
                    field = "body.changes"
                ));
            }
        };
        if let Some(other) = changes.keys().find(|k| !AMENDABLE.contains(&k.as_str())) {
            return Err(crate::said!(
                "amendment.not_amendable",
                "{field} cannot be amended (only {amendable})",
                field = format!("body.changes.{other}"),
                amendable = AMENDABLE.join(", ")
            ));
        }
        Ok(TenderAmendedBody {
            changes,
            reason,
            documents: document_hashes(&body["changes"]["documents"]),
        })
    }
}

/// The schema of a tender's body, with these members required.
fn tender_schema(required: &[&str], description: &str) -> Value {
    let bilingual = shape::bilingual;
    let time = shape::time;
    let text = shape::text;
    shape::object(
        description,
        required,
        json!({
            "id": {"type": "string", "pattern": "^ocds-[a-z0-9]{6}-.+$", "description": "The tender's OCDS ocid; the statement's subject."},
            "buyer": shape::identifier(),
            "title": bilingual(300),
            "description": bilingual(20_000),
            "category": {"enum": ["goods", "works", "services"]},
            "region": text(64, "Administrative region code, e.g. CN-FJ"),
            "procedure": {"enum": ["open", "selective", "competitive_negotiation", "single_source"]},
            "justification": text(5_000, "Why no competition: required of single_source"),
            "value": shape::money(),
            "lots": {"type": "array", "minItems": 1, "maxItems": 100, "items": shape::object("A lot, in the tender's currency.", &["id", "title", "value"], json!({"id": shape::identifier(), "title": bilingual(300), "value": shape::money()}))},
            "documents": shape::documents(),
            "enquiry_end": time("Questions until then; bids from then"),
            "tender_end": time("The deadline for bids"),
            "reveal_end": time("Bids not revealed by then lapse"),
            "standstill_seconds": {"type": "integer", "minimum": 0},
            "amendment_notice_seconds": {"type": "integer", "minimum": 0, "maximum": 7_776_000, "description": "How long before the deadline a change to documents, value, lots or criteria must come"},
            "award_criteria": {"enum": ["lowest_price", "scored"]},
            "criteria": {"type": "array", "minItems": 1, "maxItems": 20, "description": "Scored tenders: the weighted criteria, weights in percent summing to 100; the price criterion, if any, is scored by the platform as the lowest price over the bid's", "items": shape::object("A criterion.", &["id", "title", "weight"], json!({"id": shape::identifier(), "title": bilingual(300), "weight": {"type": "integer", "minimum": 1, "maximum": 100}, "price": {"type": "boolean"}}))},
        }),
    )
}
