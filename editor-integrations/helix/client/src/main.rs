//! Drives `ptvsd-dap` through one debug session as Helix does, on Helix's own DAP client.
//!
//! The adapter is started from the `[language.debugger]` of a `languages.toml` (read with Helix's
//! config types, `command` resolved on PATH), attached with one of its templates filled in from
//! the given prompt answers, and taken through what a Helix user does with tests/fixtures/app.py:
//! a breakpoint on the `# @bp_work` line, `hit` typed into the app, the stop (stackTrace, threads),
//! the variables popup, `:debug-eval`, next, continue, and the end of the session (`--end
//! disconnect`: the disconnect Helix sends, then the adapter must exit by itself; `--end quit`:
//! Helix quits and SIGKILLs it), after which the app must run on. Every body is
//! parsed with Helix's types where Helix parses it; anything Helix would reject, drop or panic on
//! fails the run. Exit status 0 means Helix's client accepted the whole session.
//!
//! Usage: ptvsd-dap-helix-client --languages FILE --template NAME [--answer TEXT]...
//!          --source FILE --debuggee-stdin FIFO --debuggee-stdout FILE [--transcript FILE]
//!          [--end disconnect|quit]

mod config;
mod procs;
mod session;
mod transcript;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};

use procs::State;
use session::Session;
use transcript::Dir;

/// What `hit` does in tests/fixtures/app.py: work(7) stops at `# @bp_work` with count == 8,
/// and the next line is `# @after_work`.
const BREAK_MARKER: &str = "# @bp_work";
const NEXT_MARKER: &str = "# @after_work";
const VARIABLE: (&str, &str) = ("count", "8");
const EVALUATE: (&str, &str) = ("count * 2 + len(text)", "21");

/// How long a step may take: Helix gives every request 20 s.
const STEP: Duration = Duration::from_secs(20);

struct Args {
    languages: PathBuf,
    template: String,
    answers: Vec<String>,
    source: PathBuf,
    debuggee_stdin: PathBuf,
    debuggee_stdout: PathBuf,
    transcript: Option<PathBuf>,
    end: End,
}

/// How the session ends.
#[derive(Clone, Copy)]
enum End {
    /// The `disconnect {restart: false}` Helix sends when the adapter reports `terminated`.
    Disconnect,
    /// Helix quits: the adapter is SIGKILLed, nothing sent.
    Quit,
}

fn parse_args() -> Result<Args> {
    let mut flags: HashMap<String, Vec<String>> = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| anyhow!("unexpected argument {flag}"))?;
        let value = args.next().ok_or_else(|| anyhow!("{flag} needs a value"))?;
        flags.entry(name.to_string()).or_default().push(value);
    }
    let answers = flags.remove("answer").unwrap_or_default();
    let mut take = |name: &str| flags.remove(name).and_then(|mut values| values.pop());
    let mut need = |name: &str| take(name).ok_or_else(|| anyhow!("missing --{name}"));
    let args = Args {
        languages: need("languages")?.into(),
        template: need("template")?,
        source: std::fs::canonicalize(need("source")?)?,
        debuggee_stdin: need("debuggee-stdin")?.into(),
        debuggee_stdout: need("debuggee-stdout")?.into(),
        answers,
        transcript: take("transcript").map(PathBuf::from),
        end: match take("end").as_deref() {
            None | Some("disconnect") => End::Disconnect,
            Some("quit") => End::Quit,
            Some(other) => bail!("--end takes disconnect or quit, not {other}"),
        },
    };
    if let Some(flag) = flags.keys().next() {
        bail!("unknown argument --{flag}");
    }
    Ok(args)
}

