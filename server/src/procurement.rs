//! Procurement (DESIGN.md "Procurement"): a tender's life on the log, from publication to
//! payments, as statement kinds with their rules.
//!
//! A tender and everything that happens to it (bids, awards, contracts, payments) form one
//! aggregate, [`TenderState`]. Every procurement statement names its tender as its
//! `subject`; the sequencer fetches the aggregate once per batch, the rules judge each
//! statement against it in log order, and [`TenderChange`]s update it. The table
//! `tenders` keeps the aggregate (as JSON, with its listing columns beside it), so the
//! replay command can rebuild it from the log and compare.
//!
//! Time rules are judged by the entry's `logged_at`, never by the signer's `issued_at`.
//! The scheduler (`crate::scheduler`) logs the timed status changes, signed by the
//! platform; a rule never waits for it.
//!
//! **Sealed bids.** A bid is committed by a one-time key that is not in the directory, so
//! the public sees how many bids a tender has, not whose. The reveal is signed by that
//! one-time key and by a registered key of the bidder, binding the bid to the bidder for
//! everyone.

use crate::domain::{Context, Effect, Kind, Refusal, Role, Signer, State, StateKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashSet;
use vitrine_ledger::bid::{Bid, Money, Salt};
use vitrine_ledger::hash::Hash;
use vitrine_ledger::statement::Statement;
use vitrine_ledger::time::Timestamp;

/// Where a tender is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Questions may be asked; bids are not yet accepted.
    #[serde(rename = "active.enquiries")]
    ActiveEnquiries,
    /// Bids are committed, replaced and withdrawn.
    #[serde(rename = "active.tendering")]
    ActiveTendering,
    /// The reveal window: bids are opened.
    #[serde(rename = "opening")]
    Opening,
    /// Revealed bids are evaluated; unrevealed ones lapsed.
    #[serde(rename = "evaluation")]
    Evaluation,
    /// An award stands, in its standstill period.
    #[serde(rename = "awarded")]
    Awarded,
    /// The contract is signed; payments are logged.
    #[serde(rename = "contracted")]
    Contracted,
    /// Done.
    #[serde(rename = "complete")]
    Complete,
    /// Cancelled by the buyer, with a reason.
    #[serde(rename = "cancelled")]
    Cancelled,
    /// Ended without a contract (no bid was revealed, say), with a reason.
    #[serde(rename = "unsuccessful")]
    Unsuccessful,
}

impl Status {
    /// The name used in statements, tables and OCDS-like documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::ActiveEnquiries => "active.enquiries",
            Status::ActiveTendering => "active.tendering",
            Status::Opening => "opening",
            Status::Evaluation => "evaluation",
            Status::Awarded => "awarded",
            Status::Contracted => "contracted",
            Status::Complete => "complete",
            Status::Cancelled => "cancelled",
            Status::Unsuccessful => "unsuccessful",
        }
    }

    fn parse(name: &str) -> Option<Status> {
        [
            Status::ActiveEnquiries,
            Status::ActiveTendering,
            Status::Opening,
            Status::Evaluation,
            Status::Awarded,
            Status::Contracted,
            Status::Complete,
            Status::Cancelled,
            Status::Unsuccessful,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    fn is_final(self) -> bool {
        matches!(
            self,
            Status::Complete | Status::Cancelled | Status::Unsuccessful
        )
    }
}

/// A bid's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidStatus {
    /// Sealed, before or after the deadline.
    Committed,
    /// Replaced by another commitment of the same key.
    Replaced,
    /// Withdrawn by its bidder before the deadline.
    Withdrawn,
    /// Opened: bid and salt match the commitment.
    Revealed,
    /// Not revealed in the window.
    Lapsed,
    /// Revealed, then disqualified by the buyer with a reason.
    Disqualified,
}

/// A bid of a tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidState {
    /// The commitment, lowercase hexadecimal.
    pub commitment: String,
    /// The one-time key that committed it, base64.
    pub key: String,
    /// Its state.
    pub status: BidStatus,
    /// The entry that committed it.
    pub committed_idx: u64,
    /// When it was committed.
    pub committed_at: String,
    /// What the reveal opened, if it was revealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revealed: Option<RevealedBid>,
    /// Why it was disqualified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An opened bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedBid {
    /// The bidder's organisation.
    pub bidder: String,
    /// The bid itself, as committed.
    pub bid: Value,
    /// Its price.
    pub price: Value,
    /// The entry that revealed it.
    pub revealed_idx: u64,
}

/// An award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardState {
    /// `award-1`, `award-2`, …
    pub id: String,
    /// The awarded bid's commitment.
    pub commitment: String,
    /// The supplier.
    pub supplier: String,
    /// The lots awarded.
    pub lots: Vec<String>,
    /// The value: the bid's price.
    pub value: Value,
    /// SHA-256 of the evaluation report, hexadecimal.
    pub evaluation_report_sha256: String,
    /// `pending` (in standstill), `active` (contracted) or `cancelled`.
    pub status: String,
    /// The entry that made it.
    pub awarded_idx: u64,
    /// When the standstill period ends: complaints until then, the contract after.
    pub standstill_end: String,
}

/// A contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractState {
    /// `contract-1`, …
    pub id: String,
    /// The award it implements.
    pub award: String,
    /// The supplier.
    pub supplier: String,
    /// Its value.
    pub value: Value,
    /// SHA-256 of the signed contract document, hexadecimal.
    pub document_sha256: String,
    /// The entry signed by both parties.
    pub signed_idx: u64,
    /// Payments made under it.
    pub payments: Vec<PaymentState>,
}

