//! The benchmark of ptvsd-dap against debugpy over a link with injected latency.
//!
//! For each one-way delay and each contender, on loopback:
//!
//! ```text
//! ptvsd-dap:  bench ─stdio─ ptvsd-dap ─ws─ delay proxy ─ websockify ─tcp─ ptvsd (3.0.0 | 3.2.1)
//! floor:      bench's raw ptvsd client ─ws─ delay proxy ─ websockify ─tcp─ ptvsd (3.0.0 | 3.2.1)
//!             (and ─tcp─ delay proxy ─ ptvsd, without websockify)
//! debugpy:    bench ─stdio─ python -m debugpy.adapter ─tcp─ delay proxy ─ debugpy.connect() in the debuggee
//! stdio floor: bench ─stdio─ bench echo-adapter (sleeps 2D in place of the link; no debuggee)
//! owner without the front: bench ─stdio─ ptvsd-dap --connection-owner ─ws─ ... as ptvsd-dap
//! ```
//!
//! The floor (floor.rs) is ptvsd alone, driven by the least a debugger must do: what remains of
//! each figure without the adapter, so that ptvsd-dap − floor is the adapter's own share. The
//! stdio floor (echo.rs) is the other side's: a stop cycle with an adapter that does nothing but
//! answer, so that its cycle − 2D is what any adapter behind the editor's stdio costs. The owner
//! without the front is a measurement, not a way to run: ptvsd-dap − it is the front's relay.
//!
//! The bench plays VS Code: after every `stopped` it sends stackTrace, scopes and variables of
//! the top frame, in that order. It measures steps, a breakpoint loop, the attach, expanding a
//! 1,000-element list and a 100-key dict, an output burst, and the adapter's RSS (from /proc:
//! the process the editor started and its descendants, i.e. ptvsd-dap's connection owner), then
//! prints a table with each ptvsd-dap figure / debugpy's, and writes it to BENCHMARKS.md.
//! It asserts nothing about times: `--short` is what CI runs to prove it works.
//!
//! `bench load` is the load run instead (see load.rs): a long session per ptvsd release.

mod client;
mod echo;
mod floor;
mod load;
mod procs;
mod proxy;
mod report;
mod scenario;
mod sections;
mod sysinfo;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;

use report::Measured;
use scenario::{Contender, Env, Plan, Release};

#[derive(Parser, Debug)]
#[command(about = "Benchmark ptvsd-dap against debugpy over a link with injected latency")]
struct Args {
    /// One delay (25 ms), 10 steps, 5 MB of output, one attach: a quick proof that it works.
    #[arg(long)]
    short: bool,
    /// One-way delays in ms, applied in both directions.
    #[arg(long, value_delimiter = ',')]
    delays: Option<Vec<u64>>,
    /// Steps and breakpoint hits measured per run (at least 50 for the published figures).
    #[arg(long)]
    steps: Option<usize>,
    /// Attaches measured per contender and delay (each with a fresh debuggee).
    #[arg(long)]
    attaches: Option<usize>,
    /// Program output printed in the output phase, in MB (10^6 bytes).
    #[arg(long)]
    output_mb: Option<u64>,
    /// Size of each print() of the output phase, in bytes (newline included).
    #[arg(long, default_value_t = 4096)]
    print_size: u64,
    /// Where to write the report (relative to the repository root).
    #[arg(long, default_value = "BENCHMARKS.md", global = true)]
    out: PathBuf,
    /// The ptvsd-dap binary (default: built with `cargo build --release --bin ptvsd-dap`).
    #[arg(long, global = true)]
    adapter: Option<PathBuf>,
    #[command(subcommand)]
    mode: Option<Mode>,
}

#[derive(clap::Subcommand, Debug)]
enum Mode {
    /// The load run: per ptvsd release, one session with thousands of stops, 100 threads, a
    /// 1,000,000-element list paged and an output flood, with the adapter's RSS throughout;
    /// writes the "Load" section of BENCHMARKS.md.
    Load(LoadArgs),
    /// Internal: the stdio floor's adapter, which only answers, on stdin/stdout (echo.rs).
    #[command(hide = true)]
    EchoAdapter {
        /// The one-way delay D in microseconds: `stopped` comes 2D after `next`/`continue`.
        #[arg(long)]
        one_way_us: u64,
    },
}

