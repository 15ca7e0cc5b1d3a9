//! The wake-up request before a WebSocket (§1.4): IIS starts the site's Python worker lazily on
//! the first HTTP request, and nothing listens for ptvsd until it runs. A `HEAD /` wakes it.
//! Failures are ignored; the answer's `ARRAffinity` cookie pins the upgrade to the same
//! instance of a scaled-out site. The secret is never part of this request. It goes through the
//! same proxy as the upgrade, so that a proxied network wakes the site too.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{http_proxy, Proxy, Scheme, Target};

const WAKE_UP_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeUp {
    pub status: u16,
    /// `ARRAffinity=<instance>`, ready for a `Cookie` header.
    pub affinity_cookie: Option<String>,
}

pub async fn wake_up(target: &Target, tls: Arc<rustls::ClientConfig>, proxy: Option<&Proxy>) -> Option<WakeUp> {
    match tokio::time::timeout(WAKE_UP_TIMEOUT, send_head(target, tls, proxy)).await {
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

async fn send_head(target: &Target, tls: Arc<rustls::ClientConfig>, proxy: Option<&Proxy>) -> Result<WakeUp, String> {
    let stream = http_proxy::open(target, proxy).await.map_err(|error| error.message)?;
    let request =
        format!("HEAD / HTTP/1.1\r\nHost: {}\r\nUser-Agent: ptvsd-dap\r\nConnection: close\r\n\r\n", target.host);
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
    let affinity_cookie = response
        .headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|header| std::str::from_utf8(header.value).ok())
        .filter_map(|value| value.split(';').next())
        .map(str::trim)
        .find(|pair| pair.starts_with("ARRAffinity="))
        .map(str::to_string);
    Ok(WakeUp { status, affinity_cookie })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_affinity() {
        let head = b"HTTP/1.1 200 OK\r\nSet-Cookie: other=1\r\nSet-Cookie: ARRAffinity=abc123;Path=/;HttpOnly;Domain=x\r\n\r\n";
        assert_eq!(
            parse_response_head(head),
            Ok(WakeUp { status: 200, affinity_cookie: Some("ARRAffinity=abc123".into()) })
        );
        assert!(parse_response_head(b"garbage\r\n\r\n").is_err());
    }
}
