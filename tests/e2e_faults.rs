//! Fault injection against the real ptvsd releases: the link between the adapter and ptvsd is
//! cut at every stage of the handshake and of a session, dropped, half-closed, re-chunked into
//! 1-byte and random-sized WebSocket messages, and the debuggee is killed mid-evaluate. Each
//! case asserts what the editor sees (a failed attach with a readable reason, or output and
//! `terminated`; never a hang) and what the debuggee is left in: a new attach either works (and
//! stops at a breakpoint) or names the cause and the remedy (clarifications.md, "Reliability").
//!
//! The cut points are found in the live handshake bytes (frames parsed per protocol, the secret
//! located), never as fixed offsets. Every case has its own debuggee: several leave it wedged.

mod common;

use common::fault_proxy::{Direction, FaultProxy, Verdict};
use common::*;
use serde_json::{json, Value};
use std::ops::Range;
use std::time::Duration;

/// Waits for things a peer does.
const T: Duration = Duration::from_secs(30);
/// How long the adapter may take to exit once the session is over.
const EXIT: Duration = Duration::from_secs(15);

fn app_path() -> String {
    fixture_path("app.py").to_string_lossy().into_owned()
}

fn tcp_url(debuggee: &Debuggee, port: u16) -> String {
    format!("tcp://{}@127.0.0.1:{port}", debuggee.secret())
}

fn initialize(c: &DapClient) {
    c.request_ok(
        "initialize",
        json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true,
                                      "columnsStartAt1": true, "pathFormat": "path"}),
    );
}

/// An adapter attached to `url` with a breakpoint on `# @bp_work`, configured.
fn session(debuggee: &Debuggee, url: &str) -> DapClient {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": url}));
    let line = fixture_line("app.py", "bp_work");
    let body = c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": [{"line": line}]}));
    assert_eq!(body["breakpoints"][0]["verified"], true, "{body}");
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    c
}

/// `hit`, then the stop at `# @bp_work`: (threadId, top frame id).
fn stop_at_breakpoint(debuggee: &Debuggee, c: &DapClient) -> (Value, Value) {
    debuggee.send_line("hit");
    let stopped = c.wait_event("stopped", T);
    assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
    let thread_id = stopped["body"]["threadId"].clone();
    let frames = c.request_ok("stackTrace", json!({"threadId": thread_id}));
    assert_eq!(frames["stackFrames"][0]["line"], json!(fixture_line("app.py", "bp_work")), "{frames}");
    (thread_id, frames["stackFrames"][0]["id"].clone())
}

/// The session is over for the editor: `terminated`, with a console line saying why, and the
/// adapter exits after `disconnect`.
fn assert_session_lost(c: &DapClient) {
    c.wait_event("terminated", T);
    let said = c.events_named("output").iter().any(|e| {
        e["body"]["output"].as_str().is_some_and(|s| s.contains("Lost the connection") && s.contains("restart"))
    });
    assert!(said, "the editor was not told that the link was lost and what to do");
    finish(c);
}

/// `disconnect`, then the adapter exits.
fn finish(c: &DapClient) {
    let r = c.request("disconnect", json!({}));
    assert_eq!(r["success"], true, "{r}");
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
}

/// The attach through the faulty link fails with a readable reason; the adapter then exits.
fn assert_attach_fails(debuggee: &Debuggee, url: &str) -> String {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    initialize(&c);
    let r = c.request("attach", json!({"url": url}));
    assert_eq!(r["success"], false, "the attach over a cut link should fail: {r}");
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("connection"), "the failed attach should say the connection ended: {r}");
    finish(&c);
    message
}

/// What a new attach, straight to the debuggee, finds.
enum Next {
    /// Attached, stopped at the breakpoint, resumed and detached: the debuggee is fine.
    Works,
    /// Refused; the message.
    Refused(String),
}

