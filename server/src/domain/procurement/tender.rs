//! A tender and everything that happened to it (bids, awards, contracts, payments,
//! questions, amendments, complaints): the aggregate [`TenderState`], the
//! [`TenderChange`]s that update it, and the times that drive its life. Plain data and
//! its transitions; the rules that decide a change are in `kinds`.

use crate::domain::said::Said;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashSet;
use vitrine_ledger::bid::Money;
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

    /// Every status, in the order of a tender's life.
    pub const ALL: [Status; 9] = [
        Status::ActiveEnquiries,
        Status::ActiveTendering,
        Status::Opening,
        Status::Evaluation,
        Status::Awarded,
        Status::Contracted,
        Status::Complete,
        Status::Cancelled,
        Status::Unsuccessful,
    ];

    /// The status named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub(super) fn is_final(self) -> bool {
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

impl BidStatus {
    /// The name the tender's JSON and the pages use (`withdrawn`).
    pub fn as_str(self) -> &'static str {
        match self {
            BidStatus::Committed => "committed",
            BidStatus::Replaced => "replaced",
            BidStatus::Withdrawn => "withdrawn",
            BidStatus::Revealed => "revealed",
            BidStatus::Lapsed => "lapsed",
            BidStatus::Disqualified => "disqualified",
        }
    }
}

/// A bid of a tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidState {
    /// The commitment, lowercase hexadecimal.
    pub commitment: String,
    /// The one-time key that committed it, base64.
    pub key: String,
    /// The organisation whose account sent it. Private while the bid is sealed: the log
    /// does not say, and the public view shows it only once the bid is revealed, or
    /// attributed when it lapses. `None` for bids logged before the platform kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// The `bid.lapsed` entry that attributed it to its sender, once the reveal window
    /// closed with it still sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed_idx: Option<u64>,
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
    /// Each revealed bid's score, for tenders awarded by scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<Value>,
    /// `pending` (in standstill), `active` (contracted) or `cancelled`.
    pub status: String,
    /// The entry that made it.
    pub awarded_idx: u64,
    /// When.
    #[serde(default)]
    pub date: String,
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
    /// When.
    #[serde(default)]
    pub date_signed: String,
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
    /// When.
    #[serde(default)]
    pub date: String,
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
    /// The tender's terms, as published and amended.
    pub tender: Terms,
    /// The entry that published it.
    pub published_idx: u64,
    /// The entry of its latest change.
    pub updated_idx: u64,
    /// Bids, in commit order (stored in `tender_bids`, a row each).
    #[serde(default)]
    pub bids: Vec<BidState>,
    /// Awards, in order.
    pub awards: Vec<AwardState>,
    /// Contracts, in order.
    pub contracts: Vec<ContractState>,
    /// Questions and their answers.
    #[serde(default)]
    pub enquiries: Vec<EnquiryState>,
    /// Changes to the tender, with their reasons.
    #[serde(default)]
    pub amendments: Vec<AmendmentState>,
    /// Complaints against awards.
    #[serde(default)]
    pub complaints: Vec<ComplaintState>,
}

/// A question about a tender, asked under a one-time key (anonymous to the public), and
/// the buyer's public answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnquiryState {
    /// `enquiry-1`, …
    pub id: String,
    /// The question.
    pub question: String,
    /// The entry that asked it.
    pub asked_idx: u64,
    /// When it was asked (the entry's `logged_at`).
    #[serde(default)]
    pub date: String,
    /// The answer and its entry, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The entry that answered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_idx: Option<u64>,
    /// When it was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_answered: Option<String>,
}

/// A change to a published tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendmentState {
    /// `amendment-1`, …
    pub id: String,
    /// The changed members with their new values.
    pub changes: Value,
    /// Their values before.
    pub previous: Value,
    /// Why.
    pub reason: String,
    /// The entry.
    pub amended_idx: u64,
    /// When.
    #[serde(default)]
    pub date: String,
}

/// A complaint against an award, filed by a bidder during the standstill period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintState {
    /// `complaint-1`, …
    pub id: String,
    /// The award it contests.
    pub award: String,
    /// The complaining bidder.
    pub complainant: String,
    /// What it says.
    pub text: String,
    /// `filed`, `accepted` (under review), `upheld` or `dismissed`.
    pub status: String,
    /// The entry that filed it.
    pub filed_idx: u64,
    /// The supervisor's reasons, one per decision.
    #[serde(default)]
    pub decisions: Vec<Value>,
}

impl ComplaintState {
    pub(super) fn is_open(&self) -> bool {
        self.status == "filed" || self.status == "accepted"
    }
}

