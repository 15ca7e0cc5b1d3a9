//! DAP requests: the dispatcher answers what needs no debuggee and refuses, from the phase, what
//! needs one before the attach; each handler of a debuggee request checks the link's state and
//! either answers from what the adapter knows or sends ptvsd the commands that are safe in that
//! state (§10, §11).

pub(super) mod goto;
pub(super) mod waiting;

use dap_types::requests;
use dap_types::{
    ContinueArguments, ExceptionBreakMode, ExceptionInfoArguments, InitializeRequestArguments, ModulesArguments,
    ScopesArguments, SetExceptionBreakpointsArguments, StackTraceArguments,
};
use serde_json::Value;

use self::waiting::WaitsOn;
use super::connect::{connect_and_attach, AttachPlan};
use super::debuggee::breakpoints::{is_template, BindState, BreakpointSpec, Outcome};
use super::debuggee::handles::{FrameRef, VariableSource};
use super::debuggee::link::{Link, PendingBreakpoints};
use super::{Debugging, Editor, Flow, Internal, Phase, Session};
use crate::config::attach::AttachConfig;
use crate::dap::bodies;
use crate::dap::message::{body, Request, RequestError, ResponseBody};
use crate::dap::requests::{DebuggeeRequest, Served, Step};
use crate::transport::{ConnectOptions, TlsOptions};
use crate::wire::generation::Release;
use crate::wire::model::{Command, Tid};

const HELIX_ATTACH_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);
const BREAKPOINT_REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

type Reply = Result<ResponseBody, RequestError>;

impl Session {
    pub(super) async fn on_request(&mut self, request: Request) -> Flow {
        tracing::debug!(seq = request.seq, command = %request.command, "request from editor");
        let served = match Served::parse(&request) {
            Ok(served) => served,
            Err(error) => {
                self.editor.respond(&request, Err(error));
                return Flow::Continue;
            }
        };
        let reply = match served {
            Served::Initialize(arguments) => self.editor.initialize(arguments),
            Served::Attach(arguments) => return self.attach(request, &arguments),
            Served::Launch => Err(RequestError::new(
                "ptvsd-dap attaches to a program that is already running with ptvsd.enable_attach(): use an \"attach\" configuration",
            )),
            Served::Disconnect => {
                self.finalize("the editor disconnected").await;
                self.editor.respond(&request, Ok(None));
                return Flow::Exit;
            }
            // ptvsd cannot end the remote process (§9.13): `terminate` ends the debug session
            // the same way, leaving the program running, and says so.
            Served::Terminate => {
                self.finalize("the editor ended the session").await;
                self.editor.console("Detached: the remote program keeps running (ptvsd cannot stop it).");
                self.editor.respond(&request, Ok(None));
                self.announce_end();
                return Flow::Continue;
            }
            _ if matches!(self.phase, Phase::Ended) => Err(RequestError::new("the debug session has ended")),
            Served::Unknown => Err(unsupported(&request.command)),
            Served::Debuggee(asked) => match self.phase {
                Phase::Attached(_) => {
                    self.with_debuggee(|debugging| debugging.serve(request, asked));
                    return Flow::Continue;
                }
                Phase::Connecting { .. } => Err(RequestError::new(format!(
                    "'{}' cannot run yet: the adapter is still attaching to the debuggee",
                    request.command
                ))),
                Phase::Unattached | Phase::Ended => Err(RequestError::new(format!(
                    "'{}' needs an attached debuggee: send 'attach' first",
                    request.command
                ))),
            },
        };
        self.editor.respond(&request, reply);
        Flow::Continue
    }

