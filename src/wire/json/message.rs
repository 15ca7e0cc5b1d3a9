//! The envelope of a message from ptvsd (`docs/protocol.md` §2.2): an event or a response.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::surrogates::replace_lone_surrogate_escapes;
use crate::wire::DecodeError;

/// One decoded message body.
#[derive(Debug)]
pub(super) enum Message {
    Event {
        name: String,
        body: Value,
    },
    Response(Response),
    /// ptvsd only sends events and responses; anything else is logged and skipped.
    Other {
        kind: String,
    },
}

#[derive(Debug)]
pub(super) struct Response {
    pub request_seq: i64,
    pub success: bool,
    /// The name of the request this answers, as ptvsd echoes it.
    pub command: String,
    /// A traceback or a short reason when `success` is false.
    pub message: String,
    pub body: Value,
}

impl Message {
    /// Names the message for an error report.
    pub fn describe(&self) -> String {
        match self {
            Message::Event { name, .. } => format!("event {name}"),
            Message::Response(response) => format!("response to {}", response.command),
            Message::Other { kind } => format!("message of type {kind:?}"),
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    event: Option<String>,
    request_seq: Option<i64>,
    success: Option<bool>,
    command: Option<String>,
    message: Option<String>,
    body: Option<Value>,
}

/// Parses a message body: UTF-8 decoded lossily (as ptvsd itself does, §2.2), then JSON.
pub(super) fn parse(body: &[u8]) -> Result<Message, DecodeError> {
    // Checked first as it almost always is: valid UTF-8, which `from_utf8` confirms many bytes
    // at a time where the lossy decoder walks them one by one.
    let text = match std::str::from_utf8(body) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    };
    let text = replace_lone_surrogate_escapes(&text);
    let envelope: Envelope =
        serde_json::from_str(&text).map_err(|e| DecodeError::BadJson(format!("message envelope: {e}")))?;
    // `body` is omitted or null for events without data; treat it as `{}`.
    let body = match envelope.body {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(body) => body,
    };
    Ok(match envelope.kind.as_str() {
        "event" => Message::Event { name: envelope.event.unwrap_or_default(), body },
        "response" => Message::Response(Response {
            request_seq: envelope.request_seq.unwrap_or_default(),
            // A response that does not say it failed carries its data like a success.
            success: envelope.success.unwrap_or(true),
            command: envelope.command.unwrap_or_default(),
            message: envelope.message.unwrap_or_default(),
            body,
        }),
        _ => Message::Other { kind: envelope.kind },
    })
}

/// Reads a message body as `T`: a wrong type in a known message is fatal (`BadJson`).
pub(super) fn body_as<T: DeserializeOwned>(what: &str, body: Value) -> Result<T, DecodeError> {
    serde_json::from_value(body).map_err(|e| DecodeError::BadJson(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_and_responses_as_ptvsd_writes_them() {
        let event = parse(br#"{"type": "event", "seq": 3, "event": "legacyDetach", "body": {}}"#).unwrap();
        assert!(matches!(event, Message::Event { ref name, .. } if name == "legacyDetach"));
        let response = parse(
            br#"{"type": "response", "seq": 0, "request_seq": 2, "success": false, "command": "legacyDetach", "message": "Traceback", "body": {}}"#,
        )
        .unwrap();
        let Message::Response(response) = response else { panic!("{response:?}") };
        assert_eq!((response.request_seq, response.success), (2, false));
        assert_eq!((response.command.as_str(), response.message.as_str()), ("legacyDetach", "Traceback"));
    }

    #[test]
    fn a_missing_or_null_body_reads_as_an_empty_object() {
        for json in [&br#"{"type": "event", "event": "x"}"#[..], br#"{"type": "event", "event": "x", "body": null}"#] {
            let Message::Event { body, .. } = parse(json).unwrap() else { panic!() };
            assert_eq!(body, Value::Object(Map::new()));
        }
    }

    #[test]
    fn unknown_message_types_are_reported_not_fatal() {
        let message = parse(br#"{"type": "request", "seq": 1, "command": "x"}"#).unwrap();
        assert_eq!(message.describe(), "message of type \"request\"");
    }

    #[test]
    fn invalid_utf8_and_lone_surrogates_are_replaced() {
        let Message::Event { body, .. } =
            parse(b"{\"type\": \"event\", \"event\": \"x\", \"body\": {\"a\": \"\xff\\udcff\"}}").unwrap()
        else {
            panic!()
        };
        assert_eq!(body["a"], "\u{fffd}\u{fffd}");
    }

    #[test]
    fn not_an_object_or_missing_type_is_bad_json() {
        for json in [&b"[1, 2]"[..], b"5", b"{\"event\": \"x\"}", b"{\"type\": 7}", b"{\"type\": \"event\"", b""] {
            assert!(matches!(parse(json), Err(DecodeError::BadJson(_))), "{json:?}");
        }
    }
}
