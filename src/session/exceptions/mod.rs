//! Exception breakpoints: the filters the editor chose, the `sexi` table they become, and the
//! answers to ptvsd's `REQH` ("which lines of this file handle which exceptions?", §9.8).
//!
//! ptvsd decides "handled" by walking the raising thread's frames outward and asking, for each
//! file, where its `try`/`except` blocks are. The answers decide what "uncaught" means:
//! - `uncaught`: every readable file gets its real handler ranges; a file whose source the
//!   adapter cannot read is answered "everything is handled" (never a false stop, §9.8 b);
//! - `userUnhandled`: user files get their real ranges and library files none, so an exception
//!   that leaves user code into a library (a view raising into Django) stops (§9.8.1).

pub mod handler_ranges;
pub mod local_source;
pub mod python2_handlers;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use dap_types::ExceptionBreakMode;

use super::paths::PathMapper;
use super::{DebuggeeInput, Debugging, Internal};
use crate::wire::model::{Command, HandlerStatement};
use handler_ranges::{catch_all, handler_statements};
use local_source::{read_confined, Unreadable};

/// ptvsd's default "never break" exceptions, which a `sexi` would otherwise drop (§7.3).
const NEVER_BREAK: [&str; 5] = ["IndexError", "KeyError", "AttributeError", "StopIteration", "GeneratorExit"];
/// Break modes (§7.1).
const MODE_RAISED: i64 = 1;
const MODE_UNHANDLED: i64 = 32;
/// How many files' answers are remembered, and unreadable files named, per exception table:
/// the debuggee chooses the file names, so their number is bounded (ptvsd caches the answers too).
const MAX_REMEMBERED_FILES: usize = 4096;
/// How long reading and parsing a local copy may take before the `REQH` is answered without it
/// (its thread is blocked meanwhile).
const READ_TIMEOUT: Duration = Duration::from_secs(3);

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
    /// Counts `sexi`s, so that a read started under an earlier table is not remembered.
    table: u64,
    /// Answers given since the last `sexi` (ptvsd caches them too, until the next `sexi`).
    answered: HashMap<String, Vec<HandlerStatement>>,
    /// Files already reported as unreadable, so the console says it once.
    unreadable: HashSet<String>,
    /// `REQH`s whose local copy is being read, by ticket. Each is answered exactly once: an
    /// unasked `sehi` kills ptvsd 2.2/3.0's loop, an unanswered one blocks its thread (§9.8).
    reading: BTreeMap<u64, PendingRead>,
    next_ticket: u64,
}

#[derive(Debug)]
struct PendingRead {
    file: String,
    table: u64,
}

/// How to answer a `REQH`.
#[derive(Debug, PartialEq, Eq)]
pub enum HandlerAnswer {
    /// At once, with a console notice when "uncaught" is blind for that file.
    Now { statements: Vec<HandlerStatement>, notice: Option<String> },
    /// From the local copy at this path, read off the session loop.
    FromLocalCopy(PathBuf),
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
            let (mode, user) = break_mode(option.break_mode);
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
        self.table += 1;
        Ok(Command::SetExceptionInfo { default_mode, break_on: break_on.into_iter().collect() })
    }

    /// How to answer `REQH file`.
    pub fn answer(&mut self, remote_file: &str, paths: &PathMapper) -> HandlerAnswer {
        let statements = if let Some(statements) = self.answered.get(remote_file) {
            statements.clone()
        } else if is_pseudo_file(remote_file) {
            // `<frozen importlib._bootstrap>` and friends: import machinery raises and catches
            // all the time; "handled" avoids dozens of false stops (§9.8.1).
            self.remember(remote_file, catch_all(), self.table)
        } else if self.user_unhandled && is_library(remote_file) {
            self.remember(remote_file, Vec::new(), self.table)
        } else {
            return HandlerAnswer::FromLocalCopy(PathBuf::from(paths.to_local(remote_file)));
        };
        HandlerAnswer::Now { statements, notice: None }
    }

    /// A read of `remote_file`'s local copy begins; its ticket finishes it.
    pub fn start_read(&mut self, remote_file: &str) -> u64 {
        self.next_ticket += 1;
        self.reading.insert(self.next_ticket, PendingRead { file: remote_file.to_string(), table: self.table });
        self.next_ticket
    }

    /// The answer from a finished read, or `None` if that `REQH` has been answered already.
    pub fn finish_read(
        &mut self,
        ticket: u64,
        read: Result<Vec<HandlerStatement>, Unreadable>,
    ) -> Option<(String, Vec<HandlerStatement>, Option<String>)> {
        let PendingRead { file, table } = self.reading.remove(&ticket)?;
        let (statements, notice) = match read {
            Ok(statements) => (statements, None),
            Err(reason) => (catch_all(), self.blind_notice(&file, &reason.to_string())),
        };
        let statements = self.remember(&file, statements, table);
        Some((file, statements, notice))
    }

    /// A read that takes too long: its `REQH` is answered "everything handled" now.
    pub fn time_out_read(&mut self, ticket: u64) -> Option<(String, Vec<HandlerStatement>, Option<String>)> {
        let PendingRead { file, .. } = self.reading.remove(&ticket)?;
        let notice = self.blind_notice(&file, "reading its local copy took too long");
        Some((file, catch_all(), notice))
    }

    /// Every `REQH` still being read, answered "everything handled" (before a detach).
    pub fn give_up_reads(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.reading)
            .into_values()
            .map(|pending| Command::SetExceptionHandlerInfo { file: pending.file, statements: catch_all() })
            .collect()
    }

    fn remember(&mut self, file: &str, statements: Vec<HandlerStatement>, table: u64) -> Vec<HandlerStatement> {
        if table == self.table && self.answered.len() < MAX_REMEMBERED_FILES {
            self.answered.insert(file.to_string(), statements.clone());
        }
        statements
    }

    /// Said once per file, when "uncaught" is on: it cannot see that file's handlers.
    fn blind_notice(&mut self, remote_file: &str, reason: &str) -> Option<String> {
        let first = self.unreadable.len() < MAX_REMEMBERED_FILES && self.unreadable.insert(remote_file.to_string());
        (self.default_mode & MODE_UNHANDLED != 0 && first).then(|| {
            format!(
                "'Uncaught exceptions' cannot see the try/except blocks of {remote_file}: {reason}; exceptions \
                 raised there are treated as caught."
            )
        })
    }
}

