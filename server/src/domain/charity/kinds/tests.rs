//! The charity kinds judged as the sequencer judges them: each statement against the state
//! the ones before it left, its effects applied before the next.

use super::*;
use crate::domain::charity::fund::{
    Allocation, DisbursementStatus, DisclosureKind, FundChange, FundStatus,
};
use crate::domain::charity::projection::Funds;
use crate::domain::charity::{DueStatus, calendar};
use crate::domain::rules::{Context, Directory, Effect, KeyRecord, Kind, Refusal, State};
use crate::domain::types::{OrganisationKind, Role};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use std::collections::HashSet;
use vitrine_ledger::statement::Statement;
use vitrine_ledger::time::Timestamp;

// Keys, by the byte their secret key repeats.
const RELIEF_ADMIN: u8 = 30;
const OFFICER_A: u8 = 31;
const OFFICER_B: u8 = 32;
const OFFICER_C: u8 = 33;
/// An officer of relief the policy names, revoked after the fund was opened.
const OFFICER_D: u8 = 34;
/// Relief's bank feed: an officer's key the policy does not name.
const BANK_FEED: u8 = 35;
const SCHOOL_ADMIN: u8 = 40;
const SCHOOL_OFFICER: u8 = 41;
const HOSPITAL: u8 = 50;
const OUTSIDER: u8 = 70;
/// A key made for a person who receives a disbursement; not in the directory.
const PERSON: u8 = 60;
const EVIDENCE: u8 = 0xe5;
const REPORT: u8 = 0xe6;

const BASE: i64 = 1_798_761_600; // 2027-01-01T00:00:00Z

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix(BASE + s, 0).expect("a time")
}

fn key(n: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[n; 32])
        .verifying_key()
        .to_bytes()
}

fn b64(n: u8) -> String {
    BASE64.encode(key(n))
}

fn hex(byte: u8) -> String {
    format!("{byte:02x}").repeat(32)
}

fn cny(amount: &str) -> Value {
    json!({"amount": amount, "currency": "CNY"})
}

/// Where the refusal falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Body,
    Invalid,
    Forbidden,
    Conflict,
    NotFound,
}

type Judged = Result<Vec<Effect>, (Category, String)>;

/// The directory and the charity state, as the log has left them.
struct World {
    directory: Directory,
    funds: Funds,
    uploads: HashSet<([u8; 32], String)>,
    public_documents: HashSet<[u8; 32]>,
    next: u64,
    now: i64,
}

impl World {
    /// Two charities (relief, school), a hospital, an outsider; relief's evidence and
    /// report uploaded by relief.
    fn new() -> World {
        let mut directory = Directory::default();
        for (id, kind) in [
            ("relief", OrganisationKind::Charity),
            ("school", OrganisationKind::Charity),
            ("hospital", OrganisationKind::Buyer),
            ("outsider", OrganisationKind::Buyer),
        ] {
            directory.organisations.insert(id.into(), kind);
        }
        for (n, organisation, role) in [
            (RELIEF_ADMIN, "relief", Role::OrganisationAdmin),
            (OFFICER_A, "relief", Role::ProcurementOfficer),
            (OFFICER_B, "relief", Role::ProcurementOfficer),
            (OFFICER_C, "relief", Role::ProcurementOfficer),
            (OFFICER_D, "relief", Role::ProcurementOfficer),
            (BANK_FEED, "relief", Role::ProcurementOfficer),
            (SCHOOL_ADMIN, "school", Role::OrganisationAdmin),
            (SCHOOL_OFFICER, "school", Role::ProcurementOfficer),
            (HOSPITAL, "hospital", Role::OrganisationAdmin),
            (OUTSIDER, "outsider", Role::ProcurementOfficer),
        ] {
            directory.keys.insert(
                key(n),
                KeyRecord {
                    organisation: organisation.into(),
                    role,
                    revoked: false,
                },
            );
        }
        let uploads = [
            ([EVIDENCE; 32], "relief".to_owned()),
            ([REPORT; 32], "relief".to_owned()),
        ]
        .into_iter()
        .collect();
        World {
            directory,
            funds: Funds::default(),
            uploads,
            public_documents: HashSet::new(),
            next: 1,
            now: 0,
        }
    }

