//! The model of the debuggee: the link and everything learned through it (threads, the stop,
//! the ids the editor holds, breakpoints), kept true as ptvsd reports.

pub(super) mod breakpoints;
pub(super) mod handles;
pub(super) mod link;
pub(super) mod stop;
pub(super) mod stragglers;
pub(super) mod threads;
