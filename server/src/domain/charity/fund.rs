//! A fund's state as the log leaves it, its disbursements, and the changes statements make
//! to them. Money is counted in ten-thousandths of the currency's unit (`units`), the
//! precision statements carry, as `i64`: a fund never holds more than
//! [`MAX_UNITS`](super::money::MAX_UNITS).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a fund is for (民政部令第81号 speaks of both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundKind {
    /// A fundraising campaign (募捐活动).
    Campaign,
    /// A charitable project (慈善项目).
    Project,
}

impl FundKind {
    /// The name statements and tables use.
    pub fn as_str(self) -> &'static str {
        match self {
            FundKind::Campaign => "campaign",
            FundKind::Project => "project",
        }
    }

    /// Parses a kind's name.
    pub fn parse(name: &str) -> Option<FundKind> {
        [FundKind::Campaign, FundKind::Project]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// Whether a fund takes donations and makes disbursements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundStatus {
    /// Open.
    Open,
    /// Closed: nothing but its disclosures from now on.
    Closed,
}

impl FundStatus {
    /// The name tables and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            FundStatus::Open => "open",
            FundStatus::Closed => "closed",
        }
    }
}

/// Who must approve a disbursement: `approvals` of the `officers`, or `above.approvals`
/// when its amount is more than `above.amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The officers' public keys (base64), each a key of the fund's charity.
    pub officers: Vec<String>,
    /// How many distinct officers approve a disbursement.
    pub approvals: u32,
    /// The stricter rule for large disbursements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<Threshold>,
}

/// More approvals above an amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    /// The amount, in units, above which `approvals` apply.
    pub amount: i64,
    /// How many distinct officers approve a disbursement above it.
    pub approvals: u32,
}

impl Policy {
    /// How many distinct officers must approve a disbursement of `amount` units.
    pub fn required(&self, amount: i64) -> u32 {
        match &self.above {
            Some(t) if amount > t.amount => t.approvals,
            _ => self.approvals,
        }
    }

    /// Whether `key` (base64) is one of the officers.
    pub fn names(&self, key: &str) -> bool {
        self.officers.iter().any(|k| k == key)
    }
}

/// A disclosure the fund published: a report, by the hash of its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    /// What it discloses.
    pub kind: DisclosureKind,
    /// SHA-256 of the report, lowercase hex.
    pub document_sha256: String,
    /// Its entry.
    pub idx: u64,
    /// When it was logged.
    pub at: String,
}

/// What a disclosure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureKind {
    /// Progress, at least every three months of a long campaign or project.
    Periodic,
    /// The full account, within three months of the end.
    Final,
    /// What was left over and what becomes of it, within three months of the end.
    Leftover,
}

impl DisclosureKind {
    /// The name statements use.
    pub fn as_str(self) -> &'static str {
        match self {
            DisclosureKind::Periodic => "periodic",
            DisclosureKind::Final => "final",
            DisclosureKind::Leftover => "leftover",
        }
    }

    /// Parses a kind's name.
    pub fn parse(name: &str) -> Option<DisclosureKind> {
        [
            DisclosureKind::Periodic,
            DisclosureKind::Final,
            DisclosureKind::Leftover,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// A fund, as the log leaves it (without its donations and disbursements, which have rows
/// of their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundState {
    /// Its id, the subject of its statements.
    pub id: String,
    /// The charity whose fund it is.
    pub charity: String,
    /// A campaign or a project.
    pub kind: FundKind,
    /// What it is for: `{"zh": …, "en": …}`.
    pub purpose: Value,
    /// Its currency (ISO 4217): every amount of the fund is in it.
    pub currency: String,
    /// What it aims to raise, in units.
    pub target: i64,
    /// When it starts and ends (RFC 3339).
    pub start: String,
    /// When it ends.
    pub end: String,
    /// Who approves its disbursements.
    pub policy: Policy,
    /// Open or closed.
    pub status: FundStatus,
    /// What it holds, in units.
    pub balance: i64,
    /// What it has received.
    pub received: i64,
    /// What it has paid out.
    pub disbursed: i64,
    /// How many donations it has had (the last donation's number).
    pub donations: u64,
    /// How many disbursements were proposed (the last one's number).
    pub disbursements: u32,
    /// Its disclosures, in log order.
    pub disclosures: Vec<Disclosure>,
    /// The entry that opened it, and when.
    pub opened_idx: u64,
    /// When it was opened.
    pub opened_at: String,
    /// The last entry that changed it.
    pub updated_idx: u64,
    /// The entry that closed it, and when, with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closing>,
    /// What was left at its end (the end of its period, or its closing if earlier), in
    /// units: set by the first entry about it logged at or after its end (to the balance
    /// before it), or by its closing. Until then, its balance is what is left at its end.
    /// It goes by the log's time: a gift received before the end and logged after it is
    /// not part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at_end: Option<i64>,
}

/// How a fund was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    /// The entry.
    pub idx: u64,
    /// When.
    pub at: String,
    /// Why, in the charity's words.
    pub reason: String,
}

