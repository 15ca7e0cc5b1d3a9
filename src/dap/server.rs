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
    Closed { reason: String },
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
pub async fn write_messages(mut output: impl AsyncWrite + Unpin, mut messages: mpsc::UnboundedReceiver<Outgoing>) {
    let mut seq = 0;
    while let Some(message) = messages.recv().await {
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
