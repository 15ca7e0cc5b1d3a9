//! Exception breakpoints: the filters the editor chose, the `sexi` table they become, and the
//! answers to ptvsd's `REQH` ("which lines of this file handle which exceptions?", §9.8).
//!
//! ptvsd decides "handled" by walking the raising thread's frames outward and asking, for each
//! file, where its `try`/`except` blocks are. The answers decide what "uncaught" means:
//! - `uncaught`: every readable file gets its real handler ranges; a file whose source the
//!   adapter cannot read is answered "everything is handled" (never a false stop, §9.8 b);
//! - `userUnhandled`: user files get their real ranges and library files none, so an exception
//!   that leaves user code into a library (a view raising into Django) stops (§9.8.1).

use std::collections::{HashMap, HashSet};

use super::handlers::{catch_all, handler_statements};
use super::paths::PathMapper;
use crate::wire::model::{Command, HandlerStatement};

/// ptvsd's default "never break" exceptions, which a `sexi` would otherwise drop (§7.3).
const NEVER_BREAK: [&str; 5] = ["IndexError", "KeyError", "AttributeError", "StopIteration", "GeneratorExit"];
/// Break modes (§7.1).
const MODE_RAISED: i64 = 1;
const MODE_UNHANDLED: i64 = 32;
/// Sources larger than this are not parsed (answered as "everything handled").
const MAX_SOURCE_BYTES: u64 = 8 * 1024 * 1024;

pub const FILTERS: [(&str, &str, &str); 3] = [
    ("raised", "Raised Exceptions", "Break whenever an exception is raised, even if it is caught"),
    ("uncaught", "Uncaught Exceptions", "Break when an exception is not caught anywhere"),
    ("userUnhandled", "User Uncaught Exceptions", "Break when an exception leaves your code uncaught, even if a library catches it"),
];

#[derive(Debug, Default)]
pub struct ExceptionSettings {
    default_mode: i64,
    user_unhandled: bool,
    /// Answers given since the last `sexi` (ptvsd caches them too, until the next `sexi`).
    answered: HashMap<String, Vec<HandlerStatement>>,
    /// Files already reported as unreadable, so the console says it once.
    unreadable: HashSet<String>,
}

impl ExceptionSettings {
    /// The table for these DAP filters; unknown filters are an error naming them.
    pub fn set_filters(&mut self, filters: &[String]) -> Result<Command, String> {
        let mut mode = 0;
        let mut user_unhandled = false;
        for filter in filters {
            match filter.as_str() {
                "raised" => mode |= MODE_RAISED,
                "uncaught" => mode |= MODE_UNHANDLED,
                "userUnhandled" => {
                    mode |= MODE_UNHANDLED;
                    user_unhandled = true;
                }
                other => return Err(format!("unknown exception filter '{other}': use raised, uncaught or userUnhandled")),
            }
        }
        self.default_mode = mode;
        self.user_unhandled = user_unhandled;
        // `sexi` clears ptvsd's handler cache: ours goes with it.
        self.answered.clear();
        Ok(table(mode))
    }

    /// The answer to `REQH file`, and a console notice when "uncaught" is blind for that file.
    pub fn answer(&mut self, remote_file: &str, paths: &PathMapper) -> (Vec<HandlerStatement>, Option<String>) {
        if let Some(statements) = self.answered.get(remote_file) {
            return (statements.clone(), None);
        }
        let mut notice = None;
        let statements = if is_pseudo_file(remote_file) {
            // `<frozen importlib._bootstrap>` and friends: import machinery raises and catches
            // all the time; "handled" avoids dozens of false stops (§9.8.1).
            catch_all()
        } else if self.user_unhandled && is_library(remote_file) {
            Vec::new()
        } else {
            match read_source(&paths.to_local(remote_file)) {
                Some(source) => handler_statements(&source),
                None => {
                    if self.default_mode & MODE_UNHANDLED != 0 && self.unreadable.insert(remote_file.to_string()) {
                        notice = Some(format!(
                            "'Uncaught exceptions' cannot see the try/except blocks of {remote_file}: its source is not \
                             available here (add a path mapping to a local copy); exceptions raised there are treated as caught."
                        ));
                    }
                    catch_all()
                }
            }
        };
        self.answered.insert(remote_file.to_string(), statements.clone());
        (statements, notice)
    }
}

/// `sexi` replaces the whole table, so the defaults go with every one (§7.3).
pub fn table(default_mode: i64) -> Command {
    Command::SetExceptionInfo { default_mode, break_on: NEVER_BREAK.iter().map(|name| (name.to_string(), 0)).collect() }
}

fn is_pseudo_file(file: &str) -> bool {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    base.starts_with('<') && base.ends_with('>')
}

/// Installed packages and the standard library, by their paths on Linux and Windows.
fn is_library(file: &str) -> bool {
    let lower = file.to_ascii_lowercase().replace('\\', "/");
    lower.contains("/site-packages/") || lower.contains("/dist-packages/") || lower.contains("/lib/python") || lower.contains("/lib/")
}

fn read_source(path: &str) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_SOURCE_BYTES {
        return None;
    }
    std::fs::read(path).ok().map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_modes_and_answers() {
        let mut settings = ExceptionSettings::default();
        assert!(matches!(settings.set_filters(&["uncaught".into()]), Ok(Command::SetExceptionInfo { default_mode: 32, .. })));
        assert!(settings.set_filters(&["bogus".into()]).is_err());
        let paths = PathMapper::default();
        assert_eq!(settings.answer("<frozen importlib._bootstrap>", &paths).0, catch_all());
        let (answer, notice) = settings.answer("/no/such/file.py", &paths);
        assert_eq!(answer, catch_all());
        assert!(notice.is_some_and(|n| n.contains("/no/such/file.py")));
        assert!(settings.answer("/no/such/file.py", &paths).1.is_none(), "said once");
        settings.set_filters(&["userUnhandled".into()]).ok();
        assert!(settings.answer("/srv/venv/lib/python3.11/site-packages/django/core/handlers/base.py", &paths).0.is_empty());
    }
}