    fn attach(&mut self, request: Request, arguments: &Value) -> Flow {
        if let Phase::Connecting { .. } | Phase::Attached(_) = self.phase {
            self.editor.respond(
                &request,
                Err(RequestError::new("already attached: one ptvsd-dap session debugs one process")),
            );
            return Flow::Continue;
        }
        let config = match AttachConfig::from_arguments(arguments) {
            Ok(config) => config,
            Err(problem) => {
                self.editor.respond(&request, Err(RequestError::new(format!("cannot attach: {problem}"))));
                return Flow::Continue;
            }
        };
        let timeout = if self.editor.client_id.as_deref() == Some("hx") {
            // Helix gives `attach` 20 s: answer before it gives up (the site keeps waking).
            HELIX_ATTACH_LIMIT.min(config.connect_timeout)
        } else {
            config.connect_timeout
        };
        if config.insecure {
            self.editor.console("Warning: 'insecure' is set: the server's TLS certificate is not verified.");
        }
        let plan = AttachPlan {
            target: config.target.clone(),
            options: ConnectOptions {
                tls: TlsOptions { ca_file: config.ca_file.clone(), insecure: config.insecure },
                keepalive: config.keep_alive,
            },
            debug_options: config.debug_options.clone(),
            timeout,
        };
        let progress = self.editor.start_progress(&request, &format!("Attaching to {}", config.target));
        let internal = self.editor.internal_tx.clone();
        tokio::spawn(async move {
            let result = connect_and_attach(&plan, &progress).await;
            let _ = internal.send(Internal::Connected(Box::new(result)));
        });
        self.phase = Phase::Connecting { request, config: Box::new(config) };
        Flow::Continue
    }
}

