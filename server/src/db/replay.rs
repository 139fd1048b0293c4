//! The replay's scratch schema and its comparison with the live tables (the replay
//! itself is `crate::log::replay`).

use super::schema;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::collections::HashMap;

/// Projection tables, the columns compared, and the column naming the entry.
const TABLES: [(&str, &str, &str); 14] = [
    (
        "organisations",
        "id, name, kind, registered_idx, credit_code",
        "registered_idx",
    ),
    (
        "participant_keys",
        "encode(public_key, 'base64') AS public_key, organisation_id, role, registered_idx, revoked_idx",
        "coalesce(revoked_idx, registered_idx)",
    ),
    (
        "documents",
        "encode(sha256, 'hex') AS sha256, title, organisation_id, entry_idx",
        "entry_idx",
    ),
    (
        "tenders",
        "id, buyer_id, status, title, category, region, procedure, value_amount, currency, tender_end, published_idx, updated_idx, state, enquiry_end, reveal_end",
        "updated_idx",
    ),
    ("ocds_releases", "entry_idx, ocid, release", "entry_idx"),
    (
        "referenced_documents",
        "encode(sha256, 'hex') AS sha256, entry_idx",
        "entry_idx",
    ),
    (
        "tender_bids",
        "tender_id, commitment, position, state",
        "(state->>'committed_idx')::bigint",
    ),
    (
        "funds",
        "id, charity_id, kind, status, currency, target, balance, received, disbursed, donations, disbursements, period_start, period_end, opened_idx, updated_idx, state",
        "updated_idx",
    ),
    (
        "fund_donations",
        "fund_id, seq, entry_idx, logged_at, amount, remaining, channel, reference, received_at, donor_commitment, named, source_fund, source_disbursement",
        "entry_idx",
    ),
    (
        "fund_disbursements",
        "fund_id, seq, amount, status, recipient_kind, recipient, evidence_count, proposed_idx, executed_idx, executed_at, acknowledged_idx, updated_idx, state",
        "updated_idx",
    ),
    (
        "fund_days",
        "fund_id, day, money_in, money_out, donations, disbursements, updated_idx",
        "updated_idx",
    ),
    (
        "fund_channels",
        "fund_id, channel, source_fund, amount, donations, updated_idx",
        "updated_idx",
    ),
    (
        "fund_recipients",
        "fund_id, recipient_kind, recipient, amount, disbursements, updated_idx",
        "updated_idx",
    ),
    (
        "fund_allocations",
        "fund_id, donation_seq, disbursement_seq, amount, entry_idx",
        "entry_idx",
    ),
];

/// One row that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The table.
    pub table: &'static str,
    /// `live only` (the tables have a row the log does not explain) or `log only` (the
    /// log implies a row the tables lack).
    pub side: &'static str,
    /// The entry concerned.
    pub entry: i64,
    /// The row, as JSON.
    pub row: String,
}

#[derive(QueryableByName)]
struct DiffRow {
    #[diesel(sql_type = BigInt)]
    entry: i64,
    #[diesel(sql_type = Text)]
    row: String,
}

/// Makes empty copies of the projection tables in the schema `vitrine_replay`, which
/// unqualified names resolve to for the rest of the transaction; the log stays public.
pub fn scratch_projections(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("CREATE SCHEMA vitrine_replay").execute(conn)?;
    for (table, _, _) in TABLES {
        diesel::sql_query(format!(
            "CREATE TABLE vitrine_replay.{table} (LIKE public.{table} INCLUDING ALL)"
        ))
        .execute(conn)?;
    }
    diesel::sql_query("SET LOCAL search_path = vitrine_replay, public").execute(conn)?;
    Ok(())
}

/// Up to `limit` entries from index `first` on, in order: (index, entry).
pub fn entries_from(
    conn: &mut PgConnection,
    first: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    schema::log_entries::table
        .filter(schema::log_entries::idx.ge(first))
        .order(schema::log_entries::idx.asc())
        .limit(limit)
        .select((schema::log_entries::idx, schema::log_entries::entry))
        .load(conn)
}

/// Who sent the anonymous statements of entries `first..=last`: index to organisation.
pub fn authors_between(
    conn: &mut PgConnection,
    first: i64,
    last: i64,
) -> QueryResult<HashMap<i64, String>> {
    Ok(schema::private_authors::table
        .filter(schema::private_authors::entry_idx.between(first, last))
        .select((
            schema::private_authors::entry_idx,
            schema::private_authors::organisation_id,
        ))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// The rows that differ between the live tables and the scratch copies, at most `limit`
/// per table and side.
pub fn differences(conn: &mut PgConnection, limit: usize) -> QueryResult<Vec<Difference>> {
    let mut found = Vec::new();
    for (table, columns, entry) in TABLES {
        for (side, left, right) in [
            ("live only", "public", "vitrine_replay"),
            ("log only", "vitrine_replay", "public"),
        ] {
            let rows: Vec<DiffRow> = diesel::sql_query(format!(
                "SELECT {entry} AS entry, row_to_json(d)::text AS row FROM \
                 (SELECT {columns} FROM {left}.{table} EXCEPT SELECT {columns} FROM {right}.{table}) d \
                 ORDER BY 1 LIMIT {limit}"
            ))
            .load(conn)?;
            found.extend(rows.into_iter().map(|r| Difference {
                table,
                side,
                entry: r.entry,
                row: r.row,
            }));
        }
    }
    Ok(found)
}
