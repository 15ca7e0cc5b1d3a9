//! A debuggee as the editor reaches it: straight over `tcp://`, or over `ws://` through websockify.
//! Test files add their own session helpers in `impl Remote` blocks.

use super::{tail, Debuggee, Relay, Release};

pub struct Remote {
    pub debuggee: Debuggee,
    pub relay: Option<Relay>,
}

impl Remote {
    /// `app.py` under `release`, behind websockify when `ws`.
    pub fn start(release: Release, ws: bool) -> Remote {
        Self::reach(Debuggee::start(release, "app.py"), ws)
    }

    /// `debuggee`, behind websockify when `ws`.
    pub fn reach(debuggee: Debuggee, ws: bool) -> Remote {
        let relay = ws.then(|| Relay::websockify(debuggee.port()));
        Remote { debuggee, relay }
    }

    /// The attach URL, secret included.
    pub fn url(&self) -> String {
        self.url_with_secret(self.debuggee.secret())
    }

    /// The attach URL with `secret` in it (a wrong one, for the tests of refusals).
    pub fn url_with_secret(&self, secret: &str) -> String {
        match &self.relay {
            Some(relay) => relay.ws_url(secret),
            None => format!("tcp://{secret}@127.0.0.1:{}", self.debuggee.port()),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.debuggee.describe("(the test failed; the debuggee's side:)"));
            if let Some(relay) = &self.relay {
                eprintln!("--- websockify output (tail) ---\n{}", tail(&relay.output(), 3000));
            }
        }
    }
}
