//! The two peers of a session under test, with no Python: a fake ptvsd 3.2 (protocol 8) on a
//! loopback port, whose bytes the session decodes with its real codec, and an editor that
//! speaks DAP to `session::run` over in-memory pipes.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::io::{DuplexStream, ReadHalf, WriteHalf};
use tokio::net::TcpListener;

/// How long any one expected message may take: everything here is local and immediate.
const WAIT: Duration = Duration::from_secs(5);
pub const SECRET: &str = "fake-secret";
/// A thread id as large as a real one (§0.1).
pub const TID: i64 = 139_793_088_940_928;

/// Reads one `Content-Length` framed JSON message; `None` at the end of the stream.
async fn read_frame(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

async fn write_frame(writer: &mut (impl AsyncWrite + Unpin), message: &Value) {
    let body = message.to_string();
    let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    writer.write_all(framed.as_bytes()).await.expect("the peer is there");
    writer.flush().await.expect("the peer is there");
}

/// A fake ptvsd listening on loopback.
pub struct FakePtvsd {
    listener: TcpListener,
}

impl FakePtvsd {
    pub async fn listen() -> FakePtvsd {
        FakePtvsd { listener: TcpListener::bind("127.0.0.1:0").await.expect("a loopback port") }
    }

    pub fn url(&self) -> String {
        let port = self.listener.local_addr().map(|address| address.port()).unwrap_or_default();
        format!("tcp://{SECRET}@127.0.0.1:{port}")
    }

    /// Accepts the adapter and plays ptvsd's side of the handshake (§3.2).
    pub async fn accept(&self) -> FakeLink {
        let (stream, _) =
            tokio::time::timeout(WAIT, self.listener.accept()).await.expect("the adapter connects").expect("accept");
        let (read, write) = stream.into_split();
        let mut link = FakeLink { reader: BufReader::new(read), writer: Some(write), seq: 0, received: Vec::new() };
        link.event("legacyRemoteConnected", json!({"debuggerName": "PTVSDBG", "debuggerProtocolVersion": 8})).await;
        let authenticate = link.next_command().await.expect("authenticate");
        assert_eq!(authenticate["command"], "legacyRemoteDebuggerAuthenticate");
        link.respond(&authenticate, json!({"accepted": true})).await;
        let attach = link.next_command().await.expect("attach");
        assert_eq!(attach["command"], "legacyRemoteDebuggerAttach");
        let accepted =
            json!({"accepted": true, "processId": 4242, "pythonMajor": 3, "pythonMinor": 11, "pythonMicro": 7});
        link.respond(&attach, accepted).await;
        link
    }
}

/// The fake's end of one connection.
pub struct FakeLink {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: Option<tokio::net::tcp::OwnedWriteHalf>,
    seq: i64,
    /// Every command the adapter sent, in order.
    pub received: Vec<Value>,
}

impl FakeLink {
    pub async fn event(&mut self, name: &str, body: Value) {
        self.seq += 1;
        let message = json!({"type": "event", "seq": self.seq, "event": name, "body": body});
        if let Some(writer) = self.writer.as_mut() {
            write_frame(writer, &message).await;
        }
    }

    /// Bytes as they are, framed or not.
    pub async fn raw(&mut self, bytes: &[u8]) {
        if let Some(writer) = self.writer.as_mut() {
            writer.write_all(bytes).await.expect("the adapter is there");
        }
    }

    pub async fn respond(&mut self, request: &Value, body: Value) {
        let message = json!({"type": "response", "seq": 0, "request_seq": request["seq"], "success": true,
            "command": request["command"], "message": "", "body": body});
        if let Some(writer) = self.writer.as_mut() {
            write_frame(writer, &message).await;
        }
    }

    /// The adapter's next command; `None` once it closed the link (or after [`WAIT`]).
    pub async fn next_command(&mut self) -> Option<Value> {
        let command = tokio::time::timeout(WAIT, read_frame(&mut self.reader)).await.ok()??;
        self.received.push(command.clone());
        Some(command)
    }

    /// The adapter's next command if one comes within `wait` (for checking that none does, after
    /// a round trip with the editor has shown that the session has handled what came before).
    pub async fn command_within(&mut self, wait: Duration) -> Option<Value> {
        let command = tokio::time::timeout(wait, read_frame(&mut self.reader)).await.ok()??;
        self.received.push(command.clone());
        Some(command)
    }

    /// Reads commands until one named `name` comes; panics if the link ends first.
    pub async fn expect(&mut self, name: &str) -> Value {
        loop {
            match self.next_command().await {
                Some(command) if command["command"] == name => return command,
                Some(_) => {}
                None => panic!("the adapter sent no {name}; it sent {:?}", self.names()),
            }
        }
    }

    /// The names of every command received so far.
    pub fn names(&self) -> Vec<String> {
        self.received.iter().map(|command| command["command"].as_str().unwrap_or_default().to_string()).collect()
    }

    /// Plays ptvsd's side of a detach (§9.13): the `legacyDetach` event, then, after the
    /// loop-ending command, the end of the connection.
    pub async fn detach(&mut self) {
        let detach = self.expect("legacyDetach").await;
        self.respond(&detach, json!({})).await;
        self.event("legacyDetach", json!({})).await;
        self.expect("legacyShutdownLoop").await;
        self.writer = None;
    }

    /// Cuts the connection (both ways) without a word.
    pub fn cut(mut self) {
        self.writer = None;
    }

    /// A thread that stops at the top of `function` in `file`, line `line`: its frames, as ptvsd
    /// sends them before the stop event (§6.1), with one local `x = 1`.
    pub async fn frames(&mut self, tid: i64, file: &str, line: i64) {
        self.frames_named(tid, Some("MainThread"), file, line).await;
    }

    /// Frames as `frames` sends them; `name` is `None` in the answer to `thrf` (§6.1).
    pub async fn frames_named(&mut self, tid: i64, name: Option<&str>, file: &str, line: i64) {
        let frame = json!({"startLine": 1, "endLine": 100, "lineNo": line, "frameName": "work", "fileName": file,
            "argCount": 0, "frameKind": 1,
            "variables": [{"name": "x", "obj": {"objRepr": "1", "hexRepr": "0x1", "typeName": "int", "length": 0, "flags": 0}}]});
        self.event("legacyThreadFrameList", json!({"threadId": tid, "threadName": name, "threadFrames": [frame]}))
            .await;
    }
}

impl FakeLink {
    /// Answers the adapter's next `legacyExecuteText` with a value (its `repr`).
    pub async fn answer_evaluation(&mut self, repr: &str) -> serde_json::Value {
        let execute = self.expect("legacyExecuteText").await;
        self.respond(&execute, json!({})).await;
        let obj = json!({"objRepr": repr, "typeName": "str", "length": 0, "flags": 0});
        self.event("legacyExecutionResult", json!({"executionId": execute["arguments"]["executionId"], "obj": obj}))
            .await;
        execute
    }

    /// The attach stop (§8.2): `LOAD` on a thread in user code, the adapter's probe there, and
    /// the resume that lets the program run.
    pub async fn pass_attach_stop(&mut self) {
        self.frames(TID, "/srv/app/main.py", 10).await;
        self.event("legacyProcessLoad", json!({"threadId": TID})).await;
        self.answer_evaluation("'3.2.1'").await;
        self.expect("legacyResumeAll").await;
    }
}

/// The editor's end: DAP over an in-memory pipe to `session::run`.
pub struct Editor {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: Option<WriteHalf<DuplexStream>>,
    seq: i64,
    /// Every message the adapter wrote, in order.
    pub received: Vec<Value>,
}

impl Editor {
    fn new(reader: ReadHalf<DuplexStream>, writer: WriteHalf<DuplexStream>) -> Self {
        Editor { reader: BufReader::new(reader), writer: Some(writer), seq: 0, received: Vec::new() }
    }

    /// Sends a request; returns its `seq`.
    pub async fn send(&mut self, command: &str, arguments: Value) -> i64 {
        self.seq += 1;
        let request = json!({"seq": self.seq, "type": "request", "command": command, "arguments": arguments});
        if let Some(writer) = self.writer.as_mut() {
            write_frame(writer, &request).await;
        }
        self.seq
    }

    async fn next(&mut self) -> Option<Value> {
        let message = tokio::time::timeout(WAIT, read_frame(&mut self.reader)).await.ok()??;
        self.received.push(message.clone());
        Some(message)
    }

    /// Waits for the response to request `seq`.
    pub async fn response(&mut self, seq: i64) -> Value {
        if let Some(found) = self.received.iter().find(|m| m["type"] == "response" && m["request_seq"] == seq) {
            return found.clone();
        }
        loop {
            match self.next().await {
                Some(message) if message["type"] == "response" && message["request_seq"] == seq => return message,
                Some(_) => {}
                None => panic!("no response to request {seq}; the adapter wrote {:?}", self.received),
            }
        }
    }

    /// Sends a request and waits for its response.
    pub async fn request(&mut self, command: &str, arguments: Value) -> Value {
        let seq = self.send(command, arguments).await;
        self.response(seq).await
    }

    /// Waits for an event named `name` that came after the ones already seen.
    pub async fn event(&mut self, name: &str) -> Value {
        self.event_where(name, |_| true).await
    }

    /// Waits for an event named `name` whose body `matches`, after the ones already seen.
    pub async fn event_where(&mut self, name: &str, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            match self.next().await {
                Some(message)
                    if message["type"] == "event" && message["event"] == name && matches(&message["body"]) =>
                {
                    return message
                }
                Some(_) => {}
                None => panic!("no {name} event; the adapter wrote {:?}", self.received),
            }
        }
    }

    /// Closes the editor's side of stdin (an editor that went away).
    pub async fn close_input(&mut self) {
        if let Some(mut writer) = self.writer.take() {
            writer.shutdown().await.expect("the pipe is open");
        }
    }

    /// Reads until the adapter ends its output.
    pub async fn until_end(&mut self) {
        while self.next().await.is_some() {}
    }
}

