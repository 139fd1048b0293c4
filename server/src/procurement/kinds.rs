//! The procurement statement kinds: who may sign each, and the rules each must satisfy
//! against the tender's state.

use super::*;

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

    fn check_body(&self, body: &Value) -> Result<(), String> {
        let problems = tender_problems(body);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_and(statement, &document_hashes(&statement.body()["documents"]))
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
            enquiries: Vec::new(),
            amendments: Vec::new(),
            complaints: Vec::new(),
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
        uploaded(
            state,
            &document_hashes(&body["documents"]),
            "the tender",
            signers,
        )?;
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

/// Everything wrong with the body of a `tender.published` (a draft's, say), each problem
/// once: a draft lists them all, a refused statement names them all.
pub fn tender_problems(body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut note = |result: Result<(), String>| {
        if let Err(e) = result {
            problems.push(e);
        }
    };
    if !body.is_object() {
        return vec!["the body must be a JSON object".into()];
    }
    note(only(body, &TENDER_FIELDS));
    note(identifier(body, "id").and_then(|id| {
        if ocid(&id) {
            Ok(())
        } else {
            Err(format!(
                "body.id {id:?} must be an OCDS ocid: \"ocds-\", the publisher's six-character prefix, \"-\", then the tender's own id"
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
            Err("body.category must be goods, works or services".into())
        }
    }));
    note(bounded_text(body, "region", 64).map(drop));
    let procedure = text(body, "procedure").ok();
    note(match procedure {
        Some("open" | "selective" | "competitive_negotiation" | "single_source") => Ok(()),
        _ => Err(
            "body.procedure must be open, selective, competitive_negotiation or single_source"
                .into(),
        ),
    });
    if procedure == Some("single_source") {
        note(bounded_text(body, "justification", 5_000).map(drop).map_err(|_| {
            "body.justification is required of a single-source procedure (why no competition)"
                .to_owned()
        }));
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
                note(only(lot, &["id", "title", "value"]).map_err(|e| format!("lot {i}: {e}")));
                let id = match identifier(lot, "id") {
                    Ok(id) => id,
                    Err(e) => {
                        note(Err(format!("body.lots[{i}]: {e}")));
                        format!("#{i}")
                    }
                };
                if !ids.insert(id.clone()) {
                    note(Err(format!("body.lots: lot {id} appears twice")));
                }
                note(
                    bilingual(lot, "title", 300)
                        .map(drop)
                        .map_err(|e| format!("lot {id}: {e}")),
                );
                match money(lot, "value") {
                    Ok(lot_value) => {
                        if let Some(currency) = &currency
                            && lot_value.currency != *currency
                        {
                            note(Err(format!(
                                "lot {id}: its value is in {} but the tender's is in {currency}",
                                lot_value.currency
                            )));
                        }
                    }
                    Err(e) => note(Err(format!("lot {id}: {e}"))),
                }
            }
        }
        Some(Value::Array(_)) => note(Err("body.lots must hold 1 to 100 lots".into())),
        _ => note(Err("body.lots must be a non-empty array of lots".into())),
    }
    match body.get("documents") {
        Some(Value::Array(documents)) if documents.len() <= 200 => {
            let mut seen = HashSet::new();
            for (i, document) in documents.iter().enumerate() {
                if let Some(hash) = document["sha256"].as_str()
                    && !seen.insert(hash)
                {
                    note(Err(format!(
                        "body.documents[{i}]: document {hash} is listed twice"
                    )));
                }
                note(
                    only(document, &["sha256", "title"])
                        .map_err(|e| format!("body.documents[{i}]: {e}")),
                );
                note(
                    hex_hash(document, "sha256")
                        .map(drop)
                        .map_err(|e| format!("body.documents[{i}]: {e}")),
                );
                note(
                    bounded_text(document, "title", 300)
                        .map(drop)
                        .map_err(|e| format!("body.documents[{i}]: {e}")),
                );
            }
        }
        _ => note(Err(
            "body.documents must be an array of at most 200 documents".into(),
        )),
    }
    if let Err(periods) = Periods::problems(body) {
        periods.into_iter().for_each(|p| note(Err(p)));
    }
    if body
        .get("amendment_notice_seconds")
        .and_then(Value::as_u64)
        .is_none_or(|s| s > 90 * 86_400)
    {
        note(Err("body.amendment_notice_seconds must be an integer from 0 to 7776000 (90 days): how long before the deadline a change to documents, value, lots or criteria must come (15 days in Chinese government procurement)".into()));
    }
    let award_criteria = text(body, "award_criteria").ok();
    if !matches!(award_criteria, Some("lowest_price" | "scored")) {
        note(Err(
            "body.award_criteria must be lowest_price or scored".into()
        ));
    }
    if body.get("criteria").is_some() {
        if award_criteria == Some("scored") {
            note(criteria(body).map(drop));
        } else {
            note(Err("body.criteria applies to scored tenders only".into()));
        }
    }
    problems
}

/// Whether `id` has the shape of an OCDS ocid: `ocds-`, a six-character prefix, `-`, more.
pub fn ocid(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("ocds-") else {
        return false;
    };
    let (prefix, local) = rest.split_at(rest.len().min(6));
    prefix.len() == 6
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && local.len() > 1
        && local.starts_with('-')
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
        // A bid still sealed when the reveal window closes is first attributed to its
        // sender (`bid.lapsed`): withholding a bid is as visible as forfeiting a bid
        // security. Only bids whose sender is not known (logged before the platform kept
        // it) lapse with the transition alone.
        if matches!(to, Status::Evaluation | Status::Unsuccessful)
            && let Some((commitment, _)) = tender.lapsing().first()
        {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} of tender {} is still sealed: log its bid.lapsed first",
                tender.id
            )));
        }
        match tender.due_transition(ctx.logged_at) {
            Some((due, reason)) if due == to => Ok(change(
                ctx,
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
        // One standing bid per bidder: who sent it is known privately, from the account.
        let holder = ctx.author.clone().ok_or_else(|| {
            Refusal::Forbidden("a sealed bid is sent from a supplier's account".into())
        })?;
        let key_b64 = key_text(&key);
        let replaces = match body.get("replaces") {
            None => {
                if tender.bids.iter().any(|b| {
                    b.status == BidStatus::Committed
                        && (b.key == key_b64 || b.holder.as_ref() == Some(&holder))
                }) {
                    // Said only to the sender, who knows its own bid; nothing is logged.
                    return Err(Refusal::Conflict(format!(
                        "your organisation already has a standing bid in tender {}: replace it (body.replaces, signed by its one-time key) or withdraw it; one bid per bidder",
                        tender.id
                    )));
                }
                None
            }
            Some(_) => {
                let old = hex_hash(body, "replaces").map_err(Refusal::Invalid)?;
                match tender.bid(&old) {
                    Some(b)
                        if b.key == key_b64
                            && b.status == BidStatus::Committed
                            && b.holder.as_ref().is_none_or(|h| *h == holder) =>
                    {
                        Some(old)
                    }
                    Some(b)
                        if b.key != key_b64 || b.holder.as_ref().is_some_and(|h| *h != holder) =>
                    {
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
        let (commitment, bid) = named_bid(tender, statement.body())?;
        if bid.key != key_text(&key)
            || bid
                .holder
                .as_ref()
                .is_some_and(|h| ctx.author.as_ref() != Some(h))
        {
            return Err(Refusal::Forbidden(
                "only the key that committed a bid, sent by the same organisation, can withdraw it"
                    .into(),
            ));
        }
        if bid.status != BidStatus::Committed {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} no longer stands"
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

/// `bid.lapsed`: once the reveal window has closed, the platform names the organisation
/// that sent a bid it never revealed.
pub struct BidLapsed;

impl Kind for BidLapsed {
    fn name(&self) -> &'static str {
        "bid.lapsed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["commitment", "bidder"])?;
        hex_hash(body, "commitment")?;
        identifier(body, "bidder").map(drop)
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
            return Err(Refusal::Forbidden(
                "a lapsed bid is attributed by the platform's key, which alone knows who sent it"
                    .into(),
            ));
        }
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at < periods.reveal_end {
            return Err(Refusal::Conflict(format!(
                "bids of tender {} lapse when its reveal window closes ({}), not before",
                tender.id,
                tender.tender["reveal_end"].as_str().unwrap_or_default()
            )));
        }
        if tender.status != Status::Opening {
            return Err(Refusal::Conflict(format!(
                "tender {} is {}: its reveal window closed, and what was sealed then has lapsed",
                tender.id,
                tender.status.as_str()
            )));
        }
        let body = statement.body();
        let (commitment, bid) = named_bid(tender, body)?;
        if bid.status != BidStatus::Committed {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} is not sealed any more"
            )));
        }
        let bidder = identifier(body, "bidder").map_err(Refusal::Invalid)?;
        if bid.holder.as_deref() != Some(bidder.as_str()) {
            return Err(Refusal::Conflict(format!(
                "bid {commitment} was not sent by {bidder}"
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
        tender_and(
            statement,
            &document_hashes(&statement.body()["bid"]["documents"]),
        )
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
        let (commitment, stored) = named_bid(tender, body)?;
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
        if let Some(holder) = &stored.holder
            && *holder != bid.bidder()
        {
            return Err(Refusal::Forbidden(
                "a bid is revealed by the organisation that sent it".into(),
            ));
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
        // The bid's documents are uploaded by now, and they are the ones committed to.
        uploaded(
            state,
            &document_hashes(&body["bid"]["documents"]),
            "the bid",
            signers,
        )?;
        let price = bid_value["price"].clone();
        if price["currency"] != tender.tender["value"]["currency"] {
            return Err(Refusal::Conflict(format!(
                "the bid's price is in {}, the tender's value in {}",
                price["currency"], tender.tender["value"]["currency"]
            )));
        }
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
            return Err(Refusal::Conflict(format!(
                "bids are disqualified during evaluation; tender {} is {}",
                tender.id,
                tender.status.as_str()
            )));
        }
        let body = statement.body();
        let (commitment, bid) = named_bid(tender, body)?;
        if bid.status != BidStatus::Revealed {
            return Err(Refusal::Conflict(format!(
                "only a revealed bid can be disqualified; bid {commitment} is {:?}",
                bid.status
            )));
        }
        Ok(change(
            ctx,
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
        only(body, &["commitment", "evaluation_report_sha256", "scores"])?;
        hex_hash(body, "commitment")?;
        hex_hash(body, "evaluation_report_sha256")?;
        match body.get("scores") {
            None => Ok(()),
            // Points per criterion, for tenders with weighted criteria: checked against
            // the tender's criteria when the award is decided.
            Some(Value::Object(map)) if map.values().any(Value::is_object) => {
                match map.keys().find(|c| Hash::from_hex(c).is_err()) {
                    Some(c) => Err(format!("body.scores: {c:?} is not a commitment")),
                    None => Ok(()),
                }
            }
            Some(_) => scores(body).map(|_| ()),
        }
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_and(
            statement,
            &document_hashes(&statement.body()["evaluation_report_sha256"]),
        )
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
        let scores = if tender.tender["award_criteria"] == "scored" {
            let Some(given) = body.get("scores") else {
                return Err(Refusal::Invalid(
                    "tender is awarded by scores: body.scores must give every revealed bid its score"
                        .into(),
                ));
            };
            let standing: Vec<(&str, i128)> = tender
                .bids
                .iter()
                .filter(|b| b.status == BidStatus::Revealed)
                .filter_map(|b| {
                    let price = Money::from_value(&b.revealed.as_ref()?.price).ok()?;
                    Some((b.commitment.as_str(), minor_units(&price)))
                })
                .collect();
            // Each bid's total, and what is published with the award.
            let (totals, published): (std::collections::BTreeMap<String, u64>, Value) =
                if tender.tender.get("criteria").is_some() {
                    let criteria = criteria(&tender.tender).map_err(Refusal::Invalid)?;
                    let weighted = weighted_totals(&criteria, &standing, given)?;
                    (
                        weighted.iter().map(|(c, (t, _))| (c.clone(), *t)).collect(),
                        Value::Object(weighted.into_iter().map(|(c, (_, d))| (c, d)).collect()),
                    )
                } else {
                    let scores = scores(body).map_err(Refusal::Invalid)?.unwrap_or_default();
                    if let Some((unscored, _)) =
                        standing.iter().find(|(c, _)| !scores.contains_key(*c))
                    {
                        return Err(Refusal::Invalid(format!(
                            "body.scores has no score for revealed bid {unscored}"
                        )));
                    }
                    if let Some(stray) = scores
                        .keys()
                        .find(|c| !standing.iter().any(|(s, _)| s == c))
                    {
                        return Err(Refusal::Invalid(format!(
                            "body.scores scores {stray}, which is not a revealed bid that stands"
                        )));
                    }
                    let published = json!(scores);
                    (scores, published)
                };
            let best = totals.values().max().copied().unwrap_or(0);
            let this = totals.get(&commitment).copied().unwrap_or(0);
            if this < best {
                return Err(Refusal::Conflict(format!(
                    "the award must go to the highest score ({best}); bid {commitment} scored {this}"
                )));
            }
            Some(published)
        } else if body.get("scores").is_some() {
            return Err(Refusal::Invalid(
                "tender is awarded at the lowest price: body.scores does not apply".into(),
            ));
        } else {
            None
        };
        uploaded(
            state,
            &document_hashes(&body["evaluation_report_sha256"]),
            "the evaluation report",
            signers,
        )?;
        let periods = tender.times()?;
        let standstill_end = Timestamp::from_unix(
            ctx.logged_at.unix_seconds() + periods.standstill_seconds as i64,
            (ctx.logged_at.unix_nanos() % 1_000_000_000) as u32,
        )
        .map_err(|e| Refusal::Invalid(e.to_string()))?;
        Ok(change(
            ctx,
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
                scores,
                evaluation_report_sha256: text(body, "evaluation_report_sha256")
                    .map_err(Refusal::Invalid)?
                    .to_owned(),
                status: "pending".into(),
                awarded_idx: ctx.index,
                date: ctx.logged_at.to_string(),
                standstill_end: standstill_end.to_string(),
            }),
        ))
    }
}

/// One criterion of a weighted evaluation.
struct Criterion {
    id: String,
    /// Its share of the total, in percent.
    weight: u64,
    /// Whether the platform scores it from the bids' prices.
    price: bool,
}

/// `body.criteria` of a scored tender: 1 to 20 criteria with distinct ids and integer
/// weights summing to 100, at most one of them the price (`"price": true`).
fn criteria(body: &Value) -> Result<Vec<Criterion>, String> {
    let Some(Value::Array(list)) = body.get("criteria") else {
        return Err("body.criteria must be an array of criteria".into());
    };
    if list.is_empty() || list.len() > 20 {
        return Err("body.criteria must hold 1 to 20 criteria".into());
    }
    let mut out: Vec<Criterion> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        only(c, &["id", "title", "weight", "price"]).map_err(|e| format!("criterion {i}: {e}"))?;
        let id = identifier(c, "id").map_err(|e| format!("body.criteria[{i}]: {e}"))?;
        if out.iter().any(|o| o.id == id) {
            return Err(format!("body.criteria: criterion {id} appears twice"));
        }
        bilingual(c, "title", 300).map_err(|e| format!("criterion {id}: {e}"))?;
        let weight = c["weight"]
            .as_u64()
            .filter(|w| (1..=100).contains(w))
            .ok_or_else(|| {
                format!("criterion {id}: weight must be an integer from 1 to 100 (percent)")
            })?;
        let price = match c.get("price") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(format!("criterion {id}: price must be true or false")),
        };
        out.push(Criterion { id, weight, price });
    }
    let total: u64 = out.iter().map(|c| c.weight).sum();
    if total != 100 {
        return Err(format!(
            "body.criteria: the weights sum to {total}, not 100"
        ));
    }
    if out.iter().filter(|c| c.price).count() > 1 {
        return Err("body.criteria: at most one criterion is the price".into());
    }
    Ok(out)
}

/// The weighted totals of the standing bids: for each criterion the committee's points
/// (0 to 100, from `scores`), or for the price criterion the platform's (the lowest price
/// over the bid's, times 100); the total is the weighted sum. All in hundredths of a
/// point, so the totals are out of 10000. Answers {commitment: {"total", "criteria"}}.
fn weighted_totals(
    criteria: &[Criterion],
    standing: &[(&str, i128)],
    given: &Value,
) -> Result<std::collections::BTreeMap<String, (u64, Value)>, Refusal> {
    let Value::Object(given) = given else {
        return Err(Refusal::Invalid(
            "body.scores must map each revealed bid's commitment to its points per criterion"
                .into(),
        ));
    };
    if let Some(stray) = given.keys().find(|c| !standing.iter().any(|(s, _)| s == c)) {
        return Err(Refusal::Invalid(format!(
            "body.scores scores {stray}, which is not a revealed bid that stands"
        )));
    }
    let lowest = standing.iter().map(|(_, p)| *p).min().unwrap_or(0);
    let mut totals = std::collections::BTreeMap::new();
    for (commitment, price) in standing {
        let points = given.get(*commitment).ok_or_else(|| {
            Refusal::Invalid(format!(
                "body.scores has no points for revealed bid {commitment}"
            ))
        })?;
        let Value::Object(points) = points else {
            return Err(Refusal::Invalid(format!(
                "body.scores.{commitment} must map each criterion to its points"
            )));
        };
        if let Some(stray) = points
            .keys()
            .find(|k| !criteria.iter().any(|c| &c.id == *k && !c.price))
        {
            return Err(Refusal::Invalid(format!(
                "body.scores.{commitment}.{stray}: no such criterion, or the price, which the platform scores from the bids"
            )));
        }
        let mut total: u128 = 0;
        let mut detail = serde_json::Map::new();
        for criterion in criteria {
            let hundredths: u128 = if criterion.price {
                if *price <= 0 {
                    0
                } else {
                    (lowest.max(0) as u128 * 10_000) / *price as u128
                }
            } else {
                let given = points
                    .get(&criterion.id)
                    .and_then(Value::as_u64)
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| {
                        Refusal::Invalid(format!(
                            "body.scores.{commitment}.{} must be an integer from 0 to 100",
                            criterion.id
                        ))
                    })?;
                u128::from(given) * 100
            };
            detail.insert(criterion.id.clone(), json!(hundredths as u64));
            total += u128::from(criterion.weight) * hundredths;
        }
        let total = (total / 100) as u64;
        totals.insert(
            (*commitment).to_owned(),
            (total, json!({"total": total, "criteria": detail})),
        );
    }
    Ok(totals)
}

/// `body.scores`, if present: each revealed bid's score, an integer from 0 to 10000
/// (hundredths of a point out of 100).
fn scores(body: &Value) -> Result<Option<std::collections::BTreeMap<String, u64>>, String> {
    let Some(scores) = body.get("scores") else {
        return Ok(None);
    };
    let Value::Object(map) = scores else {
        return Err("body.scores must map each revealed bid's commitment to its score".into());
    };
    let mut out = std::collections::BTreeMap::new();
    for (commitment, score) in map {
        Hash::from_hex(commitment)
            .map_err(|_| format!("body.scores: {commitment:?} is not a commitment"))?;
        let score = score.as_u64().filter(|s| *s <= 10_000).ok_or_else(|| {
            format!("body.scores.{commitment} must be an integer from 0 to 10000")
        })?;
        out.insert(commitment.clone(), score);
    }
    Ok(Some(out))
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
        tender_and(
            statement,
            &document_hashes(&statement.body()["document_sha256"]),
        )
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
        if let Some(open) = tender
            .complaints
            .iter()
            .find(|c| c.award == award.id && c.is_open())
        {
            return Err(Refusal::Conflict(format!(
                "complaint {} against award {award_id} is {}: the contract waits for the supervisor's decision",
                open.id, open.status
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
        uploaded(
            state,
            &document_hashes(&body["document_sha256"]),
            "the contract",
            signers,
        )?;
        Ok(change(
            ctx,
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
                date_signed: ctx.logged_at.to_string(),
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
            ctx,
            &tender.id,
            TenderChange::Paid {
                contract: id.to_owned(),
                payment: PaymentState {
                    amount: body["amount"].clone(),
                    reference: text(body, "reference")
                        .map_err(Refusal::Invalid)?
                        .to_owned(),
                    recorded_idx: ctx.index,
                    date: ctx.logged_at.to_string(),
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
        if tender.status != Status::Contracted {
            return Err(Refusal::Conflict(format!(
                "only a contracted tender can be completed; tender {} is {}",
                tender.id,
                tender.status.as_str()
            )));
        }
        Ok(change(
            ctx,
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
        if tender.status == Status::Contracted {
            return Err(Refusal::Conflict(format!(
                "tender {} has a signed contract and can no longer be cancelled",
                tender.id
            )));
        }
        Ok(change(
            ctx,
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

/// `enquiry.asked`: a question, under a one-time key, during the enquiry period.
pub struct EnquiryAsked;

impl Kind for EnquiryAsked {
    fn name(&self) -> &'static str {
        "enquiry.asked"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["question"])?;
        bounded_text(body, "question", 5_000).map(|_| ())
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
            return Err(Refusal::Forbidden(
                "questions are asked under a one-time key, so that the public does not learn who may bid".into(),
            ));
        }
        one_time_key(ctx)?;
        let tender = open_tender(state, statement)?;
        let periods = tender.times()?;
        if ctx.logged_at >= periods.enquiry_end {
            return Err(Refusal::Conflict(format!(
                "the enquiry period of tender {} ended at {}",
                tender.id,
                tender.tender["enquiry_end"].as_str().unwrap_or_default()
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Asked(EnquiryState {
                id: format!("enquiry-{}", tender.enquiries.len() + 1),
                question: text(statement.body(), "question")
                    .map_err(Refusal::Invalid)?
                    .to_owned(),
                asked_idx: ctx.index,
                date: ctx.logged_at.to_string(),
                answer: None,
                answered_idx: None,
                date_answered: None,
            }),
        ))
    }
}

/// `enquiry.answered`: the buyer answers a question publicly, before the deadline.
pub struct EnquiryAnswered;

impl Kind for EnquiryAnswered {
    fn name(&self) -> &'static str {
        "enquiry.answered"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["enquiry", "answer"])?;
        text(body, "enquiry")?;
        bounded_text(body, "answer", 20_000).map(|_| ())
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
        if ctx.logged_at >= tender.times()?.tender_end {
            return Err(Refusal::Conflict(format!(
                "the deadline of tender {} has passed: answers must come before it",
                tender.id
            )));
        }
        let body = statement.body();
        let id = text(body, "enquiry").map_err(Refusal::Invalid)?;
        let enquiry = tender
            .enquiries
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| Refusal::NotFound(format!("tender {} has no {id}", tender.id)))?;
        if enquiry.answer.is_some() {
            return Err(Refusal::Conflict(format!(
                "{id} is already answered (amend the tender to change what it says)"
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Answered {
                enquiry: id.to_owned(),
                answer: text(body, "answer").map_err(Refusal::Invalid)?.to_owned(),
                index: ctx.index,
                date: ctx.logged_at.to_string(),
            },
        ))
    }
}

/// `tender.amended`: the buyer changes the tender before the deadline, with a reason. A
/// change to documents, value, lots or criteria must leave `amendment_notice_seconds` before the
/// deadline, so an amendment that needs it moves the deadline too.
pub struct TenderAmended;

impl Kind for TenderAmended {
    fn name(&self) -> &'static str {
        "tender.amended"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["changes", "reason"])?;
        bounded_text(body, "reason", 5_000)?;
        match body.get("changes") {
            Some(Value::Object(changes)) if !changes.is_empty() => {
                match changes.keys().find(|k| !AMENDABLE.contains(&k.as_str())) {
                    Some(other) => Err(format!(
                        "body.changes.{other} cannot be amended (only {})",
                        AMENDABLE.join(", ")
                    )),
                    None => Ok(()),
                }
            }
            _ => Err("body.changes must be an object of the members that change".into()),
        }
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        tender_and(
            statement,
            &document_hashes(&statement.body()["changes"]["documents"]),
        )
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
            return Err(Refusal::Conflict(format!(
                "the deadline of tender {} has passed: it can no longer be amended",
                tender.id
            )));
        }
        let body = statement.body();
        let Some(Value::Object(changes)) = body.get("changes") else {
            return Err(Refusal::Invalid("body.changes must be an object".into()));
        };
        let mut amended = tender.tender.clone();
        let mut previous = serde_json::Map::new();
        for (field, value) in changes {
            previous.insert(field.clone(), tender.tender[field.as_str()].clone());
            amended[field.as_str()] = value.clone();
        }
        // The amended tender must be a valid tender.
        TenderPublished
            .check_body(&amended)
            .map_err(|e| Refusal::Invalid(format!("after the amendment: {e}")))?;
        let new = Periods::of(&amended).map_err(Refusal::Invalid)?;
        if new.enquiry_end != periods.enquiry_end && ctx.logged_at >= periods.enquiry_end {
            return Err(Refusal::Conflict(
                "the enquiry period is over: its end can no longer change".into(),
            ));
        }
        if new.tender_end <= ctx.logged_at {
            return Err(Refusal::Conflict(
                "the new deadline would already be past".into(),
            ));
        }
        if changes.keys().any(|k| MATERIAL.contains(&k.as_str())) {
            let notice = amended["amendment_notice_seconds"].as_u64().unwrap_or(0);
            let left = new.tender_end.unix_seconds() - ctx.logged_at.unix_seconds();
            if left < notice as i64 {
                return Err(Refusal::Conflict(format!(
                    "a change to documents, value, lots or criteria needs {notice}s before the deadline, and {left}s would be left: move tender_end too"
                )));
            }
        }
        uploaded(
            state,
            &document_hashes(&body["changes"]["documents"]),
            "the amended tender",
            signers,
        )?;
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Amended {
                amendment: AmendmentState {
                    id: format!("amendment-{}", tender.amendments.len() + 1),
                    changes: Value::Object(changes.clone()),
                    previous: Value::Object(previous),
                    reason: text(body, "reason").map_err(Refusal::Invalid)?.to_owned(),
                    amended_idx: ctx.index,
                    date: ctx.logged_at.to_string(),
                },
                tender: amended,
            },
        ))
    }
}

/// `complaint.filed`: a bidder who revealed a bid contests an award during its standstill.
pub struct ComplaintFiled;

impl Kind for ComplaintFiled {
    fn name(&self) -> &'static str {
        "complaint.filed"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["award", "text"])?;
        text(body, "award")?;
        bounded_text(body, "text", 20_000).map(|_| ())
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
        let bidders: HashSet<&str> = tender
            .bids
            .iter()
            .filter_map(|b| b.revealed.as_ref().map(|r| r.bidder.as_str()))
            .collect();
        let complainant = signers
            .iter()
            .find(|s| {
                bidders.contains(s.organisation.as_str())
                    && matches!(
                        s.role,
                        Role::BidderRepresentative | Role::OrganisationAdmin
                    )
            })
            .ok_or_else(|| {
                Refusal::Forbidden(format!(
                    "complaints are filed by a bidder of tender {} (a supplier that revealed a bid)",
                    tender.id
                ))
            })?;
        let body = statement.body();
        let award_id = text(body, "award").map_err(Refusal::Invalid)?;
        let award = tender
            .awards
            .iter()
            .find(|a| a.id == award_id)
            .ok_or_else(|| {
                Refusal::NotFound(format!("tender {} has no award {award_id}", tender.id))
            })?;
        let standstill_end =
            Timestamp::parse(&award.standstill_end).map_err(|e| Refusal::Invalid(e.to_string()))?;
        if award.status != "pending" || ctx.logged_at >= standstill_end {
            return Err(Refusal::Conflict(format!(
                "complaints against award {award_id} were possible until its standstill period ended at {standstill_end}"
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Complained(ComplaintState {
                id: format!("complaint-{}", tender.complaints.len() + 1),
                award: award_id.to_owned(),
                complainant: complainant.organisation.clone(),
                text: text(body, "text").map_err(Refusal::Invalid)?.to_owned(),
                status: "filed".into(),
                filed_idx: ctx.index,
                decisions: Vec::new(),
            }),
        ))
    }
}

/// `complaint.decided`: a supervisor accepts a complaint for review, upholds it (the award
/// falls and evaluation reopens) or dismisses it, with a reason.
pub struct ComplaintDecided;

impl Kind for ComplaintDecided {
    fn name(&self) -> &'static str {
        "complaint.decided"
    }

    fn check_body(&self, body: &Value) -> Result<(), String> {
        only(body, &["complaint", "decision", "reason"])?;
        text(body, "complaint")?;
        if !["accepted", "upheld", "dismissed"].contains(&text(body, "decision")?) {
            return Err("body.decision must be accepted, upheld or dismissed".into());
        }
        bounded_text(body, "reason", 20_000).map(|_| ())
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
        let supervisor = signers.iter().any(|s| {
            s.role == Role::Supervisor
                && state
                    .directory
                    .organisations
                    .get(&s.organisation)
                    .map(String::as_str)
                    == Some("supervisor")
        });
        if !supervisor {
            return Err(Refusal::Forbidden(
                "complaints are decided by a supervisory body's supervisor".into(),
            ));
        }
        let tender = open_tender(state, statement)?;
        let body = statement.body();
        let id = text(body, "complaint").map_err(Refusal::Invalid)?;
        let decision = text(body, "decision").map_err(Refusal::Invalid)?;
        let complaint = tender
            .complaints
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Refusal::NotFound(format!("tender {} has no {id}", tender.id)))?;
        let allowed = matches!(
            (complaint.status.as_str(), decision),
            ("filed", _) | ("accepted", "upheld" | "dismissed")
        );
        if !allowed {
            return Err(Refusal::Conflict(format!(
                "{id} is {}: it cannot become {decision}",
                complaint.status
            )));
        }
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::ComplaintDecided {
                complaint: id.to_owned(),
                decision: decision.to_owned(),
                reason: text(body, "reason").map_err(Refusal::Invalid)?.to_owned(),
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
    registry.register(Box::new(BidLapsed));
    registry.register(Box::new(BidRevealed));
    registry.register(Box::new(BidDisqualified));
    registry.register(Box::new(AwardMade));
    registry.register(Box::new(ContractSigned));
    registry.register(Box::new(PaymentRecorded));
    registry.register(Box::new(TenderCompleted));
    registry.register(Box::new(TenderCancelled));
    registry.register(Box::new(EnquiryAsked));
    registry.register(Box::new(EnquiryAnswered));
    registry.register(Box::new(TenderAmended));
    registry.register(Box::new(ComplaintFiled));
    registry.register(Box::new(ComplaintDecided));
}
