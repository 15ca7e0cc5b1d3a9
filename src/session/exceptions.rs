//! Exception breakpoints: the filters the editor chose, the `sexi` table they become, and the
//! answers to ptvsd's `REQH` ("which lines of this file handle which exceptions?", §9.8).
//!
//! ptvsd decides "handled" by walking the raising thread's frames outward and asking, for each
//! file, where its `try`/`except` blocks are. The answers decide what "uncaught" means:
//! - `uncaught`: every readable file gets its real handler ranges; a file whose source the
//!   adapter cannot read is answered "everything is handled" (never a false stop, §9.8 b);
//! - `userUnhandled`: user files get their real ranges and library files none, so an exception
//!   that leaves user code into a library (a view raising into Django) stops (§9.8.1).

use std::collections::{BTreeMap, HashMap, HashSet};

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

/// What a filter's condition holds, for the editor's input box.
pub const CONDITION_DESCRIPTION: &str =
    "Exception types, comma-separated (ValueError, myapp.errors.PaymentError): break only for these exact types";

pub const FILTERS: [(&str, &str, &str); 3] = [
    ("raised", "Raised Exceptions", "Break whenever an exception is raised, even if it is caught"),
    ("uncaught", "Uncaught Exceptions", "Break when an exception is not caught anywhere"),
    (
        "userUnhandled",
        "User Uncaught Exceptions",
        "Break when an exception leaves your code uncaught, even if a library catches it",
    ),
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
    /// The table for the editor's choice, on top of ptvsd's never-break defaults (§7.3):
    /// - each filter, with an optional condition naming the exception types it is limited to;
    /// - `exceptionOptions`: a break mode for a category (one path segment, the default) or for
    ///   exception types (the last segment's names).
    ///
    /// Unknown filters, break modes and names that are not exception types are errors.
    pub fn configure(
        &mut self,
        filters: &[(String, Option<String>)],
        options: &[ExceptionOption],
    ) -> Result<Command, String> {
        let mut default_mode = 0;
        let mut user_unhandled = false;
        let mut break_on: BTreeMap<String, i64> = NEVER_BREAK.iter().map(|name| (name.to_string(), 0)).collect();
        for (filter, condition) in filters {
            let (mode, user) = ptvsd_mode(filter)
                .filter(|_| filter != "never")
                .ok_or_else(|| format!("unknown exception filter '{filter}': use raised, uncaught or userUnhandled"))?;
            user_unhandled |= user;
            match condition.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                None => default_mode |= mode,
                Some(condition) => {
                    for name in exception_names(condition)? {
                        *break_on.entry(name).or_insert(0) |= mode;
                    }
                }
            }
        }
        for option in options {
            let (mode, user) = ptvsd_mode(&option.break_mode).ok_or_else(|| {
                format!("unknown break mode '{}': use never, always, unhandled or userUnhandled", option.break_mode)
            })?;
            user_unhandled |= user;
            match option.path.as_slice() {
                [] => {}
                [_category] => default_mode = mode,
                [.., types] => {
                    for name in types {
                        for name in exception_names(name)? {
                            break_on.insert(name, mode);
                        }
                    }
                }
            }
        }
        self.default_mode = default_mode;
        self.user_unhandled = user_unhandled;
        // `sexi` clears ptvsd's handler cache: ours goes with it.
        self.answered.clear();
        Ok(Command::SetExceptionInfo { default_mode, break_on: break_on.into_iter().collect() })
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

/// ptvsd's mode for a DAP filter or break mode (they name the same three modes), and whether
/// it means user-unhandled (built from the `REQH` answers, §9.8.1).
fn ptvsd_mode(name: &str) -> Option<(i64, bool)> {
    match name {
        "never" => Some((0, false)),
        "raised" | "always" => Some((MODE_RAISED, false)),
        "uncaught" | "unhandled" => Some((MODE_UNHANDLED, false)),
        "userUnhandled" => Some((MODE_UNHANDLED, true)),
        _ => None,
    }
}

/// One of DAP's `exceptionOptions`: the names of each path segment, and the break mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionOption {
    pub path: Vec<Vec<String>>,
    pub break_mode: String,
}

