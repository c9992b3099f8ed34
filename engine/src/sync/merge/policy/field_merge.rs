//! Field-by-field three-way merge: a field changed on one side only takes that
//! change silently; a field changed on both sides to different values takes the
//! later edit's value, and the losing version is kept as a conflict. Columns of
//! kind TextArray (document tags) merge as sets: adds and removes of both sides.

use serde_json::Value;

use super::Policy;
use crate::sync::merge::{Conflict, ConflictReason, Outcome, Row, Side, Versions};
use crate::tables::{ColumnKind, TableSpec};

/// See the module documentation.
pub struct FieldMerge;

impl Policy for FieldMerge {
    fn merge(&self, spec: &TableSpec, base: Option<&Row>, local: &Row, remote: &Row, v: &Versions<'_>) -> Outcome {
        let mut merged = Row::new();
        // Each contested field, with the side whose edit of it came later.
        let mut contested: Vec<(&str, Side)> = Vec::new();
        for column in spec.columns {
            let name = column.name;
            let b = base.and_then(|r| r.get(name));
            let l = local.get(name).unwrap_or(&Value::Null);
            let r = remote.get(name).unwrap_or(&Value::Null);
            let value = if l == r {
                l.clone()
            } else if b == Some(l) {
                r.clone()
            } else if b == Some(r) {
                l.clone()
            } else if column.kind == ColumnKind::TextArray {
                merge_sets(b, l, r)
            } else {
                let later = v.later_for(name);
                contested.push((name, later));
                if later == Side::Local {
                    l.clone()
                } else {
                    r.clone()
                }
            };
            merged.insert(name.to_string(), value);
        }
        let conflict = losing_version(&merged, local, remote, &contested);
        Outcome { row: Some(merged), conflict }
    }
}

/// The conflict to record when fields were contested. When one side lost
/// them all, its version is the losing one, as it was. When each side won
/// some (each field's later edit wins), the losing version is the merged row
/// with every contested field at its losing value, so restoring it restores
/// each value that lost; the loser named is the side that lost more fields
/// (this device on a tie: it is the one told about it).
fn losing_version(merged: &Row, local: &Row, remote: &Row, contested: &[(&str, Side)]) -> Option<Conflict> {
    if contested.is_empty() {
        return None;
    }
    let local_lost = contested.iter().filter(|(_, later)| *later == Side::Remote).count();
    let (loser, losing) = if local_lost == contested.len() {
        (Side::Local, local.clone())
    } else if local_lost == 0 {
        (Side::Remote, remote.clone())
    } else {
        let mut losing = merged.clone();
        for (name, later) in contested {
            let lost = if *later == Side::Local { remote } else { local };
            losing.insert(name.to_string(), lost.get(*name).cloned().unwrap_or(Value::Null));
        }
        (if local_lost * 2 >= contested.len() { Side::Local } else { Side::Remote }, losing)
    };
    Some(Conflict {
        reason: ConflictReason::ConcurrentEdit,
        loser,
        losing: Some(losing),
        fields: contested.iter().map(|(name, _)| name.to_string()).collect(),
    })
}

/// Three-way set merge of two string lists: an element stays if both sides
/// have it, or if one side added it; it goes if either side removed it.
/// Order: the remote list's order, then local additions in local order.
pub fn merge_sets(base: Option<&Value>, local: &Value, remote: &Value) -> Value {
    let items = |v: Option<&Value>| -> Vec<Value> { v.and_then(Value::as_array).cloned().unwrap_or_default() };
    let (b, l, r) = (items(base), items(Some(local)), items(Some(remote)));
    let keep = |x: &Value| {
        let (in_b, in_l, in_r) = (b.contains(x), l.contains(x), r.contains(x));
        // Kept by both sides, or added by either (a removal by either wins).
        if in_b {
            in_l && in_r
        } else {
            in_l || in_r
        }
    };
    let mut out: Vec<Value> = Vec::new();
    for x in r.iter().chain(l.iter()) {
        if keep(x) && !out.contains(x) {
            out.push(x.clone());
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_merge_adds_and_removes_from_both_sides() {
        let cases = [
            // (base, local, remote, expected)
            (json!(["a", "b"]), json!(["a", "b", "l"]), json!(["a", "b", "r"]), json!(["a", "b", "r", "l"])),
            (json!(["a", "b"]), json!(["b"]), json!(["a", "b", "r"]), json!(["b", "r"])),
            (json!(["a", "b"]), json!(["a"]), json!(["b"]), json!([])),
            (json!([]), json!(["x"]), json!(["x"]), json!(["x"])),
        ];
        for (b, l, r, expected) in cases {
            assert_eq!(merge_sets(Some(&b), &l, &r), expected, "base {b} local {l} remote {r}");
        }
        assert_eq!(merge_sets(None, &json!(["a"]), &json!(["b"])), json!(["b", "a"]), "no base: union");
    }
}