#[derive(clap::Args, Debug)]
struct LoadArgs {
    /// The ptvsd releases to run against, each in its own session.
    #[arg(long, value_delimiter = ',', default_value = "2.2.0,3.0.0,3.1.0,3.2.1")]
    release: Vec<String>,
    /// 500 stops, a 100,000-element list, 10 MB of output: a quick proof that it works.
    #[arg(long)]
    short: bool,
    /// Breakpoint stops in the session (10,000 for the published figures).
    #[arg(long)]
    stops: Option<usize>,
    /// Threads alive when one of them stops.
    #[arg(long, default_value_t = 100)]
    threads: usize,
    /// Length of the list that is paged.
    #[arg(long)]
    list: Option<u64>,
    /// Program output of the flood, in MB (10^6 bytes).
    #[arg(long)]
    output_mb: Option<u64>,
    /// Size of each print() of the flood, in bytes (newline included, at least 16).
    #[arg(long, default_value_t = 4096)]
    print_size: u64,
    /// The slow editor's reading speed for the second flood, in MB/s (0: no slow run).
    #[arg(long, default_value_t = 2.0)]
    slow_mbps: f64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // Blocking and single-threaded: no runtime.
    if let Some(Mode::EchoAdapter { one_way_us }) = args.mode {
        return echo::main(one_way_us);
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The ptvsd-dap binary next to this one, built now so that it matches the tree.
fn build_adapter() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe.parent().ok_or("no exe dir")?.to_path_buf();
    let target_dir = profile_dir.parent().ok_or("no target dir")?;
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["build", "--bin", "ptvsd-dap"]).current_dir(procs::repo_root()).env("CARGO_TARGET_DIR", target_dir);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --bin ptvsd-dap failed: {status}"));
    }
    Ok(profile_dir.join("ptvsd-dap"))
}