/// A payment under a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    /// The amount.
    pub amount: Value,
    /// The buyer's reference (an invoice number, say).
    pub reference: String,
    /// The entry that recorded it.
    pub recorded_idx: u64,
}

/// A tender and everything that happened to it: the aggregate the rules judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderState {
    /// Its id (the OCDS ocid), the subject of its statements.
    pub id: String,
    /// The buyer's organisation.
    pub buyer: String,
    /// Where it is.
    pub status: Status,
    /// Why it was cancelled or unsuccessful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The tender as published.
    pub tender: Value,
    /// The entry that published it.
    pub published_idx: u64,
    /// The entry of its latest change.
    pub updated_idx: u64,
    /// Bids, in commit order.
    pub bids: Vec<BidState>,
    /// Awards, in order.
    pub awards: Vec<AwardState>,
    /// Contracts, in order.
    pub contracts: Vec<ContractState>,
}

impl TenderState {
    /// A period's end, from the published tender.
    pub fn period_end(&self, field: &str) -> Option<Timestamp> {
        self.tender
            .get(field)
            .and_then(Value::as_str)
            .and_then(|t| Timestamp::parse(t).ok())
    }

    fn times(&self) -> Result<Periods, Refusal> {
        Periods::of(&self.tender).map_err(Refusal::Invalid)
    }

    fn bid(&self, commitment: &str) -> Option<&BidState> {
        self.bids.iter().find(|b| b.commitment == commitment)
    }

    fn bid_mut(&mut self, commitment: &str) -> Option<&mut BidState> {
        self.bids.iter_mut().find(|b| b.commitment == commitment)
    }

    /// The number of bids that stand (committed or revealed).
    pub fn standing_bids(&self) -> usize {
        self.bids
            .iter()
            .filter(|b| matches!(b.status, BidStatus::Committed | BidStatus::Revealed))
            .count()
    }

    /// The status the clock calls for now, if it differs from the recorded one: what the
    /// scheduler logs. `None` when nothing is due.
    pub fn due_transition(&self, now: Timestamp) -> Option<(Status, Option<String>)> {
        let periods = Periods::of(&self.tender).ok()?;
        match self.status {
            Status::ActiveEnquiries if now >= periods.tender_end => Some((Status::Opening, None)),
            Status::ActiveEnquiries if now >= periods.enquiry_end => {
                Some((Status::ActiveTendering, None))
            }
            Status::ActiveTendering if now >= periods.tender_end => Some((Status::Opening, None)),
            Status::Opening if now >= periods.reveal_end => {
                if self.bids.iter().any(|b| b.status == BidStatus::Revealed) {
                    Some((Status::Evaluation, None))
                } else {
                    Some((
                        Status::Unsuccessful,
                        Some("no bid was revealed before the reveal window closed".into()),
                    ))
                }
            }
            _ => None,
        }
    }

    /// Applies a change (the rules have passed).
    pub fn apply(&mut self, change: &TenderChange) {
        match change {
            TenderChange::Published(_) => {}
            TenderChange::Status { to, reason, index } => {
                if matches!(to, Status::Evaluation | Status::Unsuccessful) {
                    for bid in &mut self.bids {
                        if bid.status == BidStatus::Committed {
                            bid.status = BidStatus::Lapsed;
                        }
                    }
                }
                self.status = *to;
                self.reason.clone_from(reason);
                self.updated_idx = *index;
            }
            TenderChange::BidCommitted {
                bid,
                replaces,
                index,
            } => {
                if let Some(old) = replaces
                    && let Some(old) = self.bid_mut(old)
                {
                    old.status = BidStatus::Replaced;
                }
                self.bids.push(bid.clone());
                self.updated_idx = *index;
            }
            TenderChange::BidWithdrawn { commitment, index } => {
                if let Some(bid) = self.bid_mut(commitment) {
                    bid.status = BidStatus::Withdrawn;
                }
                self.updated_idx = *index;
            }
            TenderChange::BidRevealed {
                commitment,
                revealed,
            } => {
                let index = revealed.revealed_idx;
                if let Some(bid) = self.bid_mut(commitment) {
                    bid.status = BidStatus::Revealed;
                    bid.revealed = Some(revealed.clone());
                }
                self.updated_idx = index;
            }
            TenderChange::BidDisqualified {
                commitment,
                reason,
                index,
            } => {
                if let Some(bid) = self.bid_mut(commitment) {
                    bid.status = BidStatus::Disqualified;
                    bid.reason = Some(reason.clone());
                }
                self.updated_idx = *index;
            }
            TenderChange::Awarded(award) => {
                self.awards.push(award.clone());
                self.status = Status::Awarded;
                self.updated_idx = award.awarded_idx;
            }
            TenderChange::Contracted(contract) => {
                if let Some(award) = self.awards.iter_mut().find(|a| a.id == contract.award) {
                    award.status = "active".into();
                }
                self.contracts.push(contract.clone());
                self.status = Status::Contracted;
                self.updated_idx = contract.signed_idx;
            }
            TenderChange::Paid { contract, payment } => {
                if let Some(c) = self.contracts.iter_mut().find(|c| &c.id == contract) {
                    c.payments.push(payment.clone());
                }
                self.updated_idx = payment.recorded_idx;
            }
            TenderChange::Completed { index } => {
                self.status = Status::Complete;
                self.updated_idx = *index;
            }
            TenderChange::Cancelled { reason, index } => {
                self.status = Status::Cancelled;
                self.reason = Some(reason.clone());
                for award in &mut self.awards {
                    if award.status == "pending" {
                        award.status = "cancelled".into();
                    }
                }
                self.updated_idx = *index;
            }
        }
    }

