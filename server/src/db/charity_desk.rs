//! What the charity officer's desk reads beyond the public queries of [`super::funds`]:
//! what waits for the officers of a charity's funds (disbursements to approve, to execute,
//! to be acknowledged), and which of a bank file's references a fund has recorded already.

use crate::domain::charity::fund::DisbursementState;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

/// What waits in one of a charity's funds.
#[derive(Debug, Clone, QueryableByName)]
pub struct Waiting {
    /// The fund.
    #[diesel(sql_type = Text)]
    pub fund_id: String,
    /// Disbursements waiting for approvals (proposed, or approved by keys revoked since).
    #[diesel(sql_type = BigInt)]
    pub proposed: i64,
    /// Disbursements approved by active keys, waiting to be executed.
    #[diesel(sql_type = BigInt)]
    pub approved: i64,
    /// Disbursements executed, waiting for their recipients' acknowledgements.
    #[diesel(sql_type = BigInt)]
    pub unacknowledged: i64,
}

/// For each fund of `charity` with anything waiting: how many of its disbursements wait
/// for approvals, for execution and for acknowledgement.
pub fn waiting(conn: &mut PgConnection, charity: &str) -> QueryResult<Vec<Waiting>> {
    diesel::sql_query(
        "SELECT d.fund_id,
                count(*) FILTER (WHERE d.status = 'proposed'
                                    OR (d.status = 'approved' AND NOT a.payable)) AS proposed,
                count(*) FILTER (WHERE d.status = 'approved' AND a.payable) AS approved,
                count(*) FILTER (WHERE d.status = 'executed' AND d.acknowledged_idx IS NULL)
                    AS unacknowledged
         FROM fund_disbursements d JOIN funds f ON f.id = d.fund_id
         -- An approval counts while its officer's key is active (as the execution checks).
         CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE k.revoked_idx IS NULL)
                        >= (d.state->>'required')::int AS payable
             FROM jsonb_array_elements(d.state->'approvals') AS approval
             LEFT JOIN participant_keys k ON k.public_key = decode(approval->>'key', 'base64')
         ) a
         WHERE f.charity_id = $1
           AND (d.status <> 'executed' OR d.acknowledged_idx IS NULL)
         GROUP BY d.fund_id ORDER BY d.fund_id",
    )
    .bind::<Text, _>(charity)
    .load(conn)
}

#[derive(QueryableByName)]
struct StateText {
    #[diesel(sql_type = Text)]
    state: String,
}

/// The disbursements of `fund` that wait for something (approvals, execution, the
/// recipient's acknowledgement), newest first, at most `limit`.
pub fn open_disbursements(
    conn: &mut PgConnection,
    fund: &str,
    limit: i64,
) -> QueryResult<Vec<DisbursementState>> {
    let rows: Vec<StateText> = diesel::sql_query(
        "SELECT state::text AS state FROM fund_disbursements
         WHERE fund_id = $1 AND (status <> 'executed' OR acknowledged_idx IS NULL)
         ORDER BY seq DESC LIMIT $2",
    )
    .bind::<Text, _>(fund)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
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

/// A reference a fund has recorded, with its donation's number.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Recorded {
    /// The channel.
    #[diesel(sql_type = Text)]
    pub channel: String,
    /// The channel's reference.
    #[diesel(sql_type = Text)]
    pub reference: String,
    /// The donation that has it.
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
}

/// Which of `wanted` (channel, reference) `fund` has recorded already.
pub fn recorded_references(
    conn: &mut PgConnection,
    fund: &str,
    wanted: &[(String, String)],
) -> QueryResult<Vec<Recorded>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let (channels, references): (Vec<&str>, Vec<&str>) =
        wanted.iter().map(|(c, r)| (c.as_str(), r.as_str())).unzip();
    diesel::sql_query(
        "SELECT d.channel, d.reference, d.seq FROM fund_donations d
         JOIN unnest($2::text[], $3::text[]) AS w (channel, reference)
           ON w.channel = d.channel AND w.reference = d.reference
         WHERE d.fund_id = $1 ORDER BY d.seq",
    )
    .bind::<Text, _>(fund)
    .bind::<Array<Text>, _>(channels)
    .bind::<Array<Text>, _>(references)
    .load(conn)
}
