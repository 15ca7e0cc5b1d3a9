//! One contender at one delay: attach, then steps, the breakpoint loop, expanding the list and
//! the dict, and the output burst, with the adapter's peak RSS for each phase.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{received_at, DapClient, Res};
use crate::procs::{self, Debuggee, Websockify};
use crate::proxy::{DelayProxy, Traffic};
use crate::sysinfo::{self, Rss};

const T: Duration = Duration::from_secs(60);

/// The ptvsd releases measured: one per wire generation (protocol 6, and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    V300,
    V321,
}

impl Release {
    pub fn version(self) -> &'static str {
        match self {
            Release::V300 => "3.0.0",
            Release::V321 => "3.2.1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    PtvsdDap(Release),
    /// ptvsd alone through the same link, driven by the raw client (floor.rs): the floor.
    Floor(Release),
    /// The floor without websockify: `tcp://` through the delay proxy straight to ptvsd, which
    /// tells the relay's share from ptvsd's.
    FloorTcp(Release),
    /// The stop cycle with the bench's echo adapter (echo.rs) on stdio and no debuggee: what
    /// any adapter behind the editor's stdio costs.
    StdioFloor,
    /// A measurement, not a way to run: ptvsd-dap's connection owner started by the bench
    /// itself, without the front that relays the editor's stdio; stop cycles only.
    OwnerDirect(Release),
    Debugpy,
}

impl Contender {
    pub fn label(self) -> String {
        match self {
            Contender::PtvsdDap(release) => format!("ptvsd-dap + ptvsd {}", release.version()),
            Contender::Floor(release) => format!("floor: raw ptvsd {}", release.version()),
            Contender::FloorTcp(release) => {
                format!("floor without the relay: raw ptvsd {} over tcp", release.version())
            }
            Contender::StdioFloor => "stdio floor: the echo adapter".into(),
            Contender::OwnerDirect(release) => {
                format!("measurement: ptvsd-dap's owner without the front + ptvsd {}", release.version())
            }
            Contender::Debugpy => "debugpy".into(),
        }
    }

    pub fn is_floor(self) -> bool {
        matches!(self, Contender::Floor(_) | Contender::FloorTcp(_) | Contender::StdioFloor)
    }

    /// Measured for the stop cycle only (no expansions, output or memory), shown in the
    /// breakdown and the targets, not in the per-delay table.
    pub fn measures_stop_cycle_only(self) -> bool {
        matches!(self, Contender::StdioFloor | Contender::OwnerDirect(_))
    }

