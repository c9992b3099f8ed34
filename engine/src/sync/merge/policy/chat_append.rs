//! Chat sessions: every message appended on any device is kept, once, with no
//! conflict, whatever happened between this device's read of the server and its
//! write (another push, a new local append during a push).
//!
//! The Noesis server's chat messages carry no id (its `ChatMessage` model has
//! role, text, model, timings, context; it drops unknown fields when it saves
//! a session), so a message's identity is its content plus which occurrence of
//! that content it is in its list: the second identical "ok" in a session is a
//! different message from the first. The three lists are compared as multisets
//! of those identities against the base (the shadow copy):
//!
//! - a base message missing on a side was removed there, deliberately, and is
//!   removed from the result (an edit is a removal plus an addition);
//! - the server's list keeps its order (its messages were committed first);
//! - each local addition goes right after the local message before it, past
//!   any messages the server added there, so local appends follow the server's
//!   and a message edited in place stays in place;
//! - the same addition on both sides (a retried append) is kept once.
//!
//! Every device computes the same result from the same versions, and no
//! server message changes its order relative to another. Every other field
//! follows the field rule.

use std::collections::HashMap;

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
        let merged = message_merge(base.and_then(|b| b.get(MESSAGES)), local.get(MESSAGES), remote.get(MESSAGES));
        let Some(messages) = merged else {
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

/// A message's identity: its content and which occurrence of it this is.
type Identity = (String, usize);

/// The messages of a list with their identities, in list order.
fn identities(list: &[Value]) -> Vec<(Identity, &Value)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    list.iter()
        .map(|m| {
            let key = crate::canonical::to_text(m);
            let n = seen.entry(key.clone()).or_default();
            let id = (key, *n);
            *n += 1;
            (id, m)
        })
        .collect()
}

/// A message of the merged list.
struct Entry<'a> {
    id: Identity,
    message: &'a Value,
    /// The server added it since the base.
    added_there: bool,
}

/// How many times each content occurs.
fn counts(list: &[(Identity, &Value)]) -> HashMap<String, usize> {
    let mut c = HashMap::new();
    for ((key, _), _) in list {
        *c.entry(key.clone()).or_default() += 1;
    }
    c
}

