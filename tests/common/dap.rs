//! The adapter under test, driven over stdio like an editor does. Every message it writes is
//! parsed from strict `Content-Length: N\r\n\r\n` framing, checked against the DAP schema and the
//! editors' extra rules, and recorded in arrival order; any violation fails the test.

use super::frames::{read_frames, Inbox, InboxState};
use super::{adapter_bin, capture, send_signal, tail, SharedBuf};
use serde_json::{json, Value};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Term,
    Int,
    Hup,
    Kill,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "TERM",
            Signal::Int => "INT",
            Signal::Hup => "HUP",
            Signal::Kill => "KILL",
        }
    }
}

pub struct DapClient {
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    seq: AtomicI64,
    inbox: Arc<Inbox>,
    stderr: Arc<SharedBuf>,
    log_path: PathBuf,
    secrets: Mutex<Vec<String>>,
    exit: Mutex<Option<ExitStatus>>,
}

impl DapClient {
    /// Spawns `ptvsd-dap` with `PTVSD_DAP_LOG=<temp file>` and `PTVSD_DAP_LOG_LEVEL=trace`.
    pub fn spawn() -> DapClient {
        Self::spawn_with_env(&[])
    }

    /// [`DapClient::spawn`] with these variables set for the adapter only (tests run in parallel:
    /// never `set_var`). Proxy variables inherited from the test's own environment are removed,
    /// so that loopback targets are reached straight unless a test names a proxy.
    pub fn spawn_with_env(vars: &[(&str, &str)]) -> DapClient {
        let mut cmd = Command::new(adapter_bin());
        for name in
            ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]
        {
            cmd.env_remove(name);
        }
        cmd.envs(vars.iter().copied());
        Self::spawn_command(cmd)
    }

    /// Runs another program as the adapter (the harness self-tests use a fake one).
    pub fn spawn_command(mut cmd: Command) -> DapClient {
        static N: AtomicU64 = AtomicU64::new(0);
        let log_path = std::env::temp_dir().join(format!(
            "ptvsd-dap-test-{}-{}.log",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&log_path);
        let exe = format!("{:?}", cmd.get_program());
        let mut child = cmd
            .env("PTVSD_DAP_LOG", &log_path)
            .env("PTVSD_DAP_LOG_LEVEL", "trace")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {exe}: {e}"));
        let inbox = Arc::new(Inbox::default());
        let stderr = Arc::new(SharedBuf::default());
        capture(child.stderr.take().unwrap(), stderr.clone());
        let stdout = child.stdout.take().unwrap();
        let ib = inbox.clone();
        std::thread::spawn(move || read_frames(BufReader::new(stdout), &ib));
        DapClient {
            stdin: Mutex::new(child.stdin.take()),
            child: Mutex::new(child),
            seq: AtomicI64::new(1),
            inbox,
            stderr,
            log_path,
            secrets: Mutex::new(Vec::new()),
            exit: Mutex::new(None),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Fails the test (at drop, or at `check_no_secret`) if `secret` appears in anything the
    /// adapter wrote: DAP messages, stray stdout bytes, stderr, or its log file.
    pub fn guard_secret(&self, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_string());
    }

    /// Sends a request and returns the whole response (waits at most 30 s).
    pub fn request(&self, command: &str, args: Value) -> Value {
        self.request_timeout(command, args, REQUEST_TIMEOUT)
    }

    pub fn request_timeout(&self, command: &str, args: Value, timeout: Duration) -> Value {
        let seq = self.send_request(command, args);
        self.wait_response(seq, command, timeout)
    }

    /// Sends a request without waiting; returns its seq (see `wait_response`).
    pub fn send_request(&self, command: &str, args: Value) -> i64 {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst);
        let msg = json!({"seq": seq, "type": "request", "command": command, "arguments": args});
        let body = msg.to_string();
        self.inbox.state.lock().unwrap().sent.insert(seq);
        let mut guard = self.stdin.lock().unwrap();
        let Some(stdin) = guard.as_mut() else { self.fail(&format!("`{command}` sent after close_stdin")) };
        let frame = format!("Content-Length: {}\r\n\r\n{}", body.len(), body);
        if let Err(e) = stdin.write_all(frame.as_bytes()).and_then(|_| stdin.flush()) {
            drop(guard);
            self.fail(&format!("cannot send `{command}` to the adapter: {e}"));
        }
        seq
    }

    pub fn wait_response(&self, seq: i64, command: &str, timeout: Duration) -> Value {
        let found = self.wait_for(timeout, |st| {
            st.messages
                .iter()
                .find(|r| r.msg["type"] == "response" && r.msg["request_seq"] == seq)
                .map(|r| r.msg.clone())
        });
        found.unwrap_or_else(|| {
            let why = if self.inbox.state.lock().unwrap().eof { "the adapter closed its stdout" } else { "timed out" };
            self.fail(&format!("no response to `{command}` (seq {seq}) within {timeout:?}: {why}"))
        })
    }

    /// Sends a request and returns its body; panics (with the message) unless it succeeded.
    pub fn request_ok(&self, command: &str, args: Value) -> Value {
        let resp = self.request(command, args);
        if resp["success"] != true {
            self.fail(&format!("`{command}` failed: {resp}"));
        }
        resp.get("body").cloned().unwrap_or(Value::Null)
    }

    /// The first event named `name` not returned before, waiting for it.
    pub fn wait_event(&self, name: &str, timeout: Duration) -> Value {
        self.wait_event_where(name, timeout, |_| true)
    }

    /// The first not-yet-returned event named `name` for which `pred` holds.
    pub fn wait_event_where(&self, name: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.try_wait_event_where(name, timeout, pred)
            .unwrap_or_else(|| self.fail(&format!("no `{name}` event (matching) within {timeout:?}")))
    }

    pub fn try_wait_event_where(&self, name: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.wait_for(timeout, |st| {
            let r = st
                .messages
                .iter_mut()
                .find(|r| !r.consumed && r.msg["type"] == "event" && r.msg["event"] == name && pred(&r.msg))?;
            r.consumed = true;
            Some(r.msg.clone())
        })
    }

    /// Every event named `name` received so far (consumed or not).
    pub fn events_named(&self, name: &str) -> Vec<Value> {
        let st = self.inbox.state.lock().unwrap();
        st.messages
            .iter()
            .filter(|r| r.msg["type"] == "event" && r.msg["event"] == name)
            .map(|r| r.msg.clone())
            .collect()
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Value> {
        self.inbox.state.lock().unwrap().messages.iter().map(|r| r.msg.clone()).collect()
    }

    /// Arrival index of the first message for which `pred` holds.
    pub fn arrival_index(&self, pred: impl Fn(&Value) -> bool) -> Option<usize> {
        self.inbox.state.lock().unwrap().messages.iter().find(|r| pred(&r.msg)).map(|r| r.index)
    }

    /// Waits until `f` returns Some, re-checking on every new message; panics on violations.
    fn wait_for<T>(&self, timeout: Duration, mut f: impl FnMut(&mut InboxState) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut st = self.inbox.state.lock().unwrap();
        loop {
            if !st.violations.is_empty() {
                let v = st.violations.join("\n");
                drop(st);
                self.fail(&format!("the adapter broke the protocol:\n{v}"));
            }
            if let Some(v) = f(&mut st) {
                return Some(v);
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                return None;
            }
            st = self.inbox.cond.wait_timeout(st, deadline - now).unwrap().0;
        }
    }

    /// initialize (clientID "test", lines/columns start at 1, pathFormat "path") → attach(args)
    /// → waits for `initialized`. Returns the capabilities (the initialize response body).
    pub fn attach_session(&self, attach_args: Value) -> Value {
        let caps = self.request_ok(
            "initialize",
            json!({"clientID": "test", "clientName": "ptvsd-dap e2e", "adapterID": "ptvsd",
                   "linesStartAt1": true, "columnsStartAt1": true, "pathFormat": "path",
                   "supportsProgressReporting": false}),
        );
        self.request_ok("attach", attach_args);
        self.wait_event("initialized", REQUEST_TIMEOUT);
        caps
    }

    pub fn close_stdin(&self) {
        self.stdin.lock().unwrap().take();
    }

    pub fn signal(&self, sig: Signal) {
        send_signal(self.pid(), sig.name());
    }

    /// The adapter's exit status, waiting at most `timeout`.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        super::poll_until(timeout, || self.try_status())
    }

    fn try_status(&self) -> Option<ExitStatus> {
        let mut exit = self.exit.lock().unwrap();
        if exit.is_none() {
            *exit = self.child.lock().unwrap().try_wait().ok().flatten();
        }
        *exit
    }

    pub fn is_running(&self) -> bool {
        self.try_status().is_none()
    }

    /// Where the adapter logs (PTVSD_DAP_LOG).
    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// The adapter's log file (PTVSD_DAP_LOG), "" if it has not written one.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }

    /// Panics if a guarded secret appears anywhere the adapter wrote.
    pub fn check_no_secret(&self) {
        let secrets = self.secrets.lock().unwrap().clone();
        if secrets.is_empty() {
            return;
        }
        let (raw, garbage) = {
            let st = self.inbox.state.lock().unwrap();
            let raw: Vec<String> = st.messages.iter().map(|r| r.raw.clone()).collect();
            (raw, String::from_utf8_lossy(&st.garbage).into_owned())
        };
        let log = self.log_text();
        let stderr = self.stderr_text();
        for s in &secrets {
            if let Some(m) = raw.iter().find(|m| m.contains(s.as_str())) {
                self.fail(&format!("the secret {s:?} appears in a DAP message: {m}"));
            }
            for (what, text) in [("stdout", &garbage), ("its log file", &log), ("stderr", &stderr)] {
                if let Some(i) = text.find(s.as_str()) {
                    let line = text[..i].rsplit('\n').next().unwrap_or("").to_string()
                        + text[i..].split('\n').next().unwrap_or("");
                    self.fail(&format!("the secret {s:?} appears in the adapter's {what}: {line}"));
                }
            }
        }
    }

    /// Panics with `msg`, the last messages, stderr and the log tail.
    pub fn fail(&self, msg: &str) -> ! {
        let recent: Vec<String> = {
            let st = self.inbox.state.lock().unwrap();
            let n = st.messages.len();
            st.messages[n.saturating_sub(25)..]
                .iter()
                .map(|r| format!("  #{} {}", r.index, tail(&r.msg.to_string(), 400)))
                .collect()
        };
        panic!(
            "{msg}\n[adapter pid {}, {}]\n--- last messages from the adapter ---\n{}\n--- adapter stderr (tail) ---\n{}\n--- adapter log {} (tail) ---\n{}",
            self.pid(),
            match self.try_status() { Some(s) => format!("exited: {s}"), None => "running".into() },
            recent.join("\n"),
            self.stderr.tail(3000),
            self.log_path.display(),
            tail(&self.log_text(), 6000)
        )
    }
}

impl Drop for DapClient {
    fn drop(&mut self) {
        {
            let mut child = self.child.lock().unwrap();
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("(adapter log kept at {})", self.log_path.display());
            return;
        }
        let violations = self.inbox.state.lock().unwrap().violations.clone();
        if !violations.is_empty() {
            self.fail(&format!("the adapter broke the protocol:\n{}", violations.join("\n")));
        }
        self.check_no_secret();
        let _ = std::fs::remove_file(&self.log_path);
    }
}
