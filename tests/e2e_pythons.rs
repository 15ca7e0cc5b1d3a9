//! End-to-end: the debuggees App Service users have, on Python 2.7 and 3.6 (the rest of the suite
//! runs ptvsd on 3.11). Every release × Python × transport (tcp, ws through websockify) is one
//! case, one debuggee driven through a whole session: attach, breakpoints, the stack, locals as
//! that Python writes them (`str` vs `unicode`, `bytes`, old-style classes), evaluate,
//! setVariable, steps, pause, output, an exception caught and one uncaught, and a disconnect that
//! leaves the program running. The interpreters come from pyenv (`scripts/setup-old-pythons.sh`)
//! or `PTVSD_DAP_PYTHON_2_7`/`_3_6`; a missing one fails the case, naming the install.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// Waits for things the debuggee does (stops, output) and for ordinary answers.
const T: Duration = Duration::from_secs(30);
/// How long the adapter may take to exit once a session is over.
const EXIT: Duration = Duration::from_secs(10);

fn app_path() -> String {
    fixture_path("app.py").to_string_lossy().into_owned()
}

fn line(marker: &str) -> u64 {
    fixture_line("app.py", marker) as u64
}

/// One adapter attached to the case's debuggee.
struct Session<'a> {
    remote: &'a Remote,
    python: Interpreter,
    c: DapClient,
    /// app.py as the editor names it.
    path: String,
}

impl<'a> Session<'a> {
    /// Attached with breakpoints on `markers` and the exception `filters`, once ptvsd's attach
    /// has settled. Checks that the console names the remote Python.
    fn attach(remote: &'a Remote, python: Interpreter, markers: &[&str], filters: &[&str]) -> Session<'a> {
        Self::attach_mapped(remote, python, None, markers, filters)
    }

    /// [`Session::attach`], with the fixtures mapped to `local_root` when given.
    fn attach_mapped(
        remote: &'a Remote,
        python: Interpreter,
        local_root: Option<&str>,
        markers: &[&str],
        filters: &[&str],
    ) -> Session<'a> {
        let c = DapClient::spawn();
        c.guard_secret(remote.debuggee.secret());
        let mut arguments = json!({"url": remote.url()});
        let path = match local_root {
            Some(root) => {
                let remote_root = fixtures_dir().to_string_lossy().into_owned();
                arguments["pathMappings"] = json!([{"localRoot": root, "remoteRoot": remote_root}]);
                format!("{root}/app.py")
            }
            None => app_path(),
        };
        c.attach_session(arguments);
        let attached = c.wait_event_where("output", T, |e| {
            e["body"]["output"].as_str().is_some_and(|s| s.starts_with("Attached to ptvsd protocol "))
        });
        let attached = attached["body"]["output"].as_str().unwrap_or_default();
        assert!(attached.contains(&format!("Python {}", python.short_version())), "{attached}");
        let s = Session { remote, python, c, path };
        s.set_breakpoints(markers);
        s.c.request_ok("setExceptionBreakpoints", json!({"filters": filters}));
        s.c.request_ok("configurationDone", json!({}));
        remote.debuggee.settle_output(&s.c);
        s
    }

    fn set_breakpoints(&self, markers: &[&str]) {
        let wanted: Vec<Value> = markers.iter().map(|m| json!({"line": line(m)})).collect();
        let body = self.c.request_ok("setBreakpoints", json!({"source": {"path": self.path}, "breakpoints": wanted}));
        let lines: Vec<Value> =
            body["breakpoints"].as_array().into_iter().flatten().map(|bp| bp["line"].clone()).collect();
        assert_eq!(lines, markers.iter().map(|m| json!(line(m))).collect::<Vec<_>>(), "{body}");
    }

    fn send(&self, command: &str) {
        self.remote.debuggee.send_line(command);
    }

    /// Waits for `done <command>` on the debuggee's stdout.
    fn done(&self, command: &str) {
        self.remote.debuggee.wait_stdout_contains(&format!("done {command}\n"), T);
    }

    /// Waits for the next stop, checks its reason, returns its thread.
    fn stopped(&self, reason: &str) -> i64 {
        let event = self.c.wait_event("stopped", T);
        assert_eq!(event["body"]["reason"], reason, "{event}");
        event["body"]["threadId"].as_i64().unwrap_or_else(|| panic!("a stop without a thread: {event}"))
    }

