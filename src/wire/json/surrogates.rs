//! Lone UTF-16 surrogate escapes in ptvsd's JSON.
//!
//! Python's `json.dumps` escapes a lone surrogate as `\udcff`. Python 3 puts them in strings
//! decoded with `surrogateescape`, e.g. a file name with bytes that are not UTF-8 (module paths,
//! frame file names). `serde_json` refuses such escapes, which would make one odd file name
//! fatal for the connection; they become U+FFFD instead, as invalid UTF-8 does (§2.2).

use std::borrow::Cow;

const REPLACEMENT: &str = "\\ufffd";

/// Rewrites every `\uXXXX` escape of an unpaired surrogate in `json` as `\ufffd`.
pub(super) fn replace_lone_surrogate_escapes(json: &str) -> Cow<'_, str> {
    let bytes = json.as_bytes();
    let mut fixed: Option<String> = None;
    let mut copied_up_to = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Straight to the next escape: most of a message has none. (Skipping an escaped
        // character can land inside a multi-byte one in broken JSON: step over it.)
        let Some(rest) = json.get(i..) else {
            i += 1;
            continue;
        };
        let Some(offset) = rest.find('\\') else { break };
        i += offset;
        let Some(unit) = escaped_unit(bytes, i) else {
            // `\\`, `\"`, `\n` …: skip the escaped character so `\\u` is not mistaken for `\u`.
            i += 2;
            continue;
        };
        let paired = (0xD800..0xDC00).contains(&unit)
            && escaped_unit(bytes, i + 6).is_some_and(|next| (0xDC00..0xE000).contains(&next));
        if paired {
            i += 12;
        } else if (0xD800..0xE000).contains(&unit) {
            let out = fixed.get_or_insert_with(|| String::with_capacity(json.len()));
            out.push_str(&json[copied_up_to..i]);
            out.push_str(REPLACEMENT);
            i += 6;
            copied_up_to = i;
        } else {
            i += 6;
        }
    }
    match fixed {
        Some(mut out) => {
            out.push_str(&json[copied_up_to..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(json),
    }
}

/// The code unit of a `\uXXXX` escape starting at `at`, if there is one.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(json: &str) -> String {
        serde_json::from_str(&replace_lone_surrogate_escapes(json)).unwrap()
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(parsed(r#""/srv/caf\udce9.py""#), "/srv/caf\u{fffd}.py");
        assert_eq!(parsed(r#""\ud83d x""#), "\u{fffd} x");
        assert_eq!(parsed(r#""end\ud83d""#), "end\u{fffd}");
        assert_eq!(parsed(r#""\udcff\udcfe""#), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn an_escaped_multibyte_character_is_stepped_over() {
        assert_eq!(replace_lone_surrogate_escapes("\"\\\u{e9}\\udcff\""), "\"\\\u{e9}\\ufffd\"");
    }

    #[test]
    fn valid_escapes_are_left_alone() {
        for json in [r#""\ud83d\ude00 caf\u00e9""#, r#""back\\udcff slash""#, r#""q\"\\""#, "\"plain\""] {
            assert!(matches!(replace_lone_surrogate_escapes(json), Cow::Borrowed(_)), "{json}");
        }
        assert_eq!(parsed(r#""\ud83d\ude00""#), "😀");
        assert_eq!(parsed(r#""back\\udcff""#), "back\\udcff");
    }

    #[test]
    fn truncated_escapes_do_not_panic() {
        for json in ["\\", "\\u", "\\ud8", "\"\\ud83d\\u", "\\ud83d\\udc", "é\\u00"] {
            let _ = replace_lone_surrogate_escapes(json);
        }
    }
}
