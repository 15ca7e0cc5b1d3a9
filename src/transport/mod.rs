//! Byte pipes to the debuggee: tcp, ws and wss. Nothing here parses ptvsd.

pub mod target;
mod tcp;
mod ws;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

pub use target::{parse_url, Scheme, Target};

/// A connected byte stream to ptvsd. Shutting down its write half closes the link (for a
/// WebSocket: a Close frame), which the session does only after the in-protocol detach.
pub trait Pipe: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Pipe for T {}

pub type BoxedPipe = Box<dyn Pipe>;

/// How long one TCP connect may take before it is reported as timed out.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a connection could not be made, in words that name the cause and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub String);

pub async fn connect(target: &Target) -> Result<BoxedPipe, ConnectError> {
    match target.scheme {
        Scheme::Tcp => Ok(Box::new(tcp::connect(&target.host, target.port).await?)),
        Scheme::Ws | Scheme::Wss => ws::connect(target).await,
    }
}