    /// Judges a statement at intake and by its rules, at the next index, a second after
    /// the last; applies its effects if it is accepted.
    fn run(&mut self, kind: &dyn Kind, subject: &str, body: Value, keys: &[u8]) -> Judged {
        kind.check_body(&body)
            .map_err(|m| (Category::Body, m.text().to_owned()))?;
        self.now += 1;
        let statement = Statement::from_value(json!({
            "kind": kind.name(),
            "subject": subject,
            "issued_at": t(self.now).to_string(),
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
        let index = self.next;
        let logged_at = t(self.now);
        let mut state = State {
            directory: &mut self.directory,
            present: HashSet::new(),
            procurement: Default::default(),
            charity: std::mem::take(&mut self.funds),
            uploads: std::mem::take(&mut self.uploads),
            public_documents: std::mem::take(&mut self.public_documents),
        };
        let judged = state
            .partition_signers(&keys, kind.one_time_keys())
            .and_then(|(signers, one_time_keys)| {
                let ctx = Context {
                    index,
                    logged_at,
                    one_time_keys,
                    author: None,
                };
                kind.decide(&statement, &signers, &state, &ctx)
            })
            .map_err(refused);
        if let Ok(effects) = &judged {
            for effect in effects {
                state.apply(effect);
            }
        }
        self.funds = std::mem::take(&mut state.charity);
        self.uploads = std::mem::take(&mut state.uploads);
        self.public_documents = std::mem::take(&mut state.public_documents);
        if judged.is_ok() {
            self.next += 1;
        }
        judged
    }

    /// Runs a statement that must be accepted.
    fn ok(&mut self, kind: &dyn Kind, subject: &str, body: Value, keys: &[u8]) -> Vec<Effect> {
        match self.run(kind, subject, body.clone(), keys) {
            Ok(effects) => effects,
            Err(refusal) => panic!("{} {body} was refused: {refusal:?}", kind.name()),
        }
    }

    /// Runs a statement that must be refused, in `category`, saying `words`; checks that
    /// nothing changed.
    fn refused(
        &mut self,
        kind: &dyn Kind,
        subject: &str,
        body: Value,
        keys: &[u8],
        category: Category,
        words: &str,
    ) {
        let before = format!("{:?}", self.funds.funds);
        let next = self.next;
        match self.run(kind, subject, body.clone(), keys) {
            Ok(_) => panic!(
                "{} {body} was accepted; expected {category:?} {words:?}",
                kind.name()
            ),
            Err((got, message)) => {
                assert_eq!(got, category, "{} {body}: {message}", kind.name());
                assert!(
                    message.contains(words),
                    "{} {body}: {message:?} does not say {words:?}",
                    kind.name()
                );
            }
        }
        assert_eq!(
            format!("{:?}", self.funds.funds),
            before,
            "a refusal changed nothing"
        );
        assert_eq!(self.next, next);
    }

    fn open(&mut self, fund: &str, policy: Value) {
        let charity = if fund.starts_with("school") {
            "school"
        } else {
            "relief"
        };
        let admin = if charity == "school" {
            SCHOOL_ADMIN
        } else {
            RELIEF_ADMIN
        };
        self.ok(&FundOpened, fund, fund_body(charity, policy), &[admin]);
    }

    fn donate(&mut self, fund: &str, amount: &str, reference: &str) {
        self.ok(
            &DonationRecorded,
            fund,
            donation(amount, reference),
            &[BANK_FEED],
        );
    }

    fn fund(&self, id: &str) -> &FundState {
        self.funds.get(id).expect("the fund")
    }

    fn disbursement(&self, fund: &str, seq: u32) -> &DisbursementState {
        self.funds
            .disbursement(fund, seq)
            .expect("the disbursement")
    }
}

use crate::domain::charity::fund::{DisbursementState, FundState};

fn fund_body(charity: &str, policy: Value) -> Value {
    json!({
        "charity": charity,
        "kind": "campaign",
        "purpose": {"zh": "甘肃地震救灾", "en": "Gansu earthquake relief"},
        "target": cny("1000000.00"),
        "start": t(0).to_string(),
        "end": t(86_400 * 240).to_string(),
        "policy": policy,
    })
}

/// Two of A, B, C, D; three above 10,000 CNY.
fn policy() -> Value {
    json!({
        "officers": [b64(OFFICER_A), b64(OFFICER_B), b64(OFFICER_C), b64(OFFICER_D)],
        "approvals": 2,
        "above": {"amount": cny("10000.00"), "approvals": 3},
    })
}

fn donation(amount: &str, reference: &str) -> Value {
    json!({
        "amount": cny(amount),
        "channel": "bank_transfer",
        "reference": reference,
        "received_at": t(0).to_string(),
        "donor": hex(0xd0),
        "named": false,
    })
}

fn proposal(amount: &str, recipient: Value) -> Value {
    json!({
        "amount": cny(amount),
        "recipient": recipient,
        "purpose": {"zh": "帐篷", "en": "Tents"},
        "evidence": [hex(EVIDENCE)],
    })
}

fn number(n: u32) -> Value {
    json!({ "disbursement": n })
}

fn executed(n: u32) -> Value {
    json!({"disbursement": n, "reference": format!("BANK-{n}")})
}

/// The allocations of the execution among `effects`.
fn allocations(effects: &[Effect]) -> Vec<(u64, i64)> {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Fund { change, .. } => match change.as_ref() {
                FundChange::Executed { allocations, .. } => Some(
                    allocations
                        .iter()
                        .map(|a: &Allocation| (a.donation, a.amount))
                        .collect(),
                ),
                _ => None,
            },
            _ => None,
        })
        .expect("an execution")
}

#[test]
fn a_fund_opens_with_its_policy_and_refuses_what_is_not_one() {
    let mut world = World::new();
    let fund = "quake-2027";
    for (body, category, words) in [
        (
            fund_body("hospital", policy()),
            Category::Conflict,
            "only a charity opens funds",
        ),
        (fund_body("nobody", policy()), Category::NotFound, "nobody"),
        (
            fund_body(
                "relief",
                json!({"officers": [b64(OFFICER_A)], "approvals": 2}),
            ),
            Category::Body,
            "body.policy.approvals must be a whole number from 1 to 1",
        ),
        (
            fund_body(
                "relief",
                json!({"officers": [b64(OFFICER_A), b64(OFFICER_A)], "approvals": 1}),
            ),
            Category::Body,
            "body.policy.officers[1] repeats a key",
        ),
        (
            fund_body(
                "relief",
                json!({"officers": [b64(OFFICER_A), b64(OUTSIDER)], "approvals": 1}),
            ),
            Category::Conflict,
            "body.policy.officers[1]: key",
        ),
        (
            fund_body(
                "relief",
                json!({"officers": [b64(OFFICER_A), b64(OFFICER_B)], "approvals": 1, "above": {"amount": cny("5.00"), "approvals": 1}}),
            ),
            Category::Body,
            "body.policy.above.approvals must be more than body.policy.approvals",
        ),
        (
            fund_body(
                "relief",
                json!({"officers": [b64(OFFICER_A)], "approvals": 1, "extra": 1}),
            ),
            Category::Body,
            "body.policy.extra is not part of this kind",
        ),
        (
            with(
                fund_body("relief", policy()),
                "end",
                json!(t(0).to_string()),
            ),
            Category::Body,
            "body.end must be after body.start",
        ),
    ] {
        world.refused(&FundOpened, fund, body, &[RELIEF_ADMIN], category, words);
    }
    // An officer is not the administrator.
    world.refused(
        &FundOpened,
        fund,
        fund_body("relief", policy()),
        &[OFFICER_A],
        Category::Forbidden,
        "administrator of relief",
    );
    world.refused(
        &FundOpened,
        "../x",
        fund_body("relief", policy()),
        &[RELIEF_ADMIN],
        Category::Invalid,
        "a fund's id",
    );
    world.open(fund, policy());
    let opened = world.fund(fund);
    assert_eq!(opened.charity, "relief");
    assert_eq!(opened.currency, "CNY");
    assert_eq!(opened.target, 1_000_000 * 10_000);
    assert_eq!(opened.policy.required(10_000 * 10_000), 2);
    assert_eq!(opened.policy.required(10_000 * 10_000 + 1), 3);
    world.refused(
        &FundOpened,
        fund,
        fund_body("relief", policy()),
        &[RELIEF_ADMIN],
        Category::Conflict,
        "exists already",
    );
}

fn with(mut value: Value, member: &str, new: Value) -> Value {
    value[member] = new;
    value
}

#[test]
fn donations_are_numbered_and_refused_when_they_are_not_the_funds() {
    let mut world = World::new();
    let fund = "quake";
    world.open(fund, policy());
    world.donate(fund, "100.00", "B-1");
    world.donate(fund, "0.01", "B-2");
    assert_eq!(world.fund(fund).balance, 1_000_100);
    assert_eq!(world.fund(fund).donations, 2);
    for (body, keys, category, words) in [
        (
            donation("5.00", "B-1"),
            BANK_FEED,
            Category::Conflict,
            "with reference B-1 already",
        ),
        (
            with(
                donation("5.00", "B-3"),
                "amount",
                json!({"amount": "5.00", "currency": "USD"}),
            ),
            BANK_FEED,
            Category::Conflict,
            "counts in CNY, not USD",
        ),
        (
            donation("0.00", "B-3"),
            BANK_FEED,
            Category::Body,
            "body.amount must be more than zero",
        ),
        (
            donation("100000000000001.00", "B-3"),
            BANK_FEED,
            Category::Body,
            "body.amount must be at most",
        ),
        (
            with(donation("5.00", "B-3"), "channel", json!("fund")),
            BANK_FEED,
            Category::Body,
            "body.channel must be one of",
        ),
        (
            with(
                donation("5.00", "B-3"),
                "received_at",
                json!(t(10_000).to_string()),
            ),
            BANK_FEED,
            Category::Conflict,
            "later than the log's time",
        ),
        (
            donation("5.00", "B-3"),
            OUTSIDER,
            Category::Forbidden,
            "an officer of relief",
        ),
        (
            donation("5.00", "B-3"),
            SCHOOL_OFFICER,
            Category::Forbidden,
            "an officer of relief",
        ),
    ] {
        world.refused(&DonationRecorded, fund, body, &[keys], category, words);
    }
    let anonymous = json!({"amount": cny("3.00"), "channel": "cash", "reference": "box-1", "received_at": t(0).to_string(), "named": true});
    world.refused(
        &DonationRecorded,
        fund,
        anonymous.clone(),
        &[BANK_FEED],
        Category::Body,
        "an anonymous donor is not named",
    );
    world.ok(
        &DonationRecorded,
        fund,
        with(anonymous, "named", json!(false)),
        &[BANK_FEED],
    );
    world.refused(
        &DonationRecorded,
        "no-such-fund",
        donation("1.00", "X"),
        &[BANK_FEED],
        Category::NotFound,
        "fund no-such-fund does not exist",
    );
}

#[test]
fn a_disbursement_needs_its_approvals_by_active_officers_once_each() {
    let mut world = World::new();
    let fund = "quake";
    world.open(fund, policy());
    world.donate(fund, "50000.00", "B-1");
    let hospital = json!({"organisation": "hospital"});
    // Not an officer of the policy (the bank feed's key is relief's, but not named).
    world.refused(
        &DisbursementProposed,
        fund,
        proposal("100.00", hospital.clone()),
        &[BANK_FEED],
        Category::Forbidden,
        "is not one of the officers",
    );
    world.refused(
        &DisbursementProposed,
        fund,
        proposal("100.00", json!({"organisation": "nowhere"})),
        &[OFFICER_A],
        Category::NotFound,
        "nowhere",
    );
    world.refused(
        &DisbursementProposed,
        fund,
        with(
            proposal("100.00", hospital.clone()),
            "evidence",
            json!([hex(0x99)]),
        ),
        &[OFFICER_A],
        Category::Conflict,
        "is not uploaded by the signer's organisation",
    );
    // 1: 2 of 4 (A proposes, B approves); 2: above 10,000, 3 needed.
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("8000.00", hospital.clone()),
        &[OFFICER_A],
    );
    assert_eq!(world.disbursement(fund, 1).required, 2);
    assert_eq!(
        world.disbursement(fund, 1).status,
        DisbursementStatus::Proposed
    );
    world.refused(
        &DisbursementExecuted,
        fund,
        executed(1),
        &[OFFICER_A],
        Category::Conflict,
        "needs 2 approvals by officers whose keys are active; it has 1",
    );
    world.refused(
        &DisbursementApproved,
        fund,
        number(1),
        &[OFFICER_A],
        Category::Conflict,
        "approved disbursement 1 already",
    );
    world.refused(
        &DisbursementApproved,
        fund,
        number(1),
        &[OFFICER_B, OFFICER_B],
        Category::Forbidden,
        "signs twice",
    );
    world.refused(
        &DisbursementApproved,
        fund,
        number(1),
        &[OUTSIDER],
        Category::Forbidden,
        "is not one of the officers",
    );
    world.refused(
        &DisbursementApproved,
        fund,
        number(9),
        &[OFFICER_B],
        Category::NotFound,
        "fund quake has no disbursement 9",
    );
    world.ok(&DisbursementApproved, fund, number(1), &[OFFICER_B]);
    assert_eq!(
        world.disbursement(fund, 1).status,
        DisbursementStatus::Approved
    );
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("20000.00", hospital.clone()),
        &[OFFICER_A, OFFICER_D],
    );
    assert_eq!(world.disbursement(fund, 2).required, 3);
    world.ok(&DisbursementApproved, fund, number(2), &[OFFICER_C]);
    assert_eq!(
        world.disbursement(fund, 2).status,
        DisbursementStatus::Approved
    );
    // D's key is revoked: its approval no longer counts, and it can approve nothing more.
    world
        .directory
        .keys
        .get_mut(&key(OFFICER_D))
        .unwrap()
        .revoked = true;
    world.refused(
        &DisbursementExecuted,
        fund,
        executed(2),
        &[OFFICER_A],
        Category::Conflict,
        "needs 3 approvals by officers whose keys are active; it has 2",
    );
    world.refused(
        &DisbursementApproved,
        fund,
        number(1),
        &[OFFICER_D],
        Category::Forbidden,
        "was revoked",
    );
    world.ok(&DisbursementApproved, fund, number(2), &[OFFICER_B]);
    world.ok(&DisbursementExecuted, fund, executed(2), &[OFFICER_C]);
    world.ok(&DisbursementExecuted, fund, executed(1), &[OFFICER_A]);
    world.refused(
        &DisbursementExecuted,
        fund,
        executed(1),
        &[OFFICER_A],
        Category::Conflict,
        "was executed already",
    );
    world.refused(
        &DisbursementApproved,
        fund,
        number(1),
        &[OFFICER_C],
        Category::Conflict,
        "was executed already",
    );
    assert_eq!(world.fund(fund).balance, 22_000 * 10_000);
    assert_eq!(world.fund(fund).disbursed, 28_000 * 10_000);
}

