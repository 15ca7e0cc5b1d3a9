//! Which protocol generation a debuggee speaks, detected from its greeting, and what each
//! release can do (`docs/protocol.md` §0.2, §2.3, §12).

use bytes::BytesMut;

use super::{json::JsonCodec, v6::V6Codec, Codec, DecodeError};

/// A wire protocol generation (`PTVSDBG` version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Binary, ptvsd 2.2.0 and 3.0.0.
    V6,
    /// JSON, ptvsd 3.1.0.
    V7,
    /// JSON, ptvsd 3.2.x.
    V8,
}

impl Generation {
    pub fn protocol_version(self) -> i64 {
        match self {
            Generation::V6 => 6,
            Generation::V7 => 7,
            Generation::V8 => 8,
        }
    }

    pub fn codec(self) -> Box<dyn Codec> {
        match self {
            Generation::V6 => Box::new(V6Codec::new()),
            Generation::V7 | Generation::V8 => Box::new(JsonCodec::new(self.protocol_version())),
        }
    }
}

/// What the first bytes from the debuggee said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    Supported(Generation),
    /// A ptvsd we do not speak: `binary` tells which family, so the adapter can back out
    /// gracefully with that family's handshake (§3.1.3, §3.2.2).
    Unsupported {
        version: i64,
        binary: bool,
    },
}

impl Greeting {
    /// The codec to finish (or back out of) the handshake with.
    pub fn codec(&self) -> Box<dyn Codec> {
        match self {
            Greeting::Supported(generation) => generation.codec(),
            Greeting::Unsupported { binary: true, .. } => Box::new(V6Codec::new()),
            Greeting::Unsupported { version, .. } => Box::new(JsonCodec::new(*version)),
        }
    }
}

/// The supported releases, in the words a user knows them by.
pub const SUPPORTED_RELEASES: &str = "ptvsd 2.2, 3.0, 3.1 and 3.2 (protocols 6, 7 and 8)";

/// Consumes the greeting from the front of `buf`, or returns `Ok(None)` if more bytes are needed.
pub fn detect_greeting(buf: &mut BytesMut) -> Result<Option<Greeting>, DecodeError> {
    const SIGNATURE: &[u8] = b"PTVSDBG";
    const JSON_START: &[u8] = b"Content-Length:";
    let n = buf.len().min(SIGNATURE.len().max(JSON_START.len()));
    let head = &buf[..n];
    if SIGNATURE.starts_with(&head[..n.min(SIGNATURE.len())]) {
        if buf.len() < SIGNATURE.len() + 8 {
            return Ok(None);
        }
        let mut version_bytes = [0u8; 8];
        version_bytes.copy_from_slice(&buf[SIGNATURE.len()..SIGNATURE.len() + 8]);
        let version = i64::from_be_bytes(version_bytes);
        let _ = buf.split_to(SIGNATURE.len() + 8);
        return Ok(Some(if version == 6 {
            Greeting::Supported(Generation::V6)
        } else {
            Greeting::Unsupported { version, binary: true }
        }));
    }
    if JSON_START.starts_with(&head[..n.min(JSON_START.len())]) {
        return super::json::decode_greeting(buf);
    }
    Err(DecodeError::NotPtvsd(printable_prefix(&buf[..buf.len().min(16)])))
}

fn printable_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect()
}

/// The ptvsd release behind a connection. Protocol 6 is shared by 2.2.0 and 3.0.0, which differ
/// in commands that are fatal on one of them (`thrf`): until the release is known, assume the
/// smaller feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Protocol 6, release not known yet: only what 2.2.0 also has.
    Protocol6Unknown,
    Ptvsd22,
    Ptvsd30,
    Ptvsd31,
    Ptvsd32,
}

impl Release {
    pub fn initial(generation: Generation) -> Self {
        match generation {
            Generation::V6 => Release::Protocol6Unknown,
            Generation::V7 => Release::Ptvsd31,
            Generation::V8 => Release::Ptvsd32,
        }
    }

    /// From `ptvsd.__version__` as evaluated in the debuggee (2.2.0 has none).
    pub fn from_version_text(generation: Generation, version: Option<&str>) -> Self {
        match (generation, version) {
            (Generation::V6, Some(v)) if v.starts_with("3.") => Release::Ptvsd30,
            (Generation::V6, _) => Release::Ptvsd22,
            (other, _) => Release::initial(other),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Release::Protocol6Unknown => "ptvsd 2.2 or 3.0",
            Release::Ptvsd22 => "ptvsd 2.2",
            Release::Ptvsd30 => "ptvsd 3.0",
            Release::Ptvsd31 => "ptvsd 3.1",
            Release::Ptvsd32 => "ptvsd 3.2",
        }
    }

    /// `thrf` / `legacyGetThreadFrames` (fatal on 2.2.0).
    pub fn can_get_thread_frames(self) -> bool {
        !matches!(self, Release::Protocol6Unknown | Release::Ptvsd22)
    }

    /// A failed `setl` deadlocks protocol 6 debuggees (§9.10).
    pub fn can_set_next_statement(self) -> bool {
        matches!(self, Release::Ptvsd31 | Release::Ptvsd32)
    }

    /// Where ptvsd keeps its own socket: a module and a chain of attributes (§1.2).
    pub fn debugger_socket_path(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Release::Protocol6Unknown | Release::Ptvsd22 | Release::Ptvsd30 => {
                ("ptvsd.visualstudio_py_debugger", &["conn"])
            }
            Release::Ptvsd31 => ("ptvsd.visualstudio_py_debugger", &["DebuggerLoop", "instance", "_SocketIO__socket"]),
            Release::Ptvsd32 => ("ptvsd.debugger", &["DebuggerLoop", "instance", "_SocketIO__socket"]),
        }
    }

    /// The attach stop's one evaluation (§12): `ptvsd.__version__` (None on 2.2.0), having set
    /// `TCP_NODELAY` on ptvsd's own socket (§1.2). Every step is a `getattr` with a default, so
    /// it cannot fail on any release.
    pub fn attach_probe_text(self) -> String {
        let (module, attributes) = self.debugger_socket_path();
        let mut socket = format!("__import__('sys').modules.get('{module}')");
        for attribute in attributes {
            socket = format!("getattr({socket}, '{attribute}', None)");
        }
        format!(
            "[getattr(__import__('sys').modules.get('ptvsd'), '__version__', None), \
             getattr({socket}, 'setsockopt', lambda *args: None)(6, 1, 1)][0]"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_probe_reaches_each_release_socket_through_getattr_defaults() {
        assert_eq!(
            Release::Protocol6Unknown.attach_probe_text(),
            "[getattr(__import__('sys').modules.get('ptvsd'), '__version__', None), \
             getattr(getattr(__import__('sys').modules.get('ptvsd.visualstudio_py_debugger'), 'conn', None), \
             'setsockopt', lambda *args: None)(6, 1, 1)][0]"
        );
        assert!(Release::Ptvsd32.attach_probe_text().contains(
            "getattr(getattr(getattr(__import__('sys').modules.get('ptvsd.debugger'), 'DebuggerLoop', None), \
             'instance', None), '_SocketIO__socket', None)"
        ));
    }
}
