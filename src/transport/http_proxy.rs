//! HTTP CONNECT proxies for ws and wss (corporate networks). The proxy comes from the environment
//! as curl reads it: `http_proxy` for ws, `https_proxy` for wss, then `all_proxy` (lower case
//! first, then upper case), unless `no_proxy` exempts the host. tcp and tcps are never proxied:
//! they are raw TCP to ptvsd. The proxy's user and password are held as a [`Secret`] and never
//! printed; the ptvsd secret never reaches the proxy (it travels inside the tunnel).

use std::fmt;
use std::net::IpAddr;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::{tcp, ConnectError, Scheme, Target, CONNECT_TIMEOUT};
use crate::config::Secret;

/// A CONNECT answer's head is a status line and a few headers: more is not a proxy.
const MAX_ANSWER_HEAD: usize = 8 * 1024;
const MAX_SHOWN_REASON: usize = 80;

/// An HTTP proxy to tunnel through. `Display` shows `http://host:port`, never the user-info.
#[derive(Debug, Clone)]
pub struct Proxy {
    host: String,
    port: u16,
    /// The whole `Proxy-Authorization` value (`Basic ...`), when the proxy URL has user-info.
    authorization: Option<Secret>,
    /// The environment variable that named the proxy, for messages.
    pub variable: &'static str,
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}:{}", bracket_ipv6(&self.host), self.port)
    }
}

/// The proxy for `target` from the process environment, if any.
pub fn from_env(target: &Target) -> Result<Option<Proxy>, ConnectError> {
    for_target(target, |name| std::env::var(name).ok())
}

/// [`from_env`] with the environment lookup given.
fn for_target(target: &Target, env: impl Fn(&str) -> Option<String>) -> Result<Option<Proxy>, ConnectError> {
    let variables: &[&'static str] = match target.scheme {
        Scheme::Tcp | Scheme::Tcps => return Ok(None),
        Scheme::Ws => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
        Scheme::Wss => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
    };
    let lookup = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let Some((variable, value)) = variables.iter().find_map(|name| lookup(name).map(|value| (*name, value))) else {
        return Ok(None);
    };
    if let Some(list) = lookup("no_proxy").or_else(|| lookup("NO_PROXY")) {
        if bypasses(&target.host, &list) {
            tracing::debug!(host = %target.host, "NO_PROXY exempts the host from the proxy");
            return Ok(None);
        }
    }
    parse_proxy(variable, value.trim()).map(Some)
}

/// `[http://][user[:password]@]host[:port]`; the error never repeats the value (it may hold a password).
fn parse_proxy(variable: &'static str, value: &str) -> Result<Proxy, ConnectError> {
    const FORM: &str = "expected http://[user:password@]host:port";
    let with_scheme = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    let url = Url::parse(&with_scheme)
        .map_err(|error| ConnectError::fatal(format!("{variable} is not a valid proxy URL ({error}); {FORM}")))?;
    if url.scheme() != "http" {
        return Err(ConnectError::fatal(format!(
            "{variable} names a {}:// proxy; ptvsd-dap speaks to HTTP proxies only (CONNECT over plain HTTP), {FORM}",
            url.scheme()
        )));
    }
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| ConnectError::fatal(format!("{variable} names no proxy host; {FORM}")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    let authorization = (!url.username().is_empty() || url.password().is_some()).then(|| {
        let credentials = format!("{}:{}", decode(url.username()), decode(url.password().unwrap_or("")));
        Secret::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
    });
    Ok(Proxy { host, port: url.port_or_known_default().unwrap_or(80), authorization, variable })
}

/// Whether a `no_proxy` list exempts `host`: `*`; a domain, matching itself and its subdomains
/// (a leading `.` or `*.` changes nothing); an IP address, exactly; or a CIDR block.
fn bypasses(host: &str, list: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    let host_ip = host.parse::<IpAddr>().ok();
    list.split(|c: char| c == ',' || c.is_whitespace())
        .map(|entry| entry.trim().trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some((network, bits)) = entry.split_once('/') {
                return matches!((host_ip, network.parse::<IpAddr>(), bits.parse::<u8>()), (Some(ip), Ok(network), Ok(bits)) if in_block(ip, network, bits));
            }
            match (host_ip, entry.parse::<IpAddr>()) {
                (Some(ip), Ok(listed)) => ip == listed,
                // An address never matches a name, nor a name an address (10.0.0.1 is not in "0.1").
                (Some(_), Err(_)) | (None, Ok(_)) => false,
                (None, Err(_)) => {
                    let domain = entry.trim_start_matches("*.").trim_start_matches('.');
                    host == domain || host.strip_suffix(domain).is_some_and(|rest| rest.ends_with('.'))
                }
            }
        })
}

