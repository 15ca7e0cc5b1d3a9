//! End-to-end tests of `ptvsd-dap relay`, the WebSocket relay with the App Service proxy's
//! behaviour (docs/protocol.md §1.4): the binary is started with `--listen 127.0.0.1:0` and its
//! ready line tells the port. Most cases put a plain TCP listener behind it as the "debuggee"
//! (to see exactly which bytes and connections arrive); one case per ptvsd release runs a whole
//! debug session through it with the adapter.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

/// Waits for things a peer does.
const T: Duration = Duration::from_secs(30);
/// How long a process may take to exit once asked.
const EXIT: Duration = Duration::from_secs(10);

/// `ptvsd-dap relay --listen 127.0.0.1:0 --target 127.0.0.1:<port> [extra]`, logging at trace.
struct RelayProcess {
    child: Mutex<Child>,
    addr: SocketAddr,
    stdout: Arc<SharedBuf>,
    stderr: Arc<SharedBuf>,
    log_path: PathBuf,
}

impl RelayProcess {
    fn start(target_port: u16, extra: &[String]) -> RelayProcess {
        let log_path =
            std::env::temp_dir().join(format!("ptvsd-dap-relay-{}-{}.log", std::process::id(), unique_secret()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
            .args(["relay", "--listen", "127.0.0.1:0", "--target", &format!("127.0.0.1:{target_port}")])
            .args(extra)
            .env("PTVSD_DAP_LOG", &log_path)
            .env("PTVSD_DAP_LOG_LEVEL", "trace")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot spawn ptvsd-dap relay");
        let stdout = Arc::new(SharedBuf::default());
        let stderr = Arc::new(SharedBuf::default());
        capture(child.stdout.take().unwrap(), stdout.clone());
        capture(child.stderr.take().unwrap(), stderr.clone());
        let ready = poll_until(T, || {
            let text = stdout.text();
            let line =
                text.lines().find(|l| l.starts_with("relay listening on ") && text.contains(&format!("{l}\n")))?;
            Some(line.to_string())
        });
        let Some(line) = ready else {
            let _ = child.kill();
            panic!(
                "the relay printed no ready line within {T:?}\nstdout: {}\nstderr: {}",
                stdout.text(),
                stderr.text()
            );
        };
        let expected_tail = format!(" -> 127.0.0.1:{target_port}");
        assert!(line.ends_with(&expected_tail), "ready line: {line}");
        let addr = line
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in the ready line: {line}"));
        RelayProcess { child: Mutex::new(child), addr, stdout, stderr, log_path }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The line that says it listens (after the line naming each target's ARRAffinity value).
    fn ready_line(&self) -> String {
        let text = self.stdout.text();
        text.lines().find(|line| line.starts_with("relay listening on ")).unwrap_or_default().to_string()
    }

    fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    fn ws_url(&self, secret: &str) -> String {
        format!("ws://{secret}@127.0.0.1:{}/ptvsd", self.port())
    }

    /// How many TCP connections to `port` the relay process holds open (from /proc).
    fn connections_to(&self, port: u16) -> usize {
        let mine = net::socket_inodes_of(self.pid());
        ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .flat_map(|text| {
                text.lines()
                    .skip(1)
                    .filter_map(|line| {
                        let fields: Vec<&str> = line.split_whitespace().collect();
                        let remote_port = u16::from_str_radix(fields.get(2)?.rsplit(':').next()?, 16).ok()?;
                        let inode: u64 = fields.get(9)?.parse().ok()?;
                        Some((remote_port, inode))
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|(remote_port, inode)| *remote_port == port && mine.contains(inode))
            .count()
    }

    /// Waits until the relay holds exactly `n` connections to `port`.
    fn wait_connections_to(&self, port: u16, n: usize) {
        if poll_until(T, || (self.connections_to(port) == n).then_some(())).is_none() {
            self.fail(&format!("the relay holds {} connections to port {port}, not {n}", self.connections_to(port)));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn wait_exit(&self, timeout: Duration) -> Option<std::process::ExitStatus> {
        poll_until(timeout, || self.child.lock().unwrap().try_wait().ok().flatten())
    }

    fn fail(&self, msg: &str) -> ! {
        panic!(
            "{msg}\n--- relay stdout ---\n{}\n--- relay stderr ---\n{}\n--- relay log (tail) ---\n{}",
            self.stdout.tail(2000),
            self.stderr.tail(3000),
            tail(&self.log_text(), 6000)
        )
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!("(relay log kept at {})\n{}", self.log_path.display(), tail(&self.log_text(), 4000));
        } else {
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

/// A plain TCP listener standing in for ptvsd.
struct FakeTarget {
    listener: TcpListener,
}

impl FakeTarget {
    fn new() -> FakeTarget {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        FakeTarget { listener }
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    /// The relay connects before it answers the upgrade, so a connection it made is already
    /// queued when its answer arrives: nothing queued now means none was made.
    fn assert_no_connection(&self) {
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok((_, peer)) => panic!("the relay connected to the target (from {peer})"),
            Err(e) => panic!("accept: {e}"),
        }
    }

    /// The next connection from the relay, as a tokio stream.
    async fn accept(&self) -> tokio::net::TcpStream {
        let deadline = tokio::time::Instant::now() + T;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(true).unwrap();
                    return tokio::net::TcpStream::from_std(stream).unwrap();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "the relay did not connect to the target within {T:?}"
                    );
                    // The poll interval of a deadline-bounded wait.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// `fut`, or a panic naming `what` after [`T`].
async fn within<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(T, fut).await.unwrap_or_else(|_| panic!("{what}: timed out after {T:?}"))
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(url: &str) -> Result<Ws, tungstenite::Error> {
    within(&format!("connect {url}"), tokio_tungstenite::connect_async(url)).await.map(|(ws, _)| ws)
}

/// The status and body of a refused upgrade.
async fn refused_upgrade(url: &str) -> (u16, String) {
    match ws_connect(url).await {
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            (response.status().as_u16(), body)
        }
        Err(other) => panic!("upgrade at {url}: expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("upgrade at {url} was accepted"),
    }
}

/// Binary payloads until `n` bytes have arrived; panics on anything else.
async fn read_binary(ws: &mut Ws, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        match within("a binary message", ws.next()).await {
            Some(Ok(Message::Binary(data))) => {
                assert!(
                    data.len() <= 64 * 1024,
                    "a message of {} bytes (one target read is at most 64 KiB)",
                    data.len()
                );
                got.extend_from_slice(&data);
            }
            other => panic!("expected binary data, got {other:?}"),
        }
    }
    got
}

/// Reads until the Close frame and asserts it is 1000 (Normal Closure); then until the end.
async fn expect_normal_close(ws: &mut Ws) {
    loop {
        match within("the Close frame", ws.next()).await {
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map(|f| f.code);
                assert_eq!(code, Some(CloseCode::Normal), "close code");
                break;
            }
            Some(Ok(Message::Binary(_))) => {}
            other => panic!("expected a Close frame, got {other:?}"),
        }
    }
    while let Some(Ok(_)) = within("the end of the WebSocket", ws.next()).await {}
}

/// One raw HTTP request; the whole response (the relay closes after it).
fn http_exchange(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[test]
fn info_page_for_requests_that_are_not_upgrades() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &[]);
    assert_eq!(
        relay.ready_line(),
        format!("relay listening on ws://127.0.0.1:{}/ptvsd -> 127.0.0.1:{}", relay.port(), target.port())
    );
    for path in ["/", "/ptvsd"] {
        let host = format!("127.0.0.1:{}", relay.port());
        let response = http_exchange(relay.port(), format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("GET {path}: {response}"));
        assert!(head.starts_with("HTTP/1.1 200 "), "GET {path}: {head}");
        assert!(head.to_lowercase().contains("content-type: text/html"), "GET {path}: {head}");
        // As App Service's front end: the answer pins the client to the instance that served it.
        assert!(head.to_lowercase().contains("\r\nset-cookie: arraffinity="), "GET {path}: {head}");
        assert!(
            body.contains(&format!("ws://&lt;secret&gt;@{host}/ptvsd")),
            "GET {path}: the page names no URL: {body}"
        );
    }
    let response = http_exchange(relay.port(), b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 200 ") && response.ends_with("\r\n\r\n"), "HEAD: {response}");
    let mut huge = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
    huge.resize(64 * 1024, b'a');
    let response = http_exchange(relay.port(), &huge);
    assert!(response.starts_with("HTTP/1.1 431 "), "an oversized head: {response}");
    target.assert_no_connection();
}

#[tokio::test]
async fn upgrade_elsewhere_is_404_and_path_is_configurable() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &[]);
    let (status, body) = refused_upgrade(&format!("ws://127.0.0.1:{}/other", relay.port())).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("/ptvsd"), "the refusal names the right path: {body}");
    target.assert_no_connection();

    let custom = RelayProcess::start(target.port(), &["--path".into(), "debug/py".into()]);
    assert!(custom.ready_line().contains("/debug/py -> "), "{}", custom.ready_line());
    assert_eq!(refused_upgrade(&format!("ws://127.0.0.1:{}/ptvsd", custom.port())).await.0, 404);
    target.assert_no_connection();
    let mut ws = ws_connect(&format!("ws://127.0.0.1:{}/debug/py", custom.port())).await.expect("upgrade on --path");
    let _connection = target.accept().await;
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn unreachable_target_is_502() {
    let relay = RelayProcess::start(free_port(), &[]);
    let (status, body) = refused_upgrade(&format!("ws://127.0.0.1:{}/ptvsd", relay.port())).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("connection refused"), "{body}");
}

/// Client bytes reach the target in order whatever the frame type; target bytes come back as
/// binary messages of at most 64 KiB; when the target closes, the client gets Close 1000.
#[tokio::test]
async fn relays_both_ways_and_closes_when_the_target_closes() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &[]);
    let mut ws = ws_connect(&format!("ws://127.0.0.1:{}/ptvsd", relay.port())).await.unwrap();
    let mut debuggee = target.accept().await;
    relay.wait_connections_to(target.port(), 1);

    let binary: Vec<u8> = (0..=255u8).collect();
    ws.send(Message::Binary(binary.clone().into())).await.unwrap();
    ws.send(Message::Text("text frame".into())).await.unwrap();
    let mut got = vec![0u8; binary.len() + "text frame".len()];
    within("client bytes at the target", debuggee.read_exact(&mut got)).await.unwrap();
    assert_eq!(&got[..256], &binary[..]);
    assert_eq!(&got[256..], b"text frame");

    let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    within("target write", debuggee.write_all(&blob)).await.unwrap();
    assert_eq!(read_binary(&mut ws, blob.len()).await, blob);

    drop(debuggee);
    expect_normal_close(&mut ws).await;
    relay.wait_connections_to(target.port(), 0);
}

/// A Close from the client ends the target connection (the target reads EOF).
#[tokio::test]
async fn client_close_shuts_the_target_connection() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &[]);
    let mut ws = ws_connect(&format!("ws://127.0.0.1:{}/ptvsd", relay.port())).await.unwrap();
    let mut debuggee = target.accept().await;
    ws.send(Message::Binary(b"last words".to_vec().into())).await.unwrap();
    ws.close(None).await.unwrap();
    let mut got = Vec::new();
    within("EOF at the target", debuggee.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"last words");
    while let Some(Ok(_)) = within("the end of the WebSocket", ws.next()).await {}
    relay.wait_connections_to(target.port(), 0);
}

/// Every WebSocket has its own target connection; ending one leaves the other working.
#[tokio::test]
async fn concurrent_websockets_are_independent() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &[]);
    let url = format!("ws://127.0.0.1:{}/ptvsd", relay.port());
    let mut first = ws_connect(&url).await.unwrap();
    let mut first_target = target.accept().await;
    let mut second = ws_connect(&url).await.unwrap();
    let mut second_target = target.accept().await;
    relay.wait_connections_to(target.port(), 2);

    first.send(Message::Binary(b"one".to_vec().into())).await.unwrap();
    second.send(Message::Binary(b"two".to_vec().into())).await.unwrap();
    let mut got = [0u8; 3];
    within("first", first_target.read_exact(&mut got)).await.unwrap();
    assert_eq!(&got, b"one");
    within("second", second_target.read_exact(&mut got)).await.unwrap();
    assert_eq!(&got, b"two");

    drop(first_target);
    expect_normal_close(&mut first).await;
    relay.wait_connections_to(target.port(), 1);
    within("write", second_target.write_all(b"still here")).await.unwrap();
    assert_eq!(read_binary(&mut second, 10).await, b"still here");
    second.close(None).await.unwrap();
    relay.wait_connections_to(target.port(), 0);
}

/// SIGTERM ends the relay with code 0, closing open WebSockets the way a session end does.
#[tokio::test]
async fn sigterm_closes_open_websockets_and_exits() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &[]);
    let mut ws = ws_connect(&format!("ws://127.0.0.1:{}/ptvsd", relay.port())).await.unwrap();
    let mut debuggee = target.accept().await;
    send_signal(relay.pid(), "TERM");
    expect_normal_close(&mut ws).await;
    let mut rest = Vec::new();
    within("EOF at the target", debuggee.read_to_end(&mut rest)).await.unwrap();
    let status = relay.wait_exit(EXIT).unwrap_or_else(|| relay.fail("the relay did not exit after SIGTERM"));
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// An upgrade as a web page's WebSocket arrives: with an `Origin` header.
async fn ws_connect_from_page(url: &str, origin: &'static str) -> Result<Ws, tungstenite::Error> {
    use tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Origin", tungstenite::http::HeaderValue::from_static(origin));
    within(&format!("connect {url}"), tokio_tungstenite::connect_async(request)).await.map(|(ws, _)| ws)
}