async fn run(args: Args) -> Result<(), String> {
    if let Some(Mode::Load(load)) = &args.mode {
        return run_load(&args, load).await;
    }
    let delays = args.delays.clone().unwrap_or(if args.short { vec![25] } else { vec![0, 25, 50] });
    let plan = Plan {
        steps: args.steps.unwrap_or(if args.short { 10 } else { 50 }),
        output_bytes: args.output_mb.unwrap_or(if args.short { 5 } else { 50 }) * 1_000_000,
        print_size: args.print_size.max(2),
    };
    let attaches = args.attaches.unwrap_or(if args.short { 1 } else { 3 }).max(1);
    let adapter = match &args.adapter {
        Some(path) => path.clone(),
        None => build_adapter()?,
    };
    let cache = procs::test_env()?;
    let debugpy = procs::ensure_debugpy(&cache)?;
    let logs = std::env::temp_dir().join(format!("ptvsd-dap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    let env = Env { cache, adapter, debugpy, logs };
    let contenders = [
        Contender::PtvsdDap(Release::V300),
        Contender::OwnerDirect(Release::V300),
        Contender::Floor(Release::V300),
        Contender::FloorTcp(Release::V300),
        Contender::PtvsdDap(Release::V321),
        Contender::OwnerDirect(Release::V321),
        Contender::Floor(Release::V321),
        Contender::FloorTcp(Release::V321),
        Contender::StdioFloor,
        Contender::Debugpy,
    ];
    // Measurements only: building the adapter and preparing the venvs are not counted.
    let began = Instant::now();
    let load_before = loadavg();

    let mut all: Vec<Measured> = Vec::new();
    for &delay_ms in &delays {
        let delay = Duration::from_millis(delay_ms);
        for who in contenders {
            eprintln!("bench: {} at {delay_ms} ms one-way ...", who.label());
            let tag = format!("{delay_ms}ms-{}", who.tag());
            let session = scenario::run(&env, who, delay, &plan, true, &tag).await;
            let mut times = Vec::new();
            match &session {
                Ok(s) => {
                    times.push(s.attach_ms);
                    let output = if who.measures_stop_cycle_only() {
                        String::new()
                    } else {
                        format!(", output {:.1} MB/s", s.output.received as f64 / 1e6 / s.output.seconds)
                    };
                    eprintln!(
                        "bench:   attach {:.1} ms, step median {:.1} ms, loop median {:.1} ms{output}",
                        s.attach_ms,
                        report::median(&s.steps.iter().map(|c| c.variables).collect::<Vec<_>>()),
                        report::median(&s.breakpoints.iter().map(|c| c.variables).collect::<Vec<_>>()),
                    );
                }
                Err(e) => eprintln!("bench:   FAILED: {e} (adapter log: {}/{tag}.adapter.log)", env.logs.display()),
            }
            // The stop cycle's measurements have no attach figure to repeat.
            let attaches = if who.measures_stop_cycle_only() { 1 } else { attaches };
            for i in 1..attaches {
                match scenario::run(&env, who, delay, &plan, false, &format!("{tag}-attach{i}")).await {
                    Ok(s) => times.push(s.attach_ms),
                    Err(e) => eprintln!("bench:   attach run {i} failed: {e}"),
                }
            }
            all.push(Measured { delay_ms, who, session, attaches: times });
        }
    }

    let load = format!("{load_before} at the start, {} at the end", loadavg());
    let text = document(&args, &delays, &plan, attaches, &env, &all, began.elapsed(), &load);
    println!("{text}");
    let out = out_path(&args);
    // Other sections come from `bench load` or are written by hand: keep them.
    let old = std::fs::read_to_string(&out).unwrap_or_default();
    let text = sections::keep_others(&text, &old);
    std::fs::write(&out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("bench: wrote {} in {:.0} s", out.display(), began.elapsed().as_secs_f64());
    if all.iter().any(|m| m.session.is_err()) {
        return Err("some runs failed (see the table)".into());
    }
    Ok(())
}

fn out_path(args: &Args) -> PathBuf {
    if args.out.is_absolute() {
        args.out.clone()
    } else {
        procs::repo_root().join(&args.out)
    }
}

async fn run_load(args: &Args, l: &LoadArgs) -> Result<(), String> {
    let plan = load::LoadPlan {
        stops: l.stops.unwrap_or(if l.short { 500 } else { 10_000 }).max(1),
        threads: l.threads.max(1),
        list_len: l.list.unwrap_or(if l.short { 100_000 } else { 1_000_000 }).max(100),
        output_bytes: l.output_mb.unwrap_or(if l.short { 10 } else { 100 }) * 1_000_000,
        print_size: l.print_size.max(16),
        slow_rate: (l.slow_mbps.max(0.0) * 1e6) as u64,
    };
    let adapter = match &args.adapter {
        Some(path) => path.clone(),
        None => build_adapter()?,
    };
    let cache = procs::test_env()?;
    let logs = std::env::temp_dir().join(format!("ptvsd-dap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    let began = Instant::now();
    let load_before = loadavg();
    let mut runs = Vec::new();
    for version in &l.release {
        if !load::python(&cache, version).exists() {
            return Err(format!("no venv for ptvsd {version} in {}", cache.display()));
        }
        eprintln!("bench: load, ptvsd {version} ...");
        let run = load::run(&cache, &adapter, &logs, version, &plan).await;
        if let Err(e) = &run {
            eprintln!("bench:   FAILED: {e} (adapter log: {}/load-{version}.adapter.log)", logs.display());
        }
        runs.push((version.clone(), run));
    }
    let python = load::python(&cache, l.release.first().map_or("3.2.1", String::as_str));
    let header = format!(
        "Written by `{}` (or `scripts/bench.sh load`), {}, in {:.0} s.\n\n\
         - Machine: {} (load average {load_before} at the start, {} at the end: the 2 cores are shared with other builds)\n\
         - ptvsd-dap {} (release build); websockify 0.13.0; {}\n\
         - Link: the bench's client on the adapter's stdio → ptvsd-dap → `ws://` → websockify → ptvsd running `tests/fixtures/load_app.py`, on loopback, no injected delay. \
         One session per release; the phases run in the order of the table, in that one session.\n\
         - Stops: `continue` → the next breakpoint stop → `stackTrace` (20 levels), `scopes`, `variables` of the locals, each after the previous answer, as VS Code does; a cycle ends with the `variables` answer.\n\
         - Threads: {} threads idle in Python (awake every 100 ms); one stops at a breakpoint; `threads` is asked every 20 ms until it lists every worker by name; then `stackTrace` of every tenth worker.\n\
         - List: a local list of {} ints; `variables` with `filter: indexed`, `start`, `count: 100` as VS Code pages it: the first ten pages, one page at each tenth of the list, and the last page.\n\
         - Output: the debuggee prints {} MB in `print()` calls of {} bytes; the client reads at full speed, then (second flood) at {:.1} MB/s, an editor too slow for it (the adapter holds at most 16 MiB of output for it and drops the rest, saying so).\n\
         - RSS: VmRSS from /proc of the front plus the connection owner, in MiB, shown as \"sum (owner N)\"; peaks are VmHWM since the phase began; \"highest sample\" is VmRSS sampled every 100 ms.\n\n",
        load_command(l, &plan),
        sysinfo::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        began.elapsed().as_secs_f64(),
        sysinfo::machine(),
        loadavg(),
        env!("CARGO_PKG_VERSION"),
        sysinfo::command_output(&python.to_string_lossy(), &["--version"]),
        plan.threads,
        plan.list_len,
        plan.output_bytes / 1_000_000,
        plan.print_size,
        plan.slow_rate as f64 / 1e6,
    );
    let section = load::section(&runs, &plan, &header);
    println!("{section}");
    let out = out_path(args);
    let old = std::fs::read_to_string(&out).unwrap_or_default();
    std::fs::write(&out, load::splice(&old, &section)).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("bench: wrote the load section of {} in {:.0} s", out.display(), began.elapsed().as_secs_f64());
    if runs.iter().any(|(_, r)| r.is_err()) {
        return Err("some runs failed (see the table)".into());
    }
    Ok(())
}

fn load_command(l: &LoadArgs, plan: &load::LoadPlan) -> String {
    format!(
        "cargo run --release --bin bench -- load --release {} --stops {} --threads {} --list {} --output-mb {} --slow-mbps {}",
        l.release.join(","),
        plan.stops,
        plan.threads,
        plan.list_len,
        plan.output_bytes / 1_000_000,
        plan.slow_rate as f64 / 1e6
    )
}

/// The 1-minute load average: other work on the machine skews every figure.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn document(
    args: &Args,
    delays: &[u64],
    plan: &Plan,
    attaches: usize,
    env: &Env,
    all: &[Measured],
    took: Duration,
    load: &str,
) -> String {
    let python = env.debugpy.join("bin").join("python");
    let python = python.to_string_lossy();
    let debugpy_version = sysinfo::command_output(&python, &["-c", "import debugpy; print(debugpy.__version__)"]);
    let python_version = sysinfo::command_output(&python, &["--version"]);
    let date = sysinfo::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let mut command = "cargo run --release --bin bench --".to_string();
    if args.short {
        command.push_str(" --short");
    }
    if let Some(adapter) = &args.adapter {
        command.push_str(&format!(" --adapter {}", adapter.display()));
    }
    command.push_str(&format!(
        " --delays {} --steps {}",
        delays.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
        plan.steps
    ));
    let mut text = format!(
        "# Benchmarks: ptvsd-dap against debugpy\n\n\
         Written by `{command}` (or `scripts/bench.sh`), {date}, in {:.0} s.\n\n\
         - Machine: {} (load average {load})\n\
         - ptvsd-dap {} ({}); ptvsd 3.0.0 and 3.2.1; websockify 0.13.0; debugpy {debugpy_version}; {python_version} for every debuggee and for debugpy's adapter\n\
         - Link: a delay proxy on loopback holds every chunk for the one-way delay, in both directions, with no bandwidth limit. \
         ptvsd-dap: `ws://` through the proxy to websockify next to ptvsd (the App Service layout). \
         debugpy: its adapter (`python -m debugpy.adapter`, stdio) next to the editor, the proxy between it and the debuggee's `debugpy.connect()` \
         (debugpy's adapter never dials a server: an `attach` with `connect` expects the adapter spawned by `debugpy.listen()` in the debuggee, \
         so the editor-side adapter attaches with `listen` and the debuggee dials it, on the bench's cue `debugpyWaitingForServer`).\n\
         - Editor: the bench's DAP client plays VS Code: after each `stopped` it sends `stackTrace` (20 levels), `scopes`, `variables` of the first scope, in that order, each after the previous answer.\n\
         - Steps: {} `next`s in a loop (`tests/fixtures/bench_app.py`, `stepper`); breakpoint loop: {} `continue`s to a breakpoint hit once per call (`hit`). \
         Both stops have a 1,000-element list and a 100-key dict among their locals, which are then expanded: as VS Code does (the pages of 100 that `indexedVariables` announces, one `variables` each, or debugpy's \"more\" child), and the list also with one `variables` request on its reference, as editors that ignore paging do (nvim-dap, Helix).\n\
         - Attach: `initialize` sent (right after the adapter was spawned, as editors do) → `configurationDone` answered, with one `setBreakpoints` and `setExceptionBreakpoints` in between; median of {attaches} attaches, each to a fresh debuggee.\n\
         - Output: the debuggee prints {} MB in `print()` calls of {} bytes each (newline included); MB/s = bytes received in `output` events / time from the command to the last one. \
         The debuggee times each print itself.\n\
         - RSS: from /proc, of the process the editor started plus its descendants (ptvsd-dap's connection owner, shown as \"owner\"); \
         peaks are VmHWM reset (`clear_refs`) at the start of each phase, so a sum is the sum of the two processes' peaks. Idle: VmRSS after attach and one stop; quiet: 3 s later, with nothing sent either way (ptvsd-dap lets go of its code pages after 2 s of quiet). \
         PSS (smaps_rollup): each shared page counted as its share, so the binary's pages the front and the owner both map count once.\n\n",
        took.as_secs_f64(),
        sysinfo::machine(),
        env!("CARGO_PKG_VERSION"),
        match &args.adapter {
            Some(adapter) => format!("the binary `{}`", adapter.display()),
            None => "release build".to_string(),
        },
        plan.steps,
        plan.steps,
        plan.output_bytes / 1_000_000,
        plan.print_size,
    );
    text.push_str("## Results\n\n");
    for &d in delays {
        let runs: Vec<&Measured> = all.iter().filter(|m| m.delay_ms == d).collect();
        text.push_str(&report::table(d, &runs));
        text.push('\n');
        text.push_str(&report::breakdown(d, &runs));
        text.push('\n');
    }
    text.push_str(&report::targets(all));
    text.push_str(
        "\n## Reading the figures\n\n\
         - The proxy delays data, not TCP handshakes: a connection costs no round trip here (on a real link it costs one, for every contender).\n\
         - debugpy's server (pydevd) does not set `TCP_NODELAY` on its socket and writes a message's header and body separately, \
         so on the undelayed loopback leg between it and the proxy its answers can wait for a delayed ACK (~40 ms on Linux), \
         which shows at 0 ms; at 25 and 50 ms the ACK comes back within the wait. ptvsd has the same stall (protocol doc §1.2), \
         which ptvsd-dap removes by setting `TCP_NODELAY` inside ptvsd at the attach stop.\n\
         - A ratio below 1 favours ptvsd-dap for times and memory, above 1 for MB/s.\n\
         - \"list/dict in one round trip\" counts the bursts the adapter sent towards the debuggee while expanding; the time beyond one RTT is the debuggee building the children \
         (ptvsd 3.0.0 writes every field with its own `send`, which websockify relays as separate frames).\n\
         - The floor (\"floor: raw ptvsd\") is ptvsd alone on the same link as ptvsd-dap (`ws://` through the delay proxy to websockify next to ptvsd, the same debuggee and releases), \
         driven from the bench's own process by a minimal client of ptvsd's protocol made of the library's handshake, connector and codecs (`src/bin/bench/floor.rs`): \
         the handshake, every exception break off and the two breakpoints (its attach is connect → both breakpoints bound); at the attach stop the same evaluation that sets \
         `TCP_NODELAY` inside ptvsd, then `resa`; a step is `stpv`, a continue `clst` + `resa`, and a stop counts as shown once the thread's frames with their locals and its \
         stop event are decoded (ptvsd sends them in that order, and nothing more is needed to show a stop); the output is only decoded and counted, on a thread of its own \
         whose CPU time is the floor's \"owner\" figure; a clean detach at the end. No DAP, no editor, no adapter process: ptvsd-dap − floor is the adapter's own share of a \
         figure, and floor − 2D is ptvsd's, websockify's and the link's (the proxy's own lateness per chunk is in the breakdown). \"Floor without the relay\" is the same client \
         over `tcp://` through the proxy straight to ptvsd (floor − floor without the relay: websockify's share), shown in the breakdown and the targets only. \
         \"Nobody attached\" is the same print loop in a fresh ptvsd debuggee that no debugger attached to.\n\
         - The stdio floor (\"stdio floor: the echo adapter\") is the editor side's floor: the same client code and timing points as for ptvsd-dap, \
         driving the bench's own do-nothing adapter (`bench echo-adapter`, `src/bin/bench/echo.rs`: one thread, blocking reads of its stdin, one `write` per message). \
         It answers `next`/`continue` at once, sleeps 2D in place of the link and sends `stopped`, then answers `stackTrace`, `scopes` and `variables` at once \
         with ptvsd-dap's own answers for `bench_app.py`, captured once (0.1 to 1.2 kB each). Its cycle − 2D is what any adapter behind the editor's stdio costs \
         on this machine: four exchanges over two pipes, its wake-up from idle on its timer (as a real adapter wakes on the debuggee's stop), the bench's wake-ups. \
         It is a floor for every adapter an editor starts as a process, ptvsd-dap included, not for one inside the editor's process (VS Code can host one; there is then no stdio); and its timer \
         is not a socket: a real adapter's wake-up goes through its event loop (how late the timer woke is in the breakdown, in the proxy's lateness column); \
         at 0 ms it does not sleep at all, so it pays no wake-up there and is a lower bound. Their sum (\"the two floors\") counts the bench's own wake-up on the stop twice (each floor contains it), \
         and the timer's lateness, which a wake-up on a socket does not pay: read it as a slightly high estimate of what no adapter on stdio can avoid. \
         \"ptvsd-dap's owner without the front\" is a measurement, not a way to run: the bench starts `ptvsd-dap --connection-owner` itself, without the front \
         that relays the editor's stdio to it (and that keeps the remote program safe when the editor dies), for the steps and the breakpoint loop only; \
         ptvsd-dap − it is the front's relay. Both are shown in the breakdown and the targets only.\n\
         - Chunks per cycle count the pieces the proxy read: ptvsd 3.0.0 writes every field of a stop with its own `send`, and with `TCP_NODELAY` on its socket \
         (set at the attach stop) each goes out at once, so one stop reaches the link as tens to hundreds of segments, which websockify gathers into fewer frames. \
         The proxy's lateness is how long past its due time it wrote a chunk on: at 0 ms a hand-off between two of its threads, with a delay the wake-up of a \
         thread that slept. Every process on the path that waited idle during the delay pays such a wake-up, which is why the floor's excess over 2D is larger \
         with any delay than with none.\n",
    );
    text
}
