//! Letting go of code pages a process ran once.
//!
//! A process keeps every page of this executable it has touched mapped for its whole life (and
//! the kernel maps cached neighbours of each page with it). The front touches the whole start-up
//! path (the runtime, spawning the owner) and then only copies bytes; the owner touches the
//! connect and handshake path (TLS, the WebSocket upgrade, the attach configuration) once. After
//! those phases each drops its mappings of the executable's unmodified read-only pages, so that
//! what stays resident is what it goes on using (BENCHMARKS.md, "Memory"). The pages stay in
//! the kernel's page cache: a later use costs a minor fault, not a read from disk.
//!
//! A process that has relayed nothing for a while lets go again ([`release_when_quiet`]).
//!
//! Linux only (where `/proc/self/smaps` says which pages are unmodified); elsewhere it does
//! nothing. This is the crate's only `unsafe` block.

#[cfg(any(target_os = "linux", test))]
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// How long without a message either way before a process counts as idle.
pub const IDLE_BEFORE_RELEASE: Duration = Duration::from_secs(2);

/// When messages last went through a process, as the threads and tasks that carry them say
/// ([`Activity::touch`]: two atomic operations, no timer); [`release_when_quiet`] watches it.
pub struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last touch.
    last: AtomicU64,
    /// Released since the last touch: the watcher waits for `resumed`.
    released: AtomicBool,
    resumed: Notify,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            released: AtomicBool::new(false),
            resumed: Notify::new(),
        })
    }

    /// A message came or went.
    pub fn touch(&self) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(elapsed, Ordering::Release);
        if self.released.swap(false, Ordering::AcqRel) {
            self.resumed.notify_one();
        }
    }

    fn last_touch(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Acquire))
    }

    /// Resolves once nothing has touched `self` for [`IDLE_BEFORE_RELEASE`], at most once per
    /// quiet spell: after it resolved, it waits for a touch before it can again.
    async fn quiet(&self) {
        loop {
            if self.released.load(Ordering::Acquire) {
                self.resumed.notified().await;
                continue;
            }
            let last = self.last_touch();
            let due = last + IDLE_BEFORE_RELEASE;
            if Instant::now() < due {
                tokio::time::sleep_until(due).await;
                continue;
            }
            self.released.store(true, Ordering::Release);
            // A touch between the check and the flag did not see the flag: not quiet after all.
            if self.last_touch() == last {
                return;
            }
            self.released.store(false, Ordering::Release);
        }
    }
}

/// Lets go of the code pages ([`release_code_pages_in_background`]) each time `activity` has
/// been quiet for [`IDLE_BEFORE_RELEASE`]: what the last stop, the variables shown and the
/// output ran is not needed while the user reads the code, and the next message faults back
/// what it uses. Runs until dropped (Linux only: elsewhere it returns at once).
pub async fn release_when_quiet(activity: Arc<Activity>) {
    if !cfg!(target_os = "linux") {
        return;
    }
    loop {
        activity.quiet().await;
        release_code_pages_in_background();
    }
}

/// [`release_code_pages`] on a thread of its own: reading `/proc/self/smaps` takes a few
/// milliseconds, which a session must not wait for.
pub fn release_code_pages_in_background() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let spawned = std::thread::Builder::new().name("release-code-pages".into()).spawn(release_code_pages);
    if let Err(error) = spawned {
        tracing::debug!(%error, "could not start the thread that releases code pages");
    }
}

/// Drops this process's mappings of its own executable's unmodified, read-only pages.
pub fn release_code_pages() {
    #[cfg(target_os = "linux")]
    {
        let Ok(exe) = std::fs::read_link("/proc/self/exe") else { return };
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return };
        for range in clean_read_only_ranges(&smaps, &exe.to_string_lossy()) {
            drop_page_mappings(range);
        }
    }
}

/// The mappings in `smaps` (the format of `/proc/<pid>/smaps`) of the file `exe` that are not
/// writable and hold no anonymous page: every page in them is the file's own content. A
/// read-only mapping the loader wrote into (relocations, then made read-only) holds anonymous
/// pages and is left alone.
#[cfg(any(target_os = "linux", test))]
fn clean_read_only_ranges(smaps: &str, exe: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut candidate: Option<Range<usize>> = None;
    for line in smaps.lines() {
        if let Some((range, writable, path)) = mapping_header(line) {
            candidate = (!writable && path == exe).then_some(range);
        } else if let Some(size) = line.strip_prefix("Anonymous:") {
            if let Some(range) = candidate.take() {
                if size.trim() == "0 kB" {
                    ranges.push(range);
                }
            }
        }
    }
    ranges
}