/// Browsers let any web page open a WebSocket to localhost: an upgrade carrying an `Origin`
/// is refused (403, naming --allow-origin) before the target is connected, unless
/// `--allow-origin` names that origin; debuggers send no Origin and are unaffected.
#[tokio::test]
async fn upgrades_from_web_pages_are_refused_unless_allowed() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &["--allow-origin".into(), "https://tools.example".into()]);
    let url = format!("ws://127.0.0.1:{}/ptvsd", relay.port());
    match ws_connect_from_page(&url, "http://evil.example").await {
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            assert_eq!(response.status().as_u16(), 403, "{body}");
            assert!(body.contains("http://evil.example") && body.contains("--allow-origin"), "{body}");
        }
        Err(other) => panic!("expected a 403, got {other}"),
        Ok(_) => panic!("an upgrade from a web page was accepted"),
    }
    target.assert_no_connection();

    let mut allowed = ws_connect_from_page(&url, "https://tools.example").await.expect("an allowed origin");
    let mut debuggee = target.accept().await;
    within("write", debuggee.write_all(b"hello page")).await.unwrap();
    assert_eq!(read_binary(&mut allowed, 10).await, b"hello page");
    allowed.close(None).await.unwrap();

    let mut editor = ws_connect(&url).await.expect("an upgrade without Origin");
    let mut debuggee = target.accept().await;
    within("write", debuggee.write_all(b"hello editor")).await.unwrap();
    assert_eq!(read_binary(&mut editor, 12).await, b"hello editor");
}

