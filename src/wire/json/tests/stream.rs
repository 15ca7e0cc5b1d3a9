//! Incremental decoding of a realistic session start, and hostile input (`docs/protocol.md` §2.2).

use bytes::BytesMut;
use proptest::prelude::*;

use super::super::framing::MAX_HEADER_LEN;
use super::super::JsonCodec;
use super::events::{frame_list_event, frame_list_json};
use super::{attached_codec, decode_all, event_json, frame, response_json};
use crate::wire::model::*;
use crate::wire::{Codec, DecodeError, MAX_MESSAGE_LEN};

const TID: Tid = 139_793_088_940_928;

/// What ptvsd 3.2.1 sends from the authenticate response to the first output (§3.2, §8.2),
/// including acknowledgements the decoder must skip.
fn session_start() -> Vec<u8> {
    let messages = [
        response_json(1, true, "legacyRemoteDebuggerAuthenticate", "", r#"{"accepted": true}"#),
        response_json(
            2,
            true,
            "legacyRemoteDebuggerAttach",
            "",
            r#"{"accepted": true, "processId": 10131, "pythonMajor": 3, "pythonMinor": 11, "pythonMicro": 7}"#,
        ),
        event_json(0, "legacyThreadCreate", r#"{"threadId": 139793088940928}"#),
        event_json(1, "legacyModuleLoad", r#"{"moduleId": 0, "moduleFileName": "/usr/lib/python3.11/caf\u00e9.py"}"#),
        event_json(2, "legacyModulesChanged", "{}"),
        response_json(3, true, "legacySetBreakpoint", "", "{}"),
        event_json(3, "legacyBreakpointSet", r#"{"breakpointId": 12}"#),
        response_json(4, true, "legacyResumeAll", "", "{}"),
        frame_list_json(),
        event_json(8, "legacyBreakpointHit", r#"{"breakpointId": 12, "threadId": 139793088940928}"#),
        event_json(
            9,
            "legacyDebuggerOutput",
            r#"{"threadId": 139793088940928, "output": "\u4f60\u597d\n", "channel": "stdout"}"#,
        ),
    ];
    messages.iter().flat_map(|json| frame(json)).collect()
}

fn expected_events() -> Vec<Event> {
    vec![
        Event::Authenticated { accepted: true },
        Event::Attached(Some(AttachInfo { pid: 10131, python_version: (3, 11, 7) })),
        Event::ThreadCreate { tid: TID },
        Event::ModuleLoad { id: 0, file: "/usr/lib/python3.11/café.py".into() },
        Event::ModulesChanged,
        Event::BreakpointSet { id: 12 },
        frame_list_event(),
        Event::BreakpointHit { id: 12, tid: TID },
        Event::Output { tid: TID, text: "你好\n".into(), channel: Some(OutputChannel::Stdout) },
    ]
}

/// The codec that sent authenticate (1), attach (2), a breakpoint (3) and resume-all (4).
fn session_codec() -> JsonCodec {
    let mut codec = attached_codec(8);
    let mut out = BytesMut::new();
    codec.encode(
        &Command::SetBreakpoint {
            id: 12,
            line: 8,
            file: "/srv/app/app.py".into(),
            condition: Condition::always(),
            pass_count: PassCount::always(),
        },
        &mut out,
    );
    codec.encode(&Command::ResumeAll, &mut out);
    codec
}

/// Feeds `stream` in the given pieces, decoding after each.
fn decode_in_pieces<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<Event> {
    let mut codec = session_codec();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        events.extend(decode_all(&mut codec, &mut buf).expect("a valid stream decodes"));
    }
    assert!(buf.is_empty(), "everything consumed");
    events
}

#[test]
fn the_whole_stream_at_once() {
    assert_eq!(decode_in_pieces([&session_start()[..]]), expected_events());
}

#[test]
fn split_at_every_byte_position() {
    let stream = session_start();
    for at in 0..=stream.len() {
        let (head, tail) = stream.split_at(at);
        assert_eq!(decode_in_pieces([head, tail]), expected_events(), "split at {at}");
    }
}

#[test]
fn one_byte_at_a_time() {
    let stream = session_start();
    assert_eq!(decode_in_pieces(stream.chunks(1)), expected_events());
}

proptest! {
    #[test]
    fn random_chunk_boundaries(cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let stream = session_start();
        let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut.index(stream.len() + 1)).collect();
        cuts.push(0);
        cuts.push(stream.len());
        cuts.sort_unstable();
        let pieces = cuts.windows(2).map(|w| &stream[w[0]..w[1]]);
        prop_assert_eq!(decode_in_pieces(pieces), expected_events());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), framed in any::<bool>()) {
        let mut input = if framed { format!("Content-Length: {}\r\n\r\n", bytes.len()).into_bytes() } else { Vec::new() };
        input.extend_from_slice(&bytes);
        let mut buf = BytesMut::from(&input[..]);
        let _ = decode_all(&mut attached_codec(8), &mut buf);
        let mut buf = BytesMut::from(&input[..]);
        let _ = super::super::decode_greeting(&mut buf);
    }

    #[test]
    fn arbitrary_json_values_in_known_events_never_panic(
        name in prop::sample::select(vec!["legacyThreadFrameList", "legacyException", "legacyEnumChildrenResult", "legacyDebuggerOutput", "legacyExecutionResult"]),
        value in prop_oneof![Just("null"), Just("1e400"), Just("-9223372036854775809"), Just("[]"), Just("{}"), Just("\"\\udcff\""), Just("true")],
        key in prop::sample::select(vec!["threadId", "threadFrames", "data", "children", "obj", "output", "channel"]),
    ) {
        let json = event_json(0, name, &format!(r#"{{"{key}": {value}}}"#));
        let mut buf = BytesMut::from(&frame(&json)[..]);
        let _ = decode_all(&mut JsonCodec::new(8), &mut buf);
    }
}

fn decode_hostile(input: &[u8]) -> Result<Vec<Event>, DecodeError> {
    decode_all(&mut attached_codec(8), &mut BytesMut::from(input))
}

#[test]
fn huge_content_length_is_refused_without_waiting() {
    let header = format!("Content-Length: {}\r\n\r\n", u64::MAX);
    assert!(matches!(decode_hostile(header.as_bytes()), Err(DecodeError::TooLong { len: u64::MAX, .. })));
    let header = format!("Content-Length: {}\r\n\r\n{{", MAX_MESSAGE_LEN + 1);
    assert!(matches!(decode_hostile(header.as_bytes()), Err(DecodeError::TooLong { .. })));
}

#[test]
fn negative_and_garbage_lengths_are_refused() {
    assert!(matches!(
        decode_hostile(b"Content-Length: -1\r\n\r\n{}"),
        Err(DecodeError::NegativeLength { len: -1, .. })
    ));
    assert!(matches!(decode_hostile(b"Content-Length: 0x10\r\n\r\n{}"), Err(DecodeError::BadHeader(_))));
    assert!(matches!(decode_hostile(b"Content-Length: 1 2\r\n\r\n{}"), Err(DecodeError::BadHeader(_))));
}

#[test]
fn an_endless_header_is_refused() {
    let endless = vec![b'x'; MAX_HEADER_LEN + 10];
    assert!(matches!(decode_hostile(&endless), Err(DecodeError::BadHeader(_))));
    let endless_lines: Vec<u8> = b"X-Pad: 1\r\n".iter().copied().cycle().take(MAX_HEADER_LEN * 2).collect();
    assert!(matches!(decode_hostile(&endless_lines), Err(DecodeError::BadHeader(_))));
}

#[test]
fn invalid_utf8_in_a_body_is_decoded_lossily() {
    let body = b"{\"type\": \"event\", \"event\": \"legacyDebuggerOutput\", \"body\": {\"threadId\": 1, \"output\": \"a\xffb\xc3\"}}";
    let mut input = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    input.extend_from_slice(body);
    assert_eq!(
        decode_hostile(&input),
        Ok(vec![Event::Output { tid: 1, text: "a\u{fffd}b\u{fffd}".into(), channel: None }])
    );
}

#[test]
fn invalid_json_is_bad_json() {
    for body in ["{", "", "null", r#"{"type": "event", "event": "legacyThreadCreate", "body": {"threadId": }}"#] {
        assert!(matches!(decode_hostile(&frame(body)), Err(DecodeError::BadJson(_))), "{body:?}");
    }
}

#[test]
fn a_length_shorter_than_the_json_is_bad_json_not_a_panic() {
    let mut input = b"Content-Length: 5\r\n\r\n".to_vec();
    input.extend_from_slice(br#"{"type": "event"}"#);
    assert!(matches!(decode_hostile(&input), Err(DecodeError::BadJson(_))));
}
