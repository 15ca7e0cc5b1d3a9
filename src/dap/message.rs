//! DAP envelopes: what the editor sends and what the adapter answers.
//!
//! dap-types gives the typed arguments and bodies; the envelopes are ours because dap-types
//! names request arguments `body` and writes every absent field as `null`.

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

/// A request from the editor.
#[derive(Debug, Clone)]
pub struct Request {
    pub seq: i64,
    pub command: String,
    pub arguments: Value,
}

impl Request {
    /// Parses the arguments as `T`; on failure the error names the request and the problem.
    pub fn arguments<T: DeserializeOwned>(&self) -> Result<T, RequestError> {
        let value = if self.arguments.is_null() { Value::Object(Map::new()) } else { self.arguments.clone() };
        serde_json::from_value(value)
            .map_err(|error| RequestError::new(format!("invalid arguments for '{}': {error}", self.command)))
    }
}

/// A failed request: the text the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub message: String,
}

impl RequestError {
    pub fn new(message: impl Into<String>) -> Self {
        RequestError { message: message.into() }
    }
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The body of a successful response. `None` is for the requests whose clients want no body
/// (Helix rejects `{}` for `next`, `stepIn`, `stepOut`, `terminate`: editor-clients.md).
pub type ResponseBody = Option<Value>;

/// What the adapter writes to the editor; `seq` is assigned by the writer alone.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Response { request_seq: i64, command: String, result: Result<ResponseBody, RequestError> },
    Event { event: String, body: Option<Value> },
}

impl Outgoing {
    /// An event, named by its dap-types type, so its body is the one DAP gives that event.
    pub fn event<E: dap_types::events::Event>(body: E::Body) -> Self {
        Outgoing::Event { event: E::EVENT.to_string(), body: Some(to_value(body)) }
    }

    /// The JSON message with `seq`, with every `null`-valued field removed (the DAP schema
    /// rejects `null` where it expects an integer or string, and dap-types writes them).
    pub fn to_json(&self, seq: i64) -> Value {
        let mut message = match self {
            Outgoing::Response { request_seq, command, result: Ok(body) } => json!({
                "seq": seq, "type": "response", "request_seq": request_seq, "success": true,
                "command": command, "body": body,
            }),
            Outgoing::Response { request_seq, command, result: Err(error) } => json!({
                "seq": seq, "type": "response", "request_seq": request_seq, "success": false,
                "command": command, "message": error.message,
                // Helix shows the body, not `message` (editor-clients.md). No `showUser`: VS Code
                // would pop up a notification for every failed hover or watch evaluation.
                "body": { "error": { "id": 1, "format": error.message } },
            }),
            Outgoing::Event { event, body } => json!({
                "seq": seq, "type": "event", "event": event, "body": body,
            }),
        };
        strip_nulls(&mut message);
        message
    }
}

/// A response's body, typed by its dap-types request: `()` (no body) for the requests whose
/// answer carries nothing.
pub fn body<R: dap_types::requests::Request>(response: R::Response) -> ResponseBody {
    Some(to_value(response)).filter(|body| !body.is_null())
}

/// Serializes a dap-types body. These are plain data structs, so this cannot fail; a failure
/// would be a bug in the adapter, reported as an empty object rather than a panic.
pub fn to_value(body: impl serde::Serialize) -> Value {
    serde_json::to_value(body).unwrap_or_else(|error| {
        tracing::error!(%error, "could not serialize a DAP body");
        Value::Object(Map::new())
    })
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Parses one framed message from the editor. `Err` carries the request's `seq` when it could
/// be read, so the failure can still be answered.
pub fn parse_request(body: &[u8]) -> Result<Request, (Option<i64>, Option<String>, String)> {
    let value: Value = serde_json::from_slice(body).map_err(|error| (None, None, format!("invalid JSON: {error}")))?;
    let seq = value.get("seq").and_then(Value::as_i64);
    let command = value.get("command").and_then(Value::as_str).map(str::to_string);
    match (value.get("type").and_then(Value::as_str), seq, command) {
        (Some("request"), Some(seq), Some(command)) => {
            Ok(Request { seq, command, arguments: value.get("arguments").cloned().unwrap_or(Value::Null) })
        }
        (Some("request"), seq, command) => {
            Err((seq, command, "a request needs an integer 'seq' and a 'command'".into()))
        }
        (kind, seq, command) => Err((seq, command, format!("unexpected message type {kind:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_removed_everywhere() {
        let event = Outgoing::Event {
            event: "stopped".into(),
            body: Some(json!({"reason": "step", "threadId": 1, "text": null, "nested": [{"a": null, "b": 2}]})),
        };
        assert_eq!(
            event.to_json(7),
            json!({"seq": 7, "type": "event", "event": "stopped", "body": {"reason": "step", "threadId": 1, "nested": [{"b": 2}]}})
        );
    }

    #[test]
    fn failed_responses_carry_the_text_in_message_and_body() {
        let response = Outgoing::Response {
            request_seq: 3,
            command: "fooBar".into(),
            result: Err(RequestError::new("unsupported request 'fooBar'")),
        };
        let json = response.to_json(9);
        assert_eq!(json["message"], "unsupported request 'fooBar'");
        assert_eq!(json["body"]["error"]["format"], "unsupported request 'fooBar'");
        assert_eq!(json["success"], false);
    }

    #[test]
    fn bodyless_success_has_no_body_field() {
        let response = Outgoing::Response { request_seq: 1, command: "next".into(), result: Ok(None) };
        assert!(response.to_json(1).get("body").is_none());
    }

    #[test]
    fn malformed_requests_keep_their_seq() {
        assert_eq!(parse_request(br#"{"seq":4,"type":"request"}"#).unwrap_err().0, Some(4));
        assert!(parse_request(b"not json").is_err());
        let ok = parse_request(br#"{"seq":1,"type":"request","command":"threads"}"#).unwrap();
        assert_eq!((ok.seq, ok.command.as_str()), (1, "threads"));
    }
}
