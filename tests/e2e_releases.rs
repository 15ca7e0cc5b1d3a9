//! End-to-end checks of what differs between ptvsd releases: which release the adapter says it
//! attached to, and that leaving never leaves ptvsd's loop spinning (the 3.1/3.2 detach quirk,
//! docs/protocol.md §9.13). Every case runs against every supported release.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);
const EXIT: Duration = Duration::from_secs(10);

fn attach(debuggee: &Debuggee) -> DapClient {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port())}));
    c.request_ok("setExceptionBreakpoints", json!({"filters": []}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    c
}

fn console_line(c: &DapClient, prefix: &str) -> String {
    let event =
        c.wait_event_where("output", T, |e| e["body"]["output"].as_str().is_some_and(|s| s.starts_with(prefix)));
    event["body"]["output"].as_str().unwrap_or_default().to_string()
}

fn expected_name(release: Release) -> &'static str {
    match release {
        Release::V2_2_0 => "ptvsd 2.2",
        Release::V3_0_0 => "ptvsd 3.0",
        Release::V3_1_0 => "ptvsd 3.1",
        Release::V3_2_1 => "ptvsd 3.2",
    }
}

/// The console names the protocol at attach; protocol 6 shares 2.2 and 3.0, told apart at the
/// first moment the program runs Python code.
fn release_is_named(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let c = attach(&debuggee);
    let attached = console_line(&c, "Attached to ptvsd protocol ");
    assert!(attached.contains(&format!("protocol {} ", release.protocol())), "{attached}");
    assert!(attached.contains("Python 3.11"), "{attached}");
    assert!(attached.contains(&format!("pid {}", debuggee.pid())), "{attached}");
    debuggee.send_line("hit");
    debuggee.wait_stdout_contains("done hit\n", T);
    if release.protocol() == 6 {
        let detected = console_line(&c, "Detected ");
        assert_eq!(detected.trim_end(), format!("Detected {}.", expected_name(release)));
    } else {
        assert!(attached.contains(&format!("({})", expected_name(release))), "{attached}");
    }
    c.request_ok("disconnect", json!({}));
    assert!(c.wait_exit(EXIT).is_some(), "the adapter did not exit after disconnect");
}

/// After two attach/detach cycles the debuggee, idle on its stdin, uses (almost) no CPU: a
/// spinning debugger loop would burn a whole core. And it can still be attached again.
fn detach_leaves_no_spinning_loop(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    for round in 0..2 {
        let c = attach(&debuggee);
        debuggee.send_line(&format!("print round-{round}"));
        c.wait_event_where("output", T, |e| e["body"]["output"].as_str() == Some(&format!("round-{round}")));
        c.request_ok("disconnect", json!({}));
        assert!(c.wait_exit(EXIT).is_some(), "the adapter did not exit after disconnect");
    }
    let cpu_before = debuggee.cpu_time();
    let started = Instant::now();
    // A measurement window, not a wait for an event: the CPU a spinner would burn in it.
    std::thread::sleep(Duration::from_secs(1));
    let used = debuggee.cpu_time().saturating_sub(cpu_before);
    let elapsed = started.elapsed();
    assert!(used < elapsed / 4, "the debuggee used {used:?} of CPU in {elapsed:?} while idle after detach");
    let c = attach(&debuggee);
    debuggee.send_line("print again");
    c.wait_event_where("output", T, |e| e["body"]["output"].as_str() == Some("again"));
    c.request_ok("disconnect", json!({}));
    assert!(c.wait_exit(EXIT).is_some());
}

each_supported_release!(release_is_named, detach_leaves_no_spinning_loop);
