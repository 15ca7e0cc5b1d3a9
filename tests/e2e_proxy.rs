//! ws through an HTTP CONNECT proxy named by the adapter's environment (corporate networks):
//! a real ptvsd behind websockify, the test proxy in front. The proxy variables are given to
//! the adapter process only.

mod common;

use common::connect_proxy::basic;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// ptvsd behind websockify.
struct Site {
    debuggee: Debuggee,
    relay: Relay,
}

impl Site {
    fn start(release: Release) -> Site {
        let debuggee = Debuggee::start(release, "app.py");
        let relay = Relay::websockify(debuggee.port());
        Site { debuggee, relay }
    }

    fn url(&self) -> String {
        self.relay.ws_url(self.debuggee.secret())
    }

    /// Attaches, stops at the `bp_work` breakpoint, checks the frame, resumes and detaches.
    fn debug_to_breakpoint(&self, c: &DapClient) {
        c.attach_session(json!({"url": self.url()}));
        let app = fixture_path("app.py").to_string_lossy().into_owned();
        let line = fixture_line("app.py", "bp_work");
        let body = c.request_ok("setBreakpoints", json!({"source": {"path": app}, "breakpoints": [{"line": line}]}));
        assert_eq!(body["breakpoints"][0]["verified"], true, "{body}");
        c.request_ok("configurationDone", json!({}));
        self.debuggee.settle_output(c);
        self.debuggee.send_line("hit");
        let stopped = c.wait_event("stopped", T);
        assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
        let tid = stopped["body"]["threadId"].clone();
        let frames = c.request_ok("stackTrace", json!({"threadId": tid, "levels": 1}));
        assert_eq!(frames["stackFrames"][0]["line"], json!(line), "{frames}");
        c.request_ok("continue", json!({"threadId": tid}));
        self.debuggee.wait_stdout_contains("done hit", T);
        c.request_ok("disconnect", json!({}));
    }
}

fn console(c: &DapClient) -> String {
    c.events_named("output").iter().filter_map(|e| e["body"]["output"].as_str().map(str::to_string)).collect()
}

/// Attaches and returns the failed response's message.
fn attach_error(c: &DapClient, url: &str) -> String {
    c.request_ok("initialize", json!({"clientID": "test", "adapterID": "ptvsd"}));
    let response: Value = c.request_timeout("attach", json!({"url": url}), Duration::from_secs(60));
    assert_eq!(response["success"], false, "attach unexpectedly succeeded: {response}");
    response["message"].as_str().unwrap_or_default().to_string()
}