impl Debugging<'_> {
    /// `REQH`: the raising thread is blocked until it is answered (§9.8). A local copy is read
    /// and parsed off the session loop, within [`READ_TIMEOUT`].
    pub(super) fn on_request_handlers(&mut self, file: String) {
        let link = &mut *self.link;
        let local = match link.exceptions.answer(&file, &link.paths) {
            HandlerAnswer::Now { statements, notice } => {
                link.send(Command::SetExceptionHandlerInfo { file, statements });
                if let Some(notice) = notice {
                    self.editor.console(notice);
                }
                return;
            }
            HandlerAnswer::FromLocalCopy(local) => local,
        };
        let ticket = link.exceptions.start_read(&file);
        let roots = link.source_roots();
        let internal = self.editor.internal_tx.clone();
        tokio::task::spawn_blocking(move || {
            let read = read_confined(&local, &roots).map(|source| handler_statements(&source));
            let _ = internal.send(Internal::from(DebuggeeInput::HandlersRead { ticket, read }));
        });
        // A read stuck in the filesystem must not hold the thread: ptvsd gets an answer anyway.
        self.editor.after(READ_TIMEOUT, DebuggeeInput::HandlersReadTimeout(ticket));
    }

    pub(super) fn on_handlers_read(&mut self, ticket: u64, read: Result<Vec<HandlerStatement>, Unreadable>) {
        if let Some(answer) = self.link.exceptions.finish_read(ticket, read) {
            self.send_handlers(answer);
        }
    }

    pub(super) fn on_handlers_read_timeout(&mut self, ticket: u64) {
        if let Some(answer) = self.link.exceptions.time_out_read(ticket) {
            self.send_handlers(answer);
        }
    }

    fn send_handlers(&mut self, (file, statements, notice): (String, Vec<HandlerStatement>, Option<String>)) {
        self.link.send(Command::SetExceptionHandlerInfo { file, statements });
        if let Some(notice) = notice {
            self.editor.console(notice);
        }
    }
}

/// `sexi` replaces the whole table, so the defaults go with every one (§7.3).
pub fn table(default_mode: i64) -> Command {
    Command::SetExceptionInfo { default_mode, break_on: NEVER_BREAK.iter().map(|name| (name.to_string(), 0)).collect() }
}

/// ptvsd's mode for a DAP filter, and whether it means user-unhandled (built from the `REQH`
/// answers, §9.8.1).
fn ptvsd_mode(filter: &str) -> Option<(i64, bool)> {
    match filter {
        "raised" => Some(break_mode(ExceptionBreakMode::Always)),
        "uncaught" => Some(break_mode(ExceptionBreakMode::Unhandled)),
        "userUnhandled" => Some(break_mode(ExceptionBreakMode::UserUnhandled)),
        _ => None,
    }
}

/// ptvsd's mode for a DAP break mode (the filters name the same modes).
fn break_mode(mode: ExceptionBreakMode) -> (i64, bool) {
    match mode {
        ExceptionBreakMode::Never => (0, false),
        ExceptionBreakMode::Always => (MODE_RAISED, false),
        ExceptionBreakMode::Unhandled => (MODE_UNHANDLED, false),
        ExceptionBreakMode::UserUnhandled => (MODE_UNHANDLED, true),
    }
}

/// One of DAP's `exceptionOptions`: the names of each path segment, and the break mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionOption {
    pub path: Vec<Vec<String>>,
    pub break_mode: ExceptionBreakMode,
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