impl Debugging<'_> {
    /// A request that needs the debuggee, with the link at hand. Each is answered here or,
    /// when its answer comes from the debuggee, through `waiting.rs`.
    fn serve(&mut self, request: Request, asked: DebuggeeRequest) {
        use DebuggeeRequest as On;
        let link = &mut *self.link;
        let reply = match asked {
            On::ConfigurationDone => self.configuration_done(),
            On::SetBreakpoints(arguments) => return self.set_breakpoints(request, arguments),
            On::SetExceptionBreakpoints(arguments) => set_exception_breakpoints(link, arguments),
            On::Threads => Ok(threads(link)),
            On::StackTrace(arguments) => return self.stack_trace(request, arguments),
            On::Scopes(arguments) => scopes(link, &arguments),
            On::Variables(arguments) => return self.variables(request, arguments),
            On::Evaluate(arguments) => return self.evaluate(request, arguments),
            On::SetVariable(arguments) => return self.set_variable(request, arguments),
            On::SetExpression(arguments) => return self.set_expression(request, arguments),
            On::ExceptionInfo(arguments) => exception_info(link, &arguments),
            On::Modules(arguments) => Ok(modules(link, &arguments)),
            On::LoadedSources => Ok(loaded_sources(link)),
            On::Source(arguments) => return self.source(request, &arguments),
            On::Completions(arguments) => return self.completions(request, arguments),
            On::GotoTargets(arguments) => goto::targets(link, &arguments),
            On::Goto(arguments) => return self.goto(request, &arguments),
            On::Continue(arguments) => self.resume(&arguments),
            On::Step(step) => self.step(&step),
            On::Pause => pause(link),
        };
        self.editor.respond(&request, reply);
    }

    fn configuration_done(&mut self) -> Reply {
        self.link.stop.configuration_done = true;
        // The connect, handshake and configuration code has run for the last time in this
        // session. Not sooner: released right after the attach, the faults that followed
        // delayed ptvsd 3.2's breakpoint answers by its 40 ms Nagle wait (BENCHMARKS.md, "Memory").
        crate::process::working_set::release_code_pages_in_background();
        if let super::debuggee::stop::AttachStop::Arrived(tid) = self.link.stop.attach_stop {
            self.start_attach_probe(tid);
        }
        Ok(None)
    }

    fn set_breakpoints(&mut self, request: Request, arguments: dap_types::SetBreakpointsArguments) {
        let link = &mut *self.link;
        let Some(path) = arguments.source.path.clone() else {
            self.editor.respond(&request, Err(RequestError::new("setBreakpoints needs a source with a 'path'")));
            return;
        };
        let requested = arguments.breakpoints.unwrap_or_default();
        let lines: Vec<i64> = requested.iter().map(|bp| bp.line as i64).collect();
        let specs = requested
            .iter()
            .map(|bp| {
                BreakpointSpec::from_dap(
                    bp.line as i64,
                    bp.condition.as_deref(),
                    bp.hit_condition.as_deref(),
                    bp.log_message.as_deref(),
                )
            })
            .collect();
        let remote = link.paths.to_remote(&path);
        if is_template(&remote) && link.release == Release::Ptvsd22 {
            let breakpoints: Vec<_> = lines
                .iter()
                .map(|line| bodies::breakpoint(None, false, Some(TEMPLATES_ON_22.to_string()), *line as u64))
                .collect();
            self.editor.respond(
                &request,
                Ok(body::<requests::SetBreakpoints>(dap_types::SetBreakpointsResponse { breakpoints })),
            );
            return;
        }
        let (commands, outcomes) = link.breakpoints.set_for_file(&remote, specs);
        let awaits_reply = commands.iter().any(|command| matches!(command, Command::SetBreakpoint { .. }));
        link.send_together(|link| commands.into_iter().for_each(|command| link.send_breakpoint_command(command)));
        let pending = PendingBreakpoints { source_path: path, outcomes, lines };
        if awaits_reply {
            // Answer once ptvsd says whether the new ones bound: one round trip, and the editor
            // shows the truth at once instead of a flicker of unverified breakpoints.
            self.editor.wait_on_debuggee(request, WaitsOn::Breakpoints(pending), Some(BREAKPOINT_REPLY_TIMEOUT));
        } else {
            let body = breakpoints_body(link, &pending);
            self.editor.respond(&request, Ok(body));
        }
    }

    /// Answers every `setBreakpoints` whose new breakpoints have all been confirmed.
    pub(super) fn answer_confirmed_breakpoints(&mut self) {
        let link = &*self.link;
        let confirmed = |on: &WaitsOn| match on {
            WaitsOn::Breakpoints(pending) => pending.outcomes.iter().all(|outcome| match outcome {
                Outcome::Installed { id } => {
                    link.breakpoints.get(*id).is_none_or(|bp| bp.state != BindState::Unconfirmed)
                }
                Outcome::Rejected { .. } => true,
            }),
            _ => false,
        };
        for waiting in self.editor.waiting.take_where(confirmed) {
            if let WaitsOn::Breakpoints(pending) = &waiting.on {
                let body = breakpoints_body(link, pending);
                self.editor.respond(&waiting.request, Ok(body));
            }
        }
    }

    fn resume(&mut self, arguments: &ContinueArguments) -> Reply {
        let link = &mut *self.link;
        let requested = link.threads.tid_of(arguments.thread_id);
        let requested_blocked = requested.filter(|tid| link.threads.get(*tid).is_some_and(|t| t.blocked));
        if let (Some(true), Some(tid)) = (arguments.single_thread, requested_blocked) {
            if link.stop.attach_thread != Some(tid) {
                // `rest`: this thread runs, the others stay paused (§9.6).
                link.send(Command::ClearStepping { tid });
                link.resume_thread(tid);
                return Ok(continued(false));
            }
        }
        if let Some(tid) = requested_blocked.or(link.threads.first_blocked()) {
            // Continue = clst + resa: without clst a pending step reports a stray stop (§9.6).
            link.send_together(|link| {
                link.send(Command::ClearStepping { tid });
                link.send(Command::ResumeAll);
            });
            self.after_resume();
        }
        Ok(continued(true))
    }

    fn step(&mut self, step: &Step) -> Reply {
        let link = &mut *self.link;
        let thread_id = step.thread_id();
        let tid =
            link.threads.tid_of(thread_id).ok_or_else(|| RequestError::new(format!("unknown threadId {thread_id}")))?;
        if step.single_thread() {
            return Err(RequestError::new(
                "ptvsd resumes every thread for a step: step without 'single thread', or continue this thread alone",
            ));
        }
        // A step on a thread that is not blocked kills ptvsd's debugger loop (§9.4).
        if !link.threads.get(tid).is_some_and(|t| t.blocked) {
            return Err(RequestError::new(format!(
                "thread {thread_id} is running: it can only step while it is paused"
            )));
        }
        if link.evaluations.in_flight() {
            return Err(RequestError::new(
                "an evaluation is still running in the debuggee: step again when it has finished",
            ));
        }
        link.send(match step {
            Step::In(_) => Command::StepInto { tid },
            Step::Out(_) => Command::StepOut { tid },
            Step::Over(_) => Command::StepOver { tid },
        });
        self.after_resume();
        // Helix parses no body for the step requests (editor-clients.md).
        Ok(None)
    }

    /// The program runs again: queued evaluations cannot run, and every id the editor holds
    /// for this stop is stale.
    pub(super) fn after_resume(&mut self) {
        self.resumed_all();
        let dropped = self.link.evaluations.drain_queued();
        for work in dropped {
            self.fail_waiter(work.waiter, "the program resumed before this could be evaluated".into());
        }
    }
}