    /// For file names.
    pub fn tag(self) -> String {
        match self {
            Contender::PtvsdDap(release) => format!("ptvsd-dap-{}", release.version()),
            Contender::Floor(release) => format!("floor-{}", release.version()),
            Contender::FloorTcp(release) => format!("floor-tcp-{}", release.version()),
            Contender::StdioFloor => "stdio-floor".into(),
            Contender::OwnerDirect(release) => format!("owner-direct-{}", release.version()),
            Contender::Debugpy => "debugpy".into(),
        }
    }
}

/// What every run shares.
pub struct Env {
    pub cache: PathBuf,
    pub adapter: PathBuf,
    pub debugpy: PathBuf,
    pub logs: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: usize,
    pub output_bytes: u64,
    pub print_size: u64,
}

/// Timestamps of one stop cycle, in ms after the command (`next` or `continue`) was sent. The
/// floor has no answers to wait for: its `stopped` and `variables` are both the stop event
/// decoded (after the frames with their locals, which ptvsd sends first), the rest NaN.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cycle {
    pub response: f64,
    pub stopped: f64,
    pub stack: f64,
    pub scopes: f64,
    pub variables: f64,
    /// The stdio floor only: how late its timer woke before it sent `stopped`, in µs (NaN).
    pub timer_late_us: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Expand {
    pub ms: f64,
    pub requests: u32,
    pub elements: usize,
    pub complete: bool,
    pub traffic: Traffic,
}

#[derive(Debug, Clone, Default)]
pub struct OutputRun {
    pub sent: u64,
    pub received: u64,
    pub events: u64,
    pub seconds: f64,
    pub complete: bool,
    /// The debuggee's own view: its print loop, its longest print, its time in prints > 10 ms.
    pub loop_s: f64,
    pub longest_print_s: f64,
    pub stalled_s: f64,
    /// The floor only: the same print loop in a debuggee that nobody attached to.
    pub loop_unattached_s: f64,
    /// CPU seconds spent during the phase: the adapter's front and its owner (the floor: NaN
    /// and its reader thread), the debuggee, the relay.
    pub cpu_front: f64,
    pub cpu_owner: f64,
    pub cpu_debuggee: f64,
    pub cpu_relay: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Session {
    pub initialize_ms: f64,
    /// ms after `initialize` was sent: `initialized` received, `setBreakpoints` answered.
    pub initialized_ms: f64,
    pub breakpoints_ms: f64,
    pub attach_ms: f64,
    pub steps: Vec<Cycle>,
    pub breakpoints: Vec<Cycle>,
    /// The delayed link's traffic during the measured steps and breakpoint hits.
    pub steps_traffic: Traffic,
    pub breakpoints_traffic: Traffic,
    /// The list as VS Code shows it (the pages of 100 that `indexedVariables` announces), and
    /// with one `variables` request (editors that ignore paging: nvim-dap, Helix).
    pub list: Expand,
    pub list_whole: Expand,
    pub dict: Expand,
    pub output: OutputRun,
    pub rss_attach: Rss,
    pub rss_idle: Rss,
    pub rss_idle_anon: Rss,
    pub pss_idle: Rss,
    /// After the stop and a quiet spell long enough for ptvsd-dap to let go of its code pages.
    pub rss_quiet: Rss,
    pub pss_quiet: Rss,
    pub rss_steps: Rss,
    pub rss_breakpoints: Rss,
    pub rss_expand: Rss,
    pub rss_output: Rss,
}

/// A ptvsd debuggee with websockify next to it and the delay proxy in front: the App Service
/// layout every ptvsd contender goes through (but [`Contender::FloorTcp`], without websockify).
pub struct PtvsdSite {
    pub debuggee: Debuggee,
    pub relay: Option<Websockify>,
    pub proxy: DelayProxy,
    /// `ws://<secret>@127.0.0.1:<proxy>/ptvsd`, or `tcp://<secret>@127.0.0.1:<proxy>`.
    pub url: String,
}

/// How the delay proxy reaches ptvsd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Websockify,
    Tcp,
}

pub async fn start_ptvsd_site(env: &Env, release: Release, delay: Duration, via: Via) -> Res<PtvsdSite> {
    let python = ptvsd_python(env, release);
    let secret = format!("Bench{:x}", epoch_nanos());
    let mut last = String::new();
    for _ in 0..5 {
        let port = sysinfo::free_port();
        let mut debuggee = Debuggee::ptvsd(&python, port, &secret)?;
        debuggee.report("ready", T).await?;
        if !sysinfo::wait_listening(debuggee.pid(), port, procs::START_TIMEOUT, || true).await {
            last = format!("ptvsd did not listen on {port}");
            continue;
        }
        let relay = match via {
            Via::Websockify => Some(Websockify::start(&env.cache, port).await?),
            Via::Tcp => None,
        };
        let proxy = DelayProxy::start(relay.as_ref().map_or(port, |r| r.port), delay).map_err(|e| e.to_string())?;
        let url = match via {
            Via::Websockify => format!("ws://{secret}@127.0.0.1:{}/ptvsd", proxy.port()),
            Via::Tcp => format!("tcp://{secret}@127.0.0.1:{}", proxy.port()),
        };
        return Ok(PtvsdSite { debuggee, relay, proxy, url });
    }
    Err(last)
}

pub fn ptvsd_python(env: &Env, release: Release) -> PathBuf {
    env.cache.join(format!("ptvsd-{}", release.version())).join("bin").join("python")
}

/// The debuggee, the relay and the delay in front of it, and the adapter.
struct Rig {
    debuggee: Debuggee,
    _relay: Option<Websockify>,
    proxy: DelayProxy,
    client: DapClient,
    attach: Value,
    /// The debuggee dialled the proxy (debugpy): its "up" direction is towards the adapter.
    reversed: bool,
}

impl Rig {
    /// The link's traffic since `before`, "up" towards the debuggee whoever dialled.
    fn traffic_since(&self, before: Traffic) -> Traffic {
        let traffic = self.proxy.traffic().since(before);
        if self.reversed {
            traffic.swapped()
        } else {
            traffic
        }
    }
}

/// `args` start ptvsd-dap as editors do (none: the front), or as the owner alone.
async fn ptvsd_dap_rig(env: &Env, release: Release, args: &[&str], delay: Duration, log: &Path) -> Res<Rig> {
    let PtvsdSite { debuggee, relay, proxy, url } = start_ptvsd_site(env, release, delay, Via::Websockify).await?;
    let client = DapClient::spawn(procs::adapter_command(&env.adapter, args, log)?)?;
    Ok(Rig { debuggee, _relay: relay, proxy, client, attach: json!({"url": url}), reversed: false })
}

async fn debugpy_rig(env: &Env, delay: Duration, log: &Path) -> Res<Rig> {
    let python = env.debugpy.join("bin").join("python");
    let mut debuggee = Debuggee::debugpy(&python)?;
    debuggee.report("ready", T).await?;
    let listen = sysinfo::free_port();
    let proxy = DelayProxy::start(listen, delay).map_err(|e| e.to_string())?;
    let attach = json!({"listen": {"host": "127.0.0.1", "port": listen}, "justMyCode": false, "redirectOutput": true});
    let client = DapClient::spawn(procs::adapter_command(&python, &["-m", "debugpy.adapter"], log)?)?;
    Ok(Rig { debuggee, _relay: None, proxy, client, attach, reversed: true })
}

pub fn epoch_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

pub fn ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

/// The attach of `rig`'s adapter (see [`attach`]); debugpy's is dialled by the debuggee.
async fn attach_rig(rig: &mut Rig, who: Contender, s: &mut Session) -> Res<()> {
    let (c, debuggee, port) = (&rig.client, &mut rig.debuggee, rig.proxy.port());
    let dial = async move {
        if who == Contender::Debugpy {
            // The adapter listens for the server now: the debuggee dials it through the proxy.
            c.wait_event("debugpyWaitingForServer", T, |_| true).await?;
            debuggee.send(&format!("connect {port}")).await?;
        }
        Ok(())
    };
    attach(c, rig.attach.clone(), dial, s).await
}

/// initialize → attach → `initialized` → setBreakpoints → setExceptionBreakpoints →
/// configurationDone, as VS Code sends them; `dial` runs once `attach` is sent. Fills the attach
/// figures of `s`.
async fn attach(
    c: &DapClient,
    arguments: Value,
    dial: impl std::future::Future<Output = Res<()>>,
    s: &mut Session,
) -> Res<()> {
    let start = Instant::now();
    let init = c
        .request(
            "initialize",
            json!({"clientID": "vscode", "clientName": "ptvsd-dap bench", "adapterID": "python", "linesStartAt1": true,
                   "columnsStartAt1": true, "pathFormat": "path", "supportsVariableType": true, "supportsVariablePaging": true,
                   "supportsRunInTerminalRequest": false, "supportsProgressReporting": false}),
        )
        .await?;
    if init["success"] != true {
        return Err(format!("initialize failed: {init}"));
    }
    s.initialize_ms = ms(start, received_at(&init));
    let attach_rx = c.send("attach", arguments).await?;
    dial.await?;
    let initialized = c.wait_event("initialized", T, |_| true).await?;
    s.initialized_ms = ms(start, received_at(&initialized));
    let lines = [procs::marker_line("bench_bp")?, procs::marker_line("bench_step_start")?];
    let source = procs::fixture().to_string_lossy().into_owned();
    let bps: Vec<Value> = lines.iter().map(|l| json!({"line": l})).collect();
    let set = c.request("setBreakpoints", json!({"source": {"path": source}, "breakpoints": bps})).await?;
    if set["success"] != true {
        return Err(format!("setBreakpoints failed: {set}"));
    }
    s.breakpoints_ms = ms(start, received_at(&set));
    c.request_ok("setExceptionBreakpoints", json!({"filters": []})).await?;
    let done = c.request("configurationDone", json!({})).await?;
    if done["success"] != true {
        return Err(format!("configurationDone failed: {done}"));
    }
    s.attach_ms = ms(start, received_at(&done));
    let attached =
        tokio::time::timeout(T, attach_rx).await.map_err(|_| "no answer to attach")?.map_err(|_| "adapter gone")?;
    if attached["success"] != true {
        return Err(format!("attach failed: {}", crate::client::short(&attached.to_string())));
    }
    Ok(())
}

/// After a `stopped` event: stackTrace, scopes, variables of the top frame, in that order.
/// Returns the arrival time of each answer and the variables.
pub async fn inspect(c: &DapClient, stopped: &Value) -> Res<([Instant; 3], Vec<Value>)> {
    let thread = &stopped["body"]["threadId"];
    let stack = c.request("stackTrace", json!({"threadId": thread, "startFrame": 0, "levels": 20})).await?;
    let frame = stack["body"]["stackFrames"][0]["id"].clone();
    if frame.is_null() {
        return Err(format!("stackTrace without frames: {}", crate::client::short(&stack.to_string())));
    }
    let scopes = c.request("scopes", json!({"frameId": frame})).await?;
    let reference = scopes["body"]["scopes"][0]["variablesReference"].clone();
    let variables = c.request("variables", json!({"variablesReference": reference})).await?;
    let vars = variables["body"]["variables"].as_array().cloned().ok_or("variables without a list")?;
    Ok(([received_at(&stack), received_at(&scopes), received_at(&variables)], vars))
}

/// `command` (next or continue) on the stopped thread → the next stop → the three requests.
pub async fn cycle(c: &DapClient, command: &str, stopped: &Value) -> Res<(Cycle, Value, Vec<Value>)> {
    c.clear_events();
    let start = Instant::now();
    let rx = c.send(command, json!({"threadId": stopped["body"]["threadId"]})).await?;
    let next_stop = c.wait_event("stopped", T, |_| true).await?;
    let response = tokio::time::timeout(T, rx)
        .await
        .map_err(|_| format!("no answer to {command}"))?
        .map_err(|_| "adapter gone")?;
    if response["success"] != true {
        return Err(format!("{command} failed: {response}"));
    }
    let ([stack, scopes, variables], vars) = inspect(c, &next_stop).await?;
    let timing = Cycle {
        response: ms(start, received_at(&response)),
        stopped: ms(start, received_at(&next_stop)),
        stack: ms(start, stack),
        scopes: ms(start, scopes),
        variables: ms(start, variables),
        timer_late_us: next_stop["body"][crate::echo::TIMER_LATE].as_f64().unwrap_or(f64::NAN),
    };
    Ok((timing, next_stop, vars))
}

/// `n` cycles of `command` from `stop`, as [`cycle`] times them: the timings, the last stop
/// and its variables.
async fn cycles(c: &DapClient, command: &str, mut stop: Value, n: usize) -> Res<(Vec<Cycle>, Value, Vec<Value>)> {
    let mut timings = Vec::with_capacity(n);
    let mut vars = Vec::new();
    for _ in 0..n {
        let (timing, next, next_vars) = cycle(c, command, &stop).await?;
        timings.push(timing);
        (stop, vars) = (next, next_vars);
    }
    Ok((timings, stop, vars))
}

pub async fn resume(c: &DapClient, stopped: &Value) -> Res<()> {
    c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]})).await.map(|_| ())
}