    /// The public view: before the deadline, how many bids and nothing of whose.
    pub fn public_view(&self, now: Timestamp) -> Value {
        let sealed = self
            .period_end("tender_end")
            .is_none_or(|deadline| now < deadline);
        let bids: Vec<Value> = self
            .bids
            .iter()
            .map(|b| {
                let mut bid = json!({
                    "commitment": b.commitment,
                    "status": b.status,
                    "committed_at": b.committed_at,
                    "committed_at_entry": b.committed_idx,
                });
                if let Some(revealed) = &b.revealed {
                    bid["bidder"] = json!(revealed.bidder);
                    bid["price"] = revealed.price.clone();
                    bid["bid"] = revealed.bid.clone();
                    bid["revealed_at_entry"] = json!(revealed.revealed_idx);
                }
                if let Some(reason) = &b.reason {
                    bid["reason"] = json!(reason);
                }
                bid
            })
            .collect();
        json!({
            "id": self.id,
            "buyer": self.buyer,
            "status": self.status,
            "reason": self.reason,
            "tender": self.tender,
            "published_at_entry": self.published_idx,
            "updated_at_entry": self.updated_idx,
            "number_of_bids": self.standing_bids(),
            "bids": if sealed { Value::Null } else { Value::Array(bids) },
            "awards": self.awards,
            "contracts": self.contracts,
        })
    }
}

/// What a statement does to a tender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenderChange {
    /// A new tender.
    Published(Box<TenderState>),
    /// A status change (the scheduler's).
    Status {
        /// The new status.
        to: Status,
        /// Why, for cancelled and unsuccessful.
        reason: Option<String>,
        /// The entry.
        index: u64,
    },
    /// A bid committed, possibly replacing an earlier one of the same key.
    BidCommitted {
        /// The new bid.
        bid: BidState,
        /// The commitment it replaces.
        replaces: Option<String>,
        /// The entry.
        index: u64,
    },
    /// A bid withdrawn.
    BidWithdrawn {
        /// Its commitment.
        commitment: String,
        /// The entry.
        index: u64,
    },
    /// A bid opened.
    BidRevealed {
        /// Its commitment.
        commitment: String,
        /// What it holds.
        revealed: RevealedBid,
    },
    /// A bid disqualified.
    BidDisqualified {
        /// Its commitment.
        commitment: String,
        /// Why.
        reason: String,
        /// The entry.
        index: u64,
    },
    /// An award made.
    Awarded(AwardState),
    /// A contract signed by both parties.
    Contracted(ContractState),
    /// A payment recorded.
    Paid {
        /// The contract.
        contract: String,
        /// The payment.
        payment: PaymentState,
    },
    /// The tender completed.
    Completed {
        /// The entry.
        index: u64,
    },
    /// The tender cancelled.
    Cancelled {
        /// Why.
        reason: String,
        /// The entry.
        index: u64,
    },
}

/// The periods of a tender.
struct Periods {
    enquiry_end: Timestamp,
    tender_end: Timestamp,
    reveal_end: Timestamp,
    standstill_seconds: u64,
}

impl Periods {
    fn of(tender: &Value) -> Result<Periods, String> {
        let time = |field: &str| -> Result<Timestamp, String> {
            let text = tender
                .get(field)
                .and_then(Value::as_str)
                .ok_or(format!("body.{field} must be an RFC 3339 time"))?;
            Timestamp::parse(text).map_err(|e| format!("body.{field}: {e}"))
        };
        let periods = Periods {
            enquiry_end: time("enquiry_end")?,
            tender_end: time("tender_end")?,
            reveal_end: time("reveal_end")?,
            standstill_seconds: tender
                .get("standstill_seconds")
                .and_then(Value::as_u64)
                .filter(|s| *s <= 90 * 86_400)
                .ok_or("body.standstill_seconds must be an integer from 0 to 7776000 (90 days)")?,
        };
        if periods.enquiry_end > periods.tender_end {
            return Err("body.enquiry_end must not be after body.tender_end".into());
        }
        if periods.tender_end >= periods.reveal_end {
            return Err("body.reveal_end must be after body.tender_end".into());
        }
        Ok(periods)
    }
}

/// An amount in ten-thousandths, for comparing prices (amounts have at most four decimals).
pub fn minor_units(money: &Money) -> i128 {
    let (whole, fraction) = money.amount.split_once('.').unwrap_or((&money.amount, ""));
    let whole: i128 = whole.parse().unwrap_or(0);
    let fraction: i128 = format!("{fraction:0<4}").parse().unwrap_or(0);
    whole * 10_000 + fraction
}

fn text<'a>(body: &'a Value, field: &str) -> Result<&'a str, String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("body.{field} must be a non-empty string")),
        None => Err(format!("body.{field} is missing")),
    }
}

fn bounded_text<'a>(body: &'a Value, field: &str, max: usize) -> Result<&'a str, String> {
    let text = text(body, field)?;
    if text.chars().count() > max {
        return Err(format!("body.{field} must be at most {max} characters"));
    }
    Ok(text)
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

fn identifier(value: &Value, field: &str) -> Result<String, String> {
    let id = text(value, field)?;
    let ok = id.len() <= 64
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "{field} must be 1 to 64 letters, digits, '-', '_' or '.'"
        ))
    }
}

fn hex_hash(body: &Value, field: &str) -> Result<String, String> {
    let text = text(body, field)?;
    Hash::from_hex(text)
        .map(|_| text.to_owned())
        .map_err(|_| format!("body.{field} must be 64 lowercase hexadecimal digits"))
}

