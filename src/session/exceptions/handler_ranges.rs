//! Exception-handler ranges of a Python source file: the answer to ptvsd's `REQH` (protocol doc
//! §9.8, §9.8.1), built the way Visual Studio built it, from a real parse of the file.
//!
//! - One entry per `try` statement that has `except` clauses, wherever it is (nested, in
//!   functions, classes, loops, `with`, `match` arms…), in source order.
//! - `line_start` is the line of the `try` keyword; `line_end` is the last line of the try
//!   *body* + 1 (ptvsd tests `line_start <= f_lineno < line_end`).
//! - The expressions are the dotted exception names as written (`ValueError`, `os.error`, each
//!   name of a tuple). A bare `except:`, or a type that is not a dotted name (a call, a
//!   subscript…), makes the entry `["*"]`: that clause may catch anything.
//! - `try`/`finally` without `except` gives no entry.
//! - A file that does not parse as Python 3.11 (the newest interpreter ptvsd runs on), e.g. a
//!   Python 2 file, is read by `python2_handlers.rs`; one neither reads gets [`catch_all`]:
//!   "everything handled", so no false stops.

use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use ruff_python_ast::{ExceptHandler, Expr, Mod, PythonVersion, Stmt, StmtTry};
use ruff_python_parser::{parse, Mode, ParseOptions};
use ruff_text_size::Ranged;

use crate::wire::model::HandlerStatement;
// `catch_all()` is also the answer for a file that does not parse.
pub use crate::wire::model::{catch_all, CATCH_ALL};

/// The handler ranges of `source` (the file's text; a leading BOM and any line ending are
/// fine).
pub fn handler_statements(source: &str) -> Vec<HandlerStatement> {
    let options = ParseOptions::from(Mode::Module).with_target_version(PythonVersion::PY311);
    let parsed = match parse(source, options) {
        // Version errors count too: Python 2's `except E, e:` parses as 3.14's unparenthesized
        // tuple, and nothing newer than 3.11 runs under ptvsd.
        Ok(parsed) if parsed.unsupported_syntax_errors().is_empty() => parsed,
        _ => return super::python2_handlers::handler_statements(source).unwrap_or_else(catch_all),
    };
    let Mod::Module(module) = parsed.syntax() else {
        return catch_all();
    };
    let mut collector = Collector { lines: LineIndex::new(source), out: Vec::new() };
    collector.visit_body(&module.body);
    collector.out
}

struct Collector {
    lines: LineIndex,
    out: Vec<HandlerStatement>,
}

impl<'a> StatementVisitor<'a> for Collector {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::Try(try_stmt) = stmt {
            if let Some(entry) = self.entry(try_stmt) {
                self.out.push(entry);
            }
        }
        // Pre-order: an outer `try` comes before the ones nested in it (source order).
        walk_stmt(self, stmt);
    }
}

impl Collector {
    fn entry(&self, stmt: &StmtTry) -> Option<HandlerStatement> {
        if stmt.handlers.is_empty() {
            return None; // try/finally: handles nothing
        }
        let mut expressions = Vec::new();
        for handler in &stmt.handlers {
            let ExceptHandler::ExceptHandler(handler) = handler;
            match handler.type_.as_deref() {
                Some(ty) => push_names(ty, &mut expressions),
                None => expressions.push(CATCH_ALL.to_string()),
            }
        }
        let body_end = stmt.body.last().map_or(stmt.range.start(), |last| last.end());
        statement(self.lines.line_of(stmt.start().to_usize()), self.lines.line_of(body_end.to_usize()), expressions)
    }
}

/// The entry for a `try` on `try_line` whose body ends on `body_last_line`, catching
/// `expressions` (from every `except` clause); `None` when it catches nothing.
pub(super) fn statement(try_line: i64, body_last_line: i64, mut expressions: Vec<String>) -> Option<HandlerStatement> {
    if expressions.iter().any(|e| e == CATCH_ALL) {
        // As VS did: one `*` says it all.
        expressions = vec![CATCH_ALL.to_string()];
    }
    if expressions.is_empty() {
        // Only `except ():`, which catches nothing; an empty list would mean `*` to ptvsd.
        return None;
    }
    Some(HandlerStatement { line_start: try_line, line_end: body_last_line + 1, expressions })
}

