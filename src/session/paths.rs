//! Local (editor) ↔ remote (debuggee) paths. Either side may use Windows paths (App Service
//! runs under `D:\home\site\wwwroot`; the editor may run on Windows) while the other does not.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMapping {
    local_root: String,
    remote_root: String,
}

impl PathMapping {
    pub fn new(local_root: &str, remote_root: &str) -> Self {
        PathMapping {
            local_root: local_root.trim_end_matches(['/', '\\']).to_string(),
            remote_root: remote_root.trim_end_matches(['/', '\\']).to_string(),
        }
    }

    fn remote_is_windows(&self) -> bool {
        is_windows_path(&self.remote_root)
    }

    fn local_is_windows(&self) -> bool {
        is_windows_path(&self.local_root)
    }
}

fn is_windows_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.contains('\\') || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
}

/// `rest` of a path with the separators of the side it goes to; untouched between two POSIX sides.
fn with_separators(rest: &str, from_windows: bool, to_windows: bool) -> String {
    if to_windows {
        rest.replace('/', "\\")
    } else if from_windows {
        rest.replace('\\', "/")
    } else {
        rest.to_string()
    }
}

/// The rest of `path` after `root`, if `path` is `root` itself or lies below it.
fn strip_root<'a>(path: &'a str, root: &str, ignore_case: bool) -> Option<&'a str> {
    let head = path.get(..root.len())?;
    let matches = if ignore_case { head.eq_ignore_ascii_case(root) } else { head == root };
    if !matches {
        return None;
    }
    let rest = &path[root.len()..];
    (rest.is_empty() || rest.starts_with(['/', '\\'])).then_some(rest)
}

#[derive(Debug, Clone, Default)]
pub struct PathMapper {
    mappings: Vec<PathMapping>,
}

impl PathMapper {
    pub fn new(mappings: Vec<PathMapping>) -> Self {
        PathMapper { mappings }
    }

    /// The local roots of the mappings.
    pub fn local_roots(&self) -> impl Iterator<Item = &str> {
        self.mappings.iter().map(|mapping| mapping.local_root.as_str())
    }

    /// The debuggee's path for an editor path. Without a matching mapping the local path is
    /// sent as it is: ptvsd's relaxed matching still binds by file and package name (§9.7).
    pub fn to_remote(&self, local: &str) -> String {
        for mapping in &self.mappings {
            let (local_windows, remote_windows) = (mapping.local_is_windows(), mapping.remote_is_windows());
            if let Some(rest) = strip_root(local, &mapping.local_root, local_windows) {
                return format!("{}{}", mapping.remote_root, with_separators(rest, local_windows, remote_windows));
            }
        }
        local.to_string()
    }

    /// The editor's path for a debuggee path; unchanged when no mapping matches.
    pub fn to_local(&self, remote: &str) -> String {
        for mapping in &self.mappings {
            let (local_windows, remote_windows) = (mapping.local_is_windows(), mapping.remote_is_windows());
            if let Some(rest) = strip_root(remote, &mapping.remote_root, remote_windows) {
                return format!("{}{}", mapping.local_root, with_separators(rest, remote_windows, local_windows));
            }
        }
        remote.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_both_ways() {
        let mapper = PathMapper::new(vec![PathMapping::new("/home/me/app/", "/srv/app")]);
        assert_eq!(mapper.to_remote("/home/me/app/pkg/views.py"), "/srv/app/pkg/views.py");
        assert_eq!(mapper.to_local("/srv/app/pkg/views.py"), "/home/me/app/pkg/views.py");
        assert_eq!(mapper.to_local("/srv/application/x.py"), "/srv/application/x.py");
        assert_eq!(mapper.to_remote("/elsewhere/x.py"), "/elsewhere/x.py");
    }

    #[test]
    fn windows_remote_is_case_insensitive_with_backslashes() {
        let mapper = PathMapper::new(vec![PathMapping::new("/home/me/site", r"D:\home\site\wwwroot")]);
        assert_eq!(mapper.to_remote("/home/me/site/app/main.py"), r"D:\home\site\wwwroot\app\main.py");
        assert_eq!(mapper.to_local(r"d:\HOME\site\wwwroot\app\main.py"), "/home/me/site/app/main.py");
    }

    #[test]
    fn windows_editor_with_posix_or_windows_remote() {
        // VS Code on Windows may send the drive letter in either case.
        let mapper = PathMapper::new(vec![PathMapping::new(r"C:\Users\me\app\", "/srv/app")]);
        assert_eq!(mapper.to_remote(r"c:\users\me\app\pkg\views.py"), "/srv/app/pkg/views.py");
        assert_eq!(mapper.to_local("/srv/app/pkg/views.py"), r"C:\Users\me\app\pkg\views.py");
        assert_eq!(mapper.to_remote(r"C:\Users\me\application\x.py"), r"C:\Users\me\application\x.py");
        let mapper = PathMapper::new(vec![PathMapping::new(r"C:\work\site", r"D:\home\site\wwwroot")]);
        assert_eq!(mapper.to_remote(r"C:\work\site\app/main.py"), r"D:\home\site\wwwroot\app\main.py");
        assert_eq!(mapper.to_local(r"D:\home\site\wwwroot\app\main.py"), r"C:\work\site\app\main.py");
    }
}
