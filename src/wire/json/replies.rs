//! Responses from ptvsd, decoded by what was asked (`docs/protocol.md` §2.2, §3.2, §5).
//!
//! Every request gets a response; only the handshake requests, `legacyGetBreakpointHitCount`
//! and `legacySetLineNumber` carry data. A handler that raises sends a second, `success: false`
//! response for the same request (§2.2).

use serde::Deserialize;

use super::message::{body_as, Response};
use crate::wire::model::{AttachInfo, Event, RemoteProcessInfo, Tid};
use crate::wire::DecodeError;

/// What the answer to a request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reply {
    Authenticate,
    Attach,
    RemoteInfo,
    /// `request_id` is the session's, echoed in [`Event::BreakpointHitCount`].
    BreakpointHitCount {
        request_id: i64,
    },
    SetLineNumber,
    /// An empty acknowledgement, written before the action runs (§2.2).
    Acknowledgement,
}

/// Turns a response into an event, or `None` for a successful acknowledgement.
pub(super) fn decode_reply(reply: Reply, response: Response) -> Result<Option<Event>, DecodeError> {
    let event = match reply {
        // A refusal such as "… must be sent first" reads as a rejection (§3.2).
        Reply::Authenticate if !response.success => Event::Authenticated { accepted: false },
        Reply::Authenticate => {
            let body: AuthenticateBody = body_as(&response.command, response.body)?;
            Event::Authenticated { accepted: body.accepted.unwrap_or(false) }
        }
        Reply::Attach if !response.success => Event::Attached(None),
        Reply::Attach => {
            let body: AttachBody = body_as(&response.command, response.body)?;
            Event::Attached(body.accepted.unwrap_or(false).then(|| AttachInfo {
                pid: body.process_id.unwrap_or_default(),
                python_version: (
                    body.python_major.unwrap_or_default(),
                    body.python_minor.unwrap_or_default(),
                    body.python_micro.unwrap_or_default(),
                ),
            }))
        }
        _ if !response.success => Event::CommandFailed { command: response.command, message: response.message },
        Reply::RemoteInfo => {
            let body: RemoteInfoBody = body_as(&response.command, response.body)?;
            Event::RemoteInfo(RemoteProcessInfo {
                pid: body.process_id.unwrap_or_default(),
                executable: body.executable.unwrap_or_default(),
                user: body.user.unwrap_or_default(),
                python_version: body.python_version.unwrap_or_default(),
            })
        }
        Reply::BreakpointHitCount { request_id } => {
            let body: HitCountBody = body_as(&response.command, response.body)?;
            Event::BreakpointHitCount { request_id, count: body.hit_count.unwrap_or_default() }
        }
        Reply::SetLineNumber => {
            let body: SetLineNumberBody = body_as(&response.command, response.body)?;
            Event::SetLineNumberResult {
                success: body.result.unwrap_or_default() != 0,
                tid: body.thread_id.unwrap_or_default(),
                line: body.new_line_no.unwrap_or_default(),
            }
        }
        Reply::Acknowledgement => return Ok(None),
    };
    Ok(Some(event))
}

#[derive(Deserialize)]
struct AuthenticateBody {
    accepted: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachBody {
    accepted: Option<bool>,
    process_id: Option<i64>,
    python_major: Option<i64>,
    python_minor: Option<i64>,
    python_micro: Option<i64>,
}

/// "All string fields can be empty or null strings" (`attach_server.py`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoteInfoBody {
    process_id: Option<i64>,
    executable: Option<String>,
    user: Option<String>,
    python_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HitCountBody {
    hit_count: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetLineNumberBody {
    /// 1 = moved, 0 = failed (always on `CPython` ≥ 3.11, §9.10).
    result: Option<i64>,
    thread_id: Option<Tid>,
    new_line_no: Option<i64>,
}