fn say(text: impl AsRef<str>) {
    println!("  {}", text.as_ref());
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("ptvsd-dap-helix-client: {err:#}");
            std::process::exit(2);
        }
    };
    if let Err(err) = transcript::install(args.transcript.as_deref()) {
        eprintln!("ptvsd-dap-helix-client: cannot write the transcript: {err}");
        std::process::exit(2);
    }
    let result = run(&args).await;
    let problems = transcript::problems();
    let stderr = transcript::adapter_stderr();
    if !stderr.is_empty() {
        say(format!(
            "adapter stderr ({} lines, last ones):",
            stderr.len()
        ));
        for line in stderr.iter().rev().take(10).rev() {
            say(format!("  | {line}"));
        }
    }
    match (&result, problems.is_empty()) {
        (Ok(()), true) => {
            say("PASS: Helix's DAP client accepted every message");
            std::process::exit(0);
        }
        _ => {
            if let Err(err) = &result {
                say(format!("FAIL: {err:#}"));
            }
            for problem in &problems {
                say(format!("FAIL: {problem}"));
            }
            if let Some(path) = &args.transcript {
                say(format!("transcript: {}", path.display()));
            }
            std::process::exit(1);
        }
    }
}

async fn run(args: &Args) -> Result<()> {
    let debugger = config::load_debugger(&args.languages, "python")?;
    let template = debugger
        .templates
        .iter()
        .find(|t| t.name == args.template)
        .ok_or_else(|| anyhow!("No debug config with given name: {:?}", args.template))?
        .clone();
    ensure!(
        template.request == "attach",
        "template {:?} is a {}, not an attach",
        template.name,
        template.request
    );
    let attach_args = config::start_arguments(&template, &args.answers)?;

    let source = std::fs::read_to_string(&args.source)
        .with_context(|| format!("cannot read {}", args.source.display()))?;
    let break_line = marker_line(&source, BREAK_MARKER)?;
    let next_line = marker_line(&source, NEXT_MARKER)?;
    let mut debuggee_stdin = std::fs::OpenOptions::new()
        .write(true)
        .open(&args.debuggee_stdin)
        .with_context(|| {
            format!(
                "cannot open the debuggee's stdin {}",
                args.debuggee_stdin.display()
            )
        })?;
    let done_hits = || {
        let out = std::fs::read_to_string(&args.debuggee_stdout).unwrap_or_default();
        out.lines().filter(|l| l.trim_end() == "done hit").count()
    };
    let hits_before = done_hits();

    // Space G l, pick the template, answer the prompts: the adapter starts, `initialize` blocks.
    let mut s = Session::start(&debugger)?;
    let caps = s.client().capabilities().clone();
    ensure!(
        caps.supports_configuration_done_request == Some(true),
        "the adapter does not advertise supportsConfigurationDoneRequest: Helix never sends configurationDone"
    );
    let adapter = match procs::children(std::process::id()).as_slice() {
        [pid] => *pid,
        other => bail!("expected one adapter process under this one, found {other:?}"),
    };
    say(format!(
        "initialize: capabilities parsed (adapter pid {adapter})"
    ));

    // The breakpoint was toggled in the editor before the session; Helix sends it at `initialized`.
    s.toggle_breakpoint(args.source.clone(), break_line - 1);
    say(format!("attach {attach_args}"));
    // A job, as dap_start_impl runs it: Helix handles `initialized` whenever it comes.
    let attach = s.client().attach(attach_args);
    s.run_job("attach", attach).await?;
    s.wait_until(
        "'initialized' (then setBreakpoints and configurationDone)",
        STEP,
        |s| Ok(s.configured),
    )
    .await?;
    let bp = s.breakpoints[&args.source][0].clone();
    ensure!(
        bp.line + 1 == break_line,
        "Helix moved the breakpoint from line {break_line} to line {} (the line setBreakpoints returned)",
        bp.line + 1
    );
    say(format!(
        "attached; breakpoint at line {break_line} (verified: {}); configurationDone",
        bp.verified
    ));

    // `hit` in the app: work(7) runs into the breakpoint.
    writeln!(debuggee_stdin, "hit").context("cannot write to the debuggee's stdin")?;
    s.wait_until("the stop at the breakpoint", STEP, |s| {
        Ok(!s.stops.is_empty())
    })
    .await?;
    let stop = s.stops[0].clone();
    let path = stop
        .frame
        .source
        .as_ref()
        .and_then(|src| src.path.clone())
        .unwrap_or_default();
    ensure!(
        stop.reason == "breakpoint",
        "Helix says: stopped because of {:?}, expected breakpoint",
        stop.reason
    );
    ensure!(
        path == args.source && stop.frame.line == break_line,
        "Helix shows the stop at {}:{}, expected {}:{break_line}",
        path.display(),
        stop.frame.line,
        args.source.display()
    );
    say(format!(
        "{}; at {}:{} in {}",
        s.status,
        path.display(),
        stop.frame.line,
        stop.frame.name
    ));
    if !stop.jumped {
        say(format!(
            "NOTE: Helix marks the stop but does not move the cursor to it: thread {} was already its current thread \
             (a 'thread' event makes a thread current; select_thread_id then keeps the view)",
            stop.thread_id
        ));
    }

    let threads = s.threads().await?;
    ensure!(
        threads.threads.iter().any(|t| t.id == stop.thread_id),
        "the stopped thread {} is missing from threads: {:?}",
        stop.thread_id,
        threads.threads
    );
    say(format!(
        "threads: {}",
        threads
            .threads
            .iter()
            .map(|t| format!("{} {:?}", t.id, t.name))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    let scopes = s.variables().await?;
    let (name, expected) = VARIABLE;
    let found = scopes
        .iter()
        .flat_map(|(_, vars)| vars)
        .find(|v| v.name == name);
    ensure!(
        found.is_some_and(|v| v.value == expected),
        "variables popup: {name} = {:?}, expected {expected:?}",
        found.map(|v| &v.value)
    );
    say(format!(
        "variables: {}",
        scopes
            .iter()
            .map(|(scope, vars)| format!("{scope} ({} variables)", vars.len()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    say(format!("variables: {name} = {expected}"));

    let (expression, expected) = EVALUATE;
    let evaluated = s.eval(expression).await?;
    ensure!(
        evaluated.result == expected,
        ":debug-eval {expression} shows {:?}, expected {expected:?}",
        evaluated.result
    );
    say(format!(":debug-eval {expression} = {}", evaluated.result));

    s.next().await?;
    s.wait_until("the stop after next", STEP, |s| Ok(s.stops.len() >= 2))
        .await?;
    let stepped = s.stops[1].clone();
    ensure!(
        stepped.reason == "step" && stepped.frame.line == next_line,
        "after next Helix shows line {} ({}), expected line {next_line} (step)",
        stepped.frame.line,
        s.status
    );
    say(format!("next: {} at line {}", s.status, stepped.frame.line));

    s.continue_thread().await?;
    s.wait_until(
        "'done hit' from the app, and in Helix as output, after continue",
        STEP,
        |s| Ok(done_hits() > hits_before && s.output.contains("done hit")),
    )
    .await?;
    say("continue: the app printed 'done hit', and Helix got it as output");

    check_order()?;
    let slowest = s.blocking.iter().max_by_key(|(_, t)| *t).cloned();
    if let Some((name, time)) = slowest {
        say(format!(
            "slowest request Helix blocks its UI on: {name} ({} ms)",
            time.as_millis()
        ));
        ensure!(
            time < Duration::from_secs(5),
            "{name} took {time:?}: Helix's UI would be frozen that long"
        );
    }

    let owners = procs::children(adapter);
    match args.end {
        End::Disconnect => disconnect(&mut s, adapter, &owners).await?,
        End::Quit => {
            // `:q` with a session on: Helix drops its clients, which SIGKILLs each adapter with
            // its stdin still open, and sends nothing first. (The registry itself lives on, as
            // in Helix until its process ends: its tasks may still be forwarding messages.)
            let id = s.id;
            s.registry.remove_client(id);
            let ended = Instant::now();
            poll(
                "the adapter's other processes to exit after Helix's SIGKILL",
                Duration::from_secs(10),
                || Ok(owners.iter().all(|p| procs::state(*p) != State::Running)),
            )
            .await?;
            say(format!(
                ":q: Helix SIGKILLed the adapter; its {} other process(es) exited after {} ms",
                owners.len(),
                ended.elapsed().as_millis()
            ));
        }
    }

    // Released: no breakpoint left, the app runs on.
    writeln!(debuggee_stdin, "hit").context("cannot write to the debuggee's stdin")?;
    poll("'done hit' from the released app", STEP, || {
        Ok(done_hits() > hits_before + 1)
    })
    .await?;
    say("after the session: 'hit' runs through (the app is released)");
    Ok(())
}

/// The `disconnect` Helix sends; then the adapter must finish on its own, its stdin still open
/// (Helix would SIGKILL it at once, so nothing may be left to do after the answer).
async fn disconnect(s: &mut Session, adapter: u32, owners: &[u32]) -> Result<()> {
    s.disconnect().await?;
    let ended = Instant::now();
    let (mut closed_at, mut exited_at) = (None, None);
    s.wait_until(
        "the adapter to exit by itself after disconnect (stdin still open)",
        Duration::from_secs(10),
        |s| {
            if s.closed && closed_at.is_none() {
                closed_at = Some(ended.elapsed());
            }
            let all_exited = std::iter::once(adapter)
                .chain(owners.iter().copied())
                .all(|p| procs::state(p) != State::Running);
            if all_exited && exited_at.is_none() {
                exited_at = Some(ended.elapsed());
            }
            Ok(closed_at.is_some() && exited_at.is_some())
        },
    )
    .await?;
    let status = match procs::state(adapter) {
        State::Exited(status) => procs::describe_status(status),
        _ => "exit status unknown".into(),
    };
    ensure!(status == "exit code 0", "the adapter ended with {status}");
    say(format!(
        "disconnect: the adapter closed its output after {} ms and its processes exited after {} ms ({status}; 'terminated' {})",
        closed_at.unwrap_or_default().as_millis(),
        exited_at.unwrap_or_default().as_millis(),
        if s.terminated { "sent" } else { "not sent" }
    ));
    Ok(())
}

/// Checks `done` every 50 ms until it holds; fails after `limit`.
async fn poll(what: &str, limit: Duration, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + limit;
    while !done()? {
        ensure!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// 1-based line of the line carrying `marker`.
fn marker_line(source: &str, marker: &str) -> Result<usize> {
    source
        .lines()
        .position(|line| line.trim_end().ends_with(marker))
        .map(|i| i + 1)
        .ok_or_else(|| anyhow!("no line marked {marker:?}"))
}

/// Helix marks the thread running when the response to `next`/`continue` arrives: a `stopped`
/// that comes before that response is undone by it.
fn check_order() -> Result<()> {
    let messages = transcript::messages();
    for (i, sent) in messages.iter().enumerate() {
        let command = sent
            .json
            .get("command")
            .and_then(|c| c.as_str())
            .unwrap_or_default();
        if sent.dir != Dir::Out || !matches!(command, "next" | "continue" | "stepIn" | "stepOut") {
            continue;
        }
        let seq = sent.json.get("seq").cloned();
        for received in messages[i + 1..].iter().filter(|m| m.dir == Dir::In) {
            if received.json.get("request_seq").cloned() == seq
                && received.json.get("type").and_then(|t| t.as_str()) == Some("response")
            {
                break;
            }
            if received.json.get("event").and_then(|e| e.as_str()) == Some("stopped") {
                bail!("'stopped' arrived before the response to {command}: Helix would show the thread running");
            }
        }
    }
    Ok(())
}
