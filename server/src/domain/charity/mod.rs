//! Charity (DESIGN.md "Charity"): funds, their donations and their disbursements, as
//! statement kinds with their rules, and the rule by which anyone can trace every yuan.
//!
//! A fund is opened by its charity's administrator with an approval policy: `approvals` of
//! the officers it names (keys of the charity) approve each disbursement, or
//! `above.approvals` of them for one of more than `above.amount`. Every charity statement
//! names its fund as its `subject`.
//!
//! - `donation.recorded` (an officer of the charity, or its machine key fed by the bank):
//!   the amount, the channel and its reference (once per fund), when it was received, and
//!   the donor only as a commitment, `SHA-256("vitrine/donor/v1\n" || JCS(data) || salt)`,
//!   whose data and salt live in the vault (erasable) and go to the donor with the receipt.
//! - `disbursement.proposed` (officers of the policy; each signature is an approval), then
//!   `disbursement.approved` (more officers, each once), then `disbursement.executed` (an
//!   officer, once the approvals by officers whose keys are still active reach what the
//!   policy requires for its amount, and only if the fund's balance covers it at that
//!   point of the log), then `disbursement.acknowledged` by the recipient's own key.
//! - `fund.disclosed` (reports, by hash; see [`calendar`]) and `fund.closed`, after which
//!   the fund takes nothing but disclosures and acknowledgements of what it paid.
//!
//! **First in, first out, exactly.** A fund's donations are numbered 1, 2, 3, … in the
//! order their entries are logged (a transfer from another fund is a donation too, numbered
//! where its `disbursement.executed` entry falls). Its disbursements are allocated in the
//! order their `disbursement.executed` entries are logged (never in the order they were
//! proposed). Each donation has money left: its amount less what earlier executions took
//! from it. An execution of amount A takes, from the donation of lowest number with money
//! left, `min(A', left)` where A' is what it still has to take, and goes on to the next,
//! until A' is zero; the fund's balance at that entry is at least A, so it always can.
//! Amounts are exact in ten-thousandths of the currency unit. Every allocation (donation,
//! disbursement, amount) follows from the log alone; the tables keep them, and the replay
//! recomputes them.
//!
//! A disbursement to another fund on Vitrine is, in the same entry, a donation to it
//! (channel `fund`, reference `<fund>/<disbursement>`), so its money is followed across
//! charities: the receiving fund's own disbursements take it first in, first out like any
//! other donation.

mod calendar;
mod checks;
pub mod fund;
mod kinds;
pub mod money;
pub mod projection;

pub use calendar::{Due, DueStatus, calendar, overdue};
pub use checks::{unknown_disbursement, unknown_fund};
pub use kinds::{CHANNELS, register};
