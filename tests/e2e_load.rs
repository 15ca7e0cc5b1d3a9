//! Load, at a size that keeps the suite quick: what the user sees must stay right with many
//! stops, many threads, a huge list and a flood of output. Every release, over tcp, against
//! tests/fixtures/load_app.py. Speed and memory are measured by `bench load`, not here.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// Waits for the debuggee and for ordinary answers (generous: 8 tests share 2 cores).
const T: Duration = Duration::from_secs(60);
const EXIT: Duration = Duration::from_secs(10);

const STOPS: i64 = 300;
const THREADS: usize = 100;
const LIST_LEN: u64 = 1_000_000;
const FLOOD_BYTES: usize = 20_000_000;
const PRINT_SIZE: usize = 4096;
/// The flood comes in this many parts, each awaited.
const FLOODS: usize = 5;

fn script() -> String {
    fixture_path("load_app.py").to_string_lossy().into_owned()
}

fn line(marker: &str) -> u32 {
    fixture_line("load_app.py", marker)
}

/// A debuggee running load_app.py and an adapter attached to it over tcp, with breakpoints on
/// the given markers.
fn session(release: Release, markers: &[&str]) -> (Debuggee, DapClient) {
    let debuggee = Debuggee::start(release, "load_app.py");
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port())}));
    let lines: Vec<Value> = markers.iter().map(|m| json!({"line": line(m)})).collect();
    c.request_ok("setBreakpoints", json!({"source": {"path": script()}, "breakpoints": lines}));
    c.request_ok("setExceptionBreakpoints", json!({"filters": []}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    (debuggee, c)
}

fn finish(debuggee: &Debuggee, c: &DapClient) {
    c.request_ok("disconnect", json!({}));
    let status = c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
    assert!(status.success(), "adapter exit status: {status}");
    debuggee.send_line("quit");
    debuggee.wait_stdout_contains("done quit\n", T);
}

fn stopped_thread(c: &DapClient) -> i64 {
    let ev = c.wait_event("stopped", T);
    assert_eq!(ev["body"]["reason"], "breakpoint", "{ev}");
    ev["body"]["threadId"].as_i64().unwrap_or_else(|| panic!("stopped without threadId: {ev}"))
}

fn top_frame(c: &DapClient, tid: i64) -> Value {
    let body = c.request_ok("stackTrace", json!({"threadId": tid, "startFrame": 0, "levels": 20}));
    body["stackFrames"][0].clone()
}

/// The locals of `frame` (the first scope), by name.
fn locals(c: &DapClient, frame: &Value) -> Vec<Value> {
    let scopes = c.request_ok("scopes", json!({"frameId": frame["id"]}));
    let reference = &scopes["scopes"][0]["variablesReference"];
    let body = c.request_ok("variables", json!({"variablesReference": reference}));
    body["variables"].as_array().cloned().unwrap_or_default()
}

fn local<'a>(vars: &'a [Value], name: &str) -> &'a Value {
    vars.iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no local {name:?} in {}", Value::Array(vars.to_vec())))
}

/// A few hundred breakpoint stops in a loop: each on the right line, with the loop's counter.
fn stops_in_a_loop(release: Release) {
    let (debuggee, c) = session(release, &["load_bp"]);
    debuggee.send_line(&format!("loop {STOPS}"));
    for i in 0..STOPS {
        let tid = stopped_thread(&c);
        let frame = top_frame(&c, tid);
        assert_eq!(frame["name"], "hit", "stop {i}: {frame}");
        assert_eq!(frame["line"], json!(line("load_bp")), "stop {i}: {frame}");
        let vars = locals(&c, &frame);
        assert_eq!(local(&vars, "count")["value"], json!((i + 1).to_string()), "stop {i}");
        c.request_ok("continue", json!({"threadId": tid}));
    }
    debuggee.wait_stdout_contains("done loop\n", T);
    finish(&debuggee, &c);
}

