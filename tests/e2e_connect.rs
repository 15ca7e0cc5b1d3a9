//! Connecting to App Service-like targets: each way a connection fails gives the user a message
//! that names the cause and the fix, and a site that is still starting is waited for. Fake HTTP
//! servers stand in for the front end's failures; the successful paths use real ptvsd behind
//! websockify.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// What the fake front end does with each connection, in order; the last repeats.
#[derive(Clone)]
enum Answer {
    /// Reads the request head and answers with this status, a header block and a body.
    Http(u16, &'static str),
    /// Relays the connection to this port.
    Relay(u16),
}

struct FakeFrontEnd {
    port: u16,
    upgrades: Arc<AtomicUsize>,
}

impl FakeFrontEnd {
    fn start(answers: Vec<Answer>) -> FakeFrontEnd {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let upgrades = Arc::new(AtomicUsize::new(0));
        let counter = upgrades.clone();
        std::thread::spawn(move || {
            let mut index = 0;
            for stream in listener.incoming().flatten() {
                let head = net::read_http_head(&stream);
                // Wake-up requests (HEAD /) are answered 200 and do not count.
                if head.starts_with("HEAD ") {
                    let _ = (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = answers[index.min(answers.len() - 1)].clone();
                index += 1;
                std::thread::spawn(move || serve(stream, head, answer));
            }
        });
        FakeFrontEnd { port, upgrades }
    }

    fn url(&self, secret: &str) -> String {
        format!("ws://{secret}@127.0.0.1:{}/ptvsd", self.port)
    }
}

fn serve(mut stream: TcpStream, head: String, answer: Answer) {
    match answer {
        Answer::Http(status, body) => {
            let response = format!("HTTP/1.1 {status} X\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = stream.write_all(response.as_bytes());
        }
        Answer::Relay(port) => {
            let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)) else { return };
            let _ = upstream.write_all(head.as_bytes());
            let (mut a, mut b) = (stream.try_clone().expect("clone"), upstream.try_clone().expect("clone"));
            std::thread::spawn(move || std::io::copy(&mut b, &mut a));
            let _ = std::io::copy(&mut stream, &mut upstream);
        }
    }
}

/// Attaches and returns the failed response's message.
fn attach_error(args: Value) -> String {
    attach_error_with(&DapClient::spawn(), args)
}

fn attach_error_with(c: &DapClient, args: Value) -> String {
    c.request_ok("initialize", json!({"clientID": "test", "adapterID": "ptvsd"}));
    let response = c.request_timeout("attach", args, Duration::from_secs(60));
    assert_eq!(response["success"], false, "attach unexpectedly succeeded: {response}");
    response["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn http_503_names_web_sockets_and_starting_site() {
    let front = FakeFrontEnd::start(vec![Answer::Http(503, "Service Unavailable")]);
    let message = attach_error(json!({"url": front.url("s"), "connectTimeout": 3}));
    assert!(message.contains("503") && message.contains("Web sockets") && message.contains("starting"), "{message}");
    assert!(front.upgrades.load(Ordering::SeqCst) >= 2, "a 503 must be retried while the site may be starting");
}

#[test]
fn http_404_names_web_debug_config() {
    let front = FakeFrontEnd::start(vec![Answer::Http(404, "Not Found")]);
    let message = attach_error(json!({"url": front.url("s")}));
    assert!(message.contains("404") && message.contains("web.debug.config"), "{message}");
    assert_eq!(front.upgrades.load(Ordering::SeqCst), 1, "a 404 is final");
}

#[test]
fn http_200_page_is_not_a_websocket() {
    let front = FakeFrontEnd::start(vec![Answer::Http(200, "<html>PTVS proxy</html>")]);
    let message = attach_error(json!({"url": front.url("s")}));
    assert!(message.contains("web page instead of a WebSocket"), "{message}");
}

#[test]
fn silent_server_names_enable_attach() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().flatten().collect();
        drop(held);
    });
    let message = attach_error(json!({"url": format!("tcp://s@127.0.0.1:{port}")}));
    assert!(message.contains("no ptvsd greeting") && message.contains("enable_attach"), "{message}");
}

#[test]
fn refused_port_says_nothing_listens() {
    let port = free_port();
    let message = attach_error(json!({"url": format!("tcp://s@127.0.0.1:{port}")}));
    assert!(message.contains("refused") && message.contains("enable_attach"), "{message}");
}

#[test]
fn unknown_host_is_named() {
    let message = attach_error(json!({"url": "tcp://s@no-such-host.invalid:5678"}));
    assert!(message.contains("no-such-host.invalid"), "{message}");
}

