//! Evaluations (`exec`) and child enumerations (`chld`) run on a stopped debuggee thread, one
//! at a time: overlapping ones kill ptvsd's debugger loop (§9.9).

use std::collections::VecDeque;
use std::time::Duration;

use super::handles::FrameRef;
use crate::dap::message::Request;
use crate::wire::model::{Command, FrameKind, Tid};

/// How long an evaluation may run before the editor is told it failed. The debuggee may still
/// be running it: nothing else is sent until it answers.
pub const EVALUATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Who waits for the answer.
#[derive(Debug)]
pub enum Waiter {
    Evaluate { request: Request, expression: String, frame: FrameRef, kind: FrameKind, shape: ValueShape, hex: bool },
    /// `reference` is the parent's variables reference, to remember its children's expressions.
    Variables { request: Request, frame: FrameRef, kind: FrameKind, start: usize, count: usize, hex: bool, reference: u64 },
    /// The assignment of setVariable/setExpression; `target` is evaluated again afterwards.
    Assign { request: Request, target: String, frame: FrameRef, kind: FrameKind, hex: bool },
    /// A logpoint's message, evaluated on the thread that hit it.
    Logpoint { tid: Tid },
    /// The attach stop's probe: `TCP_NODELAY` on ptvsd's socket and its release (§1.2, §12).
    AttachProbe { tid: Tid },
}

/// Which DAP body an evaluated value goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueShape {
    /// `evaluate`: `result`.
    Evaluate,
    /// `setVariable`/`setExpression`: `value`.
    SetValue,
}

#[derive(Debug)]
pub struct Work {
    /// `Execute` or `EnumChildren`, without its execution id (assigned when sent).
    pub command: Command,
    pub waiter: Waiter,
}

#[derive(Debug, Default)]
pub struct Evaluations {
    queue: VecDeque<Work>,
    /// The execution id in the debuggee, and who waits for it: `None` once it outlived its
    /// timeout (its answer may still come and is then dropped).
    in_flight: Option<(i64, Option<Waiter>)>,
    next_exec_id: i64,
}

impl Evaluations {
    pub fn push(&mut self, work: Work) {
        self.queue.push_back(work);
    }

    /// The next command to send, with its execution id set, if nothing is in flight.
    pub fn next_to_send(&mut self) -> Option<(i64, Command)> {
        if self.in_flight.is_some() {
            return None;
        }
        let Work { mut command, waiter } = self.queue.pop_front()?;
        self.next_exec_id += 1;
        let exec_id = self.next_exec_id;
        if let Command::Execute { exec_id: id, .. } | Command::EnumChildren { exec_id: id, .. } = &mut command {
            *id = exec_id;
        }
        self.in_flight = Some((exec_id, Some(waiter)));
        Some((exec_id, command))
    }

    /// Frees the slot if `exec_id` answers the in-flight work; returns its waiter, if any
    /// still waits.
    pub fn complete(&mut self, exec_id: i64) -> Option<Waiter> {
        match self.in_flight {
            Some((id, _)) if id == exec_id => self.in_flight.take().and_then(|(_, waiter)| waiter),
            _ => None,
        }
    }

    /// A JSON failure response for the in-flight work (it names no execution id).
    pub fn complete_current(&mut self) -> Option<Waiter> {
        self.in_flight.take().and_then(|(_, waiter)| waiter)
    }

    /// Hands back the waiter of overdue work to fail it. The slot stays taken so that nothing
    /// overlaps it in the debuggee.
    pub fn time_out(&mut self, exec_id: i64) -> Option<Waiter> {
        match &mut self.in_flight {
            Some((id, waiter)) if *id == exec_id => waiter.take(),
            _ => None,
        }
    }

    pub fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// True while overdue work blocks the slot.
    pub fn is_stuck(&self) -> bool {
        matches!(self.in_flight, Some((_, None)))
    }

    /// Everything still queued (not sent): the program resumed, so none of it can run.
    pub fn drain_queued(&mut self) -> Vec<Work> {
        self.queue.drain(..).collect()
    }
}
