//! End-to-end tests: the `ptvsd-dap` binary, driven over stdio like an editor, attached to a real
//! `python -m ptvsd tests/fixtures/app.py` of every supported release (2.2.0, 3.0.0, 3.1.0,
//! 3.2.1), straight over TCP and through a WebSocket relay (websockify).
//!
//! Each case is one function in `cases`, expanded by a macro into one `#[test]` per release and
//! transport (`<case>::v3_0_0_ws`), so that cargo-nextest runs them in parallel. Every test starts
//! its own debuggee (and relay) on its own ports. Every message the adapter sends is checked
//! against the DAP schema by the harness, and the debuggee's secret must never appear in what the
//! adapter writes (messages, stderr, log file).
//!
//! The fixture's lines are found by their `# @marker` comments (`fixture_line`).

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// Waits for things the debuggee does (stops, output) and for ordinary answers.
const T: Duration = Duration::from_secs(30);
/// How long the adapter may take to exit once a session is over.
const EXIT: Duration = Duration::from_secs(10);
/// Answers that must come from the adapter's cache.
const CACHED: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ws,
}

/// Session helpers for a debuggee running app.py, with websockify in front of it for `ws`.
impl Remote {
    pub fn attach_args(&self) -> Value {
        json!({"url": self.url()})
    }

    /// A new adapter process that must never reveal the debuggee's secret.
    pub fn adapter(&self) -> DapClient {
        let c = DapClient::spawn();
        c.guard_secret(self.debuggee.secret());
        c
    }

    /// A new adapter, attached and configured with breakpoints on the given markers, once
    /// ptvsd's attach has settled.
    pub fn session(&self, markers: &[&str]) -> DapClient {
        let c = self.unsettled_session(markers);
        self.debuggee.settle_output(&c);
        c
    }

    /// [`Remote::session`] returned right after `configurationDone`, the attach stop still ahead.
    pub fn unsettled_session(&self, markers: &[&str]) -> DapClient {
        let c = self.adapter();
        configure(&c, self.attach_args(), markers);
        c
    }

    pub fn send(&self, line: &str) {
        self.debuggee.send_line(line);
    }

    /// Waits for `done <command>` on the debuggee's stdout.
    pub fn done(&self, command: &str) {
        self.debuggee.wait_stdout_contains(&format!("done {command}\n"), T);
    }
}

pub fn app_path() -> String {
    fixture_path("app.py").to_string_lossy().into_owned()
}

pub fn line(marker: &str) -> u32 {
    fixture_line("app.py", marker)
}

/// initialize → attach → `initialized` → the "Attached to ptvsd protocol " console line →
/// setBreakpoints → setExceptionBreakpoints → configurationDone.
pub fn configure(c: &DapClient, attach_args: Value, markers: &[&str]) {
    let caps = c.attach_session(attach_args);
    assert_eq!(caps["supportsConfigurationDoneRequest"], true, "capabilities: {caps}");
    c.wait_event_where("output", T, |e| {
        e["body"]["output"].as_str().is_some_and(|s| s.starts_with("Attached to ptvsd protocol "))
    });
    set_breakpoints(c, markers);
    c.request_ok("setExceptionBreakpoints", json!({"filters": []}));
    c.request_ok("configurationDone", json!({}));
}

/// Sets breakpoints on the marked lines of app.py; one breakpoint comes back per requested one,
/// in order, on its line.
pub fn set_breakpoints(c: &DapClient, markers: &[&str]) -> Value {
    let lines: Vec<u32> = markers.iter().map(|m| line(m)).collect();
    let body = c.request_ok(
        "setBreakpoints",
        json!({"source": {"path": app_path()}, "breakpoints": lines.iter().map(|l| json!({"line": l})).collect::<Vec<_>>()}),
    );
    let bps = body["breakpoints"].as_array().cloned().unwrap_or_default();
    assert_eq!(bps.len(), lines.len(), "setBreakpoints: one breakpoint per requested one: {body}");
    for (bp, l) in bps.iter().zip(&lines) {
        assert_eq!(bp["line"], json!(l), "setBreakpoints moved a breakpoint: {body}");
    }
    body
}

/// Waits for the next `stopped` event, checks its reason, returns its threadId.
pub fn wait_stopped(c: &DapClient, reason: &str) -> i64 {
    let ev = c.wait_event("stopped", T);
    assert_eq!(ev["body"]["reason"], reason, "stopped for another reason: {ev}");
    ev["body"]["threadId"].as_i64().unwrap_or_else(|| panic!("stopped without threadId: {ev}"))
}