#[test]
fn the_balance_never_goes_below_zero_at_any_point_of_the_log() {
    let mut world = World::new();
    let fund = "quake";
    world.open(fund, json!({"officers": [b64(OFFICER_A)], "approvals": 1}));
    let hospital = json!({"organisation": "hospital"});
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("100.00", hospital.clone()),
        &[OFFICER_A],
    );
    world.refused(
        &DisbursementExecuted,
        fund,
        executed(1),
        &[OFFICER_A],
        Category::Conflict,
        "fund quake holds 0.00 CNY at this point of the log: disbursement 1 of 100.00 would take it below zero",
    );
    world.donate(fund, "99.99", "B-1");
    world.refused(
        &DisbursementExecuted,
        fund,
        executed(1),
        &[OFFICER_A],
        Category::Conflict,
        "holds 99.99 CNY",
    );
    world.donate(fund, "0.01", "B-2");
    let effects = world.ok(&DisbursementExecuted, fund, executed(1), &[OFFICER_A]);
    assert_eq!(allocations(&effects), [(1, 999_900), (2, 100)]);
    assert_eq!(world.fund(fund).balance, 0);
    // A second disbursement proposed and approved before the first was paid cannot
    // spend the same money.
    world.donate(fund, "50.00", "B-3");
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("50.00", hospital.clone()),
        &[OFFICER_A],
    );
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("50.00", hospital),
        &[OFFICER_A],
    );
    world.ok(&DisbursementExecuted, fund, executed(3), &[OFFICER_A]);
    world.refused(
        &DisbursementExecuted,
        fund,
        executed(2),
        &[OFFICER_A],
        Category::Conflict,
        "holds 0.00 CNY",
    );
}

