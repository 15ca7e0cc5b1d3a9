//! End-to-end tests of the debugging features beyond stop-and-continue: setVariable and
//! setExpression, logpoints, exception stops with exceptionInfo, hex formatting, modules. Every
//! release, over tcp (the transport does not change these paths; the core suite covers ws).

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn app_path() -> String {
    fixture_path("app.py").to_string_lossy().into_owned()
}

fn line(marker: &str) -> u64 {
    fixture_line("app.py", marker) as u64
}

struct Session {
    debuggee: Debuggee,
    c: DapClient,
}

impl Session {
    /// Attached, with these breakpoints (`(marker, extra fields)`) and exception filters.
    fn start(release: Release, breakpoints: &[(&str, Value)], filters: &[&str]) -> Session {
        Self::start_on(Debuggee::start(release, "app.py"), breakpoints, filters)
    }

    fn start_on(debuggee: Debuggee, breakpoints: &[(&str, Value)], filters: &[&str]) -> Session {
        Self::start_with(debuggee, json!({}), breakpoints, filters)
    }

    /// Attached with `extra` attach arguments besides the URL.
    fn start_with(debuggee: Debuggee, extra: Value, breakpoints: &[(&str, Value)], filters: &[&str]) -> Session {
        let c = DapClient::spawn();
        c.guard_secret(debuggee.secret());
        let mut arguments = json!({"url": format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port())});
        if let (Some(arguments), Some(extra)) = (arguments.as_object_mut(), extra.as_object()) {
            arguments.extend(extra.clone());
        }
        c.attach_session(arguments);
        let breakpoints: Vec<Value> = breakpoints
            .iter()
            .map(|(marker, extra)| {
                let mut bp = json!({"line": line(marker)});
                if let (Some(bp), Some(extra)) = (bp.as_object_mut(), extra.as_object()) {
                    bp.extend(extra.clone());
                }
                bp
            })
            .collect();
        let body = c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": breakpoints}));
        assert!(
            body["breakpoints"].as_array().is_some_and(|bps| bps.iter().all(|bp| bp["verified"] == true)),
            "{body}"
        );
        c.request_ok("setExceptionBreakpoints", json!({"filters": filters}));
        c.request_ok("configurationDone", json!({}));
        debuggee.settle_output(&c);
        Session { debuggee, c }
    }

    /// Runs a fixture command and waits for the stop; returns (threadId, top frame id).
    fn stop_on(&self, command: &str, reason: &str) -> (Value, Value) {
        self.debuggee.send_line(command);
        let stopped = self.c.wait_event("stopped", T);
        assert_eq!(stopped["body"]["reason"], reason, "{stopped}");
        let thread_id = stopped["body"]["threadId"].clone();
        let frames = self.c.request_ok("stackTrace", json!({"threadId": thread_id}));
        (thread_id, frames["stackFrames"][0]["id"].clone())
    }

    fn locals(&self, frame_id: &Value) -> (Value, Vec<Value>) {
        let scopes = self.c.request_ok("scopes", json!({"frameId": frame_id}));
        let reference = scopes["scopes"][0]["variablesReference"].clone();
        let body = self.c.request_ok("variables", json!({"variablesReference": reference}));
        (reference, body["variables"].as_array().cloned().unwrap_or_default())
    }

    /// The variables under an expandable variable.
    fn children(&self, variable: &Value) -> Vec<Value> {
        let body = self.c.request_ok("variables", json!({"variablesReference": variable["variablesReference"]}));
        body["variables"].as_array().cloned().unwrap_or_default()
    }

    fn evaluate(&self, expression: &str, frame_id: &Value) -> String {
        let body =
            self.c.request_ok("evaluate", json!({"expression": expression, "frameId": frame_id, "context": "watch"}));
        body["result"].as_str().unwrap_or_default().to_string()
    }

    fn finish(self, thread_id: &Value, command: &str) {
        self.c.request_ok("continue", json!({"threadId": thread_id}));
        self.debuggee.wait_stdout_contains(&format!("done {command}\n"), T);
        self.c.request_ok("disconnect", json!({}));
    }
}

fn value_of<'a>(variables: &'a [Value], name: &str) -> &'a Value {
    variables.iter().find(|v| v["name"] == name).unwrap_or_else(|| panic!("no variable {name} in {variables:?}"))
}