/// A mapping's first line, "start-end perms offset dev inode [path]": its range, whether it is
/// writable, and its path ("" for an anonymous mapping).
#[cfg(any(target_os = "linux", test))]
fn mapping_header(line: &str) -> Option<(Range<usize>, bool, &str)> {
    let mut fields = line.split_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    let perms = fields.next()?;
    if start >= end || perms.len() != 4 {
        return None;
    }
    let (_offset, _dev, _inode) = (fields.next()?, fields.next()?, fields.next()?);
    Some((start..end, perms.contains('w'), fields.next().unwrap_or("")))
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn drop_page_mappings(range: Range<usize>) {
    // SAFETY: `range` is a whole mapping of this executable that is read-only and holds no
    // modified page, so each of its pages is the file's content. MADV_DONTNEED only removes the
    // page-table entries of the range: the next access (from any thread) maps the same page
    // again. No memory that Rust code owns is changed or freed.
    let result = unsafe { libc::madvise(range.start as *mut libc::c_void, range.len(), libc::MADV_DONTNEED) };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not release code pages");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = "/opt/ptvsd-dap/ptvsd-dap";

    fn smaps(mappings: &[(&str, &str, &str, u32)]) -> String {
        mappings
            .iter()
            .map(|(range, perms, path, anonymous_kib)| {
                format!(
                    "{range} {perms} 00000000 fd:00 1234 {path}\nSize: 8 kB\nRss: 8 kB\n\
                     Anonymous: {anonymous_kib:>8} kB\nAnonHugePages: 0 kB\nVmFlags: rd mr\n"
                )
            })
            .collect()
    }

    #[test]
    fn only_clean_read_only_mappings_of_the_executable_are_released() {
        let text = smaps(&[
            ("1000-3000", "r--p", EXE, 0),
            ("3000-9000", "r-xp", EXE, 0),
            // Relocated by the loader, then made read-only: its pages are not the file's.
            ("9000-a000", "r--p", EXE, 4),
            ("a000-b000", "rw-p", EXE, 0),
            ("b000-c000", "rw-p", "", 4),
            ("c000-d000", "r-xp", "/usr/lib/libc.so.6", 0),
            ("d000-e000", "r-xp", "/opt/ptvsd-dap/ptvsd-dap.old", 0),
        ]);
        assert_eq!(clean_read_only_ranges(&text, EXE), vec![0x1000..0x3000, 0x3000..0x9000]);
    }

    #[test]
    fn malformed_lines_release_nothing() {
        let text = "zz-10 r-xp 0 0 0 /x\nAnonymous: 0 kB\n10-5 r-xp 0 0 0 /x\nAnonymous: 0 kB\n\
                    10-20 r-xp\nAnonymous: 0 kB\n";
        assert!(clean_read_only_ranges(text, "/x").is_empty());
    }

    /// How long `quiet` took to resolve, in paused time; `None` if not within a minute.
    async fn quiet(activity: &Activity) -> Option<Duration> {
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(60), activity.quiet()).await.ok().map(|()| started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn quiet_once_per_quiet_spell() {
        let activity = Activity::new();
        // A touch a second in puts the quiet moment two seconds after it.
        tokio::time::advance(Duration::from_secs(1)).await;
        activity.touch();
        assert_eq!(quiet(&activity).await, Some(IDLE_BEFORE_RELEASE));
        // Quiet already said: nothing more until the next touch.
        assert_eq!(quiet(&activity).await, None);
        activity.touch();
        assert_eq!(quiet(&activity).await, Some(IDLE_BEFORE_RELEASE));
    }

    #[tokio::test(start_paused = true)]
    async fn a_touch_while_waiting_pushes_quiet_back() {
        let activity = Activity::new();
        let started = Instant::now();
        let toucher = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move {
                for _ in 0..3 {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    activity.touch();
                }
            })
        };
        activity.quiet().await;
        assert_eq!(started.elapsed(), Duration::from_millis(4500) + IDLE_BEFORE_RELEASE);
        toucher.await.unwrap();
    }

    /// The real thing on this test process: the executable's code stays usable and its clean
    /// read-only mappings are no longer resident right after the release.
    #[cfg(target_os = "linux")]
    #[test]
    fn releasing_drops_the_code_pages_and_the_process_runs_on() {
        let exe = std::fs::read_link("/proc/self/exe").unwrap().to_string_lossy().into_owned();
        let resident = || {
            let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
            let clean = clean_read_only_ranges(&smaps, &exe);
            let mut total = 0;
            let mut counting = false;
            for line in smaps.lines() {
                if let Some((range, _, _)) = mapping_header(line) {
                    counting = clean.contains(&range);
                } else if let (true, Some(size)) = (counting, line.strip_prefix("Rss:")) {
                    total += size.trim().trim_end_matches(" kB").parse::<u64>().unwrap();
                }
            }
            total
        };
        let before = resident();
        assert!(before > 0, "the test binary's code is resident while it runs");
        release_code_pages();
        let after = resident();
        assert!(after < before / 2, "resident code: {before} kB before, {after} kB after");
        // Code dropped from the mapping runs again (it faults back in).
        assert_eq!(format!("{:?}", vec![1, 2, 3]), "[1, 2, 3]");
    }
}
