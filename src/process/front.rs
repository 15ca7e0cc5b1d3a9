//! The front process: spawns the connection owner and relays DAP between the editor's stdio and
//! the owner's pipes. It never parses requests and never sees anything it could leak beyond
//! the bytes it relays.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use serde_json::json;

use super::owner;
use super::termination::Termination;
use super::working_set::{self, Activity};
use crate::dap::codec::{decode_frame_unbounded, encode_frame};

/// How long the front waits for the owner to detach and exit after a request to end. A second
/// request ends the front at once.
const OWNER_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The most the front reads at once. Everything complete in one read goes to the editor in one
/// write: a flood of output events costs one read and one write per pipe-full, not per event.
const CHUNK: usize = 64 * 1024;

/// Runs the front: returns the exit code for the process.
///
/// The bytes go through two plain threads with blocking reads and writes: no async runtime
/// hop per message, no worker pool. The caller's runtime (a current-thread one is enough) only
/// watches the requests to end.
pub async fn run_front(extra_args: &[String]) -> i32 {
    let mut termination = Termination::watch();
    let mut owner = match owner::spawn(extra_args) {
        Ok(child) => child,
        Err(error) => {
            eprintln!("ptvsd-dap: cannot start the connection process: {error}");
            return 1;
        }
    };
    let (Some(to_owner), Some(from_owner)) = (owner.stdin.take(), owner.stdout.take()) else {
        eprintln!("ptvsd-dap: the connection process has no pipes");
        let _ = owner.kill();
        return 1;
    };
    let editor = match editor_stdout().await {
        Ok(stdout) => stdout,
        Err(error) => {
            eprintln!("ptvsd-dap: cannot use stdout: {error}");
            let _ = owner.kill();
            return 1;
        }
    };
    // Shared so that a request to end can close the owner's input while the copying thread
    // is blocked reading the editor.
    let to_owner = Arc::new(Mutex::new(Some(to_owner)));
    let copy_input = Arc::clone(&to_owner);
    let activity = Activity::new();
    let input_activity = Arc::clone(&activity);
    let spawned = std::thread::Builder::new()
        .name("editor-to-owner".into())
        .spawn(move || editor_to_owner(std::io::stdin().lock(), &copy_input, &input_activity));
    if let Err(error) = spawned {
        eprintln!("ptvsd-dap: cannot start a relay thread: {error}");
        let _ = owner.kill();
        return 1;
    }
    let (done_tx, mut done) = tokio::sync::oneshot::channel();
    let output_activity = Arc::clone(&activity);
    let spawned = std::thread::Builder::new().name("owner-to-editor".into()).spawn(move || {
        let mut editor = editor;
        let relay = owner_to_editor(from_owner, &mut editor, &output_activity);
        let status = owner.wait().ok();
        if !relay.saw_terminated && !status.is_some_and(|s| s.success()) {
            tell_editor_owner_died(&mut editor, relay.last_seq, owner::describe_end(status));
        }
        let _ = done_tx.send(());
    });
    if let Err(error) = spawned {
        // The owner sees its input close and detaches.
        eprintln!("ptvsd-dap: cannot start a relay thread: {error}");
        return 1;
    }
    // From here on the front only copies bytes: the start-up code need not stay mapped, nor,
    // once quiet, the copying code.
    working_set::release_code_pages();
    tokio::spawn(working_set::release_when_quiet(activity));
    tokio::select! {
        _ = &mut done => {}
        request = termination.next() => {
            // Let the owner detach before this process goes, so that the editor's next
            // attach finds the debuggee free. Bounded: the owner's detach is bounded too.
            tracing::debug!(request, "asked to end: closing the owner's input");
            close(&to_owner);
            tokio::select! {
                _ = tokio::time::timeout(OWNER_EXIT_WAIT, &mut done) => {}
                // Asked again: the user wants it gone now. The owner detaches on its own.
                _ = termination.next() => {}
            }
        }
    }
    0
}

/// Stdout as a plain file: unbuffered (a frame is one write) and usable from a thread.
async fn editor_stdout() -> std::io::Result<std::fs::File> {
    Ok(crate::dap::server::raw_stdout()?.into_std().await)
}

fn close<W>(to_owner: &Mutex<Option<W>>) {
    // A poisoned lock only means the copying thread panicked mid-write: still close.
    to_owner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
}

/// Copies the editor's requests to the owner; at EOF, or when the owner's input was closed,
/// closes it so that the owner sees the end and detaches.
fn editor_to_owner(mut editor: impl Read, to_owner: &Mutex<Option<impl Write>>, activity: &Activity) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match editor.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        activity.touch();
        let mut guard = to_owner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(owner) = guard.as_mut() else { return };
        if owner.write_all(&buf[..n]).and_then(|()| owner.flush()).is_err() {
            break;
        }
    }
    close(to_owner);
}

#[derive(Debug, PartialEq, Eq)]
struct RelayEnd {
    saw_terminated: bool,
    last_seq: i64,
}