/// `--max-connections`: a connection over the limit is answered 503 and closed; once one
/// ends, the next is served.
#[tokio::test]
async fn connections_over_the_limit_are_refused() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &["--max-connections".into(), "1".into()]);
    let url = format!("ws://127.0.0.1:{}/ptvsd", relay.port());
    let mut first = ws_connect(&url).await.unwrap();
    let _first_target = target.accept().await;
    let (status, body) = refused_upgrade(&url).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("too many connections"), "{body}");
    target.assert_no_connection();
    first.close(None).await.unwrap();
    while let Some(Ok(_)) = within("the end of the first WebSocket", first.next()).await {}
    relay.wait_connections_to(target.port(), 0);
    // The relay notices the ended connection a moment after its socket closes: retry briefly.
    let second = poll_until_async(|| async { ws_connect(&url).await.ok() }).await;
    drop(second);
}

async fn poll_until_async<T, F, Fut>(attempt: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + T;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "no success within {T:?}");
        // The poll interval of a deadline-bounded wait.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `--idle-timeout`: a WebSocket that carries nothing either way is closed (1001, Going Away)
/// and its target connection shut; one whose client pings stays open past the timeout.
#[tokio::test]
async fn idle_websockets_are_closed_and_pinged_ones_stay() {
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &["--idle-timeout".into(), "1".into()]);
    let url = format!("ws://127.0.0.1:{}/ptvsd", relay.port());

    let mut pinged = ws_connect(&url).await.unwrap();
    let mut pinged_target = target.accept().await;
    // A measurement window of three timeouts, pinging as ptvsd-dap's keepAlive does.
    for _ in 0..12 {
        pinged.send(Message::Ping(Vec::new().into())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    pinged.send(Message::Binary(b"still".to_vec().into())).await.unwrap();
    let mut got = [0u8; 5];
    within("the pinged WebSocket's data", pinged_target.read_exact(&mut got)).await.unwrap();
    assert_eq!(&got, b"still");

    let mut idle = ws_connect(&url).await.unwrap();
    let mut idle_target = target.accept().await;
    loop {
        match within("the idle WebSocket's Close", idle.next()).await {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| f.code), Some(CloseCode::Away));
                break;
            }
            Some(Ok(Message::Pong(_))) => {}
            other => panic!("expected a Close frame, got {other:?}"),
        }
    }
    let mut rest = Vec::new();
    within("EOF at the idle target", idle_target.read_to_end(&mut rest)).await.unwrap();
}

