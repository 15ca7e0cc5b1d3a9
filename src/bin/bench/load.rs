//! `bench load`: one long session per ptvsd release against tests/fixtures/load_app.py, with
//! the adapter's RSS (the front and the connection owner) sampled throughout:
//!
//! ```text
//! bench ─stdio─ ptvsd-dap ─ws─ websockify ─tcp─ ptvsd (each release), on loopback, no delay
//! ```
//!
//! In one session: thousands of breakpoint stops, each inspected as VS Code does; 100 threads
//! alive and paused; a 1,000,000-element list paged as VS Code pages it; an output flood read
//! at full speed, then the same flood read by a slow editor. Writes the "## Load" section of
//! BENCHMARKS.md and asserts nothing about times.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{DapClient, Res};
use crate::procs::{self, Debuggee, Websockify};
use crate::report::{median, percentile};
use crate::scenario::{cycle, epoch_nanos, inspect, ms, resume};
use crate::sysinfo::{self, Rss};

const T: Duration = Duration::from_secs(60);
pub const SCRIPT: &str = "load_app.py";
/// The heading the section starts with; the main benchmark keeps it when it rewrites the file.
pub const HEADING: &str = "## Load";

pub struct LoadPlan {
    pub stops: usize,
    pub threads: usize,
    pub list_len: u64,
    pub output_bytes: u64,
    pub print_size: u64,
    /// The slow editor's reading speed in bytes/s (0: no slow run).
    pub slow_rate: u64,
}

#[derive(Debug, Clone, Default)]
pub struct LoadRun {
    pub rss_start: Rss,
    pub stops: Stops,
    pub threads: Threads,
    /// Why the threads phase (the last) failed, if it did.
    pub threads_failed: Option<String>,
    pub list: List,
    pub flood: Flood,
    pub slow: Option<Flood>,
    pub rss_end: Rss,
}

#[derive(Debug, Clone, Default)]
pub struct Stops {
    /// continue sent → variables of the next stop answered, per stop (ms).
    pub cycles: Vec<f64>,
    pub seconds: f64,
    /// VmRSS after so many stops.
    pub rss: Vec<(usize, Rss)>,
    pub peak: Rss,
}

#[derive(Debug, Clone, Default)]
pub struct Threads {
    /// Workers listed by name in the last `threads` answer.
    pub named: usize,
    /// The stop in one worker → every worker listed by name (ms).
    pub all_named_ms: f64,
    /// One `threads` request once all are listed (ms).
    pub threads_ms: f64,
    /// stackTrace of other workers (ms each).
    pub stacks_ms: Vec<f64>,
    /// Times a thread stayed paused after `continue`, and the bench paused and continued again.
    pub stragglers: u32,
    /// Some thread was still paused when the phase ended.
    pub still_paused: bool,
    pub rss_before: Rss,
    pub rss_after: Rss,
    pub peak: Rss,
}

#[derive(Debug, Clone, Default)]
pub struct List {
    /// `biglist` sent → variables of the stop answered (includes building the list).
    pub stop_ms: f64,
    pub indexed: u64,
    /// (start, ms) of each `variables` page request, in the order sent.
    pub pages: Vec<(u64, f64)>,
    /// Every page held the right elements.
    pub correct: bool,
    pub rss_before: Rss,
    pub rss_after: Rss,
    pub peak: Rss,
}

#[derive(Debug, Clone, Default)]
pub struct Flood {
    pub sent: u64,
    pub received: u64,
    pub dropped: u64,
    /// Command → the end marker received.
    pub seconds: f64,
    /// The debuggee's own print loop.
    pub loop_s: f64,
    pub complete: bool,
    pub rss_before: Rss,
    /// Highest VmRSS sampled every 100 ms during the flood.
    pub rss_max: Rss,
    pub rss_after: Rss,
    pub peak: Rss,
}

struct Rig {
    debuggee: Debuggee,
    _relay: Websockify,
    client: DapClient,
    url: String,
    script: PathBuf,
}

/// The ptvsd venv of `version` in the test cache.
pub fn python(cache: &Path, version: &str) -> PathBuf {
    cache.join(format!("ptvsd-{version}")).join("bin").join("python")
}

