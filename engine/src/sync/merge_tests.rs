//! Table-driven and property tests of the merge decisions.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::hlc::Hlc;
use super::merge::{merge, ConflictReason, FieldClocks, Outcome, Row, Side, Versions};
use crate::tables::{self, TableSpec};

fn spec(name: &str) -> &'static TableSpec {
    tables::by_name(name).unwrap()
}

fn card(text: &str, scope: &str, approval: &str) -> Row {
    row(json!({
        "id": "c1", "created_at": "2025-01-01T00:00:00.000000Z", "category": "fact", "scope": scope,
        "text": text, "approval": approval, "approved_at": null, "rejected_at": null, "provenance": {}
    }))
}

fn row(v: Value) -> Row {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn early() -> Hlc {
    Hlc::new(1_000, 0, "device-a")
}

fn late() -> Hlc {
    Hlc::new(2_000, 0, "device-b")
}

fn run(table: &str, base: Option<&Row>, local: Option<&Row>, remote: Option<&Row>, local_clock: &Hlc, remote_clock: &Hlc) -> Outcome {
    merge(spec(table), Versions { base, local, remote, local_clock, remote_clock, local_fields: None, remote_fields: None })
}

#[test]
fn one_sided_changes_merge_silently() {
    let base = card("t", "s", "pending");
    let cases = [
        // (local, remote, expected)
        (card("t", "s", "pending"), card("t", "s", "pending"), card("t", "s", "pending")),
        (card("local text", "s", "pending"), card("t", "s", "pending"), card("local text", "s", "pending")),
        (card("t", "s", "pending"), card("t", "remote scope", "pending"), card("t", "remote scope", "pending")),
        (card("local text", "s", "pending"), card("t", "remote scope", "approved"), card("local text", "remote scope", "approved")),
        (card("same", "s", "pending"), card("same", "s", "pending"), card("same", "s", "pending")),
    ];
    for (local, remote, expected) in cases {
        for (lc, rc) in [(early(), late()), (late(), early())] {
            let out = run("memory_cards", Some(&base), Some(&local), Some(&remote), &lc, &rc);
            assert_eq!(out.row.as_ref(), Some(&expected), "local {local:?} remote {remote:?}");
            assert!(out.conflict.is_none(), "no conflict when no field changed on both sides");
        }
    }
}

#[test]
fn the_same_field_changed_on_both_sides_goes_to_the_later_edit_and_keeps_the_other() {
    let base = card("t", "s", "pending");
    let local = card("mine", "s", "pending");
    let remote = card("theirs", "other scope", "pending");
    let out = run("memory_cards", Some(&base), Some(&local), Some(&remote), &late(), &early());
    assert_eq!(out.row, Some(card("mine", "other scope", "pending")), "local edit is later; the one-sided remote field still merges");
    let c = out.conflict.unwrap();
    assert_eq!((c.reason, c.loser, c.fields), (ConflictReason::ConcurrentEdit, Side::Remote, vec!["text".to_string()]));
    assert_eq!(c.losing, Some(remote.clone()), "the losing version is kept whole");

    let out = run("memory_cards", Some(&base), Some(&local), Some(&remote), &early(), &late());
    assert_eq!(out.row, Some(card("theirs", "other scope", "pending")));
    assert_eq!(out.conflict.unwrap().losing, Some(local));
}

#[test]
fn equal_times_are_decided_by_device_id() {
    let base = card("t", "s", "pending");
    let (local, remote) = (card("a", "s", "pending"), card("b", "s", "pending"));
    let a = Hlc::new(5, 0, "aaaa");
    let b = Hlc::new(5, 0, "bbbb");
    let out = run("memory_cards", Some(&base), Some(&local), Some(&remote), &a, &b);
    assert_eq!(out.row, Some(remote.clone()));
    let out = run("memory_cards", Some(&base), Some(&remote), Some(&local), &b, &a);
    assert_eq!(out.row, Some(remote), "the other device, seeing the sides swapped, decides the same");
}

#[test]
fn an_edit_beats_a_delete_and_the_delete_is_noted() {
    let base = card("t", "s", "pending");
    let edited = card("edited", "s", "pending");
    let out = run("memory_cards", Some(&base), Some(&edited), None, &early(), &late());
    assert_eq!(out.row, Some(edited.clone()), "remote delete loses to a local edit even when later");
    let c = out.conflict.unwrap();
    assert_eq!((c.reason, c.loser, c.losing), (ConflictReason::EditVersusDelete, Side::Remote, None));

    let out = run("memory_cards", Some(&base), None, Some(&edited), &late(), &early());
    assert_eq!(out.row, Some(edited));
    assert_eq!(out.conflict.unwrap().loser, Side::Local);

    let out = run("memory_cards", Some(&base), None, None, &late(), &early());
    assert_eq!(out, Outcome { row: None, conflict: None }, "delete against delete: nothing to record");

    let out = run("memory_cards", Some(&base), None, Some(&base), &early(), &late());
    assert_eq!(out, Outcome { row: None, conflict: None }, "a delete of an unchanged row just deletes");
}

#[test]
fn a_new_row_never_seen_by_the_server_is_simply_created() {
    let new = card("new", "s", "pending");
    let out = run("memory_cards", None, Some(&new), None, &early(), &late());
    assert_eq!(out, Outcome { row: Some(new), conflict: None });
}

#[test]
fn two_devices_creating_the_same_id_merge_field_by_field() {
    let a = card("from a", "s", "pending");
    let b = card("from b", "s", "approved");
    let out = run("memory_cards", None, Some(&a), Some(&b), &late(), &early());
    assert_eq!(out.row, Some(card("from a", "s", "pending")));
    assert_eq!(out.conflict.unwrap().fields, vec!["text".to_string(), "approval".to_string()]);
}

#[test]
fn document_tags_merge_as_sets_without_conflict() {
    let doc = |tags: Value, notes: &str| {
        row(json!({"id": "d1", "created_at": "x", "filename": "f", "filepath": "p", "file_type": "pdf", "file_size": 1,
                   "file_hash": "h", "status": "ready", "chunk_count": 0, "error_message": "", "tags": tags, "notes": notes}))
    };
    let base = doc(json!(["ml", "old"]), "");
    let local = doc(json!(["ml", "old", "reading"]), "my note");
    let remote = doc(json!(["ml", "urgent"]), "");
    let out = run("documents", Some(&base), Some(&local), Some(&remote), &early(), &late());
    assert_eq!(out.row, Some(doc(json!(["ml", "urgent", "reading"]), "my note")));
    assert!(out.conflict.is_none());
}

#[test]
fn chat_messages_appended_on_two_devices_are_all_kept() {
    let session =
        |title: &str, messages: Value| row(json!({"id": "s1", "title": title, "created_at": "x", "updated_at": "y", "messages": messages}));
    let base = session("Chat", json!([{"role": "user", "text": "hi"}]));
    let local = session("Chat", json!([{"role": "user", "text": "hi"}, {"role": "user", "text": "from laptop"}]));
    let remote = session("Renamed", json!([{"role": "user", "text": "hi"}, {"role": "assistant", "text": "from studio"}]));
    let expected = session(
        "Renamed",
        json!([{"role": "user", "text": "hi"}, {"role": "assistant", "text": "from studio"}, {"role": "user", "text": "from laptop"}]),
    );
    for (lc, rc) in [(early(), late()), (late(), early())] {
        let out = run("chat_sessions", Some(&base), Some(&local), Some(&remote), &lc, &rc);
        assert_eq!(out.row.as_ref(), Some(&expected));
        assert!(out.conflict.is_none(), "appends are not a conflict");
    }
}

#[test]
fn chunks_are_replaced_whole_by_the_later_edit() {
    let chunk = |text: &str, heading: &str| {
        row(
            json!({"id": "k1", "document_id": "d1", "chunk_index": 0, "text": text, "page_number": 1, "heading": heading, "image_caption": "", "ocr_text": ""}),
        )
    };
    let base = chunk("t", "h");
    let (local, remote) = (chunk("local text", "h"), chunk("t", "remote heading"));
    let out = run("document_chunks", Some(&base), Some(&local), Some(&remote), &early(), &late());
    assert_eq!(out.row, Some(remote), "no field mixing for chunks");
    assert_eq!(out.conflict.unwrap().losing, Some(local));
}

/// Rows of memory cards whose fields take few values, so that random versions
/// often collide.
fn arb_card() -> impl Strategy<Value = Option<Row>> {
    let field = prop_oneof![Just("a"), Just("b"), Just("c")];
    proptest::option::weighted(0.85, (field.clone(), field.clone(), field).prop_map(|(t, s, a)| card(t, s, a)))
}

fn arb_clock() -> impl Strategy<Value = Hlc> {
    (0u64..4, 0u32..2, prop_oneof![Just("dev-1"), Just("dev-2")]).prop_map(|(m, c, d)| Hlc::new(m, c, d))
}

proptest! {
    /// Every device decides the same: the device holding the other version, with
    /// the sides swapped, reaches the same row.
    #[test]
    fn both_devices_reach_the_same_row(base in arb_card(), local in arb_card(), remote in arb_card(), lc in arb_clock(), rc in arb_clock()) {
        prop_assume!(lc != rc);
        let here = run("memory_cards", base.as_ref(), local.as_ref(), remote.as_ref(), &lc, &rc);
        let there = run("memory_cards", base.as_ref(), remote.as_ref(), local.as_ref(), &rc, &lc);
        prop_assert_eq!(here.row, there.row);
    }

    /// Nothing anyone typed is lost: each side's changed field values are in the
    /// result or in the kept losing version; a surviving edit beats a delete.
    #[test]
    fn no_edit_is_lost(base in arb_card(), local in arb_card(), remote in arb_card(), lc in arb_clock(), rc in arb_clock()) {
        let out = run("memory_cards", base.as_ref(), local.as_ref(), remote.as_ref(), &lc, &rc);
        for side in [&local, &remote] {
            let Some(version) = side else { continue };
            for (field, value) in version {
                let changed = base.as_ref().map(|b| b.get(field) != Some(value)).unwrap_or(true);
                if !changed { continue; }
                let kept = out.row.as_ref().and_then(|r| r.get(field)) == Some(value);
                let in_conflict = out.conflict.as_ref().and_then(|c| c.losing.as_ref()) == Some(version);
                prop_assert!(kept || in_conflict, "field {} = {} lost; outcome {:?}", field, value, out);
            }
        }
        if local.is_some() || remote.is_some() {
            let edited = |v: &Option<Row>| v.is_some() && v.as_ref() != base.as_ref();
            if edited(&local) || edited(&remote) {
                prop_assert!(out.row.is_some(), "an edit never ends deleted");
            }
        }
    }
}

/// Issue 11, finding 3: B edits the text, then A edits the text later, then
/// B edits the category. B pushes last with the later row clock, but A's text
/// edit is later than B's: A's text stays, B's category goes in.
#[test]
fn the_later_edit_of_each_field_wins_not_the_later_row() {
    let card = |text: &str, category: &str| {
        row(json!({"id": "c1", "created_at": "x", "category": category, "scope": "global", "text": text, "approval": "pending",
                   "approved_at": null, "rejected_at": null, "provenance": {"reason": "r"}}))
    };
    let base = card("t0", "preferences");
    let local = card("b's text", "vocabulary"); // B, this device
    let remote = card("a's text", "preferences"); // A pushed first
    let b_text = Hlc::new(1_000, 0, "device-b");
    let a_text = Hlc::new(2_000, 0, "device-a");
    let b_category = Hlc::new(3_000, 0, "device-b");
    let local_fields: FieldClocks = [("text".to_string(), b_text), ("category".to_string(), b_category.clone())].into();
    let remote_fields: FieldClocks = [("text".to_string(), a_text.clone())].into();
    let versions = Versions {
        base: Some(&base),
        local: Some(&local),
        remote: Some(&remote),
        local_clock: &b_category,
        remote_clock: &a_text,
        local_fields: Some(&local_fields),
        remote_fields: Some(&remote_fields),
    };
    let out = merge(spec("memory_cards"), versions);
    let merged = out.row.unwrap();
    assert_eq!(merged["text"], "a's text", "A's later text edit wins");
    assert_eq!(merged["category"], "vocabulary", "B's category edit goes in");
    let conflict = out.conflict.expect("the text was contested");
    assert_eq!(conflict.fields, ["text"]);
    assert_eq!(conflict.loser, Side::Local);
    assert_eq!(conflict.losing.unwrap()["text"], "b's text", "B's text is kept in the conflict");

    // Without field clocks (row clocks only) B's later row would have won the text.
    let row_only = merge(spec("memory_cards"), Versions { local_fields: None, remote_fields: None, ..versions });
    assert_eq!(row_only.row.unwrap()["text"], "b's text");
}

#[test]
fn fields_won_by_each_side_keep_every_losing_value_in_the_conflict() {
    let card = |text: &str, category: &str| {
        row(json!({"id": "c1", "created_at": "x", "category": category, "scope": "global", "text": text, "approval": "pending",
                   "approved_at": null, "rejected_at": null, "provenance": {"reason": "r"}}))
    };
    let base = card("t0", "preferences");
    let local = card("local text", "vocabulary");
    let remote = card("remote text", "cognitive_framing");
    let (l_text, r_text) = (Hlc::new(5_000, 0, "l"), Hlc::new(4_000, 0, "r"));
    let (l_category, r_category) = (Hlc::new(1_000, 0, "l"), Hlc::new(2_000, 0, "r"));
    let local_fields: FieldClocks = [("text".to_string(), l_text.clone()), ("category".to_string(), l_category)].into();
    let remote_fields: FieldClocks = [("text".to_string(), r_text.clone()), ("category".to_string(), r_category)].into();
    let out = merge(
        spec("memory_cards"),
        Versions {
            base: Some(&base),
            local: Some(&local),
            remote: Some(&remote),
            local_clock: &l_text,
            remote_clock: &r_text,
            local_fields: Some(&local_fields),
            remote_fields: Some(&remote_fields),
        },
    );
    let merged = out.row.unwrap();
    assert_eq!((merged["text"].as_str(), merged["category"].as_str()), (Some("local text"), Some("cognitive_framing")));
    let losing = out.conflict.unwrap().losing.unwrap();
    assert_eq!((losing["text"].as_str(), losing["category"].as_str()), (Some("remote text"), Some("vocabulary")));
}
