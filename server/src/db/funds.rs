//! Reading charity's tables for the API and the pages: funds, their donations and
//! disbursements a page at a time, the allocations that trace money both ways, the ledger
//! over time; and the donor vault (off the log, erasable).

use crate::domain::charity::fund::{DisbursementState, FundState};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Bytea, Integer, Jsonb, Nullable, Text};
use serde_json::Value;

/// A fund as a listing shows it (amounts in units).
#[derive(Debug, Clone, QueryableByName)]
pub struct FundRow {
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub id: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub charity_id: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub status: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub target: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub balance: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub disbursed: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub donations: i64,
    #[diesel(sql_type = Integer)]
    #[allow(missing_docs)]
    pub disbursements: i32,
    /// `{"zh": …, "en": …}`.
    #[diesel(sql_type = Jsonb)]
    pub purpose: Value,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub start: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub end: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub opened_idx: i64,
}

/// Which funds a listing shows.
#[derive(Debug, Default, Clone)]
pub struct FundFilter {
    /// The charity's organisation id.
    pub charity: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Funds opened before this entry (the cursor of the next page).
    pub before: Option<i64>,
}

/// Funds, newest first.
pub fn list(conn: &mut PgConnection, filter: &FundFilter, limit: i64) -> QueryResult<Vec<FundRow>> {
    diesel::sql_query(
        "SELECT id, charity_id, kind, status, currency, target, balance, received, disbursed,
                donations, disbursements, state->'purpose' AS purpose,
                state->>'start' AS start, state->>'end' AS end, opened_idx
         FROM funds
         WHERE ($1::text IS NULL OR charity_id = $1) AND ($2::text IS NULL OR status = $2)
           AND ($3::bigint IS NULL OR opened_idx < $3)
         ORDER BY opened_idx DESC LIMIT $4",
    )
    .bind::<Nullable<Text>, _>(&filter.charity)
    .bind::<Nullable<Text>, _>(&filter.status)
    .bind::<Nullable<BigInt>, _>(filter.before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// The fund `id`.
pub fn get(conn: &mut PgConnection, id: &str) -> QueryResult<Option<FundState>> {
    Ok(super::charity::load_funds(conn, &[id.to_owned()])?.remove(id))
}

/// A donation as the API shows it (amounts in units).
#[derive(Debug, Clone, QueryableByName)]
pub struct DonationRow {
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub fund_id: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub seq: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub entry_idx: i64,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub logged_at: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub amount: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub remaining: i64,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub reference: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub received_at: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub donor_commitment: Option<String>,
    #[diesel(sql_type = Bool)]
    #[allow(missing_docs)]
    pub named: bool,
    /// The donor's public name: only if they agreed to be named and it was not erased.
    #[diesel(sql_type = Nullable<Text>)]
    pub public_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub source_fund: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    #[allow(missing_docs)]
    pub source_disbursement: Option<i32>,
}

/// The vault row of donation `d`: its commitment's, if the donation's own charity keeps
/// it. Another charity's statement may name a commitment it does not hold (any statement
/// can): it never opens the row another charity keeps.
const VAULT_OF_DONATION: &str = "v.commitment = d.donor_commitment
    AND v.charity_id = (SELECT f.charity_id FROM funds f WHERE f.id = d.fund_id)";

const DONATION_COLUMNS: &str = "d.fund_id, d.seq, d.entry_idx,
    to_char(d.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS logged_at,
    d.amount, d.remaining, d.channel, d.reference,
    to_char(d.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS received_at,
    d.donor_commitment, d.named,
    CASE WHEN d.named THEN v.public_name END AS public_name,
    d.source_fund, d.source_disbursement";

/// A fund's donations after number `after`, oldest first.
pub fn donations(
    conn: &mut PgConnection,
    fund: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<DonationRow>> {
    diesel::sql_query(format!(
        "SELECT {DONATION_COLUMNS} FROM fund_donations d
         LEFT JOIN donor_vault v ON {VAULT_OF_DONATION}
         WHERE d.fund_id = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3"
    ))
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Donation `seq` of `fund`.
pub fn donation(conn: &mut PgConnection, fund: &str, seq: i64) -> QueryResult<Option<DonationRow>> {
    diesel::sql_query(format!(
        "SELECT {DONATION_COLUMNS} FROM fund_donations d
         LEFT JOIN donor_vault v ON {VAULT_OF_DONATION}
         WHERE d.fund_id = $1 AND d.seq = $2"
    ))
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(seq)
    .get_result(conn)
    .optional()
}

/// The donation of `fund` logged by entry `idx` (a donation, or a transfer's incoming
/// side).
pub fn donation_at_entry(
    conn: &mut PgConnection,
    fund: &str,
    idx: i64,
) -> QueryResult<Option<DonationRow>> {
    diesel::sql_query(format!(
        "SELECT {DONATION_COLUMNS} FROM fund_donations d
         LEFT JOIN donor_vault v ON {VAULT_OF_DONATION}
         WHERE d.fund_id = $1 AND d.entry_idx = $2"
    ))
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(idx)
    .get_result(conn)
    .optional()
}

#[derive(QueryableByName)]
struct StateText {
    #[diesel(sql_type = Text)]
    state: String,
}

fn disbursement_states(rows: Vec<StateText>) -> QueryResult<Vec<DisbursementState>> {
    rows.into_iter()
        .map(|r| {
            serde_json::from_str(&r.state).map_err(|e| {
                diesel::result::Error::DeserializationError(
                    format!("INTEGRITY ALARM: a stored disbursement is unreadable: {e}").into(),
                )
            })
        })
        .collect()
}

/// A fund's disbursements after number `after`, in the order they were proposed.
pub fn disbursements(
    conn: &mut PgConnection,
    fund: &str,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<DisbursementState>> {
    let rows = diesel::sql_query(
        "SELECT state::text AS state FROM fund_disbursements
         WHERE fund_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind::<Text, _>(fund)
    .bind::<Integer, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    disbursement_states(rows)
}

/// Disbursement `seq` of `fund`.
pub fn disbursement(
    conn: &mut PgConnection,
    fund: &str,
    seq: i32,
) -> QueryResult<Option<DisbursementState>> {
    let rows = diesel::sql_query(
        "SELECT state::text AS state FROM fund_disbursements WHERE fund_id = $1 AND seq = $2",
    )
    .bind::<Text, _>(fund)
    .bind::<Integer, _>(seq)
    .load(conn)?;
    Ok(disbursement_states(rows)?.pop())
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = Integer)]
    seq: i32,
}

/// The number of the disbursement of `fund` that entry `idx` proposed.
pub fn disbursement_proposed_by(
    conn: &mut PgConnection,
    fund: &str,
    idx: i64,
) -> QueryResult<Option<i64>> {
    let row: Option<Seq> = diesel::sql_query(
        "SELECT seq FROM fund_disbursements WHERE fund_id = $1 AND proposed_idx = $2",
    )
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(idx)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| i64::from(r.seq)))
}

/// A part of a donation a disbursement took.
#[derive(Debug, Clone, QueryableByName)]
pub struct AllocationRow {
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub donation_seq: i64,
    #[diesel(sql_type = Integer)]
    #[allow(missing_docs)]
    pub disbursement_seq: i32,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub amount: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub entry_idx: i64,
}

/// Where donation `seq` of `fund` went: its first `limit` allocations in log order after
/// entry `after`.
pub fn allocations_of_donation(
    conn: &mut PgConnection,
    fund: &str,
    seq: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AllocationRow>> {
    diesel::sql_query(
        "SELECT donation_seq, disbursement_seq, amount, entry_idx FROM fund_allocations
         WHERE fund_id = $1 AND donation_seq = $2 AND entry_idx > $3
         ORDER BY entry_idx LIMIT $4",
    )
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(seq)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Where disbursement `seq` of `fund` took its money from, oldest donation first, after
/// donation `after`, at most `limit`.
pub fn allocations_of_disbursement(
    conn: &mut PgConnection,
    fund: &str,
    seq: i32,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AllocationRow>> {
    diesel::sql_query(
        "SELECT donation_seq, disbursement_seq, amount, entry_idx FROM fund_allocations
         WHERE fund_id = $1 AND disbursement_seq = $2 AND donation_seq > $3
         ORDER BY donation_seq LIMIT $4",
    )
    .bind::<Text, _>(fund)
    .bind::<Integer, _>(seq)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// The donations `seqs` of `fund`, by number.
pub fn donations_numbered(
    conn: &mut PgConnection,
    fund: &str,
    seqs: &[i64],
) -> QueryResult<Vec<DonationRow>> {
    diesel::sql_query(format!(
        "SELECT {DONATION_COLUMNS} FROM fund_donations d
         LEFT JOIN donor_vault v ON {VAULT_OF_DONATION}
         WHERE d.fund_id = $1 AND d.seq = ANY($2) ORDER BY d.seq"
    ))
    .bind::<Text, _>(fund)
    .bind::<Array<BigInt>, _>(seqs)
    .load(conn)
}

/// The disbursements `seqs` of `fund`.
pub fn disbursements_numbered(
    conn: &mut PgConnection,
    fund: &str,
    seqs: &[i32],
) -> QueryResult<Vec<DisbursementState>> {
    let rows = diesel::sql_query(
        "SELECT state::text AS state FROM fund_disbursements
         WHERE fund_id = $1 AND seq = ANY($2) ORDER BY seq",
    )
    .bind::<Text, _>(fund)
    .bind::<Array<Integer>, _>(seqs)
    .load(conn)?;
    disbursement_states(rows)
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    key: String,
}

/// Which of `keys` (base64, as approvals name them) have been revoked.
pub fn revoked_keys(conn: &mut PgConnection, keys: &[String]) -> QueryResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<KeyRow> = diesel::sql_query(
        "SELECT encode(public_key, 'base64') AS key FROM participant_keys
         WHERE public_key = ANY(SELECT decode(k, 'base64') FROM unnest($1::text[]) AS k)
           AND revoked_idx IS NOT NULL",
    )
    .bind::<Array<Text>, _>(keys)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.key).collect())
}

/// One step of a fund's ledger: what came in and went out in a period (a day or an
/// hour, UTC), and the balance at its end (amounts in units).
#[derive(Debug, Clone, QueryableByName)]
pub struct LedgerRow {
    /// The period's start.
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub money_in: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub money_out: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub donations: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub disbursements: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub balance: i64,
}

/// A fund's money in and out and its balance at the end of each day (UTC), from its
/// running daily totals, oldest first: the newest 20,000 days.
pub fn ledger(conn: &mut PgConnection, fund: &str) -> QueryResult<Vec<LedgerRow>> {
    let mut rows: Vec<LedgerRow> = diesel::sql_query(
        "SELECT * FROM (
             SELECT to_char(day, 'YYYY-MM-DD\"T\"00:00:00\"Z\"') AS period, money_in, money_out,
                    donations, disbursements,
                    (sum(money_in - money_out) OVER (ORDER BY day))::bigint AS balance
             FROM fund_days WHERE fund_id = $1
         ) d ORDER BY period DESC LIMIT 20000",
    )
    .bind::<Text, _>(fund)
    .load(conn)?;
    rows.reverse();
    Ok(rows)
}

/// A fund's transfers to other funds and from them: (fund, disbursement, receiving fund,
/// amount) for the flow diagram.
#[derive(Debug, Clone, QueryableByName)]
pub struct RecipientTotal {
    /// `organisation`, `fund` or `person`.
    #[diesel(sql_type = Text)]
    pub recipient_kind: String,
    /// The organisation's or fund's id, or the person's commitment.
    #[diesel(sql_type = Text)]
    pub recipient: String,
    /// Paid to it, in units.
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    /// In how many disbursements.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// What the fund paid to each recipient (executed disbursements), largest first.
pub fn recipient_totals(conn: &mut PgConnection, fund: &str) -> QueryResult<Vec<RecipientTotal>> {
    diesel::sql_query(
        "SELECT recipient_kind, recipient, amount, disbursements AS count
         FROM fund_recipients WHERE fund_id = $1 ORDER BY amount DESC, recipient LIMIT 50",
    )
    .bind::<Text, _>(fund)
    .load(conn)
}

/// What came into the fund by each channel, largest first.
#[derive(Debug, Clone, QueryableByName)]
pub struct ChannelTotal {
    /// The channel (`fund` for transfers from other funds).
    #[diesel(sql_type = Text)]
    pub channel: String,
    /// For transfers, the fund they came from.
    #[diesel(sql_type = Nullable<Text>)]
    pub source_fund: Option<String>,
    /// In units.
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    /// How many donations.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// What came into the fund by channel (and, for transfers, by fund).
pub fn channel_totals(conn: &mut PgConnection, fund: &str) -> QueryResult<Vec<ChannelTotal>> {
    diesel::sql_query(
        "SELECT channel, nullif(source_fund, '') AS source_fund, amount, donations AS count
         FROM fund_channels WHERE fund_id = $1 ORDER BY amount DESC, channel LIMIT 50",
    )
    .bind::<Text, _>(fund)
    .load(conn)
}

/// What the vault holds for a commitment.
#[derive(Debug, Clone, QueryableByName)]
pub struct VaultRow {
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub commitment: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub charity_id: String,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub fund_id: String,
    /// The donor's data; none once erased.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub data: Option<Value>,
    /// The salt; none once erased.
    #[diesel(sql_type = Nullable<Bytea>)]
    pub salt: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub public_name: Option<String>,
    /// When it was erased.
    #[diesel(sql_type = Nullable<Text>)]
    pub erased_at: Option<String>,
}

/// What the vault holds for `commitment`.
pub fn vault_get(conn: &mut PgConnection, commitment: &str) -> QueryResult<Option<VaultRow>> {
    diesel::sql_query(
        "SELECT commitment, charity_id, fund_id, data, salt, public_name,
                to_char(erased_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS erased_at
         FROM donor_vault WHERE commitment = $1",
    )
    .bind::<Text, _>(commitment)
    .get_result(conn)
    .optional()
}

/// Erases the personal data behind `commitment` (its data, salt and public name); the row
/// stays, with when it was erased. Answers whether there was anything to erase.
pub fn vault_erase(conn: &mut PgConnection, commitment: &str) -> QueryResult<bool> {
    let erased = diesel::sql_query(
        "UPDATE donor_vault SET data = NULL, salt = NULL, public_name = NULL, erased_at = now()
         WHERE commitment = $1 AND erased_at IS NULL",
    )
    .bind::<Text, _>(commitment)
    .execute(conn)?;
    Ok(erased == 1)
}

/// A transaction of a fund's export: a donation in (`in`) or an executed disbursement
/// out (`out`), in log order.
#[derive(Debug, Clone, QueryableByName)]
pub struct ExportRow {
    /// `in` or `out`.
    #[diesel(sql_type = Text)]
    pub direction: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub entry_idx: i64,
    #[diesel(sql_type = Text)]
    #[allow(missing_docs)]
    pub logged_at: String,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub seq: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(missing_docs)]
    pub amount: i64,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub reference: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub donor_commitment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub public_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub source_fund: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    #[allow(missing_docs)]
    pub source_disbursement: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub recipient_kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[allow(missing_docs)]
    pub recipient: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    #[allow(missing_docs)]
    pub purpose: Option<Value>,
    #[diesel(sql_type = Nullable<Integer>)]
    #[allow(missing_docs)]
    pub evidence_count: Option<i32>,
    #[diesel(sql_type = Nullable<Bool>)]
    #[allow(missing_docs)]
    pub acknowledged: Option<bool>,
}

/// A page of a fund's transactions after entry `after`, in log order.
pub fn export(
    conn: &mut PgConnection,
    fund: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ExportRow>> {
    diesel::sql_query(
        "(SELECT 'in' AS direction, d.entry_idx,
                 to_char(d.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS logged_at,
                 d.seq, d.amount, d.channel, d.reference, d.donor_commitment,
                 CASE WHEN d.named THEN v.public_name END AS public_name,
                 d.source_fund, d.source_disbursement, NULL::text AS recipient_kind,
                 NULL::text AS recipient, NULL::jsonb AS purpose, NULL::int AS evidence_count,
                 NULL::bool AS acknowledged
          FROM fund_donations d LEFT JOIN donor_vault v ON v.commitment = d.donor_commitment
               AND v.charity_id = (SELECT f.charity_id FROM funds f WHERE f.id = d.fund_id)
          WHERE d.fund_id = $1 AND d.entry_idx > $2 ORDER BY d.entry_idx LIMIT $3)
         UNION ALL
         (SELECT 'out', b.executed_idx,
                 to_char(b.executed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                 b.seq::bigint, b.amount, NULL, b.state->'executed'->>'reference', NULL, NULL, NULL,
                 NULL, b.recipient_kind, b.recipient, b.state->'purpose', b.evidence_count,
                 b.acknowledged_idx IS NOT NULL
          FROM fund_disbursements b
          WHERE b.fund_id = $1 AND b.executed_idx > $2 ORDER BY b.executed_idx LIMIT $3)
         ORDER BY 2 LIMIT $3",
    )
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
