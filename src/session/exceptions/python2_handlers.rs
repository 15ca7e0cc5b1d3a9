//! The exception-handler ranges of a Python 2 source (`print "x"`, `except E, e:`, `exec "code"`),
//! which the Python 3 parser of `handler_ranges.rs` refuses: the same entries (§9.8), found from
//! the indentation of the logical lines. A file it cannot follow (an unterminated string or
//! bracket, a lone `\r` line break, a `try` without clauses) gives `None`, and the caller answers
//! "everything handled" as before.

use super::handler_ranges::{statement, CATCH_ALL};
use crate::wire::model::HandlerStatement;

/// One logical line: its first physical line, indentation, text (from its first physical line,
/// without the indentation) and last physical line.
struct Logical<'a> {
    line: i64,
    indent: usize,
    text: &'a str,
    last_line: i64,
}

/// The handler ranges of a Python 2 `source`, or `None` when it cannot be followed.
pub fn handler_statements(source: &str) -> Option<Vec<HandlerStatement>> {
    let lines = logical_lines(source)?;
    let mut out = Vec::new();
    for (index, try_line) in lines.iter().enumerate() {
        if !starts_with_keyword(try_line.text, "try") || !try_line.text[3..].trim_start().starts_with(':') {
            continue;
        }
        let indent = try_line.indent;
        let mut next = index + 1;
        let mut body_last = try_line.last_line;
        while let Some(line) = lines.get(next).filter(|line| line.indent > indent) {
            body_last = line.last_line;
            next += 1;
        }
        let mut expressions = Vec::new();
        let mut clauses = 0;
        while let Some(clause) =
            lines.get(next).filter(|line| line.indent == indent && starts_with_keyword(line.text, "except"))
        {
            clauses += 1;
            expressions.extend(except_names(&clause.text["except".len()..])?);
            next += 1;
            while lines.get(next).is_some_and(|line| line.indent > indent) {
                next += 1;
            }
        }
        if clauses == 0 {
            let finally = lines.get(next).filter(|line| line.indent == indent);
            if finally.is_some_and(|line| starts_with_keyword(line.text, "finally")) {
                continue; // try/finally: handles nothing
            }
            return None;
        }
        out.extend(statement(try_line.line, body_last, expressions));
    }
    Some(out)
}

/// The names an except clause catches (`rest` follows `except`): each dotted name of `E`,
/// `(E1, E2)`, `E, target`, `E as target`; `*` for a bare `except:` or anything else.
fn except_names(rest: &str) -> Option<Vec<String>> {
    let mut depth = 0usize;
    let mut colon = None;
    let mut first_comma = None;
    for (index, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 && first_comma.is_none() => first_comma = Some(index),
            ':' if depth == 0 => {
                colon = Some(index);
                break;
            }
            '\'' | '"' => return Some(vec![CATCH_ALL.to_string()]),
            _ => {}
        }
    }
    let mut expression = &rest[..colon?];
    if let Some(comma) = first_comma {
        expression = &expression[..comma]; // `except E, target:`
    }
    let expression = expression.split(" as ").next().unwrap_or_default().trim();
    if expression.is_empty() {
        return Some(vec![CATCH_ALL.to_string()]);
    }
    let names = expression.split(',').map(|name| name.trim().trim_matches(|c| c == '(' || c == ')').trim());
    Some(
        names
            .filter(|name| !name.is_empty())
            .map(|name| if is_dotted_name(name) { name.to_string() } else { CATCH_ALL.to_string() })
            .collect(),
    )
}

