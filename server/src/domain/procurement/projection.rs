//! Procurement's part of a batch: the tenders its statements see and change, and the
//! OCDS release of each entry that changed one. The sequencer fetches the tenders once per
//! batch; each change is applied here in log order, so the next statement's rules see it,
//! and its release shows the tender right after the entry.

use super::ocds;
use super::tender::{TenderChange, TenderState};
use serde_json::Value;
use std::collections::HashMap;
use vitrine_ledger::time::Timestamp;

/// The tenders a batch sees, as its statements change them, and the releases they gave.
#[derive(Debug, Default)]
pub struct Tenders {
    /// Prefetched tenders (`None`: no such tender yet), updated as the batch goes.
    pub tenders: HashMap<String, Option<TenderState>>,
    /// The OCDS release of each entry that changed a tender: (index, ocid, release).
    pub releases: Vec<(u64, String, Value)>,
    /// The OCDS head ([`ocds::head`]) of each tender the batch changed, as of its latest
    /// release.
    pub ocds_heads: HashMap<String, Value>,
}

impl Tenders {
    /// The tender `id`, if it exists.
    pub fn get(&self, id: &str) -> Option<&TenderState> {
        self.tenders.get(id).and_then(Option::as_ref)
    }

    /// Applies the change entry `index` (logged at `at`) makes to tender `id`, and records
    /// the entry's OCDS release.
    pub fn apply(&mut self, id: &str, index: u64, at: Timestamp, change: &TenderChange) {
        // What OCDS says of the tender before the entry, but its bids' details: as the
        // batch's previous entry on it left it, or from the prefetched state.
        let before = match change {
            TenderChange::Published(_) => None,
            _ => self
                .ocds_heads
                .remove(id)
                .or_else(|| self.get(id).map(ocds::head)),
        };
        let slot = self.tenders.entry(id.to_owned()).or_default();
        match (slot.as_mut(), change) {
            (_, TenderChange::Published(tender)) => *slot = Some(tender.as_ref().clone()),
            (Some(tender), change) => tender.apply(change),
            (None, _) => {}
        }
        // The release shows the tender right after this entry.
        if let Some(tender) = slot.as_ref() {
            let (release, head) = ocds::release(index, at, change, before.as_ref(), tender);
            self.releases.push((index, id.to_owned(), release));
            self.ocds_heads.insert(id.to_owned(), head);
        }
    }
}
