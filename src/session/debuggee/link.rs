//! The state of an attached session: the codec, the writer, and everything learned from ptvsd.

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::breakpoints::Breakpoints;
use super::handles::Handles;
use super::stop::StopState;
use super::threads::ThreadTable;
use crate::config::attach::AttachConfig;
use crate::session::paths::PathMapper;
use crate::session::values::evaluation::Evaluations;
use crate::wire::generation::{Generation, Release};
use crate::wire::model::{AttachInfo, Command, Tid};
use crate::wire::Codec;

/// A `setBreakpoints` waiting for ptvsd to say whether its new breakpoints bound.
#[derive(Debug)]
pub struct PendingBreakpoints {
    pub source_path: String,
    pub outcomes: Vec<super::breakpoints::Outcome>,
    pub lines: Vec<i64>,
}

/// The attached debuggee: the link's I/O side, the model of the debuggee learned through it,
/// and the stop.
pub struct Link {
    pub generation: Generation,
    pub release: Release,
    pub info: AttachInfo,
    pub io: LinkIo,
    pub config: AttachConfig,
    pub paths: PathMapper,
    pub threads: ThreadTable,
    pub handles: Handles,
    pub breakpoints: Breakpoints,
    pub evaluations: Evaluations,
    pub exceptions: crate::session::exceptions::ExceptionSettings,
    /// Template breakpoint commands held until the release is known: 2.2 must not get them.
    pub deferred_template_commands: Vec<Command>,
    /// `MODL`s (module id and remote file, in load order) and the remote files shown by reference.
    pub files: LoadedFiles,
    /// Threads that may have paused after a resume-all, and when threads were woken.
    pub stragglers: super::stragglers::StragglerWatch,
    pub stop: StopState,
}

/// The I/O side of the link: the codec both ways, and the writer task's channel.
pub struct LinkIo {
    codec: Box<dyn Codec>,
    pub read_buf: BytesMut,
    writer: Option<mpsc::UnboundedSender<Bytes>>,
    /// Commands gathered by [`Link::send_together`], sent as one write when it ends.
    batch: Option<BytesMut>,
    pub writer_task: Option<JoinHandle<()>>,
    /// What the transport knows about why the link closed.
    pub close_reason: crate::transport::CloseReason,
}

impl LinkIo {
    /// Encodes and sends one command (or adds it to the batch being gathered). Sending after
    /// the link closed is a no-op (logged).
    fn send(&mut self, command: Command) {
        tracing::debug!(target: "wire::out", ?command, "to ptvsd");
        if let Some(batch) = &mut self.batch {
            self.codec.encode(&command, batch);
            return;
        }
        let mut out = BytesMut::new();
        self.codec.encode(&command, &mut out);
        self.send_bytes(out);
    }

    /// Starts gathering commands; returns the batch this one is nested in, if any.
    fn start_batch(&mut self) -> Option<BytesMut> {
        self.batch.replace(BytesMut::new())
    }

    /// Sends what was gathered since `start_batch` in one write, or adds it to the outer batch.
    fn end_batch(&mut self, outer: Option<BytesMut>) {
        let gathered = std::mem::replace(&mut self.batch, outer).unwrap_or_default();
        match &mut self.batch {
            Some(batch) => batch.extend_from_slice(&gathered),
            None => self.send_bytes(gathered),
        }
    }

    fn send_bytes(&mut self, out: BytesMut) {
        match &self.writer {
            Some(writer) if !out.is_empty() => {
                let _ = writer.send(out.freeze());
            }
            Some(_) => {}
            None => tracing::debug!("link closed; command not sent"),
        }
    }
}

/// What the debuggee loaded: modules for `modules` and `loadedSources`, and remote files.
#[derive(Debug, Default)]
pub struct LoadedFiles {
    /// `MODL`s: module id and remote file, in load order.
    pub modules: Vec<(i64, String)>,
    /// Remote files without a local copy, by the `sourceReference` the editor was given.
    pub remote_sources: RemoteSources,
}

