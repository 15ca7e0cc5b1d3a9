//! Requests at awkward times, and the debuggee or the link going away: each gets a clear answer
//! and the remote program is never harmed. Every release, over tcp.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn app_path() -> String {
    fixture_path("app.py").to_string_lossy().into_owned()
}

fn attach(debuggee: &Debuggee, port: u16) -> DapClient {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": format!("tcp://{}@127.0.0.1:{port}", debuggee.secret())}));
    let line = fixture_line("app.py", "bp_work");
    c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": [{"line": line}]}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    c
}

/// (threadId, top frame id, locals reference) of the stop the `hit` command makes.
fn stop(debuggee: &Debuggee, c: &DapClient) -> (Value, Value, Value) {
    debuggee.send_line("hit");
    let stopped = c.wait_event("stopped", T);
    let thread_id = stopped["body"]["threadId"].clone();
    let frames = c.request_ok("stackTrace", json!({"threadId": thread_id}));
    let frame_id = frames["stackFrames"][0]["id"].clone();
    let scopes = c.request_ok("scopes", json!({"frameId": frame_id}));
    (thread_id, frame_id, scopes["scopes"][0]["variablesReference"].clone())
}

fn failed_with(c: &DapClient, command: &str, args: Value, text: &str) {
    let response = c.request(command, args);
    assert_eq!(response["success"], false, "{command} should fail: {response}");
    let message = response["message"].as_str().unwrap_or_default();
    assert!(message.contains(text), "{command}: {message:?} should say {text:?}");
}

/// Stale references, evaluation while running, a burst of concurrent requests.
fn awkward_requests(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let c = attach(&debuggee, debuggee.port());
    failed_with(&c, "evaluate", json!({"expression": "1", "context": "repl"}), "paused");
    let (thread_id, frame_id, locals) = stop(&debuggee, &c);
    // A burst, as an editor refreshing several panes sends it: every one answered right.
    let variables = c.request_ok("variables", json!({"variablesReference": locals}));
    let obj = variables["variables"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "obj"))
        .map(|v| v["variablesReference"].clone());
    let obj = obj.unwrap_or_else(|| panic!("no obj in {variables}"));
    let seqs: Vec<(i64, &str)> = (0..4)
        .flat_map(|i| {
            [
                (
                    c.send_request(
                        "evaluate",
                        json!({"expression": format!("n + {i}"), "frameId": frame_id, "context": "watch"}),
                    ),
                    "evaluate",
                ),
                (c.send_request("variables", json!({"variablesReference": obj})), "variables"),
            ]
        })
        .collect();
    for (index, (seq, command)) in seqs.iter().enumerate() {
        let response = c.wait_response(*seq, command, T);
        assert_eq!(response["success"], true, "{response}");
        if *command == "evaluate" {
            assert_eq!(response["body"]["result"], json!((7 + index / 2).to_string()), "{response}");
        } else {
            let names: Vec<&str> = response["body"]["variables"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["name"].as_str())
                .collect();
            assert!(names.contains(&"inner") && names.contains(&"label"), "{response}");
        }
    }
    c.request_ok("pause", json!({"threadId": thread_id}));
    c.request_ok("continue", json!({"threadId": thread_id}));
    debuggee.wait_stdout_contains("done hit\n", T);
    failed_with(&c, "variables", json!({"variablesReference": locals}), "no longer valid");
    failed_with(&c, "scopes", json!({"frameId": frame_id}), "no longer valid");
    failed_with(&c, "next", json!({"threadId": thread_id}), "running");
    failed_with(&c, "cancel", json!({"requestId": 1}), "'cancel'");
    c.request_ok("continue", json!({"threadId": thread_id}));
    // The session goes on.
    let (thread_id, _, _) = stop(&debuggee, &c);
    c.request_ok("continue", json!({"threadId": thread_id}));
    debuggee.wait_stdout_contains("done hit\n", T);
    c.request_ok("disconnect", json!({}));
    assert!(c.wait_exit(Duration::from_secs(10)).is_some());
}

/// The debuggee is killed while stopped: the editor is told, and the adapter ends.
fn debuggee_killed_while_stopped(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let c = attach(&debuggee, debuggee.port());
    stop(&debuggee, &c);
    let pid = debuggee.pid().to_string();
    let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()));
    c.wait_event("terminated", T);
    c.request_ok("disconnect", json!({}));
    assert!(c.wait_exit(Duration::from_secs(10)).is_some());
}

/// The link is cut while stopped: the editor gets `terminated` and a message that says what
/// the remote program is left with.
fn link_cut_while_stopped(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = StallingProxy::start(debuggee.port());
    let c = attach(&debuggee, proxy.port());
    stop(&debuggee, &c);
    drop(proxy);
    c.wait_event("terminated", T);
    let told = c.events_named("output").iter().any(|e| {
        e["body"]["output"].as_str().is_some_and(|s| s.contains("Lost the connection") && s.contains("restart"))
    });
    assert!(told, "the user was not told what the link loss leaves behind");
    c.request_ok("disconnect", json!({}));
    assert!(c.wait_exit(Duration::from_secs(10)).is_some());
}

each_supported_release!(awkward_requests, debuggee_killed_while_stopped, link_cut_while_stopped);
