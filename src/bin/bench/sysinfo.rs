//! What /proc tells: listening ports, process trees, resident memory; and the machine.

use std::collections::HashSet;
use std::time::Duration;

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// Inodes of the sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}.
fn listening_inodes(port: u16) -> Vec<u64> {
    let mut inodes = Vec::new();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let local_port = f[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) {
                inodes.extend(f[9].parse::<u64>().ok());
            }
        }
    }
    inodes
}

fn socket_inodes_of(pid: u32) -> HashSet<u64> {
    let mut set = HashSet::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for entry in dir.flatten() {
            if let Ok(target) = std::fs::read_link(entry.path()) {
                let t = target.to_string_lossy();
                if let Some(n) = t.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
                    set.extend(n.parse::<u64>().ok());
                }
            }
        }
    }
    set
}

/// Waits until process `pid` itself listens on `port` (never by connecting: a connection that
/// closes after ptvsd's greeting wedges its attach server), or `alive()` turns false.
pub async fn wait_listening(pid: u32, port: u16, timeout: Duration, mut alive: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut interval = Duration::from_millis(2);
    loop {
        let listening = listening_inodes(port);
        if !listening.is_empty() && listening.iter().any(|i| socket_inodes_of(pid).contains(i)) {
            return true;
        }
        if !alive() || tokio::time::Instant::now() >= deadline {
            return false;
        }
        // /proc has no change notification: poll, with a growing interval, against the deadline.
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_millis(20));
    }
}

/// The parent pid of every process, from /proc/<pid>/stat.
fn parents() -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
            out.push((pid, ppid));
        }
    }
    out
}

/// Every descendant of `pid` (the adapter's connection owner, for ptvsd-dap).
pub fn descendants(pid: u32) -> Vec<u32> {
    let all = parents();
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for &(child, parent) in &all {
            if parent == p && !found.contains(&child) {
                found.push(child);
                frontier.push(child);
            }
        }
    }
    found
}

fn status_kib(pid: u32, field: &str) -> u64 {
    proc_kib(pid, "status", field)
}

/// A `Field: N kB` line of `/proc/<pid>/<file>`.
fn proc_kib(pid: u32, file: &str, field: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/{file}")) else { return 0 };
    text.lines()
        .find_map(|l| {
            l.strip_prefix(field).and_then(|rest| rest.trim_start_matches(':').split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory of an adapter: the process the editor started and its descendants.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    /// KiB: the front (the process the editor started).
    pub front: u64,
    /// KiB: its descendants (ptvsd-dap's connection owner; none for debugpy).
    pub owner: u64,
}

impl Rss {
    pub fn sum(self) -> u64 {
        self.front + self.owner
    }
}

/// Resets the peak-RSS counters (VmHWM) of `pid` and its descendants (`clear_refs` 5).
pub fn reset_peak(pid: u32) {
    for p in std::iter::once(pid).chain(descendants(pid)) {
        let _ = std::fs::write(format!("/proc/{p}/clear_refs"), b"5");
    }
}

/// Peak RSS since the last `reset_peak` (VmHWM), front and descendants (summed).
pub fn peak(pid: u32) -> Rss {
    Rss { front: status_kib(pid, "VmHWM"), owner: descendants(pid).into_iter().map(|p| status_kib(p, "VmHWM")).sum() }
}

/// Current RSS (VmRSS).
pub fn current(pid: u32) -> Rss {
    Rss { front: status_kib(pid, "VmRSS"), owner: descendants(pid).into_iter().map(|p| status_kib(p, "VmRSS")).sum() }
}

/// Anonymous resident memory (RssAnon: the heap and stacks, not the mapped binary that the
/// front and the owner share).
pub fn current_anon(pid: u32) -> Rss {
    Rss {
        front: status_kib(pid, "RssAnon"),
        owner: descendants(pid).into_iter().map(|p| status_kib(p, "RssAnon")).sum(),
    }
}

/// Proportional set size (Pss from smaps_rollup): each page shared with other processes (the
/// binary's pages the front and the owner both map, libc) counted as its share only.
pub fn current_pss(pid: u32) -> Rss {
    let pss = |p: u32| proc_kib(p, "smaps_rollup", "Pss");
    Rss { front: pss(pid), owner: descendants(pid).into_iter().map(pss).sum() }
}

/// CPU time (user + system, in seconds) of `pid`, and of all its descendants.
pub fn cpu_seconds(pid: u32) -> (f64, f64) {
    let own = cpu_of(&[pid]);
    (own, cpu_of(&descendants(pid)))
}

/// CPU time (user + system, in seconds) of the calling thread.
pub fn thread_cpu_seconds() -> f64 {
    stat_ticks("/proc/thread-self/stat") as f64 / ticks_per_second()
}

fn cpu_of(pids: &[u32]) -> f64 {
    pids.iter().map(|p| stat_ticks(&format!("/proc/{p}/stat"))).sum::<u64>() as f64 / ticks_per_second()
}

fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        command_output("getconf", &["CLK_TCK"]).parse::<f64>().ok().filter(|t| *t > 0.0).unwrap_or(100.0)
    })
}

/// utime + stime of a `stat` file, in clock ticks (0 if it cannot be read).
fn stat_ticks(path: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(path) else { return 0 };
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else { return 0 };
    let f: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; 11 and 12 after "(comm)".
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

/// "model, N cores, M GiB, Linux <release>".
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem_gib = status_like("/proc/meminfo", "MemTotal") as f64 / 1024.0 / 1024.0;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem_gib:.0} GiB RAM, Linux {}", kernel.trim())
}

fn status_like(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The output of a command, trimmed ("" if it fails).
pub fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)).trim().to_string()
        })
        .unwrap_or_default()
}
