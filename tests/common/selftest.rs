//! Self-tests of the harness pieces that do not need the adapter (called from `#[test]`s in the
//! test files): the debuggee, /proc readiness, the websockify relay, the stalling proxy, the
//! schema validator, and `DapClient` itself against a fake adapter written in Python.

use super::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};

const T: Duration = Duration::from_secs(20);

/// The fixture runs under `release`: commands answer, output comes out, `quit` exits 0; ptvsd
/// listened (seen in /proc/net/tcp) and nobody connected to it.
pub fn debuggee_runs_fixture(release: Release) {
    let d = Debuggee::start(release, "app.py");
    assert!(net::port_listening_by(d.pid(), d.port()));
    assert!(!net::port_listening_by(d.pid(), free_port()), "another port taken for ptvsd's");
    for cmd in ["hit", "call", "thread"] {
        d.send_line(cmd);
        d.wait_stdout_contains(&format!("done {cmd}"), T);
    }
    d.send_line("print hello from the fixture");
    d.wait_stdout_contains("hello from the fixture\ndone print", T);
    d.send_line("hit");
    d.wait_stdout_contains("done hit", T);
    assert!(d.cpu_time() > Duration::ZERO, "cpu_time read nothing from /proc");
    assert!(d.is_running());
    d.send_line("quit");
    d.wait_stdout_contains("done quit", T);
    let status = d.wait_exit(T).unwrap_or_else(|| d.fail("did not exit after quit"));
    assert!(status.success(), "{}", d.describe(&format!("exit status {status}")));
    assert!(!d.stderr_text().contains("Traceback"), "{}", d.describe("traceback on stderr"));
}

/// Markers resolve to the lines that carry them, and missing ones panic.
pub fn fixture_markers() {
    let text = std::fs::read_to_string(fixture_path("app.py")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for m in ["bp_work", "after_work", "call_work", "work_first", "after_call_work", "spin_loop"] {
        let n = fixture_line("app.py", m);
        assert!(lines[n as usize - 1].contains(&format!("# @{m}")), "{m} -> {n}");
    }
    assert_eq!(fixture_line("app.py", "after_work"), fixture_line("app.py", "bp_work") + 1);
    assert!(catch_unwind(|| fixture_line("app.py", "no_such_marker")).is_err());
}

pub fn proc_net_parsing() {
    let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n";
    let rows = net::parse_proc_net_tcp(text);
    assert_eq!(rows, vec![net::SocketRow { local_port: 8080, state: net::TCP_LISTEN, inode: 12345 }]);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    assert!(net::port_listening_by(std::process::id(), port));
    drop(l);
    assert!(!net::port_listening(port));
    let stat = "123 (py thon) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
    assert_eq!(debuggee::parse_stat_ticks(stat), Some(300));
}

/// websockify relays binary frames, both ways, for any path, to a plain TCP listener.
pub fn relay_forwards_binary_frames() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = Relay::websockify(target.local_addr().unwrap().port());
    assert!(net::port_listening_by(relay.pid(), relay.port()));
    assert_eq!(relay.ws_url("abc"), format!("ws://abc@127.0.0.1:{}/ptvsd", relay.port()));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for path in ["/ptvsd", "/some/other/path"] {
        let url = format!("ws://127.0.0.1:{}{path}", relay.port());
        let (mut ws, _) = rt
            .block_on(async { tokio::time::timeout(T, tokio_tungstenite::connect_async(url.as_str())).await })
            .expect("websocket connect timed out")
            .unwrap_or_else(|e| panic!("connect {url}: {e}\n{}", relay.output()));
        target.set_nonblocking(false).unwrap();
        let (mut server, _) = target.accept().unwrap();
        server.set_read_timeout(Some(T)).unwrap();
        let payload: Vec<u8> = (0..=255u8).chain([0, 0, 13, 10]).collect();
        rt.block_on(ws.send(Message::Binary(payload.clone().into()))).unwrap();
        let mut got = vec![0u8; payload.len()];
        server.read_exact(&mut got).unwrap();
        assert_eq!(got, payload, "client -> target through {path}");
        server.write_all(b"PTVSDBG\0\0\0\0\0\0\0\x06").unwrap();
        let mut back = Vec::new();
        while back.len() < 15 {
            let msg = rt.block_on(async { tokio::time::timeout(T, ws.next()).await }).expect("no frame from relay");
            match msg.expect("stream ended").expect("ws error") {
                Message::Binary(b) => back.extend_from_slice(&b),
                other => panic!("expected a binary frame, got {other:?}"),
            }
        }
        assert_eq!(&back[..], b"PTVSDBG\0\0\0\0\0\0\0\x06", "target -> client through {path}");
        rt.block_on(ws.close(None)).ok();
        let mut rest = Vec::new();
        let _ = server.read_to_end(&mut rest); // the relay closes the TCP side after the WS close
    }
}

