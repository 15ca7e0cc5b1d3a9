//! Responses, matched to what was asked (`docs/protocol.md` §2.2, §3.2, §5, §9.13).

use bytes::BytesMut;

use super::super::{JsonCodec, MAX_PENDING_REQUESTS};
use super::{attached_codec, decode_all, decode_one, event_json, frame, response_json};
use crate::config::Secret;
use crate::wire::model::*;
use crate::wire::{Codec, DecodeError};

const AUTHENTICATE: &str = "legacyRemoteDebuggerAuthenticate";
const ATTACH: &str = "legacyRemoteDebuggerAttach";
const MUST_AUTHENTICATE: &str = "legacyRemoteDebuggerAuthenticate request must be sent first.";

fn send(codec: &mut JsonCodec, command: Command) {
    codec.encode(&command, &mut BytesMut::new());
}

fn reply(codec: &mut JsonCodec, json: &str) -> Result<Option<Event>, DecodeError> {
    let mut buf = BytesMut::from(&frame(json)[..]);
    let event = codec.decode(&mut buf);
    assert!(buf.is_empty(), "a complete response is consumed");
    event
}

#[test]
fn authenticate_accepted_or_refused() {
    for accepted in [true, false] {
        let mut codec = attached_codec(7);
        let body = format!(r#"{{"accepted": {accepted}}}"#);
        assert_eq!(
            decode_one(&mut codec, &response_json(1, true, AUTHENTICATE, "", &body)),
            Ok(Event::Authenticated { accepted })
        );
    }
}

#[test]
fn authenticate_to_back_out_reads_the_refusal() {
    let mut codec = JsonCodec::new(9);
    send(&mut codec, Command::AuthenticateToBackOut);
    assert_eq!(
        decode_one(&mut codec, &response_json(1, true, AUTHENTICATE, "", r#"{"accepted": false}"#)),
        Ok(Event::Authenticated { accepted: false })
    );
}

#[test]
fn attach_accepted_with_process_details() {
    let json = r#"{"type": "response", "seq": 1, "request_seq": 2, "success": true, "command": "legacyRemoteDebuggerAttach", "message": "", "body": {"accepted": true, "processId": 10131, "pythonMajor": 3, "pythonMinor": 11, "pythonMicro": 7}}"#;
    assert_eq!(
        decode_one(&mut attached_codec(8), json),
        Ok(Event::Attached(Some(AttachInfo { pid: 10131, python_version: (3, 11, 7) })))
    );
}

#[test]
fn attach_refused_because_another_debugger_is_attached() {
    assert_eq!(
        decode_one(&mut attached_codec(8), &response_json(2, true, ATTACH, "", r#"{"accepted": false}"#)),
        Ok(Event::Attached(None))
    );
}

#[test]
fn handshake_failures_read_as_refusals() {
    let mut codec = attached_codec(8);
    assert_eq!(
        decode_one(&mut codec, &response_json(1, false, AUTHENTICATE, MUST_AUTHENTICATE, "{}")),
        Ok(Event::Authenticated { accepted: false })
    );
    assert_eq!(
        decode_one(&mut codec, &response_json(2, false, ATTACH, MUST_AUTHENTICATE, "{}")),
        Ok(Event::Attached(None))
    );
}

#[test]
fn remote_info_including_null_strings() {
    let mut codec = JsonCodec::new(8);
    send(&mut codec, Command::Authenticate { secret: Secret::default() });
    send(&mut codec, Command::RemoteInfo);
    let body = r#"{"processId": 10131, "executable": "/usr/bin/python3.11", "user": null, "pythonVersion": "CPython 3.11.7 (Linux 64-bit)"}"#;
    assert_eq!(
        decode_one(&mut codec, &response_json(2, true, "legacyRemoteDebuggerInfo", "", body)),
        Ok(Event::RemoteInfo(RemoteProcessInfo {
            pid: 10131,
            executable: "/usr/bin/python3.11".into(),
            user: String::new(),
            python_version: "CPython 3.11.7 (Linux 64-bit)".into(),
        }))
    );
    send(&mut codec, Command::RemoteInfo);
    assert_eq!(
        decode_one(&mut codec, &response_json(3, false, "legacyRemoteDebuggerInfo", MUST_AUTHENTICATE, "{}")),
        Ok(Event::CommandFailed { command: "legacyRemoteDebuggerInfo".into(), message: MUST_AUTHENTICATE.into() })
    );
}

#[test]
fn responses_are_decoded_by_what_was_asked_not_by_what_they_claim() {
    let mut codec = attached_codec(8);
    assert_eq!(
        decode_one(&mut codec, &response_json(1, true, "legacyResumeAll", "", r#"{"accepted": true}"#)),
        Ok(Event::Authenticated { accepted: true })
    );
}

#[test]
fn breakpoint_hit_count_carries_the_session_request_id() {
    let mut codec = attached_codec(8);
    send(&mut codec, Command::GetBreakpointHitCount { request_id: 42, id: 12 }); // seq 3
    send(&mut codec, Command::GetBreakpointHitCount { request_id: 43, id: 13 }); // seq 4
    let count = |request_seq, hits| {
        response_json(request_seq, true, "legacyGetBreakpointHitCount", "", &format!(r#"{{"hitCount": {hits}}}"#))
    };
    assert_eq!(decode_one(&mut codec, &count(4, 0)), Ok(Event::BreakpointHitCount { request_id: 43, count: 0 }));
    assert_eq!(decode_one(&mut codec, &count(3, 5)), Ok(Event::BreakpointHitCount { request_id: 42, count: 5 }));
    // Answered requests are forgotten: a repeat carries no request id and is skipped.
    assert_eq!(reply(&mut codec, &count(3, 5)), Ok(None));
}

#[test]
fn set_line_number_result() {
    let mut codec = attached_codec(8);
    send(&mut codec, Command::SetLineNumber { tid: 139_793_088_940_928, frame_id: 0, line: 11 });
    send(&mut codec, Command::SetLineNumber { tid: 5, frame_id: 0, line: 11 });
    let failed = r#"{"result": 0, "threadId": 139793088940928, "newLineNo": 0}"#;
    assert_eq!(
        decode_one(&mut codec, &response_json(3, true, "legacySetLineNumber", "", failed)),
        Ok(Event::SetLineNumberResult { success: false, tid: 139_793_088_940_928, line: 0 })
    );
    let moved = r#"{"result": 1, "threadId": 5, "newLineNo": 11}"#;
    assert_eq!(
        decode_one(&mut codec, &response_json(4, true, "legacySetLineNumber", "", moved)),
        Ok(Event::SetLineNumberResult { success: true, tid: 5, line: 11 })
    );
}

#[test]
fn acknowledgements_are_skipped_within_one_decode_call() {
    let mut codec = attached_codec(8);
    send(&mut codec, Command::ResumeAll); // seq 3
    let mut buf = BytesMut::from(&frame(&response_json(3, true, "legacyResumeAll", "", "{}"))[..]);
    buf.extend_from_slice(&frame(&event_json(9, "legacyStepDone", r#"{"threadId": 1}"#)));
    assert_eq!(codec.decode(&mut buf), Ok(Some(Event::StepDone { tid: 1 })));
    assert!(buf.is_empty());
    // An acknowledgement followed by half a message: the acknowledgement goes, the half stays.
    send(&mut codec, Command::ResumeAll); // seq 4
    let mut buf = BytesMut::from(&frame(&response_json(4, true, "legacyResumeAll", "", "{}"))[..]);
    buf.extend_from_slice(b"Content-Length: 10\r\n\r\n{");
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert_eq!(&buf[..], b"Content-Length: 10\r\n\r\n{");
}

#[test]
fn a_failed_request_is_reported_with_its_message() {
    let mut codec = attached_codec(8);
    send(
        &mut codec,
        Command::SetBreakpoint {
            id: 1,
            line: 1,
            file: "a.py".into(),
            condition: Condition::always(),
            pass_count: PassCount::always(),
        },
    ); // seq 3
    assert_eq!(
        decode_one(&mut codec, &response_json(3, false, "legacySetBreakpoint", "Unknown language", "{}")),
        Ok(Event::CommandFailed { command: "legacySetBreakpoint".into(), message: "Unknown language".into() })
    );
}

#[test]
fn detach_answers_twice_and_the_second_failure_is_reported() {
    let mut codec = attached_codec(8);
    send(&mut codec, Command::Detach); // seq 3
    send(&mut codec, Command::ShutdownLoop); // seq 4
    let traceback = r#"Traceback (most recent call last):\n  File \"/usr/lib/python3.11/site-packages/ptvsd/ipcjson.py\", line 256, in on_request\nptvsd.debugger.DebuggerExitException\n"#;
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&frame(&response_json(3, true, "legacyDetach", "", "{}")));
    buf.extend_from_slice(&frame(&event_json(40, "legacyDetach", "{}")));
    buf.extend_from_slice(&frame(&response_json(3, false, "legacyDetach", traceback, "{}")));
    buf.extend_from_slice(&frame(&response_json(4, false, "legacyShutdownLoop", "Unknown command", "{}")));
    let expected_traceback = traceback.replace("\\n", "\n").replace("\\\"", "\"");
    assert_eq!(
        decode_all(&mut codec, &mut buf),
        Ok(vec![
            Event::Detached,
            Event::CommandFailed { command: "legacyDetach".into(), message: expected_traceback },
            Event::CommandFailed { command: "legacyShutdownLoop".into(), message: "Unknown command".into() },
        ])
    );
}

#[test]
fn unanswered_requests_are_bounded_and_the_oldest_are_forgotten() {
    let mut codec = JsonCodec::new(8);
    send(&mut codec, Command::GetBreakpointHitCount { request_id: 1, id: 1 }); // seq 1
    for _ in 0..MAX_PENDING_REQUESTS {
        send(&mut codec, Command::ResumeAll);
    }
    send(&mut codec, Command::GetBreakpointHitCount { request_id: 2, id: 2 });
    assert_eq!(codec.pending.len(), MAX_PENDING_REQUESTS);
    let newest = MAX_PENDING_REQUESTS as i64 + 2;
    let count = |seq| response_json(seq, true, "legacyGetBreakpointHitCount", "", r#"{"hitCount": 1}"#);
    assert_eq!(reply(&mut codec, &count(1)), Ok(None), "forgotten: only its success is known");
    assert_eq!(reply(&mut codec, &count(newest)), Ok(Some(Event::BreakpointHitCount { request_id: 2, count: 1 })));
}

#[test]
fn unsolicited_responses_are_judged_by_success_alone() {
    let mut codec = JsonCodec::new(8);
    assert_eq!(reply(&mut codec, &response_json(77, true, "legacyStepInto", "", "{}")), Ok(None));
    assert_eq!(
        reply(&mut codec, &response_json(0, false, "legacyStepInto", "KeyError", "{}")),
        Ok(Some(Event::CommandFailed { command: "legacyStepInto".into(), message: "KeyError".into() }))
    );
}

#[test]
fn wrong_types_in_known_responses_are_bad_json() {
    let cases = [
        (1, AUTHENTICATE, r#"{"accepted": "yes"}"#),
        (2, ATTACH, r#"{"accepted": true, "processId": "10131"}"#),
        (2, ATTACH, "[]"),
    ];
    for (request_seq, command, body) in cases {
        let result = reply(&mut attached_codec(8), &response_json(request_seq, true, command, "", body));
        assert!(matches!(result, Err(DecodeError::BadJson(_))), "{body}: {result:?}");
    }
}
