//! The floor: ptvsd alone, driven by the least a debugger must do, through the very link
//! ptvsd-dap takes (`ws://` through the delay proxy to websockify next to ptvsd), with the
//! library's own handshake, connector and codecs (`session::connect`, `transport`, `wire`). No
//! DAP, no editor, no adapter process: what is left of a figure once the adapter is taken away.
//!
//! What it does, as ptvsd-dap does it (docs/protocol.md): the handshake (§3), the exception table
//! with every break off (as ptvsd-dap sends for an editor without filters) and the two breakpoints,
//! waiting for their `BRKS` (§9.2); at the attach stop the same one evaluation that sets
//! `TCP_NODELAY` inside ptvsd (§1.2, §12), then `resa` (§8.2); a step is `stpv`, a continue
//! `clst` + `resa` (§9.6); a stop is shown once its thread's frames with their locals and its
//! stop event are decoded (§6.1, §9.3); every `REQH` is answered (§9.8); and a clean detach at
//! the end (§9.13). Every wait has a deadline, and its error says what did not come.
//!
//! The session runs on a thread of its own under a current-thread runtime: the connector's
//! WebSocket bridge and this reader share that one thread (no hand-off between threads), and
//! that thread's CPU time is the reader's whole cost. The debuggee, websockify and the proxy are
//! started on the bench's runtime, as for ptvsd-dap.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ptvsd_dap::session::connect::{connect_and_attach, AttachPlan};
use ptvsd_dap::transport::{self, BoxedPipe, ConnectOptions};
use ptvsd_dap::wire::generation::{self, Generation};
use ptvsd_dap::wire::model::{
    catch_all, Command, Condition, Event, Frame, OutputChannel, PassCount, ReprKind, Tid, FRAME_KIND_PYTHON,
};
use ptvsd_dap::wire::Codec;

use crate::client::{floor_boundary, Res, OUTPUT_END};
use crate::procs::{self, Debuggee};
use crate::scenario::{self, ms, Cycle, Env, OutputRun, Plan, PtvsdSite, Release, Session, Via};
use crate::sysinfo;

/// The longest wait for one event of ptvsd's (a stop, an answer, the detach).
const WAIT: Duration = Duration::from_secs(30);
const READ_CHUNK: usize = 64 * 1024;

/// The floor's session at one delay against one release; `full` false stops after the attach.
pub async fn run(env: &Env, release: Release, via: Via, delay: Duration, plan: &Plan, full: bool) -> Res<Session> {
    let site = scenario::start_ptvsd_site(env, release, delay, via).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let plan_copy = plan.clone();
    std::thread::Builder::new()
        .name("raw ptvsd".into())
        .spawn(move || {
            let mut site = site;
            let session = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(session(&mut site, &plan_copy, full)),
                Err(error) => Err(format!("raw ptvsd client: no runtime: {error}")),
            };
            // The site goes back to be dropped where it was started.
            let _ = tx.send((site, session));
        })
        .map_err(|error| format!("raw ptvsd client: cannot start its thread: {error}"))?;
    let (site, session) = rx.await.map_err(|_| "raw ptvsd client: its thread ended without a result")?;
    drop(site);
    let mut s = session?;
    if full {
        s.output.loop_unattached_s = print_loop_unattached(env, release, plan).await?;
    }
    Ok(s)
}

/// Attach, then (if `full`) the phases of scenario.rs that concern ptvsd, then detach: always,
/// also after a failure, so the debuggee is left running.
async fn session(site: &mut PtvsdSite, plan: &Plan, full: bool) -> Res<Session> {
    let mut s = Session { initialize_ms: f64::NAN, ..Session::default() };
    let start = Instant::now();
    let mut raw = RawClient::attach(&site.url).await?;
    s.initialized_ms = ms(start, Instant::now());
    let outcome = async {
        let file = procs::fixture().to_string_lossy().into_owned();
        let lines = [procs::marker_line("bench_bp")?, procs::marker_line("bench_step_start")?];
        raw.configure(&file, &lines).await?;
        s.breakpoints_ms = ms(start, Instant::now());
        s.attach_ms = s.breakpoints_ms;
        if full {
            phases(&mut raw, site, plan, &mut s).await?;
        }
        Ok::<(), String>(())
    }
    .await;
    let detached = raw.detach().await;
    outcome?;
    detached?;
    Ok(s)
}

