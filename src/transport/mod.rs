//! Byte pipes to the debuggee: tcp, tcps, ws and wss. Nothing here parses ptvsd.

mod http_proxy;
pub mod target;
mod tcp;
mod tcps;
pub mod tls;
mod wakeup;
mod ws;

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
    pub instance: Option<String>,
    /// What the console must say about this link once attached (a weak TLS version, say).
    pub warnings: Vec<String>,
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

/// Connects to `target`; ws and wss go through `proxy` when one is given (see [`proxy_from_env`]).
pub async fn connect(
    target: &Target,
    options: &ConnectOptions,
    proxy: Option<&Proxy>,
) -> Result<Connection, ConnectError> {
    match target.scheme {
        Scheme::Tcp => Ok(Connection {
            pipe: Box::new(tcp::connect(&target.host, target.port).await?),
            close_reason: CloseReason::default(),
            instance: None,
            warnings: Vec::new(),
        }),
        Scheme::Tcps => {
            let tls = tcps::connect(&target.host, target.port, &options.tls).await?;
            Ok(Connection {
                pipe: Box::new(tls.stream),
                close_reason: CloseReason::default(),
                instance: None,
                warnings: tls.warning.into_iter().collect(),
            })
        }
        Scheme::Ws | Scheme::Wss => ws::connect(target, options, proxy).await,
    }
}