impl Editor {
    fn initialize(&mut self, arguments: InitializeRequestArguments) -> Reply {
        self.client_id = arguments.client_id;
        self.supports_progress = arguments.supports_progress_reporting.unwrap_or(false);
        self.columns_start_at_1 = arguments.columns_start_at1.unwrap_or(true);
        let capabilities = dap_types::Capabilities {
            supports_configuration_done_request: Some(true),
            supports_conditional_breakpoints: Some(true),
            supports_hit_conditional_breakpoints: Some(true),
            supports_evaluate_for_hovers: Some(true),
            supports_log_points: Some(true),
            supports_set_variable: Some(true),
            supports_set_expression: Some(true),
            supports_exception_info_request: Some(true),
            supports_modules_request: Some(true),
            supports_loaded_sources_request: Some(true),
            supports_value_formatting_options: Some(true),
            supports_completions_request: Some(true),
            supports_clipboard_context: Some(true),
            supports_single_thread_execution_requests: Some(true),
            supports_exception_options: Some(true),
            supports_exception_filter_options: Some(true),
            completion_trigger_characters: Some(vec![".".to_string()]),
            supports_terminate_request: Some(true),
            support_terminate_debuggee: Some(false),
            exception_breakpoint_filters: Some(
                super::exceptions::FILTERS
                    .iter()
                    .map(|(filter, label, description)| exception_filter(filter, label, description))
                    .collect(),
            ),
            ..dap_types::Capabilities::default()
        };
        Ok(body::<requests::Initialize>(capabilities))
    }
}

fn exception_filter(filter: &str, label: &str, description: &str) -> dap_types::ExceptionBreakpointsFilter {
    dap_types::ExceptionBreakpointsFilter {
        filter: filter.to_string(),
        label: label.to_string(),
        description: Some(description.to_string()),
        default: Some(false),
        supports_condition: Some(true),
        condition_description: Some(super::exceptions::CONDITION_DESCRIPTION.to_string()),
    }
}

/// The `continue` answer: whether every thread runs again.
fn continued(all_threads: bool) -> ResponseBody {
    body::<requests::Continue>(dap_types::ContinueResponse { all_threads_continued: Some(all_threads) })
}

fn unsupported(command: &str) -> RequestError {
    RequestError::new(format!("ptvsd-dap does not support the '{command}' request"))
}

fn stale(what: &str) -> RequestError {
    RequestError::new(format!("this {what} is no longer valid: the program has resumed since it was shown"))
}