/// Who a disbursement pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Recipient {
    /// A registered organisation, which acknowledges with one of its keys.
    Organisation {
        /// Its id.
        id: String,
    },
    /// Another fund on Vitrine: the disbursement is a donation to it.
    Fund {
        /// Its id.
        id: String,
    },
    /// A person, known to the log only by a commitment; they acknowledge with the key made
    /// for them when the disbursement was proposed.
    Person {
        /// `SHA-256("vitrine/donor/v1\n" || JCS(data) || salt)`, lowercase hex.
        commitment: String,
        /// The key that acknowledges, base64.
        key: String,
    },
}

/// Where a disbursement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisbursementStatus {
    /// Proposed, waiting for approvals.
    Proposed,
    /// Approved by the officers the policy requires.
    Approved,
    /// Paid: its money was taken from the donations (first in, first out).
    Executed,
}

impl DisbursementStatus {
    /// The name tables and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            DisbursementStatus::Proposed => "proposed",
            DisbursementStatus::Approved => "approved",
            DisbursementStatus::Executed => "executed",
        }
    }
}

/// An officer's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The officer's key, base64.
    pub key: String,
    /// The entry that carried it.
    pub idx: u64,
}

/// A disbursement of a fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisbursementState {
    /// Its fund.
    pub fund: String,
    /// Its number in the fund, from 1.
    pub seq: u32,
    /// How much, in units of the fund's currency.
    pub amount: i64,
    /// Who it pays.
    pub recipient: Recipient,
    /// What for: `{"zh": …, "en": …}`.
    pub purpose: Value,
    /// SHA-256 of its evidence documents, lowercase hex.
    pub evidence: Vec<String>,
    /// How many approvals it needs (the policy's, for its amount).
    pub required: u32,
    /// Its approvals, in log order (the proposer's first).
    pub approvals: Vec<Approval>,
    /// Where it is.
    pub status: DisbursementStatus,
    /// The entry that proposed it, and when.
    pub proposed_idx: u64,
    /// When it was proposed.
    pub proposed_at: String,
    /// The entry that executed it, when, and the payment's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed: Option<Execution>,
    /// The entry in which its recipient acknowledged it, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
}

/// A disbursement paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// The entry.
    pub idx: u64,
    /// When.
    pub at: String,
    /// The payment's reference (the bank's).
    pub reference: String,
    /// For a disbursement to another fund: the donation it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donation: Option<u64>,
}

/// A recipient's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// The entry.
    pub idx: u64,
    /// When.
    pub at: String,
    /// The key that signed it, base64.
    pub key: String,
}

/// A donation to a fund, as its row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donation {
    /// Its fund.
    pub fund: String,
    /// Its number in the fund, from 1: the order of first in, first out.
    pub seq: u64,
    /// Its entry.
    pub idx: u64,
    /// When it was logged.
    pub at: String,
    /// How much, in units.
    pub amount: i64,
    /// How it came (`bank_transfer`, `alipay`, …; `fund` for a transfer from another fund).
    pub channel: String,
    /// The channel's reference.
    pub reference: String,
    /// When the channel received it.
    pub received_at: String,
    /// The commitment to the donor, lowercase hex; none for an anonymous donation.
    pub donor: Option<String>,
    /// Whether the donor agreed to be named publicly.
    pub named: bool,
    /// For a transfer from another fund: that fund and its disbursement.
    pub source: Option<(String, u32)>,
}

/// A part of a donation taken by a disbursement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    /// The donation's number.
    pub donation: u64,
    /// How much, in units.
    pub amount: i64,
}

