//! WebSocket to the PTVS proxy (App Service) or any relay: binary messages carry raw ptvsd
//! bytes, with no relation between message and protocol boundaries (§1.4).
//!
//! The socket is bridged into an in-memory duplex pipe so the session sees a plain byte
//! stream, whatever the transport. The bridge pings the relay so that an idle session is not
//! dropped by Azure's front end, and notices a link that went silent.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::Connector;

use super::{
    http_proxy, tls, wakeup, CloseReason, ConnectError, ConnectOptions, Connection, Deadline, Proxy, Scheme, Target,
};

const BRIDGE_BUFFER: usize = 256 * 1024;
const READ_CHUNK: usize = 64 * 1024;

pub async fn connect(
    target: &Target,
    options: &ConnectOptions,
    proxy: Option<&Proxy>,
    deadline: Deadline,
) -> Result<Connection, ConnectError> {
    let tls_config = tls::client_config(&options.tls)?;
    let wake_up =
        tokio::time::timeout_at(deadline.at, wakeup::wake_up(target, tls_config.clone(), proxy)).await.ok().flatten();
    let stream = http_proxy::open(target, proxy).await?;
    let warning = super::cleartext_warning(target, stream.peer_addr().ok(), proxy.is_some());
    let mut request = target
        .websocket_url()
        .into_client_request()
        .map_err(|error| ConnectError::fatal(format!("invalid WebSocket URL {target}: {error}")))?;
    let cookie = wake_up.as_ref().and_then(|w| w.affinity_cookie.clone());
    if let Some(value) = cookie.as_deref().and_then(|c| HeaderValue::from_str(c).ok()) {
        request.headers_mut().insert("Cookie", value);
    }
    let connector = match target.scheme {
        Scheme::Wss => Connector::Rustls(tls_config),
        _ => Connector::Plain,
    };
    let upgrade = tokio_tungstenite::client_async_tls_with_config(request, stream, None, Some(connector));
    // A server that accepts the connection and then says nothing would hold the attach forever.
    let (socket, _response) = tokio::time::timeout_at(deadline.at, upgrade)
        .await
        .map_err(|_| upgrade_unanswered(target, deadline))?
        .map_err(|error| describe_upgrade_error(target, error))?;
    let protection = match socket.get_ref() {
        tokio_tungstenite::MaybeTlsStream::Rustls(tls) => tls.get_ref().1.protocol_version().map(|version| {
            let cipher =
                tls.get_ref().1.negotiated_cipher_suite().map(|suite| format!(" (cipher {:?})", suite.suite()));
            format!("{}{}", plain_tls_version(version), cipher.unwrap_or_default())
        }),
        _ => None,
    };
    let (session_side, bridge_side) = tokio::io::duplex(BRIDGE_BUFFER);
    let close_reason = CloseReason::default();
    tokio::spawn(bridge(socket, bridge_side, options.keepalive, close_reason.clone()));
    let instance = cookie.map(|c| c.trim_start_matches("ARRAffinity=").chars().take(12).collect());
    Ok(Connection {
        pipe: Box::new(session_side),
        close_reason,
        instance,
        warnings: warning.into_iter().collect(),
        protection,
    })
}

/// rustls names versions `TLSv1_3`: "TLS 1.3".
fn plain_tls_version(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
        other => format!("{other:?}"),
    }
}

fn upgrade_unanswered(target: &Target, deadline: Deadline) -> ConnectError {
    let tls = if target.scheme == Scheme::Wss { "the TLS handshake or " } else { "" };
    ConnectError::fatal(format!(
        "{target} accepted the connection but did not complete {tls}the WebSocket upgrade within 'connectTimeout' \
         ({} s): the port may belong to something that is not a web server or WebSocket relay, or the server hangs. \
         Check the URL's host and port",
        deadline.connect_timeout.as_secs()
    ))
}