async fn phases(raw: &mut RawClient, site: &mut PtvsdSite, plan: &Plan, s: &mut Session) -> Res<()> {
    let debuggee = &mut site.debuggee;
    let bp_line = procs::marker_line("bench_bp")? as i64;
    // Warm-up, as for the others: the first line run after the attach is the attach stop.
    debuggee.send("loop 1").await?;
    raw.settle_attach_stop().await?;
    let stop = raw.wait_stop("the warm-up breakpoint hit", Some(StopKind::Breakpoint)).await?;
    raw.resume(stop.tid).await?;
    debuggee.report("loop", WAIT).await?;

    debuggee.send(&format!("steps {}", plan.steps + 3)).await?;
    let mut stop = raw.wait_stop("the stop at the start of the steps", Some(StopKind::Breakpoint)).await?;
    let before = site.proxy.traffic();
    for _ in 0..plan.steps {
        let (timing, next) = raw.cycle(Action::StepOver, &stop).await?;
        s.steps.push(timing);
        stop = next;
    }
    s.steps_traffic = site.proxy.traffic().since(before);
    raw.resume(stop.tid).await?;
    debuggee.report("steps", WAIT).await?;

    debuggee.send(&format!("loop {}", plan.steps + 1)).await?;
    let mut stop = raw.wait_stop("the first breakpoint hit of the loop", Some(StopKind::Breakpoint)).await?;
    let before = site.proxy.traffic();
    for _ in 0..plan.steps {
        let (timing, next) = raw.cycle(Action::Continue, &stop).await?;
        let line = next.frames.first().map_or(0, |frame| frame.line);
        if line != bp_line {
            return Err(format!("raw ptvsd client: the breakpoint stop is at line {line}, not {bp_line}"));
        }
        s.breakpoints.push(timing);
        stop = next;
    }
    s.breakpoints_traffic = site.proxy.traffic().since(before);
    raw.resume(stop.tid).await?;
    debuggee.report("loop", WAIT).await?;

    s.output = output(raw, site, plan).await?;
    Ok(())
}

/// The output burst, read by the cheapest reader there is: decode, count the program's output.
async fn output(raw: &mut RawClient, site: &mut PtvsdSite, plan: &Plan) -> Res<OutputRun> {
    let count = plan.output_bytes / plan.print_size;
    let mut o = OutputRun { sent: count * plan.print_size, cpu_front: f64::NAN, ..OutputRun::default() };
    let cpu = |pid: u32| {
        let (own, children) = sysinfo::cpu_seconds(pid);
        own + children
    };
    let (debuggee, relay) = (site.debuggee.pid(), site.relay.as_ref().map(|r| r.pid()));
    let relay_cpu = || relay.map_or(f64::NAN, cpu);
    let before = (sysinfo::thread_cpu_seconds(), cpu(debuggee), relay_cpu());
    let limit = scenario::output_limit(o.sent);
    let start = Instant::now();
    site.debuggee.send(&format!("output {} {}", o.sent, plan.print_size)).await?;
    let read = raw.read_output(start + limit).await;
    o.seconds = start.elapsed().as_secs_f64();
    (o.cpu_owner, o.cpu_debuggee, o.cpu_relay) =
        (sysinfo::thread_cpu_seconds() - before.0, cpu(debuggee) - before.1, relay_cpu() - before.2);
    match read {
        Ok((bytes, events)) => (o.received, o.events, o.complete) = (bytes, events, true),
        Err(error) => eprintln!("  output: {error}"),
    }
    let words = site.debuggee.report("output", limit).await?;
    (o.loop_s, o.longest_print_s, o.stalled_s) = scenario::print_figures(&words);
    Ok(o)
}

/// The same print loop under ptvsd that nobody attached to: what printing costs without a reader.
async fn print_loop_unattached(env: &Env, release: Release, plan: &Plan) -> Res<f64> {
    let python = scenario::ptvsd_python(env, release);
    let port = sysinfo::free_port();
    let mut debuggee = Debuggee::ptvsd(&python, port, &format!("Bench{:x}", scenario::epoch_nanos()))?;
    debuggee.report("ready", WAIT).await?;
    let total = plan.output_bytes / plan.print_size * plan.print_size;
    debuggee.send(&format!("output {total} {}", plan.print_size)).await?;
    let words = debuggee.report("output", scenario::output_limit(total)).await?;
    debuggee.send("quit").await?;
    Ok(scenario::print_figures(&words).0)
}

/// Why a thread stopped (§6: the event after its frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopKind {
    AttachStop,
    Breakpoint,
    Step,
    Pause,
    Exception,
}

