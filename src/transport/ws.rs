//! WebSocket to the PTVS proxy (App Service) or any relay: binary messages carry raw ptvsd
//! bytes, with no relation between message and protocol boundaries (§1.4).
//!
//! The socket is bridged into an in-memory duplex pipe so the session sees a plain byte
//! stream, whatever the transport.

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_tungstenite::tungstenite::{self, Message};

use super::{tcp, BoxedPipe, ConnectError, Scheme, Target};

const BRIDGE_BUFFER: usize = 256 * 1024;
const READ_CHUNK: usize = 64 * 1024;

pub async fn connect(target: &Target) -> Result<BoxedPipe, ConnectError> {
    let stream = tcp::connect(&target.host, target.port).await?;
    let url = target.websocket_url();
    let (socket, _response) = tokio_tungstenite::client_async_tls(url.as_str(), stream)
        .await
        .map_err(|error| ConnectError(describe_upgrade_error(target, error)))?;
    let (session_side, bridge_side) = tokio::io::duplex(BRIDGE_BUFFER);
    tokio::spawn(bridge(socket, bridge_side));
    Ok(Box::new(session_side))
}

/// Moves bytes between the WebSocket and the session's pipe until either side ends. When the
/// session shuts its write half (after detaching), a Close frame is sent.
async fn bridge<S>(socket: tokio_tungstenite::WebSocketStream<S>, pipe: DuplexStream)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut ws_out, mut ws_in) = socket.split();
    let (mut pipe_in, mut pipe_out) = tokio::io::split(pipe);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            read = pipe_in.read(&mut buf) => match read {
                Ok(0) | Err(_) => {
                    let _ = ws_out.send(Message::Close(None)).await;
                    break;
                }
                Ok(n) => {
                    if ws_out.send(Message::Binary(buf[..n].to_vec().into())).await.is_err() {
                        break;
                    }
                }
            },
            message = ws_in.next() => match message {
                Some(Ok(Message::Binary(data))) => {
                    if pipe_out.write_all(&data).await.is_err() { break; }
                }
                Some(Ok(Message::Text(text))) => {
                    if pipe_out.write_all(text.as_bytes()).await.is_err() { break; }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    tracing::debug!(?frame, "WebSocket closed by the relay");
                    break;
                }
                Some(Err(error)) => {
                    tracing::debug!(%error, "WebSocket error");
                    break;
                }
                None => break,
            },
        }
    }
    let _ = pipe_out.shutdown().await;
}

fn describe_upgrade_error(target: &Target, error: tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let hint = match status {
                503 => "Web sockets may be switched off for the site (App Service: Configuration > General settings > Web sockets: On), or the site is still starting",
                404 => "the WebSocket proxy is not deployed at that path: deploy the project's web.debug.config (handler 'ptvsd') with the site",
                401 | 403 => "the server refused the WebSocket; the ptvsd secret is never sent over HTTP, so this is the site's own authentication",
                _ => "the server did not accept the WebSocket upgrade",
            };
            format!("WebSocket upgrade at {target} failed with HTTP {status}: {hint}")
        }
        tungstenite::Error::Tls(error) => format!(
            "TLS handshake with {}:{} failed: {error}",
            target.host, target.port
        ),
        other if target.scheme == Scheme::Wss => format!("WebSocket (wss) connection to {target} failed: {other}"),
        other => format!("WebSocket connection to {target} failed: {other}"),
    }
}
