//! Tests of the JSON codec against messages shaped like real ptvsd 3.1.0/3.2.1 output:
//! `json.dumps` with `", "` and `": "` separators and ASCII escapes (`docs/protocol.md` §2.2).

mod commands;
mod events;
mod greeting;
mod replies;
mod stream;

use bytes::BytesMut;

use super::JsonCodec;
use crate::config::Secret;
use crate::wire::model::{Command, Event};
use crate::wire::{Codec, DecodeError};

/// Frames `json` the way ptvsd writes it.
fn frame(json: &str) -> Vec<u8> {
    let mut bytes = format!("Content-Length: {}\r\n\r\n", json.len()).into_bytes();
    bytes.extend_from_slice(json.as_bytes());
    bytes
}

/// An event as ptvsd's `send_event` writes it.
fn event_json(seq: i64, name: &str, body: &str) -> String {
    format!(r#"{{"type": "event", "seq": {seq}, "event": "{name}", "body": {body}}}"#)
}

/// A response as ptvsd's `send_response` writes it.
fn response_json(request_seq: i64, success: bool, command: &str, message: &str, body: &str) -> String {
    format!(
        r#"{{"type": "response", "seq": 0, "request_seq": {request_seq}, "success": {success}, "command": "{command}", "message": "{message}", "body": {body}}}"#
    )
}

/// Decodes every complete event in `buf`.
fn decode_all(codec: &mut JsonCodec, buf: &mut BytesMut) -> Result<Vec<Event>, DecodeError> {
    let mut events = Vec::new();
    while let Some(event) = codec.decode(buf)? {
        events.push(event);
    }
    Ok(events)
}

/// Decodes exactly one event from one framed JSON message, with nothing left over.
fn decode_one(codec: &mut JsonCodec, json: &str) -> Result<Event, DecodeError> {
    let mut buf = BytesMut::from(&frame(json)[..]);
    let event = codec.decode(&mut buf)?.expect("a complete message decodes to an event");
    assert!(buf.is_empty(), "left over: {buf:?}");
    assert_eq!(codec.decode(&mut buf), Ok(None));
    Ok(event)
}

/// A codec that has sent the handshake: authenticate is seq 1, attach is seq 2.
fn attached_codec(protocol_version: i64) -> JsonCodec {
    let mut codec = JsonCodec::new(protocol_version);
    let mut out = BytesMut::new();
    codec.encode(&Command::Authenticate { secret: Secret::new("s3cr3t") }, &mut out);
    codec.encode(&Command::Attach { debug_options: "RedirectOutput".into() }, &mut out);
    codec
}
