//! Publication in the Open Contracting Data Standard 1.1, with the Bids, Lots and
//! Enquiries extensions.
//!
//! Every log entry that changes a tender gives one release. Its id is
//! `{ocid}-{entry index}`, its date is the entry's `logged_at`, and it holds exactly what
//! the entry changed in the tender's OCDS body (`changes`): merging a tender's releases by
//! the OCDS merge rules (as `ocdskit compile` does) gives its record's compiled release,
//! which the tests check with the reference tools.
//! The releases are written by the sequencer with the entry (table `ocds_releases`), so
//! the replay command checks them like any projection. Each release names its log entry
//! (`logEntry`: the index and where its receipt is), so a reader can prove it was logged.
//!
//! A record's compiled release is made from the tender's current state, with the id, date
//! and `logEntry` of its latest release, as merging gives them.

use super::tender::{
    AmendmentState, AwardState, BidState, BidStatus, ContractState, EnquiryState, PaymentState,
    Status, TenderChange, TenderState,
};
use serde_json::{Map, Value, json};
use vitrine_ledger::time::Timestamp;

/// The OCDS version we publish.
pub const VERSION: &str = "1.1";

/// The extensions our releases use.
pub const EXTENSIONS: [&str; 3] = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/v1.1.5/extension.json",
];

/// An amount as an OCDS number (OCDS amounts are JSON numbers).
fn amount(money: &Value) -> Value {
    let number = money["amount"]
        .as_str()
        .and_then(|a| a.parse::<f64>().ok())
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number);
    json!({"amount": number, "currency": money["currency"]})
}

/// OCDS's tender status (a closed codelist).
fn tender_status(status: Status) -> &'static str {
    match status {
        Status::ActiveEnquiries
        | Status::ActiveTendering
        | Status::Opening
        | Status::Evaluation => "active",
        Status::Awarded | Status::Contracted | Status::Complete => "complete",
        Status::Cancelled => "cancelled",
        Status::Unsuccessful => "unsuccessful",
    }
}

fn bid_status(status: BidStatus) -> &'static str {
    match status {
        BidStatus::Committed => "pending",
        BidStatus::Revealed => "valid",
        BidStatus::Disqualified => "disqualified",
        // A replaced, withdrawn or lapsed bid no longer stands.
        BidStatus::Replaced | BidStatus::Withdrawn | BidStatus::Lapsed => "withdrawn",
    }
}

fn text_of(bilingual: &Value) -> Option<&str> {
    bilingual["zh"]
        .as_str()
        .or_else(|| bilingual["en"].as_str())
}

/// The `tender` section from the tender as published (or amended).
fn tender_section(state: &TenderState) -> Value {
    let t = state.tender.document();
    let method = match t["procedure"].as_str() {
        Some("open") => "open",
        Some("selective") => "selective",
        Some("single_source") => "direct",
        _ => "limited",
    };
    let mut tender = json!({
        "id": state.id,
        "status": tender_status(state.status),
        "procuringEntity": {"id": state.buyer},
        "value": amount(&t["value"]),
        "procurementMethod": method,
        "procurementMethodDetails": t["procedure"],
        "mainProcurementCategory": t["category"],
        "awardCriteria": if t["award_criteria"] == "lowest_price" { "priceOnly" } else { "ratedCriteria" },
        "submissionMethod": ["electronicSubmission"],
        "enquiryPeriod": {"endDate": t["enquiry_end"]},
        "tenderPeriod": {"startDate": t["enquiry_end"], "endDate": t["tender_end"]},
        "lots": t["lots"].as_array().map(|lots| {
            lots.iter()
                .map(|l| lot(state, l))
                .chain(removed(state, "lots", "id").map(|l| {
                    let mut cancelled = lot(state, l);
                    cancelled["status"] = json!("cancelled");
                    cancelled
                }))
                .collect::<Vec<_>>()
        }),
        // One item per lot, an amendment's removed ones included: what the lot buys.
        "items": t["lots"].as_array().map(|lots| lots.iter().chain(removed(state, "lots", "id")).map(|lot| json!({
            "id": lot["id"],
            "description": text_of(&lot["title"]),
            "relatedLot": lot["id"],
        })).collect::<Vec<_>>()),
        // A document an amendment replaced stays listed, said to be superseded: OCDS
        // merging never drops an item, and the record must say what the releases said.
        "documents": t["documents"].as_array().map(|docs| docs.iter().map(|d| document(d, None))
            .chain(removed(state, "documents", "sha256").map(|d| document(d, Some("superseded by an amendment"))))
            .collect::<Vec<_>>()),
        "numberOfTenderers": state.bids.iter().filter(|b| b.revealed.is_some()).count(),
    });
    if let Some(title) = text_of(&t["title"]) {
        tender["title"] = json!(title);
    }
    if let Some(description) = text_of(&t["description"]) {
        tender["description"] = json!(description);
    }
    if let Some(criteria) = t["criteria"].as_array() {
        let details: Vec<String> = criteria
            .iter()
            .map(|c| {
                let title = text_of(&c["title"])
                    .or(c["id"].as_str())
                    .unwrap_or_default();
                format!("{title} {}%", c["weight"])
            })
            .collect();
        tender["awardCriteriaDetails"] = json!(details.join("; "));
    }
    if let Some(why) = t["justification"].as_str() {
        tender["procurementMethodRationale"] = json!(why);
    }
    if !state.amendments.is_empty() {
        tender["amendments"] = Value::Array(state.amendments.iter().map(amendment).collect());
    }
    if !state.enquiries.is_empty() {
        tender["enquiries"] = Value::Array(state.enquiries.iter().map(enquiry).collect());
    }
    tender
}

