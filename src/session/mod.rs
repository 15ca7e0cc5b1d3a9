//! The translation between the editor (DAP) and the debuggee (ptvsd): one task, one state
//! machine, fed by a closed set of inputs. Only this module knows both protocols.

pub mod connect;
mod debuggee;
mod events;
mod exceptions;
mod finalize;
pub mod paths;
mod remote_process;
mod requests;
mod values;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;

use crate::config::attach::AttachConfig;
use crate::dap::message::{Outgoing, Request, RequestError, ResponseBody};
use crate::dap::server::{read_requests, write_messages, DapInput, OutputBacklog};
use crate::process::working_set::{release_when_quiet, Activity};
use connect::{Attached, WireInput};
use debuggee::link::Link;

/// After telling the editor the session is over, how long to wait for its `disconnect`
/// before exiting anyway (Helix keeps stdin open: editor-clients.md).
const EXIT_GRACE: Duration = Duration::from_secs(10);

/// Inputs the session produces for itself: connection results and timers.
enum Internal {
    Connected(Box<Result<Attached, String>>),
    /// A request waiting on the debuggee ran out of time (`requests/waiting.rs`).
    RequestTimeout(i64),
    ExitGrace,
    /// For the attached debuggee; dropped once the link is gone.
    Debuggee(DebuggeeInput),
}

/// Timers and background results that concern the attached debuggee.
enum DebuggeeInput {
    EvaluationTimeout(i64),
    /// ptvsd printed that its debugger loop died.
    DebuggerLoopCrashed,
    /// Probe a thread that may have paused after a resume-all (`debuggee/stragglers.rs`).
    CheckStraggler(crate::wire::model::Tid),
    LongStop(u64),
    /// A `REQH`'s local copy has been read (`exceptions/`).
    HandlersRead {
        ticket: u64,
        read: Result<Vec<crate::wire::model::HandlerStatement>, exceptions::local_source::Unreadable>,
    },
    HandlersReadTimeout(u64),
    /// Send the next queued evaluation (after ptvsd said it was busy).
    PumpEvaluations,
}

impl From<DebuggeeInput> for Internal {
    fn from(input: DebuggeeInput) -> Self {
        Internal::Debuggee(input)
    }
}

/// Why the session loop should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Exit,
}

/// The session: the editor side, and the phase (which holds the link while attached).
pub struct Session {
    editor: Editor,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    wire_rx: Option<mpsc::Receiver<WireInput>>,
    phase: Phase,
}

/// The editor side of the session: what is sent to the editor, what the editor said about
/// itself, and its requests waiting on the debuggee.
struct Editor {
    out: mpsc::UnboundedSender<Outgoing>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    /// Editor requests waiting on the debuggee.
    waiting: requests::waiting::WaitingRequests,
    client_id: Option<String>,
    supports_progress: bool,
    /// Whether the editor counts columns from 1 (the DAP default) or 0.
    columns_start_at_1: bool,
    backlog: OutputBacklog,
    /// Bytes of program output dropped since the editor last kept up.
    dropped_output: usize,
}

/// One input handled while attached: the link, borrowed once by the dispatcher, and the
/// editor side. A handler that finds the link closed says why in `closed`; the session then
/// leaves the attached phase.
struct Debugging<'a> {
    link: &'a mut Link,
    editor: &'a mut Editor,
    closed: Option<&'static str>,
}

/// Where the session is in its life: one value, so that no two stages can be half true.
enum Phase {
    /// Before `attach`, or after one that failed.
    Unattached,
    /// The `attach` request, while its connection is being made.
    Connecting { request: Request, config: Box<AttachConfig> },
    /// Attached: the link and everything learned through it, the stop included (`debuggee/link.rs`).
    Attached(Box<Link>),
    /// The editor has been told that the session is over (`terminated`): only `disconnect` is left.
    Ended,
}

