//! Session events (`docs/protocol.md` §6, v6 column): a 4-byte uppercase tag and its payload,
//! laid out as ptvsd's `report_*`, `send_frame_list` and `write_object` write them.

use super::primitives::{Parse, Reader, INT_SIZE, MIN_STRING_SIZE};
use crate::wire::model::{Child, Event, ExceptionBreakType, ExceptionInfo, Frame, Obj, Variable, FRAME_KIND_DJANGO};
use crate::wire::DecodeError;

/// repr, hex repr and type name as None, then length and flags (§4.1).
const MIN_OBJ_SIZE: usize = 3 * MIN_STRING_SIZE + 2 * INT_SIZE;
const MIN_VARIABLE_SIZE: usize = MIN_STRING_SIZE + MIN_OBJ_SIZE;
/// A Python frame (§4.2) with no variables: three lines, name, file, argument count, kind and
/// the variable count.
const MIN_FRAME_SIZE: usize = 3 * INT_SIZE + 2 * MIN_STRING_SIZE + 3 * INT_SIZE;
const MIN_CHILD_SIZE: usize = 2 * MIN_STRING_SIZE + MIN_OBJ_SIZE;
const MIN_EXCEPTION_ENTRY_SIZE: usize = 2 * MIN_STRING_SIZE;

/// `EXCP` break type for an unhandled exception: 1 in 2.2.0 and 3.0.0, while "handled" is 2 in
/// 2.2.0 and 0 in 3.0.0 (§6.2).
const EXCP_UNHANDLED: i64 = 1;
/// `SETL` result of a successful set-next-statement (§5).
const SETL_SUCCESS: i64 = 1;

/// Reads one complete event, tag included.
pub(super) fn read_event(reader: &mut Reader) -> Parse<Event> {
    let tag = reader.tag()?;
    Ok(match &tag {
        b"NEWT" => Event::ThreadCreate { tid: reader.int()? },
        b"EXTT" => Event::ThreadExit { tid: reader.int()? },
        b"MODL" => Event::ModuleLoad { id: reader.int()?, file: reader.text()? },
        b"LOAD" => Event::ProcessLoad { tid: reader.int()? },
        b"THRF" => read_thread_frames(reader)?,
        b"STPD" => Event::StepDone { tid: reader.int()? },
        b"BRKS" => Event::BreakpointSet { id: reader.int()? },
        b"BRKF" => Event::BreakpointFailed { id: reader.int()? },
        b"BRKH" => Event::BreakpointHit { id: reader.int()?, tid: reader.int()? },
        b"BKHC" => Event::BreakpointHitCount { request_id: reader.int()?, count: reader.int()? },
        b"ASBR" => Event::AsyncBreak { tid: reader.int()? },
        b"SETL" => Event::SetLineNumberResult {
            success: reader.int()? == SETL_SUCCESS,
            tid: reader.int()?,
            line: reader.int()?,
        },
        b"EXCP" => read_exception(reader)?,
        b"EXC2" => read_rich_exception(reader)?,
        b"EXCR" => Event::ExecutionResult { exec_id: reader.int()?, obj: read_obj(reader)? },
        b"EXCE" => Event::ExecutionException { exec_id: reader.int()?, text: reader.text()? },
        b"CHLD" => Event::Children {
            exec_id: reader.int()?,
            children: reader.list("CHLD child list", MIN_CHILD_SIZE, read_child)?,
        },
        // v6 output carries no stream information (§9.11).
        b"OUTP" => Event::Output { tid: reader.int()?, text: reader.text()?, channel: None },
        b"REQH" => Event::RequestHandlers { file: reader.text()? },
        b"DETC" => Event::Detached,
        // Launch mode only; never sent to a remote attach (§6).
        b"LAST" => Event::Ignored { what: "LAST (launch-mode exit notice)".into() },
        unknown => return Err(DecodeError::UnknownTag(unknown.escape_ascii().to_string()).into()),
    })
}

