//! What the tables of cases share: a directory with numbered keys, a tender's timeline,
//! sealed bids, worlds at each stage of a tender's life (built by the kinds themselves,
//! their effects applied as the sequencer applies them), and the judge and the runner.

pub(super) use super::super::award::AwardMade;
pub(super) use super::super::bids::{
    BidCommitted, BidDisqualified, BidLapsed, BidRevealed, BidWithdrawn,
};
pub(super) use super::super::complaints::{ComplaintDecided, ComplaintFiled};
pub(super) use super::super::contract::{ContractSigned, PaymentRecorded};
pub(super) use super::super::enquiries::{EnquiryAnswered, EnquiryAsked};
pub(super) use super::super::publication::{TenderAmended, TenderPublished};
pub(super) use super::super::status::{TenderCancelled, TenderCompleted, TenderStatusChanged};
pub(super) use crate::domain::procurement::tender::{
    AmendmentState, AwardState, BidState, BidStatus, ComplaintState, ContractState, EnquiryState,
    PaymentState, RevealedBid, Status, TenderChange, TenderState,
};
pub(super) use serde_json::{Value, json};
pub(super) use vitrine_ledger::bid::{Bid, Salt};
pub(super) use vitrine_ledger::time::Timestamp;

use crate::domain::procurement::projection::Tenders;
use crate::domain::rules::{Context, Directory, Effect, KeyRecord, Kind, Refusal, State, StateKey};
use crate::domain::types::{OrganisationKind, Role};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::collections::{HashMap, HashSet};
use vitrine_ledger::statement::Statement;

/// The tender of the cases.
pub(super) const TENDER: &str = "ocds-vtest1-000001";
/// A tender that was never published.
pub(super) const NO_TENDER: &str = "ocds-vtest1-999999";

// Registered keys, by the byte their secret key repeats.
/// The platform's own key.
pub(super) const PLATFORM: u8 = 1;
/// A platform administrator.
pub(super) const PLATFORM_ADMIN: u8 = 2;
/// A procurement officer of `city`, the tender's buyer.
pub(super) const OFFICER: u8 = 3;
/// The administrator of `city`.
pub(super) const CITY_ADMIN: u8 = 4;
/// A procurement officer of `town`, another buyer.
pub(super) const TOWN_OFFICER: u8 = 5;
/// A procurement officer of `city` whose key was revoked.
pub(super) const REVOKED: u8 = 6;
/// A key of `city` with the supervisor's role: `city` is a buyer, not a supervisory body.
pub(super) const CITY_SUPERVISOR: u8 = 7;
/// The bidder representatives of the suppliers `acme`, `beta` and `gamma`.
pub(super) const ACME: u8 = 10;
pub(super) const BETA: u8 = 12;
pub(super) const GAMMA: u8 = 13;
/// The administrator of `acme`.
pub(super) const ACME_ADMIN: u8 = 11;
/// A key of `acme` whose role is not to bid (a procurement officer's).
pub(super) const ACME_CLERK: u8 = 14;
/// A supervisor of `audit`, a supervisory body.
pub(super) const SUPERVISOR: u8 = 20;
/// Keys outside the directory: the one-time keys of the bids of acme, beta and gamma, and
/// a spare one.
pub(super) const OT_ACME: u8 = 110;
pub(super) const OT_BETA: u8 = 112;
pub(super) const OT_GAMMA: u8 = 113;
pub(super) const OT_SPARE: u8 = 199;

// The tender's timeline, in seconds after `BASE`.
pub(super) const ENQUIRY_END: i64 = 1_000;
pub(super) const TENDER_END: i64 = 2_000;
pub(super) const REVEAL_END: i64 = 3_000;
pub(super) const STANDSTILL: i64 = 100;
pub(super) const NOTICE: i64 = 300;
/// When the award of the `Awarded` stage is made (its standstill ends 100 s later).
pub(super) const AWARDED_AT: i64 = 3_100;
const BASE: i64 = 1_796_083_200; // 2026-12-01T00:00:00Z

// Documents, by the byte their hash repeats.
/// The tender's document, uploaded by city.
pub(super) const TENDER_DOC: u8 = 0xd1;
/// An evaluation report, uploaded by city.
pub(super) const REPORT: u8 = 0xd2;
/// A signed contract, uploaded by city.
pub(super) const CONTRACT_DOC: u8 = 0xd3;
/// An addendum, uploaded by city.
pub(super) const ADDENDUM: u8 = 0xd4;
/// A document uploaded by town only.
pub(super) const TOWN_DOC: u8 = 0xe1;
/// A document nobody uploaded.
pub(super) const NOBODY_DOC: u8 = 0xee;

