//! `bench echo-adapter`: the stdio floor, a DAP adapter that does nothing but answer.
//!
//! Every adapter an editor starts, however small, sits behind the editor's stdio: a stop cycle
//! is `next`/`continue` → its answer, the `stopped` event, then `stackTrace`, `scopes`,
//! `variables`, each sent after the previous answer. This process pays exactly those crossings
//! and nothing else: single-threaded, blocking reads of stdin, one `write` per message on
//! stdout, no async runtime. A `next` or `continue` is answered at once; then, in place of the
//! network, it sleeps the link's round trip (2D) and sends `stopped`, so that it wakes from idle
//! as a real adapter does when the debuggee's stop arrives. The three requests are answered at
//! once with ptvsd-dap's answers for `tests/fixtures/bench_app.py`, captured once
//! (`echo_answers.json`: a step stop in `stepper`, a breakpoint stop in `hit`).
//!
//! The bench drives it with the same client code as ptvsd-dap (scenario.rs); its cycle minus
//! 2D is what any out-of-process adapter costs on this machine.

use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use ptvsd_dap::dap::codec::encode_frame;

/// The field of a `stopped` body that says how late the timer woke, in µs.
pub const TIMER_LATE: &str = "_timerLateUs";
/// Header lines longer than this are not DAP.
const MAX_HEADER: u64 = 1024;
/// The bench's requests are a few hundred bytes: a larger body is a framing error.
const MAX_BODY: usize = 1 << 20;
/// The longest simulated round trip: the bench's delays are tens of ms.
pub const MAX_ROUND_TRIP: Duration = Duration::from_secs(10);

/// ptvsd-dap's answers at one kind of stop: the `stopped` event's body and the three answers'.
#[derive(Debug, Clone)]
struct StopAnswers {
    stopped: Value,
    stack_trace: Value,
    scopes: Value,
    variables: Value,
}

/// Which of the captured stops the adapter is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopKind {
    Step,
    Breakpoint,
}

/// What the adapter does next, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send(Value),
    /// The link's round trip, in place of the network, then the `stopped` event, which also
    /// carries how late the timer woke ([`TIMER_LATE`]: a wake-up on a socket does not pay it).
    Stop {
        after: Duration,
        stopped: Value,
    },
    /// `disconnect` answered: the session is over.
    End,
}

/// The adapter's state: the answers, where it stopped, its message counter.
pub struct Echo {
    round_trip: Duration,
    step: StopAnswers,
    breakpoint: StopAnswers,
    at: StopKind,
    seq: i64,
    /// The `attach` request, answered after `configurationDone` as ptvsd-dap does.
    attach: Option<Value>,
}

impl Echo {
    /// `round_trip` is the time from a `next`/`continue` to its `stopped` (2D); `fixture` the
    /// path the captured stack frames name.
    pub fn new(round_trip: Duration, fixture: &str) -> Result<Echo, String> {
        if round_trip > MAX_ROUND_TRIP {
            return Err(format!(
                "echo adapter: a round trip of {round_trip:?} is over the limit of {MAX_ROUND_TRIP:?}"
            ));
        }
        let mut captured: Value = serde_json::from_str(include_str!("echo_answers.json"))
            .map_err(|e| format!("echo adapter: echo_answers.json: {e}"))?;
        name_fixture(&mut captured, fixture);
        let answers = |kind: &str| -> Result<StopAnswers, String> {
            let part = |name: &str| {
                captured[kind]
                    .get(name)
                    .cloned()
                    .ok_or_else(|| format!("echo adapter: echo_answers.json has no {kind}.{name}"))
            };
            Ok(StopAnswers {
                stopped: part("stopped")?,
                stack_trace: part("stackTrace")?,
                scopes: part("scopes")?,
                variables: part("variables")?,
            })
        };
        Ok(Echo {
            round_trip,
            step: answers("step")?,
            breakpoint: answers("breakpoint")?,
            at: StopKind::Breakpoint,
            seq: 0,
            attach: None,
        })
    }

    fn answers(&self) -> &StopAnswers {
        match self.at {
            StopKind::Step => &self.step,
            StopKind::Breakpoint => &self.breakpoint,
        }
    }

