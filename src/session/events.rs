//! What ptvsd tells the adapter: each event updates the session's state and becomes DAP
//! responses and events (§6, §8).

use dap_types::{BreakpointEvent, BreakpointEventReason, StoppedEventReason, ThreadEventReason};

use super::connect::{start_io, Attached};
use super::debuggee::breakpoints::BindState;
use super::debuggee::link::Link;
use super::debuggee::stop::AttachStop;
use super::requests::module_body;
use super::requests::waiting::WaitsOn;
use super::values::evaluation::{Waiter, Work};
use super::{DebuggeeInput, Debugging, Phase, Session};
use crate::dap::bodies;
use crate::dap::message::RequestError;
use crate::wire::generation::Release;
use crate::wire::model::{Command, Event, ExceptionBreakType, Obj, OutputChannel, ReprKind, Tid};

impl Session {
    pub(super) fn on_connected(&mut self, result: Result<Attached, String>) {
        let Some((request, config)) = self.phase.take_connecting() else { return };
        self.editor.end_progress(&request, result.is_ok());
        let warnings = result.as_ref().map(|attached| attached.warnings.clone()).unwrap_or_default();
        let attached = match result {
            Ok(attached) => attached,
            Err(problem) => {
                self.editor.console(format!("Cannot attach: {problem}"));
                self.editor.respond(&request, Err(RequestError::new(problem)));
                return;
            }
        };
        let remote = super::remote_process::RemoteProcess::new(&config, attached.instance.clone(), attached.info.pid);
        self.install_link(attached, config);
        self.with_debuggee(|debugging| debugging.on_attached(&request, &remote, warnings));
    }

    /// Starts the link's I/O and makes it the session's.
    pub(super) fn install_link(&mut self, attached: Attached, config: crate::config::attach::AttachConfig) {
        let (wire_tx, wire_rx) = tokio::sync::mpsc::channel(256);
        let Attached { pipe, close_reason, codec, leftover, generation, info, instance: _, warnings: _ } = attached;
        let (writer, writer_task) = start_io(pipe, wire_tx);
        let link = Link::new(generation, info, codec, leftover, writer, writer_task, config, close_reason);
        self.phase = Phase::Attached(Box::new(link));
        self.wire_rx = Some(wire_rx);
    }

    /// Bytes from the debuggee: decoded and handled while attached, dropped otherwise.
    pub(super) fn on_wire_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.with_debuggee(|debugging| {
            debugging.link.io.read_buf.extend_from_slice(bytes);
            debugging.process_wire_buffer()
        })
        .unwrap_or(Ok(()))
    }
}

