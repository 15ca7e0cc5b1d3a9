//! Events from ptvsd 3.1/3.2 (`docs/protocol.md` §4, §6), with the keys that
//! `visualstudio_py_debugger.py` (3.1.0) and `debugger.py` (3.2.1) send.
//!
//! Keys that identify something (thread, breakpoint, execution) are required; descriptive keys
//! that are missing or null take a neutral default, so an older or newer ptvsd that leaves one
//! out still works.

use serde::Deserialize;
use serde_json::Value;

use super::message::body_as;
use crate::wire::model::{
    Child, Event, ExceptionBreakType, ExceptionInfo, Frame, Obj, OutputChannel, Tid, Variable, FRAME_KIND_PYTHON,
};
use crate::wire::DecodeError;

/// Decodes the body of the event `name`; events the adapter does not use become `Ignored`.
pub(super) fn decode_event(name: &str, body: Value) -> Result<Event, DecodeError> {
    Ok(match name {
        "legacyThreadCreate" => Event::ThreadCreate { tid: body_as::<ThreadBody>(name, body)?.thread_id },
        "legacyThreadExit" => Event::ThreadExit { tid: body_as::<ThreadBody>(name, body)?.thread_id },
        "legacyProcessLoad" => Event::ProcessLoad { tid: body_as::<ThreadBody>(name, body)?.thread_id },
        "legacyStepDone" => Event::StepDone { tid: body_as::<ThreadBody>(name, body)?.thread_id },
        "legacyAsyncBreak" => Event::AsyncBreak { tid: body_as::<ThreadBody>(name, body)?.thread_id },
        "legacyModuleLoad" => {
            let module: ModuleLoadBody = body_as(name, body)?;
            Event::ModuleLoad { id: module.module_id, file: module.module_file_name.unwrap_or_default() }
        }
        "legacyThreadFrameList" => {
            let list: FrameListBody = body_as(name, body)?;
            Event::ThreadFrames {
                tid: list.thread_id,
                name: list.thread_name,
                frames: list.thread_frames.unwrap_or_default().into_iter().map(WireFrame::into_frame).collect(),
            }
        }
        "legacyBreakpointSet" => Event::BreakpointSet { id: body_as::<BreakpointBody>(name, body)?.breakpoint_id },
        "legacyBreakpointFailed" => {
            Event::BreakpointFailed { id: body_as::<BreakpointBody>(name, body)?.breakpoint_id }
        }
        "legacyBreakpointHit" => {
            let hit: BreakpointHitBody = body_as(name, body)?;
            Event::BreakpointHit { id: hit.breakpoint_id, tid: hit.thread_id }
        }
        "legacyException" => {
            let exception: ExceptionBody = body_as(name, body)?;
            Event::Exception { tid: exception.thread_id, info: exception.data.unwrap_or_default().into_info() }
        }
        "legacyExecutionResult" => {
            let result: ExecutionResultBody = body_as(name, body)?;
            Event::ExecutionResult { exec_id: result.execution_id, obj: result.obj.unwrap_or_default().into_obj() }
        }
        "legacyExecutionException" => {
            let failure: ExecutionExceptionBody = body_as(name, body)?;
            Event::ExecutionException {
                exec_id: failure.execution_id,
                text: failure.exception_text.unwrap_or_default(),
            }
        }
        "legacyEnumChildrenResult" => {
            let result: ChildrenBody = body_as(name, body)?;
            Event::Children {
                exec_id: result.execution_id,
                children: result.children.unwrap_or_default().into_iter().map(WireChild::into_child).collect(),
            }
        }
        "legacyDebuggerOutput" => {
            let output: OutputBody = body_as(name, body)?;
            Event::Output { tid: output.thread_id, channel: output.channel(), text: output.output.unwrap_or_default() }
        }
        "legacyRequestHandlers" => {
            Event::RequestHandlers { file: body_as::<RequestHandlersBody>(name, body)?.file_name }
        }
        "legacyDetach" => Event::Detached,
        "legacyModulesChanged" => Event::ModulesChanged,
        _ => Event::Ignored { what: format!("event {name}") },
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadBody {
    thread_id: Tid,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BreakpointBody {
    breakpoint_id: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BreakpointHitBody {
    breakpoint_id: i64,
    thread_id: Tid,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModuleLoadBody {
    module_id: i64,
    module_file_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FrameListBody {
    thread_id: Tid,
    /// None for snapshots of running threads (§6.1).
    thread_name: Option<String>,
    thread_frames: Option<Vec<WireFrame>>,
}

/// One frame of `legacyThreadFrameList` (§4.2, `send_frame_list`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFrame {
    start_line: Option<i64>,
    end_line: Option<i64>,
    line_no: Option<i64>,
    frame_name: Option<String>,
    file_name: Option<String>,
    arg_count: Option<i64>,
    frame_kind: Option<i64>,
    /// Only on Django frames (kind 2).
    django_source_file: Option<String>,
    django_source_line: Option<i64>,
    variables: Option<Vec<WireVariable>>,
}

impl WireFrame {
    fn into_frame(self) -> Frame {
        Frame {
            start_line: self.start_line.unwrap_or_default(),
            end_line: self.end_line.unwrap_or_default(),
            line: self.line_no.unwrap_or_default(),
            name: self.frame_name.unwrap_or_default(),
            file: self.file_name.unwrap_or_default(),
            arg_count: self.arg_count.unwrap_or_default(),
            // The kind is passed back to exec/chld, so a missing one must still be valid.
            kind: self.frame_kind.unwrap_or(FRAME_KIND_PYTHON),
            django_source: self.django_source_file.map(|file| (file, self.django_source_line.unwrap_or_default())),
            variables: self.variables.unwrap_or_default().into_iter().map(WireVariable::into_variable).collect(),
        }
    }
}

#[derive(Deserialize)]
struct WireVariable {
    name: Option<String>,
    obj: Option<WireObj>,
}

impl WireVariable {
    fn into_variable(self) -> Variable {
        Variable { name: self.name.unwrap_or_default(), obj: self.obj.unwrap_or_default().into_obj() }
    }
}

/// An object description (§4.1, `create_object`).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireObj {
    obj_repr: Option<String>,
    hex_repr: Option<String>,
    type_name: Option<String>,
    length: Option<i64>,
    flags: Option<i64>,
}

impl WireObj {
    fn into_obj(self) -> Obj {
        Obj {
            repr: self.obj_repr,
            hex_repr: self.hex_repr,
            type_name: self.type_name.unwrap_or_default(),
            length: self.length.unwrap_or_default(),
            flags: self.flags.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionBody {
    thread_id: Tid,
    data: Option<ExceptionData>,
}

/// The string map of `report_exception` (§6.2).
#[derive(Deserialize, Default)]
struct ExceptionData {
    typename: Option<String>,
    message: Option<String>,
    /// `"unhandled"`, present only when the exception is unhandled.
    breaktype: Option<String>,
    trace: Option<String>,
    excvalue: Option<String>,
}

impl ExceptionData {
    fn into_info(self) -> ExceptionInfo {
        let break_type = match self.breaktype.as_deref() {
            Some("unhandled") => ExceptionBreakType::Unhandled,
            _ => ExceptionBreakType::Handled,
        };
        ExceptionInfo {
            type_name: self.typename.unwrap_or_default(),
            message: self.message.unwrap_or_default(),
            break_type,
            trace: self.trace,
            exception_variable: self.excvalue,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionResultBody {
    execution_id: i64,
    obj: Option<WireObj>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionExceptionBody {
    execution_id: i64,
    exception_text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChildrenBody {
    execution_id: i64,
    children: Option<Vec<WireChild>>,
}

/// One child of `legacyEnumChildrenResult` (§4.3, `report_children`).
#[derive(Deserialize)]
struct WireChild {
    name: Option<String>,
    /// None: the child cannot be expanded or evaluated.
    expression: Option<String>,
    obj: Option<WireObj>,
}

impl WireChild {
    fn into_child(self) -> Child {
        Child {
            name: self.name.unwrap_or_default(),
            expression: self.expression,
            obj: self.obj.unwrap_or_default().into_obj(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutputBody {
    thread_id: Tid,
    output: Option<String>,
    /// 3.2.1; absent for writes to `sys.stdout.buffer` (§6).
    channel: Option<String>,
    /// 3.2.0's spelling of the same (PTVS `DebuggerOutputEvent.isStdOut`).
    is_std_out: Option<bool>,
}

impl OutputBody {
    fn channel(&self) -> Option<OutputChannel> {
        let named = match self.channel.as_deref() {
            Some("stdout") => Some(OutputChannel::Stdout),
            Some("stderr") => Some(OutputChannel::Stderr),
            Some("debug") => Some(OutputChannel::Debug),
            _ => None,
        };
        named.or_else(|| {
            self.is_std_out.map(|is_std_out| if is_std_out { OutputChannel::Stdout } else { OutputChannel::Stderr })
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestHandlersBody {
    /// Echoed verbatim in the answer, so it cannot be defaulted.
    file_name: String,
}