pub fn stack(c: &DapClient, tid: i64) -> Vec<Value> {
    let body = c.request_ok("stackTrace", json!({"threadId": tid, "startFrame": 0, "levels": 20}));
    let frames = body["stackFrames"].as_array().cloned().unwrap_or_default();
    assert!(!frames.is_empty(), "empty stack for thread {tid}");
    frames
}

/// Asserts that `frame` is function `name` at the marked line of app.py (local path).
pub fn assert_frame(frame: &Value, name: &str, marker: &str) {
    assert_eq!(frame["name"], name, "frame: {frame}");
    assert_eq!(frame["line"], json!(line(marker)), "frame not at `# @{marker}`: {frame}");
    assert_eq!(frame["source"]["path"], json!(app_path()), "frame source: {frame}");
}

/// The variables of every non-expensive scope of a frame.
pub fn frame_variables(c: &DapClient, frame_id: &Value) -> Vec<Value> {
    let scopes = c.request_ok("scopes", json!({"frameId": frame_id}));
    let mut vars = Vec::new();
    for s in scopes["scopes"].as_array().cloned().unwrap_or_default() {
        if s["expensive"] == true {
            continue;
        }
        vars.extend(children_of(c, &s["variablesReference"]));
    }
    vars
}

pub fn children_of(c: &DapClient, reference: &Value) -> Vec<Value> {
    let r = reference.as_i64().unwrap_or(0);
    assert!(r > 0, "not expandable (variablesReference {reference})");
    let body = c.request_ok("variables", json!({"variablesReference": r}));
    body["variables"].as_array().cloned().unwrap_or_default()
}

pub fn resume(c: &DapClient, tid: i64) {
    let body = c.request_ok("continue", json!({"threadId": tid}));
    assert!(body.is_object(), "continue body: {body}");
}

pub fn evaluate(c: &DapClient, expr: &str, frame_id: &Value) -> Value {
    c.request("evaluate", json!({"expression": expr, "frameId": frame_id, "context": "repl"}))
}

/// The single thread the session knows about while nothing is stopped (the main thread, which
/// ptvsd announces right after the attach). Asks again for a few seconds while the list is empty.
pub fn main_thread(c: &DapClient) -> i64 {
    let mut last = Value::Null;
    poll_until(Duration::from_secs(5), || {
        last = c.request_ok("threads", json!({}));
        last["threads"].as_array().and_then(|l| l.first()).and_then(|t| t["id"].as_i64())
    })
    .unwrap_or_else(|| panic!("no threads after the attach: {last}"))
}

/// disconnect → response → the adapter exits by itself with code 0 → nothing leaked.
pub fn finish(c: &DapClient) {
    c.request_ok("disconnect", json!({"restart": false}));
    let st = c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit within 10 s of disconnect"));
    assert!(st.success(), "adapter exit status after disconnect: {st}");
    c.check_no_secret();
}

#[derive(Clone, Copy, Debug)]
pub enum End {
    Disconnect,
    CloseStdin,
    Signal(Signal),
}

macro_rules! each_release_and_transport {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::{cases, Release, Transport};
            #[test] fn v2_2_0_tcp() { cases::$case(Release::V2_2_0, Transport::Tcp) }
            #[test] fn v2_2_0_ws() { cases::$case(Release::V2_2_0, Transport::Ws) }
            #[test] fn v3_0_0_tcp() { cases::$case(Release::V3_0_0, Transport::Tcp) }
            #[test] fn v3_0_0_ws() { cases::$case(Release::V3_0_0, Transport::Ws) }
            #[test] fn v3_1_0_tcp() { cases::$case(Release::V3_1_0, Transport::Tcp) }
            #[test] fn v3_1_0_ws() { cases::$case(Release::V3_1_0, Transport::Ws) }
            #[test] fn v3_2_1_tcp() { cases::$case(Release::V3_2_1, Transport::Tcp) }
            #[test] fn v3_2_1_ws() { cases::$case(Release::V3_2_1, Transport::Ws) }
        }
    )*};
}

