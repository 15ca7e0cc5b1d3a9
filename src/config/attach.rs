//! The `attach` request's arguments, validated into an [`AttachConfig`].
//!
//! One vocabulary for every editor: `url`, or `site` (an App Service), or
//! `host`/`port`/`transport`/`path`; the secret from the URL, `secret`, `webDebugConfig` or the
//! `PTVSD_SECRET` environment variable, in that order; `pathMappings` or flat
//! `localRoot`/`remoteRoot`; `redirectOutput`; `connectTimeout`, `caFile`, `insecure`; the
//! editor's `cwd`. Unknown keys are ignored (editors add their own). Helix turns all-digit values
//! into numbers, so `port` and `secret` accept numbers too. No error text contains the secret.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{debug_options, web_debug_config, Secret};
use crate::session::paths::PathMapping;
use crate::transport::affinity::Instance;
use crate::transport::target::{check_host, DEFAULT_WS_PATH};
use crate::transport::{parse_url, Scheme, Target};

/// Where Windows App Service runs the site (remote paths are Windows paths there).
pub const APP_SERVICE_REMOTE_ROOT: &str = r"D:\home\site\wwwroot";
/// The domain a bare `site` name belongs to.
pub const APP_SERVICE_DOMAIN: &str = "azurewebsites.net";
/// The environment variable that supplies the secret when nothing else does.
pub const SECRET_ENV: &str = "PTVSD_SECRET";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
pub const MAX_CONNECT_TIMEOUT_SECS: u64 = 600;
/// IIS's FastCGI requestTimeout is 90 s by default: warn well before.
pub const DEFAULT_LONG_STOP_WARNING: Duration = Duration::from_secs(60);
/// The longest WebSocket ping interval accepted.
pub const MAX_KEEP_ALIVE_SECS: u64 = 300;

#[derive(Debug, Clone)]
pub struct AttachConfig {
    /// The `ATCH` debug options string (`RedirectOutput, RichExceptions, ...`).
    pub debug_options: String,
    /// `stopOnAttach`: show the attach-time stop as a `stopped` (entry) instead of resuming.
    pub stop_on_attach: bool,
    /// `longStopWarning`: after this long stopped, warn about IIS's FastCGI request timeout.
    /// Default 60 s over ws/wss (App Service), off over tcp; `0` turns it off.
    pub long_stop_warning: Option<Duration>,
    pub target: Target,
    pub path_mappings: Vec<PathMapping>,
    /// Show the debuggee's stdout/stderr in the editor. ptvsd always redirects (§3.3); this only
    /// decides whether the adapter forwards it.
    pub redirect_output: bool,
    /// The App Service host name when attached by `site` (`myapp.azurewebsites.net`).
    pub site: Option<String>,
    /// Where `target.secret` came from, for messages about a refused secret.
    pub secret_source: SecretSource,
    /// `connectTimeout`: how long connecting (wake-up, 503 retries, handshake) may take.
    pub connect_timeout: Duration,
    /// `keepAlive`: the WebSocket ping interval; a link silent for two intervals is lost.
    pub keep_alive: Duration,
    /// `caFile`: extra PEM roots for `wss` and `tcps`; checked to exist and be readable.
    pub ca_file: Option<PathBuf>,
    /// `insecure`: skip the server certificate check.
    pub insecure: bool,
    /// `cwd`: the editor's workspace (Helix sends it). Relative `webDebugConfig`/`caFile` paths
    /// are resolved against it.
    pub client_cwd: Option<String>,
}

/// Where the secret was found. Its `Display` names the source, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// No secret anywhere: the empty secret is sent.
    None,
    Url,
    Argument,
    WebDebugConfig(PathBuf),
    Environment,
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::None => f.write_str("no secret"),
            SecretSource::Url => f.write_str("the secret in the URL"),
            SecretSource::Argument => f.write_str("the 'secret' argument"),
            SecretSource::WebDebugConfig(path) => {
                write!(f, "the {} app setting in '{}'", web_debug_config::SECRET_KEY, path.display())
            }
            SecretSource::Environment => write!(f, "the {SECRET_ENV} environment variable"),
        }
    }
}

const EXAMPLE: &str = r#"{"url": "tcp://<secret>@<host>:5678"} or {"host": "<host>", "port": 5678, "transport": "tcp", "secret": "<secret>"}"#;

const SITE_EXAMPLE: &str = r#"{"site": "myapp", "webDebugConfig": "web.debug.config"}"#;

impl AttachConfig {
    /// Validates the attach arguments; the secret may come from the process environment.
    pub fn from_arguments(arguments: &Value) -> Result<Self, String> {
        Self::from_arguments_with(arguments, |name| std::env::var(name).ok())
    }

