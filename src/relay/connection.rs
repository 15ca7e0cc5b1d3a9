//! One accepted connection: TLS if configured, the request head, then the info page, a refusal,
//! or a WebSocket relayed to a fresh TCP connection to the target.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{lookup_host, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::http::{self, Action, HeadError};
use super::instances::Instance;
use super::pump;
use super::stream::Replayed;
use super::Shared;

/// How long a client may take for the TLS handshake, the request head, or reading a response.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long connecting to the target may take.
const TARGET_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest WebSocket message accepted from a client (ptvsd commands are small).
const MAX_CLIENT_MESSAGE: usize = 16 * 1024 * 1024;
/// After a plain response: how long, and how much, the client's further input is read and
/// dropped before the connection is closed.
const LINGER_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_DRAINED_AFTER_RESPONSE: usize = 256 * 1024;

/// Serves one accepted connection to its end. Errors are logged, never returned.
pub(super) async fn handle(
    socket: TcpStream,
    peer: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
) {
    let _ = socket.set_nodelay(true);
    let Some(acceptor) = shared.tls.clone() else {
        return serve_stream(socket, peer, id, &shared, stop).await;
    };
    match tokio::time::timeout(CLIENT_TIMEOUT, acceptor.accept(socket)).await {
        Ok(Ok(stream)) => serve_stream(stream, peer, id, &shared, stop).await,
        Ok(Err(error)) => tracing::debug!(id, %peer, %error, "TLS handshake failed"),
        Err(_) => tracing::debug!(id, %peer, "TLS handshake timed out"),
    }
}

async fn serve_stream<S>(mut stream: S, peer: SocketAddr, id: u64, shared: &Shared, stop: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (already_read, head) = match tokio::time::timeout(CLIENT_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(read)) => read,
        Ok(Err(ReadError::Head(HeadError::TooLarge))) => {
            return respond(stream, http::plain_response(431, "request head too large")).await
        }
        Ok(Err(ReadError::Head(HeadError::Malformed))) => {
            return respond(stream, http::plain_response(400, "malformed HTTP request")).await
        }
        Ok(Err(ReadError::Io(error))) => return tracing::debug!(id, %peer, %error, "reading the request failed"),
        Ok(Err(ReadError::Closed)) => return tracing::debug!(id, %peer, "connection closed before a request"),
        Err(_) => return tracing::debug!(id, %peer, "no complete request in time"),
    };
    match http::decide(&head, &shared.path, &shared.allowed_origins) {
        Action::InfoPage { head_only } => {
            // The site's own pages, served by the instance the cookie names (or a new one).
            let instance = shared.instances.route(head.affinity.as_ref());
            tracing::debug!(id, %peer, method = %head.method, instance = instance.affinity.short(), "not an upgrade: info page");
            let page = http::info_page(
                head_only,
                head.host.as_deref(),
                &shared.path,
                shared.tls.is_some(),
                &instance.set_cookie(),
            );
            respond(stream, page).await;
        }
        Action::Refuse(refusal) => {
            tracing::debug!(id, %peer, status = refusal.status, "upgrade refused: {}", refusal.message);
            respond(stream, http::plain_response(refusal.status, &refusal.message)).await;
        }
        Action::Upgrade => {
            let instance = shared.instances.route(head.affinity.as_ref());
            upgrade(Replayed::new(already_read, stream), peer, id, shared, instance, stop).await
        }
    }
}