/// setVariable on a local and on a dict entry, setExpression on a local: the program then
/// computes with the new values.
fn set_variable_and_expression(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    let (locals, variables) = s.locals(&frame_id);
    let set = s.c.request_ok("setVariable", json!({"variablesReference": locals, "name": "count", "value": "100"}));
    assert_eq!(set["value"], "100", "{set}");
    let mapping = value_of(&variables, "mapping")["variablesReference"].clone();
    let children = s.c.request_ok("variables", json!({"variablesReference": mapping}));
    let entry = children["variables"]
        .as_array()
        .and_then(|c| c.iter().find(|v| v["name"].as_str().is_some_and(|n| n.contains("'a'"))))
        .cloned();
    let entry = entry.unwrap_or_else(|| panic!("no 'a' entry in {children}"));
    let set =
        s.c.request_ok("setVariable", json!({"variablesReference": mapping, "name": entry["name"], "value": "9"}));
    assert_eq!(set["value"], "9", "{set}");
    assert_eq!(s.evaluate("mapping['a']", &frame_id), "9");
    let set = s.c.request_ok("setExpression", json!({"expression": "text", "value": "'bye'", "frameId": frame_id}));
    assert_eq!(set["value"], "'bye'", "{set}");
    // The program sees the new count: total = count + len(items).
    s.c.request_ok("next", json!({"threadId": thread_id}));
    let stopped = s.c.wait_event_where("stopped", T, |e| e["body"]["reason"] == "step");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": stopped["body"]["threadId"]}));
    assert_eq!(frames["stackFrames"][0]["line"], line("after_work"));
    let (_, variables) = s.locals(&frames["stackFrames"][0]["id"]);
    assert_eq!(value_of(&variables, "total")["value"], "103");
    let bad = s.c.request("setVariable", json!({"variablesReference": locals, "name": "count", "value": "1/0"}));
    assert_eq!(bad["success"], false, "{bad}");
    s.finish(&thread_id, "hit");
}

/// A logpoint prints its interpolated message and the program never stops there.
fn logpoint_prints_without_stopping(release: Release) {
    let s = Session::start(release, &[("after_work", json!({"logMessage": "total={total} n={n} {{literal}}"}))], &[]);
    s.debuggee.send_line("hit");
    s.debuggee.wait_stdout_contains("done hit\n", T);
    let printed =
        s.c.wait_event_where("output", T, |e| e["body"]["output"].as_str().is_some_and(|t| t.starts_with("total=")));
    assert_eq!(printed["body"]["output"], "total=11 n=7 {literal}\n");
    assert_eq!(printed["body"]["category"], "console");
    assert!(s.c.events_named("stopped").is_empty(), "a logpoint stopped the program");
    s.c.request_ok("disconnect", json!({}));
}

/// With the "raised" filter a caught exception stops where it is raised, and exceptionInfo
/// tells its type, message, break mode and traceback.
fn exception_stop_and_info(release: Release) {
    let s = Session::start(release, &[], &["raised"]);
    let (thread_id, _) = s.stop_on("raise", "exception");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], line("raise_line"));
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": thread_id}));
    assert_eq!(info["exceptionId"], "ValueError", "{info}");
    assert_eq!(info["description"], "bad 7", "{info}");
    assert_eq!(info["breakMode"], "always", "{info}");
    if release != Release::V2_2_0 {
        // 2.2.0 sends no traceback.
        let trace = info["details"]["stackTrace"].as_str().unwrap_or_default();
        assert!(trace.contains("in fail"), "{info}");
    }
    s.finish(&thread_id, "raise");
}