fn is_dotted_name(text: &str) -> bool {
    text.split('.').all(|part| {
        part.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

fn starts_with_keyword(text: &str, keyword: &str) -> bool {
    text.strip_prefix(keyword).is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The logical lines of `source` with code, skipping blank and comment lines and the insides of
/// strings and brackets.
fn logical_lines(source: &str) -> Option<Vec<Logical<'_>>> {
    if source.replace("\r\n", "").contains('\r') {
        return None;
    }
    let mut lines: Vec<Logical> = Vec::new();
    // The closing quotes of a triple-quoted string that spans lines.
    let mut open_string: Option<&'static str> = None;
    let mut depth = 0usize;
    let mut continued = false;
    for (number, physical) in (1i64..).zip(source.trim_start_matches('\u{feff}').split('\n')) {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let code = physical.trim_start();
        let starts = open_string.is_none() && depth == 0 && !continued;
        if starts && (code.is_empty() || code.starts_with('#')) {
            continue;
        }
        if starts {
            let indent = physical[..physical.len() - code.len()].chars().fold(0, |column, c| {
                if c == '\t' {
                    (column / 8 + 1) * 8
                } else {
                    column + 1
                }
            });
            lines.push(Logical { line: number, indent, text: code, last_line: number });
        } else if let Some(last) = lines.last_mut() {
            last.last_line = number;
        }
        continued = scan(physical, &mut open_string, &mut depth)?;
    }
    (open_string.is_none() && depth == 0 && !continued).then_some(lines)
}

/// Follows strings, brackets and comments through one physical line; returns whether it ends
/// with a backslash continuation. `None` for a single-quoted string left open, or a stray closer.
fn scan(line: &str, open_string: &mut Option<&'static str>, depth: &mut usize) -> Option<bool> {
    let bytes = line.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if let Some(quotes) = *open_string {
            match bytes[index] {
                b'\\' => index += 2,
                _ if bytes[index..].starts_with(quotes.as_bytes()) => {
                    *open_string = None;
                    index += quotes.len();
                }
                _ => index += 1,
            }
            continue;
        }
        match bytes[index] {
            b'#' => return Some(false),
            b'(' | b'[' | b'{' => *depth += 1,
            b')' | b']' | b'}' => *depth = depth.checked_sub(1)?,
            b'\\' if index + 1 == bytes.len() => return Some(true),
            quote @ (b'\'' | b'"') => {
                let triple = if quote == b'"' { "\"\"\"" } else { "'''" };
                if bytes[index..].starts_with(triple.as_bytes()) {
                    *open_string = Some(triple);
                    index += 3;
                    continue;
                }
                index = single_quoted_end(bytes, index)?;
                continue;
            }
            _ => {}
        }
        index += 1;
    }
    // Inside a triple-quoted string, a line break is part of the string.
    Some(false)
}

/// The index after the closing quote of the single-quoted string that opens at `start`.
fn single_quoted_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            c if c == quote => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::handler_ranges::tests::entry;
    use super::*;

    #[test]
    fn python2_clauses_and_statements() {
        let source = "# -*- coding: utf-8 -*-\n\
                      def run(callback):\n\
                      \x20   print \"legacy\", `callback`\n\
                      \x20   try:\n\
                      \x20       callback(1,\n\
                      \x20                2)\n\
                      \x20       # a comment in the body\n\
                      \n\
                      \x20   except KeyError, e:\n\
                      \x20       print \"not this\", e\n\
                      \x20   except (os.error, IOError), e:\n\
                      \x20       pass\n\
                      \x20   except ValueError as e: pass\n\
                      \x20   try:\n\
                      \texec \"x = 1\"\n\
                      \x20   finally:\n\
                      \x20       pass\n";
        assert_eq!(
            handler_statements(source),
            Some(vec![entry(4, 7, &["KeyError", "os.error", "IOError", "ValueError"])])
        );
    }

    #[test]
    fn nesting_bare_excepts_and_strings() {
        let source = "try:\n\
                      \x20   doc = '''try:\n\
                      except:\n\
                      '''\n\
                      \x20   try:\n\
                      \x20       f(')')\n\
                      \x20   except:\n\
                      \x20       pass\n\
                      except Exception, e:\n\
                      \x20   pass\n";
        assert_eq!(handler_statements(source), Some(vec![entry(1, 9, &["Exception"]), entry(5, 7, &["*"])]));
    }

    #[test]
    fn what_cannot_be_followed_is_none() {
        for source in [
            "try:\n    f()\n",
            "x = '''never closed\ntry:\n    f()\nexcept E:\n    pass\n",
            "x = (1,\n",
            "x = 'open\n",
            "try:\r    f()\rexcept E:\r    pass\r",
        ] {
            assert_eq!(handler_statements(source), None, "{source:?}");
        }
        assert_eq!(handler_statements("print 'no try here'\n"), Some(vec![]));
    }
}