/// `THRF` i tid, s name, i n, n × frame (§4.2, `send_frame_list`).
fn read_thread_frames(reader: &mut Reader) -> Parse<Event> {
    let tid = reader.int()?;
    let name = reader.string()?;
    let frames = reader.list("THRF frame list", MIN_FRAME_SIZE, read_frame)?;
    Ok(Event::ThreadFrames { tid, name, frames })
}

fn read_frame(reader: &mut Reader) -> Parse<Frame> {
    let start_line = reader.int()?;
    let end_line = reader.int()?;
    let line = reader.int()?;
    let name = reader.text()?;
    let file = reader.text()?;
    let arg_count = reader.int()?;
    let kind = reader.int()?;
    // Only Django frames carry the template node's Python source location (§4.2, 7a/7b).
    let django_source = if kind == FRAME_KIND_DJANGO { Some((reader.text()?, reader.int()?)) } else { None };
    let variables = reader.list("THRF variable list", MIN_VARIABLE_SIZE, |reader| {
        Ok(Variable { name: reader.text()?, obj: read_obj(reader)? })
    })?;
    Ok(Frame { start_line, end_line, line, name, file, arg_count, kind, django_source, variables })
}

/// `write_object` (§4.1): repr, hex repr, type name, length, flags.
fn read_obj(reader: &mut Reader) -> Parse<Obj> {
    Ok(Obj {
        repr: reader.string()?,
        hex_repr: reader.string()?,
        type_name: reader.text()?,
        length: reader.int()?,
        flags: reader.int()?,
    })
}

/// One `CHLD` entry (§4.3): name, expression (None: not expandable), obj.
fn read_child(reader: &mut Reader) -> Parse<Child> {
    Ok(Child { name: reader.text()?, expression: reader.string()?, obj: read_obj(reader)? })
}

/// `EXCP` s typeName, i tid, i breakType, s message (§6.2).
fn read_exception(reader: &mut Reader) -> Parse<Event> {
    let type_name = reader.text()?;
    let tid = reader.int()?;
    let break_type =
        if reader.int()? == EXCP_UNHANDLED { ExceptionBreakType::Unhandled } else { ExceptionBreakType::Handled };
    let message = reader.text()?;
    let info = ExceptionInfo { type_name, message, break_type, trace: None, exception_variable: None };
    Ok(Event::Exception { tid, info })
}

