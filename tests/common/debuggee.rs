//! A Python process running a fixture script under `python -m ptvsd`, driven through stdin.

use super::dap::DapClient;
use super::old_python::{older_python, site_packages};
use super::{
    capture, fixture_path, fixtures_dir, free_port, net, poll_until, unique_secret, NetNs, Release, SharedBuf,
};
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long `Debuggee::start` waits for ptvsd to listen.
pub const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Debuggee {
    release: Release,
    script: String,
    port: u16,
    secret: String,
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    stdout: Arc<SharedBuf>,
    stderr: Arc<SharedBuf>,
    exit: Mutex<Option<ExitStatus>>,
}

impl Debuggee {
    /// Spawns `<venv>/bin/python -u -m ptvsd --port P --interface 127.0.0.1 --secret S
    /// <abs path of tests/fixtures/<script>>` with cwd `tests/fixtures` (no `--wait`), on a fresh
    /// port and with a fresh secret. Does not wait for it to listen.
    pub fn spawn(release: Release, script: &str) -> Debuggee {
        Self::spawn_with(release, script, free_port(), &unique_secret())
    }

    /// Like [`Debuggee::spawn`] with a given port and secret.
    pub fn spawn_with(release: Release, script: &str, port: u16, secret: &str) -> Debuggee {
        Self::spawn_using(Command::new(release.python()), Ipv4Addr::LOCALHOST, release, script, &[], port, secret)
    }