impl Debugging<'_> {
    /// The attach is made: the editor is answered and told what it is attached to.
    fn on_attached(
        &mut self,
        request: &crate::dap::message::Request,
        remote: &super::remote_process::RemoteProcess,
        warnings: Vec<String>,
    ) {
        let link = &mut *self.link;
        // The debuggee keeps its exception table across sessions: always reset it (§9.1).
        link.send(super::exceptions::table(0));
        let (major, minor, micro) = link.info.python_version;
        let greeting = format!(
            "Attached to ptvsd protocol {} ({}), Python {major}.{minor}.{micro}, pid {}",
            link.generation.protocol_version(),
            link.release.name(),
            link.info.pid
        );
        tracing::info!("{greeting}");
        self.editor.respond(request, Ok(None));
        self.editor.send::<dap_types::events::Initialized>(());
        self.editor.console(greeting);
        remote.console_lines().into_iter().for_each(|line| self.editor.console(line));
        self.editor.send::<dap_types::events::Process>(remote.event());
        for warning in warnings {
            self.editor.console(format!("Warning: {warning}"));
        }
        self.editor.announce_goto(self.link);
        if let Err(problem) = self.process_wire_buffer() {
            tracing::warn!(%problem, "decoding the first events failed");
        }
    }

    fn process_wire_buffer(&mut self) -> Result<(), String> {
        // An event that closed the link (ptvsd detached) ends the reading.
        while self.closed.is_none() {
            match self.link.decode() {
                Ok(Some(event)) => self.on_event(event),
                Ok(None) => return Ok(()),
                Err(error) => return Err(format!("ptvsd sent data this adapter cannot read ({error})")),
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event) {
        tracing::trace!(target: "wire::in", ?event, "from ptvsd");
        let link = &mut *self.link;
        match event {
            Event::ThreadCreate { tid } => {
                let (dap_id, new) = link.threads.add(tid);
                if new {
                    self.editor.thread_event(ThreadEventReason::Started, dap_id);
                }
            }
            Event::ThreadExit { tid } => {
                let abandoned = link.evaluations.abandon_on_thread(tid);
                link.stragglers.forget(Some(tid));
                if let Some(dap_id) = link.threads.remove(tid) {
                    self.editor.thread_event(ThreadEventReason::Exited, dap_id);
                }
                for waiter in abandoned {
                    self.fail_waiter(waiter, "the thread exited before the debuggee answered".to_string());
                }
                self.pump_evaluations();
            }
            Event::ThreadFrames { tid, frames, .. }
                if self.editor.waiting.any(|on| matches!(on, WaitsOn::Stack(waiting, _) if *waiting == tid)) =>
            {
                // The reply to `thrf`: its name is ptvsd's own thread's (§6.1), and the thread runs.
                link.threads.record_frames(tid, None, frames);
                self.answer_waiting_stacks(tid);
            }
            Event::ThreadFrames { tid, name, frames } => {
                let known = link.threads.get(tid).is_some();
                let pausing = name.is_some();
                let dap_id = link.threads.record_frames(tid, name, frames);
                if !known {
                    self.editor.thread_event(ThreadEventReason::Started, dap_id);
                }
                if pausing {
                    self.watch_for_straggler(tid);
                }
            }
            Event::ProcessLoad { tid } => {
                link.stop.attach_stop = AttachStop::Arrived(tid);
                link.stop.attach_thread = Some(tid);
                if link.stop.configuration_done {
                    self.start_attach_probe(tid);
                }
            }
            Event::StepDone { tid } => self.report_stop(tid, StoppedEventReason::Step, None, None),
            Event::AsyncBreak { tid } => {
                if std::mem::take(&mut link.stop.probe_at_pause) {
                    // The silent pause for the release probe; a pause the user asked for
                    // meanwhile is reported once the probe is done.
                    link.threads.record_blocked(tid);
                    self.start_attach_probe(tid);
                    return;
                }
                link.stop.pause_requested = false;
                self.report_stop(tid, StoppedEventReason::Pause, None, None);
            }
            Event::BreakpointHit { id, tid } => self.on_breakpoint_hit(id, tid),
            Event::BreakpointSet { id } => self.on_breakpoint_state(id, BindState::Bound),
            Event::BreakpointFailed { id } => self.on_breakpoint_state(id, BindState::Pending),
            Event::Exception { tid, info } => self.on_exception(tid, info),
            Event::ExecutionResult { exec_id, obj } => {
                if let Some(waiter) = link.evaluations.complete(exec_id) {
                    self.on_evaluated(waiter, Ok(obj));
                }
                self.pump_evaluations();
            }
            Event::ExecutionException { exec_id, text } => {
                if text == super::values::evaluation::BUSY_TEXT && link.evaluations.retry_busy(exec_id) {
                    self.editor.after(super::values::evaluation::BUSY_RETRY_DELAY, DebuggeeInput::PumpEvaluations);
                    return;
                }
                if let Some(waiter) = link.evaluations.complete(exec_id) {
                    self.on_evaluated(waiter, Err(text));
                }
                self.pump_evaluations();
            }
            Event::Children { exec_id, children } => {
                // Only expandable values are enumerated: an empty answer is most likely "busy".
                if children.is_empty() && link.evaluations.retry_busy(exec_id) {
                    self.editor.after(super::values::evaluation::BUSY_RETRY_DELAY, DebuggeeInput::PumpEvaluations);
                    return;
                }
                if let Some(waiter) = link.evaluations.complete(exec_id) {
                    self.on_children(waiter, children);
                }
                self.pump_evaluations();
            }
            Event::Output { text, channel, .. } => {
                let category = match channel {
                    Some(OutputChannel::Stderr) => dap_types::OutputEventCategory::Stderr,
                    Some(OutputChannel::Debug) => dap_types::OutputEventCategory::Console,
                    _ => dap_types::OutputEventCategory::Stdout,
                };
                let loop_crashed = is_debugger_loop_crash(&text);
                if link.config.redirect_output || channel == Some(OutputChannel::Debug) || loop_crashed {
                    self.editor.program_output(category, text);
                }
                if loop_crashed {
                    // The rest of the traceback (the error itself) follows at once: show it too.
                    self.editor.after(TRACEBACK_REST, DebuggeeInput::DebuggerLoopCrashed);
                }
            }
            // Unanswered, the raising thread blocks forever (§9.8).
            Event::RequestHandlers { file } => self.on_request_handlers(file),
            Event::Detached => {
                // Unasked: the program is exiting (ptvsd's atexit hook detaches, §9.13).
                self.close_link("the program is exiting");
                self.editor.console("The program is exiting: ptvsd detached.");
            }
            Event::CommandFailed { command, message } => {
                if command == "legacyExecuteText" || command == "legacyEnumChildren" {
                    if let Some(waiter) = link.evaluations.complete_current() {
                        self.on_evaluated(waiter, Err(last_line(&message)));
                    }
                    self.pump_evaluations();
                } else if command != "legacyDetach" {
                    tracing::warn!(%command, %message, "ptvsd reported a failed command");
                }
            }
            Event::Authenticated { .. } | Event::Attached(_) | Event::RemoteInfo(_) => {
                tracing::warn!(?event, "handshake reply after attach ignored");
            }
            Event::ModuleLoad { id, file } => {
                let module = module_body(link, id, &file);
                // The debuggee can load modules without end: the list the editor can ask for is bounded.
                if link.files.modules.len() < super::debuggee::link::MAX_MODULES {
                    link.files.modules.push((id, file));
                }
                self.editor.send::<dap_types::events::Module>(dap_types::ModuleEvent {
                    reason: dap_types::ModuleEventReason::New,
                    module,
                });
            }
            Event::SetLineNumberResult { success, tid, .. } => self.on_line_set(success, tid),
            Event::ModulesChanged | Event::BreakpointHitCount { .. } | Event::Ignored { .. } => {}
        }
    }

    fn on_exception(&mut self, tid: Tid, info: crate::wire::model::ExceptionInfo) {
        let link = &mut *self.link;
        link.threads.add(tid);
        let just_my_code = link.just_my_code();
        let Some(thread) = link.threads.get_mut(tid) else { return };
        // ptvsd 2.2/3.0 count frozen modules (and, in a virtual environment, the standard
        // library) as user code: with "raised", the import system's own exceptions would stop
        // the user before any of theirs. With justMyCode, a raise outside the user's code is let
        // go; if it reaches the user's code, ptvsd reports it there again.
        let raised_in_library = info.break_type != ExceptionBreakType::Unhandled
            && just_my_code
            && thread.frames.first().is_some_and(|frame| !super::exceptions::is_user_code(&frame.file));
        if raised_in_library {
            tracing::debug!(tid, type_name = %info.type_name, "raised outside the user's code: not shown");
            thread.exception_stop = None;
            link.threads.record_blocked(tid);
            self.resume_silently(tid);
            return;
        }
        // ptvsd reports a raised exception again in every user frame it unwinds through; the
        // user asked to see it once, where it was raised.
        let unwinding =
            thread.exception_stop.as_ref().is_some_and(|previous| previous.is_propagated_by(&info, &thread.frames));
        thread.exception_stop = Some(super::debuggee::threads::ExceptionStop::new(&info, &thread.frames));
        if unwinding {
            tracing::debug!(tid, "the same exception unwinding into the caller: not shown again");
            link.threads.record_blocked(tid);
            self.resume_silently(tid);
            return;
        }
        let unhandled = info.break_type == ExceptionBreakType::Unhandled;
        let description = format!(
            "{} exception: {}: {}",
            if unhandled { "Unhandled" } else { "Raised" },
            info.type_name,
            info.message
        );
        let description = super::values::shorten::shorten(
            description,
            super::values::shorten::EXCEPTION_TEXT,
            super::values::shorten::Rest::NotShown,
        );
        thread.exception = Some(info);
        // Other threads keep running on an exception stop (§8.3).
        self.report_stop(tid, StoppedEventReason::Exception, Some(description), Some(false));
    }

    fn report_stop(
        &mut self,
        tid: Tid,
        reason: StoppedEventReason,
        description: Option<String>,
        all_threads: Option<bool>,
    ) {
        self.report_stop_with(tid, reason, description, all_threads, None);
    }

    fn report_stop_with(
        &mut self,
        tid: Tid,
        reason: StoppedEventReason,
        description: Option<String>,
        all_threads: Option<bool>,
        hit_breakpoint: Option<u64>,
    ) {
        let link = &mut *self.link;
        if reason != StoppedEventReason::Exception {
            if let Some(thread) = link.threads.get_mut(tid) {
                thread.exception_stop = None;
            }
        }
        let dap_id = link.on_stopped(tid);
        link.stop.others_running = all_threads == Some(false);
        // Every thread pauses for a reported stop: nothing is a straggler any more.
        link.stragglers.forget(None);
        let generation = link.stop.generation;
        // One warning timer per stop, however many threads report stopping in it.
        let long_stop_warning = link
            .config
            .long_stop_warning
            .filter(|_| link.stop.long_stop_timer.as_ref().is_none_or(|(timed, _)| *timed != generation));
        self.editor.send::<dap_types::events::Stopped>(bodies::stopped(
            reason,
            dap_id,
            all_threads.unwrap_or(true),
            description,
            hit_breakpoint.map(|id| vec![id]),
        ));
        if let Some(delay) = long_stop_warning {
            let timer = self.editor.after(delay, DebuggeeInput::LongStop(generation));
            if let Some((_, previous)) = self.link.stop.long_stop_timer.replace((generation, timer)) {
                previous.abort();
            }
        }
    }

    /// IIS's FastCGI request timeout (90 s by default) kills a request held at a breakpoint.
    pub(super) fn on_long_stop(&mut self, generation: u64) {
        let link = &mut *self.link;
        if !link.stop.reported || link.stop.generation != generation || link.stop.warned_long_stop {
            return;
        }
        link.stop.warned_long_stop = true;
        let stopped_for = link.config.long_stop_warning.unwrap_or_default().as_secs();
        self.editor.console(format!(
            "The program has been stopped for {stopped_for} s. On App Service, IIS ends a request that takes longer than \
             the FastCGI requestTimeout (90 s by default) and may recycle the worker. To debug longer, raise \
             requestTimeout and activityTimeout of the <fastCgi> application (applicationHost.xdt) or the \
             WSGI handler's timeouts in web.config."
        ));
    }

    fn on_breakpoint_hit(&mut self, id: i64, tid: Tid) {
        let Some(hit_state) = self.link.breakpoints.get(id).map(|bp| bp.state) else {
            // A stale breakpoint (removed, or from an earlier session, §9.7): let it go.
            tracing::info!(id, "hit of an unknown breakpoint: resuming");
            self.resume_silently(tid);
            return;
        };
        let hit_state = if hit_state.is_template() { BindState::TemplateHit } else { BindState::Bound };
        self.on_breakpoint_state(id, hit_state);
        let log_message = self.link.breakpoints.get(id).and_then(|bp| bp.spec.log_message.clone());
        if let Some(message) = log_message {
            self.link.threads.record_blocked(tid);
            self.run_logpoint(tid, &message);
            return;
        }
        let dap_breakpoint_id = self.link.breakpoints.get(id).map(|bp| bp.dap_id);
        self.report_stop_with(tid, StoppedEventReason::Breakpoint, None, Some(true), dap_breakpoint_id);
    }

    fn on_breakpoint_state(&mut self, id: i64, state: BindState) {
        let link = &mut *self.link;
        let answered_later = !self.editor.waiting.any(|on| {
            matches!(on, WaitsOn::Breakpoints(pending) if pending.outcomes.iter().any(|o| matches!(o, super::debuggee::breakpoints::Outcome::Installed { id: i } if *i == id)))
        });
        let Some(bp) = link.breakpoints.set_state(id, state) else { return };
        let (line, dap_id) = (bp.spec.line as u64, bp.dap_id);
        if answered_later && matches!(state, BindState::Bound | BindState::TemplateHit) {
            let breakpoint = bodies::breakpoint(Some(dap_id), true, None, line);
            self.editor.send::<dap_types::events::Breakpoint>(BreakpointEvent {
                reason: BreakpointEventReason::Changed,
                breakpoint,
            });
        }
        self.answer_confirmed_breakpoints();
    }

    /// At the attach stop: one evaluation sets `TCP_NODELAY` on ptvsd's socket (without it every
    /// stop costs a delayed-ACK wait, §1.2) and reads `ptvsd.__version__`, which tells 3.0.0
    /// from 2.2.0 (2.2.0 has none). Then the program runs.
    pub(super) fn start_attach_probe(&mut self, tid: Tid) {
        let link = &mut *self.link;
        link.stop.attach_stop = AttachStop::Done;
        let kind = link.threads.frame_kind(tid, 0);
        let Some(kind) = kind else {
            // No user frame to evaluate in (the attach caught the thread outside user code):
            // let the program run, and if the release is still unknown, probe at a silent
            // pause, which stops the next thread that runs user code for one round trip.
            self.resume_after_attach_stop(tid);
            let link = &mut *self.link;
            if link.release == Release::Protocol6Unknown && !link.stop.reported {
                link.send(Command::BreakAll);
                link.stop.probe_at_pause = true;
            }
            return;
        };
        let command = super::values::execute(link.release.attach_probe_text(), tid, 0, kind, ReprKind::Normal);
        link.evaluations.push(Work { command, waiter: Waiter::AttachProbe { tid } });
        self.pump_evaluations();
    }

    pub(super) fn on_attach_probe(&mut self, tid: Tid, result: Result<Obj, String>) {
        let link = &mut *self.link;
        let version =
            result.as_ref().ok().and_then(|obj| obj.repr.as_deref()).map(|repr| repr.trim_matches('\'').to_string());
        if let Err(text) = &result {
            tracing::warn!(%text, "the attach probe failed");
        }
        let release = Release::from_version_text(link.generation, version.as_deref().filter(|v| *v != "None"));
        if release != link.release {
            link.release = release;
            self.editor.console(format!("Detected {}.", release.name()));
        }
        self.release_template_breakpoints();
        self.resume_after_attach_stop(tid);
    }

    /// Once the release is known: template breakpoints go to 3.0, and 2.2 users are told why not.
    fn release_template_breakpoints(&mut self) {
        let link = &mut *self.link;
        let deferred = std::mem::take(&mut link.deferred_template_commands);
        if link.release != Release::Ptvsd22 {
            deferred.into_iter().for_each(|command| link.send(command));
            return;
        }
        let refused: Vec<_> = deferred
            .iter()
            .filter_map(|command| match command {
                Command::SetDjangoBreakpoint { id, line, .. } => link.breakpoints.get(*id).map(|bp| (bp.dap_id, *line)),
                _ => None,
            })
            .collect();
        for (dap_id, line) in refused {
            let breakpoint = bodies::breakpoint(
                Some(dap_id),
                false,
                Some(super::requests::TEMPLATES_ON_22.to_string()),
                line as u64,
            );
            self.editor.send::<dap_types::events::Breakpoint>(BreakpointEvent {
                reason: BreakpointEventReason::Changed,
                breakpoint,
            });
        }
    }

    /// Lets a thread go that stopped only for the adapter (a logpoint, a stale breakpoint),
    /// without the editor seeing anything. If the editor shows a stop, only that thread goes.
    pub(super) fn resume_silently(&mut self, tid: Tid) {
        let link = &mut *self.link;
        if link.stop.reported {
            link.resume_thread(tid);
        } else {
            link.send(Command::ClearStepping { tid });
            link.send(Command::ResumeAll);
            self.resumed_all();
        }
    }

    pub(super) fn resume_after_attach_stop(&mut self, tid: Tid) {
        let link = &mut *self.link;
        if link.config.stop_on_attach && !std::mem::replace(&mut link.stop.attach_stop_shown, true) {
            self.report_stop(tid, StoppedEventReason::Entry, Some("Stopped at attach".to_string()), None);
            return;
        }
        if link.stop.pause_requested {
            link.stop.pause_requested = false;
            self.report_stop(tid, StoppedEventReason::Pause, None, None);
            return;
        }
        link.send(Command::ResumeAll);
        self.resumed_all();
    }

    /// ptvsd's debugger loop died: it executes nothing any more, and a thread that reaches a
    /// breakpoint would wait forever. Closing the connection makes ptvsd's next write fail,
    /// which detaches it from the program (§9.13).
    pub(super) fn on_debugger_loop_crash(&mut self) {
        tracing::error!("ptvsd's debugger loop crashed");
        self.close_link("ptvsd's debugger loop crashed");
        self.editor.console(
            "ptvsd's debugger loop in the remote program crashed (its traceback is above; a ptvsd bug, often two \
             resumes in quick succession while many threads run). The session ends: ptvsd lets go of the program \
             the next time it writes output or reaches a breakpoint. If the program seems stuck, restart it.",
        );
    }
}

/// How long the rest of a crash traceback may take to arrive.
const TRACEBACK_REST: std::time::Duration = std::time::Duration::from_millis(200);

/// A line of the traceback ptvsd prints when its debugger loop dies (§11 item 6): the frame of
/// `DebuggerLoop.loop` in ptvsd's own module.
fn is_debugger_loop_crash(text: &str) -> bool {
    let ptvsd_module = text.contains("visualstudio_py_debugger.py\"") || text.contains("debugger.py\"");
    ptvsd_module && text.contains(", in loop\n") && (text.contains("cmd()") || text.contains("process_one_message"))
}

/// A Python traceback's last line is the error ("NameError: name 'x' is not defined").
fn last_line(text: &str) -> String {
    text.trim_end().lines().last().unwrap_or(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::is_debugger_loop_crash;

    #[test]
    fn the_loop_frame_of_ptvsds_traceback_is_recognised() {
        let v6 = "  File \"/srv/venv/lib/python3.11/site-packages/ptvsd/visualstudio_py_debugger.py\", line 1623, in loop\n    cmd()\n";
        let v8 =
            "  File \"C:\\home\\python\\ptvsd\\debugger.py\", line 1687, in loop\n    if self.process_one_message():\n";
        assert!(is_debugger_loop_crash(v6));
        assert!(is_debugger_loop_crash(v8));
        assert!(
            !is_debugger_loop_crash("  File \"/srv/app/views.py\", line 12, in loop\n    cmd()\n"),
            "the program's own loop"
        );
        assert!(!is_debugger_loop_crash("Traceback (most recent call last):\n"));
    }
}
