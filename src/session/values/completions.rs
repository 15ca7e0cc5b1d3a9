//! `completions` for the debug console. ptvsd has no completion command, so the names are
//! listed by one evaluation in the paused frame: the frame's names (locals, globals,
//! builtins) or the attributes of a dotted name. Only plain dotted names are ever evaluated,
//! never a call or a subscript, and values are classified from dictionaries and the class, so
//! a property of the object is not run.

use dap_types::requests;
use dap_types::{CompletionItem, CompletionItemType, CompletionsArguments, CompletionsResponse};

use super::evaluation::Waiter;
use crate::dap::message::{body, Request};
use crate::session::Debugging;
use crate::wire::model::{Obj, ReprKind};

/// What is being completed: the attributes of `object`, or the frame's names, starting with
/// `prefix`; `start` is where the prefix begins on the line (UTF-16 units from 0).
#[derive(Debug, PartialEq, Eq)]
pub struct Query {
    pub object: Option<String>,
    pub prefix: String,
    pub start: usize,
}

impl Query {
    /// The dotted name that ends at the cursor, if it is one that can be completed.
    pub fn at_cursor(line_before_cursor: &str) -> Option<Query> {
        let token_start = line_before_cursor
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '.')
            .last()
            .map_or(line_before_cursor.len(), |(i, _)| i);
        let token = &line_before_cursor[token_start..];
        let start = utf16_len(&line_before_cursor[..token_start]);
        let Some((object, prefix)) = token.rsplit_once('.') else {
            return (!token.starts_with(|c: char| c.is_ascii_digit())).then(|| Query {
                object: None,
                prefix: token.to_string(),
                start,
            });
        };
        let valid_name = |part: &str| !part.is_empty() && !part.starts_with(|c: char| c.is_ascii_digit());
        if !object.split('.').all(valid_name) {
            return None;
        }
        Some(Query {
            object: Some(object.to_string()),
            prefix: prefix.to_string(),
            start: start + utf16_len(object) + 1,
        })
    }

    /// A Python expression whose value is `name:kind` words, kind being c (class), f
    /// (callable), p (property), m (module) or v.
    pub fn expression(&self) -> String {
        let prefix = serde_json::to_string(&self.prefix).unwrap_or_else(|_| "''".to_string());
        // Python 2's old-style classes are `classobj`, not `type`; their instances are all of type
        // `instance`, so their members are classified from `__class__`.
        let kind = "lambda v: 'c' if isinstance(v, type) or type(v).__name__ == 'classobj' \
                    else 'p' if isinstance(v, property) else 'f' if callable(v) \
                    else 'm' if type(v).__name__ == 'module' else 'v'";
        match &self.object {
            None => format!(
                "(lambda ns, k: ' '.join(sorted(n + ':' + k(v) for n, v in ns.items() if n.startswith({prefix}))))\
                 (dict(list((__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)).items()) \
                 + list(globals().items()) + list(locals().items())), {kind})"
            ),
            // An instance's attributes are classified from its class: `getattr` on the instance
            // would run properties.
            Some(object) => format!(
                "(lambda o, k: ' '.join(sorted(n + ':' + k(getattr(o if isinstance(o, type) or type(o).__name__ in ('module', 'classobj') \
                 else o.__class__ if type(o).__name__ == 'instance' else type(o), n, None)) \
                 for n in dir(o) if n.startswith({prefix}))))({object}, {kind})"
            ),
        }
    }
}