/// Copies the owner's messages to the editor whole, so that a message can be added at a
/// boundary if the owner dies: every message complete after a read goes out in one write.
/// Any size is relayed: the editor's input limit is not the owner's (a large value or output
/// is one big message).
fn owner_to_editor(mut from_owner: impl Read, mut editor: impl Write, activity: &Activity) -> RelayEnd {
    let mut chunk = vec![0u8; CHUNK];
    let mut pending = BytesMut::with_capacity(CHUNK);
    let mut out = Vec::with_capacity(CHUNK);
    let mut end = RelayEnd { saw_terminated: false, last_seq: 0 };
    loop {
        match from_owner.read(&mut chunk) {
            Ok(0) => return end,
            Ok(n) => {
                activity.touch();
                pending.extend_from_slice(&chunk[..n]);
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return end,
        }
        out.clear();
        let broken = loop {
            match decode_frame_unbounded(&mut pending) {
                Ok(Some(body)) => {
                    if let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) {
                        end.last_seq = envelope.seq.unwrap_or(end.last_seq);
                        end.saw_terminated |= envelope.event.as_deref() == Some("terminated");
                    }
                    out.extend_from_slice(&encode_frame(&body));
                }
                Ok(None) => break false,
                Err(_) => break true,
            }
        };
        if !out.is_empty() && editor.write_all(&out).and_then(|()| editor.flush()).is_err() {
            return end;
        }
        if broken {
            return end;
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

fn tell_editor_owner_died(editor: &mut impl Write, last_seq: i64, how: String) {
    let text = format!(
        "The ptvsd-dap connection process {how}. The debug session is over; if the remote app stays \
         stopped or refuses a new attach, restart it.\n"
    );
    let messages = [
        json!({"seq": last_seq + 1, "type": "event", "event": "output", "body": {"category": "console", "output": text}}),
        json!({"seq": last_seq + 2, "type": "event", "event": "terminated", "body": {}}),
    ];
    for message in messages {
        let _ = editor.write_all(&encode_frame(message.to_string().as_bytes()));
    }
    let _ = editor.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dap::codec::MAX_DAP_MESSAGE_LEN;

    fn frame(message: serde_json::Value) -> Vec<u8> {
        encode_frame(message.to_string().as_bytes())
    }

    /// Hands out what it holds in pieces of at most `piece` bytes, as a pipe does.
    struct Pieces<'a> {
        rest: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.rest.len().min(self.piece).min(buf.len());
            buf[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Ok(n)
        }
    }

    /// The editor's side: what it was sent, and in how many writes.
    #[derive(Default)]
    struct Editor {
        seen: Vec<u8>,
        writes: usize,
    }

    impl Write for &mut Editor {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.seen.extend_from_slice(buf);
            self.writes += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn relays_a_message_over_the_editor_input_limit_and_notices_what_follows() {
        let big = "x".repeat(MAX_DAP_MESSAGE_LEN + 1024);
        let mut stream = frame(json!({"seq": 7, "type": "response", "success": true, "body": {"result": big}}));
        stream.extend(frame(json!({"seq": 8, "type": "event", "event": "terminated"})));
        let mut editor = Editor::default();
        let end = owner_to_editor(Pieces { rest: &stream, piece: 4096 }, &mut editor, &Activity::new());
        assert_eq!(end, RelayEnd { saw_terminated: true, last_seq: 8 });
        assert!(editor.seen == stream, "the editor got {} bytes, not the {} sent", editor.seen.len(), stream.len());
    }

    #[test]
    fn every_message_complete_after_a_read_goes_out_in_one_write() {
        let mut stream = Vec::new();
        for seq in 1..=100 {
            stream.extend(frame(json!({"seq": seq, "type": "event", "event": "output", "body": {"output": "line\n"}})));
        }
        let mut editor = Editor::default();
        let end = owner_to_editor(Pieces { rest: &stream, piece: CHUNK }, &mut editor, &Activity::new());
        assert_eq!(end, RelayEnd { saw_terminated: false, last_seq: 100 });
        assert!(editor.seen == stream, "the editor got other bytes than the owner sent");
        assert_eq!(editor.writes, 1, "{} writes for 100 messages read at once", editor.writes);
    }

    #[test]
    fn the_editors_end_of_input_closes_the_owners_input() {
        let to_owner = Mutex::new(Some(Vec::new()));
        editor_to_owner(Pieces { rest: b"Content-Length: 2\r\n\r\n{}", piece: 5 }, &to_owner, &Activity::new());
        assert!(to_owner.lock().expect("lock").is_none(), "the owner's input stays open at the editor's EOF");
    }

    #[test]
    fn nothing_reaches_an_owner_whose_input_was_closed() {
        let to_owner: Mutex<Option<Vec<u8>>> = Mutex::new(None);
        editor_to_owner(Pieces { rest: b"Content-Length: 2\r\n\r\n{}", piece: 64 }, &to_owner, &Activity::new());
        assert!(to_owner.lock().expect("lock").is_none());
    }
}