impl Link {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        generation: Generation,
        info: AttachInfo,
        codec: Box<dyn Codec>,
        read_buf: BytesMut,
        writer: mpsc::UnboundedSender<Bytes>,
        writer_task: JoinHandle<()>,
        config: AttachConfig,
        close_reason: crate::transport::CloseReason,
    ) -> Self {
        let paths = PathMapper::new(config.path_mappings.clone());
        Link {
            generation,
            release: Release::initial(generation),
            info,
            io: LinkIo {
                codec,
                read_buf,
                writer: Some(writer),
                batch: None,
                writer_task: Some(writer_task),
                close_reason,
            },
            config,
            paths,
            threads: ThreadTable::default(),
            handles: Handles::default(),
            breakpoints: Breakpoints::new(),
            evaluations: Evaluations::default(),
            exceptions: Default::default(),
            deferred_template_commands: Vec::new(),
            files: LoadedFiles::default(),
            stragglers: super::stragglers::StragglerWatch::default(),
            stop: StopState::default(),
        }
    }

    /// Encodes and sends one command. Sending after the link closed is a no-op (logged).
    pub fn send(&mut self, command: Command) {
        self.io.send(command);
    }

    /// Runs `sending` with every command it sends gathered into one write, so that ptvsd reads
    /// them at once: the commands of one request (a file's breakpoints, `continue`'s
    /// clear-stepping and resume) arrive in one segment or WebSocket frame, however the
    /// adapter's threads are scheduled between them.
    pub fn send_together<R>(&mut self, sending: impl FnOnce(&mut Link) -> R) -> R {
        let outer = self.io.start_batch();
        let result = sending(self);
        self.io.end_batch(outer);
        result
    }

    pub fn decode(&mut self) -> Result<Option<crate::wire::model::Event>, crate::wire::DecodeError> {
        self.io.codec.decode(&mut self.io.read_buf)
    }

    /// Sends a breakpoint command, holding Django template ones while a protocol 6 debuggee's
    /// release is unknown (ptvsd 2.2's template hook breaks on current Django, §9.12.1).
    pub fn send_breakpoint_command(&mut self, command: Command) {
        let template = matches!(command, Command::SetDjangoBreakpoint { .. } | Command::RemoveDjangoBreakpoint { .. });
        if template && self.release == Release::Protocol6Unknown {
            self.deferred_template_commands.push(command);
        } else {
            self.send(command);
        }
    }

    /// The detach (§9.13), after taking back what would outlive the session: pending
    /// breakpoints ptvsd keeps, and template breakpoints still held for an unknown release.
    pub fn send_detach(&mut self) {
        // A `REQH` still being read is answered first: its thread must not stay blocked.
        for command in self.exceptions.give_up_reads() {
            self.send(command);
        }
        self.deferred_template_commands.clear();
        for command in self.breakpoints.before_detach() {
            self.send_breakpoint_command(command);
        }
        // Exceptions off: a thread this detach releases from an exception stop unwinds through
        // more frames, and a `REQH` it sent after the link closed would block it for good.
        self.send(crate::session::exceptions::table(0));
        self.send(Command::Detach);
    }

    /// Closes the sending side: the writer flushes what is queued and then closes the link.
    pub fn close_writer(&mut self) {
        self.io.writer = None;
    }

    /// Forgets the stop: every frame id and variable reference the editor holds is now stale.
    pub fn on_resumed(&mut self) {
        self.stop.others_running = false;
        if let Some((_, timer)) = self.stop.long_stop_timer.take() {
            timer.abort();
        }
        self.threads.mark_all_running();
        self.handles.clear();
        self.stop.reported = false;
        self.stop.generation += 1;
    }

    /// `rest`: this thread alone runs again; nothing may be sent to it as to a paused thread.
    pub fn resume_thread(&mut self, tid: Tid) {
        self.send(Command::ResumeThread { tid });
        self.stragglers.woke(tid);
        if let Some(thread) = self.threads.get_mut(tid) {
            thread.blocked = false;
            thread.exception = None;
        }
    }

    /// `justMyCode` (the default): off when the debug options ask ptvsd for the standard library.
    pub fn just_my_code(&self) -> bool {
        !self.config.debug_options.split(',').any(|option| option.trim() == "DebugStdLib")
    }

    /// Where local copies of the debuggee's sources may be read (`exceptions/local_source.rs`): the path
    /// mappings' local roots and the workspace (the editor's `cwd`, else the adapter's).
    pub fn source_roots(&self) -> Vec<std::path::PathBuf> {
        let workspace = match &self.config.client_cwd {
            Some(cwd) => Some(std::path::PathBuf::from(cwd)),
            None => std::env::current_dir().ok(),
        };
        self.paths.local_roots().map(std::path::PathBuf::from).chain(workspace).collect()
    }

    /// A stop to report: the thread is blocked; returns its DAP id.
    pub fn on_stopped(&mut self, tid: Tid) -> u64 {
        self.threads.record_blocked(tid);
        let dap_id = self.threads.get(tid).map(|thread| thread.dap_id).unwrap_or_default();
        if !self.stop.reported {
            self.stop.generation += 1;
        }
        self.stop.reported = true;
        dap_id
    }
}

