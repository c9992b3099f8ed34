//! No password in clear text: before the driver logs in over a connection
//! that may go without TLS (`sslmode` disable, allow, or prefer with a server
//! that offers none), this asks the server, on a connection of its own, how
//! it wants the password; a server (or an impostor on the path, or a fake
//! server on this machine) that asks for it in clear text is refused before
//! the password leaves. The driver has no switch for this (libpq's
//! `require_auth`). It is a check before login, not a guarantee: an attacker
//! who controls the path could answer this probe and the real login
//! differently; TLS (`sslmode=require` or `verify-full`, the default off this
//! machine) is what protects the password.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `SSLRequest`: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// Protocol 3.0 in a start-up packet.
const PROTOCOL_3: u32 = 196_608;
/// `AuthenticationCleartextPassword`.
const CLEARTEXT: u32 = 3;

/// `Some(why)` when the server at `host:port` would get the password in
/// clear text; `None` when it would not, or when the probe could not tell
/// (the login that follows then reports what is wrong).
pub(super) async fn cleartext_requested(
    host: &str,
    port: u16,
    user: &str,
    database: &str,
    sslmode: &str,
    timeout: Duration,
) -> Option<String> {
    if !matches!(sslmode, "disable" | "allow" | "prefer") {
        return None;
    }
    let probe = async {
        let mut stream = TcpStream::connect((host.trim_matches(['[', ']']), port)).await.ok()?;
        if sslmode == "prefer" {
            stream.write_all(&SSL_REQUEST).await.ok()?;
            let mut answer = [0u8; 1];
            stream.read_exact(&mut answer).await.ok()?;
            if answer[0] == b'S' {
                // The login will be inside TLS.
                return Some(false);
            }
        }
        stream.write_all(&startup_packet(user, database)).await.ok()?;
        let mut header = [0u8; 9];
        stream.read_exact(&mut header).await.ok()?;
        let code = u32::from_be_bytes(header[5..9].try_into().ok()?);
        Some(header[0] == b'R' && code == CLEARTEXT)
    };
    match tokio::time::timeout(timeout, probe).await {
        Ok(Some(true)) => Some(
            "the server asked for the password in clear text over a connection without TLS, so it was not sent; \
             turn on TLS on the server (ssl = on) and use sslmode=require, or have pg_hba.conf ask for scram-sha-256"
                .into(),
        ),
        _ => None,
    }
}

fn startup_packet(user: &str, database: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&PROTOCOL_3.to_be_bytes());
    for (k, v) in [("user", user), ("database", database), ("application_name", "noesis-sync")] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend_from_slice(&body);
    packet
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A fake server that answers the start-up with the given auth request.
    async fn fake(code: u32, offers_tls: bool) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut first = [0u8; 8];
                if s.read_exact(&mut first).await.is_err() {
                    continue;
                }
                if first == SSL_REQUEST {
                    let _ = s.write_all(if offers_tls { b"S" } else { b"N" }).await;
                    if offers_tls {
                        continue;
                    }
                    let len = {
                        let mut l = [0u8; 4];
                        let _ = s.read_exact(&mut l).await;
                        u32::from_be_bytes(l) as usize
                    };
                    let mut rest = vec![0u8; len - 4];
                    let _ = s.read_exact(&mut rest).await;
                } else {
                    let len = u32::from_be_bytes(first[0..4].try_into().unwrap()) as usize;
                    let mut rest = vec![0u8; len - 8];
                    let _ = s.read_exact(&mut rest).await;
                }
                let mut answer = vec![b'R', 0, 0, 0, 8];
                answer.extend_from_slice(&code.to_be_bytes());
                let _ = s.write_all(&answer).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn a_server_asking_for_the_password_in_clear_text_is_refused() {
        let t = Duration::from_secs(5);
        let port = fake(CLEARTEXT, false).await;
        for mode in ["disable", "allow", "prefer"] {
            assert!(cleartext_requested("127.0.0.1", port, "u", "db", mode, t).await.is_some(), "{mode}");
        }
        assert!(cleartext_requested("127.0.0.1", port, "u", "db", "require", t).await.is_none(), "TLS modes need no probe");
        let scram = fake(10, false).await;
        assert!(cleartext_requested("127.0.0.1", scram, "u", "db", "prefer", t).await.is_none(), "SCRAM never sends the password");
        let tls = fake(CLEARTEXT, true).await;
        assert!(cleartext_requested("127.0.0.1", tls, "u", "db", "prefer", t).await.is_none(), "inside TLS");
    }
}
