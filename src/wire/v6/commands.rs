//! Client commands (`docs/protocol.md` §3.1 and §5, v6 column): a 4-byte tag and the fields in
//! the order ptvsd's `command_*` handlers read them. Strings are client strings (no prefix).

use bytes::{BufMut, BytesMut};

use crate::wire::model::{Command, HandlerStatement};

/// The handshake signature and the protocol version this codec speaks (§3.1).
const SIGNATURE: &[u8] = b"PTVSDBG";
const PROTOCOL_VERSION: i64 = 6;

/// Ends each statement's expression list in `sehi` (§9.8).
const END_OF_EXPRESSIONS: &str = "-";

/// Appends a command to the output, one field at a time.
struct CommandWriter<'a>(&'a mut BytesMut);

impl CommandWriter<'_> {
    /// int64, big-endian (§2.1).
    fn int(&mut self, value: i64) -> &mut Self {
        self.0.put_i64(value);
        self
    }

    /// A client string (§2.1): int64 length + UTF-8, with no type prefix and no None.
    fn string(&mut self, value: &str) -> &mut Self {
        // A `str` is at most isize::MAX bytes long, so its length always fits in an i64.
        self.int(value.len() as i64);
        self.0.put_slice(value.as_bytes());
        self
    }

    fn count(&mut self, count: usize) -> &mut Self {
        // A collection in memory never holds more than i64::MAX elements.
        self.int(count as i64)
    }
}

fn begin<'a>(out: &'a mut BytesMut, tag: &[u8]) -> CommandWriter<'a> {
    out.put_slice(tag);
    CommandWriter(out)
}

/// Appends the v6 encoding of `command` to `out`.
pub(super) fn write_command(command: &Command, out: &mut BytesMut) {
    match command {
        // The secret is a client string: with a type prefix, ptvsd would read the prefix as
        // part of a gigantic length and its attach server would die (§2.1, §11 item 2).
        Command::Authenticate { secret } => {
            begin(out, SIGNATURE).int(PROTOCOL_VERSION).string(secret.expose());
        }
        // A complete handshake, so ptvsd closes cleanly instead of spinning on a half-read
        // one (§3.1.1). Sent to a ptvsd of another version, it is refused for the version.
        Command::AuthenticateToBackOut => {
            begin(out, SIGNATURE).int(PROTOCOL_VERSION).string("");
        }
        Command::Attach { debug_options } => {
            begin(out, b"ATCH").string(debug_options);
        }
        Command::RemoteInfo => {
            begin(out, b"INFO");
        }
        Command::StepInto { tid } => {
            begin(out, b"stpi").int(*tid);
        }
        Command::StepOver { tid } => {
            begin(out, b"stpv").int(*tid);
        }
        Command::StepOut { tid } => {
            begin(out, b"stpo").int(*tid);
        }
        Command::BreakAll => {
            begin(out, b"brka");
        }
        Command::ResumeAll => {
            begin(out, b"resa");
        }
        Command::ResumeThread { tid } => {
            begin(out, b"rest").int(*tid);
        }
        Command::ClearStepping { tid } => {
            begin(out, b"clst").int(*tid);
        }
        Command::GetThreadFrames { tid } => {
            begin(out, b"thrf").int(*tid);
        }
        Command::SetBreakpoint { id, line, file, condition, pass_count } => {
            begin(out, b"brkp")
                .int(*id)
                .int(*line)
                .string(file)
                .int(condition.kind as i64)
                .string(&condition.expression)
                .int(pass_count.kind as i64)
                .int(pass_count.count);
        }
        Command::SetDjangoBreakpoint { id, line, file } => {
            begin(out, b"bkda").int(*id).int(*line).string(file);
        }
        // v6 sends the line before the id (§5).
        Command::RemoveBreakpoint { id, line } => {
            begin(out, b"brkr").int(*line).int(*id);
        }
        Command::RemoveDjangoBreakpoint { id, line, file } => {
            begin(out, b"bkdr").int(*line).int(*id).string(file);
        }
        Command::SetBreakpointCondition { id, condition } => {
            begin(out, b"brkc").int(*id).int(condition.kind as i64).string(&condition.expression);
        }
        Command::SetBreakpointPassCount { id, pass_count } => {
            begin(out, b"bkpc").int(*id).int(pass_count.kind as i64).int(pass_count.count);
        }
        Command::SetBreakpointHitCount { id, count } => {
            begin(out, b"bksh").int(*id).int(*count);
        }
        Command::GetBreakpointHitCount { request_id, id } => {
            begin(out, b"bkgh").int(*request_id).int(*id);
        }
        // Module-scope evaluation and `printResult` exist only in protocol 8 (§5, §9.9).
        Command::Execute { text, tid, frame_id, exec_id, frame_kind, repr_kind, .. } => {
            begin(out, b"exec")
                .string(text)
                .int(*tid)
                .int(*frame_id)
                .int(*exec_id)
                .int(*frame_kind)
                .int(*repr_kind as i64);
        }
        Command::EnumChildren { text, tid, frame_id, exec_id, frame_kind } => {
            begin(out, b"chld").string(text).int(*tid).int(*frame_id).int(*exec_id).int(*frame_kind);
        }
        Command::SetLineNumber { tid, frame_id, line } => {
            begin(out, b"setl").int(*tid).int(*frame_id).int(*line);
        }
        // v6 puts each mode before its name (§5).
        Command::SetExceptionInfo { default_mode, break_on } => {
            let mut writer = begin(out, b"sexi");
            writer.int(*default_mode).count(break_on.len());
            for (name, mode) in break_on {
                writer.int(*mode).string(name);
            }
        }
        Command::SetExceptionHandlerInfo { file, statements } => {
            write_handler_info(begin(out, b"sehi"), file, statements);
        }
        Command::Detach => {
            begin(out, b"detc");
        }
        // Nothing to send: after `DETC` the v6 debugger loop has already exited and the client
        // just closes (§9.13). The unknown-command trick is for the JSON loops, which keep
        // running after a detach.
        Command::ShutdownLoop => {}
    }
}