/// 100 threads: `threads` names every worker; a stop in one shows its frame; the others'
/// stacks are there too.
fn hundred_threads(release: Release) {
    let (debuggee, c) = session(release, &["load_halt"]);
    debuggee.send_line(&format!("threads {THREADS}"));
    debuggee.wait_stdout_contains("done threads\n", T);
    debuggee.send_line("halt worker-042");
    let tid = stopped_thread(&c);
    let frame = top_frame(&c, tid);
    assert_eq!(frame["name"], "halted", "{frame}");
    assert_eq!(frame["line"], json!(line("load_halt")), "{frame}");
    assert_eq!(frame["source"]["path"], json!(script()), "{frame}");

    // The other threads are paused as they next run Python code (within 100 ms each): ask
    // again until every worker is listed under its name.
    let mut last = Value::Null;
    let names = poll_until(T, || {
        last = c.request_ok("threads", json!({}));
        let list: Vec<(i64, String)> = last["threads"]
            .as_array()?
            .iter()
            .map(|t| (t["id"].as_i64().unwrap_or(-1), t["name"].as_str().unwrap_or_default().to_string()))
            .collect();
        let workers = list.iter().filter(|(_, n)| n.starts_with("worker-")).count();
        (workers == THREADS).then_some(list)
    })
    .unwrap_or_else(|| panic!("`threads` never listed {THREADS} named workers: {last}"));
    for k in 0..THREADS {
        let name = format!("worker-{k:03}");
        assert_eq!(names.iter().filter(|(_, n)| *n == name).count(), 1, "{name} in {last}");
    }
    assert!(names.contains(&(tid, "worker-042".to_string())), "the stopped thread is worker-042: {last}");

    for name in ["worker-000", "worker-041", "worker-099"] {
        let id = names.iter().find(|(_, n)| n == name).map(|(id, _)| *id).unwrap_or(-1);
        let body = c.request_ok("stackTrace", json!({"threadId": id, "startFrame": 0, "levels": 20}));
        let frames = body["stackFrames"].as_array().cloned().unwrap_or_default();
        assert!(frames.iter().any(|f| f["name"] == "idle" && f["source"]["path"] == json!(script())), "{name}: {body}");
    }
    finish(&debuggee, &c);
}

/// `continue` right after a stop among 100 threads (as a user who presses it at once, or a
/// logpoint, does): every thread goes on. ptvsd's resume-all misses the threads still on their
/// way to the pause (`block()` sends the thread's frames before it marks itself blocked), which
/// then block for good unless the adapter wakes them (`session/debuggee/stragglers.rs`).
fn continue_resumes_stragglers(release: Release) {
    let (debuggee, c) = session(release, &["load_halt"]);
    for round in 0..3 {
        debuggee.send_line(&format!("threads {THREADS}"));
        debuggee.wait_stdout_contains("done threads\n", T);
        debuggee.send_line("halt-wait worker-042");
        let tid = stopped_thread(&c);
        c.request_ok("continue", json!({"threadId": tid}));
        debuggee.wait_stdout_contains("done halt-wait\n", T);
        debuggee.send_line("release");
        if !debuggee.try_wait_stdout_contains("done release\n", Duration::from_secs(15)) {
            debuggee.fail(&format!("round {round}: a thread stayed paused after `continue`"));
        }
    }
    let tracebacks: Vec<Value> = c
        .events_named("output")
        .into_iter()
        .filter(|e| e["body"]["output"].as_str().is_some_and(|o| o.contains("Traceback")))
        .collect();
    assert!(tracebacks.is_empty(), "ptvsd printed a traceback (its debugger loop may have died): {tracebacks:?}");
    finish(&debuggee, &c);
}

/// A 1,000,000-element list: its length is announced, and any page holds the right elements.
fn million_element_list(release: Release) {
    let (debuggee, c) = session(release, &["load_big"]);
    debuggee.send_line(&format!("biglist {LIST_LEN}"));
    let tid = stopped_thread(&c);
    let frame = top_frame(&c, tid);
    assert_eq!(frame["line"], json!(line("load_big")), "{frame}");
    let vars = locals(&c, &frame);
    let big = local(&vars, "big");
    assert_eq!(big["indexedVariables"], json!(LIST_LEN), "{big}");
    for start in [0, 500_000, LIST_LEN - 100] {
        let body = c.request_ok(
            "variables",
            json!({"variablesReference": big["variablesReference"], "filter": "indexed", "start": start, "count": 100}),
        );
        let page = body["variables"].as_array().cloned().unwrap_or_default();
        assert_eq!(page.len(), 100, "page at {start}: {body}");
        for (k, v) in page.iter().enumerate() {
            let index = start + k as u64;
            assert_eq!(v["name"], json!(format!("[{index}]")), "page at {start}: {v}");
            assert_eq!(v["value"], json!(index.to_string()), "page at {start}: {v}");
        }
    }
    c.request_ok("continue", json!({"threadId": tid}));
    debuggee.wait_stdout_contains("done biglist\n", T);
    finish(&debuggee, &c);
}