async fn start(cache: &Path, adapter: &Path, version: &str, log: &Path) -> Res<Rig> {
    let python = python(cache, version);
    let script = procs::fixture_named(SCRIPT);
    let secret = format!("Load{:x}", epoch_nanos());
    let mut last = String::new();
    for _ in 0..5 {
        let port = sysinfo::free_port();
        let mut debuggee = Debuggee::ptvsd_running(&python, &script, port, &secret)?;
        debuggee.report("ready", T).await?;
        if !sysinfo::wait_listening(debuggee.pid(), port, procs::START_TIMEOUT, || true).await {
            last = format!("ptvsd did not listen on {port}");
            continue;
        }
        let relay = Websockify::start(cache, port).await?;
        let url = format!("ws://{secret}@127.0.0.1:{}/ptvsd", relay.port);
        let client = DapClient::spawn(procs::adapter_command(adapter, &[], log)?)?;
        return Ok(Rig { debuggee, _relay: relay, client, url, script });
    }
    Err(last)
}

async fn attach(rig: &Rig) -> Res<()> {
    let c = &rig.client;
    c.request_ok(
        "initialize",
        json!({"clientID": "vscode", "clientName": "ptvsd-dap bench", "adapterID": "python", "linesStartAt1": true,
               "columnsStartAt1": true, "pathFormat": "path", "supportsVariableType": true, "supportsVariablePaging": true}),
    )
    .await?;
    let attached = c.send("attach", json!({"url": rig.url})).await?;
    c.wait_event("initialized", T, |_| true).await?;
    let mut lines = Vec::new();
    for marker in ["load_bp", "load_halt", "load_big"] {
        lines.push(json!({"line": procs::marker_line_in(&rig.script, marker)?}));
    }
    c.request_ok("setBreakpoints", json!({"source": {"path": rig.script}, "breakpoints": lines})).await?;
    c.request_ok("setExceptionBreakpoints", json!({"filters": []})).await?;
    c.request_ok("configurationDone", json!({})).await?;
    let attached =
        tokio::time::timeout(T, attached).await.map_err(|_| "no answer to attach")?.map_err(|_| "adapter gone")?;
    if attached["success"] != true {
        return Err(format!("attach failed: {}", crate::client::short(&attached.to_string())));
    }
    Ok(())
}

/// The highest VmRSS of the adapter while it runs, sampled every 100 ms.
struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Rss>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut max = Rss::default();
            loop {
                let now = sysinfo::current(pid);
                (max.front, max.owner) = (max.front.max(now.front), max.owner.max(now.owner));
                if flag.load(Ordering::SeqCst) {
                    return max;
                }
                // /proc has no change notification: sampling is the measurement.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Sampler { stop, task }
    }

    async fn finish(self) -> Rss {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap_or_default()
    }
}

/// The whole load session against one release.
pub async fn run(cache: &Path, adapter: &Path, logs: &Path, version: &str, plan: &LoadPlan) -> Res<LoadRun> {
    let log = logs.join(format!("load-{version}.adapter.log"));
    let mut rig = start(cache, adapter, version, &log).await?;
    attach(&rig).await?;
    let pid = rig.client.pid();
    let mut r = LoadRun::default();

    // Warm-up: the first stop also runs the attach stop and the release probe.
    rig.debuggee.send("loop 1").await?;
    let stop = rig.client.wait_event("stopped", T, |_| true).await?;
    inspect(&rig.client, &stop).await?;
    resume(&rig.client, &stop).await?;
    rig.debuggee.report("loop", T).await?;
    r.rss_start = sysinfo::current(pid);
    eprintln!("bench:   start: RSS {}", mib(r.rss_start));

    r.stops = stops(&mut rig, plan, pid).await?;
    r.list = list(&mut rig, plan, pid).await?;
    r.flood = flood(&mut rig, plan, pid, 0).await?;
    if plan.slow_rate > 0 {
        r.slow = Some(flood(&mut rig, plan, pid, plan.slow_rate).await?);
    }
    match threads(&mut rig, plan, pid).await {
        Ok(t) => r.threads = t,
        Err(e) => {
            eprintln!("bench:   threads: FAILED: {e}");
            r.threads_failed = Some(e);
        }
    }
    r.rss_end = sysinfo::current(pid);
    eprintln!("bench:   end: RSS {}", mib(r.rss_end));
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        rig.client.request("disconnect", json!({"terminateDebuggee": false})),
    )
    .await;
    Ok(r)
}