/// `ValueError, builtins.KeyError, myapp.errors.PaymentError` as ptvsd's table names them:
/// builtins without their module (§9.8), others `module.Class`.
fn exception_names(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            let is_identifier = |part: &str| {
                part.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            };
            if !name.split('.').all(is_identifier) {
                return Err(format!(
                    "'{name}' is not an exception type name (write ValueError or package.module.ErrorClass)"
                ));
            }
            let bare = name.strip_prefix("builtins.").or_else(|| name.strip_prefix("exceptions.")).unwrap_or(name);
            Ok(bare.to_string())
        })
        .collect()
}

fn is_pseudo_file(file: &str) -> bool {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    base.starts_with('<') && base.ends_with('>')
}

/// Installed packages and the standard library, by their paths on Linux and Windows.
fn is_library(file: &str) -> bool {
    let lower = file.to_ascii_lowercase().replace('\\', "/");
    lower.contains("/site-packages/")
        || lower.contains("/dist-packages/")
        || lower.contains("/lib/python")
        || lower.contains("/lib/")
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

    fn filters(names: &[&str]) -> Vec<(String, Option<String>)> {
        names.iter().map(|name| (name.to_string(), None)).collect()
    }

    #[test]
    fn conditions_and_options_name_exception_types() {
        let mut settings = ExceptionSettings::default();
        let conditioned = vec![
            ("raised".to_string(), Some("ValueError, builtins.KeyError".to_string())),
            ("uncaught".to_string(), None),
        ];
        let option = ExceptionOption {
            path: vec![vec!["Python Exceptions".into()], vec!["myapp.PaymentError".into()]],
            break_mode: "never".into(),
        };
        let Ok(Command::SetExceptionInfo { default_mode, break_on }) = settings.configure(&conditioned, &[option])
        else {
            panic!()
        };
        assert_eq!(default_mode, MODE_UNHANDLED);
        let modes: HashMap<_, _> = break_on.into_iter().collect();
        assert_eq!(modes["ValueError"], MODE_RAISED);
        assert_eq!(modes["KeyError"], MODE_RAISED, "named explicitly: the never-break default gives way");
        assert_eq!(modes["StopIteration"], 0);
        assert_eq!(modes["myapp.PaymentError"], 0);
        let category = ExceptionOption { path: vec![vec!["Python Exceptions".into()]], break_mode: "always".into() };
        assert!(matches!(
            settings.configure(&[], &[category]),
            Ok(Command::SetExceptionInfo { default_mode: MODE_RAISED, .. })
        ));
        let bad = vec![("raised".to_string(), Some("x == 1".to_string()))];
        assert!(settings.configure(&bad, &[]).is_err_and(|e| e.contains("'x == 1' is not an exception type")));
    }

    #[test]
    fn filters_become_modes_and_answers() {
        let mut settings = ExceptionSettings::default();
        assert!(matches!(
            settings.configure(&filters(&["uncaught"]), &[]),
            Ok(Command::SetExceptionInfo { default_mode: 32, .. })
        ));
        assert!(settings.configure(&filters(&["bogus"]), &[]).is_err());
        let paths = PathMapper::default();
        assert_eq!(settings.answer("<frozen importlib._bootstrap>", &paths).0, catch_all());
        let (answer, notice) = settings.answer("/no/such/file.py", &paths);
        assert_eq!(answer, catch_all());
        assert!(notice.is_some_and(|n| n.contains("/no/such/file.py")));
        assert!(settings.answer("/no/such/file.py", &paths).1.is_none(), "said once");
        settings.configure(&filters(&["userUnhandled"]), &[]).ok();
        assert!(settings
            .answer("/srv/venv/lib/python3.11/site-packages/django/core/handlers/base.py", &paths)
            .0
            .is_empty());
    }
}
