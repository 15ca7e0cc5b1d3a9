//! Starting the connection owner out of the reach of what ends the front.

use std::process::{Child, Command, ExitStatus, Stdio};

/// The hidden flag that makes a `ptvsd-dap` process the connection owner.
pub const OWNER_FLAG: &str = "--connection-owner";

/// Starts this executable as the connection owner, with piped stdin and stdout.
pub fn spawn(extra_args: &[String]) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let command = || {
        let mut command = Command::new(&exe);
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
fn spawn_detached(command: impl Fn() -> Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let mut command = command();
    command.process_group(0).spawn()
}

/// A new process group (console control events sent to the editor's group do not reach it), no
/// console (closing the editor's console does not end it), and out of the editor's job object
/// when the job allows breakaway: a job that kills its processes when closed would otherwise
/// take the owner along with the front. A job that forbids breakaway refuses the flag; the owner
/// is then started inside it, which is the best that job allows.
#[cfg(windows)]
fn spawn_detached(command: impl Fn() -> Command) -> std::io::Result<Child> {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    const CREATE_BREAKAWAY_FROM_JOB: u32 = 0x0100_0000;
    const ERROR_ACCESS_DENIED: i32 = 5;
    let flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    let mut breakaway = command();
    breakaway.creation_flags(flags | CREATE_BREAKAWAY_FROM_JOB);
    match breakaway.spawn() {
        Err(error) if error.raw_os_error() == Some(ERROR_ACCESS_DENIED) => {
            let mut inside = command();
            inside.creation_flags(flags);
            inside.spawn()
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

/// The owner's input and output (its pipes from and to the front), read and written by the
/// runtime's own event loop where the OS allows: on Unix as non-blocking pipes, so that a
/// message does not hop through a blocking-pool thread on its way in or out. Elsewhere, or if
/// they are not pipes, tokio's stdin and an unbuffered stdout.
pub fn stdio() -> std::io::Result<(OwnerInput, OwnerOutput)> {
    #[cfg(unix)]
    if let Some(pipes) = pipes() {
        return Ok(pipes);
    }
    Ok((Box::new(tokio::io::stdin()), Box::new(crate::dap::server::raw_stdout()?)))
}

pub type OwnerInput = Box<dyn tokio::io::AsyncRead + Unpin + Send>;
pub type OwnerOutput = Box<dyn tokio::io::AsyncWrite + Unpin + Send>;

#[cfg(unix)]
fn pipes() -> Option<(OwnerInput, OwnerOutput)> {
    use std::os::fd::AsFd;
    use tokio::net::unix::pipe;
    let input = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let output = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    // Both refuse what is not a pipe (a terminal, a file), before changing anything.
    let input = pipe::Receiver::from_owned_fd(input).ok()?;
    let output = pipe::Sender::from_owned_fd(output).ok()?;
    Some((Box::new(input), Box::new(output)))
}