/// The time `s` seconds after the start of the cases' timeline.
pub(super) fn t(s: i64) -> Timestamp {
    Timestamp::from_unix(BASE + s, 0).expect("a time")
}

/// That time as the log writes it.
pub(super) fn ts(s: i64) -> String {
    t(s).to_string()
}

/// A document's hash, in hexadecimal.
pub(super) fn hex(document: u8) -> String {
    format!("{document:02x}").repeat(32)
}

/// The public key numbered `n`.
pub(super) fn key(n: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[n; 32])
        .verifying_key()
        .to_bytes()
}

/// That key as bids record it.
pub(super) fn b64(n: u8) -> String {
    BASE64.encode(key(n))
}

/// A string of `n` characters.
pub(super) fn long(n: usize) -> String {
    "字".repeat(n)
}

/// `value` with `member` set (or replaced).
pub(super) fn with(mut value: Value, member: &str, new: Value) -> Value {
    value[member] = new;
    value
}

/// `value` without `member`.
pub(super) fn without(mut value: Value, member: &str) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.remove(member);
    }
    value
}

/// The body of the tender: lowest price, one lot, one document, the timeline above.
pub(super) fn tender_body() -> Value {
    json!({
        "id": TENDER,
        "buyer": "city",
        "title": {"zh": "福州市政务云服务器采购", "en": "Fuzhou e-government cloud servers"},
        "description": {"zh": "采购服务器 40 台及三年维保。"},
        "category": "goods",
        "region": "CN-FJ",
        "procedure": "open",
        "value": {"amount": "1200000.00", "currency": "CNY"},
        "lots": [{"id": "lot-1", "title": {"zh": "服务器"}, "value": {"amount": "1200000.00", "currency": "CNY"}}],
        "documents": [{"sha256": hex(TENDER_DOC), "title": "招标文件"}],
        "enquiry_end": ts(ENQUIRY_END),
        "tender_end": ts(TENDER_END),
        "reveal_end": ts(REVEAL_END),
        "standstill_seconds": STANDSTILL,
        "amendment_notice_seconds": NOTICE,
        "award_criteria": "lowest_price",
    })
}

/// The weighted criteria of a scored tender: the price (30 %), technical (50 %), service
/// (20 %).
pub(super) fn criteria() -> Value {
    json!([
        {"id": "price", "title": {"zh": "价格", "en": "Price"}, "weight": 30, "price": true},
        {"id": "technical", "title": {"zh": "技术方案"}, "weight": 50},
        {"id": "service", "title": {"zh": "售后服务"}, "weight": 20},
    ])
}

/// The suppliers that bid, with their one-time keys, registered keys, prices and salts.
/// Beta's is the lowest price.
pub(super) const BIDDERS: [(&str, u8, u8, &str, u8); 3] = [
    ("acme", OT_ACME, ACME, "1000000.00", 0x11),
    ("beta", OT_BETA, BETA, "900000.00", 0x12),
    ("gamma", OT_GAMMA, GAMMA, "950000.00", 0x13),
];

/// The document of a supplier's bid, uploaded by the supplier.
pub(super) fn bid_doc(organisation: &str) -> u8 {
    match organisation {
        "acme" => 0xa1,
        "beta" => 0xb1,
        "gamma" => 0xc1,
        _ => NOBODY_DOC,
    }
}

/// The bid of a supplier in the tender, at `price` CNY, for lot-1, with its document.
pub(super) fn bid_value(organisation: &str, price: &str) -> Value {
    json!({
        "tender": TENDER,
        "lots": ["lot-1"],
        "bidder": organisation,
        "price": {"amount": price, "currency": "CNY"},
        "documents": [{"sha256": hex(bid_doc(organisation)), "title": "投标文件"}],
    })
}

/// A bid sealed with a salt of `salt` bytes: the bid, the salt and the commitment.
pub(super) fn seal(bid: Value, salt: u8) -> (Bid, Salt, String) {
    let bid = Bid::from_value(bid).expect("a bid");
    let salt = Salt([salt; 32]);
    let commitment = bid.commitment(&salt).to_hex();
    (bid, salt, commitment)
}

