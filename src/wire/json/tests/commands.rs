//! The exact bytes of every request (`docs/protocol.md` §3.2, §5).

use bytes::BytesMut;
use serde_json::{json, Value};

use super::super::JsonCodec;
use crate::config::Secret;
use crate::wire::model::*;
use crate::wire::Codec;

/// Encodes `command` and checks the framing byte by byte; returns `(seq, command, arguments)`.
fn encode(codec: &mut JsonCodec, command: &Command) -> (i64, String, Value) {
    let mut out = BytesMut::new();
    codec.encode(command, &mut out);
    let text = std::str::from_utf8(&out).expect("requests are UTF-8");
    let (header, body) = text.split_once("\r\n\r\n").expect("a header section");
    assert_eq!(header, format!("Content-Length: {}", body.len()), "header spelling and length");
    assert!(body.starts_with(r#"{"type":"request","seq":"#), "compact, type first: {body}");
    let parsed: Value = serde_json::from_str(body).expect("the body is JSON");
    let object = parsed.as_object().expect("an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "only type, seq, command and arguments: {keys:?}");
    assert_eq!(parsed["type"], "request");
    assert!(parsed["arguments"].is_object(), "ptvsd requires an arguments object");
    (
        parsed["seq"].as_i64().expect("an integer seq"),
        parsed["command"].as_str().expect("a command name").to_owned(),
        parsed["arguments"].clone(),
    )
}

fn assert_encodes(command: Command, expected_command: &str, expected_arguments: Value) {
    for version in [7, 8] {
        let (_, name, arguments) = encode(&mut JsonCodec::new(version), &command);
        assert_eq!(name, expected_command, "{command:?}");
        assert_eq!(arguments, expected_arguments, "{command:?} on protocol {version}");
    }
}

const TID: Tid = 139_793_088_940_928;

#[test]
fn seq_counts_from_one() {
    let mut codec = JsonCodec::new(8);
    let seqs: Vec<i64> = (0..3).map(|_| encode(&mut codec, &Command::ResumeAll).0).collect();
    assert_eq!(seqs, [1, 2, 3]);
}

#[test]
fn exact_bytes_of_a_request() {
    let mut out = BytesMut::new();
    JsonCodec::new(7).encode(&Command::StepOver { tid: TID }, &mut out);
    let body = r#"{"type":"request","seq":1,"command":"legacyStepOver","arguments":{"threadId":139793088940928}}"#;
    assert_eq!(&out[..], format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
}

#[test]
fn authenticate_sends_the_codec_version_and_the_secret() {
    for version in [7, 8] {
        let command = Command::Authenticate { secret: Secret::new("s3cr\u{e9}t") };
        let (_, name, arguments) = encode(&mut JsonCodec::new(version), &command);
        assert_eq!(name, "legacyRemoteDebuggerAuthenticate");
        assert_eq!(
            arguments,
            json!({"debuggerName": "PTVSDBG", "debuggerProtocolVersion": version, "clientSecret": "s3cr\u{e9}t"})
        );
    }
}

#[test]
fn authenticate_to_back_out_is_refused_by_every_ptvsd() {
    let (_, name, arguments) = encode(&mut JsonCodec::new(9), &Command::AuthenticateToBackOut);
    assert_eq!(name, "legacyRemoteDebuggerAuthenticate");
    assert_eq!(arguments, json!({"debuggerName": "PTVSDBG", "debuggerProtocolVersion": 0, "clientSecret": ""}));
}

#[test]
fn handshake_requests() {
    assert_encodes(
        Command::Attach { debug_options: "RedirectOutput, DjangoDebugging".into() },
        "legacyRemoteDebuggerAttach",
        json!({"debugOptions": "RedirectOutput, DjangoDebugging"}),
    );
    assert_encodes(Command::RemoteInfo, "legacyRemoteDebuggerInfo", json!({}));
}

#[test]
fn thread_commands() {
    let thread = json!({"threadId": TID});
    assert_encodes(Command::StepInto { tid: TID }, "legacyStepInto", thread.clone());
    assert_encodes(Command::StepOver { tid: TID }, "legacyStepOver", thread.clone());
    assert_encodes(Command::StepOut { tid: TID }, "legacyStepOut", thread.clone());
    assert_encodes(Command::ResumeThread { tid: TID }, "legacyResumeThread", thread.clone());
    assert_encodes(Command::ClearStepping { tid: TID }, "legacyClearStepping", thread.clone());
    assert_encodes(Command::GetThreadFrames { tid: TID }, "legacyGetThreadFrames", thread);
    assert_encodes(Command::BreakAll, "legacyBreakAll", json!({}));
    assert_encodes(Command::ResumeAll, "legacyResumeAll", json!({}));
}

#[test]
fn python_breakpoint_sends_every_key_with_language_0() {
    assert_encodes(
        Command::SetBreakpoint {
            id: 12,
            line: 8,
            file: "C:\\proj\\app.py".into(),
            condition: Condition { kind: ConditionKind::WhenTrue, expression: "n > 3".into() },
            pass_count: PassCount { kind: PassCountKind::WhenEqualOrGreater, count: 2 },
        },
        "legacySetBreakpoint",
        json!({
            "breakpointId": 12, "breakpointLineNo": 8, "breakpointFileName": "C:\\proj\\app.py",
            "conditionKind": 1, "condition": "n > 3", "passCountKind": 3, "passCount": 2, "language": 0,
        }),
    );
}

#[test]
fn django_breakpoint_still_sends_condition_and_pass_count_keys() {
    assert_encodes(
        Command::SetDjangoBreakpoint { id: 13, line: 5, file: "/srv/app/templates/page.html".into() },
        "legacySetBreakpoint",
        json!({
            "breakpointId": 13, "breakpointLineNo": 5, "breakpointFileName": "/srv/app/templates/page.html",
            "conditionKind": 0, "condition": "", "passCountKind": 0, "passCount": 0, "language": 1,
        }),
    );
}

#[test]
fn breakpoint_removal() {
    assert_encodes(
        Command::RemoveBreakpoint { id: 12, line: 8 },
        "legacyRemoveBreakpoint",
        json!({"breakpointLineNo": 8, "breakpointId": 12, "language": 0}),
    );
    assert_encodes(
        Command::RemoveDjangoBreakpoint { id: 13, line: 5, file: "/srv/page.html".into() },
        "legacyRemoveBreakpoint",
        json!({"breakpointLineNo": 5, "breakpointId": 13, "language": 1, "breakpointFileName": "/srv/page.html"}),
    );
}

#[test]
fn breakpoint_changes() {
    assert_encodes(
        Command::SetBreakpointCondition {
            id: 12,
            condition: Condition { kind: ConditionKind::WhenChanged, expression: "x".into() },
        },
        "legacySetBreakpointCondition",
        json!({"breakpointId": 12, "conditionKind": 2, "condition": "x"}),
    );
    assert_encodes(
        Command::SetBreakpointCondition { id: 12, condition: Condition::always() },
        "legacySetBreakpointCondition",
        json!({"breakpointId": 12, "conditionKind": 0, "condition": ""}),
    );
    assert_encodes(
        Command::SetBreakpointPassCount { id: 12, pass_count: PassCount { kind: PassCountKind::Every, count: 4 } },
        "legacySetBreakpointPassCount",
        json!({"breakpointId": 12, "passCountKind": 1, "passCount": 4}),
    );
    assert_encodes(
        Command::SetBreakpointHitCount { id: 12, count: 0 },
        "legacySetBreakpointHitCount",
        json!({"breakpointId": 12, "hitCount": 0}),
    );
    assert_encodes(
        Command::GetBreakpointHitCount { request_id: 99, id: 12 },
        "legacyGetBreakpointHitCount",
        json!({"breakpointId": 12}),
    );
}

fn execute(module_name: Option<&str>, print_result: bool) -> Command {
    Command::Execute {
        text: "len(s)".into(),
        tid: TID,
        frame_id: 1,
        exec_id: 7,
        frame_kind: FRAME_KIND_DJANGO,
        repr_kind: ReprKind::RawLen,
        module_name: module_name.map(str::to_owned),
        print_result,
    }
}

#[test]
fn execute_on_protocol_7_omits_module_name_and_print_result() {
    let (_, name, arguments) = encode(&mut JsonCodec::new(7), &execute(Some("os"), true));
    assert_eq!(name, "legacyExecuteText");
    assert_eq!(
        arguments,
        json!({"text": "len(s)", "threadId": TID, "frameId": 1, "executionId": 7, "frameKind": 2, "reprKind": 2})
    );
}

#[test]
fn execute_on_protocol_8_always_carries_module_name_and_print_result() {
    let base =
        json!({"text": "len(s)", "threadId": TID, "frameId": 1, "executionId": 7, "frameKind": 2, "reprKind": 2});
    for (command, module_name, print_result) in
        [(execute(None, false), Value::Null, false), (execute(Some("os.path"), true), json!("os.path"), true)]
    {
        let (_, name, arguments) = encode(&mut JsonCodec::new(8), &command);
        assert_eq!(name, "legacyExecuteText");
        let mut expected = base.clone();
        expected["moduleName"] = module_name;
        expected["printResult"] = json!(print_result);
        assert_eq!(arguments, expected);
    }
}

#[test]
fn enum_children_and_set_line_number() {
    assert_encodes(
        Command::EnumChildren {
            text: "(a + b)".into(),
            tid: TID,
            frame_id: 0,
            exec_id: 8,
            frame_kind: FRAME_KIND_PYTHON,
        },
        "legacyEnumChildren",
        json!({"text": "(a + b)", "threadId": TID, "frameId": 0, "executionId": 8, "frameKind": 1}),
    );
    assert_encodes(
        Command::SetLineNumber { tid: TID, frame_id: 0, line: 11 },
        "legacySetLineNumber",
        json!({"threadId": TID, "frameId": 0, "lineNo": 11}),
    );
}

#[test]
fn exception_tables() {
    assert_encodes(
        Command::SetExceptionInfo {
            default_mode: 32,
            break_on: vec![("KeyError".into(), 0), ("ValueError".into(), 33)],
        },
        "legacySetExceptionInfo",
        json!({"defaultBreakOnMode": 32, "breakOn": [{"name": "KeyError", "mode": 0}, {"name": "ValueError", "mode": 33}]}),
    );
    assert_encodes(
        Command::SetExceptionInfo { default_mode: 0, break_on: vec![] },
        "legacySetExceptionInfo",
        json!({"defaultBreakOnMode": 0, "breakOn": []}),
    );
    assert_encodes(
        Command::SetExceptionHandlerInfo {
            file: "/srv/app/caf\u{e9}.py".into(),
            statements: vec![
                HandlerStatement {
                    line_start: 3,
                    line_end: 6,
                    expressions: vec!["KeyError".into(), "os.error".into()],
                },
                HandlerStatement { line_start: 9, line_end: 12, expressions: vec!["*".into()] },
            ],
        },
        "legacySetExceptionHandlerInfo",
        json!({"fileName": "/srv/app/caf\u{e9}.py", "statements": [
            {"lineStart": 3, "lineEnd": 6, "expressions": ["KeyError", "os.error"]},
            {"lineStart": 9, "lineEnd": 12, "expressions": ["*"]},
        ]}),
    );
}

#[test]
fn detach_and_the_loop_shutdown_workaround() {
    assert_encodes(Command::Detach, "legacyDetach", json!({}));
    assert_encodes(Command::ShutdownLoop, "legacyShutdownLoop", json!({}));
}

#[test]
fn strings_are_escaped_correctly() {
    let text = "print(\"a\\tb\")\n# caf\u{e9} \u{1F600}";
    let command = Command::Execute {
        text: text.into(),
        tid: 1,
        frame_id: 0,
        exec_id: 1,
        frame_kind: FRAME_KIND_PYTHON,
        repr_kind: ReprKind::Normal,
        module_name: None,
        print_result: false,
    };
    let (_, _, arguments) = encode(&mut JsonCodec::new(7), &command);
    assert_eq!(arguments["text"], text);
}