#[test]
fn donations_go_to_disbursements_first_in_first_out_to_the_fen() {
    let mut world = World::new();
    let fund = "quake";
    world.open(fund, json!({"officers": [b64(OFFICER_A)], "approvals": 1}));
    // 40 donations of 1.01 .. 40.40 (the nth is n × 1.01), and disbursements of 7.77,
    // 100.00, 0.01, 300.00 executed in the order 2, 1, 4, 3.
    let mut left: Vec<(u64, i64)> = Vec::new();
    for n in 1..=40u64 {
        let units = n as i64 * 10_100;
        world.donate(fund, &super::super::money::amount(units), &format!("B-{n}"));
        left.push((n, units));
    }
    let hospital = json!({"organisation": "hospital"});
    for amount in ["7.77", "100.00", "0.01", "300.00"] {
        world.ok(
            &DisbursementProposed,
            fund,
            proposal(amount, hospital.clone()),
            &[OFFICER_A],
        );
    }
    let mut taken_total = 0;
    for seq in [2u32, 1, 4, 3] {
        let amount = world.disbursement(fund, seq).amount;
        let effects = world.ok(&DisbursementExecuted, fund, executed(seq), &[OFFICER_A]);
        // Recomputed here by the rule as documented: oldest with money left first.
        let mut expected = Vec::new();
        let mut wanted = amount;
        for (donation, units) in left.iter_mut() {
            if wanted == 0 {
                break;
            }
            if *units == 0 {
                continue;
            }
            let take = wanted.min(*units);
            *units -= take;
            wanted -= take;
            expected.push((*donation, take));
        }
        assert_eq!(allocations(&effects), expected, "disbursement {seq}");
        taken_total += amount;
    }
    let received: i64 = (1..=40).map(|n| n * 10_100).sum();
    assert_eq!(world.fund(fund).balance, received - taken_total);
    assert_eq!(world.fund(fund).disbursed, 4_077_800);
    let queue_left: i64 = world
        .funds
        .queue(fund)
        .unwrap()
        .head
        .iter()
        .map(|q| q.1)
        .sum();
    assert_eq!(queue_left, world.fund(fund).balance);
}

