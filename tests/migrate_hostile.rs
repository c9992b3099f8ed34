//! Hostile legacy rows: every one is imported faithfully with the change
//! reported, or kept verbatim in the rejects table; none aborts the run or is
//! dropped. Also: missing stores, and verify catching a row altered afterwards.

use crate::support;

use noesis_test_support::generate::{Expect, GenerateSpec};
use support::legacy::{self, LegacyStore};
use support::{all_output, data_dir, run_psql, stdout_json, Server, TestDb};

#[tokio::test]
async fn every_hostile_row_is_imported_with_its_change_reported_or_kept_verbatim() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec::small());
    let device = data_dir();
    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "a store full of hostile rows must not abort the migration:\n{}", support::all_output(&out));
    let report = stdout_json(&out);
    assert_eq!(report["verification"]["ok"], true, "verify must account for every row: {}", report["verification"]);

    for row in &store.generated.hostile {
        let key = row.key.replace('\'', "''");
        match &row.expect {
            Expect::Rejected => {
                let kept = run_psql(
                    &db.url,
                    &format!("SELECT reason || '|' || refused_by_server FROM noesis_sync.legacy_rejects WHERE table_name = '{}' AND row_key = '{key}'", row.table),
                );
                assert!(!kept.trim().is_empty(), "{} ({}) was dropped: it is neither imported nor in the rejects table", row.key, row.what);
                assert!(
                    kept.trim().ends_with("|false"),
                    "{} ({}) was rejected by the migration's own checks, not by the server: {kept}",
                    row.key,
                    row.what
                );
                let present = run_psql(&db.url, &format!("SELECT count(*) FROM {} WHERE id = '{key}'", row.table));
                assert_eq!(present.trim(), "0", "{} ({}) should not have been imported", row.key, row.what);
            }
            Expect::Imported(note) => {
                let present = run_psql(&db.url, &format!("SELECT count(*) FROM {} WHERE id = '{key}'", row.table));
                assert_eq!(present.trim(), "1", "{} ({}) is missing centrally", row.key, row.what);
                if let Some(note) = note {
                    let name = serde_json::to_value(note).unwrap();
                    let changes = &legacy::table(&report, row.table)["changes"];
                    assert!(
                        changes[name.as_str().unwrap()].as_u64().unwrap_or(0) >= 1,
                        "the change made to {} ({}) is not reported: {changes}",
                        row.key,
                        row.what
                    );
                    let listed = &legacy::table(&report, row.table)["changed_rows"];
                    assert!(
                        listed.as_array().unwrap().iter().any(|c| c["id"] == row.key.as_str()
                            && c["change"] == name
                            && c["why"].as_str().is_some_and(|w| !w.is_empty())),
                        "{} is not listed with its change and why: {listed}",
                        row.key
                    );
                    let recorded = run_psql(
                        &db.url,
                        &format!(
                            "SELECT count(*) FROM noesis_sync.legacy_changes WHERE table_name = '{}' AND row_key = '{key}' AND change = '{}'",
                            row.table,
                            name.as_str().unwrap()
                        ),
                    );
                    assert_eq!(recorded.trim(), "1", "{} ({}): its change is recorded on the server for the report", row.key, row.what);
                }
            }
        }
    }

    // What a user would see in the app for the repaired rows.
    let text = |sql: &str| run_psql(&db.url, sql).trim().to_string();
    assert_eq!(text("SELECT text FROM memory_cards WHERE id = 'h-card-nul-json'"), "beforeafter");
    assert_eq!(text("SELECT approval FROM memory_cards WHERE id = 'h-card-nul-column'"), "approved");
    assert_eq!(text("SELECT text FROM memory_cards WHERE id = 'h-card-bad-utf8'"), "caf\u{fffd} cr\u{fffd}me");
    for id in ["h-card-ts-naive", "h-card-ts-offset", "h-card-ts-z", "h-card-ts-space"] {
        assert_eq!(text(&format!("SELECT created_at FROM memory_cards WHERE id = '{id}'")), "2024-03-05 14:07:09.25", "{id}");
    }
    assert_eq!(text("SELECT created_at FROM memory_cards WHERE id = 'h-card-ts-epoch'"), "2024-03-05 14:07:09");
    assert_eq!(text("SELECT created_at FROM memory_cards WHERE id = 'h-card-ts-epoch-ms'"), "2024-03-05 14:07:09.25");
    assert_eq!(text("SELECT length(text) FROM memory_cards WHERE id = 'h-card-huge'"), "3200000");
    assert_eq!(text("SELECT updated_at = created_at FROM chat_sessions WHERE id = 'h-session-no-updated'"), "t");
    assert_eq!(text("SELECT tags::text FROM documents WHERE id = 'h-doc-tag-numbers'"), "{1,a}");
    assert_eq!(text("SELECT file_size FROM documents WHERE id = 'h-doc-size-text'"), "1234");
    // Values the Noesis server would refuse are rejected with what it accepts;
    // another spelling of one of its values takes the server's spelling.
    let reason = |key: &str| text(&format!("SELECT reason FROM noesis_sync.legacy_rejects WHERE row_key = '{key}'"));
    let archived = reason("h-card-unknown-approval");
    assert!(archived.contains(r#"approval is "archived""#) && archived.contains("pending, approved, rejected"), "{archived}");
    assert!(reason("h-card-no-provenance").contains("provenance is missing"), "no invented provenance");
    assert!(reason("h-doc-unknown-type").contains("pdf, docx"), "{}", reason("h-doc-unknown-type"));
    assert_eq!(text("SELECT approval FROM memory_cards WHERE id = 'h-card-approval-case'"), "approved");
    assert_eq!(text("SELECT status FROM documents WHERE id = 'h-doc-status-spaced'"), "indexed");
    // The reject keeps the original bytes: the NULL-id card and the broken JSON.
    let raw = text("SELECT convert_from(raw, 'UTF8') FROM noesis_sync.legacy_rejects WHERE row_key = 'h-card-malformed'");
    assert!(raw.contains(r#"{\"id\": \"h-card-malformed\", \"text\": "#), "the rejected row is not verbatim: {raw}");

    // ... and each cell exactly as SQLite stored it, NUL and invalid UTF-8 included.
    let cell = text(
        "SELECT cell_types[i] || '|' || encode(cells[i], 'hex') FROM noesis_sync.legacy_rejects,
                LATERAL array_position(cell_columns, 'json') AS i WHERE row_key = 'h-card-malformed-binary'",
    );
    assert_eq!(
        cell,
        format!("text|{}", b"{\"text\": \"nul \x00 and \xff\xfe".iter().map(|b| format!("{b:02x}")).collect::<String>()),
        "the rejected cell is not byte for byte"
    );

    // Every source row is accounted for, table by table.
    let verification = &report["verification"]["tables"];
    for t in verification.as_array().unwrap() {
        let sum = t["matching"].as_u64().unwrap() + t["in_conflicts"].as_u64().unwrap() + t["in_rejects"].as_u64().unwrap();
        assert_eq!(sum, t["source_rows"].as_u64().unwrap(), "rows of {} unaccounted for: {t}", t["table"]);
    }
}

#[tokio::test]
async fn a_row_postgres_refuses_is_kept_in_the_rejects_and_the_rest_of_its_batch_loads() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    // A server stricter than the migration knows: a constraint the owner added.
    run_psql(&db.url, "ALTER TABLE memory_cards ADD CONSTRAINT text_under_a_megabyte CHECK (length(text) < 1000000)");
    let store = LegacyStore::new(&GenerateSpec::small());
    let device = data_dir();
    let untouched = support::legacy::database_state(&db.url);
    let dry = legacy::migrate(&db.url, device.path(), store.path(), &["--dry-run"]);
    assert!(dry.status.success(), "{}", support::all_output(&dry));
    assert_eq!(support::legacy::database_state(&db.url), untouched, "a dry run that meets a refused row changed the database");
    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "a row Postgres refuses must not abort the migration:\n{}", support::all_output(&out));
    let report = stdout_json(&out);
    assert_eq!(report["verification"]["ok"], true, "verify accounts for the refused row: {}", report["verification"]);
    let text = |sql: &str| run_psql(&db.url, sql).trim().to_string();
    let reason = text("SELECT reason FROM noesis_sync.legacy_rejects WHERE row_key = 'h-card-huge'");
    assert!(reason.starts_with("Postgres refused the row: ") && reason.contains("text_under_a_megabyte"), "the reject says why: {reason}");
    assert_eq!(
        text("SELECT refused_by_server FROM noesis_sync.legacy_rejects WHERE row_key = 'h-card-huge'"),
        "t",
        "the reject must be marked as refused by the server, or verify cannot account for it"
    );
    // verify recognises it by that mark, not by the wording of its reason.
    run_psql(&db.url, "UPDATE noesis_sync.legacy_rejects SET reason = 'reworded by hand' WHERE row_key = 'h-card-huge'");
    let out = legacy::verify(&db.url, device.path(), store.path());
    assert!(out.status.success(), "verify must account for a refused row whatever its reason says:\n{}", all_output(&out));
    run_psql(&db.url, "UPDATE noesis_sync.legacy_rejects SET refused_by_server = false WHERE row_key = 'h-card-huge'");
    let out = legacy::verify(&db.url, device.path(), store.path());
    assert!(!out.status.success(), "a parsable row in the rejects without the server's refusal must not count as accounted for");
    run_psql(&db.url, "UPDATE noesis_sync.legacy_rejects SET refused_by_server = true WHERE row_key = 'h-card-huge'");
    assert_eq!(text("SELECT count(*) FROM memory_cards WHERE id = 'h-card-huge'"), "0");
    let cards = legacy::table(&report, "memory_cards");
    let rejected_by_parsing =
        store.generated.hostile.iter().filter(|r| r.table == "memory_cards" && matches!(r.expect, Expect::Rejected)).count() as u64;
    assert_eq!(cards["rejected"].as_u64().unwrap(), rejected_by_parsing + 1, "{cards}");
    assert_eq!(cards["inserted"].as_u64().unwrap() + cards["rejected"].as_u64().unwrap(), cards["read"].as_u64().unwrap(), "{cards}");
    assert_eq!(text("SELECT count(*)::text FROM memory_cards"), cards["inserted"].to_string(), "every other card loaded");
    // The dry run foresaw the refusal, with Postgres's reason.
    let predicted = legacy::table(&stdout_json(&dry), "memory_cards").clone();
    for field in ["read", "inserted", "rejected", "refused_by_server"] {
        assert_eq!(predicted[field], cards[field], "the dry run predicted a different {field}: {predicted}");
    }
    assert_eq!(predicted["refused_by_server"], 1, "{predicted}");
    assert_eq!(predicted["refused_samples"][0]["id"], "h-card-huge", "{predicted}");
    let foreseen = predicted["refused_samples"][0]["reason"].as_str().unwrap();
    assert!(foreseen.contains("text_under_a_megabyte"), "the dry run must say which constraint refuses the row: {foreseen}");
    let again = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert_eq!(legacy::total(&stdout_json(&again), "inserted"), 0, "a rerun changes nothing");
}

#[tokio::test]
async fn rejects_kept_before_the_refused_by_server_column_are_marked_by_their_reason() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    // The table as a server that migrated before migration 0009 has it.
    run_psql(&db.url, "ALTER TABLE noesis_sync.legacy_rejects DROP COLUMN refused_by_server");
    run_psql(
        &db.url,
        "INSERT INTO noesis_sync.legacy_rejects (device_id, source_file, table_name, row_key, reason, raw, raw_sha256) VALUES
             ('d', 'f', 'memory_cards', 'refused', 'Postgres refused the row: new row violates check constraint', '\\x7b7d', 'a'),
             ('d', 'f', 'memory_cards', 'malformed', 'malformed JSON in column json', '\\x7b7d', 'b')",
    );
    run_psql(&db.url, include_str!("../migrations/20261122000009_legacy_reject_refused_by_server.sql"));
    let marked =
        run_psql(&db.url, "SELECT string_agg(row_key || '=' || refused_by_server, ',' ORDER BY row_key) FROM noesis_sync.legacy_rejects");
    assert_eq!(
        marked.trim(),
        "malformed=false,refused=true",
        "verify would count an old refused row as missing, or a parse reject as refused"
    );
}