    fn stack(&self, thread: i64) -> Vec<Value> {
        let body = self.c.request_ok("stackTrace", json!({"threadId": thread, "startFrame": 0, "levels": 20}));
        body["stackFrames"].as_array().cloned().unwrap_or_default()
    }

    /// Asserts that the top frames are these functions at these marked lines of app.py, called
    /// by main().
    fn assert_stack(&self, thread: i64, expected: &[(&str, &str)]) -> Vec<Value> {
        self.assert_stack_from(thread, expected, Some("main"))
    }

    /// [`Session::assert_stack`], called by `caller` in app.py (None: a thread's own start).
    fn assert_stack_from(&self, thread: i64, expected: &[(&str, &str)], caller: Option<&str>) -> Vec<Value> {
        let frames = self.stack(thread);
        assert!(frames.len() > expected.len(), "too few frames: {frames:?}");
        for (frame, (name, marker)) in frames.iter().zip(expected) {
            assert_eq!(frame["name"], *name, "{frame}");
            assert_eq!(frame["line"], line(marker), "not at `# @{marker}`: {frame}");
            assert_eq!(frame["source"]["path"], self.path, "{frame}");
        }
        if let Some(caller) = caller {
            let below = &frames[expected.len()];
            assert_eq!((below["name"].as_str(), below["source"]["path"].as_str()), (Some(caller), Some(&*self.path)));
        }
        frames
    }

    /// The locals of a frame (the first scope).
    fn locals(&self, frame: &Value) -> (i64, Vec<Value>) {
        let scopes = self.c.request_ok("scopes", json!({"frameId": frame["id"]}));
        let reference = scopes["scopes"][0]["variablesReference"].as_i64().unwrap_or(0);
        (reference, self.children_of(reference))
    }

    fn children_of(&self, reference: i64) -> Vec<Value> {
        assert!(reference > 0, "not expandable");
        let body = self.c.request_ok("variables", json!({"variablesReference": reference}));
        body["variables"].as_array().cloned().unwrap_or_default()
    }

    fn evaluate(&self, expression: &str, frame: &Value) -> Value {
        self.c.request("evaluate", json!({"expression": expression, "frameId": frame["id"], "context": "repl"}))
    }

    fn evaluates_to(&self, expression: &str, frame: &Value) -> String {
        let answer = self.evaluate(expression, frame);
        assert_eq!(answer["success"], true, "{expression}: {answer}");
        answer["body"]["result"].as_str().unwrap_or_default().to_string()
    }

    /// The debug console's completions of `text` (the cursor at its end): (label, type) pairs.
    fn completion_types(&self, text: &str, frame: &Value) -> Vec<(String, String)> {
        let column = text.encode_utf16().count() + 1;
        let body = self.c.request_ok("completions", json!({"text": text, "column": column, "frameId": frame["id"]}));
        let targets = body["targets"].as_array().cloned().unwrap_or_default();
        let pair =
            |t: &Value| (t["label"].as_str().unwrap_or("").to_string(), t["type"].as_str().unwrap_or("").to_string());
        targets.iter().map(pair).collect()
    }

    fn resume(&self, thread: i64, command: &str) {
        self.c.request_ok("continue", json!({"threadId": thread}));
        self.done(command);
    }

    /// disconnect → the adapter exits with 0, nothing leaked.
    fn disconnect(self) {
        self.c.request_ok("disconnect", json!({"restart": false}));
        let status = self.c.wait_exit(EXIT).unwrap_or_else(|| self.c.fail("the adapter did not exit after disconnect"));
        assert!(status.success(), "exit status after disconnect: {status}");
        self.c.check_no_secret();
    }
}

/// The whole session on `python` with ptvsd `release`, over tcp or ws.
fn on_python(python: Interpreter, release: Release, ws: bool) {
    let remote = Remote::reach(Debuggee::start_on(&python.path(), release, "app.py"), ws);
    let s = Session::attach(&remote, python, &["call_work", "bp_kinds"], &["raised"]);
    steps(&s);
    kinds(&s);
    s.set_breakpoints(&["bp_work"]);
    locals_evaluate_and_set(&s);
    exception_raised(&s);
    output(&s);
    pause(&s);
    thread_name(&s);
    disconnect_while_stopped(s);
    source_read_through_the_debuggee(&remote, python);
    uncaught_exception_ends_the_program(&remote, python);
}

