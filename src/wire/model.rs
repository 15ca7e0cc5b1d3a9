//! Generation-neutral ptvsd messages: what the session says and hears.
//!
//! Each codec (`wire::v6`, `wire::json`) encodes [`Command`] and decodes [`Event`]; the session
//! never sees a tag, a JSON key or a framing detail. Field meanings follow
//! `docs/protocol.md` §4–§6.

use crate::config::Secret;

/// A Python thread ident (`thread.get_ident()`): 64-bit, larger than 2^31 on Linux.
pub type Tid = i64;

/// Condition kinds of `brkp`/`legacySetBreakpoint` (§7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionKind {
    Always = 0,
    WhenTrue = 1,
    WhenChanged = 2,
}

/// Pass-count kinds (§7.1). `Every` with a count of 0 is never constructed (§9.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassCountKind {
    Always = 0,
    Every = 1,
    WhenEqual = 2,
    WhenEqualOrGreater = 3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: ConditionKind,
    /// Sent as `""` when the kind is `Always` (a client string cannot be None).
    pub expression: String,
}

impl Condition {
    pub fn always() -> Self {
        Condition { kind: ConditionKind::Always, expression: String::new() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassCount {
    pub kind: PassCountKind,
    pub count: i64,
}

impl PassCount {
    pub fn always() -> Self {
        PassCount { kind: PassCountKind::Always, count: 0 }
    }
}

/// Frame kinds (§7.1): pass back the kind a frame was reported with.
pub type FrameKind = i64;
pub const FRAME_KIND_PYTHON: FrameKind = 1;
pub const FRAME_KIND_DJANGO: FrameKind = 2;

/// Repr kinds of `exec` (§7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReprKind {
    Normal = 0,
    Raw = 1,
    RawLen = 2,
}

/// One `try` statement of a `sehi` answer (§9.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerStatement {
    pub line_start: i64,
    pub line_end: i64,
    /// Dotted exception names, or `"*"` for a bare `except:`. Never empty (an empty list means `*`).
    pub expressions: Vec<String>,
}

/// The expression of a handler that catches everything, as a bare `except:` does.
pub const CATCH_ALL: &str = "*";

/// One statement covering a whole file with `*`: "everything is handled", option (b) of §9.8.
pub fn catch_all() -> Vec<HandlerStatement> {
    vec![HandlerStatement { line_start: 0, line_end: i64::from(i32::MAX), expressions: vec![CATCH_ALL.to_string()] }]
}

/// Client → debuggee.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    // Handshake (§3). Only the handshake encoder ever reads the secret.
    Authenticate {
        secret: Secret,
    },
    /// A handshake that ptvsd will refuse and close cleanly, to back out after the greeting
    /// without wedging the attach server (§3.1.1, §3.2.2).
    AuthenticateToBackOut,
    Attach {
        debug_options: String,
    },
    RemoteInfo,

    // Debug session (§5).
    StepInto {
        tid: Tid,
    },
    StepOver {
        tid: Tid,
    },
    StepOut {
        tid: Tid,
    },
    BreakAll,
    ResumeAll,
    ResumeThread {
        tid: Tid,
    },
    ClearStepping {
        tid: Tid,
    },
    /// 3.0.0, 3.1 and 3.2 only: fatal on 2.2.0.
    GetThreadFrames {
        tid: Tid,
    },
    SetBreakpoint {
        id: i64,
        line: i64,
        file: String,
        condition: Condition,
        pass_count: PassCount,
    },
    SetDjangoBreakpoint {
        id: i64,
        line: i64,
        file: String,
    },
    /// `line` must be the line the breakpoint was created with.
    RemoveBreakpoint {
        id: i64,
        line: i64,
    },
    RemoveDjangoBreakpoint {
        id: i64,
        line: i64,
        file: String,
    },
    SetBreakpointCondition {
        id: i64,
        condition: Condition,
    },
    SetBreakpointPassCount {
        id: i64,
        pass_count: PassCount,
    },
    SetBreakpointHitCount {
        id: i64,
        count: i64,
    },
    GetBreakpointHitCount {
        request_id: i64,
        id: i64,
    },
    Execute {
        text: String,
        tid: Tid,
        frame_id: i64,
        exec_id: i64,
        frame_kind: FrameKind,
        repr_kind: ReprKind,
        /// Protocol 8 only (module-scope evaluation); `None` = use the frame.
        module_name: Option<String>,
        /// Protocol 8 only.
        print_result: bool,
    },
    EnumChildren {
        text: String,
        tid: Tid,
        frame_id: i64,
        exec_id: i64,
        frame_kind: FrameKind,
    },
    SetLineNumber {
        tid: Tid,
        frame_id: i64,
        line: i64,
    },
    SetExceptionInfo {
        default_mode: i64,
        break_on: Vec<(String, i64)>,
    },
    /// Only ever as the answer to [`Event::RequestHandlers`], echoing its file name exactly.
    SetExceptionHandlerInfo {
        file: String,
        statements: Vec<HandlerStatement>,
    },
    Detach,
    /// JSON generations only: an unknown command sent after the detach event, which makes
    /// ptvsd's loop exit instead of spinning (§9.13).
    ShutdownLoop,
}

