//! A lean async DAP client over an adapter's stdio, as an editor drives it.
//!
//! One reader task parses every `Content-Length` frame: responses complete the waiting
//! request, `output` events are only counted (50 MB of them must not pile up), other events
//! are queued for `wait_event`. Every wait blocks on a change notification with a deadline.

use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{oneshot, watch};

pub type Res<T> = Result<T, String>;

/// How long one request may take before the benchmark gives up on the run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The line the debuggee prints after its output burst.
pub const OUTPUT_END: &str = "BENCH-OUTPUT-END";

#[derive(Default)]
struct State {
    events: VecDeque<Value>,
    pending: HashMap<i64, oneshot::Sender<Value>>,
    /// Program output received (`stdout`/`stderr` categories), in bytes of UTF-8.
    output_bytes: u64,
    output_events: u64,
    output_end: bool,
    /// The end of the last output text, so a marker split across two events is still seen.
    output_tail: String,
    /// Program output the adapter said it dropped (its console notice), in bytes.
    output_dropped: u64,
    eof: bool,
}

pub struct DapClient {
    pub child: Child,
    stdin: tokio::sync::Mutex<ChildStdin>,
    state: Arc<Mutex<State>>,
    tick: Arc<watch::Sender<u64>>,
    seq: std::sync::atomic::AtomicI64,
    /// The most bytes per second the reader takes from the adapter (0: as fast as it can).
    pace: Arc<std::sync::atomic::AtomicU64>,
}