/// The items of the tender's `member` list (`lots`, `documents`) that an amendment took
/// away, identified by `key`, each as it last was; in the order they went.
fn removed<'a>(state: &'a TenderState, member: &str, key: &str) -> impl Iterator<Item = &'a Value> {
    let current = state.tender.member(member);
    let mut gone: Vec<&Value> = Vec::new();
    for amendment in &state.amendments {
        for item in amendment.previous[member].as_array().into_iter().flatten() {
            let still = current
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i[key] == item[key]));
            if still {
                continue;
            }
            match gone.iter_mut().find(|g| g[key] == item[key]) {
                Some(slot) => *slot = item,
                None => gone.push(item),
            }
        }
    }
    gone.into_iter()
}

fn document(d: &Value, note: Option<&str>) -> Value {
    let mut document = json!({
        "id": d["sha256"],
        "title": d["title"],
        "documentType": "biddingDocuments",
        "format": "application/octet-stream",
    });
    if let Some(note) = note {
        document["description"] = json!(note);
    }
    document
}

/// A lot (Lots extension): its status follows the tender's.
fn lot(state: &TenderState, lot: &Value) -> Value {
    let mut out = json!({
        "id": lot["id"],
        "value": amount(&lot["value"]),
        "status": tender_status(state.status),
    });
    if let Some(title) = text_of(&lot["title"]) {
        out["title"] = json!(title);
    }
    if let Some(description) = text_of(&lot["description"]) {
        out["description"] = json!(description);
    }
    out
}

/// A question and its answer (Enquiries extension). Who asked is not published: the
/// question was signed by a one-time key.
fn enquiry(e: &EnquiryState) -> Value {
    let mut out = json!({"id": e.id, "description": e.question});
    if !e.date.is_empty() {
        out["date"] = json!(e.date);
    }
    if let Some(answer) = &e.answer {
        out["answer"] = json!(answer);
    }
    if let Some(date) = &e.date_answered {
        out["dateAnswered"] = json!(date);
    }
    out
}

