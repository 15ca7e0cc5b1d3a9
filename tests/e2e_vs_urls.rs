//! What a Visual Studio-era remote debugging URL could say, pasted unchanged into `url`:
//! `?opt=` debug options, `?sd=&td=` path mappings, `?host=`; plus `debugOptions`,
//! `justMyCode` and `stopOnAttach`. Every release.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn url(debuggee: &Debuggee, query: &str) -> String {
    format!("tcp://{}@127.0.0.1:{}{query}", debuggee.secret(), debuggee.port())
}

fn attach(debuggee: &Debuggee, args: Value) -> DapClient {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(args);
    c
}

/// `sd`/`td` map a local directory (here one that exists only in the editor's mind) to the
/// remote one: breakpoints bind exactly and stacks show local paths.
fn sd_td_mapping(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let remote_dir = fixtures_dir().to_string_lossy().into_owned();
    let local_dir = "/home/someone/project";
    let query = format!("?sd={local_dir}&td={remote_dir}&host=Linux");
    let c = attach(&debuggee, json!({"url": url(&debuggee, &query)}));
    let local_file = format!("{local_dir}/app.py");
    let line = fixture_line("app.py", "bp_work");
    let body = c.request_ok("setBreakpoints", json!({"source": {"path": local_file}, "breakpoints": [{"line": line}]}));
    assert_eq!(body["breakpoints"][0]["verified"], true, "the mapped breakpoint did not bind: {body}");
    // ptvsd applies an exception table asynchronously (docs/protocol.md §9.8): set it before the run.
    c.request_ok("setExceptionBreakpoints", json!({"filters": ["raised"]}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("hit");
    let stopped = c.wait_event("stopped", T);
    let frames = c.request_ok("stackTrace", json!({"threadId": stopped["body"]["threadId"]}));
    let source = &frames["stackFrames"][0]["source"];
    assert_eq!(source["path"], json!(local_file), "{frames}");
    // No local copy: the editor gets the text through the debuggee.
    let reference =
        source["sourceReference"].as_u64().filter(|r| *r > 0).unwrap_or_else(|| panic!("no sourceReference: {source}"));
    let content = c.request_ok("source", json!({"sourceReference": reference, "source": source}));
    assert!(content["content"].as_str().is_some_and(|text| text.contains("def work(n):")), "{content}");
    c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]}));
    debuggee.wait_stdout_contains("done hit\n", T);
    // The traceback of an exception names the files as the editor has them.
    debuggee.send_line("raise");
    let stopped = c.wait_event_where("stopped", T, |e| e["body"]["reason"] == "exception");
    let info = c.request_ok("exceptionInfo", json!({"threadId": stopped["body"]["threadId"]}));
    // ptvsd 2.2 sends no traceback (docs/protocol.md §6.2).
    if release != Release::V2_2_0 {
        let trace = info["details"]["stackTrace"].as_str().unwrap_or_default();
        assert!(trace.contains(&format!("File \"{local_file}\"")), "{info}");
        assert!(!trace.contains(&remote_dir), "a remote path in the traceback: {info}");
    }
    c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]}));
    debuggee.wait_stdout_contains("done raise\n", T);
    c.request_ok("disconnect", json!({}));
}

/// `stopOnAttach`: the attach-time stop is shown (reason `entry`) instead of resumed.
fn stop_on_attach(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let c = attach(&debuggee, json!({"url": url(&debuggee, ""), "stopOnAttach": true}));
    c.request_ok("configurationDone", json!({}));
    // The main thread sits in a read; it stops at its next Python line once ptvsd has marked it.
    let stopped = debuggee.settle_attach_stop(&c);
    assert_eq!(stopped["body"]["reason"], "entry", "{stopped}");
    let frames = c.request_ok("stackTrace", json!({"threadId": stopped["body"]["threadId"]}));
    assert_eq!(frames["stackFrames"][0]["source"]["path"], json!(fixture_path("app.py").to_string_lossy()), "{frames}");
    c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]}));
    debuggee.send_line("print entry");
    debuggee.wait_stdout_contains("done print\n", T);
    c.request_ok("disconnect", json!({}));
}

/// Debug options from the URL and the arguments reach ptvsd's attach (seen in the trace log).
fn options_reach_the_attach(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let args = json!({"url": url(&debuggee, "?opt=BreakOnSystemExitZero"), "django": true, "justMyCode": false});
    let c = attach(&debuggee, args);
    let log = c.log_text();
    let attach_line = log.lines().find(|l| l.contains("Attach { debug_options")).unwrap_or_default().to_string();
    for name in ["RedirectOutput", "BreakOnSystemExitZero", "DjangoDebugging", "DebugStdLib"] {
        assert!(attach_line.contains(name), "{name} missing from {attach_line:?}");
    }
    c.request_ok("disconnect", json!({}));
}

#[test]
fn refused_options_and_keys_are_named() {
    for (args, expected) in [
        (json!({"url": "tcp://s@127.0.0.1:9?opt=WaitOnAbnormalExit"}), "WaitOnAbnormalExit is refused"),
        (json!({"url": "tcp://s@127.0.0.1:9?opt=Frobnicate"}), "'Frobnicate'"),
        (json!({"url": "tcp://s@127.0.0.1:9?colour=blue"}), "unknown query key 'colour'"),
        (json!({"url": "tcp://s@127.0.0.1:9", "debugOptions": ["WaitOnNormalExit"]}), "WaitOnNormalExit is refused"),
    ] {
        let c = DapClient::spawn();
        c.request_ok("initialize", json!({"clientID": "test", "adapterID": "ptvsd"}));
        let response = c.request("attach", args.clone());
        assert_eq!(response["success"], false, "{args}: {response}");
        let message = response["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{args}: {message}");
    }
}

each_supported_release!(sd_td_mapping, stop_on_attach, options_reach_the_attach);
