//! What asks the front to end: SIGTERM, SIGINT or SIGHUP on Unix; Ctrl+C, Ctrl+Break or the
//! console closing on Windows. One value watches them all, so a second request is not missed
//! while the first is being handled.

#[cfg(unix)]
use tokio::signal::unix::{signal, Signal, SignalKind};
#[cfg(windows)]
use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, CtrlBreak, CtrlC, CtrlClose};

pub struct Termination {
    #[cfg(unix)]
    streams: Option<(Signal, Signal, Signal)>,
    #[cfg(windows)]
    streams: Option<(CtrlC, CtrlBreak, CtrlClose)>,
}

impl Termination {
    /// Starts watching. If the watch cannot be set up, [`Termination::next`] never completes.
    pub fn watch() -> Self {
        #[cfg(unix)]
        let streams =
            match (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup())) {
                (Ok(term), Ok(int), Ok(hup)) => Some((term, int, hup)),
                _ => None,
            };
        #[cfg(windows)]
        let streams = match (ctrl_c(), ctrl_break(), ctrl_close()) {
            (Ok(c), Ok(brk), Ok(close)) => Some((c, brk, close)),
            _ => None,
        };
        Termination { streams }
    }

    /// The next request to end, by name.
    pub async fn next(&mut self) -> &'static str {
        let Some((first, second, third)) = &mut self.streams else {
            return std::future::pending().await;
        };
        #[cfg(unix)]
        let names = ("SIGTERM", "SIGINT", "SIGHUP");
        #[cfg(windows)]
        let names = ("Ctrl+C", "Ctrl+Break", "console close");
        tokio::select! {
            _ = first.recv() => names.0,
            _ = second.recv() => names.1,
            _ = third.recv() => names.2,
        }
    }
}
