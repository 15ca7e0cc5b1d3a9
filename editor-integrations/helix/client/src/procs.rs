//! The adapter's processes, seen from /proc: Helix keeps its `Child` private, so the test finds
//! the adapter as the child of this process, and its connection process as the adapter's child.

use std::fs;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Running,
    /// Exited, not yet reaped by its parent; the raw wait status if the kernel reports it.
    Exited(Option<i32>),
    Gone,
}

/// The fields of /proc/<pid>/stat after the command name (field 3 onwards).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

pub fn state(pid: u32) -> State {
    match stat_fields(pid) {
        None => State::Gone,
        // exit_code is field 52 (Linux 3.5+); fields[0] is field 3.
        Some(fields) if matches!(fields[0].as_str(), "Z" | "X") => {
            State::Exited(fields.get(49).and_then(|v| v.parse().ok()))
        }
        Some(_) => State::Running,
    }
}

/// Living or zombie children of `parent`.
pub fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| stat_fields(*pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) == Some(parent))
        .collect()
}

/// "exit code 0", "killed by signal 9", from a raw wait status.
pub fn describe_status(status: Option<i32>) -> String {
    match status {
        None => "exit status unknown".to_string(),
        Some(s) if s & 0x7f == 0 => format!("exit code {}", (s >> 8) & 0xff),
        Some(s) => format!("killed by signal {}", s & 0x7f),
    }
}
