//! Pythons other than the venvs' 3.11, running the releases' ptvsd (pure Python) from their
//! venvs: the 2.7 and 3.6 that App Service sites ran ([`Interpreter`]), and any Python older than
//! 3.10 for the cases that need one (ptvsd's own TLS, set next statement).

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
    if let Some(versions) = pyenv_versions() {
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

/// `$PYENV_ROOT/versions` (`~/.pyenv/versions` by default).
fn pyenv_versions() -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")))?;
    Some(root.join("versions"))
}

/// A Python that App Service sites ran besides 3.11 (which the venvs run): the debuggee's
/// interpreter in tests/e2e_pythons.rs. `scripts/setup-old-pythons.sh` installs them with pyenv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpreter {
    Python27,
    Python36,
}

impl Interpreter {
    /// "2.7", "3.6": how `sys.version` and the adapter's attach line name it.
    pub fn short_version(self) -> &'static str {
        match self {
            Interpreter::Python27 => "2.7",
            Interpreter::Python36 => "3.6",
        }
    }

    /// The pyenv version `scripts/setup-old-pythons.sh` installs.
    pub fn pyenv_version(self) -> &'static str {
        match self {
            Interpreter::Python27 => "2.7.18",
            Interpreter::Python36 => "3.6.15",
        }
    }

    /// The environment variable that points at another interpreter of this version.
    pub fn override_variable(self) -> &'static str {
        match self {
            Interpreter::Python27 => "PTVSD_DAP_PYTHON_2_7",
            Interpreter::Python36 => "PTVSD_DAP_PYTHON_3_6",
        }
    }

    pub fn is_python2(self) -> bool {
        self == Interpreter::Python27
    }

    /// `$PTVSD_DAP_PYTHON_2_7` (or `_3_6`), else pyenv's `<root>/versions/<version>/bin/python`.
    /// Panics, naming the install to run, when it is missing or is another version: a skipped
    /// case would hide a broken feature.
    pub fn path(self) -> PathBuf {
        let (path, source) = match std::env::var_os(self.override_variable()) {
            Some(path) => (PathBuf::from(path), self.override_variable().to_string()),
            None => {
                let path = pyenv_versions()
                    .map(|versions| versions.join(self.pyenv_version()).join("bin").join("python"))
                    .unwrap_or_default();
                (path, "pyenv".to_string())
            }
        };
        let version = Command::new(&path)
            .args(["-c", "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
        match version {
            Some(version) if version == self.short_version() => path,
            found => panic!(
                "no Python {} at {} (from {source}; it answered {found:?}): run scripts/setup-old-pythons.sh \
                 (`pyenv install -s {}`), or point {} at a Python {}",
                self.short_version(),
                path.display(),
                self.pyenv_version(),
                self.override_variable(),
                self.short_version()
            ),
        }
    }
}
