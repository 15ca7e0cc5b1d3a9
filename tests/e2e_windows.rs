//! The Windows build (`x86_64-pc-windows-gnu`) under Wine, driven as a Windows editor drives it:
//! DAP on stdio, attached over tcp:// and ws:// (websockify) to real ptvsd 3.0.0 and 3.2.1
//! debuggees running natively, with Windows paths on the editor's side (`Z:\...`, Wine's view of
//! `/`) mapped to the debuggee's POSIX paths. Also: the adapter ended with TerminateProcess while
//! stopped, from inside a job object that kills its processes when closed, as an editor can.
//!
//! `scripts/windows/test.sh` builds the .exe and runs these with `--run-ignored only`, naming the
//! .exe in `PTVSD_DAP_WINDOWS_EXE` and the Wine helpers' folder in `PTVSD_DAP_WINDOWS_HELPERS`
//! (scripts/windows/setup.sh). The native run skips them (ignored).

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Wine starts processes slowly on a loaded machine: generous, but every wait is for an event.
const T: Duration = Duration::from_secs(60);

fn required_env(name: &str) -> PathBuf {
    let value = std::env::var_os(name)
        .unwrap_or_else(|| panic!("{name} is not set: run these tests with scripts/windows/test.sh"));
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

/// A Linux path as Windows programs under Wine see it (drive Z: is `/`).
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display().to_string().replace('/', "\\"))
}

/// `wine ptvsd-dap.exe`, or `wine job_launcher.exe KILL_FILE ptvsd-dap.exe` when `kill_file` is
/// given (see tests/windows/job_launcher.c).
fn adapter_command(kill_file: Option<&Path>) -> Command {
    let exe = windows_path(&required_env("PTVSD_DAP_WINDOWS_EXE"));
    let mut command = Command::new(repo_root().join("scripts").join("windows").join("wine-runner.sh"));
    if let Some(kill_file) = kill_file {
        command.arg(required_env("PTVSD_DAP_WINDOWS_HELPERS").join("job_launcher.exe"));
        command.arg(windows_path(kill_file));
    }
    command.arg(exe);
    for name in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
        command.env_remove(name);
    }
    command
}

impl Remote {
    fn session(&self, kill_file: Option<&Path>) -> DapClient {
        let c = DapClient::spawn_command(adapter_command(kill_file));
        c.guard_secret(self.debuggee.secret());
        let mapping = json!({"localRoot": windows_path(&fixtures_dir()), "remoteRoot": fixtures_dir()});
        c.request_timeout(
            "initialize",
            json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true, "columnsStartAt1": true,
                   "pathFormat": "path"}),
            T,
        );
        let attached = c.request_timeout("attach", json!({"url": self.url(), "pathMappings": [mapping]}), T);
        assert_eq!(attached["success"], true, "{attached}");
        c.wait_event("initialized", T);
        let source = json!({"path": windows_path(&fixture_path("app.py"))});
        let line = fixture_line("app.py", "bp_work");
        let body = c.request_ok("setBreakpoints", json!({"source": source, "breakpoints": [{"line": line}]}));
        assert_eq!(body["breakpoints"][0]["verified"], true, "{body}");
        c.request_ok("configurationDone", json!({}));
        c
    }

    fn stop_at_breakpoint(&self, c: &DapClient) -> i64 {
        self.debuggee.send_line("hit");
        let stopped = c.wait_event("stopped", T);
        assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
        stopped["body"]["threadId"].as_i64().expect("threadId")
    }
}

/// The top frame: its line, and its file as the Windows editor knows it.
fn top_frame(c: &DapClient, thread: i64) -> Value {
    let body = c.request_ok("stackTrace", json!({"threadId": thread}));
    let frame = body["stackFrames"][0].clone();
    assert_eq!(frame["name"], "work", "{body}");
    assert_eq!(frame["source"]["path"], windows_path(&fixture_path("app.py")), "{body}");
    frame
}

fn local(c: &DapClient, frame_id: &Value, name: &str) -> String {
    let scopes = c.request_ok("scopes", json!({"frameId": frame_id}));
    let locals = scopes["scopes"][0]["variablesReference"].clone();
    let variables = c.request_ok("variables", json!({"variablesReference": locals}));
    let found = variables["variables"].as_array().and_then(|vars| vars.iter().find(|v| v["name"] == name));
    found.unwrap_or_else(|| panic!("no local {name} in {variables}"))["value"].as_str().unwrap_or_default().to_string()
}

/// Breakpoint, stack, variables, evaluate, step and disconnect, as a user sees them.
fn debug_session(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let c = remote.session(None);
    let thread = remote.stop_at_breakpoint(&c);
    let frame = top_frame(&c, thread);
    assert_eq!(frame["line"], fixture_line("app.py", "bp_work"), "{frame}");
    assert_eq!(local(&c, &frame["id"], "count"), "8");
    assert_eq!(local(&c, &frame["id"], "text"), "'hello'");
    let evaluated =
        c.request_ok("evaluate", json!({"expression": "count * 3", "frameId": frame["id"], "context": "repl"}));
    assert_eq!(evaluated["result"], "24", "{evaluated}");
    c.request_ok("next", json!({"threadId": thread}));
    let stepped = c.wait_event_where("stopped", T, |e| e["body"]["reason"] == "step");
    let thread = stepped["body"]["threadId"].as_i64().expect("threadId");
    assert_eq!(top_frame(&c, thread)["line"], fixture_line("app.py", "after_work"));
    c.request_ok("disconnect", json!({}));
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    assert!(c.wait_exit(T).is_some(), "the adapter did not exit after disconnect");
}

/// TerminateProcess on the adapter while stopped at a breakpoint, its job object then closed:
/// the connection owner, broken away from the job, detaches; the program runs on and takes a
/// new attach.
fn terminated_while_stopped(release: Release, ws: bool) {
    static N: AtomicU64 = AtomicU64::new(0);
    let remote = Remote::start(release, ws);
    let kill_file = std::env::temp_dir().join(format!(
        "ptvsd-dap-terminate-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&kill_file);
    let c = remote.session(Some(&kill_file));
    remote.stop_at_breakpoint(&c);
    std::fs::write(&kill_file, b"").expect("write the kill file");
    let launcher = c.wait_exit(T).unwrap_or_else(|| c.fail("the launcher did not end the adapter"));
    let _ = std::fs::remove_file(&kill_file);
    assert!(launcher.success(), "TerminateProcess or the job failed ({launcher}): {}", c.stderr_text());
    // The stopped thread is released: the program finishes the command on its own.
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    let again = remote.session(None);
    remote.stop_at_breakpoint(&again);
    again.request_ok("disconnect", json!({}));
    remote.debuggee.wait_stdout_contains("done hit\n", T);
    assert!(again.wait_exit(T).is_some(), "the second adapter did not exit");
}

macro_rules! under_wine {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test] #[ignore = "the Windows build under Wine: scripts/windows/test.sh"]
            fn v3_0_0_tcp() { super::$case(Release::V3_0_0, false) }
            #[test] #[ignore = "the Windows build under Wine: scripts/windows/test.sh"]
            fn v3_0_0_ws() { super::$case(Release::V3_0_0, true) }
            #[test] #[ignore = "the Windows build under Wine: scripts/windows/test.sh"]
            fn v3_2_1_tcp() { super::$case(Release::V3_2_1, false) }
            #[test] #[ignore = "the Windows build under Wine: scripts/windows/test.sh"]
            fn v3_2_1_ws() { super::$case(Release::V3_2_1, true) }
        }
    )*};
}

under_wine!(debug_session, terminated_while_stopped);
