//! Connecting to ptvsd: transport, greeting, authentication and attach (§3, §9.1), then the
//! reader and writer tasks that carry the debug session's bytes.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::transport::affinity::Landing;
use crate::transport::{self, BoxedPipe, CloseReason, ConnectError, ConnectOptions, Connection, Scheme, Target};
use crate::wire::generation::{detect_greeting, Generation, Greeting, SUPPORTED_RELEASES};
use crate::wire::model::{AttachInfo, Command, Event, RemoteProcessInfo};
use crate::wire::Codec;

/// ptvsd greets at once; VS gave up after 5 s.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);
const READ_CHUNK: usize = 64 * 1024;

/// An attached debug session's link, before its I/O tasks start.
pub struct Attached {
    pub pipe: BoxedPipe,
    pub close_reason: CloseReason,
    pub codec: Box<dyn Codec>,
    /// Bytes that followed the attach reply in the same read (`NEWT`, `MODL`, ...).
    pub leftover: BytesMut,
    pub generation: Generation,
    pub info: AttachInfo,
    /// The instance of a scaled-out site attached to, when the front end named it.
    pub instance: Option<Landing>,
    /// What the console must say about the link (a weak TLS version, say).
    pub warnings: Vec<String>,
}

/// What to connect to and how.
pub struct AttachPlan {
    pub target: Target,
    pub options: ConnectOptions,
    pub debug_options: String,
    /// How long to keep retrying while a site starts (ws/wss only).
    pub timeout: Duration,
}

const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(8);