impl Phase {
    /// The attach being made, leaving `Unattached`; `None` (and no change) in any other phase.
    fn take_connecting(&mut self) -> Option<(Request, AttachConfig)> {
        match std::mem::replace(self, Phase::Unattached) {
            Phase::Connecting { request, config } => Some((request, *config)),
            other => {
                *self = other;
                None
            }
        }
    }
}

/// Runs the DAP server on the given streams (stdin/stdout) until the session ends.
pub async fn run(input: impl AsyncRead + Unpin + Send + 'static, output: impl AsyncWrite + Unpin + Send + 'static) {
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let backlog = OutputBacklog::default();
    let writer = tokio::spawn(write_messages(output, out_rx, backlog.clone()));
    let (dap_tx, dap_rx) = mpsc::channel(64);
    let reader = tokio::spawn(read_requests(input, dap_tx, out_tx.clone()));
    let (internal_tx, internal_rx) = mpsc::unbounded_channel();
    let editor = Editor {
        out: out_tx,
        internal_tx,
        waiting: requests::waiting::WaitingRequests::default(),
        client_id: None,
        supports_progress: false,
        columns_start_at_1: true,
        backlog,
        dropped_output: 0,
    };
    let session = Session { editor, internal_rx, wire_rx: None, phase: Phase::Unattached };
    session.run_loop(dap_rx).await;
    // The reader holds a sender too (to answer malformed requests): stop it, so the writer
    // sees every sender gone, flushes and ends, even while the editor keeps stdin open.
    reader.abort();
    let _ = reader.await;
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

impl Session {
    async fn run_loop(mut self, mut dap_rx: mpsc::Receiver<DapInput>) {
        let mut signals = Signals::new();
        // What the editor and the debuggee send (the session's own timers do not count).
        let activity = Activity::new();
        let releasing = tokio::spawn(release_when_quiet(activity.clone()));
        loop {
            let flow = tokio::select! {
                input = dap_rx.recv() => {
                    activity.touch();
                    match input {
                        Some(DapInput::Request(request)) => self.on_request(request).await,
                        Some(DapInput::Closed { reason }) => self.on_editor_gone(&reason).await,
                        None => self.on_editor_gone("the editor went away").await,
                    }
                }
                internal = self.internal_rx.recv() => match internal {
                    Some(internal) => self.on_internal(internal).await,
                    None => Flow::Exit,
                },
                wire = recv_wire(&mut self.wire_rx) => {
                    activity.touch();
                    self.on_wire(wire).await
                }
                signal = signals.next() => {
                    tracing::info!(signal, "signal received: detaching");
                    self.finalize(&format!("the adapter received {signal}")).await;
                    Flow::Exit
                }
            };
            if flow == Flow::Exit {
                break;
            }
        }
        releasing.abort();
    }

    async fn on_editor_gone(&mut self, reason: &str) -> Flow {
        tracing::info!(%reason, "editor input ended");
        self.finalize(reason).await;
        Flow::Exit
    }

    async fn on_internal(&mut self, internal: Internal) -> Flow {
        match internal {
            Internal::Connected(result) => self.on_connected(*result),
            Internal::RequestTimeout(request_seq) => self.on_request_timeout(request_seq),
            Internal::ExitGrace => return Flow::Exit,
            Internal::Debuggee(input) => {
                self.with_debuggee(|debugging| debugging.on_internal(input));
            }
        }
        Flow::Continue
    }

    async fn on_wire(&mut self, input: Option<WireInput>) -> Flow {
        match input {
            Some(WireInput::Bytes(bytes)) => {
                if let Err(problem) = self.on_wire_bytes(&bytes) {
                    // The stream cannot be resynchronised; the link can still carry a detach.
                    self.editor.console(format!("{problem}: detaching."));
                    self.finalize(&problem).await;
                    self.announce_end();
                }
            }
            Some(WireInput::Closed { reason }) => self.lose_link(&reason).await,
            None => self.lose_link("the connection to the debuggee ended").await,
        }
        Flow::Continue
    }

    /// Runs `handler` on the attached debuggee, the one place the link is borrowed for an
    /// input; `None` (and nothing done) when not attached. A link the handler found closed
    /// ends the attached phase here.
    fn with_debuggee<R>(&mut self, handler: impl FnOnce(&mut Debugging<'_>) -> R) -> Option<R> {
        let Phase::Attached(link) = &mut self.phase else { return None };
        let mut debugging = Debugging { link, editor: &mut self.editor, closed: None };
        let result = handler(&mut debugging);
        if let Some(why) = debugging.closed {
            self.link_closed(why);
            self.announce_end();
        }
        Some(result)
    }

    /// Forgets the link after it closed; waiting requests get failed responses that say `why`.
    fn link_closed(&mut self, why: &str) {
        self.wire_rx = None;
        if let Phase::Attached(_) = self.phase {
            self.phase = Phase::Unattached;
        }
        self.editor.fail_all_waiting(why);
    }

    /// Tells the editor the debug session is over, and exits after a grace period if it
    /// does not say `disconnect`.
    fn announce_end(&mut self) {
        match self.phase {
            Phase::Ended => return,
            // Every way out closes the link first (`finalize.rs`): dropping it here would leave
            // the remote program without a detach.
            Phase::Attached(_) => tracing::error!("the session was announced over while still attached"),
            Phase::Unattached | Phase::Connecting { .. } => self.phase = Phase::Ended,
        }
        self.editor.send::<dap_types::events::Terminated>(dap_types::TerminatedEvent { restart: None });
        let internal = self.editor.internal_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(EXIT_GRACE).await;
            let _ = internal.send(Internal::ExitGrace);
        });
    }
}