macro_rules! each_release {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::{cases, Release};
            #[test] fn v2_2_0() { cases::$case(Release::V2_2_0) }
            #[test] fn v3_0_0() { cases::$case(Release::V3_0_0) }
            #[test] fn v3_1_0() { cases::$case(Release::V3_1_0) }
            #[test] fn v3_2_1() { cases::$case(Release::V3_2_1) }
        }
    )*};
}

each_release_and_transport!(
    breakpoint_stack_and_variables,
    evaluate_in_frame,
    step_over_then_continue,
    step_in_and_out,
    pause_while_waiting_for_input,
    pause_while_running_python,
    threads_are_named,
    output_events,
    output_not_redirected,
    end_disconnect_running,
    end_disconnect_stopped,
    end_stdin_closed_running,
    end_stdin_closed_stopped,
    end_sigterm_running,
    end_sigterm_stopped,
    end_sigint_stopped,
    end_sighup_stopped,
    debuggee_exit_sends_terminated,
    wrong_secret_is_refused,
    unknown_request_is_refused,
    step_on_running_thread_is_refused,
);

each_release!(answers_from_cache_while_link_stalled);

#[test]
fn attach_argument_errors() {
    cases::attach_argument_errors()
}

/// The harness itself, without the adapter.
mod harness {
    use super::common::{selftest, Release};
    #[test]
    fn fixture_markers() {
        selftest::fixture_markers()
    }
    #[test]
    fn proc_net_parsing() {
        selftest::proc_net_parsing()
    }
    #[test]
    fn relay_forwards_binary_frames() {
        selftest::relay_forwards_binary_frames()
    }
    #[test]
    fn stalling_proxy_holds_and_resumes() {
        selftest::stalling_proxy_holds_and_resumes()
    }
    #[test]
    fn schema_validator() {
        selftest::schema_validator()
    }
    #[test]
    fn dap_client_against_fake_adapter() {
        selftest::dap_client_against_fake_adapter()
    }
    #[test]
    fn dap_client_catches_faults() {
        selftest::dap_client_catches_faults()
    }
    #[test]
    fn debuggee_v2_2_0() {
        selftest::debuggee_runs_fixture(Release::V2_2_0)
    }
    #[test]
    fn debuggee_v3_0_0() {
        selftest::debuggee_runs_fixture(Release::V3_0_0)
    }
    #[test]
    fn debuggee_v3_1_0() {
        selftest::debuggee_runs_fixture(Release::V3_1_0)
    }
    #[test]
    fn debuggee_v3_2_1() {
        selftest::debuggee_runs_fixture(Release::V3_2_1)
    }
}

/// The test bodies, one per case, parametrised by release (and transport).
mod cases {
    use super::*;

    /// A stop at a breakpoint shows the user the line, the function, the local file, the
    /// locals as Python reprs, and their children two levels down.
    pub fn breakpoint_stack_and_variables(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        rig.send("hit");
        let tid = wait_stopped(&c, "breakpoint");
        let frames = stack(&c, tid);
        assert_frame(&frames[0], "work", "bp_work");
        assert_eq!(frames[1]["name"], "main", "caller frame: {}", frames[1]);

        let vars = frame_variables(&c, &frames[0]["id"]);
        assert_eq!(value_of(&vars, "n"), "7");
        assert_eq!(value_of(&vars, "count"), "8");
        assert_eq!(value_of(&vars, "text"), "'hello'");
        assert_eq!(value_of(&vars, "items"), "[1, 2, 3]");
        assert_eq!(value_of(&vars, "mapping"), "{'a': 1, 'b': [4, 5]}");
        assert!(value_of(&vars, "obj").contains("Outer object"), "obj: {}", var(&vars, "obj"));
        assert_eq!(reference(var(&vars, "n")), 0, "an int is not expandable");
        for name in ["items", "mapping", "obj"] {
            assert!(reference(var(&vars, name)) > 0, "{name} must be expandable: {}", var(&vars, name));
        }

        let items = children_of(&c, &var(&vars, "items")["variablesReference"]);
        for (i, v) in ["1", "2", "3"].iter().enumerate() {
            assert_eq!(value_of(&items, &format!("[{i}]")), *v, "items[{i}]");
        }
        let mapping = children_of(&c, &var(&vars, "mapping")["variablesReference"]);
        assert_eq!(value_of(&mapping, "['a']"), "1");
        let b = var(&mapping, "['b']");
        assert_eq!(b["value"], "[4, 5]");
        let b_items = children_of(&c, &b["variablesReference"]);
        assert_eq!(value_of(&b_items, "[0]"), "4");
        assert_eq!(value_of(&b_items, "[1]"), "5");
        let obj = children_of(&c, &var(&vars, "obj")["variablesReference"]);
        assert_eq!(value_of(&obj, "label"), "'outer'");
        let inner = children_of(&c, &var(&obj, "inner")["variablesReference"]);
        assert_eq!(value_of(&inner, "value"), "42");

        resume(&c, tid);
        rig.done("hit");
        finish(&c);
    }