/// `EXC2` i tid, i n, n × (s key, s value): 3.0.0 with `RichExceptions` (§6.2). Keys ptvsd
/// does not send are left empty; unknown keys are skipped.
fn read_rich_exception(reader: &mut Reader) -> Parse<Event> {
    let tid = reader.int()?;
    let entries =
        reader.list("EXC2 entry list", MIN_EXCEPTION_ENTRY_SIZE, |reader| Ok((reader.text()?, reader.string()?)))?;
    let mut info = ExceptionInfo {
        type_name: String::new(),
        message: String::new(),
        // `breaktype` is present only when the exception is unhandled.
        break_type: ExceptionBreakType::Handled,
        trace: None,
        exception_variable: None,
    };
    for (key, value) in entries {
        match key.as_str() {
            "typename" => info.type_name = value.unwrap_or_default(),
            "message" => info.message = value.unwrap_or_default(),
            "breaktype" if value.as_deref() == Some("unhandled") => info.break_type = ExceptionBreakType::Unhandled,
            "trace" => info.trace = value,
            "excvalue" => info.exception_variable = value,
            _ => {}
        }
    }
    Ok(Event::Exception { tid, info })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::model::{FLAG_EXPANDABLE, FLAG_HAS_RAW_REPR, FRAME_KIND_PYTHON};
    use crate::wire::v6::primitives::Stop;
    use crate::wire::v6::test_support::{int_obj, DebuggeeBytes};
    use crate::wire::MAX_MESSAGE_LEN;

    const TID: i64 = 139_793_088_940_928;

    /// Decodes `bytes`, which must hold exactly one event.
    fn decode(bytes: DebuggeeBytes) -> Event {
        let bytes = bytes.build();
        let mut reader = Reader::new(&bytes);
        let event = read_event(&mut reader).expect("a complete event");
        assert_eq!(reader.position(), bytes.len(), "the whole event is consumed");
        for end in 0..bytes.len() {
            let result = read_event(&mut Reader::new(&bytes[..end]));
            assert!(
                matches!(result, Err(Stop::Incomplete { needed }) if needed > end && needed <= bytes.len()),
                "a prefix of {end} bytes is incomplete with a sound bound: {result:?}"
            );
        }
        event
    }

    fn tagged(tag: &[u8; 4]) -> DebuggeeBytes {
        DebuggeeBytes::new().raw(tag)
    }

    fn parse_error(bytes: DebuggeeBytes) -> DecodeError {
        match read_event(&mut Reader::new(&bytes.build())) {
            Err(Stop::Invalid(error)) => error,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn thread_create_and_exit() {
        assert_eq!(decode(tagged(b"NEWT").int(TID)), Event::ThreadCreate { tid: TID });
        assert_eq!(decode(tagged(b"EXTT").int(TID)), Event::ThreadExit { tid: TID });
    }

    #[test]
    fn module_load() {
        let event = decode(tagged(b"MODL").int(3).utf8("/srv/app/app.py"));
        assert_eq!(event, Event::ModuleLoad { id: 3, file: "/srv/app/app.py".into() });
    }

    #[test]
    fn process_load() {
        assert_eq!(decode(tagged(b"LOAD").int(TID)), Event::ProcessLoad { tid: TID });
    }

    #[test]
    fn thread_frames_with_python_and_django_frames() {
        let list = Obj {
            repr: Some("[1, 2]".into()),
            hex_repr: None,
            type_name: "list".into(),
            length: 2,
            flags: FLAG_EXPANDABLE,
        };
        let bytes = tagged(b"THRF")
            .int(TID)
            .utf8("MainThread")
            .int(2)
            // Frame 0: Django, with the template node's source.
            .int(5)
            .int(6)
            .int(5)
            .utf8("render")
            .utf8("/srv/app/templates/page.html")
            .int(0)
            .int(FRAME_KIND_DJANGO)
            .utf8("/venv/django/template/base.py")
            .int(1005)
            .int(1)
            .utf8("items")
            .obj(&list)
            // Frame 1: Python, two variables.
            .int(10)
            .int(546)
            .int(12)
            .utf8("view")
            .utf8("/srv/app/views.py")
            .int(1)
            .int(FRAME_KIND_PYTHON)
            .int(2)
            .utf8("n")
            .obj(&int_obj(8))
            .utf8("later")
            .obj(&Obj { repr: Some("<undefined>".into()), ..Obj::default() });
        let expected = Event::ThreadFrames {
            tid: TID,
            name: Some("MainThread".into()),
            frames: vec![
                Frame {
                    start_line: 5,
                    end_line: 6,
                    line: 5,
                    name: "render".into(),
                    file: "/srv/app/templates/page.html".into(),
                    arg_count: 0,
                    kind: FRAME_KIND_DJANGO,
                    django_source: Some(("/venv/django/template/base.py".into(), 1005)),
                    variables: vec![Variable { name: "items".into(), obj: list.clone() }],
                },
                Frame {
                    start_line: 10,
                    end_line: 546,
                    line: 12,
                    name: "view".into(),
                    file: "/srv/app/views.py".into(),
                    arg_count: 1,
                    kind: FRAME_KIND_PYTHON,
                    django_source: None,
                    variables: vec![
                        Variable { name: "n".into(), obj: int_obj(8) },
                        Variable {
                            name: "later".into(),
                            obj: Obj { repr: Some("<undefined>".into()), ..Obj::default() },
                        },
                    ],
                },
            ],
        };
        assert_eq!(decode(bytes), expected);
    }

    #[test]
    fn thread_frames_snapshot_has_no_thread_name() {
        let event = decode(tagged(b"THRF").int(TID).none().int(0));
        assert_eq!(event, Event::ThreadFrames { tid: TID, name: None, frames: vec![] });
    }

    #[test]
    fn step_done_and_async_break() {
        assert_eq!(decode(tagged(b"STPD").int(TID)), Event::StepDone { tid: TID });
        assert_eq!(decode(tagged(b"ASBR").int(TID)), Event::AsyncBreak { tid: TID });
    }

    #[test]
    fn breakpoint_set_failed_and_hit() {
        assert_eq!(decode(tagged(b"BRKS").int(4)), Event::BreakpointSet { id: 4 });
        assert_eq!(decode(tagged(b"BRKF").int(5)), Event::BreakpointFailed { id: 5 });
        assert_eq!(decode(tagged(b"BRKH").int(4).int(TID)), Event::BreakpointHit { id: 4, tid: TID });
    }

    #[test]
    fn breakpoint_hit_count() {
        let event = decode(tagged(b"BKHC").int(17).int(3));
        assert_eq!(event, Event::BreakpointHitCount { request_id: 17, count: 3 });
    }

    #[test]
    fn set_line_number_result() {
        let ok = decode(tagged(b"SETL").int(1).int(TID).int(12));
        assert_eq!(ok, Event::SetLineNumberResult { success: true, tid: TID, line: 12 });
        let failed = decode(tagged(b"SETL").int(0).int(TID).int(0));
        assert_eq!(failed, Event::SetLineNumberResult { success: false, tid: TID, line: 0 });
    }

    fn plain_exception(break_type: ExceptionBreakType) -> Event {
        let info = ExceptionInfo {
            type_name: "ValueError".into(),
            message: "bad 3".into(),
            break_type,
            trace: None,
            exception_variable: None,
        };
        Event::Exception { tid: TID, info }
    }

    #[test]
    fn exception_break_types_of_both_releases() {
        let excp = |break_type| tagged(b"EXCP").utf8("ValueError").int(TID).int(break_type).utf8("bad 3");
        assert_eq!(decode(excp(1)), plain_exception(ExceptionBreakType::Unhandled));
        // Handled is 2 in 2.2.0 and 0 in 3.0.0 (§6.2).
        assert_eq!(decode(excp(2)), plain_exception(ExceptionBreakType::Handled));
        assert_eq!(decode(excp(0)), plain_exception(ExceptionBreakType::Handled));
    }

    #[test]
    fn rich_exception_unhandled_with_every_key() {
        let trace = "'/srv/app/app2.py',8,'raiser',\"raise ValueError('bad %d' % n)\"";
        let bytes = tagged(b"EXC2")
            .int(TID)
            .int(6)
            .utf8("typename")
            .utf8("ValueError")
            .utf8("message")
            .utf8("bad 3")
            .utf8("breaktype")
            .utf8("unhandled")
            .utf8("trace")
            .utf8(trace)
            .utf8("excvalue")
            .utf8("__exception_info")
            .utf8("future key")
            .utf8("ignored");
        let info = ExceptionInfo {
            type_name: "ValueError".into(),
            message: "bad 3".into(),
            break_type: ExceptionBreakType::Unhandled,
            trace: Some(trace.into()),
            exception_variable: Some("__exception_info".into()),
        };
        assert_eq!(decode(bytes), Event::Exception { tid: TID, info });
    }

    #[test]
    fn rich_exception_without_breaktype_is_handled() {
        let bytes = tagged(b"EXC2").int(TID).int(2).utf8("message").utf8("bad 3").utf8("typename").utf8("ValueError");
        assert_eq!(decode(bytes), plain_exception(ExceptionBreakType::Handled));
    }

    #[test]
    fn execution_result_and_exception() {
        let text = Obj {
            repr: Some("'helloé'".into()),
            hex_repr: None,
            type_name: "str".into(),
            length: 6,
            flags: FLAG_HAS_RAW_REPR,
        };
        let event = decode(tagged(b"EXCR").int(9).obj(&text));
        assert_eq!(event, Event::ExecutionResult { exec_id: 9, obj: text });
        let event = decode(tagged(b"EXCE").int(10).utf8("name 'x' is not defined"));
        assert_eq!(event, Event::ExecutionException { exec_id: 10, text: "name 'x' is not defined".into() });
    }

    #[test]
    fn children() {
        let synthesized = Obj { repr: Some(String::new()), flags: 3, ..Obj::default() };
        let bytes = tagged(b"CHLD")
            .int(11)
            .int(3)
            .utf8("items()")
            .utf8("d.items()")
            .obj(&synthesized)
            .utf8("['k']")
            .utf8("d['k']")
            .obj(&int_obj(8))
            .utf8("[...]")
            .none()
            .obj(&int_obj(0));
        let expected = Event::Children {
            exec_id: 11,
            children: vec![
                Child { name: "items()".into(), expression: Some("d.items()".into()), obj: synthesized },
                Child { name: "['k']".into(), expression: Some("d['k']".into()), obj: int_obj(8) },
                Child { name: "[...]".into(), expression: None, obj: int_obj(0) },
            ],
        };
        assert_eq!(decode(bytes), expected);
    }

    #[test]
    fn output_text_and_byte_strings() {
        let event = decode(tagged(b"OUTP").int(TID).utf8("a"));
        assert_eq!(event, Event::Output { tid: TID, text: "a".into(), channel: None });
        let event = decode(tagged(b"OUTP").int(TID).byte_string(b"caf\xe9"));
        assert_eq!(event, Event::Output { tid: TID, text: "café".into(), channel: None });
    }

    #[test]
    fn request_handlers() {
        let event = decode(tagged(b"REQH").utf8("/usr/lib/python3.11/threading.py"));
        assert_eq!(event, Event::RequestHandlers { file: "/usr/lib/python3.11/threading.py".into() });
    }

    #[test]
    fn detach_and_last() {
        assert_eq!(decode(tagged(b"DETC")), Event::Detached);
        assert!(matches!(decode(tagged(b"LAST")), Event::Ignored { .. }));
    }

    #[test]
    fn unknown_tags_are_fatal() {
        assert_eq!(parse_error(tagged(b"EXIT")), DecodeError::UnknownTag("EXIT".into()));
        assert_eq!(parse_error(tagged(b"\0\xffab")), DecodeError::UnknownTag("\\x00\\xffab".into()));
        assert_eq!(parse_error(tagged(b"newt").int(1)), DecodeError::UnknownTag("newt".into()));
    }

    #[test]
    fn hostile_counts_are_rejected_or_bounded() {
        assert_eq!(
            parse_error(tagged(b"THRF").int(TID).none().int(-1)),
            DecodeError::NegativeLength { what: "THRF frame list", len: -1 }
        );
        assert!(matches!(
            parse_error(tagged(b"THRF").int(TID).none().int(1 << 62)),
            DecodeError::TooLong { what: "THRF frame list", .. }
        ));
        assert!(matches!(
            parse_error(tagged(b"CHLD").int(1).int(i64::MAX)),
            DecodeError::TooLong { what: "CHLD child list", .. }
        ));
        assert_eq!(
            parse_error(tagged(b"EXC2").int(TID).int(i64::MIN)),
            DecodeError::NegativeLength { what: "EXC2 entry list", len: i64::MIN }
        );
        // A count that could still fit waits for the bytes: the first frame's first int, and
        // at least the minimum size of every frame after it.
        let bytes = tagged(b"THRF").int(TID).none().int(1_000_000).build();
        let needed = bytes.len() + INT_SIZE + 999_999 * MIN_FRAME_SIZE;
        assert_eq!(read_event(&mut Reader::new(&bytes)), Err(Stop::Incomplete { needed }));
        assert!(needed <= MAX_MESSAGE_LEN);
    }

    #[test]
    fn hostile_lengths_inside_events() {
        assert_eq!(
            parse_error(tagged(b"OUTP").int(TID).raw(b"U").int(-7)),
            DecodeError::NegativeLength { what: "string", len: -7 }
        );
        assert!(matches!(
            parse_error(tagged(b"MODL").int(0).raw(b"A").int(1 << 62)),
            DecodeError::TooLong { what: "string", len: 0x4000_0000_0000_0000, .. }
        ));
        assert_eq!(parse_error(tagged(b"REQH").raw(b"Z")), DecodeError::BadStringPrefix(b'Z'));
    }
}
