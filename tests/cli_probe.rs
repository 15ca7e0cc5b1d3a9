//! `ptvsd-dap probe` against real debuggees: it says whether the debuggee can be attached, with
//! its pid and Python, and leaves it attachable; failures give the diagnosis and exit 1.

mod common;

use common::*;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

fn probe(url: &str) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
        .args(["probe", url, "--connect-timeout", "5"])
        .output()
        .expect("run probe");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

fn probe_then_attach(release: Release, ws: bool) {
    let remote = Remote::start(release, ws);
    let (debuggee, url) = (&remote.debuggee, remote.url());
    let (code, text) = probe(&url);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("OK: attachable") && text.contains(&format!("pid {}", debuggee.pid())), "{text}");
    assert!(text.contains(&format!("protocol {}", release.protocol())), "{text}");
    assert!(!text.contains(debuggee.secret()), "probe printed the secret: {text}");
    // Twice: the attach server is free again after each probe.
    assert_eq!(probe(&url).0, 0);
    let c = DapClient::spawn();
    c.attach_session(json!({"url": url}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("print after-probe");
    c.wait_event_where("output", Duration::from_secs(30), |e| e["body"]["output"] == "after-probe");
    c.request_ok("disconnect", json!({}));
}

fn wrong_secret(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let (code, text) = probe(&format!("tcp://wrong@127.0.0.1:{}", debuggee.port()));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAILED") && text.contains("refused the secret"), "{text}");
    // A refused secret leaves ptvsd free for the right one.
    let (code, text) = probe(&format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port()));
    assert_eq!(code, 0, "{text}");
}

#[test]
fn nothing_listening() {
    let (code, text) = probe(&format!("tcp://s@127.0.0.1:{}", free_port()));
    assert_eq!(code, 1);
    assert!(text.contains("refused"), "{text}");
}

macro_rules! each_release {
    ($($case:ident($($arg:expr),*)),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test] fn v2_2_0() { super::$case(Release::V2_2_0 $(, $arg)*) }
            #[test] fn v3_0_0() { super::$case(Release::V3_0_0 $(, $arg)*) }
            #[test] fn v3_1_0() { super::$case(Release::V3_1_0 $(, $arg)*) }
            #[test] fn v3_2_1() { super::$case(Release::V3_2_1 $(, $arg)*) }
        }
    )*};
}

mod tcp {
    use super::*;
    each_release!(probe_then_attach(false), wrong_secret());
}

mod ws {
    use super::*;
    each_release!(probe_then_attach(true));
}

/// A secret in the URL argument is readable by every local user (ps): probe says so and names
/// the ways that keep it out of the process list; `--secret-file` is one of them and works.
fn secret_on_the_command_line_is_warned_about(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let (code, text) = probe(&format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port()));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("process list") && text.contains("PTVSD_SECRET") && text.contains("--secret-file"), "{text}");
    let file = std::env::temp_dir().join(format!("ptvsd-dap-probe-secret-{}", unique_secret()));
    std::fs::write(&file, format!("{}\n", debuggee.secret())).expect("write the secret file");
    let output = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
        .args(["probe", &format!("tcp://127.0.0.1:{}", debuggee.port()), "--connect-timeout", "5", "--secret-file"])
        .arg(&file)
        .output()
        .expect("run probe");
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("OK: attachable") && !text.contains("process list"), "{text}");
    assert!(!text.contains(debuggee.secret()), "{text}");
}

mod secret_argument {
    use super::*;
    each_release!(secret_on_the_command_line_is_warned_about());
}
