//! Where the debuggee is: a parsed `tcp://`, `ws://` or `wss://` target with the secret split off.

use std::fmt;

use url::Url;

use crate::config::Secret;

pub const DEFAULT_PTVSD_PORT: u16 = 5678;
pub const DEFAULT_WS_PATH: &str = "/ptvsd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Tcp,
    Ws,
    Wss,
}

impl Scheme {
    pub fn parse(text: &str) -> Option<Scheme> {
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Some(Scheme::Tcp),
            "ws" => Some(Scheme::Ws),
            "wss" => Some(Scheme::Wss),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Tcp => "tcp",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Tcp => DEFAULT_PTVSD_PORT,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }
}

/// A debuggee address. Its `Display` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// The HTTP path of the WebSocket proxy; empty for tcp.
    pub path: String,
    pub secret: Secret,
}

impl Target {
    /// The WebSocket URL to request: no user-info, so the secret never reaches HTTP (§1.1).
    pub fn websocket_url(&self) -> String {
        format!("{}://{}:{}{}", self.scheme.name(), bracket_ipv6(&self.host), self.port, self.path)
    }
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() }
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

const URL_FORMS: &str = "tcp://[secret@]host[:port], ws://[secret@]host[:port][/path] or wss://[secret@]host[:port][/path]";

/// Parses `tcp|ws|wss://[secret@]host[:port][/path]`; no scheme means tcp. The error text never
/// repeats the URL (it may hold the secret).
pub fn parse_url(text: &str) -> Result<Target, String> {
    let text = text.trim();
    let with_scheme = if text.contains("://") { text.to_string() } else { format!("tcp://{text}") };
    let url = Url::parse(&with_scheme).map_err(|error| format!("'url' is not a valid URL ({error}); expected {URL_FORMS}"))?;
    let scheme = Scheme::parse(url.scheme())
        .ok_or_else(|| format!("'url' has the unsupported scheme '{}'; expected {URL_FORMS}", url.scheme()))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| format!("'url' has no host; expected {URL_FORMS}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let mut secret = percent_decode(url.username());
    if let Some(password) = url.password() {
        // A secret containing ':' arrives split into user and password.
        secret = format!("{secret}:{}", percent_decode(password));
    }
    let path = match scheme {
        Scheme::Tcp => {
            if !matches!(url.path(), "" | "/") {
                return Err("'url': a tcp:// URL has no path (ptvsd listens on a bare port); use ws:// or wss:// for a WebSocket proxy path".into());
            }
            String::new()
        }
        Scheme::Ws | Scheme::Wss => match url.path() {
            "" | "/" => DEFAULT_WS_PATH.to_string(),
            path => path.to_string(),
        },
    };
    if url.query().is_some() {
        return Err("'url': query parameters are not supported yet; remove the part after '?'".into());
    }
    Ok(Target { scheme, host, port: url.port().unwrap_or(scheme.default_port()), path, secret: Secret::new(secret) })
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
        assert_eq!((tcp.scheme, tcp.host.as_str(), tcp.port, tcp.secret.expose()), (Scheme::Tcp, "127.0.0.1", 5679, "s3cret"));
        let bare = parse_url("myhost").unwrap();
        assert_eq!((bare.scheme, bare.port, bare.secret.expose()), (Scheme::Tcp, 5678, ""));
        let wss = parse_url("wss://a%40b@site.azurewebsites.net/ptvsd").unwrap();
        assert_eq!((wss.port, wss.path.as_str(), wss.secret.expose()), (443, "/ptvsd", "a@b"));
        assert_eq!(wss.websocket_url(), "wss://site.azurewebsites.net:443/ptvsd");
        let ws = parse_url("ws://x:y@h:8080").unwrap();
        assert_eq!((ws.path.as_str(), ws.secret.expose()), ("/ptvsd", "x:y"));
    }

    #[test]
    fn errors_never_repeat_the_secret() {
        for bad in ["ftp://topsecret@h", "tcp://topsecret@h/path", "tcp://topsecret@", "tcp://topsecret@h:99999"] {
            let error = parse_url(bad).unwrap_err();
            assert!(!error.contains("topsecret"), "{error}");
        }
        assert!(!format!("{:?}", parse_url("tcp://topsecret@h").unwrap()).contains("topsecret"));
    }
}