    /// evaluate in a frame gives Python's answer; errors come back as failed responses with
    /// Python's text, and the session goes on.
    pub fn evaluate_in_frame(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        rig.send("hit");
        let tid = wait_stopped(&c, "breakpoint");
        let frames = stack(&c, tid);
        let fid = &frames[0]["id"];

        let r = evaluate(&c, "n * 2", fid);
        assert_eq!(r["success"], true, "{r}");
        assert_eq!(r["body"]["result"], "14", "{r}");
        assert_eq!(evaluate(&c, "obj.inner.value", fid)["body"]["result"], "42");
        // Helix sends no context: treated as repl.
        let r = c.request_ok("evaluate", json!({"expression": "count", "frameId": fid}));
        assert_eq!(r["result"], "8");

        for (expr, text) in [("1/0", "division by zero"), ("undefined_name", "name 'undefined_name' is not defined")] {
            let r = evaluate(&c, expr, fid);
            assert_eq!(r["success"], false, "{expr} should fail: {r}");
            let msg = r["message"].as_str().unwrap_or_default();
            assert!(msg.contains(text), "{expr}: message {msg:?} lacks {text:?}");
        }
        assert_eq!(evaluate(&c, "text", fid)["body"]["result"], "'hello'");
        assert_frame(&stack(&c, tid)[0], "work", "bp_work");
        resume(&c, tid);
        rig.done("hit");
        finish(&c);
    }

    /// next moves to the following line (answered before the stop), continue runs to the end
    /// with no stray stop.
    pub fn step_over_then_continue(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        rig.send("hit");
        let tid = wait_stopped(&c, "breakpoint");
        stack(&c, tid);
        let resp = c.request("next", json!({"threadId": tid}));
        assert_eq!(resp["success"], true, "{resp}");
        assert_eq!(wait_stopped(&c, "step"), tid);
        let i_resp = c.arrival_index(|m| m["type"] == "response" && m["request_seq"] == resp["request_seq"]);
        let i_stop = c.arrival_index(|m| m["event"] == "stopped" && m["body"]["reason"] == "step");
        assert!(i_resp < i_stop, "the `next` response must precede its `stopped` event");
        let frames = stack(&c, tid);
        assert_frame(&frames[0], "work", "after_work");
        let vars = frame_variables(&c, &frames[0]["id"]);
        assert_eq!(value_of(&vars, "total"), "11", "locals refreshed after the step");

        resume(&c, tid);
        rig.done("hit");
        rig.send("print barrier");
        rig.done("print");
        assert_eq!(c.events_named("stopped").len(), 2, "a stray stop after continue");
        finish(&c);
    }

    /// stepIn enters work() at its first line; stepOut returns to the call line in outer().
    pub fn step_in_and_out(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["call_work"]);
        rig.send("call");
        let tid = wait_stopped(&c, "breakpoint");
        assert_frame(&stack(&c, tid)[0], "outer", "call_work");

        c.request("stepIn", json!({"threadId": tid}));
        assert_eq!(wait_stopped(&c, "step"), tid);
        let frames = stack(&c, tid);
        assert_frame(&frames[0], "work", "work_first");
        assert_frame(&frames[1], "outer", "call_work");

        c.request("stepOut", json!({"threadId": tid}));
        assert_eq!(wait_stopped(&c, "step"), tid);
        // ptvsd stops in the caller on the line of the call (protocol doc §9.4).
        assert_frame(&stack(&c, tid)[0], "outer", "call_work");

        c.request("next", json!({"threadId": tid}));
        assert_eq!(wait_stopped(&c, "step"), tid);
        let frames = stack(&c, tid);
        assert_frame(&frames[0], "outer", "after_call_work");
        assert_eq!(value_of(&frame_variables(&c, &frames[0]["id"]), "value"), "22");

