//! Bounds on the debuggee's text in one DAP message. A string can reach ptvsd's own limits
//! (64 MiB on the wire, more once JSON escapes it); a message that large stalls or breaks the
//! editor. Values are shortened with a note saying so, and "Copy Value" (the `clipboard`
//! evaluate context) still carries the whole value up to the largest bound; program output is
//! split into several events instead, so none of it is lost.
//!
//! Sizes are counted as the text takes in the JSON message (escapes included).

/// A value in a `variables` answer: the editor shows one line of it.
pub const LISTED_VALUE: usize = 8 * 1024;
/// All the values of one `variables` answer together (a page has up to 1,000, a frame more).
pub const LISTED_VALUES_IN_ONE_ANSWER: usize = 8 * 1024 * 1024;
/// Below this, a listed value is not shortened further, whatever is left of the budget.
const LISTED_VALUE_FLOOR: usize = 256;
/// An `evaluate` result or a `setVariable` value (debug console, watch, hover).
pub const EVALUATED_VALUE: usize = 1024 * 1024;
/// "Copy Value" and a remote file's text: the whole of it, up to what one message should carry.
pub const WHOLE_VALUE: usize = 12 * 1024 * 1024;
/// One `output` event; longer output goes out in several.
pub const OUTPUT_CHUNK: usize = 1024 * 1024;
/// An exception's message and traceback, in a `stopped` description or in `exceptionInfo`.
pub const EXCEPTION_TEXT: usize = 64 * 1024;

/// What the note at the end of a shortened text tells the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// The whole value is a "Copy Value" away.
    CopyValue,
    /// Nothing more can be had through the editor.
    NotShown,
}

/// `text`, cut so that it and its note take at most `max` bytes in JSON.
pub fn shorten(text: String, max: usize, rest: Rest) -> String {
    if escaped_len(&text) <= max {
        return text;
    }
    let total_chars = text.chars().count();
    let note_for = |kept_chars: usize| match rest {
        Rest::CopyValue => {
            format!("... [ptvsd-dap: {} more characters; Copy Value gives the whole value]", total_chars - kept_chars)
        }
        Rest::NotShown => format!("... [ptvsd-dap: {} more characters not shown]", total_chars - kept_chars),
    };
    // The note's length depends little on the count: budget for the longest it can be.
    let budget = max.saturating_sub(escaped_len(&note_for(0)));
    let (end, kept_chars) = prefix_within(&text, budget);
    let note = note_for(kept_chars);
    let mut shortened = text;
    shortened.truncate(end);
    shortened.push_str(&note);
    shortened
}

/// Splits `text` into pieces of at most `max` bytes in JSON each, at character boundaries.
pub fn split(text: &str, max: usize) -> Vec<&str> {
    // No character takes more than 6 bytes per byte of it in JSON (`\u001f`): most output is
    // far below the bound, and need not be walked character by character.
    if !text.is_empty() && text.len().saturating_mul(6) <= max {
        return vec![text];
    }
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (end, _) = prefix_within(rest, max.max(6));
        let end = if end == 0 { rest.chars().next().map_or(rest.len(), char::len_utf8) } else { end };
        pieces.push(&rest[..end]);
        rest = &rest[end..];
    }
    pieces
}

/// A budget shared by the values of one `variables` answer.
#[derive(Debug)]
pub struct ListedValues {
    remaining: usize,
}

impl Default for ListedValues {
    fn default() -> Self {
        ListedValues { remaining: LISTED_VALUES_IN_ONE_ANSWER }
    }
}

impl ListedValues {
    /// The value as this answer can carry it.
    pub fn fit(&mut self, value: String) -> String {
        let max = LISTED_VALUE.min(self.remaining).max(LISTED_VALUE_FLOOR);
        let value = shorten(value, max, Rest::CopyValue);
        self.remaining = self.remaining.saturating_sub(escaped_len(&value));
        value
    }
}

/// The byte length of `text`'s longest prefix that takes at most `max` bytes in JSON, and its
/// number of characters.
fn prefix_within(text: &str, max: usize) -> (usize, usize) {
    let mut escaped = 0;
    let mut chars = 0;
    for (index, c) in text.char_indices() {
        escaped += escaped_char_len(c);
        if escaped > max {
            return (index, chars);
        }
        chars += 1;
    }
    (text.len(), chars)
}

fn escaped_len(text: &str) -> usize {
    text.chars().map(escaped_char_len).sum()
}

/// What `c` takes inside a JSON string as serde_json writes it.
fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_len(text: &str) -> usize {
        serde_json::to_string(text).map_or(0, |json| json.len() - 2)
    }

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(shorten("'hello'".to_string(), 100, Rest::CopyValue), "'hello'");
    }

    #[test]
    fn long_text_is_cut_within_the_bound_with_a_note() {
        let long = "x".repeat(100_000);
        let shortened = shorten(long, 1000, Rest::CopyValue);
        assert!(json_len(&shortened) <= 1000, "{}", json_len(&shortened));
        assert!(shortened.starts_with("xxx"));
        assert!(shortened.ends_with("more characters; Copy Value gives the whole value]"), "{shortened}");
        let kept = shortened.chars().take_while(|c| *c == 'x').count();
        assert!(shortened.contains(&format!("[ptvsd-dap: {} more characters", 100_000 - kept)), "{shortened}");
    }

    #[test]
    fn escapes_count_and_characters_are_not_split() {
        let controls = "\u{1}".repeat(10_000);
        assert!(json_len(&shorten(controls, 600, Rest::NotShown)) <= 600);
        let wide = "日本語".repeat(10_000);
        let shortened = shorten(wide, 700, Rest::NotShown);
        assert!(json_len(&shortened) <= 700);
        assert!(shortened.ends_with("not shown]"));
        for text in ["\"quoted\\\n\t", "\u{1}\u{1f}é😀"] {
            assert_eq!(escaped_len(text), json_len(text), "{text:?}");
        }
    }

    #[test]
    fn output_is_split_not_lost() {
        let text = format!("{}\n{}", "a".repeat(2500), "é\"".repeat(1000));
        let pieces = split(&text, 1000);
        assert!(pieces.iter().all(|piece| json_len(piece) <= 1000));
        assert_eq!(pieces.concat(), text);
        assert_eq!(split("", 10), Vec::<&str>::new());
    }

    #[test]
    fn one_answer_shares_a_budget() {
        let mut values = ListedValues::default();
        let first = values.fit("v".repeat(LISTED_VALUE * 4));
        assert!(json_len(&first) <= LISTED_VALUE);
        let mut total = json_len(&first);
        for _ in 0..2000 {
            total += json_len(&values.fit("w".repeat(LISTED_VALUE)));
        }
        assert!(total <= LISTED_VALUES_IN_ONE_ANSWER + 2000 * LISTED_VALUE_FLOOR, "{total}");
        assert_eq!(values.fit("'short'".into()), "'short'", "short values are never cut");
    }
}