fn amendment(a: &AmendmentState) -> Value {
    json!({
        "id": a.id,
        "date": a.date,
        "rationale": a.reason,
        "description": format!("changed: {}", a.changes.as_object().map(|c| c.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default()),
    })
}

fn bid(b: &BidState) -> Value {
    let mut bid = json!({
        "id": b.commitment,
        "date": b.committed_at,
        "status": bid_status(b.status),
    });
    if let (Some(_), Some(holder)) = (b.lapsed_idx, &b.holder) {
        // A `bid.lapsed` entry attributed it.
        bid["tenderers"] = json!([{"id": holder}]);
    }
    if let Some(revealed) = &b.revealed {
        bid["tenderers"] = json!([{"id": revealed.bidder}]);
        bid["value"] = amount(&revealed.price);
        bid["relatedLots"] = revealed.bid["lots"].clone();
    }
    bid
}

fn award(a: &AwardState) -> Value {
    json!({
        "id": a.id,
        "status": a.status,
        "date": a.date,
        "value": amount(&a.value),
        "suppliers": [{"id": a.supplier}],
        "relatedLots": a.lots,
        "documents": [{
            "id": a.evaluation_report_sha256,
            "documentType": "evaluationReports",
            "title": "Evaluation report (SHA-256)",
        }],
        "contractPeriod": {"startDate": a.standstill_end},
    })
}

fn contract(state: &TenderState, c: &ContractState) -> Value {
    json!({
        "id": c.id,
        "awardID": c.award,
        "status": if state.status == Status::Complete { "terminated" } else { "active" },
        "value": amount(&c.value),
        "dateSigned": c.date_signed,
        "documents": [{"id": c.document_sha256, "documentType": "contractSigned", "title": "Signed contract (SHA-256)"}],
        "implementation": {
            "transactions": c.payments.iter().enumerate().map(|(i, p)| transaction(state, c, i, p)).collect::<Vec<_>>(),
        },
    })
}

fn transaction(state: &TenderState, c: &ContractState, i: usize, p: &PaymentState) -> Value {
    json!({
        "id": format!("{}-payment-{}", c.id, i + 1),
        // The buyer's own reference (an invoice number): not a URI, so not `source`.
        "reference": p.reference,
        "date": p.date,
        "value": amount(&p.amount),
        "payer": {"id": state.buyer},
        "payee": {"id": c.supplier},
    })
}

/// The organisations a tender names, with their roles.
fn parties(state: &TenderState) -> Value {
    let mut parties: Vec<(String, Vec<&str>)> = vec![(
        state.buyer.clone(),
        vec!["buyer", "procuringEntity", "payer"],
    )];
    let mut add = |id: &str, role: &'static str| match parties.iter_mut().find(|p| p.0 == id) {
        Some(p) if !p.1.contains(&role) => p.1.push(role),
        Some(_) => {}
        None => parties.push((id.to_owned(), vec![role])),
    };
    for b in &state.bids {
        if let Some(r) = &b.revealed {
            add(&r.bidder, "tenderer");
        }
    }
    for a in state.awards.iter().filter(|a| a.status != "cancelled") {
        add(&a.supplier, "supplier");
    }
    for c in &state.contracts {
        add(&c.supplier, "payee");
    }
    Value::Array(
        parties
            .into_iter()
            .map(|(id, roles)| json!({"id": id, "roles": roles}))
            .collect(),
    )
}

fn tag(change: &TenderChange) -> &'static str {
    match change {
        TenderChange::Published(_) => "tender",
        TenderChange::Amended { .. } => "tenderAmendment",
        TenderChange::Cancelled { .. } => "tenderCancellation",
        TenderChange::Awarded(_) => "award",
        TenderChange::ComplaintDecided { .. } => "awardUpdate",
        TenderChange::Contracted(_) => "contract",
        TenderChange::Paid { .. } => "implementation",
        TenderChange::Completed { .. } => "contractTermination",
        _ => "tenderUpdate",
    }
}

/// Everything OCDS says of a tender, as of its state: the body of its compiled release.
/// Absent rather than null or empty, as OCDS merging would leave it.
pub fn body(state: &TenderState) -> Value {
    let mut body = head(state);
    if !state.bids.is_empty() {
        body["bids"]["details"] = Value::Array(state.bids.iter().map(bid).collect());
    }
    body
}

/// The body without the bids' details: what a release compares before and after its
/// entry. (A tender at its deadline has hundreds of bids; an entry changes one or two,
/// and says which.)
pub fn head(state: &TenderState) -> Value {
    let mut head = json!({
        "buyer": {"id": state.buyer},
        "parties": parties(state),
        "tender": tender_section(state),
    });
    if !state.bids.is_empty() {
        head["bids"] = json!({
            "statistics": [{"id": "bids", "measure": "bids", "value": state.standing_bids()}],
        });
    }
    if !state.awards.is_empty() {
        head["awards"] = Value::Array(state.awards.iter().map(award).collect());
    }
    if !state.contracts.is_empty() {
        head["contracts"] =
            Value::Array(state.contracts.iter().map(|c| contract(state, c)).collect());
    }
    prune(&mut head);
    head
}

/// The bids whose OCDS details an entry changes: those it names, or after a status
/// change the ones it lapsed.
fn bids_changed<'a>(change: &TenderChange, after: &'a TenderState) -> Vec<&'a BidState> {
    match change.bids_changed() {
        None => after
            .bids
            .iter()
            .filter(|b| b.status == BidStatus::Lapsed)
            .collect(),
        Some(named) => after
            .bids
            .iter()
            .filter(|b| named.contains(&b.commitment.as_str()))
            .collect(),
    }
}

/// Drops nulls and empty arrays, recursively: in OCDS merging, null removes a field.
fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(prune);
            map.retain(|_, v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

/// Whether OCDS merges `items` by identifier: an array of objects that have an `id`.
fn by_identifier(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|i| i.get("id").is_some())
}

