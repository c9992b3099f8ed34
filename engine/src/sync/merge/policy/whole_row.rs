//! Whole-row replace: document chunks and embeddings are produced by the
//! document pipeline as units, so mixing fields of two versions makes no sense.
//! The later edit's row wins whole; the other is kept as a conflict.

use super::Policy;
use crate::sync::merge::{Conflict, ConflictReason, Outcome, Row, Side, Versions};
use crate::tables::TableSpec;

/// See the module documentation.
pub struct WholeRow;

impl Policy for WholeRow {
    fn merge(&self, _spec: &TableSpec, _base: Option<&Row>, local: &Row, remote: &Row, v: &Versions<'_>) -> Outcome {
        let (winner, loser, losing) = match v.later() {
            Side::Local => (local, Side::Remote, remote),
            Side::Remote => (remote, Side::Local, local),
        };
        Outcome {
            row: Some(winner.clone()),
            conflict: Some(Conflict { reason: ConflictReason::ConcurrentEdit, loser, losing: Some(losing.clone()), fields: Vec::new() }),
        }
    }
}