/// An editor that has initialized a session on its own task, not attached yet.
pub async fn initialized() -> (Editor, tokio::task::JoinHandle<()>) {
    let (editor_side, adapter_side) = tokio::io::duplex(1 << 20);
    let (adapter_in, adapter_out) = tokio::io::split(adapter_side);
    let session = tokio::spawn(super::super::run(adapter_in, adapter_out));
    let (editor_in, editor_out) = tokio::io::split(editor_side);
    let mut editor = Editor::new(editor_in, editor_out);
    let initialize = editor.request("initialize", json!({"clientID": "unit", "adapterID": "ptvsd"})).await;
    assert_eq!(initialize["success"], true, "{initialize}");
    (editor, session)
}

/// An editor attached to `fake` through a session on its own task; the link as the fake sees it.
pub async fn attached(fake: &FakePtvsd) -> (Editor, FakeLink, tokio::task::JoinHandle<()>) {
    let (mut editor, session) = initialized().await;
    let attach = editor.send("attach", json!({"url": fake.url()})).await;
    let mut link = fake.accept().await;
    let response = editor.response(attach).await;
    assert_eq!(response["success"], true, "{response}");
    // Every session starts with the default exception table (§9.1).
    link.expect("legacySetExceptionInfo").await;
    (editor, link, session)
}

/// An attached session whose program runs: configured, and its attach stop passed.
pub async fn running(fake: &FakePtvsd) -> (Editor, FakeLink, tokio::task::JoinHandle<()>) {
    let (mut editor, mut link, session) = attached(fake).await;
    editor.request("configurationDone", json!({})).await;
    link.pass_attach_stop().await;
    (editor, link, session)
}

/// The editor's `disconnect`: the adapter detaches in-protocol, and the session ends.
pub async fn disconnect(mut editor: Editor, mut link: FakeLink, session: tokio::task::JoinHandle<()>) {
    editor.send("disconnect", json!({})).await;
    link.detach().await;
    editor.until_end().await;
    session.await.expect("the session ends");
}
