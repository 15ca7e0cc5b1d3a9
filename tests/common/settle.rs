//! Waiting until ptvsd's attach has settled (docs/protocol.md §8.2 item 11).
//!
//! ptvsd answers the attach before it turns output redirection on and before it marks the
//! threads for the attach stop, and neither step is announced. A test that sends its first
//! command right after `configurationDone` can have it run before either: its print goes only
//! to the process's stdout, or it passes the attach stop, and the program then waits in
//! `readline` for good. These steps send a harmless `ping <token>` (every fixture answers with
//! `pong <token>` on stderr), again each time one shows nothing within a short bound, until the
//! attach shows it has settled; they never sleep.

use super::dap::DapClient;
use super::poll_until;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long one ping may take to show before the next is sent: a ping that ran too early shows
/// nothing, ever, so the next one is what can succeed.
const RETRY: Duration = Duration::from_secs(1);
/// How long the attach may take to settle in all.
const GIVE_UP: Duration = Duration::from_secs(30);
/// What the adapter's trace log says when ptvsd's attach stop (`LOAD`) arrives.
const ATTACH_STOP_IN_LOG: &str = "ProcessLoad";

/// Unique across the sessions of one test process (a test may attach to a debuggee again).
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

fn next_token() -> String {
    format!("settle-{}", NEXT_TOKEN.fetch_add(1, Ordering::Relaxed))
}

/// Whether an `output` event is a fixture's answer to a settling ping (ptvsd 2.2/3.0 report
/// stderr as stdout: a test that reads the whole stdout leaves these out).
pub fn is_settle_pong(event: &Value) -> bool {
    event["body"]["output"].as_str().is_some_and(|text| text.lines().any(|line| line.starts_with("pong settle-")))
}

fn is_pong_of(event: &Value, tokens: &[String]) -> bool {
    event["body"]["output"]
        .as_str()
        .is_some_and(|text| text.lines().any(|line| tokens.iter().any(|t| line.strip_prefix("pong ") == Some(t))))
}

/// After `configurationDone` (without `stopOnAttach`): returns once the attach stop has passed
/// (the adapter has resumed from it) and the program's output reaches the editor, so that every
/// command the test sends from now on runs traced, with its prints shown. The attach stop is
/// seen in the adapter's trace log (the `ProcessLoad` event; tests run it at trace level): the
/// editor hears nothing of it. Done is a ping sent after that whose `pong` came back as output.
pub fn settle_output(c: &DapClient, send_line: &dyn Fn(&str)) {
    let deadline = Instant::now() + GIVE_UP;
    let mut sent: Vec<String> = Vec::new();
    // Index in `sent` of the first ping sent once the attach stop had arrived.
    let mut after_stop: Option<usize> = None;
    while Instant::now() < deadline {
        if after_stop.is_none() && c.log_text().contains(ATTACH_STOP_IN_LOG) {
            after_stop = Some(sent.len());
        }
        let token = next_token();
        send_line(&format!("ping {token}"));
        sent.push(token);
        let wait = RETRY.min(deadline.saturating_duration_since(Instant::now()));
        let Some(first) = after_stop else {
            // Before the attach stop: a pong only says the program ran a line; ping again.
            c.try_wait_event_where("output", wait, |e| is_pong_of(e, &sent));
            continue;
        };
        if let Some(pong) = c.try_wait_event_where("output", wait, |e| is_pong_of(e, &sent[first..])) {
            // Every ping sent after the one seen runs as it did: wait for the last, so that no
            // ping is left for the test's own commands to queue behind.
            let last = &sent[sent.len() - 1..];
            let rest = deadline.saturating_duration_since(Instant::now());
            if !is_pong_of(&pong, last) && c.try_wait_event_where("output", rest, |e| is_pong_of(e, last)).is_none() {
                c.fail(&format!("the debuggee never answered {:?} in the editor's output", last[0]));
            }
            return;
        }
    }
    let state = match after_stop {
        None => "the adapter's log shows no attach stop (ProcessLoad)",
        Some(_) => "the attach stop came, but no later ping came back as output",
    };
    c.fail(&format!("ptvsd's attach did not settle within {GIVE_UP:?} ({} pings): {state} (§8.2)", sent.len()));
}

/// After `configurationDone` with `redirectOutput` false (no `pong` can reach the editor):
/// returns once the adapter's trace log shows ptvsd's attach stop (`ProcessLoad`), which ptvsd
/// sends from the main thread only once that thread runs traced, so every command the test sends
/// from now on runs under the debugger. Each ping makes the program run a line, a chance for it
/// to reach the attach stop; the adapter resumes from it by itself.
pub fn settle_traced(c: &DapClient, send_line: &dyn Fn(&str)) {
    let traced = |wait| poll_until(wait, || c.log_text().contains(ATTACH_STOP_IN_LOG).then_some(()));
    if let Err(pings) = ping_until(send_line, traced) {
        c.fail(&format!(
            "the adapter's log shows no attach stop (ProcessLoad) within {GIVE_UP:?} after {pings} pings (§8.2)"
        ))
    }
}

/// After `configurationDone` with `stopOnAttach`: returns the attach stop's `stopped` event. The
/// program stops at its next Python line once ptvsd has marked its threads, so each ping is a
/// chance; pings sent after the one that stopped run when the test resumes.
pub fn settle_attach_stop(c: &DapClient, send_line: &dyn Fn(&str)) -> Value {
    ping_until_stopped(c, send_line, "attach stop")
}

/// After a `pause` while the program waits for input: returns the pause's `stopped` event. ptvsd
/// pauses a thread only at its next Python line, and only once its loop has taken the pause in,
/// which nothing announces (a program line run before that passes unpaused, §9.5), so each ping
/// is a chance; pings sent after the one that stopped run when the test resumes.
pub fn ping_until_stopped(c: &DapClient, send_line: &dyn Fn(&str), what: &str) -> Value {
    ping_until(send_line, |wait| c.try_wait_event_where("stopped", wait, |_| true))
        .unwrap_or_else(|pings| c.fail(&format!("no {what} within {GIVE_UP:?} after {pings} pings (§8.2)")))
}

/// Pings the program (each ping makes it run a Python line) until `seen`, given how long it may
/// wait before the next ping, finds what the test waits for; `Err` with the pings sent once
/// `GIVE_UP` has passed.
fn ping_until<T>(send_line: &dyn Fn(&str), mut seen: impl FnMut(Duration) -> Option<T>) -> Result<T, usize> {
    let deadline = Instant::now() + GIVE_UP;
    let mut pings = 0;
    while Instant::now() < deadline {
        send_line(&format!("ping {}", next_token()));
        pings += 1;
        if let Some(found) = seen(RETRY.min(deadline.saturating_duration_since(Instant::now()))) {
            return Ok(found);
        }
    }
    Err(pings)
}