    /// [`AttachConfig::from_arguments`] with the environment lookup given (`HOME`, `PTVSD_SECRET`).
    pub fn from_arguments_with(arguments: &Value, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let empty = Map::new();
        let args = arguments.as_object().unwrap_or(&empty);
        // The editor adds `cwd` itself: one of an unexpected type is ignored, not refused.
        let client_cwd =
            args.get("cwd").and_then(Value::as_str).filter(|cwd| !cwd.trim().is_empty()).map(str::to_string);
        let given = |name: &str| !matches!(args.get(name), None | Some(Value::Null));
        if given("site") && (given("url") || given("host")) {
            return Err(format!(
                "'site' and '{}' both name the debuggee: give one, e.g. {SITE_EXAMPLE}",
                if given("url") { "url" } else { "host" }
            ));
        }
        let mut site = None;
        let mut target = match (args.get("url"), text_argument(args, "site")?) {
            (Some(Value::String(url)), _) => parse_url(url)?,
            (Some(Value::Null) | None, Some(name)) => {
                for part in ["transport", "port", "path"] {
                    if given(part) {
                        return Err(format!("'site' always means wss://<site>.{APP_SERVICE_DOMAIN}{DEFAULT_WS_PATH} on port 443: remove '{part}', or use 'url' instead of 'site'"));
                    }
                }
                let host = site_host(&name)?;
                site = Some(host.clone());
                Target {
                    scheme: Scheme::Wss,
                    port: Scheme::Wss.default_port(),
                    host,
                    path: DEFAULT_WS_PATH.to_string(),
                    secret: Secret::default(),
                    escaped_secret: None,
                    legacy_tls: false,
                    instance: None,
                }
            }
            (Some(Value::Null) | None, None) => target_from_parts(args)?,
            (Some(_), _) => return Err(format!("'url' must be a string, e.g. {EXAMPLE}")),
        };
        let (secret, secret_source) = resolve_secret(args, target.secret.clone(), client_cwd.as_deref(), &env)?;
        if site.is_some() && secret.is_empty() {
            return Err(format!(
                "no secret for the App Service site: give 'webDebugConfig' (the project's web.debug.config, whose app setting {} holds it), 'secret', or the {SECRET_ENV} environment variable, e.g. {SITE_EXAMPLE}",
                web_debug_config::SECRET_KEY
            ));
        }
        target.secret = secret;
        let url_query = match args.get("url") {
            Some(Value::String(url)) => debug_options::parse_url_query(url)?,
            _ => debug_options::UrlQuery::default(),
        };
        target.legacy_tls = bool_argument(args, "legacyTls", false)? || url_query.legacy_tls;
        if target.legacy_tls && target.scheme != Scheme::Tcps {
            return Err(format!(
                "'legacyTls' is for tcps:// only (TLS straight to ptvsd's own TLS 1.0); a {}:// link cannot use it",
                target.scheme.name()
            ));
        }
        target.instance = instance(args, target.scheme)?;
        let mut path_mappings = path_mappings(args, site.is_some(), client_cwd.as_deref())?;
        // Visual Studio's sd=/td= mapping joins the others (§1.1).
        if let Some((local, remote)) = &url_query.mapping {
            path_mappings.push(PathMapping::new(local, remote));
        }
        let scheme = target.scheme;
        Ok(AttachConfig {
            target,
            path_mappings,
            debug_options: debug_options::options_string(args, &url_query.debug_options)?,
            stop_on_attach: bool_argument(args, "stopOnAttach", false)?,
            long_stop_warning: long_stop_warning(args, scheme)?,
            redirect_output: bool_argument(args, "redirectOutput", true)?,
            site,
            secret_source,
            connect_timeout: connect_timeout(args)?,
            keep_alive: seconds_argument(args, "keepAlive", crate::transport::DEFAULT_KEEPALIVE, MAX_KEEP_ALIVE_SECS)?,
            ca_file: ca_file(args, client_cwd.as_deref(), &env)?,
            insecure: bool_argument(args, "insecure", false)?,
            client_cwd,
        })
    }
}

