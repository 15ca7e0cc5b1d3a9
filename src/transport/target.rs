//! Where the debuggee is: a parsed `tcp://`, `tcps://`, `ws://` or `wss://` target with the secret split off.

use std::fmt;

use url::Url;

use crate::config::Secret;

pub const DEFAULT_PTVSD_PORT: u16 = 5678;
pub const DEFAULT_WS_PATH: &str = "/ptvsd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Tcp,
    /// TLS straight to ptvsd (its `certfile`/`keyfile`), or to a TLS terminator in front of it.
    Tcps,
    Ws,
    Wss,
}

impl Scheme {
    pub fn parse(text: &str) -> Option<Scheme> {
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Some(Scheme::Tcp),
            "tcps" => Some(Scheme::Tcps),
            "ws" => Some(Scheme::Ws),
            "wss" => Some(Scheme::Wss),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Tcp => "tcp",
            Scheme::Tcps => "tcps",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Tcp | Scheme::Tcps => DEFAULT_PTVSD_PORT,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }

    /// A WebSocket to a relay or the App Service proxy (a site that may be asleep), not a
    /// connection straight to ptvsd's port.
    pub fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }
}

/// A debuggee address. Its `Display` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// The HTTP path of the WebSocket proxy; empty for tcp and tcps.
    pub path: String,
    pub secret: Secret,
    /// The URL's user-info as written, percent-escapes kept, when it differs from the decoded
    /// `secret`: Visual Studio sent this form verbatim, so a debuggee may expect it.
    pub escaped_secret: Option<Secret>,
    /// tcps only: the user allowed a fall back to TLS 1.0/1.1 (`legacyTls`), which ptvsd's own
    /// TLS needs. Never taken on the server's word alone (see `tcps.rs`).
    pub legacy_tls: bool,
    /// ws/wss only: the instance of a scaled-out site to reach (`instance`, §1.4.1).
    pub instance: Option<super::affinity::Instance>,
}

impl Target {
    /// The WebSocket URL to request: no user-info, so the secret never reaches HTTP (§1.1).
    pub fn websocket_url(&self) -> String {
        format!("{}://{}:{}{}", self.scheme.name(), bracket_ipv6(&self.host), self.port, self.path)
    }
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}{}", self.scheme.name(), bracket_ipv6(&self.host), self.port, self.path)
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

/// The longest host name DNS can carry.
const MAX_HOST_LEN: usize = 253;

/// Checks a host name or IP address before it can reach an HTTP head (the wake-up's `Host`, a
/// proxy's `CONNECT`): letters, digits, `-`, `.` and `_`, or an IPv6 literal. CR, LF, spaces and
/// anything else a host name cannot hold are refused. `what` names the argument in the message.
pub fn check_host(host: &str, what: &str) -> Result<(), String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._".contains(c);
    if host.is_empty() {
        return Err(format!("{what} is empty: give a host name or an IP address"));
    }
    if let Some(bad) = host.chars().find(|c| !allowed(*c)) {
        let named = match bad {
            '\r' => "a carriage return (CR)".to_string(),
            '\n' => "a line feed (LF)".to_string(),
            ' ' => "a space".to_string(),
            c if c.is_control() => format!("the control character U+{:04X}", c as u32),
            c => format!("'{c}'"),
        };
        return Err(format!(
            "{what} {host:?} contains {named}, which a host name cannot hold: give a host name (letters, digits, \
             '-', '.'), an IPv4 address or an IPv6 address (international names in their xn-- form)"
        ));
    }
    if host.len() > MAX_HOST_LEN {
        return Err(format!("{what} is longer than the {MAX_HOST_LEN} characters a host name can have"));
    }
    Ok(())
}

const URL_FORMS: &str = "tcp://[secret@]host[:port], tcps://[secret@]host[:port], ws://[secret@]host[:port][/path] or wss://[secret@]host[:port][/path]";

