//! What the procurement kinds check again and again: the tender a statement names, its
//! buyer's officers, its bids, its documents, and the body's common fields.

use super::tender::{BidState, Periods, TenderChange, TenderState};
use crate::domain::rules::{Context, Effect, Refusal, Signer, State, StateKey};
pub(super) use crate::domain::rules::{bilingual, hash, hex_hash, money, money_value};
use crate::domain::said::Said;
use crate::domain::types::Role;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use vitrine_ledger::hash::Hash;
use vitrine_ledger::statement::Statement;

impl TenderState {
    /// The tender's periods; a stored tender always has them.
    pub(super) fn times(&self) -> Result<Periods, Refusal> {
        self.tender.periods().map_err(Refusal::Invalid)
    }
}

/// That there is no tender `id`.
pub fn unknown_tender(id: &str) -> Said {
    crate::said!(
        "tender.unknown",
        "tender {tender} does not exist",
        tender = id
    )
}

/// The bid of `tender` committed as `commitment` (a statement's `body.commitment`).
pub(super) fn named_bid<'t>(
    tender: &'t TenderState,
    commitment: &str,
) -> Result<&'t BidState, Refusal> {
    tender.bid(commitment).ok_or_else(|| {
        Refusal::NotFound(crate::said!(
            "bid.unknown",
            "tender {tender} has no bid {commitment}",
            tender = tender.id,
            commitment = commitment
        ))
    })
}

/// The tender, which must exist and not be over.
pub(super) fn open_tender<'s>(
    state: &'s State<'_>,
    statement: &Statement,
) -> Result<&'s TenderState, Refusal> {
    let tender = state
        .procurement
        .tenders
        .get(statement.subject())
        .and_then(Option::as_ref)
        .ok_or_else(|| Refusal::NotFound(unknown_tender(statement.subject())))?;
    if tender.status.is_final() {
        return Err(Refusal::Conflict(crate::said!(
            "tender.over",
            "tender {tender} is {status}",
            tender = tender.id,
            status = tender.status.as_str()
        )));
    }
    Ok(tender)
}

/// A buyer's officer: the buyer's procurement officer or administrator.
pub(super) fn buyer_officer(signers: &[Signer], tender: &TenderState) -> Result<(), Refusal> {
    if signers.iter().any(|s| {
        s.organisation == tender.buyer
            && matches!(s.role, Role::ProcurementOfficer | Role::OrganisationAdmin)
    }) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(crate::said!(
            "signer.buyer_officer",
            "needs a signature by a procurement officer of {buyer}, the tender's buyer",
            buyer = tender.buyer
        )))
    }
}

/// The state every procurement statement needs: its tender, which is its subject.
pub(super) fn tender_of(statement: &Statement) -> Vec<StateKey> {
    vec![StateKey::Tender(statement.subject().to_owned())]
}

/// The tender and the documents a statement names: every document must be uploaded
/// before a statement that makes it public is logged.
pub(super) fn tender_and(statement: &Statement, documents: &[[u8; 32]]) -> Vec<StateKey> {
    let mut keys = tender_of(statement);
    keys.extend(documents.iter().copied().map(StateKey::Blob));
    keys
}

/// The SHA-256 hashes named by an array of documents (`[{"sha256": …}, …]`) or by one
/// hash member; malformed hashes are left to `check_body`.
pub fn document_hashes(documents: &Value) -> Vec<[u8; 32]> {
    let hashes: Vec<&Value> = match documents {
        Value::Array(documents) => documents.iter().map(|d| &d["sha256"]).collect(),
        Value::String(_) => vec![documents],
        _ => Vec::new(),
    };
    hashes
        .into_iter()
        .filter_map(Value::as_str)
        .filter_map(|h| Hash::from_hex(h).ok().map(|h| h.0))
        .collect()
}

/// Refuses a statement whose documents are not all either public already or uploaded by
/// the organisation of one of its signers, naming the first that is not: a statement
/// makes public only what its signers hold. (The refusal reads the same whether or not
/// another organisation uploaded the content, so it tells nobody what others hold.)
pub(super) fn uploaded(
    state: &State<'_>,
    documents: &[[u8; 32]],
    what: &str,
    signers: &[Signer],
) -> Result<(), Refusal> {
    let Some(missing) = documents.iter().find(|h| !state.may_publish(h, signers)) else {
        return Ok(());
    };
    let document = vitrine_ledger::hash::hex_encode(missing);
    // One sentence for each thing a statement makes public, so that each is said whole.
    Err(Refusal::Conflict(match what {
        "the tender" => crate::said!(
            "document.not_uploaded_tender",
            "document {document} of the tender is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
            document = document
        ),
        "the amended tender" => crate::said!(
            "document.not_uploaded_amended",
            "document {document} of the amended tender is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
            document = document
        ),
        "the bid" => crate::said!(
            "document.not_uploaded_bid",
            "document {document} of the bid is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
            document = document
        ),
        "the contract" => crate::said!(
            "document.not_uploaded_contract",
            "document {document} of the contract is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
            document = document
        ),
        "the evaluation report" => crate::said!(
            "document.not_uploaded_report",
            "document {document} of the evaluation report is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again",
            document = document
        ),
        _ => format!(
            "document {document} of {what} is not uploaded by the signer's organisation: upload it (POST /api/v1/documents) and send the statement again"
        )
        .into(),
    }))
}

pub(super) fn change(ctx: &Context, tender: &str, change: TenderChange) -> Vec<Effect> {
    vec![Effect::Tender {
        id: tender.to_owned(),
        index: ctx.index,
        at: ctx.logged_at,
        change: Box::new(change),
    }]
}

pub(super) fn key_text(key: &[u8; 32]) -> String {
    BASE64.encode(key)
}

/// What a statement signed by a one-time key is, and why it is: the words of the refusal
/// when the key is missing.
pub(super) enum OneTime {
    /// A sealed bid, its withdrawal or its reveal.
    Bid,
    /// A question.
    Question,
}

/// The one-time key of a bid or a question: exactly one, and not a registered key.
pub(super) fn one_time_key(ctx: &Context, what: OneTime) -> Result<[u8; 32], Refusal> {
    match (ctx.one_time_keys.as_slice(), what) {
        ([key], _) => Ok(*key),
        ([], OneTime::Bid) => Err(Refusal::Forbidden(crate::said!(
            "signer.one_time_bid",
            "a bid is signed by a one-time key made for it, not by a registered key, so that who bid stays hidden until the deadline"
        ))),
        ([], OneTime::Question) => Err(Refusal::Forbidden(crate::said!(
            "signer.one_time_question",
            "a question is signed by a one-time key made for it, not by a registered key, so that the public does not learn who may bid"
        ))),
        (_, OneTime::Bid) => Err(Refusal::Forbidden(crate::said!(
            "signer.one_key_bid",
            "a bid has one one-time key"
        ))),
        (_, OneTime::Question) => Err(Refusal::Forbidden(crate::said!(
            "signer.one_key_question",
            "a question has one one-time key"
        ))),
    }
}
