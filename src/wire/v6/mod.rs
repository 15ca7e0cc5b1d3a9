//! The codec for ptvsd wire protocol 6: binary, spoken by ptvsd 2.2.0 and 3.0.0
//! (`docs/protocol.md` §2.1, §3.1, §5, §6).
//!
//! The stream has no framing and the handshake replies have no tags: `ACPT` alone answers the
//! secret, `ACPT` + four ints answers `ATCH`, and the `INFO` reply starts with an int. So the
//! decoder learns from the commands it encodes which replies to expect, in order; after an
//! accepted attach, every message is a tagged session event (§6).
//!
//! The greeting (`PTVSDBG` + version) is consumed by `generation::detect_greeting` before this
//! codec sees any byte.

mod commands;
mod events;
mod handshake;
mod primitives;
#[cfg(test)]
mod test_support;

use std::collections::VecDeque;

use bytes::{Buf, BytesMut};

use self::handshake::HandshakeReply;
use self::primitives::{Progress, Reader, Stop};
use super::model::{Command, Event};
use super::{Codec, DecodeError};

/// Protocol 6 encoder and incremental decoder.
#[derive(Debug, Default)]
pub struct V6Codec {
    /// Handshake replies owed by the debuggee, oldest first (v6 may pipeline, §3.2.1).
    awaited_replies: VecDeque<HandshakeReply>,
    /// Set once an attach is accepted: from then on every message is a §6 event.
    in_session: bool,
    /// How far the earlier attempts at the incomplete message at the front of the buffer got, so
    /// that a large message arriving in small pieces is not parsed again from its start for each.
    progress: Progress,
}

impl V6Codec {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Codec for V6Codec {
    fn encode(&mut self, command: &Command, out: &mut BytesMut) {
        commands::write_command(command, out);
        if let Some(reply) = HandshakeReply::awaited_after(command) {
            self.awaited_replies.push_back(reply);
        }
    }

    /// Relies on what the [`Codec`] contract gives: between an `Ok(None)` and the next call,
    /// bytes are only appended to `buf`, so the earlier attempts' progress still holds.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, DecodeError> {
        if buf.is_empty() || buf.len() < self.progress.needed_len {
            return Ok(None);
        }
        let awaited_reply = self.awaited_replies.front().copied();
        let mut reader = Reader::resuming(buf, std::mem::take(&mut self.progress));
        let parsed = match awaited_reply {
            Some(reply) => reply.read(&mut reader),
            None if self.in_session => events::read_event(&mut reader),
            None => {
                return Err(DecodeError::Unexpected(format!(
                    "{} bytes from the debuggee before any handshake request",
                    buf.len()
                )))
            }
        };
        let consumed = reader.position();
        match parsed {
            Ok(event) => {
                buf.advance(consumed);
                if awaited_reply.is_some() {
                    self.awaited_replies.pop_front();
                }
                if let Event::Attached(Some(_)) = event {
                    self.in_session = true;
                }
                Ok(Some(event))
            }
            Err(Stop::Incomplete { needed }) => {
                self.progress = reader.into_progress(needed);
                Ok(None)
            }
            Err(Stop::Invalid(error)) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::test_support::{int_obj, DebuggeeBytes};
    use super::*;
    use crate::config::Secret;
    use crate::wire::model::{
        AttachInfo, Child, ExceptionBreakType, ExceptionInfo, Frame, Obj, Variable, FRAME_KIND_DJANGO,
        FRAME_KIND_PYTHON,
    };

    const TID: i64 = 0x0000_7f51_c5dc_3b80;

    /// A codec that has sent `commands` (their bytes are dropped).
    fn codec_after(commands: &[Command]) -> V6Codec {
        let mut codec = V6Codec::new();
        for command in commands {
            codec.encode(command, &mut BytesMut::new());
        }
        codec
    }

    fn attach_command() -> Command {
        Command::Attach { debug_options: "RedirectOutput".into() }
    }

    fn decode_all(codec: &mut V6Codec, buf: &mut BytesMut) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(event) = codec.decode(buf).expect("a valid stream") {
            events.push(event);
        }
        events
    }

