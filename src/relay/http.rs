//! The little HTTP the relay speaks itself: reading one request head (bounded), deciding what to
//! do with it, and the plain responses (the info page, refusals). The WebSocket handshake proper
//! is tungstenite's; this only looks at the request first so that a request that is not an
//! upgrade gets the help page and a wrong one never opens a connection to ptvsd.
//!
//! Nothing here does I/O.

use tokio_tungstenite::tungstenite::http::Uri;

use crate::transport::affinity::{self, Affinity};

/// The longest request head (request line and headers) read before answering 431.
pub const MAX_HEAD_LEN: usize = 16 * 1024;
/// The most header lines one request may carry.
pub const MAX_HEADERS: usize = 64;
/// The longest Host value shown on the info page; a longer one is replaced by a placeholder.
const MAX_SHOWN_HOST_LEN: usize = 255;

/// What the relay needs to know of one request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// The path of the request target, without the query; `None` if the target has no path
    /// (`*`, or not a URI at all).
    pub path: Option<String>,
    pub host: Option<String>,
    /// HTTP/1.1 (a WebSocket upgrade needs it).
    pub http11: bool,
    /// `Upgrade: websocket`.
    pub upgrade_websocket: bool,
    /// `Connection: upgrade` (among other tokens).
    pub connection_upgrade: bool,
    pub has_websocket_key: bool,
    pub websocket_version: Option<String>,
    /// The `Origin` header: browsers send it with every WebSocket a web page opens; editors'
    /// debug adapters send none.
    pub origin: Option<String>,
    /// The instance the `ARRAffinity` cookie names, if it is well formed.
    pub affinity: Option<Affinity>,
}

/// Why a request head could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// Longer than [`MAX_HEAD_LEN`], or more than [`MAX_HEADERS`] headers.
    TooLarge,
    Malformed,
}

/// What to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Not a WebSocket upgrade: the help page (headers only for HEAD).
    InfoPage {
        head_only: bool,
    },
    /// A valid upgrade on the relay's path: connect to ptvsd, then complete the handshake.
    Upgrade,
    Refuse(Refusal),
}

/// A plain-text refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

/// Parses the head at the start of `buf`: `Ok(None)` while it is incomplete and still within
/// [`MAX_HEAD_LEN`]. Bytes after the head (there should be none before the 101) are left alone.
pub fn parse_head(buf: &[u8]) -> Result<Option<RequestHead>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD_LEN => {}
        Ok(httparse::Status::Complete(_)) => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD_LEN => return Ok(None),
        Ok(httparse::Status::Partial) | Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(_) => return Err(HeadError::Malformed),
    }
    let method = request.method.unwrap_or_default().to_string();
    let path = request.path.and_then(|target| target.parse::<Uri>().ok()).and_then(|uri| {
        let path = uri.path();
        path.starts_with('/').then(|| path.to_string())
    });
    let mut head = RequestHead {
        method,
        path,
        host: None,
        http11: request.version == Some(1),
        upgrade_websocket: false,
        connection_upgrade: false,
        has_websocket_key: false,
        websocket_version: None,
        origin: None,
        affinity: None,
    };
    for header in request.headers.iter() {
        let value = String::from_utf8_lossy(header.value).trim().to_string();
        let name = header.name;
        if name.eq_ignore_ascii_case("host") {
            head.host = Some(value);
        } else if name.eq_ignore_ascii_case("upgrade") {
            head.upgrade_websocket |= has_token(&value, "websocket");
        } else if name.eq_ignore_ascii_case("connection") {
            head.connection_upgrade |= has_token(&value, "upgrade");
        } else if name.eq_ignore_ascii_case("sec-websocket-key") {
            head.has_websocket_key = !value.is_empty();
        } else if name.eq_ignore_ascii_case("sec-websocket-version") {
            head.websocket_version = Some(value);
        } else if name.eq_ignore_ascii_case("origin") {
            head.origin = Some(value);
        } else if name.eq_ignore_ascii_case("cookie") {
            head.affinity = head.affinity.or_else(|| affinity::from_cookie_header(&value));
        }
    }
    Ok(Some(head))
}

