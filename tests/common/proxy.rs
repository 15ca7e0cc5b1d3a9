//! The stalling TCP proxy: while stalled it keeps reading from both sides (so it sees what the
//! adapter tries to send) but forwards nothing; the held bytes go out in order on `resume()`.
//! Used to prove that answers come from a cache. It is the fault proxy with no fault armed.

pub use super::fault_proxy::FaultProxy as StallingProxy;
