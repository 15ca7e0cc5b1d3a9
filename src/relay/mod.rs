//! `ptvsd-dap relay`: a WebSocket proxy to ptvsd with the Azure App Service proxy's behaviour
//! (docs/protocol.md §1.4), so that a container, a VM or a local program can be debugged the
//! way an App Service site is.
//!
//! - A request that is not a WebSocket upgrade gets an HTML help page (`http.rs`).
//! - An upgrade on the relay's path (`/ptvsd` by default) gets its own fresh TCP connection to
//!   the target; an upgrade elsewhere gets 404, and 502 if the target cannot be reached.
//! - Several targets stand for the instances of a scaled-out site (`instances.rs`): requests are
//!   routed by their `ARRAffinity` cookie, and answers set it, as App Service's front end does.
//! - Each target read (at most 64 KiB) goes to the client as one binary message; every message
//!   from the client is written to the target as it arrives, binary or text (`pump.rs`).
//! - When either side ends, the other is cancelled, the target socket is shut down both ways and
//!   the client gets a Close (1000).
//! - With a certificate and key it serves `wss` (`tls.rs`).
//! - Web pages are kept out: an upgrade with an `Origin` header (browsers add one; debuggers do
//!   not) is refused with 403 unless `--allow-origin` names that origin.
//! - At most [`DEFAULT_MAX_CONNECTIONS`] connections at once (`--max-connections`); more are
//!   answered 503 and closed. A WebSocket idle for [`DEFAULT_IDLE_TIMEOUT`] (`--idle-timeout`:
//!   no message or ping from the client, no byte from the target) is closed; ptvsd-dap pings
//!   every 20 s, so its sessions are never idle.
//!
//! The relay never parses ptvsd and never logs payload bytes (they carry the secret).

mod connection;
mod http;
mod instances;
mod pump;
mod stream;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// How long open WebSockets get to close when the relay stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// The pause after a failed accept (out of file descriptors, say), so that it does not spin.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How many connections (WebSockets and requests being read) are served at once by default.
pub const DEFAULT_MAX_CONNECTIONS: u16 = 16;
/// How long a WebSocket may carry nothing in either direction before it is closed, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The answer to a connection over the limit: written in one go, then the socket is closed.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
      Content-Length: 58\r\nRetry-After: 5\r\nConnection: close\r\n\r\n\
      ptvsd-dap relay: too many connections open at once; retry\n";

/// What `ptvsd-dap relay` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where to listen, `host:port` (port 0 picks a free port).
    pub listen: String,
    /// `HOST:PORT` of each target: one instance of the site each.
    pub targets: Vec<(String, u16)>,
    /// The WebSocket path, starting with `/`.
    pub path: String,
    /// PEM certificate chain and key: serve `wss`.
    pub tls: Option<TlsFiles>,
    /// `Origin` values whose web pages may open a WebSocket (exact, case-insensitive).
    pub allowed_origins: Vec<String>,
    pub max_connections: usize,
    pub idle_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Config {
    /// Checks and normalises the command-line values.
    pub fn new(listen: &str, targets: &[String], path: &str, tls: Option<TlsFiles>) -> Result<Config, String> {
        if targets.is_empty() {
            return Err("give at least one --target HOST:PORT".to_string());
        }
        Ok(Config {
            listen: listen.to_string(),
            targets: targets.iter().map(|target| parse_host_port(target)).collect::<Result<_, _>>()?,
            path: normalize_path(path)?,
            tls,
            allowed_origins: Vec::new(),
            max_connections: usize::from(DEFAULT_MAX_CONNECTIONS),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        })
    }
}

/// Listens, prints the ready line to stdout, and relays until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<(), String> {
    let relay = Relay::bind(config).await?;
    for line in relay.instance_lines() {
        println!("{line}");
    }
    println!("{}", relay.ready_line());
    relay.run(stop_signal()).await
}

/// A bound relay, not yet accepting.
pub struct Relay {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    max_connections: usize,
}

/// What every connection needs to know.
struct Shared {
    instances: instances::Instances,
    path: String,
    tls: Option<TlsAcceptor>,
    allowed_origins: Vec<String>,
    idle_timeout: Duration,
}