/// The merge of three message lists (see the module documentation), or `None`
/// when a side's messages are not a list.
fn message_merge(base: Option<&Value>, local: Option<&Value>, remote: Option<&Value>) -> Option<Value> {
    let empty = Vec::new();
    let base = match base {
        Some(Value::Array(b)) => b,
        None | Some(Value::Null) => &empty,
        Some(_) => return None,
    };
    let (Some(Value::Array(local)), Some(Value::Array(remote))) = (local, remote) else { return None };
    let (base, local, remote) = (identities(base), identities(local), identities(remote));
    let (in_base, in_local) = (counts(&base), counts(&local));
    let base_count = |key: &str| in_base.get(key).copied().unwrap_or(0);
    // Occurrences removed here: the first ones of that content.
    let removed_here = |key: &str| base_count(key).saturating_sub(in_local.get(key).copied().unwrap_or(0));

    // The server's list, without what this device removed; each entry notes
    // whether the server added it (it is past the base's occurrences).
    let mut result: Vec<Entry<'_>> = remote
        .iter()
        .filter(|((key, n), _)| *n >= removed_here(key))
        .map(|(id, m)| Entry { id: id.clone(), message: m, added_there: id.1 >= base_count(&id.0) })
        .collect();

    // Local messages in order: one the result has moves the insertion point
    // past it; a new one goes there, after the server's additions.
    let mut after = 0usize;
    for ((key, n), m) in &local {
        // The same message in the server's numbering: this device's removals
        // took that content's first occurrences out of its list.
        let id = (key.clone(), n + removed_here(key));
        if let Some(at) = result.iter().position(|e| e.id == id) {
            after = at + 1;
        } else if id.1 >= base_count(key) {
            while result.get(after).is_some_and(|e| e.added_there) {
                after += 1;
            }
            result.insert(after, Entry { id, message: m, added_there: false });
            after += 1;
        }
        // Otherwise a base message the server removed: it stays removed.
    }
    Some(Value::Array(result.into_iter().map(|e| e.message.clone()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(v: &Value) -> Vec<&str> {
        v.as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect()
    }

    fn merged(base: Value, local: Value, remote: Value) -> Vec<String> {
        let out = message_merge(Some(&base), Some(&local), Some(&remote)).expect("lists merge");
        texts(&out).into_iter().map(String::from).collect()
    }

    fn list(texts: &[&str]) -> Value {
        Value::Array(texts.iter().map(|t| json!({"role": "user", "text": t})).collect())
    }

    #[test]
    fn appends_from_both_sides_are_kept_server_first() {
        assert_eq!(merged(list(&["a"]), list(&["a", "l1", "l2"]), list(&["a", "r1"])), ["a", "r1", "l1", "l2"]);
    }

    #[test]
    fn the_same_append_on_both_sides_is_not_doubled() {
        assert_eq!(merged(list(&[]), list(&["same"]), list(&["same"])), ["same"]);
    }

    /// Issue 11, finding 2: the push merged `[a, r1, l1]` while `l2` was being
    /// appended, so the shadow is what was sent (`[a, l1]`) and the server's
    /// list no longer starts with it.
    #[test]
    fn an_append_made_during_a_merging_push_keeps_the_servers_message() {
        assert_eq!(merged(list(&["a", "l1"]), list(&["a", "l1", "l2"]), list(&["a", "r1", "l1"])), ["a", "r1", "l1", "l2"]);
    }

    #[test]
    fn identical_messages_sent_at_different_times_are_both_kept() {
        assert_eq!(merged(list(&["ok"]), list(&["ok", "ok"]), list(&["ok", "r"])), ["ok", "r", "ok"]);
    }

    #[test]
    fn a_message_edited_here_stays_in_place_and_the_servers_appends_stay() {
        assert_eq!(merged(list(&["a", "m", "b"]), list(&["a", "M", "b"]), list(&["a", "m", "b", "r"])), ["a", "M", "b", "r"]);
    }

    #[test]
    fn a_message_removed_on_either_side_stays_removed() {
        assert_eq!(merged(list(&["a", "b"]), list(&["b", "l"]), list(&["a", "b", "r"])), ["b", "r", "l"]);
        assert_eq!(merged(list(&["a", "b"]), list(&["a", "b", "l"]), list(&["b", "r"])), ["b", "r", "l"]);
    }

    #[test]
    fn messages_that_are_not_a_list_fall_back_to_the_field_rule() {
        assert_eq!(message_merge(None, Some(&json!("text")), Some(&list(&["a"]))), None);
    }

    mod interleavings {
        //! The sync protocol's view of one chat session, with the real merge:
        //! devices append, push (reading the server and writing the merge in
        //! one server transaction, the cache bookkeeping after it), append
        //! while a push is in flight, lose a push's answer, and pull.
        use super::*;
        use proptest::prelude::*;

        const DEVICES: usize = 3;

        #[derive(Debug, Clone)]
        enum Step {
            Append(usize),
            /// The server transaction of a push.
            PushStart(usize),
            /// The cache bookkeeping after it; `lost`: the answer never came.
            PushFinish {
                device: usize,
                lost: bool,
            },
            Pull(usize),
        }

        #[derive(Default, Clone)]
        struct Device {
            local: Vec<Value>,
            shadow: Vec<Value>,
            /// A push whose answer has not come: the list it sent.
            in_flight: Option<Vec<Value>>,
            appended: usize,
        }

        struct World {
            server: Vec<Value>,
            devices: Vec<Device>,
            appended: Vec<Value>,
        }

        fn message(device: usize, n: usize) -> Value {
            json!({"role": "user", "text": format!("d{device}-{n}")})
        }

        impl World {
            fn step(&mut self, step: &Step) {
                match *step {
                    Step::Append(d) => {
                        let dev = &mut self.devices[d];
                        let m = message(d, dev.appended);
                        dev.appended += 1;
                        dev.local.push(m.clone());
                        self.appended.push(m);
                    }
                    Step::PushStart(d) => {
                        if self.devices[d].in_flight.is_some() || self.devices[d].local == self.devices[d].shadow {
                            return;
                        }
                        let dev = &mut self.devices[d];
                        let sent = dev.local.clone();
                        let before = self.server.clone();
                        let out = message_merge(
                            Some(&Value::Array(dev.shadow.clone())),
                            Some(&Value::Array(sent.clone())),
                            Some(&Value::Array(before.clone())),
                        )
                        .unwrap();
                        self.server = out.as_array().unwrap().clone();
                        assert_order_kept(&before, &self.server);
                        dev.in_flight = Some(sent);
                    }
                    Step::PushFinish { device, lost } => {
                        let server = self.server.clone();
                        let dev = &mut self.devices[device];
                        let Some(sent) = dev.in_flight.take() else { return };
                        if lost {
                            // The next push merges against the old shadow: the
                            // server's receipt is only for this exact op.
                            return;
                        }
                        if dev.local != sent {
                            dev.shadow = sent;
                        } else {
                            dev.local = server.clone();
                            dev.shadow = server;
                        }
                    }
                    Step::Pull(d) => {
                        let dev = &mut self.devices[d];
                        if dev.in_flight.is_none() && dev.local == dev.shadow {
                            dev.local = self.server.clone();
                            dev.shadow = self.server.clone();
                        }
                    }
                }
            }

            fn settle(&mut self) {
                for d in 0..DEVICES {
                    self.step(&Step::PushFinish { device: d, lost: false });
                }
                for _ in 0..2 {
                    for d in 0..DEVICES {
                        self.step(&Step::PushStart(d));
                        self.step(&Step::PushFinish { device: d, lost: false });
                        self.step(&Step::Pull(d));
                    }
                }
            }
        }

        /// No two messages the server had swap places.
        fn assert_order_kept(before: &[Value], after: &[Value]) {
            let kept: Vec<&Value> = after.iter().filter(|m| before.contains(m)).collect();
            let was: Vec<&Value> = before.iter().filter(|m| after.contains(m)).collect();
            assert_eq!(kept, was, "the server's messages changed order");
        }

        fn arb_step() -> impl Strategy<Value = Step> {
            let d = 0..DEVICES;
            prop_oneof![
                4 => d.clone().prop_map(Step::Append),
                2 => d.clone().prop_map(Step::PushStart),
                2 => (d.clone(), prop::bool::weighted(0.2)).prop_map(|(device, lost)| Step::PushFinish { device, lost }),
                2 => d.prop_map(Step::Pull),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn every_message_appended_anywhere_is_kept_once_in_a_stable_order(steps in prop::collection::vec(arb_step(), 1..60)) {
                let mut world = World { server: Vec::new(), devices: vec![Device::default(); DEVICES], appended: Vec::new() };
                for step in &steps {
                    world.step(step);
                }
                world.settle();
                for m in &world.appended {
                    let times = world.server.iter().filter(|s| *s == m).count();
                    prop_assert_eq!(times, 1, "{} is on the server {} times: {:?}", m, times, world.server);
                }
                prop_assert_eq!(world.server.len(), world.appended.len());
                for (d, dev) in world.devices.iter().enumerate() {
                    prop_assert_eq!(&dev.local, &world.server, "device {} differs", d);
                    let own: Vec<&Value> = world.server.iter().filter(|m| m["text"].as_str().unwrap().starts_with(&format!("d{d}-"))).collect();
                    let typed: Vec<Value> = (0..dev.appended).map(|n| message(d, n)).collect();
                    prop_assert_eq!(own, typed.iter().collect::<Vec<_>>(), "device {}'s messages out of the order typed", d);
                }
            }
        }
    }
}