/// The whole run of one contender at one delay; `full` false stops after the attach.
pub async fn run(env: &Env, who: Contender, delay: Duration, plan: &Plan, full: bool, tag: &str) -> Res<Session> {
    let log = env.logs.join(format!("{tag}.adapter.log"));
    let mut rig = match who {
        Contender::PtvsdDap(release) => ptvsd_dap_rig(env, release, &[], delay, &log).await?,
        Contender::OwnerDirect(release) => {
            ptvsd_dap_rig(env, release, &[ptvsd_dap::process::OWNER_FLAG], delay, &log).await?
        }
        Contender::StdioFloor => return stdio_floor(delay, plan, full, &log).await,
        Contender::Debugpy => debugpy_rig(env, delay, &log).await?,
        Contender::Floor(release) => return crate::floor::run(env, release, Via::Websockify, delay, plan, full).await,
        Contender::FloorTcp(release) => return crate::floor::run(env, release, Via::Tcp, delay, plan, full).await,
    };
    let pid = rig.client.pid();
    let mut s = Session::default();
    attach_rig(&mut rig, who, &mut s).await?;
    s.rss_attach = sysinfo::peak(pid);
    if full {
        let phases_run = if who.measures_stop_cycle_only() { Phases::StopCycles } else { Phases::All };
        phases(&mut rig, plan, &mut s, pid, phases_run).await?;
    }
    disconnect(&rig.client).await;
    Ok(s)
}

