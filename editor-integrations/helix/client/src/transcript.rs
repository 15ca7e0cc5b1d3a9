//! What Helix's DAP client logs, kept in order: every message it sends and receives (helix-dap
//! logs each one at `info` before writing or parsing it), and the errors it would only log.
//! Panics anywhere (helix-dap's tasks hit `unreachable!()` on a response to a request it did
//! not send) are recorded too: in Helix they end the session.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From Helix to the adapter.
    Out,
    /// From the adapter to Helix.
    In,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub dir: Dir,
    pub json: Value,
}

struct Transcript {
    start: Instant,
    messages: Mutex<Vec<Message>>,
    problems: Mutex<Vec<String>>,
    adapter_stderr: Mutex<Vec<String>>,
    file: Mutex<Option<File>>,
}

static TRANSCRIPT: OnceLock<Transcript> = OnceLock::new();

fn transcript() -> &'static Transcript {
    TRANSCRIPT.get_or_init(|| Transcript {
        start: Instant::now(),
        messages: Mutex::default(),
        problems: Mutex::default(),
        adapter_stderr: Mutex::default(),
        file: Mutex::default(),
    })
}

/// helix-dap's log lines that mean Helix lost a message or the connection.
const PROBLEM_LOGS: [&str; 4] = [
    "Exiting after unexpected error",
    "Response to nonexistent request",
    "Tried sending response into a closed channel",
    "Could not close request",
];

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("helix_dap")
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let t = transcript();
        let text = record.args().to_string();
        if let Some(mut file) = t.file.lock().unwrap().as_ref() {
            let _ = writeln!(
                file,
                "{:>9.3} {:<5} {text}",
                t.start.elapsed().as_secs_f64(),
                record.level()
            );
        }
        let raw = |marker: &str| {
            text.split_once(marker)
                .map(|(_, rest)| rest)
                .filter(|rest| rest.starts_with('{'))
        };
        if let Some(json) = raw("-> DAP ") {
            push_message(Dir::Out, json);
        } else if let Some(json) = raw("<- DAP ") {
            push_message(Dir::In, json);
        } else if let Some(line) = text.strip_prefix("err <- ") {
            t.adapter_stderr
                .lock()
                .unwrap()
                .push(line.trim_end().to_string());
        } else if PROBLEM_LOGS.iter().any(|p| text.contains(p)) {
            problem(format!("helix-dap: {text}"));
        }
    }

    fn flush(&self) {}
}

fn push_message(dir: Dir, json: &str) {
    let json = serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.to_string()));
    transcript()
        .messages
        .lock()
        .unwrap()
        .push(Message { dir, json });
}

/// Installs the logger (writing everything to `file` if given) and the panic recorder.
pub fn install(file: Option<&Path>) -> std::io::Result<()> {
    let t = transcript();
    if let Some(path) = file {
        *t.file.lock().unwrap() = Some(File::create(path)?);
    }
    log::set_logger(&Logger).expect("logger installed twice");
    log::set_max_level(log::LevelFilter::Info);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        problem(format!("panic in Helix's DAP client: {info}"));
        default_hook(info);
    }));
    Ok(())
}

pub fn problem(text: String) {
    if let Some(mut file) = transcript().file.lock().unwrap().as_ref() {
        let _ = writeln!(file, "PROBLEM {text}");
    }
    transcript().problems.lock().unwrap().push(text);
}

pub fn problems() -> Vec<String> {
    transcript().problems.lock().unwrap().clone()
}

pub fn messages() -> Vec<Message> {
    transcript().messages.lock().unwrap().clone()
}

pub fn adapter_stderr() -> Vec<String> {
    transcript().adapter_stderr.lock().unwrap().clone()
}
