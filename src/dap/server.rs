//! The editor's stdio: a reader task that turns stdin into [`DapInput`]s and a writer task
//! that frames [`Outgoing`] messages onto stdout. The writer is the only place that assigns
//! outgoing `seq` numbers.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::codec::{decode_frame, encode_frame};
use super::message::{parse_request, Outgoing, Request, RequestError};

#[derive(Debug)]
pub enum DapInput {
    Request(Request),
    /// The editor closed stdin, or the stream broke beyond repair.
    Closed {
        reason: String,
    },
}

/// Reads DAP messages until EOF. Malformed messages are answered on the spot (through `out`)
/// and the stream goes on; broken framing ends it.
pub async fn read_requests(
    mut input: impl AsyncRead + Unpin,
    requests: mpsc::Sender<DapInput>,
    out: mpsc::UnboundedSender<Outgoing>,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let reason = loop {
        match decode_frame(&mut buf) {
            Ok(Some(body)) => match parse_request(&body) {
                Ok(request) => {
                    if requests.send(DapInput::Request(request)).await.is_err() {
                        return;
                    }
                }
                Err((seq, command, problem)) => {
                    tracing::warn!(%problem, "malformed DAP message");
                    if let Some(request_seq) = seq {
                        let _ = out.send(Outgoing::Response {
                            request_seq,
                            command: command.unwrap_or_default(),
                            result: Err(RequestError::new(format!("malformed request: {problem}"))),
                        });
                    }
                }
            },
            Ok(None) => match input.read_buf(&mut buf).await {
                Ok(0) => break "the editor closed the adapter's input".to_string(),
                Ok(_) => {}
                Err(error) => break format!("reading from the editor failed: {error}"),
            },
            Err(error) => break format!("the editor's DAP stream is broken: {error}"),
        }
    };
    let _ = requests.send(DapInput::Closed { reason }).await;
}

/// Writes messages until every sender is gone, then flushes.
pub async fn write_messages(
    mut output: impl AsyncWrite + Unpin,
    mut messages: mpsc::UnboundedReceiver<Outgoing>,
    backlog: OutputBacklog,
) {
    let mut seq = 0;
    while let Some(message) = messages.recv().await {
        backlog.written(&message);
        seq += 1;
        let json = message.to_json(seq);
        tracing::debug!(target: "dap::out", message = %json, "to editor");
        let frame = encode_frame(json.to_string().as_bytes());
        if let Err(error) = output.write_all(&frame).await {
            tracing::warn!(%error, "writing to the editor failed");
            return;
        }
        if messages.is_empty() {
            if let Err(error) = output.flush().await {
                tracing::warn!(%error, "flushing to the editor failed");
                return;
            }
        }
    }
    let _ = output.flush().await;
}

/// Program output queued for the editor and not yet written, in bytes: the text and a fixed cost
/// per event. The debuggee's socket is always drained (a reader that stops would stall the
/// site's `print`, §9.11); when the editor reads slower than the program prints, output beyond
/// the limit is dropped, and said so.
#[derive(Clone, Default)]
pub struct OutputBacklog(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl OutputBacklog {
    /// The most output held for a slow editor.
    pub const LIMIT: usize = 16 * 1024 * 1024;
    /// What a queued output event holds beyond its text (the event and its JSON body): about
    /// 1.4 KiB measured with `bench load --print-size 16`. Counting text alone let a flood of
    /// tiny prints (each `print` is two events, its text and "\n") hold 350 MiB for 3 MB of text.
    const EVENT_COST: usize = 1536;

    fn cost(text_len: usize) -> usize {
        text_len.saturating_add(Self::EVENT_COST)
    }

    /// Counts `text` in if there is room; false when it must be dropped.
    pub fn admit(&self, text: &str) -> bool {
        use std::sync::atomic::Ordering;
        let queued = self.0.load(Ordering::Relaxed);
        if queued.saturating_add(Self::cost(text.len())) > Self::LIMIT {
            return false;
        }
        self.0.fetch_add(Self::cost(text.len()), Ordering::Relaxed);
        true
    }

    fn written(&self, message: &Outgoing) {
        use std::sync::atomic::Ordering;
        if let Outgoing::Event { event, body: Some(body) } = message {
            if event == "output" {
                let cost = Self::cost(body.get("output").and_then(serde_json::Value::as_str).map_or(0, str::len));
                let _ = self
                    .0
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |queued| Some(queued.saturating_sub(cost)));
            }
        }
    }
}

/// Stdout without std's line buffering, which would split each frame at its header's line
/// breaks into two writes (a message cut in half if the process dies between them).
pub fn raw_stdout() -> std::io::Result<tokio::fs::File> {
    #[cfg(unix)]
    let owned = {
        use std::os::fd::AsFd;
        std::io::stdout().as_fd().try_clone_to_owned()?
    };
    #[cfg(windows)]
    let owned = {
        use std::os::windows::io::AsHandle;
        std::io::stdout().as_handle().try_clone_to_owned()?
    };
    Ok(tokio::fs::File::from_std(std::fs::File::from(owned)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_admits_up_to_its_limit_and_frees_what_is_written() {
        let backlog = OutputBacklog::default();
        let chunk = "x".repeat(OutputBacklog::LIMIT / 2 - OutputBacklog::EVENT_COST);
        assert!(backlog.admit(&chunk));
        assert!(backlog.admit(&chunk));
        assert!(!backlog.admit("one more"), "over the limit");
        backlog
            .written(&Outgoing::Event { event: "output".into(), body: Some(serde_json::json!({ "output": chunk })) });
        assert!(backlog.admit("one more"));
    }

    #[test]
    fn tiny_outputs_count_what_their_events_hold() {
        let backlog = OutputBacklog::default();
        let admitted = (0..OutputBacklog::LIMIT).take_while(|_| backlog.admit("\n")).count();
        assert_eq!(admitted, OutputBacklog::LIMIT / (OutputBacklog::EVENT_COST + 1));
    }
}