/// A site that answers 503 twice while it starts, then relays to the real debuggee.
#[test]
fn slow_start_succeeds_on_the_third_upgrade() {
    let debuggee = Debuggee::start(Release::V3_0_0, "app.py");
    let relay = Relay::websockify(debuggee.port());
    let front = FakeFrontEnd::start(vec![
        Answer::Http(503, "starting"),
        Answer::Http(503, "starting"),
        Answer::Relay(relay.port()),
    ]);
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": front.url(debuggee.secret())}));
    assert_eq!(front.upgrades.load(Ordering::SeqCst), 3);
    let retried = c
        .events_named("output")
        .iter()
        .any(|e| e["body"]["output"].as_str().is_some_and(|s| s.contains("trying again")));
    assert!(retried, "the user was not told the adapter is retrying");
    c.request_ok("disconnect", json!({}));
    assert!(c.wait_exit(Duration::from_secs(10)).is_some());
}

/// ptvsd refuses a second debugger; the first is unharmed.
#[test]
fn second_debugger_is_refused_and_the_first_goes_on() {
    let debuggee = Debuggee::start(Release::V3_2_1, "app.py");
    let url = format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port());
    let first = DapClient::spawn();
    first.attach_session(json!({"url": url}));
    first.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&first);
    let message = attach_error(json!({"url": url}));
    assert!(message.contains("another debugger is attached") && message.contains("restart"), "{message}");
    debuggee.send_line("print still-here");
    first.wait_event_where("output", T, |e| e["body"]["output"] == "still-here");
    first.request_ok("disconnect", json!({}));
}

/// An idle session stays up across several ping intervals; a relay that stops answering
/// ends the session within two intervals, and the user is told why.
#[test]
fn keepalive_holds_an_idle_link_and_notices_a_dead_one() {
    let debuggee = Debuggee::start(Release::V3_0_0, "app.py");
    let relay = Relay::websockify(debuggee.port());
    let proxy = StallingProxy::start(relay.port());
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(
        json!({"url": format!("ws://{}@127.0.0.1:{}/ptvsd", debuggee.secret(), proxy.port()), "keepAlive": 1}),
    );
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    // Idle for several intervals (a measurement window: pings must flow meanwhile).
    std::thread::sleep(Duration::from_millis(3500));
    assert!(c.events_named("terminated").is_empty(), "an idle session was dropped");
    debuggee.send_line("print alive");
    c.wait_event_where("output", T, |e| e["body"]["output"] == "alive");
    proxy.stall();
    c.wait_event("terminated", Duration::from_secs(10));
    let said = c
        .events_named("output")
        .iter()
        .any(|e| e["body"]["output"].as_str().is_some_and(|s| s.contains("went silent")));
    assert!(said, "the user was not told the link went silent");
}

/// A ptvsd too old to speak protocol 6 (2.0 greets with 2, 2.1 with 4): the adapter completes a
/// handshake that ptvsd ends cleanly (never just closes after the greeting, which would wedge
/// it), then names the release it found and the ones it supports.
#[test]
fn unsupported_protocol_is_named() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let backed_out = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut greeting = b"PTVSDBG".to_vec();
        greeting.extend_from_slice(&4i64.to_be_bytes());
        stream.write_all(&greeting).expect("greet");
        let mut reply = [0u8; 23];
        stream.read_exact(&mut reply).expect("the adapter's back-out handshake");
        reply
    });
    let message = attach_error(json!({"url": format!("tcp://s@127.0.0.1:{port}")}));
    assert!(message.contains("protocol 4") && message.contains("ptvsd 2.2, 3.0, 3.1 and 3.2"), "{message}");
    let reply = backed_out.join().expect("fake ptvsd");
    assert_eq!(&reply[..7], b"PTVSDBG");
}

/// A secret with a character that needs escaping, written into the URL as Visual Studio did
/// (`a%2Fb` verbatim, which the URL standard decodes to `a/b`): the decoded form is refused, the
/// form as written is tried once and accepted, and the console says so without the secret. A
/// wrong secret is refused in both forms, and the message says both were tried.
fn escaped_secret_as_visual_studio_wrote_it(release: Release) {
    let secret = format!("a%2Fb{}", unique_secret());
    let debuggee = Debuggee::start_with_secret(release, "app.py", &secret);
    let wrong = format!("wrong%2F{}", unique_secret());
    let c = DapClient::spawn();
    c.guard_secret(&wrong);
    c.guard_secret(&wrong.replace("%2F", "/"));
    let message = attach_error_with(&c, json!({"url": format!("tcp://{wrong}@127.0.0.1:{}", debuggee.port())}));
    assert!(
        message.contains("refused the secret") && message.contains("both as decoded from the URL and as written there"),
        "{message}"
    );

    let c = DapClient::spawn();
    c.guard_secret(&secret);
    c.guard_secret(&secret.replace("%2F", "/"));
    c.attach_session(json!({"url": format!("tcp://{secret}@127.0.0.1:{}", debuggee.port())}));
    let accepted = c.wait_event_where("output", T, |e| {
        e["body"]["output"].as_str().is_some_and(|s| s.contains("accepted the secret only as written in the URL"))
    });
    assert!(accepted["body"]["output"].as_str().is_some_and(|s| s.contains("%25")), "{accepted}");
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("print escaped-ok");
    c.wait_event_where("output", T, |e| e["body"]["output"] == "escaped-ok");
    c.request_ok("disconnect", json!({}));
    c.check_no_secret();
}

