//! Every event, from samples shaped like ptvsd 3.1.0/3.2.1 output (`docs/protocol.md` §4, §6).

use super::super::JsonCodec;
use super::{decode_one, event_json};
use crate::wire::model::*;
use crate::wire::DecodeError;

const TID: Tid = 139_793_088_940_928;

fn decode(name: &str, body: &str) -> Result<Event, DecodeError> {
    decode_one(&mut JsonCodec::new(8), &event_json(4, name, body))
}

fn event(name: &str, body: &str) -> Event {
    decode(name, body).unwrap_or_else(|e| panic!("{name} {body}: {e}"))
}

#[test]
fn thread_events_with_64_bit_ids() {
    let body = r#"{"threadId": 139793088940928}"#;
    assert_eq!(event("legacyThreadCreate", body), Event::ThreadCreate { tid: TID });
    assert_eq!(event("legacyThreadExit", body), Event::ThreadExit { tid: TID });
    assert_eq!(event("legacyProcessLoad", body), Event::ProcessLoad { tid: TID });
    assert_eq!(event("legacyStepDone", body), Event::StepDone { tid: TID });
    assert_eq!(event("legacyAsyncBreak", body), Event::AsyncBreak { tid: TID });
}

#[test]
fn module_load_with_an_ascii_escaped_path() {
    assert_eq!(
        event("legacyModuleLoad", r#"{"moduleId": 91, "moduleFileName": "/srv/app/caf\u00e9.py"}"#),
        Event::ModuleLoad { id: 91, file: "/srv/app/café.py".into() }
    );
}

#[test]
fn module_load_with_an_undecodable_file_name() {
    // Python 3's surrogateescape of byte 0xff in a Linux file name.
    assert_eq!(
        event("legacyModuleLoad", r#"{"moduleId": 3, "moduleFileName": "/srv/\udcff.py"}"#),
        Event::ModuleLoad { id: 3, file: "/srv/\u{fffd}.py".into() }
    );
}

#[test]
fn breakpoint_events() {
    assert_eq!(event("legacyBreakpointSet", r#"{"breakpointId": 12}"#), Event::BreakpointSet { id: 12 });
    assert_eq!(event("legacyBreakpointFailed", r#"{"breakpointId": 13}"#), Event::BreakpointFailed { id: 13 });
    assert_eq!(
        event("legacyBreakpointHit", r#"{"breakpointId": 12, "threadId": 139793088940928}"#),
        Event::BreakpointHit { id: 12, tid: TID }
    );
}

/// `send_frame_list` output: a Python frame and a Django frame (§4.2, §9.12.1).
const FRAME_LIST: &str = r#"{"threadId": 139793088940928, "threadName": "MainThread", "threadFrames": [{"startLine": 3, "endLine": 546, "lineNo": 8, "frameName": "raiser", "fileName": "/srv/app/caf\u00e9.py", "argCount": 1, "frameKind": 1, "variables": [{"name": "n", "obj": {"objRepr": "8", "hexRepr": "0x8", "typeName": "int", "length": 0, "flags": 0}}, {"name": "s", "obj": {"objRepr": "'hello\u00e9'", "hexRepr": null, "typeName": "str", "length": 6, "flags": 16}}, {"name": "later", "obj": {"objRepr": "<undefined>", "hexRepr": null, "typeName": "", "length": 0, "flags": 0}}]}, {"startLine": 5, "endLine": 5, "lineNo": 5, "frameName": "render", "fileName": "/srv/app/templates/page.html", "argCount": 0, "frameKind": 2, "variables": [{"name": "items", "obj": {"objRepr": "[1, 2, 3]", "hexRepr": null, "typeName": "list", "length": 3, "flags": 1}}], "djangoSourceFile": "/usr/lib/python3.11/site-packages/django/template/defaulttags.py", "djangoSourceLine": 214}]}"#;

pub(super) fn frame_list_event() -> Event {
    let obj = |repr: &str, hex: Option<&str>, type_name: &str, length, flags| Obj {
        repr: Some(repr.into()),
        hex_repr: hex.map(Into::into),
        type_name: type_name.into(),
        length,
        flags,
    };
    Event::ThreadFrames {
        tid: TID,
        name: Some("MainThread".into()),
        frames: vec![
            Frame {
                start_line: 3,
                end_line: 546,
                line: 8,
                name: "raiser".into(),
                file: "/srv/app/café.py".into(),
                arg_count: 1,
                kind: FRAME_KIND_PYTHON,
                django_source: None,
                variables: vec![
                    Variable { name: "n".into(), obj: obj("8", Some("0x8"), "int", 0, 0) },
                    Variable { name: "s".into(), obj: obj("'helloé'", None, "str", 6, FLAG_HAS_RAW_REPR) },
                    Variable { name: "later".into(), obj: obj("<undefined>", None, "", 0, 0) },
                ],
            },
            Frame {
                start_line: 5,
                end_line: 5,
                line: 5,
                name: "render".into(),
                file: "/srv/app/templates/page.html".into(),
                arg_count: 0,
                kind: FRAME_KIND_DJANGO,
                django_source: Some(("/usr/lib/python3.11/site-packages/django/template/defaulttags.py".into(), 214)),
                variables: vec![Variable {
                    name: "items".into(),
                    obj: obj("[1, 2, 3]", None, "list", 3, FLAG_EXPANDABLE),
                }],
            },
        ],
    }
}

pub(super) fn frame_list_json() -> String {
    event_json(7, "legacyThreadFrameList", FRAME_LIST)
}

#[test]
fn thread_frame_list_with_python_and_django_frames() {
    assert_eq!(event("legacyThreadFrameList", FRAME_LIST), frame_list_event());
}

#[test]
fn thread_frame_list_snapshot_without_a_name() {
    assert_eq!(
        event("legacyThreadFrameList", r#"{"threadId": 5, "threadName": null, "threadFrames": []}"#),
        Event::ThreadFrames { tid: 5, name: None, frames: vec![] }
    );
}

#[test]
fn sparse_frames_get_neutral_defaults() {
    let Event::ThreadFrames { frames, .. } = event("legacyThreadFrameList", r#"{"threadId": 5, "threadFrames": [{}]}"#)
    else {
        panic!("not a frame list")
    };
    assert_eq!(frames, vec![Frame { kind: FRAME_KIND_PYTHON, ..Frame::default() }]);
}

#[test]
fn unhandled_exception_with_trace_and_exception_variable() {
    let body = r#"{"threadId": 139793088940928, "data": {"typename": "ValueError", "message": "bad 3", "breaktype": "unhandled", "trace": "'/srv/app/app2.py',8,'raiser',\"raise ValueError('bad %d' % n)\"", "excvalue": "__exception_info"}}"#;
    assert_eq!(
        event("legacyException", body),
        Event::Exception {
            tid: TID,
            info: ExceptionInfo {
                type_name: "ValueError".into(),
                message: "bad 3".into(),
                break_type: ExceptionBreakType::Unhandled,
                trace: Some("'/srv/app/app2.py',8,'raiser',\"raise ValueError('bad %d' % n)\"".into()),
                exception_variable: Some("__exception_info".into()),
            },
        }
    );
}

#[test]
fn handled_exception_without_optional_keys() {
    // A Django frame: no `excvalue`; handled: no `breaktype` (§6.2).
    let body = r#"{"threadId": 9, "data": {"typename": "django.template.base.VariableDoesNotExist", "message": "x"}}"#;
    assert_eq!(
        event("legacyException", body),
        Event::Exception {
            tid: 9,
            info: ExceptionInfo {
                type_name: "django.template.base.VariableDoesNotExist".into(),
                message: "x".into(),
                break_type: ExceptionBreakType::Handled,
                trace: None,
                exception_variable: None,
            },
        }
    );
}

#[test]
fn execution_results() {
    assert_eq!(
        event(
            "legacyExecutionResult",
            r#"{"executionId": 7, "obj": {"objRepr": null, "hexRepr": null, "typeName": "str", "length": 6, "flags": 24}}"#
        ),
        Event::ExecutionResult {
            exec_id: 7,
            obj: Obj {
                repr: None,
                hex_repr: None,
                type_name: "str".into(),
                length: 6,
                flags: FLAG_RAW | FLAG_HAS_RAW_REPR
            },
        }
    );
    assert_eq!(
        event("legacyExecutionException", r#"{"executionId": 8, "exceptionText": "name 'x' is not defined"}"#),
        Event::ExecutionException { exec_id: 8, text: "name 'x' is not defined".into() }
    );
}

#[test]
fn children_with_and_without_expressions() {
    let body = r#"{"executionId": 9, "children": [{"name": "items()", "expression": "d.items()", "obj": {"objRepr": "", "hexRepr": null, "typeName": "", "length": 0, "flags": 3}}, {"name": "[...]", "expression": null, "obj": {"objRepr": "'Evaluation halted because sequence has too many items'", "hexRepr": null, "typeName": "str", "length": 53, "flags": 16}}]}"#;
    assert_eq!(
        event("legacyEnumChildrenResult", body),
        Event::Children {
            exec_id: 9,
            children: vec![
                Child {
                    name: "items()".into(),
                    expression: Some("d.items()".into()),
                    obj: Obj {
                        repr: Some(String::new()),
                        hex_repr: None,
                        type_name: String::new(),
                        length: 0,
                        flags: 3
                    },
                },
                Child {
                    name: "[...]".into(),
                    expression: None,
                    obj: Obj {
                        repr: Some("'Evaluation halted because sequence has too many items'".into()),
                        hex_repr: None,
                        type_name: "str".into(),
                        length: 53,
                        flags: 16,
                    },
                },
            ],
        }
    );
}

#[test]
fn output_channels_of_every_release() {
    let output = |body: &str| match event("legacyDebuggerOutput", body) {
        Event::Output { tid, text, channel } => (tid, text, channel),
        other => panic!("{other:?}"),
    };
    let cases = [
        // 3.2.1
        (r#"{"threadId": 139793088940928, "output": "caf\u00e9\n", "channel": "stdout"}"#, Some(OutputChannel::Stdout)),
        (r#"{"threadId": 139793088940928, "output": "caf\u00e9\n", "channel": "stderr"}"#, Some(OutputChannel::Stderr)),
        (r#"{"threadId": 139793088940928, "output": "caf\u00e9\n", "channel": "debug"}"#, Some(OutputChannel::Debug)),
        // 3.2.0
        (r#"{"threadId": 139793088940928, "output": "caf\u00e9\n", "isStdOut": true}"#, Some(OutputChannel::Stdout)),
        (r#"{"threadId": 139793088940928, "output": "caf\u00e9\n", "isStdOut": false}"#, Some(OutputChannel::Stderr)),
        // 3.1.0, and buffer writes on 3.2.1
        (r#"{"threadId": 139793088940928, "output": "caf\u00e9\n"}"#, None),
    ];
    for (body, channel) in cases {
        assert_eq!(output(body), (TID, "café\n".to_owned(), channel), "{body}");
    }
}

#[test]
fn request_handlers_detach_and_modules_changed() {
    assert_eq!(
        event("legacyRequestHandlers", r#"{"fileName": "/srv/app/app.py"}"#),
        Event::RequestHandlers { file: "/srv/app/app.py".into() }
    );
    assert_eq!(event("legacyDetach", "{}"), Event::Detached);
    assert_eq!(event("legacyModulesChanged", "{}"), Event::ModulesChanged);
}

#[test]
fn other_events_are_ignored_by_name() {
    assert_eq!(event("legacyLast", "{}"), Event::Ignored { what: "event legacyLast".into() });
    assert_eq!(
        event("legacyLocalConnected", r#"{"processGuid": "x", "result": 0}"#),
        Event::Ignored { what: "event legacyLocalConnected".into() }
    );
}

#[test]
fn wrong_types_in_known_events_are_bad_json() {
    let cases = [
        ("legacyThreadCreate", r#"{"threadId": "139793088940928"}"#),
        ("legacyThreadCreate", "{}"),
        ("legacyBreakpointHit", r#"{"breakpointId": 1.5, "threadId": 1}"#),
        ("legacyModuleLoad", r#"{"moduleId": 1, "moduleFileName": 7}"#),
        ("legacyThreadFrameList", r#"{"threadId": 1, "threadFrames": {}}"#),
        ("legacyThreadFrameList", r#"{"threadId": 1, "threadFrames": [{"variables": [{"obj": {"flags": "1"}}]}]}"#),
        ("legacyException", r#"{"threadId": 1, "data": ["ValueError"]}"#),
        ("legacyDebuggerOutput", r#"{"threadId": 1, "output": "x", "isStdOut": "yes"}"#),
        ("legacyRequestHandlers", r#"{"fileName": null}"#),
        ("legacyThreadExit", r#"{"threadId": 18446744073709551616}"#),
        ("legacyStepDone", "[]"),
    ];
    for (name, body) in cases {
        assert!(matches!(decode(name, body), Err(DecodeError::BadJson(_))), "{name} {body}");
    }
}
