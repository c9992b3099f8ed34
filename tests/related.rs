//! "Related" on a real server: nearest neighbours by pgvector inner product,
//! and the reasons it is unavailable (no embedding yet, no pgvector).

use crate::support;

use noesis_engine::central::related::{related, Related};
use noesis_engine::central::ServerTarget;
use noesis_engine::DatabaseUrl;
use support::{run_psql, Server, TestDb};

/// A 768-dimension vector pointing at (x, y) in its first two dimensions.
fn vector(x: f32, y: f32) -> String {
    format!("array_cat(ARRAY[{x}, {y}]::real[], array_fill(0::real, ARRAY[766]))::vector")
}

async fn target(db: &TestDb) -> ServerTarget {
    ServerTarget::resolve(&DatabaseUrl::parse(&db.url).unwrap()).unwrap()
}

#[tokio::test]
async fn neighbours_come_nearest_first_across_cards_and_chunks() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    for (id, source, x, y) in [
        ("c1", "memory_card", 1.0, 0.0),
        ("c2", "memory_card", 0.9, 0.1),
        ("c3", "memory_card", 0.1, 0.9),
        ("k1", "document_chunk", 0.5, 0.5),
    ] {
        run_psql(
            &db.url,
            &format!(
                "INSERT INTO embeddings (doc_id, embedding, text, source_type) SELECT '{id}', {}, 'text of {id}', '{source}'",
                vector(x, y)
            ),
        );
    }
    let target = target(&db).await;
    let mut conn = target.connect().await.unwrap();
    let Related::Found { neighbours } = related(&mut conn, &target, "c1", 10).await.unwrap() else { panic!("c1 is embedded") };
    let ids: Vec<&str> = neighbours.iter().map(|n| n.doc_id.as_str()).collect();
    assert_eq!(ids, ["c2", "k1", "c3"], "closest first, and never the card itself");
    assert_eq!(neighbours[1].source_type, "document_chunk", "chunks are related to cards too");
    assert!((neighbours[0].score - 0.9).abs() < 1e-4, "score is the inner product: {}", neighbours[0].score);
    let Related::Found { neighbours } = related(&mut conn, &target, "c1", 1).await.unwrap() else { panic!() };
    assert_eq!(neighbours.len(), 1, "the limit is honoured");
    assert_eq!(related(&mut conn, &target, "new-card", 10).await.unwrap(), Related::NotEmbedded);

    let plan = run_psql(
        &db.url,
        &format!("SET enable_seqscan = off; EXPLAIN SELECT doc_id FROM embeddings ORDER BY embedding <#> {} LIMIT 5", vector(1.0, 0.0)),
    );
    assert!(plan.contains("idx_embeddings_hnsw"), "the query shape can use the HNSW index: {plan}");
}

#[tokio::test]
async fn a_server_without_pgvector_says_so() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    let target = target(&db).await;
    let mut conn = target.connect().await.unwrap();
    assert_eq!(related(&mut conn, &target, "c1", 10).await.unwrap(), Related::NoPgvector);
}