#[test]
fn a_transfer_to_another_fund_is_a_donation_there() {
    let mut world = World::new();
    world.open(
        "quake",
        json!({"officers": [b64(OFFICER_A)], "approvals": 1}),
    );
    world.open(
        "school-rebuild",
        json!({"officers": [b64(SCHOOL_OFFICER)], "approvals": 1}),
    );
    world.donate("quake", "300.00", "B-1");
    world.refused(
        &DisbursementProposed,
        "quake",
        proposal("1.00", json!({"fund": "quake"})),
        &[OFFICER_A],
        Category::Conflict,
        "cannot pay itself",
    );
    world.ok(
        &DisbursementProposed,
        "quake",
        proposal("120.50", json!({"fund": "school-rebuild"})),
        &[OFFICER_A],
    );
    let effects = world.ok(&DisbursementExecuted, "quake", executed(1), &[OFFICER_A]);
    assert_eq!(effects.len(), 2);
    let school = world.fund("school-rebuild");
    assert_eq!(school.balance, 1_205_000);
    assert_eq!(school.donations, 1);
    assert_eq!(
        world
            .disbursement("quake", 1)
            .executed
            .as_ref()
            .unwrap()
            .donation,
        Some(1)
    );
    // The school's officer acknowledges; relief's cannot.
    world.refused(
        &DisbursementAcknowledged,
        "quake",
        number(1),
        &[OFFICER_A],
        Category::Forbidden,
        "acknowledged by its recipient, school-rebuild",
    );
    world.ok(
        &DisbursementAcknowledged,
        "quake",
        number(1),
        &[SCHOOL_OFFICER],
    );
    // The school spends the transfer first in, first out like any donation.
    world.ok(
        &DisbursementProposed,
        "school-rebuild",
        proposal("20.00", json!({"organisation": "hospital"})),
        &[SCHOOL_OFFICER],
    );
    let effects = world.ok(
        &DisbursementExecuted,
        "school-rebuild",
        executed(1),
        &[SCHOOL_OFFICER],
    );
    assert_eq!(allocations(&effects), [(1, 200_000)]);
}

