//! Plain TCP to ptvsd (or to a WebSocket proxy, underneath ws/wss).

use std::net::SocketAddr;

use tokio::net::{lookup_host, TcpStream};

use super::quickack::QuickAckStream;
use super::{ConnectError, CONNECT_TIMEOUT};

const PTVSD_HINT: &str = "Is the program running with ptvsd.enable_attach() on that port (default 5678)? If it was \
     listening before, a previous connection cut during its handshake can stop ptvsd 3.1/3.2 listening for good: \
     restart the remote program.";

/// Connects, preferring IPv4 (ptvsd binds an IPv4 socket, §1.1), with `TCP_NODELAY` set so our
/// small commands are not held back by Nagle, and quick ACKs so that ptvsd's are not (§1.2).
pub async fn connect(host: &str, port: u16) -> Result<QuickAckStream, ConnectError> {
    connect_to(host, port, Listener::Ptvsd).await.map(QuickAckStream::new)
}

/// [`connect`] to something other than ptvsd (a web server, a proxy): `refused_hint` says what
/// should listen there. A refusal is final: a web server or proxy that is starting does not
/// refuse connections (a sleeping App Service site never does), so waiting would not help.
pub async fn connect_with_hint(host: &str, port: u16, refused_hint: &str) -> Result<TcpStream, ConnectError> {
    connect_to(host, port, Listener::Other(refused_hint)).await
}

/// Who should be listening at the address, for the message when nobody is.
#[derive(Clone, Copy)]
enum Listener<'a> {
    Ptvsd,
    /// A web server or proxy, with the hint that says what should listen.
    Other(&'a str),
}

async fn connect_to(host: &str, port: u16, listener: Listener<'_>) -> Result<TcpStream, ConnectError> {
    let mut addresses: Vec<SocketAddr> = lookup_host((host, port))
        .await
        .map_err(|error| ConnectError::fatal(format!("cannot resolve host '{host}': {error}; check the host name")))?
        .collect();
    addresses.sort_by_key(|address| !address.is_ipv4());
    let mut last_error = None;
    for address in addresses {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!(%error, "could not set TCP_NODELAY");
                }
                return Ok(stream);
            }
            Ok(Err(error)) => last_error = Some(describe(host, port, &error, listener)),
            Err(_) => {
                last_error = Some(ConnectError::transient(format!(
                    "connecting to {host}:{port} timed out after {} s: a firewall may drop the packets, or the host is down",
                    CONNECT_TIMEOUT.as_secs()
                )))
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ConnectError::fatal(format!("host '{host}' resolved to no address"))))
}

/// A refused connection to ptvsd is worth retrying (the program may be starting); one to a web
/// server or proxy is not.
fn describe(host: &str, port: u16, error: &std::io::Error, listener: Listener<'_>) -> ConnectError {
    match (error.kind(), listener) {
        (std::io::ErrorKind::ConnectionRefused, Listener::Ptvsd) => {
            ConnectError::transient(format!("connection to {host}:{port} refused: nothing listens there. {PTVSD_HINT}"))
        }
        (std::io::ErrorKind::ConnectionRefused, Listener::Other(hint)) => {
            ConnectError::fatal(format!("connection to {host}:{port} refused: nothing listens there. {hint}"))
        }
        (_, _) => ConnectError::transient(format!("cannot connect to {host}:{port}: {error}")),
    }
}