#[tokio::test]
async fn a_server_whose_column_types_differ_is_loaded_in_text_and_verified() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    // Binary COPY needs each column's exact type; a server where someone
    // widened a column gets text COPY, which the server converts.
    run_psql(&db.url, "ALTER TABLE documents ALTER COLUMN file_size TYPE BIGINT");
    let store = LegacyStore::new(&GenerateSpec { hostile: false, ..GenerateSpec::small() });
    let device = data_dir();
    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "a widened column must not stop the migration:\n{}", all_output(&out));
    let report = stdout_json(&out);
    assert_eq!(report["verification"]["ok"], true, "{}", report["verification"]);
    assert_eq!(legacy::table(&report, "documents")["rejected"], 0, "no document may be rejected for the column's type: {report}");
}

#[tokio::test]
async fn a_missing_store_is_reported_and_the_other_is_migrated() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    let spec = GenerateSpec { with_mindfile_table: false, hostile: false, ..GenerateSpec::small() };
    let store = LegacyStore::new(&spec);
    std::fs::remove_file(&store.generated.documents).unwrap();
    let device = data_dir();
    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let report = stdout_json(&out);
    assert_eq!(report["sources"][1]["found"], false, "the missing documents store must be reported");
    assert_eq!(legacy::total(&report, "inserted"), (spec.cards + spec.sessions) as u64);
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM mindfile_entries").trim(), "0");

    let empty = tempfile::tempdir().unwrap();
    let out = legacy::migrate(&db.url, device.path(), empty.path(), &[]);
    assert!(!out.status.success(), "a folder without any store is an error");
    assert!(all_output(&out).contains("no legacy store"), "{}", all_output(&out));
}