fn attach_again(debuggee: &Debuggee) -> Next {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    initialize(&c);
    let r = c.request("attach", json!({"url": tcp_url(debuggee, debuggee.port())}));
    if r["success"] != true {
        let message = r["message"].as_str().unwrap_or_default().to_string();
        finish(&c);
        return Next::Refused(message);
    }
    c.wait_event("initialized", T);
    let line = fixture_line("app.py", "bp_work");
    c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": [{"line": line}]}));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    let (thread_id, _) = stop_at_breakpoint(debuggee, &c);
    c.request_ok("continue", json!({"threadId": thread_id}));
    debuggee.wait_stdout_contains("done hit\n", T);
    finish(&c);
    Next::Works
}

/// A refusal must say why (an earlier session or connection) and what to do (restart).
fn assert_names_cause_and_remedy(message: &str) {
    let lower = message.to_lowercase();
    let cause = lower.contains("earlier") || lower.contains("previous");
    assert!(cause && lower.contains("restart"), "the refused attach should name the cause and the remedy: {message:?}");
}

/// The next attach works, or is refused with the cause and the remedy; after a refusal, once
/// the program writes output (ptvsd then finds its link dead and detaches), an attach works.
fn assert_recovers_after_output(debuggee: &Debuggee) {
    if let Next::Refused(message) = attach_again(debuggee) {
        assert_names_cause_and_remedy(&message);
        debuggee.send_line("print ping");
        debuggee.wait_stdout_contains("done print\n", T);
        if let Next::Refused(message) = attach_again(debuggee) {
            debuggee.fail(&format!("still refused after the program wrote output: {message}"));
        }
    }
}

/// The next attach is refused, naming the cause and the remedy (ptvsd is wedged for good).
fn assert_wedged(debuggee: &Debuggee) {
    match attach_again(debuggee) {
        Next::Refused(message) => assert_names_cause_and_remedy(&message),
        Next::Works => debuggee.fail("expected ptvsd to be left attached, but a new attach worked"),
    }
}

// --- Frames of the handshake, as they pass the proxy ---

/// The complete `Content-Length` frames at the start of `bytes`.
fn json_frames(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(end_of_header) = bytes[at..].windows(4).position(|w| w == b"\r\n\r\n") {
        let header = String::from_utf8_lossy(&bytes[at..at + end_of_header]);
        let Some(length) = header.strip_prefix("Content-Length:").and_then(|n| n.trim().parse::<usize>().ok()) else {
            break;
        };
        let end = at + end_of_header + 4 + length;
        if end > bytes.len() {
            break;
        }
        frames.push(at..end);
        at = end;
    }
    frames
}

fn int64_at(bytes: &[u8], at: usize) -> Option<usize> {
    let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    usize::try_from(i64::from_be_bytes(raw)).ok()
}

/// Protocol 6, adapter to ptvsd: `PTVSDBG` + version + secret, then `ATCH` + options (§3.1).
fn v6_client_frames(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut frames = Vec::new();
    let Some(secret_len) = int64_at(bytes, 15) else { return frames };
    let first = 0..23 + secret_len;
    if first.end > bytes.len() {
        return frames;
    }
    frames.push(first.clone());
    if let Some(options_len) = int64_at(bytes, first.end + 4) {
        let second = first.end..first.end + 12 + options_len;
        if second.end <= bytes.len() {
            frames.push(second);
        }
    }
    frames
}

/// Protocol 6, ptvsd to adapter: the greeting (15), `ACPT` (4), `ACPT` + pid + version (36).
fn v6_server_frames(bytes: &[u8]) -> Vec<Range<usize>> {
    [0..15, 15..19, 19..55].into_iter().filter(|r| r.end <= bytes.len()).collect()
}

fn frames(release: Release, dir: Direction, bytes: &[u8]) -> Vec<Range<usize>> {
    match (release.protocol(), dir) {
        (6, Direction::ToTarget) => v6_client_frames(bytes),
        (6, Direction::FromTarget) => v6_server_frames(bytes),
        _ => json_frames(bytes),
    }
}