/// What a statement changes in a fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundChange {
    /// The fund is opened.
    Opened(Box<FundState>),
    /// A donation comes in.
    Donated(Box<Donation>),
    /// A disbursement is proposed.
    Proposed(Box<DisbursementState>),
    /// Officers approve a disbursement.
    Approved {
        /// The disbursement's number.
        seq: u32,
        /// The officers' keys, base64.
        keys: Vec<String>,
    },
    /// A disbursement is paid, taking these parts of the donations.
    Executed {
        /// The disbursement's number.
        seq: u32,
        /// The payment's reference.
        reference: String,
        /// The parts of the donations it takes, oldest first.
        allocations: Vec<Allocation>,
        /// For a disbursement to another fund: the donation it is there.
        donation: Option<u64>,
    },
    /// The recipient acknowledges a disbursement.
    Acknowledged {
        /// The disbursement's number.
        seq: u32,
        /// The key that signed, base64.
        key: String,
    },
    /// A disclosure is published.
    Disclosed(Disclosure),
    /// The fund is closed.
    Closed {
        /// Why.
        reason: String,
    },
}

impl FundChange {
    /// The documents the change makes public (SHA-256, lowercase hex).
    pub fn documents_named(&self) -> Vec<&str> {
        match self {
            FundChange::Proposed(d) => d.evidence.iter().map(String::as_str).collect(),
            FundChange::Disclosed(d) => vec![d.document_sha256.as_str()],
            _ => Vec::new(),
        }
    }

    /// The disbursement the change concerns, if any.
    pub fn disbursement(&self) -> Option<u32> {
        match self {
            FundChange::Proposed(d) => Some(d.seq),
            FundChange::Approved { seq, .. }
            | FundChange::Executed { seq, .. }
            | FundChange::Acknowledged { seq, .. } => Some(*seq),
            _ => None,
        }
    }
}

impl FundState {
    /// Applies a change entry `idx` (logged at `at`) makes, but a disbursement's own.
    pub fn apply(&mut self, idx: u64, at: &str, change: &FundChange) {
        self.updated_idx = idx;
        if self.left_at_end.is_none() && at_or_after(at, &self.end) {
            self.left_at_end = Some(self.balance);
        }
        match change {
            FundChange::Opened(_)
            | FundChange::Approved { .. }
            | FundChange::Acknowledged { .. } => {}
            FundChange::Donated(d) => {
                self.donations = d.seq;
                self.balance += d.amount;
                self.received += d.amount;
            }
            FundChange::Proposed(d) => self.disbursements = d.seq,
            FundChange::Executed { allocations, .. } => {
                let paid: i64 = allocations.iter().map(|a| a.amount).sum();
                self.balance -= paid;
                self.disbursed += paid;
            }
            FundChange::Disclosed(d) => self.disclosures.push(d.clone()),
            FundChange::Closed { reason } => {
                self.status = FundStatus::Closed;
                self.closed = Some(Closing {
                    idx,
                    at: at.to_owned(),
                    reason: reason.clone(),
                });
                self.left_at_end.get_or_insert(self.balance);
            }
        }
    }

    /// What is left at its end: known once an entry after it, or its closing, was logged;
    /// until then, its balance.
    pub fn left(&self) -> i64 {
        self.left_at_end.unwrap_or(self.balance)
    }
}

/// Whether time `at` is `end` or later (both RFC 3339; unreadable is never later): from
/// then on, the calendar counts the fund as ended.
fn at_or_after(at: &str, end: &str) -> bool {
    let time = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    matches!((time(at), time(end)), (Some(a), Some(e)) if a >= e)
}

impl DisbursementState {
    /// Applies a change entry `idx` (logged at `at`) makes to the disbursement.
    pub fn apply(&mut self, idx: u64, at: &str, change: &FundChange) {
        match change {
            FundChange::Approved { keys, .. } => {
                self.approvals.extend(keys.iter().map(|key| Approval {
                    key: key.clone(),
                    idx,
                }));
                if self.approvals.len() as u32 >= self.required {
                    self.status = DisbursementStatus::Approved;
                }
            }
            FundChange::Executed {
                reference,
                donation,
                ..
            } => {
                self.status = DisbursementStatus::Executed;
                self.executed = Some(Execution {
                    idx,
                    at: at.to_owned(),
                    reference: reference.clone(),
                    donation: *donation,
                });
            }
            FundChange::Acknowledged { key, .. } => {
                self.acknowledged = Some(Acknowledgement {
                    idx,
                    at: at.to_owned(),
                    key: key.clone(),
                });
            }
            _ => {}
        }
    }

    /// The recipient's kind and id (an organisation's or a fund's id, a person's
    /// commitment), as the tables list them.
    pub fn recipient_columns(&self) -> (&'static str, &str) {
        match &self.recipient {
            Recipient::Organisation { id } => ("organisation", id),
            Recipient::Fund { id } => ("fund", id),
            Recipient::Person { commitment, .. } => ("person", commitment),
        }
    }
}
