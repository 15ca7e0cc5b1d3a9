//! Fuzz targets for ptvsd-dap's decoders; the harness itself is `harness.rs` (shared with the
//! CI test `tests/hostile_input.rs`). See README.md.

#[path = "harness.rs"]
pub mod harness;

pub use harness::{fuzz_one, Target};

/// Counts allocations per thread for the harness's memory bound.
#[global_allocator]
static ALLOCATOR: harness::CountingAlloc = harness::CountingAlloc;

/// The entry point of every target binary: the engine's loop, or, without an engine, a replay
/// of the files (and the files in the directories) named on the command line.
#[macro_export]
macro_rules! fuzz_main {
    ($target:expr) => {
        #[cfg(feature = "libfuzzer")]
        libfuzzer_sys::fuzz_target!(|data: &[u8]| $crate::fuzz_one($target, data));

        #[cfg(all(feature = "afl", not(feature = "libfuzzer")))]
        fn main() {
            afl::fuzz!(|data: &[u8]| $crate::fuzz_one($target, data));
        }

        #[cfg(not(any(feature = "afl", feature = "libfuzzer")))]
        fn main() {
            $crate::replay($target);
        }
    };
}

/// Runs every file named on the command line (directories: every file in them) through the
/// target, printing each name first, so a panic names its input.
pub fn replay(target: Target) {
    let mut files = Vec::new();
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&path)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.is_file())
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path);
        }
    }
    assert!(harness::counting_allocator_installed());
    for file in &files {
        eprintln!("{}: {}", target.name(), file.display());
        let data = std::fs::read(file).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        fuzz_one(target, &data);
        if std::env::var_os("FUZZ_VERBOSE").is_some() {
            if let [_, variant, stream @ ..] = &data[..] {
                let outcome = harness::run(target, *variant, stream, &[stream.len()]);
                eprintln!(
                    "  {} bytes: {} events, {} DAP messages, end {:?}",
                    stream.len(),
                    outcome.events.len(),
                    outcome.requests.len(),
                    outcome.end
                );
            }
        }
    }
    eprintln!("{}: {} inputs replayed, no failure", target.name(), files.len());
}