/// The App Service host for a `site` argument: `myapp` and `myapp.azurewebsites.net` both give
/// `myapp.azurewebsites.net`; a name with dots is taken as the site's own (custom) domain; a
/// pasted `https://myapp.azurewebsites.net/` is reduced to its host. The error never repeats
/// anything that might be user-info.
pub fn site_host(site: &str) -> Result<String, String> {
    const FORMS: &str = "e.g. \"myapp\" or \"myapp.azurewebsites.net\"";
    let text = site.trim();
    if text.contains('@') {
        return Err(format!("'site' must not contain a secret (the part before '@'): give it with 'secret' or 'webDebugConfig', and the site as {FORMS}"));
    }
    let rest = match text.split_once("://") {
        Some((scheme, rest))
            if ["https", "http", "wss", "ws"].iter().any(|known| scheme.eq_ignore_ascii_case(known)) =>
        {
            rest
        }
        Some(_) => return Err(format!("'site' takes the App Service name, {FORMS}; use 'url' for other addresses")),
        None => text,
    };
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(host, path)| (host, path));
    if host.chars().any(|c| c.is_control() || c.is_whitespace()) {
        check_host(host, "'site'")?;
    }
    if !matches!(path.trim_end_matches('/'), "" | "ptvsd") {
        return Err(format!(
            "'site' takes the App Service name without a path, {FORMS}; use 'url' for a proxy at another path"
        ));
    }
    if host.contains(':') {
        return Err(format!(
            "'site' takes no port (App Service serves wss on 443), {FORMS}; use 'url' for another port"
        ));
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if host.is_empty() {
        return Err(format!("'site' is empty: give the App Service name, {FORMS}"));
    }
    if !host.split('.').all(valid_label) {
        return Err(format!("'site' is not a valid site name (got {host:?}), {FORMS}"));
    }
    if host.ends_with(&format!(".scm.{APP_SERVICE_DOMAIN}")) {
        return Err(format!("'site' names the Kudu (scm) console, which has no ptvsd proxy: drop '.scm', {FORMS}"));
    }
    Ok(if host.contains('.') { host } else { format!("{host}.{APP_SERVICE_DOMAIN}") })
}

