//! The `attach` request's arguments, validated into an [`AttachConfig`].
//!
//! One vocabulary for every editor: `url`, or `host`/`port`/`transport`/`path`/`secret`;
//! `pathMappings` or flat `localRoot`/`remoteRoot`; `redirectOutput`. Unknown keys are ignored
//! (editors add their own). Helix turns all-digit values into numbers, so `port` and `secret`
//! accept numbers too.

use serde_json::{Map, Value};

use crate::config::Secret;
use crate::session::paths::PathMapping;
use crate::transport::{parse_url, Scheme, Target, target::DEFAULT_WS_PATH};

#[derive(Debug, Clone)]
pub struct AttachConfig {
    pub target: Target,
    pub path_mappings: Vec<PathMapping>,
    /// Show the debuggee's stdout/stderr in the editor. ptvsd always redirects (§3.3); this only
    /// decides whether the adapter forwards it.
    pub redirect_output: bool,
}

const EXAMPLE: &str = r#"{"url": "tcp://<secret>@<host>:5678"} or {"host": "<host>", "port": 5678, "transport": "tcp", "secret": "<secret>"}"#;

impl AttachConfig {
    pub fn from_arguments(arguments: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let args = arguments.as_object().unwrap_or(&empty);
        let target = match args.get("url") {
            Some(Value::String(url)) => {
                let mut target = parse_url(url)?;
                if target.secret.is_empty() {
                    if let Some(secret) = text_argument(args, "secret")? {
                        target.secret = Secret::new(secret);
                    }
                }
                target
            }
            Some(_) => return Err(format!("'url' must be a string, e.g. {EXAMPLE}")),
            None => target_from_parts(args)?,
        };
        Ok(AttachConfig {
            target,
            path_mappings: path_mappings(args)?,
            redirect_output: bool_argument(args, "redirectOutput", true)?,
        })
    }
}

fn target_from_parts(args: &Map<String, Value>) -> Result<Target, String> {
    let host = text_argument(args, "host")?.ok_or_else(|| format!("missing the debuggee's address: give 'url' or 'host', e.g. {EXAMPLE}"))?;
    let scheme = match text_argument(args, "transport")? {
        None => Scheme::Tcp,
        Some(name) => Scheme::parse(&name).ok_or_else(|| format!("'transport' must be one of tcp, ws, wss (got '{name}')"))?,
    };
    let port = match args.get("port") {
        None | Some(Value::Null) => scheme.default_port(),
        Some(Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0).ok_or_else(|| format!("'port' must be 1-65535 (got {n})"))?,
        Some(Value::String(s)) => s.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("'port' must be 1-65535 (got '{s}')"))?,
        Some(_) => return Err("'port' must be a number from 1 to 65535".into()),
    };
    let path = match (scheme, text_argument(args, "path")?) {
        (Scheme::Tcp, _) => String::new(),
        (_, None) => DEFAULT_WS_PATH.to_string(),
        (_, Some(path)) if path.starts_with('/') => path,
        (_, Some(path)) => format!("/{path}"),
    };
    let secret = Secret::new(text_argument(args, "secret")?.unwrap_or_default());
    Ok(Target { scheme, host, port, path, secret })
}

/// A string argument; numbers are accepted as their decimal text (Helix sends `007` as `7`).
fn text_argument(args: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("'{name}' must be a string")),
    }
}

fn bool_argument(args: &Map<String, Value>, name: &str, default: bool) -> Result<bool, String> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(_) => Err(format!("'{name}' must be true or false")),
    }
}

fn path_mappings(args: &Map<String, Value>) -> Result<Vec<PathMapping>, String> {
    let mut mappings = Vec::new();
    match args.get("pathMappings") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                let local = item.get("localRoot").and_then(Value::as_str);
                let remote = item.get("remoteRoot").and_then(Value::as_str);
                match (local, remote) {
                    (Some(local), Some(remote)) => mappings.push(PathMapping::new(local, remote)),
                    _ => return Err(format!(
                        "'pathMappings[{index}]' needs both 'localRoot' and 'remoteRoot' strings, e.g. {{\"localRoot\": \"/home/me/app\", \"remoteRoot\": \"/srv/app\"}}"
                    )),
                }
            }
        }
        Some(_) => return Err("'pathMappings' must be a list of {localRoot, remoteRoot}".into()),
    }
    match (text_argument(args, "localRoot")?, text_argument(args, "remoteRoot")?) {
        (Some(local), Some(remote)) => mappings.push(PathMapping::new(&local, &remote)),
        (None, None) => {}
        _ => return Err("'localRoot' and 'remoteRoot' go together: give both or neither".into()),
    }
    Ok(mappings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_or_parts() {
        let config = AttachConfig::from_arguments(&json!({"url": "ws://s@h:81/x", "cwd": "/ignored"})).unwrap();
        assert_eq!(config.target.to_string(), "ws://h:81/x");
        assert!(config.redirect_output);
        let parts = AttachConfig::from_arguments(&json!({"host": "h", "port": "5679", "secret": 7, "redirectOutput": false})).unwrap();
        assert_eq!((parts.target.port, parts.target.secret.expose()), (5679, "7"));
        assert!(!parts.redirect_output);
        let ws = AttachConfig::from_arguments(&json!({"host": "h", "transport": "wss"})).unwrap();
        assert_eq!(ws.target.websocket_url(), "wss://h:443/ptvsd");
    }

    #[test]
    fn mistakes_name_the_argument() {
        assert!(AttachConfig::from_arguments(&json!({})).unwrap_err().contains("'url' or 'host'"));
        assert!(AttachConfig::from_arguments(&json!({"url": 5})).unwrap_err().contains("'url'"));
        assert!(AttachConfig::from_arguments(&json!({"host": "h", "port": 0})).unwrap_err().contains("'port'"));
        assert!(AttachConfig::from_arguments(&json!({"url": "tcp://h", "localRoot": "/a"})).unwrap_err().contains("remoteRoot"));
        assert!(AttachConfig::from_arguments(&json!({"url": "tcp://h", "pathMappings": [{"localRoot": "/a"}]})).unwrap_err().contains("pathMappings[0]"));
    }
}
