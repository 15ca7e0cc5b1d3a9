//! `ptvsd-dap demo`, the README's "run it" command: a scripted session through the whole stack.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(120);

#[test]
fn demo_runs_a_whole_session() {
    let cache = common::test_env();
    let output = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
        .arg("demo")
        .env("PTVSD_DAP_CACHE", cache)
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "demo failed:\n{text}\n{}", String::from_utf8_lossy(&output.stderr));
    for expected in [
        "ptvsd listens on 127.0.0.1:",
        "breakpoint at app.py:",
        "stopped (breakpoint) in hello at app.py:",
        "name = 'demo'",
        "evaluate name.upper() -> 'DEMO'",
        "the web app answered: Hello, demo! You are visitor 1.",
        "after the detach it still answers: Hello, again! You are visitor 2.",
        "Demo complete.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// What a `demo --keep-running` told the user: its secret and the ports it serves on.
struct Served {
    secret: String,
    ptvsd_port: u16,
    http_port: u16,
}

/// The number after `prefix` in `text`.
fn port_after(text: &str, prefix: &str) -> u16 {
    let rest = text.split(prefix).nth(1).unwrap_or_else(|| panic!("no {prefix:?} in:\n{text}"));
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or_else(|_| panic!("{text}"))
}

/// Runs `demo --keep-running` until it serves, sends `signal`, and checks that the demo exits
/// with 0 and that the app it started (ptvsd and the web server) is gone with it.
fn keep_running_then(signal: &str) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
        .args(["demo", "--keep-running"])
        .env("PTVSD_DAP_CACHE", test_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the demo");
    let stdout = Arc::new(SharedBuf::default());
    let stderr = Arc::new(SharedBuf::default());
    capture(child.stdout.take().unwrap(), stdout.clone());
    capture(child.stderr.take().unwrap(), stderr.clone());
    if poll_until(T, || stdout.text().contains("Set a breakpoint in").then_some(())).is_none() {
        let _ = child.kill();
        panic!("the demo did not start serving:\n{}\n{}", stdout.text(), stderr.text());
    }
    let text = stdout.text();
    let url_line = text.lines().find(|line| line.contains("\"url\": \"ws://")).unwrap_or_else(|| panic!("{text}"));
    let secret = url_line.split("ws://").nth(1).and_then(|rest| rest.split('@').next()).unwrap_or_default();
    let served = Served {
        secret: secret.to_string(),
        ptvsd_port: port_after(&text, "ptvsd listens on 127.0.0.1:"),
        http_port: port_after(&text, "the web app on 127.0.0.1:"),
    };
    assert!(!net::listening_inodes(served.ptvsd_port).is_empty(), "ptvsd does not listen while served");
    send_signal(child.id(), signal);
    let status = poll_until(T, || child.try_wait().ok().flatten());
    let Some(status) = status else {
        let _ = child.kill();
        panic!("the demo did not end on SIG{signal}:\n{}", stdout.text());
    };
    assert!(status.success(), "SIG{signal}: {status}\n{}\n{}", stdout.text(), stderr.text());
    for (what, port) in [("ptvsd", served.ptvsd_port), ("the web app", served.http_port)] {
        let gone = poll_until(Duration::from_secs(10), || net::listening_inodes(port).is_empty().then_some(()));
        assert!(gone.is_some(), "{what} still listens on {port} after the demo ended on SIG{signal}");
    }
    served
}

/// SIGTERM and SIGHUP end `demo --keep-running` and everything it started, as Ctrl-C does;
/// each run has its own random secret (never a fixed one anyone could read in the source).
#[test]
fn keep_running_ends_everything_on_sigterm_and_sighup_and_each_run_has_its_own_secret() {
    let first = keep_running_then("TERM");
    let second = keep_running_then("HUP");
    for secret in [&first.secret, &second.secret] {
        assert!(secret.len() == 32 && secret.chars().all(|c| c.is_ascii_hexdigit()), "secret {secret:?}");
    }
    assert_ne!(first.secret, second.secret, "two runs of the demo used the same secret");
}

/// A venv that cannot be created leaves no half-made staging folder in the cache.
#[test]
fn a_failed_venv_leaves_no_staging_folder() {
    let dir = std::env::temp_dir().join(format!("ptvsd-dap-demo-{}", unique_secret()));
    let cache = dir.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    // A Python that says it is 3.11 and then fails half-way through making the venv.
    let fake = dir.join("python3");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = -c ]; then echo 3.11; exit 0; fi\nmkdir -p \"$3/bin\"\necho 'venv: no space left' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
        .args(["demo", "--python"])
        .arg(&fake)
        .env("PTVSD_DAP_CACHE", &cache)
        .output()
        .expect("run the demo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("no space left"), "{stderr}");
    let left: Vec<String> =
        std::fs::read_dir(&cache).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(left.is_empty(), "left in the cache: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
