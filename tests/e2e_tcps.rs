//! End-to-end tests of the `tcps` transport (docs/protocol.md §1.3): TLS straight to ptvsd.
//!
//! - A real ptvsd behind stunnel (Debian's `stunnel4`), configured (a) for TLS 1.3 only and
//!   (b) for TLS 1.0 only with an old cipher suite (RSA key exchange, CBC, SHA-1), as ptvsd's own
//!   TLS speaks: a whole debug session over each, for every release.
//! - Certificates: a self-signed one refused without `caFile` (the message names the
//!   certificate and `caFile`), accepted with `caFile`, accepted with `insecure` (which the
//!   console says); a certificate for another name refused.
//! - ptvsd's own TLS (`python -m ptvsd --certfile --keyfile`): on Python 3.11 it cannot complete a
//!   handshake, which the adapter explains; on an older interpreter (3.9 or earlier) it works.
//!
//! Nothing is skipped: a missing stunnel or old Python fails the test with the install line.
//! The certificates are RSA: the old cipher suites and ptvsd's TLS 1.0 need an RSA key.

mod common;

use common::*;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Waits for things a peer does.
const T: Duration = Duration::from_secs(30);
/// How long a process may take to exit once asked.
const EXIT: Duration = Duration::from_secs(10);
const LISTEN: Duration = Duration::from_secs(30);

const INSTALL_STUNNEL: &str = "apt-get install -y stunnel4";

/// A self-signed RSA certificate (rcgen, with a key from OpenSSL) and its key, as PEM files in a
/// directory of their own.
struct Certificate {
    dir: PathBuf,
    cert_path: PathBuf,
    key_path: PathBuf,
}

impl Certificate {
    fn self_signed(names: &[&str]) -> Certificate {
        let rsa = openssl::rsa::Rsa::generate(2048).expect("generate an RSA key");
        let key_pem =
            openssl::pkey::PKey::from_rsa(rsa).and_then(|key| key.private_key_to_pem_pkcs8()).expect("PKCS#8 PEM");
        let key_pem = String::from_utf8(key_pem).expect("PEM is text");
        let key = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256)
            .expect("rcgen takes the RSA key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("names");
        params.distinguished_name.push(rcgen::DnType::CommonName, names[0]);
        let cert = params.self_signed(&key).expect("self-sign");
        let dir = std::env::temp_dir().join(format!("ptvsd-dap-tcps-{}", unique_secret()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key_pem).unwrap();
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Certificate { dir, cert_path, key_path }
    }

    fn ca_file(&self) -> String {
        self.cert_path.display().to_string()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the TLS terminator in front of ptvsd speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Terminator {
    /// TLS 1.3 only: a modern terminator.
    Tls13,
    /// TLS 1.0 only, one old suite (RSA key exchange, AES-CBC, SHA-1): what ptvsd's own TLS offers.
    Tls10,
}

impl Terminator {
    fn config_lines(self) -> &'static str {
        match self {
            Terminator::Tls13 => "sslVersionMin = TLSv1.3\n",
            Terminator::Tls10 => "sslVersionMin = TLSv1\nsslVersionMax = TLSv1\nciphers = AES128-SHA:@SECLEVEL=0\n",
        }
    }

    /// The attach arguments a TLS 1.0 server needs: the user's explicit `legacyTls`.
    fn with_legacy_tls(self, mut arguments: Value) -> Value {
        if self == Terminator::Tls10 {
            arguments["legacyTls"] = json!(true);
        }
        arguments
    }

    /// How stunnel's log names the protocol of an accepted connection.
    fn logged_protocol(self) -> &'static str {
        match self {
            Terminator::Tls13 => "TLSv1.3 ciphersuite",
            Terminator::Tls10 => "TLSv1 ciphersuite: AES128-SHA",
        }
    }
}

/// The stunnel binary: `PTVSD_DAP_STUNNEL`, else `stunnel4` or `stunnel` on the PATH.
fn stunnel_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PTVSD_DAP_STUNNEL") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["stunnel4", "stunnel"] {
        if let Some(found) = std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file()) {
            return found;
        }
    }
    panic!(
        "stunnel is not installed: the tcps tests put Debian's TLS terminator in front of ptvsd. \
         Install it with `{INSTALL_STUNNEL}` (or set PTVSD_DAP_STUNNEL to its path)"
    );
}

