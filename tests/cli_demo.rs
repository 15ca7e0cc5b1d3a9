//! `ptvsd-dap demo`, the README's "run it" command: a scripted session through the whole stack.

mod common;

use std::process::Command;

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
