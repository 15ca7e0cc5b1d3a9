//! The state of the stop the editor sees, and of the pauses on their way: one value in the
//! link, changed through `Link::on_stopped` and `Link::on_resumed`.

use crate::wire::model::Tid;

/// The attach stop (§8.2): ptvsd stops the first thread that runs Python code after attach and
/// reports `LOAD`. Sending `resa` before it cancels it for good, so the adapter waits for it
/// and uses that stop to tune ptvsd's socket, then resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttachStop {
    /// `LOAD` has not arrived.
    #[default]
    Awaited,
    /// `LOAD` arrived on this thread; waiting for `configurationDone`.
    Arrived(Tid),
    /// Handled: the program runs.
    Done,
}

#[derive(Debug, Default)]
pub struct StopState {
    /// `configurationDone` has come: the attach stop may end.
    pub configuration_done: bool,
    pub attach_stop: AttachStop,
    /// The thread that reported `LOAD`: resuming it alone resumes every thread (§8.2).
    pub attach_thread: Option<Tid>,
    /// `stopOnAttach` has been honoured.
    pub attach_stop_shown: bool,
    /// The editor has been told of a stop and not of a resume since.
    pub reported: bool,
    /// The editor asked for a pause that has not arrived yet.
    pub pause_requested: bool,
    /// A `brka` was sent to probe the release at the next stop (the attach stop had no frame).
    pub probe_at_pause: bool,
    /// The reported stop left the other threads running (an exception stop, §8.3).
    pub others_running: bool,
    /// Counts stops and resumes, so a timer can tell whether the stop it was set for lasts.
    pub generation: u64,
    /// The long-stop warning's timer, for the stop (generation) it belongs to.
    pub long_stop_timer: Option<(u64, tokio::task::AbortHandle)>,
    /// The long-stop warning has been given this session.
    pub warned_long_stop: bool,
}
