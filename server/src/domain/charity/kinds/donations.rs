//! Donations, recorded by the charity (an officer, or a machine key fed by the bank or the
//! payment channel). The donor is in the log only as a commitment.

use super::prelude::*;

/// The channels a donation comes by. (`fund` is a transfer from another fund, logged by
/// its disbursement, never recorded by hand.)
pub const CHANNELS: [&str; 7] = [
    "bank_transfer",
    "alipay",
    "wechat_pay",
    "unionpay",
    "cash",
    "cheque",
    "other",
];

/// How far ahead of the log's clock a donation's `received_at` may be (the channel's
/// clock and the log's differ a little).
const CLOCK_SKEW_SECONDS: i64 = 300;

/// `donation.recorded`: a donation to the fund that is the statement's subject.
pub struct DonationRecorded;

impl Kind for DonationRecorded {
    fn name(&self) -> &'static str {
        "donation.recorded"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "A donation the charity received. Signed by an officer (or the administrator) of the fund's charity. The donor is named only by `donor`, a commitment SHA-256(\"vitrine/donor/v1\\n\" || JCS(donor data) || salt) whose data and salt the charity keeps in the vault (sent with POST /api/v1/funds/{fund}/donations); none for an anonymous donation. `named`: the donor agreed to be named publicly. A channel's reference is taken once per fund, so a bank feed sent twice is refused the second time.",
            &["amount", "channel", "reference", "received_at"],
            json!({
                "amount": shape::money(),
                "channel": {"type": "string", "enum": CHANNELS},
                "reference": shape::text(128, "The channel's reference for the payment"),
                "received_at": shape::time("When the channel received it"),
                "donor": shape::hex_hash("The commitment to the donor"),
                "named": {"type": "boolean", "description": "The donor agreed to be named publicly"},
            }),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        DonationBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        let mut keys = fund_of(statement);
        let body = statement.body();
        if let (Some(channel), Some(reference)) =
            (body["channel"].as_str(), body["reference"].as_str())
        {
            keys.push(StateKey::DonationReference(
                statement.subject().to_owned(),
                channel.to_owned(),
                reference.to_owned(),
            ));
        }
        keys
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let fund = open_fund(state, statement)?;
        charity_officer(signers, fund)?;
        let body = DonationBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        in_currency(fund, &body.amount.0)?;
        if body.received_at.unix_seconds() > ctx.logged_at.unix_seconds() + CLOCK_SKEW_SECONDS {
            return Err(Refusal::Conflict(crate::said!(
                "donation.received_later",
                "{field} ({received_at}) is later than the log's time ({now})",
                field = "body.received_at",
                received_at = body.received_at,
                now = ctx.logged_at
            )));
        }
        let taken = (
            fund.id.clone(),
            body.channel.to_owned(),
            body.reference.to_owned(),
        );
        if state.charity.references.contains(&taken) {
            return Err(Refusal::Conflict(crate::said!(
                "donation.reference_taken",
                "fund {fund} has a donation by {channel} with reference {reference} already",
                fund = fund.id,
                channel = body.channel,
                reference = body.reference
            )));
        }
        if fund
            .balance
            .checked_add(body.amount.1)
            .is_none_or(|b| b > money::MAX_UNITS)
            || fund.received.checked_add(body.amount.1).is_none()
        {
            return Err(Refusal::Conflict(crate::said!(
                "donation.too_much",
                "fund {fund} would hold more than {max} {currency}",
                fund = fund.id,
                max = money::amount(money::MAX_UNITS),
                currency = fund.currency
            )));
        }
        Ok(vec![change(
            ctx,
            &fund.id,
            FundChange::Donated(Box::new(Donation {
                fund: fund.id.clone(),
                seq: fund.donations + 1,
                idx: ctx.index,
                at: ctx.logged_at.to_string(),
                amount: body.amount.1,
                channel: body.channel.to_owned(),
                reference: body.reference.to_owned(),
                received_at: body.received_at.to_string(),
                donor: body.donor.map(|h| h.to_hex()),
                named: body.named,
                source: None,
            })),
        )])
    }
}

/// The body of a `donation.recorded`.
struct DonationBody<'a> {
    amount: (Money, i64),
    channel: &'a str,
    reference: &'a str,
    received_at: Timestamp,
    donor: Option<Hash>,
    named: bool,
}

impl<'a> DonationBody<'a> {
    fn parse(body: &'a Value) -> Result<DonationBody<'a>, Said> {
        only(
            body,
            &[
                "amount",
                "channel",
                "reference",
                "received_at",
                "donor",
                "named",
            ],
        )?;
        let amount = positive_money(body, "amount")?;
        let channel = text(body, "channel")?;
        if !CHANNELS.contains(&channel) {
            return Err(crate::said!(
                "body.one_of",
                "{field} must be one of {allowed}",
                field = "body.channel",
                allowed = CHANNELS.join(", ")
            ));
        }
        let reference = bounded_text(body, "reference", 128)?;
        let received_at = time(body, "received_at")?;
        let donor = match body.get("donor") {
            None => None,
            Some(_) => Some(hash(body, "donor")?),
        };
        let named = flag(body, "named")?;
        if named && donor.is_none() {
            return Err(crate::said!(
                "donation.named_anonymous",
                "{field} is true but the donation has no donor: an anonymous donor is not named",
                field = "body.named"
            ));
        }
        Ok(DonationBody {
            amount,
            channel,
            reference,
            received_at,
            donor,
            named,
        })
    }
}