/// What a release must hold so that merging it onto `before`, by the OCDS merge rules,
/// gives `after`: the members that changed (null for one that went away), recursing into
/// objects; of an array of objects with ids, the items that are new or changed, whole;
/// any other array whole. `None` when nothing changed.
fn changes(before: &Value, after: &Value) -> Option<Value> {
    if before == after {
        return None;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut out = Map::new();
            for (key, value) in new {
                match old.get(key) {
                    None => {
                        out.insert(key.clone(), value.clone());
                    }
                    Some(was) => {
                        if let Some(changed) = changes(was, value) {
                            out.insert(key.clone(), changed);
                        }
                    }
                }
            }
            for key in old.keys().filter(|k| !new.contains_key(*k)) {
                out.insert(key.clone(), Value::Null);
            }
            Some(Value::Object(out))
        }
        (Value::Array(old), Value::Array(new)) if by_identifier(old) && by_identifier(new) => {
            let old: std::collections::HashMap<String, &Value> =
                old.iter().map(|o| (o["id"].to_string(), o)).collect();
            let items: Vec<Value> = new
                .iter()
                .filter_map(|item| match old.get(&item["id"].to_string()).copied() {
                    Some(was) if was == item => None,
                    Some(Value::Object(was)) => {
                        // Whole, so that required members stay; what went away is null.
                        let mut item = item.clone();
                        if let Value::Object(map) = &mut item {
                            for key in was.keys() {
                                map.entry(key.clone()).or_insert(Value::Null);
                            }
                        }
                        Some(item)
                    }
                    _ => Some(item.clone()),
                })
                .collect();
            Some(Value::Array(items))
        }
        _ => Some(after.clone()),
    }
}

/// The release of one entry: what it changed in the tender's OCDS body, from `before`
/// (the [`head`] of the tender before it; `None` when the entry published the tender) to
/// `after` (the tender once it applied). Also the head after it, the next entry's before.
pub fn release(
    index: u64,
    at: Timestamp,
    change: &TenderChange,
    before: Option<&Value>,
    after: &TenderState,
) -> (Value, Value) {
    let id = after.id.as_str();
    let mut release = json!({
        "ocid": id,
        "id": format!("{id}-{index}"),
        "date": at.to_string(),
        "tag": [tag(change)],
        "initiationType": "tender",
        "language": "zh",
        "logEntry": log_entry(index),
    });
    let after_head = head(after);
    let changed = match before {
        Some(before) => changes(before, &after_head),
        None => Some(after_head.clone()),
    };
    if let Some(Value::Object(changed)) = changed {
        for (key, value) in changed {
            release[key] = value;
        }
    }
    let details: Vec<Value> = bids_changed(change, after).into_iter().map(bid).collect();
    if !details.is_empty() {
        if release.get("bids").is_none() {
            release["bids"] = json!({});
        }
        release["bids"]["details"] = Value::Array(details);
    }
    // Every release says which tender it is about (OCDS requires `tender.id`).
    if release.get("tender").is_none() {
        release["tender"] = json!({});
    }
    release["tender"]["id"] = json!(id);
    (release, after_head)
}

fn log_entry(index: u64) -> Value {
    json!({"index": index, "entry": format!("/api/v1/entries/{index}"), "receipt": format!("/api/v1/entries/{index}/receipt")})
}

/// The compiled release of a tender as of its latest release (`index`, `date`): what OCDS
/// merging of its releases gives, with the id and date the merge rules set.
pub fn compiled_release(state: &TenderState, index: u64, date: &str) -> Value {
    let mut compiled = json!({
        "ocid": state.id,
        "id": format!("{}-{date}", state.id),
        "date": date,
        "tag": ["compiled"],
        "initiationType": "tender",
        "language": "zh",
        "logEntry": log_entry(index),
    });
    if let Value::Object(body) = body(state) {
        for (key, value) in body {
            compiled[key] = value;
        }
    }
    compiled
}

fn publisher() -> Value {
    json!({"name": "Vitrine"})
}

/// A release package of `releases`.
pub fn release_package(uri: &str, published: &str, releases: Vec<Value>) -> Value {
    json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": published,
        "publisher": publisher(),
        "extensions": EXTENSIONS,
        "releases": releases,
    })
}

/// A record package with one record: links to the tender's releases, and its compiled release.
pub fn record_package(
    uri: &str,
    published: &str,
    state: &TenderState,
    releases: &[(u64, String, Value)],
) -> Value {
    let linked: Vec<Value> = releases
        .iter()
        .map(|(index, date, tag)| {
            json!({"url": format!("{uri}#{}-{index}", state.id), "date": date, "tag": tag})
        })
        .collect();
    let mut record = Map::new();
    record.insert("ocid".into(), json!(state.id));
    record.insert("releases".into(), Value::Array(linked));
    if let Some((index, date, _)) = releases.last() {
        record.insert(
            "compiledRelease".into(),
            compiled_release(state, *index, date),
        );
    }
    json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": published,
        "publisher": publisher(),
        "extensions": EXTENSIONS,
        "records": [record],
    })
}
