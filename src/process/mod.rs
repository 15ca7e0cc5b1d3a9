//! The process model. The editor's process (the front) only relays DAP bytes; the debug session
//! lives in a child, the connection owner, in its own process group, linked to the front by an
//! inherited socketpair (its stdin and stdout). When the editor kills the front, even with
//! SIGKILL (Helix does, every time a session ends), the owner sees the socket close and detaches
//! in-protocol, so the remote app is never left stopped or wedged. When the owner dies, the front
//! tells the editor and exits.

#[cfg(unix)]
mod front;

#[cfg(unix)]
pub use front::run_front;