fn in_block(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    let (ip, network, width) = match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => (u128::from(u32::from(ip)), u128::from(u32::from(network)), 32),
        (IpAddr::V6(ip), IpAddr::V6(network)) => (u128::from(ip), u128::from(network), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = u32::from(width - bits);
    // A shift by the whole width (a /0 block) would overflow: everything matches then.
    shift >= 128 || ip >> shift == network >> shift
}

/// What should listen at a ws/wss address: the web server or relay, not ptvsd itself.
const WEB_SERVER_HINT: &str = "This is the address of the web server or WebSocket proxy in front of ptvsd, not \
     ptvsd's own port: check the URL's host and port (ws:// defaults to port 80, wss:// to 443) and that the web \
     server or relay runs there. A sleeping App Service site never refuses a connection, so this is not a site \
     that is still starting.";

/// A TCP stream to the target's host and port: through the proxy's tunnel, or straight.
pub async fn open(target: &Target, proxy: Option<&Proxy>) -> Result<TcpStream, ConnectError> {
    let Some(proxy) = proxy else { return tcp::connect_with_hint(&target.host, target.port, WEB_SERVER_HINT).await };
    let authority = format!("{}:{}", bracket_ipv6(&target.host), target.port);
    let named = format!("the proxy {proxy} (from {})", proxy.variable);
    let hint = format!("Is the proxy running, and is {} right?", proxy.variable);
    let mut stream = tcp::connect_with_hint(&proxy.host, proxy.port, &hint).await.map_err(|error| ConnectError {
        message: format!("cannot use {named}: {}", error.message),
        retry: error.retry,
    })?;
    tracing::debug!(%proxy, %authority, "opening a tunnel through the proxy");
    match tokio::time::timeout(CONNECT_TIMEOUT, request_tunnel(&mut stream, proxy, &authority)).await {
        Ok(Ok(answer)) => check_answer(&answer, proxy, &named, &authority).map(|()| stream),
        Ok(Err(problem)) => {
            Err(ConnectError::transient(format!("{named} failed while asked to CONNECT {authority}: {problem}")))
        }
        Err(_) => Err(ConnectError::transient(format!(
            "{named} did not answer the request to CONNECT {authority} within {} s: check {}",
            CONNECT_TIMEOUT.as_secs(),
            proxy.variable
        ))),
    }
}

async fn request_tunnel(stream: &mut TcpStream, proxy: &Proxy, authority: &str) -> Result<Answer, String> {
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: ptvsd-dap\r\n");
    if let Some(authorization) = &proxy.authorization {
        request.push_str(&format!("Proxy-Authorization: {}\r\n", authorization.expose()));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|error| error.to_string())?;
    // Byte by byte: whatever follows the head belongs to the tunnel (TLS, the upgrade).
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_ANSWER_HEAD {
            return Err(format!(
                "its answer's head exceeds {} KiB, which is not an HTTP proxy's answer",
                MAX_ANSWER_HEAD / 1024
            ));
        }
        match stream.read(&mut byte).await.map_err(|error| error.to_string())? {
            0 => return Err("it closed the connection without answering".to_string()),
            _ => head.push(byte[0]),
        }
    }
    parse_answer(&head)
}

#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    reason: String,
    /// The schemes of the `Proxy-Authenticate` headers (`Basic`, `NTLM`, ...).
    schemes: Vec<String>,
}

fn parse_answer(head: &[u8]) -> Result<Answer, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("its answer is an incomplete HTTP response".to_string()),
        Err(error) => return Err(format!("its answer is not HTTP ({error})")),
    }
    let status = response.code.ok_or("its answer has no status")?;
    let reason: String = response
        .reason
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(MAX_SHOWN_REASON)
        .collect();
    let schemes = response
        .headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case("proxy-authenticate"))
        .filter_map(|header| std::str::from_utf8(header.value).ok())
        .filter_map(|value| value.split_whitespace().next())
        .map(|scheme| scheme.chars().filter(char::is_ascii_alphanumeric).take(20).collect())
        .collect();
    Ok(Answer { status, reason, schemes })
}

