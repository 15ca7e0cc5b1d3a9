//! Connecting to ptvsd: transport, greeting, authentication and attach (§3, §9.1), then the
//! reader and writer tasks that carry the debug session's bytes.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::transport::{self, BoxedPipe, Target};
use crate::wire::generation::{detect_greeting, Generation, Greeting, SUPPORTED_RELEASES};
use crate::wire::model::{AttachInfo, Command, Event};
use crate::wire::Codec;

/// ptvsd greets at once; VS gave up after 5 s.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);
const READ_CHUNK: usize = 64 * 1024;

/// An attached debug session's link, before its I/O tasks start.
pub struct Attached {
    pub pipe: BoxedPipe,
    pub codec: Box<dyn Codec>,
    /// Bytes that followed the attach reply in the same read (`NEWT`, `MODL`, ...).
    pub leftover: BytesMut,
    pub generation: Generation,
    pub info: AttachInfo,
}

/// Connects and attaches. Once the greeting has been read, every way out completes a handshake
/// that ptvsd ends cleanly: abandoning it would wedge its attach server for good (§3.1.1).
pub async fn connect_and_attach(target: &Target, debug_options: &str) -> Result<Attached, String> {
    let mut pipe = transport::connect(target).await.map_err(|error| error.0)?;
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let greeting = tokio::time::timeout(GREETING_TIMEOUT, async {
        loop {
            match detect_greeting(&mut buf) {
                Ok(Some(greeting)) => return Ok(greeting),
                Ok(None) => read_more(&mut pipe, &mut buf).await?,
                Err(error) => return Err(format!("{target} answered, but {error}")),
            }
        }
    })
    .await
    .map_err(|_| {
        format!(
            "connected to {target}, but no ptvsd greeting arrived within {} s: is the program running with \
             ptvsd.enable_attach(), and is its worker started (send a request to the site first)?",
            GREETING_TIMEOUT.as_secs()
        )
    })??;

    let mut codec = greeting.codec();
    let generation = match greeting {
        Greeting::Supported(generation) => generation,
        Greeting::Unsupported { version, .. } => {
            let _ = exchange(&mut pipe, codec.as_mut(), &mut buf, Command::AuthenticateToBackOut).await;
            return Err(format!(
                "the debuggee runs a ptvsd that speaks protocol {version} (ptvsd 2.0 or 2.1 use 2 and 4); \
                 ptvsd-dap supports {SUPPORTED_RELEASES}: install ptvsd 3.0 or later in the remote app"
            ));
        }
    };

    let secret = target.secret.clone();
    match exchange(&mut pipe, codec.as_mut(), &mut buf, Command::Authenticate { secret }).await? {
        Event::Authenticated { accepted: true } => {}
        Event::Authenticated { accepted: false } => {
            return Err(format!(
                "the debuggee at {target} refused the secret: use the secret the app passes to \
                 ptvsd.enable_attach() (on App Service, the WSGI_PTVSD_SECRET app setting), in the URL \
                 as <scheme>://<secret>@host or in the 'secret' argument"
            ))
        }
        other => return Err(unexpected("authentication", &other)),
    }
    let attach = Command::Attach { debug_options: debug_options.to_string() };
    match exchange(&mut pipe, codec.as_mut(), &mut buf, attach).await? {
        Event::Attached(Some(info)) => Ok(Attached { pipe, codec, leftover: buf, generation, info }),
        Event::Attached(None) => Err(format!(
            "the debuggee at {target} refused to attach: another debugger is attached, or an earlier \
             session was lost without detaching (ptvsd then stays attached until it fails to send \
             output). Close the other debugger, or restart the remote app"
        )),
        other => Err(unexpected("attach", &other)),
    }
}

fn unexpected(step: &str, event: &Event) -> String {
    format!("unexpected reply from ptvsd during {step}: {event:?}")
}

/// Sends one handshake command and waits for its reply; never pipelines (§3.2.1).
async fn exchange(pipe: &mut BoxedPipe, codec: &mut dyn Codec, buf: &mut BytesMut, command: Command) -> Result<Event, String> {
    let mut out = BytesMut::new();
    codec.encode(&command, &mut out);
    pipe.write_all(&out).await.map_err(|error| format!("sending the ptvsd handshake failed: {error}"))?;
    pipe.flush().await.map_err(|error| format!("sending the ptvsd handshake failed: {error}"))?;
    tokio::time::timeout(REPLY_TIMEOUT, async {
        loop {
            match codec.decode(buf) {
                Ok(Some(Event::Ignored { .. })) => {}
                Ok(Some(event)) => return Ok(event),
                Ok(None) => read_more(pipe, buf).await?,
                Err(error) => return Err(format!("invalid handshake reply from ptvsd: {error}")),
            }
        }
    })
    .await
    .map_err(|_| format!("ptvsd did not answer the handshake within {} s", REPLY_TIMEOUT.as_secs()))?
}

async fn read_more(pipe: &mut BoxedPipe, buf: &mut BytesMut) -> Result<(), String> {
    match pipe.read_buf(buf).await {
        Ok(0) => Err("the debuggee closed the connection during the handshake (wrong protocol version, or the secret was refused)".to_string()),
        Ok(_) => Ok(()),
        Err(error) => Err(format!("reading from the debuggee failed during the handshake: {error}")),
    }
}

/// What the reader task reports.
#[derive(Debug)]
pub enum WireInput {
    Bytes(Bytes),
    Closed { reason: String },
}

/// Starts the I/O tasks. The reader always drains the socket: a reader that stops would stall
/// the site's `print` calls (§9.11).
pub fn start_io(pipe: BoxedPipe, events: mpsc::Sender<WireInput>) -> (mpsc::UnboundedSender<Bytes>, JoinHandle<()>) {
    let (read_half, write_half) = tokio::io::split(pipe);
    tokio::spawn(read_loop(read_half, events));
    let (bytes_tx, bytes_rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_loop(write_half, bytes_rx));
    (bytes_tx, writer)
}

async fn read_loop(mut read_half: ReadHalf<BoxedPipe>, events: mpsc::Sender<WireInput>) {
    let mut buf = vec![0u8; READ_CHUNK];
    let reason = loop {
        match read_half.read(&mut buf).await {
            Ok(0) => break "the debuggee closed the connection".to_string(),
            Ok(n) => {
                if events.send(WireInput::Bytes(Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                    return;
                }
            }
            Err(error) => break format!("the connection to the debuggee failed: {error}"),
        }
    };
    let _ = events.send(WireInput::Closed { reason }).await;
}

/// Writes until the session drops its sender, then closes the link (FIN, or a WebSocket Close).
async fn write_loop(mut write_half: WriteHalf<BoxedPipe>, mut bytes: mpsc::UnboundedReceiver<Bytes>) {
    while let Some(chunk) = bytes.recv().await {
        if let Err(error) = write_half.write_all(&chunk).await {
            tracing::debug!(%error, "writing to the debuggee failed");
            return;
        }
        if bytes.is_empty() && write_half.flush().await.is_err() {
            return;
        }
    }
    let _ = write_half.shutdown().await;
}
