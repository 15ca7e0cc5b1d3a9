//! End-to-end test harness for ptvsd-dap.
//!
//! - [`test_env`]: the cached venvs (one per ptvsd release) and tools, prepared once per process.
//! - [`Release`]: the supported ptvsd releases.
//! - [`Debuggee`]: `python -m ptvsd` running a fixture script, driven through its stdin.
//! - [`Relay`]: websockify in front of a TCP port (the `ws` transport).
//! - [`Remote`]: a debuggee reached over tcp, or over ws through a [`Relay`].
//! - [`NetNs`]: a remote host made by the test (a network namespace a veth pair away).
//! - [`StallingProxy`]: a TCP proxy that can hold all traffic (proves answers come from a cache).
//! - [`ConnectProxy`]: an HTTP CONNECT proxy that records what it is asked.
//! - [`DapClient`]: the adapter binary over stdio, every message schema-checked.
//! - [`var`], [`value_of`], [`reference`]: reading the variables it answered.
//! - [`settle_output`], [`settle_traced`], [`settle_attach_stop`]: wait until ptvsd's attach has settled before
//!   driving the program (docs/protocol.md §8.2).
//!
//! Nothing here sleeps to wait for something: every wait polls a condition against a deadline or
//! blocks on a condition variable with a timeout, and a timeout panics with what was captured.
#![allow(dead_code)]

pub mod chunking_relay;
pub mod connect_proxy;
pub mod dap;
pub mod debuggee;
pub mod fault_proxy;
pub mod frames;
pub mod net;
pub mod netns;
pub mod old_python;
pub mod proxy;
pub mod relay;
pub mod remote;
pub mod schema;
pub mod selftest;
pub mod settle;
pub mod variables;

#[allow(unused_imports)]
pub use connect_proxy::{ConnectProxy, Policy};
#[allow(unused_imports)]
pub use dap::{DapClient, Signal};
#[allow(unused_imports)]
pub use debuggee::Debuggee;
#[allow(unused_imports)]
pub use net::free_port;
#[allow(unused_imports)]
pub use netns::NetNs;
#[allow(unused_imports)]
pub use old_python::{older_python, site_packages, Interpreter};
#[allow(unused_imports)]
pub use proxy::StallingProxy;
#[allow(unused_imports)]
pub use relay::Relay;
#[allow(unused_imports)]
pub use remote::Remote;
#[allow(unused_imports)]
pub use settle::{is_settle_pong, ping_until_stopped, settle_attach_stop, settle_output, settle_traced};
#[allow(unused_imports)]
pub use variables::{reference, value_of, var};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The adapter binary the harness runs: `PTVSD_DAP_TEST_BIN` when set (scripts/dist-test.sh runs
/// end-to-end tests against a shipped build, e.g. the static musl binary), else the one cargo
/// built for these tests.
pub fn adapter_bin() -> PathBuf {
    match std::env::var_os("PTVSD_DAP_TEST_BIN") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "PTVSD_DAP_TEST_BIN={} is not a file", path.display());
            path
        }
        None => PathBuf::from(env!("CARGO_BIN_EXE_ptvsd-dap")),
    }
}

/// `tests/fixtures`, absolute and canonical.
pub fn fixtures_dir() -> PathBuf {
    let dir = repo_root().join("tests").join("fixtures");
    dir.canonicalize().unwrap_or(dir)
}

/// Absolute path of `tests/fixtures/<file>`, as the adapter must report it in `source.path`.
pub fn fixture_path(file: &str) -> PathBuf {
    fixtures_dir().join(file)
}

/// Runs `scripts/setup-test-env.sh` once per test process and returns the cache directory that
/// holds `ptvsd-<version>/bin/python` and `tools/bin/websockify`.
pub fn test_env() -> &'static Path {
    static ENV: OnceLock<PathBuf> = OnceLock::new();
    ENV.get_or_init(|| {
        let script = repo_root().join("scripts").join("setup-test-env.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "{} failed ({}): the end-to-end tests need Python <= 3.11 and PyPI access \
                 (set PTVSD_DAP_PYTHON to such an interpreter).\n--- stderr ---\n{}\n--- stdout ---\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let dir = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        let dir = PathBuf::from(dir);
        assert!(dir.is_dir(), "{} printed {:?}, which is not a directory", script.display(), stdout);
        dir
    })
}

/// The ptvsd releases the adapter supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Release {
    V2_2_0,
    V3_0_0,
    V3_1_0,
    V3_2_1,
}

impl Release {
    pub const ALL: [Release; 4] = [Release::V2_2_0, Release::V3_0_0, Release::V3_1_0, Release::V3_2_1];

    /// "2.2.0", "3.0.0", "3.1.0", "3.2.1".
    pub fn version(self) -> &'static str {
        match self {
            Release::V2_2_0 => "2.2.0",
            Release::V3_0_0 => "3.0.0",
            Release::V3_1_0 => "3.1.0",
            Release::V3_2_1 => "3.2.1",
        }
    }

    /// The wire protocol generation the release greets with (6, 7 or 8).
    pub fn protocol(self) -> u32 {
        match self {
            Release::V2_2_0 | Release::V3_0_0 => 6,
            Release::V3_1_0 => 7,
            Release::V3_2_1 => 8,
        }
    }

    /// `<cache>/ptvsd-<version>/bin/python`.
    pub fn python(self) -> PathBuf {
        let p = test_env().join(format!("ptvsd-{}", self.version())).join("bin").join("python");
        assert!(p.exists(), "{} is missing: scripts/setup-test-env.sh did not create it", p.display());
        p
    }
}

