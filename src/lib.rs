//! ptvsd-dap: a Debug Adapter Protocol server for Python processes running the legacy ptvsd
//! debug server (2.2, 3.0, 3.1, 3.2), over TCP or a WebSocket relay. See ARCHITECTURE.md.

// One `unsafe` block in all: `process::working_set` (an madvise of the executable's own pages).
#![deny(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod commands;
pub mod config;
pub mod dap;
pub mod logging;
pub mod process;
pub mod random;
pub mod relay;
pub mod session;
pub mod transport;
pub mod wire;
