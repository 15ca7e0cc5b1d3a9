//! A Python older than 3.10 for the cases that need one (ptvsd's own TLS, set next
//! statement), running the releases' ptvsd from their venvs.

use super::Release;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `<cache>/ptvsd-<version>/lib/python3.X/site-packages`: ptvsd 2.2–3.2 is pure Python.
pub fn site_packages(release: Release) -> PathBuf {
    let lib = release.python().parent().and_then(Path::parent).map(|venv| venv.join("lib")).expect("venv layout");
    std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", lib.display()))
        .flatten()
        .map(|entry| entry.path().join("site-packages"))
        .find(|path| path.join("ptvsd").is_dir())
        .unwrap_or_else(|| panic!("no site-packages with ptvsd under {}", lib.display()))
}

/// A Python 3.9 or older: `PTVSD_DAP_OLD_PYTHON`, else `python3.9`/`3.8`/`3.7` on the PATH, else
/// pyenv's versions. Panics, naming what to install, when there is none.
pub fn older_python() -> PathBuf {
    let is_old = |python: &Path| {
        Command::new(python)
            .args(["-c", "import ssl, sys; sys.exit(0 if sys.version_info < (3, 10) else 1)"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if let Some(path) = std::env::var_os("PTVSD_DAP_OLD_PYTHON") {
        let path = PathBuf::from(path);
        assert!(is_old(&path), "PTVSD_DAP_OLD_PYTHON={} is not a Python 3.9 or older with ssl", path.display());
        return path;
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["python3.9", "python3.8", "python3.7"] {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join(name)));
    }
    let pyenv_root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")));
    if let Some(versions) = pyenv_root.map(|root| root.join("versions")) {
        let mut found: Vec<PathBuf> =
            std::fs::read_dir(versions).into_iter().flatten().flatten().map(|entry| entry.path()).collect();
        // The newest first: 3.9 before 3.8 before 3.7.
        found.sort_by_key(|dir| std::cmp::Reverse(dir.file_name().and_then(|n| n.to_str()).map(version_key)));
        candidates.extend(found.into_iter().map(|dir| dir.join("bin").join("python")));
    }
    candidates.into_iter().find(|candidate| candidate.is_file() && is_old(candidate)).unwrap_or_else(|| {
        panic!(
            "no Python 3.9 or older found (PTVSD_DAP_OLD_PYTHON, python3.9/3.8/3.7 on the PATH, pyenv's versions): \
             ptvsd's own TLS (TLS 1.0) cannot handshake on Python 3.10+ (docs/protocol.md §1.3), so this test needs \
             an older interpreter. Point PTVSD_DAP_OLD_PYTHON at one"
        )
    })
}

/// "3.9.18" → [3, 9, 18]; other names sort first.
fn version_key(name: &str) -> Vec<u32> {
    name.split('.').map(|part| part.parse().unwrap_or(0)).collect()
}