/// The members of a tender an amendment may change.
pub const AMENDABLE: [&str; 10] = [
    "title",
    "description",
    "documents",
    "value",
    "lots",
    "criteria",
    "enquiry_end",
    "tender_end",
    "reveal_end",
    "standstill_seconds",
];

/// The members whose change affects how bids are prepared: an amendment of one of these
/// must leave the tender's `amendment_notice_seconds` before the deadline.
pub(super) const MATERIAL: [&str; 4] = ["documents", "value", "lots", "criteria"];

impl TenderState {
    /// A period's end (`enquiry_end`, `tender_end`, `reveal_end`).
    pub fn period_end(&self, field: &str) -> Option<Timestamp> {
        Timestamp::parse(self.tender.period_text(field)).ok()
    }

    pub(super) fn bid(&self, commitment: &str) -> Option<&BidState> {
        self.bids.iter().find(|b| b.commitment == commitment)
    }

    pub(super) fn bid_mut(&mut self, commitment: &str) -> Option<&mut BidState> {
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
        let periods = self.tender.periods().ok()?;
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

    /// The sealed bids whose senders the platform names once the reveal window closes
    /// (`bid.lapsed`): (commitment, organisation), in commit order.
    pub fn lapsing(&self) -> Vec<(&str, &str)> {
        self.bids
            .iter()
            .filter(|b| b.status == BidStatus::Committed)
            .filter_map(|b| Some((b.commitment.as_str(), b.holder.as_deref()?)))
            .collect()
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
            TenderChange::BidLapsed { commitment, index } => {
                if let Some(bid) = self.bid_mut(commitment) {
                    bid.status = BidStatus::Lapsed;
                    bid.lapsed_idx = Some(*index);
                }
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
            TenderChange::Asked(enquiry) => {
                self.updated_idx = enquiry.asked_idx;
                self.enquiries.push(enquiry.clone());
            }
            TenderChange::Answered {
                enquiry,
                answer,
                index,
                date,
            } => {
                if let Some(e) = self.enquiries.iter_mut().find(|e| &e.id == enquiry) {
                    e.answer = Some(answer.clone());
                    e.answered_idx = Some(*index);
                    e.date_answered = Some(date.clone());
                }
                self.updated_idx = *index;
            }
            TenderChange::Amended { amendment, tender } => {
                self.tender = tender.clone();
                self.updated_idx = amendment.amended_idx;
                self.amendments.push(amendment.clone());
            }
            TenderChange::Complained(complaint) => {
                self.updated_idx = complaint.filed_idx;
                self.complaints.push(complaint.clone());
            }
            TenderChange::ComplaintDecided {
                complaint,
                decision,
                reason,
                index,
            } => {
                let mut cancelled_award = None;
                if let Some(c) = self.complaints.iter_mut().find(|c| &c.id == complaint) {
                    c.status = decision.clone();
                    c.decisions
                        .push(json!({"decision": decision, "reason": reason, "entry": index}));
                    if decision == "upheld" {
                        cancelled_award = Some(c.award.clone());
                    }
                }
                // The award falls and evaluation reopens; upheld against an award that has
                // fallen already, the decision is on the record and changes nothing else.
                if let Some(award) = cancelled_award
                    && let Some(a) = self.awards.iter_mut().find(|a| a.id == award)
                    && a.status != "cancelled"
                {
                    a.status = "cancelled".into();
                    self.status = Status::Evaluation;
                }
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
        self.public_view_of_bids(now, 0..self.bids.len())
    }

    /// As [`public_view`](Self::public_view), its `bids` only those at positions `shown`
    /// (a page of them: a tender may have thousands).
    pub fn public_view_of_bids(&self, now: Timestamp, shown: std::ops::Range<usize>) -> Value {
        let sealed = self
            .period_end("tender_end")
            .is_none_or(|deadline| now < deadline);
        let shown = shown.start.min(self.bids.len())..shown.end.min(self.bids.len());
        let bids: Vec<Value> = self.bids[shown]
            .iter()
            .map(|b| {
                let mut bid = json!({
                    "commitment": b.commitment,
                    "status": b.status,
                    "committed_at": b.committed_at,
                    "committed_at_entry": b.committed_idx,
                });
                if let (Some(index), Some(holder)) = (b.lapsed_idx, &b.holder) {
                    // Attributed by a `bid.lapsed` entry once the reveal window closed.
                    bid["bidder"] = json!(holder);
                    bid["lapsed_at_entry"] = json!(index);
                }
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
            "enquiries": self.enquiries,
            "amendments": self.amendments,
            "complaints": self.complaints,
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
    /// A sealed bid lapsed, attributed to its sender, after the reveal window.
    BidLapsed {
        /// Its commitment.
        commitment: String,
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
    /// A question asked.
    Asked(EnquiryState),
    /// A question answered.
    Answered {
        /// The enquiry.
        enquiry: String,
        /// The answer.
        answer: String,
        /// The entry.
        index: u64,
        /// When it was answered.
        date: String,
    },
    /// The tender amended.
    Amended {
        /// The amendment.
        amendment: AmendmentState,
        /// The tender's terms after it.
        tender: Terms,
    },
    /// A complaint filed.
    Complained(ComplaintState),
    /// A supervisor's decision on a complaint.
    ComplaintDecided {
        /// The complaint.
        complaint: String,
        /// accepted, upheld or dismissed.
        decision: String,
        /// Why.
        reason: String,
        /// The entry.
        index: u64,
    },
}

impl TenderChange {
    /// The bids the change alters, by commitment; `None` for any of them (a status change
    /// lapses those still sealed).
    pub fn bids_changed(&self) -> Option<Vec<&str>> {
        match self {
            TenderChange::Status { .. } => None,
            TenderChange::BidCommitted { bid, replaces, .. } => Some(
                std::iter::once(bid.commitment.as_str())
                    .chain(replaces.as_deref())
                    .collect(),
            ),
            TenderChange::BidWithdrawn { commitment, .. }
            | TenderChange::BidLapsed { commitment, .. }
            | TenderChange::BidRevealed { commitment, .. }
            | TenderChange::BidDisqualified { commitment, .. } => Some(vec![commitment.as_str()]),
            _ => Some(Vec::new()),
        }
    }

    /// The document hashes (hexadecimal) a change names: what its entry makes public.
    pub fn documents_named(&self) -> Vec<String> {
        let change = self;
        let listed = |documents: &serde_json::Value| -> Vec<String> {
            documents
                .as_array()
                .map(|docs| {
                    docs.iter()
                        .filter_map(|d| d["sha256"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        match change {
            TenderChange::Published(tender) => listed(tender.tender.documents()),
            TenderChange::Amended { tender, .. } => listed(tender.documents()),
            TenderChange::BidRevealed { revealed, .. } => listed(&revealed.bid["documents"]),
            TenderChange::Awarded(award) => vec![award.evaluation_report_sha256.clone()],
            TenderChange::Contracted(contract) => vec![contract.document_sha256.clone()],
            _ => Vec::new(),
        }
    }
}

/// A tender's terms: the body of its `tender.published`, as amended since. They are kept
/// as logged (the public view and the OCDS releases show them whole) and read through
/// these methods, the one place that knows their members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Terms(Value);

impl From<Value> for Terms {
    fn from(document: Value) -> Terms {
        Terms(document)
    }
}

impl Terms {
    /// The terms as a JSON document, whole.
    pub fn document(&self) -> &Value {
        &self.0
    }

    /// One member (`null` when absent).
    pub fn member(&self, name: &str) -> &Value {
        &self.0[name]
    }

    /// These terms with `changes` (members and their new values) applied.
    pub fn amended(&self, changes: &serde_json::Map<String, Value>) -> Terms {
        let mut amended = self.0.clone();
        for (member, value) in changes {
            amended[member.as_str()] = value.clone();
        }
        Terms(amended)
    }

    /// A period's end as logged (`enquiry_end`, `tender_end`, `reveal_end`), for messages.
    pub fn period_text(&self, field: &str) -> &str {
        self.0[field].as_str().unwrap_or_default()
    }

    /// The periods.
    pub(super) fn periods(&self) -> Result<Periods, Said> {
        Periods::of(&self.0)
    }

    /// The title, in Chinese if it has one.
    pub fn title(&self) -> &str {
        let title = &self.0["title"];
        title["zh"]
            .as_str()
            .or_else(|| title["en"].as_str())
            .unwrap_or_default()
    }

    /// What is bought: `goods`, `works` or `services`.
    pub fn category(&self) -> &str {
        self.0["category"].as_str().unwrap_or_default()
    }

    /// The administrative region's code, e.g. `CN-FJ`.
    pub fn region(&self) -> &str {
        self.0["region"].as_str().unwrap_or_default()
    }

    /// The procedure: `open`, `selective`, `competitive_negotiation` or `single_source`.
    pub fn procedure(&self) -> &str {
        self.0["procedure"].as_str().unwrap_or_default()
    }

    /// The documents, as listed (each with its `sha256` and `title`).
    pub fn documents(&self) -> &Value {
        &self.0["documents"]
    }

    /// The estimated value's amount, as a decimal string.
    pub fn value_amount(&self) -> &str {
        self.0["value"]["amount"].as_str().unwrap_or("0")
    }

    /// The currency of the value (and so of every bid's price).
    pub fn currency(&self) -> &str {
        self.0["value"]["currency"].as_str().unwrap_or_default()
    }

    /// The ids of the lots.
    pub fn lot_ids(&self) -> HashSet<&str> {
        self.0["lots"]
            .as_array()
            .map(|lots| lots.iter().filter_map(|l| l["id"].as_str()).collect())
            .unwrap_or_default()
    }

    /// Whether the award goes to a score (`scored`) rather than the lowest price.
    pub fn scored(&self) -> bool {
        self.0["award_criteria"] == "scored"
    }

    /// Whether the award goes to the lowest price.
    pub fn lowest_price(&self) -> bool {
        self.0["award_criteria"] == "lowest_price"
    }

    /// How long before the deadline a material change must come, in seconds.
    pub fn notice_seconds(&self) -> u64 {
        self.0["amendment_notice_seconds"].as_u64().unwrap_or(0)
    }

    /// Whether it has weighted criteria.
    pub fn has_criteria(&self) -> bool {
        self.0.get("criteria").is_some()
    }
}

/// The periods of a tender.
pub(super) struct Periods {
    pub(super) enquiry_end: Timestamp,
    pub(super) tender_end: Timestamp,
    pub(super) reveal_end: Timestamp,
    pub(super) standstill_seconds: u64,
}

impl Periods {
    pub(super) fn of(tender: &Value) -> Result<Periods, Said> {
        Periods::problems(tender).map_err(Said::joined)
    }

    /// The periods, or every problem with them (each field checked on its own).
    pub(super) fn problems(tender: &Value) -> Result<Periods, Vec<Said>> {
        let time = |field: &str| -> Result<Timestamp, Said> {
            let text = tender.get(field).and_then(Value::as_str).ok_or_else(|| {
                crate::said!(
                    "body.not_time",
                    "{field} must be an RFC 3339 time",
                    field = format!("body.{field}")
                )
            })?;
            Timestamp::parse(text).map_err(|e| {
                crate::said!(
                    "body.invalid",
                    "{field}: {why}",
                    field = format!("body.{field}"),
                    why = e
                )
            })
        };
        let standstill = tender
            .get("standstill_seconds")
            .and_then(Value::as_u64)
            .filter(|s| *s <= 90 * 86_400)
            .ok_or_else(|| {
                crate::said!(
                    "tender.standstill",
                    "{field} must be an integer from 0 to 7776000 (90 days)",
                    field = "body.standstill_seconds"
                )
            });
        let (enquiry_end, tender_end, reveal_end, standstill_seconds) = match (
            time("enquiry_end"),
            time("tender_end"),
            time("reveal_end"),
            standstill,
        ) {
            (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
            (a, b, c, d) => {
                return Err([a.err(), b.err(), c.err(), d.err()]
                    .into_iter()
                    .flatten()
                    .collect());
            }
        };
        let mut problems = Vec::new();
        if enquiry_end > tender_end {
            problems.push(crate::said!(
                "tender.enquiry_after_deadline",
                "{field} must not be after body.tender_end",
                field = "body.enquiry_end"
            ));
        }
        if tender_end >= reveal_end {
            problems.push(crate::said!(
                "tender.reveal_before_deadline",
                "{field} must be after body.tender_end",
                field = "body.reveal_end"
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Periods {
            enquiry_end,
            tender_end,
            reveal_end,
            standstill_seconds,
        })
    }
}

/// An amount in ten-thousandths, for comparing prices (amounts have at most four decimals).
pub fn minor_units(money: &Money) -> i128 {
    let (whole, fraction) = money.amount.split_once('.').unwrap_or((&money.amount, ""));
    let whole: i128 = whole.parse().unwrap_or(0);
    let fraction: i128 = format!("{fraction:0<4}").parse().unwrap_or(0);
    whole * 10_000 + fraction
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

    #[test]
    fn a_bid_status_is_named_as_the_tender_writes_it() {
        use BidStatus::*;
        for status in [
            Committed,
            Replaced,
            Withdrawn,
            Revealed,
            Lapsed,
            Disqualified,
        ] {
            assert_eq!(serde_json::json!(status), status.as_str());
        }
    }
}