/// Exception breakpoints limited to named types: a filter's condition, and `exceptionOptions`
/// per type, on top of ptvsd's never-break defaults.
fn exception_types(release: Release) {
    // Each setting is made while the program is paused just before the raise: ptvsd applies a
    // table when its loop reads it, which is then certainly before the raise.
    let s = Session::start(release, &[("catch_call", json!({}))], &[]);
    let set_then_raise = |settings: Value| {
        let (thread_id, _) = s.stop_on("raise", "breakpoint");
        s.c.request_ok("setExceptionBreakpoints", settings);
        s.c.request_ok("continue", json!({"threadId": thread_id}));
    };
    let limited = |types: &str| json!({"filters": [], "filterOptions": [{"filterId": "raised", "condition": types}]});
    set_then_raise(limited("KeyError, myapp.errors.PaymentError"));
    s.debuggee.wait_stdout_contains("done raise\n", T);
    assert_eq!(s.c.events_named("stopped").len(), 1, "a ValueError stopped with the filter limited to other types");

    set_then_raise(limited("builtins.ValueError"));
    let stopped = s.c.wait_event("stopped", T);
    assert_eq!(stopped["body"]["reason"], "exception", "{stopped}");
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": stopped["body"]["threadId"]}));
    assert_eq!(info["exceptionId"], "ValueError", "{info}");
    s.c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]}));
    s.debuggee.wait_stdout_contains("done raise\n", T);

    set_then_raise(json!({"filters": ["raised"], "exceptionOptions": [
        {"path": [{"names": ["Python Exceptions"]}, {"names": ["ValueError"]}], "breakMode": "never"}]}));
    s.debuggee.wait_stdout_contains("done raise\n", T);
    assert_eq!(s.c.events_named("stopped").len(), 4, "ValueError is set to never break");
    let bad = s.c.request("setExceptionBreakpoints", limited("n > 3"));
    assert!(bad["message"].as_str().is_some_and(|m| m.contains("'n > 3' is not an exception type name")), "{bad}");
    s.c.request_ok("disconnect", json!({}));
}

/// With "raised" and justMyCode (the default), an exception raised and caught inside a library,
/// the standard library or the import system (`<frozen zipimport>` on ptvsd 2.2/3.0 under
/// Python 3.11) does not stop: the first stop is the user's own exception.
fn raised_stops_only_in_user_code(release: Release) {
    let s = Session::start(release, &[], &["raised"]);
    let (thread_id, _) = s.stop_on("libraise", "exception");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], line("raise_line"), "{frames}");
    assert_eq!(s.c.events_named("stopped").len(), 1);
    s.finish(&thread_id, "libraise");
}

/// `justMyCode: false` shows exceptions raised outside the user's code too: the first stop of
/// the same command is in the library.
fn raised_in_libraries_without_just_my_code(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let s = Session::start_with(debuggee, json!({"justMyCode": false}), &[], &["raised"]);
    let (thread_id, _) = s.stop_on("libraise", "exception");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    let top = &frames["stackFrames"][0]["source"];
    let shown = top["path"].as_str().or(top["name"].as_str()).unwrap_or_default();
    assert!(!shown.ends_with("app.py"), "the first stop is the user's own: {frames}");
    s.c.request_ok("disconnect", json!({}));
    s.debuggee.wait_stdout_contains("done libraise\n", T);
}