async fn stops(rig: &mut Rig, plan: &LoadPlan, pid: u32) -> Res<Stops> {
    let c = &rig.client;
    let mut s = Stops::default();
    sysinfo::reset_peak(pid);
    s.rss.push((0, sysinfo::current(pid)));
    let began = Instant::now();
    rig.debuggee.send(&format!("loop {}", plan.stops)).await?;
    let mut stop = c.wait_event("stopped", T, |_| true).await?;
    inspect(c, &stop).await?;
    for done in 2..=plan.stops {
        let (timing, next, _) = cycle(c, "continue", &stop).await?;
        s.cycles.push(timing.variables);
        stop = next;
        if done % 1000 == 0 {
            let rss = sysinfo::current(pid);
            eprintln!(
                "bench:   {done} stops: RSS {}, median cycle {:.2} ms",
                mib(rss),
                median(&s.cycles[s.cycles.len() - 999..])
            );
            s.rss.push((done, rss));
        }
    }
    resume(c, &stop).await?;
    rig.debuggee.report("loop", T).await?;
    s.seconds = began.elapsed().as_secs_f64();
    if !plan.stops.is_multiple_of(1000) {
        s.rss.push((plan.stops, sysinfo::current(pid)));
    }
    s.peak = sysinfo::peak(pid);
    Ok(s)
}