    #[test]
    fn documented_handshake_and_first_events() {
        // §2.1, secret "ab": the client's bytes, then the debuggee's replies byte for byte.
        let mut codec = V6Codec::new();
        let mut out = BytesMut::new();
        codec.encode(&Command::Authenticate { secret: Secret::new("ab") }, &mut out);
        codec.encode(&attach_command(), &mut out);
        let mut expected_out = b"PTVSDBG\0\0\0\0\0\0\0\x06\0\0\0\0\0\0\0\x02ab".to_vec();
        expected_out.extend_from_slice(b"ATCH\0\0\0\0\0\0\0\x0eRedirectOutput");
        assert_eq!(&out[..], &expected_out[..]);

        let module = "/srv/app1/.venv/lib/python3.11/site-packages/ptvsd/attach_server.py";
        assert_eq!(module.len(), 0x43);
        let mut replies: Vec<u8> = vec![0x41, 0x43, 0x50, 0x54]; // ACPT
        replies.extend_from_slice(&[0x41, 0x43, 0x50, 0x54]); // ACPT
        replies.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x27, 0x93]); // pid
        replies.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x03]); // 3
        replies.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x0b]); // 11
        replies.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x07]); // 7
        replies.extend_from_slice(&[0x4e, 0x45, 0x57, 0x54, 0, 0, 0x7f, 0x51, 0xc5, 0xdc, 0x3b, 0x80]);
        replies.extend_from_slice(&[0x4d, 0x4f, 0x44, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0]); // MODL 0
        replies.extend_from_slice(&[0x55, 0, 0, 0, 0, 0, 0, 0, 0x43]);
        replies.extend_from_slice(module.as_bytes());

        let mut buf = BytesMut::from(&replies[..]);
        assert_eq!(
            decode_all(&mut codec, &mut buf),
            vec![
                Event::Authenticated { accepted: true },
                Event::Attached(Some(AttachInfo { pid: 0x2793, python_version: (3, 11, 7) })),
                Event::ThreadCreate { tid: TID },
                Event::ModuleLoad { id: 0, file: module.into() },
            ]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn rejected_attach_does_not_start_a_session() {
        let mut codec = codec_after(&[attach_command()]);
        let mut buf = BytesMut::from(&b"RJCTNEWT"[..]);
        assert_eq!(codec.decode(&mut buf), Ok(Some(Event::Attached(None))));
        assert!(matches!(codec.decode(&mut buf), Err(DecodeError::Unexpected(_))));
    }

    #[test]
    fn bytes_before_any_request_are_unexpected() {
        let mut codec = V6Codec::new();
        assert_eq!(codec.decode(&mut BytesMut::new()), Ok(None));
        let mut buf = BytesMut::from(&b"NEWT"[..]);
        assert!(matches!(codec.decode(&mut buf), Err(DecodeError::Unexpected(_))));
    }

    #[test]
    fn session_commands_await_no_reply() {
        let mut codec = codec_after(&[Command::ResumeAll, Command::Detach, Command::ShutdownLoop]);
        assert!(codec.awaited_replies.is_empty());
        let mut buf = BytesMut::from(&b"ACPT"[..]);
        assert!(matches!(codec.decode(&mut buf), Err(DecodeError::Unexpected(_))));
    }

    /// An attach reply and the events that typically follow it, hit included, and each message
    /// with lists: frames of variables (a Django frame among them), children, exception entries.
    fn realistic_stream() -> Vec<u8> {
        DebuggeeBytes::new()
            .raw(b"ACPT")
            .int(10131)
            .int(3)
            .int(11)
            .int(7)
            .raw(b"NEWT")
            .int(TID)
            .raw(b"MODL")
            .int(0)
            .utf8("/srv/app/app.py")
            .raw(b"THRF")
            .int(TID)
            .utf8("MainThread")
            .int(3)
            .int(1)
            .int(20)
            .int(12)
            .utf8("<module>")
            .utf8("/srv/app/app.py")
            .int(0)
            .int(FRAME_KIND_PYTHON)
            .int(2)
            .utf8("n")
            .obj(&int_obj(8))
            .utf8("name")
            .none()
            .none()
            .utf8("")
            .int(0)
            .int(0)
            .int(5)
            .int(6)
            .int(5)
            .utf8("render")
            .utf8("/srv/app/page.html")
            .int(0)
            .int(FRAME_KIND_DJANGO)
            .utf8("/venv/django/template/base.py")
            .int(1005)
            .int(1)
            .utf8("items")
            .obj(&int_obj(2))
            .int(30)
            .int(40)
            .int(31)
            .utf8("main")
            .utf8("/srv/app/app.py")
            .int(0)
            .int(FRAME_KIND_PYTHON)
            .int(0)
            .raw(b"BRKH")
            .int(1)
            .int(TID)
            .raw(b"OUTP")
            .int(TID)
            .utf8("héllo\n")
            .raw(b"OUTP")
            .int(TID)
            .byte_string(b"caf\xe9")
            .raw(b"CHLD")
            .int(4)
            .int(2)
            .utf8("[0]")
            .utf8("items[0]")
            .obj(&int_obj(1))
            .utf8("[1]")
            .none()
            .obj(&int_obj(2))
            .raw(b"EXC2")
            .int(TID)
            .int(2)
            .utf8("typename")
            .utf8("ValueError")
            .utf8("message")
            .none()
            .build()
    }

    fn realistic_events() -> Vec<Event> {
        vec![
            Event::Attached(Some(AttachInfo { pid: 10131, python_version: (3, 11, 7) })),
            Event::ThreadCreate { tid: TID },
            Event::ModuleLoad { id: 0, file: "/srv/app/app.py".into() },
            Event::ThreadFrames {
                tid: TID,
                name: Some("MainThread".into()),
                frames: vec![
                    Frame {
                        start_line: 1,
                        end_line: 20,
                        line: 12,
                        name: "<module>".into(),
                        file: "/srv/app/app.py".into(),
                        arg_count: 0,
                        kind: FRAME_KIND_PYTHON,
                        django_source: None,
                        variables: vec![
                            Variable { name: "n".into(), obj: int_obj(8) },
                            Variable { name: "name".into(), obj: Obj::default() },
                        ],
                    },
                    Frame {
                        start_line: 5,
                        end_line: 6,
                        line: 5,
                        name: "render".into(),
                        file: "/srv/app/page.html".into(),
                        arg_count: 0,
                        kind: FRAME_KIND_DJANGO,
                        django_source: Some(("/venv/django/template/base.py".into(), 1005)),
                        variables: vec![Variable { name: "items".into(), obj: int_obj(2) }],
                    },
                    Frame {
                        start_line: 30,
                        end_line: 40,
                        line: 31,
                        name: "main".into(),
                        file: "/srv/app/app.py".into(),
                        arg_count: 0,
                        kind: FRAME_KIND_PYTHON,
                        django_source: None,
                        variables: vec![],
                    },
                ],
            },
            Event::BreakpointHit { id: 1, tid: TID },
            Event::Output { tid: TID, text: "héllo\n".into(), channel: None },
            Event::Output { tid: TID, text: "café".into(), channel: None },
            Event::Children {
                exec_id: 4,
                children: vec![
                    Child { name: "[0]".into(), expression: Some("items[0]".into()), obj: int_obj(1) },
                    Child { name: "[1]".into(), expression: None, obj: int_obj(2) },
                ],
            },
            Event::Exception {
                tid: TID,
                info: ExceptionInfo {
                    type_name: "ValueError".into(),
                    message: String::new(),
                    break_type: ExceptionBreakType::Handled,
                    trace: None,
                    exception_variable: None,
                },
            },
        ]
    }

    /// Feeds `stream` to an attaching codec in the given pieces, checking after every decode
    /// that an incomplete message leaves the buffer untouched.
    fn decode_in_pieces<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<Event> {
        let mut codec = codec_after(&[attach_command()]);
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        for piece in pieces {
            buf.extend_from_slice(piece);
            loop {
                let before = buf.clone();
                match codec.decode(&mut buf).expect("a valid stream") {
                    Some(event) => events.push(event),
                    None => {
                        assert_eq!(buf, before, "an incomplete message is left in place");
                        break;
                    }
                }
            }
        }
        assert!(buf.is_empty(), "{} bytes left over", buf.len());
        events
    }

    #[test]
    fn realistic_stream_in_one_piece() {
        let stream = realistic_stream();
        assert_eq!(decode_in_pieces([&stream[..]]), realistic_events());
    }

    #[test]
    fn realistic_stream_split_at_every_position() {
        let stream = realistic_stream();
        for split in 0..=stream.len() {
            let (head, tail) = stream.split_at(split);
            assert_eq!(decode_in_pieces([head, tail]), realistic_events(), "split at {split}");
        }
    }

    #[test]
    fn realistic_stream_one_byte_at_a_time() {
        let stream = realistic_stream();
        assert_eq!(decode_in_pieces(stream.chunks(1)), realistic_events());
    }

    #[test]
    fn one_decode_consumes_exactly_one_event() {
        let mut codec = codec_after(&[attach_command()]);
        let stream = realistic_stream();
        let mut buf = BytesMut::from(&stream[..]);
        let _attached = codec.decode(&mut buf);
        assert_eq!(codec.decode(&mut buf), Ok(Some(Event::ThreadCreate { tid: TID })));
        assert_eq!(buf.len(), stream.len() - 36 - 12);
    }

    #[test]
    fn a_large_message_is_not_reparsed_for_every_piece() {
        let text = "x".repeat(100_000);
        let message = DebuggeeBytes::new().raw(b"OUTP").int(TID).utf8(&text).build();
        let mut codec = session_codec();
        // Up to the string's length: the whole message is known to be needed.
        let mut buf = BytesMut::from(&message[..21]);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert_eq!(codec.progress.needed_len, message.len());
        buf.extend_from_slice(&message[21..message.len() - 1]);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&message[message.len() - 1..]);
        let expected = Event::Output { tid: TID, text, channel: None };
        assert_eq!(codec.decode(&mut buf), Ok(Some(expected)));
        assert_eq!(codec.progress.needed_len, 0);
    }

    fn session_codec() -> V6Codec {
        let mut codec = codec_after(&[attach_command()]);
        let reply = DebuggeeBytes::new().raw(b"ACPT").int(1).int(3).int(11).int(7).build();
        let mut buf = BytesMut::from(&reply[..]);
        assert!(matches!(codec.decode(&mut buf), Ok(Some(Event::Attached(Some(_))))));
        codec
    }

    #[test]
    fn hostile_input_fails_or_waits_without_allocating() {
        let cases: Vec<(Vec<u8>, Option<DecodeError>)> = vec![
            // A string length of 2^62: rejected at once.
            (
                DebuggeeBytes::new().raw(b"OUTP").int(TID).raw(b"U").int(1 << 62).build(),
                Some(DecodeError::TooLong { what: "string", len: 1 << 62, max: crate::wire::MAX_MESSAGE_LEN }),
            ),
            (
                DebuggeeBytes::new().raw(b"MODL").int(1).raw(b"A").int(-1).build(),
                Some(DecodeError::NegativeLength { what: "string", len: -1 }),
            ),
            (
                DebuggeeBytes::new().raw(b"CHLD").int(1).int(-3).build(),
                Some(DecodeError::NegativeLength { what: "CHLD child list", len: -3 }),
            ),
            (DebuggeeBytes::new().raw(b"HACK").build(), Some(DecodeError::UnknownTag("HACK".into()))),
            // Truncated: waits.
            (DebuggeeBytes::new().raw(b"BRKH").int(1).raw(&[0, 0]).build(), None),
            // A large frame count with few bytes behind it: waits, holding nothing.
            (DebuggeeBytes::new().raw(b"THRF").int(TID).none().int(1_000_000).int(1).build(), None),
        ];
        for (bytes, expected_error) in cases {
            let mut codec = session_codec();
            let mut buf = BytesMut::from(&bytes[..]);
            let result = codec.decode(&mut buf);
            match expected_error {
                Some(error) => assert_eq!(result, Err(error)),
                None => {
                    assert_eq!(result, Ok(None));
                    assert_eq!(&buf[..], &bytes[..]);
                }
            }
        }
        let mut codec = session_codec();
        let mut buf = BytesMut::from(&DebuggeeBytes::new().raw(b"THRF").int(TID).none().int(1 << 60).build()[..]);
        assert!(matches!(codec.decode(&mut buf), Err(DecodeError::TooLong { what: "THRF frame list", .. })));
    }

    const SESSION_TAGS: &[&[u8; 4]] = &[
        b"NEWT", b"EXTT", b"MODL", b"LOAD", b"THRF", b"STPD", b"BRKS", b"BRKF", b"BRKH", b"BKHC", b"ASBR", b"SETL",
        b"EXCP", b"EXC2", b"EXCR", b"EXCE", b"CHLD", b"OUTP", b"REQH", b"DETC", b"LAST",
    ];

    /// Pieces of v6 payloads, valid or not, so that random messages get past the first field.
    fn payload_token() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            (0i64..4).prop_map(|small| small.to_be_bytes().to_vec()),
            any::<i64>().prop_map(|any| any.to_be_bytes().to_vec()),
            Just(b"N".to_vec()),
            (proptest::sample::select(&b"UAX"[..]), proptest::collection::vec(any::<u8>(), 0..12)).prop_map(
                |(prefix, text)| DebuggeeBytes::new().raw(&[prefix]).int(text.len() as i64).raw(&text).build()
            ),
            proptest::collection::vec(any::<u8>(), 1..4),
        ]
    }

    proptest! {
        #[test]
        fn random_piece_boundaries_give_the_same_events(
            mut cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..40)
        ) {
            let stream = realistic_stream();
            let mut positions: Vec<usize> = cuts.drain(..).map(|cut| cut.index(stream.len() + 1)).collect();
            positions.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for position in positions {
                pieces.push(&stream[start..position]);
                start = position;
            }
            pieces.push(&stream[start..]);
            prop_assert_eq!(decode_in_pieces(pieces), realistic_events());
        }

        #[test]
        fn arbitrary_payloads_never_panic(
            tag in proptest::sample::select(SESSION_TAGS),
            payload in proptest::collection::vec(payload_token(), 0..40),
            piece_len in 1usize..50,
        ) {
            let mut codec = session_codec();
            let mut buf = BytesMut::new();
            let mut bytes = tag.to_vec();
            bytes.extend(payload.concat());
            'feed: for piece in bytes.chunks(piece_len) {
                buf.extend_from_slice(piece);
                loop {
                    match codec.decode(&mut buf) {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => break 'feed,
                    }
                }
            }
        }

        #[test]
        fn arbitrary_handshake_replies_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            for command in [attach_command(), Command::RemoteInfo, Command::AuthenticateToBackOut] {
                let mut codec = codec_after(&[command]);
                let mut buf = BytesMut::from(&bytes[..]);
                while let Ok(Some(_)) = codec.decode(&mut buf) {}
            }
        }
    }
}
