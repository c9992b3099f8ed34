//! A loopback TCP proxy in front of PostgreSQL that counts the statements its
//! clients send, read from the frontend protocol itself.
//!
//! Why not `pg_stat_database`: its transaction counts are per database, so they
//! also include the server's own background work there (autovacuum and
//! autoanalyze workers run transactions in the bench database after the
//! latency phase wrote to it), which is not what an idle agent sends.
//!
//! Vocabulary: a *statement* is one simple-protocol `Query` message or one
//! extended-protocol `Execute` message (what a driver sends per `execute` or
//! `fetch`). Clients must connect with `sslmode=disable`, or the stream would be
//! encrypted and unreadable.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The request codes of the untyped messages a client may send before its
/// StartupMessage (SSLRequest, GSSENCRequest), after which it sends another
/// untyped message.
const PRE_STARTUP_REQUEST_CODES: [u32; 2] = [80_877_103, 80_877_104];

/// A running counting proxy; stops when dropped.
pub struct WireCounter {
    port: u16,
    statements: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl WireCounter {
    /// Starts forwarding a free loopback port to the server of `url`.
    pub async fn start(url: &str) -> Self {
        let u = url::Url::parse(url).unwrap();
        let upstream: SocketAddr = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap()).parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (mut client_rx, mut client_tx) = client.into_split();
                    let (mut server_rx, mut server_tx) = server.into_split();
                    let upstream = async {
                        let mut parser = FrontendParser::default();
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_rx.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            counter.fetch_add(parser.feed(&buf[..n]), Ordering::Relaxed);
                            if server_tx.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = server_tx.shutdown().await;
                    };
                    let downstream = async {
                        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
                        let _ = client_tx.shutdown().await;
                    };
                    tokio::join!(upstream, downstream);
                });
            }
        });
        Self { port, statements, task }
    }

    /// `url` rewritten to go through this proxy, unencrypted so it can be read.
    pub fn url_for(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).unwrap();
        u.set_port(Some(self.port)).unwrap();
        let kept: Vec<(String, String)> =
            u.query_pairs().filter(|(k, _)| k != "sslmode").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        u.query_pairs_mut().clear().extend_pairs(kept).append_pair("sslmode", "disable");
        u.to_string()
    }

    /// Statements sent through the proxy so far, by every client.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

impl Drop for WireCounter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Splits a client's byte stream into protocol messages across reads.
#[derive(Default)]
struct FrontendParser {
    /// Bytes of the message being assembled (its header first).
    pending: Vec<u8>,
    /// True once the StartupMessage has gone by: from then on every message
    /// starts with a type byte.
    started: bool,
}

impl FrontendParser {
    /// Consumes `bytes` and returns how many statements completed in them.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let mut statements = 0;
        loop {
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                break;
            }
            let len_at = header - 4;
            let len = u32::from_be_bytes(self.pending[len_at..len_at + 4].try_into().unwrap()) as usize;
            let total = len_at + len;
            if self.pending.len() < total {
                break;
            }
            if self.started {
                if matches!(self.pending[0], b'Q' | b'E') {
                    statements += 1;
                }
            } else {
                let code = u32::from_be_bytes(self.pending[4..8].try_into().unwrap());
                self.started = !PRE_STARTUP_REQUEST_CODES.contains(&code);
            }
            self.pending.drain(..total);
        }
        statements
    }
}