/// Parses `tcp|tcps|ws|wss://[secret@]host[:port][/path]`; no scheme means tcp. The error text never
/// repeats the URL (it may hold the secret).
pub fn parse_url(text: &str) -> Result<Target, String> {
    let text = text.trim();
    // The URL standard silently drops CR, LF and tabs: refuse them instead of guessing.
    if text.chars().any(char::is_control) {
        return Err(format!(
            "'url' contains a control character (CR, LF or tab): give it on one line; expected {URL_FORMS}"
        ));
    }
    let with_scheme = if text.contains("://") { text.to_string() } else { format!("tcp://{text}") };
    let url = Url::parse(&with_scheme)
        .map_err(|error| format!("'url' is not a valid URL ({error}); expected {URL_FORMS}"))?;
    let scheme = Scheme::parse(url.scheme())
        .ok_or_else(|| format!("'url' has the unsupported scheme '{}'; expected {URL_FORMS}", url.scheme()))?;
    let host =
        url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| format!("'url' has no host; expected {URL_FORMS}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    check_host(&host, "the host of 'url'")?;
    let mut secret = percent_decode(url.username());
    let mut escaped = url.username().to_string();
    if let Some(password) = url.password() {
        // A secret containing ':' arrives split into user and password.
        secret = format!("{secret}:{}", percent_decode(password));
        escaped = format!("{escaped}:{password}");
    }
    let escaped_secret = (escaped != secret).then(|| Secret::new(escaped));
    let path = match scheme {
        Scheme::Tcp | Scheme::Tcps => {
            if !matches!(url.path(), "" | "/") {
                return Err(format!(
                    "'url': a {}:// URL has no path (ptvsd listens on a bare port); use ws:// or wss:// for a WebSocket proxy path",
                    scheme.name()
                ));
            }
            String::new()
        }
        Scheme::Ws | Scheme::Wss => match url.path() {
            "" | "/" => DEFAULT_WS_PATH.to_string(),
            path => path.to_string(),
        },
    };
    // The query (Visual Studio's opt=, sd=, td=, host=) is read by `config::debug_options`.
    Ok(Target {
        scheme,
        host,
        port: url.port().unwrap_or(scheme.default_port()),
        path,
        secret: Secret::new(secret),
        escaped_secret,
        legacy_tls: false,
        instance: None,
    })
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let tcp = parse_url("tcp://s3cret@127.0.0.1:5679").unwrap();
        assert_eq!(
            (tcp.scheme, tcp.host.as_str(), tcp.port, tcp.secret.expose()),
            (Scheme::Tcp, "127.0.0.1", 5679, "s3cret")
        );
        let bare = parse_url("myhost").unwrap();
        assert_eq!((bare.scheme, bare.port, bare.secret.expose()), (Scheme::Tcp, 5678, ""));
        let wss = parse_url("wss://a%40b@site.azurewebsites.net/ptvsd").unwrap();
        assert_eq!((wss.port, wss.path.as_str(), wss.secret.expose()), (443, "/ptvsd", "a@b"));
        assert_eq!(wss.websocket_url(), "wss://site.azurewebsites.net:443/ptvsd");
        let ws = parse_url("ws://x:y@h:8080").unwrap();
        assert_eq!((ws.path.as_str(), ws.secret.expose()), ("/ptvsd", "x:y"));
        let tcps = parse_url("TCPS://s3cret@debug.example.com").unwrap();
        assert_eq!(
            (tcps.scheme, tcps.port, tcps.path.as_str(), tcps.secret.expose()),
            (Scheme::Tcps, 5678, "", "s3cret")
        );
        assert_eq!(tcps.to_string(), "tcps://debug.example.com:5678");
        assert_eq!(parse_url("tcps://h:5679/").unwrap().port, 5679);
        assert_eq!(wss.escaped_secret.as_ref().map(Secret::expose), Some("a%40b"));
        assert_eq!(
            parse_url("ws://a%2Fb:c%25d@h").unwrap().escaped_secret.as_ref().map(Secret::expose),
            Some("a%2Fb:c%25d")
        );
        assert_eq!(
            (tcp.escaped_secret.clone(), bare.escaped_secret.clone(), ws.escaped_secret.clone()),
            (None, None, None)
        );
        assert!(
            !Scheme::Tcps.is_websocket()
                && !Scheme::Tcp.is_websocket()
                && Scheme::Ws.is_websocket()
                && Scheme::Wss.is_websocket()
        );
    }

    #[test]
    fn tcps_takes_no_path() {
        let error = parse_url("tcps://topsecret@h/ptvsd").unwrap_err();
        assert!(error.contains("tcps://") && error.contains("no path") && !error.contains("topsecret"), "{error}");
    }

    #[test]
    fn hosts_that_could_break_an_http_head_are_refused() {
        for good in ["example.com", "my_host-1.example", "127.0.0.1", "::1", "[::1]", "xn--bcher-kva.example"] {
            assert_eq!(check_host(good, "'host'"), Ok(()), "{good}");
        }
        for (bad, named) in [
            ("evil.example\r\nX-Injected: 1", "carriage return (CR)"),
            ("evil.example\nHost: x", "line feed (LF)"),
            ("two words", "a space"),
            ("a/b", "'/'"),
            ("a\u{7}b", "U+0007"),
            ("", "empty"),
        ] {
            let error = check_host(bad, "'host'").unwrap_err();
            assert!(error.starts_with("'host'") && error.contains(named), "{bad:?}: {error}");
            assert!(!error.contains('\r') && !error.contains('\n'), "{error:?}");
        }
        assert!(check_host(&"a".repeat(254), "'host'").unwrap_err().contains("253"));
        let error = parse_url("ws://topsecret@h\r\nX: y/ptvsd").unwrap_err();
        assert!(error.contains("control character") && !error.contains("topsecret"), "{error}");
    }

    #[test]
    fn errors_never_repeat_the_secret() {
        for bad in [
            "ftp://topsecret@h",
            "tcp://topsecret@h/path",
            "tcps://topsecret@h/path",
            "tcps://topsecret@h:99999",
            "tcp://topsecret@",
            "tcp://topsecret@h:99999",
        ] {
            let error = parse_url(bad).unwrap_err();
            assert!(!error.contains("topsecret"), "{error}");
        }
        assert!(!format!("{:?}", parse_url("tcp://topsecret@h").unwrap()).contains("topsecret"));
    }
}