/// Code the user wrote, as `justMyCode` means it: not frozen or compiled without a file, not in
/// installed packages, not in the standard library (`.../lib/python3.11/...` on Linux,
/// `...\Python311\Lib\...` on Windows).
pub fn is_user_code(file: &str) -> bool {
    let lower = file.to_ascii_lowercase().replace('\\', "/");
    let segments: Vec<&str> = lower.split('/').collect();
    // `python`, `python3.11`, `python311x64`: not `python-projects`.
    let python = |segment: &str| {
        segment.strip_prefix("python").is_some_and(|rest| rest.chars().next().is_none_or(|c| c.is_ascii_digit()))
    };
    let stdlib =
        segments.windows(2).any(|pair| (python(pair[0]) && pair[1] == "lib") || (pair[0] == "lib" && python(pair[1])));
    let installed = segments.iter().any(|segment| *segment == "site-packages" || *segment == "dist-packages");
    !(is_pseudo_file(file) || stdlib || installed)
}

/// Installed packages and the standard library, by their paths on Linux and Windows.
fn is_library(file: &str) -> bool {
    let lower = file.to_ascii_lowercase().replace('\\', "/");
    lower.contains("/site-packages/")
        || lower.contains("/dist-packages/")
        || lower.contains("/lib/python")
        || lower.contains("/lib/")
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
            break_mode: ExceptionBreakMode::Never,
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
        let category =
            ExceptionOption { path: vec![vec!["Python Exceptions".into()]], break_mode: ExceptionBreakMode::Always };
        assert!(matches!(
            settings.configure(&[], &[category]),
            Ok(Command::SetExceptionInfo { default_mode: MODE_RAISED, .. })
        ));
        let bad = vec![("raised".to_string(), Some("x == 1".to_string()))];
        assert!(settings.configure(&bad, &[]).is_err_and(|e| e.contains("'x == 1' is not an exception type")));
    }

    #[test]
    fn every_read_is_answered_once_and_a_read_from_an_older_table_is_not_remembered() {
        let mut settings = ExceptionSettings::default();
        settings.configure(&filters(&["uncaught"]), &[]).ok();
        let paths = PathMapper::default();
        let first = settings.start_read("/srv/app/a.py");
        let second = settings.start_read("/srv/app/b.py");
        settings.configure(&filters(&["uncaught"]), &[]).ok();
        assert!(settings.finish_read(first, Ok(Vec::new())).is_some());
        assert!(matches!(settings.answer("/srv/app/a.py", &paths), HandlerAnswer::FromLocalCopy(_)));
        let given_up = settings.give_up_reads();
        assert!(matches!(&given_up[..], [Command::SetExceptionHandlerInfo { file, .. }] if file == "/srv/app/b.py"));
        assert_eq!(settings.finish_read(second, Ok(Vec::new())), None);
    }

    #[test]
    fn user_code_is_neither_frozen_nor_installed_nor_the_standard_library() {
        assert!(is_user_code("/srv/app/views.py"));
        assert!(is_user_code("/srv/app/lib/helpers.py"), "a folder named lib is the user's");
        assert!(is_user_code("/home/me/python-projects/lib/helpers.py"));
        assert!(is_user_code(r"D:\home\site\wwwroot\app.py"));
        assert!(!is_user_code("/srv/app/<frozen zipimport>"));
        assert!(!is_user_code("<string>"));
        assert!(!is_user_code("/usr/lib/python3.11/json/decoder.py"));
        assert!(!is_user_code("/srv/venv/lib/python3.11/site-packages/django/views.py"));
        assert!(!is_user_code("/usr/lib/python3/dist-packages/yaml/reader.py"));
        assert!(!is_user_code(r"D:\Python311\Lib\json\decoder.py"));
        assert!(!is_user_code(r"D:\home\python311x64\Lib\site-packages\flask\app.py"));
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
        let now = |statements| HandlerAnswer::Now { statements, notice: None };
        assert_eq!(settings.answer("<frozen importlib._bootstrap>", &paths), now(catch_all()));
        assert_eq!(
            settings.answer("/srv/app/views.py", &paths),
            HandlerAnswer::FromLocalCopy("/srv/app/views.py".into())
        );
        let ticket = settings.start_read("/srv/app/views.py");
        let answer = settings.finish_read(ticket, Err(Unreadable::Missing));
        assert!(answer.is_some_and(|(file, statements, notice)| file == "/srv/app/views.py"
            && statements == catch_all()
            && notice.is_some_and(|n| n.contains("/srv/app/views.py") && n.contains("no local copy"))));
        assert_eq!(settings.finish_read(ticket, Err(Unreadable::Missing)), None, "answered once");
        assert_eq!(settings.answer("/srv/app/views.py", &paths), now(catch_all()), "remembered");
        let ticket = settings.start_read("/srv/app/other.py");
        assert!(settings.time_out_read(ticket).is_some_and(|(_, _, notice)| notice.is_some()));
        assert_eq!(settings.finish_read(ticket, Ok(Vec::new())), None, "a late read is dropped");
        settings.configure(&filters(&["userUnhandled"]), &[]).ok();
        let library = "/srv/venv/lib/python3.11/site-packages/django/core/handlers/base.py";
        assert_eq!(settings.answer(library, &paths), now(Vec::new()));
    }
}