fn money(body: &Value, field: &str) -> Result<Money, String> {
    Money::from_value(
        body.get(field)
            .ok_or_else(|| format!("body.{field} is missing"))?,
    )
    .map_err(|e| format!("body.{field}: {e}"))
}

/// `{"zh": …, "en": …}` with at least one of the two.
fn bilingual(body: &Value, field: &str, max: usize) -> Result<(), String> {
    let Some(Value::Object(map)) = body.get(field) else {
        return Err(format!(
            "body.{field} must be {{\"zh\": …, \"en\": …}} with at least one language"
        ));
    };
    if map.is_empty() || map.keys().any(|k| k != "zh" && k != "en") {
        return Err(format!("body.{field} takes zh and en texts only"));
    }
    for (language, text) in map {
        match text.as_str() {
            Some(t) if !t.trim().is_empty() && t.chars().count() <= max => {}
            _ => {
                return Err(format!(
                    "body.{field}.{language} must be 1 to {max} characters"
                ));
            }
        }
    }
    Ok(())
}

/// The tender, which must exist and not be over.
fn open_tender<'s>(
    state: &'s State<'_>,
    statement: &Statement,
) -> Result<&'s TenderState, Refusal> {
    let tender = state
        .tenders
        .get(statement.subject())
        .and_then(Option::as_ref)
        .ok_or_else(|| {
            Refusal::NotFound(format!("tender {} does not exist", statement.subject()))
        })?;
    if tender.status.is_final() {
        return Err(Refusal::Conflict(format!(
            "tender {} is {}",
            tender.id,
            tender.status.as_str()
        )));
    }
    Ok(tender)
}

/// A buyer's officer: the buyer's procurement officer or administrator.
fn buyer_officer(signers: &[Signer], tender: &TenderState) -> Result<(), Refusal> {
    if signers.iter().any(|s| {
        s.organisation == tender.buyer
            && matches!(s.role, Role::ProcurementOfficer | Role::OrganisationAdmin)
    }) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "needs a signature by a procurement officer of {}, the tender's buyer",
            tender.buyer
        )))
    }
}

fn change(tender: &str, change: TenderChange) -> Vec<Effect> {
    vec![Effect::Tender {
        id: tender.to_owned(),
        change: Box::new(change),
    }]
}

fn key_text(key: &[u8; 32]) -> String {
    BASE64.encode(key)
}

/// The one-time key of a bid statement: exactly one, and not a registered key.
fn one_time_key(ctx: &Context) -> Result<[u8; 32], Refusal> {
    match ctx.one_time_keys.as_slice() {
        [key] => Ok(*key),
        [] => Err(Refusal::Forbidden(
            "a bid is signed by a one-time key made for it, not by a registered key, so that who bid stays hidden until the deadline".into(),
        )),
        _ => Err(Refusal::Forbidden("a bid has one one-time key".into())),
    }
}

/// `tender.published`: a buyer's procurement officer publishes a tender.
pub struct TenderPublished;

const TENDER_FIELDS: [&str; 16] = [
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
    "award_criteria",
];

impl Kind for TenderPublished {
    fn name(&self) -> &'static str {
        "tender.published"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &TENDER_FIELDS)?;
        identifier(body, "id").map_err(|e| format!("body.{e}"))?;
        identifier(body, "buyer").map_err(|e| format!("body.{e}"))?;
        bilingual(body, "title", 300)?;
        if body.get("description").is_some() {
            bilingual(body, "description", 20_000)?;
        }
        let category = text(body, "category")?;
        if !["goods", "works", "services"].contains(&category) {
            return Err("body.category must be goods, works or services".into());
        }
        bounded_text(body, "region", 64)?;
        let procedure = text(body, "procedure")?;
        if ![
            "open",
            "selective",
            "competitive_negotiation",
            "single_source",
        ]
        .contains(&procedure)
        {
            return Err(
                "body.procedure must be open, selective, competitive_negotiation or single_source"
                    .into(),
            );
        }
        if procedure == "single_source" {
            bounded_text(body, "justification", 5_000).map_err(|_| {
                "body.justification is required of a single-source procedure (why no competition)"
                    .to_owned()
            })?;
        } else if body.get("justification").is_some() {
            bounded_text(body, "justification", 5_000)?;
        }
        let value = money(body, "value")?;
        let Some(Value::Array(lots)) = body.get("lots") else {
            return Err("body.lots must be a non-empty array of lots".into());
        };
        if lots.is_empty() || lots.len() > 100 {
            return Err("body.lots must hold 1 to 100 lots".into());
        }
        let mut ids = HashSet::new();
        for (i, lot) in lots.iter().enumerate() {
            only(lot, &["id", "title", "value"]).map_err(|e| format!("lot {i}: {e}"))?;
            let id = identifier(lot, "id").map_err(|e| format!("body.lots[{i}].{e}"))?;
            if !ids.insert(id.clone()) {
                return Err(format!("body.lots: lot {id} appears twice"));
            }
            bilingual(lot, "title", 300).map_err(|e| format!("lot {id}: {e}"))?;
            let lot_value = money(lot, "value").map_err(|e| format!("lot {id}: {e}"))?;
            if lot_value.currency != value.currency {
                return Err(format!(
                    "lot {id}: its value is in {} but the tender's is in {}",
                    lot_value.currency, value.currency
                ));
            }
        }
        match body.get("documents") {
            Some(Value::Array(documents)) if documents.len() <= 200 => {
                for (i, document) in documents.iter().enumerate() {
                    only(document, &["sha256", "title"])
                        .map_err(|e| format!("body.documents[{i}]: {e}"))?;
                    hex_hash(document, "sha256")
                        .map_err(|e| format!("body.documents[{i}]: {e}"))?;
                    bounded_text(document, "title", 300)
                        .map_err(|e| format!("body.documents[{i}]: {e}"))?;
                }
            }
            _ => return Err("body.documents must be an array of at most 200 documents".into()),
        }
        Periods::of(body)?;
        let criteria = text(body, "award_criteria")?;
        if !["lowest_price", "scored"].contains(&criteria) {
            return Err("body.award_criteria must be lowest_price or scored".into());
        }
        Ok(())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let body = statement.body();
        let id = text(body, "id").map_err(Refusal::Invalid)?;
        if id != statement.subject() {
            return Err(Refusal::Invalid(format!(
                "body.id {id:?} must be the statement's subject {:?}",
                statement.subject()
            )));
        }
        let buyer = text(body, "buyer").map_err(Refusal::Invalid)?;
        if state.directory.organisations.get(buyer).map(String::as_str) != Some("buyer") {
            return Err(Refusal::Invalid(format!(
                "body.buyer {buyer} is not a registered buyer"
            )));
        }
        let draft = TenderState {
            id: id.to_owned(),
            buyer: buyer.to_owned(),
            status: Status::ActiveEnquiries,
            reason: None,
            tender: body.clone(),
            published_idx: ctx.index,
            updated_idx: ctx.index,
            bids: Vec::new(),
            awards: Vec::new(),
            contracts: Vec::new(),
        };
        buyer_officer(signers, &draft)?;
        if state.tenders.get(id).is_some_and(Option::is_some) {
            return Err(Refusal::Conflict(format!("tender {id} already exists")));
        }
        let periods = draft.times()?;
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(format!(
                "the tender period would already be over: tender_end {} is before the log's time {}",
                body["tender_end"].as_str().unwrap_or_default(),
                ctx.logged_at
            )));
        }
        let status = if ctx.logged_at < periods.enquiry_end {
            Status::ActiveEnquiries
        } else {
            Status::ActiveTendering
        };
        Ok(change(
            id,
            TenderChange::Published(Box::new(TenderState { status, ..draft })),
        ))
    }
}