/// The completion items of an evaluated listing; private names only when the user typed `_`.
/// `start` counts from 0 whatever `columnsStartAt1` says: that is what debugpy sends and what
/// VS Code (a substring of the text) and nvim-dap (`start + 1` for Vim) read.
pub fn items(query: &Query, listing: &str) -> Vec<CompletionItem> {
    let show_private = query.prefix.starts_with('_');
    listing
        .split_whitespace()
        .filter_map(|word| word.rsplit_once(':'))
        .filter(|(name, _)| show_private || !name.starts_with('_'))
        .map(|(name, kind)| CompletionItem {
            label: name.to_string(),
            text: None,
            sort_text: None,
            detail: None,
            type_: Some(match (kind, query.object.is_some()) {
                ("c", _) => CompletionItemType::Class,
                ("p", _) => CompletionItemType::Property,
                ("m", _) => CompletionItemType::Module,
                ("f", true) => CompletionItemType::Method,
                ("f", false) => CompletionItemType::Function,
                (_, true) => CompletionItemType::Field,
                (_, false) => CompletionItemType::Variable,
            }),
            start: Some(query.start as u64),
            length: Some(utf16_len(&query.prefix) as u64),
            selection_start: None,
            selection_length: None,
        })
        .collect()
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The part of `line` before a cursor `column` UTF-16 units in (from 0).
fn before_cursor(line: &str, column: usize) -> &str {
    let mut units = 0;
    for (index, c) in line.char_indices() {
        if units >= column {
            return &line[..index];
        }
        units += c.len_utf16();
    }
    line
}

impl Debugging<'_> {
    pub(in crate::session) fn completions(&mut self, request: Request, arguments: CompletionsArguments) {
        let base = u64::from(self.editor.columns_start_at_1);
        let text = &arguments.text;
        let line_number = arguments.line.map_or(0, |line| line.saturating_sub(base) as usize);
        let column = arguments.column.saturating_sub(base) as usize;
        let line = text.split('\n').nth(line_number).unwrap_or_default();
        let Some(query) = Query::at_cursor(before_cursor(line, column)) else {
            self.editor
                .respond(&request, Ok(body::<requests::Completions>(CompletionsResponse { targets: Vec::new() })));
            return;
        };
        let frame_id = arguments.frame_id;
        let expression = query.expression();
        let queued = self.queue_on_frame(&request, frame_id, expression, ReprKind::Raw, |_, _| Waiter::Completions {
            seq: request.seq,
            query,
        });
        // The console asks as the user types, also while the program runs: nothing to offer
        // then is not an error.
        if queued.is_err() {
            self.editor
                .respond(&request, Ok(body::<requests::Completions>(CompletionsResponse { targets: Vec::new() })));
        }
    }

    pub(in crate::session) fn on_completions(&mut self, seq: i64, query: Query, result: Result<Obj, String>) {
        let listing = match result {
            Ok(obj) => obj.repr.unwrap_or_default(),
            // Typing goes through names that do not exist yet (`nosuch.` raises NameError):
            // nothing to offer.
            Err(error) => {
                tracing::debug!(%error, "no completions");
                String::new()
            }
        };
        let targets = items(&query, &listing);
        self.editor.answer_waiting(seq, Ok(body::<requests::Completions>(CompletionsResponse { targets })));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(object: Option<&str>, prefix: &str, start: usize) -> Option<Query> {
        Some(Query { object: object.map(str::to_string), prefix: prefix.to_string(), start })
    }

    #[test]
    fn the_dotted_name_before_the_cursor_is_completed() {
        assert_eq!(Query::at_cursor("x = obj.inner.va"), query(Some("obj.inner"), "va", 14));
        assert_eq!(Query::at_cursor("print(tot"), query(None, "tot", 6));
        assert_eq!(Query::at_cursor(""), query(None, "", 0));
        assert_eq!(Query::at_cursor("obj."), query(Some("obj"), "", 4));
        assert_eq!(Query::at_cursor("é + ab"), query(None, "ab", 4));
    }

    #[test]
    fn calls_subscripts_and_numbers_are_never_evaluated() {
        assert_eq!(Query::at_cursor("f()."), None);
        assert_eq!(Query::at_cursor("items[0].re"), None);
        assert_eq!(Query::at_cursor("1.5"), None);
        assert_eq!(Query::at_cursor("a..b"), None);
        assert_eq!(Query::at_cursor("12"), None);
    }

    #[test]
    fn the_cursor_column_counts_utf16_units() {
        assert_eq!(before_cursor("😀ab", 3), "😀a");
        assert_eq!(before_cursor("abc", 10), "abc");
    }

    #[test]
    fn listings_become_typed_items_replacing_the_prefix() {
        let q = Query { object: Some("obj".into()), prefix: "de".into(), start: 4 };
        let listed = items(&q, "describe:f depth:v _private:v");
        let labels: Vec<_> = listed.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["describe", "depth"]);
        assert_eq!(listed[0].type_, Some(CompletionItemType::Method));
        assert_eq!(listed[1].type_, Some(CompletionItemType::Field));
        assert_eq!((listed[0].start, listed[0].length), (Some(4), Some(2)));
        let q = Query { object: None, prefix: "_".into(), start: 0 };
        assert_eq!(items(&q, "_private:v").len(), 1);
    }

    #[test]
    fn python2_old_style_classes_are_classes() {
        for q in [query(None, "Ol", 0), query(Some("old"), "", 4)] {
            let expression = q.map(|q| q.expression()).unwrap_or_default();
            assert!(expression.contains("type(v).__name__ == 'classobj'"), "{expression}");
        }
        let members = query(Some("old"), "", 4).map(|q| q.expression()).unwrap_or_default();
        assert!(members.contains("in ('module', 'classobj')"), "{members}");
        assert!(members.contains("o.__class__ if type(o).__name__ == 'instance'"), "{members}");
    }

    #[test]
    fn the_prefix_is_a_python_literal_not_code() {
        let q = Query { object: None, prefix: "a'b".into(), start: 0 };
        assert!(q.expression().contains(r#"n.startswith("a'b")"#), "{}", q.expression());
    }
}
