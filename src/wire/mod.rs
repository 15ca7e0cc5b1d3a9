//! The ptvsd side: sans-io codecs for each protocol generation. No I/O and no DAP here.
//!
//! Bytes go in, [`model::Event`]s come out; [`model::Command`]s go in, bytes come out.
//! Bytes may arrive in any pieces (a WebSocket message may hold half an event or three).

pub mod generation;
pub mod json;
pub mod model;
pub mod v6;

use bytes::BytesMut;

/// The longest string, body or frame accepted from the debuggee. A length field above it is an
/// error before anything is allocated; a hostile peer cannot make the adapter reserve memory
/// it has not actually sent.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024 * 1024;

/// A decode error is fatal for the connection: the byte stream cannot be resynchronised.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("unknown ptvsd message tag {0:?}")]
    UnknownTag(String),
    #[error("{what} of {len} bytes exceeds the limit of {max} bytes")]
    TooLong { what: &'static str, len: u64, max: usize },
    #[error("negative length {len} in {what}")]
    NegativeLength { what: &'static str, len: i64 },
    #[error("invalid string type prefix 0x{0:02x}")]
    BadStringPrefix(u8),
    #[error("invalid message header: {0}")]
    BadHeader(String),
    #[error("invalid JSON message: {0}")]
    BadJson(String),
    #[error("unexpected message: {0}")]
    Unexpected(String),
    #[error("this is not a ptvsd debug server (first bytes: {0})")]
    NotPtvsd(String),
}

/// One generation's encoder and incremental decoder.
pub trait Codec: Send {
    /// Appends the encoding of `command` to `out`.
    fn encode(&mut self, command: &model::Command, out: &mut BytesMut);

    /// Removes one complete event from the front of `buf` and returns it, or returns
    /// `Ok(None)` and leaves `buf` untouched when more bytes are needed.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<model::Event>, DecodeError>;
}
