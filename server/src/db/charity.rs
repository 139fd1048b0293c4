//! Charity's tables: what a batch's rules need of them (funds, disbursements, the queue of
//! donations with money left, references taken), and the batch's changes written into
//! them. Shared by the sequencer and the replay command.

use crate::domain::charity::fund::{
    Allocation, DisbursementState, DisbursementStatus, Donation, FundChange, FundState, Recipient,
};
use crate::domain::charity::projection::{Funds, Queue};
use crate::domain::{Effect, StateKey};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};
use std::collections::{HashMap, VecDeque};

/// How many queue rows one query fetches.
const QUEUE_CHUNK: i64 = 2_000;

/// What the batch's statements asked for, gathered from their [`StateKey`]s.
#[derive(Default)]
pub struct Wanted {
    funds: Vec<String>,
    disbursements: Vec<(String, u32)>,
    queues: HashMap<String, i64>,
    references: Vec<(String, String, String)>,
}

impl Wanted {
    /// Takes a state key if it is charity's; gives it back otherwise. An untrusted
    /// statement's hint of more to read is dropped (see `projection::prefetch`).
    pub fn take(&mut self, key: StateKey, trusted: bool) -> Option<StateKey> {
        match key {
            StateKey::Fund(id) => self.funds.push(id),
            StateKey::Disbursement(fund, seq) => {
                self.funds.push(fund.clone());
                self.disbursements.push((fund, seq));
            }
            StateKey::FundQueue(fund, more) => {
                self.funds.push(fund.clone());
                let want = self.queues.entry(fund).or_default();
                if trusted {
                    *want = want.saturating_add(more.max(0));
                }
            }
            StateKey::DonationReference(fund, channel, reference) => {
                self.references.push((fund, channel, reference))
            }
            other => return Some(other),
        }
        None
    }
}

fn unreadable(what: String) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(what.into())
}

#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = Text)]
    state: String,
}

