//! Writing a batch into the tables and reading what its rules need: the projections of
//! the log, shared by the sequencer and the replay command (one copy, so that the replay
//! is a real check of the sequencer).

use super::schema;
use crate::domain::charity::projection::Funds;
use crate::domain::procurement::projection::Tenders;
use crate::domain::procurement::{BidState, TenderChange, TenderState};
use crate::domain::{Directory, DirectoryChange, Effect, Registry, State, StateKey};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz};
use std::collections::{HashMap, HashSet};
use vitrine_ledger::statement::Statement;

/// Fetches, in one query per table, the state the rules of `statements` will need. Each
/// statement comes with whether its hints may widen what is fetched beyond what the tables
/// name (a disbursement proposed and executed in one batch needs the fund's queue read as
/// far as its amount, which only its body says): the sequencer trusts a statement whose
/// keys are all registered and active, the replay every logged one. A stranger's proposal
/// of a huge amount, refused later, thus never makes a batch read a fund's whole queue.
pub fn prefetch<'d, 's>(
    conn: &mut PgConnection,
    registry: &Registry,
    directory: &'d mut Directory,
    statements: impl Iterator<Item = (&'s Statement, bool)>,
) -> QueryResult<State<'d>> {
    let mut documents = Vec::new();
    let mut tenders = Vec::new();
    let mut blobs = Vec::new();
    let mut charity = super::charity::Wanted::default();
    for (statement, trusted) in statements {
        let Some(kind) = registry.get(statement.kind()) else {
            continue;
        };
        for key in kind.prefetch(statement) {
            let Some(key) = charity.take(key, trusted) else {
                continue;
            };
            match key {
                StateKey::Document(h) => documents.push(h.to_vec()),
                StateKey::Tender(id) => tenders.push(id),
                StateKey::Blob(h) => blobs.push(h.to_vec()),
                // Taken by `charity` above.
                StateKey::Fund(_)
                | StateKey::Disbursement(..)
                | StateKey::FundQueue(..)
                | StateKey::DonationReference(..) => {}
            }
        }
    }
    let mut state = State {
        directory,
        present: HashSet::new(),
        procurement: Tenders::default(),
        charity: super::charity::prefetch(conn, charity)?,
        uploads: HashSet::new(),
        public_documents: HashSet::new(),
    };
    if !documents.is_empty() {
        let found: Vec<Vec<u8>> = schema::documents::table
            .filter(schema::documents::sha256.eq_any(&documents))
            .select(schema::documents::sha256)
            .load(conn)?;
        state.present = found
            .into_iter()
            .filter_map(|h| <[u8; 32]>::try_from(h).ok().map(StateKey::Document))
            .collect();
    }
    if !blobs.is_empty() {
        let uploads: Vec<(Vec<u8>, String)> = schema::blob_uploads::table
            .filter(schema::blob_uploads::sha256.eq_any(&blobs))
            .select((
                schema::blob_uploads::sha256,
                schema::blob_uploads::organisation_id,
            ))
            .load(conn)?;
        state.uploads = uploads
            .into_iter()
            .filter_map(|(h, o)| Some((<[u8; 32]>::try_from(h).ok()?, o)))
            .collect();
        let public: Vec<Vec<u8>> = schema::referenced_documents::table
            .filter(schema::referenced_documents::sha256.eq_any(&blobs))
            .select(schema::referenced_documents::sha256)
            .load(conn)?;
        state.public_documents = public
            .into_iter()
            .filter_map(|h| <[u8; 32]>::try_from(h).ok())
            .collect();
    }
    if !tenders.is_empty() {
        tenders.sort_unstable();
        tenders.dedup();
        let mut found = crate::db::load_tenders(conn, &tenders)?;
        for id in tenders {
            let tender = found.remove(&id);
            state.procurement.tenders.insert(id, tender);
        }
    }
    Ok(state)
}

/// What a batch's rules derived, which its projection writes: the tenders' and the
/// funds' final states, the OCDS releases, the disbursements and donation queues.
#[derive(Debug, Default)]
pub struct Derived {
    /// Procurement's.
    pub tenders: Tenders,
    /// Charity's.
    pub funds: Funds,
}

impl Derived {
    /// Takes what the batch's state derived.
    pub fn take(state: &mut State<'_>) -> Derived {
        Derived {
            tenders: std::mem::take(&mut state.procurement),
            funds: std::mem::take(&mut state.charity),
        }
    }
}