impl Debugging<'_> {
    fn on_internal(&mut self, input: DebuggeeInput) {
        match input {
            DebuggeeInput::EvaluationTimeout(exec_id) => self.on_evaluation_timeout(exec_id),
            DebuggeeInput::CheckStraggler(tid) => self.check_straggler(tid),
            DebuggeeInput::DebuggerLoopCrashed => self.on_debugger_loop_crash(),
            DebuggeeInput::LongStop(generation) => self.on_long_stop(generation),
            DebuggeeInput::PumpEvaluations => self.pump_evaluations(),
            DebuggeeInput::HandlersRead { ticket, read } => self.on_handlers_read(ticket, read),
            DebuggeeInput::HandlersReadTimeout(ticket) => self.on_handlers_read_timeout(ticket),
        }
    }

    /// The link closed while handling this input: the session leaves the attached phase.
    fn close_link(&mut self, why: &'static str) {
        self.link.close_writer();
        self.closed = Some(why);
    }
}

impl Editor {
    /// Sends a response to the editor.
    fn respond(&self, request: &Request, result: Result<ResponseBody, RequestError>) {
        if let Err(error) = &result {
            tracing::info!(command = %request.command, seq = request.seq, error = %error.message, "request failed");
        }
        let _ =
            self.out.send(Outgoing::Response { request_seq: request.seq, command: request.command.clone(), result });
    }

    /// Program output, dropped (and later said so) while the editor is far behind.
    fn program_output(&mut self, category: dap_types::OutputEventCategory, text: String) {
        if !self.backlog.admit(&text) {
            self.dropped_output += text.len();
            return;
        }
        if self.dropped_output > 0 {
            let notice = format!(
                "[ptvsd-dap: {} bytes of program output were dropped: the editor could not keep up]\n",
                std::mem::take(&mut self.dropped_output)
            );
            self.backlog.admit(&notice);
            self.send::<dap_types::events::Output>(crate::dap::bodies::output(
                dap_types::OutputEventCategory::Console,
                notice,
            ));
        }
        // Long output goes out in pieces that each fit a message (`values/shorten.rs`).
        for piece in values::shorten::split(&text, values::shorten::OUTPUT_CHUNK) {
            self.send::<dap_types::events::Output>(crate::dap::bodies::output(category.clone(), piece.to_string()));
        }
    }

