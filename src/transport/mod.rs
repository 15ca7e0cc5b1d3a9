//! Byte pipes to the debuggee: tcp, tcps, ws and wss. Nothing here parses ptvsd.

pub mod affinity;
mod http_proxy;
pub mod instances;
pub mod quickack;
pub mod target;
mod tcp;
mod tcps;
pub mod tls;
mod wakeup;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

pub use http_proxy::{from_env as proxy_from_env, Proxy};
pub use target::{parse_url, Scheme, Target};
pub use tls::TlsOptions;

/// A connected byte stream to ptvsd. Shutting down its write half closes the link (for a
/// WebSocket: a Close frame), which the session does only after the in-protocol detach.
pub trait Pipe: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Pipe for T {}

pub type BoxedPipe = Box<dyn Pipe>;

/// Why a transport closed the pipe, when it knows better than "end of stream".
pub type CloseReason = Arc<Mutex<Option<String>>>;

/// How long one TCP connect may take before it is reported as timed out.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// WebSocket ping interval: Azure's front end drops idle connections.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub tls: TlsOptions,
    pub keepalive: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions { tls: TlsOptions::default(), keepalive: DEFAULT_KEEPALIVE }
    }
}

pub struct Connection {
    pub pipe: BoxedPipe,
    pub close_reason: CloseReason,
    /// Which instance of a scaled-out site answered (its `ARRAffinity`), when known.
    pub instance: Option<affinity::Landing>,
    /// What the console must say about this link once attached (a weak TLS version, say).
    pub warnings: Vec<String>,
    /// The TLS version (and cipher) that protects the link, said before the secret is sent.
    pub protection: Option<String>,
}

/// Why a connection could not be made, in words that name the cause and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    pub message: String,
    /// Worth trying again while the site may still be starting.
    pub retry: bool,
}

impl ConnectError {
    pub fn fatal(message: impl Into<String>) -> Self {
        ConnectError { message: message.into(), retry: false }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        ConnectError { message: message.into(), retry: true }
    }
}

/// When connecting must be over: the attach's `connectTimeout`, counted from its start. Steps
/// that have no bound of their own (a WebSocket upgrade the server never answers) end there.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    pub connect_timeout: Duration,
}

impl Deadline {
    pub fn after(connect_timeout: Duration) -> Deadline {
        Deadline { at: tokio::time::Instant::now() + connect_timeout, connect_timeout }
    }
}

/// Connects to `target`; ws and wss go through `proxy` when one is given (see [`proxy_from_env`]).
pub async fn connect(
    target: &Target,
    options: &ConnectOptions,
    proxy: Option<&Proxy>,
    deadline: Deadline,
) -> Result<Connection, ConnectError> {
    match target.scheme {
        Scheme::Tcp => {
            let stream = tcp::connect(&target.host, target.port).await?;
            let peer = stream.get_ref().peer_addr().ok();
            Ok(Connection {
                pipe: Box::new(stream),
                close_reason: CloseReason::default(),
                instance: None,
                warnings: cleartext_warning(target, peer, false).into_iter().collect(),
                protection: None,
            })
        }
        Scheme::Tcps => {
            let tls = tcps::connect(&target.host, target.port, &options.tls, target.legacy_tls).await?;
            Ok(Connection {
                pipe: Box::new(tls.stream),
                close_reason: CloseReason::default(),
                instance: None,
                warnings: tls.warning.into_iter().collect(),
                protection: Some(tls.protection),
            })
        }
        Scheme::Ws | Scheme::Wss => ws::connect(target, options, proxy, deadline).await,
    }
}

/// For tcp and ws to a host that is not this machine: the secret and the program's data cross
/// the network unencrypted. Loopback is judged by the host as written, or, when no proxy is in
/// the way, by the address actually connected.
fn cleartext_warning(target: &Target, peer: Option<SocketAddr>, proxied: bool) -> Option<String> {
    let secure = match target.scheme {
        Scheme::Tcp => "tcps:// (TLS to ptvsd, or to a terminator such as stunnel in front of it)",
        Scheme::Ws => "wss:// (a WebSocket relay with TLS, as App Service serves it)",
        Scheme::Tcps | Scheme::Wss => return None,
    };
    let named_loopback = target.host.eq_ignore_ascii_case("localhost")
        || target.host.parse::<IpAddr>().is_ok_and(|address| address.is_loopback());
    let connected_loopback = !proxied && peer.is_some_and(|address| address.ip().is_loopback());
    if named_loopback || connected_loopback {
        return None;
    }
    Some(format!(
        "{target} is not encrypted: the secret and everything the program shows (variables, output, source) cross \
         the network in clear text, readable by anyone on the path. Use {secure}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleartext_is_named_for_remote_hosts_only() {
        let target = |url: &str| parse_url(url).unwrap();
        let remote: SocketAddr = "192.0.2.7:5678".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:5678".parse().unwrap();
        let warning = cleartext_warning(&target("tcp://s@192.0.2.7:5678"), Some(remote), false).unwrap();
        assert!(
            warning.contains("not encrypted") && warning.contains("tcps://") && !warning.contains("s@"),
            "{warning}"
        );
        let warning = cleartext_warning(&target("ws://s@example.com/ptvsd"), Some(remote), false).unwrap();
        assert!(warning.contains("wss://"), "{warning}");
        // A name that resolves to this machine, straight; but through a proxy only the name counts.
        assert_eq!(cleartext_warning(&target("tcp://s@myhost:5678"), Some(local), false), None);
        assert!(cleartext_warning(&target("ws://s@myhost/ptvsd"), Some(local), true).is_some());
        for url in ["tcp://s@localhost", "ws://s@127.0.0.1:8080", "tcp://s@[::1]:5678"] {
            assert_eq!(cleartext_warning(&target(url), Some(remote), true), None, "{url}");
        }
        for url in ["tcps://s@192.0.2.7", "wss://s@example.com"] {
            assert_eq!(cleartext_warning(&target(url), Some(remote), false), None, "{url}");
        }
    }
}
