//! An idle agent costs the server almost nothing: once it has caught up it
//! waits on LISTEN and sends only its heartbeat, counted on the wire by a proxy
//! between the agent and the server (not from server statistics, which also
//! count the server's own background work).

use crate::support;

use std::time::Duration;

use noesis_engine::central::ServerTarget;
use noesis_engine::sync::{start_agent, AgentConfig, SyncState};
use noesis_engine::DatabaseUrl;
use support::device::Device;
use support::wire_count::WireCounter;
use support::{Server, TestDb};

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_agent_sends_nothing_but_its_heartbeats() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let laptop = Device::new(&db.url);
    laptop.sync();

    let counter = WireCounter::start(&db.url).await;
    let target = ServerTarget::resolve(&DatabaseUrl::parse(&counter.url_for(&db.url)).unwrap()).unwrap();
    let mut config = AgentConfig::new(laptop.dir.path().to_path_buf(), target);
    config.heartbeat = Duration::from_secs(2);
    let agent = start_agent(config).unwrap();
    let mut status = agent.status();
    tokio::time::timeout(Duration::from_secs(60), status.wait_for(|s| s.state == SyncState::Online && s.last_sync.is_some()))
        .await
        .expect("the agent comes online and finishes its start-up cycle")
        .unwrap();
    assert!(counter.statements() > 0, "the agent's start-up cycle went through the counting proxy");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = counter.statements();
    tokio::time::sleep(Duration::from_secs(9)).await;
    let sent = counter.statements() - before;
    assert!(
        (3..=5).contains(&sent),
        "an idle agent with a 2 s heartbeat sends 4 or 5 heartbeats in 9 s and nothing else; it sent {sent} statements"
    );
    agent.stop().await;
}