/// The sealed bid of one of `BIDDERS`.
pub(super) fn sealed(organisation: &str) -> (Bid, Salt, String) {
    let (_, _, _, price, salt) = bidder(organisation);
    seal(bid_value(organisation, price), salt)
}

/// The commitment of the bid of one of `BIDDERS`.
pub(super) fn commitment(organisation: &str) -> String {
    sealed(organisation).2
}

/// The body of the reveal of a sealed bid.
pub(super) fn reveal_body(sealed: &(Bid, Salt, String)) -> Value {
    json!({"commitment": sealed.2, "bid": sealed.0.to_value(), "salt": sealed.1.to_hex()})
}

fn bidder(organisation: &str) -> (&'static str, u8, u8, &'static str, u8) {
    BIDDERS
        .into_iter()
        .find(|b| b.0 == organisation)
        .expect("one of the bidders")
}

/// Where a tender is: each stage is the one before and one more thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    /// Published by city's officer at 0 (`active.enquiries`).
    Published,
    /// The scheduler's `active.tendering`, at 1000.
    Tendering,
    /// Acme, beta and gamma commit bids, at 1100, 1200, 1300.
    Bids,
    /// The scheduler's `opening`, at 2000.
    Opening,
    /// Acme and beta reveal, at 2100 and 2200; gamma's bid stays sealed.
    Revealed,
    /// The platform lapses gamma's bid, at 3000.
    Lapsed,
    /// The scheduler's `evaluation`, at 3001.
    Evaluation,
    /// Beta (the lowest price) is awarded `award-1`, at 3100; its standstill ends at 3200.
    Awarded,
    /// Beta and city sign `contract-1` at 900000.00 CNY, at 3200.
    Contracted,
    /// City records a payment of 400000.00 CNY, at 3300.
    Paid,
}

/// The directory, the tenders and the documents a batch's rules see, and the index the
/// next entry takes.
#[derive(Clone)]
pub(super) struct World {
    directory: Directory,
    tenders: HashMap<String, Option<TenderState>>,
    present: HashSet<StateKey>,
    uploads: HashSet<([u8; 32], String)>,
    public_documents: HashSet<[u8; 32]>,
    next: u64,
    now: i64,
}

/// What `judge` gives: the effects, or the refusal's category and message.
pub(super) type Judged = Result<Vec<Effect>, (Category, String)>;

/// Where a statement is refused: at intake (`check_body`) or by a rule (`decide`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    /// `check_body` (422 at intake).
    Body,
    /// `Refusal::Invalid` (422).
    Invalid,
    /// `Refusal::Forbidden` (403).
    Forbidden,
    /// `Refusal::Conflict` (409).
    Conflict,
    /// `Refusal::NotFound` (404).
    NotFound,
}