/// stunnel in the foreground, accepting TLS on a free port and forwarding to ptvsd.
struct Stunnel {
    child: Mutex<Child>,
    port: u16,
    output: Arc<SharedBuf>,
    config: PathBuf,
}

impl Stunnel {
    fn start(target_port: u16, certificate: &Certificate, terminator: Terminator) -> Stunnel {
        let exe = stunnel_binary();
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let config = certificate.dir.join(format!("stunnel-{port}.conf"));
            std::fs::write(
                &config,
                format!(
                    "foreground = yes\npid =\ndebug = info\n[ptvsd]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{target_port}\n\
                     cert = {}\nkey = {}\n{}",
                    certificate.cert_path.display(),
                    certificate.key_path.display(),
                    terminator.config_lines()
                ),
            )
            .unwrap();
            let mut child = Command::new(&exe)
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {} ({e}): install it with `{INSTALL_STUNNEL}`", exe.display()));
            let output = Arc::new(SharedBuf::default());
            capture(child.stdout.take().unwrap(), output.clone());
            capture(child.stderr.take().unwrap(), output.clone());
            let stunnel = Stunnel { child: Mutex::new(child), port, output, config };
            let pid = stunnel.child.lock().unwrap().id();
            if net::wait_listening_by(pid, port, LISTEN, || stunnel.is_running()) {
                return stunnel;
            }
            last = stunnel.output.tail(3000);
            if stunnel.is_running() || !last.contains("in use") {
                panic!("stunnel did not listen on {port} within {LISTEN:?}:\n{last}");
            }
        }
        panic!("stunnel could not find a free port in 5 tries:\n{last}");
    }

    fn is_running(&self) -> bool {
        matches!(self.child.lock().unwrap().try_wait(), Ok(None))
    }

    /// Waits until stunnel's log shows `text`.
    fn wait_logged(&self, text: &str) {
        if poll_until(T, || self.output.text().contains(text).then_some(())).is_none() {
            panic!("stunnel did not log {text:?} within {T:?}:\n{}", self.output.tail(4000));
        }
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(&self.config);
        if std::thread::panicking() {
            eprintln!("--- stunnel output (tail) ---\n{}", self.output.tail(4000));
        }
    }
}

fn initialize(c: &DapClient) {
    c.request_ok(
        "initialize",
        json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true, "columnsStartAt1": true, "pathFormat": "path",
               "supportsProgressReporting": false}),
    );
}

/// An attach that must fail: returns its message.
fn refused_attach(arguments: Value) -> String {
    let c = DapClient::spawn();
    initialize(&c);
    let r = c.request("attach", arguments);
    if r["success"] != json!(false) {
        c.fail(&format!("the attach should have failed: {r}"));
    }
    let message = r["message"].as_str().unwrap_or_default().to_string();
    c.wait_event_where("output", T, |e| e["body"]["output"].as_str().is_some_and(|s| s.starts_with("Cannot attach: ")));
    c.close_stdin();
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after a failed attach and EOF"));
    message
}

fn console_lines(c: &DapClient) -> Vec<String> {
    c.events_named("output")
        .iter()
        .filter(|e| e["body"]["category"] == "console")
        .filter_map(|e| e["body"]["output"].as_str().map(str::to_string))
        .collect()
}

/// Attach over tcps, stop at a breakpoint, read a local, disconnect. Returns the console lines.
fn breakpoint_session(
    arguments: Value,
    secret: &str,
    send_line: &dyn Fn(&str),
    wait_stdout: &dyn Fn(&str),
) -> Vec<String> {
    let c = DapClient::spawn();
    c.guard_secret(secret);
    c.attach_session(arguments);
    c.wait_event_where("output", T, |e| {
        e["body"]["output"].as_str().is_some_and(|s| s.starts_with("Attached to ptvsd protocol "))
    });
    let app = fixture_path("app.py").to_string_lossy().into_owned();
    let bp_line = fixture_line("app.py", "bp_work");
    let body = c.request_ok("setBreakpoints", json!({"source": {"path": app}, "breakpoints": [{"line": bp_line}]}));
    assert_eq!(body["breakpoints"][0]["line"], json!(bp_line), "{body}");
    c.request_ok("setExceptionBreakpoints", json!({"filters": []}));
    c.request_ok("configurationDone", json!({}));
    settle_output(&c, send_line);

    send_line("hit");
    let stopped = c.wait_event("stopped", T);
    assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
    let tid = stopped["body"]["threadId"].as_i64().unwrap_or_else(|| panic!("{stopped}"));
    let frames = c.request_ok("stackTrace", json!({"threadId": tid, "startFrame": 0, "levels": 20}));
    let frame = &frames["stackFrames"][0];
    assert_eq!((frame["name"].clone(), frame["line"].clone()), (json!("work"), json!(bp_line)), "{frame}");
    let scopes = c.request_ok("scopes", json!({"frameId": frame["id"]}));
    let locals = &scopes["scopes"][0]["variablesReference"];
    let vars = c.request_ok("variables", json!({"variablesReference": locals}));
    let count = vars["variables"].as_array().into_iter().flatten().find(|v| v["name"] == "count");
    assert_eq!(count.map(|v| v["value"].clone()), Some(json!("8")), "{vars}");

    c.request_ok("disconnect", json!({"restart": false}));
    let status = c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
    assert!(status.success(), "adapter exit status: {status}");
    wait_stdout("done hit\n");
    c.check_no_secret();
    console_lines(&c)
}

