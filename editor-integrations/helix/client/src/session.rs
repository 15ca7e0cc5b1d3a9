//! Helix's side of a debug session, on Helix's own `helix_dap::Client` and registry: the event
//! handling of `Editor::handle_debugger_message` (helix-view/src/handlers/dap.rs) and the
//! commands of helix-term/src/commands/dap.rs, each followed line by line, with one change:
//! where Helix would only log, silently drop or panic, this records a problem that fails the
//! test. Bodies are parsed with Helix's types exactly where Helix parses them.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::StreamExt;
use helix_core::syntax::config::DebugAdapterConfig;
use helix_dap::registry::{DebugAdapterId, Registry};
use helix_dap::requests::{self, DisconnectArguments, ThreadsArguments};
use helix_dap::{events, Client, Event, Payload, Request, SourceBreakpoint, StackFrame, ThreadId};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::transcript::problem;

/// helix-view's `editor::Breakpoint`: `line` is 0-based.
#[derive(Debug, Clone, Default)]
pub struct Breakpoint {
    pub id: Option<usize>,
    pub verified: bool,
    pub message: Option<String>,
    pub line: usize,
    pub column: Option<usize>,
}

/// A stop as Helix shows it.
#[derive(Debug, Clone)]
pub struct Stop {
    pub reason: String,
    pub thread_id: ThreadId,
    pub frame: StackFrame,
    /// Helix moved the cursor to the frame (else it only marks the line).
    pub jumped: bool,
}

/// Times a request that Helix makes blocking on its UI thread (no other message is handled
/// meanwhile), and records the time in `Session::blocking`.
macro_rules! blocking {
    ($session:expr, $name:expr, $request:expr) => {{
        let started = Instant::now();
        let result = $request.await;
        $session
            .blocking
            .push(($name.to_string(), started.elapsed()));
        result
    }};
}

enum Received {
    Message(Payload),
    Closed,
    Idle,
}

pub struct Session {
    pub registry: Registry,
    pub id: DebugAdapterId,
    /// The editor's breakpoints, by file (Helix's `editor.breakpoints`).
    pub breakpoints: HashMap<PathBuf, Vec<Breakpoint>>,
    /// Set once Helix has handled `initialized` (breakpoints sent, configurationDone answered).
    pub configured: bool,
    pub stops: Vec<Stop>,
    /// The adapter sent `terminated`.
    pub terminated: bool,
    /// `disconnect` was sent: a later `terminated` is the end Helix asked for.
    pub disconnect_sent: bool,
    /// The adapter's stdout is closed (Helix's incoming stream for it ended).
    pub closed: bool,
    pub output: String,
    /// The last status-line message Helix would show.
    pub status: String,
    /// How long each request Helix makes on its UI thread took (name, time).
    pub blocking: Vec<(String, Duration)>,
}

impl Session {
    /// `Registry::start_client`, as `dap_start_impl` calls it: spawns the adapter over stdio
    /// (resolved on PATH) and sends `initialize`, blocking, with Helix's arguments.
    pub fn start(config: &DebugAdapterConfig) -> Result<Session> {
        let mut registry = Registry::new();
        let started = Instant::now();
        let id = registry
            .start_client(None, config)
            .map_err(|e| anyhow!("Failed to start debug client: {e}"))?;
        let mut session = Session {
            registry,
            id,
            breakpoints: HashMap::new(),
            configured: false,
            stops: Vec::new(),
            terminated: false,
            disconnect_sent: false,
            closed: false,
            output: String::new(),
            status: String::new(),
            blocking: Vec::new(),
        };
        session
            .blocking
            .push(("initialize".into(), started.elapsed()));
        Ok(session)
    }

    pub fn client(&mut self) -> &mut Client {
        self.registry
            .get_client_mut(self.id)
            .expect("the debug client was removed")
    }

    /// `dap_toggle_breakpoint_impl` before the session runs: stored, sent at `initialized`.
    pub fn toggle_breakpoint(&mut self, path: PathBuf, line: usize) {
        let breakpoints = self.breakpoints.entry(path).or_default();
        match breakpoints.iter().position(|b| b.line == line) {
            Some(pos) => {
                breakpoints.remove(pos);
            }
            None => breakpoints.push(Breakpoint {
                line,
                ..Default::default()
            }),
        }
    }

    /// Handles the next message from the adapter, if one comes within `idle`.
    async fn pump(&mut self, idle: Duration) {
        if let Received::Message(payload) = self.receive(idle).await {
            self.handle(payload).await;
        }
    }