fn check_answer(answer: &Answer, proxy: &Proxy, named: &str, authority: &str) -> Result<(), ConnectError> {
    let status = format!("HTTP {} {}", answer.status, answer.reason);
    let status = status.trim_end();
    let variable = proxy.variable;
    match answer.status {
        200..=299 => Ok(()),
        407 => {
            let mut message = if proxy.authorization.is_some() {
                format!("{named} refused the user and password given in {variable} ({status}): check them")
            } else {
                format!("{named} demands a user and password ({status}): give them in {variable}, as http://user:password@host:port")
            };
            if !answer.schemes.is_empty() && !answer.schemes.iter().any(|scheme| scheme.eq_ignore_ascii_case("basic")) {
                message.push_str(&format!(
                    "; it asks for {} authentication and ptvsd-dap speaks only Basic: run a local proxy that authenticates for you (such as cntlm or px) and point {variable} at it",
                    answer.schemes.join("/")
                ));
            }
            Err(ConnectError::fatal(message))
        }
        403 => Err(ConnectError::fatal(format!(
            "{named} refused to open a tunnel to {authority} ({status}): its policy blocks this host or port; ask for it to be \
             allowed, or, if the host is reachable without the proxy, add it to NO_PROXY"
        ))),
        // The proxy could not reach the host: like a refused connection, the site may be starting.
        502..=504 => Err(ConnectError::transient(format!("{named} could not reach {authority} ({status})"))),
        _ => Err(ConnectError::fatal(format!("{named} answered the request to CONNECT {authority} with {status}"))),
    }
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::parse_url;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }

    fn proxy_for(url: &str, pairs: &'static [(&'static str, &'static str)]) -> Option<Proxy> {
        for_target(&parse_url(url).unwrap(), env_of(pairs)).unwrap()
    }

    #[test]
    fn no_proxy_matching() {
        for (host, list) in [
            ("site.azurewebsites.net", "azurewebsites.net"),
            ("site.azurewebsites.net", ".azurewebsites.net"),
            ("site.azurewebsites.net", "*.azurewebsites.net"),
            ("azurewebsites.net", ".azurewebsites.net"),
            ("Site.Example.COM.", "example.com"),
            ("h", "a, b ,h"),
            ("h", "a b\th"),
            ("anything", "*"),
            ("127.0.0.1", "localhost,127.0.0.1"),
            ("10.1.2.3", "10.0.0.0/8"),
            ("::1", "[::1]"),
            ("[::1]", "::1"),
            ("fd00::5", "fd00::/8"),
            ("192.168.1.1", "0.0.0.0/0"),
        ] {
            assert!(bypasses(host, list), "{host} in {list:?}");
        }
        for (host, list) in [
            ("notazurewebsites.net", "azurewebsites.net"),
            ("site.azurewebsites.net", "site.azurewebsites.net.evil"),
            ("example.com", "www.example.com"),
            ("10.0.0.1", "0.1"),
            ("10.0.0.1", "10.0.0.10"),
            ("11.0.0.1", "10.0.0.0/8"),
            ("10.0.0.1", "10.0.0.0/33"),
            ("10.0.0.1", "::/0"),
            ("h", ""),
            ("h", " , "),
            ("h", "*.h.example"),
        ] {
            assert!(!bypasses(host, list), "{host} not in {list:?}");
        }
    }

    #[test]
    fn variables_by_scheme_as_curl_reads_them() {
        const ALL: &[(&str, &str)] =
            &[("http_proxy", "h1:1"), ("HTTP_PROXY", "h2:2"), ("HTTPS_PROXY", "s2:2"), ("ALL_PROXY", "a:3")];
        let ws = proxy_for("ws://s@site/ptvsd", ALL).unwrap();
        assert_eq!((ws.to_string(), ws.variable), ("http://h1:1".to_string(), "http_proxy"));
        let wss = proxy_for("wss://s@site/ptvsd", ALL).unwrap();
        assert_eq!((wss.to_string(), wss.variable), ("http://s2:2".to_string(), "HTTPS_PROXY"));
        let fallback = proxy_for("wss://site", &[("https_proxy", " "), ("ALL_PROXY", "http://a:3/")]).unwrap();
        assert_eq!((fallback.to_string(), fallback.variable), ("http://a:3".to_string(), "ALL_PROXY"));
        assert!(proxy_for("tcp://s@site:5678", ALL).is_none() && proxy_for("tcps://s@site", ALL).is_none());
        assert!(proxy_for("wss://site", &[]).is_none());
        assert!(proxy_for("wss://site.example.com", &[("HTTPS_PROXY", "p:1"), ("no_proxy", "example.com")]).is_none());
        assert!(proxy_for("wss://site.example.com", &[("HTTPS_PROXY", "p:1"), ("NO_PROXY", ".example.com")]).is_none());
        assert!(proxy_for("wss://site.example.org", &[("HTTPS_PROXY", "p:1"), ("NO_PROXY", ".example.com")]).is_some());
        assert_eq!(
            proxy_for("ws://[::1]:8000", &[("http_proxy", "http://[fd00::1]")]).unwrap().to_string(),
            "http://[fd00::1]:80"
        );
    }

    #[test]
    fn proxy_credentials_are_basic_and_never_shown() {
        let proxy = parse_proxy("HTTPS_PROXY", "http://us%40er:pa%3Ass@proxy.corp:3128").unwrap();
        // base64("us@er:pa:ss")
        assert_eq!(proxy.authorization.as_ref().map(Secret::expose), Some("Basic dXNAZXI6cGE6c3M="));
        let shown = format!("{proxy} {proxy:?}");
        assert!(
            !shown.contains("pa:ss")
                && !shown.contains("pa%3Ass")
                && !shown.contains("dXNAZXI6cGE6c3M")
                && shown.contains("http://proxy.corp:3128"),
            "{shown}"
        );
        assert!(parse_proxy("HTTPS_PROXY", "proxy.corp:3128").unwrap().authorization.is_none());
        for bad in [
            "socks5://user:hunter2@p:1080",
            "https://user:hunter2@p",
            "http://user:hunter2@",
            "http://user:hunter2@p:99999",
        ] {
            let error = parse_proxy("HTTPS_PROXY", bad).unwrap_err().message;
            assert!(error.contains("HTTPS_PROXY") && !error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn connect_answers() {
        let ok = parse_answer(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
        assert_eq!(ok, Answer { status: 200, reason: "Connection established".into(), schemes: vec![] });
        let auth = parse_answer(b"HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nproxy-authenticate: Negotiate abc\r\n\r\n").unwrap();
        assert_eq!((auth.status, auth.schemes.clone()), (407, vec!["NTLM".to_string(), "Negotiate".to_string()]));
        assert!(parse_answer(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\n").is_err());

        let proxy = parse_proxy("HTTPS_PROXY", "http://u:hunter2@p:3128").unwrap();
        let named = "the proxy http://p:3128 (from HTTPS_PROXY)";
        let check = |head: &[u8]| check_answer(&parse_answer(head).unwrap(), &proxy, named, "site:443");
        assert!(check(b"HTTP/1.1 200 OK\r\n\r\n").is_ok());
        let refused =
            check(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n")
                .unwrap_err();
        assert!(
            refused.message.contains("refused the user and password")
                && refused.message.contains("407")
                && !refused.retry,
            "{}",
            refused.message
        );
        let ntlm = check(b"HTTP/1.1 407 Auth\r\nProxy-Authenticate: NTLM\r\n\r\n").unwrap_err().message;
        assert!(ntlm.contains("NTLM") && ntlm.contains("cntlm"), "{ntlm}");
        let forbidden = check(b"HTTP/1.1 403 Forbidden\r\n\r\n").unwrap_err().message;
        assert!(
            forbidden.contains("HTTP 403 Forbidden")
                && forbidden.contains("site:443")
                && forbidden.contains("NO_PROXY"),
            "{forbidden}"
        );
        assert!(check(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").unwrap_err().retry);
        let long = format!("HTTP/1.1 418 {}\r\n\r\n", "t".repeat(1000));
        let odd = check(long.as_bytes()).unwrap_err().message;
        assert!(odd.contains("HTTP 418 ttt") && odd.len() < 300, "{odd}");
        let anonymous = parse_proxy("HTTPS_PROXY", "p:3128").unwrap();
        let asked = check_answer(
            &parse_answer(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").unwrap(),
            &anonymous,
            named,
            "site:443",
        )
        .unwrap_err()
        .message;
        assert!(
            asked.contains("demands a user and password") && asked.contains("http://user:password@host:port"),
            "{asked}"
        );
    }
}
