//! Handshake replies (`docs/protocol.md` §3.1), as `attach_server.py` writes them. They carry
//! no tag of their own, so the codec reads each as the reply to the request it sent.

use super::primitives::{Parse, Reader};
use crate::wire::model::{AttachInfo, Command, Event, RemoteProcessInfo};
use crate::wire::DecodeError;

/// A handshake reply (§3.1): recognisable only by the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HandshakeReply {
    /// `ACPT` or `RJCT`, answering the signature, version and secret.
    Authentication,
    /// `ACPT` + int64 pid, major, minor, micro; or `RJCT` (another debugger is attached).
    Attach,
    /// int64 pid + executable, user and Python version strings.
    RemoteInfo,
}

impl HandshakeReply {
    pub(super) fn awaited_after(command: &Command) -> Option<Self> {
        match command {
            // A back-out is answered like any authentication when ptvsd reads the secret at all
            // (it accepts "" when its own secret is None or ""); otherwise it just closes.
            Command::Authenticate { .. } | Command::AuthenticateToBackOut => Some(HandshakeReply::Authentication),
            Command::Attach { .. } => Some(HandshakeReply::Attach),
            Command::RemoteInfo => Some(HandshakeReply::RemoteInfo),
            _ => None,
        }
    }

    pub(super) fn read(self, reader: &mut Reader) -> Parse<Event> {
        Ok(match self {
            HandshakeReply::Authentication => Event::Authenticated { accepted: read_verdict(reader, "the secret")? },
            HandshakeReply::Attach => Event::Attached(if read_verdict(reader, "ATCH")? {
                Some(AttachInfo { pid: reader.int()?, python_version: (reader.int()?, reader.int()?, reader.int()?) })
            } else {
                None
            }),
            HandshakeReply::RemoteInfo => Event::RemoteInfo(RemoteProcessInfo {
                pid: reader.int()?,
                executable: reader.text()?,
                user: reader.text()?,
                python_version: reader.text()?,
            }),
        })
    }
}

/// `ACPT` (true) or `RJCT` (false).
fn read_verdict(reader: &mut Reader, request: &str) -> Parse<bool> {
    match &reader.tag()? {
        b"ACPT" => Ok(true),
        b"RJCT" => Ok(false),
        other => Err(DecodeError::Unexpected(format!(
            "{:?} in reply to {request}, instead of ACPT or RJCT",
            other.escape_ascii().to_string()
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::wire::v6::primitives::Stop;
    use crate::wire::v6::test_support::DebuggeeBytes;

    /// Reads `bytes` as `reply`; a complete reply must use every byte.
    fn read(reply: HandshakeReply, bytes: &[u8]) -> Parse<Event> {
        let mut reader = Reader::new(bytes);
        let event = reply.read(&mut reader)?;
        assert_eq!(reader.position(), bytes.len());
        Ok(event)
    }

    #[test]
    fn each_handshake_request_awaits_its_reply() {
        let awaited = |command| HandshakeReply::awaited_after(&command);
        assert_eq!(awaited(Command::Authenticate { secret: Secret::new("ab") }), Some(HandshakeReply::Authentication));
        assert_eq!(awaited(Command::AuthenticateToBackOut), Some(HandshakeReply::Authentication));
        assert_eq!(awaited(Command::Attach { debug_options: "None".into() }), Some(HandshakeReply::Attach));
        assert_eq!(awaited(Command::RemoteInfo), Some(HandshakeReply::RemoteInfo));
        assert_eq!(awaited(Command::ResumeAll), None);
        assert_eq!(awaited(Command::Detach), None);
    }

    #[test]
    fn authentication_accepted_or_rejected() {
        assert_eq!(read(HandshakeReply::Authentication, b"ACPT"), Ok(Event::Authenticated { accepted: true }));
        assert_eq!(read(HandshakeReply::Authentication, b"RJCT"), Ok(Event::Authenticated { accepted: false }));
        assert_eq!(read(HandshakeReply::Authentication, b"AC"), Err(Stop::Incomplete { needed: 4 }));
    }

    #[test]
    fn attach_accepted_with_pid_and_python_version() {
        let bytes = DebuggeeBytes::new().raw(b"ACPT").int(10131).int(3).int(11).int(7).build();
        let expected = Event::Attached(Some(AttachInfo { pid: 10131, python_version: (3, 11, 7) }));
        assert_eq!(read(HandshakeReply::Attach, &bytes), Ok(expected));
        assert_eq!(read(HandshakeReply::Attach, &bytes[..20]), Err(Stop::Incomplete { needed: 28 }));
    }

    #[test]
    fn attach_rejected_has_no_payload() {
        assert_eq!(read(HandshakeReply::Attach, b"RJCT"), Ok(Event::Attached(None)));
    }

    #[test]
    fn remote_info() {
        let bytes = DebuggeeBytes::new()
            .int(10131)
            .utf8("/usr/bin/python3")
            .utf8("app")
            .utf8("CPython 3.11.7 (Linux 64-bit)")
            .build();
        let expected = Event::RemoteInfo(RemoteProcessInfo {
            pid: 10131,
            executable: "/usr/bin/python3".into(),
            user: "app".into(),
            python_version: "CPython 3.11.7 (Linux 64-bit)".into(),
        });
        assert_eq!(read(HandshakeReply::RemoteInfo, &bytes), Ok(expected));
    }

    #[test]
    fn a_verdict_other_than_acpt_or_rjct_is_an_error() {
        for reply in [HandshakeReply::Authentication, HandshakeReply::Attach] {
            assert!(matches!(read(reply, b"NOPE"), Err(Stop::Invalid(DecodeError::Unexpected(_)))));
        }
    }
}
