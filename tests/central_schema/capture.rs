//! Change capture on every declared table, and only there: each door of
//! each table is recorded, a table declared only in a test is captured from
//! its declaration, and capture attached to any other table refuses to record.

use noesis_engine::central;
use sqlx::Executor;

use super::{count, target};
use crate::support::TestDb;

/// A value of `column` a psql write could hold (a reference names row `door-1`).
fn sample(column: &noesis_engine::tables::Column, n: u32) -> String {
    use noesis_engine::tables::{ColumnKind::*, Rule};
    match (column.kind, column.rule) {
        (_, Rule::References(_)) => "'door-1'".into(),
        (Text, _) => format!("'{}-{n}'", column.name),
        (Integer, _) => n.to_string(),
        (Timestamp, _) => format!("'2025-01-0{n}T00:00:00'"),
        (Json, _) => format!("'{{\"reason\": \"r{n}\"}}'"),
        (TextArray, _) => format!("'{{t{n}}}'"),
        (Vector, _) => format!("array_fill({n}::real, ARRAY[768])::vector"),
    }
}

/// An insert, an update of every column but the key and a delete of row
/// `door-1` in each of `specs` (in order; deletes in reverse), as psql or
/// the Python server would make them: each is in the changelog, and a
/// field-merged table has a clock for every field the update changed.
async fn each_door_is_recorded(db: &TestDb, specs: &[&noesis_engine::tables::TableSpec]) {
    let mut conn = db.connect().await;
    for spec in specs {
        let values =
            spec.columns.iter().map(|c| if c.name == spec.key { "'door-1'".to_string() } else { sample(c, 1) }).collect::<Vec<_>>();
        conn.execute(sqlx::AssertSqlSafe(format!("INSERT INTO {} ({}) VALUES ({})", spec.name, spec.column_list(), values.join(", "))))
            .await
            .unwrap();
        let sets = spec
            .columns
            .iter()
            .filter(|c| c.name != spec.key && !matches!(c.rule, noesis_engine::tables::Rule::References(_)))
            .map(|c| format!("{} = {}", c.name, sample(c, 2)))
            .collect::<Vec<_>>();
        conn.execute(sqlx::AssertSqlSafe(format!("UPDATE {} SET {} WHERE {} = 'door-1'", spec.name, sets.join(", "), spec.key)))
            .await
            .unwrap();
        if spec.merges_by_field() {
            let clocks: i64 =
                sqlx::query_scalar("SELECT count(*) FROM noesis_sync.field_clocks WHERE table_name = $1 AND row_id = 'door-1'")
                    .bind(spec.name)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            assert_eq!(clocks as usize, sets.len(), "{}: a clock for every field changed", spec.name);
        }
    }
    for spec in specs.iter().rev() {
        conn.execute(sqlx::AssertSqlSafe(format!("DELETE FROM {} WHERE {} = 'door-1'", spec.name, spec.key))).await.unwrap();
        let ops: String = sqlx::query_scalar(
            "SELECT string_agg(op::text, '' ORDER BY change_id) FROM noesis_sync.changelog WHERE table_name = $1 AND row_id = 'door-1'",
        )
        .bind(spec.name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(ops, "IUD", "{}: insert, update and delete are recorded", spec.name);
    }
}

#[tokio::test]
async fn every_synced_table_records_writes_through_each_door() {
    let db = TestDb::with_schema().await;
    let specs: Vec<_> = noesis_engine::tables::EDITABLE.iter().copied().chain([noesis_engine::tables::EMBEDDINGS]).collect();
    each_door_is_recorded(&db, &specs).await;
}

/// What adding a synced table takes on the server's side: its declaration and
/// the migration that creates the table. `setup`'s capture install does the rest.
#[tokio::test]
async fn a_newly_declared_table_gets_its_capture_from_the_declaration() {
    use noesis_engine::tables::{Column, ColumnKind::*, EditedAt, RowMerge, Rule, Search, TableSpec};
    const fn col(name: &'static str, kind: noesis_engine::tables::ColumnKind) -> Column {
        Column { name, kind, required: true, rule: Rule::Any }
    }
    static NOTES: TableSpec = TableSpec {
        name: "notes",
        key: "id",
        pushed: true,
        merge: RowMerge::FieldByField,
        search: Search::Columns(&["body"]),
        edited_at: EditedAt::Latest(&["updated_at"]),
        keeps_history: false,
        columns: &[col("id", Text), col("body", Text), col("updated_at", Timestamp), col("tags", TextArray)],
    };
    let db = TestDb::with_schema().await;
    let mut owner = db.connect().await;
    owner
        .execute("CREATE TABLE public.notes (id text PRIMARY KEY, body text NOT NULL, updated_at timestamp NOT NULL, tags text[] NOT NULL)")
        .await
        .unwrap();
    let installed = central::install_capture(&mut owner, &target(&db.url), &[&NOTES]).await.unwrap();
    assert_eq!(installed, ["notes"]);
    each_door_is_recorded(&db, &[&NOTES]).await;
}

#[tokio::test]
async fn capture_attached_to_a_table_that_is_not_synced_refuses_to_record() {
    // The second lock after EXECUTE: even the owner, attaching the SECURITY
    // DEFINER capture by mistake to a TEMP table named like a synced one or
    // to another table, gets no forged changelog row, field clock or resync.
    let db = TestDb::with_schema().await;
    let mut owner = db.connect().await;
    let before = count(&mut owner, "SELECT count(*) FROM noesis_sync.changelog").await;
    let pruned_before: String =
        sqlx::query_scalar("SELECT pruned_xid::text FROM noesis_sync.server_info").fetch_one(&mut owner).await.unwrap();
    owner
        .execute(
            "CREATE TEMP TABLE memory_cards (id text, text text);
             CREATE TABLE public.notes (id text, text text);
             SELECT noesis_sync.install_statement_capture('pg_temp.memory_cards', 'id');
             DELETE FROM noesis_sync.captured_tables WHERE table_oid = 'pg_temp.memory_cards'::regclass;
             CREATE TRIGGER forged AFTER INSERT ON public.notes REFERENCING NEW TABLE AS new_rows
                 FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.capture_inserted('id');
             CREATE TRIGGER forged_clocks AFTER UPDATE ON public.notes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                 FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.record_field_clocks();",
        )
        .await
        .unwrap();
    for write in [
        "INSERT INTO pg_temp.memory_cards VALUES ('victim', 'forged')",
        "TRUNCATE pg_temp.memory_cards",
        "INSERT INTO public.notes VALUES ('n1', 'forged')",
    ] {
        let err = owner.execute(write).await.expect_err(write);
        assert!(err.to_string().contains("not a table Noesis sync captures"), "{write}: {err}");
    }
    owner.execute("ALTER TABLE public.notes DISABLE TRIGGER forged; INSERT INTO public.notes VALUES ('n1', 'x')").await.unwrap();
    let err = owner.execute("UPDATE public.notes SET text = 'forged clock'").await.expect_err("field clocks of an unsynced table");
    assert!(err.to_string().contains("not a table Noesis sync captures"), "{err}");

    assert_eq!(count(&mut owner, "SELECT count(*) FROM noesis_sync.changelog").await, before, "nothing forged");
    let pruned_after: String =
        sqlx::query_scalar("SELECT pruned_xid::text FROM noesis_sync.server_info").fetch_one(&mut owner).await.unwrap();
    assert_eq!(pruned_after, pruned_before, "no device is forced into a full resync");
    // The synced tables still record every write.
    owner
        .execute("INSERT INTO public.memory_cards VALUES ('c1', now(), 'preferences', 'global', 'real', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}'); TRUNCATE public.document_chunks")
        .await
        .unwrap();
    assert_eq!(count(&mut owner, "SELECT count(*) FROM noesis_sync.changelog WHERE row_id = 'c1'").await, 1);
}

#[tokio::test]
async fn a_large_update_after_small_ones_on_the_same_connection_finishes() {
    // The Python server and the agent keep a connection open and write row by
    // row; a re-embedding or clean-up pass on that connection then updates
    // thousands of rows in one statement. The capture triggers once kept the
    // plan made for the first one-row statement and matched old and new rows
    // pair by pair: 5,000 cards or 2,000 embeddings ran for many minutes. The
    // timeout bounds the kind of work (seconds, not minutes), not its speed.
    let db = TestDb::with_schema().await;
    let mut conn = db.connect().await;
    conn.execute(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             SELECT 'c' || i, now(), 'preferences', 'global', 'card ' || i, 'pending', '{\"reason\": \"written by a test\"}'
             FROM generate_series(1, 5000) i;
         INSERT INTO embeddings (doc_id, embedding, text, source_type)
             SELECT 'e' || i, array_fill(0.1::real, ARRAY[768])::vector, 'chunk ' || i, 'memory_card' FROM generate_series(1, 2000) i;",
    )
    .await
    .unwrap();
    for i in 1..=6 {
        conn.execute(sqlx::AssertSqlSafe(format!(
            "UPDATE memory_cards SET approval = 'approved' WHERE id = 'c{i}';
             UPDATE embeddings SET text = 're-embedded' WHERE doc_id = 'e{i}';"
        )))
        .await
        .unwrap();
    }
    conn.execute("SET statement_timeout = '60s'").await.unwrap();
    conn.execute("UPDATE memory_cards SET text = text || ' (reviewed)'").await.expect("a 5,000-card UPDATE finishes");
    conn.execute("UPDATE embeddings SET metadata = '{\"model\": \"nomic-embed-text\"}'").await.expect("a 2,000-embedding UPDATE finishes");

    let card_changes = count(&mut conn, "SELECT count(*) FROM noesis_sync.changelog WHERE table_name = 'memory_cards' AND op = 'U'").await;
    assert_eq!(card_changes, 5006, "every card's update is recorded");
    let versions = count(&mut conn, "SELECT count(*) FROM noesis_sync.row_versions WHERE table_name = 'memory_cards'").await;
    assert_eq!(versions, 5006, "every replaced card version is kept");
    let clocks =
        count(&mut conn, "SELECT count(*) FROM noesis_sync.field_clocks WHERE table_name = 'memory_cards' AND field = 'text'").await;
    assert_eq!(clocks, 5000, "every card's text has its field clock");
    let embedding_changes =
        count(&mut conn, "SELECT count(*) FROM noesis_sync.changelog WHERE table_name = 'embeddings' AND op = 'U'").await;
    assert_eq!(embedding_changes, 2006, "every embedding's update is recorded");
}