/// Where a handshake cut goes.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// The adapter has read the greeting; nothing of its answer reaches ptvsd.
    AfterGreeting,
    /// Half of the secret reaches ptvsd.
    MidSecret,
    /// ptvsd accepted the secret and the adapter heard it; the attach request does not arrive.
    AfterAccept,
    /// Half of the attach request reaches ptvsd.
    MidAttach,
    /// ptvsd's attach answer reaches the adapter; nothing after it does.
    AfterAttach,
}

/// Arms `proxy` to cut at `stage`: the rule waits for the frame it needs, forwarding the
/// complete frames before it.
fn arm(proxy: &FaultProxy, release: Release, stage: Stage, secret: &str) {
    let secret = secret.as_bytes().to_vec();
    let (dir, nth) = match stage {
        Stage::AfterGreeting => return proxy.cut_when(Direction::ToTarget, |_| Verdict::CutAt(0)),
        Stage::MidSecret | Stage::AfterAccept => (Direction::ToTarget, 0),
        Stage::MidAttach => (Direction::ToTarget, 1),
        Stage::AfterAttach => (Direction::FromTarget, 2),
    };
    proxy.cut_when(dir, move |bytes| {
        let frames = frames(release, dir, bytes);
        let Some(frame) = frames.get(nth) else { return Verdict::Forward(frames.last().map_or(0, |f| f.end)) };
        match stage {
            Stage::MidSecret => {
                let at = bytes[frame.clone()].windows(secret.len()).position(|w| w == secret);
                let at = at.unwrap_or_else(|| panic!("the secret is not in the authentication frame"));
                Verdict::CutAt(frame.start + at + secret.len() / 2)
            }
            Stage::MidAttach => Verdict::CutAt(frame.start + frame.len() / 2),
            _ => Verdict::CutAt(frame.end),
        }
    });
}

/// The link is cut at `stage` of the handshake: the attach fails with a readable reason, and
/// ptvsd's attach server is left wedged (§3.1.1): the next attach must say so.
fn handshake_cut(release: Release, stage: Stage) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    arm(&proxy, release, stage, debuggee.secret());
    let message = assert_attach_fails(&debuggee, &tcp_url(&debuggee, proxy.port()));
    assert!(proxy.first_cut(), "the proxy never cut the link (attach failed with {message:?})");
    let sent = proxy.forwarded(Direction::ToTarget);
    let secret = debuggee.secret().as_bytes();
    let has_secret = sent.windows(secret.len()).any(|w| w == secret);
    let has_half = sent.windows(secret.len() / 2).any(|w| w == &secret[..secret.len() / 2]);
    match stage {
        Stage::AfterGreeting => assert!(sent.is_empty(), "bytes reached ptvsd: {sent:?}"),
        Stage::MidSecret => assert!(has_half && !has_secret, "half the secret should have reached ptvsd"),
        _ => assert!(has_secret, "the secret should have reached ptvsd"),
    }
    assert_wedged(&debuggee);
}

fn cut_after_greeting(release: Release) {
    handshake_cut(release, Stage::AfterGreeting)
}
fn cut_mid_secret(release: Release) {
    handshake_cut(release, Stage::MidSecret)
}
fn cut_after_accept(release: Release) {
    handshake_cut(release, Stage::AfterAccept)
}
fn cut_mid_attach(release: Release) {
    handshake_cut(release, Stage::MidAttach)
}

/// ptvsd's attach answer reaches the adapter and the link is cut before anything else: the
/// attach succeeds, then the session is reported lost; ptvsd has attached, so a new attach
/// works or is refused until the program writes output.
fn cut_after_attach(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    arm(&proxy, release, Stage::AfterAttach, debuggee.secret());
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": tcp_url(&debuggee, proxy.port())}));
    assert_session_lost(&c);
    assert!(proxy.first_cut(), "the proxy never cut the link");
    assert_recovers_after_output(&debuggee);
}

/// Cut while the program runs: the editor hears of it; the program runs on, and once it writes
/// output ptvsd lets a new attach in.
fn cut_while_running(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    let c = session(&debuggee, &tcp_url(&debuggee, proxy.port()));
    debuggee.send_line("print running");
    c.wait_event_where("output", T, |e| e["body"]["output"] == "running");
    proxy.cut();
    assert_session_lost(&c);
    assert_recovers_after_output(&debuggee);
}