/// A Python object as ptvsd describes it (§4.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Obj {
    pub repr: Option<String>,
    pub hex_repr: Option<String>,
    pub type_name: String,
    pub length: i64,
    pub flags: i64,
}

pub const FLAG_EXPANDABLE: i64 = 1;
pub const FLAG_METHOD_CALL: i64 = 2;
pub const FLAG_SIDE_EFFECTS: i64 = 4;
pub const FLAG_RAW: i64 = 8;
pub const FLAG_HAS_RAW_REPR: i64 = 16;

impl Obj {
    pub fn is_expandable(&self) -> bool {
        self.flags & FLAG_EXPANDABLE != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub obj: Obj,
}

/// One frame of a `THRF` (§4.2), innermost first; its index in the list is its frame id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    pub start_line: i64,
    /// Garbage on CPython ≥ 3.10 (§4.2): never shown.
    pub end_line: i64,
    pub line: i64,
    pub name: String,
    pub file: String,
    pub arg_count: i64,
    pub kind: FrameKind,
    /// Django frames only: the Python source of the template node's `render`.
    pub django_source: Option<(String, i64)>,
    pub variables: Vec<Variable>,
}

/// A child from `chld`/`legacyEnumChildren` (§4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub name: String,
    /// `None` means the child cannot be expanded or evaluated.
    pub expression: Option<String>,
    pub obj: Obj,
}

/// Whether ptvsd considered the exception handled (§6.2: the wire values differ per release).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionBreakType {
    Handled,
    Unhandled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionInfo {
    pub type_name: String,
    pub message: String,
    pub break_type: ExceptionBreakType,
    /// Traceback lines (`repr(file),line,repr(func),repr(source)`), when ptvsd sent them.
    pub trace: Option<String>,
    /// The injected local that holds the exception (`__exception_info`), when present.
    pub exception_variable: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputChannel {
    Stdout,
    Stderr,
    /// ptvsd's own notices (protocol 8).
    Debug,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachInfo {
    pub pid: i64,
    pub python_version: (i64, i64, i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteProcessInfo {
    pub pid: i64,
    pub executable: String,
    pub user: String,
    pub python_version: String,
}

/// Debuggee → client.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    // Handshake replies (§3).
    Authenticated {
        accepted: bool,
    },
    /// `None`: refused, another debugger is attached (or an earlier one was lost, §9.13).
    Attached(Option<AttachInfo>),
    RemoteInfo(RemoteProcessInfo),

    // Debug session (§6).
    ThreadCreate {
        tid: Tid,
    },
    ThreadExit {
        tid: Tid,
    },
    ModuleLoad {
        id: i64,
        file: String,
    },
    ProcessLoad {
        tid: Tid,
    },
    /// `name` is `None` for snapshots of threads that are still running (§6.1).
    ThreadFrames {
        tid: Tid,
        name: Option<String>,
        frames: Vec<Frame>,
    },
    StepDone {
        tid: Tid,
    },
    BreakpointSet {
        id: i64,
    },
    /// Pending, not failed: it may still bind or hit (§9.7).
    BreakpointFailed {
        id: i64,
    },
    BreakpointHit {
        id: i64,
        tid: Tid,
    },
    BreakpointHitCount {
        request_id: i64,
        count: i64,
    },
    AsyncBreak {
        tid: Tid,
    },
    SetLineNumberResult {
        success: bool,
        tid: Tid,
        line: i64,
    },
    Exception {
        tid: Tid,
        info: ExceptionInfo,
    },
    ExecutionResult {
        exec_id: i64,
        obj: Obj,
    },
    ExecutionException {
        exec_id: i64,
        text: String,
    },
    Children {
        exec_id: i64,
        children: Vec<Child>,
    },
    Output {
        tid: Tid,
        text: String,
        channel: Option<OutputChannel>,
    },
    /// A thread is blocked until the matching `SetExceptionHandlerInfo` arrives (§9.8).
    RequestHandlers {
        file: String,
    },
    Detached,
    /// Protocol 8: `sys.modules` changed.
    ModulesChanged,
    /// JSON generations: a request failed (a second, `success: false` response, §2.2).
    /// `command` is the ptvsd command name, `message` its text (often a traceback).
    CommandFailed {
        command: String,
        message: String,
    },
    /// Something this adapter does not act on, named for the log.
    Ignored {
        what: String,
    },
}