/// `sourceReference`s for remote files: stable for the whole session (unlike frame ids).
/// The debuggee names the files, so their number is bounded.
#[derive(Debug, Default)]
pub struct RemoteSources {
    files: Vec<String>,
    references: std::collections::HashMap<String, u64>,
}

/// The most remote files given a `sourceReference`; later ones are shown without one.
pub const MAX_REMOTE_SOURCES: usize = 10_000;
/// The most modules listed (`MODL`s kept for `modules` and `loadedSources`).
pub const MAX_MODULES: usize = 20_000;

impl RemoteSources {
    pub fn reference(&mut self, remote_file: &str) -> Option<u64> {
        if let Some(reference) = self.references.get(remote_file) {
            return Some(*reference);
        }
        if self.files.len() >= MAX_REMOTE_SOURCES {
            return None;
        }
        self.files.push(remote_file.to_string());
        let reference = self.files.len() as u64;
        self.references.insert(remote_file.to_string(), reference);
        Some(reference)
    }

    pub fn file(&self, reference: u64) -> Option<&str> {
        usize::try_from(reference).ok()?.checked_sub(1).and_then(|index| self.files.get(index)).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link_io(writer: mpsc::UnboundedSender<Bytes>) -> LinkIo {
        LinkIo {
            codec: Generation::V8.codec(),
            read_buf: BytesMut::new(),
            writer: Some(writer),
            batch: None,
            writer_task: None,
            close_reason: Default::default(),
        }
    }

    /// A batch (nested or not) reaches the writer as one chunk holding every command in order;
    /// a command outside a batch is a chunk of its own.
    #[test]
    fn commands_sent_together_are_one_write() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut io = link_io(tx);
        let outer = io.start_batch();
        io.send(Command::ClearStepping { tid: 7 });
        let inner = io.start_batch();
        io.send(Command::ResumeAll);
        io.end_batch(inner);
        assert!(rx.try_recv().is_err(), "nothing leaves before the outermost batch ends");
        io.end_batch(outer);
        io.send(Command::ResumeAll);
        let together = String::from_utf8(rx.try_recv().expect("the batch").to_vec()).expect("JSON");
        let clear = together.find("legacyClearStepping").expect("clear-stepping in the batch");
        let resume = together.find("legacyResumeAll").expect("resume in the batch");
        assert!(clear < resume, "in the order sent: {together}");
        let alone = String::from_utf8(rx.try_recv().expect("the lone command").to_vec()).expect("JSON");
        assert!(alone.contains("legacyResumeAll") && !alone.contains("legacyClearStepping"), "{alone}");
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn remote_sources_keep_their_reference_and_are_bounded() {
        let mut sources = RemoteSources::default();
        assert_eq!(sources.reference("/srv/a.py"), Some(1));
        assert_eq!(sources.reference("/srv/b.py"), Some(2));
        assert_eq!(sources.reference("/srv/a.py"), Some(1));
        assert_eq!(sources.file(2), Some("/srv/b.py"));
        assert_eq!(sources.file(0), None);
        for n in 0..MAX_REMOTE_SOURCES {
            sources.reference(&format!("/srv/generated/{n}.py"));
        }
        assert_eq!(sources.reference("/srv/one-too-many.py"), None);
        assert_eq!(sources.reference("/srv/b.py"), Some(2), "the known ones keep theirs");
    }
}
