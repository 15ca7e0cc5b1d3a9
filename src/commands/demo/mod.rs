//! `ptvsd-dap demo`: a real debug session against a bundled sample web app, through the whole
//! stack an App Service user meets (ptvsd in the app, a WebSocket relay, the adapter), printed
//! the way an editor would show it.

mod client;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::relay::{Config as RelayConfig, Relay};
use client::DapClient;

const DEMO_APP: &str = include_str!("app.py");
const BREAKPOINT_MARKER: &str = "# @demo_bp";
/// What the sample app prints once ptvsd and the web server listen.
const READY_LINE: &str = "demo app ready on http://127.0.0.1:";

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  ptvsd-dap demo --keep-running")]
pub struct Args {
    /// The ptvsd release to run the sample app with (2.2.0, 3.0.0, 3.1.0 or 3.2.1)
    #[arg(long, default_value = "3.2.1")]
    ptvsd: String,
    /// The Python to build the app's venv with: 3.11 or older (ptvsd imports `imp`)
    #[arg(long, env = "PTVSD_DAP_PYTHON", default_value = "python3")]
    python: String,
    /// Leave the app and the relay running afterwards, and print editor configurations for them
    #[arg(long)]
    keep_running: bool,
}

/// Runs the demo; SIGINT, SIGTERM or SIGHUP end it at any point, and everything it started
/// (the app, the relay, the adapter) ends with it. With `--keep-running` a signal is the
/// normal way out (exit 0).
pub async fn run(args: Args) -> u8 {
    let serving = AtomicBool::new(false);
    let outcome = tokio::select! {
        outcome = demo(&args, &serving) => outcome,
        signal = stop_signal() => {
            if serving.load(Ordering::SeqCst) {
                println!("{signal}: stopping the app and the relay");
                Ok(())
            } else {
                Err(format!("stopped by {signal}"))
            }
        }
    };
    match outcome {
        Ok(()) => 0,
        Err(problem) => {
            eprintln!("demo failed: {problem}");
            1
        }
    }
}

/// Completes with the name of the first of SIGINT, SIGTERM and SIGHUP to arrive (Ctrl-C only
/// where there are no such signals).
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut terminate), Ok(mut hang_up)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
                _ = hang_up.recv() => "SIGHUP",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// A secret for this run only: 128 bits from the system's random source, in hex.
fn random_secret() -> Result<String, String> {
    crate::random::hex::<16>()
}