#[test]
fn bad_arguments_are_refused() {
    for args in [
        vec!["relay", "--listen", "127.0.0.1:0", "--target", "no-port"],
        vec!["relay", "--listen", "127.0.0.1:0", "--tls-cert", "cert.pem"],
        vec!["relay", "--listen", "not an address", "--target", "127.0.0.1:5678"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap")).args(&args).stdin(Stdio::null()).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout: {}", String::from_utf8_lossy(&out.stdout));
        assert!(!out.stderr.is_empty(), "{args:?} said nothing on stderr");
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
struct SelfSigned {
    cert: rcgen::CertifiedKey<rcgen::KeyPair>,
    cert_path: PathBuf,
    key_path: PathBuf,
}

impl SelfSigned {
    fn new() -> SelfSigned {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let base = std::env::temp_dir().join(format!("ptvsd-dap-relay-{}", unique_secret()));
        let cert_path = base.with_extension("cert.pem");
        let key_path = base.with_extension("key.pem");
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
        SelfSigned { cert, cert_path, key_path }
    }

    fn relay_args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.cert_path.display().to_string(),
            "--tls-key".into(),
            self.key_path.display().to_string(),
        ]
    }

    /// A client configuration that trusts this certificate only.
    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.cert.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

impl Drop for SelfSigned {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.cert_path);
        let _ = std::fs::remove_file(&self.key_path);
    }
}

