//! Pulls of several full batches (applied on the pull's own thread): a new
//! device's first sync and a large changelog pull.

use crate::support;

use support::device::{card_sql, Device};
use support::{run_psql, TestDb};

#[tokio::test]
async fn a_new_devices_first_sync_of_several_full_batches_loads_everything_and_keeps_its_own_card() {
    let db = TestDb::with_schema().await;
    // The first sync reads a snapshot and applies its full batches on the
    // pull's own thread while the stream goes on.
    let bulk = 3 * noesis_engine::sync::pull::PULL_BATCH + 11;
    run_psql(
        &db.url,
        &format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             SELECT 'bulk-' || g, now(), 'preferences', 'global', 'snapshot walrus number ' || g, 'pending', jsonb_build_object('n', g)
             FROM generate_series(1, {bulk}) g;"
        ),
    );
    let laptop = Device::new(&db.url);
    noesis_engine::cache::Cache::open(laptop.dir.path()).unwrap();
    // Written before the laptop ever synced: pending, so the snapshot keeps it.
    laptop.sqlite(&card_sql("typed-first", "written before the first sync"));
    let first = laptop.sync();
    assert_eq!(first["pull"]["snapshot"], true, "{first}");
    assert_eq!(first["pull"]["applied"].as_i64(), Some(bulk), "{first}");
    let found = laptop.sqlite("SELECT count(*) FROM memory_cards_fts WHERE memory_cards_fts MATCH 'walrus'");
    assert_eq!(found.trim(), bulk.to_string(), "search misses cards of the snapshot");
    assert_eq!(
        laptop.sqlite("SELECT count(*) FROM sync_shadow WHERE table_name = 'memory_cards'").trim(),
        (bulk + 1).to_string(),
        "cards of the snapshot have no shadow copy"
    );
    assert_eq!(run_psql(&db.url, "SELECT text FROM memory_cards WHERE id = 'typed-first'").trim(), "written before the first sync");
    let (local, central) = laptop.checksums();
    assert_eq!(local, central, "the new device differs from the server after its first sync");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_of_several_full_batches_keeps_an_unpushed_edit_and_leaves_pulled_text_searchable() {
    use noesis_engine::cache::Cache;
    use noesis_engine::central::ServerTarget;
    use noesis_engine::sync::{pull, Cancel};
    let db = TestDb::with_schema().await;
    let target = ServerTarget::exact(noesis_engine::DatabaseUrl::parse(&db.url).unwrap());
    let laptop = Device::new(&db.url);
    run_psql(&db.url, &card_sql("mine", "typed on the laptop"));
    laptop.sync();
    // Edited locally and not pushed yet, while the server changes the same
    // card and gains enough cards for several full pull batches (applied on
    // the pull's own thread).
    laptop.sqlite("UPDATE memory_cards SET text = 'edited offline' WHERE id = 'mine'");
    let bulk = 3 * pull::PULL_BATCH + 7;
    run_psql(
        &db.url,
        &format!(
            "UPDATE memory_cards SET text = 'edited on the server' WHERE id = 'mine';
             INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             SELECT 'bulk-' || g, now(), 'preferences', 'global', 'pulled zebra number ' || g, 'pending', jsonb_build_object('n', g, 'a', 'x')
             FROM generate_series(1, {bulk}) g;"
        ),
    );
    let mut cache = Cache::open(laptop.dir.path()).unwrap();
    let mut conn = target.connect().await.unwrap();
    let device = cache.device().unwrap();
    let mut report = pull::pull(&mut cache, &mut conn, &target, &device, &Cancel::default()).await.unwrap();
    while report.waiting {
        // Another test's transaction holds the horizon back; wait like `sync`.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        report = pull::pull(&mut cache, &mut conn, &target, &device, &Cancel::default()).await.unwrap();
    }
    assert_eq!(
        laptop.sqlite("SELECT text FROM memory_cards WHERE id = 'mine'").trim(),
        "edited offline",
        "a pull overwrote an unpushed edit"
    );
    assert_eq!(
        laptop.sqlite("SELECT count(*) FROM sync_outbox").trim(),
        "1",
        "pulled rows were queued to be pushed back, or the local edit was lost"
    );
    let found = laptop.sqlite("SELECT count(*) FROM memory_cards_fts WHERE memory_cards_fts MATCH 'zebra'");
    assert_eq!(found.trim(), bulk.to_string(), "search misses pulled cards");
    assert_eq!(
        laptop.sqlite("SELECT count(*) FROM sync_shadow WHERE table_name = 'memory_cards' AND row_id LIKE 'bulk-%'").trim(),
        bulk.to_string(),
        "pulled cards have no shadow copy, so their next edit could not merge"
    );
    assert_eq!(
        laptop.sqlite("SELECT provenance FROM memory_cards WHERE id = 'bulk-12'").trim(),
        r#"{"a":"x","n":12}"#,
        "a JSON column is not stored in canonical form"
    );
    drop(cache);
    // The next sync pushes the edit against the server's version: a merge
    // with a conflict record, not a silent loss on either side.
    let synced = laptop.sync();
    assert_eq!(synced["push"]["conflicts"], 1, "{synced}");
    let (local, central) = laptop.checksums();
    assert_eq!(local, central, "the laptop differs from the server after the merge");
}
