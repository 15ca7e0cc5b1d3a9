//! Figures, ratios, targets: the table printed and written to BENCHMARKS.md.

use std::fmt::Write;

use crate::scenario::{Contender, Cycle, Session};

/// Everything measured for one contender at one delay (`Err`: the run failed, and why).
pub struct Measured {
    pub delay_ms: u64,
    pub who: Contender,
    pub session: Result<Session, String>,
    /// Attach times of every attach (the full session's first).
    pub attaches: Vec<f64>,
}

pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    // Nearest rank.
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn totals(cycles: &[Cycle]) -> Vec<f64> {
    cycles.iter().map(|c| c.variables).collect()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Which contenders a row has a figure for: the floor has no adapter (no DAP requests, no
/// adapter memory), and the print loop with nobody attached is measured beside it only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Adapters,
    FloorOnly,
}

/// One row: a name, a figure per contender, and the decimals of a difference when
/// "ptvsd-dap − floor" means the adapter's own share of it.
struct Row {
    name: String,
    values: Vec<f64>,
    text: Vec<String>,
    share: Option<usize>,
}

fn fmt(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "—".into()
    }
}

fn rows(runs: &[&Measured]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut add = |name: &str, scope: Scope, share: Option<usize>, f: &dyn Fn(&Session, &Measured) -> (f64, String)| {
        let (values, text) = runs
            .iter()
            .map(|m| match (&m.session, scope, m.who.is_floor()) {
                (_, Scope::Adapters, true) | (_, Scope::FloorOnly, false) => (f64::NAN, "—".into()),
                (Ok(s), _, _) => f(s, m),
                (Err(_), _, _) => (f64::NAN, "failed".into()),
            })
            .unzip();
        rows.push(Row { name: name.into(), values, text, share });
    };
    let t = |v: f64| (v, fmt(v, 1));
    use Scope::{Adapters, All, FloorOnly};
    add("step: next → stop shown, median (ms)", All, Some(1), &|s, _| t(median(&totals(&s.steps))));
    add("step: p90 (ms)", All, Some(1), &|s, _| t(percentile(&totals(&s.steps), 90.0)));
    add("breakpoint loop: continue → hit shown, median (ms)", All, Some(1), &|s, _| {
        t(median(&totals(&s.breakpoints)))
    });
    add("breakpoint loop: p90 (ms)", All, Some(1), &|s, _| t(percentile(&totals(&s.breakpoints), 90.0)));
    add(
        "attach: initialize → configurationDone answered (floor: connect → breakpoints bound), median (ms)",
        All,
        Some(1),
        &|_, m| {
            let v = median(&m.attaches);
            (v, format!("{} (n={})", fmt(v, 1), m.attaches.len()))
        },
    );
    add("  attach: initialize answered (adapter start-up) (ms)", Adapters, None, &|s, _| t(s.initialize_ms));
    add("  attach: `initialized` received (floor: attached) (ms)", All, Some(1), &|s, _| t(s.initialized_ms));
    add("  attach: setBreakpoints answered (floor: bound) (ms)", All, Some(1), &|s, _| t(s.breakpoints_ms));
    let expand = |e: &crate::scenario::Expand| {
        (e.ms, format!("{} [{}]{}", fmt(e.ms, 1), e.requests, if e.complete { "" } else { " incomplete" }))
    };
    add("expand 1,000-element list, VS Code's pages (ms) [requests]", Adapters, None, &|s, _| expand(&s.list));
    add("expand 1,000-element list, one request (ms) [requests]", Adapters, None, &|s, _| expand(&s.list_whole));
    add("expand 100-key dict (ms) [requests]", Adapters, None, &|s, _| expand(&s.dict));
    add("output: MB/s reaching the editor (floor: the raw reader)", All, None, &|s, _| {
        let o = &s.output;
        let v = o.received as f64 / 1e6 / o.seconds;
        let lost = if o.received + 64 < o.sent {
            format!(" ({:.0}% shown)", 100.0 * o.received as f64 / o.sent as f64)
        } else {
            String::new()
        };
        (v, format!("{}{}{}", fmt(v, 1), lost, if o.complete { "" } else { " unfinished" }))
    });
    add("output: debuggee print loop (s)", All, Some(2), &|s, _| (s.output.loop_s, fmt(s.output.loop_s, 2)));
    add("output: debuggee print loop, nobody attached (s)", FloorOnly, None, &|s, _| {
        (s.output.loop_unattached_s, fmt(s.output.loop_unattached_s, 2))
    });
    add("output: longest print() in the debuggee (ms)", All, None, &|s, _| {
        (s.output.longest_print_s * 1e3, fmt(s.output.longest_print_s * 1e3, 1))
    });
    add("output: time in prints > 10 ms (s)", All, None, &|s, _| (s.output.stalled_s, fmt(s.output.stalled_s, 2)));
    add(
        "output: CPU s of adapter front / owner (floor: its reader thread) / debuggee / relay",
        All,
        Some(2),
        &|s, m| {
            let o = &s.output;
            let reader = if m.who.is_floor() { o.cpu_owner } else { o.cpu_front + o.cpu_owner };
            (
                reader,
                format!(
                    "{} / {} / {} / {}",
                    fmt(o.cpu_front, 2),
                    fmt(o.cpu_owner, 2),
                    fmt(o.cpu_debuggee, 2),
                    fmt(o.cpu_relay, 2)
                ),
            )
        },
    );
    let rss = |r: crate::sysinfo::Rss| {
        let v = mib(r.sum());
        let text = if r.owner > 0 { format!("{} (owner {})", fmt(v, 1), fmt(mib(r.owner), 1)) } else { fmt(v, 1) };
        (v, text)
    };
    add("RSS idle after attach (MiB)", Adapters, None, &|s, _| rss(s.rss_idle));
    add("  of which anonymous (RssAnon, MiB)", Adapters, None, &|s, _| rss(s.rss_idle_anon));
    add("PSS idle after attach (MiB)", Adapters, None, &|s, _| rss(s.pss_idle));
    let quiet = quiet_words();
    add(&format!("RSS quiet, {quiet} (MiB)"), Adapters, None, &|s, _| rss(s.rss_quiet));
    add(&format!("PSS quiet, {quiet} (MiB)"), Adapters, None, &|s, _| rss(s.pss_quiet));
    add("peak RSS: attach (MiB)", Adapters, None, &|s, _| rss(s.rss_attach));
    add("peak RSS: steps (MiB)", Adapters, None, &|s, _| rss(s.rss_steps));
    add("peak RSS: breakpoint loop (MiB)", Adapters, None, &|s, _| rss(s.rss_breakpoints));
    add("peak RSS: expand (MiB)", Adapters, None, &|s, _| rss(s.rss_expand));
    add("peak RSS: output (MiB)", Adapters, None, &|s, _| rss(s.rss_output));
    rows
}