/// `tender.status_changed`: the platform's scheduler logs a timed transition.
pub struct TenderStatusChanged;

impl Kind for TenderStatusChanged {
    fn name(&self) -> &'static str {
        "tender.status_changed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["to", "reason"])?;
        let to = text(body, "to")?;
        Status::parse(to).ok_or_else(|| format!("body.to: {to:?} is not a tender status"))?;
        if body.get("reason").is_some() {
            bounded_text(body, "reason", 2_000)?;
        }
        Ok(())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !signers.iter().any(|s| s.role == Role::Platform) {
            return Err(Refusal::Forbidden(
                "timed status changes are signed by the platform's key".into(),
            ));
        }
        let tender = open_tender(state, statement)?;
        let body = statement.body();
        let to = text(body, "to")
            .ok()
            .and_then(Status::parse)
            .ok_or_else(|| Refusal::Invalid("body.to is not a status".into()))?;
        match tender.due_transition(ctx.logged_at) {
            Some((due, reason)) if due == to => Ok(change(
                &tender.id,
                TenderChange::Status {
                    to,
                    reason,
                    index: ctx.index,
                },
            )),
            Some((due, _)) => Err(Refusal::Conflict(format!(
                "tender {} is due to become {}, not {}",
                tender.id,
                due.as_str(),
                to.as_str()
            ))),
            None => Err(Refusal::Conflict(format!(
                "no transition of tender {} ({}) is due at {}",
                tender.id,
                tender.status.as_str(),
                ctx.logged_at
            ))),
        }
    }
}

/// `bid.committed`: a sealed bid, signed by a one-time key.
pub struct BidCommitted;

impl Kind for BidCommitted {
    fn name(&self) -> &'static str {
        "bid.committed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["commitment", "replaces"])?;
        hex_hash(body, "commitment")?;
        if body.get("replaces").is_some() {
            hex_hash(body, "replaces")?;
        }
        Ok(())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !signers.is_empty() {
            return Err(Refusal::Forbidden(
                "a bid is signed by a one-time key made for it, not by a registered key, so that who bid stays hidden until the deadline".into(),
            ));
        }
        let key = one_time_key(ctx)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at < periods.enquiry_end {
            return Err(Refusal::Conflict(format!(
                "tender {} accepts bids from {} (its enquiry period ends then); the log's time is {}",
                tender.id,
                tender.tender["enquiry_end"].as_str().unwrap_or_default(),
                ctx.logged_at
            )));
        }
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(format!(
                "the deadline of tender {} passed at {}; the bid was logged at {}",
                tender.id,
                tender.tender["tender_end"].as_str().unwrap_or_default(),
                ctx.logged_at
            )));
        }
        let body = statement.body();
        let commitment = hex_hash(body, "commitment").map_err(Refusal::Invalid)?;
        if tender.bid(&commitment).is_some() {
            return Err(Refusal::Conflict(format!(
                "commitment {commitment} is already a bid of tender {}",
                tender.id
            )));
        }
        let key_b64 = key_text(&key);
        let replaces = match body.get("replaces") {
            None => {
                if tender
                    .bids
                    .iter()
                    .any(|b| b.key == key_b64 && b.status == BidStatus::Committed)
                {
                    return Err(Refusal::Conflict(
                        "this one-time key already holds a bid: replace it (body.replaces) or withdraw it".into(),
                    ));
                }
                None
            }
            Some(_) => {
                let old = hex_hash(body, "replaces").map_err(Refusal::Invalid)?;
                match tender.bid(&old) {
                    Some(b) if b.key == key_b64 && b.status == BidStatus::Committed => Some(old),
                    Some(b) if b.key != key_b64 => {
                        return Err(Refusal::Forbidden(
                            "only the key that committed a bid can replace it".into(),
                        ));
                    }
                    Some(_) => {
                        return Err(Refusal::Conflict(format!("bid {old} no longer stands")));
                    }
                    None => {
                        return Err(Refusal::NotFound(format!(
                            "tender {} has no bid {old}",
                            tender.id
                        )));
                    }
                }
            }
        };
        Ok(change(
            &tender.id,
            TenderChange::BidCommitted {
                bid: BidState {
                    commitment,
                    key: key_b64,
                    status: BidStatus::Committed,
                    committed_idx: ctx.index,
                    committed_at: ctx.logged_at.to_string(),
                    revealed: None,
                    reason: None,
                },
                replaces,
                index: ctx.index,
            },
        ))
    }
}

