//! Threads a resume-all left paused. When the program resumes just after a stop, threads that
//! were on their way to pause send their frames, and ptvsd's `resa` runs before they mark
//! themselves blocked: they then block with nobody to wake them, a web worker hung for good.
//! ptvsd says nothing but the thread's own `THRF`, so the adapter watches the threads whose
//! frames came just before a resume-all or while the program runs, unless a stop explains them.
//!
//! Waking such a thread takes care, because of two ptvsd races that end its debugger loop:
//! - `rest` on a thread that is not blocked yet fails an assertion;
//! - `exec` or `rest` on a thread that was just woken but has not run yet releases its
//!   already released lock ("release unlocked lock"). A woken thread may wait for the
//!   interpreter lock for a long time when many threads run.
//!
//! So a watched thread is probed with an evaluation only once every wake-up that could concern
//! it is [`WAKE_LATENCY`] old. ptvsd answers an evaluation only on a blocked thread (otherwise it
//! says "cannot be evaluated at this time"), and after any stop event the thread sent; `rest`
//! then wakes it, and only while the program is still meant to run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::session::values::evaluation::{Waiter, Work};
use crate::session::{DebuggeeInput, Debugging};
use crate::wire::model::{Obj, ReprKind, Tid, FRAME_KIND_PYTHON};

/// A thread whose frames came this close before a resume-all may have missed it.
const RACE_MARGIN: Duration = Duration::from_secs(1);
/// How long a woken thread may take to run again, before it is safe to send it anything.
const WAKE_LATENCY: Duration = Duration::from_secs(2);
/// A stop event has this long to follow a thread's frames before the thread is probed.
const SETTLE: Duration = Duration::from_millis(50);
/// When a watched thread is looked at again while other evaluations run.
const BUSY_DELAY: Duration = Duration::from_millis(20);
/// When a watched thread is looked at again after an answer "not blocked": it may have been
/// about to mark itself blocked.
const LOOK_AGAIN: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

/// What the adapter knows about wake-ups and the threads it watches.
#[derive(Debug, Default)]
pub struct StragglerWatch {
    watched: HashMap<Tid, Watched>,
    resumed_all_at: Option<Instant>,
    woken_at: HashMap<Tid, Instant>,
}

#[derive(Debug, Default)]
struct Watched {
    /// "Not blocked" answers so far.
    not_blocked: usize,
    /// When the probe now awaited was sent.
    probed_at: Option<Instant>,
}

impl StragglerWatch {
    pub fn resumed_all(&mut self) {
        self.resumed_all_at = Some(Instant::now());
        self.woken_at.clear();
    }

    pub fn woke(&mut self, tid: Tid) {
        self.woken_at.insert(tid, Instant::now());
    }

    /// A stop explains every pause, and a thread that exited is gone.
    pub fn forget(&mut self, tid: Option<Tid>) {
        match tid {
            Some(tid) => {
                self.watched.remove(&tid);
                self.woken_at.remove(&tid);
            }
            None => self.watched.clear(),
        }
    }

    fn last_wake(&self, tid: Tid) -> Option<Instant> {
        self.resumed_all_at.into_iter().chain(self.woken_at.get(&tid).copied()).max()
    }

    /// How long until `tid` may be sent anything (zero when it may now).
    fn wait_before_probing(&self, tid: Tid) -> Duration {
        self.last_wake(tid).map_or(Duration::ZERO, |at| WAKE_LATENCY.saturating_sub(at.elapsed()))
    }

    /// An answer tells the thread's state only if it answers our probe and no wake-up came
    /// after the probe was sent (the answer then describes a thread that has been woken).
    fn answer_is_current(&self, tid: Tid) -> bool {
        let probed_at = self.watched.get(&tid).and_then(|watched| watched.probed_at);
        probed_at.is_some_and(|probed| self.last_wake(tid).is_none_or(|woken| woken < probed))
    }
}