fn weak_tls_warnings(console: &[String]) -> Vec<&String> {
    console.iter().filter(|line| line.contains("negotiated")).collect()
}

/// The console line that names the TLS version before the secret goes out, and the line that
/// says the secret is being sent: the first must come before the second.
fn assert_version_said_before_the_secret(console: &[String], version: &str) {
    let said = console.iter().position(|line| line.starts_with(version) && line.contains("the secret will be sent"));
    let sent = console.iter().position(|line| line.starts_with("Authenticating"));
    match (said, sent) {
        (Some(said), Some(sent)) if said < sent => {}
        _ => panic!("expected a line naming {version} before 'Authenticating': {console:?}"),
    }
}

/// A whole session through stunnel; the console says which TLS version carries the secret
/// before sending it, and warns exactly when TLS 1.0 was negotiated. TLS 1.0 needs the user's
/// `legacyTls`: without it the attach is refused and says how to allow it.
fn session_through_stunnel(release: Release, terminator: Terminator) {
    let certificate = Certificate::self_signed(&["localhost", "127.0.0.1"]);
    let debuggee = Debuggee::start(release, "app.py");
    let stunnel = Stunnel::start(debuggee.port(), &certificate, terminator);
    let url = format!("tcps://{}@localhost:{}", debuggee.secret(), stunnel.port);
    if terminator == Terminator::Tls10 {
        let message = refused_attach(json!({"url": url, "caFile": certificate.ca_file()}));
        assert!(
            message.contains("only TLS 1.0 or 1.1")
                && message.contains("'legacyTls': true")
                && message.contains("?legacyTls"),
            "{message}"
        );
        assert!(!message.contains(debuggee.secret()), "{message}");
    }
    let console = breakpoint_session(
        terminator.with_legacy_tls(json!({"url": url, "caFile": certificate.ca_file()})),
        debuggee.secret(),
        &|line| debuggee.send_line(line),
        &|text| debuggee.wait_stdout_contains(text, T),
    );
    stunnel.wait_logged(terminator.logged_protocol());
    assert_version_said_before_the_secret(
        &console,
        match terminator {
            Terminator::Tls13 => "TLS 1.3 (cipher ",
            Terminator::Tls10 => "TLS 1.0 (cipher AES128-SHA)",
        },
    );
    let warnings = weak_tls_warnings(&console);
    match terminator {
        Terminator::Tls13 => assert!(warnings.is_empty(), "TLS 1.3 reported as weak: {warnings:?}"),
        Terminator::Tls10 => {
            let expected = format!("Warning: TLS 1.0 negotiated with localhost:{} (cipher AES128-SHA): this connection is weakly protected.", stunnel.port);
            assert!(
                warnings.len() == 1 && warnings[0].starts_with(&expected),
                "expected one line starting {expected:?}: {warnings:?}"
            );
        }
    }
}

macro_rules! each_release {
    ($case:ident, $terminator:expr) => {
        mod $case {
            use super::*;
            #[test]
            fn v2_2_0() {
                super::session_through_stunnel(Release::V2_2_0, $terminator)
            }
            #[test]
            fn v3_0_0() {
                super::session_through_stunnel(Release::V3_0_0, $terminator)
            }
            #[test]
            fn v3_1_0() {
                super::session_through_stunnel(Release::V3_1_0, $terminator)
            }
            #[test]
            fn v3_2_1() {
                super::session_through_stunnel(Release::V3_2_1, $terminator)
            }
        }
    };
}

