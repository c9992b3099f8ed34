//! A TCP proxy between a device and the test server that the test can cut and
//! restore, to simulate a lost network or a server that went away; and, since
//! it reads the PostgreSQL protocol's message framing from the device, cut
//! right before or right after a COMMIT reaches the server (the moments a
//! device cannot tell apart, and must handle both ways).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// A running proxy on 127.0.0.1.
pub struct Proxy {
    /// The port devices connect to.
    pub port: u16,
    up: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    cut: broadcast::Sender<()>,
    armed: Arc<AtomicU8>,
    task: tokio::task::JoinHandle<()>,
}

/// What happens at the next COMMIT a device sends.
const DISARMED: u8 = 0;
/// Cut the connection instead of delivering it: the server rolls back.
const CUT_BEFORE_COMMIT: u8 = 1;
/// Deliver it, withhold the server's answer, cut: the server committed and
/// the device does not know.
const CUT_AFTER_COMMIT: u8 = 2;

impl Proxy {
    /// Starts forwarding a free local port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let stalled = Arc::new(AtomicBool::new(false));
        let armed = Arc::new(AtomicU8::new(DISARMED));
        let (cut, _) = broadcast::channel(4);
        let (up2, cut2, armed2, stalled2) = (up.clone(), cut.clone(), armed.clone(), stalled.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut_rx = cut2.subscribe();
                let (armed, stalled) = (armed2.clone(), stalled2.clone());
                tokio::spawn(async move {
                    let relayed = async {
                        // A blackholed network: the connection is accepted
                        // and then nothing moves.
                        hold_while(&stalled).await;
                        let Ok(server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        relay(client, server, armed, stalled).await
                    };
                    tokio::select! {
                        _ = relayed => {}
                        _ = cut_rx.recv() => {}
                    }
                });
            }
        });
        Self { port, up, stalled, cut, armed, task }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        let _ = self.cut.send(());
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// Stops moving bytes either way, connections left open: a network that
    /// silently drops everything (a sleeping Wi-Fi, a dead route).
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Moves bytes again after a stall (the ones held are delivered).
    pub fn unstall(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }

    /// Forgets an armed COMMIT cut that has not happened.
    pub fn disarm(&self) {
        self.armed.store(DISARMED, Ordering::SeqCst);
    }

    /// The next COMMIT any device sends reaches the server, whose answer never
    /// comes back: that connection is cut. Once only.
    pub fn cut_after_next_commit(&self) {
        self.armed.store(CUT_AFTER_COMMIT, Ordering::SeqCst);
    }

    /// The next COMMIT any device sends never reaches the server: that
    /// connection is cut instead. Once only.
    pub fn cut_before_next_commit(&self) {
        self.armed.store(CUT_BEFORE_COMMIT, Ordering::SeqCst);
    }

    /// Whether the armed cut has happened.
    pub fn commit_cut_done(&self) -> bool {
        self.armed.load(Ordering::SeqCst) == DISARMED
    }

    /// `url` rewritten to go through this proxy.
    pub fn url_for(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).unwrap();
        u.set_port(Some(self.port)).unwrap();
        u.to_string()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Forwards both ways until either side closes or a COMMIT cut happens.
async fn relay(client: TcpStream, server: TcpStream, armed: Arc<AtomicU8>, stalled: Arc<AtomicBool>) {
    // What one read brought goes out in one write, without Nagle's delay: a
    // proxy that split a device's pipelined messages into small writes would
    // add a delayed-ACK wait (about 40 ms) to every round trip.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let answers_withheld = Arc::new(AtomicBool::new(false));
    let withheld = answers_withheld.clone();
    let stalled_up = stalled.clone();
    let to_client = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_rx.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            hold_while(&stalled).await;
            if withheld.load(Ordering::SeqCst) {
                return;
            }
            if client_tx.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let to_server = async move {
        let mut framing = Framing::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            hold_while(&stalled_up).await;
            let mut out: Vec<u8> = Vec::with_capacity(n);
            for message in framing.feed(&buf[..n]) {
                if framing.typed && is_commit(&message) {
                    match armed.swap(DISARMED, Ordering::SeqCst) {
                        CUT_BEFORE_COMMIT => {
                            let _ = server_tx.write_all(&out).await;
                            return;
                        }
                        CUT_AFTER_COMMIT => {
                            answers_withheld.store(true, Ordering::SeqCst);
                            out.extend_from_slice(&message);
                            let _ = server_tx.write_all(&out).await;
                            // Give the server the time to run it before the
                            // connection goes (a disconnect does not undo a
                            // COMMIT it has read).
                            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                            return;
                        }
                        _ => {}
                    }
                }
                out.extend_from_slice(&message);
            }
            if !out.is_empty() && server_tx.write_all(&out).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = to_client => {}
        _ = to_server => {}
    }
}

/// Waits while the proxy is stalled.
async fn hold_while(stalled: &AtomicBool) {
    while stalled.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Splits the device's byte stream into protocol messages: first the untyped
/// start-up ones (SSL request, start-up packet), then `type, length, body`.
#[derive(Default)]
struct Framing {
    pending: Vec<u8>,
    /// Past the start-up packet.
    typed: bool,
}

/// The protocol version in a start-up packet (3.0); other untyped messages
/// (SSL and GSS requests) come before it.
const PROTOCOL_3: u32 = 196_608;

impl Framing {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            let header = if self.typed { 5 } else { 8 };
            if self.pending.len() < header {
                return out;
            }
            let at = if self.typed { 1 } else { 0 };
            let len = u32::from_be_bytes(self.pending[at..at + 4].try_into().unwrap()) as usize;
            let total = len + at;
            if self.pending.len() < total {
                return out;
            }
            let message: Vec<u8> = self.pending.drain(..total).collect();
            if !self.typed && u32::from_be_bytes(message[4..8].try_into().unwrap()) == PROTOCOL_3 {
                out.push(message);
                self.typed = true;
                continue;
            }
            out.push(message);
        }
    }
}

/// A simple-protocol query that commits (how sqlx ends a transaction).
fn is_commit(message: &[u8]) -> bool {
    message.first() == Some(&b'Q') && message.len() > 5 && message[5..].trim_ascii_start().to_ascii_uppercase().starts_with(b"COMMIT")
}

/// The socket address of a postgres URL.
pub fn upstream_of(url: &str) -> SocketAddr {
    let u = url::Url::parse(url).unwrap();
    format!("{}:{}", u.host_str().unwrap(), u.port().unwrap()).parse().unwrap()
}
