//! The editor kills the adapter with SIGKILL (Helix does every time a session ends): the remote
//! app must be released anyway. The process the editor spawned only relays; the connection
//! owner, out of the editor's reach, detaches when its channel closes. Every release, tcp and ws.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

impl Remote {
    fn session(&self) -> (DapClient, u32) {
        let c = DapClient::spawn();
        c.guard_secret(self.debuggee.secret());
        c.attach_session(json!({"url": self.url()}));
        let line = fixture_line("app.py", "bp_work");
        let path = fixture_path("app.py").to_string_lossy().into_owned();
        let body = c.request_ok("setBreakpoints", json!({"source": {"path": path}, "breakpoints": [{"line": line}]}));
        assert_eq!(body["breakpoints"][0]["verified"], true, "{body}");
        c.request_ok("configurationDone", json!({}));
        self.debuggee.settle_output(&c);
        let owner = owner_of(c.pid());
        (c, owner)
    }

    fn stop_at_breakpoint(&self, c: &DapClient) -> Value {
        self.debuggee.send_line("hit");
        let stopped = c.wait_event("stopped", T);
        assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
        stopped
    }

    /// Stops at the breakpoint and starts an evaluation that blocks the stopped thread until the
    /// test writes a line to the program; returns once ptvsd has been sent it.
    fn block_in_evaluate(&self, c: &DapClient) {
        let stopped = self.stop_at_breakpoint(c);
        let frames = c.request_ok("stackTrace", json!({"threadId": stopped["body"]["threadId"]}));
        let frame_id = frames["stackFrames"][0]["id"].clone();
        c.send_request(
            "evaluate",
            json!({"expression": "__import__('sys').stdin.readline()", "frameId": frame_id, "context": "repl"}),
        );
        // The adapter's own evaluation at the attach stop is an `Execute` too: look for this one.
        let sent = || c.log_text().lines().any(|line| line.contains("Execute {") && line.contains("stdin.readline()"));
        poll_until(T, || sent().then_some(())).unwrap_or_else(|| panic!("the evaluation never reached ptvsd"));
    }

    /// After the kill: the owner goes, and a new adapter attaches and stops at the breakpoint.
    fn assert_released(&self, owner: u32) {
        let gone = poll_until(T, || (!process_exists(owner)).then_some(()));
        assert!(gone.is_some(), "the connection owner (pid {owner}) is still running");
        let (c, _) = self.session();
        self.stop_at_breakpoint(&c);
        c.request_ok("disconnect", json!({}));
        assert!(c.wait_exit(Duration::from_secs(10)).is_some(), "the second adapter did not exit");
        self.debuggee.wait_stdout_contains("done hit\n", T);
    }
}

/// The process whose parent is `pid` (the connection owner of a front).
fn owner_of(pid: u32) -> u32 {
    let found = poll_until(T, || {
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let after_comm = &stat[stat.rfind(')')? + 2..];
            let ppid: u32 = after_comm.split(' ').nth(1)?.parse().ok()?;
            (ppid == pid).then_some(child)
        })
    });
    found.unwrap_or_else(|| panic!("the adapter (pid {pid}) has no connection-owner child"))
}

fn process_exists(pid: u32) -> bool {
    // A zombie has exited; only its parent's wait is missing.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

fn kill(pid: u32) {
    let status = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -KILL {pid} failed");
}

fn killed_while_stopped(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let (c, owner) = remote.session();
    remote.stop_at_breakpoint(&c);
    c.signal(Signal::Kill);
    // The stopped thread is released: the program finishes the command on its own.
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    remote.assert_released(owner);
}

fn killed_while_running(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let (c, owner) = remote.session();
    remote.debuggee.send_line("print running");
    c.wait_event_where("output", T, |e| e["body"]["output"] == "running");
    c.signal(Signal::Kill);
    remote.assert_released(owner);
}

fn killed_during_evaluate(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let (c, owner) = remote.session();
    remote.block_in_evaluate(&c);
    c.signal(Signal::Kill);
    remote.debuggee.send_line("unblock");
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    remote.assert_released(owner);
}

/// A second SIGTERM ends the front at once, even while the owner still waits for a running
/// evaluation before it detaches (a first SIGTERM waits up to 15 s for that); the owner detaches
/// on its own once the evaluation ends.
fn second_sigterm(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let (c, owner) = remote.session();
    remote.block_in_evaluate(&c);
    c.signal(Signal::Term);
    // The first SIGTERM has been acted on once the owner's input is closed.
    let closed = || c.log_text().contains("editor input ended");
    poll_until(T, || closed().then_some(()))
        .unwrap_or_else(|| c.fail("the first SIGTERM did not close the owner's input"));
    assert!(c.is_running(), "the front did not wait for the owner after the first SIGTERM");
    c.signal(Signal::Term);
    c.wait_exit(Duration::from_secs(5)).unwrap_or_else(|| c.fail("the front did not end at the second SIGTERM"));
    assert!(process_exists(owner), "the owner was ended with the front; it must detach on its own");
    remote.debuggee.send_line("unblock");
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    remote.assert_released(owner);
}

/// The other way round: the owner dies, the editor hears of it at once.
fn owner_killed(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let (c, owner) = remote.session();
    kill(owner);
    c.wait_event("terminated", Duration::from_secs(10));
    let said = c
        .events_named("output")
        .iter()
        .any(|e| e["body"]["output"].as_str().is_some_and(|s| s.contains("connection process was killed by signal 9")));
    assert!(said, "the editor was not told why the session ended");
    assert!(c.wait_exit(Duration::from_secs(10)).is_some(), "the front did not exit after its owner died");
}

macro_rules! each_release_and_transport {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test] fn v2_2_0_tcp() { super::$case(Release::V2_2_0, false) }
            #[test] fn v2_2_0_ws() { super::$case(Release::V2_2_0, true) }
            #[test] fn v3_0_0_tcp() { super::$case(Release::V3_0_0, false) }
            #[test] fn v3_0_0_ws() { super::$case(Release::V3_0_0, true) }
            #[test] fn v3_1_0_tcp() { super::$case(Release::V3_1_0, false) }
            #[test] fn v3_1_0_ws() { super::$case(Release::V3_1_0, true) }
            #[test] fn v3_2_1_tcp() { super::$case(Release::V3_2_1, false) }
            #[test] fn v3_2_1_ws() { super::$case(Release::V3_2_1, true) }
        }
    )*};
}

each_release_and_transport!(
    killed_while_stopped,
    killed_while_running,
    killed_during_evaluate,
    owner_killed,
    second_sigterm
);