async fn disconnect(c: &DapClient) {
    let _ = tokio::time::timeout(Duration::from_secs(10), c.request("disconnect", json!({"terminateDebuggee": false})))
        .await;
}

/// The stdio floor: the bench's echo adapter (echo.rs) in place of an adapter, attached and
/// driven by the same client code as the others; its stops come 2D after each command, from
/// its timer, with ptvsd-dap's answers for bench_app.py. No debuggee, no link. `full` false
/// stops after the attach.
async fn stdio_floor(delay: Duration, plan: &Plan, full: bool, log: &Path) -> Res<Session> {
    let bench = std::env::current_exe().map_err(|e| format!("the bench's own executable: {e}"))?;
    let one_way_us = delay.as_micros().to_string();
    let command = procs::adapter_command(&bench, &["echo-adapter", "--one-way-us", &one_way_us], log)?;
    let c = DapClient::spawn(command)?;
    let mut s = Session::default();
    attach(&c, json!({"echo": true}), async { Ok(()) }, &mut s).await?;
    if !full {
        disconnect(&c).await;
        return Ok(s);
    }
    // Its first stop comes with the end of the configuration: the warm-up, as for the others.
    let first = c.wait_event("stopped", T, |_| true).await?;
    inspect(&c, &first).await?;
    let (steps, stop, _) = cycles(&c, "next", first, plan.steps).await?;
    let (breakpoints, _, _) = cycles(&c, "continue", stop, plan.steps).await?;
    (s.steps, s.breakpoints) = (steps, breakpoints);
    disconnect(&c).await;
    Ok(s)
}