/// The funds, disbursements, queues and references the batch wants. Rows asked for by key
/// are looked up one key at a time (a lateral subquery with a limit, probing the key's
/// index): a join of the keys let the planner hash a scan of the whole young table
/// (auto_explain: 9.9 ms a batch at 3,000 donations).
pub fn prefetch(conn: &mut PgConnection, mut wanted: Wanted) -> QueryResult<Funds> {
    let mut funds = Funds::default();
    if !wanted.disbursements.is_empty() {
        wanted.disbursements.sort_unstable();
        wanted.disbursements.dedup();
        let rows: Vec<StateRow> = diesel::sql_query(
            "SELECT d.state::text AS state FROM unnest($1::text[], $2::int[]) AS w(fund, seq)
             CROSS JOIN LATERAL (SELECT state FROM fund_disbursements
                                 WHERE fund_id = w.fund AND seq = w.seq LIMIT 1) d",
        )
        .bind::<Array<Text>, _>(
            wanted
                .disbursements
                .iter()
                .map(|d| &d.0)
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Integer>, _>(
            wanted
                .disbursements
                .iter()
                .map(|d| d.1 as i32)
                .collect::<Vec<_>>(),
        )
        .load(conn)?;
        for row in rows {
            let d: DisbursementState = serde_json::from_str(&row.state).map_err(|e| {
                unreadable(format!(
                    "INTEGRITY ALARM: the stored state of a disbursement is unreadable: {e}"
                ))
            })?;
            // A transfer's or its acknowledgement's rules read the fund it pays.
            if let Recipient::Fund { id } = &d.recipient {
                wanted.funds.push(id.clone());
            }
            funds.disbursements.insert((d.fund.clone(), d.seq), d);
        }
    }
    wanted.funds.sort_unstable();
    wanted.funds.dedup();
    if !wanted.funds.is_empty() {
        let found = load_funds(conn, &wanted.funds)?;
        for id in &wanted.funds {
            let fund = found.get(id).cloned();
            funds.funds.insert(id.clone(), fund);
        }
    }
    for (fund, more) in wanted.queues {
        let Some(Some(state)) = funds.funds.get(&fund) else {
            continue;
        };
        // What the batch's executions could take: the disbursements it names that are
        // not paid yet, and what it proposes; never more than the fund holds (all its
        // donations with money left add up to its balance).
        let named = funds
            .disbursements
            .values()
            .filter(|d| d.fund == fund && d.status != DisbursementStatus::Executed)
            .fold(0i64, |sum, d| sum.saturating_add(d.amount));
        let balance = state.balance;
        let need = named.saturating_add(more).min(balance);
        let queue = load_queue(conn, &fund, need, balance)?;
        funds.queues.insert(fund, queue);
    }
    if !wanted.references.is_empty() {
        #[derive(QueryableByName)]
        struct Taken {
            #[diesel(sql_type = Text)]
            fund_id: String,
            #[diesel(sql_type = Text)]
            channel: String,
            #[diesel(sql_type = Text)]
            reference: String,
        }
        let taken: Vec<Taken> = diesel::sql_query(
            "SELECT w.fund AS fund_id, w.channel, w.reference
             FROM unnest($1::text[], $2::text[], $3::text[]) AS w(fund, channel, reference)
             CROSS JOIN LATERAL (SELECT 1 FROM fund_donations d WHERE d.fund_id = w.fund
                                   AND d.channel = w.channel AND d.reference = w.reference
                                 LIMIT 1) taken",
        )
        .bind::<Array<Text>, _>(wanted.references.iter().map(|r| &r.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(wanted.references.iter().map(|r| &r.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(wanted.references.iter().map(|r| &r.2).collect::<Vec<_>>())
        .load(conn)?;
        funds.references = taken
            .into_iter()
            .map(|t| (t.fund_id, t.channel, t.reference))
            .collect();
    }
    Ok(funds)
}

/// The funds `ids`, as their rows keep them.
pub fn load_funds(
    conn: &mut PgConnection,
    ids: &[String],
) -> QueryResult<HashMap<String, FundState>> {
    let rows: Vec<StateRow> =
        diesel::sql_query("SELECT state::text AS state FROM funds WHERE id = ANY($1)")
            .bind::<Array<Text>, _>(ids)
            .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let fund: FundState = serde_json::from_str(&row.state).map_err(|e| {
                unreadable(format!(
                    "INTEGRITY ALARM: the stored state of a fund is unreadable: {e}"
                ))
            })?;
            Ok((fund.id.clone(), fund))
        })
        .collect()
}

/// The oldest donations of `fund` with money left, until they hold `need` units (or all
/// of them, if they hold less). They are all there once they hold the fund's `balance`.
fn load_queue(conn: &mut PgConnection, fund: &str, need: i64, balance: i64) -> QueryResult<Queue> {
    #[derive(QueryableByName)]
    struct Left {
        #[diesel(sql_type = BigInt)]
        seq: i64,
        #[diesel(sql_type = BigInt)]
        remaining: i64,
    }
    let mut head = VecDeque::new();
    if need <= 0 {
        // An empty fund's queue is empty, and complete.
        return Ok(Queue {
            head,
            complete: balance == 0,
        });
    }
    let mut held: i64 = 0;
    let mut after: i64 = 0;
    loop {
        let rows: Vec<Left> = diesel::sql_query(
            "SELECT seq, remaining FROM fund_donations
             WHERE fund_id = $1 AND remaining > 0 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind::<Text, _>(fund)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(QUEUE_CHUNK)
        .load(conn)?;
        let exhausted = (rows.len() as i64) < QUEUE_CHUNK;
        for row in rows {
            after = row.seq;
            held = held.saturating_add(row.remaining);
            head.push_back((row.seq as u64, row.remaining));
        }
        if exhausted || held >= need {
            return Ok(Queue {
                head,
                complete: exhausted || held >= balance,
            });
        }
    }
}

/// Writes charity's effects of a batch, from what the batch derived (`funds`), and the
/// donors' data its donations came with (`vault`), in one statement.
pub fn project(
    conn: &mut PgConnection,
    effects: &[(u64, Effect)],
    funds: &Funds,
    vault: &[&super::vault::VaultEntry],
) -> QueryResult<()> {
    let mut touched: Vec<&str> = Vec::new();
    let mut disbursements: HashMap<(&str, u32), i64> = HashMap::new();
    let mut donations: Vec<&Donation> = Vec::new();
    let mut new_donations: HashMap<(&str, u64), usize> = HashMap::new();
    let mut remaining: Vec<i64> = Vec::new();
    let mut spent: HashMap<(&str, u64), i64> = HashMap::new();
    let mut allocations: Vec<(&str, &Allocation, u32, i64)> = Vec::new();
    let mut totals = Totals::default();
    for (index, effect) in effects {
        let Effect::Fund { id, change, at, .. } = effect else {
            continue;
        };
        let day = super::log::to_chrono(*at).date_naive();
        touched.push(id);
        if let Some(seq) = change.disbursement() {
            disbursements.insert((id.as_str(), seq), *index as i64);
        }
        match change.as_ref() {
            FundChange::Donated(d) => {
                new_donations.insert((id.as_str(), d.seq), donations.len());
                donations.push(d);
                remaining.push(d.amount);
                let day = totals.days.entry((id, day)).or_default();
                day.money_in += d.amount;
                day.donations += 1;
                day.last = *index as i64;
                let source = d.source.as_ref().map_or("", |s| s.0.as_str());
                let channel = totals.channels.entry((id, &d.channel, source)).or_default();
                channel.amount += d.amount;
                channel.count += 1;
                channel.last = *index as i64;
            }
            FundChange::Executed {
                seq,
                allocations: taken,
                ..
            } => {
                let paid: i64 = taken.iter().map(|a| a.amount).sum();
                let day = totals.days.entry((id, day)).or_default();
                day.money_out += paid;
                day.disbursements += 1;
                day.last = *index as i64;
                if let Some(d) = funds.disbursement(id, *seq) {
                    let (kind, recipient) = d.recipient_columns();
                    let to = totals.recipients.entry((id, kind, recipient)).or_default();
                    to.amount += paid;
                    to.count += 1;
                    to.last = *index as i64;
                }
                for a in taken {
                    allocations.push((id, a, *seq, *index as i64));
                    match new_donations.get(&(id.as_str(), a.donation)) {
                        Some(&i) => remaining[i] -= a.amount,
                        None => *spent.entry((id.as_str(), a.donation)).or_default() += a.amount,
                    }
                }
            }
            _ => {}
        }
    }
    touched.sort_unstable();
    touched.dedup();
    let saved: Vec<&FundState> = touched
        .into_iter()
        .filter_map(|id| funds.funds.get(id)?.as_ref())
        .collect();
    // Every write of the batch, one statement.
    let mut writes = super::writes::Writes::default();
    save_funds(&mut writes, &saved)?;
    insert_donations(&mut writes, &donations, remaining)?;
    let spent_count = spent.len() as i64;
    let spent_clause = (!spent.is_empty()).then(|| {
        let spent: Vec<((&str, u64), i64)> = spent.into_iter().collect();
        writes.add(
            "UPDATE fund_donations d SET remaining = d.remaining - s.taken
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS s(fund, seq, taken)
             WHERE d.fund_id = s.fund AND d.seq = s.seq RETURNING 1",
            move |q| {
                q.bind::<Array<Text>, _>(spent.iter().map(|s| s.0.0).collect::<Vec<_>>())
                    .bind::<Array<BigInt>, _>(
                        spent.iter().map(|s| s.0.1 as i64).collect::<Vec<_>>(),
                    )
                    .bind::<Array<BigInt>, _>(spent.iter().map(|s| s.1).collect::<Vec<_>>())
            },
        )
    });
    if !allocations.is_empty() {
        writes.add(
            "INSERT INTO fund_allocations (fund_id, donation_seq, disbursement_seq, amount, entry_idx)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[])",
            move |q| {
                q.bind::<Array<Text>, _>(allocations.iter().map(|a| a.0).collect::<Vec<_>>())
                    .bind::<Array<BigInt>, _>(
                        allocations
                            .iter()
                            .map(|a| a.1.donation as i64)
                            .collect::<Vec<_>>(),
                    )
                    .bind::<Array<Integer>, _>(
                        allocations.iter().map(|a| a.2 as i32).collect::<Vec<_>>(),
                    )
                    .bind::<Array<BigInt>, _>(
                        allocations.iter().map(|a| a.1.amount).collect::<Vec<_>>(),
                    )
                    .bind::<Array<BigInt>, _>(allocations.iter().map(|a| a.3).collect::<Vec<_>>())
            },
        );
    }
    totals.add_to(&mut writes);
    let changed: Vec<(&DisbursementState, i64)> = disbursements
        .into_iter()
        .filter_map(|((fund, seq), updated)| Some((funds.disbursement(fund, seq)?, updated)))
        .collect();
    save_disbursements(&mut writes, changed)?;
    super::vault::store_with(&mut writes, vault);
    let updated = writes.execute(conn, spent_clause.as_deref())?;
    if updated != spent_count {
        return Err(unreadable(format!(
            "INTEGRITY ALARM: {} of {spent_count} donations a disbursement took from are not in the tables",
            spent_count - updated,
        )));
    }
    Ok(())
}

/// When a statement's time (RFC 3339, as the log has it) was, for a `timestamptz`.
fn time(t: &str) -> QueryResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| unreadable(format!("a time of the log, {t}: {e}")))
}

/// The batch's new donations, with what is left of each.
fn insert_donations<'a>(
    writes: &mut super::writes::Writes<'a>,
    donations: &[&'a Donation],
    remaining: Vec<i64>,
) -> QueryResult<()> {
    if donations.is_empty() {
        return Ok(());
    }
    let mut logged = Vec::with_capacity(donations.len());
    let mut received = Vec::with_capacity(donations.len());
    for d in donations {
        logged.push(time(&d.at)?);
        received.push(time(&d.received_at)?);
    }
    let donations = donations.to_vec();
    writes.add(
        "INSERT INTO fund_donations (fund_id, seq, entry_idx, logged_at, amount, remaining,
             channel, reference, received_at, donor_commitment, named, source_fund,
             source_disbursement)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[],
             $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::timestamptz[],
             $10::text[], $11::bool[], $12::text[], $13::int[])",
        move |q| {
            q.bind::<Array<Text>, _>(donations.iter().map(|d| &d.fund).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(
                    donations.iter().map(|d| d.seq as i64).collect::<Vec<_>>(),
                )
                .bind::<Array<BigInt>, _>(
                    donations.iter().map(|d| d.idx as i64).collect::<Vec<_>>(),
                )
                .bind::<Array<Timestamptz>, _>(logged)
                .bind::<Array<BigInt>, _>(donations.iter().map(|d| d.amount).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(remaining)
                .bind::<Array<Text>, _>(donations.iter().map(|d| &d.channel).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(donations.iter().map(|d| &d.reference).collect::<Vec<_>>())
                .bind::<Array<Timestamptz>, _>(received)
                .bind::<Array<Nullable<Text>>, _>(
                    donations
                        .iter()
                        .map(|d| d.donor.as_ref())
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Bool>, _>(donations.iter().map(|d| d.named).collect::<Vec<_>>())
                .bind::<Array<Nullable<Text>>, _>(
                    donations
                        .iter()
                        .map(|d| d.source.as_ref().map(|s| &s.0))
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Nullable<Integer>>, _>(
                    donations
                        .iter()
                        .map(|d| d.source.as_ref().map(|s| s.1 as i32))
                        .collect::<Vec<_>>(),
                )
        },
    );
    Ok(())
}

/// What a batch adds to the funds' running totals: by day (in, out, donations,
/// disbursements), by channel (amount, donations), by recipient (amount, disbursements);
/// each with the last entry that changed it (so that a replay in other batches agrees).
#[derive(Default)]
struct Totals<'e> {
    days: HashMap<(&'e str, chrono::NaiveDate), Day>,
    channels: HashMap<(&'e str, &'e str, &'e str), Sum>,
    recipients: HashMap<(&'e str, &'static str, &'e str), Sum>,
}

/// A fund's money in and out on a day, and the last entry that changed it.
#[derive(Default)]
struct Day {
    money_in: i64,
    money_out: i64,
    donations: i64,
    disbursements: i64,
    last: i64,
}

/// An amount, how many made it, and the last entry that changed it.
#[derive(Default)]
struct Sum {
    amount: i64,
    count: i64,
    last: i64,
}

impl<'a> Totals<'a> {
    /// Adds what the batch adds to the running totals.
    fn add_to(self, writes: &mut super::writes::Writes<'a>) {
        if !self.days.is_empty() {
            let rows: Vec<_> = self.days.into_iter().collect();
            writes.add(
                "INSERT INTO fund_days (fund_id, day, money_in, money_out, donations, disbursements, updated_idx)
                 SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[],
                     $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
                 ON CONFLICT (fund_id, day) DO UPDATE SET
                     money_in = fund_days.money_in + excluded.money_in,
                     money_out = fund_days.money_out + excluded.money_out,
                     donations = fund_days.donations + excluded.donations,
                     disbursements = fund_days.disbursements + excluded.disbursements,
                     updated_idx = excluded.updated_idx",
                move |q| {
                    q.bind::<Array<Text>, _>(rows.iter().map(|r| r.0.0).collect::<Vec<_>>())
                        .bind::<Array<diesel::sql_types::Date>, _>(
                            rows.iter().map(|r| r.0.1).collect::<Vec<_>>(),
                        )
                        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.money_in).collect::<Vec<_>>())
                        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.money_out).collect::<Vec<_>>())
                        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.donations).collect::<Vec<_>>())
                        .bind::<Array<BigInt>, _>(
                            rows.iter().map(|r| r.1.disbursements).collect::<Vec<_>>(),
                        )
                        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.last).collect::<Vec<_>>())
                },
            );
        }
        if !self.channels.is_empty() {
            let rows: Vec<_> = self.channels.into_iter().collect();
            writes.add(
                "INSERT INTO fund_channels (fund_id, channel, source_fund, amount, donations, updated_idx)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[],
                     $4::bigint[], $5::bigint[], $6::bigint[])
                 ON CONFLICT (fund_id, channel, source_fund) DO UPDATE SET
                     amount = fund_channels.amount + excluded.amount,
                     donations = fund_channels.donations + excluded.donations,
                     updated_idx = excluded.updated_idx",
                move |q| sums(q, &rows),
            );
        }
        if !self.recipients.is_empty() {
            let rows: Vec<_> = self.recipients.into_iter().collect();
            writes.add(
                "INSERT INTO fund_recipients (fund_id, recipient_kind, recipient, amount, disbursements, updated_idx)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[],
                     $4::bigint[], $5::bigint[], $6::bigint[])
                 ON CONFLICT (fund_id, recipient_kind, recipient) DO UPDATE SET
                     amount = fund_recipients.amount + excluded.amount,
                     disbursements = fund_recipients.disbursements + excluded.disbursements,
                     updated_idx = excluded.updated_idx",
                move |q| sums(q, &rows),
            );
        }
    }
}