/// The proxy forwards both ways, holds bytes while stalled (counting what the client sent),
/// and delivers them in order on resume.
pub fn stalling_proxy_holds_and_resumes() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = StallingProxy::start(target.local_addr().unwrap().port());
    let mut client = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    let (mut server, _) = target.accept().unwrap();
    let short = Duration::from_millis(300);
    for s in [&client, &server] {
        s.set_read_timeout(Some(T)).unwrap();
    }
    client.write_all(b"ping").unwrap();
    let mut b4 = [0u8; 4];
    server.read_exact(&mut b4).unwrap();
    assert_eq!(&b4, b"ping");
    server.write_all(b"pong").unwrap();
    client.read_exact(&mut b4).unwrap();
    assert_eq!(&b4, b"pong");
    assert_eq!(proxy.bytes_to_target(), 4);
    assert_eq!(proxy.connections(), 1);

    proxy.stall();
    client.write_all(b"held-up").unwrap();
    server.write_all(b"held-down").unwrap();
    assert!(poll_until(T, || (proxy.bytes_to_target() == 11).then_some(())).is_some());
    assert!(poll_until(T, || (proxy.bytes_from_target() == 13).then_some(())).is_some());
    assert_eq!(proxy.bytes_forwarded_to_target(), 4);
    for s in [&client, &server] {
        s.set_read_timeout(Some(short)).unwrap();
    }
    let mut one = [0u8; 1];
    assert!(server.read(&mut one).is_err(), "bytes reached the target while stalled");
    assert!(client.read(&mut one).is_err(), "bytes reached the client while stalled");

    proxy.resume();
    for s in [&client, &server] {
        s.set_read_timeout(Some(T)).unwrap();
    }
    let mut up = [0u8; 7];
    server.read_exact(&mut up).unwrap();
    assert_eq!(&up, b"held-up");
    let mut down = [0u8; 9];
    client.read_exact(&mut down).unwrap();
    assert_eq!(&down, b"held-down");
    // The counter is updated after the write that the server has just read.
    assert!(poll_until(T, || (proxy.bytes_forwarded_to_target() == 11).then_some(())).is_some());
    drop(client);
    let mut rest = Vec::new();
    server.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

pub fn schema_validator() {
    let ok = |m: Value| {
        let e = schema::validate_message(&m);
        assert!(e.is_empty(), "{m} should be valid: {e:?}");
    };
    let bad = |m: Value, what: &str| {
        let e = schema::validate_message(&m);
        assert!(e.iter().any(|x| x.contains(what)), "{m} should fail with {what:?}, got {e:?}");
    };
    ok(json!({"seq": 3, "type": "event", "event": "stopped", "body": {"reason": "breakpoint", "threadId": 1}}));
    ok(json!({"seq": 3, "type": "event", "event": "initialized"}));
    ok(json!({"seq": 3, "type": "event", "event": "initialized", "body": null}));
    ok(json!({"seq": 4, "type": "response", "request_seq": 2, "command": "next", "success": true}));
    ok(json!({"seq": 4, "type": "response", "request_seq": 2, "command": "fooBar", "success": false,
              "message": "unknown request fooBar", "body": {"error": {"id": 1, "format": "unknown request fooBar"}}}));
    ok(json!({"seq": 5, "type": "response", "request_seq": 3, "command": "stackTrace", "success": true,
              "body": {"stackFrames": [{"id": 1, "name": "work", "line": 3, "column": 1,
                       "source": {"path": "/x/app.py"}}], "totalFrames": 1}}));
    bad(
        json!({"seq": 3, "type": "event", "event": "stopped", "body": {"reason": "breakpoint", "threadId": null}}),
        "expected integer",
    );
    bad(
        json!({"seq": 3, "type": "event", "event": "stopped", "body": {"reason": "step", "threadId": 139793088940928u64}}),
        "int32",
    );
    bad(
        json!({"seq": 3, "type": "event", "event": "stopped", "body": {"threadId": 1}}),
        "missing required property `reason`",
    );
    bad(
        json!({"seq": 5, "type": "response", "request_seq": 3, "command": "stackTrace", "success": true, "body": {}}),
        "stackFrames",
    );
    bad(
        json!({"seq": 5, "type": "response", "request_seq": 3, "command": "stackTrace", "success": true,
               "body": {"stackFrames": [{"id": 1, "name": "w", "line": 1, "column": 1, "source": {"path": "/a", "name": null}}]}}),
        "source.name",
    );
    bad(
        json!({"seq": 5, "type": "response", "request_seq": 3, "command": "evaluate", "success": false, "message": "x"}),
        "`body`",
    );
    bad(
        json!({"seq": 5, "type": "event", "event": "output", "body": {"output": "x", "category": "stdout", "bogus": null}}),
        "bogus",
    );
    bad(
        json!({"seq": 5, "type": "event", "event": "output", "body": {"output": "x", "group": "sideways"}}),
        "not one of",
    );
    let rule = |m: Value| schema::editor_rules(&m);
    assert!(!rule(json!({"type": "response", "command": "next", "success": true, "body": {}})).is_empty());
    assert!(rule(json!({"type": "response", "command": "next", "success": true})).is_empty());
    assert!(!rule(json!({"type": "response", "command": "continue", "success": true})).is_empty());
    assert!(!rule(json!({"type": "response", "command": "x", "success": false, "message": "m", "body": {}})).is_empty());
}