/// The table of one delay: one column per contender, then each ptvsd-dap column / debugpy's,
/// then each ptvsd-dap column − its release's floor (the adapter's own share).
pub fn table(delay_ms: u64, runs: &[&Measured]) -> String {
    // The floor without the relay, the stdio floor and the owner without the front are only
    // evidence of where a stop cycle's time goes (`breakdown`, `targets`).
    let runs: Vec<&Measured> = runs
        .iter()
        .copied()
        .filter(|m| !matches!(m.who, Contender::FloorTcp(_)) && !m.who.measures_stop_cycle_only())
        .collect();
    let runs = &runs[..];
    let mut out = String::new();
    let debugpy = runs.iter().position(|m| m.who == Contender::Debugpy);
    let adapters: Vec<usize> = (0..runs.len()).filter(|&i| matches!(runs[i].who, Contender::PtvsdDap(_))).collect();
    // (ptvsd-dap's column, its release's floor column)
    let shares: Vec<(usize, usize)> = adapters
        .iter()
        .filter_map(|&i| {
            let Contender::PtvsdDap(release) = runs[i].who else { return None };
            runs.iter().position(|m| m.who == Contender::Floor(release)).map(|f| (i, f))
        })
        .collect();
    let _ = writeln!(out, "### One-way delay {delay_ms} ms (RTT {} ms)\n", delay_ms * 2);
    let mut header = "| figure |".to_string();
    for m in runs {
        let _ = write!(header, " {} |", m.who.label());
    }
    for &i in &adapters {
        let _ = write!(header, " ratio {} / debugpy |", short_label(runs[i].who));
    }
    for &(i, _) in &shares {
        let _ = write!(header, " ptvsd-dap's own share, {} (ptvsd-dap − floor) |", short_label(runs[i].who));
    }
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "|{}", "---|".repeat(1 + runs.len() + adapters.len() + shares.len()));
    for row in rows(runs) {
        let mut line = format!("| {} |", row.name);
        for text in &row.text {
            let _ = write!(line, " {text} |");
        }
        for &i in &adapters {
            let ratio = debugpy.map_or(f64::NAN, |d| row.values[i] / row.values[d]);
            let _ = write!(line, " {} |", fmt(ratio, 2));
        }
        for &(i, f) in &shares {
            let share = row.share.map(|decimals| signed(row.values[i] - row.values[f], decimals));
            let _ = write!(line, " {} |", share.unwrap_or_else(|| "—".into()));
        }
        let _ = writeln!(out, "{line}");
    }
    for m in runs {
        if let Err(e) = &m.session {
            let _ = writeln!(out, "\n{} failed: {}", m.who.label(), e.replace('\n', " "));
        }
    }
    out
}

