//! The later edit of each field wins, not the side whose row changed last.

use crate::support;

use support::device::{card_sql, Device};
use support::{run_psql, Server, TestDb};

fn pause() {
    std::thread::sleep(std::time::Duration::from_millis(30));
}

/// Issue 11, finding 3: B edits the text, then A edits the text later, then B
/// edits the category. A syncs, then B: A's text (the later edit of the text)
/// stays, B's category goes in, and B's text is kept in a conflict record.
#[tokio::test]
async fn an_earlier_text_edit_does_not_beat_a_later_one_because_its_row_changed_last() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    a.sqlite(&card_sql("c", "t0"));
    a.sync();
    b.sync();

    b.sqlite("UPDATE memory_cards SET text = 'from b, early' WHERE id = 'c'");
    pause();
    a.sqlite("UPDATE memory_cards SET text = 'from a, later' WHERE id = 'c'");
    pause();
    b.sqlite("UPDATE memory_cards SET category = 'vocabulary' WHERE id = 'c'");
    a.sync();
    b.sync();
    a.sync();

    let row = run_psql(&db.url, "SELECT text || ' | ' || category FROM memory_cards WHERE id = 'c'");
    assert_eq!(row.trim(), "from a, later | vocabulary");
    for device in [&a, &b] {
        assert_eq!(device.sqlite("SELECT text || ' | ' || category FROM memory_cards WHERE id = 'c'").trim(), "from a, later | vocabulary");
    }
    let lost = run_psql(&db.url, "SELECT losing_version->>'text' FROM noesis_sync.conflicts WHERE row_id = 'c'");
    assert_eq!(lost.trim(), "from b, early", "B's text is kept where the user can restore it");
}

/// A field edited by psql (the Python server's way) has its own clock too: a
/// device's older offline edit of that field does not overwrite it.
#[tokio::test]
async fn a_servers_later_field_edit_beats_an_older_offline_edit() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let laptop = Device::new(&db.url);
    laptop.sync();
    laptop.sqlite(&card_sql("c", "t0"));
    laptop.sync();

    laptop.sqlite("UPDATE memory_cards SET text = 'offline, early' WHERE id = 'c'");
    pause();
    run_psql(&db.url, "UPDATE memory_cards SET text = 'server, later' WHERE id = 'c'");
    pause();
    laptop.sqlite("UPDATE memory_cards SET scope = 'project' WHERE id = 'c'");
    laptop.sync();
    let row = run_psql(&db.url, "SELECT text || ' | ' || scope FROM memory_cards WHERE id = 'c'");
    assert_eq!(row.trim(), "server, later | project");
}