    /// The next message from the adapter, without handling it. Cancel-safe.
    async fn receive(&mut self, idle: Duration) -> Received {
        if self.closed {
            tokio::time::sleep(idle).await;
            return Received::Idle;
        }
        match tokio::time::timeout(idle, self.registry.incoming.next()).await {
            Err(_) => Received::Idle,
            Ok(None) => {
                self.closed = true;
                Received::Closed
            }
            Ok(Some((_, payload))) => Received::Message(payload),
        }
    }

    /// Pumps messages until `done` holds, checking it after each message and at least every
    /// 50 ms; fails after `limit`, as soon as a problem is recorded, or once the adapter has
    /// closed its output and `done` still does not hold.
    pub async fn wait_until(
        &mut self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&mut Session) -> Result<bool>,
    ) -> Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if done(self)? {
                return Ok(());
            }
            if let Some(first) = crate::transcript::problems().first() {
                bail!("Helix's client failed while waiting for {what}: {first}");
            }
            if Instant::now() >= deadline {
                bail!(
                    "timed out after {limit:?} waiting for {what} (Helix's status line: {:?})",
                    self.status
                );
            }
            if self.closed && !done(self)? {
                bail!("the adapter closed its output while Helix waited for {what}");
            }
            self.pump(Duration::from_millis(50)).await;
        }
    }

    /// Runs `request` to completion while the adapter's other messages keep being handled, as
    /// Helix's main loop does while a job waits for its response. A message being handled is
    /// handled to its end first, as in Helix.
    pub async fn run_job<T>(
        &mut self,
        what: &str,
        request: impl Future<Output = helix_dap::Result<T>> + Send + 'static,
    ) -> Result<T>
    where
        T: Send + 'static,
    {
        let mut job = tokio::spawn(request);
        let deadline = Instant::now() + Duration::from_secs(25);
        loop {
            let received = tokio::select! {
                biased;
                result = &mut job => {
                    return result
                        .map_err(|e| anyhow!("the {what} job died: {e}"))?
                        .map_err(|e| anyhow!("Helix reports for {what}: {e}"));
                }
                received = self.receive(Duration::from_millis(50)) => received,
            };
            if let Received::Message(payload) = received {
                self.handle(payload).await;
            }
            if Instant::now() >= deadline {
                bail!("{what}: no answer although Helix gives up after 20 s");
            }
        }
    }

    // -- Editor::handle_debugger_message

    pub async fn handle(&mut self, payload: Payload) {
        match payload {
            Payload::Event(event) => {
                let body = event.body.clone();
                let parsed = match Event::parse(&event.event, event.body) {
                    Ok(parsed) => parsed,
                    // Helix discards events it does not know; so may the adapter send them.
                    Err(helix_dap::Error::Unhandled) => return,
                    Err(err) => {
                        problem(format!(
                            "Helix cannot parse the '{}' event and drops it: {err}; body: {}",
                            event.event,
                            body.map(|b| b.to_string()).unwrap_or_else(|| "(none)".into())
                        ));
                        return;
                    }
                };
                self.handle_event(parsed).await;
            }
            Payload::Response(response) => problem(format!(
                "a response Helix did not ask for reached its client (helix-dap panics with unreachable!()): {response:?}"
            )),
            Payload::Request(request) => {
                // Helix answers runInTerminal and startDebugging; neither is expected here.
                let reply = match Request::parse(&request.command, request.arguments) {
                    Ok(parsed) => {
                        problem(format!("unexpected reverse request from the adapter: {parsed:?}"));
                        Err(helix_dap::Error::Unhandled)
                    }
                    Err(err) => Err(err),
                };
                let reply = self.client().reply(request.seq, &request.command, reply);
                reply.await.ok();
            }
        }
    }

    async fn handle_event(&mut self, event: Event) {
        match event {
            Event::Stopped(events::StoppedBody {
                thread_id,
                description,
                text,
                reason,
                all_threads_stopped,
                ..
            }) => {
                let all_threads_stopped = all_threads_stopped.unwrap_or_default();
                let mut jumped = false;
                if all_threads_stopped {
                    match blocking!(
                        self,
                        "threads",
                        self.client()
                            .request::<requests::Threads>(Some(ThreadsArguments {}))
                    ) {
                        Ok(response) => {
                            for thread in response.threads {
                                self.fetch_stack_trace(thread.id).await;
                            }
                            jumped = self
                                .select_thread_id(thread_id.unwrap_or_default(), false)
                                .await;
                        }
                        Err(err) => problem(format!(
                            "threads after a stop failed (Helix shows no stop): {err}"
                        )),
                    }
                } else if let Some(thread_id) = thread_id {
                    self.client()
                        .thread_states
                        .insert(thread_id, reason.clone());
                    self.fetch_stack_trace(thread_id).await;
                    jumped = self.select_thread_id(thread_id, false).await;
                } else {
                    problem(format!("'stopped' ({reason}) has neither threadId nor allThreadsStopped: Helix ignores it"));
                }
                self.record_stop(&reason, jumped);
                let scope = match thread_id {
                    Some(id) => format!("Thread {id}"),
                    None => "Target".to_owned(),
                };
                self.status = format!("{scope} stopped because of {reason}");
                for extra in [description, text].into_iter().flatten() {
                    self.status.push(' ');
                    self.status.push_str(&extra);
                }
            }
            Event::Continued(events::ContinuedBody { thread_id, .. }) => {
                let debugger = self.client();
                debugger
                    .thread_states
                    .insert(thread_id, "running".to_owned());
                if debugger.thread_id == Some(thread_id) {
                    debugger.resume_application();
                }
            }
            Event::Thread(thread) => {
                self.status = format!("Thread {}: {}", thread.thread_id, thread.reason);
                self.client().thread_id = Some(thread.thread_id);
            }
            Event::Breakpoint(events::BreakpointBody { reason, breakpoint }) => {
                self.breakpoint_event(&reason, breakpoint)
            }
            Event::Output(events::OutputBody {
                category, output, ..
            }) if category.as_deref() != Some("telemetry") => {
                self.output.push_str(&output);
                self.status = match category {
                    Some(category) => format!("Debug ({category}): {output}"),
                    None => format!("Debug: {output}"),
                };
            }
            Event::Initialized(_) => {
                self.status = "Debugger initialized...".into();
                let files: Vec<PathBuf> = self.breakpoints.keys().cloned().collect();
                for path in files {
                    if let Err(err) = self.breakpoints_changed(path).await {
                        problem(format!("Failed to set breakpoints: {err}"));
                    }
                }
                match blocking!(
                    self,
                    "configurationDone",
                    self.client().configuration_done()
                ) {
                    Ok(()) => self.status = "Debugged application started".into(),
                    Err(err) => problem(format!("Debugger configuration failed: {err}")),
                }
                self.registry.set_active_client(self.id);
                self.configured = true;
            }
            Event::Terminated(terminated) => {
                self.terminated = true;
                if self.disconnect_sent {
                    // The disconnect Helix sends on `terminated` has gone already.
                    return;
                }
                problem(
                    "the adapter ended the session by itself ('terminated' before any disconnect)"
                        .into(),
                );
                let restart = terminated
                    .and_then(|t| t.restart)
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                let disconnect = self.client().disconnect(Some(DisconnectArguments {
                    restart: Some(restart),
                    terminate_debuggee: None,
                    suspend_debuggee: None,
                }));
                self.disconnect_sent = true;
                if let Err(err) = disconnect.await {
                    problem(format!(
                        "Cannot disconnect debugger upon terminated event receival {err:?}"
                    ));
                }
            }
            Event::Exited(exited) if exited.exit_code != 0 => problem(format!(
                "'exited' with code {}: Helix shows \"Debuggee failed to exit successfully\"",
                exited.exit_code
            )),
            // Parsed fine; Helix logs "Unhandled event" and moves on.
            _ => {}
        }
    }

    /// The stop as Helix shows it: the current thread's active frame (its line is marked in the
    /// gutter, and the cursor is there if Helix jumped).
    fn record_stop(&mut self, reason: &str, jumped: bool) {
        let debugger = self.client();
        let (Some(thread_id), Some(frame)) =
            (debugger.thread_id, debugger.current_stack_frame().cloned())
        else {
            problem(format!(
                "after the stop ({reason}) Helix has no current frame to show"
            ));
            return;
        };
        if let Err(err) = check_frame(&frame) {
            problem(err.to_string());
        }
        self.stops.push(Stop {
            reason: reason.to_string(),
            thread_id,
            frame,
            jumped,
        });
    }

    fn breakpoint_event(&mut self, reason: &str, breakpoint: helix_dap::Breakpoint) {
        match reason {
            "new" => {
                let (Some(path), Some(line)) =
                    (breakpoint.source.and_then(|s| s.path), breakpoint.line)
                else {
                    problem(
                        "breakpoint event 'new' without source path or line: Helix drops it".into(),
                    );
                    return;
                };
                self.breakpoints.entry(path).or_default().push(Breakpoint {
                    id: breakpoint.id,
                    verified: breakpoint.verified,
                    message: breakpoint.message,
                    line: line.saturating_sub(1),
                    column: breakpoint.column,
                });
            }
            "changed" => {
                let Some(id) = breakpoint.id else {
                    problem("breakpoint event 'changed' without id: Helix drops it".into());
                    return;
                };
                for b in self
                    .breakpoints
                    .values_mut()
                    .flatten()
                    .filter(|b| b.id == Some(id))
                {
                    b.verified = breakpoint.verified;
                    b.message = breakpoint.message.clone().or_else(|| b.message.take());
                    b.line = breakpoint
                        .line
                        .map_or(b.line, |line| line.saturating_sub(1));
                    b.column = breakpoint.column.or(b.column);
                }
            }
            "removed" => {
                if let Some(id) = breakpoint.id {
                    for list in self.breakpoints.values_mut() {
                        list.retain(|b| b.id != Some(id));
                    }
                }
            }
            other => problem(format!("Unknown breakpoint event: {other}")),
        }
    }

    /// `breakpoints_changed`: one setBreakpoints for the file, blocking; Helix then moves each
    /// breakpoint to the line returned (to line 1 when none is).
    async fn breakpoints_changed(&mut self, path: PathBuf) -> Result<()> {
        let requested = self.breakpoints.get(&path).cloned().unwrap_or_default();
        let source_breakpoints = requested
            .iter()
            .map(|b| SourceBreakpoint {
                line: b.line + 1,
                column: b.column,
                ..Default::default()
            })
            .collect();
        let answered = blocking!(
            self,
            "setBreakpoints",
            self.client()
                .set_breakpoints(path.clone(), source_breakpoints)
        )?;
        if let Some(dap_breakpoints) = answered {
            if dap_breakpoints.len() != requested.len() {
                problem(format!(
                    "setBreakpoints answered {} breakpoints for {} requested: Helix pairs them in order",
                    dap_breakpoints.len(),
                    requested.len()
                ));
            }
            let breakpoints = self
                .breakpoints
                .get_mut(&path)
                .expect("breakpoints vanished");
            for (breakpoint, dap_breakpoint) in breakpoints.iter_mut().zip(dap_breakpoints) {
                breakpoint.id = dap_breakpoint.id;
                breakpoint.verified = dap_breakpoint.verified;
                breakpoint.message = dap_breakpoint.message;
                breakpoint.line = dap_breakpoint.line.unwrap_or(0).saturating_sub(1);
                breakpoint.column = dap_breakpoint.column;
            }
        }
        Ok(())
    }

    /// `fetch_stack_trace`: Helix ignores a failure (and then panics indexing the frames).
    async fn fetch_stack_trace(&mut self, thread_id: ThreadId) {
        match blocking!(self, "stackTrace", self.client().stack_trace(thread_id)) {
            Ok((frames, _)) => {
                let debugger = self.client();
                debugger.stack_frames.insert(thread_id, frames);
                debugger.active_frame = Some(0);
            }
            Err(err) => problem(format!("stackTrace for thread {thread_id} failed: {err}")),
        }
    }

    /// `select_thread_id`: true when Helix jumped to the top frame (opened its file at its line).
    /// A thread already current (say, from a `thread` event) keeps Helix where it is.
    async fn select_thread_id(&mut self, thread_id: ThreadId, force: bool) -> bool {
        if !force && self.client().thread_id.is_some() {
            return false;
        }
        self.client().thread_id = Some(thread_id);
        self.fetch_stack_trace(thread_id).await;
        match self.client().stack_frames.get(&thread_id) {
            Some(frames) => !frames.is_empty(),
            None => {
                problem(format!("no stack frames for thread {thread_id}: Helix panics here (stack_frames[&thread_id])"));
                false
            }
        }
    }

    // -- the commands (helix-term/src/commands/dap.rs, helix-term/src/commands/typed.rs)

    /// The stopped thread and its frame Helix shows, as every command below needs them.
    pub fn current_frame(&mut self) -> Result<(ThreadId, StackFrame)> {
        let debugger = self.client();
        let (Some(frame), Some(thread_id)) = (debugger.active_frame, debugger.thread_id) else {
            bail!("Cannot find current stack frame to access variables.");
        };
        let frame = debugger
            .stack_frames
            .get(&thread_id)
            .and_then(|frames| frames.get(frame))
            .cloned()
            .ok_or_else(|| anyhow!("Failed to get stack frame for thread {thread_id}"))?;
        Ok((thread_id, frame))
    }

    /// `dap_switch_thread`'s picker: `threads`, parsed as Helix's ThreadsResponse.
    pub async fn threads(&mut self) -> Result<requests::ThreadsResponse> {
        let call = self.client().threads();
        let json = self.run_job("threads", call).await?;
        parse("threads", json)
    }

    /// `dap_variables`: scopes of the current frame, then the variables of each scope (blocking).
    pub async fn variables(&mut self) -> Result<Vec<(String, Vec<helix_dap::Variable>)>> {
        let (_, frame) = self.current_frame()?;
        let scopes = blocking!(self, "scopes", self.client().scopes(frame.id))
            .map_err(|e| anyhow!("Failed to get scopes: {e}"))?;
        let mut shown = Vec::new();
        for scope in scopes {
            // Helix leaves a scope empty when this fails; a test must not.
            let variables = blocking!(
                self,
                "variables",
                self.client().variables(scope.variables_reference)
            )
            .map_err(|e| anyhow!("variables of scope '{}' failed: {e}", scope.name))?;
            shown.push((scope.name, variables));
        }
        Ok(shown)
    }

    /// `:debug-eval <expression>`: evaluate in the current frame, without a context.
    pub async fn eval(&mut self, expression: &str) -> Result<requests::EvaluateResponse> {
        let (_, frame) = self.current_frame()?;
        let response = blocking!(
            self,
            "evaluate",
            self.client().eval(expression.to_string(), Some(frame.id))
        )
        .map_err(|e| anyhow!("{e}"))?;
        self.status = response.result.clone();
        Ok(response)
    }

    /// `dap_next`: the response body must parse as `()` (none, or null) before Helix marks the
    /// thread running.
    pub async fn next(&mut self) -> Result<()> {
        let thread_id = self.stopped_thread()?;
        let call = self.client().next(thread_id);
        let json = self.run_job("next", call).await?;
        parse::<()>("next", json)?;
        self.client().resume_application();
        Ok(())
    }

    /// `dap_continue`: the response body must parse as Helix's ContinueResponse.
    pub async fn continue_thread(&mut self) -> Result<()> {
        let thread_id = self.stopped_thread()?;
        let call = self.client().continue_thread(thread_id);
        let json = self.run_job("continue", call).await?;
        parse::<requests::ContinueResponse>("continue", json)?;
        self.client().resume_application();
        Ok(())
    }

    /// The `disconnect` Helix sends (on `terminated`): `{restart: false}`. Helix reads nothing
    /// from the response but its success.
    pub async fn disconnect(&mut self) -> Result<()> {
        let call = self.client().disconnect(Some(DisconnectArguments {
            restart: Some(false),
            terminate_debuggee: None,
            suspend_debuggee: None,
        }));
        self.disconnect_sent = true;
        self.run_job("disconnect", call).await?;
        Ok(())
    }

    fn stopped_thread(&mut self) -> Result<ThreadId> {
        self.client()
            .thread_id
            .ok_or_else(|| anyhow!("Currently active thread is not stopped. Switch the thread."))
    }
}

/// How `dap_callback` turns a response body into the type a command expects.
fn parse<T: DeserializeOwned>(command: &str, json: Value) -> Result<T> {
    serde_json::from_value(json.clone()).with_context(|| {
        format!(
            "Helix cannot parse the '{command}' response body {json} as {}",
            std::any::type_name::<T>()
        )
    })
}

/// What `jump_to_stack_frame` and the gutter need of a frame: Helix opens `source.path` and puts
/// the cursor at line/column.
fn check_frame(frame: &StackFrame) -> Result<()> {
    let Some(path) = frame.source.as_ref().and_then(|s| s.path.as_deref()) else {
        bail!(
            "frame '{}' has no source.path: Helix does not move to the stop",
            frame.name
        );
    };
    if !path.is_absolute() || !Path::new(path).is_file() {
        bail!(
            "frame source.path {} is not an existing absolute path: Helix opens an empty buffer",
            path.display()
        );
    }
    if frame.line == 0 {
        bail!("frame line 0: dap_pos_to_pos underflows (a panic in Helix's debug builds)");
    }
    Ok(())
}