    /// What to do for one message from the editor.
    pub fn handle(&mut self, message: &Value) -> Vec<Action> {
        if message["type"] != "request" {
            return Vec::new();
        }
        let command = message["command"].as_str().unwrap_or_default();
        let ok = |echo: &mut Echo, body: Value| Action::Send(echo.response(message, Ok(body)));
        match command {
            "initialize" => vec![ok(self, json!({"supportsConfigurationDoneRequest": true}))],
            "attach" => {
                self.attach = Some(message.clone());
                vec![Action::Send(self.event("initialized", Value::Null))]
            }
            "setBreakpoints" => {
                let lines = message["arguments"]["breakpoints"].as_array().cloned().unwrap_or_default();
                let bound: Vec<Value> =
                    lines.iter().map(|b| json!({"verified": true, "line": b["line"].clone()})).collect();
                vec![ok(self, json!({ "breakpoints": bound }))]
            }
            "setExceptionBreakpoints" => vec![ok(self, Value::Null)],
            "configurationDone" => {
                let mut actions = vec![ok(self, Value::Null)];
                if let Some(attach) = self.attach.take() {
                    actions.push(Action::Send(self.response(&attach, Ok(Value::Null))));
                }
                // The program runs into its first stop at once: there is no program.
                self.at = StopKind::Breakpoint;
                actions.push(Action::Send(self.event("stopped", self.breakpoint.stopped.clone())));
                actions
            }
            "threads" => vec![ok(self, json!({"threads": [{"id": 1, "name": "MainThread"}]}))],
            "next" | "continue" => {
                self.at = if command == "next" { StopKind::Step } else { StopKind::Breakpoint };
                let body = if command == "continue" { json!({"allThreadsContinued": true}) } else { Value::Null };
                let answer = ok(self, body);
                let stopped = self.event("stopped", self.answers().stopped.clone());
                vec![answer, Action::Stop { after: self.round_trip, stopped }]
            }
            "stackTrace" | "scopes" | "variables" => {
                let answers = self.answers();
                let body = match command {
                    "stackTrace" => answers.stack_trace.clone(),
                    "scopes" => answers.scopes.clone(),
                    _ => answers.variables.clone(),
                };
                vec![ok(self, body)]
            }
            "disconnect" => vec![ok(self, Value::Null), Action::End],
            other => vec![Action::Send(self.response(
                message,
                Err(format!("the bench's echo adapter (the stdio floor) does not handle `{other}`")),
            ))],
        }
    }

    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    fn response(&mut self, request: &Value, outcome: Result<Value, String>) -> Value {
        let mut response = json!({
            "seq": self.next_seq(),
            "type": "response",
            "request_seq": request["seq"].clone(),
            "command": request["command"].clone(),
            "success": outcome.is_ok(),
        });
        match outcome {
            Ok(Value::Null) => {}
            Ok(body) => response["body"] = body,
            Err(message) => response["message"] = message.into(),
        }
        response
    }

    fn event(&mut self, name: &str, body: Value) -> Value {
        let mut event = json!({"seq": self.next_seq(), "type": "event", "event": name});
        if !body.is_null() {
            event["body"] = body;
        }
        event
    }
}

/// Puts `fixture` where the captured answers say `{fixture}`, so that they are as long as a
/// real run's in this checkout.
fn name_fixture(value: &mut Value, fixture: &str) {
    match value {
        Value::String(text) if text == "{fixture}" => *text = fixture.to_string(),
        Value::Array(items) => items.iter_mut().for_each(|item| name_fixture(item, fixture)),
        Value::Object(fields) => fields.values_mut().for_each(|field| name_fixture(field, fixture)),
        _ => {}
    }
}

/// The next message's body: `None` at the end of the input between two messages.
pub fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut length = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let read = input.by_ref().take(MAX_HEADER).read_until(b'\n', &mut line);
        match read.map_err(|e| format!("echo adapter: cannot read stdin: {e}"))? {
            0 if first => return Ok(None),
            0 => return Err("echo adapter: the input ended inside a message's header".into()),
            _ if line.last() != Some(&b'\n') => {
                return Err(format!("echo adapter: a header line longer than {MAX_HEADER} bytes, or cut short"))
            }
            _ => {}
        }
        first = false;
        let text = String::from_utf8_lossy(&line);
        let header = text.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) =
            header.split_once(':').ok_or_else(|| format!("echo adapter: not a header line: {header:?}"))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            length = Some(value.parse::<usize>().map_err(|_| format!("echo adapter: Content-Length {value:?}"))?);
        }
    }
    let length = length.ok_or("echo adapter: a message without Content-Length")?;
    if length > MAX_BODY {
        return Err(format!("echo adapter: a message of {length} bytes (at most {MAX_BODY})"));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|e| format!("echo adapter: a message's body was cut short: {e}"))?;
    Ok(Some(body))
}

/// One message, header and body, in one write: as an adapter sends it.
pub fn write_frame(output: &mut impl Write, message: &Value) -> Result<(), String> {
    let frame = encode_frame(message.to_string().as_bytes());
    output.write_all(&frame).and_then(|()| output.flush()).map_err(|e| format!("echo adapter: cannot write: {e}"))
}

