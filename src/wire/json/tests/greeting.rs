//! The `legacyRemoteConnected` greeting (`docs/protocol.md` §2.3, §3.2).

use bytes::BytesMut;

use super::super::decode_greeting;
use super::{event_json, frame, response_json};
use crate::wire::generation::{detect_greeting, Generation, Greeting};
use crate::wire::DecodeError;

/// The greeting as `attach_server.py` writes it.
fn greeting(version: &str) -> Vec<u8> {
    frame(&event_json(
        0,
        "legacyRemoteConnected",
        &format!(r#"{{"debuggerName": "PTVSDBG", "debuggerProtocolVersion": {version}}}"#),
    ))
}

#[test]
fn protocol_7_and_8_are_supported() {
    for (version, generation) in [("7", Generation::V7), ("8", Generation::V8)] {
        let mut buf = BytesMut::from(&greeting(version)[..]);
        assert_eq!(decode_greeting(&mut buf), Ok(Some(Greeting::Supported(generation))));
        assert!(buf.is_empty(), "the greeting is consumed");
    }
}

#[test]
fn other_versions_are_unsupported_json_ptvsd() {
    for version in [9, 6, 0, -1] {
        let mut buf = BytesMut::from(&greeting(&version.to_string())[..]);
        assert_eq!(decode_greeting(&mut buf), Ok(Some(Greeting::Unsupported { version, binary: false })));
    }
}

#[test]
fn every_incomplete_prefix_waits_and_leaves_the_buffer_untouched() {
    let bytes = greeting("8");
    for end in 0..bytes.len() {
        let mut buf = BytesMut::from(&bytes[..end]);
        assert_eq!(decode_greeting(&mut buf), Ok(None), "prefix of {end} bytes");
        assert_eq!(&buf[..], &bytes[..end]);
    }
}

#[test]
fn bytes_after_the_greeting_stay_in_the_buffer() {
    let mut bytes = greeting("7");
    bytes.extend_from_slice(b"Content-Length: 5");
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(decode_greeting(&mut buf), Ok(Some(Greeting::Supported(Generation::V7))));
    assert_eq!(&buf[..], b"Content-Length: 5");
}

#[test]
fn detection_from_the_first_bytes_reaches_the_json_greeting() {
    let mut buf = BytesMut::from(&greeting("8")[..]);
    assert_eq!(detect_greeting(&mut buf), Ok(Some(Greeting::Supported(Generation::V8))));
    let mut buf = BytesMut::from(&b"Content-Len"[..]);
    assert_eq!(detect_greeting(&mut buf), Ok(None));
}

#[test]
fn any_other_first_message_is_unexpected() {
    let others = [
        event_json(0, "legacyThreadCreate", r#"{"threadId": 1}"#),
        response_json(1, false, "legacyRemoteDebuggerAttach", "no", "{}"),
        r#"{"type": "request", "seq": 0, "command": "x"}"#.to_owned(),
    ];
    for json in others {
        let mut buf = BytesMut::from(&frame(&json)[..]);
        assert!(matches!(decode_greeting(&mut buf), Err(DecodeError::Unexpected(_))), "{json}");
    }
}

#[test]
fn a_malformed_greeting_is_an_error() {
    for version in [r#""8""#, "8.5", "null"] {
        let mut buf = BytesMut::from(&greeting(version)[..]);
        assert!(matches!(decode_greeting(&mut buf), Err(DecodeError::BadJson(_))), "{version}");
    }
    let mut buf = BytesMut::from(&frame("not json")[..]);
    assert!(matches!(decode_greeting(&mut buf), Err(DecodeError::BadJson(_))));
    let mut buf = BytesMut::from(&b"Content-Length: -1\r\n\r\n"[..]);
    assert!(matches!(decode_greeting(&mut buf), Err(DecodeError::NegativeLength { .. })));
}