#[test]
fn only_the_named_recipient_acknowledges_once_after_payment() {
    let mut world = World::new();
    let fund = "quake";
    world.open(fund, json!({"officers": [b64(OFFICER_A)], "approvals": 1}));
    world.donate(fund, "100.00", "B-1");
    let person = json!({"person": hex(0xab), "key": b64(PERSON)});
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("10.00", person),
        &[OFFICER_A],
    );
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("10.00", json!({"organisation": "hospital"})),
        &[OFFICER_A],
    );
    world.refused(
        &DisbursementAcknowledged,
        fund,
        number(1),
        &[PERSON],
        Category::Conflict,
        "is approved: it is acknowledged once executed",
    );
    world.ok(&DisbursementExecuted, fund, executed(1), &[OFFICER_A]);
    world.ok(&DisbursementExecuted, fund, executed(2), &[OFFICER_A]);
    // Relief's officer, a key made for someone else, an outsider, the person's key on the
    // hospital's disbursement.
    for (n, keys) in [(1, OFFICER_A), (1, 160), (2, OUTSIDER), (2, PERSON)] {
        world.refused(
            &DisbursementAcknowledged,
            fund,
            number(n),
            &[keys],
            Category::Forbidden,
            "acknowledged by its recipient",
        );
    }
    world.ok(&DisbursementAcknowledged, fund, number(1), &[PERSON]);
    world.ok(&DisbursementAcknowledged, fund, number(2), &[HOSPITAL]);
    world.refused(
        &DisbursementAcknowledged,
        fund,
        number(2),
        &[HOSPITAL],
        Category::Conflict,
        "was acknowledged already",
    );
    // A person's key must be made for them, not a registered one.
    world.refused(
        &DisbursementProposed,
        fund,
        proposal("1.00", json!({"person": hex(0xab), "key": b64(HOSPITAL)})),
        &[OFFICER_A],
        Category::Conflict,
        "is a registered key",
    );
}