/// Decides what a request gets, for a relay serving WebSockets at `relay_path`. Every check is
/// made before ptvsd is connected: a connection to ptvsd that closes without a handshake can
/// hold up its one-at-a-time attach server (docs/protocol.md §1.2).
///
/// An upgrade that carries an `Origin` comes from a web page (browsers let any page open a
/// WebSocket to localhost): it is refused unless `allowed_origins` names that origin exactly.
pub fn decide(head: &RequestHead, relay_path: &str, allowed_origins: &[String]) -> Action {
    if !head.upgrade_websocket {
        return Action::InfoPage { head_only: head.method == "HEAD" };
    }
    let refuse = |status: u16, message: String| Action::Refuse(Refusal { status, message });
    match &head.path {
        None => return refuse(400, "the request target is not a path".into()),
        Some(path) if path != relay_path => {
            return refuse(404, format!("no WebSocket endpoint here: this relay's path is {relay_path}"))
        }
        Some(_) => {}
    }
    if head.method != "GET" || !head.http11 {
        return refuse(400, "a WebSocket upgrade must be an HTTP/1.1 GET".into());
    }
    if !head.connection_upgrade || !head.has_websocket_key {
        return refuse(
            400,
            "incomplete WebSocket upgrade (Connection: Upgrade and Sec-WebSocket-Key are required)".into(),
        );
    }
    if head.websocket_version.as_deref() != Some("13") {
        return refuse(426, "unsupported WebSocket version: this relay speaks version 13".into());
    }
    if let Some(origin) = &head.origin {
        if !allowed_origins.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin)) {
            return refuse(
                403,
                format!(
                    "WebSocket upgrades from web pages are refused (this one came from the page origin {}): \
                     debuggers send no Origin header. To let that page in, start the relay with --allow-origin \
                     ORIGIN",
                    shown_origin(origin)
                ),
            );
        }
    }
    Action::Upgrade
}

/// The help page for a request that is not an upgrade, as the App Service proxy shows one: it
/// names the URL form to attach with. The relay knows no secret, so it shows a placeholder.
/// `set_cookie` is the `Set-Cookie` value of the instance that served it.
pub fn info_page(head_only: bool, host: Option<&str>, relay_path: &str, tls: bool, set_cookie: &str) -> Vec<u8> {
    let scheme = if tls { "wss" } else { "ws" };
    let url = format!("{scheme}://&lt;secret&gt;@{}{}", shown_host(host), html_escape(relay_path));
    let body = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>ptvsd-dap relay</title></head>\n<body>\n\
         <h1>ptvsd remote debugging relay</h1>\n\
         <p>This address relays WebSockets to a Python program that runs the ptvsd debug server \
         (<code>ptvsd.enable_attach(secret)</code>), the way the Azure App Service debugging proxy does.</p>\n\
         <p>Attach a debugger with the URL</p>\n<pre>{url}</pre>\n\
         <p>where <code>&lt;secret&gt;</code> is the secret the program passed to ptvsd. \
         The secret never travels in HTTP: it goes only inside the debug protocol.</p>\n\
         <p>In an editor using ptvsd-dap: <code>{{\"url\": \"{url}\"}}</code>. \
         Behind a TLS front end (as on App Service) the scheme is <code>wss</code>.</p>\n\
         </body>\n</html>\n"
    );
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nSet-Cookie: {set_cookie}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        response.extend_from_slice(body.as_bytes());
    }
    response
}

/// A complete plain-text response that closes the connection.
pub fn plain_response(status: u16, message: &str) -> Vec<u8> {
    let body = format!("ptvsd-dap relay: {message}\n");
    let extra = if status == 426 { "Sec-WebSocket-Version: 13\r\n" } else { "" };
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{extra}\
         Connection: close\r\n\r\n{body}",
        reason_phrase(status),
        body.len()
    )
    .into_bytes()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// True if the comma-separated header `value` holds `token` (case-insensitive).