each_release!(session_over_tls13_terminator, Terminator::Tls13);
each_release!(session_over_tls10_terminator, Terminator::Tls10);

/// A self-signed certificate: refused without `caFile` (the message names the certificate and
/// `caFile`), then, against the same debuggee, accepted with `caFile` and with `insecure` (which
/// the console says). The legacy (TLS 1.0) retry verifies the certificate just as strictly.
fn certificate_trust(terminator: Terminator) {
    let certificate = Certificate::self_signed(&["localhost", "127.0.0.1"]);
    let debuggee = Debuggee::start(Release::V3_0_0, "app.py");
    let stunnel = Stunnel::start(debuggee.port(), &certificate, terminator);
    let url = format!("tcps://{}@localhost:{}", debuggee.secret(), stunnel.port);

    let message = refused_attach(terminator.with_legacy_tls(json!({"url": url, "connectTimeout": 5})));
    assert!(message.contains("certificate is not trusted") && message.contains("self-signed"), "{message}");
    assert!(message.contains("'caFile'") && message.contains("'insecure'"), "{message}");
    assert!(!message.contains(debuggee.secret()), "{message}");

    // A caFile that holds another certificate does not help, and says so.
    let other = Certificate::self_signed(&["localhost"]);
    let message = refused_attach(terminator.with_legacy_tls(json!({"url": url, "caFile": other.ca_file()})));
    assert!(message.contains("not trusted") && message.contains(&other.ca_file()), "{message}");

    let send = |line: &str| debuggee.send_line(line);
    let wait = |text: &str| debuggee.wait_stdout_contains(text, T);
    let trusted = terminator.with_legacy_tls(json!({"url": url, "caFile": certificate.ca_file()}));
    breakpoint_session(trusted, debuggee.secret(), &send, &wait);
    let insecure = terminator.with_legacy_tls(json!({"url": url, "insecure": true}));
    let console = breakpoint_session(insecure, debuggee.secret(), &send, &wait);
    assert!(
        console
            .iter()
            .any(|line| line.starts_with("Warning: 'insecure' is set: the server's TLS certificate is not verified.")),
        "the console does not say that the certificate is not verified: {console:?}"
    );
}

#[test]
fn certificate_trust_tls13() {
    certificate_trust(Terminator::Tls13)
}

#[test]
fn certificate_trust_tls10() {
    certificate_trust(Terminator::Tls10)
}

/// A trusted certificate for another name is refused, by host name and by IP address.
fn host_name_mismatch(terminator: Terminator) {
    let certificate = Certificate::self_signed(&["debuggee.example"]);
    let debuggee = Debuggee::start(Release::V3_2_1, "app.py");
    let stunnel = Stunnel::start(debuggee.port(), &certificate, terminator);
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("tcps://{}@{host}:{}", debuggee.secret(), stunnel.port);
        let message = refused_attach(terminator.with_legacy_tls(json!({"url": url, "caFile": certificate.ca_file()})));
        assert!(message.contains(&format!("certificate does not name '{host}'")), "{message}");
    }
    // Still attachable: nothing reached ptvsd.
    let url = format!("tcps://{}@127.0.0.1:{}", debuggee.secret(), stunnel.port);
    let insecure = terminator.with_legacy_tls(json!({"url": url, "insecure": true}));
    breakpoint_session(insecure, debuggee.secret(), &|l| debuggee.send_line(l), &|t| {
        debuggee.wait_stdout_contains(t, T)
    });
}

#[test]
fn host_name_mismatch_tls13() {
    host_name_mismatch(Terminator::Tls13)
}

#[test]
fn host_name_mismatch_tls10() {
    host_name_mismatch(Terminator::Tls10)
}