/// How long the memory is left alone after the warm-up stop for the "quiet" figures: a second
/// more than ptvsd-dap waits before it lets go of its code pages.
pub const QUIET: Duration = Duration::from_secs(ptvsd_dap::process::working_set::IDLE_BEFORE_RELEASE.as_secs() + 1);

/// How much of the session a run measures after the attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phases {
    /// Steps and the breakpoint loop.
    StopCycles,
    /// Also the expansions, the output burst and the memory of each phase.
    All,
}

async fn phases(rig: &mut Rig, plan: &Plan, s: &mut Session, pid: u32, run: Phases) -> Res<()> {
    // Warm-up: the first stop after attach also runs each adapter's one-time work (ptvsd-dap's
    // attach stop and release probe, debugpy's first suspend).
    rig.debuggee.send("loop 1").await?;
    let stop = rig.client.wait_event("stopped", T, |_| true).await?;
    inspect(&rig.client, &stop).await?;
    resume(&rig.client, &stop).await?;
    rig.debuggee.report("loop", T).await?;
    s.rss_idle = sysinfo::current(pid);
    s.rss_idle_anon = sysinfo::current_anon(pid);
    s.pss_idle = sysinfo::current_pss(pid);
    if run == Phases::All {
        // Idle as a user reading the code leaves it: nothing either way for a while.
        tokio::time::sleep(QUIET).await;
        s.rss_quiet = sysinfo::current(pid);
        s.pss_quiet = sysinfo::current_pss(pid);
    }

    // Steps, then the expansions at the last step's stop.
    sysinfo::reset_peak(pid);
    rig.debuggee.send(&format!("steps {}", plan.steps + 3)).await?;
    let first = rig.client.wait_event("stopped", T, |_| true).await?;
    inspect(&rig.client, &first).await?;
    let before = rig.proxy.traffic();
    let (steps, stop, vars) = cycles(&rig.client, "next", first, plan.steps).await?;
    s.steps = steps;
    s.steps_traffic = rig.traffic_since(before);
    s.rss_steps = sysinfo::peak(pid);
    if run == Phases::All {
        sysinfo::reset_peak(pid);
        s.list = expand(rig, &vars, "items", 1000, true).await?;
        s.list_whole = expand(rig, &vars, "items", 1000, false).await?;
        s.dict = expand(rig, &vars, "table", 100, true).await?;
        s.rss_expand = sysinfo::peak(pid);
    }
    resume(&rig.client, &stop).await?;
    rig.debuggee.report("steps", T).await?;

    // The breakpoint loop: one unmeasured hit, then `steps` measured ones.
    sysinfo::reset_peak(pid);
    rig.debuggee.send(&format!("loop {}", plan.steps + 1)).await?;
    let first = rig.client.wait_event("stopped", T, |_| true).await?;
    inspect(&rig.client, &first).await?;
    let before = rig.proxy.traffic();
    let (breakpoints, stop, _) = cycles(&rig.client, "continue", first, plan.steps).await?;
    s.breakpoints = breakpoints;
    s.breakpoints_traffic = rig.traffic_since(before);
    resume(&rig.client, &stop).await?;
    rig.debuggee.report("loop", T).await?;
    s.rss_breakpoints = sysinfo::peak(pid);
    if run == Phases::StopCycles {
        return Ok(());
    }

    // The output burst.
    sysinfo::reset_peak(pid);
    s.output = output(rig, plan).await?;
    s.rss_output = sysinfo::peak(pid);
    Ok(())
}