/// Connects and attaches, retrying with backoff while a WebSocket target may still be waking
/// up (503, refused, no greeting yet), until `plan.timeout`. `progress` hears each step.
pub async fn connect_and_attach(
    plan: &AttachPlan,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Attached, String> {
    match connect_with_retries(plan, Goal::Attach, progress).await? {
        Reached::Attached(attached) => Ok(*attached),
        Reached::Info { .. } => Err("ptvsd answered with process information instead of attaching".to_string()),
    }
}

/// Walks the same path as an attach but stops at ptvsd's process information: nothing is
/// attached, so the debuggee's output is not redirected once more (§9.11).
pub async fn probe(
    plan: &AttachPlan,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<(Generation, RemoteProcessInfo), String> {
    match connect_with_retries(plan, Goal::Info, progress).await? {
        Reached::Info { generation, info } => Ok((generation, info)),
        Reached::Attached(_) => Err("ptvsd attached instead of answering with process information".to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Attach,
    Info,
}

enum Reached {
    Attached(Box<Attached>),
    Info { generation: Generation, info: RemoteProcessInfo },
}

async fn connect_with_retries(
    plan: &AttachPlan,
    goal: Goal,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Reached, String> {
    let started = tokio::time::Instant::now();
    let connect_deadline = transport::Deadline::after(plan.timeout);
    let deadline = connect_deadline.at;
    let retries = plan.target.scheme.is_websocket();
    let mut delay = FIRST_RETRY_DELAY;
    let mut attempt = 1;
    let mut target = plan.target.clone();
    loop {
        match attach_once(plan, &target, goal, progress, attempt, connect_deadline).await {
            Ok(None) => match target.escaped_secret.take() {
                // A refused handshake ends cleanly (§3.1.1): one more with the VS-era form is harmless.
                Some(escaped) => {
                    progress("The secret was refused; trying it as written in the URL, percent-escapes kept (as Visual Studio sent it)".to_string());
                    target.secret = escaped;
                    attempt += 1;
                }
                None => return Err(secret_refused(&plan.target)),
            },
            Ok(Some(mut reached)) => {
                if target.secret != plan.target.secret {
                    match &mut reached {
                        Reached::Attached(attached) => attached.warnings.push(ESCAPED_SECRET_ACCEPTED.to_string()),
                        // A probe says its warnings as it goes.
                        Reached::Info { .. } => progress(format!("Warning: {ESCAPED_SECRET_ACCEPTED}")),
                    }
                }
                return Ok(reached);
            }
            Err(error) if error.retry && retries && tokio::time::Instant::now() + delay < deadline => {
                progress(format!("{}; trying again in {} s", error.message, delay.as_secs()));
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
                attempt += 1;
            }
            Err(error) if attempt > 1 => {
                return Err(format!(
                    "{} (gave up after {attempt} attempts in {} s)",
                    error.message,
                    started.elapsed().as_secs()
                ))
            }
            Err(error) => return Err(error.message),
        }
    }
}

const ESCAPED_SECRET_ACCEPTED: &str = "the debuggee accepted the secret only as written in the URL, percent-escapes kept (as Visual \
     Studio sent it), not decoded: this works, but other tools decode it; writing each '%' of the secret as %25 in the URL suits both";

/// The refused-secret message; `target` is as configured, so it tells whether both URL forms were tried.
fn secret_refused(target: &Target) -> String {
    let forms = if target.escaped_secret.is_some() {
        " (both as decoded from the URL and as written there, percent-escapes kept, as Visual Studio sent it)"
    } else {
        ""
    };
    format!(
        "the debuggee at {target} refused the secret{forms}: use the secret the app passes to \
         ptvsd.enable_attach() (on App Service, the WSGI_PTVSD_SECRET app setting of web.debug.config), \
         in the URL as <scheme>://<secret>@host or in the 'secret' argument"
    )
}

/// One attempt; `None` when ptvsd refused the secret. Once the greeting has been read, every way
/// out completes a handshake that ptvsd ends cleanly: abandoning it would wedge its attach server
/// for good (§3.1.1).
async fn attach_once(
    plan: &AttachPlan,
    target: &Target,
    goal: Goal,
    progress: &(dyn Fn(String) + Send + Sync),
    attempt: u32,
    deadline: transport::Deadline,
) -> Result<Option<Reached>, ConnectError> {
    let proxy = transport::proxy_from_env(target)?;
    let through =
        proxy.as_ref().map_or(String::new(), |proxy| format!(" through the proxy {proxy} (from {})", proxy.variable));
    progress(match (target.scheme, attempt) {
        (Scheme::Tcp | Scheme::Tcps, _) => format!("Connecting to {target}"),
        (_, 1) => format!("Waking the site and opening the WebSocket to {target}{through}"),
        (_, n) => format!("Opening the WebSocket to {target}{through} (attempt {n})"),
    });
    let Connection { mut pipe, close_reason, instance, warnings, protection } =
        transport::connect(target, &plan.options, proxy.as_ref(), deadline).await?;
    if let Some(protection) = protection {
        progress(format!("{protection} established with {target}: the secret will be sent over it"));
    }
    if goal == Goal::Info {
        // An attach says these on the console once attached; a probe says them now.
        warnings.iter().for_each(|warning| progress(format!("Warning: {warning}")));
    }
    progress("Waiting for the ptvsd greeting".to_string());
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let greeting = tokio::time::timeout(GREETING_TIMEOUT, async {
        loop {
            match detect_greeting(&mut buf) {
                Ok(Some(greeting)) => return Ok(greeting),
                Ok(None) => read_more(&mut pipe, &mut buf).await.map_err(ConnectError::fatal)?,
                Err(error) => return Err(ConnectError::fatal(format!("{target} answered, but {error}"))),
            }
        }
    })
    .await
    .map_err(|_| {
        // Nothing was read: closing now is harmless to ptvsd (§3.1.1).
        ConnectError::transient(format!(
            "connected to {target}, but no ptvsd greeting arrived within {} s: is the program running with \
             ptvsd.enable_attach(), and is its worker started (send a request to the site first)? If a previous \
             connection was cut during its handshake, ptvsd's attach server is stuck: restart the remote program.",
            GREETING_TIMEOUT.as_secs()
        ))
    })??;
    if let Some(reason) = instance.as_ref().and_then(Landing::stale_reason) {
        // Not the instance asked for: leave without the secret, completing the step (§3.1.1). A
        // debuggee without a secret accepts the empty one; the information request then ends it (§3.1).
        let mut codec = greeting.codec();
        let back_out = exchange(&mut pipe, codec.as_mut(), &mut buf, Command::AuthenticateToBackOut).await;
        if let Ok(Event::Authenticated { accepted: true }) = back_out {
            let _ = exchange(&mut pipe, codec.as_mut(), &mut buf, Command::RemoteInfo).await;
        }
        return Err(ConnectError::fatal(reason));
    }
    match finish_handshake(pipe, buf, greeting, plan, target, goal, progress).await.map_err(ConnectError::fatal)? {
        Handshaken::Attached(pipe, codec, leftover, generation, info) => {
            Ok(Some(Reached::Attached(Box::new(Attached {
                pipe,
                close_reason,
                codec,
                leftover,
                generation,
                info,
                instance,
                warnings,
            }))))
        }
        Handshaken::Info(generation, info) => Ok(Some(Reached::Info { generation, info })),
        Handshaken::SecretRefused => Ok(None),
    }
}

enum Handshaken {
    Attached(BoxedPipe, Box<dyn Codec>, BytesMut, Generation, AttachInfo),
    Info(Generation, RemoteProcessInfo),
    SecretRefused,
}

async fn finish_handshake(
    mut pipe: BoxedPipe,
    mut buf: BytesMut,
    greeting: Greeting,
    plan: &AttachPlan,
    target: &Target,
    goal: Goal,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Handshaken, String> {
    let mut codec = greeting.codec();
    let generation = match greeting {
        Greeting::Supported(generation) => generation,
        Greeting::Unsupported { version, .. } => {
            let _ = exchange(&mut pipe, codec.as_mut(), &mut buf, Command::AuthenticateToBackOut).await;
            return Err(format!(
                "the debuggee runs a ptvsd that speaks protocol {version} (ptvsd 2.0 and 2.1 use 2 and 4); \
                 ptvsd-dap supports {SUPPORTED_RELEASES}: install ptvsd 3.0 or later in the remote app"
            ));
        }
    };
    progress(format!("Authenticating (ptvsd protocol {})", generation.protocol_version()));
    let secret = target.secret.clone();
    match exchange(&mut pipe, codec.as_mut(), &mut buf, Command::Authenticate { secret }).await? {
        Event::Authenticated { accepted: true } => {}
        Event::Authenticated { accepted: false } => return Ok(Handshaken::SecretRefused),
        other => return Err(unexpected("authentication", &other)),
    }
    if goal == Goal::Info {
        progress("Asking for the process information".to_string());
        // ptvsd answers, then waits for us to close (v6) or closes (JSON): close promptly.
        return match exchange(&mut pipe, codec.as_mut(), &mut buf, Command::RemoteInfo).await? {
            Event::RemoteInfo(info) => Ok(Handshaken::Info(generation, info)),
            other => Err(unexpected("the information request", &other)),
        };
    }
    progress("Attaching".to_string());
    let attach = Command::Attach { debug_options: plan.debug_options.clone() };
    match exchange(&mut pipe, codec.as_mut(), &mut buf, attach).await? {
        Event::Attached(Some(info)) => Ok(Handshaken::Attached(pipe, codec, buf, generation, info)),
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
async fn exchange(
    pipe: &mut BoxedPipe,
    codec: &mut dyn Codec,
    buf: &mut BytesMut,
    command: Command,
) -> Result<Event, String> {
    tracing::debug!(target: "wire::out", ?command, "to ptvsd");
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
        Ok(0) => Err(
            "the debuggee closed the connection during the handshake (wrong protocol version, the secret was refused, \
             or the connection was cut)"
                .to_string(),
        ),
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