impl Relay {
    pub async fn bind(config: Config) -> Result<Relay, String> {
        let tls = match &config.tls {
            Some(files) => Some(tls::acceptor(&files.cert, &files.key)?),
            None => None,
        };
        let listener = TcpListener::bind(config.listen.as_str())
            .await
            .map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
        let local_addr =
            listener.local_addr().map_err(|error| format!("cannot read the listening address: {error}"))?;
        if tls.is_none() && !local_addr.ip().is_loopback() {
            tracing::warn!(
                "listening on {local_addr} without TLS: the ptvsd secret crosses the network in clear text \
                 (use --tls-cert and --tls-key, or a TLS front end)"
            );
        }
        let shared = Shared {
            instances: instances::Instances::new(config.targets)?,
            path: config.path,
            tls,
            allowed_origins: config.allowed_origins,
            idle_timeout: config.idle_timeout,
        };
        Ok(Relay { listener, local_addr, shared: Arc::new(shared), max_connections: config.max_connections.max(1) })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `relay listening on ws://127.0.0.1:8080/ptvsd -> 127.0.0.1:5678` (wss with TLS; the
    /// targets separated by `, ` when there are several).
    pub fn ready_line(&self) -> String {
        let scheme = if self.shared.tls.is_some() { "wss" } else { "ws" };
        let targets: Vec<String> =
            self.shared.instances.list().iter().map(|instance| host_port(&instance.host, instance.port)).collect();
        format!("relay listening on {scheme}://{}{} -> {}", self.local_addr, self.shared.path, targets.join(", "))
    }

    /// `instance 1 ARRAffinity=<value> -> 127.0.0.1:5678`, one line per target.
    pub fn instance_lines(&self) -> Vec<String> {
        let instances = self.shared.instances.list().iter().enumerate();
        instances
            .map(|(index, instance)| {
                format!(
                    "instance {} {} -> {}",
                    index + 1,
                    instance.affinity.cookie(),
                    host_port(&instance.host, instance.port)
                )
            })
            .collect()
    }

    /// Accepts and serves connections, each independently, until `stop` completes; then gives
    /// open WebSockets [`SHUTDOWN_GRACE`] to close the way a session end does.
    pub async fn run(self, stop: impl Future<Output = ()>) -> Result<(), String> {
        let (stopping, stop_receiver) = watch::channel(false);
        let mut connections = JoinSet::new();
        let mut next_id = 0u64;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) if connections.len() >= self.max_connections => {
                        tracing::warn!(%peer, limit = self.max_connections, "connection refused: too many open");
                        // One non-blocking write: a refusal never waits on the client.
                        let _ = socket.try_write(TOO_MANY_CONNECTIONS);
                    }
                    Ok((socket, peer)) => {
                        next_id += 1;
                        tracing::debug!(id = next_id, %peer, "connection accepted");
                        connections.spawn(connection::handle(socket, peer, next_id, self.shared.clone(), stop_receiver.clone()));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        tracing::info!(open = connections.len(), "relay stopping");
        drop(self.listener);
        let _ = stopping.send(true);
        let drained =
            tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::debug!(left = connections.len(), "connections still open at exit are dropped");
        }
        Ok(())
    }
}

/// Completes on SIGINT or SIGTERM (Ctrl-C only where there is no SIGTERM).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `HOST:PORT`, with `[v6]:PORT` for IPv6 literals. The port must not be 0.
fn parse_host_port(text: &str) -> Result<(String, u16), String> {
    let wrong = || format!("'{text}' is not HOST:PORT (for example 127.0.0.1:5678)");
    let (host, port) = text.rsplit_once(':').ok_or_else(wrong)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(wrong)?,
        None if host.contains(':') => return Err(wrong()),
        None => host,
    };
    let port: u16 = port.parse().map_err(|_| wrong())?;
    if host.is_empty() || port == 0 {
        return Err(wrong());
    }
    Ok((host.to_string(), port))
}

/// The inverse of [`parse_host_port`].
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `ptvsd` and `/ptvsd` are the same path; a query or spaces are not allowed.
fn normalize_path(path: &str) -> Result<String, String> {
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    if path.contains(['?', '#', ' ']) || path.chars().any(char::is_control) {
        return Err(format!("'{path}' is not a URL path (no query, fragment or spaces)"));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_host_and_port() {
        assert_eq!(parse_host_port("127.0.0.1:5678"), Ok(("127.0.0.1".to_string(), 5678)));
        assert_eq!(parse_host_port("localhost:1"), Ok(("localhost".to_string(), 1)));
        assert_eq!(parse_host_port("[::1]:5678"), Ok(("::1".to_string(), 5678)));
        for wrong in ["127.0.0.1", ":5678", "host:0", "host:99999", "::1:5678", "[::1:5678", "host:port"] {
            assert!(parse_host_port(wrong).is_err(), "{wrong}");
        }
        assert_eq!(host_port("::1", 5678), "[::1]:5678");
        assert_eq!(host_port("example.net", 80), "example.net:80");
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize_path("/ptvsd"), Ok("/ptvsd".to_string()));
        assert_eq!(normalize_path("debug/ptvsd"), Ok("/debug/ptvsd".to_string()));
        assert!(normalize_path("/ptvsd?x=1").is_err());
        assert!(normalize_path("/a b").is_err());
    }

    #[tokio::test]
    async fn port_zero_is_reported_as_the_real_port() {
        let config = Config::new("127.0.0.1:0", &["127.0.0.1:5678".to_string()], "ptvsd", None).unwrap();
        let relay = Relay::bind(config).await.unwrap();
        let port = relay.local_addr().port();
        assert_ne!(port, 0);
        assert_eq!(relay.ready_line(), format!("relay listening on ws://127.0.0.1:{port}/ptvsd -> 127.0.0.1:5678"));
    }

    #[tokio::test]
    async fn a_stopped_relay_returns() {
        let config = Config::new("127.0.0.1:0", &["127.0.0.1:5678".to_string()], "/ptvsd", None).unwrap();
        let relay = Relay::bind(config).await.unwrap();
        assert_eq!(relay.run(async {}).await, Ok(()));
    }

    #[test]
    fn the_refusal_over_the_limit_is_a_complete_response() {
        let text = std::str::from_utf8(TOO_MANY_CONNECTIONS).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())), "{text}");
    }
}