/// stepIn enters work(), stepOut returns to the call line, next goes to the following line.
fn steps(s: &Session) {
    s.send("call");
    let thread = s.stopped("breakpoint");
    s.assert_stack(thread, &[("outer", "call_work")]);
    s.c.request_ok("stepIn", json!({"threadId": thread}));
    assert_eq!(s.stopped("step"), thread);
    s.assert_stack(thread, &[("work", "work_first"), ("outer", "call_work")]);
    s.c.request_ok("stepOut", json!({"threadId": thread}));
    assert_eq!(s.stopped("step"), thread);
    // ptvsd stops in the caller on the line of the call (docs/protocol.md §9.4).
    s.assert_stack(thread, &[("outer", "call_work")]);
    s.c.request_ok("next", json!({"threadId": thread}));
    assert_eq!(s.stopped("step"), thread);
    let frames = s.assert_stack(thread, &[("outer", "after_call_work")]);
    assert_eq!(value_of(&s.locals(&frames[0]).1, "value"), "22");
    s.resume(thread, "call");
}

/// Values whose repr differs between Python 2 and 3 show as that Python writes them.
fn kinds(s: &Session) {
    let logpoint = json!({"line": line("kinds_old"), "logMessage": "w={word} d={data} café n={number} m={mixed}"});
    let breakpoints = json!([logpoint, {"line": line("bp_kinds")}]);
    s.c.request_ok("setBreakpoints", json!({"source": {"path": s.path}, "breakpoints": breakpoints}));
    s.send("kinds");
    let thread = s.stopped("breakpoint");
    // The logpoint's text: Python 2 shows its UTF-8 `str` decoded, as a print would.
    let data = if s.python.is_python2() { "café" } else { r"b'caf\xc3\xa9'" };
    let logged = format!("w=café ☕ d={data} café n=1180591620717411303424 m=[1, 'two', None]\n");
    let printed =
        s.c.wait_event_where("output", T, |e| e["body"]["output"].as_str().is_some_and(|o| o.starts_with("w=")));
    assert_eq!(printed["body"]["output"], logged, "{printed}");
    let frames = s.assert_stack(thread, &[("kinds", "bp_kinds")]);
    let (_, vars) = s.locals(&frames[0]);
    let py2 = s.python.is_python2();
    let expected = if py2 {
        [
            ("number", "1180591620717411303424L", "long"),
            ("word", r"u'caf\xe9 \u2615'", "unicode"),
            ("data", r"'caf\xc3\xa9'", "str"),
            ("mixed", "[1, 'two', None]", "list"),
        ]
    } else {
        [
            ("number", "1180591620717411303424", "int"),
            ("word", "'café ☕'", "str"),
            ("data", r"b'caf\xc3\xa9'", "bytes"),
            ("mixed", "[1, 'two', None]", "list"),
        ]
    };
    for (name, value, type_name) in expected {
        assert_eq!((value_of(&vars, name).as_str(), var(&vars, name)["type"].as_str()), (value, Some(type_name)));
        assert_eq!(s.evaluates_to(name, &frames[0]), value, "evaluate {name}");
    }
    let old = var(&vars, "old");
    let old_repr = if py2 { "<__main__.OldStyle instance at 0x" } else { "<__main__.OldStyle object at 0x" };
    assert!(old["value"].as_str().is_some_and(|v| v.starts_with(old_repr)), "{old}");
    assert_eq!(value_of(&s.children_of(reference(old)), "colour"), "'blue'");
    let mixed = s.children_of(reference(var(&vars, "mixed")));
    assert_eq!(value_of(&mixed, "[1]"), "'two'");
    assert_eq!(s.evaluates_to("len(word)", &frames[0]), "6");
    let copied =
        s.c.request_ok("evaluate", json!({"expression": "word", "frameId": frames[0]["id"], "context": "clipboard"}));
    assert_eq!(copied["result"], expected[1].1, "Copy Value: {copied}");
    // Completions classify an old-style class and its instance's members as on Python 3.
    assert_eq!(s.completion_types("Old", &frames[0]), [("OldStyle".to_string(), "class".to_string())]);
    let members = s.completion_types("old.", &frames[0]);
    for member in [("colour", "field"), ("paint", "method")] {
        assert!(members.contains(&(member.0.to_string(), member.1.to_string())), "{member:?} not in {members:?}");
    }
    s.resume(thread, "kinds");
}

