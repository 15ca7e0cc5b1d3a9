//! The front process: spawns the connection owner and relays DAP between the editor's stdio and
//! the owner's socket. It never parses requests and never sees anything it could leak beyond
//! the bytes it relays.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ExitStatus, Stdio};

use bytes::BytesMut;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::dap::codec::{decode_frame, encode_frame};

/// How long the front waits for the owner to detach and exit after a termination signal.
const OWNER_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The hidden flag that makes a `ptvsd-dap` process the connection owner.
pub const OWNER_FLAG: &str = "--connection-owner";

/// Runs the front: returns the exit code for the process.
pub async fn run_front(extra_args: &[String]) -> i32 {
    let (owner_end, front_end) = match StdUnixStream::pair() {
        Ok(pair) => pair,
        Err(error) => {
            eprintln!("ptvsd-dap: cannot create the channel to the connection process: {error}");
            return 1;
        }
    };
    let mut owner = match spawn_owner(owner_end, extra_args) {
        Ok(child) => child,
        Err(error) => {
            eprintln!("ptvsd-dap: cannot start the connection process: {error}");
            return 1;
        }
    };
    let socket = match front_end.set_nonblocking(true).and_then(|()| UnixStream::from_std(front_end)) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("ptvsd-dap: cannot use the channel to the connection process: {error}");
            let _ = owner.start_kill();
            return 1;
        }
    };
    let (from_owner, to_owner) = socket.into_split();
    let (close_tx, close_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(editor_to_owner(to_owner, close_rx));
    let mut relay = std::pin::pin!(owner_to_editor(from_owner));
    let relay = tokio::select! {
        end = &mut relay => end,
        signal = termination_signal() => {
            // Let the owner detach before this process goes, so that the editor's next
            // attach finds the debuggee free. Bounded: the owner's detach is bounded too.
            tracing::debug!(signal, "signal: closing the owner's input");
            let _ = close_tx.send(());
            match tokio::time::timeout(OWNER_EXIT_WAIT, &mut relay).await {
                Ok(end) => end,
                Err(_) => RelayEnd { saw_terminated: true, last_seq: 0 },
            }
        }
    };
    let status = owner.wait().await.ok();
    if !relay.saw_terminated && !status.is_some_and(|s| s.success()) {
        tell_editor_owner_died(relay.last_seq, status).await;
    }
    0
}

fn spawn_owner(owner_end: StdUnixStream, extra_args: &[String]) -> std::io::Result<tokio::process::Child> {
    let exe = std::env::current_exe()?;
    let stdin = Stdio::from(OwnedFd::from(owner_end.try_clone()?));
    let stdout = Stdio::from(OwnedFd::from(owner_end));
    let mut command = std::process::Command::new(exe);
    command
        .arg(OWNER_FLAG)
        .args(extra_args)
        .stdin(stdin)
        .stdout(stdout)
        // The owner logs to the log file only; the editor's stderr pipe must not be held open
        // by a process that may outlive the front.
        .stderr(Stdio::null())
        // Out of the editor's process group: a kill of the group does not reach it.
        .process_group(0);
    tokio::process::Command::from(command).kill_on_drop(false).spawn()
}

/// Copies the editor's requests to the owner; at EOF, half-closes the socket so the owner sees
/// the end of its input and detaches.
async fn editor_to_owner(
    mut to_owner: tokio::net::unix::OwnedWriteHalf,
    mut close: tokio::sync::oneshot::Receiver<()>,
) {
    let mut stdin = tokio::io::stdin();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            read = stdin.read(&mut buf) => read,
            _ = &mut close => break,
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to_owner.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = to_owner.shutdown().await;
}

struct RelayEnd {
    saw_terminated: bool,
    last_seq: i64,
}

/// Copies the owner's messages to the editor frame by frame, so that a message can be added
/// at a boundary if the owner dies.
async fn owner_to_editor(mut from_owner: tokio::net::unix::OwnedReadHalf) -> RelayEnd {
    let Ok(mut stdout) = crate::dap::server::raw_stdout() else {
        return RelayEnd { saw_terminated: false, last_seq: 0 };
    };
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut end = RelayEnd { saw_terminated: false, last_seq: 0 };
    loop {
        match decode_frame(&mut buf) {
            Ok(Some(body)) => {
                if let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) {
                    end.last_seq = envelope.seq.unwrap_or(end.last_seq);
                    end.saw_terminated |= envelope.event.as_deref() == Some("terminated");
                }
                if stdout.write_all(&encode_frame(&body)).await.is_err() {
                    return end;
                }
            }
            // Everything read so far is written: flush once, then wait for more.
            Ok(None) => {
                if stdout.flush().await.is_err() {
                    return end;
                }
                match from_owner.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return end,
                    Ok(_) => {}
                }
            }
            Err(_) => return end,
        }
    }
}

/// The two fields the front needs from a message; serde skips the rest (a program's output
/// can be large) without building it.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    seq: Option<i64>,
    #[serde(borrow)]
    event: Option<std::borrow::Cow<'a, str>>,
}

async fn tell_editor_owner_died(last_seq: i64, status: Option<ExitStatus>) {
    let how = match status {
        Some(status) => match status.signal() {
            Some(signal) => format!("was killed by signal {signal}"),
            None => format!("exited with {status}"),
        },
        None => "ended".to_string(),
    };
    let text = format!(
        "The ptvsd-dap connection process {how}. The debug session is over; if the remote app stays \
         stopped or refuses a new attach, restart it.\n"
    );
    let messages = [
        json!({"seq": last_seq + 1, "type": "event", "event": "output", "body": {"category": "console", "output": text}}),
        json!({"seq": last_seq + 2, "type": "event", "event": "terminated", "body": {}}),
    ];
    let Ok(mut stdout) = crate::dap::server::raw_stdout() else { return };
    for message in messages {
        let _ = stdout.write_all(&encode_frame(message.to_string().as_bytes())).await;
    }
    let _ = stdout.flush().await;
}

/// SIGTERM, SIGINT or SIGHUP to the front.
async fn termination_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
    else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
        _ = hup.recv() => "SIGHUP",
    }
}