/// A TLS 1.3 server behind a path that forges the answer "TLS 1.0 only" (an unauthenticated
/// protocol_version alert) to the first handshake: without `legacyTls` the attach is refused;
/// with it, the legacy attempt negotiates TLS 1.3, which proves the refusal forged, and the
/// attach is refused before the secret is sent. ptvsd is untouched and attachable after.
fn forged_downgrade_is_refused(release: Release) {
    let certificate = Certificate::self_signed(&["localhost", "127.0.0.1"]);
    let debuggee = Debuggee::start(release, "app.py");
    let stunnel = Stunnel::start(debuggee.port(), &certificate, Terminator::Tls13);
    let forger = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let forger_port = forger.local_addr().unwrap().port();
    let stunnel_port = stunnel.port;
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        // The first handshake of each attach below is refused (the attach without legacyTls
        // makes one connection, the one with it two); the legacy attempt is let through.
        for (index, client) in forger.incoming().flatten().enumerate() {
            if index <= 1 {
                let mut client = client;
                let mut hello = [0u8; 512];
                let _ = client.read(&mut hello);
                let _ = client.write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
                continue;
            }
            let Ok(upstream) = std::net::TcpStream::connect(("127.0.0.1", stunnel_port)) else { continue };
            let (mut a, mut b) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut b, &mut a));
            let (mut client, mut upstream) = (client, upstream);
            std::thread::spawn(move || std::io::copy(&mut client, &mut upstream));
        }
    });
    // The same terminator serves a real session first. After a refused attempt, the terminator
    // closes its connection to ptvsd after reading the greeting, which leaves the attach server of
    // ptvsd wedged (docs/protocol.md §3.1.1): an attacker who can forge the alert
    // can cut connections anyway, so that is not what this test is about.
    let direct = format!("tcps://{}@localhost:{}", debuggee.secret(), stunnel.port);
    breakpoint_session(
        json!({"url": direct, "caFile": certificate.ca_file()}),
        debuggee.secret(),
        &|l| debuggee.send_line(l),
        &|t| debuggee.wait_stdout_contains(t, T),
    );
    let url = format!("tcps://{}@localhost:{forger_port}", debuggee.secret());
    let message = refused_attach(json!({"url": url, "caFile": certificate.ca_file()}));
    assert!(message.contains("only TLS 1.0 or 1.1") && message.contains("'legacyTls': true"), "{message}");
    let message = refused_attach(json!({"url": url, "caFile": certificate.ca_file(), "legacyTls": true}));
    assert!(
        message.contains("negotiated TLS 1.3") && message.contains("forged") && message.contains("Nothing was sent"),
        "{message}"
    );
    assert!(!message.contains(debuggee.secret()), "{message}");
}

for_releases!(forged_downgrade_is_refused: v2_2_0, v3_0_0, v3_1_0, v3_2_1);

/// tcps to a ptvsd without TLS is explained (use tcp://), and ptvsd survives it.
#[test]
fn tcps_to_a_plain_ptvsd_says_use_tcp() {
    let debuggee = Debuggee::start(Release::V3_0_0, "app.py");
    let message = refused_attach(json!({"url": format!("tcps://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port())}));
    assert!(message.contains("does not speak TLS") && message.contains("tcp://"), "{message}");
    let url = format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port());
    breakpoint_session(json!({"url": url}), debuggee.secret(), &|l| debuggee.send_line(l), &|t| {
        debuggee.wait_stdout_contains(t, T)
    });
}

/// `python -m ptvsd --certfile --keyfile`: ptvsd's own TLS (TLS 1.0 only), run by `python` with
/// the release's ptvsd on its path.
struct OwnTlsDebuggee {
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    stdout: Arc<SharedBuf>,
    stderr: Arc<SharedBuf>,
    port: u16,
    secret: String,
}

impl OwnTlsDebuggee {
    fn start(
        python: &Path,
        release: Release,
        certificate: &Certificate,
        openssl_conf: Option<&Path>,
    ) -> OwnTlsDebuggee {
        let site_packages = site_packages(release);
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let secret = unique_secret();
            let mut command = Command::new(python);
            command
                .args([
                    "-u",
                    "-m",
                    "ptvsd",
                    "--port",
                    &port.to_string(),
                    "--interface",
                    "127.0.0.1",
                    "--secret",
                    &secret,
                ])
                .arg("--certfile")
                .arg(&certificate.cert_path)
                .arg("--keyfile")
                .arg(&certificate.key_path)
                .arg(fixture_path("app.py"))
                .current_dir(fixtures_dir())
                .env("PYTHONPATH", &site_packages)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if let Some(conf) = openssl_conf {
                command.env("OPENSSL_CONF", conf);
            }
            let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
            let stdout = Arc::new(SharedBuf::default());
            let stderr = Arc::new(SharedBuf::default());
            capture(child.stdout.take().unwrap(), stdout.clone());
            capture(child.stderr.take().unwrap(), stderr.clone());
            let stdin = child.stdin.take();
            let debuggee =
                OwnTlsDebuggee { child: Mutex::new(child), stdin: Mutex::new(stdin), stdout, stderr, port, secret };
            let pid = debuggee.child.lock().unwrap().id();
            if net::wait_listening_by(pid, port, LISTEN, || debuggee.is_running()) {
                return debuggee;
            }
            last = debuggee.stderr.tail(3000);
            if debuggee.is_running() || !last.contains("Address already in use") {
                panic!("{} -m ptvsd (ptvsd {}) did not listen on {port}:\n{last}", python.display(), release.version());
            }
        }
        panic!("ptvsd could not find a free port in 5 tries:\n{last}");
    }

    fn is_running(&self) -> bool {
        matches!(self.child.lock().unwrap().try_wait(), Ok(None))
    }

    fn send_line(&self, line: &str) {
        use std::io::Write;
        let mut stdin = self.stdin.lock().unwrap();
        let stdin = stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| stdin.flush())
            .unwrap_or_else(|e| panic!("write to the debuggee: {e}"));
    }

    fn wait_stdout_contains(&self, text: &str) {
        if !self.stdout.wait_contains(text, T) {
            panic!(
                "the debuggee did not print {text:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.stdout.tail(2000),
                self.stderr.tail(3000)
            );
        }
    }
}

impl Drop for OwnTlsDebuggee {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!("--- ptvsd stderr (tail) ---\n{}", self.stderr.tail(4000));
        }
    }
}