/// Whether a child's name stands for an element of the collection (not `len()`, not a group).
fn is_element(name: &str, list: bool) -> bool {
    if list {
        name.trim_matches(['[', ']']).parse::<usize>().is_ok()
    } else {
        name.contains("key")
    }
}

/// Expands `name` as the editor does when the user clicks it: `variables` on its reference,
/// then whatever more it offers: the pages announced by `indexedVariables` (100 at a time, as
/// VS Code asks), or debugpy's "more" child (its next 100), until every element is shown.
async fn expand(rig: &Rig, vars: &[Value], name: &str, len: usize, paged: bool) -> Res<Expand> {
    let var = vars.iter().find(|v| v["name"] == name).ok_or_else(|| format!("no local `{name}` at the stop"))?;
    let list = name == "items";
    let before = rig.proxy.traffic();
    let start = Instant::now();
    let mut e = Expand::default();
    let mut last = start;
    let indexed = if paged { var["indexedVariables"].as_u64().unwrap_or(0) as usize } else { 0 };
    let mut queue: Vec<Value> = if indexed > 0 {
        (0..indexed)
            .step_by(100)
            .map(|page| json!({"variablesReference": var["variablesReference"], "filter": "indexed", "start": page, "count": 100.min(indexed - page)}))
            .collect()
    } else {
        vec![json!({"variablesReference": var["variablesReference"]})]
    };
    while !queue.is_empty() {
        let args = queue.remove(0);
        let response = rig.client.request("variables", args).await?;
        e.requests += 1;
        last = received_at(&response);
        let children = response["body"]["variables"].as_array().cloned().unwrap_or_default();
        e.elements += children.iter().filter(|c| is_element(c["name"].as_str().unwrap_or(""), list)).count();
        if let Some(more) =
            children.iter().find(|c| c["name"] == "more" && c["variablesReference"].as_u64().unwrap_or(0) > 0)
        {
            queue.push(json!({"variablesReference": more["variablesReference"]}));
        }
        if std::env::var_os("BENCH_DEBUG").is_some() {
            let names: Vec<&str> = children.iter().filter_map(|c| c["name"].as_str()).collect();
            eprintln!(
                "  expand {name}: {} children: {:?} ... {:?}",
                names.len(),
                &names[..names.len().min(4)],
                &names[names.len().saturating_sub(3)..]
            );
        }
    }
    e.ms = ms(start, last);
    e.complete = e.elements >= len;
    e.traffic = rig.traffic_since(before);
    Ok(e)
}