/// A stop as a debugger could show it: the thread, its frames with their locals, when it came.
struct Stop {
    tid: Tid,
    frames: Vec<Frame>,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    StepOver,
    Continue,
}

/// A connection to ptvsd past its handshake, and the codec that reads and writes it.
struct RawClient {
    pipe: BoxedPipe,
    codec: Box<dyn Codec>,
    generation: Generation,
    release: generation::Release,
    buf: BytesMut,
    /// Each thread's latest frames sent with its name: a blocked thread's own `THRF` (§6.1).
    frames: HashMap<Tid, Vec<Frame>>,
    /// An evaluation is on its way: a protocol 6 detach now would harm the debuggee (§9.13).
    evaluating: bool,
    /// The longest wait for one event of ptvsd's.
    wait: Duration,
}

impl RawClient {
    /// Connects and attaches as ptvsd-dap does: the same code (`session::connect`), the same
    /// debug options, hence the same wake-up, upgrade and handshake.
    async fn attach(url: &str) -> Res<RawClient> {
        let target = transport::parse_url(url).map_err(|error| format!("raw ptvsd client: {error}"))?;
        let debug_options = ptvsd_dap::config::debug_options::options_string(&serde_json::Map::new(), &[])?;
        let plan = AttachPlan { target, options: ConnectOptions::default(), debug_options, timeout: WAIT };
        let attached =
            connect_and_attach(&plan, &|_| {}).await.map_err(|error| format!("raw ptvsd client: {error}"))?;
        Ok(RawClient {
            pipe: attached.pipe,
            codec: attached.codec,
            generation: attached.generation,
            release: generation::Release::initial(attached.generation),
            buf: attached.leftover,
            frames: HashMap::new(),
            evaluating: false,
            wait: WAIT,
        })
    }

    /// Every exception break off, and a breakpoint on each line of `file`, in one write; done
    /// once ptvsd said for each whether it bound (`BRKS`) or is pending (`BRKF`).
    async fn configure(&mut self, file: &str, lines: &[u64]) -> Res<()> {
        let mut commands = vec![Command::SetExceptionInfo { default_mode: 0, break_on: Vec::new() }];
        // Ids no earlier session of this debuggee used: it is fresh, but the rule holds (§9.2).
        let first_id = scenario::epoch_nanos() as i64 / 1000 % (1 << 50);
        let ids: Vec<i64> = (0..lines.len() as i64).map(|i| first_id + i).collect();
        for (&id, &line) in ids.iter().zip(lines) {
            commands.push(Command::SetBreakpoint {
                id,
                line: line as i64,
                file: file.to_string(),
                condition: Condition::always(),
                pass_count: PassCount::always(),
            });
        }
        self.send(&commands).await?;
        let mut unanswered = ids.clone();
        let deadline = Instant::now() + self.wait;
        while !unanswered.is_empty() {
            match self.next_event(deadline, "the breakpoints' BRKS").await?.0 {
                Event::BreakpointSet { id } => unanswered.retain(|&i| i != id),
                // Pending would mean the bench's own path did not match: the stops would not come.
                Event::BreakpointFailed { id } => {
                    return Err(format!("raw ptvsd client: ptvsd did not bind the breakpoint {id} in {file}"))
                }
                other => self.unexpected_stop(&other)?,
            }
        }
        Ok(())
    }

    /// The attach stop (§8.2): one evaluation at its frame sets `TCP_NODELAY` inside ptvsd (§1.2),
    /// then the program runs on. Never `resa` before `LOAD` (§8.2 item 8).
    async fn settle_attach_stop(&mut self) -> Res<()> {
        let stop = self.wait_stop("the attach stop (LOAD)", Some(StopKind::AttachStop)).await?;
        let Some(top) = stop.frames.first() else {
            self.send(&[Command::ResumeAll]).await?;
            return Err("raw ptvsd client: the attach stop had no frame to set TCP_NODELAY from".into());
        };
        let exec_id = 1;
        let kind = if top.kind == 0 { FRAME_KIND_PYTHON } else { top.kind };
        self.send(&[Command::Execute {
            text: self.release.attach_probe_text(),
            tid: stop.tid,
            frame_id: 0,
            exec_id,
            frame_kind: kind,
            repr_kind: ReprKind::Normal,
            module_name: None,
            print_result: false,
        }])
        .await?;
        self.evaluating = true;
        let deadline = Instant::now() + self.wait;
        loop {
            match self.next_event(deadline, "the attach probe's answer").await?.0 {
                Event::ExecutionResult { exec_id: id, .. } | Event::ExecutionException { exec_id: id, .. }
                    if id == exec_id =>
                {
                    break
                }
                other => self.unexpected_stop(&other)?,
            }
        }
        self.evaluating = false;
        self.send(&[Command::ResumeAll]).await
    }