/// Long text stays within what one DAP message should carry: output in several events (none of
/// it lost), long values in `variables` shortened with a note, and "Copy Value" (the
/// `clipboard` context) the whole value (its own bound, 12 MiB, is a unit test's: shorten.rs).
fn long_text_fits_in_messages(release: Release) {
    let s = Session::start(release, &[("bp_big_text", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("bigtext", "breakpoint");
    let printed = |event: &Value| event["body"]["output"].as_str().map_or(0, |text| text.matches('\u{1}').count());
    let outputs = poll_until(T, || {
        let outputs = s.c.events_named("output");
        (outputs.iter().map(printed).sum::<usize>() == 1_000_000).then_some(outputs)
    })
    .expect("the program's 1,000,000 characters of output arrive");
    let largest = outputs.iter().map(|event| event.to_string().len()).max().unwrap_or(0);
    assert!(largest <= 1100 * 1024, "an output event of {largest} bytes");
    let (_, variables) = s.locals(&frame_id);
    let texts = s.children(value_of(&variables, "texts"));
    assert_eq!(texts.len(), 50);
    for text in &texts {
        let value = text["value"].as_str().unwrap_or_default();
        assert!(value.len() <= 8 * 1024 && value.ends_with("Copy Value gives the whole value]"), "{value}");
    }
    let copy = |expression: &Value| {
        let body =
            s.c.request_ok("evaluate", json!({"expression": expression, "frameId": frame_id, "context": "clipboard"}));
        body["result"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(copy(&texts[0]["evaluateName"]), format!("'{}'", "y".repeat(70_000)));
    s.finish(&thread_id, "bigtext");
}

/// Hex formatting and the module list.
fn hex_and_modules(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    let body = s.c.request_ok("evaluate", json!({"expression": "n * 2", "frameId": frame_id, "format": {"hex": true}}));
    assert_eq!(body["result"], "0xe");
    let modules = s.c.request_ok("modules", json!({}));
    let app = modules["modules"].as_array().and_then(|m| m.iter().find(|m| m["path"] == json!(app_path()))).cloned();
    assert!(app.is_some_and(|m| m["name"] == "app"), "the fixture is not among the modules");
    s.finish(&thread_id, "hit");
}

/// "uncaught" does not stop for an exception caught by the program (the handler ranges come
/// from the real source), and does stop for one that nothing catches.
fn uncaught_exceptions(release: Release) {
    let s = Session::start(release, &[], &["uncaught"]);
    s.debuggee.send_line("raise");
    s.debuggee.wait_stdout_contains("done raise\n", T);
    s.debuggee.send_line("libcatch");
    s.debuggee.wait_stdout_contains("done libcatch\n", T);
    assert!(s.c.events_named("stopped").is_empty(), "a caught exception stopped the program");
    let (thread_id, _) = s.stop_on("die", "exception");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], line("raise_line"));
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": thread_id}));
    assert_eq!(
        (info["exceptionId"].as_str(), info["breakMode"].as_str()),
        (Some("ValueError"), Some("unhandled")),
        "{info}"
    );
    s.c.request_ok("continue", json!({"threadId": thread_id}));
    // The program ends with the traceback; the session with it.
    s.c.wait_event("terminated", T);
    assert!(s.debuggee.wait_exit(T).is_some(), "the program did not end");
}

/// ptvsd asks which lines handle exceptions in files named by the program, which can compile
/// code under any name: a device or a procfs file that never ends is not read (the adapter
/// would read forever and the program's thread wait for good). The program runs on, the
/// adapter keeps answering, and a real source still gets its real answer.
fn handler_requests_for_files_that_are_not_sources(release: Release) {
    let s = Session::start(release, &[], &["uncaught"]);
    for name in ["/proc/self/pagemap", "/dev/zero", "/proc/self/mem"] {
        s.debuggee.send_line(&format!("compiled {name}"));
        s.debuggee.wait_stdout_contains(&format!("ran code compiled as {name}\n"), T);
    }
    assert!(s.c.events_named("stopped").is_empty(), "a caught exception stopped the program");
    s.c.wait_event_where("output", T, |e| {
        e["body"]["output"]
            .as_str()
            .is_some_and(|t| t.contains("/proc/self/pagemap") && t.contains("outside the workspace"))
    });
    let (thread_id, _) = s.stop_on("die", "exception");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], line("raise_line"));
    s.c.request_ok("continue", json!({"threadId": thread_id}));
    s.c.wait_event("terminated", T);
}

/// "userUnhandled": an exception that leaves user code into a library, which catches it,
/// stops where it was raised; one caught in user code does not.
fn user_unhandled_exceptions(release: Release) {
    let s = Session::start(release, &[], &["userUnhandled"]);
    s.debuggee.send_line("raise");
    s.debuggee.wait_stdout_contains("done raise\n", T);
    assert!(s.c.events_named("stopped").is_empty(), "an exception caught in user code stopped the program");
    let (thread_id, _) = s.stop_on("libcatch", "exception");
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], line("raise_line"));
    let info = s.c.request_ok("exceptionInfo", json!({"threadId": thread_id}));
    assert_eq!(info["breakMode"], "unhandled", "{info}");
    s.finish(&thread_id, "libcatch");
}

