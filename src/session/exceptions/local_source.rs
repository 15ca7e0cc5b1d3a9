//! Reading a local copy of a debuggee's source file, for the answer to `REQH` (§9.8). The file
//! name comes from the debuggee, which can compile code under any name (`/dev/zero`,
//! `/proc/self/pagemap`): only a regular file of bounded size that lies, once links and `..`
//! are resolved, under one of the allowed roots (a path mapping's local root, the workspace)
//! is read. The caller runs this off the session loop (it touches the filesystem).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Sources larger than this are not read (answered as "everything handled").
pub const MAX_SOURCE_BYTES: u64 = 8 * 1024 * 1024;

/// Why a local copy was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    Missing,
    /// It resolves outside every allowed root.
    OutsideRoots,
    NotARegularFile,
    TooLarge,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreadable::Missing => "no local copy was found (add a path mapping to one)",
            Unreadable::OutsideRoots => "its local path lies outside the workspace and the path mappings' local roots",
            Unreadable::NotARegularFile => "its local path is not a regular file",
            Unreadable::TooLarge => "it is larger than 8 MiB",
        })
    }
}

/// The text of `local` if it is a regular file of at most [`MAX_SOURCE_BYTES`] under one of
/// `roots` (after resolving links and `..`). A root that resolves to a filesystem root is
/// ignored: it would allow everything.
pub fn read_confined(local: &Path, roots: &[PathBuf]) -> Result<String, Unreadable> {
    let resolved = local.canonicalize().map_err(|_| Unreadable::Missing)?;
    let inside = roots
        .iter()
        .filter_map(|root| root.canonicalize().ok())
        .filter(|root| root.parent().is_some())
        .any(|root| resolved.starts_with(root));
    if !inside {
        return Err(Unreadable::OutsideRoots);
    }
    // Checked before opening, since opening a FIFO blocks, and again on the open file.
    let regular = |metadata: std::fs::Metadata| metadata.is_file();
    if !std::fs::metadata(&resolved).is_ok_and(regular) {
        return Err(Unreadable::NotARegularFile);
    }
    let file = std::fs::File::open(&resolved).map_err(|_| Unreadable::Missing)?;
    if !file.metadata().is_ok_and(regular) {
        return Err(Unreadable::NotARegularFile);
    }
    // The size a file reports is not trusted (procfs files say 0): the read itself is bounded.
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).map_err(|_| Unreadable::Missing)?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(Unreadable::TooLarge);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder, removed at the end.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("ptvsd-dap-local-source-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("app")).expect("scratch folder");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn only_regular_files_under_a_root_are_read() {
        let scratch = Scratch::new("roots");
        let root = scratch.0.join("app");
        std::fs::write(root.join("views.py"), "try:\n    f()\nexcept E:\n    pass\n").expect("write");
        std::fs::write(scratch.0.join("secret.py"), "outside").expect("write");
        let roots = [root.clone()];
        assert!(read_confined(&root.join("views.py"), &roots).is_ok_and(|text| text.starts_with("try:")));
        assert_eq!(read_confined(&root.join("../secret.py"), &roots), Err(Unreadable::OutsideRoots));
        assert_eq!(read_confined(&root.join("nope.py"), &roots), Err(Unreadable::Missing));
        assert_eq!(read_confined(Path::new("/proc/self/pagemap"), &roots), Err(Unreadable::OutsideRoots));
        assert_eq!(read_confined(Path::new("/dev/zero"), &roots), Err(Unreadable::OutsideRoots));
        assert_eq!(read_confined(&root, &roots), Err(Unreadable::NotARegularFile));
        // A filesystem root allows nothing, rather than everything.
        assert_eq!(read_confined(Path::new("/dev/zero"), &[PathBuf::from("/")]), Err(Unreadable::OutsideRoots));
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_a_root_and_devices_and_fifos_are_refused() {
        let scratch = Scratch::new("links");
        let root = scratch.0.join("app");
        std::fs::write(scratch.0.join("outside.py"), "x = 1\n").expect("write");
        std::os::unix::fs::symlink(scratch.0.join("outside.py"), root.join("link.py")).expect("symlink");
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.py")).expect("symlink");
        let roots = [root.clone()];
        assert_eq!(read_confined(&root.join("link.py"), &roots), Err(Unreadable::OutsideRoots));
        assert_eq!(read_confined(&root.join("zero.py"), &roots), Err(Unreadable::OutsideRoots));
        // A device or a FIFO inside a root is no source either (opening a FIFO would block).
        let devices = [PathBuf::from("/dev")];
        assert_eq!(read_confined(Path::new("/dev/zero"), &devices), Err(Unreadable::NotARegularFile));
        let fifo = root.join("pipe.py");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|status| status.success());
        if made {
            assert_eq!(read_confined(&fifo, &roots), Err(Unreadable::NotARegularFile));
        }
    }

    #[test]
    fn large_files_are_not_read() {
        let scratch = Scratch::new("large");
        let root = scratch.0.join("app");
        let big = root.join("big.py");
        let file = std::fs::File::create(&big).expect("create");
        file.set_len(MAX_SOURCE_BYTES + 1).expect("set_len");
        assert_eq!(read_confined(&big, &[root]), Err(Unreadable::TooLarge));
    }
}
