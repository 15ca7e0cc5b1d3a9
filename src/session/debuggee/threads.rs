//! The debuggee's threads: DAP ids for ptvsd tids, names, who is blocked, and each thread's
//! latest frames (the `THRF` cache that answers `stackTrace`/`scopes`/`variables` at once).

use std::collections::BTreeMap;
use std::time::Instant;

use crate::wire::model::{ExceptionInfo, Frame, FrameKind, Tid};

#[derive(Debug, Default)]
pub struct ThreadState {
    pub dap_id: u64,
    pub name: Option<String>,
    /// Blocked inside ptvsd: the only state in which stepping or evaluating is safe (§8.3).
    pub blocked: bool,
    pub frames: Vec<Frame>,
    /// The exception this thread is stopped on, for `exceptionInfo`.
    pub exception: Option<ExceptionInfo>,
    /// The last exception stop of this thread, kept across the resume to recognise the same
    /// exception unwinding into the caller.
    pub exception_stop: Option<ExceptionStop>,
    /// When the thread last sent its own frames, i.e. started to pause (see `stragglers.rs`).
    pub paused_at: Option<Instant>,
    /// When it last reported a stop event (it was blocked for sure by then).
    pub stop_event_at: Option<Instant>,
}

impl ThreadState {
    /// Its latest pause came with a stop event: the adapter knows why it paused.
    pub fn pause_explained(&self) -> bool {
        matches!((self.stop_event_at, self.paused_at), (Some(stopped), Some(paused)) if stopped >= paused)
    }
}

/// An exception stop: what was raised, and where (each frame's file and function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionStop {
    type_name: String,
    message: String,
    frames: Vec<(String, String)>,
}

impl ExceptionStop {
    pub fn new(info: &ExceptionInfo, frames: &[Frame]) -> Self {
        ExceptionStop {
            type_name: info.type_name.clone(),
            message: info.message.clone(),
            frames: frames.iter().map(|frame| (frame.file.clone(), frame.name.clone())).collect(),
        }
    }

    /// The same exception, one or more frames further out.
    pub fn is_propagated_by(&self, info: &ExceptionInfo, frames: &[Frame]) -> bool {
        let now: Vec<(String, String)> = frames.iter().map(|frame| (frame.file.clone(), frame.name.clone())).collect();
        self.type_name == info.type_name
            && self.message == info.message
            && now.len() < self.frames.len()
            && self.frames.ends_with(&now)
    }
}

#[derive(Debug, Default)]
pub struct ThreadTable {
    by_tid: BTreeMap<Tid, ThreadState>,
    next_dap_id: u64,
}

impl ThreadTable {
    /// Registers a thread; returns its DAP id and whether it is new.
    pub fn add(&mut self, tid: Tid) -> (u64, bool) {
        if let Some(thread) = self.by_tid.get(&tid) {
            return (thread.dap_id, false);
        }
        self.next_dap_id += 1;
        let dap_id = self.next_dap_id;
        self.by_tid.insert(tid, ThreadState { dap_id, ..ThreadState::default() });
        (dap_id, true)
    }

    pub fn remove(&mut self, tid: Tid) -> Option<u64> {
        self.by_tid.remove(&tid).map(|thread| thread.dap_id)
    }

    pub fn get(&self, tid: Tid) -> Option<&ThreadState> {
        self.by_tid.get(&tid)
    }

    /// The kind (Python or Django) of a thread's frame `index` in its latest frames.
    pub fn frame_kind(&self, tid: Tid, index: usize) -> Option<FrameKind> {
        self.get(tid).and_then(|thread| thread.frames.get(index)).map(|frame| frame.kind)
    }

    pub fn get_mut(&mut self, tid: Tid) -> Option<&mut ThreadState> {
        self.by_tid.get_mut(&tid)
    }

    pub fn tid_of(&self, dap_id: u64) -> Option<Tid> {
        self.by_tid.iter().find(|(_, thread)| thread.dap_id == dap_id).map(|(tid, _)| *tid)
    }

    /// Records a `THRF`. A named one comes from the thread itself as it blocks; a nameless one
    /// is a snapshot of a thread that is still running (§6.1).
    pub fn record_frames(&mut self, tid: Tid, name: Option<String>, frames: Vec<Frame>) -> u64 {
        let (dap_id, _) = self.add(tid);
        if let Some(thread) = self.by_tid.get_mut(&tid) {
            thread.blocked = name.is_some();
            if name.is_some() {
                thread.name = name;
                thread.paused_at = Some(Instant::now());
            }
            thread.frames = frames;
        }
        dap_id
    }

    pub fn mark_all_running(&mut self) {
        for thread in self.by_tid.values_mut() {
            thread.blocked = false;
            thread.exception = None;
        }
    }

    /// A thread that stopped (it sent its frames, then a stop event).
    pub fn record_blocked(&mut self, tid: Tid) {
        self.add(tid);
        if let Some(thread) = self.by_tid.get_mut(&tid) {
            thread.blocked = true;
            thread.stop_event_at = Some(Instant::now());
        }
    }

    pub fn any_blocked(&self) -> bool {
        self.by_tid.values().any(|thread| thread.blocked)
    }

    /// The first blocked thread, for evaluations that name no frame.
    pub fn first_blocked(&self) -> Option<Tid> {
        self.by_tid.iter().find(|(_, thread)| thread.blocked).map(|(tid, _)| *tid)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Tid, &ThreadState)> {
        self.by_tid.iter()
    }
}
