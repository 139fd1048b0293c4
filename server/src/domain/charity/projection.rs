//! Charity's part of a batch: the funds its statements see and change, the disbursements
//! they name, each fund's queue of donations with money left (first in, first out), and
//! the donations' channel references already taken. The sequencer fetches them once per
//! batch; each change is applied here in log order, so the next statement's rules see it.

use super::fund::{DisbursementState, Donation, FundChange, FundState};
use std::collections::{HashMap, HashSet, VecDeque};

/// A fund's donations with money left, oldest first: `(number, units left)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    /// The oldest donations with money left, as far as they were fetched.
    pub head: VecDeque<(u64, i64)>,
    /// Whether `head` holds every donation with money left (else it was fetched only as
    /// far as the batch's disbursements could take, and the batch's own donations come
    /// after donations not fetched).
    pub complete: bool,
}

/// The funds a batch sees, as its statements change them.
#[derive(Debug, Default)]
pub struct Funds {
    /// Prefetched funds (`None`: no such fund yet), updated as the batch goes.
    pub funds: HashMap<String, Option<FundState>>,
    /// Prefetched disbursements, by fund and number, and those the batch proposes.
    pub disbursements: HashMap<(String, u32), DisbursementState>,
    /// The queues of the funds whose disbursements the batch may execute.
    pub queues: HashMap<String, Queue>,
    /// Donations' `(fund, channel, reference)` already logged, and the batch's.
    pub references: HashSet<(String, String, String)>,
}

impl Funds {
    /// The fund `id`, if it exists.
    pub fn get(&self, id: &str) -> Option<&FundState> {
        self.funds.get(id).and_then(Option::as_ref)
    }

    /// Disbursement `seq` of fund `fund`, if it was proposed.
    pub fn disbursement(&self, fund: &str, seq: u32) -> Option<&DisbursementState> {
        self.disbursements.get(&(fund.to_owned(), seq))
    }

    /// Fund `fund`'s queue as the batch has it.
    pub fn queue(&self, fund: &str) -> Option<&Queue> {
        self.queues.get(fund)
    }

    /// Applies the change entry `index` (logged at `at`) makes to fund `id`.
    pub fn apply(&mut self, id: &str, index: u64, at: &str, change: &FundChange) {
        let slot = self.funds.entry(id.to_owned()).or_default();
        match (slot.as_mut(), change) {
            (_, FundChange::Opened(fund)) => {
                *slot = Some(fund.as_ref().clone());
                // A new fund has no donation yet: its queue is all there is.
                self.queues.insert(
                    id.to_owned(),
                    Queue {
                        head: VecDeque::new(),
                        complete: true,
                    },
                );
            }
            (Some(fund), change) => fund.apply(index, at, change),
            (None, _) => {}
        }
        match change {
            FundChange::Donated(donation) => self.donated(donation),
            FundChange::Proposed(d) => {
                self.disbursements
                    .insert((id.to_owned(), d.seq), d.as_ref().clone());
            }
            FundChange::Executed { allocations, .. } => {
                if let Some(queue) = self.queues.get_mut(id) {
                    for allocation in allocations {
                        match queue.head.front_mut() {
                            Some((seq, left)) if *seq == allocation.donation => {
                                *left -= allocation.amount;
                                if *left == 0 {
                                    queue.head.pop_front();
                                }
                            }
                            _ => debug_assert!(false, "allocations follow the queue"),
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(seq) = change.disbursement()
            && let Some(d) = self.disbursements.get_mut(&(id.to_owned(), seq))
        {
            d.apply(index, at, change);
        }
    }

    fn donated(&mut self, donation: &Donation) {
        self.references.insert((
            donation.fund.clone(),
            donation.channel.clone(),
            donation.reference.clone(),
        ));
        if let Some(queue) = self.queues.get_mut(&donation.fund)
            && queue.complete
        {
            queue.head.push_back((donation.seq, donation.amount));
        }
    }
}
