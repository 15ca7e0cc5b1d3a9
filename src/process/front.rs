//! The front process: spawns the connection owner and relays DAP between the editor's stdio and
//! the owner's pipes. It never parses requests and never sees anything it could leak beyond
//! the bytes it relays.

use bytes::BytesMut;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::owner;
use super::termination::Termination;
use crate::dap::codec::{decode_frame_unbounded, encode_frame};

/// How long the front waits for the owner to detach and exit after a request to end. A second
/// request ends the front at once.
const OWNER_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Runs the front: returns the exit code for the process.
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
        let _ = owner.start_kill();
        return 1;
    };
    let editor = match crate::dap::server::raw_stdout() {
        Ok(stdout) => stdout,
        Err(error) => {
            eprintln!("ptvsd-dap: cannot use stdout: {error}");
            let _ = owner.start_kill();
            return 1;
        }
    };
    let (close_tx, close_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(editor_to_owner(tokio::io::stdin(), to_owner, close_rx));
    let mut relay = std::pin::pin!(owner_to_editor(from_owner, editor));
    let relay = tokio::select! {
        end = &mut relay => end,
        request = termination.next() => {
            // Let the owner detach before this process goes, so that the editor's next
            // attach finds the debuggee free. Bounded: the owner's detach is bounded too.
            tracing::debug!(request, "asked to end: closing the owner's input");
            let _ = close_tx.send(());
            tokio::select! {
                end = tokio::time::timeout(OWNER_EXIT_WAIT, &mut relay) => {
                    end.unwrap_or(RelayEnd { saw_terminated: true, last_seq: 0 })
                }
                // Asked again: the user wants it gone now. The owner detaches on its own.
                _ = termination.next() => return 0,
            }
        }
    };
    let status = owner.wait().await.ok();
    if !relay.saw_terminated && !status.is_some_and(|s| s.success()) {
        tell_editor_owner_died(relay.last_seq, owner::describe_end(status)).await;
    }
    0
}

/// Copies the editor's requests to the owner; at EOF (or when told to close), closes the
/// owner's input so that it sees the end and detaches.
async fn editor_to_owner(
    mut editor: impl AsyncRead + Unpin,
    mut to_owner: impl AsyncWrite + Unpin,
    mut close: tokio::sync::oneshot::Receiver<()>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            read = editor.read(&mut buf) => read,
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

#[derive(Debug, PartialEq, Eq)]
struct RelayEnd {
    saw_terminated: bool,
    last_seq: i64,
}

/// Copies the owner's messages to the editor frame by frame, so that a message can be added
/// at a boundary if the owner dies. Any size is relayed: the editor's input limit is not the
/// owner's (a large value or output is one big message).
async fn owner_to_editor(mut from_owner: impl AsyncRead + Unpin, mut editor: impl AsyncWrite + Unpin) -> RelayEnd {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut end = RelayEnd { saw_terminated: false, last_seq: 0 };
    loop {
        match decode_frame_unbounded(&mut buf) {
            Ok(Some(body)) => {
                if let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) {
                    end.last_seq = envelope.seq.unwrap_or(end.last_seq);
                    end.saw_terminated |= envelope.event.as_deref() == Some("terminated");
                }
                if editor.write_all(&encode_frame(&body)).await.is_err() {
                    return end;
                }
            }
            // Everything read so far is written: flush once, then wait for more.
            Ok(None) => {
                if editor.flush().await.is_err() {
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

async fn tell_editor_owner_died(last_seq: i64, how: String) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dap::codec::MAX_DAP_MESSAGE_LEN;

    fn frame(message: serde_json::Value) -> Vec<u8> {
        encode_frame(message.to_string().as_bytes())
    }

    #[tokio::test]
    async fn relays_a_message_over_the_editor_input_limit_and_notices_what_follows() {
        let big = "x".repeat(MAX_DAP_MESSAGE_LEN + 1024);
        let mut stream = frame(json!({"seq": 7, "type": "response", "success": true, "body": {"result": big}}));
        stream.extend(frame(json!({"seq": 8, "type": "event", "event": "terminated"})));
        let (mut owner, from_owner) = tokio::io::duplex(64 * 1024);
        let (editor, mut editor_reads) = tokio::io::duplex(64 * 1024);
        let sent = stream.clone();
        let writer = tokio::spawn(async move {
            owner.write_all(&sent).await.expect("write");
        });
        let reader = tokio::spawn(async move {
            let mut seen = Vec::new();
            editor_reads.read_to_end(&mut seen).await.expect("read");
            seen
        });
        let end = owner_to_editor(from_owner, editor).await;
        writer.await.expect("writer");
        assert_eq!(end, RelayEnd { saw_terminated: true, last_seq: 8 });
        let seen = reader.await.expect("reader");
        assert!(seen == stream, "the editor got {} bytes, not the {} sent", seen.len(), stream.len());
    }
}
