//! The adapter's log: a file only its user can read, never followed through a symbolic link,
//! from which every secret the process holds is removed (whatever wrote it: the debuggee can
//! send its own secret in a variable or its output), and in which the WebSocket and TLS
//! libraries can never log frame payloads, whatever filter is asked for.

use std::io::{self, Write};
use std::path::Path;

use tracing::Level;
use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::config::secret;

/// Libraries that trace raw frames, which carry the secret in the handshake: never above info.
const PAYLOAD_TARGETS: [&str; 3] = ["tungstenite", "tokio_tungstenite", "rustls"];

/// Logs at `level` (a level or an `EnvFilter` directive list) to `file`, or warnings to stderr.
pub fn init(level: &str, file: Option<&Path>) -> Result<(), String> {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let never_payloads = filter_fn(|metadata| {
        *metadata.level() <= Level::INFO || !PAYLOAD_TARGETS.iter().any(|target| is_within(metadata.target(), target))
    });
    match file {
        Some(path) => {
            let file = open_log_file(path)?;
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Redacting(std::sync::Mutex::new(file)))
                .with_filter(never_payloads.and(filter));
            tracing_subscriber::registry().with(layer).try_init().map_err(|error| error.to_string())
        }
        None => {
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(Redacting(io::stderr))
                .with_filter(never_payloads.and(EnvFilter::new("warn")));
            tracing_subscriber::registry().with(layer).try_init().map_err(|error| error.to_string())
        }
    }
}

/// `target` is `module` or one of its submodules.
fn is_within(target: &str, module: &str) -> bool {
    target.strip_prefix(module).is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Opens (or creates) the log for appending, readable and writable by its owner only. On unix a
/// symbolic link is refused, not followed (someone else's link in a shared folder would make the
/// adapter write wherever it points), and an existing file is narrowed to mode 0600.
pub fn open_log_file(path: &Path) -> Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let shown = path.display();
    let file = options.open(path).map_err(|error| match error.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ELOOP) => format!("cannot open log file {shown}: it is a symbolic link, which is not followed"),
        _ => format!("cannot open log file {shown}: {error}"),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = file.metadata().map_err(|error| format!("cannot read log file {shown}: {error}"))?;
        if !metadata.is_file() {
            return Err(format!("cannot use log file {shown}: it is not a regular file"));
        }
        if metadata.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|error| format!("cannot make log file {shown} private (mode 0600): {error}"))?;
        }
    }
    Ok(file)
}

/// A `MakeWriter` whose writers hold each event's text and write it, redacted, when dropped
/// (the formatter makes one writer per event).
struct Redacting<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactedEvent<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedEvent { text: Vec::new(), inner: self.0.make_writer() }
    }
}

struct RedactedEvent<W: Write> {
    text: Vec<u8>,
    inner: W,
}

impl<W: Write> Write for RedactedEvent<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactedEvent<W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.text);
        let _ = self.inner.write_all(secret::redact(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_targets_are_matched_by_module() {
        assert!(is_within("tungstenite", "tungstenite"));
        assert!(is_within("tungstenite::protocol::frame", "tungstenite"));
        assert!(!is_within("tungstenite_extra", "tungstenite"));
        assert!(!is_within("ptvsd_dap::transport", "tungstenite"));
    }

    #[test]
    fn an_event_is_written_once_and_redacted() {
        let _secret = crate::config::Secret::new("log-writer-secret");
        let mut out = Vec::new();
        {
            let mut event = RedactedEvent { text: Vec::new(), inner: &mut out };
            write!(event, "argv = ['app.py', 'log-writer-").unwrap();
            writeln!(event, "secret']").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "argv = ['app.py', '<redacted>']\n");
    }

    #[cfg(unix)]
    #[test]
    fn the_log_file_is_private_and_never_a_followed_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("ptvsd-dap-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("new.log");
        open_log_file(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let existing = dir.join("existing.log");
        std::fs::write(&existing, "old\n").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_log_file(&existing).unwrap();
        assert_eq!(std::fs::metadata(&existing).unwrap().permissions().mode() & 0o777, 0o600);
        let target = dir.join("victim");
        std::fs::write(&target, "precious\n").unwrap();
        let link = dir.join("link.log");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = open_log_file(&link).unwrap_err();
        assert!(error.contains("symbolic link"), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