/// Writes the effects of a batch into the projection tables, with what the batch derived.
/// Documents, the bulk of the traffic, go in one insert of arrays; directory changes, rare,
/// one by one in log order.
pub fn project(
    conn: &mut PgConnection,
    effects: &[(u64, Effect)],
    derived: &Derived,
    vault: &[&super::vault::VaultEntry],
) -> QueryResult<()> {
    let Derived {
        tenders: derived,
        funds,
    } = derived;
    let mut documents = Vec::new();
    let mut touched = Vec::new();
    let mut published: Vec<(&str, &str)> = Vec::new();
    // Hashes logged statements name as documents, with the first entry naming each.
    let mut referenced: Vec<(String, i64)> = Vec::new();
    // The bids each entry changed: (tender, commitment); `None` for all of the tender's.
    let mut changed_bids: Vec<(&String, Option<&str>)> = Vec::new();
    for (index, effect) in effects {
        let index = *index as i64;
        match effect {
            Effect::Directory(DirectoryChange::RegisterOrganisation {
                id,
                name,
                kind,
                credit_code,
            }) => {
                diesel::insert_into(schema::organisations::table)
                    .values((
                        schema::organisations::id.eq(id),
                        schema::organisations::name.eq(name),
                        schema::organisations::kind.eq(kind.as_str()),
                        schema::organisations::credit_code.eq(credit_code),
                        schema::organisations::registered_idx.eq(index),
                    ))
                    .execute(conn)?;
            }
            Effect::Directory(DirectoryChange::RegisterKey {
                public_key,
                organisation,
                role,
            }) => {
                diesel::insert_into(schema::participant_keys::table)
                    .values((
                        schema::participant_keys::public_key.eq(public_key.to_vec()),
                        schema::participant_keys::organisation_id.eq(organisation),
                        schema::participant_keys::role.eq(role.as_str()),
                        schema::participant_keys::registered_idx.eq(index),
                    ))
                    .execute(conn)?;
            }
            Effect::Directory(DirectoryChange::RevokeKey { public_key }) => {
                diesel::update(schema::participant_keys::table.find(public_key.to_vec()))
                    .set(schema::participant_keys::revoked_idx.eq(index))
                    .execute(conn)?;
            }
            // A document.published names a hash and a title; it makes no uploaded content
            // readable (only statements whose signers hold the content do).
            Effect::Directory(DirectoryChange::PublishDocument {
                sha256,
                title,
                organisation,
            }) => documents.push((sha256, title, organisation, index)),
            Effect::Tender { id, change, .. } => {
                if let TenderChange::Published(tender) = &**change {
                    published.push((tender.buyer.as_str(), id.as_str()));
                }
                touched.push(id);
                referenced.extend(change.documents_named().into_iter().map(|h| (h, index)));
                changed_bids.extend(bids_changed(change).into_iter().map(|c| (id, c)));
            }
            Effect::Fund { change, .. } => {
                referenced.extend(
                    change
                        .documents_named()
                        .into_iter()
                        .map(|h| (h.to_owned(), index)),
                );
            }
        }
    }
    if !documents.is_empty() {
        diesel::sql_query(
            "INSERT INTO documents (sha256, title, organisation_id, entry_idx)
             SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::bigint[])",
        )
        .bind::<Array<Bytea>, _>(documents.iter().map(|d| &d.0[..]).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(documents.iter().map(|d| d.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(documents.iter().map(|d| d.2).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(documents.iter().map(|d| d.3).collect::<Vec<_>>())
        .execute(conn)?;
    }
    if !published.is_empty() {
        // A published tender is no longer a draft (of its buyer's).
        diesel::sql_query(
            "DELETE FROM tender_drafts d USING unnest($1::text[], $2::text[]) AS p(buyer, id)
             WHERE d.buyer_id = p.buyer AND d.id = p.id",
        )
        .bind::<Array<Text>, _>(published.iter().map(|p| p.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(published.iter().map(|p| p.1).collect::<Vec<_>>())
        .execute(conn)?;
    }
    touched.sort_unstable();
    touched.dedup();
    for id in touched {
        let Some(Some(tender)) = derived.tenders.get(id) else {
            continue;
        };
        save_tender(conn, tender)?;
    }
    save_bids(conn, &changed_bids, &derived.tenders)?;
    super::charity::project(conn, effects, funds, vault)?;
    if !referenced.is_empty() {
        let hashes: Vec<Vec<u8>> = referenced
            .iter()
            .filter_map(|(h, _)| vitrine_ledger::hash::hex_decode(h))
            .collect();
        let entries: Vec<i64> = referenced.iter().map(|(_, i)| *i).collect();
        diesel::sql_query(
            "INSERT INTO referenced_documents (sha256, entry_idx)
             SELECT * FROM unnest($1::bytea[], $2::bigint[])
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind::<Array<Bytea>, _>(hashes)
        .bind::<Array<BigInt>, _>(entries)
        .execute(conn)?;
    }
    if !derived.releases.is_empty() {
        diesel::sql_query(
            "INSERT INTO ocds_releases (entry_idx, ocid, release)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::jsonb[])",
        )
        .bind::<Array<BigInt>, _>(
            derived
                .releases
                .iter()
                .map(|r| r.0 as i64)
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(derived.releases.iter().map(|r| &r.1).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(derived.releases.iter().map(|r| &r.2).collect::<Vec<_>>())
        .execute(conn)?;
    }
    Ok(())
}

/// The bids a change touches: `None` means all of the tender's (the reveal window closing
/// lapses every bid not revealed).
fn bids_changed(change: &TenderChange) -> Vec<Option<&str>> {
    match change.bids_changed() {
        None => vec![None],
        Some(named) => named.into_iter().map(Some).collect(),
    }
}

/// Writes the changed bids, a row each, from the tenders' final states.
fn save_bids(
    conn: &mut PgConnection,
    changed: &[(&String, Option<&str>)],
    tenders: &HashMap<String, Option<TenderState>>,
) -> QueryResult<()> {
    let mut rows: HashMap<(&str, &str), (i32, &BidState)> = HashMap::new();
    for (id, which) in changed {
        let Some(Some(tender)) = tenders.get(*id) else {
            continue;
        };
        for (position, bid) in tender.bids.iter().enumerate() {
            if which.is_none_or(|c| c == bid.commitment) {
                rows.insert(
                    (id.as_str(), bid.commitment.as_str()),
                    (position as i32, bid),
                );
            }
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::new();
    let mut commitments = Vec::new();
    let mut positions = Vec::new();
    let mut states = Vec::new();
    for ((id, commitment), (position, bid)) in rows {
        ids.push(id);
        commitments.push(commitment);
        positions.push(position);
        states.push(
            serde_json::to_value(bid)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?,
        );
    }
    diesel::sql_query(
        "INSERT INTO tender_bids (tender_id, commitment, position, state)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[])
         ON CONFLICT (tender_id, commitment) DO UPDATE SET state = excluded.state",
    )
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<Text>, _>(commitments)
    .bind::<Array<diesel::sql_types::Integer>, _>(positions)
    .bind::<Array<Jsonb>, _>(states)
    .execute(conn)?;
    Ok(())
}

fn save_tender(conn: &mut PgConnection, tender: &TenderState) -> QueryResult<()> {
    let terms = &tender.tender;
    let period = |field: &str| tender.period_end(field).map(super::log::to_chrono);
    // The listing shows the deadline to the second.
    let tender_end = tender
        .period_end("tender_end")
        .and_then(|t| chrono::DateTime::from_timestamp(t.unix_seconds(), 0));
    let mut state = serde_json::to_value(tender)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    // The bids have rows of their own.
    if let Some(map) = state.as_object_mut() {
        map.remove("bids");
    }
    // Every column follows the tender: an amendment changes its title, value and periods.
    diesel::sql_query(
        "INSERT INTO tenders (id, buyer_id, status, title, category, region, procedure,
                              value_amount, currency, tender_end, published_idx, updated_idx, state,
                              enquiry_end, reveal_end)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, title = excluded.title,
             category = excluded.category, region = excluded.region,
             procedure = excluded.procedure, value_amount = excluded.value_amount,
             currency = excluded.currency, tender_end = excluded.tender_end,
             updated_idx = excluded.updated_idx, state = excluded.state,
             enquiry_end = excluded.enquiry_end, reveal_end = excluded.reveal_end",
    )
    .bind::<Text, _>(&tender.id)
    .bind::<Text, _>(&tender.buyer)
    .bind::<Text, _>(tender.status.as_str())
    .bind::<Text, _>(terms.title())
    .bind::<Text, _>(terms.category())
    .bind::<Text, _>(terms.region())
    .bind::<Text, _>(terms.procedure())
    .bind::<Text, _>(terms.value_amount())
    .bind::<Text, _>(terms.currency())
    .bind::<Nullable<Timestamptz>, _>(tender_end)
    .bind::<BigInt, _>(tender.published_idx as i64)
    .bind::<BigInt, _>(tender.updated_idx as i64)
    .bind::<Jsonb, _>(state)
    .bind::<Nullable<Timestamptz>, _>(period("enquiry_end"))
    .bind::<Nullable<Timestamptz>, _>(period("reveal_end"))
    .execute(conn)?;
    Ok(())
}