fn has_token(value: &str, token: &str) -> bool {
    value.split(',').any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// The Host header as shown on the page: only host-name characters, else a placeholder, so that
/// nothing from the request can inject markup.
fn shown_host(host: Option<&str>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-:[]_".contains(c);
    match host {
        Some(host) if !host.is_empty() && host.len() <= MAX_SHOWN_HOST_LEN && host.chars().all(allowed) => {
            host.to_string()
        }
        _ => "host".to_string(),
    }
}

/// An `Origin` as quoted in a refusal: only the characters an origin holds, bounded.
fn shown_origin(origin: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-:/[]_".contains(c);
    if origin.len() <= MAX_SHOWN_HOST_LEN && origin.chars().all(allowed) {
        origin.to_string()
    } else {
        "(not shown: unusual characters)".to_string()
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &str = "GET /ptvsd HTTP/1.1\r\nHost: example.net:8080\r\nUpgrade: websocket\r\n\
                           Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                           Sec-WebSocket-Version: 13\r\n\r\n";

    fn head(text: &str) -> RequestHead {
        parse_head(text.as_bytes()).unwrap().unwrap()
    }

    fn refusal_status(action: Action) -> u16 {
        match action {
            Action::Refuse(refusal) => refusal.status,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_full_upgrade_is_accepted_on_the_relay_path_only() {
        let h = head(UPGRADE);
        assert!(h.upgrade_websocket && h.connection_upgrade && h.has_websocket_key && h.http11);
        assert_eq!(h.path.as_deref(), Some("/ptvsd"));
        assert_eq!(h.host.as_deref(), Some("example.net:8080"));
        assert_eq!(h.affinity, None);
        let value = "0f".repeat(32);
        let pinned = head(
            &UPGRADE.replace("Upgrade: websocket", &format!("Cookie: a=1; ARRAffinity={value}\r\nUpgrade: websocket")),
        );
        assert_eq!(pinned.affinity, Affinity::parse(&value));
        assert_eq!(decide(&h, "/ptvsd", &[]), Action::Upgrade);
        assert_eq!(refusal_status(decide(&h, "/other", &[])), 404);
    }

    #[test]
    fn the_query_and_an_absolute_target_do_not_change_the_path() {
        let h = head(&UPGRADE.replace("GET /ptvsd ", "GET /ptvsd?debug=viewlog "));
        assert_eq!(decide(&h, "/ptvsd", &[]), Action::Upgrade);
        let h = head(&UPGRADE.replace("GET /ptvsd ", "GET http://example.net/ptvsd "));
        assert_eq!(decide(&h, "/ptvsd", &[]), Action::Upgrade);
        let h = head(&UPGRADE.replace("GET /ptvsd ", "GET * "));
        assert_eq!(refusal_status(decide(&h, "/ptvsd", &[])), 400);
    }

    #[test]
    fn a_request_that_is_not_an_upgrade_gets_the_info_page() {
        let h = head("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(decide(&h, "/ptvsd", &[]), Action::InfoPage { head_only: false });
        let h = head("HEAD /ptvsd HTTP/1.0\r\n\r\n");
        assert_eq!(decide(&h, "/ptvsd", &[]), Action::InfoPage { head_only: true });
        let h = head("GET /ptvsd HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
        assert_eq!(decide(&h, "/ptvsd", &[]), Action::InfoPage { head_only: false });
    }

    #[test]
    fn broken_upgrades_are_refused_before_anything_is_connected() {
        let no_key = UPGRADE.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
        assert_eq!(refusal_status(decide(&head(&no_key), "/ptvsd", &[])), 400);
        let no_connection = UPGRADE.replace("Connection: keep-alive, Upgrade\r\n", "");
        assert_eq!(refusal_status(decide(&head(&no_connection), "/ptvsd", &[])), 400);
        let post = UPGRADE.replace("GET ", "POST ");
        assert_eq!(refusal_status(decide(&head(&post), "/ptvsd", &[])), 400);
        let http10 = UPGRADE.replace("HTTP/1.1", "HTTP/1.0");
        assert_eq!(refusal_status(decide(&head(&http10), "/ptvsd", &[])), 400);
        let version8 = UPGRADE.replace("Version: 13", "Version: 8");
        assert_eq!(refusal_status(decide(&head(&version8), "/ptvsd", &[])), 426);
    }

    #[test]
    fn upgrades_from_web_pages_are_refused_unless_allowed() {
        let from_page =
            head(&UPGRADE.replace("Sec-WebSocket-Version", "Origin: http://evil.example\r\nSec-WebSocket-Version"));
        assert_eq!(from_page.origin.as_deref(), Some("http://evil.example"));
        match decide(&from_page, "/ptvsd", &[]) {
            Action::Refuse(refusal) => {
                assert_eq!(refusal.status, 403);
                assert!(refusal.message.contains("http://evil.example") && refusal.message.contains("--allow-origin"));
            }
            other => panic!("{other:?}"),
        }
        let allowed = ["HTTP://Evil.example".to_string()];
        assert_eq!(decide(&from_page, "/ptvsd", &allowed), Action::Upgrade);
        assert_eq!(refusal_status(decide(&from_page, "/ptvsd", &["http://other.example".to_string()])), 403);
        let null_origin = head(&UPGRADE.replace("Sec-WebSocket-Version", "Origin: null\r\nSec-WebSocket-Version"));
        assert_eq!(refusal_status(decide(&null_origin, "/ptvsd", &[])), 403);
        assert_eq!(shown_origin("http://x\u{1b}[31m"), "(not shown: unusual characters)");
    }

    #[test]
    fn heads_are_bounded() {
        assert_eq!(parse_head(&UPGRADE.as_bytes()[..40]), Ok(None));
        let mut long = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
        long.resize(MAX_HEAD_LEN, b'a');
        assert_eq!(parse_head(&long), Err(HeadError::TooLarge));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(parse_head(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()), Err(HeadError::TooLarge));
        assert_eq!(parse_head(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), Err(HeadError::Malformed));
    }

    #[test]
    fn bytes_after_the_head_are_ignored() {
        let mut bytes = UPGRADE.as_bytes().to_vec();
        bytes.extend_from_slice(&[0x82, 0x85, 1, 2, 3, 4]);
        assert_eq!(decide(&parse_head(&bytes).unwrap().unwrap(), "/ptvsd", &[]), Action::Upgrade);
    }

    #[test]
    fn the_info_page_names_the_url_form_and_escapes_the_host() {
        let page =
            String::from_utf8(info_page(false, Some("site.example:8080"), "/ptvsd", false, "ARRAffinity=x;Path=/"))
                .unwrap();
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("ws://&lt;secret&gt;@site.example:8080/ptvsd"), "{page}");
        assert!(page.contains("\r\nSet-Cookie: ARRAffinity=x;Path=/\r\n"), "{page}");
        let (headers, body) = page.split_once("\r\n\r\n").unwrap();
        assert!(headers.contains(&format!("Content-Length: {}\r\n", body.len())), "{headers}");
        let page = String::from_utf8(info_page(false, Some("<script>"), "/p<x>", true, "c")).unwrap();
        assert!(page.contains("wss://&lt;secret&gt;@host/p&lt;x&gt;"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
        let head_only = String::from_utf8(info_page(true, None, "/ptvsd", false, "c")).unwrap();
        assert!(head_only.ends_with("\r\n\r\n") && head_only.contains("Content-Length: "), "{head_only}");
    }

    #[test]
    fn plain_responses_are_complete() {
        let text = String::from_utf8(plain_response(502, "cannot connect")).unwrap();
        assert!(text.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{text}");
        let (headers, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "ptvsd-dap relay: cannot connect\n");
        assert!(headers.contains(&format!("Content-Length: {}", body.len())), "{headers}");
        assert!(String::from_utf8(plain_response(426, "x")).unwrap().contains("Sec-WebSocket-Version: 13\r\n"));
    }
}