/// A fake adapter (Python) to exercise `DapClient` without the real one.
const FAKE_ADAPTER: &str = r#"
import sys, json, os
out, inp = sys.stdout.buffer, sys.stdin.buffer
log = open(os.environ['PTVSD_DAP_LOG'], 'a')
seq = [0]
def send(m):
    seq[0] += 1; m['seq'] = seq[0]; b = json.dumps(m).encode()
    out.write(b'Content-Length: %d\r\n\r\n' % len(b) + b); out.flush()
def respond(r, body=None, ok=True, message=None):
    m = {'type': 'response', 'request_seq': r['seq'], 'command': r['command'], 'success': ok}
    if body is not None: m['body'] = body
    if message is not None: m['message'] = message
    send(m)
def event(name, body=None):
    m = {'type': 'event', 'event': name}
    if body is not None: m['body'] = body
    send(m)
while True:
    line, n = inp.readline(), None
    if not line: break
    while line.strip():
        n = int(line.split(b':')[1]); line = inp.readline()
    r = json.loads(inp.read(n)); c = r['command']; a = r.get('arguments') or {}
    log.write('request %s\n' % c); log.flush()
    if c == 'initialize': respond(r, {'supportsConfigurationDoneRequest': True})
    elif c == 'attach':
        respond(r); event('initialized')
        event('output', {'category': 'console', 'output': 'Attached to ptvsd protocol 0 (fake)\n'})
    elif c == 'evaluate': respond(r, {'result': repr(eval(a['expression'])), 'variablesReference': 0})
    elif c == 'leak': log.write('the secret is %s\n' % a['s']); log.flush(); respond(r)
    elif c == 'nullfield': event('stopped', {'reason': 'pause', 'threadId': None}); respond(r)
    elif c == 'garbage': out.write(b'oops\n'); out.flush()
    elif c == 'twice': respond(r); respond(r)
    elif c == 'disconnect': respond(r); break
    else:
        msg = 'unknown request %s' % c
        respond(r, {'error': {'id': 1, 'format': msg}}, ok=False, message=msg)
"#;

fn fake_adapter() -> DapClient {
    let mut cmd = Command::new(Release::V3_2_1.python());
    cmd.args(["-c", FAKE_ADAPTER]);
    DapClient::spawn_command(cmd)
}

pub fn dap_client_against_fake_adapter() {
    let c = fake_adapter();
    let caps = c.attach_session(json!({"url": "tcp://x@127.0.0.1:1"}));
    assert_eq!(caps["supportsConfigurationDoneRequest"], true);
    let out = c.wait_event("output", T);
    assert!(out["body"]["output"].as_str().unwrap().starts_with("Attached to ptvsd protocol "));
    assert_eq!(c.request_ok("evaluate", json!({"expression": "1+1"}))["result"], "2");
    let r = c.request("fooBar", json!({}));
    assert_eq!(r["success"], false);
    assert!(r["message"].as_str().unwrap().contains("fooBar"));
    assert_eq!(c.events_named("initialized").len(), 1);
    let i_init = c.arrival_index(|m| m["event"] == "initialized").unwrap();
    let i_out = c.arrival_index(|m| m["event"] == "output").unwrap();
    assert!(i_init < i_out);
    assert!(c.log_text().contains("request evaluate"));
    c.guard_secret("never-said");
    c.request_ok("disconnect", json!({}));
    let st = c.wait_exit(T).expect("fake adapter did not exit");
    assert!(st.success());
}

/// Each of these adapter faults must fail the test.
pub fn dap_client_catches_faults() {
    for (cmd, what) in
        [("nullfield", "threadId"), ("garbage", "frame header"), ("twice", "second response"), ("leak", "secret")]
    {
        let res = catch_unwind(AssertUnwindSafe(|| {
            let c = fake_adapter();
            c.guard_secret("hunter2-secret");
            c.request_ok("initialize", json!({"clientID": "test"}));
            let seq = c.send_request(cmd, json!({"s": "hunter2-secret"}));
            if cmd != "garbage" {
                c.wait_response(seq, cmd, T);
            }
            c.request("evaluate", json!({"expression": "1"}));
            c.request("disconnect", json!({}));
            c.wait_exit(T);
            // Dropping `c` runs the final checks.
        }));
        let err = res.expect_err(&format!("fault `{cmd}` went unnoticed"));
        let text = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(text.contains(what), "fault `{cmd}`: panic does not mention {what:?}: {text}");
    }
}