/// `+1.2`, `-0.3`, or "—".
fn signed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:+.decimals$}")
    } else {
        "—".into()
    }
}

fn short_label(who: Contender) -> String {
    match who {
        Contender::PtvsdDap(release)
        | Contender::Floor(release)
        | Contender::FloorTcp(release)
        | Contender::OwnerDirect(release) => release.version().into(),
        Contender::StdioFloor => "stdio floor".into(),
        Contender::Debugpy => "debugpy".into(),
    }
}

/// Medians of each segment of a stop cycle: where the time goes.
pub fn breakdown(delay_ms: u64, runs: &[&Measured]) -> String {
    let mut out = format!(
        "#### Where a stop cycle's time goes at {delay_ms} ms (medians, ms after `next`/`continue` was sent)\n\n"
    );
    out.push_str(
        "| contender | cycle | command answered | `stopped` received | stackTrace | scopes | variables | \
         per cycle on the delayed link: chunks towards the debuggee / from it, bytes from it | \
         the proxy's lateness per chunk (µs) |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for m in runs {
        let Ok(s) = &m.session else { continue };
        for (name, cycles, traffic) in
            [("step", &s.steps, s.steps_traffic), ("breakpoint loop", &s.breakpoints, s.breakpoints_traffic)]
        {
            let med = |f: fn(&Cycle) -> f64| fmt(median(&cycles.iter().map(f).collect::<Vec<_>>()), 1);
            let n = cycles.len().max(1) as f64;
            let link = if m.who == Contender::StdioFloor {
                // No link: its timer stands in for it, and wakes late as the proxy's threads do.
                let late = median(&cycles.iter().map(|c| c.timer_late_us).collect::<Vec<_>>());
                format!("— | its timer's: {}", fmt(late, 0))
            } else {
                format!(
                    "{:.1} / {:.1}, {:.0} | {:.0}",
                    traffic.up_chunks as f64 / n,
                    traffic.down_chunks as f64 / n,
                    traffic.down_bytes as f64 / n,
                    traffic.late_us as f64 / (traffic.up_chunks + traffic.down_chunks).max(1) as f64,
                )
            };
            let _ = writeln!(
                out,
                "| {} | {name} | {} | {} | {} | {} | {} | {link} |",
                m.who.label(),
                med(|c| c.response),
                med(|c| c.stopped),
                med(|c| c.stack),
                med(|c| c.scopes),
                med(|c| c.variables),
            );
        }
    }
    out.push_str("\nTraffic on the delayed link while expanding (chunks / bytes as the proxy read them):\n\n| contender | list (pages): adapter → debuggee, debuggee → adapter | list (one request) | dict |\n|---|---|---|---|\n");
    for m in runs.iter().filter(|m| !m.who.is_floor() && !m.who.measures_stop_cycle_only()) {
        let Ok(s) = &m.session else { continue };
        let t = |e: &crate::scenario::Expand| {
            format!(
                "{} / {}, {} / {}",
                e.traffic.up_chunks, e.traffic.up_bytes, e.traffic.down_chunks, e.traffic.down_bytes
            )
        };
        let _ = writeln!(out, "| {} | {} | {} | {} |", m.who.label(), t(&s.list), t(&s.list_whole), t(&s.dict));
    }
    out
}

