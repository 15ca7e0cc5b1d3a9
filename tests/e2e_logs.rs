//! The adapter's log file: private to its user (mode 0600), never written through a symbolic
//! link, free of the secret even when the debuggee itself shows it (its `sys.argv` in a
//! frame's locals, at trace level), and free of the WebSocket library's frame payloads
//! whatever log filter is asked for.

mod common;

use common::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// A log file that does not exist yet is created 0600; one that exists with a wider mode is
/// narrowed to 0600; a symbolic link is refused (and what it points to left alone).
#[test]
fn log_file_is_private_and_never_follows_a_link() {
    let dir = std::env::temp_dir().join(format!("ptvsd-dap-logs-{}", unique_secret()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |log: &std::path::Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
            .env("PTVSD_DAP_LOG", log)
            .env("PTVSD_DAP_LOG_LEVEL", "trace")
            .args(["probe", &format!("tcp://127.0.0.1:{}", free_port()), "--connect-timeout", "1"])
            .output()
            .expect("run probe");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;

    let fresh = dir.join("fresh.log");
    run(&fresh);
    assert_eq!(mode(&fresh), 0o600, "a new log file");

    let existing = dir.join("existing.log");
    std::fs::write(&existing, "").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    run(&existing);
    assert_eq!(mode(&existing), 0o600, "an existing log file");

    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let link = dir.join("planted.log");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let stderr = run(&link);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n", "the log followed the link");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The program holds its own secret in `sys.argv`; at trace level the log records the frames
/// ptvsd sends with a stop, locals included. The secret never appears in the log, and the
/// locals still do (redacted where the secret was).
fn the_secret_the_debuggee_shows_stays_out_of_the_log(release: Release) {
    let debuggee = Debuggee::start_with_secret_in_argv(release, "argv_app.py");
    let secret = debuggee.secret().to_string();
    let c = DapClient::spawn();
    c.attach_session(json!({"url": format!("tcp://{secret}@127.0.0.1:{}", debuggee.port())}));
    let app = fixture_path("argv_app.py").to_string_lossy().into_owned();
    let line = fixture_line("argv_app.py", "argv_bp");
    c.request_ok("setBreakpoints", json!({"source": {"path": app}, "breakpoints": [{"line": line}]}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("show");
    let stopped = c.wait_event("stopped", T);
    let tid = stopped["body"]["threadId"].clone();
    let frames = c.request_ok("stackTrace", json!({"threadId": tid, "levels": 1}));
    let scopes = c.request_ok("scopes", json!({"frameId": frames["stackFrames"][0]["id"]}));
    let locals = c.request_ok("variables", json!({"variablesReference": scopes["scopes"][0]["variablesReference"]}));
    let argv = locals["variables"].as_array().into_iter().flatten().find(|v| v["name"] == "argv").cloned();
    // The user asked to see it: the editor shows the program's own value.
    assert!(argv.is_some_and(|v| v["value"].as_str().is_some_and(|s| s.contains(&secret))), "{locals}");
    c.request_ok("continue", json!({"threadId": tid}));
    debuggee.wait_stdout_contains("done show", T);
    c.request_ok("disconnect", json!({}));
    c.wait_exit(T);
    let log = c.log_text();
    assert!(log.contains("argv_app.py") && log.contains("<redacted>"), "the trace log lacks the frames' locals");
    if let Some(line) = log.lines().find(|line| line.contains(&secret)) {
        panic!("the secret appears in the log: {line}");
    }
    assert_eq!(std::fs::metadata(c.log_path()).unwrap().permissions().mode() & 0o777, 0o600);
}

each_supported_release!(the_secret_the_debuggee_shows_stays_out_of_the_log);

/// A filter that names the WebSocket and TLS libraries at trace level, even by submodule, does
/// not turn their frame logging on: they log nothing below info.
#[test]
fn a_tungstenite_filter_cannot_turn_on_payload_logging() {
    let debuggee = Debuggee::start(Release::V3_2_1, "app.py");
    let relay = Relay::websockify(debuggee.port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"));
    command.args([
        "--log-level",
        "trace,tungstenite=trace,tungstenite::protocol=trace,tokio_tungstenite=trace,rustls=trace",
    ]);
    for name in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
        command.env_remove(name);
    }
    let c = DapClient::spawn_command(command);
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": relay.ws_url(debuggee.secret())}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("print over-ws");
    c.wait_event_where("output", T, |e| e["body"]["output"] == "over-ws");
    c.request_ok("disconnect", json!({}));
    c.wait_exit(T);
    let log = c.log_text();
    assert!(log.contains(" TRACE "), "the log is not at trace level");
    for library in ["tungstenite", "tokio_tungstenite", "rustls"] {
        for level in ["DEBUG", "TRACE"] {
            let marker = format!(" {level} {library}");
            if let Some(line) = log.lines().find(|line| line.contains(&marker)) {
                panic!("{library} logged at {level}: {line}");
            }
        }
    }
}