/// Cut while stopped at a breakpoint: the thread stays blocked in ptvsd, which stays attached
/// for good; the next attach names the cause and the remedy.
fn cut_while_stopped(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    let c = session(&debuggee, &tcp_url(&debuggee, proxy.port()));
    stop_at_breakpoint(&debuggee, &c);
    proxy.cut();
    assert_session_lost(&c);
    assert_wedged(&debuggee);
}

/// Cut in the middle of the evaluate's command: the evaluate fails with a reason and the
/// session ends. Protocol 6 ptvsd waits for the rest of the command forever, with the thread
/// stopped: the next attach names the cause and the remedy. The JSON releases fail to read the
/// truncated message, which ends their loop with a detach that releases the thread.
fn cut_mid_evaluate(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    let c = session(&debuggee, &tcp_url(&debuggee, proxy.port()));
    let (_, frame_id) = stop_at_breakpoint(&debuggee, &c);
    let marker = b"cut_here_1234567".to_vec();
    proxy.cut_when(Direction::ToTarget, move |bytes| match bytes.windows(marker.len()).position(|w| w == marker) {
        Some(at) => Verdict::CutAt(at + marker.len() / 2),
        None => Verdict::Forward(bytes.len()),
    });
    let r = c.request("evaluate", json!({"expression": "'cut_here_1234567'", "frameId": frame_id, "context": "repl"}));
    assert_eq!(r["success"], false, "{r}");
    assert!(!r["message"].as_str().unwrap_or_default().is_empty(), "the failed evaluate says nothing: {r}");
    assert_session_lost(&c);
    if release.protocol() == 6 {
        assert_wedged(&debuggee);
    } else {
        debuggee.wait_stdout_contains("done hit\n", T);
        if let Next::Refused(message) = attach_again(&debuggee) {
            debuggee.fail(&format!("ptvsd detached, yet a new attach was refused: {message}"));
        }
    }
}

/// The proxy connects to ptvsd and closes both ends before anything is read: the attach
/// fails with a readable reason, and ptvsd is unharmed (§3.1.1): the next attach works.
fn dropped_connection(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    proxy.drop_new_connections();
    assert_attach_fails(&debuggee, &tcp_url(&debuggee, proxy.port()));
    assert_eq!(proxy.connections(), 1);
    if let Next::Refused(message) = attach_again(&debuggee) {
        debuggee.fail(&format!("a dropped connection harmed ptvsd: {message}"));
    }
}

/// ptvsd's side of the link ends (half-closed) while stopped: the editor hears of it, and the
/// adapter still detaches over the direction that works, releasing the stopped thread.
fn half_closed_while_stopped(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let proxy = FaultProxy::start(debuggee.port());
    let c = session(&debuggee, &tcp_url(&debuggee, proxy.port()));
    stop_at_breakpoint(&debuggee, &c);
    proxy.half_close(Direction::FromTarget);
    assert_session_lost(&c);
    debuggee.wait_stdout_contains("done hit\n", T);
    if let Next::Refused(message) = attach_again(&debuggee) {
        debuggee.fail(&format!("the adapter detached, yet a new attach was refused: {message}"));
    }
}

/// The debuggee is killed while an evaluation runs: the evaluate fails saying why, the editor
/// gets `terminated`, and the adapter exits.
fn debuggee_killed_during_evaluate(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let c = session(&debuggee, &tcp_url(&debuggee, debuggee.port()));
    let (_, frame_id) = stop_at_breakpoint(&debuggee, &c);
    let seq = c.send_request(
        "evaluate",
        json!({"expression": "__import__('time').sleep(60)", "frameId": frame_id, "context": "repl"}),
    );
    // The adapter's own evaluation at the attach stop logs an `Execute` too: wait for this one.
    let sent = || c.log_text().lines().any(|line| line.contains("Execute {") && line.contains("sleep(60)"));
    poll_until(T, || sent().then_some(())).unwrap_or_else(|| c.fail("the evaluation never reached ptvsd"));
    send_signal(debuggee.pid(), "KILL");
    let r = c.wait_response(seq, "evaluate", T);
    assert_eq!(r["success"], false, "{r}");
    let message = r["message"].as_str().unwrap_or_default();
    assert!(message.contains("session ended") && message.contains("connection to the debuggee"), "{r}");
    c.wait_event("terminated", T);
    finish(&c);
}