/// A condition stops only where it holds, a hit count only on its hit; a hit condition that
/// cannot be understood is reported on the breakpoint.
fn conditions_and_hit_counts(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({"condition": "n == 8"}))], &[]);
    s.debuggee.send_line("hit");
    s.debuggee.wait_stdout_contains("done hit\n", T);
    assert!(s.c.events_named("stopped").is_empty(), "stopped although n == 7");
    // Now on the second hit only, with a condition that holds. (A new breakpoint: its answer
    // waits for ptvsd's, so the program cannot run past it before it is in place.)
    let line = line("after_work");
    s.c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": [{"line": line, "condition": "n == 7", "hitCondition": "2"}]}));
    s.debuggee.send_line("hit");
    s.debuggee.wait_stdout_contains("done hit\n", T);
    assert!(s.c.events_named("stopped").is_empty(), "stopped on the first hit");
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    assert_eq!(s.evaluate("n", &frame_id), "7");
    let bad = s.c.request_ok(
        "setBreakpoints",
        json!({"source": {"path": app_path()}, "breakpoints": [{"line": line, "hitCondition": "<3"}]}),
    );
    assert_eq!(bad["breakpoints"][0]["verified"], false, "{bad}");
    assert!(bad["breakpoints"][0]["message"].as_str().is_some_and(|m| m.contains("hit condition")), "{bad}");
    s.finish(&thread_id, "hit");
}

