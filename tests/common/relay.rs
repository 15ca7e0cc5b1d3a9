//! websockify as the WebSocket relay in front of ptvsd (the App Service proxy's role): every
//! WebSocket it accepts, on any path, gets its own TCP connection to the target.

use super::{capture, free_port, net, signal_group, test_env, NetNs, SharedBuf};
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const RELAY_LISTEN_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Relay {
    port: u16,
    target_port: u16,
    child: Mutex<Child>,
    output: Arc<SharedBuf>,
}

impl Relay {
    /// Starts `websockify 127.0.0.1:W 127.0.0.1:<target_port>` on a free port W and waits until
    /// it listens. websockify forks per connection: it runs in its own process group, which
    /// Drop kills whole.
    pub fn websockify(target_port: u16) -> Relay {
        Self::websockify_at(|exe| Command::new(exe), Ipv4Addr::LOCALHOST, target_port)
    }

    /// Like [`Relay::websockify`] inside `namespace`, listening on and relaying to the
    /// namespace's address (where [`super::Debuggee::start_in`] listens).
    pub fn websockify_in(namespace: &NetNs, target_port: u16) -> Relay {
        Self::websockify_at(|exe| namespace.command(exe), namespace.address(), target_port)
    }

    /// websockify as `command` runs it, on `address`:W to `address`:<target_port>.
    fn websockify_at(command: impl Fn(&Path) -> Command, address: Ipv4Addr, target_port: u16) -> Relay {
        let exe = test_env().join("tools").join("bin").join("websockify");
        assert!(exe.exists(), "{} is missing: run scripts/setup-test-env.sh", exe.display());
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut child = command(&exe)
                .arg(format!("{address}:{port}"))
                .arg(format!("{address}:{target_port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", exe.display()));
            let output = Arc::new(SharedBuf::default());
            capture(child.stdout.take().unwrap(), output.clone());
            capture(child.stderr.take().unwrap(), output.clone());
            let relay = Relay { port, target_port, child: Mutex::new(child), output };
            let pid = relay.pid();
            if net::wait_listening_by(pid, port, RELAY_LISTEN_TIMEOUT, || relay.is_running()) {
                return relay;
            }
            last = relay.output.tail(2000);
            if relay.is_running() || !last.contains("in use") {
                panic!("websockify did not listen on {port} within {RELAY_LISTEN_TIMEOUT:?}:\n{last}");
            }
        }
        panic!("websockify could not find a free port in 5 tries:\n{last}");
    }

    /// The port websockify listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn target_port(&self) -> u16 {
        self.target_port
    }

    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// `ws://<secret>@127.0.0.1:<W>/ptvsd`
    pub fn ws_url(&self, secret: &str) -> String {
        format!("ws://{secret}@127.0.0.1:{}/ptvsd", self.port)
    }

    pub fn is_running(&self) -> bool {
        matches!(self.child.lock().unwrap().try_wait(), Ok(None))
    }

    /// websockify's own stdout and stderr (connection log), for diagnostics.
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// Waits until websockify has logged `text` (after the previous match).
    pub fn wait_output_contains(&self, text: &str, timeout: Duration) -> bool {
        self.output.wait_contains(text, timeout)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let pid = child.id();
        signal_group(pid, "KILL");
        let _ = child.kill();
        let _ = child.wait();
    }
}