/// `bid.withdrawn`: the one-time key withdraws its bid before the deadline.
pub struct BidWithdrawn;

impl Kind for BidWithdrawn {
    fn name(&self) -> &'static str {
        "bid.withdrawn"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["commitment"])?;
        hex_hash(body, "commitment").map(|_| ())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn decide(
        &self,
        statement: &Statement,
        _signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let key = one_time_key(ctx)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(format!(
                "the deadline of tender {} has passed: bids can no longer be withdrawn",
                tender.id
            )));
        }
        let commitment = hex_hash(statement.body(), "commitment").map_err(Refusal::Invalid)?;
        let bid = tender.bid(&commitment).ok_or_else(|| {
            Refusal::NotFound(format!("tender {} has no bid {commitment}", tender.id))
        })?;
        if bid.key != key_text(&key) {
            return Err(Refusal::Forbidden(
                "only the key that committed a bid can withdraw it".into(),
            ));
        }
        if bid.status != BidStatus::Committed {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} no longer stands"
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::BidWithdrawn {
                commitment,
                index: ctx.index,
            },
        ))
    }
}

/// `bid.revealed`: after the deadline, the bid and its salt, signed by the one-time key
/// and by a registered key of the bidder.
pub struct BidRevealed;

impl Kind for BidRevealed {
    fn name(&self) -> &'static str {
        "bid.revealed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["commitment", "bid", "salt"])?;
        hex_hash(body, "commitment")?;
        Salt::from_hex(text(body, "salt")?).map_err(|e| format!("body.salt: {e}"))?;
        Bid::from_value(body.get("bid").cloned().unwrap_or(Value::Null))
            .map_err(|e| format!("body.bid: {e}"))?;
        Ok(())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let key = one_time_key(ctx)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at < periods.tender_end {
            return Err(Refusal::Conflict(format!(
                "bids of tender {} are revealed after its deadline ({}), not before",
                tender.id,
                tender.tender["tender_end"].as_str().unwrap_or_default()
            )));
        }
        if ctx.logged_at >= periods.reveal_end {
            return Err(Refusal::Conflict(format!(
                "the reveal window of tender {} closed at {}",
                tender.id,
                tender.tender["reveal_end"].as_str().unwrap_or_default()
            )));
        }
        let body = statement.body();
        let commitment = hex_hash(body, "commitment").map_err(Refusal::Invalid)?;
        let stored = tender.bid(&commitment).ok_or_else(|| {
            Refusal::NotFound(format!("tender {} has no bid {commitment}", tender.id))
        })?;
        if stored.key != key_text(&key) {
            return Err(Refusal::Forbidden(
                "the reveal must be signed by the one-time key that committed the bid".into(),
            ));
        }
        if stored.status != BidStatus::Committed {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} cannot be revealed: it is {:?}",
                stored.status
            )));
        }
        let bid = Bid::from_value(body["bid"].clone())
            .map_err(|e| Refusal::Invalid(format!("body.bid: {e}")))?;
        let salt = Salt::from_hex(text(body, "salt").map_err(Refusal::Invalid)?)
            .map_err(|e| Refusal::Invalid(e.to_string()))?;
        let committed = Hash::from_hex(&commitment)
            .map_err(|_| Refusal::Invalid("body.commitment is not a hash".into()))?;
        bid.check_reveal(&salt, &committed).map_err(|_| {
            Refusal::Conflict(
                "the bid and salt do not hash to the commitment: this is not the bid that was committed"
                    .into(),
            )
        })?;
        if bid.tender() != tender.id {
            return Err(Refusal::Conflict(format!(
                "the bid names tender {}, not {}",
                bid.tender(),
                tender.id
            )));
        }
        let bidder = signers
            .iter()
            .find(|s| {
                s.organisation == bid.bidder()
                    && matches!(
                        s.role,
                        Role::BidderRepresentative | Role::OrganisationAdmin
                    )
            })
            .ok_or_else(|| {
                Refusal::Forbidden(format!(
                    "the reveal must also be signed by a registered key of {}, the bidder the bid names",
                    bid.bidder()
                ))
            })?;
        if state
            .directory
            .organisations
            .get(&bidder.organisation)
            .map(String::as_str)
            != Some("supplier")
        {
            return Err(Refusal::Forbidden(format!(
                "{} is not a supplier",
                bidder.organisation
            )));
        }
        if tender.bids.iter().any(|b| {
            b.revealed
                .as_ref()
                .is_some_and(|r| r.bidder == bidder.organisation)
        }) {
            return Err(Refusal::Conflict(format!(
                "{} has already revealed a bid in tender {}",
                bidder.organisation, tender.id
            )));
        }
        let lots: HashSet<&str> = tender.tender["lots"]
            .as_array()
            .map(|lots| lots.iter().filter_map(|l| l["id"].as_str()).collect())
            .unwrap_or_default();
        let bid_value = bid.to_value();
        for lot in bid_value["lots"].as_array().into_iter().flatten() {
            let lot = lot.as_str().unwrap_or_default();
            if !lots.contains(lot) {
                return Err(Refusal::Conflict(format!(
                    "the bid names lot {lot}, which tender {} does not have",
                    tender.id
                )));
            }
        }
        let price = bid_value["price"].clone();
        if price["currency"] != tender.tender["value"]["currency"] {
            return Err(Refusal::Conflict(format!(
                "the bid's price is in {}, the tender's value in {}",
                price["currency"], tender.tender["value"]["currency"]
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::BidRevealed {
                commitment,
                revealed: RevealedBid {
                    bidder: bidder.organisation.clone(),
                    bid: bid_value.clone(),
                    price,
                    revealed_idx: ctx.index,
                },
            },
        ))
    }
}

