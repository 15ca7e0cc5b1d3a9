//! The process model. The editor's process (the front) only relays DAP bytes; the debug session
//! lives in a child, the connection owner, linked to the front by pipes (its stdin and stdout)
//! and detached from what the editor can kill: on Unix in its own process group, on Windows in
//! a new process group without a console, broken away from the editor's job object where the
//! job allows it. When the editor kills the front (SIGKILL, which Helix sends whenever a session
//! ends, or TerminateProcess on Windows), the owner sees its input close and detaches
//! in-protocol, so the remote app is never left stopped or wedged. When the owner dies, the
//! front tells the editor and exits.

mod front;
mod owner;
mod termination;
pub mod working_set;

pub use front::run_front;
pub use owner::{stdio as owner_stdio, OWNER_FLAG};
