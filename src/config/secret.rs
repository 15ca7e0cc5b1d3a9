//! The ptvsd secret, held so that it cannot leak through logs, errors or panics.

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;

/// What the log replaces a secret's text with.
pub const REDACTED: &str = "<redacted>";
/// The most secret texts remembered for redaction (a session has a few: the secret, its form
/// as written in the URL, a proxy's credentials).
const MAX_REMEMBERED: usize = 64;

/// Every secret text this process has held, in the forms it may be written in, longest first:
/// whatever the log writes is cleaned of them ([`redact`]).
static REMEMBERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The shared secret of `ptvsd.enable_attach(secret)`; also a proxy's `Proxy-Authorization`.
///
/// `Debug` and `Display` print `<redacted>`, and there is deliberately no `Serialize`:
/// the only way to read the value is [`Secret::expose`], which the handshake encoder (and the
/// proxy's CONNECT request) calls.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let secret = Secret(value.into());
        remember(&secret.0);
        secret
    }

    /// The raw value, for the ptvsd handshake (or the proxy's CONNECT) and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Adds `value` and the forms it takes once escaped (a JSON string, a Rust debug string) to the
/// texts [`redact`] removes.
fn remember(value: &str) {
    if value.is_empty() {
        return;
    }
    let json = serde_json::to_string(value).unwrap_or_default();
    let debug = format!("{value:?}");
    let forms = [value, json.trim_matches('"'), debug.trim_matches('"')];
    let Ok(mut remembered) = REMEMBERED.lock() else { return };
    for form in forms {
        if !form.is_empty() && !remembered.iter().any(|known| known == form) && remembered.len() < MAX_REMEMBERED {
            remembered.push(form.to_string());
        }
    }
    remembered.sort_by_key(|known| std::cmp::Reverse(known.len()));
}

/// `text` with every secret this process holds replaced by [`REDACTED`]. For the log, which
/// writes what the debuggee sends (a program can show its own secret in a variable).
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(remembered) = REMEMBERED.lock() else { return Cow::Owned(REDACTED.to_string()) };
    let mut text = Cow::Borrowed(text);
    for secret in remembered.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_held_is_redacted_from_text_in_its_escaped_forms_too() {
        let _secret = Secret::new("pa\"ss-redact-me");
        let _other = Secret::new("second-redact-me");
        assert_eq!(redact("a pa\"ss-redact-me b"), "a <redacted> b");
        assert_eq!(redact(r#"{"argv": "pa\"ss-redact-me"}"#), r#"{"argv": "<redacted>"}"#);
        assert_eq!(redact("second-redact-me, second-redact-me"), "<redacted>, <redacted>");
        // Other tests of this process hold secrets too (one-letter ones among them, under a
        // single-process runner such as the Windows one): a text of no test's letters.
        assert!(matches!(redact("\u{2603} \u{2603}"), Cow::Borrowed(_)));
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }
}
