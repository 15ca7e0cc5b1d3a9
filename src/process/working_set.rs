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
//! Linux only (where `/proc/self/smaps` says which pages are unmodified); elsewhere it does
//! nothing. This is the crate's only `unsafe` block.

#[cfg(any(target_os = "linux", test))]
use std::ops::Range;

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