/// Appends the names in an except clause's type: each dotted name, tuples flattened
/// (nested tuples are legal), and `*` for anything else.
fn push_names(expr: &Expr, out: &mut Vec<String>) {
    if let Expr::Tuple(tuple) = expr {
        tuple.elts.iter().for_each(|elt| push_names(elt, out));
    } else {
        out.push(dotted_name(expr).unwrap_or_else(|| CATCH_ALL.to_string()));
    }
}

fn dotted_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attr) => Some(format!("{}.{}", dotted_name(&attr.value)?, attr.attr.id)),
        _ => None,
    }
}

/// Byte offset → 1-based line, with Python's line breaks: `\n`, `\r\n` and a lone `\r`.
struct LineIndex {
    /// Byte offset where each line after the first starts.
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> Self {
        let bytes = source.as_bytes();
        let starts = (0..bytes.len())
            .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .map(|i| i + 1)
            .collect();
        LineIndex { starts }
    }

    /// The line holding `offset`; an offset just past a line's last character is still on it.
    fn line_of(&self, offset: usize) -> i64 {
        let breaks = self.starts.partition_point(|&start| start <= offset);
        i64::try_from(breaks).map_or(i64::MAX, |n| n + 1)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The statement ptvsd expects for a `try` from `start` to `end` catching `names`.
    pub(in crate::session::exceptions) fn entry(start: i64, end: i64, names: &[&str]) -> HandlerStatement {
        HandlerStatement {
            line_start: start,
            line_end: end,
            expressions: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    fn check(source: &str, expected: &[HandlerStatement]) {
        assert_eq!(handler_statements(source), expected, "source:\n{source}");
    }

    #[test]
    fn simple_try_except() {
        check("x = 1\ntry:\n    f()\nexcept ValueError:\n    pass\n", &[entry(2, 4, &["ValueError"])]);
    }

    #[test]
    fn multiple_excepts_tuple_as_and_dotted_names() {
        let src = "try:\n    f()\n    g()\nexcept ValueError as e:\n    pass\n\
                   except (KeyError, IndexError):\n    pass\nexcept os.error:\n    pass\n\
                   except ((A, b.C), D) as e:\n    pass\n";
        check(src, &[entry(1, 4, &["ValueError", "KeyError", "IndexError", "os.error", "A", "b.C", "D"])]);
    }

    #[test]
    fn bare_except_is_catch_all() {
        check("try:\n    f()\nexcept ValueError:\n    pass\nexcept:\n    pass\n", &[entry(1, 3, &["*"])]);
        check("try: f()\nexcept: pass\n", &[entry(1, 2, &["*"])]);
    }

    #[test]
    fn non_name_types_are_catch_all() {
        check("try:\n    f()\nexcept get_errors():\n    pass\n", &[entry(1, 3, &["*"])]);
        check("try:\n    f()\nexcept (KeyError, errs[0]):\n    pass\n", &[entry(1, 3, &["*"])]);
        // A variable holding a tuple is still a dotted name: ptvsd resolves it in the frame.
        check("try:\n    f()\nexcept ERRORS:\n    pass\n", &[entry(1, 3, &["ERRORS"])]);
        // `except ():` catches nothing: no entry rather than an empty (catch-all) list.
        check("try:\n    f()\nexcept ():\n    pass\n", &[]);
        check("try:\n    f()\nexcept ():\n    pass\nexcept E:\n    pass\n", &[entry(1, 3, &["E"])]);
    }

    #[test]
    fn nested_tries_in_body_and_handler_in_source_order() {
        let src = "\
try:
    try:
        a()
    except KeyError:
        pass
    b()
except ValueError:
    try:
        c()
    except IndexError:
        pass
";
        check(src, &[entry(1, 7, &["ValueError"]), entry(2, 4, &["KeyError"]), entry(8, 10, &["IndexError"])]);
    }

    #[test]
    fn else_and_finally_are_not_part_of_the_range() {
        let src = "try:\n    f()\nexcept ValueError:\n    pass\nelse:\n    g()\nfinally:\n    h()\n";
        check(src, &[entry(1, 3, &["ValueError"])]);
    }

    #[test]
    fn try_finally_alone_has_no_entry_but_tries_inside_it_do() {
        check("try:\n    f()\nfinally:\n    g()\n", &[]);
        let src = "try:\n    f()\nfinally:\n    try:\n        g()\n    except OSError:\n        pass\n";
        check(src, &[entry(4, 6, &["OSError"])]);
    }

    #[test]
    fn class_method_and_async_function() {
        let src = "\
class C:
    def m(self):
        try:
            return 1
        except AttributeError:
            return 2

async def run():
    async with lock:
        try:
            await go()
        except asyncio.CancelledError:
            raise
";
        check(src, &[entry(3, 5, &["AttributeError"]), entry(10, 12, &["asyncio.CancelledError"])]);
    }

    #[test]
    fn decorated_function_loops_and_match_arms() {
        let src = "\
@app.route('/')
@cached
def view(cmd):
    for x in xs:
        while True:
            match cmd:
                case {'k': [1, *rest]} if (n := len(rest)):
                    try:
                        print(f\"{n!r:>10}\")
                    except TypeError:
                        pass
";
        check(src, &[entry(8, 10, &["TypeError"])]);
    }

    #[test]
    fn except_star() {
        let src = "try:\n    f()\nexcept* ValueError:\n    pass\nexcept* (OSError, a.B) as eg:\n    pass\n";
        check(src, &[entry(1, 3, &["ValueError", "OSError", "a.B"])]);
    }

    #[test]
    fn range_ends_at_the_last_statement_not_comments_or_blank_lines() {
        let src = "\
try:
    x = compute(
        1,
        2,
    )

    # trailing comment

except ValueError:
    pass
";
        check(src, &[entry(1, 6, &["ValueError"])]);
        // A compound last statement ends with its own last nested statement.
        let src = "try:\n    if x:\n        a()\n    else:\n        b()\n    # done\nexcept E:\n    pass\n";
        check(src, &[entry(1, 6, &["E"])]);
    }

    #[test]
    fn crlf_lone_cr_bom_and_non_ascii() {
        let src = "# héllo wörld ✓\r\ns = 'ünïcode'\r\ntry:\r\n    f('日本語')\r\nexcept ValueError:\r\n    pass\r\n";
        check(src, &[entry(3, 5, &["ValueError"])]);
        check(&format!("\u{feff}{src}"), &[entry(3, 5, &["ValueError"])]);
        check("\u{feff}try:\n    f()\nexcept E:\n    pass\n", &[entry(1, 3, &["E"])]);
        check("x = 1\rtry:\r    f()\rexcept E:\r    pass\r", &[entry(2, 4, &["E"])]);
    }

    #[test]
    fn parse_failures_are_catch_all() {
        check("try:\n    f(\nexcept ValueError:\n    pass\n", &catch_all());
        assert_eq!(catch_all(), [entry(0, 2147483647, &["*"])]);
    }

    /// What Python 3.11 refuses is read line by line (python2_handlers.rs): Python 2's
    /// `except E, e` (also a 3.14 tuple, which 3.11 rejects) and print statements.
    #[test]
    fn python2_files_are_read_by_their_lines() {
        check("try:\n    f()\nexcept ValueError, e:\n    pass\n", &[entry(1, 3, &["ValueError"])]);
        check("print 'hello'\ntry:\n    f()\nexcept:\n    print 'no'\n", &[entry(2, 4, &["*"])]);
        check("type Alias = list[int]\n", &[]);
    }

    #[test]
    fn empty_and_handler_free_files_have_no_entries() {
        check("", &[]);
        check("\u{feff}", &[]);
        check("# just a comment\n\n", &[]);
        check("def f():\n    return 1\n", &[]);
    }

    #[test]
    fn line_index_counts_python_line_breaks() {
        let lines = LineIndex::new("a\r\nb\rc\nd");
        let got: Vec<i64> = (0..9).map(|offset| lines.line_of(offset)).collect();
        assert_eq!(got, [1, 1, 1, 2, 2, 3, 3, 4, 4]);
    }
}