/// Serves one session: until `disconnect` or the end of the input.
pub fn serve(echo: &mut Echo, input: &mut impl BufRead, output: &mut impl Write) -> Result<(), String> {
    while let Some(body) = read_frame(input)? {
        let message: Value =
            serde_json::from_slice(&body).map_err(|e| format!("echo adapter: a message that is not JSON: {e}"))?;
        for action in echo.handle(&message) {
            match action {
                Action::Send(message) => write_frame(output, &message)?,
                Action::Stop { after, mut stopped } => {
                    let due = Instant::now() + after;
                    std::thread::sleep(after);
                    let late = Instant::now().saturating_duration_since(due);
                    stopped["body"][TIMER_LATE] = (late.as_micros() as u64).into();
                    write_frame(output, &stopped)?;
                }
                Action::End => return Ok(()),
            }
        }
    }
    Ok(())
}

/// The process: stdin and stdout, the one-way delay in microseconds.
pub fn main(one_way_us: u64) -> std::process::ExitCode {
    let outcome =
        Echo::new(Duration::from_micros(one_way_us.saturating_mul(2)), &crate::procs::fixture().to_string_lossy())
            .and_then(|mut echo| {
                let mut output = stdout().map_err(|e| format!("echo adapter: cannot use stdout: {e}"))?;
                serve(&mut echo, &mut std::io::stdin().lock(), &mut output)
            });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Stdout without Rust's line buffering, which would send a message's header and body in two
/// writes: a duplicate of descriptor 1 as a plain file.
#[cfg(unix)]
fn stdout() -> std::io::Result<impl Write> {
    use std::os::fd::AsFd;
    Ok(std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?))
}

