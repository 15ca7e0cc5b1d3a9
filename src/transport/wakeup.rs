//! The wake-up request before a WebSocket (§1.4): IIS starts the site's Python worker lazily on
//! the first HTTP request, and nothing listens for ptvsd until it runs. A `HEAD /` wakes it.
//! Failures are ignored; the answer's `ARRAffinity` cookie pins the upgrade to the same
//! instance of a scaled-out site, and a pinned instance's cookie goes with the request (the
//! instance must wake, and the answer tells whether it still exists). The secret is never part
//! of this request. It goes through the same proxy as the upgrade, so that a proxied network
//! wakes the site too.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::affinity::{self, Affinity};
use super::{http_proxy, Proxy, Scheme, Target};

const WAKE_UP_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeUp {
    pub status: u16,
    /// The instance the front end routed the request to, when it said (`Set-Cookie`).
    pub affinity: Option<Affinity>,
}

/// `HEAD /`, with `cookie`'s `ARRAffinity` when given.
pub async fn wake_up(
    target: &Target,
    tls: Arc<rustls::ClientConfig>,
    proxy: Option<&Proxy>,
    cookie: Option<&Affinity>,
) -> Option<WakeUp> {
    match tokio::time::timeout(WAKE_UP_TIMEOUT, send_head(target, tls, proxy, cookie)).await {
        Ok(Ok(wake_up)) => Some(wake_up),
        Ok(Err(problem)) => {
            tracing::debug!(%problem, "wake-up request failed (ignored)");
            None
        }
        Err(_) => {
            tracing::debug!("wake-up request timed out (ignored)");
            None
        }
    }
}

async fn send_head(
    target: &Target,
    tls: Arc<rustls::ClientConfig>,
    proxy: Option<&Proxy>,
    cookie: Option<&Affinity>,
) -> Result<WakeUp, String> {
    let stream = http_proxy::open(target, proxy).await.map_err(|error| error.message)?;
    let cookie = cookie.map_or(String::new(), |affinity| format!("Cookie: {}\r\n", affinity.cookie()));
    let request = format!(
        "HEAD / HTTP/1.1\r\nHost: {}\r\nUser-Agent: ptvsd-dap\r\n{cookie}Connection: close\r\n\r\n",
        target.host
    );
    if target.scheme == Scheme::Wss {
        let name = rustls::pki_types::ServerName::try_from(target.host.clone()).map_err(|error| error.to_string())?;
        let stream =
            tokio_rustls::TlsConnector::from(tls).connect(name, stream).await.map_err(|error| error.to_string())?;
        exchange(stream, &request).await
    } else {
        exchange(stream, &request).await
    }
}

async fn exchange(mut stream: impl AsyncRead + AsyncWrite + Unpin, request: &str) -> Result<WakeUp, String> {
    stream.write_all(request.as_bytes()).await.map_err(|error| error.to_string())?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|error| error.to_string())?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() > MAX_RESPONSE_HEAD {
            break;
        }
    }
    parse_response_head(&head)
}

fn parse_response_head(head: &[u8]) -> Result<WakeUp, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(head).map_err(|error| format!("invalid HTTP answer: {error}"))?;
    let status = response.code.ok_or("incomplete HTTP answer")?;
    let affinity = response
        .headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|header| std::str::from_utf8(header.value).ok())
        .find_map(affinity::from_set_cookie);
    Ok(WakeUp { status, affinity })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_affinity() {
        let value = "ab".repeat(32);
        let head = format!(
            "HTTP/1.1 200 OK\r\nSet-Cookie: other=1\r\nSet-Cookie: ARRAffinity={value};Path=/;HttpOnly;Domain=x\r\n\r\n"
        );
        assert_eq!(parse_response_head(head.as_bytes()), Ok(WakeUp { status: 200, affinity: Affinity::parse(&value) }));
        // A value of another form never goes back into a header.
        let head = b"HTTP/1.1 200 OK\r\nSet-Cookie: ARRAffinity=abc\r\nX-Evil: 1;Path=/\r\n\r\n";
        assert_eq!(parse_response_head(head), Ok(WakeUp { status: 200, affinity: None }));
        assert!(parse_response_head(b"garbage\r\n\r\n").is_err());
    }
}