/// Moves bytes between the WebSocket and the session's pipe until either side ends. When the
/// session shuts its write half (after detaching), a Close frame is sent.
async fn bridge<S>(
    socket: tokio_tungstenite::WebSocketStream<S>,
    pipe: DuplexStream,
    keepalive: Duration,
    close_reason: CloseReason,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut ws_out, mut ws_in) = socket.split();
    let (mut pipe_in, mut pipe_out) = tokio::io::split(pipe);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut ping = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
    let mut last_heard = Instant::now();
    let set_reason = |reason: String| {
        if let Ok(mut slot) = close_reason.lock() {
            slot.get_or_insert(reason);
        }
    };
    loop {
        tokio::select! {
            read = pipe_in.read(&mut buf) => match read {
                Ok(0) | Err(_) => {
                    let _ = ws_out.send(Message::Close(None)).await;
                    break;
                }
                Ok(n) => {
                    if let Err(error) = ws_out.send(Message::Binary(buf[..n].to_vec().into())).await {
                        set_reason(format!("sending on the WebSocket failed: {error}"));
                        break;
                    }
                }
            },
            message = ws_in.next() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Binary(data))) => {
                        if pipe_out.write_all(&data).await.is_err() { break; }
                    }
                    Some(Ok(Message::Text(text))) => {
                        if pipe_out.write_all(text.as_bytes()).await.is_err() { break; }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(frame))) => {
                        set_reason(format!("the relay closed the WebSocket ({})", frame.map_or("no reason given".to_string(), |f| format!("{} {}", f.code, f.reason))));
                        break;
                    }
                    Some(Err(error)) => {
                        set_reason(format!("the WebSocket failed: {error}"));
                        break;
                    }
                    None => {
                        set_reason("the WebSocket connection closed".to_string());
                        break;
                    }
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > keepalive * 2 {
                    set_reason(format!(
                        "the WebSocket link went silent: no answer to pings for {} s (the network dropped, or the relay stopped)",
                        last_heard.elapsed().as_secs()
                    ));
                    break;
                }
                if ws_out.send(Message::Ping(Vec::new().into())).await.is_err() {
                    set_reason("the WebSocket link broke while pinging".to_string());
                    break;
                }
            }
        }
    }
    let _ = pipe_out.shutdown().await;
}

fn describe_upgrade_error(target: &Target, error: tungstenite::Error) -> ConnectError {
    match error {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let message = match status {
                503 => format!(
                    "WebSocket upgrade at {target} failed with HTTP 503: either Web sockets are switched off for the \
                     site (Azure portal: the App Service > Configuration > General settings > Web sockets: On), or \
                     the site is still starting"
                ),
                404 => format!(
                    "WebSocket upgrade at {target} failed with HTTP 404: the ptvsd WebSocket proxy is not deployed at \
                     {}: publish the project's web.debug.config (it registers the 'ptvsd' handler) with the site",
                    target.path
                ),
                200 => format!(
                    "{target} answered with a web page instead of a WebSocket: the proxy handler is missing (deploy \
                     web.debug.config) or Web sockets are off for the site"
                ),
                401 | 403 => format!(
                    "WebSocket upgrade at {target} was refused with HTTP {status}: the site's own authentication \
                     (for example App Service Authentication) blocks it; the ptvsd secret is never sent over HTTP"
                ),
                _ => format!("WebSocket upgrade at {target} failed with HTTP {status}"),
            };
            // 503 (starting), 502/504 (front end waiting for the worker) can pass.
            if matches!(status, 502..=504) {
                ConnectError::transient(message)
            } else {
                ConnectError::fatal(message)
            }
        }
        tungstenite::Error::Tls(error) => {
            ConnectError::fatal(tls::describe_tls_error(&target.host, target.port, &error))
        }
        tungstenite::Error::Io(error) => {
            let text = error.to_string();
            if text.contains("certificate") || text.contains("InvalidCertificate") {
                ConnectError::fatal(tls::describe_tls_error(&target.host, target.port, &error))
            } else {
                ConnectError::transient(format!("WebSocket connection to {target} failed: {error}"))
            }
        }
        other => ConnectError::fatal(format!("WebSocket connection to {target} failed: {other}")),
    }
}