impl World {
    /// No tender yet. The directory: the platform (its key and an administrator); the
    /// buyers city (an officer, its administrator, a revoked officer, a supervisor's key)
    /// and town (an officer); the suppliers acme (a bidder representative and a clerk),
    /// beta and gamma; the supervisory body audit (a supervisor). Each organisation has
    /// uploaded its documents.
    pub(super) fn new() -> World {
        let mut directory = Directory::default();
        for (id, kind) in [
            ("platform", OrganisationKind::Platform),
            ("city", OrganisationKind::Buyer),
            ("town", OrganisationKind::Buyer),
            ("acme", OrganisationKind::Supplier),
            ("beta", OrganisationKind::Supplier),
            ("gamma", OrganisationKind::Supplier),
            ("audit", OrganisationKind::Supervisor),
        ] {
            directory.organisations.insert(id.into(), kind);
        }
        for (n, organisation, role, revoked) in [
            (PLATFORM, "platform", Role::Platform, false),
            (PLATFORM_ADMIN, "platform", Role::PlatformAdmin, false),
            (OFFICER, "city", Role::ProcurementOfficer, false),
            (CITY_ADMIN, "city", Role::OrganisationAdmin, false),
            (TOWN_OFFICER, "town", Role::ProcurementOfficer, false),
            (REVOKED, "city", Role::ProcurementOfficer, true),
            (CITY_SUPERVISOR, "city", Role::Supervisor, false),
            (ACME, "acme", Role::BidderRepresentative, false),
            (BETA, "beta", Role::BidderRepresentative, false),
            (GAMMA, "gamma", Role::BidderRepresentative, false),
            (ACME_ADMIN, "acme", Role::OrganisationAdmin, false),
            (ACME_CLERK, "acme", Role::ProcurementOfficer, false),
            (SUPERVISOR, "audit", Role::Supervisor, false),
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
        let uploads = [
            (TENDER_DOC, "city"),
            (REPORT, "city"),
            (CONTRACT_DOC, "city"),
            (ADDENDUM, "city"),
            (TOWN_DOC, "town"),
            (bid_doc("acme"), "acme"),
            (bid_doc("beta"), "beta"),
            (bid_doc("gamma"), "gamma"),
        ]
        .into_iter()
        .map(|(document, organisation)| ([document; 32], organisation.to_owned()))
        .collect();
        World {
            directory,
            tenders: HashMap::new(),
            present: HashSet::new(),
            uploads,
            public_documents: HashSet::new(),
            next: 1,
            now: 0,
        }
    }

    /// The tender (lowest price) at `stage`.
    pub(super) fn at(stage: Stage) -> World {
        World::of(tender_body(), stage)
    }

    /// The tender published with `body`, at `stage`. (Beyond `Evaluation`, the body must
    /// be a lowest-price tender's.)
    pub(super) fn of(body: Value, stage: Stage) -> World {
        let mut world = World::new().then(&TenderPublished, TENDER, body, &[OFFICER], 0, None);
        if stage >= Stage::Tendering {
            world = world.status("active.tendering", ENQUIRY_END);
        }
        if stage >= Stage::Bids {
            for (i, (organisation, ..)) in BIDDERS.into_iter().enumerate() {
                world = world.commit(organisation, 1_100 + 100 * i as i64);
            }
        }
        if stage >= Stage::Opening {
            world = world.status("opening", TENDER_END);
        }
        if stage >= Stage::Revealed {
            world = world.reveal("acme", 2_100).reveal("beta", 2_200);
        }
        if stage >= Stage::Lapsed {
            world = world.lapse("gamma", REVEAL_END);
        }
        if stage >= Stage::Evaluation {
            world = world.status("evaluation", REVEAL_END + 1);
        }
        if stage >= Stage::Awarded {
            world = world.then(
                &AwardMade,
                TENDER,
                json!({"commitment": commitment("beta"), "evaluation_report_sha256": hex(REPORT)}),
                &[OFFICER],
                AWARDED_AT,
                None,
            );
        }
        if stage >= Stage::Contracted {
            world = world.then(
                &ContractSigned,
                TENDER,
                json!({"award": "award-1", "value": {"amount": "900000.00", "currency": "CNY"}, "document_sha256": hex(CONTRACT_DOC)}),
                &[OFFICER, BETA],
                AWARDED_AT + STANDSTILL,
                None,
            );
        }
        if stage >= Stage::Paid {
            world = world.then(
                &PaymentRecorded,
                TENDER,
                json!({"contract": "contract-1", "amount": {"amount": "400000.00", "currency": "CNY"}, "reference": "INV-1"}),
                &[OFFICER],
                3_300,
                None,
            );
        }
        world
    }

    /// The index the next entry takes.
    pub(super) fn next(&self) -> u64 {
        self.next
    }

    /// The tender as it stands.
    pub(super) fn tender(&self) -> &TenderState {
        self.tenders
            .get(TENDER)
            .and_then(Option::as_ref)
            .expect("the tender")
    }

    /// The world after a statement the rules accept, its effects applied as the sequencer
    /// applies them; panics if it is refused (the fixture is wrong).
    pub(super) fn then(
        mut self,
        kind: &dyn Kind,
        subject: &str,
        body: Value,
        keys: &[u8],
        at: i64,
        author: Option<&str>,
    ) -> World {
        let effects = self
            .judge(kind, subject, body.clone(), keys, at, author)
            .unwrap_or_else(|refused| {
                panic!(
                    "the fixture's {} {body} is refused: {refused:?}",
                    kind.name()
                )
            });
        self.with_state(|state| {
            for effect in &effects {
                state.apply(effect);
            }
        });
        self.next += 1;
        self.now = at;
        self
    }

    /// The scheduler's transition to `to`, at `at`.
    pub(super) fn status(self, to: &str, at: i64) -> World {
        self.then(
            &TenderStatusChanged,
            TENDER,
            json!({"to": to}),
            &[PLATFORM],
            at,
            None,
        )
    }

    /// The bid of one of `BIDDERS`, committed under its one-time key from its account.
    pub(super) fn commit(self, organisation: &str, at: i64) -> World {
        let (_, one_time, ..) = bidder(organisation);
        self.commit_sealed(&commitment(organisation), one_time, organisation, at)
    }

    /// A commitment, under the one-time key `one_time`, from `author`'s account.
    pub(super) fn commit_sealed(
        self,
        commitment: &str,
        one_time: u8,
        author: &str,
        at: i64,
    ) -> World {
        self.then(
            &BidCommitted,
            TENDER,
            json!({"commitment": commitment}),
            &[one_time],
            at,
            Some(author),
        )
    }

    /// The reveal of the bid of one of `BIDDERS`.
    pub(super) fn reveal(self, organisation: &str, at: i64) -> World {
        let (_, one_time, registered, ..) = bidder(organisation);
        self.then(
            &BidRevealed,
            TENDER,
            reveal_body(&sealed(organisation)),
            &[one_time, registered],
            at,
            None,
        )
    }

    /// The platform's `bid.lapsed` of the bid of one of `BIDDERS`.
    pub(super) fn lapse(self, organisation: &str, at: i64) -> World {
        self.then(
            &BidLapsed,
            TENDER,
            json!({"commitment": commitment(organisation), "bidder": organisation}),
            &[PLATFORM],
            at,
            None,
        )
    }

    /// The buyer's `tender.cancelled`, at `at`.
    pub(super) fn cancel(self, at: i64) -> World {
        self.then(
            &TenderCancelled,
            TENDER,
            json!({"reason": "预算取消"}),
            &[OFFICER],
            at,
            None,
        )
    }

    /// The world with the tender changed directly: for states the kinds no longer make
    /// (bids logged before the platform kept their senders).
    pub(super) fn edit(mut self, change: impl FnOnce(&mut TenderState)) -> World {
        if let Some(Some(tender)) = self.tenders.get_mut(TENDER) {
            change(tender);
        }
        self
    }

    /// Runs `f` on the batch's state made of this world, and keeps what it changed.
    fn with_state<R>(&mut self, f: impl FnOnce(&mut State<'_>) -> R) -> R {
        let mut state = State {
            directory: &mut self.directory,
            present: std::mem::take(&mut self.present),
            procurement: Tenders {
                tenders: std::mem::take(&mut self.tenders),
                ..Tenders::default()
            },
            charity: Default::default(),
            uploads: std::mem::take(&mut self.uploads),
            public_documents: std::mem::take(&mut self.public_documents),
        };
        let result = f(&mut state);
        let State {
            present,
            procurement,
            uploads,
            public_documents,
            ..
        } = state;
        self.present = present;
        self.tenders = procurement.tenders;
        self.uploads = uploads;
        self.public_documents = public_documents;
        result
    }

    /// Judges a statement as the log does: the body's schema at intake (`check_body`),
    /// then, at the index the next entry takes and logged at `at`, the signers resolved
    /// against the directory (registered keys, and as many one-time keys as the kind
    /// accepts; a revoked key refused) and the kind's rules (`decide`), as
    /// `log::apply::decide` does. `author` is the organisation whose account sent it.
    pub(super) fn judge(
        &self,
        kind: &dyn Kind,
        subject: &str,
        body: Value,
        keys: &[u8],
        at: i64,
        author: Option<&str>,
    ) -> Judged {
        kind.check_body(&body)
            .map_err(|m| (Category::Body, m.text().to_owned()))?;
        let statement = Statement::from_value(json!({
            "kind": kind.name(),
            "subject": subject,
            "issued_at": ts(at),
            "body": body,
        }))
        .expect("a statement");
        let keys: Vec<[u8; 32]> = keys.iter().map(|n| key(*n)).collect();
        let refused = |refusal: Refusal| match refusal {
            Refusal::Invalid(m) => (Category::Invalid, m.text().to_owned()),
            Refusal::Forbidden(m) => (Category::Forbidden, m.text().to_owned()),
            Refusal::Conflict(m) => (Category::Conflict, m.text().to_owned()),
            Refusal::NotFound(m) => (Category::NotFound, m.text().to_owned()),
        };
        let mut world = self.clone();
        let index = world.next;
        world.with_state(|state| {
            let (signers, one_time_keys) = state
                .partition_signers(&keys, kind.one_time_keys())
                .map_err(refused)?;
            let ctx = Context {
                index,
                logged_at: t(at),
                one_time_keys,
                author: author.map(str::to_owned),
            };
            kind.decide(&statement, &signers, state, &ctx)
                .map_err(refused)
        })
    }
}

/// What a case expects.
#[derive(Debug)]
pub(super) enum Expect {
    /// Refused, in this category, with a message containing this.
    Refused(Category, String),
    /// Accepted, with this change to the statement's tender as its only effect.
    Accepted(Box<TenderChange>),
}

/// A statement, the world it is judged in, and what it should come to.
pub(super) struct Case<'w> {
    name: &'static str,
    world: &'w World,
    kind: &'static dyn Kind,
    subject: &'static str,
    body: Value,
    keys: Vec<u8>,
    at: Option<i64>,
    author: Option<&'static str>,
    expect: Option<Expect>,
}

/// A case named for what it checks: a statement of `kind` about the tender with `body`,
/// judged in `world`; by default unsigned, logged a second after the world's latest
/// entry, sent by no account.
pub(super) fn case<'w>(
    name: &'static str,
    world: &'w World,
    kind: &'static dyn Kind,
    body: Value,
) -> Case<'w> {
    Case {
        name,
        world,
        kind,
        subject: TENDER,
        body,
        keys: Vec::new(),
        at: None,
        author: None,
        expect: None,
    }
}

