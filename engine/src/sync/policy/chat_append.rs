//! Chat sessions: messages appended on two devices are all kept, with no
//! conflict. When both sides only appended to the messages both last saw, the
//! result is those messages, then the remote appends, then the local appends
//! that the remote does not already have (a retried append is not doubled). The
//! server's messages come first because they were committed first; every device
//! computes the same order from the same versions. Anything else about the
//! messages (an edit or removal of an old message on both sides) and every other
//! field follow the field rule.

use serde_json::Value;

use super::field_merge::FieldMerge;
use super::Policy;
use crate::sync::merge::{Outcome, Row, Versions};
use crate::tables::TableSpec;

/// See the module documentation.
pub struct ChatAppend;

const MESSAGES: &str = "messages";

impl Policy for ChatAppend {
    fn merge(&self, spec: &TableSpec, base: Option<&Row>, local: &Row, remote: &Row, v: &Versions<'_>) -> Outcome {
        let appended = append_merge(base.and_then(|b| b.get(MESSAGES)), local.get(MESSAGES), remote.get(MESSAGES));
        let Some(messages) = appended else {
            return FieldMerge.merge(spec, base, local, remote, v);
        };
        // Merge the other fields with both sides agreeing on the messages.
        let with = |row: &Row| {
            let mut r = row.clone();
            r.insert(MESSAGES.into(), messages.clone());
            r
        };
        let base = base.map(with);
        FieldMerge.merge(spec, base.as_ref(), &with(local), &with(remote), v)
    }
}

/// The append-merge of three message lists, or `None` when one side did more
/// than append to the base.
fn append_merge(base: Option<&Value>, local: Option<&Value>, remote: Option<&Value>) -> Option<Value> {
    let empty = Vec::new();
    let base = match base {
        Some(Value::Array(b)) => b,
        None => &empty,
        Some(_) => return None,
    };
    let (Some(Value::Array(local)), Some(Value::Array(remote))) = (local, remote) else { return None };
    if !local.starts_with(base) || !remote.starts_with(base) {
        return None;
    }
    let mut merged = remote.clone();
    let remote_added = &remote[base.len()..];
    for message in &local[base.len()..] {
        if !remote_added.contains(message) {
            merged.push(message.clone());
        }
    }
    Some(Value::Array(merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appends_from_both_sides_are_kept_in_a_fixed_order() {
        let base = json!([{"text": "a"}]);
        let local = json!([{"text": "a"}, {"text": "l1"}, {"text": "l2"}]);
        let remote = json!([{"text": "a"}, {"text": "r1"}]);
        assert_eq!(
            append_merge(Some(&base), Some(&local), Some(&remote)),
            Some(json!([{"text": "a"}, {"text": "r1"}, {"text": "l1"}, {"text": "l2"}]))
        );
    }

    #[test]
    fn the_same_append_on_both_sides_is_not_doubled() {
        let base = json!([]);
        let both = json!([{"text": "same"}]);
        assert_eq!(append_merge(Some(&base), Some(&both), Some(&both)), Some(both.clone()));
    }

    #[test]
    fn rewriting_history_is_not_an_append() {
        let base = json!([{"text": "a"}]);
        assert_eq!(append_merge(Some(&base), Some(&json!([{"text": "A"}])), Some(&json!([{"text": "a"}, {"text": "b"}]))), None);
    }
}