/// Binds sums keyed by (fund, and two names): the three keys, amount, count, last entry.
fn sums<'a>(
    q: diesel::query_builder::BoxedSqlQuery<'a, diesel::pg::Pg, diesel::query_builder::SqlQuery>,
    rows: &[((&'a str, &'a str, &'a str), Sum)],
) -> diesel::query_builder::BoxedSqlQuery<'a, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    q.bind::<Array<Text>, _>(rows.iter().map(|r| r.0.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.0.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.0.2).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.amount).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.count).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1.last).collect::<Vec<_>>())
}

fn json(value: &impl serde::Serialize) -> QueryResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// The funds the batch changed, as they are now.
fn save_funds<'a>(
    writes: &mut super::writes::Writes<'a>,
    funds: &[&'a FundState],
) -> QueryResult<()> {
    if funds.is_empty() {
        return Ok(());
    }
    let mut starts = Vec::with_capacity(funds.len());
    let mut ends = Vec::with_capacity(funds.len());
    let mut states = Vec::with_capacity(funds.len());
    for fund in funds {
        starts.push(time(&fund.start)?);
        ends.push(time(&fund.end)?);
        states.push(json(*fund)?);
    }
    let funds = funds.to_vec();
    writes.add(
        "INSERT INTO funds (id, charity_id, kind, status, currency, target, balance, received,
                            disbursed, donations, disbursements, period_start, period_end,
                            opened_idx, updated_idx, state)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],
                              $10::bigint[], $11::int[], $12::timestamptz[],
                              $13::timestamptz[], $14::bigint[], $15::bigint[], $16::jsonb[])
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, balance = excluded.balance,
             received = excluded.received, disbursed = excluded.disbursed,
             donations = excluded.donations, disbursements = excluded.disbursements,
             updated_idx = excluded.updated_idx, state = excluded.state",
        move |q| {
            q.bind::<Array<Text>, _>(funds.iter().map(|f| &f.id).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(funds.iter().map(|f| &f.charity).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(funds.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(funds.iter().map(|f| f.status.as_str()).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(funds.iter().map(|f| &f.currency).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(funds.iter().map(|f| f.target).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(funds.iter().map(|f| f.balance).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(funds.iter().map(|f| f.received).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(funds.iter().map(|f| f.disbursed).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(
                    funds.iter().map(|f| f.donations as i64).collect::<Vec<_>>(),
                )
                .bind::<Array<Integer>, _>(
                    funds
                        .iter()
                        .map(|f| f.disbursements as i32)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Timestamptz>, _>(starts)
                .bind::<Array<Timestamptz>, _>(ends)
                .bind::<Array<BigInt>, _>(
                    funds
                        .iter()
                        .map(|f| f.opened_idx as i64)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<BigInt>, _>(
                    funds
                        .iter()
                        .map(|f| f.updated_idx as i64)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Jsonb>, _>(states)
        },
    );
    Ok(())
}

/// The disbursements the batch changed: (its state, the last entry that changed it).
fn save_disbursements<'a>(
    writes: &mut super::writes::Writes<'a>,
    changed: Vec<(&'a DisbursementState, i64)>,
) -> QueryResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut executed_at = Vec::with_capacity(changed.len());
    let mut states = Vec::with_capacity(changed.len());
    for (d, _) in &changed {
        executed_at.push(d.executed.as_ref().map(|e| time(&e.at)).transpose()?);
        states.push(json(*d)?);
    }
    writes.add(
        "INSERT INTO fund_disbursements (fund_id, seq, amount, status, recipient_kind, recipient,
                                         evidence_count, proposed_idx, executed_idx, executed_at,
                                         acknowledged_idx, updated_idx, state)
         SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[],
                              $6::text[], $7::int[], $8::bigint[], $9::bigint[],
                              $10::timestamptz[], $11::bigint[], $12::bigint[], $13::jsonb[])
         ON CONFLICT (fund_id, seq) DO UPDATE SET status = excluded.status,
             executed_idx = excluded.executed_idx, executed_at = excluded.executed_at,
             acknowledged_idx = excluded.acknowledged_idx, updated_idx = excluded.updated_idx,
             state = excluded.state",
        move |q| {
            q.bind::<Array<Text>, _>(changed.iter().map(|(d, _)| &d.fund).collect::<Vec<_>>())
                .bind::<Array<Integer>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.seq as i32)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<BigInt>, _>(changed.iter().map(|(d, _)| d.amount).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.status.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Text>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.recipient_columns().0)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Text>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.recipient_columns().1)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Integer>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.evidence.len() as i32)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<BigInt>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.proposed_idx as i64)
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Nullable<BigInt>>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.executed.as_ref().map(|e| e.idx as i64))
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Nullable<Timestamptz>>, _>(executed_at)
                .bind::<Array<Nullable<BigInt>>, _>(
                    changed
                        .iter()
                        .map(|(d, _)| d.acknowledged.as_ref().map(|a| a.idx as i64))
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<BigInt>, _>(changed.iter().map(|(_, u)| *u).collect::<Vec<_>>())
                .bind::<Array<Jsonb>, _>(states)
        },
    );
    Ok(())
}
