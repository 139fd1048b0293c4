//! The procurement statement kinds, by stage of a tender's life: who may sign each, and
//! the rules each must satisfy against the tender's state.

use crate::domain::rules::Registry;

mod award;
mod bids;
mod complaints;
mod contract;
mod enquiries;
mod prelude;
mod publication;
mod status;

pub use award::AwardMade;
pub use bids::{BidCommitted, BidDisqualified, BidLapsed, BidRevealed, BidWithdrawn};
pub use complaints::{ComplaintDecided, ComplaintFiled};
pub use contract::{ContractSigned, PaymentRecorded};
pub use enquiries::{EnquiryAnswered, EnquiryAsked};
pub use publication::{TenderAmended, TenderPublished, ocid, tender_problems};
pub use status::{TenderCancelled, TenderCompleted, TenderStatusChanged};

/// Registers the procurement kinds.
pub fn register(registry: &mut Registry) {
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

#[cfg(test)]
mod tests;