    /// `action` on the stopped thread → the next stop, timed from the write to the stop event.
    async fn cycle(&mut self, action: Action, stop: &Stop) -> Res<(Cycle, Stop)> {
        let (commands, expected) = match action {
            Action::StepOver => (vec![Command::StepOver { tid: stop.tid }], StopKind::Step),
            Action::Continue => {
                (vec![Command::ClearStepping { tid: stop.tid }, Command::ResumeAll], StopKind::Breakpoint)
            }
        };
        // Only frames sent after the command belong to the next stop.
        self.frames.clear();
        let start = Instant::now();
        self.send(&commands).await?;
        let next = self.wait_stop(&format!("the stop after {action:?}"), Some(expected)).await?;
        let locals =
            next.frames.first().map(|frame| frame.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>());
        if !locals.is_some_and(|names| names.contains(&"items") && names.contains(&"table")) {
            return Err(format!("raw ptvsd client: the stop after {action:?} came without its frame's locals"));
        }
        let at = ms(start, next.at);
        let cycle = Cycle {
            response: f64::NAN,
            stopped: at,
            stack: f64::NAN,
            scopes: f64::NAN,
            variables: at,
            timer_late_us: f64::NAN,
        };
        Ok((cycle, next))
    }

    /// Continue, as ptvsd-dap's: `clst` + `resa` (§9.6).
    async fn resume(&mut self, tid: Tid) -> Res<()> {
        self.send(&[Command::ClearStepping { tid }, Command::ResumeAll]).await
    }

    /// The next stop of any thread (of the `expected` kind, when given), with its frames.
    async fn wait_stop(&mut self, what: &str, expected: Option<StopKind>) -> Res<Stop> {
        let deadline = Instant::now() + self.wait;
        loop {
            let (event, at) = self.next_event(deadline, what).await?;
            let (tid, kind) = match event {
                Event::ThreadFrames { tid, name: Some(_), frames } => {
                    self.frames.insert(tid, frames);
                    continue;
                }
                Event::ProcessLoad { tid } => (tid, StopKind::AttachStop),
                Event::BreakpointHit { tid, .. } => (tid, StopKind::Breakpoint),
                Event::StepDone { tid } => (tid, StopKind::Step),
                Event::AsyncBreak { tid } => (tid, StopKind::Pause),
                Event::Exception { tid, .. } => (tid, StopKind::Exception),
                other => {
                    self.unexpected_stop(&other)?;
                    continue;
                }
            };
            let frames = self.frames.remove(&tid).unwrap_or_default();
            if expected.is_some_and(|expected| expected != kind) {
                return Err(format!("raw ptvsd client: waiting for {what}, ptvsd reported a stop of kind {kind:?}"));
            }
            if frames.is_empty() && kind != StopKind::AttachStop {
                return Err(format!("raw ptvsd client: {what} came without the thread's frames"));
            }
            return Ok(Stop { tid, frames, at });
        }
    }

    /// Reads until the output end marker: (bytes of program output, output events).
    async fn read_output(&mut self, deadline: Instant) -> Res<(u64, u64)> {
        let (mut bytes, mut events) = (0u64, 0u64);
        // The end of the text so far, so that a marker split across two events is still seen.
        let mut tail = String::new();
        loop {
            match self.next_event(deadline, "the end of the program's output").await?.0 {
                Event::Output { text, channel, .. } if channel != Some(OutputChannel::Debug) => {
                    bytes += text.len() as u64;
                    events += 1;
                    tail.push_str(&text[floor_boundary(&text, text.len().saturating_sub(64))..]);
                    if tail.contains(OUTPUT_END) {
                        return Ok((bytes, events));
                    }
                    tail.drain(..floor_boundary(&tail, tail.len().saturating_sub(64)));
                }
                other => self.unexpected_stop(&other)?,
            }
        }
    }