/// Connects to the target, completes the handshake, relays. A target that cannot be reached is
/// answered with 502 (the App Service proxy would fail the socket instead; a status says more).
async fn upgrade<S>(
    stream: Replayed<S>,
    peer: SocketAddr,
    id: u64,
    shared: &Shared,
    instance: &Instance,
    stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let target = match connect_target(&instance.host, instance.port).await {
        Ok(target) => target,
        Err(message) => {
            tracing::info!(id, %peer, "WebSocket refused: {message}");
            return respond(stream, http::plain_response(502, &message)).await;
        }
    };
    let path = shared.path.clone();
    let set_cookie = HeaderValue::from_str(&instance.set_cookie()).ok();
    #[expect(clippy::result_large_err, reason = "the signature of tungstenite's handshake callback")]
    let check_path = move |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        // Already checked on our own reading of the head; tungstenite's reading must agree.
        if request.uri().path() == path {
            if let Some(value) = set_cookie {
                response.headers_mut().append("Set-Cookie", value);
            }
            Ok(response)
        } else {
            let mut refusal = ErrorResponse::new(Some("ptvsd-dap relay: no WebSocket endpoint here\n".into()));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            Err(refusal)
        }
    };
    let config =
        WebSocketConfig::default().max_message_size(Some(MAX_CLIENT_MESSAGE)).max_frame_size(Some(MAX_CLIENT_MESSAGE));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, check_path, Some(config));
    let socket = match tokio::time::timeout(CLIENT_TIMEOUT, handshake).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(error)) => return tracing::debug!(id, %peer, %error, "WebSocket handshake failed"),
        Err(_) => return tracing::debug!(id, %peer, "WebSocket handshake timed out"),
    };
    let target_address = target.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(
        id, %peer, local = %target_address, instance = instance.affinity.short(),
        "WebSocket open, relaying to {}:{}", instance.host, instance.port
    );
    let totals = pump::relay(socket, target, stop, shared.idle_timeout).await;
    tracing::info!(id, %peer, end = ?totals.end, "WebSocket closed");
    tracing::debug!(id, to_target = totals.bytes_to_target, to_client = totals.bytes_to_client, "bytes relayed");
}

/// A TCP connection to the target, IPv4 addresses first (ptvsd binds an IPv4 socket, §1.1),
/// with `TCP_NODELAY` (§1.2). The error is the plain message for the 502.
async fn connect_target(host: &str, port: u16) -> Result<TcpStream, String> {
    let mut addresses: Vec<SocketAddr> = lookup_host((host, port))
        .await
        .map_err(|error| format!("cannot resolve the target host {host}: {error}"))?
        .collect();
    addresses.sort_by_key(|address| !address.is_ipv4());
    let mut last = format!("the target host {host} resolved to no address");
    for address in addresses {
        match tokio::time::timeout(TARGET_CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = format!(
                    "cannot connect to the debuggee at {host}:{port}: connection refused. \
                     Is the program running with ptvsd.enable_attach() on that port?"
                )
            }
            Ok(Err(error)) => last = format!("cannot connect to the debuggee at {host}:{port}: {error}"),
            Err(_) => last = format!("connecting to the debuggee at {host}:{port} timed out"),
        }
    }
    Err(last)
}

enum ReadError {
    Head(HeadError),
    Io(std::io::Error),
    Closed,
}

/// Reads until a complete request head, at most [`http::MAX_HEAD_LEN`] bytes. Returns all bytes
/// read (the head and anything after it) with the parsed head.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(Vec<u8>, http::RequestHead), ReadError> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(head) = http::parse_head(&buffer).map_err(ReadError::Head)? {
            return Ok((buffer, head));
        }
        let room = (http::MAX_HEAD_LEN - buffer.len()).min(chunk.len());
        match stream.read(&mut chunk[..room]).await {
            Ok(0) => return Err(ReadError::Closed),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error) => return Err(ReadError::Io(error)),
        }
    }
}

/// Writes a whole response and ends the connection. Closing a socket with unread input resets
/// it, which can destroy the response in flight: what the client still sends (the rest of an
/// oversized head, say) is read and dropped first, within bounds.
async fn respond<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, response: Vec<u8>) {
    let written = async {
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    match tokio::time::timeout(CLIENT_TIMEOUT, written).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return tracing::debug!(%error, "writing the response failed"),
        Err(_) => return tracing::debug!("writing the response timed out"),
    }
    let drain = async {
        let mut discarded = [0u8; 4096];
        let mut total = 0usize;
        while total < MAX_DRAINED_AFTER_RESPONSE {
            match stream.read(&mut discarded).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIMEOUT, drain).await;
}
