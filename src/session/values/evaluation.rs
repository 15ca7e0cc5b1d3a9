//! Evaluations (`exec`) and child enumerations (`chld`) run on a stopped debuggee thread, one
//! at a time: overlapping ones kill ptvsd's debugger loop (§9.9).

use std::collections::VecDeque;
use std::time::Duration;

use crate::session::debuggee::handles::FrameRef;
use crate::wire::model::{Command, FrameKind, Tid};

/// How long an evaluation may run before the editor is told it failed. The debuggee may still
/// be running it: nothing else is sent until it answers.
pub const EVALUATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Who waits for the answer.
#[derive(Debug)]
pub enum Waiter {
    Evaluate {
        /// The editor's request, in the registry of waiting requests (`requests/waiting.rs`).
        seq: i64,
        expression: String,
        frame: FrameRef,
        kind: FrameKind,
        shape: ValueShape,
        hex: bool,
    },
    /// `reference` is the parent's variables reference, to remember its children's expressions.
    /// `page`: a slice of a long list, whose children are renumbered.
    Variables {
        seq: i64,
        frame: FrameRef,
        kind: FrameKind,
        start: usize,
        count: usize,
        hex: bool,
        reference: u64,
        page: Option<super::Page>,
    },
    /// The assignment of setVariable/setExpression; `target` is evaluated again afterwards,
    /// its value answered in `shape`.
    Assign { seq: i64, target: String, frame: FrameRef, kind: FrameKind, hex: bool, shape: ValueShape },
    /// A remote file's text, for `source`.
    Source { seq: i64, file: String },
    /// A logpoint's message, evaluated on the thread that hit it.
    Logpoint { tid: Tid },
    /// The names to offer for `completions`.
    Completions { seq: i64, query: super::completions::Query },
    /// Whether a thread that paused after a resume-all is blocked (`debuggee/stragglers.rs`).
    Straggler { tid: Tid },
    /// The attach stop's probe: `TCP_NODELAY` on ptvsd's socket and its release (§1.2, §12).
    AttachProbe { tid: Tid },
}

/// Which DAP body an evaluated value goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueShape {
    /// `evaluate`: `result`.
    Evaluate,
    /// `evaluate` for "Copy Value" (`clipboard`): `result`, the whole value.
    Copy,
    /// `setVariable`: `value`.
    SetVariable,
    /// `setExpression`: `value`.
    SetExpression,
}

#[derive(Debug)]
pub struct Work {
    /// `Execute` or `EnumChildren`, without its execution id (assigned when sent).
    pub command: Command,
    pub waiter: Waiter,
}

/// ptvsd's thread marks itself free only after it has sent its answer, so a command sent the
/// moment an answer arrives can be told "busy" (an empty `CHLD`, or "previous evaluation has not
/// completed"). Such a command is sent again after a short pause, a few times at most.
pub const BUSY_RETRY_DELAY: Duration = Duration::from_millis(15);
const MAX_BUSY_RETRIES: u8 = 4;
pub const BUSY_TEXT: &str = "<error: previous evaluation has not completed>";

struct InFlight {
    exec_id: i64,
    /// `None` once it outlived its timeout (its answer may still come and is then dropped).
    waiter: Option<Waiter>,
    /// What was sent, to send it again if ptvsd was busy.
    command: Command,
    retries: u8,
}

#[derive(Default)]
pub struct Evaluations {
    queue: VecDeque<(Work, u8)>,
    in_flight: Option<InFlight>,
    next_exec_id: i64,
    /// Nothing is sent before this (after a busy answer).
    not_before: Option<tokio::time::Instant>,
    /// The timeout of the evaluation in flight.
    pub timer: Option<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for Evaluations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluations")
            .field("queued", &self.queue.len())
            .field("in_flight", &self.in_flight_id())
            .finish()
    }
}

impl Evaluations {
    pub fn push(&mut self, work: Work) {
        self.queue.push_back((work, 0));
    }