/// `bid.disqualified`: the buyer disqualifies a revealed bid, with a reason.
pub struct BidDisqualified;

impl Kind for BidDisqualified {
    fn name(&self) -> &'static str {
        "bid.disqualified"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["commitment", "reason"])?;
        hex_hash(body, "commitment")?;
        bounded_text(body, "reason", 5_000).map(|_| ())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
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
        if tender.status != Status::Evaluation {
            return Err(Refusal::Conflict(format!(
                "bids are disqualified during evaluation; tender {} is {}",
                tender.id,
                tender.status.as_str()
            )));
        }
        let body = statement.body();
        let commitment = hex_hash(body, "commitment").map_err(Refusal::Invalid)?;
        let bid = tender.bid(&commitment).ok_or_else(|| {
            Refusal::NotFound(format!("tender {} has no bid {commitment}", tender.id))
        })?;
        if bid.status != BidStatus::Revealed {
            return Err(Refusal::Conflict(format!(
                "only a revealed bid can be disqualified; bid {commitment} is {:?}",
                bid.status
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::BidDisqualified {
                commitment,
                reason: text(body, "reason").map_err(Refusal::Invalid)?.to_owned(),
                index: ctx.index,
            },
        ))
    }
}

/// `award.made`: the buyer awards a revealed bid; the standstill period begins.
pub struct AwardMade;

impl Kind for AwardMade {
    fn name(&self) -> &'static str {
        "award.made"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["commitment", "evaluation_report_sha256"])?;
        hex_hash(body, "commitment")?;
        hex_hash(body, "evaluation_report_sha256").map(|_| ())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
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
        if tender.status != Status::Evaluation {
            return Err(Refusal::Conflict(match tender.status {
                Status::Awarded | Status::Contracted => format!(
                    "tender {} is already awarded (award {})",
                    tender.id,
                    tender.awards.last().map_or("?", |a| a.id.as_str())
                ),
                other => format!(
                    "awards are made during evaluation; tender {} is {}",
                    tender.id,
                    other.as_str()
                ),
            }));
        }
        let body = statement.body();
        let commitment = hex_hash(body, "commitment").map_err(Refusal::Invalid)?;
        let bid = tender.bid(&commitment).ok_or_else(|| {
            Refusal::Conflict(format!(
                "{commitment} is not a bid of tender {}: only a bidder can be awarded",
                tender.id
            ))
        })?;
        let Some(revealed) = bid
            .revealed
            .as_ref()
            .filter(|_| bid.status == BidStatus::Revealed)
        else {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} is {:?}: only a revealed bid that stands can be awarded",
                bid.status
            )));
        };
        let price = Money::from_value(&revealed.price)
            .map_err(|e| Refusal::Invalid(format!("the bid's price: {e}")))?;
        if tender.tender["award_criteria"] == "lowest_price"
            && let Some(lower) = tender.bids.iter().find(|b| {
                b.status == BidStatus::Revealed
                    && b.revealed
                        .as_ref()
                        .and_then(|r| Money::from_value(&r.price).ok())
                        .is_some_and(|p| minor_units(&p) < minor_units(&price))
            })
        {
            return Err(Refusal::Conflict(format!(
                "tender {} is awarded at the lowest price, and bid {} is lower: disqualify it, with a reason, first",
                tender.id, lower.commitment
            )));
        }
        let periods = tender.times()?;
        let standstill_end = Timestamp::from_unix(
            ctx.logged_at.unix_seconds() + periods.standstill_seconds as i64,
            (ctx.logged_at.unix_nanos() % 1_000_000_000) as u32,
        )
        .map_err(|e| Refusal::Invalid(e.to_string()))?;
        Ok(change(
            &tender.id,
            TenderChange::Awarded(AwardState {
                id: format!("award-{}", tender.awards.len() + 1),
                commitment,
                supplier: revealed.bidder.clone(),
                lots: revealed.bid["lots"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                value: revealed.price.clone(),
                evaluation_report_sha256: text(body, "evaluation_report_sha256")
                    .map_err(Refusal::Invalid)?
                    .to_owned(),
                status: "pending".into(),
                awarded_idx: ctx.index,
                standstill_end: standstill_end.to_string(),
            }),
        ))
    }
}

/// `contract.signed`: after the standstill, both parties sign the contract.
pub struct ContractSigned;