/// A stop cycle's median split into its parts (ms): the floor (ptvsd, websockify and the link),
/// the editor side's floor (any adapter over stdio), and what ptvsd-dap adds beyond both, itself
/// split into the front's relay and the rest. `None`: that contender did not run or failed.
struct StopCycleParts {
    two_d: f64,
    ours: f64,
    floor: f64,
    floor_tcp: Option<f64>,
    stdio_floor: Option<f64>,
    owner_direct: Option<f64>,
}

impl StopCycleParts {
    /// " = floor … + the editor side's floor … + what ptvsd-dap adds beyond both …", with what
    /// the floors alone leave of the target.
    fn describe(&self) -> String {
        let Self { two_d, ours, floor, .. } = *self;
        let bound = two_d + 2.0;
        let without_relay = self.floor_tcp.map_or(String::new(), |f| format!("; without websockify {f:.1} ms"));
        let mut text =
            format!(" = floor {floor:.1} ms (2D {:+.1}: ptvsd, websockify and the link{without_relay})", floor - two_d);
        let own = ours - floor;
        let Some(stdio) = self.stdio_floor.filter(|f| f.is_finite()) else {
            let _ = write!(text, " + the adapter's own {own:.1} ms");
            if floor > bound {
                let _ = write!(text, "; the floor alone exceeds 2D + 2 ms by {:.1} ms", floor - bound);
            }
            return text;
        };
        let editor_side = stdio - two_d;
        let beyond = own - editor_side;
        let _ = write!(
            text,
            " + the editor side's floor {} ms (any adapter over stdio: the stdio floor − 2D) \
             + what ptvsd-dap adds beyond both {} ms",
            tenths(editor_side),
            tenths(beyond)
        );
        if let Some(direct) = self.owner_direct.filter(|f| f.is_finite()) {
            let relay = ours - direct;
            let _ = write!(
                text,
                " (the front's relay {} ms: ptvsd-dap − its owner without the front; the rest {} ms)",
                tenths(relay),
                tenths(beyond - relay)
            );
        }
        let floors = floor + editor_side;
        if floors > bound {
            let _ = write!(text, "; the two floors alone exceed 2D + 2 ms by {:.1} ms", floors - bound);
        } else {
            let _ = write!(text, "; the two floors leave {:.1} ms of the target to an adapter", bound - floors);
        }
        text
    }
}

/// `v` to a tenth, without the sign of a difference that rounds to nothing ("-0.0").
fn tenths(v: f64) -> String {
    let text = format!("{v:.1}");
    if text == "-0.0" {
        "0.0".into()
    } else {
        text
    }
}

/// When the quiet figures are taken, in words ("3 s after the last message").
fn quiet_words() -> String {
    format!("{} s after the last message", crate::scenario::QUIET.as_secs())
}

/// The session of `floor` (a floor contender) at `delay_ms`, if it ran and succeeded.
fn floor_of(all: &[Measured], delay_ms: u64, floor: Contender) -> Option<&Session> {
    all.iter().find(|m| m.delay_ms == delay_ms && m.who == floor).and_then(|m| m.session.as_ref().ok())
}

