//! Deletes envelopes nobody picked up in time (leaving their senders a notice) and closes
//! codes that expired.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use crate::error::MailboxError;
use crate::serve::Shared;

/// One sweep; returns how many envelopes expired.
pub(crate) async fn once(shared: &Shared, expiry: Duration) -> Result<usize, MailboxError> {
    let now = crate::now_ms();
    let cutoff = now.saturating_sub(i64::try_from(expiry.as_millis()).unwrap_or(i64::MAX));
    let expired = shared.store(move |s| s.sweep(now, cutoff)).await?;
    shared.reload_doors().await?;
    if expired > 0 {
        info!("{expired} envelopes expired before they were picked up");
    }
    Ok(expired)
}

pub(crate) async fn run(shared: Arc<Shared>, expiry: Duration, every: Duration) {
    let every = every.max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = once(&shared, expiry).await {
            warn!("sweeping the mailbox failed: {e}");
        }
    }
}
