//! The processes of a run: the cached venvs, the debuggee, websockify, and the adapters.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::client::Res;
use crate::sysinfo;

pub const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture() -> PathBuf {
    fixture_named("bench_app.py")
}

/// `tests/fixtures/<name>`.
pub fn fixture_named(name: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(name)
}

/// The 1-based line of bench_app.py that carries `# @<marker>`.
pub fn marker_line(marker: &str) -> Res<u64> {
    marker_line_in(&fixture(), marker)
}

/// The 1-based line of `script` that carries `# @<marker>`.
pub fn marker_line_in(script: &Path, marker: &str) -> Res<u64> {
    let text = std::fs::read_to_string(script).map_err(|e| format!("cannot read {}: {e}", script.display()))?;
    let tag = format!("# @{marker}");
    text.lines()
        .position(|l| {
            l.split(&tag).nth(1).is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
        })
        .map(|i| i as u64 + 1)
        .ok_or_else(|| format!("no `{tag}` in {}", script.display()))
}

/// Runs scripts/setup-test-env.sh (idempotent) and returns the cache directory it prints.
pub fn test_env() -> Res<PathBuf> {
    let script = repo_root().join("scripts").join("setup-test-env.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", script.display(), out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let dir = PathBuf::from(text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim());
    if !dir.is_dir() {
        return Err(format!("{} printed {text:?}, not a directory", script.display()));
    }
    Ok(dir)
}

/// `<cache>/debugpy`: a venv with the latest debugpy from PyPI on the ptvsd venvs' Python
/// (created once; delete it to take a newer debugpy).
pub fn ensure_debugpy(cache: &Path) -> Res<PathBuf> {
    let dir = cache.join("debugpy");
    if dir.join(".ready").exists() {
        return Ok(dir);
    }
    eprintln!("bench: creating {} with the latest debugpy from PyPI", dir.display());
    let _ = std::fs::remove_dir_all(&dir);
    let base = cache.join("ptvsd-3.2.1").join("bin").join("python");
    run(std::process::Command::new(&base).args(["-m", "venv"]).arg(&dir))?;
    run(std::process::Command::new(dir.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--upgrade",
        "debugpy",
    ]))?;
    std::fs::write(dir.join(".ready"), b"").map_err(|e| e.to_string())?;
    Ok(dir)
}

fn run(cmd: &mut std::process::Command) -> Res<()> {
    let status = cmd.stdout(Stdio::null()).status().map_err(|e| format!("{cmd:?}: {e}"))?;
    status.success().then_some(()).ok_or_else(|| format!("{cmd:?} failed: {status}"))
}

/// The Python program under test, driven by lines on its stdin; its "bench ..." lines
/// (written to descriptor 2) arrive on `reports`.
pub struct Debuggee {
    pub child: Child,
    stdin: ChildStdin,
    reports: mpsc::UnboundedReceiver<String>,
}

impl Debuggee {
    /// `python -u -m ptvsd --port P --interface 127.0.0.1 --secret S bench_app.py`
    pub fn ptvsd(python: &Path, port: u16, secret: &str) -> Res<Debuggee> {
        Self::ptvsd_running(python, &fixture(), port, secret)
    }

    /// Like [`Debuggee::ptvsd`], running `script`.
    pub fn ptvsd_running(python: &Path, script: &Path, port: u16, secret: &str) -> Res<Debuggee> {
        let mut cmd = Command::new(python);
        cmd.args(["-u", "-m", "ptvsd", "--port", &port.to_string(), "--interface", "127.0.0.1", "--secret", secret])
            .arg(script);
        Self::spawn(cmd)
    }

    /// `python -u bench_app.py --debugpy` (attaches on `connect PORT`).
    pub fn debugpy(python: &Path) -> Res<Debuggee> {
        let mut cmd = Command::new(python);
        cmd.arg("-u").arg(fixture()).arg("--debugpy");
        Self::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Res<Debuggee> {
        cmd.current_dir(fixture().parent().unwrap_or(Path::new(".")))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| format!("cannot start the debuggee {cmd:?}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        // Drain stdout always: the debuggers may copy the program's output there too.
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
        });
        let (tx, reports) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(report) = line.strip_prefix("bench ") {
                    let _ = tx.send(report.to_string());
                } else if !line.trim().is_empty() && !line.starts_with('x') {
                    eprintln!("  debuggee: {}", crate::client::short(&line));
                }
            }
        });
        Ok(Debuggee { child, stdin, reports })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub async fn send(&mut self, line: &str) -> Res<()> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await.map_err(|e| format!("debuggee stdin: {e}"))?;
        self.stdin.flush().await.map_err(|e| format!("debuggee stdin: {e}"))
    }

    /// The next report whose first word is `what` (earlier ones of other kinds are dropped).
    pub async fn report(&mut self, what: &str, timeout: Duration) -> Res<Vec<String>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Ok(Some(line)) => {
                    let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
                    if words.first().map(String::as_str) == Some(what) {
                        return Ok(words[1..].to_vec());
                    }
                }
                Ok(None) => return Err(format!("the debuggee exited before reporting `{what}`")),
                Err(_) => return Err(format!("the debuggee did not report `{what}` within {timeout:?}")),
            }
        }
    }
}

/// websockify next to the debuggee (the App Service proxy's place), in its own process group
/// (it forks per connection), killed whole on drop.
pub struct Websockify {
    child: std::process::Child,
    pub port: u16,
}

impl Websockify {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn start(cache: &Path, target_port: u16) -> Res<Websockify> {
        let exe = cache.join("tools").join("bin").join("websockify");
        for _ in 0..5 {
            let port = sysinfo::free_port();
            let mut command = std::process::Command::new(&exe);
            command
                .arg(format!("127.0.0.1:{port}"))
                .arg(format!("127.0.0.1:{target_port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // The benchmark measures through /proc (Linux); elsewhere it only has to build.
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
            let mut relay = Websockify { child, port };
            let pid = relay.child.id();
            if sysinfo::wait_listening(pid, port, START_TIMEOUT, || matches!(relay.child.try_wait(), Ok(None))).await {
                return Ok(relay);
            }
        }
        Err("websockify did not listen (5 tries)".into())
    }
}

impl Drop for Websockify {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The adapter command for each contender, its stderr kept in `log`.
pub fn adapter_command(program: &Path, args: &[&str], log: &Path) -> Res<Command> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    cmd.stderr(Stdio::from(file));
    Ok(cmd)
}