/// The older interpreter links this system's OpenSSL 3, whose defaults allow TLS 1.0 no
/// cipher; with the OpenSSL of its day (1.0.2, 1.1.1) ptvsd's TLS 1.0 worked as it was. This
/// configuration, for the debuggee only, gives it back what its OpenSSL allowed then.
fn legacy_openssl_conf(dir: &Path) -> PathBuf {
    let path = dir.join("openssl-tls1.cnf");
    std::fs::write(
        &path,
        "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = system_default_sect\n\
         [system_default_sect]\nMinProtocol = TLSv1\nCipherString = DEFAULT:@SECLEVEL=0\n",
    )
    .unwrap();
    path
}

/// ptvsd's own TLS on an older Python, with `?legacyTls` in the URL: the adapter's modern
/// handshake is refused (TLS 1.0), the legacy retry succeeds, the console says TLS 1.0 carries
/// the secret before sending it and warns once attached, and the session works.
fn ptvsd_own_tls_on_older_python(release: Release) {
    let python = older_python();
    let certificate = Certificate::self_signed(&["localhost", "127.0.0.1"]);
    let conf = legacy_openssl_conf(&certificate.dir);
    let debuggee = OwnTlsDebuggee::start(&python, release, &certificate, Some(&conf));
    let url = format!("tcps://{}@localhost:{}?legacyTls", debuggee.secret, debuggee.port);
    let console = breakpoint_session(
        json!({"url": url, "caFile": certificate.ca_file()}),
        &debuggee.secret,
        &|line| debuggee.send_line(line),
        &|text| debuggee.wait_stdout_contains(text),
    );
    let attached =
        console.iter().find(|line| line.starts_with("Attached to ptvsd protocol ")).cloned().unwrap_or_default();
    assert!(
        attached.contains(&format!("protocol {} ", release.protocol())) && !attached.contains("Python 3.11"),
        "{attached}"
    );
    assert_version_said_before_the_secret(&console, "TLS 1.0 (cipher ");
    let warnings = weak_tls_warnings(&console);
    let expected = format!("Warning: TLS 1.0 negotiated with localhost:{} (cipher ", debuggee.port);
    assert!(
        warnings.len() == 1 && warnings[0].starts_with(&expected),
        "expected one line starting {expected:?}: {warnings:?}"
    );
}

for_releases!(ptvsd_own_tls_on_older_python: v3_0_0, v3_1_0, v3_2_1);

/// ptvsd's own TLS on Python 3.11 cannot complete a handshake (§1.3): the attach fails with
/// the reason and the way out in plain words.
#[test]
fn ptvsd_own_tls_on_python_3_11_is_explained() {
    let certificate = Certificate::self_signed(&["localhost", "127.0.0.1"]);
    let python = Release::V3_2_1.python();
    let debuggee = OwnTlsDebuggee::start(&python, Release::V3_2_1, &certificate, None);
    let url = format!("tcps://{}@localhost:{}", debuggee.secret, debuggee.port);
    let message = refused_attach(json!({"url": url, "caFile": certificate.ca_file()}));
    assert!(message.contains("TLS handshake with localhost:") && message.contains("Python 3.10 or later"), "{message}");
    assert!(message.contains("TLS terminator"), "{message}");
    assert!(!message.contains(&debuggee.secret), "{message}");
}