async fn threads(rig: &mut Rig, plan: &LoadPlan, pid: u32) -> Res<Threads> {
    let c = &rig.client;
    let mut t = Threads::default();
    sysinfo::reset_peak(pid);
    t.rss_before = sysinfo::current(pid);
    rig.debuggee.send(&format!("threads {}", plan.threads)).await?;
    rig.debuggee.report("threads", T).await?;
    c.clear_events();
    let began = Instant::now();
    rig.debuggee.send(&format!("halt worker-{:03}", plan.threads / 2)).await?;
    let stop = c.wait_event("stopped", T, |_| true).await?;
    // The other threads pause as they next run Python code (every 100 ms): ask until all are listed.
    let listed = loop {
        let list = c.request_ok("threads", json!({})).await?;
        let list = list["threads"].as_array().cloned().unwrap_or_default();
        t.named = list.iter().filter(|x| x["name"].as_str().is_some_and(|n| n.starts_with("worker-"))).count();
        if t.named >= plan.threads || began.elapsed() > T {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    t.all_named_ms = ms(began, Instant::now());
    let asked = Instant::now();
    c.request_ok("threads", json!({})).await?;
    t.threads_ms = ms(asked, Instant::now());
    let workers: Vec<&Value> =
        listed.iter().filter(|x| x["name"].as_str().is_some_and(|n| n.starts_with("worker-"))).collect();
    for worker in workers.iter().step_by((workers.len() / 10).max(1)) {
        let asked = Instant::now();
        let body = c.request_ok("stackTrace", json!({"threadId": worker["id"], "startFrame": 0, "levels": 20})).await?;
        t.stacks_ms.push(ms(asked, Instant::now()));
        if body["stackFrames"].as_array().is_none_or(Vec::is_empty) {
            return Err(format!("no frames for {}: {body}", worker["name"]));
        }
    }
    resume(c, &stop).await?;
    rig.debuggee.report("halt", T).await?;
    rig.debuggee.send("release").await?;
    // A thread still on its way to the pause when ptvsd resumes all blocks after it, for good
    // (tests/e2e_load.rs, continue_resumes_stragglers): pause and continue again, as a user would.
    // This phase runs last: whatever stays paused is freed by the detach.
    while rig.debuggee.report("release", Duration::from_secs(5)).await.is_err() {
        t.stragglers += 1;
        c.clear_events();
        c.request_ok("pause", json!({"threadId": stop["body"]["threadId"]})).await?;
        match c.wait_event("stopped", Duration::from_secs(10), |_| true).await {
            Ok(paused) if t.stragglers < 3 => resume(c, &paused).await?,
            _ => {
                t.still_paused = true;
                break;
            }
        }
    }
    t.rss_after = sysinfo::current(pid);
    t.peak = sysinfo::peak(pid);
    eprintln!(
        "bench:   threads: {} named after {:.0} ms, RSS {} → {}",
        t.named,
        t.all_named_ms,
        mib(t.rss_before),
        mib(t.rss_after)
    );
    Ok(t)
}

/// The pages VS Code asks for: the first ten as the user scrolls, a sample across the list, the last.
fn page_starts(len: u64) -> Vec<u64> {
    let last = len.saturating_sub(100) / 100 * 100;
    let mut starts: Vec<u64> = (0..10).map(|k| k * 100).filter(|s| *s < len).collect();
    starts.extend((1..10).map(|k| len * k / 10 / 100 * 100).filter(|s| *s >= 1000 && *s < last));
    starts.push(last);
    starts.dedup();
    starts
}

async fn list(rig: &mut Rig, plan: &LoadPlan, pid: u32) -> Res<List> {
    let c = &rig.client;
    let mut l = List { correct: true, ..List::default() };
    sysinfo::reset_peak(pid);
    l.rss_before = sysinfo::current(pid);
    c.clear_events();
    let began = Instant::now();
    rig.debuggee.send(&format!("biglist {}", plan.list_len)).await?;
    let stop = c.wait_event("stopped", T, |_| true).await?;
    let (_, vars) = inspect(c, &stop).await?;
    l.stop_ms = ms(began, Instant::now());
    let big = vars.iter().find(|v| v["name"] == "big").ok_or("no local `big` at the stop")?;
    l.indexed = big["indexedVariables"].as_u64().unwrap_or(0);
    for start in page_starts(plan.list_len) {
        let asked = Instant::now();
        let body = c
            .request_ok("variables", json!({"variablesReference": big["variablesReference"], "filter": "indexed", "start": start, "count": 100}))
            .await?;
        l.pages.push((start, ms(asked, Instant::now())));
        let page = body["variables"].as_array().cloned().unwrap_or_default();
        let right = page.len() as u64 == 100.min(plan.list_len - start)
            && page.iter().enumerate().all(|(k, v)| v["value"] == json!((start + k as u64).to_string()));
        l.correct &= right;
    }
    l.rss_after = sysinfo::current(pid);
    l.peak = sysinfo::peak(pid);
    resume(c, &stop).await?;
    rig.debuggee.report("biglist", T).await?;
    eprintln!(
        "bench:   list: {} pages, right: {}, RSS {} → {}",
        l.pages.len(),
        l.correct,
        mib(l.rss_before),
        mib(l.rss_after)
    );
    Ok(l)
}

/// The output flood, read at `pace` bytes/s (0: full speed).
async fn flood(rig: &mut Rig, plan: &LoadPlan, pid: u32, pace: u64) -> Res<Flood> {
    let c = &rig.client;
    let count = plan.output_bytes / plan.print_size;
    let mut f = Flood { sent: count * plan.print_size, ..Flood::default() };
    c.reset_output();
    c.set_pace(pace);
    sysinfo::reset_peak(pid);
    f.rss_before = sysinfo::current(pid);
    let sampler = Sampler::start(pid);
    let began = Instant::now();
    rig.debuggee.send(&format!("flood {} {}", f.sent, plan.print_size)).await?;
    let limit = Duration::from_secs(120 + f.sent / 200_000);
    let loop_s = rig.debuggee.report("flood", limit).await?;
    f.loop_s = loop_s.first().and_then(|w| w.parse().ok()).unwrap_or(f64::NAN);
    // A slow editor may have lost the end marker with the rest of what was dropped: the
    // debuggee prints it again until one gets through.
    loop {
        match c.wait_output_end(Duration::from_secs(1)).await {
            Ok(_) => {
                f.complete = true;
                break;
            }
            Err(error) if error.contains("closed its stdout") => return Err(error),
            Err(_) if began.elapsed() > limit => break,
            Err(_) => rig.debuggee.send("mark").await?,
        }
    }
    f.seconds = began.elapsed().as_secs_f64();
    f.rss_max = sampler.finish().await;
    c.set_pace(0);
    (f.received, _) = c.output_received();
    f.dropped = c.output_dropped();
    f.complete &= f.received >= f.sent || pace > 0;
    f.peak = sysinfo::peak(pid);
    f.rss_after = sysinfo::current(pid);
    eprintln!(
        "bench:   output{}: {:.1} MB received in {:.1} s, {:.1} MB dropped, RSS {} → max {} → {}",
        if pace > 0 { format!(" read at {:.1} MB/s", pace as f64 / 1e6) } else { String::new() },
        f.received as f64 / 1e6,
        f.seconds,
        f.dropped as f64 / 1e6,
        mib(f.rss_before),
        mib(f.rss_max),
        mib(f.rss_after)
    );
    Ok(f)
}

/// "17.7 (owner 9.8)", MiB.
fn mib(r: Rss) -> String {
    format!("{:.1} (owner {:.1})", r.sum() as f64 / 1024.0, r.owner as f64 / 1024.0)
}

/// A table row: its label and how to show one release's figure.
type Row = (String, Box<dyn Fn(&LoadRun) -> String>);

/// The section for BENCHMARKS.md: one column per release.
pub fn section(runs: &[(String, Result<LoadRun, String>)], plan: &LoadPlan, header: &str) -> String {
    let mut text = format!("{HEADING}\n\n{header}");
    let mut table = |rows: Vec<Row>| {
        text.push_str("| figure |");
        for (version, _) in runs {
            text.push_str(&format!(" ptvsd {version} |"));
        }
        text.push_str("\n|---|");
        text.push_str(&"---|".repeat(runs.len()));
        text.push('\n');
        for (name, f) in rows {
            text.push_str(&format!("| {name} |"));
            for (_, run) in runs {
                let cell = match run {
                    Ok(r) => f(r),
                    Err(_) => "failed".into(),
                };
                text.push_str(&format!(" {cell} |"));
            }
            text.push('\n');
        }
        text.push('\n');
    };
    let p = |v: &[f64], q: f64| format!("{:.1}", percentile(v, q));
    let pages = |l: &List, pick: &dyn Fn(usize, u64) -> bool| -> Vec<f64> {
        l.pages.iter().enumerate().filter(|(i, (start, _))| pick(*i, *start)).map(|(_, (_, t))| *t).collect()
    };
    let last = plan.list_len.saturating_sub(100) / 100 * 100;
    let row = |name: &str, f: Box<dyn Fn(&LoadRun) -> String>| (name.to_string(), f);
    let flood_rows = |label: &'static str, pick: fn(&LoadRun) -> Option<&Flood>| {
        let on = move |f: fn(&Flood) -> String| -> Box<dyn Fn(&LoadRun) -> String> {
            Box::new(move |r| pick(r).map_or("—".into(), f))
        };
        vec![
            row(
                &format!("{label}: MB received / MB dropped"),
                on(|f| format!("{:.1} / {:.1}", f.received as f64 / 1e6, f.dropped as f64 / 1e6)),
            ),
            row(
                &format!("{label}: MB/s reaching the editor"),
                on(|f| format!("{:.1}", f.received as f64 / 1e6 / f.seconds)),
            ),
            row(
                &format!("{label}: debuggee print loop (s) / until the last line arrived (s)"),
                on(|f| format!("{:.1} / {:.1}", f.loop_s, f.seconds)),
            ),
            row(&format!("{label}: RSS before (MiB)"), on(|f| mib(f.rss_before))),
            row(&format!("{label}: RSS, highest sample during (MiB)"), on(|f| mib(f.rss_max))),
            row(&format!("{label}: RSS after (MiB)"), on(|f| mib(f.rss_after))),
            row(&format!("{label}: peak RSS, VmHWM (MiB)"), on(|f| mib(f.peak))),
        ]
    };
    let mut rows = vec![
        row("RSS at the start, after attach and one stop (MiB)", Box::new(|r| mib(r.rss_start))),
        row(
            &format!("stops: {} continue → stop → stackTrace, scopes, variables; wall time (s)", plan.stops),
            Box::new(|r| format!("{:.1}", r.stops.seconds)),
        ),
        row(
            "stops: cycle p50 / p90 / p99 / max (ms)",
            Box::new(move |r| {
                let c = &r.stops.cycles;
                format!("{} / {} / {} / {}", p(c, 50.0), p(c, 90.0), p(c, 99.0), p(c, 100.0))
            }),
        ),
        row(
            "stops: RSS before → after (MiB)",
            Box::new(|r| {
                let first = r.stops.rss.first().map(|(_, x)| *x).unwrap_or_default();
                let last = r.stops.rss.last().map(|(_, x)| *x).unwrap_or_default();
                format!("{} → {}", mib(first), mib(last))
            }),
        ),
        row("stops: peak RSS, VmHWM (MiB)", Box::new(|r| mib(r.stops.peak))),
        row(
            &format!("list of {}: `biglist` → the stop's variables answered (ms)", plan.list_len),
            Box::new(|r| format!("{:.0}", r.list.stop_ms)),
        ),
        row(
            "list: indexedVariables announced; every page right",
            Box::new(|r| format!("{}; {}", r.list.indexed, if r.list.correct { "yes" } else { "**no**" })),
        ),
        row(
            "list: first page (fetches a block of 10) / pages 2–10 median (ms)",
            Box::new(move |r| {
                format!(
                    "{:.1} / {:.2}",
                    pages(&r.list, &|i, _| i == 0).first().copied().unwrap_or(f64::NAN),
                    median(&pages(&r.list, &|i, _| (1..10).contains(&i)))
                )
            }),
        ),
        row(
            "list: pages across the list, median / the last page (ms)",
            Box::new(move |r| {
                let far = pages(&r.list, &|i, s| i >= 10 && s != last);
                let end = pages(&r.list, &|_, s| s == last);
                format!("{:.1} / {:.1}", median(&far), end.first().copied().unwrap_or(f64::NAN))
            }),
        ),
        row(
            "list: RSS before → after (MiB); peak",
            Box::new(|r| format!("{} → {}; {}", mib(r.list.rss_before), mib(r.list.rss_after), mib(r.list.peak))),
        ),
    ];
    rows.extend(flood_rows("output, editor at full speed", |r| Some(&r.flood)));
    if plan.slow_rate > 0 {
        rows.extend(flood_rows("output, slow editor", |r| r.slow.as_ref()));
    }
    rows.extend(vec![
        row(
            "threads: phase failed",
            Box::new(|r| r.threads_failed.as_deref().map_or("no".into(), |e| format!("**{e}**"))),
        ),
        row(
            &format!("threads: the stop in one worker → all {} listed by name (ms)", plan.threads),
            Box::new(|r| format!("{:.0} ({} named)", r.threads.all_named_ms, r.threads.named)),
        ),
        row(
            "threads: `threads` request / stackTrace of another worker, median (ms)",
            Box::new(|r| format!("{:.2} / {:.2}", r.threads.threads_ms, median(&r.threads.stacks_ms))),
        ),
        row(
            "threads: `continue` left a thread paused: pause + continue rounds; still paused after them",
            Box::new(|r| {
                format!("{}; {}", r.threads.stragglers, if r.threads.still_paused { "**yes**" } else { "no" })
            }),
        ),
        row(
            "threads: RSS before → after (MiB); peak",
            Box::new(|r| {
                format!("{} → {}; {}", mib(r.threads.rss_before), mib(r.threads.rss_after), mib(r.threads.peak))
            }),
        ),
    ]);
    rows.push(row("RSS at the end of the session (MiB)", Box::new(|r| mib(r.rss_end))));
    table(rows);

    // RSS through the stops.
    let marks: Vec<usize> =
        runs.iter().filter_map(|(_, r)| r.as_ref().ok()).flat_map(|r| r.stops.rss.iter().map(|(n, _)| *n)).collect();
    let mut marks: Vec<usize> = marks.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    marks.sort_unstable();
    let rows = marks
        .into_iter()
        .map(|n| {
            let f: Box<dyn Fn(&LoadRun) -> String> =
                Box::new(move |r| r.stops.rss.iter().find(|(k, _)| *k == n).map_or("—".into(), |(_, x)| mib(*x)));
            (format!("RSS after {n} stops (MiB)"), f)
        })
        .collect();
    table(rows);
    for (version, run) in runs {
        if let Err(e) = run {
            text.push_str(&format!("- ptvsd {version} failed: {e}\n"));
        }
    }
    text
}

/// `old` with its load section replaced by `section` (added at the end if it had none).
pub fn splice(old: &str, section: &str) -> String {
    let section = section.trim_end();
    match find_section(old) {
        Some((from, to)) => format!(
            "{}{section}\n{}",
            &old[..from],
            if to < old.len() { format!("\n{}", &old[to..]) } else { String::new() }
        ),
        None => format!("{}\n\n{section}\n", old.trim_end()),
    }
}

/// Byte range of the load section: from its heading to the next `## ` heading or the end.
fn find_section(text: &str) -> Option<(usize, usize)> {
    let from = if text.starts_with(&format!("{HEADING}\n")) { 0 } else { text.find(&format!("\n{HEADING}\n"))? + 1 };
    let to = text[from + HEADING.len()..].find("\n## ").map_or(text.len(), |i| from + HEADING.len() + i + 1);
    Some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_added() {
        let doc = "# B\n\n## Results\n\nr\n\n## Load\n\nold\n\n## Reading\n\nx\n";
        let new = splice(doc, "## Load\n\nnew\n");
        assert_eq!(new, "# B\n\n## Results\n\nr\n\n## Load\n\nnew\n\n## Reading\n\nx\n");
        assert_eq!(splice("# B\n", "## Load\n\nnew"), "# B\n\n## Load\n\nnew\n");
        assert_eq!(splice("# B\n\n## Load\n\nold\n", "## Load\n\nnew"), "# B\n\n## Load\n\nnew\n");
        assert_eq!(page_starts(1_000_000).last(), Some(&999_900));
        assert_eq!(page_starts(1_000_000).len(), 20);
    }
}