/// With a certificate and key the relay serves wss: a client that trusts the certificate
/// relays bytes through it.
#[tokio::test]
async fn wss_with_a_given_certificate() {
    let certificate = SelfSigned::new();
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &certificate.relay_args());
    assert!(relay.ready_line().starts_with("relay listening on wss://127.0.0.1:"), "{}", relay.ready_line());
    let url = format!("wss://localhost:{}/ptvsd", relay.port());
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", relay.port())).await.unwrap();
    let connector = tokio_tungstenite::Connector::Rustls(certificate.client_config());
    let connecting = tokio_tungstenite::client_async_tls_with_config(url.as_str(), tcp, None, Some(connector));
    let (mut ws, _) =
        within("wss connect", connecting).await.unwrap_or_else(|e| relay.fail(&format!("wss connect: {e}")));
    let mut debuggee = target.accept().await;
    ws.send(Message::Binary(b"over tls".to_vec().into())).await.unwrap();
    let mut got = [0u8; 8];
    within("bytes at the target", debuggee.read_exact(&mut got)).await.unwrap();
    assert_eq!(&got, b"over tls");
    within("target write", debuggee.write_all(b"and back")).await.unwrap();
    assert_eq!(read_binary(&mut ws, 8).await, b"and back");
    drop(debuggee);
    expect_normal_close(&mut ws).await;
}

/// The adapter checks the relay's certificate against the public roots: a self-signed one
/// fails the attach, naming the certificate, before anything reaches the target.
#[test]
fn adapter_refuses_a_self_signed_wss_relay() {
    let certificate = SelfSigned::new();
    let target = FakeTarget::new();
    let relay = RelayProcess::start(target.port(), &certificate.relay_args());
    let secret = unique_secret();
    let c = DapClient::spawn();
    c.guard_secret(&secret);
    c.request_ok(
        "initialize",
        json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true,
                                      "columnsStartAt1": true, "pathFormat": "path"}),
    );
    let url = format!("wss://{secret}@127.0.0.1:{}/ptvsd", relay.port());
    let r = c.request("attach", json!({"url": url, "connectTimeout": 5}));
    assert_eq!(r["success"], false, "attach to a self-signed relay: {r}");
    let message = r["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        message.contains("certificate") || message.contains("tls"),
        "the message should name TLS or the certificate: {r}"
    );
    c.close_stdin();
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after a failed attach and EOF"));
    c.check_no_secret();
    target.assert_no_connection();
    assert!(!relay.log_text().contains(&secret), "the secret is in the relay's log");
}

