//! A small DAP client for the demo: it drives a `ptvsd-dap` process over its stdio the way an
//! editor does, and hands back responses and events.

use std::process::Stdio;
use std::time::Duration;

use bytes::BytesMut;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::dap::codec::{decode_frame, encode_frame};

const WAIT: Duration = Duration::from_secs(60);

pub struct DapClient {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    buf: BytesMut,
    seq: i64,
    /// Events read while waiting for something else, oldest first.
    events: Vec<Value>,
}

impl DapClient {
    pub fn spawn() -> Result<DapClient, String> {
        let exe = std::env::current_exe().map_err(|error| format!("cannot find ptvsd-dap itself: {error}"))?;
        let mut child = tokio::process::Command::new(exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot start the adapter: {error}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the adapter's stdio is not available".to_string());
        };
        Ok(DapClient { child, stdin, stdout, buf: BytesMut::new(), seq: 0, events: Vec::new() })
    }

    /// Sends a request and waits for its response; a failed response is an error with its message.
    pub async fn request(&mut self, command: &str, arguments: Value) -> Result<Value, String> {
        self.seq += 1;
        let seq = self.seq;
        let message = json!({"seq": seq, "type": "request", "command": command, "arguments": arguments});
        self.stdin.write_all(&encode_frame(message.to_string().as_bytes())).await.map_err(|e| e.to_string())?;
        loop {
            let message = self.next_message().await?;
            if message["type"] == "response" && message["request_seq"] == seq {
                return if message["success"] == true {
                    Ok(message.get("body").cloned().unwrap_or(Value::Null))
                } else {
                    Err(message["message"].as_str().unwrap_or("failed").to_string())
                };
            }
            if message["type"] == "event" {
                self.events.push(message);
            }
        }
    }

    /// The next event with this name (earlier ones already read are searched first).
    pub async fn event(&mut self, name: &str) -> Result<Value, String> {
        if let Some(index) = self.events.iter().position(|event| event["event"] == name) {
            return Ok(self.events.remove(index));
        }
        loop {
            let message = self.next_message().await?;
            if message["type"] == "event" {
                if message["event"] == name {
                    return Ok(message);
                }
                self.events.push(message);
            }
        }
    }

    /// Console and program output received so far, in order.
    pub fn take_output(&mut self) -> Vec<String> {
        let (output, rest): (Vec<Value>, Vec<Value>) =
            self.events.drain(..).partition(|event| event["event"] == "output");
        self.events = rest;
        output.iter().filter_map(|event| event["body"]["output"].as_str().map(str::to_string)).collect()
    }

    async fn next_message(&mut self) -> Result<Value, String> {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(body) = decode_frame(&mut self.buf).map_err(|error| error.to_string())? {
                    return serde_json::from_slice(&body)
                        .map_err(|error| format!("invalid message from the adapter: {error}"));
                }
                match self.stdout.read_buf(&mut self.buf).await {
                    Ok(0) => return Err("the adapter closed its output".to_string()),
                    Ok(_) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
        })
        .await
        .map_err(|_| format!("the adapter did not answer within {} s", WAIT.as_secs()))?
    }

    pub async fn wait_exit(mut self) -> Result<(), String> {
        drop(self.stdin);
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err("the adapter did not exit".to_string()),
        }
    }
}
