//! A stop request that long sync work checks between batches, so an agent
//! asked to stop (SIGTERM, app quit) finishes the batch in hand and no more.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared stop flag; clones see the same flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Asks the work to stop after its current batch.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