        resume(&c, tid);
        rig.done("call");
        finish(&c);
    }

    /// pause while the program waits in readline (a C call): the stop comes when it returns to
    /// Python, which the test triggers by writing commands.
    pub fn pause_while_waiting_for_input(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&[]);
        let main = main_thread(&c);
        c.request_ok("pause", json!({"threadId": main}));
        // The program pauses at its next line once ptvsd's loop has taken the pause in, which
        // nothing announces: a line run before that ("hit" sent at once) passes unpaused.
        let stopped = rig.debuggee.ping_until_stopped(&c, "pause stop");
        assert_eq!(stopped["body"]["reason"], "pause", "{stopped}");
        let tid = stopped["body"]["threadId"].as_i64().unwrap_or_else(|| panic!("stopped without threadId: {stopped}"));
        assert_eq!(tid, main);
        let frames = stack(&c, tid);
        assert_eq!(frames[0]["name"], "main", "paused in: {}", frames[0]);
        assert_eq!(frames[0]["source"]["path"], json!(app_path()));
        resume(&c, tid);
        rig.send("hit");
        rig.done("hit");
        finish(&c);
    }

    /// pause while Python code runs stops it there; an evaluate with a side effect ends the loop.
    pub fn pause_while_running_python(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&[]);
        let main = main_thread(&c);
        rig.send("spin");
        rig.debuggee.wait_stdout_contains("spinning", T);
        c.request_ok("pause", json!({"threadId": main}));
        let tid = wait_stopped(&c, "pause");
        let frames = stack(&c, tid);
        assert_eq!(frames[0]["name"], "spin", "paused in: {}", frames[0]);
        assert_eq!(frames[0]["source"]["path"], json!(app_path()));
        let r = evaluate(&c, "SPIN.update(stop=True)", &frames[0]["id"]);
        assert_eq!(r["body"]["result"], "None", "{r}");
        resume(&c, tid);
        rig.done("spin");
        finish(&c);
    }

    /// threads lists the names the user knows: MainThread, and worker-1 when it stops.
    pub fn threads_are_named(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        let names = |c: &DapClient| -> Vec<(i64, String)> {
            let body = c.request_ok("threads", json!({}));
            body["threads"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|t| (t["id"].as_i64().unwrap_or(-1), t["name"].as_str().unwrap_or_default().to_string()))
                .collect()
        };
        rig.send("hit");
        let main = wait_stopped(&c, "breakpoint");
        let list = names(&c);
        assert!(list.contains(&(main, "MainThread".to_string())), "threads: {list:?}");
        resume(&c, main);
        rig.done("hit");

        rig.send("thread");
        let worker = wait_stopped(&c, "breakpoint");
        assert_ne!(worker, main, "stopped in the worker, not the main thread");
        let list = names(&c);
        assert!(list.contains(&(worker, "worker-1".to_string())), "threads: {list:?}");
        assert!(list.contains(&(main, "MainThread".to_string())), "threads: {list:?}");
        assert_frame(&stack(&c, worker)[0], "work", "bp_work");
        resume(&c, worker);
        rig.done("thread");
        finish(&c);
    }

    /// The program's prints arrive as `output` events of category stdout.
    pub fn output_events(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&[]);
        rig.send("print hello-output");
        rig.done("print");
        let ev = c.wait_event_where("output", T, |e| {
            e["body"]["output"].as_str().is_some_and(|s| s.contains("hello-output"))
        });
        assert_eq!(ev["body"]["category"], "stdout", "{ev}");
        finish(&c);
    }

    /// redirectOutput: false hides the program's prints from the editor.
    pub fn output_not_redirected(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.adapter();
        let mut args = rig.attach_args();
        args["redirectOutput"] = json!(false);
        configure(&c, args, &["bp_work"]);
        // No pong reaches the editor without redirection: the attach stop in the log is what
        // says the program runs traced before it prints and hits.
        rig.debuggee.settle_traced(&c);
        rig.send("print hello-hidden");
        rig.done("print");
        rig.send("hit");
        let tid = wait_stopped(&c, "breakpoint"); // everything ptvsd sent before the stop is in
        let shown: Vec<Value> = c
            .events_named("output")
            .into_iter()
            .filter(|e| e["body"]["output"].as_str().is_some_and(|s| s.contains("hello-hidden")))
            .collect();
        assert!(shown.is_empty(), "output shown despite redirectOutput false: {shown:?}");
        resume(&c, tid);
        rig.done("hit");
        finish(&c);
    }

    /// Ends a session one way, running or stopped at a breakpoint: the adapter exits by itself,
    /// the debuggee runs on (released if it was stopped; no stop without a debugger), and a new
    /// adapter attaches and stops at a breakpoint again.
    fn ending(release: Release, transport: Transport, how: End, while_stopped: bool) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        if while_stopped {
            rig.send("hit");
            let tid = wait_stopped(&c, "breakpoint");
            assert_frame(&stack(&c, tid)[0], "work", "bp_work");
        }
        match how {
            End::Disconnect => {
                let r = c.request("disconnect", json!({"restart": false}));
                assert_eq!(r["success"], true, "{r}");
            }
            End::CloseStdin => c.close_stdin(),
            End::Signal(s) => c.signal(s),
        }
        let st = c
            .wait_exit(EXIT)
            .unwrap_or_else(|| c.fail(&format!("the adapter did not exit within {EXIT:?} after {how:?}")));
        if matches!(how, End::Disconnect) {
            assert!(st.success(), "exit status after disconnect: {st}");
        }
        c.check_no_secret();
        drop(c);

        if while_stopped {
            rig.done("hit"); // released
        }
        rig.send("hit");
        rig.done("hit"); // no stop without a debugger

        let c2 = rig.session(&["bp_work"]);
        rig.send("hit");
        let tid = wait_stopped(&c2, "breakpoint");
        assert_frame(&stack(&c2, tid)[0], "work", "bp_work");
        resume(&c2, tid);
        rig.done("hit");
        finish(&c2);
    }

    pub fn end_disconnect_running(r: Release, t: Transport) {
        ending(r, t, End::Disconnect, false)
    }
    pub fn end_disconnect_stopped(r: Release, t: Transport) {
        ending(r, t, End::Disconnect, true)
    }
    pub fn end_stdin_closed_running(r: Release, t: Transport) {
        ending(r, t, End::CloseStdin, false)
    }
    pub fn end_stdin_closed_stopped(r: Release, t: Transport) {
        ending(r, t, End::CloseStdin, true)
    }
    pub fn end_sigterm_running(r: Release, t: Transport) {
        ending(r, t, End::Signal(Signal::Term), false)
    }
    pub fn end_sigterm_stopped(r: Release, t: Transport) {
        ending(r, t, End::Signal(Signal::Term), true)
    }
    pub fn end_sigint_stopped(r: Release, t: Transport) {
        ending(r, t, End::Signal(Signal::Int), true)
    }
    pub fn end_sighup_stopped(r: Release, t: Transport) {
        ending(r, t, End::Signal(Signal::Hup), true)
    }

    /// The program exiting ends the session: `terminated`; disconnect is still answered.
    pub fn debuggee_exit_sends_terminated(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        rig.send("quit");
        rig.done("quit");
        let st = rig.debuggee.wait_exit(T).unwrap_or_else(|| rig.debuggee.fail("did not exit after quit"));
        assert!(st.success(), "{}", rig.debuggee.describe(&format!("exit status {st}")));
        c.wait_event("terminated", T);
        finish(&c);
    }

    /// A wrong secret: a failed attach that says so, no secret in anything written, and the
    /// debuggee still accepts the right one afterwards.
    pub fn wrong_secret_is_refused(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let wrong = format!("wrong{}", unique_secret());
        let c = rig.adapter();
        c.guard_secret(&wrong);
        c.request_ok(
            "initialize",
            json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true,
                                          "columnsStartAt1": true, "pathFormat": "path"}),
        );
        let r = c.request("attach", json!({"url": rig.url_with_secret(&wrong)}));
        assert_eq!(r["success"], false, "attach with a wrong secret: {r}");
        let msg = r["message"].as_str().unwrap_or_default().to_lowercase();
        assert!(msg.contains("secret"), "the message should mention the secret: {r}");
        c.close_stdin();
        c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after a failed attach and EOF"));
        c.check_no_secret();
        drop(c);

        let c2 = rig.session(&["bp_work"]);
        rig.send("hit");
        let tid = wait_stopped(&c2, "breakpoint");
        resume(&c2, tid);
        rig.done("hit");
        finish(&c2);
    }

    /// An unknown request is refused by name and does not disturb the session.
    pub fn unknown_request_is_refused(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        let r = c.request("fooBar", json!({"x": 1}));
        assert_eq!(r["success"], false, "{r}");
        assert!(r["message"].as_str().unwrap_or_default().contains("fooBar"), "{r}");
        rig.send("hit");
        let tid = wait_stopped(&c, "breakpoint");
        let r = c.request("fooBar", json!({}));
        assert_eq!(r["success"], false, "{r}");
        assert_frame(&stack(&c, tid)[0], "work", "bp_work");
        resume(&c, tid);
        rig.done("hit");
        finish(&c);
    }

    /// stepIn for a running thread fails cleanly and leaves the debuggee working.
    pub fn step_on_running_thread_is_refused(release: Release, transport: Transport) {
        let rig = Remote::start(release, transport == Transport::Ws);
        let c = rig.session(&["bp_work"]);
        rig.send("hit");
        let tid = wait_stopped(&c, "breakpoint");
        resume(&c, tid);
        rig.done("hit");
        let r = c.request("stepIn", json!({"threadId": tid}));
        assert_eq!(r["success"], false, "stepIn on a running thread: {r}");
        rig.send("hit");
        assert_eq!(wait_stopped(&c, "breakpoint"), tid);
        assert_frame(&stack(&c, tid)[0], "work", "bp_work");
        resume(&c, tid);
        rig.done("hit");
        finish(&c);
    }

    /// After a stop, stackTrace, scopes and top-level variables are answered with the link to
    /// ptvsd stalled, and the adapter sends it nothing for them. Checked at the second stop of
    /// the session, so that one-time work at the first stop cannot race with the stall.
    pub fn answers_from_cache_while_link_stalled(release: Release) {
        let debuggee = Debuggee::start(release, "app.py");
        let proxy = StallingProxy::start(debuggee.port());
        let c = DapClient::spawn();
        c.guard_secret(debuggee.secret());
        let url = format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), proxy.port());
        configure(&c, json!({"url": url}), &["bp_work"]);
        debuggee.settle_output(&c);
        let done = |cmd: &str| debuggee.wait_stdout_contains(&format!("done {cmd}\n"), T);
        debuggee.send_line("hit");
        let tid = wait_stopped(&c, "breakpoint");
        stack(&c, tid);
        resume(&c, tid);
        done("hit");

        debuggee.send_line("hit");
        let tid = wait_stopped(&c, "breakpoint");
        proxy.stall();
        let before = proxy.bytes_to_target();
        let st = c.request_timeout("stackTrace", json!({"threadId": tid, "startFrame": 0, "levels": 20}), CACHED);
        assert_eq!(st["success"], true, "{st}");
        let frame = st["body"]["stackFrames"][0].clone();
        assert_frame(&frame, "work", "bp_work");
        let scopes = c.request_timeout("scopes", json!({"frameId": frame["id"]}), CACHED);
        let mut vars = Vec::new();
        for s in scopes["body"]["scopes"].as_array().cloned().unwrap_or_default() {
            if s["expensive"] != true {
                let v = c.request_timeout("variables", json!({"variablesReference": s["variablesReference"]}), CACHED);
                vars.extend(v["body"]["variables"].as_array().cloned().unwrap_or_default());
            }
        }
        assert_eq!(value_of(&vars, "n"), "7");
        assert_eq!(value_of(&vars, "text"), "'hello'");
        assert_eq!(proxy.bytes_to_target(), before, "the adapter asked ptvsd while answering from its cache");
        proxy.resume();
        resume(&c, tid);
        done("hit");
        finish(&c);
    }

    /// attach without a usable `url` fails, naming the argument, and reveals no secret.
    pub fn attach_argument_errors() {
        let secret = unique_secret();
        let port = free_port();
        for args in [
            json!({}),
            json!({"url": 42}),
            json!({"url": format!("tcp://{secret}@127.0.0.1:notaport")}),
            json!({"url": format!("ftp://{secret}@127.0.0.1:{port}")}),
        ] {
            let c = DapClient::spawn();
            c.guard_secret(&secret);
            c.request_ok(
                "initialize",
                json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true,
                                              "columnsStartAt1": true, "pathFormat": "path"}),
            );
            let r = c.request("attach", args.clone());
            assert_eq!(r["success"], false, "attach {args} should fail: {r}");
            let msg = r["message"].as_str().unwrap_or_default();
            assert!(msg.to_lowercase().contains("url"), "attach {args}: the message should name `url`: {r}");
            c.close_stdin();
            c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after EOF"));
            c.check_no_secret();
        }
    }
}
