//! Every way the session ends goes through here: the adapter detaches in-protocol before it
//! closes the link, so the remote program keeps running and can be attached again (§9.13).

use std::time::Duration;

use tokio::sync::mpsc;

use super::connect::WireInput;
use super::debuggee::link::Link;
use super::{recv_wire, Internal, Phase, Session};
use crate::dap::message::RequestError;
use crate::wire::generation::Generation;
use crate::wire::model::{Command, Event};

/// How long ptvsd gets to confirm the detach.
const DETACH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for ptvsd to close its end after the loop-ending command (JSON).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a running evaluation may take to finish before the detach goes ahead anyway.
const EVALUATION_DRAIN_TIMEOUT: Duration = Duration::from_secs(300);
/// An attach still in progress when the session ends is completed, then detached, because
/// abandoning a handshake wedges ptvsd's attach server (§3.1.1).
const CONNECT_WAIT: Duration = Duration::from_secs(30);

impl Session {
    pub(super) async fn finalize(&mut self, reason: &str) {
        tracing::info!(%reason, "ending the session");
        if let Phase::Connecting { .. } = self.phase {
            self.wait_for_connection().await;
        }
        if !matches!(self.phase, Phase::Attached(_)) {
            return;
        }
        self.detach().await;
        self.link_closed(reason);
    }

    async fn wait_for_connection(&mut self) {
        let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.internal_rx.recv()).await {
                Ok(Some(Internal::Connected(result))) => {
                    let Some((request, config)) = self.phase.take_connecting() else { return };
                    self.editor.respond(&request, Err(RequestError::new("the session ended while attaching")));
                    if let Ok(attached) = *result {
                        self.install_link(attached, config);
                    }
                    return;
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return,
            }
        }
    }

    async fn detach(&mut self) {
        self.wait_for_evaluation().await;
        let Session { phase: Phase::Attached(link), wire_rx, .. } = self else { return };
        link.send_detach();
        let detached = wait_for_detached(link, wire_rx).await;
        if detached && link.generation != Generation::V6 {
            // After a JSON detach ptvsd's loop keeps reading; at EOF it would spin a core for
            // the rest of the process's life. An unknown command makes it exit (§9.13).
            link.send(Command::ShutdownLoop);
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, wait_for_close(wire_rx)).await;
        }
        if !detached {
            tracing::warn!("ptvsd did not confirm the detach");
        }
        flush_and_close(link).await;
    }

    /// A detach while an evaluation runs on a thread releases a lock that thread no longer
    /// holds: ptvsd 3.0's loop dies and 2.2's program crashes once the evaluation ends (seen on
    /// both). So the in-flight evaluation is allowed to finish first, for a bounded time.
    async fn wait_for_evaluation(&mut self) {
        let deadline = tokio::time::Instant::now() + EVALUATION_DRAIN_TIMEOUT;
        while matches!(&self.phase, Phase::Attached(link) if link.evaluations.in_flight()) {
            tracing::info!("waiting for the running evaluation to finish before detaching");
            let Ok(input) = tokio::time::timeout_at(deadline, recv_wire(&mut self.wire_rx)).await else {
                tracing::warn!("the evaluation did not finish in time; detaching anyway");
                return;
            };
            let Some(WireInput::Bytes(bytes)) = input else { return };
            if self.on_wire_bytes(&bytes).is_err() {
                return;
            }
        }
    }

    /// The link failed or closed without a detach.
    pub(super) async fn lose_link(&mut self, problem: &str) {
        let Phase::Attached(link) = &mut self.phase else { return };
        let transport_reason = link.io.close_reason.lock().ok().and_then(|reason| reason.clone());
        let problem = transport_reason.unwrap_or_else(|| problem.to_string());
        tracing::warn!(%problem, "link to the debuggee lost");
        // Only the way back may have ended (a half-closed TCP link): a detach sent blind then
        // still releases the threads stopped in ptvsd; on a dead link it goes nowhere. Not while
        // an evaluation runs, which a detach harms on protocol 6 (see `wait_for_evaluation`).
        if !link.evaluations.in_flight() {
            link.send_detach();
            if link.generation != Generation::V6 {
                link.send(Command::ShutdownLoop);
            }
        }
        flush_and_close(link).await;
        self.editor.console(format!(
            "Lost the connection to the debuggee: {problem}. If the program is still running, ptvsd may \
             consider itself attached until it next writes output; restart the remote app if a new attach is refused."
        ));
        self.link_closed(&format!("the connection to the debuggee was lost ({problem})"));
        self.announce_end();
    }
}

/// Reads until ptvsd confirms the detach, still answering `REQH` so that no thread that
/// raises meanwhile is left blocked (§9.8).
async fn wait_for_detached(link: &mut Link, wire_rx: &mut Option<mpsc::Receiver<WireInput>>) -> bool {
    let deadline = tokio::time::Instant::now() + DETACH_TIMEOUT;
    loop {
        let Ok(input) = tokio::time::timeout_at(deadline, recv_wire(wire_rx)).await else { return false };
        let Some(WireInput::Bytes(bytes)) = input else { return false };
        link.io.read_buf.extend_from_slice(&bytes);
        loop {
            match link.decode() {
                Ok(Some(Event::Detached)) => return true,
                Ok(Some(Event::RequestHandlers { file })) => {
                    let statements = super::exceptions::handler_ranges::catch_all();
                    link.send(Command::SetExceptionHandlerInfo { file, statements });
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "undecodable data while detaching");
                    return false;
                }
            }
        }
    }
}

async fn wait_for_close(wire_rx: &mut Option<mpsc::Receiver<WireInput>>) {
    while let Some(WireInput::Bytes(_)) = recv_wire(wire_rx).await {}
}

/// Closes the link's sending side and waits, for a bounded time, until what was queued is written.
async fn flush_and_close(link: &mut Link) {
    link.close_writer();
    if let Some(writer) = link.io.writer_task.take() {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, writer).await;
    }
}