impl Kind for ContractSigned {
    fn name(&self) -> &'static str {
        "contract.signed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["award", "value", "document_sha256"])?;
        text(body, "award")?;
        money(body, "value")?;
        hex_hash(body, "document_sha256").map(|_| ())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
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
        let body = statement.body();
        let award_id = text(body, "award").map_err(Refusal::Invalid)?;
        let award = tender
            .awards
            .iter()
            .find(|a| a.id == award_id)
            .ok_or_else(|| {
                Refusal::NotFound(format!("tender {} has no award {award_id}", tender.id))
            })?;
        if !signers.iter().any(|s| {
            s.organisation == award.supplier
                && matches!(s.role, Role::BidderRepresentative | Role::OrganisationAdmin)
        }) {
            return Err(Refusal::Forbidden(format!(
                "a contract is signed by both parties: it needs a signature by {}, the supplier",
                award.supplier
            )));
        }
        if award.status != "pending" {
            return Err(Refusal::Conflict(format!(
                "award {award_id} is {}",
                award.status
            )));
        }
        let standstill_end =
            Timestamp::parse(&award.standstill_end).map_err(|e| Refusal::Invalid(e.to_string()))?;
        if ctx.logged_at < standstill_end {
            return Err(Refusal::Conflict(format!(
                "the standstill period of award {award_id} ends at {standstill_end}: the contract can be signed after it"
            )));
        }
        let value = money(body, "value").map_err(Refusal::Invalid)?;
        let awarded = Money::from_value(&award.value).map_err(Refusal::Invalid)?;
        if value.currency != awarded.currency || minor_units(&value) > minor_units(&awarded) {
            return Err(Refusal::Conflict(format!(
                "the contract's value {} {} exceeds the award's {} {}",
                value.amount, value.currency, awarded.amount, awarded.currency
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::Contracted(ContractState {
                id: format!("contract-{}", tender.contracts.len() + 1),
                award: award.id.clone(),
                supplier: award.supplier.clone(),
                value: body["value"].clone(),
                document_sha256: text(body, "document_sha256")
                    .map_err(Refusal::Invalid)?
                    .to_owned(),
                signed_idx: ctx.index,
                payments: Vec::new(),
            }),
        ))
    }
}

/// `payment.recorded`: the buyer records a payment under a contract.
pub struct PaymentRecorded;

impl Kind for PaymentRecorded {
    fn name(&self) -> &'static str {
        "payment.recorded"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["contract", "amount", "reference"])?;
        text(body, "contract")?;
        money(body, "amount")?;
        bounded_text(body, "reference", 200).map(|_| ())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
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
        let body = statement.body();
        let id = text(body, "contract").map_err(Refusal::Invalid)?;
        let contract = tender
            .contracts
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                Refusal::NotFound(format!("tender {} has no contract {id}", tender.id))
            })?;
        let amount = money(body, "amount").map_err(Refusal::Invalid)?;
        let value = Money::from_value(&contract.value).map_err(Refusal::Invalid)?;
        let paid: i128 = contract
            .payments
            .iter()
            .filter_map(|p| Money::from_value(&p.amount).ok())
            .map(|m| minor_units(&m))
            .sum();
        if amount.currency != value.currency {
            return Err(Refusal::Conflict(format!(
                "contract {id} is in {}, the payment in {}",
                value.currency, amount.currency
            )));
        }
        if paid + minor_units(&amount) > minor_units(&value) {
            return Err(Refusal::Conflict(format!(
                "the payments would exceed contract {id}'s value of {} {}",
                value.amount, value.currency
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::Paid {
                contract: id.to_owned(),
                payment: PaymentState {
                    amount: body["amount"].clone(),
                    reference: text(body, "reference")
                        .map_err(Refusal::Invalid)?
                        .to_owned(),
                    recorded_idx: ctx.index,
                },
            },
        ))
    }
}

/// `tender.completed`: the buyer closes a contracted tender.
pub struct TenderCompleted;

impl Kind for TenderCompleted {
    fn name(&self) -> &'static str {
        "tender.completed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &[])
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
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
        if tender.status != Status::Contracted {
            return Err(Refusal::Conflict(format!(
                "only a contracted tender can be completed; tender {} is {}",
                tender.id,
                tender.status.as_str()
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::Completed { index: ctx.index },
        ))
    }
}

/// `tender.cancelled`: the buyer cancels a tender before its contract, with a reason.
pub struct TenderCancelled;

impl Kind for TenderCancelled {
    fn name(&self) -> &'static str {
        "tender.cancelled"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["reason"])?;
        bounded_text(body, "reason", 5_000).map(|_| ())
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        vec![StateKey::Tender(statement.subject().to_owned())]
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
        if tender.status == Status::Contracted {
            return Err(Refusal::Conflict(format!(
                "tender {} has a signed contract and can no longer be cancelled",
                tender.id
            )));
        }
        Ok(change(
            &tender.id,
            TenderChange::Cancelled {
                reason: text(statement.body(), "reason")
                    .map_err(Refusal::Invalid)?
                    .to_owned(),
                index: ctx.index,
            },
        ))
    }
}

/// Registers the procurement kinds.
pub fn register(registry: &mut crate::domain::Registry) {
    registry.register(Box::new(TenderPublished));
    registry.register(Box::new(TenderStatusChanged));
    registry.register(Box::new(BidCommitted));
    registry.register(Box::new(BidWithdrawn));
    registry.register(Box::new(BidRevealed));
    registry.register(Box::new(BidDisqualified));
    registry.register(Box::new(AwardMade));
    registry.register(Box::new(ContractSigned));
    registry.register(Box::new(PaymentRecorded));
    registry.register(Box::new(TenderCompleted));
    registry.register(Box::new(TenderCancelled));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_compare_prices() {
        let m = |a: &str| {
            minor_units(&Money {
                amount: a.into(),
                currency: "CNY".into(),
            })
        };
        assert_eq!(m("98000.5"), 980_005_000);
        assert_eq!(m("98000.50"), m("98000.5"));
        assert!(m("99.9999") < m("100"));
        assert_eq!(m("0"), 0);
    }
}