fn set_exception_breakpoints(link: &mut Link, arguments: SetExceptionBreakpointsArguments) -> Reply {
    let mut filters: Vec<(String, Option<String>)> =
        arguments.filters.into_iter().map(|filter| (filter, None)).collect();
    let filter_options = arguments.filter_options.unwrap_or_default();
    filters.extend(filter_options.into_iter().map(|option| (option.filter_id, option.condition)));
    let mut options = Vec::new();
    for option in arguments.exception_options.unwrap_or_default() {
        let path = option.path.unwrap_or_default();
        if path.iter().any(|segment| segment.negate == Some(true)) {
            return Err(RequestError::new(
                "exception options with 'negate' are not supported: name the exception types to break on",
            ));
        }
        let path = path.into_iter().map(|segment| segment.names).collect();
        options.push(super::exceptions::ExceptionOption { path, break_mode: option.break_mode });
    }
    let table = link.exceptions.configure(&filters, &options).map_err(RequestError::new)?;
    link.send(table);
    Ok(body::<requests::SetExceptionBreakpoints>(dap_types::SetExceptionBreakpointsResponse { breakpoints: None }))
}

/// The exception a thread stopped on: type, message, break mode and ptvsd's traceback.
fn exception_info(link: &Link, arguments: &ExceptionInfoArguments) -> Reply {
    let thread_id = arguments.thread_id;
    let tid =
        link.threads.tid_of(thread_id).ok_or_else(|| RequestError::new(format!("unknown threadId {thread_id}")))?;
    let info = link
        .threads
        .get(tid)
        .and_then(|thread| thread.exception.as_ref())
        .ok_or_else(|| RequestError::new(format!("thread {thread_id} is not stopped on an exception")))?;
    let unhandled = info.break_type == crate::wire::model::ExceptionBreakType::Unhandled;
    let text = |text: String| {
        super::values::shorten::shorten(
            text,
            super::values::shorten::EXCEPTION_TEXT,
            super::values::shorten::Rest::NotShown,
        )
    };
    let message = text(info.message.clone());
    let details = dap_types::ExceptionDetails {
        message: Some(message.clone()),
        type_name: Some(text(info.type_name.clone())),
        full_type_name: None,
        evaluate_name: info.exception_variable.as_ref().map(|name| format!("{name}['exception']")),
        stack_trace: info
            .trace
            .as_deref()
            .map(|trace| super::values::traceback::format_trace(trace, |file| link.paths.to_local(file)))
            .map(text),
        inner_exception: None,
    };
    Ok(body::<requests::ExceptionInfo>(dap_types::ExceptionInfoResponse {
        exception_id: text(info.type_name.clone()),
        description: Some(message),
        break_mode: if unhandled { ExceptionBreakMode::Unhandled } else { ExceptionBreakMode::Always },
        details: Some(details),
    }))
}