/// The targets of issue 18: the stop cycle and the attach at every delay; the rest at the
/// largest delay measured (stated for 50 ms).
pub fn targets(all: &[Measured]) -> String {
    let Some(delay) = all.iter().map(|m| m.delay_ms).max() else { return String::new() };
    let rtt = 2.0 * delay as f64;
    let mut out = format!(
        "## Targets (stop cycle and attach at every delay; the rest at one-way {delay} ms, RTT {rtt} ms{})\n\n",
        if delay == 50 { "" } else { ", they are stated for 50 ms" }
    );
    out.push_str("| target | contender | measured | met |\n|---|---|---|---|\n");
    let mut line = |target: &str, who: Contender, measured: String, met: Option<bool>| {
        let verdict = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(out, "| {target} | {} | {measured} | {verdict} |", who.label());
    };
    let mut delays: Vec<u64> = all.iter().map(|m| m.delay_ms).collect();
    delays.sort_unstable();
    delays.dedup();
    for &d in &delays {
        let debugpy_attach =
            all.iter().find(|m| m.delay_ms == d && m.who == Contender::Debugpy).map(|m| median(&m.attaches));
        for m in all.iter().filter(|m| m.delay_ms == d) {
            let Contender::PtvsdDap(release) = m.who else { continue };
            let Ok(s) = &m.session else {
                line(&format!("all at {d} ms"), m.who, "run failed".into(), Some(false));
                continue;
            };
            let (floor, floor_tcp) =
                (floor_of(all, d, Contender::Floor(release)), floor_of(all, d, Contender::FloorTcp(release)));
            let (stdio_floor, owner_direct) =
                (floor_of(all, d, Contender::StdioFloor), floor_of(all, d, Contender::OwnerDirect(release)));
            // The link's round trip plus ptvsd's own ~1 ms; the adapter may add 1 ms.
            let two_d = 2.0 * d as f64;
            let bound = two_d + 2.0;
            let steps = |s: &Session| median(&totals(&s.steps));
            let hits = |s: &Session| median(&totals(&s.breakpoints));
            for (name, figure) in [("step", steps as fn(&Session) -> f64), ("breakpoint loop", hits)] {
                let ours = figure(s);
                let mut measured = format!("{ours:.1} ms (+{:.1} over 2D)", ours - two_d);
                if let Some(floor) = floor.map(figure).filter(|f| f.is_finite()) {
                    let parts = StopCycleParts {
                        two_d,
                        ours,
                        floor,
                        floor_tcp: floor_tcp.map(figure),
                        stdio_floor: stdio_floor.map(figure),
                        owner_direct: owner_direct.map(figure),
                    };
                    measured.push_str(&parts.describe());
                }
                line(&format!("{name} at {d} ms ≤ 2D + 2 ms = {bound:.0} ms"), m.who, measured, Some(ours <= bound));
            }
            let ours = median(&m.attaches);
            if let Some(theirs) = debugpy_attach {
                let r = ours / theirs;
                line(
                    &format!("attach at {d} ms ≤ 0.8 × debugpy"),
                    m.who,
                    format!("{ours:.1} ms vs {theirs:.1} ms = {r:.2} ×"),
                    Some(r <= 0.8),
                );
            }
        }
    }
    for m in all.iter().filter(|m| m.delay_ms == delay) {
        let Contender::PtvsdDap(release) = m.who else { continue };
        let Ok(s) = &m.session else { continue };
        for (name, e, requests) in [
            ("list (VS Code's pages)", &s.list, None),
            ("list (one request)", &s.list_whole, Some(1)),
            ("dict", &s.dict, Some(1)),
        ] {
            // A round trip is a burst the adapter sends towards the debuggee and waits on.
            let trips = e.traffic.up_chunks;
            let ok = e.complete && requests.is_none_or(|n| e.requests == n) && trips <= 1;
            line(
                &format!("{name} in one round trip"),
                m.who,
                format!(
                    "{trips} adapter → debuggee send(s), {} request(s), {:.1} ms = {:.2} × RTT",
                    e.requests,
                    e.ms,
                    e.ms / rtt
                ),
                Some(ok),
            );
        }
        let o = &s.output;
        let mbps = o.received as f64 / 1e6 / o.seconds;
        let mut measured = format!("{mbps:.1} MB/s, print loop {:.2} s", o.loop_s);
        if let Some(f) = floor_of(all, delay, Contender::Floor(release)).map(|f| &f.output) {
            let _ = write!(
                measured,
                "; floor: {:.1} MB/s to the raw reader, print loop {:.2} s (nobody attached: {:.2} s)",
                f.received as f64 / 1e6 / f.seconds,
                f.loop_s,
                f.loop_unattached_s
            );
        }
        if let Some(f) = floor_of(all, delay, Contender::FloorTcp(release)).map(|f| &f.output) {
            let _ = write!(
                measured,
                "; without websockify {:.1} MB/s, print loop {:.2} s",
                f.received as f64 / 1e6 / f.seconds,
                f.loop_s
            );
        }
        line("output ≥ 50 MB/s", m.who, measured, Some(mbps >= 50.0 && o.complete));
        let peak = mib(s.rss_output.sum());
        line("peak RSS < 30 MiB during output (front + owner)", m.who, format!("{peak:.1} MiB"), Some(peak < 30.0));
        let idle = |right_after: crate::sysinfo::Rss, quiet: crate::sysinfo::Rss| {
            let (right_after, quiet_mib) = (mib(right_after.sum()), mib(quiet.sum()));
            let text = format!(
                "{quiet_mib:.1} MiB quiet, {} (owner {:.1}); {right_after:.1} right after the stop",
                quiet_words(),
                mib(quiet.owner)
            );
            (quiet_mib, text)
        };
        let (rss, text) = idle(s.rss_idle, s.rss_quiet);
        line("idle RSS < 12 MiB (front + owner)", m.who, text, Some(rss < 12.0));
        let (pss, text) = idle(s.pss_idle, s.pss_quiet);
        line("idle PSS < 5 MiB (front + owner)", m.who, text, Some(pss < 5.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(stdio_floor: Option<f64>, owner_direct: Option<f64>) -> StopCycleParts {
        StopCycleParts { two_d: 50.0, ours: 52.6, floor: 51.9, floor_tcp: Some(51.6), stdio_floor, owner_direct }
    }

    #[test]
    fn a_stop_cycle_is_split_into_both_floors_the_front_s_relay_and_the_rest() {
        let text = parts(Some(50.3), Some(52.4)).describe();
        assert_eq!(
            text,
            " = floor 51.9 ms (2D +1.9: ptvsd, websockify and the link; without websockify 51.6 ms) \
             + the editor side's floor 0.3 ms (any adapter over stdio: the stdio floor − 2D) \
             + what ptvsd-dap adds beyond both 0.4 ms (the front's relay 0.2 ms: ptvsd-dap − its owner without the front; \
             the rest 0.2 ms); the two floors alone exceed 2D + 2 ms by 0.2 ms"
        );
        // Floors that leave room say how much.
        let roomy = StopCycleParts { floor: 51.0, ..parts(Some(50.3), None) }.describe();
        assert!(
            roomy.ends_with(
                "what ptvsd-dap adds beyond both 1.3 ms; the two floors leave 0.7 ms of the target to an adapter"
            ),
            "{roomy}"
        );
    }

    #[test]
    fn without_the_stdio_floor_the_adapter_s_share_is_one_figure() {
        let text = parts(None, Some(52.4)).describe();
        assert!(text.ends_with("+ the adapter's own 0.7 ms"), "{text}");
        let failed = parts(Some(f64::NAN), None).describe();
        assert!(failed.ends_with("+ the adapter's own 0.7 ms"), "{failed}");
    }

    #[test]
    fn a_part_that_rounds_to_nothing_has_no_sign() {
        assert_eq!((tenths(-0.04), tenths(-0.06), tenths(0.04)), ("0.0".into(), "-0.1".into(), "0.0".into()));
    }
}