/// A whole session through a proxy that demands Basic credentials: the wake-up and the upgrade
/// both go through it, the console names it, its request heads carry no ptvsd secret, and its
/// credentials appear nowhere the adapter writes, its trace log included.
fn attach_through_the_proxy(release: Release) {
    let site = Site::start(release);
    let password = format!("Pw{}", unique_secret());
    let proxy = ConnectProxy::start(Policy::Basic { user: "corp-user".into(), password: password.clone() });
    let c = DapClient::spawn_with_env(&[("http_proxy", &proxy.url_with_credentials("corp-user", &password))]);
    c.guard_secret(site.debuggee.secret());
    c.guard_secret(&password);
    c.guard_secret(basic("corp-user", &password).trim_start_matches("Basic "));
    site.debug_to_breakpoint(&c);

    let said = console(&c);
    assert!(said.contains(&format!("through the proxy {} (from http_proxy)", proxy.url())), "{said}");
    let heads = proxy.heads();
    let authority = format!("127.0.0.1:{}", site.relay.port());
    assert!(heads.len() >= 2, "the wake-up and the upgrade should both use the proxy: {heads:?}");
    for head in &heads {
        assert!(head.starts_with(&format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n")), "{head}");
        assert!(head.contains("Proxy-Authorization: Basic "), "{head}");
        assert!(!head.contains(site.debuggee.secret()), "the proxy saw the ptvsd secret: {head}");
    }
    let tunnelled = proxy.tunnelled();
    assert!(tunnelled.iter().any(|line| line == "HEAD / HTTP/1.1"), "no wake-up through the proxy: {tunnelled:?}");
    assert!(tunnelled.iter().any(|line| line == "GET /ptvsd HTTP/1.1"), "no upgrade through the proxy: {tunnelled:?}");
    assert!(c.log_text().contains("TRACE"), "the log is not at trace level, so it proves little");
    c.check_no_secret();
}

/// 407 without credentials, 407 with wrong ones, and 403: each says what to do, names the
/// proxy (never its password) and the status; the debuggee stays attachable.
fn proxy_refusals_are_explained(release: Release) {
    let site = Site::start(release);
    let proxy = ConnectProxy::start(Policy::Basic { user: "corp-user".into(), password: "right-one".into() });

    let c = DapClient::spawn_with_env(&[("http_proxy", &proxy.url())]);
    let message = attach_error(&c, &site.url());
    for part in [
        "the proxy",
        &proxy.url(),
        "http_proxy",
        "HTTP 407",
        "demands a user and password",
        "http://user:password@host:port",
    ] {
        assert!(message.contains(part), "{part:?} missing: {message}");
    }

    let wrong = format!("Wrong{}", unique_secret());
    let c = DapClient::spawn_with_env(&[("HTTP_PROXY", &proxy.url_with_credentials("corp-user", &wrong))]);
    c.guard_secret(&wrong);
    let message = attach_error(&c, &site.url());
    for part in [proxy.url().as_str(), "HTTP_PROXY", "HTTP 407", "refused the user and password"] {
        assert!(message.contains(part), "{part:?} missing: {message}");
    }
    c.check_no_secret();

    let forbidding = ConnectProxy::start(Policy::Refuse(403));
    let c = DapClient::spawn_with_env(&[("ALL_PROXY", &forbidding.url())]);
    let message = attach_error(&c, &site.url());
    for part in
        [forbidding.url().as_str(), "ALL_PROXY", "HTTP 403", &format!("127.0.0.1:{}", site.relay.port()), "NO_PROXY"]
    {
        assert!(message.contains(part), "{part:?} missing: {message}");
    }

    // None of that reached ptvsd: a direct session works.
    site.debug_to_breakpoint(&DapClient::spawn());
}

/// A host listed in NO_PROXY is reached straight: the proxy sees no connection at all.
fn no_proxy_bypasses(release: Release) {
    let site = Site::start(release);
    let proxy = ConnectProxy::start(Policy::Open);
    let c = DapClient::spawn_with_env(&[("http_proxy", &proxy.url()), ("NO_PROXY", "example.com, 127.0.0.0/8")]);
    site.debug_to_breakpoint(&c);
    assert!(proxy.heads().is_empty(), "NO_PROXY did not bypass the proxy: {:?}", proxy.heads());
    assert!(!console(&c).contains("proxy"), "{}", console(&c));
}

each_supported_release!(attach_through_the_proxy, proxy_refusals_are_explained, no_proxy_bypasses);

/// A `host` or `site` holding CR, LF or a space is refused before any connection, so it can never
/// be written into the proxy's CONNECT (or the wake-up's Host). A clean host, as the control,
/// does reach the proxy.
#[test]
fn host_and_site_that_could_inject_http_are_refused_before_connecting() {
    let proxy = ConnectProxy::start(Policy::Refuse(403));
    let env = [("http_proxy", proxy.url()), ("https_proxy", proxy.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let injected = "example.test\r\nX-Injected: 1";
    for (args, named, shown) in [
        (json!({"host": injected, "transport": "ws", "secret": "s"}), "'host'", "carriage return (CR)"),
        (json!({"host": "example.test\nHost: x", "transport": "ws", "secret": "s"}), "'host'", "line feed (LF)"),
        (json!({"host": "two words", "transport": "ws", "secret": "s"}), "'host'", "a space"),
        (json!({"site": "myapp\r\nX-Injected: 1", "secret": "s"}), "'site'", "carriage return (CR)"),
    ] {
        let c = DapClient::spawn_with_env(&env);
        c.request_ok("initialize", json!({"clientID": "test", "adapterID": "ptvsd"}));
        let response = c.request_timeout("attach", args.clone(), T);
        let message = response["message"].as_str().unwrap_or_default();
        assert_eq!(response["success"], false, "{args}: {response}");
        assert!(message.contains(named) && message.contains(shown), "{args}: {message}");
        assert!(!message.contains(['\r', '\n']), "the refusal repeats the raw line break: {message:?}");
    }
    assert!(proxy.heads().is_empty(), "a refused host reached the proxy: {:?}", proxy.heads());

    let c = DapClient::spawn_with_env(&env);
    let message = attach_error(&c, "ws://s@example.test/ptvsd");
    assert!(message.contains("HTTP 403"), "{message}");
    assert!(proxy.heads().iter().any(|h| h.starts_with("CONNECT example.test:80 ")), "{:?}", proxy.heads());
}