    /// The clean detach (§9.13): protocol 6 `detc`, `DETC`, then close; 7/8 `legacyDetach`,
    /// its event, then the loop-ending command, whose answer ends the link. Never while an
    /// evaluation runs (a protocol 6 detach then harms the debuggee).
    async fn detach(&mut self) -> Res<()> {
        if self.evaluating {
            let _ = self.pipe.shutdown().await;
            return Err("raw ptvsd client: an evaluation was still running, so it closed without a detach".into());
        }
        self.send(&[Command::Detach]).await?;
        let deadline = Instant::now() + self.wait;
        loop {
            match self.next_event(deadline, "the detach's confirmation").await?.0 {
                Event::Detached => break,
                // 7/8: the detach's second answer, a failure (§2.2); program output; anything else.
                _ => continue,
            }
        }
        if self.generation != Generation::V6 {
            self.send(&[Command::ShutdownLoop]).await?;
            let closed = tokio::time::timeout(self.wait, async {
                loop {
                    self.buf.clear();
                    match self.pipe.read_buf(&mut self.buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                }
            })
            .await;
            if closed.is_err() {
                return Err("raw ptvsd client: ptvsd did not end its loop after the detach".into());
            }
        }
        self.pipe.shutdown().await.map_err(|error| format!("raw ptvsd client: closing the link: {error}"))
    }

    /// Anything but what a wait expects: a stop or a detach there is an error; the rest
    /// (threads, modules, output, breakpoint news) is let through.
    fn unexpected_stop(&mut self, event: &Event) -> Res<()> {
        match event {
            Event::ProcessLoad { .. }
            | Event::BreakpointHit { .. }
            | Event::StepDone { .. }
            | Event::AsyncBreak { .. }
            | Event::Exception { .. }
            | Event::Detached
            | Event::CommandFailed { .. } => Err(format!("raw ptvsd client: unexpected message from ptvsd: {event:?}")),
            Event::ThreadFrames { tid, name: Some(_), frames } => {
                self.frames.insert(*tid, frames.clone());
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn send(&mut self, commands: &[Command]) -> Res<()> {
        let mut out = BytesMut::new();
        for command in commands {
            self.codec.encode(command, &mut out);
        }
        self.pipe.write_all(&out).await.map_err(|error| format!("raw ptvsd client: sending failed: {error}"))?;
        self.pipe.flush().await.map_err(|error| format!("raw ptvsd client: sending failed: {error}"))
    }

    /// The next event and when it was decoded. A `REQH` is answered on the spot with "everything
    /// handled" (§9.8 (b)): unanswered, its thread would block for good.
    async fn next_event(&mut self, deadline: Instant, what: &str) -> Res<(Event, Instant)> {
        loop {
            match self.codec.decode(&mut self.buf) {
                Ok(Some(Event::RequestHandlers { file })) => {
                    self.send(&[Command::SetExceptionHandlerInfo { file, statements: catch_all() }]).await?;
                    continue;
                }
                Ok(Some(event)) => return Ok((event, Instant::now())),
                Ok(None) => {}
                Err(error) => {
                    return Err(format!(
                        "raw ptvsd client: undecodable bytes from ptvsd while waiting for {what}: {error}"
                    ))
                }
            }
            self.buf.reserve(READ_CHUNK);
            let read = tokio::time::timeout_at(deadline.into(), self.pipe.read_buf(&mut self.buf)).await;
            match read {
                Err(_) => return Err(format!("raw ptvsd client: no {what} within {:?}", self.wait)),
                Ok(Ok(0)) => {
                    return Err(format!("raw ptvsd client: ptvsd closed the link while the client waited for {what}"))
                }
                Ok(Err(error)) => {
                    return Err(format!(
                        "raw ptvsd client: reading from ptvsd failed while waiting for {what}: {error}"
                    ))
                }
                Ok(Ok(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The raw client against a fake protocol 8 ptvsd that misbehaves: every wait ends with an
    //! error that says what did not come. (The real ptvsd drives it in `bench --short`.)

    use serde_json::{json, Value};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    async fn write_message(stream: &mut BufReader<TcpStream>, message: Value) {
        let frame = ptvsd_dap::dap::codec::encode_frame(message.to_string().as_bytes());
        stream.get_mut().write_all(&frame).await.unwrap();
    }

    async fn event(stream: &mut BufReader<TcpStream>, name: &str, body: Value) {
        write_message(stream, json!({"type": "event", "seq": 0, "event": name, "body": body})).await;
    }

    async fn read_message(stream: &mut BufReader<TcpStream>) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            match line.trim_end().split_once(": ") {
                Some(("Content-Length", n)) => length = n.parse().unwrap(),
                _ if line.trim_end().is_empty() => break,
                _ => panic!("unexpected header {line:?}"),
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Answers the request read next with `body`, as ptvsd does.
    async fn answer(stream: &mut BufReader<TcpStream>, body: Value) -> Value {
        let request = read_message(stream).await;
        let response = json!({"type": "response", "seq": 0, "request_seq": request["seq"], "success": true,
                              "command": request["command"], "message": "", "body": body});
        write_message(stream, response).await;
        request
    }

    /// A fake ptvsd 3.2 that greets, accepts the secret and the attach, then does `then`; and
    /// the raw client attached to it, with short waits.
    async fn attached<F, Fut>(then: F) -> (RawClient, tokio::task::JoinHandle<()>)
    where
        F: FnOnce(BufReader<TcpStream>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let fake = tokio::spawn(async move {
            let mut stream = BufReader::new(listener.accept().await.unwrap().0);
            let greeting = json!({"debuggerName": "PTVSDBG", "debuggerProtocolVersion": 8});
            event(&mut stream, "legacyRemoteConnected", greeting).await;
            let authenticate = answer(&mut stream, json!({"accepted": true})).await;
            assert_eq!(authenticate["arguments"]["clientSecret"], "s3cret");
            let info = json!({"accepted": true, "processId": 7, "pythonMajor": 3, "pythonMinor": 11, "pythonMicro": 7});
            answer(&mut stream, info).await;
            then(stream).await;
        });
        let mut raw = RawClient::attach(&format!("tcp://s3cret@127.0.0.1:{port}")).await.unwrap();
        raw.wait = Duration::from_millis(300);
        (raw, fake)
    }

    #[tokio::test]
    async fn a_silent_ptvsd_is_an_error_that_names_the_wait_not_a_hang() {
        let (mut raw, fake) = attached(|stream| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(stream);
        })
        .await;
        let error = raw.wait_stop("the stop after StepOver", None).await.err().unwrap();
        assert_eq!(error, "raw ptvsd client: no the stop after StepOver within 300ms");
        fake.abort();
    }

    #[tokio::test]
    async fn a_link_closed_during_a_wait_is_named() {
        let (mut raw, fake) = attached(|stream| async move { drop(stream) }).await;
        let error = raw.wait_stop("the attach stop (LOAD)", None).await.err().unwrap();
        assert_eq!(error, "raw ptvsd client: ptvsd closed the link while the client waited for the attach stop (LOAD)");
        fake.await.unwrap();
    }

    #[tokio::test]
    async fn a_handler_request_is_answered_and_a_stop_without_frames_refused() {
        let (mut raw, fake) = attached(|mut stream| async move {
            event(&mut stream, "legacyRequestHandlers", json!({"fileName": "/srv/app.py"})).await;
            let sehi = read_message(&mut stream).await;
            assert_eq!(sehi["command"], "legacySetExceptionHandlerInfo");
            assert_eq!(
                sehi["arguments"],
                json!({"fileName": "/srv/app.py", "statements": [{"lineStart": 0, "lineEnd": 2147483647, "expressions": ["*"]}]})
            );
            event(&mut stream, "legacyBreakpointHit", json!({"breakpointId": 1, "threadId": 5})).await;
            // Open until the client is done.
            stream.read_to_end(&mut Vec::new()).await.unwrap();
        })
        .await;
        let error = raw.wait_stop("the breakpoint hit", Some(StopKind::Breakpoint)).await.err().unwrap();
        assert_eq!(error, "raw ptvsd client: the breakpoint hit came without the thread's frames");
        raw.pipe.shutdown().await.unwrap();
        fake.await.unwrap();
    }

    #[tokio::test]
    async fn the_json_detach_ends_with_the_loop_ending_command() {
        let (mut raw, fake) = attached(|mut stream| async move {
            let detach = answer(&mut stream, json!({})).await;
            assert_eq!(detach["command"], "legacyDetach");
            event(&mut stream, "legacyDetach", json!({})).await;
            let shutdown = read_message(&mut stream).await;
            assert_eq!(shutdown["command"], "legacyShutdownLoop");
        })
        .await;
        raw.detach().await.unwrap();
        fake.await.unwrap();
    }

    #[tokio::test]
    async fn no_detach_while_an_evaluation_runs() {
        let (mut raw, fake) = attached(|mut stream| async move {
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty(), "sent {:?}", String::from_utf8_lossy(&rest));
        })
        .await;
        raw.evaluating = true;
        let error = raw.detach().await.err().unwrap();
        assert!(error.contains("an evaluation was still running"), "{error}");
        fake.await.unwrap();
    }
}