#[test]
fn a_closed_fund_takes_nothing_but_its_disclosures() {
    let mut world = World::new();
    let fund = "quake";
    world.open(fund, json!({"officers": [b64(OFFICER_A)], "approvals": 1}));
    world.donate(fund, "100.00", "B-1");
    world.ok(
        &DisbursementProposed,
        fund,
        proposal("10.00", json!({"organisation": "hospital"})),
        &[OFFICER_A],
    );
    world.refused(
        &FundClosed,
        fund,
        json!({"reason": "done"}),
        &[BANK_FEED],
        Category::Forbidden,
        "administrator of relief or an officer",
    );
    world.ok(
        &FundClosed,
        fund,
        json!({"reason": "the campaign ended"}),
        &[OFFICER_A],
    );
    assert_eq!(world.fund(fund).status, FundStatus::Closed);
    for (kind, body) in [
        (&DonationRecorded as &dyn Kind, donation("1.00", "B-2")),
        (
            &DisbursementProposed,
            proposal("1.00", json!({"organisation": "hospital"})),
        ),
        (&DisbursementApproved, number(1)),
        (&DisbursementExecuted, executed(1)),
        (&FundClosed, json!({"reason": "again"})),
    ] {
        let keys = if kind.name() == "donation.recorded" {
            BANK_FEED
        } else {
            OFFICER_A
        };
        world.refused(
            kind,
            fund,
            body,
            &[keys],
            Category::Conflict,
            "fund quake is closed",
        );
    }
    world.refused(
        &FundDisclosed,
        fund,
        json!({"kind": "leftover", "document_sha256": hex(0x99)}),
        &[OFFICER_A],
        Category::Conflict,
        "is not uploaded",
    );
    world.ok(
        &FundDisclosed,
        fund,
        json!({"kind": "leftover", "document_sha256": hex(REPORT)}),
        &[OFFICER_A],
    );
    assert_eq!(world.fund(fund).disclosures.len(), 1);
    assert_eq!(
        world.fund(fund).disclosures[0].kind,
        DisclosureKind::Leftover
    );
}

