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

use super::affinity::{self, Affinity, Instance, Landing};
use super::{
    http_proxy, instances, tls, wakeup, CloseReason, ConnectError, ConnectOptions, Connection, Deadline, Proxy, Scheme,
    Target,
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
    let asked = match &target.instance {
        None => None,
        Some(Instance::Affinity(affinity)) => Some((affinity.clone(), None)),
        Some(Instance::Number(number)) => {
            let found = instances::discover(target, tls_config.clone(), proxy, deadline).await?;
            Some((found.numbered(*number).map_err(ConnectError::fatal)?, Some(*number)))
        }
    };
    let pinned = asked.as_ref().map(|(affinity, _)| affinity);
    let wake_up = tokio::time::timeout_at(deadline.at, wakeup::wake_up(target, tls_config.clone(), proxy, pinned))
        .await
        .ok()
        .flatten();
    let woken = wake_up.and_then(|wake_up| wake_up.affinity);
    if let (Some(asked), Some(landed)) = (pinned, &woken) {
        if !landed.same_as(asked) {
            // Found before any connection to ptvsd: nothing to back out of.
            return Err(gone_with_the_instances_seen(target, &tls_config, proxy, deadline, asked).await);
        }
    }
    let stream = http_proxy::open(target, proxy).await?;
    let warning = super::cleartext_warning(target, stream.peer_addr().ok(), proxy.is_some());
    let mut request = target
        .websocket_url()
        .into_client_request()
        .map_err(|error| ConnectError::fatal(format!("invalid WebSocket URL {target}: {error}")))?;
    if let Some(affinity) = pinned.or(woken.as_ref()) {
        // Only a validated value gets here (64 hex digits): the header cannot be malformed.
        if let Ok(value) = HeaderValue::from_str(&affinity.cookie()) {
            request.headers_mut().insert("Cookie", value);
        }
    }
    let connector = match target.scheme {
        Scheme::Wss => Connector::Rustls(tls_config),
        _ => Connector::Plain,
    };
    let upgrade = tokio_tungstenite::client_async_tls_with_config(request, stream, None, Some(connector));
    // A server that accepts the connection and then says nothing would hold the attach forever.
    let (socket, response) = tokio::time::timeout_at(deadline.at, upgrade)
        .await
        .map_err(|_| upgrade_unanswered(target, deadline))?
        .map_err(|error| describe_upgrade_error(target, error))?;
    let answered = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(affinity::from_set_cookie);
    let instance = landing(asked, woken, answered);
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
    Ok(Connection {
        pipe: Box::new(session_side),
        close_reason,
        instance,
        warnings: warning.into_iter().collect(),
        protection,
    })
}

/// Where the upgrade landed: `asked` (with its number) is the `instance` argument, `woken` the
/// instance the wake-up reached, `answered` the one the upgrade's answer named (ARR names one
/// only when it chose it, so no name means the cookie sent was honoured).
fn landing(
    asked: Option<(Affinity, Option<u16>)>,
    woken: Option<Affinity>,
    answered: Option<Affinity>,
) -> Option<Landing> {
    match (asked, answered) {
        (Some((asked, _)), Some(landed)) if !landed.same_as(&asked) => Some(Landing::Stale { asked, landed }),
        (Some((affinity, number)), _) => Some(Landing::Pinned { affinity, number }),
        (None, answered) => answered.or(woken).map(Landing::Chosen),
    }
}

/// The pinned instance is gone: the reason, with the instances the front end routes to now.
async fn gone_with_the_instances_seen(
    target: &Target,
    tls: &std::sync::Arc<rustls::ClientConfig>,
    proxy: Option<&Proxy>,
    deadline: Deadline,
    asked: &Affinity,
) -> ConnectError {
    let seen = match instances::discover(target, tls.clone(), proxy, deadline).await {
        Ok(found) => found.listed(),
        Err(error) => error.message,
    };
    ConnectError::fatal(affinity::instance_gone(
        asked,
        "the front end routes its cookie to another instance",
        &format!("The instances seen now: {seen}"),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_landing_follows_the_front_ends_answers() {
        let (a, b) = (Affinity::random().unwrap(), Affinity::random().unwrap());
        // Pinned: confirmed by the same cookie or by silence (ARR names an instance only when it chose one).
        let pinned = Some(Landing::Pinned { affinity: a.clone(), number: Some(2) });
        assert_eq!(landing(Some((a.clone(), Some(2))), Some(a.clone()), Some(a.clone())), pinned);
        assert_eq!(landing(Some((a.clone(), Some(2))), None, None), pinned);
        assert_eq!(
            landing(Some((a.clone(), None)), None, Some(b.clone())),
            Some(Landing::Stale { asked: a.clone(), landed: b.clone() })
        );
        // Not pinned: the upgrade's answer, else the wake-up's.
        assert_eq!(landing(None, Some(a.clone()), None), Some(Landing::Chosen(a.clone())));
        assert_eq!(landing(None, Some(a), Some(b.clone())), Some(Landing::Chosen(b)));
        assert_eq!(landing(None, None, None), None);
    }
}