/// `sehi` s file, i n, n × (i lineStart, i lineEnd, s expression…, s "-") (§5, §9.8).
fn write_handler_info(mut writer: CommandWriter, file: &str, statements: &[HandlerStatement]) {
    writer.string(file).count(statements.len());
    for statement in statements {
        writer.int(statement.line_start).int(statement.line_end);
        // ptvsd would take an expression reading "-" (the first one after stripping) for the end
        // of the list and then misread the rest of the message, killing its loop. No exception
        // is named "-", so such an entry is dropped; a list left empty means `*` to ptvsd.
        for expression in &statement.expressions {
            if expression.trim() != END_OF_EXPRESSIONS {
                writer.string(expression);
            }
        }
        writer.string(END_OF_EXPRESSIONS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::wire::model::{
        Condition, ConditionKind, PassCount, PassCountKind, ReprKind, FRAME_KIND_DJANGO, FRAME_KIND_PYTHON,
    };

    const TID: i64 = 0x0000_7f51_c5dc_3b80;

    fn encode(command: Command) -> Vec<u8> {
        let mut out = BytesMut::new();
        write_command(&command, &mut out);
        out.to_vec()
    }

    /// Builds expected client bytes.
    #[derive(Default)]
    struct Expected(Vec<u8>);

    impl Expected {
        fn tag(tag: &[u8]) -> Self {
            Expected(tag.to_vec())
        }
        fn int(mut self, value: i64) -> Self {
            self.0.extend_from_slice(&value.to_be_bytes());
            self
        }
        fn string(self, text: &str) -> Self {
            let mut this = self.int(text.len() as i64);
            this.0.extend_from_slice(text.as_bytes());
            this
        }
    }

    #[test]
    fn authenticate_matches_the_documented_handshake_bytes() {
        // §2.1: secret "ab".
        let expected = [
            0x50, 0x54, 0x56, 0x53, 0x44, 0x42, 0x47, 0, 0, 0, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x61, 0x62,
        ];
        assert_eq!(encode(Command::Authenticate { secret: Secret::new("ab") }), expected);
    }

    #[test]
    fn authenticate_with_an_empty_or_non_ascii_secret() {
        assert_eq!(
            encode(Command::Authenticate { secret: Secret::new("") }),
            Expected::tag(b"PTVSDBG").int(6).string("").0
        );
        assert_eq!(
            encode(Command::Authenticate { secret: Secret::new("sécret") }),
            Expected::tag(b"PTVSDBG").int(6).string("sécret").0
        );
    }

    #[test]
    fn back_out_sends_a_complete_handshake_with_an_empty_secret() {
        assert_eq!(encode(Command::AuthenticateToBackOut), Expected::tag(b"PTVSDBG").int(6).string("").0);
    }

    #[test]
    fn attach_matches_the_documented_handshake_bytes() {
        // §2.1: ATCH "RedirectOutput".
        let mut expected = vec![0x41, 0x54, 0x43, 0x48, 0, 0, 0, 0, 0, 0, 0, 0x0e];
        expected.extend_from_slice(b"RedirectOutput");
        assert_eq!(encode(Command::Attach { debug_options: "RedirectOutput".into() }), expected);
    }

    #[test]
    fn remote_info() {
        assert_eq!(encode(Command::RemoteInfo), b"INFO");
    }

    #[test]
    fn thread_commands() {
        assert_eq!(encode(Command::StepInto { tid: TID }), Expected::tag(b"stpi").int(TID).0);
        assert_eq!(encode(Command::StepOver { tid: TID }), Expected::tag(b"stpv").int(TID).0);
        assert_eq!(encode(Command::StepOut { tid: TID }), Expected::tag(b"stpo").int(TID).0);
        assert_eq!(encode(Command::ResumeThread { tid: TID }), Expected::tag(b"rest").int(TID).0);
        assert_eq!(encode(Command::ClearStepping { tid: TID }), Expected::tag(b"clst").int(TID).0);
        assert_eq!(encode(Command::GetThreadFrames { tid: TID }), Expected::tag(b"thrf").int(TID).0);
    }

    #[test]
    fn commands_without_payload() {
        assert_eq!(encode(Command::BreakAll), b"brka");
        assert_eq!(encode(Command::ResumeAll), b"resa");
        assert_eq!(encode(Command::Detach), b"detc");
    }

    #[test]
    fn shutdown_loop_has_no_v6_encoding() {
        assert_eq!(encode(Command::ShutdownLoop), b"");
    }

    #[test]
    fn set_breakpoint() {
        let command = Command::SetBreakpoint {
            id: 7,
            line: 12,
            file: "/srv/app/app.py".into(),
            condition: Condition { kind: ConditionKind::WhenTrue, expression: "n > 3".into() },
            pass_count: PassCount { kind: PassCountKind::WhenEqualOrGreater, count: 5 },
        };
        let expected =
            Expected::tag(b"brkp").int(7).int(12).string("/srv/app/app.py").int(1).string("n > 3").int(3).int(5);
        assert_eq!(encode(command), expected.0);

        let always = Command::SetBreakpoint {
            id: 8,
            line: 1,
            file: "a.py".into(),
            condition: Condition::always(),
            pass_count: PassCount::always(),
        };
        assert_eq!(
            encode(always),
            Expected::tag(b"brkp").int(8).int(1).string("a.py").int(0).string("").int(0).int(0).0
        );
    }

    #[test]
    fn remove_breakpoint_sends_the_line_first() {
        assert_eq!(encode(Command::RemoveBreakpoint { id: 7, line: 12 }), Expected::tag(b"brkr").int(12).int(7).0);
    }

    #[test]
    fn django_breakpoints() {
        let set = Command::SetDjangoBreakpoint { id: 9, line: 5, file: "/srv/t/page.html".into() };
        assert_eq!(encode(set), Expected::tag(b"bkda").int(9).int(5).string("/srv/t/page.html").0);
        let remove = Command::RemoveDjangoBreakpoint { id: 9, line: 5, file: "/srv/t/page.html".into() };
        assert_eq!(encode(remove), Expected::tag(b"bkdr").int(5).int(9).string("/srv/t/page.html").0);
    }

    #[test]
    fn breakpoint_condition_pass_count_and_hit_count() {
        let condition = Command::SetBreakpointCondition {
            id: 7,
            condition: Condition { kind: ConditionKind::WhenChanged, expression: "x".into() },
        };
        assert_eq!(encode(condition), Expected::tag(b"brkc").int(7).int(2).string("x").0);
        let pass_count =
            Command::SetBreakpointPassCount { id: 7, pass_count: PassCount { kind: PassCountKind::Every, count: 2 } };
        assert_eq!(encode(pass_count), Expected::tag(b"bkpc").int(7).int(1).int(2).0);
        assert_eq!(encode(Command::SetBreakpointHitCount { id: 7, count: 0 }), Expected::tag(b"bksh").int(7).int(0).0);
        assert_eq!(
            encode(Command::GetBreakpointHitCount { request_id: 40, id: 7 }),
            Expected::tag(b"bkgh").int(40).int(7).0
        );
    }

    #[test]
    fn execute_ignores_the_protocol_8_fields() {
        let command = |module_name: Option<&str>, print_result| Command::Execute {
            text: "k = 42".into(),
            tid: TID,
            frame_id: 1,
            exec_id: 30,
            frame_kind: FRAME_KIND_PYTHON,
            repr_kind: ReprKind::RawLen,
            module_name: module_name.map(str::to_owned),
            print_result,
        };
        let expected = Expected::tag(b"exec").string("k = 42").int(TID).int(1).int(30).int(1).int(2).0;
        assert_eq!(encode(command(None, false)), expected);
        assert_eq!(encode(command(Some("app"), true)), expected);
    }

    #[test]
    fn enum_children() {
        let command = Command::EnumChildren {
            text: "(a + b)".into(),
            tid: TID,
            frame_id: 0,
            exec_id: 31,
            frame_kind: FRAME_KIND_DJANGO,
        };
        assert_eq!(encode(command), Expected::tag(b"chld").string("(a + b)").int(TID).int(0).int(31).int(2).0);
    }

    #[test]
    fn set_line_number() {
        let command = Command::SetLineNumber { tid: TID, frame_id: 0, line: 14 };
        assert_eq!(encode(command), Expected::tag(b"setl").int(TID).int(0).int(14).0);
    }

    #[test]
    fn set_exception_info_puts_the_mode_before_the_name() {
        let command = Command::SetExceptionInfo {
            default_mode: 32,
            break_on: vec![("KeyError".into(), 0), ("app.Error".into(), 1)],
        };
        let expected = Expected::tag(b"sexi").int(32).int(2).int(0).string("KeyError").int(1).string("app.Error");
        assert_eq!(encode(command), expected.0);
        let empty = Command::SetExceptionInfo { default_mode: 1, break_on: vec![] };
        assert_eq!(encode(empty), Expected::tag(b"sexi").int(1).int(0).0);
    }

    #[test]
    fn set_exception_handler_info_terminates_each_list_with_a_dash() {
        let command = Command::SetExceptionHandlerInfo {
            file: "/srv/app/app.py".into(),
            statements: vec![
                HandlerStatement {
                    line_start: 3,
                    line_end: 5,
                    expressions: vec!["KeyError".into(), "os.error".into()],
                },
                HandlerStatement { line_start: 8, line_end: 9, expressions: vec!["*".into()] },
            ],
        };
        let expected = Expected::tag(b"sehi")
            .string("/srv/app/app.py")
            .int(2)
            .int(3)
            .int(5)
            .string("KeyError")
            .string("os.error")
            .string("-")
            .int(8)
            .int(9)
            .string("*")
            .string("-");
        assert_eq!(encode(command), expected.0);
        let none = Command::SetExceptionHandlerInfo { file: "b.py".into(), statements: vec![] };
        assert_eq!(encode(none), Expected::tag(b"sehi").string("b.py").int(0).0);
    }

    #[test]
    fn set_exception_handler_info_never_sends_a_premature_terminator() {
        let command = Command::SetExceptionHandlerInfo {
            file: "c.py".into(),
            statements: vec![HandlerStatement {
                line_start: 1,
                line_end: 2,
                expressions: vec![" - ".into(), "ValueError".into(), "-".into()],
            }],
        };
        let expected = Expected::tag(b"sehi").string("c.py").int(1).int(1).int(2).string("ValueError").string("-");
        assert_eq!(encode(command), expected.0);
    }
}