/// Everything the demo starts is dropped (and so ended: the app and the adapter are killed on
/// drop, the relay ends with the process) when this future is.
async fn demo(args: &Args, serving: &AtomicBool) -> Result<(), String> {
    if !["2.2.0", "3.0.0", "3.1.0", "3.2.1"].contains(&args.ptvsd.as_str()) {
        return Err(format!("--ptvsd {} is not a supported release: use 2.2.0, 3.0.0, 3.1.0 or 3.2.1", args.ptvsd));
    }
    let cache = cache_dir()?;
    let python = prepare_venv(&cache, &args.python, &args.ptvsd).await?;
    let app_dir = cache.join("demo-app");
    std::fs::create_dir_all(&app_dir).map_err(|e| format!("cannot create {}: {e}", app_dir.display()))?;
    let app_path = app_dir.join("app.py");
    // Written aside and renamed into place: another demo running from the same cache may be
    // starting this file right now, and must never read it half written.
    let staged_app = app_dir.join(format!(".app.py.{}", std::process::id()));
    std::fs::write(&staged_app, DEMO_APP)
        .and_then(|()| std::fs::rename(&staged_app, &app_path))
        .map_err(|e| format!("cannot write {}: {e}", app_path.display()))?;
    let breakpoint_line =
        DEMO_APP.lines().position(|line| line.contains(BREAKPOINT_MARKER)).map_or(1, |index| index + 1);

    let secret = random_secret()?;
    println!("1. Starting the sample web app under ptvsd {}", args.ptvsd);
    let (mut app, ptvsd_port, http_port) = start_app(&python, &app_path, &secret).await?;
    println!("   ptvsd listens on 127.0.0.1:{ptvsd_port}, the web app on 127.0.0.1:{http_port}");
    let relay =
        Relay::bind(RelayConfig::new("127.0.0.1:0", &[format!("127.0.0.1:{ptvsd_port}")], "/ptvsd", None)?).await?;
    let relay_port = relay.local_addr().port();
    let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
    let relay_task = tokio::spawn(relay.run(async {
        let _ = relay_stopped.await;
    }));
    let url = format!("ws://{secret}@127.0.0.1:{relay_port}/ptvsd");
    println!("2. Relaying WebSockets on ws://127.0.0.1:{relay_port}/ptvsd, as the App Service proxy does");

    let session = debug_session(&url, &app_path, breakpoint_line, http_port).await;
    if args.keep_running && session.is_ok() {
        print_editor_configs(&url, &app_dir, http_port);
        // Until a signal ends `run`, which drops all this.
        serving.store(true, Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    let _ = stop_relay.send(());
    let _ = relay_task.await;
    let _ = app.kill().await;
    session
}

async fn debug_session(url: &str, app_path: &Path, line: usize, http_port: u16) -> Result<(), String> {
    println!("3. Starting ptvsd-dap and attaching, as an editor would");
    let mut dap = DapClient::spawn()?;
    dap.request("initialize", json!({"clientID": "demo", "adapterID": "ptvsd-dap", "linesStartAt1": true, "columnsStartAt1": true, "pathFormat": "path"})).await?;
    dap.request("attach", json!({"url": url})).await?;
    dap.event("initialized").await?;
    show_output(&mut dap);
    let path = app_path.display().to_string();
    let body =
        dap.request("setBreakpoints", json!({"source": {"path": path}, "breakpoints": [{"line": line}]})).await?;
    println!("   breakpoint at app.py:{line}: verified = {}", body["breakpoints"][0]["verified"]);
    dap.request("setExceptionBreakpoints", json!({"filters": []})).await?;
    dap.request("configurationDone", json!({})).await?;
    show_output(&mut dap);

    println!("4. Requesting http://127.0.0.1:{http_port}/?name=demo");
    let response = tokio::spawn(http_get(http_port, "/?name=demo"));
    let stopped = dap.event("stopped").await?;
    let thread_id = stopped["body"]["threadId"].clone();
    let frames = dap.request("stackTrace", json!({"threadId": thread_id})).await?;
    let top = &frames["stackFrames"][0];
    println!(
        "   stopped ({}) in {} at {}:{}",
        stopped["body"]["reason"].as_str().unwrap_or(""),
        text(&top["name"]),
        text(&top["source"]["name"]),
        top["line"]
    );
    for frame in frames["stackFrames"].as_array().into_iter().flatten().take(4) {
        println!("     {} ({}:{})", text(&frame["name"]), text(&frame["source"]["name"]), frame["line"]);
    }
    let scopes = dap.request("scopes", json!({"frameId": top["id"]})).await?;
    let variables =
        dap.request("variables", json!({"variablesReference": scopes["scopes"][0]["variablesReference"]})).await?;
    println!("   locals:");
    for variable in variables["variables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| ["name", "query"].contains(&text(&v["name"]).as_str()))
    {
        let value: String = text(&variable["value"]).chars().take(70).collect();
        println!("     {} = {value}", text(&variable["name"]));
    }
    let evaluated =
        dap.request("evaluate", json!({"expression": "name.upper()", "frameId": top["id"], "context": "repl"})).await?;
    println!("   evaluate name.upper() -> {}", text(&evaluated["result"]));

    println!("5. Continuing");
    dap.request("continue", json!({"threadId": thread_id})).await?;
    let answer = tokio::time::timeout(Duration::from_secs(30), response)
        .await
        .map_err(|_| "the web app did not answer".to_string())?;
    println!("   the web app answered: {}", answer.map_err(|e| e.to_string())??);
    show_output(&mut dap);
    println!("6. Disconnecting: ptvsd detaches and the app keeps serving");
    dap.request("disconnect", json!({})).await?;
    dap.wait_exit().await?;
    println!("   after the detach it still answers: {}", http_get(http_port, "/?name=again").await?);
    println!("Demo complete.");
    Ok(())
}

fn show_output(dap: &mut DapClient) {
    for line in dap.take_output() {
        print!("   | {line}");
    }
}

fn text(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

fn print_editor_configs(url: &str, app_dir: &Path, http_port: u16) {
    let root = app_dir.display();
    println!(
        "\nThe app (http://127.0.0.1:{http_port}/) and the relay keep running until Ctrl-C (or SIGTERM, SIGHUP). \
         Its secret is this run's own. Attach to them with:"
    );
    println!("\nVS Code (launch.json):\n  {{ \"type\": \"ptvsd-remote\", \"request\": \"attach\", \"name\": \"ptvsd-dap demo\", \"url\": \"{url}\" }}");
    println!(
        "\nnvim-dap:\n  require('dap').run({{ type = 'ptvsd', request = 'attach', name = 'demo', url = '{url}' }})"
    );
    println!("\nHelix (languages.toml template argument):\n  args = {{ url = \"{url}\" }}");
    println!("\nSet a breakpoint in {root}/app.py and open http://127.0.0.1:{http_port}/?name=you");
}

fn cache_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("PTVSD_DAP_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or("no cache directory: set PTVSD_DAP_CACHE")?;
    Ok(base.join("ptvsd-dap"))
}

/// The venv `<cache>/ptvsd-<release>` (shared with the test suite), made once.
async fn prepare_venv(cache: &Path, python: &str, release: &str) -> Result<PathBuf, String> {
    let dir = cache.join(format!("ptvsd-{release}"));
    let venv_python = dir.join("bin").join("python");
    if dir.join(".ready").exists() {
        return Ok(venv_python);
    }
    println!("0. Preparing a Python venv with ptvsd {release} in {} (once)", dir.display());
    let version = run_tool(Command::new(python).args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]))
        .await
        .map_err(|e| format!("{e}: install Python 3.11 (or older) or pass --python"))?;
    let minor: u32 = version.trim().strip_prefix("3.").and_then(|m| m.parse().ok()).unwrap_or(99);
    if minor > 11 {
        return Err(format!(
            "{python} is Python {}; ptvsd needs 3.11 or older (it imports `imp`): pass --python",
            version.trim()
        ));
    }
    let staging = Staging(cache.join(format!(".ptvsd-{release}-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&staging.0);
    run_tool(Command::new(python).arg("-m").arg("venv").arg(&staging.0)).await?;
    run_tool(Command::new(staging.0.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("ptvsd=={release}"),
    ]))
    .await?;
    std::fs::write(staging.0.join(".ready"), "").map_err(|e| e.to_string())?;
    // If the rename fails, someone else made it meanwhile; either way the staging folder goes.
    let _ = std::fs::rename(&staging.0, &dir);
    Ok(venv_python)
}

/// A venv being built: removed when dropped unless it was renamed into place, so a failed or
/// interrupted build leaves nothing behind.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn run_tool(command: &mut Command) -> Result<String, String> {
    let shown = format!("{:?}", command.as_std());
    let output = command.stdin(Stdio::null()).output().await.map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{shown} failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Starts the app and reads its ready line: the app, ptvsd's port and the web server's port.
async fn start_app(python: &Path, app: &Path, secret: &str) -> Result<(Child, u16, u16), String> {
    let mut child = Command::new(python)
        .arg("-u")
        .arg(app)
        .env("WSGI_PTVSD_SECRET", secret)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the sample app: {e}"))?;
    let stdout = child.stdout.take().ok_or("the app's output is not available")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(ports) = line.strip_prefix(READY_LINE) {
                return parse_ports(ports);
            }
        }
        None
    })
    .await;
    let Ok(Some((http_port, ptvsd_port))) = ready else {
        return Err("the sample app did not start (see its errors above)".to_string());
    };
    // Keep draining the app's stdout so its prints never block.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, ptvsd_port, http_port))
}

/// `8000 ptvsd 5678` (the rest of the ready line): the web server's port, then ptvsd's.
fn parse_ports(text: &str) -> Option<(u16, u16)> {
    let (http, ptvsd) = text.trim().split_once(" ptvsd ")?;
    Some((http.parse().ok()?, ptvsd.parse().ok()?))
}

async fn http_get(port: u16, path: &str) -> Result<String, String> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_has_its_own_secret() {
        let (first, second) = (random_secret().unwrap(), random_secret().unwrap());
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
        assert_ne!(first, second);
    }

    #[test]
    fn the_ready_line_gives_both_ports() {
        assert_eq!(parse_ports("8000 ptvsd 5678"), Some((8000, 5678)));
        assert_eq!(parse_ports("8000"), None);
    }
}
