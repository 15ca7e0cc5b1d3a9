//! The reader side of `DapClient`: strict `Content-Length: N\r\n\r\n` framing on the adapter's
//! stdout, JSON, the DAP schema and the editors' rules, one response per request; every message
//! recorded in arrival order, every violation recorded for the test to fail on.

use super::{schema, tail};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Condvar, Mutex};

/// One message from the adapter, with its arrival index.
#[derive(Clone, Debug)]
pub struct Received {
    pub index: usize,
    pub msg: Value,
    pub raw: String,
    pub(super) consumed: bool,
}

#[derive(Default)]
pub(super) struct Inbox {
    pub(super) state: Mutex<InboxState>,
    pub(super) cond: Condvar,
}

#[derive(Default)]
pub(super) struct InboxState {
    pub(super) messages: Vec<Received>,
    pub(super) violations: Vec<String>,
    /// Bytes on stdout that are not well-formed frames (kept for the secret check).
    pub(super) garbage: Vec<u8>,
    pub(super) eof: bool,
    /// Seqs of the requests sent, and of those answered (each must be answered once).
    pub(super) sent: HashSet<i64>,
    pub(super) answered: HashSet<i64>,
}

/// The reader thread: strict framing, JSON, schema and editor rules, response bookkeeping.
pub(super) fn read_frames<R: Read>(mut rd: BufReader<R>, inbox: &Inbox) {
    let violation = |v: String| {
        inbox.state.lock().unwrap().violations.push(v);
        inbox.cond.notify_all();
    };
    loop {
        let mut header = Vec::new();
        // Read up to the blank line; DAP frames carry exactly one header, Content-Length.
        while !header.ends_with(b"\r\n\r\n") {
            let mut line = Vec::new();
            match rd.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => {
                    if !header.is_empty() {
                        violation(format!("stdout ended inside a header: {:?}", String::from_utf8_lossy(&header)));
                    }
                    finish(inbox, header);
                    return;
                }
                Ok(_) => header.extend_from_slice(&line),
            }
            if header.len() > 200 {
                break;
            }
        }
        let text = String::from_utf8_lossy(&header).into_owned();
        let len = text
            .strip_prefix("Content-Length: ")
            .and_then(|t| t.strip_suffix("\r\n\r\n"))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<usize>().ok());
        let Some(len) = len else {
            violation(format!("not a `Content-Length: N\\r\\n\\r\\n` frame header on stdout: {text:?}"));
            let mut rest = header;
            let _ = rd.read_to_end(&mut rest);
            finish(inbox, rest);
            return;
        };
        let mut body = vec![0u8; len];
        if rd.read_exact(&mut body).is_err() {
            violation(format!("stdout ended inside a {len}-byte body"));
            finish(inbox, body);
            return;
        }
        let raw = String::from_utf8_lossy(&body).into_owned();
        let msg: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                violation(format!("frame body is not JSON ({e}): {raw}"));
                inbox.state.lock().unwrap().garbage.extend_from_slice(&body);
                continue;
            }
        };
        let mut problems = schema::validate_message(&msg);
        problems.extend(schema::editor_rules(&msg));
        let mut st = inbox.state.lock().unwrap();
        if msg["type"] == "response" {
            let rs = msg["request_seq"].as_i64().unwrap_or(-1);
            if !st.sent.contains(&rs) {
                problems.push(format!("response to request_seq {rs}, which was never sent"));
            } else if !st.answered.insert(rs) {
                problems.push(format!("second response to request_seq {rs}"));
            }
        }
        for p in problems {
            st.violations.push(format!("{p}\n    in: {}", tail(&raw, 600)));
        }
        let index = st.messages.len();
        st.messages.push(Received { index, msg, raw, consumed: false });
        drop(st);
        inbox.cond.notify_all();
    }
}

fn finish(inbox: &Inbox, garbage: Vec<u8>) {
    let mut st = inbox.state.lock().unwrap();
    st.garbage.extend_from_slice(&garbage);
    st.eof = true;
    drop(st);
    inbox.cond.notify_all();
}