impl DapClient {
    /// Spawns `command` with piped stdin/stdout (stderr goes where `command` says).
    pub fn spawn(mut command: Command) -> Res<DapClient> {
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| format!("cannot start the adapter {command:?}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let state = Arc::new(Mutex::new(State::default()));
        let (tick, _) = watch::channel(0u64);
        let tick = Arc::new(tick);
        let pace = Arc::new(std::sync::atomic::AtomicU64::new(0));
        tokio::spawn(read_loop(stdout, state.clone(), tick.clone(), pace.clone()));
        Ok(DapClient { child, stdin: tokio::sync::Mutex::new(stdin), state, tick, seq: 1.into(), pace })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Sends a request and returns the whole response.
    pub async fn request(&self, command: &str, arguments: Value) -> Res<Value> {
        let rx = self.send(command, arguments).await?;
        match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(format!("the adapter closed its stdout before answering `{command}`")),
            Err(_) => Err(format!("no answer to `{command}` within {REQUEST_TIMEOUT:?}")),
        }
    }

    /// Sends a request; its body if it succeeded.
    pub async fn request_ok(&self, command: &str, arguments: Value) -> Res<Value> {
        let response = self.request(command, arguments).await?;
        if response["success"] != true {
            return Err(format!("`{command}` failed: {}", short(&response.to_string())));
        }
        Ok(response.get("body").cloned().unwrap_or(Value::Null))
    }

    /// Sends a request and returns a receiver for its response, without waiting.
    pub async fn send(&self, command: &str, arguments: Value) -> Res<oneshot::Receiver<Value>> {
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.state.lock().unwrap().pending.insert(seq, tx);
        let body = json!({"seq": seq, "type": "request", "command": command, "arguments": arguments}).to_string();
        let frame = ptvsd_dap::dap::codec::encode_frame(body.as_bytes());
        let mut stdin = self.stdin.lock().await;
        stdin.write_all(&frame).await.map_err(|e| format!("cannot send `{command}`: {e}"))?;
        stdin.flush().await.map_err(|e| format!("cannot send `{command}`: {e}"))?;
        Ok(rx)
    }

    /// Removes and returns the first queued event named `name` for which `pred` holds.
    pub async fn wait_event(&self, name: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Res<Value> {
        self.wait_for(timeout, &format!("a `{name}` event"), |st| {
            let index = st.events.iter().position(|e| e["event"] == name && pred(e))?;
            st.events.remove(index)
        })
        .await
    }

    /// Forgets every queued event (the previous stop's leftovers).
    pub fn clear_events(&self) {
        self.state.lock().unwrap().events.clear();
    }

    /// Program output received so far: (bytes, events).
    pub fn output_received(&self) -> (u64, u64) {
        let st = self.state.lock().unwrap();
        (st.output_bytes, st.output_events)
    }

    /// Waits until the output end marker arrived; returns the output bytes received by then.
    pub async fn wait_output_end(&self, timeout: Duration) -> Res<u64> {
        self.wait_for(timeout, "the end of the program's output", |st| st.output_end.then_some(st.output_bytes)).await
    }

    /// Reads the adapter's stdout at most at `bytes_per_second` (0: at full speed), as a slow
    /// editor would.
    pub fn set_pace(&self, bytes_per_second: u64) {
        self.pace.store(bytes_per_second, std::sync::atomic::Ordering::SeqCst);
    }

    /// Bytes of program output the adapter reported dropped since `reset_output`.
    pub fn output_dropped(&self) -> u64 {
        self.state.lock().unwrap().output_dropped
    }

    pub fn reset_output(&self) {
        let mut st = self.state.lock().unwrap();
        st.output_bytes = 0;
        st.output_events = 0;
        st.output_dropped = 0;
        st.output_end = false;
        st.output_tail.clear();
    }

    async fn wait_for<T>(&self, timeout: Duration, what: &str, mut f: impl FnMut(&mut State) -> Option<T>) -> Res<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.tick.subscribe();
        loop {
            {
                let mut st = self.state.lock().unwrap();
                if let Some(v) = f(&mut st) {
                    return Ok(v);
                }
                if st.eof {
                    return Err(format!("the adapter closed its stdout while the bench waited for {what}"));
                }
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                return Err(format!("{what} did not come within {timeout:?}"));
            }
        }
    }
}

async fn read_loop(
    stdout: ChildStdout,
    state: Arc<Mutex<State>>,
    tick: Arc<watch::Sender<u64>>,
    pace: Arc<std::sync::atomic::AtomicU64>,
) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut line = String::new();
    let mut body = Vec::new();
    // While paced: the rate, when the pacing began, the bytes read since.
    let mut paced: Option<(u64, tokio::time::Instant, u64)> = None;
    loop {
        let mut length = None;
        loop {
            line.clear();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return finish(&state, &tick),
                Ok(_) => {}
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let Some(length) = length else { return finish(&state, &tick) };
        body.resize(length, 0);
        if reader.read_exact(&mut body).await.is_err() {
            return finish(&state, &tick);
        }
        let rate = pace.load(std::sync::atomic::Ordering::SeqCst);
        if rate == 0 {
            paced = None;
        } else {
            let now = tokio::time::Instant::now();
            let (_, since, bytes) = paced.get_or_insert((rate, now, 0));
            *bytes += length as u64;
            let due = *since + Duration::from_secs_f64(*bytes as f64 / rate as f64);
            if paced.is_some_and(|(r, _, _)| r != rate) {
                paced = Some((rate, now, 0));
            } else {
                // The slow editor: it takes the next message only when its budget allows.
                tokio::time::sleep_until(due).await;
            }
        }
        let Ok(message) = serde_json::from_slice::<Value>(&body) else { continue };
        dispatch(message, &state);
        tick.send_modify(|n| *n += 1);
    }
}

/// When the reader got a message: nanoseconds since [`epoch`], stored in the message as `_rx`.
pub fn received_at(message: &Value) -> std::time::Instant {
    epoch() + Duration::from_nanos(message["_rx"].as_u64().unwrap_or(0))
}

/// The benchmark's time origin.
pub fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

fn dispatch(mut message: Value, state: &Mutex<State>) {
    let at = epoch().elapsed().as_nanos() as u64;
    if let Some(object) = message.as_object_mut() {
        object.insert("_rx".into(), at.into());
    }
    let mut st = state.lock().unwrap();
    match message["type"].as_str() {
        Some("response") => {
            let seq = message["request_seq"].as_i64().unwrap_or(-1);
            if let Some(tx) = st.pending.remove(&seq) {
                let _ = tx.send(message);
            }
        }
        Some("event") if message["event"] == "output" => {
            let body = &message["body"];
            let text = body["output"].as_str().unwrap_or("");
            match body["category"].as_str().unwrap_or("console") {
                "stdout" | "stderr" => {
                    st.output_bytes += text.len() as u64;
                    st.output_events += 1;
                    let joined =
                        format!("{}{}", st.output_tail, &text[floor_boundary(text, text.len().saturating_sub(64))..]);
                    if joined.contains(OUTPUT_END) {
                        st.output_end = true;
                    }
                    st.output_tail = joined[floor_boundary(&joined, joined.len().saturating_sub(64))..].to_string();
                }
                // The adapter's notice of output it dropped for an editor that fell behind.
                "console" if text.contains("bytes of program output were dropped") => {
                    let bytes = text.split_whitespace().find_map(|w| w.parse::<u64>().ok()).unwrap_or(0);
                    st.output_dropped += bytes;
                }
                // Other console notices and telemetry are not program output.
                _ => {}
            }
        }
        Some("event") => st.events.push_back(message),
        // Reverse requests: none is expected in an attach session.
        _ => {}
    }
}

fn finish(state: &Mutex<State>, tick: &watch::Sender<u64>) {
    let mut st = state.lock().unwrap();
    st.eof = true;
    st.pending.clear();
    drop(st);
    tick.send_modify(|n| *n += 1);
}

/// The largest char boundary of `s` at or below `index`.
pub fn floor_boundary(s: &str, mut index: usize) -> usize {
    while index > 0 && !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The first 300 characters of `s`, for error messages.
pub fn short(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(300).collect::<String>())
    }
}