async fn output(rig: &mut Rig, plan: &Plan) -> Res<OutputRun> {
    let c = &rig.client;
    c.reset_output();
    let count = plan.output_bytes / plan.print_size;
    let mut o = OutputRun { sent: count * plan.print_size, ..OutputRun::default() };
    let pids = (c.pid(), rig.debuggee.pid(), rig._relay.as_ref().map_or(0, |r| r.pid()));
    let total = |(own, children): (f64, f64)| own + children;
    let cpu = |(a, d, r): (u32, u32, u32)| {
        (
            sysinfo::cpu_seconds(a),
            total(sysinfo::cpu_seconds(d)),
            if r > 0 { total(sysinfo::cpu_seconds(r)) } else { 0.0 },
        )
    };
    let cpu_before = cpu(pids);
    let start = Instant::now();
    rig.debuggee.send(&format!("output {} {}", o.sent, plan.print_size)).await?;
    let limit = output_limit(o.sent);
    match c.wait_output_end(limit).await {
        Ok(_) => o.complete = true,
        Err(error) => eprintln!("  output: {error}"),
    }
    o.seconds = start.elapsed().as_secs_f64();
    (o.received, o.events) = c.output_received();
    let cpu_after = cpu(pids);
    (o.cpu_front, o.cpu_owner) = (cpu_after.0 .0 - cpu_before.0 .0, cpu_after.0 .1 - cpu_before.0 .1);
    (o.cpu_debuggee, o.cpu_relay) = (cpu_after.1 - cpu_before.1, cpu_after.2 - cpu_before.2);
    let words = rig.debuggee.report("output", limit).await?;
    (o.loop_s, o.longest_print_s, o.stalled_s) = print_figures(&words);
    Ok(o)
}

/// How long an output burst of `bytes` may take: generous (0.2 MB/s still finishes); a slower
/// contender is reported as incomplete.
pub fn output_limit(bytes: u64) -> Duration {
    Duration::from_secs(60 + bytes / 200_000)
}

/// The debuggee's own report of an output burst: loop seconds, its longest print, its time in
/// prints over 10 ms.
pub fn print_figures(words: &[String]) -> (f64, f64, f64) {
    let num = |i: usize| words.get(i).and_then(|w| w.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (num(0), num(1), num(2))
}
