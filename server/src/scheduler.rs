//! The scheduler: logs the timed transitions of tenders (the enquiry period ends, the
//! deadline passes, the reveal window closes), signed by the platform's key. It runs in
//! every server process but acts only in the one that sequences, and starts by catching
//! up: a transition that fell due while the server was down is logged at start.
//!
//! The rules never wait for it: a bid after the deadline is refused by the deadline
//! itself, judged by `logged_at`. The scheduler makes the recorded status follow the
//! clock, and lapses the bids nobody revealed.

use crate::db::DbPool;
use crate::domain::procurement::{Status, TenderState};
use crate::log::sequencer::SequencerHandle;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use vitrine_ledger::time::Timestamp;

/// How long after a period ends its transition is logged.
pub const GRACE_SECONDS: i64 = 1;

/// Runs until the process ends: one pass now, then one every `interval`.
pub async fn run(
    pool: DbPool,
    sequencer: SequencerHandle,
    platform: ed25519_dalek::SigningKey,
    interval: Duration,
) {
    loop {
        if sequencer.status.ready.load(Ordering::SeqCst) {
            // Passes repeat while they log something: catching up may take several steps.
            loop {
                match pass(&pool, &sequencer, &platform).await {
                    Ok(0) => break,
                    Ok(n) => tracing::info!(transitions = n, "scheduler logged transitions"),
                    Err(e) => {
                        tracing::warn!(error = %e, "scheduler pass failed; retrying");
                        break;
                    }
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// One pass: logs every transition due now; returns how many were logged.
pub async fn pass(
    pool: &DbPool,
    sequencer: &SequencerHandle,
    platform: &ed25519_dalek::SigningKey,
) -> Result<usize, String> {
    let pool = pool.clone();
    let due: Vec<TenderState> = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let ids = crate::db::tenders::due(&mut conn, 1000).map_err(|e| e.to_string())?;
        let mut tenders = crate::db::load_tenders(&mut conn, &ids).map_err(|e| e.to_string())?;
        Ok::<_, String>(ids.iter().filter_map(|id| tenders.remove(id)).collect())
    })
    .await
    .map_err(|e| e.to_string())??;
    let now = Timestamp::now().truncate_to_micros();
    // A transition is logged a moment after it falls due, so that statements received
    // just before a deadline, still on their way to the sequencer, are logged first.
    let due_at = Timestamp::from_unix(now.unix_seconds() - GRACE_SECONDS, 0).unwrap_or(now);
    let mut logged = 0;
    for tender in due {
        let Some((to, reason)) = tender.due_transition(due_at) else {
            continue;
        };
        let mut body = json!({"to": to.as_str()});
        if let Some(reason) = reason {
            body["reason"] = json!(reason);
        }
        // Before the window's closing is logged, each bid still sealed is attributed to
        // its sender, an entry each; the transition waits for the next pass if one fails.
        let mut attributed = true;
        let closing = matches!(to, Status::Evaluation | Status::Unsuccessful);
        for (commitment, bidder) in tender.lapsing().into_iter().filter(|_| closing) {
            let body = json!({"commitment": commitment, "bidder": bidder});
            if let Err(e) =
                crate::log::platform::log(sequencer, platform, "bid.lapsed", &tender.id, body).await
            {
                tracing::warn!(tender = %tender.id, error = %e, "a lapsed bid was not attributed");
                attributed = false;
            }
        }
        if !attributed {
            continue;
        }
        match crate::log::platform::log(
            sequencer,
            platform,
            "tender.status_changed",
            &tender.id,
            body,
        )
        .await
        {
            Ok(_) => logged += 1,
            // Another pass (or process) logged it first, or the clock moved: next time.
            Err(e) => tracing::warn!(tender = %tender.id, error = %e, "transition not logged"),
        }
    }
    Ok(logged)
}
