//! Every refusal of the procurement kinds, each its own case, and what each accepted
//! statement does, judged without a database: the body's schema first (`check_body`, run
//! at intake), then the signers and the rules against a tender's state (`decide`, run by
//! the sequencer in log order). The tenders are brought to each stage of their life by
//! the kinds themselves (`fixture`), one file of tables per stage.

mod award;
mod bids;
mod complaints;
mod contract;
mod enquiries;
mod fixture;
mod publication;
mod status;