#[test]
fn the_disclosure_calendar_follows_the_funds_period() {
    let mut world = World::new();
    let fund = "quake";
    // 240 days from 2027-01-01: periodic by 04-01 and 07-01 (before the end, 08-29), final
    // and leftover by 11-29.
    world.open(fund, json!({"officers": [b64(OFFICER_A)], "approvals": 1}));
    world.donate(fund, "100.00", "B-1");
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let due = calendar(world.fund(fund), at("2027-02-01T00:00:00Z"));
    let kinds: Vec<(DisclosureKind, &str, DueStatus)> = due
        .iter()
        .map(|d| (d.kind, d.by.as_str(), d.status))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                DisclosureKind::Periodic,
                "2027-04-01T00:00:00Z",
                DueStatus::Upcoming
            ),
            (
                DisclosureKind::Periodic,
                "2027-07-01T00:00:00Z",
                DueStatus::Upcoming
            ),
            (
                DisclosureKind::Final,
                "2027-11-29T00:00:00Z",
                DueStatus::Upcoming
            ),
        ]
    );
    world.ok(
        &FundDisclosed,
        fund,
        json!({"kind": "periodic", "document_sha256": hex(REPORT)}),
        &[OFFICER_A],
    );
    let due = calendar(world.fund(fund), at("2027-12-01T00:00:00Z"));
    let statuses: Vec<(DisclosureKind, DueStatus)> =
        due.iter().map(|d| (d.kind, d.status)).collect();
    assert_eq!(
        statuses,
        [
            (DisclosureKind::Periodic, DueStatus::Done),
            (DisclosureKind::Periodic, DueStatus::Overdue),
            (DisclosureKind::Final, DueStatus::Overdue),
            (DisclosureKind::Leftover, DueStatus::Overdue),
        ]
    );
    assert_eq!(
        crate::domain::charity::overdue(world.fund(fund), at("2027-12-01T00:00:00Z")).len(),
        3
    );
}

#[test]
fn the_leftover_owed_is_what_was_left_at_the_end() {
    let mut world = World::new();
    let policy = || json!({"officers": [b64(OFFICER_A)], "approvals": 1});
    // quake holds 100.00 at its end and pays it all out the day after; later-relief is
    // empty at its end and receives money after it.
    world.open("quake", policy());
    world.open("later-relief", policy());
    world.open("exact", policy());
    world.open("closed-early", policy());
    world.donate("quake", "100.00", "B-1");
    // closed-early closes long before its end, holding 2.00: that is what is left.
    world.donate("closed-early", "2.00", "B-3");
    world.ok(
        &FundClosed,
        "closed-early",
        json!({"reason": "merged"}),
        &[OFFICER_A],
    );
    assert_eq!(world.fund("closed-early").left_at_end, Some(20_000));
    world.ok(
        &DisbursementProposed,
        "quake",
        proposal("100.00", json!({"organisation": "hospital"})),
        &[OFFICER_A],
    );
    assert_eq!(
        world.fund("quake").left(),
        1_000_000,
        "until the end: the balance"
    );
    // A gift logged at the very end (the next statement's time) comes after it.
    world.now = 86_400 * 240 - 1;
    world.donate("exact", "3.00", "B-4");
    assert_eq!(
        (world.fund("exact").balance, world.fund("exact").left_at_end),
        (30_000, Some(0))
    );
    world.now = 86_400 * 241;
    world.ok(&DisbursementExecuted, "quake", executed(1), &[OFFICER_A]);
    world.donate("later-relief", "5.00", "B-2");
    let (quake, later) = (world.fund("quake"), world.fund("later-relief"));
    assert_eq!((quake.balance, quake.left_at_end), (0, Some(1_000_000)));
    assert_eq!((later.balance, later.left_at_end), (50_000, Some(0)));
    let now = chrono::DateTime::parse_from_rfc3339("2027-12-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let owed = |fund: &FundState| {
        calendar(fund, now)
            .into_iter()
            .map(|d| (d.kind, d.status))
            .collect::<Vec<_>>()
    };
    assert!(
        owed(quake).contains(&(DisclosureKind::Leftover, DueStatus::Overdue)),
        "spent after its end, it still owes the leftover: {:?}",
        owed(quake)
    );
    assert!(
        !owed(later).iter().any(|d| d.0 == DisclosureKind::Leftover),
        "empty at its end: {:?}",
        owed(later)
    );
    let early = world.fund("closed-early");
    assert!(
        owed(early).contains(&(DisclosureKind::Leftover, DueStatus::Overdue)),
        "{:?}",
        owed(early)
    );
}
