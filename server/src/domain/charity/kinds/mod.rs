//! The charity statement kinds: a fund's life, its donations and its disbursements.

use crate::domain::rules::Registry;

mod disbursements;
mod donations;
mod funds;
mod prelude;

pub use disbursements::{
    DisbursementAcknowledged, DisbursementApproved, DisbursementExecuted, DisbursementProposed,
};
pub use donations::{CHANNELS, DonationRecorded};
pub use funds::{FundClosed, FundDisclosed, FundOpened};

/// Registers the charity kinds.
pub fn register(registry: &mut Registry) {
    registry.register(Box::new(FundOpened));
    registry.register(Box::new(DonationRecorded));
    registry.register(Box::new(DisbursementProposed));
    registry.register(Box::new(DisbursementApproved));
    registry.register(Box::new(DisbursementExecuted));
    registry.register(Box::new(DisbursementAcknowledged));
    registry.register(Box::new(FundDisclosed));
    registry.register(Box::new(FundClosed));
}

#[cfg(test)]
mod tests;
