//! The last step of normalising a legacy row: the Noesis server's contract
//! ([`crate::tables::contract`]). A row the server could not read back is
//! rejected (kept verbatim, with the reason), never imported with a made-up
//! value; an enum value written another way whose meaning is unambiguous
//! (`"Approved"`, `" global "`) takes the server's spelling, noted.

use serde_json::{Map, Value};

use super::fields::{Note, Notes, Reason};
use crate::tables::{Rule, TableSpec};

/// Fits `values` (canonical, in `spec`'s column order) to the server's
/// contract, or says why the row cannot be imported.
pub fn fit(spec: &TableSpec, values: &mut [Value], notes: &mut Notes) -> Result<(), Reason> {
    for (column, value) in spec.columns.iter().zip(values.iter_mut()) {
        if let (Rule::OneOf(vocabulary), Value::String(text)) = (column.rule, &*value) {
            if let Some(server_value) = vocabulary.normalise(text) {
                *value = Value::String(server_value.to_string());
                notes.push(Note::ValueNormalised);
            }
        }
    }
    let row: Map<String, Value> = spec.columns.iter().map(|c| c.name.to_string()).zip(values.iter().cloned()).collect();
    let breaches = spec.breaches(&row);
    if breaches.is_empty() {
        return Ok(());
    }
    let what: Vec<String> = breaches.iter().map(|b| format!("{} {}", b.column, b.problem)).collect();
    Err(format!(
        "the Noesis server could not read this row: {}. Correct it in the legacy store and run the migration again",
        what.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables;
    use serde_json::json;

    fn card(category: &str, scope: &str, approval: &str, provenance: Value) -> Vec<Value> {
        vec![
            json!("c1"),
            json!("2025-01-01T00:00:00.000000Z"),
            json!(category),
            json!(scope),
            json!("text"),
            json!(approval),
            Value::Null,
            Value::Null,
            provenance,
        ]
    }

    #[test]
    fn another_spelling_of_a_server_value_is_normalised_and_noted() {
        let spec = tables::by_name("memory_cards").unwrap();
        let mut values = card("Decision heuristics", " global ", "Approved", json!({"reason": "stated"}));
        let mut notes = Notes::new();
        fit(spec, &mut values, &mut notes).unwrap();
        assert_eq!((&values[2], &values[3], &values[5]), (&json!("decision_heuristics"), &json!("global"), &json!("approved")));
        assert_eq!(notes, [Note::ValueNormalised; 3]);
    }

    #[test]
    fn a_value_the_server_refuses_rejects_the_row_naming_it() {
        let spec = tables::by_name("memory_cards").unwrap();
        let reason = fit(spec, &mut card("preferences", "global", "archived", json!({})), &mut Notes::new()).unwrap_err();
        assert!(reason.contains(r#"approval is "archived""#) && reason.contains("pending, approved, rejected"), "{reason}");
        assert!(reason.contains("provenance") && reason.contains("reason"), "a provenance without reason is named too: {reason}");
    }
}