/// A whole session (attach, breakpoint stop, stack, scopes, variables, an expanded object,
/// evaluate, continue, disconnect) as the facts the editor is shown, ids left out.
fn session_transcript(debuggee: &Debuggee, url: &str) -> Vec<String> {
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    let mut facts = Vec::new();
    c.attach_session(json!({"url": url}));
    let attached = c.wait_event_where("output", T, |e| {
        e["body"]["output"].as_str().is_some_and(|s| s.starts_with("Attached to ptvsd"))
    });
    facts.push(attached["body"]["output"].to_string());
    let line = fixture_line("app.py", "bp_work");
    let body = c.request_ok("setBreakpoints", json!({"source": {"path": app_path()}, "breakpoints": [{"line": line}]}));
    facts.push(format!("breakpoint {} {}", body["breakpoints"][0]["verified"], body["breakpoints"][0]["line"]));
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("hit");
    let stopped = c.wait_event("stopped", T);
    facts.push(format!("stopped {}", stopped["body"]["reason"]));
    let thread_id = stopped["body"]["threadId"].clone();
    let frames = c.request_ok("stackTrace", json!({"threadId": thread_id, "startFrame": 0, "levels": 20}));
    for frame in frames["stackFrames"].as_array().into_iter().flatten() {
        facts.push(format!("frame {} {} {}", frame["name"], frame["source"]["path"], frame["line"]));
    }
    let frame_id = frames["stackFrames"][0]["id"].clone();
    let scopes = c.request_ok("scopes", json!({"frameId": frame_id}));
    let mut obj = Value::Null;
    for scope in scopes["scopes"].as_array().into_iter().flatten() {
        facts.push(format!("scope {}", scope["name"]));
        let variables = c.request_ok("variables", json!({"variablesReference": scope["variablesReference"]}));
        for v in variables["variables"].as_array().into_iter().flatten() {
            facts.push(format!("  {} = {} ({})", v["name"], v["value"], v["type"]));
            if v["name"] == "obj" && obj.is_null() {
                obj = v["variablesReference"].clone();
            }
        }
    }
    let members = c.request_ok("variables", json!({"variablesReference": obj}));
    for v in members["variables"].as_array().into_iter().flatten() {
        facts.push(format!("  obj.{} = {}", v["name"], v["value"]));
    }
    let r = c.request_ok("evaluate", json!({"expression": "text * count", "frameId": frame_id, "context": "repl"}));
    facts.push(format!("evaluate {} {}", r["result"], r["type"]));
    c.request_ok("continue", json!({"threadId": thread_id}));
    debuggee.wait_stdout_contains("done hit\n", T);
    let status = c.request("disconnect", json!({}));
    facts.push(format!("disconnect {}", status["success"]));
    let exit = c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
    facts.push(format!("exit {}", exit.success()));
    facts.into_iter().map(|fact| without_addresses(&fact)).collect()
}

/// `<Outer object at 0x7f..>` with the address left out: each `hit` makes new objects.
fn without_addresses(text: &str) -> String {
    text.split(" at 0x")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                format!(" at 0x_{}", part.trim_start_matches(|c: char| c.is_ascii_hexdigit()))
            }
        })
        .collect()
}