/// A breakpoint's locals, children two levels down, evaluate (and its errors in that Python's
/// words), setVariable, and a step that sees the new value.
fn locals_evaluate_and_set(s: &Session) {
    s.send("hit");
    let thread = s.stopped("breakpoint");
    let threads = s.c.request_ok("threads", json!({}));
    assert!(
        threads["threads"].as_array().into_iter().flatten().any(|t| t["id"] == thread && t["name"] == "MainThread"),
        "{threads}"
    );
    let frames = s.assert_stack(thread, &[("work", "bp_work")]);
    let (locals, vars) = s.locals(&frames[0]);
    assert_eq!(value_of(&vars, "n"), "7");
    assert_eq!(value_of(&vars, "count"), "8");
    assert_eq!(value_of(&vars, "text"), "'hello'");
    assert_eq!(value_of(&vars, "items"), "[1, 2, 3]");
    // Python 2 keeps a dict in hash order.
    let mapping = value_of(&vars, "mapping");
    assert!(["{'a': 1, 'b': [4, 5]}", "{'b': [4, 5], 'a': 1}"].contains(&mapping.as_str()), "{mapping}");
    assert!(value_of(&vars, "obj").starts_with("<__main__.Outer object at 0x"), "{}", var(&vars, "obj"));
    let items = s.children_of(reference(var(&vars, "items")));
    assert_eq!(value_of(&items, "[2]"), "3");
    let entries = s.children_of(reference(var(&vars, "mapping")));
    assert_eq!(value_of(&s.children_of(reference(var(&entries, "['b']"))), "[1]"), "5");
    let obj = s.children_of(reference(var(&vars, "obj")));
    assert_eq!(value_of(&obj, "label"), "'outer'");
    assert_eq!(value_of(&s.children_of(reference(var(&obj, "inner"))), "value"), "42");

    let frame = &frames[0];
    assert_eq!(s.evaluates_to("n * 2", frame), "14");
    assert_eq!(s.evaluates_to("obj.describe()", frame), "'outer with 42'");
    let division = if s.python.is_python2() { "integer division or modulo by zero" } else { "division by zero" };
    for (expression, text) in [("1/0", division), ("undefined_name", "name 'undefined_name' is not defined")] {
        let answer = s.evaluate(expression, frame);
        assert_eq!(answer["success"], false, "{expression}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(text), "{expression}: {message:?} lacks {text:?}");
    }

    let set = s.c.request_ok("setVariable", json!({"variablesReference": locals, "name": "count", "value": "100"}));
    assert_eq!(set["value"], "100", "{set}");
    s.c.request_ok("next", json!({"threadId": thread}));
    assert_eq!(s.stopped("step"), thread);
    let frames = s.assert_stack(thread, &[("work", "after_work")]);
    assert_eq!(value_of(&s.locals(&frames[0]).1, "total"), "103");
    s.resume(thread, "hit");
}

/// The `raised` filter stops where ValueError is raised; exceptionInfo tells its type, message
/// and (but on 2.2) the traceback.
fn exception_raised(s: &Session) {
    s.send("raise");
    let thread = s.stopped("exception");
    s.assert_stack(thread, &[("fail", "raise_line"), ("catch_failure", "catch_call")]);
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": thread}));
    assert_eq!(
        (info["exceptionId"].as_str(), info["description"].as_str()),
        (Some("ValueError"), Some("bad 7")),
        "{info}"
    );
    assert_eq!(info["breakMode"], "always", "{info}");
    if s.remote.debuggee.release() != Release::V2_2_0 {
        let trace = info["details"]["stackTrace"].as_str().unwrap_or_default();
        let expected = format!("File \"{}\", line {}, in fail\n", app_path(), line("raise_line"));
        assert!(trace.contains(&expected), "{trace:?} lacks {expected:?}");
        assert!(trace.contains("raise ValueError('bad %d' % n)"), "{trace:?}");
    }
    s.resume(thread, "raise");

    // A line with non-ASCII text: Python 2 quotes it as bytes (`\xc3\xa9`) in the traceback.
    s.send("raiseu");
    let thread = s.stopped("exception");
    s.assert_stack(thread, &[("fail_unicode", "raise_unicode")]);
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": thread}));
    assert_eq!(info["description"], "café ☕", "{info}");
    if s.remote.debuggee.release() != Release::V2_2_0 {
        let trace = info["details"]["stackTrace"].as_str().unwrap_or_default();
        assert!(trace.contains("    raise ValueError('café ☕')  # @raise_unicode\n"), "{trace:?}");
    }
    s.resume(thread, "raiseu");
}

/// The program's prints, non-ASCII text included, reach the editor as stdout.
fn output(s: &Session) {
    s.send("print café ☕ ok");
    s.done("print");
    // Python writes the text and the line break in two calls: each is an event.
    let stdout = || -> String {
        let events = s.c.events_named("output");
        let stdout = events.iter().filter(|e| e["body"]["category"] == "stdout" && !is_settle_pong(e));
        stdout.filter_map(|e| e["body"]["output"].as_str()).collect()
    };
    let shown = poll_until(T, || stdout().contains("café ☕ ok\ndone print\n").then_some(()));
    assert!(shown.is_some(), "{:?}", stdout());
}

/// pause stops the main thread in the Python loop it runs; an evaluate ends the loop.
fn pause(s: &Session) {
    let threads = s.c.request_ok("threads", json!({}));
    let main = threads["threads"][0]["id"].as_i64().unwrap_or_else(|| panic!("no thread: {threads}"));
    s.send("spin");
    s.remote.debuggee.wait_stdout_contains("spinning", T);
    s.c.request_ok("pause", json!({"threadId": main}));
    assert_eq!(s.stopped("pause"), main);
    let frames = s.stack(main);
    assert_eq!((frames[0]["name"].as_str(), frames[0]["source"]["path"].as_str()), (Some("spin"), Some(&*app_path())));
    assert_eq!(s.evaluates_to("SPIN.update(stop=True)", &frames[0]), "None");
    s.resume(main, "spin");
}

/// A thread named in non-ASCII text (UTF-8 bytes on Python 2) is listed under its name.
fn thread_name(s: &Session) {
    s.send("tname");
    let thread = s.stopped("breakpoint");
    s.assert_stack_from(thread, &[("work", "bp_work")], None);
    let threads = s.c.request_ok("threads", json!({}));
    let named = |name: &str| threads["threads"].as_array().into_iter().flatten().any(|t| t["name"] == name);
    assert!(named("träd ☕") && named("MainThread"), "{threads}");
    let listed = threads["threads"].as_array().into_iter().flatten().find(|t| t["name"] == "träd ☕");
    assert_eq!(listed.map(|t| t["id"].clone()), Some(json!(thread)), "{threads}");
    s.resume(thread, "tname");
}

/// A disconnect while stopped releases the program, which answers the next command.
fn disconnect_while_stopped(s: Session) {
    s.send("hit");
    let thread = s.stopped("breakpoint");
    s.assert_stack(thread, &[("work", "bp_work")]);
    let remote = s.remote;
    s.disconnect();
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    remote.debuggee.send_line("print still here");
    remote.debuggee.wait_stdout_contains("still here\ndone print\n", T);
}

/// Attached again with the fixtures mapped to a folder the editor does not have: the source of
/// a frame is read through the debuggee, non-ASCII text included.
fn source_read_through_the_debuggee(remote: &Remote, python: Interpreter) {
    let s = Session::attach_mapped(remote, python, Some("/home/someone/project"), &["bp_work"], &[]);
    s.send("hit");
    let thread = s.stopped("breakpoint");
    let frames = s.assert_stack(thread, &[("work", "bp_work")]);
    let source = &frames[0]["source"];
    let reference = source["sourceReference"].as_u64().filter(|r| *r > 0);
    let reference = reference.unwrap_or_else(|| panic!("no sourceReference: {source}"));
    let content = s.c.request_ok("source", json!({"sourceReference": reference, "source": source}));
    let text = content["content"].as_str().unwrap_or_default();
    let local = std::fs::read_to_string(fixture_path("app.py")).unwrap_or_default();
    assert!(text == local && text.contains("ValueError('café ☕')"), "{content}");
    s.resume(thread, "hit");
    s.disconnect();
}

/// Attached again with `uncaught`: the exception that ends the program stops it first, with
/// exceptionInfo; continuing lets it end with its traceback, and the session with it.
fn uncaught_exception_ends_the_program(remote: &Remote, python: Interpreter) {
    let s = Session::attach(remote, python, &[], &["uncaught"]);
    let thread = if python.is_python2() {
        // Through a module in Python 2 syntax, whose handlers the adapter reads all the same.
        s.send("legacydie");
        let thread = s.stopped("exception");
        let frames = s.assert_stack_from(thread, &[("fail", "raise_line"), ("<lambda>", "legacy_die")], None);
        let legacy = fixture_path("legacy2.py").to_string_lossy().into_owned();
        assert_eq!(frames[2]["source"]["path"], legacy, "{:?}", frames[2]);
        assert_eq!(frames[2]["line"], fixture_line("legacy2.py", "legacy_call"), "{:?}", frames[2]);
        thread
    } else {
        s.send("die");
        let thread = s.stopped("exception");
        s.assert_stack(thread, &[("fail", "raise_line")]);
        thread
    };
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": thread}));
    assert_eq!(
        (info["exceptionId"].as_str(), info["description"].as_str(), info["breakMode"].as_str()),
        (Some("ValueError"), Some("bad 7"), Some("unhandled")),
        "{info}"
    );
    s.c.request_ok("continue", json!({"threadId": thread}));
    s.c.wait_event("terminated", T);
    let status = remote.debuggee.wait_exit(T).unwrap_or_else(|| remote.debuggee.fail("the program did not end"));
    assert!(!status.success(), "{status}");
    // Its traceback reaches the editor (ptvsd writes it to the debugger before the process's
    // stderr, which it may not finish).
    let last =
        s.c.events_named("output")
            .into_iter()
            .filter(|e| !is_settle_pong(e))
            .filter_map(|e| e["body"]["output"].as_str().map(str::to_string));
    let traceback: String = last.collect();
    assert!(
        traceback.contains("Traceback (most recent call last):\n") && traceback.contains("ValueError: bad 7\n"),
        "{traceback}"
    );
    s.disconnect();
}

/// One `#[test]` per release × Python × transport, for nextest to run in parallel.
macro_rules! each_case {
    ($($name:ident: $python:ident, $release:ident, $ws:expr;)*) => {$(
        #[test]
        fn $name() {
            on_python(Interpreter::$python, Release::$release, $ws)
        }
    )*};
}

each_case! {
    python2_7_ptvsd2_2_0_tcp: Python27, V2_2_0, false;
    python2_7_ptvsd2_2_0_ws: Python27, V2_2_0, true;
    python2_7_ptvsd3_0_0_tcp: Python27, V3_0_0, false;
    python2_7_ptvsd3_0_0_ws: Python27, V3_0_0, true;
    python2_7_ptvsd3_1_0_tcp: Python27, V3_1_0, false;
    python2_7_ptvsd3_1_0_ws: Python27, V3_1_0, true;
    python2_7_ptvsd3_2_1_tcp: Python27, V3_2_1, false;
    python2_7_ptvsd3_2_1_ws: Python27, V3_2_1, true;
    python3_6_ptvsd2_2_0_tcp: Python36, V2_2_0, false;
    python3_6_ptvsd2_2_0_ws: Python36, V2_2_0, true;
    python3_6_ptvsd3_0_0_tcp: Python36, V3_0_0, false;
    python3_6_ptvsd3_0_0_ws: Python36, V3_0_0, true;
    python3_6_ptvsd3_1_0_tcp: Python36, V3_1_0, false;
    python3_6_ptvsd3_1_0_ws: Python36, V3_1_0, true;
    python3_6_ptvsd3_2_1_tcp: Python36, V3_2_1, false;
    python3_6_ptvsd3_2_1_ws: Python36, V3_2_1, true;
}