impl Debugging<'_> {
    /// After a resume-all: the threads that started to pause just before it are watched.
    pub(in crate::session) fn resumed_all(&mut self) {
        let link = &mut *self.link;
        let recent: Vec<Tid> = link
            .threads
            .iter()
            .filter(|(_, thread)| {
                !thread.pause_explained() && thread.paused_at.is_some_and(|at| at.elapsed() < RACE_MARGIN)
            })
            .map(|(tid, _)| *tid)
            .collect();
        link.on_resumed();
        link.stragglers.resumed_all();
        for tid in recent {
            self.watch(tid);
        }
    }

    /// A thread sent its own frames (it is pausing): watched if the program is running.
    pub(in crate::session) fn watch_for_straggler(&mut self, tid: Tid) {
        let link = &*self.link;
        let pausing_expected = link.stop.reported
            || link.stop.pause_requested
            || link.stop.probe_at_pause
            || link.stop.attach_stop != super::stop::AttachStop::Done
            || link.evaluations.editor_work_in_flight();
        if !pausing_expected {
            self.watch(tid);
        }
    }

    fn watch(&mut self, tid: Tid) {
        let link = &mut *self.link;
        if link.stragglers.watched.contains_key(&tid) {
            return;
        }
        link.stragglers.watched.insert(tid, Watched::default());
        let delay = link.stragglers.wait_before_probing(tid).max(SETTLE);
        self.editor.after(delay, DebuggeeInput::CheckStraggler(tid));
    }

    /// Probes the thread with an evaluation, unless a stop has explained its pause.
    pub(in crate::session) fn check_straggler(&mut self, tid: Tid) {
        let link = &mut *self.link;
        if link.stop.reported {
            link.stragglers.forget(None);
            return;
        }
        if link.stragglers.watched.get(&tid).is_none_or(|watched| watched.probed_at.is_some()) {
            return;
        }
        if link.threads.get(tid).is_none_or(|thread| thread.pause_explained()) {
            link.stragglers.forget(Some(tid));
            return;
        }
        let delay = link.stragglers.wait_before_probing(tid);
        if !delay.is_zero() {
            // Woken again since it was watched: wait until that wake-up is safely old.
            self.editor.after(delay, DebuggeeInput::CheckStraggler(tid));
            return;
        }
        // The probe goes out now or not at all: in a queue it could outlive a wake-up. The
        // editor's evaluations go first.
        if !link.evaluations.idle() {
            self.editor.after(BUSY_DELAY, DebuggeeInput::CheckStraggler(tid));
            return;
        }
        let kind = link.threads.frame_kind(tid, 0).unwrap_or(FRAME_KIND_PYTHON);
        if let Some(watched) = link.stragglers.watched.get_mut(&tid) {
            watched.probed_at = Some(Instant::now());
        }
        let command = crate::session::values::execute("None".to_string(), tid, 0, kind, ReprKind::Normal);
        link.evaluations.push(Work { command, waiter: Waiter::Straggler { tid } });
        self.pump_evaluations();
    }

    /// The probe answered: the thread is blocked in ptvsd. Resume it alone if the program is
    /// still meant to run; look again later if it was not blocked.
    pub(in crate::session) fn on_straggler_probe(&mut self, tid: Tid, result: Result<Obj, String>) {
        let link = &mut *self.link;
        if link.stop.reported {
            link.stragglers.forget(None);
            return;
        }
        if !link.stragglers.answer_is_current(tid) {
            // A wake-up came after the probe: look again once it is safely old.
            if let Some(watched) = link.stragglers.watched.get_mut(&tid) {
                watched.probed_at = None;
                let delay = link.stragglers.wait_before_probing(tid).max(SETTLE);
                self.editor.after(delay, DebuggeeInput::CheckStraggler(tid));
            }
            return;
        }
        let Some(watched) = link.stragglers.watched.get_mut(&tid) else { return };
        watched.probed_at = None;
        match result {
            Ok(_) => {
                tracing::info!(tid, "resuming a thread left paused after the program resumed");
                link.stragglers.forget(Some(tid));
                link.resume_thread(tid);
            }
            // Not blocked: the resume-all caught it, or it had not marked itself blocked yet.
            Err(_) => match LOOK_AGAIN.get(watched.not_blocked) {
                Some(delay) => {
                    watched.not_blocked += 1;
                    self.editor.after(*delay, DebuggeeInput::CheckStraggler(tid));
                }
                None => link.stragglers.forget(Some(tid)),
            },
        }
    }
}