    /// Like [`Debuggee::spawn_with`] with `command` as the interpreter (another Python, or the
    /// release's in a network namespace), ptvsd listening on `interface`.
    fn spawn_using(
        mut command: Command,
        interface: Ipv4Addr,
        release: Release,
        script: &str,
        script_args: &[&str],
        port: u16,
        secret: &str,
    ) -> Debuggee {
        let script_path = fixture_path(script);
        assert!(script_path.exists(), "no fixture {}", script_path.display());
        let python = format!("{command:?}");
        let mut child = command
            .args(["-u", "-m", "ptvsd", "--port", &port.to_string(), "--interface", &interface.to_string()])
            .args(["--secret", secret])
            .arg(&script_path)
            .args(script_args)
            .current_dir(fixtures_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {python}: {e}"));
        let stdout = Arc::new(SharedBuf::default());
        let stderr = Arc::new(SharedBuf::default());
        capture(child.stdout.take().unwrap(), stdout.clone());
        capture(child.stderr.take().unwrap(), stderr.clone());
        let stdin = child.stdin.take();
        Debuggee {
            release,
            script: script.to_string(),
            port,
            secret: secret.to_string(),
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            stdout,
            stderr,
            exit: Mutex::new(None),
        }
    }

    /// Spawns and waits until ptvsd listens; retries on another port if the picked one was
    /// taken in between (parallel tests pick ports too).
    pub fn start(release: Release, script: &str) -> Debuggee {
        Self::start_with_secret(release, script, &unique_secret())
    }

    /// Like [`Debuggee::start`] with a given secret.
    pub fn start_with_secret(release: Release, script: &str, secret: &str) -> Debuggee {
        Self::start_by(|port| Self::spawn_with(release, script, port, secret))
    }

    /// Like [`Debuggee::start`] on a Python 3.9 or older (see [`older_python`]).
    pub fn start_on_older_python(release: Release, script: &str) -> Debuggee {
        Self::start_on(&older_python(), release, script)
    }

    /// Like [`Debuggee::start`] on the interpreter `python` (e.g. [`super::Interpreter::path`]),
    /// with the release's ptvsd (pure Python) from its venv on `PYTHONPATH`.
    pub fn start_on(python: &Path, release: Release, script: &str) -> Debuggee {
        let python_path = site_packages(release);
        let secret = unique_secret();
        Self::start_by(|port| {
            let mut command = Command::new(python);
            command.env("PYTHONPATH", &python_path);
            Self::spawn_using(command, Ipv4Addr::LOCALHOST, release, script, &[], port, &secret)
        })
    }

    /// Like [`Debuggee::start`] inside `namespace`, ptvsd listening on the namespace's address.
    pub fn start_in(namespace: &NetNs, release: Release, script: &str) -> Debuggee {
        let secret = unique_secret();
        Self::start_by(|port| {
            let command = namespace.command(release.python());
            Self::spawn_using(command, namespace.address(), release, script, &[], port, &secret)
        })
    }

    /// Like [`Debuggee::start`], with the secret also given to the script as its argument, so
    /// that the program holds it in `sys.argv` (as an app started with its secret would).
    /// `python -m ptvsd` passes what follows `-` to the script.
    pub fn start_with_secret_in_argv(release: Release, script: &str) -> Debuggee {
        let secret = unique_secret();
        let args = ["-", secret.as_str()];
        Self::start_by(|port| {
            Self::spawn_using(
                Command::new(release.python()),
                Ipv4Addr::LOCALHOST,
                release,
                script,
                &args,
                port,
                &secret,
            )
        })
    }

    fn start_by(spawn: impl Fn(u16) -> Debuggee) -> Debuggee {
        let mut last = String::new();
        for _ in 0..5 {
            let d = spawn(free_port());
            if d.try_wait_listening(LISTEN_TIMEOUT) {
                return d;
            }
            if d.is_running() {
                d.fail(&format!("ptvsd did not listen on port {} within {:?}", d.port, LISTEN_TIMEOUT));
            }
            last = d.stderr.tail(2000);
            if !last.contains("Address already in use") {
                d.fail("ptvsd exited before it listened");
            }
        }
        panic!("ptvsd could not find a free port in 5 tries; last stderr:\n{last}");
    }

    pub fn release(&self) -> Release {
        self.release
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn secret(&self) -> &str {
        &self.secret
    }
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Waits until the process listens on its port (read from /proc/net/tcp, never by
    /// connecting). Panics with the captured output on timeout or exit.
    pub fn wait_listening(&self, timeout: Duration) {
        if !self.try_wait_listening(timeout) {
            self.fail(&format!("ptvsd did not listen on port {} within {timeout:?}", self.port));
        }
    }

    fn try_wait_listening(&self, timeout: Duration) -> bool {
        let pid = self.pid();
        net::wait_listening_by(pid, self.port, timeout, || self.is_running())
    }

    /// Writes `line` and a newline to the script's stdin.
    pub fn send_line(&self, line: &str) {
        let mut guard = self.stdin.lock().unwrap();
        let Some(stdin) = guard.as_mut() else { self.fail("send_line after close_stdin") };
        if let Err(e) = stdin.write_all(format!("{line}\n").as_bytes()).and_then(|_| stdin.flush()) {
            drop(guard);
            self.fail(&format!("cannot write {line:?} to the debuggee's stdin: {e}"));
        }
    }

    pub fn close_stdin(&self) {
        self.stdin.lock().unwrap().take();
    }

    /// [`settle_output`](super::settle::settle_output) through this debuggee's stdin.
    pub fn settle_output(&self, c: &DapClient) {
        super::settle::settle_output(c, &|line| self.send_line(line));
    }

    /// [`settle_traced`](super::settle::settle_traced) through this debuggee's stdin.
    pub fn settle_traced(&self, c: &DapClient) {
        super::settle::settle_traced(c, &|line| self.send_line(line));
    }

    /// [`settle_attach_stop`](super::settle::settle_attach_stop) through this debuggee's stdin.
    pub fn settle_attach_stop(&self, c: &DapClient) -> serde_json::Value {
        super::settle::settle_attach_stop(c, &|line| self.send_line(line))
    }

    /// [`ping_until_stopped`](super::settle::ping_until_stopped) through this debuggee's stdin.
    pub fn ping_until_stopped(&self, c: &DapClient, what: &str) -> serde_json::Value {
        super::settle::ping_until_stopped(c, &|line| self.send_line(line), what)
    }

    /// Waits until `text` appears on stdout after the previous match (see
    /// [`SharedBuf::wait_contains`]); panics with the output on timeout.
    pub fn wait_stdout_contains(&self, text: &str, timeout: Duration) {
        if !self.stdout.wait_contains(text, timeout) {
            self.fail(&format!("the debuggee did not print {text:?} within {timeout:?}"));
        }
    }

    /// Like `wait_stdout_contains`, on stderr.
    pub fn wait_stderr_contains(&self, text: &str, timeout: Duration) {
        if !self.stderr.wait_contains(text, timeout) {
            self.fail(&format!("the debuggee did not write {text:?} to stderr within {timeout:?}"));
        }
    }

    /// Like `wait_stdout_contains` but returns false instead of panicking.
    pub fn try_wait_stdout_contains(&self, text: &str, timeout: Duration) -> bool {
        self.stdout.wait_contains(text, timeout)
    }

    pub fn stdout_text(&self) -> String {
        self.stdout.text()
    }
    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }

    /// The exit status, waiting at most `timeout`.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        poll_until(timeout, || self.try_status())
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

    /// CPU time (user + system) summed over the process's threads, from /proc/<pid>/task/*/stat.
    pub fn cpu_time(&self) -> Duration {
        process_cpu_time(self.pid())
    }

    /// Panics with `msg` and the tail of the captured stdout and stderr.
    pub fn fail(&self, msg: &str) -> ! {
        panic!("{}", self.describe(msg))
    }

    pub fn describe(&self, msg: &str) -> String {
        format!(
            "{msg}\n[debuggee: ptvsd {} running {}, pid {}, port {}, {}]\n--- debuggee stdout (tail) ---\n{}\n--- debuggee stderr (tail) ---\n{}",
            self.release.version(),
            self.script,
            self.pid(),
            self.port,
            match self.try_status() {
                Some(s) => format!("exited: {s}"),
                None => "running".to_string(),
            },
            self.stdout.tail(3000),
            self.stderr.tail(3000)
        )
    }
}

impl Drop for Debuggee {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

/// Clock ticks per second for /proc times (`getconf CLK_TCK`, 100 if that fails).
pub fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// utime + stime of one /proc/<pid>/task/<tid>/stat line, in ticks.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
    let after = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU time of all threads of `pid` (0 if the process is gone).
pub fn process_cpu_time(pid: u32) -> Duration {
    let mut ticks = 0u64;
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for e in dir.flatten() {
            if let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) {
                ticks += parse_stat_ticks(&stat).unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(ticks * 1_000_000_000 / clock_ticks())
}
