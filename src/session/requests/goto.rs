//! Set next statement (`gotoTargets`/`goto`) through `setl` (§9.10). It is offered only where
//! it can work: protocol 7/8 on Python 3.9 or older. On protocol 6 a jump ptvsd cannot make
//! deadlocks the remote program, and on Python 3.10+ every jump fails; there both requests are
//! refused with the reason and nothing is sent.

use dap_types::requests;
use dap_types::{GotoArguments, GotoTargetsArguments, StoppedEventReason};

use super::waiting::WaitsOn;
use crate::dap::message::{body, Request, RequestError, ResponseBody};
use crate::session::debuggee::link::Link;
use crate::session::{Debugging, Editor};
use crate::wire::generation::Release;
use crate::wire::model::{Command, Tid};

/// VS waited 2 s for ptvsd's answer; a slow link gets more.
pub const GOTO_REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why set next statement cannot be offered for this debuggee, or `None` when it can.
pub fn refusal(release: Release, python_version: (i64, i64, i64)) -> Option<String> {
    let (major, minor, _) = python_version;
    if !release.can_set_next_statement() {
        return Some(format!(
            "Set next statement is not available with {}: when it cannot move to a line, ptvsd's protocol 6 \
             deadlocks the remote program, so ptvsd-dap never asks",
            release.name()
        ));
    }
    if (major, minor) >= (3, 10) {
        return Some(format!(
            "Set next statement is not possible on Python {major}.{minor}: since Python 3.10 only the program's own \
             thread may change its line, and ptvsd changes it from its debugger thread"
        ));
    }
    None
}

/// One target per line, in the innermost frame of a paused thread in that file: the only
/// frame ptvsd can move (§9.10).
pub(in crate::session) fn targets(link: &Link, arguments: &GotoTargetsArguments) -> Result<ResponseBody, RequestError> {
    if let Some(reason) = refusal(link.release, link.info.python_version) {
        return Err(RequestError::new(reason));
    }
    let path = arguments.source.path.as_deref().unwrap_or_default();
    let line = i64::try_from(arguments.line).unwrap_or(i64::MAX);
    let top_frame = link
        .threads
        .iter()
        .filter(|(_, thread)| thread.blocked)
        .filter_map(|(_, thread)| thread.frames.first())
        .find(|frame| link.paths.to_local(&frame.file) == path)
        .ok_or_else(|| {
            RequestError::new(format!(
                "no paused thread is in {path}: set next statement moves within the current function"
            ))
        })?;
    let inside =
        line >= top_frame.start_line && (top_frame.end_line < top_frame.start_line || line <= top_frame.end_line);
    if !inside {
        return Err(RequestError::new(format!(
            "line {line} is outside {}(), the function the program is paused in",
            top_frame.name
        )));
    }
    let line = u64::try_from(line).unwrap_or_default();
    let target = dap_types::GotoTarget {
        id: line,
        label: format!("Line {line}"),
        line,
        column: None,
        end_line: None,
        end_column: None,
        instruction_pointer_reference: None,
    };
    Ok(body::<requests::GotoTargets>(dap_types::GotoTargetsResponse { targets: vec![target] }))
}

impl Editor {
    /// The `capabilities` event for a debuggee where set next statement works (the
    /// `initialize` answer went out before the debuggee was known).
    pub(in crate::session) fn announce_goto(&self, link: &Link) {
        if refusal(link.release, link.info.python_version).is_none() {
            let capabilities = dap_types::Capabilities {
                supports_goto_targets_request: Some(true),
                ..dap_types::Capabilities::default()
            };
            self.send::<dap_types::events::Capabilities>(dap_types::CapabilitiesEvent { capabilities });
        }
    }
}

impl Debugging<'_> {
    pub(in crate::session) fn goto(&mut self, request: Request, arguments: &GotoArguments) {
        match self.send_goto(arguments) {
            Ok((tid, line)) => {
                self.editor.wait_on_debuggee(request, WaitsOn::Goto { tid, line }, Some(GOTO_REPLY_TIMEOUT))
            }
            Err(error) => self.editor.respond(&request, Err(error)),
        }
    }

    /// Sends `setl`; returns the thread and line it waits for.
    fn send_goto(&mut self, arguments: &GotoArguments) -> Result<(Tid, i64), RequestError> {
        let link = &mut *self.link;
        if let Some(reason) = refusal(link.release, link.info.python_version) {
            return Err(RequestError::new(reason));
        }
        if self.editor.waiting.any(|on| matches!(on, WaitsOn::Goto { .. })) {
            return Err(RequestError::new("an earlier set next statement has not been answered yet"));
        }
        let thread_id = arguments.thread_id;
        // Each target's id is its line (`targets`).
        let line = i64::try_from(arguments.target_id)
            .map_err(|_| RequestError::new(format!("unknown targetId {}", arguments.target_id)))?;
        let tid =
            link.threads.tid_of(thread_id).ok_or_else(|| RequestError::new(format!("unknown threadId {thread_id}")))?;
        let thread = link.threads.get(tid).ok_or_else(|| RequestError::new(format!("unknown threadId {thread_id}")))?;
        if !thread.blocked {
            return Err(RequestError::new("that thread is running: set next statement needs it to be paused"));
        }
        if thread.exception.is_some() {
            return Err(RequestError::new("set next statement is not possible while stopped on an exception"));
        }
        link.send(Command::SetLineNumber { tid, frame_id: 0, line });
        Ok((tid, line))
    }

    /// ptvsd's `SETL`: the response, then a `stopped` with reason `goto` at the new line.
    pub(in crate::session) fn on_line_set(&mut self, success: bool, tid: Tid) {
        let answered =
            self.editor.waiting.take_where(|on| matches!(on, WaitsOn::Goto { tid: waiting, .. } if *waiting == tid));
        let Some(super::waiting::Waiting { request, on: WaitsOn::Goto { line, .. }, .. }) = answered.into_iter().next()
        else {
            return;
        };
        if !success {
            let message = format!(
                "Python refused to jump to line {line}: a jump cannot enter or leave a loop, a try block or a with block, \
                 and must land on a line with code"
            );
            self.editor.respond(&request, Err(RequestError::new(message)));
            return;
        }
        let dap_id = match self.link.threads.get_mut(tid) {
            Some(thread) => {
                if let Some(frame) = thread.frames.first_mut() {
                    frame.line = line;
                }
                thread.dap_id
            }
            None => 0,
        };
        self.editor.respond(&request, Ok(None));
        self.editor.send::<dap_types::events::Stopped>(crate::dap::bodies::stopped(
            StoppedEventReason::Goto,
            dap_id,
            true,
            None,
            None,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_only_on_protocol_7_and_8_before_python_3_10() {
        assert_eq!(refusal(Release::Ptvsd31, (3, 9, 18)), None);
        assert_eq!(refusal(Release::Ptvsd32, (2, 7, 18)), None);
        let v6 = refusal(Release::Ptvsd30, (3, 9, 18)).unwrap_or_default();
        assert!(v6.contains("ptvsd 3.0") && v6.contains("deadlocks"), "{v6}");
        assert!(refusal(Release::Protocol6Unknown, (2, 7, 18)).is_some());
        let new_python = refusal(Release::Ptvsd32, (3, 11, 7)).unwrap_or_default();
        assert!(new_python.contains("Python 3.11") && new_python.contains("own thread"), "{new_python}");
    }
}