    /// Helix makes any thread named in a `thread` event its current thread, so that the first
    /// stop would not move its cursor (editor-clients.md): it asks for threads at each stop.
    fn thread_event(&self, reason: dap_types::ThreadEventReason, dap_id: u64) {
        if self.client_id.as_deref() != Some("hx") {
            self.send::<dap_types::events::Thread>(dap_types::ThreadEvent { reason, thread_id: dap_id });
        }
    }

    /// An event, named by its dap-types type, so its body is the one DAP gives that event.
    fn send<E: dap_types::events::Event>(&self, body: E::Body) {
        let _ = self.out.send(Outgoing::event::<E>(body));
    }

    /// A line in the editor's debug console.
    fn console(&self, text: impl Into<String>) {
        let mut text = text.into();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        self.send::<dap_types::events::Output>(crate::dap::bodies::output(
            dap_types::OutputEventCategory::Console,
            text,
        ));
    }

    /// Reports the steps of a long operation: as DAP progress when the editor supports it,
    /// else as console lines. Returns the reporter for the task doing the work.
    fn start_progress(&self, request: &Request, title: &str) -> impl Fn(String) + Send + Sync + 'static {
        let out = self.out.clone();
        let progress_id = format!("request-{}", request.seq);
        let as_progress = self.supports_progress;
        if as_progress {
            let _ = out.send(Outgoing::event::<dap_types::events::ProgressStart>(dap_types::ProgressStartEvent {
                progress_id: progress_id.clone(),
                title: title.to_string(),
                request_id: u64::try_from(request.seq).ok(),
                cancellable: None,
                message: None,
                percentage: None,
            }));
        } else {
            self.console(format!("{title} ..."));
        }
        move |message: String| {
            let event = if as_progress {
                let update = dap_types::ProgressUpdateEvent {
                    progress_id: progress_id.clone(),
                    message: Some(message),
                    percentage: None,
                };
                Outgoing::event::<dap_types::events::ProgressUpdate>(update)
            } else {
                Outgoing::event::<dap_types::events::Output>(crate::dap::bodies::output(
                    dap_types::OutputEventCategory::Console,
                    format!("{message}\n"),
                ))
            };
            let _ = out.send(event);
        }
    }

    fn end_progress(&self, request: &Request, succeeded: bool) {
        if self.supports_progress {
            let message = if succeeded { "attached" } else { "failed" };
            self.send::<dap_types::events::ProgressEnd>(dap_types::ProgressEndEvent {
                progress_id: format!("request-{}", request.seq),
                message: Some(message.to_string()),
            });
        }
    }

    /// Sends `internal` to the session after `delay`; the handle cancels it. A timer that is
    /// not cancelled lives its whole delay, so per-stop and per-evaluation timers are cancelled
    /// when they no longer matter (10,000 stops must not leave 10,000 sleeping tasks).
    fn after(&self, delay: Duration, internal: impl Into<Internal>) -> tokio::task::AbortHandle {
        let sender = self.internal_tx.clone();
        let internal = internal.into();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = sender.send(internal);
        })
        .abort_handle()
    }
}

async fn recv_wire(wire_rx: &mut Option<mpsc::Receiver<WireInput>>) -> Option<WireInput> {
    match wire_rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// SIGTERM, SIGINT and SIGHUP: each ends the session with an in-protocol detach.
struct Signals {
    #[cfg(unix)]
    streams: Vec<(&'static str, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let kinds = [
                ("SIGTERM", SignalKind::terminate()),
                ("SIGINT", SignalKind::interrupt()),
                ("SIGHUP", SignalKind::hangup()),
            ];
            let streams = kinds
                .into_iter()
                .filter_map(|(name, kind)| match signal(kind) {
                    Ok(stream) => Some((name, stream)),
                    Err(error) => {
                        tracing::warn!(%error, name, "cannot watch signal");
                        None
                    }
                })
                .collect();
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let futures = self.streams.iter_mut().map(|(name, stream)| {
                let name = *name;
                Box::pin(async move {
                    stream.recv().await;
                    name
                })
            });
            futures_util::future::select_all(futures).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

#[cfg(test)]
mod tests;