/// The URL, then `secret`, then `webDebugConfig`, then the environment. A `webDebugConfig` that
/// is given but unusable is an error, not a reason to fall back to the environment.
fn resolve_secret(
    args: &Map<String, Value>,
    from_url: Secret,
    cwd: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(Secret, SecretSource), String> {
    if !from_url.is_empty() {
        return Ok((from_url, SecretSource::Url));
    }
    if let Some(secret) = text_argument(args, "secret")?.filter(|s| !s.is_empty()) {
        return Ok((Secret::new(secret), SecretSource::Argument));
    }
    if let Some(path) = text_argument(args, "webDebugConfig")?.filter(|p| !p.trim().is_empty()) {
        let path = resolve_path(&path, cwd, env);
        let secret = web_debug_config::read_secret(&path).map_err(|problem| format!("'webDebugConfig': {problem}"))?;
        return Ok((secret, SecretSource::WebDebugConfig(path)));
    }
    if let Some(secret) = env(SECRET_ENV).filter(|s| !s.is_empty()) {
        return Ok((Secret::new(secret), SecretSource::Environment));
    }
    Ok((Secret::default(), SecretSource::None))
}

/// `~/` (or `~\` on Windows) is the home directory (`HOME`, else Windows' `USERPROFILE`); a
/// relative path is relative to the editor's `cwd` when given.
fn resolve_path(path: &str, cwd: Option<&str>, env: &impl Fn(&str) -> Option<String>) -> PathBuf {
    let path = path.trim();
    let below_home = path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\"));
    if let (Some(rest), Some(home)) = (below_home, env("HOME").or_else(|| env("USERPROFILE"))) {
        return Path::new(&home).join(rest);
    }
    match cwd {
        Some(cwd) if Path::new(path).is_relative() => Path::new(cwd).join(path),
        _ => PathBuf::from(path),
    }
}

/// `instance`: an `ARRAffinity` value or the number `probe --instances` printed (Helix sends an
/// all-digit value as a number), for ws/wss only. Validated here: it goes into HTTP heads.
fn instance(args: &Map<String, Value>, scheme: Scheme) -> Result<Option<Instance>, String> {
    let Some(text) = text_argument(args, "instance")?.filter(|text| !text.trim().is_empty()) else {
        return Ok(None);
    };
    let instance = Instance::parse(&text)?;
    if !scheme.is_websocket() {
        return Err(format!(
            "'instance' picks an instance of a scaled-out site behind App Service's front end, which routes \
             WebSockets only: it needs a ws:// or wss:// link (or 'site'), not {}://",
            scheme.name()
        ));
    }
    Ok(Some(instance))
}

fn connect_timeout(args: &Map<String, Value>) -> Result<Duration, String> {
    seconds_argument(args, "connectTimeout", DEFAULT_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT_SECS)
}

fn long_stop_warning(args: &Map<String, Value>, scheme: Scheme) -> Result<Option<Duration>, String> {
    if matches!(args.get("longStopWarning"), Some(Value::Number(n)) if n.as_f64() == Some(0.0)) {
        return Ok(None);
    }
    let explicit = !matches!(args.get("longStopWarning"), None | Some(Value::Null));
    let seconds = seconds_argument(args, "longStopWarning", DEFAULT_LONG_STOP_WARNING, MAX_CONNECT_TIMEOUT_SECS)?;
    Ok((explicit || scheme != Scheme::Tcp).then_some(seconds))
}

/// A duration in seconds, at least 1 and at most `max_seconds`; numbers or numeric strings.
fn seconds_argument(
    args: &Map<String, Value>,
    name: &str,
    default: Duration,
    max_seconds: u64,
) -> Result<Duration, String> {
    let problem =
        || format!("'{name}' must be a number of seconds from 1 to {max_seconds} (default {})", default.as_secs());
    let seconds = match args.get(name) {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match seconds {
        Some(seconds) if (1.0..=max_seconds as f64).contains(&seconds) => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(problem()),
    }
}

fn ca_file(
    args: &Map<String, Value>,
    cwd: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, String> {
    let Some(path) = text_argument(args, "caFile")?.filter(|p| !p.trim().is_empty()) else {
        return Ok(None);
    };
    let path = resolve_path(&path, cwd, env);
    let shown = path.display();
    // Asked before opening: Windows refuses to open a directory as a file ("access denied").
    if std::fs::metadata(&path).is_ok_and(|metadata| metadata.is_dir()) {
        return Err(format!("'caFile' '{shown}' is a directory; give a PEM file of CA certificates"));
    }
    match std::fs::File::open(&path) {
        Ok(_) => Ok(Some(path)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("'caFile' '{shown}' does not exist; give a PEM file of CA certificates"))
        }
        Err(error) => Err(format!("'caFile' '{shown}' cannot be read: {error}")),
    }
}

fn target_from_parts(args: &Map<String, Value>) -> Result<Target, String> {
    let host = text_argument(args, "host")?.ok_or_else(|| format!("missing the debuggee's address: give 'url' or 'host', e.g. {EXAMPLE}, or 'site' for App Service, e.g. {SITE_EXAMPLE}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    check_host(&host, "'host'")?;
    let scheme = match text_argument(args, "transport")? {
        None => Scheme::Tcp,
        Some(name) => Scheme::parse(name.trim())
            .ok_or_else(|| format!("'transport' must be one of tcp, tcps, ws, wss (got '{name}')"))?,
    };
    let port = match args.get("port") {
        None | Some(Value::Null) => scheme.default_port(),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("'port' must be 1-65535 (got {n})"))?,
        Some(Value::String(s)) => s
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("'port' must be 1-65535 (got '{s}')"))?,
        Some(_) => return Err("'port' must be a number from 1 to 65535".into()),
    };
    let path = match (scheme, text_argument(args, "path")?) {
        (Scheme::Tcp | Scheme::Tcps, _) => String::new(),
        (_, None) => DEFAULT_WS_PATH.to_string(),
        (_, Some(path)) if path.starts_with('/') => path,
        (_, Some(path)) => format!("/{path}"),
    };
    Ok(Target {
        scheme,
        host,
        port,
        path,
        secret: Secret::default(),
        escaped_secret: None,
        legacy_tls: false,
        instance: None,
    })
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

/// The mappings given; with `site` and none given, the editor's workspace ↔ `D:\home\site\wwwroot`,
/// and either flat root alone is completed with that default.
fn path_mappings(args: &Map<String, Value>, site: bool, cwd: Option<&str>) -> Result<Vec<PathMapping>, String> {
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
    let workspace =
        || cwd.map(str::to_string).or_else(|| std::env::current_dir().ok().map(|dir| dir.display().to_string()));
    match (text_argument(args, "localRoot")?, text_argument(args, "remoteRoot")?) {
        (Some(local), Some(remote)) => mappings.push(PathMapping::new(&local, &remote)),
        (None, None) if site && mappings.is_empty() => {
            if let Some(local) = workspace() {
                mappings.push(PathMapping::new(&local, APP_SERVICE_REMOTE_ROOT));
            }
        }
        (None, None) => {}
        (Some(local), None) if site => mappings.push(PathMapping::new(&local, APP_SERVICE_REMOTE_ROOT)),
        (None, Some(remote)) if site => {
            match workspace() {
                Some(local) => mappings.push(PathMapping::new(&local, &remote)),
                None => return Err(
                    "'remoteRoot' needs 'localRoot' here: the adapter cannot tell the editor's workspace (no 'cwd')"
                        .into(),
                ),
            }
        }
        _ => return Err("'localRoot' and 'remoteRoot' go together: give both or neither".into()),
    }
    Ok(mappings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_tls_is_asked_for_explicitly_and_only_for_tcps() {
        let plain = AttachConfig::from_arguments(&json!({"url": "tcps://s@h"})).unwrap();
        assert!(!plain.target.legacy_tls);
        for args in [
            json!({"url": "tcps://s@h", "legacyTls": true}),
            json!({"url": "tcps://s@h?legacyTls"}),
            json!({"host": "h", "transport": "tcps", "legacyTls": "true"}),
        ] {
            assert!(AttachConfig::from_arguments(&args).unwrap().target.legacy_tls, "{args}");
        }
        for args in [json!({"url": "wss://s@h", "legacyTls": true}), json!({"url": "tcp://s@h?legacyTls"})] {
            let error = AttachConfig::from_arguments(&args).unwrap_err();
            assert!(error.contains("'legacyTls' is for tcps:// only"), "{error}");
        }
    }

    #[test]
    fn instance_is_an_affinity_or_a_number_for_websockets_only() {
        let value = "0a".repeat(32);
        let config = AttachConfig::from_arguments(&json!({"url": "ws://s@h/ptvsd", "instance": value})).unwrap();
        assert_eq!(config.target.instance, Some(Instance::parse(&value).unwrap()));
        // Helix sends an all-digit value as a number.
        let config = AttachConfig::from_arguments(&json!({"site": "app", "secret": "s", "instance": 3})).unwrap();
        assert_eq!(config.target.instance, Some(Instance::Number(3)));
        let config = AttachConfig::from_arguments(&json!({"url": "wss://s@h", "instance": ""})).unwrap();
        assert_eq!(config.target.instance, None);
        for wrong in [json!("abc\r\nX-Evil: 1"), json!(0), json!(101), json!(value[1..]), json!(true)] {
            let error = AttachConfig::from_arguments(&json!({"url": "ws://s@h", "instance": wrong})).unwrap_err();
            assert!(error.contains("'instance'") && !error.contains("Evil"), "{error}");
        }
        let error = AttachConfig::from_arguments(&json!({"url": "tcp://s@h", "instance": 1})).unwrap_err();
        assert!(error.contains("ws:// or wss://"), "{error}");
    }

    #[test]
    fn url_or_parts() {
        let config = AttachConfig::from_arguments(&json!({"url": "ws://s@h:81/x", "cwd": "/ignored"})).unwrap();
        assert_eq!(config.target.to_string(), "ws://h:81/x");
        assert!(config.redirect_output);
        let parts =
            AttachConfig::from_arguments(&json!({"host": "h", "port": "5679", "secret": 7, "redirectOutput": false}))
                .unwrap();
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
        assert!(AttachConfig::from_arguments(&json!({"url": "tcp://h", "localRoot": "/a"}))
            .unwrap_err()
            .contains("remoteRoot"));
        assert!(AttachConfig::from_arguments(&json!({"url": "tcp://h", "pathMappings": [{"localRoot": "/a"}]}))
            .unwrap_err()
            .contains("pathMappings[0]"));
    }

    use crate::config::web_debug_config::test_files::TempFile;
    use crate::session::paths::PathMapper;

    const SECRET: &str = "Sup3r-S3cret!";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn env_with_secret(name: &str) -> Option<String> {
        (name == SECRET_ENV).then(|| "from-env".to_string())
    }

    fn config_file(secret: &str) -> TempFile {
        TempFile::new(
            format!(
                "\u{feff}<?xml version=\"1.0\"?>\n<configuration xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\">\n\
                 <appSettings><add key=\"WSGI_PTVSD_SECRET\" value=\"{secret}\" xdt:Transform=\"Insert\"/></appSettings></configuration>\n"
            )
            .as_bytes(),
        )
    }

    fn attach(arguments: Value) -> Result<AttachConfig, String> {
        AttachConfig::from_arguments_with(&arguments, no_env)
    }

    #[test]
    fn secret_precedence_is_url_argument_file_environment() {
        let file = config_file("from-file");
        let wdc = file.path.display().to_string();
        let resolve = |arguments: Value| {
            let config = AttachConfig::from_arguments_with(&arguments, env_with_secret).unwrap();
            (config.target.secret.expose().to_string(), config.secret_source)
        };
        assert_eq!(
            resolve(json!({"url": "wss://from-url@h/ptvsd", "secret": "from-arg", "webDebugConfig": wdc})),
            ("from-url".into(), SecretSource::Url)
        );
        assert_eq!(
            resolve(json!({"url": "wss://h/ptvsd", "secret": "from-arg", "webDebugConfig": wdc})),
            ("from-arg".into(), SecretSource::Argument)
        );
        assert_eq!(
            resolve(json!({"host": "h", "secret": 7, "webDebugConfig": wdc})),
            ("7".into(), SecretSource::Argument)
        );
        assert_eq!(
            resolve(json!({"site": "myapp", "webDebugConfig": wdc})),
            ("from-file".into(), SecretSource::WebDebugConfig(file.path.clone()))
        );
        assert_eq!(resolve(json!({"site": "myapp"})), ("from-env".into(), SecretSource::Environment));
        assert_eq!(resolve(json!({"host": "h", "secret": ""})), ("from-env".into(), SecretSource::Environment));
        let none = attach(json!({"host": "h"})).unwrap();
        assert_eq!((none.target.secret.expose(), none.secret_source), ("", SecretSource::None));
        // A file that is given but has no key is an error, not a fall-back to the environment.
        let keyless = TempFile::new(b"<configuration><appSettings/></configuration>");
        let error = AttachConfig::from_arguments_with(
            &json!({"site": "myapp", "webDebugConfig": keyless.path}),
            env_with_secret,
        )
        .unwrap_err();
        assert!(error.contains(&keyless.path.display().to_string()) && error.contains("WSGI_PTVSD_SECRET"), "{error}");
        // The source is named without the value.
        let shown = SecretSource::WebDebugConfig(file.path.clone()).to_string();
        assert!(shown.contains("WSGI_PTVSD_SECRET") && shown.contains(&wdc) && !shown.contains("from-file"));
    }

    #[test]
    fn web_debug_config_is_relative_to_the_workspace() {
        let file = config_file("rel");
        let dir = file.path.parent().unwrap().display().to_string();
        let config = attach(json!({"site": "myapp", "webDebugConfig": "web.debug.config", "cwd": dir})).unwrap();
        assert_eq!(config.target.secret.expose(), "rel");
        let home = |name: &str| (name == "HOME").then(|| dir.clone());
        let config =
            AttachConfig::from_arguments_with(&json!({"site": "myapp", "webDebugConfig": "~/web.debug.config"}), home)
                .unwrap();
        assert_eq!(config.target.secret.expose(), "rel");
        // Windows: no HOME, the profile folder instead, and a backslash after the tilde.
        let profile = |name: &str| (name == "USERPROFILE").then(|| dir.clone());
        let config = AttachConfig::from_arguments_with(
            &json!({"site": "myapp", "webDebugConfig": "~\\web.debug.config"}),
            profile,
        )
        .unwrap();
        assert_eq!(config.target.secret.expose(), "rel");
    }

    #[test]
    fn site_forms() {
        for form in [
            "myapp",
            "MyApp",
            "myapp.azurewebsites.net",
            " myapp.azurewebsites.net. ",
            "https://myapp.azurewebsites.net/",
            "wss://myapp.azurewebsites.net/ptvsd",
            "http://myapp",
        ] {
            assert_eq!(site_host(form).as_deref(), Ok("myapp.azurewebsites.net"), "{form}");
        }
        assert_eq!(site_host("debug.contoso.com").as_deref(), Ok("debug.contoso.com"));
        assert_eq!(site_host("myapp-staging").as_deref(), Ok("myapp-staging.azurewebsites.net"));
        for (bad, says) in [
            ("", "empty"),
            ("https://", "empty"),
            ("ftp://myapp", "'url'"),
            ("myapp.azurewebsites.net/api", "path"),
            ("myapp:8080", "port"),
            ("my_app", "valid site name"),
            ("-myapp", "valid site name"),
            ("myapp..net", "valid site name"),
            ("myapp.scm.azurewebsites.net", "Kudu"),
            ("hush@myapp", "secret"),
            ("myapp\r\nX-Injected: 1", "carriage return"),
            ("my app", "a space"),
        ] {
            let error = site_host(bad).unwrap_err();
            assert!(error.contains("'site'") && error.contains(says), "{bad}: {error}");
            assert!(!error.contains("hush") && !error.contains(['\r', '\n']), "{error:?}");
        }
        let config = attach(json!({"site": "myapp", "secret": SECRET})).unwrap();
        assert_eq!(config.target.websocket_url(), "wss://myapp.azurewebsites.net:443/ptvsd");
        assert_eq!(config.site.as_deref(), Some("myapp.azurewebsites.net"));
    }

    #[test]
    fn site_conflicts_and_a_missing_secret() {
        assert!(attach(json!({"site": "myapp", "url": "wss://h"})).unwrap_err().contains("'site' and 'url'"));
        assert!(attach(json!({"site": "myapp", "host": "h"})).unwrap_err().contains("'site' and 'host'"));
        for part in ["port", "transport", "path"] {
            let error = attach(json!({"site": "myapp", "secret": "x", part: "1"})).unwrap_err();
            assert!(error.contains(&format!("remove '{part}'")), "{error}");
        }
        let error = attach(json!({"site": "myapp"})).unwrap_err();
        for named in ["webDebugConfig", "WSGI_PTVSD_SECRET", "secret", "PTVSD_SECRET"] {
            assert!(error.contains(named), "{error}");
        }
    }

    #[test]
    fn site_defaults_to_the_app_service_root() {
        let config = attach(json!({"site": "myapp", "secret": "x", "cwd": "/home/me/proj"})).unwrap();
        assert_eq!(config.path_mappings, vec![PathMapping::new("/home/me/proj", r"D:\home\site\wwwroot")]);
        let mapper = PathMapper::new(config.path_mappings);
        assert_eq!(mapper.to_remote("/home/me/proj/app/views.py"), r"D:\home\site\wwwroot\app\views.py");
        assert_eq!(mapper.to_local(r"d:\HOME\site\wwwroot\app\views.py"), "/home/me/proj/app/views.py");
        // Without 'cwd', the adapter's current directory stands for the workspace.
        let here = std::env::current_dir().unwrap().display().to_string();
        let config = attach(json!({"site": "myapp", "secret": "x"})).unwrap();
        assert_eq!(config.path_mappings, vec![PathMapping::new(&here, APP_SERVICE_REMOTE_ROOT)]);
        // Given mappings win; one flat root is completed by the default for the other.
        let given = attach(json!({"site": "myapp", "secret": "x", "cwd": "/w", "pathMappings": [{"localRoot": "/a", "remoteRoot": "/b"}]})).unwrap();
        assert_eq!(given.path_mappings, vec![PathMapping::new("/a", "/b")]);
        let local = attach(json!({"site": "myapp", "secret": "x", "cwd": "/w", "localRoot": "/src"})).unwrap();
        assert_eq!(local.path_mappings, vec![PathMapping::new("/src", APP_SERVICE_REMOTE_ROOT)]);
        let remote =
            attach(json!({"site": "myapp", "secret": "x", "cwd": "/w", "remoteRoot": r"D:\home\site\wwwroot\app"}))
                .unwrap();
        assert_eq!(remote.path_mappings, vec![PathMapping::new("/w", r"D:\home\site\wwwroot\app")]);
        // No default without 'site'.
        assert!(attach(json!({"url": "wss://h", "cwd": "/w"})).unwrap().path_mappings.is_empty());
        assert_eq!(local.client_cwd.as_deref(), Some("/w"));
        assert_eq!(attach(json!({"url": "wss://h", "cwd": {"odd": 1}})).unwrap().client_cwd, None);
    }

    #[test]
    fn tcps_by_url_or_transport() {
        for arguments in [
            json!({"url": "tcps://s@h:5678"}),
            json!({"url": " TCPS://s@h"}),
            json!({"host": "h", "transport": " tcps ", "secret": "s"}),
        ] {
            let config = attach(arguments.clone()).unwrap_or_else(|error| panic!("{arguments}: {error}"));
            assert_eq!(
                (config.target.scheme, config.target.port, config.target.path.as_str()),
                (Scheme::Tcps, 5678, ""),
                "{arguments}"
            );
            assert_eq!(config.target.to_string(), "tcps://h:5678");
        }
        let with_trust =
            attach(json!({"host": "h", "transport": "tcps", "port": 6000, "path": "/ignored", "insecure": true}))
                .unwrap();
        assert_eq!((with_trust.target.port, with_trust.target.path.as_str(), with_trust.insecure), (6000, "", true));
        assert!(attach(json!({"url": "tcps://h/ptvsd"})).unwrap_err().contains("no path"));
        assert!(attach(json!({"host": "h", "transport": "tls"})).unwrap_err().contains("tcp, tcps, ws, wss"));
    }

    #[test]
    fn connection_settings() {
        let defaults = attach(json!({"host": "h"})).unwrap();
        assert_eq!(
            (defaults.connect_timeout, defaults.ca_file.clone(), defaults.insecure, defaults.client_cwd.clone()),
            (DEFAULT_CONNECT_TIMEOUT, None, false, None)
        );
        assert_eq!(attach(json!({"host": "h", "connectTimeout": 1})).unwrap().connect_timeout, Duration::from_secs(1));
        assert_eq!(
            attach(json!({"host": "h", "connectTimeout": "600"})).unwrap().connect_timeout,
            Duration::from_secs(600)
        );
        assert_eq!(
            attach(json!({"host": "h", "connectTimeout": 2.5})).unwrap().connect_timeout,
            Duration::from_millis(2500)
        );
        for bad in [json!(0), json!(601), json!(0.5), json!(-3), json!("soon"), json!(true)] {
            let error = attach(json!({"host": "h", "connectTimeout": bad})).unwrap_err();
            assert!(error.contains("'connectTimeout'") && error.contains("1 to 600"), "{error}");
        }
        assert!(attach(json!({"host": "h", "insecure": true})).unwrap().insecure);
        assert!(attach(json!({"host": "h", "insecure": "yes"})).unwrap_err().contains("'insecure'"));
        let ca = TempFile::new(b"-----BEGIN CERTIFICATE-----\n");
        let dir = ca.path.parent().unwrap().display().to_string();
        assert_eq!(attach(json!({"host": "h", "caFile": ca.path})).unwrap().ca_file, Some(ca.path.clone()));
        assert_eq!(
            attach(json!({"host": "h", "caFile": "web.debug.config", "cwd": dir})).unwrap().ca_file,
            Some(ca.path.clone())
        );
        let missing = attach(json!({"host": "h", "caFile": "/no/such/ca.pem"})).unwrap_err();
        assert!(
            missing.contains("'caFile'") && missing.contains("/no/such/ca.pem") && missing.contains("does not exist"),
            "{missing}"
        );
        assert!(attach(json!({"host": "h", "caFile": dir})).unwrap_err().contains("directory"));
    }

    #[test]
    fn errors_never_contain_the_secret() {
        let good = config_file(SECRET);
        let broken = TempFile::new(format!(r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="{SECRET}"/></appSetting></configuration>"#).as_bytes());
        let bad_entity = TempFile::new(format!(r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="a&{SECRET};"/></appSettings></configuration>"#).as_bytes());
        let url = format!("wss://{SECRET}@h/ptvsd");
        let cases = [
            json!({"url": format!("ftp://{SECRET}@h")}),
            json!({"url": format!("tcps://{SECRET}@h/ptvsd")}),
            json!({"url": format!("tcp://{SECRET}@h/x")}),
            json!({"url": format!("tcp://{SECRET}@h?opt=x")}),
            json!({"url": format!("tcp://{SECRET}@")}),
            json!({"url": url, "connectTimeout": 0}),
            json!({"url": url, "caFile": "/no/such/ca.pem"}),
            json!({"url": url, "redirectOutput": "maybe"}),
            json!({"url": url, "pathMappings": 5}),
            json!({"url": url, "localRoot": "/a"}),
            json!({"url": url, "insecure": "yes"}),
            json!({"url": url, "site": "myapp"}),
            json!({"host": "h", "secret": SECRET, "port": 0}),
            json!({"host": "h", "secret": SECRET, "transport": "tcps", "port": 0}),
            json!({"host": "h", "secret": SECRET, "transport": "udp"}),
            json!({"host": "h", "secret": SECRET, "connectTimeout": 9999}),
            json!({"secret": SECRET}),
            json!({"site": format!("{SECRET}@myapp")}),
            json!({"site": format!("https://{SECRET}@myapp.azurewebsites.net/")}),
            json!({"site": "myapp", "secret": SECRET, "port": 443}),
            json!({"site": "myapp", "secret": SECRET, "host": "h"}),
            json!({"site": "myapp.scm.azurewebsites.net", "secret": SECRET}),
            json!({"site": "myapp", "webDebugConfig": broken.path}),
            json!({"site": "myapp", "webDebugConfig": bad_entity.path}),
            json!({"site": "myapp", "webDebugConfig": good.path, "connectTimeout": "never"}),
            json!({"site": "myapp", "webDebugConfig": good.path, "caFile": good.path.parent()}),
            json!({"site": "myapp", "webDebugConfig": good.path, "remoteRoot": "/x", "pathMappings": [{"localRoot": "/a"}]}),
            json!({"site": "my app", "webDebugConfig": good.path}),
        ];
        let secret_env = |name: &str| (name == SECRET_ENV).then(|| SECRET.to_string());
        for arguments in cases {
            for error in [
                AttachConfig::from_arguments_with(&arguments, no_env),
                AttachConfig::from_arguments_with(&arguments, secret_env),
            ] {
                let error = error.expect_err(&arguments.to_string().replace(SECRET, "<s>"));
                assert!(!error.contains(SECRET) && !error.contains("Sup3r"), "{error}");
            }
        }
        // Every success hides it too.
        for arguments in [
            json!({"url": url}),
            json!({"site": "myapp", "webDebugConfig": good.path}),
            json!({"host": "h", "secret": SECRET}),
        ] {
            let config = attach(arguments).unwrap();
            assert_eq!(config.target.secret.expose(), SECRET);
            assert!(!format!("{config:?} {} {}", config.target, config.secret_source).contains(SECRET));
        }
        let config = AttachConfig::from_arguments_with(&json!({"site": "myapp"}), secret_env).unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