/// A long list is shown in pages: only the page the editor asks for crosses the link.
fn long_lists_in_pages(release: Release) {
    let s = Session::start(release, &[("bp_big", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("big", "breakpoint");
    let (_, variables) = s.locals(&frame_id);
    let numbers = value_of(&variables, "numbers").clone();
    assert_eq!(numbers["indexedVariables"], 100000, "{numbers}");
    let page = s.c.request_ok(
        "variables",
        json!({"variablesReference": numbers["variablesReference"], "filter": "indexed", "start": 99990, "count": 10}),
    );
    let page = page["variables"].as_array().cloned().unwrap_or_default();
    assert_eq!(page.len(), 10, "{page:?}");
    assert_eq!((page[0]["name"].as_str(), page[0]["value"].as_str()), (Some("[99990]"), Some("99990")));
    assert_eq!(page[9]["name"], "[99999]");
    let again = s.evaluate(page[3]["evaluateName"].as_str().unwrap_or_default(), &frame_id);
    assert_eq!(again, "99993");
    // Pages of 100, as VS Code asks: the first fetches a block, the next nine cost no round trip.
    for first in (0..1000).step_by(100) {
        let page = s.c.request_ok("variables", json!({"variablesReference": numbers["variablesReference"], "filter": "indexed", "start": first, "count": 100}));
        let page = page["variables"].as_array().cloned().unwrap_or_default();
        assert_eq!(page.len(), 100);
        assert_eq!(page[99]["name"], json!(format!("[{}]", first + 99)));
        assert_eq!(page[99]["value"], json!((first + 99).to_string()));
    }
    let fetches = s.c.log_text().matches("EnumChildren { text: \"(numbers)[0:").count();
    assert_eq!(fetches, 1, "ten pages of 100 should cost one fetch");
    let named =
        s.c.request_ok("variables", json!({"variablesReference": numbers["variablesReference"], "filter": "named"}));
    assert_eq!(named["variables"], json!([]));
    s.finish(&thread_id, "big");
}

/// Variables as debugpy shows them: dunders under "special variables", functions under
/// "function variables" (both opened without a round trip), hints for classes, methods and
/// private names. ptvsd lists an instance's own attributes only; a module's frame and a class
/// have both kinds.
fn grouped_variables(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    let (_, variables) = s.locals(&frame_id);
    assert!(
        !variables.iter().any(|v| v["name"] == "special variables"),
        "a function's locals have no dunders: {variables:?}"
    );
    let obj = s.children(value_of(&variables, "obj"));
    let names: Vec<&str> = obj.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["_hits", "inner", "label"], "{obj:?}");
    assert_eq!(value_of(&obj, "_hits")["presentationHint"]["visibility"], "private");

    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    let module = frames["stackFrames"].as_array().and_then(|f| f.last()).cloned().unwrap_or_default();
    assert_eq!(module["name"], "<module>", "{frames}");
    let (_, globals) = s.locals(&module["id"]);
    let names: Vec<&str> = globals.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names.get(..2), Some(&["special variables", "function variables"][..]), "{globals:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("__") || *n == "work"),
        "dunders and functions belong in groups: {names:?}"
    );
    assert_eq!(value_of(&globals, "special variables")["presentationHint"]["kind"], "virtual");
    let outer = value_of(&globals, "Outer");
    assert_eq!(outer["presentationHint"]["kind"], "class", "{outer}");
    let special = s.children(value_of(&globals, "special variables"));
    assert_eq!(value_of(&special, "__name__")["value"], "'__main__'");
    let functions = s.children(value_of(&globals, "function variables"));
    assert_eq!(value_of(&functions, "work")["presentationHint"]["kind"], "method");
    assert!(functions.iter().any(|f| f["name"] == "main"), "{functions:?}");

    let class = s.children(outer);
    let class_names: Vec<&str> = class.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(class_names, ["function variables"], "ptvsd leaves out a class's dunders: {class:?}");
    let fetched = s.c.log_text().matches("EnumChildren").count();
    let methods = s.children(value_of(&class, "function variables"));
    let describe = value_of(&methods, "describe");
    assert_eq!(s.c.log_text().matches("EnumChildren").count(), fetched, "opening a group cost a round trip");
    assert!(
        s.evaluate(describe["evaluateName"].as_str().unwrap_or_default(), &module["id"]).contains("describe"),
        "{describe}"
    );
    s.finish(&thread_id, "hit");
}

/// Debug console completions: the frame's names and builtins, attributes after a dot, typed;
/// nothing to offer (not an error) for unknown names and while the program runs.
fn console_completions(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    let complete = |text: &str| {
        let body = s.c.request_ok(
            "completions",
            json!({"text": text, "column": text.encode_utf16().count() + 1, "frameId": frame_id}),
        );
        body["targets"].as_array().cloned().unwrap_or_default()
    };
    let target = |targets: &[Value], label: &str| {
        targets.iter().find(|t| t["label"] == label).cloned().unwrap_or_else(|| panic!("no {label} in {targets:?}"))
    };
    let names = complete("x = cou");
    assert_eq!(target(&names, "count")["type"], "variable");
    assert_eq!(
        (target(&names, "count")["start"].as_u64(), target(&names, "count")["length"].as_u64()),
        (Some(4), Some(3)),
        "0-based, as debugpy sends and clients read"
    );
    assert_eq!(target(&complete("le"), "len")["type"], "function");
    assert_eq!(target(&complete("Out"), "Outer")["type"], "class");
    let attributes = complete("obj.");
    let labels: Vec<&str> = attributes.iter().filter_map(|t| t["label"].as_str()).collect();
    assert!(labels.contains(&"inner") && labels.contains(&"label"), "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with('_')), "private names only after '_': {labels:?}");
    assert_eq!(target(&attributes, "describe")["type"], "method");
    assert_eq!(target(&complete("obj.inner.va"), "value")["type"], "field");
    assert!(complete("obj._").iter().any(|t| t["label"] == "_hits"));
    assert_eq!(complete("nosuch.x"), Vec::<Value>::new());
    assert_eq!(complete("f()."), Vec::<Value>::new());
    s.c.request_ok("continue", json!({"threadId": thread_id}));
    s.debuggee.wait_stdout_contains("done hit\n", T);
    let running = s.c.request_ok("completions", json!({"text": "obj.", "column": 5}));
    assert_eq!(running["targets"], json!([]), "{running}");
    s.c.request_ok("disconnect", json!({}));
}

/// Set next statement cannot work on Python 3.11 (ptvsd sets the line from its own thread) and
/// deadlocks protocol 6 when it fails: it is not offered, both requests are refused with the
/// reason, nothing reaches ptvsd, and the program runs on.
fn set_next_statement_refused(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    let (thread_id, _) = s.stop_on("hit", "breakpoint");
    let expected = if release.protocol() == 6 { "deadlocks the remote program" } else { "not possible on Python 3.11" };
    let targets = s.c.request("gotoTargets", json!({"source": {"path": app_path()}, "line": line("after_work")}));
    assert_eq!(targets["success"], false, "{targets}");
    assert!(targets["message"].as_str().is_some_and(|m| m.contains(expected)), "{targets}");
    let goto = s.c.request("goto", json!({"threadId": thread_id, "targetId": line("after_work")}));
    assert!(goto["message"].as_str().is_some_and(|m| m.contains(expected)), "{goto}");
    assert!(s.c.events_named("capabilities").is_empty(), "goto must not be offered");
    assert!(!s.c.log_text().contains("SetLineNumber"), "a set-line command reached ptvsd");
    s.finish(&thread_id, "hit");
}

/// On Python 3.9 or older, protocol 7/8 can move the line: goto back to a line re-runs it with
/// a changed variable, and the program goes on from there.
fn set_next_statement_on_older_python(release: Release) {
    let s = Session::start_on(Debuggee::start_on_older_python(release, "app.py"), &[("after_work", json!({}))], &[]);
    let offered = s.c.wait_event("capabilities", T);
    assert_eq!(offered["body"]["capabilities"]["supportsGotoTargetsRequest"], true, "{offered}");
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    assert_eq!(s.evaluate("total", &frame_id), "11");
    s.c.request_ok("setExpression", json!({"expression": "count", "value": "100", "frameId": frame_id}));
    let outside = s.c.request("gotoTargets", json!({"source": {"path": app_path()}, "line": line("call_work")}));
    assert!(outside["message"].as_str().is_some_and(|m| m.contains("outside work()")), "{outside}");
    let targets = s.c.request_ok("gotoTargets", json!({"source": {"path": app_path()}, "line": line("bp_work")}));
    let target = targets["targets"][0].clone();
    assert_eq!(target["line"], line("bp_work"), "{targets}");
    s.c.request_ok("goto", json!({"threadId": thread_id, "targetId": target["id"]}));
    let moved = s.c.wait_event_where("stopped", T, |e| e["body"]["reason"] == "goto");
    assert_eq!(moved["body"]["threadId"], thread_id);
    let frames = s.c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], line("bp_work"), "{frames}");
    s.c.request_ok("next", json!({"threadId": thread_id}));
    // The step ends on the breakpoint's line, so ptvsd reports the breakpoint (§9.4).
    let stepped = s.c.wait_event("stopped", T);
    let frames = s.c.request_ok("stackTrace", json!({"threadId": stepped["body"]["threadId"]}));
    assert_eq!(frames["stackFrames"][0]["line"], line("after_work"), "{frames}");
    assert_eq!(s.evaluate("total", &frames["stackFrames"][0]["id"]), "103", "the line did not run again");
    s.finish(&thread_id, "hit");
}