fn loaded_sources(link: &mut Link) -> ResponseBody {
    let files: Vec<String> = link.files.modules.iter().map(|(_, file)| file.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    let sources: Vec<_> =
        files.iter().filter(|file| seen.insert(file.as_str())).map(|file| frame_source(link, file)).collect();
    body::<requests::LoadedSources>(dap_types::LoadedSourcesResponse { sources })
}

fn modules(link: &Link, arguments: &ModulesArguments) -> ResponseBody {
    let start = arguments.start_module.unwrap_or(0) as usize;
    let count = arguments.module_count.filter(|c| *c > 0).unwrap_or(u64::MAX) as usize;
    let modules =
        link.files.modules.iter().skip(start).take(count).map(|(id, file)| module_body(link, *id, file)).collect();
    let total_modules = u64::try_from(link.files.modules.len()).ok();
    body::<requests::Modules>(dap_types::ModulesResponse { modules, total_modules })
}

/// A DAP module for a `MODL`: ptvsd sends only a path, so the name comes from the file.
pub(super) fn module_body(link: &Link, id: i64, remote_file: &str) -> dap_types::Module {
    let mut components = remote_file.rsplit(['/', '\\']);
    let file = components.next().unwrap_or(remote_file);
    let stem = file.split('.').next().unwrap_or(file);
    let name = if stem == "__init__" { components.next().unwrap_or(stem) } else { stem };
    bodies::module(id, name.to_string(), link.paths.to_local(remote_file))
}

fn threads(link: &Link) -> ResponseBody {
    let threads: Vec<_> = link
        .threads
        .iter()
        .map(|(tid, thread)| {
            bodies::thread(thread.dap_id, thread.name.clone().unwrap_or_else(|| format!("Thread {tid}")))
        })
        .collect();
    body::<requests::Threads>(dap_types::ThreadsResponse { threads })
}

/// How long a running thread's frames may take before the stack is answered from its snapshot.
const STACK_REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl Debugging<'_> {
    /// A thread that runs while another is stopped on an exception (§8.3) has moved on since
    /// ptvsd's snapshot: on 3.1/3.2 its frames are fetched (`thrf`, fatal to 2.2 and, should the
    /// thread exit meanwhile, to 3.0's loop). Every other stack comes from the frames at hand.
    fn stack_trace(&mut self, request: Request, arguments: StackTraceArguments) {
        let link = &mut *self.link;
        let running =
            link.threads.tid_of(arguments.thread_id).filter(|tid| link.threads.get(*tid).is_some_and(|t| !t.blocked));
        let fetchable = link.stop.others_running && matches!(link.release, Release::Ptvsd31 | Release::Ptvsd32);
        if let (Some(tid), true) = (running, fetchable) {
            if !self.editor.waiting.any(|on| matches!(on, WaitsOn::Stack(waiting, _) if *waiting == tid)) {
                link.send(Command::GetThreadFrames { tid });
            }
            self.editor.wait_on_debuggee(request, WaitsOn::Stack(tid, arguments), Some(STACK_REPLY_TIMEOUT));
            return;
        }
        let reply = stack_trace_from_cache(link, &arguments);
        self.editor.respond(&request, reply);
    }

    /// Answers the `stackTrace` requests waiting for `tid`'s frames, from the frames now at hand.
    pub(super) fn answer_waiting_stacks(&mut self, tid: Tid) {
        let ready = self.editor.waiting.take_where(|on| matches!(on, WaitsOn::Stack(waiting, _) if *waiting == tid));
        for waiting in ready {
            if let WaitsOn::Stack(_, arguments) = &waiting.on {
                let reply = stack_trace_from_cache(self.link, arguments);
                self.editor.respond(&waiting.request, reply);
            }
        }
    }
}

pub(super) fn stack_trace_from_cache(link: &mut Link, arguments: &StackTraceArguments) -> Reply {
    let thread_id = arguments.thread_id;
    let tid =
        link.threads.tid_of(thread_id).ok_or_else(|| RequestError::new(format!("unknown threadId {thread_id}")))?;
    let frames = link.threads.get(tid).map(|t| t.frames.clone()).unwrap_or_default();
    if frames.is_empty() {
        return Err(RequestError::new(format!("thread {thread_id} is running: its stack is shown while it is paused")));
    }
    let start = arguments.start_frame.unwrap_or(0) as usize;
    let levels = arguments.levels.filter(|l| *l > 0).unwrap_or(u64::MAX) as usize;
    let stack_frames: Vec<_> = frames
        .iter()
        .enumerate()
        .skip(start)
        .take(levels)
        .map(|(index, frame)| {
            let id = link.handles.frame_id(FrameRef { tid, index });
            bodies::stack_frame(id, frame.name.clone(), frame_source(link, &frame.file), frame.line.max(0) as u64)
        })
        .collect();
    let total_frames = u64::try_from(frames.len()).ok();
    Ok(body::<requests::StackTrace>(dap_types::StackTraceResponse { stack_frames, total_frames }))
}