impl Case<'_> {
    /// Signed by the keys numbered `keys`.
    pub(super) fn signed(mut self, keys: &[u8]) -> Self {
        self.keys = keys.to_vec();
        self
    }

    /// Logged at `at`.
    pub(super) fn at(mut self, at: i64) -> Self {
        self.at = Some(at);
        self
    }

    /// Sent from an account of `organisation` (what the platform knows privately of a
    /// statement signed by a one-time key).
    pub(super) fn by(mut self, organisation: &'static str) -> Self {
        self.author = Some(organisation);
        self
    }

    /// Sent from no account (as every statement not signed by a one-time key alone).
    pub(super) fn by_nobody(mut self) -> Self {
        self.author = None;
        self
    }

    /// About `subject` rather than the tender.
    pub(super) fn subject(mut self, subject: &'static str) -> Self {
        self.subject = subject;
        self
    }

    /// `check_body` refuses it, saying `message`.
    pub(super) fn body(self, message: impl Into<String>) -> Self {
        self.expect(Expect::Refused(Category::Body, message.into()))
    }

    /// `decide` refuses it as invalid (422), saying `message`.
    pub(super) fn invalid(self, message: impl Into<String>) -> Self {
        self.expect(Expect::Refused(Category::Invalid, message.into()))
    }

    /// Refused as forbidden (403), saying `message`.
    pub(super) fn forbidden(self, message: impl Into<String>) -> Self {
        self.expect(Expect::Refused(Category::Forbidden, message.into()))
    }

    /// Refused as a conflict with the state (409), saying `message`.
    pub(super) fn conflict(self, message: impl Into<String>) -> Self {
        self.expect(Expect::Refused(Category::Conflict, message.into()))
    }

    /// Refused as naming what does not exist (404), saying `message`.
    pub(super) fn not_found(self, message: impl Into<String>) -> Self {
        self.expect(Expect::Refused(Category::NotFound, message.into()))
    }

    /// Accepted, with `change` to its tender.
    pub(super) fn accepted(self, change: TenderChange) -> Self {
        self.expect(Expect::Accepted(Box::new(change)))
    }

    fn expect(mut self, expect: Expect) -> Self {
        self.expect = Some(expect);
        self
    }
}

/// Judges every case and fails, at the end, listing each case that did not come to what
/// it expected: one failure does not hide the others.
pub(super) fn run(cases: Vec<Case<'_>>) {
    let mut failures = Vec::new();
    let mut names = HashSet::new();
    let total = cases.len();
    for case in cases {
        if !names.insert(case.name) {
            failures.push(format!("{}: two cases have this name", case.name));
        }
        let at = case.at.unwrap_or(case.world.now + 1);
        let got = case.world.judge(
            case.kind,
            case.subject,
            case.body,
            &case.keys,
            at,
            case.author,
        );
        let ok = match (&case.expect, &got) {
            (Some(Expect::Refused(category, fragment)), Err((got, message))) => {
                category == got && message.contains(fragment.as_str())
            }
            (Some(Expect::Accepted(change)), Ok(effects)) => {
                effects.as_slice()
                    == [Effect::Tender {
                        id: case.subject.to_owned(),
                        index: case.world.next,
                        at: t(at),
                        change: change.clone(),
                    }]
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got {got:?}",
                case.name, case.expect
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed: {failures:#?}",
        failures.len()
    );
}