/// Through a relay that sends ptvsd's bytes one per WebSocket message (then in random sizes)
/// and writes the adapter's bytes to ptvsd in 1-byte (then random-sized) TCP writes, a whole
/// session shows the editor exactly what it shows through websockify.
fn rechunked_session_matches_websockify(release: Release) {
    use common::chunking_relay::{Chunking, ChunkingRelay};
    let debuggee = Debuggee::start(release, "app.py");
    let websockify = Relay::websockify(debuggee.port());
    let reference = session_transcript(&debuggee, &websockify.ws_url(debuggee.secret()));
    assert!(reference.iter().any(|f| f.starts_with("stopped \"breakpoint\"")), "{reference:#?}");
    // A seed from the release, so that a failure replays.
    let seed = u64::from(release.protocol()) * 7919 + release.version().len() as u64;
    for chunking in [Chunking::OneByte, Chunking::Random { seed, max: 7 }] {
        let relay = ChunkingRelay::start(debuggee.port(), chunking);
        let transcript = session_transcript(&debuggee, &relay.ws_url(debuggee.secret()));
        assert_eq!(transcript, reference, "{chunking:?} relay: the session differs from the one through websockify");
        assert!(
            relay.messages_out() > 1000,
            "{chunking:?}: only {} messages: nothing was re-chunked",
            relay.messages_out()
        );
    }
}

each_supported_release!(
    cut_after_attach,
    cut_while_running,
    cut_while_stopped,
    cut_mid_evaluate,
    dropped_connection,
    half_closed_while_stopped,
    debuggee_killed_during_evaluate,
    rechunked_session_matches_websockify,
);

each_supported_release!(cut_after_greeting, cut_mid_secret, cut_after_accept, cut_mid_attach);

/// A scripted protocol 6 peer whose debugger loop "crashes" after the attach: it prints the
/// traceback ptvsd prints then. The adapter shows it, says what happened and what to do, ends
/// the session and closes the connection (ptvsd's next write then fails and it lets go).
#[test]
fn debugger_loop_crash_ends_the_session_and_closes_the_link() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let int = |n: i64| n.to_be_bytes().to_vec();
        let text = |s: &str| [vec![b'U'], int(s.len() as i64), s.as_bytes().to_vec()].concat();
        let read_string = |stream: &mut std::net::TcpStream| {
            let mut length = [0u8; 8];
            stream.read_exact(&mut length).expect("string length");
            let mut bytes = vec![0u8; i64::from_be_bytes(length) as usize];
            stream.read_exact(&mut bytes).expect("string");
        };
        stream.write_all(&[b"PTVSDBG".to_vec(), int(6)].concat()).expect("greet");
        let mut greeting = [0u8; 15];
        stream.read_exact(&mut greeting).expect("the adapter's greeting");
        read_string(&mut stream);
        stream.write_all(b"ACPT").expect("accept the secret");
        let mut atch = [0u8; 4];
        stream.read_exact(&mut atch).expect("ATCH");
        read_string(&mut stream);
        let tid = 0x7f51_c5dc_3b80;
        stream
            .write_all(&[b"ACPT".to_vec(), int(4242), int(3), int(11), int(7), b"NEWT".to_vec(), int(tid)].concat())
            .expect("attach");
        let traceback = "  File \"/srv/venv/lib/python3.11/site-packages/ptvsd/visualstudio_py_debugger.py\", line 1623, in loop\n    cmd()\n";
        for line in ["Traceback (most recent call last):\n", traceback, "RuntimeError: release unlocked lock\n"] {
            stream.write_all(&[b"OUTP".to_vec(), int(tid), text(line)].concat()).expect("output");
        }
        // The adapter closes the connection: reading ends (EOF or reset), within the test's wait.
        stream.set_read_timeout(Some(T)).expect("timeout");
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
        sink.len()
    });
    let c = DapClient::spawn();
    c.attach_session(json!({"url": format!("tcp://s3cret@127.0.0.1:{port}")}));
    let notice =
        c.wait_event_where("output", T, |e| e["body"]["output"].as_str().is_some_and(|o| o.contains("debugger loop")));
    let text = notice["body"]["output"].as_str().unwrap_or_default();
    assert!(text.contains("crashed") && text.contains("restart"), "{notice}");
    let shown = c
        .events_named("output")
        .iter()
        .any(|e| e["body"]["output"].as_str().is_some_and(|o| o.contains("release unlocked lock")));
    assert!(shown, "the traceback should be shown");
    c.wait_event("terminated", T);
    peer.join().expect("the scripted peer");
    finish(&c);
}
