//! Starting the connection owner out of the reach of what ends the front.

use std::process::{ExitStatus, Stdio};

use tokio::process::{Child, Command};

/// The hidden flag that makes a `ptvsd-dap` process the connection owner.
pub const OWNER_FLAG: &str = "--connection-owner";

/// Starts this executable as the connection owner, with piped stdin and stdout.
pub fn spawn(extra_args: &[String]) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let command = || {
        let mut command = std::process::Command::new(&exe);
        command
            .arg(OWNER_FLAG)
            .args(extra_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // The owner logs to the log file only; the editor's stderr pipe must not be held
            // open by a process that may outlive the front.
            .stderr(Stdio::null());
        command
    };
    spawn_detached(command)
}

/// Out of the editor's process group: a kill of the group does not reach the owner.
#[cfg(unix)]
fn spawn_detached(command: impl Fn() -> std::process::Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let mut command = command();
    command.process_group(0);
    Command::from(command).kill_on_drop(false).spawn()
}

/// A new process group (console control events sent to the editor's group do not reach it), no
/// console (closing the editor's console does not end it), and out of the editor's job object
/// when the job allows breakaway: a job that kills its processes when closed would otherwise
/// take the owner along with the front. A job that forbids breakaway refuses the flag; the owner
/// is then started inside it, which is the best that job allows.
#[cfg(windows)]
fn spawn_detached(command: impl Fn() -> std::process::Command) -> std::io::Result<Child> {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    const CREATE_BREAKAWAY_FROM_JOB: u32 = 0x0100_0000;
    const ERROR_ACCESS_DENIED: i32 = 5;
    let flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    let mut breakaway = command();
    breakaway.creation_flags(flags | CREATE_BREAKAWAY_FROM_JOB);
    match Command::from(breakaway).kill_on_drop(false).spawn() {
        Err(error) if error.raw_os_error() == Some(ERROR_ACCESS_DENIED) => {
            let mut inside = command();
            inside.creation_flags(flags);
            Command::from(inside).kill_on_drop(false).spawn()
        }
        spawned => spawned,
    }
}

/// How the owner ended, in words for the editor's console.
pub fn describe_end(status: Option<ExitStatus>) -> String {
    #[cfg(unix)]
    if let Some(signal) = status.and_then(|status| std::os::unix::process::ExitStatusExt::signal(&status)) {
        return format!("was killed by signal {signal}");
    }
    match status {
        Some(status) => format!("exited with {status}"),
        None => "ended".to_string(),
    }
}
