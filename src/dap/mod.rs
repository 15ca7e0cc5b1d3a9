//! The editor side: DAP framing, envelopes, stdio tasks and the capabilities we announce.

pub mod bodies;
pub mod codec;
pub mod message;
pub mod requests;
pub mod server;