/// The 1-based number of the line of `tests/fixtures/<file>` that carries the comment
/// `# @<marker>` (exactly that marker: `# @bp_work` does not match `# @bp_work2`).
pub fn fixture_line(file: &str, marker: &str) -> u32 {
    let path = fixture_path(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let tag = format!("# @{marker}");
    let hits: Vec<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            line.match_indices(&tag).any(|(i, _)| {
                let rest = &line[i + tag.len()..];
                !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|(i, _)| i as u32 + 1)
        .collect();
    match hits.as_slice() {
        [one] => *one,
        [] => panic!("no line in {} carries the marker `{tag}`", path.display()),
        many => panic!("marker `{tag}` is on several lines of {}: {many:?}", path.display()),
    }
}

/// Polls `cond` every few milliseconds until it returns `Some`, or `timeout` passes.
pub fn poll_until<T>(timeout: Duration, mut cond: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(2);
    loop {
        if let Some(v) = cond() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        // The poll interval of a deadline-bounded wait.
        std::thread::sleep(interval.min(deadline - now));
        interval = (interval * 2).min(Duration::from_millis(25));
    }
}

/// A byte buffer filled by a reader thread, with a condition variable to wait on.
#[derive(Default)]
pub struct SharedBuf {
    data: Mutex<BufState>,
    cond: Condvar,
}

#[derive(Default)]
struct BufState {
    bytes: Vec<u8>,
    closed: bool,
    /// Where the next `wait_contains` starts searching.
    cursor: usize,
}

impl SharedBuf {
    pub fn push(&self, chunk: &[u8]) {
        self.data.lock().unwrap().bytes.extend_from_slice(chunk);
        self.cond.notify_all();
    }

    pub fn close(&self) {
        self.data.lock().unwrap().closed = true;
        self.cond.notify_all();
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data.lock().unwrap().bytes).into_owned()
    }

    /// The last `max` characters, for panic messages.
    pub fn tail(&self, max: usize) -> String {
        tail(&self.text(), max)
    }

    /// Waits until `needle` appears after the end of the previous match (so waiting twice for
    /// "done hit" needs two of them). Returns false on timeout or when the stream closed first.
    pub fn wait_contains(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.data.lock().unwrap();
        loop {
            let from = st.cursor.min(st.bytes.len());
            if let Some(pos) = find(&st.bytes[from..], needle.as_bytes()) {
                st.cursor = from + pos + needle.len();
                return true;
            }
            let now = Instant::now();
            if st.closed || now >= deadline {
                return false;
            }
            st = self.cond.wait_timeout(st, deadline - now).unwrap().0;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The last `max` characters of `s`.
pub fn tail(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else {
        format!("...{}", s.chars().skip(n - max).collect::<String>())
    }
}

/// Spawns a thread that copies `src` into `buf` until EOF.
pub fn capture<R: std::io::Read + Send + 'static>(mut src: R, buf: std::sync::Arc<SharedBuf>) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match src.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.push(&chunk[..n]),
            }
        }
        buf.close();
    });
}

/// A secret unique to this call, safe in a URL's user-info, unlikely to occur by chance.
pub fn unique_secret() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    format!("Sk{:016x}", h.finish())
}

/// Sends a signal to a process with the `kill` command (libc is not a dependency).
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    assert!(status.success(), "kill -{signal} {pid} failed: {status}");
}

/// Sends a signal to a whole process group.
pub fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill").arg(format!("-{signal}")).arg("--").arg(format!("-{pgid}")).status();
}

/// Expands each case `fn case(release: Release)` of the calling file into a module with one
/// `#[test]` per supported release (`case::v3_0_0`), so that nextest runs them in parallel.
#[macro_export]
macro_rules! each_supported_release {
    ($($case:ident),* $(,)?) => {$(
        $crate::for_releases!($case: v2_2_0, v3_0_0, v3_1_0, v3_2_1);
    )*};
}

/// Like [`each_supported_release!`] for the releases named (`case: v3_1_0, v3_2_1`), for a
/// case that only some releases can run.
#[macro_export]
macro_rules! for_releases {
    ($case:ident: $($release:ident),+ $(,)?) => {
        mod $case {
            use super::*;
            $($crate::release_test!($case, $release);)+
        }
    };
}

/// One `#[test]` named after the release, running the case against it.
#[macro_export]
macro_rules! release_test {
    ($case:ident, v2_2_0) => {
        #[test]
        fn v2_2_0() {
            super::$case(Release::V2_2_0)
        }
    };
    ($case:ident, v3_0_0) => {
        #[test]
        fn v3_0_0() {
            super::$case(Release::V3_0_0)
        }
    };
    ($case:ident, v3_1_0) => {
        #[test]
        fn v3_1_0() {
            super::$case(Release::V3_1_0)
        }
    };
    ($case:ident, v3_2_1) => {
        #[test]
        fn v3_2_1() {
            super::$case(Release::V3_2_1)
        }
    };
}