/// A whole debug session through the relay: attach over ws, stop at a breakpoint, read a
/// variable, disconnect; the relay's connection to ptvsd closes with the session, and neither
/// process writes the secret anywhere.
fn debug_session_through_the_relay(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let relay = RelayProcess::start(debuggee.port(), &[]);
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": relay.ws_url(debuggee.secret())}));
    c.wait_event_where("output", T, |e| {
        e["body"]["output"].as_str().is_some_and(|s| s.starts_with("Attached to ptvsd protocol "))
    });
    let app = fixture_path("app.py").to_string_lossy().into_owned();
    let bp_line = fixture_line("app.py", "bp_work");
    let body = c.request_ok("setBreakpoints", json!({"source": {"path": app}, "breakpoints": [{"line": bp_line}]}));
    assert_eq!(body["breakpoints"][0]["line"], json!(bp_line), "{body}");
    c.request_ok("setExceptionBreakpoints", json!({"filters": []}));
    c.request_ok("configurationDone", json!({}));
    relay.wait_connections_to(debuggee.port(), 1);
    debuggee.settle_output(&c);

    debuggee.send_line("hit");
    let stopped = c.wait_event("stopped", T);
    assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
    let tid = stopped["body"]["threadId"].as_i64().unwrap_or_else(|| panic!("{stopped}"));
    let frames = c.request_ok("stackTrace", json!({"threadId": tid, "startFrame": 0, "levels": 20}));
    let frame = &frames["stackFrames"][0];
    assert_eq!(frame["name"], "work", "{frame}");
    assert_eq!(frame["line"], json!(bp_line), "{frame}");
    let scopes = c.request_ok("scopes", json!({"frameId": frame["id"]}));
    let locals = &scopes["scopes"][0]["variablesReference"];
    let vars = c.request_ok("variables", json!({"variablesReference": locals}));
    let count = vars["variables"].as_array().into_iter().flatten().find(|v| v["name"] == "count");
    assert_eq!(count.map(|v| v["value"].clone()), Some(json!("8")), "{vars}");

    c.request_ok("disconnect", json!({"restart": false}));
    let status = c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
    assert!(status.success(), "adapter exit status: {status}");
    debuggee.wait_stdout_contains("done hit\n", T);
    relay.wait_connections_to(debuggee.port(), 0);
    c.check_no_secret();
    let log = relay.log_text();
    assert!(log.contains("WebSocket open"), "the relay logged no connection:\n{}", tail(&log, 3000));
    assert!(!log.contains(debuggee.secret()), "the secret is in the relay's log");
    assert!(!relay.stderr.text().contains(debuggee.secret()), "the secret is on the relay's stderr");
}

each_supported_release!(debug_session_through_the_relay);

/// A wss relay with a self-signed certificate: trusted through `caFile`, or with `insecure`
/// (which the console then says), the session works end to end.
fn wss_session_with_trust(release: Release, trust: serde_json::Value) {
    let certificate = SelfSigned::new();
    let debuggee = Debuggee::start(release, "app.py");
    let relay = RelayProcess::start(debuggee.port(), &certificate.relay_args());
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    let mut args = json!({"url": format!("wss://{}@localhost:{}/ptvsd", debuggee.secret(), relay.port())});
    if let (Some(args), Some(trust)) = (args.as_object_mut(), trust.as_object()) {
        let mut trust = trust.clone();
        if trust.contains_key("caFile") {
            trust.insert("caFile".into(), json!(certificate.cert_path.display().to_string()));
        }
        args.extend(trust);
    }
    c.attach_session(args);
    if trust.get("insecure") == Some(&json!(true)) {
        c.wait_event_where("output", T, |e| {
            e["body"]["output"].as_str().is_some_and(|s| s.contains("'insecure' is set"))
        });
    }
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    debuggee.send_line("print over-wss");
    c.wait_event_where("output", T, |e| e["body"]["output"] == "over-wss");
    c.request_ok("disconnect", json!({}));
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
}

mod wss_trusting_ca_file {
    use super::*;
    #[test]
    fn v3_0_0() {
        super::wss_session_with_trust(Release::V3_0_0, json!({"caFile": ""}))
    }
    #[test]
    fn v3_2_1() {
        super::wss_session_with_trust(Release::V3_2_1, json!({"caFile": ""}))
    }
}

mod wss_insecure {
    use super::*;
    #[test]
    fn v3_0_0() {
        super::wss_session_with_trust(Release::V3_0_0, json!({"insecure": true}))
    }
}