for_releases!(set_next_statement_on_older_python: v3_1_0, v3_2_1);

/// `continue` with `singleThread`: the worker stopped at a breakpoint runs to its end while the
/// main thread stays paused (it can still be evaluated, and sees what the worker did).
fn continue_one_thread(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({"condition": "n == 7"}))], &[]);
    let (worker, _) = s.stop_on("pair", "breakpoint");
    let threads = s.c.request_ok("threads", json!({}));
    let main = threads["threads"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] != worker))
        .map(|t| t["id"].clone())
        .unwrap_or_default();
    // The main thread pauses at its next line of Python, in the loop that waits for the worker.
    let main_frame = poll_until(T, || {
        // Its frames come when it has paused: until then its stack is refused as running.
        let frames = s.c.request("stackTrace", json!({"threadId": main}));
        let top = frames["body"]["stackFrames"][0].clone();
        let probe =
            s.c.request("evaluate", json!({"expression": "PAIR['done']", "frameId": top["id"], "context": "watch"}));
        (probe["success"] == true && top["name"] == "pair").then_some(top["id"].clone())
    })
    .unwrap_or_else(|| panic!("the main thread never paused in pair()"));
    let continued = s.c.request_ok("continue", json!({"threadId": worker, "singleThread": true}));
    assert_eq!(continued["allThreadsContinued"], false, "{continued}");
    s.debuggee.wait_stdout_contains("worker result 22\n", T);
    let done = poll_until(T, || (s.evaluate("PAIR['done']", &main_frame) == "True").then_some(()));
    assert!(done.is_some(), "the paused main thread should see the worker's result");
    let step = s.c.request("next", json!({"threadId": main, "singleThread": true}));
    assert!(step["message"].as_str().is_some_and(|m| m.contains("every thread")), "{step}");
    s.finish(&main, "pair");
}

