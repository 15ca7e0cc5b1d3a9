//! The JSON generations: ptvsd 3.1.0 (protocol 7) and 3.2.x (protocol 8).
//!
//! `Content-Length`-framed JSON requests, responses and events with `legacyXxx` names
//! (`docs/protocol.md` §2.2, §3.2, §5, §6). Responses are matched to requests by
//! `request_seq`, so the codec remembers what each of its recent requests asked.

mod commands;
mod events;
mod framing;
mod message;
mod replies;
mod surrogates;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use bytes::BytesMut;

use self::message::Message;
use self::replies::Reply;
use super::generation::{Generation, Greeting};
use super::model::{Command, Event};
use super::{Codec, DecodeError};

/// How many unanswered requests are remembered. Every request is answered at once (§2.2), so
/// only requests the debuggee never read (dropped after attach, §3.2.1) ever reach the bound;
/// the oldest is forgotten first.
const MAX_PENDING_REQUESTS: usize = 256;

/// A request waiting for its response.
struct Pending {
    command: &'static str,
    reply: Reply,
}

/// Encoder and incremental decoder for protocols 7 and 8.
pub struct JsonCodec {
    /// Sent in the handshake, and decides the `legacyExecuteText` keys (§5).
    protocol_version: i64,
    next_seq: i64,
    /// By our `seq`, which ptvsd echoes as `request_seq`.
    pending: BTreeMap<i64, Pending>,
}

impl JsonCodec {
    pub fn new(protocol_version: i64) -> Self {
        JsonCodec { protocol_version, next_seq: 1, pending: BTreeMap::new() }
    }

    fn remember(&mut self, seq: i64, pending: Pending) {
        if self.pending.len() >= MAX_PENDING_REQUESTS {
            self.pending.pop_first();
        }
        self.pending.insert(seq, pending);
    }

    /// The event a message stands for, or `None` for an acknowledgement that means nothing.
    fn interpret(&mut self, message: Message) -> Result<Option<Event>, DecodeError> {
        match message {
            Message::Event { name, body } => events::decode_event(&name, body).map(Some),
            Message::Response(mut response) => {
                // A second response to an answered request (a failure after the acknowledgement,
                // §2.2) or one we never sent: only its success or failure can be told.
                let reply = self.pending.remove(&response.request_seq).map_or(Reply::Acknowledgement, |pending| {
                    pending.command.clone_into(&mut response.command);
                    pending.reply
                });
                replies::decode_reply(reply, response)
            }
            other @ Message::Other { .. } => Ok(Some(Event::Ignored { what: other.describe() })),
        }
    }
}

impl Codec for JsonCodec {
    fn encode(&mut self, command: &Command, out: &mut BytesMut) {
        let request = commands::request_for(command, self.protocol_version);
        let seq = self.next_seq;
        self.next_seq += 1;
        // `Value`'s `Display` is compact JSON; the command name is a plain ASCII identifier.
        let body = format!(
            r#"{{"type":"request","seq":{seq},"command":"{}","arguments":{}}}"#,
            request.command, request.arguments
        );
        framing::write_frame(body.as_bytes(), out);
        self.remember(seq, Pending { command: request.command, reply: request.reply });
    }

    /// Successful acknowledgements are consumed silently, so a call may consume several
    /// messages and still return `Ok(None)`; an incomplete message is never consumed.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, DecodeError> {
        while let Some(body) = framing::take_frame(buf)? {
            if let Some(event) = self.interpret(message::parse(&body)?)? {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }
}

/// Consumes ptvsd's `legacyRemoteConnected` greeting from the front of `buf` (§2.3, §3.2),
/// or returns `Ok(None)` with `buf` untouched when more bytes are needed.
pub fn decode_greeting(buf: &mut BytesMut) -> Result<Option<Greeting>, DecodeError> {
    let Some(body) = framing::take_frame(buf)? else {
        return Ok(None);
    };
    match message::parse(&body)? {
        Message::Event { name, body } if name == "legacyRemoteConnected" => {
            let greeting: GreetingBody = message::body_as(&name, body)?;
            Ok(Some(match greeting.debugger_protocol_version {
                7 => Greeting::Supported(Generation::V7),
                8 => Greeting::Supported(Generation::V8),
                version => Greeting::Unsupported { version, binary: false },
            }))
        }
        other => {
            Err(DecodeError::Unexpected(format!("{} instead of the legacyRemoteConnected greeting", other.describe())))
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GreetingBody {
    debugger_protocol_version: i64,
}