/// The line load_app.py prints after a flood (and on `mark`).
const OUTPUT_END: &str = "BENCH-OUTPUT-END";

/// Waits until the editor has a flood's end line, newline included: the program is done, and its
/// last line arrives after everything it printed before. `print` writes the text and the newline
/// apart and ptvsd sends each write as its own output event, so when the marker has arrived the
/// newline may still be on its way: it is the next stdout event after the marker.
fn wait_output_end(c: &DapClient, timeout: Duration) {
    let is_stdout = |e: &Value| e["body"]["category"] == "stdout";
    let marker = c.wait_event_where("output", timeout, |e| {
        is_stdout(e) && e["body"]["output"].as_str().is_some_and(|s| s.trim_end() == OUTPUT_END)
    });
    if marker["body"]["output"].as_str().is_some_and(|s| s.ends_with('\n')) {
        return;
    }
    let marker_seq = marker["seq"].as_i64().unwrap_or_else(|| c.fail(&format!("an event without seq: {marker}")));
    c.wait_event_where("output", timeout, |e| is_stdout(e) && e["seq"].as_i64().is_some_and(|seq| seq > marker_seq));
}

/// ~20 MB of prints reach an editor that keeps up: every byte, in order, nothing dropped. Five
/// floods of 4 MB, each awaited: the adapter holds up to 16 MiB for an editor that falls behind
/// (text plus a fixed cost per event) and drops the rest, saying so. One flood fits whole even if
/// the client read nothing while it ran (a busy 2-core machine), so a drop here is a bug.
fn output_flood_arrives_whole(release: Release) {
    let (debuggee, c) = session(release, &[]);
    let lines_per_flood = FLOOD_BYTES / FLOODS / PRINT_SIZE;
    let limit = Duration::from_secs(240);
    for part in 0..FLOODS {
        debuggee.send_line(&format!("flood {} {PRINT_SIZE} {}", lines_per_flood * PRINT_SIZE, part * lines_per_flood));
        // ptvsd also copies the prints to the process's stdout: wait on stderr, which stays small.
        poll_until(limit, || (debuggee.stderr_text().matches("bench flood ").count() > part).then_some(()))
            .unwrap_or_else(|| debuggee.fail("the flood did not finish"));
        wait_output_end(&c, limit);
    }
    let outputs = c.events_named("output");
    let dropped: Vec<&str> =
        outputs.iter().filter_map(|e| e["body"]["output"].as_str()).filter(|s| s.contains("were dropped")).collect();
    assert!(dropped.is_empty(), "output was dropped for a client that kept up: {dropped:?}");
    let mut received = String::with_capacity(FLOOD_BYTES + 64);
    for e in outputs.iter().filter(|e| e["body"]["category"] == "stdout" && !is_settle_pong(e)) {
        received.push_str(e["body"]["output"].as_str().unwrap_or_default());
    }
    let filler = "x".repeat(PRINT_SIZE - 11);
    let mut expected = String::with_capacity(FLOOD_BYTES + 64);
    for part in 0..FLOODS {
        for seq in part * lines_per_flood..(part + 1) * lines_per_flood {
            expected.push_str(&format!("{seq:09} {filler}\n"));
        }
        expected.push_str(OUTPUT_END);
        expected.push('\n');
    }
    if received != expected {
        let at = received
            .bytes()
            .zip(expected.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(received.len().min(expected.len()));
        let from = at.saturating_sub(40);
        panic!(
            "the output differs at byte {at} (received {} bytes of {}): received {:?}, expected {:?}",
            received.len(),
            expected.len(),
            String::from_utf8_lossy(&received.as_bytes()[from.min(received.len())..(at + 40).min(received.len())]),
            &expected[from..(at + 40).min(expected.len())]
        );
    }
    finish(&debuggee, &c);
}

each_supported_release!(
    stops_in_a_loop,
    hundred_threads,
    million_element_list,
    output_flood_arrives_whole,
    continue_resumes_stragglers
);