/// A thread that runs on while another is stopped on an exception (§8.3): on 3.1/3.2 its stack
/// is fetched when asked for, so its variables move on with it; 2.2 and 3.0 (where `thrf` can
/// kill ptvsd's loop) show the snapshot taken at the stop.
fn running_thread_stack_during_exception_stop(release: Release) {
    let s = Session::start(release, &[], &["raised"]);
    let (raiser, raiser_frame) = s.stop_on("spinraise", "exception");
    let threads = s.c.request_ok("threads", json!({}));
    let main = threads["threads"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "MainThread"))
        .map(|t| t["id"].clone())
        .unwrap_or_default();
    let rounds = || {
        let frames = s.c.request_ok("stackTrace", json!({"threadId": main}));
        assert_eq!(frames["stackFrames"][0]["name"], "spin", "{frames}");
        let (_, variables) = s.locals(&frames["stackFrames"][0]["id"]);
        value_of(&variables, "rounds")["value"].as_str().and_then(|v| v.parse::<u64>().ok()).unwrap_or_default()
    };
    let first = rounds();
    if release.protocol() == 6 {
        assert_eq!(rounds(), first, "the snapshot does not change");
        assert!(!s.c.log_text().contains("GetThreadFrames"), "thrf must not be sent to protocol 6");
    } else {
        assert!(
            poll_until(T, || (rounds() > first).then_some(())).is_some(),
            "the running thread's stack was not fetched again"
        );
    }
    s.evaluate("SPIN.__setitem__('stop', True)", &raiser_frame);
    s.finish(&raiser, "spinraise");
}

/// "Copy Value" (evaluate in the clipboard context) gets the whole repr, which the other
/// contexts show shortened.
fn copy_value_is_whole(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    let (thread_id, frame_id) = s.stop_on("hit", "breakpoint");
    let evaluate = |expression: &str, context: &str| {
        let body =
            s.c.request_ok("evaluate", json!({"expression": expression, "frameId": frame_id, "context": context}));
        body["result"].as_str().unwrap_or_default().to_string()
    };
    let shown = evaluate("'x' * 100000", "repl");
    assert!(shown.len() < 100_002, "ptvsd shortens long values for display: {} bytes", shown.len());
    assert_eq!(evaluate("'x' * 100000", "clipboard"), format!("'{}'", "x".repeat(100_000)));
    assert_eq!(evaluate("mapping  # a comment", "clipboard"), "{'a': 1, 'b': [4, 5]}");
    s.finish(&thread_id, "hit");
}

/// `terminate` ends the session by detaching: the stopped program runs on, the editor gets
/// `terminated`, and its `disconnect` then ends the adapter.
fn terminate_detaches(release: Release) {
    let s = Session::start(release, &[("bp_work", json!({}))], &[]);
    s.stop_on("hit", "breakpoint");
    let response = s.c.request("terminate", json!({}));
    assert_eq!(response["success"], true, "{response}");
    assert!(response.get("body").is_none_or(Value::is_null), "Helix parses no body for terminate: {response}");
    s.c.wait_event("terminated", T);
    s.debuggee.wait_stdout_contains("done hit\n", T);
    s.c.request_ok("disconnect", json!({}));
    assert!(s.c.wait_exit(Duration::from_secs(10)).is_some(), "the adapter did not exit after disconnect");
}

each_supported_release!(
    set_variable_and_expression,
    logpoint_prints_without_stopping,
    exception_stop_and_info,
    long_text_fits_in_messages,
    raised_stops_only_in_user_code,
    raised_in_libraries_without_just_my_code,
    hex_and_modules,
    terminate_detaches,
    uncaught_exceptions,
    handler_requests_for_files_that_are_not_sources,
    user_unhandled_exceptions,
    conditions_and_hit_counts,
    long_lists_in_pages,
    grouped_variables,
    console_completions,
    set_next_statement_refused,
    continue_one_thread,
    exception_types,
    running_thread_stack_during_exception_stop,
    copy_value_is_whole
);

/// A stop that lasts past `longStopWarning` gets one warning about IIS's request timeout.
#[test]
fn long_stop_warns_about_the_fastcgi_timeout() {
    let debuggee = Debuggee::start(Release::V3_2_1, "app.py");
    let relay = Relay::websockify(debuggee.port());
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": relay.ws_url(debuggee.secret()), "longStopWarning": 1}));
    let line = line("bp_work");
    c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": [{"line": line}]}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("hit");
    let stopped = c.wait_event("stopped", T);
    let warning =
        c.wait_event_where("output", T, |e| e["body"]["output"].as_str().is_some_and(|s| s.contains("FastCGI")));
    assert!(warning["body"]["output"].as_str().is_some_and(|s| s.contains("stopped for 1 s")), "{warning}");
    c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]}));
    debuggee.wait_stdout_contains("done hit\n", T);
    c.request_ok("disconnect", json!({}));
}