#[cfg(not(unix))]
fn stdout() -> std::io::Result<impl Write> {
    Ok(std::io::stdout())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn echo(round_trip: Duration) -> Echo {
        Echo::new(round_trip, "/repo/tests/fixtures/bench_app.py").unwrap()
    }

    fn request(seq: i64, command: &str, arguments: Value) -> Value {
        json!({"seq": seq, "type": "request", "command": command, "arguments": arguments})
    }

    fn frames(messages: &[Value]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for message in messages {
            write_frame(&mut bytes, message).unwrap();
        }
        bytes
    }

    fn sent(actions: &[Action]) -> Vec<&Value> {
        actions.iter().filter_map(|a| if let Action::Send(m) = a { Some(m) } else { None }).collect()
    }

    #[test]
    fn a_step_is_answered_at_once_then_stops_after_the_round_trip() {
        let mut e = echo(Duration::from_millis(50));
        let actions = e.handle(&request(7, "next", json!({"threadId": 1})));
        assert_eq!(actions.len(), 2, "{actions:?}");
        let Action::Send(answer) = &actions[0] else { panic!("{actions:?}") };
        assert_eq!((answer["request_seq"].as_i64(), answer["success"].as_bool()), (Some(7), Some(true)));
        let Action::Stop { after, stopped } = &actions[1] else { panic!("{actions:?}") };
        assert_eq!(*after, Duration::from_millis(50));
        assert_eq!((stopped["event"].as_str(), stopped["body"]["reason"].as_str()), (Some("stopped"), Some("step")));
        // The answers that follow are those of the step stop, in stepper().
        let stack = e.handle(&request(8, "stackTrace", json!({"threadId": 1})));
        let frames = &sent(&stack)[0]["body"]["stackFrames"];
        assert_eq!(frames[0]["name"], "stepper");
        assert_eq!(frames[0]["source"]["path"], "/repo/tests/fixtures/bench_app.py");
    }

    #[test]
    fn a_continue_stops_at_the_breakpoint_with_its_locals() {
        let mut e = echo(Duration::ZERO);
        let actions = e.handle(&request(3, "continue", json!({"threadId": 1})));
        assert_eq!(sent(&actions)[0]["body"]["allThreadsContinued"], true);
        let Action::Stop { stopped, .. } = &actions[1] else { panic!("{actions:?}") };
        assert_eq!(stopped["body"]["reason"], "breakpoint");
        let scopes = e.handle(&request(4, "scopes", json!({"frameId": 1})));
        assert_eq!(sent(&scopes)[0]["body"]["scopes"][0]["variablesReference"], 1);
        let variables = e.handle(&request(5, "variables", json!({"variablesReference": 1})));
        let names: Vec<&str> = sent(&variables)[0]["body"]["variables"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["name"].as_str())
            .collect();
        assert!(names.contains(&"items") && names.contains(&"table"), "{names:?}");
    }

    #[test]
    fn the_attach_is_answered_after_configuration_done_then_the_first_stop() {
        let mut e = echo(Duration::ZERO);
        let initialized = e.handle(&request(2, "attach", json!({"url": "none"})));
        assert_eq!(sent(&initialized)[0]["event"], "initialized");
        let bound = e.handle(&request(3, "setBreakpoints", json!({"breakpoints": [{"line": 12}, {"line": 40}]})));
        assert_eq!(sent(&bound)[0]["body"]["breakpoints"][1], json!({"verified": true, "line": 40}));
        let done = e.handle(&request(4, "configurationDone", json!({})));
        let done = sent(&done);
        assert_eq!(done.len(), 3);
        assert_eq!(
            (done[0]["command"].as_str(), done[0]["request_seq"].as_i64()),
            (Some("configurationDone"), Some(4))
        );
        assert_eq!((done[1]["command"].as_str(), done[1]["request_seq"].as_i64()), (Some("attach"), Some(2)));
        assert_eq!(done[2]["body"]["reason"], "breakpoint");
        // Every message has its own sequence number.
        let seqs: Vec<i64> = done.iter().filter_map(|m| m["seq"].as_i64()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }

    #[test]
    fn an_unknown_request_fails_with_a_message_and_events_are_ignored() {
        let mut e = echo(Duration::ZERO);
        let actions = e.handle(&request(9, "evaluate", json!({"expression": "1"})));
        let answer = sent(&actions)[0];
        assert_eq!(answer["success"], false);
        assert!(answer["message"].as_str().unwrap().contains("does not handle `evaluate`"), "{answer}");
        assert!(e.handle(&json!({"seq": 1, "type": "event", "event": "x"})).is_empty());
    }

    #[test]
    fn a_whole_session_ends_at_disconnect() {
        let input = frames(&[
            request(1, "initialize", json!({})),
            request(2, "next", json!({"threadId": 1})),
            request(3, "disconnect", json!({})),
            request(4, "threads", json!({})),
        ]);
        let mut output = Vec::new();
        serve(&mut echo(Duration::from_millis(1)), &mut Cursor::new(input), &mut output).unwrap();
        let mut replies = Cursor::new(output);
        let mut messages = Vec::new();
        while let Some(body) = read_frame(&mut replies).unwrap() {
            messages.push(serde_json::from_slice::<Value>(&body).unwrap());
        }
        let names: Vec<&str> = messages.iter().filter_map(|m| m["command"].as_str().or(m["event"].as_str())).collect();
        // Nothing after `disconnect`: the `threads` sent after it is not read.
        assert_eq!(names, ["initialize", "next", "stopped", "disconnect"]);
        // The stop says how late its timer woke.
        assert!(messages[2]["body"][TIMER_LATE].is_u64(), "{}", messages[2]);
    }

    #[test]
    fn the_end_of_the_input_ends_the_session() {
        let mut output = Vec::new();
        serve(&mut echo(Duration::ZERO), &mut Cursor::new(Vec::new()), &mut output).unwrap();
        assert!(output.is_empty());
    }

    #[test]
    fn broken_input_is_an_error_not_a_wait() {
        let cases: [(&[u8], &str); 6] = [
            (b"Content-Length: 10\r\n\r\n{\"a\"", "cut short"),
            (b"Content-Length: 10\r\n", "ended inside a message's header"),
            (b"X-Other: 1\r\n\r\n{}", "without Content-Length"),
            (b"Content-Length: ten\r\n\r\n", "Content-Length \"ten\""),
            (b"Content-Length: 99999999\r\n\r\n", "at most"),
            (b"no colon here\r\n\r\n", "not a header line"),
        ];
        for (input, expected) in cases {
            let error = read_frame(&mut Cursor::new(input)).unwrap_err();
            assert!(error.contains(expected), "{error:?} for {:?}", String::from_utf8_lossy(input));
        }
        let long = [b'x'; 2000];
        assert!(read_frame(&mut Cursor::new(&long[..])).unwrap_err().contains("longer than"));
        let not_json = b"Content-Length: 3\r\n\r\nabc".to_vec();
        let error = serve(&mut echo(Duration::ZERO), &mut Cursor::new(not_json), &mut Vec::new()).unwrap_err();
        assert!(error.contains("not JSON"), "{error}");
    }

    #[test]
    fn a_round_trip_over_the_limit_is_refused() {
        let error = Echo::new(MAX_ROUND_TRIP + Duration::from_millis(1), "x").err().unwrap();
        assert!(error.contains("over the limit"), "{error}");
    }

    #[test]
    fn the_captured_answers_are_as_long_as_ptvsd_dap_s() {
        // ptvsd-dap's answers at these stops (release build, bench_app.py): stackTrace 500–650
        // bytes with the repository's path, scopes about 120, variables about 1,000–1,150.
        let mut e = echo(Duration::ZERO);
        for (command, at_least) in [("stackTrace", 300), ("scopes", 100), ("variables", 900)] {
            for stop in ["next", "continue"] {
                e.handle(&request(1, stop, json!({"threadId": 1})));
                let answer = e.handle(&request(2, command, json!({})));
                let length = sent(&answer)[0]["body"].to_string().len();
                assert!(length >= at_least, "{command} at a {stop} stop: {length} bytes");
            }
        }
    }
}
