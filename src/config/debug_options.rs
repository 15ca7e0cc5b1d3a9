//! ptvsd's debug options (the `ATCH` options string, §3.3), from the attach arguments
//! (`debugOptions`, `django`, `justMyCode`) and from the query of a Visual Studio-era URL
//! (`?opt=`, `?sd=&td=`, `?host=`, §1.1).

use serde_json::{Map, Value};
use url::Url;

/// Options that mean something for a remote attach.
const KNOWN: [&str; 5] =
    ["RedirectOutput", "DebugStdLib", "BreakOnSystemExitZero", "DjangoDebugging", "RichExceptions"];
/// Options that make the remote program wait for a key on its own stdin at exit: on a web
/// server nobody can press it, so the worker would hang (§3.3).
const REFUSED: [&str; 2] = ["WaitOnNormalExit", "WaitOnAbnormalExit"];

/// What a URL's query said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlQuery {
    pub debug_options: Vec<String>,
    /// `sd` (local directory) and `td` (remote directory).
    pub mapping: Option<(String, String)>,
    /// `host=`: informational in Visual Studio, kept for the log.
    pub host_type: Option<String>,
    /// `legacyTls` (bare, or `=true`): a tcps link may fall back to TLS 1.0 (see `transport::tcps`).
    pub legacy_tls: bool,
}

/// Reads the query of a `url` argument (no scheme means tcp).
pub fn parse_url_query(text: &str) -> Result<UrlQuery, String> {
    let text = text.trim();
    let with_scheme = if text.contains("://") { text.to_string() } else { format!("tcp://{text}") };
    let Ok(url) = Url::parse(&with_scheme) else { return Ok(UrlQuery::default()) };
    let mut query = UrlQuery::default();
    let (mut local, mut remote) = (None, None);
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "opt" => query.debug_options.extend(split_options(&value)),
            "sd" => local = Some(value.into_owned()),
            "td" => remote = Some(value.into_owned()),
            "host" => query.host_type = Some(value.into_owned()),
            "legacyTls" => {
                query.legacy_tls = match value.as_ref() {
                    "" | "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err("'url': legacyTls takes no value, or true or false".to_string()),
                }
            }
            other => {
                return Err(format!(
                    "'url': unknown query key '{other}': Visual Studio URLs understood opt=, sd=, td= and host=, and \
                     tcps:// URLs legacyTls; use the attach arguments (debugOptions, pathMappings) for anything else"
                ))
            }
        }
    }
    query.mapping = match (local, remote) {
        (Some(local), Some(remote)) => Some((local, remote)),
        (None, None) => None,
        _ => return Err("'url': sd= (the local directory) and td= (the remote one) go together".to_string()),
    };
    Ok(query)
}

fn split_options(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(',').map(str::trim).filter(|name| !name.is_empty()).map(str::to_string)
}

/// The options string for `ATCH`. `RedirectOutput` always (ptvsd adds it anyway, §3.3) and
/// `RichExceptions` (ptvsd 3.0 then sends tracebacks; other releases ignore the name).
pub fn options_string(args: &Map<String, Value>, from_url: &[String]) -> Result<String, String> {
    let mut names: Vec<String> = vec!["RedirectOutput".into(), "RichExceptions".into()];
    let mut requested: Vec<String> = from_url.to_vec();
    match args.get("debugOptions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let name = item.as_str().ok_or("'debugOptions' must be a list of option names (strings)")?;
                requested.extend(split_options(name));
            }
        }
        Some(Value::String(text)) => requested.extend(split_options(text)),
        Some(_) => return Err("'debugOptions' must be a list of option names, e.g. [\"DjangoDebugging\"]".into()),
    }
    if flag(args, "django")? == Some(true) {
        requested.push("DjangoDebugging".into());
    }
    match flag(args, "justMyCode")? {
        Some(false) => requested.push("DebugStdLib".into()),
        Some(true) if requested.iter().any(|name| name == "DebugStdLib") => {
            return Err("'justMyCode': true contradicts the debug option DebugStdLib: drop one of them".into())
        }
        _ => {}
    }
    for name in requested {
        if REFUSED.contains(&name.as_str()) {
            return Err(format!(
                "the debug option {name} is refused: it makes the remote program wait for a key press on its own \
                 console when it exits, which would hang a web server's worker"
            ));
        }
        if !KNOWN.contains(&name.as_str()) {
            return Err(format!("unknown debug option '{name}': use {}", KNOWN.join(", ")));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names.join(", "))
}

fn flag(args: &Map<String, Value>, name: &str) -> Result<Option<bool>, String> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(Value::String(text)) if text == "true" || text == "false" => Ok(Some(text == "true")),
        Some(_) => Err(format!("'{name}' must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(args: Value, url_options: &[&str]) -> Result<String, String> {
        let url_options: Vec<String> = url_options.iter().map(|s| s.to_string()).collect();
        options_string(args.as_object().unwrap_or(&Map::new()), &url_options)
    }

    #[test]
    fn query_keys_of_visual_studio_urls() {
        let query = parse_url_query("tcp://s@h:5678?opt=DjangoDebugging&opt=BreakOnSystemExitZero,DebugStdLib&sd=C:%5Cproj&td=/srv/app&host=Linux").unwrap();
        assert_eq!(query.debug_options, vec!["DjangoDebugging", "BreakOnSystemExitZero", "DebugStdLib"]);
        assert_eq!(query.mapping, Some(("C:\\proj".to_string(), "/srv/app".to_string())));
        assert_eq!(query.host_type.as_deref(), Some("Linux"));
        assert!(!query.legacy_tls);
        assert!(parse_url_query("tcps://s@h?legacyTls").unwrap().legacy_tls);
        assert!(parse_url_query("tcps://s@h?legacyTls=true").unwrap().legacy_tls);
        assert!(!parse_url_query("tcps://s@h?legacyTls=false").unwrap().legacy_tls);
        assert!(parse_url_query("tcps://s@h?legacyTls=maybe").is_err());
        assert!(parse_url_query("tcp://h?bogus=1").unwrap_err().contains("'bogus'"));
        assert!(parse_url_query("tcp://h?sd=/a").unwrap_err().contains("td="));
        assert_eq!(parse_url_query("h:5678").unwrap(), UrlQuery::default());
    }

    #[test]
    fn options_from_arguments() {
        assert_eq!(options(json!({}), &[]).unwrap(), "RedirectOutput, RichExceptions");
        assert_eq!(
            options(
                json!({"django": true, "justMyCode": false, "debugOptions": ["BreakOnSystemExitZero"]}),
                &["DjangoDebugging"]
            )
            .unwrap(),
            "RedirectOutput, RichExceptions, DjangoDebugging, BreakOnSystemExitZero, DebugStdLib"
        );
        assert!(options(json!({"debugOptions": ["WaitOnAbnormalExit"]}), &[])
            .unwrap_err()
            .contains("WaitOnAbnormalExit is refused"));
        assert!(options(json!({}), &["WaitOnNormalExit"]).unwrap_err().contains("refused"));
        assert!(options(json!({"debugOptions": ["Frobnicate"]}), &[]).unwrap_err().contains("'Frobnicate'"));
        assert!(options(json!({"justMyCode": true, "debugOptions": ["DebugStdLib"]}), &[]).is_err());
        assert!(options(json!({"debugOptions": 3}), &[]).is_err());
    }
}