    /// The next command to send, with its execution id set, if nothing is in flight.
    pub fn next_to_send(&mut self) -> Option<(i64, Command)> {
        if self.in_flight.is_some() || self.not_before.is_some_and(|t| tokio::time::Instant::now() < t) {
            return None;
        }
        let (Work { mut command, waiter }, retries) = self.queue.pop_front()?;
        self.next_exec_id += 1;
        let exec_id = self.next_exec_id;
        if let Command::Execute { exec_id: id, .. } | Command::EnumChildren { exec_id: id, .. } = &mut command {
            *id = exec_id;
        }
        self.in_flight = Some(InFlight { exec_id, waiter: Some(waiter), command: command.clone(), retries });
        Some((exec_id, command))
    }

    /// Frees the slot if `exec_id` answers the in-flight work; returns its waiter, if any
    /// still waits.
    pub fn complete(&mut self, exec_id: i64) -> Option<Waiter> {
        match &self.in_flight {
            Some(in_flight) if in_flight.exec_id == exec_id => self.in_flight.take().and_then(|f| f.waiter),
            _ => None,
        }
    }

    /// The answer to `exec_id` said ptvsd was busy: puts the work back at the front to be sent
    /// again after [`BUSY_RETRY_DELAY`]. False when it has been retried enough (or is not the
    /// in-flight work); the caller then takes the answer as it is.
    pub fn retry_busy(&mut self, exec_id: i64) -> bool {
        let retry = match &self.in_flight {
            Some(in_flight) => {
                in_flight.exec_id == exec_id && in_flight.waiter.is_some() && in_flight.retries < MAX_BUSY_RETRIES
            }
            None => false,
        };
        if let (true, Some(InFlight { waiter: Some(waiter), command, retries, .. })) = (retry, self.in_flight.take()) {
            self.queue.push_front((Work { command, waiter }, retries + 1));
            self.not_before = Some(tokio::time::Instant::now() + BUSY_RETRY_DELAY);
            return true;
        }
        false
    }

    /// A JSON failure response for the in-flight work (it names no execution id).
    pub fn complete_current(&mut self) -> Option<Waiter> {
        self.in_flight.take().and_then(|f| f.waiter)
    }

    /// Hands back the waiter of overdue work to fail it. The slot stays taken so that nothing
    /// overlaps it in the debuggee.
    pub fn time_out(&mut self, exec_id: i64) -> Option<Waiter> {
        match &mut self.in_flight {
            Some(in_flight) if in_flight.exec_id == exec_id => in_flight.waiter.take(),
            _ => None,
        }
    }

    /// Takes back all work on a thread that exited, sent or not: ptvsd never answers for an
    /// unknown thread (§9.9), and the id may soon name a new thread.
    pub fn abandon_on_thread(&mut self, tid: Tid) -> Vec<Waiter> {
        let mut waiters = Vec::new();
        if self.in_flight.as_ref().is_some_and(|f| on_thread(&f.command, tid)) {
            waiters.extend(self.in_flight.take().and_then(|f| f.waiter));
        }
        let (gone, kept): (Vec<_>, Vec<_>) = self.queue.drain(..).partition(|(work, _)| on_thread(&work.command, tid));
        self.queue = kept.into();
        waiters.extend(gone.into_iter().map(|(work, _)| work.waiter));
        waiters
    }

    /// Nothing is in flight or waiting: work pushed now is sent at once.
    pub fn idle(&self) -> bool {
        self.in_flight.is_none()
            && self.queue.is_empty()
            && self.not_before.is_none_or(|t| tokio::time::Instant::now() >= t)
    }

    /// Something the editor asked for is being evaluated (not one of the adapter's checks).
    pub fn editor_work_in_flight(&self) -> bool {
        self.in_flight.as_ref().is_some_and(|f| !matches!(f.waiter, Some(Waiter::Straggler { .. })))
    }

    pub fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    fn in_flight_id(&self) -> Option<i64> {
        self.in_flight.as_ref().map(|f| f.exec_id)
    }

    /// True while overdue work blocks the slot.
    pub fn is_stuck(&self) -> bool {
        matches!(self.in_flight, Some(InFlight { waiter: None, .. }))
    }

    /// Everything the editor queued (not sent): the program resumed, so none of it can run.
    pub fn drain_queued(&mut self) -> Vec<Work> {
        self.queue.drain(..).map(|(work, _)| work).collect()
    }
}

fn on_thread(command: &Command, tid: Tid) -> bool {
    matches!(command, Command::Execute { tid: on, .. } | Command::EnumChildren { tid: on, .. } if *on == tid)
}
