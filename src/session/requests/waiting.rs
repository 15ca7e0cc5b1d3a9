//! Editor requests waiting on the debuggee, in one registry keyed by the request's `seq`.
//!
//! Each one is answered exactly once, from here: when its answer comes (`answer_waiting`), when
//! its time is up (`on_request_timeout`), or when the link closes (`fail_all_waiting`). Whatever
//! comes later for a request already answered finds nothing and is dropped.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::task::AbortHandle;

use crate::dap::message::{Request, RequestError, ResponseBody};
use crate::session::debuggee::link::PendingBreakpoints;
use crate::session::{Editor, Internal, Phase, Session};
use crate::wire::model::Tid;

/// What a waiting request waits for.
#[derive(Debug)]
pub enum WaitsOn {
    /// An `exec` or `chld`, queued or in flight (`evaluation.rs`, which times it out).
    Evaluation,
    /// ptvsd's word on whether new breakpoints bound (`BRKS`/`BRKF`).
    Breakpoints(PendingBreakpoints),
    /// The frames of a thread that runs on during an exception stop (`thrf`).
    Stack(Tid, dap_types::StackTraceArguments),
    /// `setl`'s answer (`SETL`).
    Goto { tid: Tid, line: i64 },
}

#[derive(Debug)]
pub struct Waiting {
    pub request: Request,
    pub on: WaitsOn,
    timer: Option<AbortHandle>,
}

#[derive(Debug, Default)]
pub struct WaitingRequests {
    by_seq: BTreeMap<i64, Waiting>,
}

impl WaitingRequests {
    /// Registers `request`; hands back one it displaces (an editor reusing a `seq`).
    fn insert(&mut self, request: Request, on: WaitsOn, timer: Option<AbortHandle>) -> Option<Waiting> {
        self.by_seq.insert(request.seq, Waiting { request, on, timer })
    }

    /// Takes a request out of the registry, cancelling its timer.
    pub fn take(&mut self, seq: i64) -> Option<Waiting> {
        let waiting = self.by_seq.remove(&seq)?;
        if let Some(timer) = &waiting.timer {
            timer.abort();
        }
        Some(waiting)
    }

    /// Takes out every request that `which` selects, in the order they came.
    pub fn take_where(&mut self, which: impl Fn(&WaitsOn) -> bool) -> Vec<Waiting> {
        let seqs: Vec<i64> =
            self.by_seq.iter().filter(|(_, waiting)| which(&waiting.on)).map(|(seq, _)| *seq).collect();
        seqs.into_iter().filter_map(|seq| self.take(seq)).collect()
    }

    pub fn any(&self, which: impl Fn(&WaitsOn) -> bool) -> bool {
        self.by_seq.values().any(|waiting| which(&waiting.on))
    }
}

type Reply = Result<ResponseBody, RequestError>;

impl Editor {
    /// Registers a request that the debuggee's answer completes; with `timeout`, it is answered
    /// by `on_request_timeout` if that answer does not come in time.
    pub(in crate::session) fn wait_on_debuggee(&mut self, request: Request, on: WaitsOn, timeout: Option<Duration>) {
        let timer = timeout.map(|delay| self.after(delay, Internal::RequestTimeout(request.seq)));
        if let Some(displaced) = self.waiting.insert(request, on, timer) {
            if let Some(timer) = displaced.timer {
                timer.abort();
            }
            let message = format!("a later request reused this request's seq {}", displaced.request.seq);
            self.respond(&displaced.request, Err(RequestError::new(message)));
        }
    }

    /// Answers a waiting request; a no-op if it has been answered already.
    pub(in crate::session) fn answer_waiting(&mut self, seq: i64, reply: Reply) {
        if let Some(waiting) = self.waiting.take(seq) {
            self.respond(&waiting.request, reply);
        }
    }

    /// The link closed: every request still waiting fails, saying why.
    pub(in crate::session) fn fail_all_waiting(&mut self, why: &str) {
        for Waiting { request, .. } in self.waiting.take_where(|_| true) {
            self.respond(&request, Err(RequestError::new(format!("the debug session ended: {why}"))));
        }
    }
}

impl Session {
    /// A request's time is up: answered with what is known without the debuggee's answer.
    pub(in crate::session) fn on_request_timeout(&mut self, seq: i64) {
        let Some(Waiting { request, on, .. }) = self.editor.waiting.take(seq) else { return };
        let Phase::Attached(link) = &mut self.phase else {
            self.editor.respond(&request, Err(RequestError::new("the debug session has ended")));
            return;
        };
        let reply = match on {
            WaitsOn::Breakpoints(pending) => Ok(super::breakpoints_body(link, &pending)),
            WaitsOn::Stack(_, arguments) => super::stack_trace_from_cache(link, &arguments),
            WaitsOn::Goto { .. } => Err(RequestError::new(format!(
                "ptvsd did not answer set next statement within {} s",
                super::goto::GOTO_REPLY_TIMEOUT.as_secs()
            ))),
            WaitsOn::Evaluation => Err(RequestError::new("the debuggee did not answer in time")),
        };
        self.editor.respond(&request, reply);
    }
}