/// A WebSocket to a port where nothing listens: a web server that is starting does not refuse
/// (App Service never does), so the refusal is final at once, and the message names the web
/// server's address, not ptvsd's `enable_attach()` port.
#[test]
fn refused_websocket_fails_at_once_and_names_the_web_server() {
    let port = free_port();
    let c = DapClient::spawn();
    let started = std::time::Instant::now();
    let message = attach_error_with(&c, json!({"url": format!("ws://s@127.0.0.1:{port}/ptvsd"), "connectTimeout": 60}));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "a refused WebSocket was retried for {took:?}: {message}");
    assert!(
        message.contains("refused") && message.contains(&format!("127.0.0.1:{port}")) && message.contains("web server"),
        "{message}"
    );
    assert!(!message.contains("enable_attach") && !message.contains("attempts"), "{message}");
    let console = console_text(&c);
    assert!(console.contains("Cannot attach") && console.contains("web server"), "{console}");
}

/// A server that accepts the TCP connection and then says nothing: the WebSocket upgrade (and
/// the wake-up before it) end at `connectTimeout`, with a message that says which step hung.
#[test]
fn silent_server_upgrade_ends_at_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().flatten().collect();
        drop(held);
    });
    let started = std::time::Instant::now();
    let message = attach_error(json!({"url": format!("ws://s@127.0.0.1:{port}/ptvsd"), "connectTimeout": 2}));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "the upgrade outlived connectTimeout (2 s) by far: {took:?}");
    assert!(
        message.contains("did not complete the WebSocket upgrade") && message.contains("'connectTimeout' (2 s)"),
        "{message}"
    );
}

fn console_text(c: &DapClient) -> String {
    c.events_named("output").iter().filter_map(|e| e["body"]["output"].as_str().map(str::to_string)).collect()
}

/// Attaching over tcp:// or ws:// to an address that is not loopback says once in the console
/// that the secret and the program's data cross the network unencrypted, and names tcps/wss.
/// The remote host is a network namespace the test makes (see [`NetNs`]): ptvsd and websockify
/// run in it, the adapter attaches from here to its address. A debuggee on this machine reached
/// over loopback hears nothing of it.
///
/// The console is read once the program's first data (its thread, a `thread` event) has come
/// over the link: the session says its warnings before it reads anything from ptvsd. Not a
/// print: ptvsd answers the attach first and turns output redirection on only after reporting
/// every module, saying nothing when it has, so a print right after attaching can be missed.
fn cleartext_to_a_remote_host_is_said_once(release: Release) {
    let host = NetNs::create();
    let debuggee = Debuggee::start_in(&host, release, "app.py");
    let relay = Relay::websockify_in(&host, debuggee.port());
    let address = host.address();
    let secret = debuggee.secret();
    for (url, secure) in [
        (format!("tcp://{secret}@{address}:{}", debuggee.port()), "tcps://"),
        (format!("ws://{secret}@{address}:{}/ptvsd", relay.port()), "wss://"),
    ] {
        let c = DapClient::spawn();
        c.guard_secret(secret);
        c.attach_session(json!({"url": url}));
        c.request_ok("configurationDone", json!({}));
        c.wait_event("thread", T);
        let console = console_text(&c);
        assert_eq!(console.matches("is not encrypted").count(), 1, "{url}: {console}");
        assert!(console.contains(&address.to_string()) && console.contains(secure), "{console}");
        c.request_ok("disconnect", json!({}));
        c.wait_exit(T);
    }
    let local = Debuggee::start(release, "app.py");
    let c = DapClient::spawn();
    c.guard_secret(local.secret());
    c.attach_session(json!({"url": format!("tcp://{}@127.0.0.1:{}", local.secret(), local.port())}));
    c.request_ok("configurationDone", json!({}));
    c.wait_event("thread", T);
    assert!(!console_text(&c).contains("not encrypted"), "{}", console_text(&c));
    c.request_ok("disconnect", json!({}));
}

/// The namespace that stands in for a remote host is removed when its guard drops, also when
/// the test panics: no namespace and no link of the test's is left on the machine.
#[test]
fn remote_host_namespace_is_removed_even_on_panic() {
    let mut made = None;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let host = NetNs::create();
        made = Some((host.name().to_string(), host.link().map(str::to_string)));
        panic!("a test failing with {} in place", host.name());
    }));
    assert!(outcome.is_err());
    let (name, link) = made.expect("NetNs::create returned");
    let link = link.expect("the guard holds the veth link");
    assert!(!netns::namespaces().contains(&name), "{name} is left after a panic");
    assert!(!netns::link_exists(&link), "{link} is left after a panic");
}

each_supported_release!(escaped_secret_as_visual_studio_wrote_it, cleartext_to_a_remote_host_is_said_once);