/// The editor's source for a frame. Code without a file (`<frozen codecs>`, `<string>`) gets a
/// name and no path: ptvsd reports it as `abspath("<frozen codecs>")`, which names no real file.
pub(super) fn frame_source(link: &mut Link, remote_file: &str) -> dap_types::Source {
    let base = remote_file.rsplit(['/', '\\']).next().unwrap_or(remote_file);
    if base.starts_with('<') && base.ends_with('>') {
        return bodies::pseudo_source(base.to_string());
    }
    let local = link.paths.to_local(remote_file);
    let mut source = bodies::source(local.clone());
    // No local copy: the editor can still show the file, fetched through the debuggee.
    if !std::path::Path::new(&local).is_file() {
        if let Some(reference) = link.files.remote_sources.reference(remote_file) {
            source.source_reference = Some(reference);
            source.origin = Some("remote".to_string());
        }
    }
    source
}

fn scopes(link: &mut Link, arguments: &ScopesArguments) -> Reply {
    let frame_id = arguments.frame_id;
    let frame = link.handles.frame(frame_id).cloned().ok_or_else(|| stale("frameId"))?;
    let n_variables = link
        .threads
        .get(frame.tid)
        .and_then(|t| t.frames.get(frame.index))
        .map(|f| super::values::grouping::row_count(f.variables.iter().map(|v| (v.name.as_str(), &v.obj))))
        .ok_or_else(|| stale("frameId"))?;
    let reference = link.handles.variables_reference(VariableSource::FrameLocals(frame));
    Ok(body::<requests::Scopes>(dap_types::ScopesResponse {
        scopes: vec![bodies::scope("Locals", reference, n_variables)],
    }))
}

fn pause(link: &mut Link) -> Reply {
    // A `brka` while everything is stopped leaves a flag set that fakes a later pause (§9.5).
    if link.stop.reported || link.threads.any_blocked() || link.stop.pause_requested {
        return Ok(None);
    }
    // A silent pause for the release probe is already on its way: it becomes this pause.
    if !link.stop.probe_at_pause {
        link.send(Command::BreakAll);
    }
    link.stop.pause_requested = true;
    Ok(None)
}

/// What a template breakpoint needs, said on every one until its first hit (§9.12.1).
pub(super) const TEMPLATE_BREAKPOINT_NOTE: &str =
    "Django template breakpoint: confirmed when first hit. It needs the template \
    engine's debug option (TEMPLATES OPTIONS 'debug': True, the default when DEBUG is on); in a template \
    used through {% extends %} or {% include %} it does not bind";
pub(super) const TEMPLATES_ON_22: &str = "ptvsd 2.2 cannot break in Django templates of Django 1.9 or later (it reads \
    node.source, which Django removed): install ptvsd 3.0 or later in the remote app";

pub(super) fn breakpoints_body(link: &Link, pending: &PendingBreakpoints) -> ResponseBody {
    let file = std::path::Path::new(&pending.source_path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let breakpoints: Vec<_> = pending
        .outcomes
        .iter()
        .zip(&pending.lines)
        .map(|(outcome, line)| match outcome {
            Outcome::Installed { id } => {
                let installed = link.breakpoints.get(*id);
                let state = installed.map(|bp| bp.state);
                let dap_id = installed.map(|bp| bp.dap_id);
                let message = match state {
                    Some(BindState::Bound | BindState::TemplateHit) => None,
                    Some(BindState::Pending) => Some(format!("pending: no module loaded in the debuggee matches {file} yet; it binds when the module is imported")),
                    Some(BindState::Template) => Some(TEMPLATE_BREAKPOINT_NOTE.to_string()),
                    _ => Some("the debuggee has not confirmed this breakpoint".to_string()),
                };
                bodies::breakpoint(dap_id, matches!(state, Some(BindState::Bound | BindState::TemplateHit)), message, *line as u64)
            }
            Outcome::Rejected { message } => bodies::breakpoint(None, false, Some(message.clone()), *line as u64),
        })
        .collect();
    body::<requests::SetBreakpoints>(dap_types::SetBreakpointsResponse { breakpoints })
}
