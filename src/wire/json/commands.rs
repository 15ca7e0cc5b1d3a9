//! Requests to ptvsd 3.1/3.2 (`docs/protocol.md` §3.2, §5).
//!
//! ptvsd reads every argument with `args['key']`, so a missing key fails the request without
//! acting (§5): every key is always sent, even where the value is unused.

use serde_json::{json, Value};

use super::replies::Reply;
use crate::wire::model::{Command, Condition, HandlerStatement, PassCount};

/// The handshake's protocol name (§3.2).
const DEBUGGER_NAME: &str = "PTVSDBG";

/// `language` of the breakpoint requests (§7.1).
const LANGUAGE_PYTHON: i64 = 0;
const LANGUAGE_DJANGO: i64 = 1;

/// The first protocol whose `legacyExecuteText` requires `moduleName` and `printResult` (§12).
const FIRST_PROTOCOL_WITH_MODULE_SCOPE: i64 = 8;

/// A request, before it gets its sequence number.
pub(super) struct Request {
    pub command: &'static str,
    pub arguments: Value,
    pub reply: Reply,
}

impl Request {
    fn acknowledged(command: &'static str, arguments: Value) -> Self {
        Request { command, arguments, reply: Reply::Acknowledgement }
    }
}

/// The request for `command` to a debuggee speaking `protocol_version`.
pub(super) fn request_for(command: &Command, protocol_version: i64) -> Request {
    match command {
        Command::Authenticate { secret } => Request {
            command: "legacyRemoteDebuggerAuthenticate",
            arguments: json!({
                "debuggerName": DEBUGGER_NAME,
                "debuggerProtocolVersion": protocol_version,
                "clientSecret": secret.expose(),
            }),
            reply: Reply::Authenticate,
        },
        // A version no ptvsd has: it answers `accepted: false` and closes by itself (§3.2.2).
        Command::AuthenticateToBackOut => Request {
            command: "legacyRemoteDebuggerAuthenticate",
            arguments: json!({
                "debuggerName": DEBUGGER_NAME,
                "debuggerProtocolVersion": 0,
                "clientSecret": "",
            }),
            reply: Reply::Authenticate,
        },
        Command::Attach { debug_options } => Request {
            command: "legacyRemoteDebuggerAttach",
            arguments: json!({ "debugOptions": debug_options }),
            reply: Reply::Attach,
        },
        Command::RemoteInfo => {
            Request { command: "legacyRemoteDebuggerInfo", arguments: json!({}), reply: Reply::RemoteInfo }
        }
        Command::StepInto { tid } => Request::acknowledged("legacyStepInto", json!({ "threadId": tid })),
        Command::StepOver { tid } => Request::acknowledged("legacyStepOver", json!({ "threadId": tid })),
        Command::StepOut { tid } => Request::acknowledged("legacyStepOut", json!({ "threadId": tid })),
        Command::BreakAll => Request::acknowledged("legacyBreakAll", json!({})),
        Command::ResumeAll => Request::acknowledged("legacyResumeAll", json!({})),
        Command::ResumeThread { tid } => Request::acknowledged("legacyResumeThread", json!({ "threadId": tid })),
        Command::ClearStepping { tid } => Request::acknowledged("legacyClearStepping", json!({ "threadId": tid })),
        Command::GetThreadFrames { tid } => Request::acknowledged("legacyGetThreadFrames", json!({ "threadId": tid })),
        Command::SetBreakpoint { id, line, file, condition, pass_count } => {
            set_breakpoint(*id, *line, file, LANGUAGE_PYTHON, condition, pass_count)
        }
        // ptvsd ignores conditions of Django breakpoints but still reads the keys (§5).
        Command::SetDjangoBreakpoint { id, line, file } => {
            set_breakpoint(*id, *line, file, LANGUAGE_DJANGO, &Condition::always(), &PassCount::always())
        }
        Command::RemoveBreakpoint { id, line } => Request::acknowledged(
            "legacyRemoveBreakpoint",
            json!({ "breakpointLineNo": line, "breakpointId": id, "language": LANGUAGE_PYTHON }),
        ),
        Command::RemoveDjangoBreakpoint { id, line, file } => Request::acknowledged(
            "legacyRemoveBreakpoint",
            json!({
                "breakpointLineNo": line,
                "breakpointId": id,
                "language": LANGUAGE_DJANGO,
                "breakpointFileName": file,
            }),
        ),
        Command::SetBreakpointCondition { id, condition } => Request::acknowledged(
            "legacySetBreakpointCondition",
            json!({
                "breakpointId": id,
                "conditionKind": condition.kind as i64,
                "condition": condition.expression,
            }),
        ),
        Command::SetBreakpointPassCount { id, pass_count } => Request::acknowledged(
            "legacySetBreakpointPassCount",
            json!({
                "breakpointId": id,
                "passCountKind": pass_count.kind as i64,
                "passCount": pass_count.count,
            }),
        ),
        Command::SetBreakpointHitCount { id, count } => {
            Request::acknowledged("legacySetBreakpointHitCount", json!({ "breakpointId": id, "hitCount": count }))
        }
        Command::GetBreakpointHitCount { request_id, id } => Request {
            command: "legacyGetBreakpointHitCount",
            arguments: json!({ "breakpointId": id }),
            reply: Reply::BreakpointHitCount { request_id: *request_id },
        },
        Command::Execute { text, tid, frame_id, exec_id, frame_kind, repr_kind, module_name, print_result } => {
            let mut arguments = json!({
                "text": text,
                "threadId": tid,
                "frameId": frame_id,
                "executionId": exec_id,
                "frameKind": frame_kind,
                "reprKind": *repr_kind as i64,
            });
            if protocol_version >= FIRST_PROTOCOL_WITH_MODULE_SCOPE {
                arguments["moduleName"] = json!(module_name);
                arguments["printResult"] = json!(print_result);
            }
            Request::acknowledged("legacyExecuteText", arguments)
        }
        Command::EnumChildren { text, tid, frame_id, exec_id, frame_kind } => Request::acknowledged(
            "legacyEnumChildren",
            json!({
                "text": text,
                "threadId": tid,
                "frameId": frame_id,
                "executionId": exec_id,
                "frameKind": frame_kind,
            }),
        ),
        Command::SetLineNumber { tid, frame_id, line } => Request {
            command: "legacySetLineNumber",
            arguments: json!({ "threadId": tid, "frameId": frame_id, "lineNo": line }),
            reply: Reply::SetLineNumber,
        },
        Command::SetExceptionInfo { default_mode, break_on } => {
            let break_on: Vec<Value> =
                break_on.iter().map(|(name, mode)| json!({ "name": name, "mode": mode })).collect();
            Request::acknowledged(
                "legacySetExceptionInfo",
                json!({ "defaultBreakOnMode": default_mode, "breakOn": break_on }),
            )
        }
        Command::SetExceptionHandlerInfo { file, statements } => Request::acknowledged(
            "legacySetExceptionHandlerInfo",
            json!({ "fileName": file, "statements": statements.iter().map(handler_statement).collect::<Vec<_>>() }),
        ),
        Command::Detach => Request::acknowledged("legacyDetach", json!({})),
        // Unknown to ptvsd on purpose: its loop answers "Unknown command" and exits (§9.13).
        Command::ShutdownLoop => Request::acknowledged("legacyShutdownLoop", json!({})),
    }
}

fn set_breakpoint(
    id: i64,
    line: i64,
    file: &str,
    language: i64,
    condition: &Condition,
    pass_count: &PassCount,
) -> Request {
    Request::acknowledged(
        "legacySetBreakpoint",
        json!({
            "breakpointId": id,
            "breakpointLineNo": line,
            "breakpointFileName": file,
            "conditionKind": condition.kind as i64,
            "condition": condition.expression,
            "passCountKind": pass_count.kind as i64,
            "passCount": pass_count.count,
            "language": language,
        }),
    )
}

fn handler_statement(statement: &HandlerStatement) -> Value {
    json!({
        "lineStart": statement.line_start,
        "lineEnd": statement.line_end,
        "expressions": statement.expressions,
    })
}