#[tokio::test]
async fn verify_catches_a_row_altered_in_postgres_afterwards_but_not_a_reformatted_one() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec { hostile: false, ..GenerateSpec::small() });
    let device = data_dir();
    assert!(legacy::migrate(&db.url, device.path(), store.path(), &[]).status.success());

    // Same meaning, different JSON text: still verified.
    run_psql(&db.url, "UPDATE memory_cards SET provenance = jsonb_build_object('model', provenance->'model', 'reason', provenance->'reason', 'tools_used', provenance->'tools_used', 'sources', provenance->'sources', 'derived_from_artifact_ids', provenance->'derived_from_artifact_ids') WHERE id = 'card-000004'");
    let out = legacy::verify(&db.url, device.path(), store.path());
    assert!(out.status.success(), "JSON must compare by meaning:\n{}", all_output(&out));

    run_psql(&db.url, "UPDATE memory_cards SET text = 'tampered' WHERE id = 'card-000005'");
    let out = legacy::verify(&db.url, device.path(), store.path());
    assert!(!out.status.success(), "verify must fail when a migrated row was altered");
    let report = stdout_json(&out);
    let cards = report["tables"].as_array().unwrap().iter().find(|t| t["table"] == "memory_cards").unwrap();
    assert_eq!(cards["mismatched"], 1, "{cards}");
    assert_eq!(cards["unaccounted_ids"][0], "card-000005");
}
