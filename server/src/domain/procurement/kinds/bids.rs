//! Sealed bids: committed under a one-time key, withdrawn or replaced before the
//! deadline, revealed in the reveal window, lapsed after it, disqualified in evaluation.

use super::prelude::*;
use crate::domain::said::Said;

/// `bid.committed`: a sealed bid, signed by a one-time key.
pub struct BidCommitted;

impl Kind for BidCommitted {
    fn name(&self) -> &'static str {
        "bid.committed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A sealed bid. Signed by a one-time key made for it, from enquiry_end until tender_end, sent with a bidder representative's credentials. One standing bid per bidder organisation and tender: to change it, replace it.",
            &["commitment"],
            json!({"commitment": shape::commitment(), "replaces": shape::hex_hash("The commitment this bid replaces, committed by the same one-time key")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        BidCommittedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_of(statement)
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn anonymous(&self) -> bool {
        true
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !signers.is_empty() {
            return Err(Refusal::Forbidden(crate::said!(
                "signer.one_time_bid",
                "a bid is signed by a one-time key made for it, not by a registered key, so that who bid stays hidden until the deadline"
            )));
        }
        let key = one_time_key(ctx, OneTime::Bid)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at < periods.enquiry_end {
            return Err(Refusal::Conflict(crate::said!(
                "bid.before_enquiry_end",
                "tender {tender} accepts bids from {enquiry_end} (its enquiry period ends then); the log's time is {now}",
                tender = tender.id,
                enquiry_end = tender.tender.period_text("enquiry_end"),
                now = ctx.logged_at,
            )));
        }
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(crate::said!(
                "bid.after_deadline",
                "the deadline of tender {tender} passed at {deadline}; the bid was logged at {logged_at}",
                tender = tender.id,
                deadline = tender.tender.period_text("tender_end"),
                logged_at = ctx.logged_at,
            )));
        }
        let body = BidCommittedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let commitment = body.commitment;
        if tender.bid(&commitment).is_some() {
            return Err(Refusal::Conflict(crate::said!(
                "bid.commitment_taken",
                "commitment {commitment} is already a bid of tender {tender}",
                commitment = commitment,
                tender = tender.id,
            )));
        }
        // One standing bid per bidder: who sent it is known privately, from the account.
        let holder = ctx.author.clone().ok_or_else(|| {
            Refusal::Forbidden(crate::said!(
                "bid.needs_account",
                "a sealed bid is sent from a supplier's account"
            ))
        })?;
        let key_b64 = key_text(&key);
        let replaces = match body.replaces {
            None => {
                if tender.bids.iter().any(|b| {
                    b.status == BidStatus::Committed
                        && (b.key == key_b64 || b.holder.as_ref() == Some(&holder))
                }) {
                    // Said only to the sender, who knows its own bid; nothing is logged.
                    return Err(Refusal::Conflict(crate::said!(
                        "bid.already_standing",
                        "your organisation already has a standing bid in tender {tender}: replace it (body.replaces, signed by its one-time key) or withdraw it; one bid per bidder",
                        tender = tender.id,
                    )));
                }
                None
            }
            Some(old) => match tender.bid(&old) {
                Some(b)
                    if b.key == key_b64
                        && b.status == BidStatus::Committed
                        && b.holder.as_ref().is_none_or(|h| *h == holder) =>
                {
                    Some(old)
                }
                Some(b) if b.key != key_b64 || b.holder.as_ref().is_some_and(|h| *h != holder) => {
                    return Err(Refusal::Forbidden(crate::said!(
                        "bid.replace_not_yours",
                        "only the key that committed a bid can replace it"
                    )));
                }
                Some(_) => {
                    return Err(Refusal::Conflict(crate::said!(
                        "bid.not_standing",
                        "bid {commitment} no longer stands",
                        commitment = old,
                    )));
                }
                None => {
                    return Err(Refusal::NotFound(crate::said!(
                        "bid.unknown",
                        "tender {tender} has no bid {commitment}",
                        tender = tender.id,
                        commitment = old,
                    )));
                }
            },
        };
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::BidCommitted {
                bid: BidState {
                    commitment,
                    key: key_b64,
                    holder: Some(holder),
                    lapsed_idx: None,
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

/// The body of a `bid.committed`.
struct BidCommittedBody {
    /// The bid's commitment.
    commitment: String,
    /// The commitment of the bid it replaces, if it replaces one.
    replaces: Option<String>,
}

impl BidCommittedBody {
    /// Checks the body of a `bid.committed` and reads it.
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["commitment", "replaces"])?;
        let commitment = hex_hash(body, "commitment")?;
        let replaces = match body.get("replaces") {
            Some(_) => Some(hex_hash(body, "replaces")?),
            None => None,
        };
        Ok(BidCommittedBody {
            commitment,
            replaces,
        })
    }
}

/// `bid.withdrawn`: the one-time key withdraws its bid before the deadline.
pub struct BidWithdrawn;

impl Kind for BidWithdrawn {
    fn name(&self) -> &'static str {
        "bid.withdrawn"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Withdraws a bid before tender_end. Signed by its one-time key.",
            &["commitment"],
            json!({"commitment": shape::commitment()}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        BidWithdrawnBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_of(statement)
    }

    fn one_time_keys(&self) -> usize {
        1
    }

    fn anonymous(&self) -> bool {
        true
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        // A registered key beside the one-time key would say who bid before the deadline.
        if !signers.is_empty() {
            return Err(Refusal::Forbidden(crate::said!(
                "bid.withdrawal_one_time_key",
                "a withdrawal is signed by the bid's one-time key alone, so that who bid stays hidden until the deadline"
            )));
        }
        let key = one_time_key(ctx, OneTime::Bid)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at >= periods.tender_end {
            return Err(Refusal::Conflict(crate::said!(
                "bid.withdrawal_after_deadline",
                "the deadline of tender {tender} has passed: bids can no longer be withdrawn",
                tender = tender.id,
            )));
        }
        let commitment = BidWithdrawnBody::parse(statement.body())
            .map_err(Refusal::Invalid)?
            .commitment;
        let bid = named_bid(tender, &commitment)?;
        if bid.key != key_text(&key)
            || bid
                .holder
                .as_ref()
                .is_some_and(|h| ctx.author.as_ref() != Some(h))
        {
            return Err(Refusal::Forbidden(crate::said!(
                "bid.withdrawal_not_yours",
                "only the key that committed a bid, sent by the same organisation, can withdraw it"
            )));
        }
        if bid.status != BidStatus::Committed {
            return Err(Refusal::Conflict(crate::said!(
                "bid.not_standing",
                "bid {commitment} no longer stands",
                commitment = commitment,
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::BidWithdrawn {
                commitment,
                index: ctx.index,
            },
        ))
    }
}

/// The body of a `bid.withdrawn`.
struct BidWithdrawnBody {
    /// The commitment of the bid withdrawn.
    commitment: String,
}

impl BidWithdrawnBody {
    /// Checks the body of a `bid.withdrawn` and reads it.
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["commitment"])?;
        Ok(BidWithdrawnBody {
            commitment: hex_hash(body, "commitment")?,
        })
    }
}

/// `bid.lapsed`: once the reveal window has closed, the platform names the organisation
/// that sent a bid it never revealed.
pub struct BidLapsed;

impl Kind for BidLapsed {
    fn name(&self) -> &'static str {
        "bid.lapsed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Once the reveal window has closed, names the organisation that sent a bid still sealed (the platform alone knows it). Signed by the platform's scheduler, an entry per bid, before the tender leaves opening.",
            &["commitment", "bidder"],
            json!({"commitment": shape::hex_hash("The lapsed bid's commitment"), "bidder": shape::identifier()}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        BidLapsedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_of(statement)
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        if !signers.iter().any(|s| s.role == Role::Platform) {
            return Err(Refusal::Forbidden(crate::said!(
                "bid.lapse_by_platform",
                "a lapsed bid is attributed by the platform's key, which alone knows who sent it"
            )));
        }
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at < periods.reveal_end {
            return Err(Refusal::Conflict(crate::said!(
                "bid.lapse_before_reveal_end",
                "bids of tender {tender} lapse when its reveal window closes ({reveal_end}), not before",
                tender = tender.id,
                reveal_end = tender.tender.period_text("reveal_end"),
            )));
        }
        if tender.status != Status::Opening {
            return Err(Refusal::Conflict(crate::said!(
                "bid.lapse_not_opening",
                "tender {tender} is {status}: its reveal window closed, and what was sealed then has lapsed",
                tender = tender.id,
                status = tender.status.as_str(),
            )));
        }
        let BidLapsedBody { commitment, bidder } =
            BidLapsedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let bid = named_bid(tender, &commitment)?;
        if bid.status != BidStatus::Committed {
            return Err(Refusal::Conflict(crate::said!(
                "bid.not_sealed",
                "bid {commitment} is not sealed any more",
                commitment = commitment,
            )));
        }
        if bid.holder.as_deref() != Some(bidder.as_str()) {
            return Err(Refusal::Conflict(crate::said!(
                "bid.not_sent_by",
                "bid {commitment} was not sent by {bidder}",
                commitment = commitment,
                bidder = bidder,
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::BidLapsed {
                commitment,
                index: ctx.index,
            },
        ))
    }
}

/// The body of a `bid.lapsed`.
struct BidLapsedBody {
    /// The commitment of the bid that lapsed.
    commitment: String,
    /// The organisation that sent it.
    bidder: String,
}

impl BidLapsedBody {
    /// Checks the body of a `bid.lapsed` and reads it.
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["commitment", "bidder"])?;
        Ok(BidLapsedBody {
            commitment: hex_hash(body, "commitment")?,
            bidder: identifier(body, "bidder")?,
        })
    }
}

/// `bid.revealed`: after the deadline, the bid and its salt, signed by the one-time key
/// and by a registered key of the bidder.
pub struct BidRevealed;

impl Kind for BidRevealed {
    fn name(&self) -> &'static str {
        "bid.revealed"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Opens a bid in the reveal window. Signed by its one-time key and a registered key of the bidder; the bid's documents uploaded first.",
            &["commitment", "bid", "salt"],
            json!({
        "commitment": shape::commitment(),
        "bid": {"type": "object", "required": ["tender", "lots", "bidder", "price", "documents"], "properties": {"tender": {"type": "string"}, "lots": {"type": "array", "minItems": 1, "items": {"type": "string"}}, "bidder": shape::identifier(), "price": shape::money(), "documents": {"type": "array", "items": {"type": "object", "required": ["sha256"], "properties": {"sha256": shape::hex_hash("SHA-256 of the content")}}}}, "description": "The bid as committed: other members are committed to as well"},
        "salt": shape::hex_hash("The 32-byte salt, in hexadecimal")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        BidRevealedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        // A hint of what to fetch, read cheaply: the body is checked at intake and in
        // `decide`, not here.
        let documents = &statement.body()["bid"]["documents"];
        tender_and(statement, &document_hashes(documents))
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
        let key = one_time_key(ctx, OneTime::Bid)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at < periods.tender_end {
            return Err(Refusal::Conflict(crate::said!(
                "bid.reveal_before_deadline",
                "bids of tender {tender} are revealed after its deadline ({deadline}), not before",
                tender = tender.id,
                deadline = tender.tender.period_text("tender_end"),
            )));
        }
        if ctx.logged_at >= periods.reveal_end {
            return Err(Refusal::Conflict(crate::said!(
                "bid.reveal_window_closed",
                "the reveal window of tender {tender} closed at {reveal_end}",
                tender = tender.id,
                reveal_end = tender.tender.period_text("reveal_end"),
            )));
        }
        let body = BidRevealedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let commitment = body.commitment.to_hex();
        let stored = named_bid(tender, &commitment)?;
        if stored.key != key_text(&key) {
            return Err(Refusal::Forbidden(crate::said!(
                "bid.reveal_other_key",
                "the reveal must be signed by the one-time key that committed the bid"
            )));
        }
        if stored.status != BidStatus::Committed {
            return Err(Refusal::Conflict(crate::said!(
                "bid.reveal_not_sealed",
                "bid {commitment} cannot be revealed: it is {bid_status}",
                commitment = commitment,
                bid_status = stored.status.as_str(),
            )));
        }
        let bid = &body.bid;
        bid.check_reveal(&body.salt, &body.commitment).map_err(|_| {
            Refusal::Conflict(crate::said!(
                "bid.reveal_mismatch",
                "the bid and salt do not hash to the commitment: this is not the bid that was committed"
            ))
        })?;
        if bid.tender() != tender.id {
            return Err(Refusal::Conflict(crate::said!(
                "bid.reveal_other_tender",
                "the bid names tender {named}, not {tender}",
                named = bid.tender(),
                tender = tender.id,
            )));
        }
        if let Some(holder) = &stored.holder
            && *holder != bid.bidder()
        {
            return Err(Refusal::Forbidden(crate::said!(
                "bid.reveal_by_sender",
                "a bid is revealed by the organisation that sent it"
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
                Refusal::Forbidden(crate::said!(
                    "bid.reveal_needs_bidder",
                    "the reveal must also be signed by a registered key of {bidder}, the bidder the bid names",
                    bidder = bid.bidder(),
                ))
            })?;
        if state.directory.kind_of(&bidder.organisation) != Some(OrganisationKind::Supplier) {
            return Err(Refusal::Forbidden(crate::said!(
                "bid.not_supplier",
                "{organisation} is not a supplier",
                organisation = bidder.organisation,
            )));
        }
        if tender.bids.iter().any(|b| {
            b.revealed
                .as_ref()
                .is_some_and(|r| r.bidder == bidder.organisation)
        }) {
            return Err(Refusal::Conflict(crate::said!(
                "bid.already_revealed",
                "{bidder} has already revealed a bid in tender {tender}",
                bidder = bidder.organisation,
                tender = tender.id,
            )));
        }
        let lots = tender.tender.lot_ids();
        for lot in bid.lots() {
            if !lots.contains(lot) {
                return Err(Refusal::Conflict(crate::said!(
                    "bid.unknown_lot",
                    "the bid names lot {lot}, which tender {tender} does not have",
                    lot = lot,
                    tender = tender.id,
                )));
            }
        }
        // The bid's documents are uploaded by now, and they are the ones committed to.
        uploaded(state, &body.documents, "the bid", signers)?;
        let currency = bid.price().currency;
        if currency != tender.tender.currency() {
            // Both currencies quoted: three capital letters each (checked as money), so
            // the quotes are what `{:?}` wrote.
            return Err(Refusal::Conflict(crate::said!(
                "bid.other_currency",
                "the bid's price is in \"{currency}\", the tender's value in \"{tender_currency}\"",
                currency = currency,
                tender_currency = tender.tender.currency(),
            )));
        }
        let bid_value = bid.to_value();
        let price = bid_value["price"].clone();
        Ok(change(
            ctx,
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

/// The body of a `bid.revealed`.
struct BidRevealedBody {
    /// The bid's commitment.
    commitment: Hash,
    /// The bid as committed (its tender, lots, bidder, price, documents and more).
    bid: Bid,
    /// The salt it was committed with.
    salt: Salt,
    /// SHA-256 of each of the bid's documents.
    documents: Vec<[u8; 32]>,
}

impl BidRevealedBody {
    /// Checks the body of a `bid.revealed` and reads it.
    fn parse(body: &Value) -> Result<Self, Said> {
        only(body, &["commitment", "bid", "salt"])?;
        let commitment = hash(body, "commitment")?;
        let salt = Salt::from_hex(text(body, "salt")?).map_err(|e| {
            crate::said!(
                "body.invalid",
                "{field}: {why}",
                field = "body.salt",
                why = e
            )
        })?;
        let bid =
            Bid::from_value(body.get("bid").cloned().unwrap_or(Value::Null)).map_err(|e| {
                crate::said!(
                    "body.invalid",
                    "{field}: {why}",
                    field = "body.bid",
                    why = e
                )
            })?;
        Ok(BidRevealedBody {
            commitment,
            bid,
            salt,
            documents: document_hashes(&body["bid"]["documents"]),
        })
    }
}

/// `bid.disqualified`: the buyer disqualifies a revealed bid, with a reason.
pub struct BidDisqualified;

impl Kind for BidDisqualified {
    fn name(&self) -> &'static str {
        "bid.disqualified"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "Disqualifies a revealed bid during evaluation. Signed by the buyer's officer.",
            &["commitment", "reason"],
            json!({"commitment": shape::commitment(), "reason": shape::text(5_000, "Why")}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        BidDisqualifiedBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_of(statement)
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
            return Err(Refusal::Conflict(crate::said!(
                "bid.disqualify_not_in_evaluation",
                "bids are disqualified during evaluation; tender {tender} is {status}",
                tender = tender.id,
                status = tender.status.as_str(),
            )));
        }
        let BidDisqualifiedBody { commitment, reason } =
            BidDisqualifiedBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let bid = named_bid(tender, &commitment)?;
        if bid.status != BidStatus::Revealed {
            return Err(Refusal::Conflict(crate::said!(
                "bid.disqualify_not_revealed",
                "only a revealed bid can be disqualified; bid {commitment} is {bid_status}",
                commitment = commitment,
                bid_status = bid.status.as_str(),
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::BidDisqualified {
                commitment,
                reason: reason.to_owned(),
                index: ctx.index,
            },
        ))
    }
}

/// The body of a `bid.disqualified`.
struct BidDisqualifiedBody<'a> {
    /// The commitment of the bid disqualified.
    commitment: String,
    /// Why, at most 5,000 characters.
    reason: &'a str,
}

impl<'a> BidDisqualifiedBody<'a> {
    /// Checks the body of a `bid.disqualified` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["commitment", "reason"])?;
        Ok(BidDisqualifiedBody {
            commitment: hex_hash(body, "commitment")?,
            reason: bounded_text(body, "reason", 5_000)?,
        })
    }
}
