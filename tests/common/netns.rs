//! A remote host made by the test: a network namespace joined to this one by a veth pair, with
//! an address of its own on a private /30. What runs in it is reached over a link, not over
//! loopback, and the test's traffic never leaves this machine. Needs root (CAP_SYS_ADMIN and
//! CAP_NET_ADMIN) and iproute2's `ip`; without them creating one panics and says so.

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The /30s are taken from 10.251.0.0/16: 16384 of them.
const SLOTS: u32 = 1 << 14;
/// How many slots or names are tried before giving up (others are held by parallel tests).
const TRIES: u32 = 64;

/// The namespace and the link to it; Drop removes both, also when the test panics. Drop it
/// after the processes that run in it (declare it first), so that they are gone with it.
pub struct NetNs {
    name: String,
    /// The host end of the veth pair, once made. Its name carries the /30's slot, so the kernel
    /// refusing a second link of that name is what keeps parallel tests' addresses apart.
    link: Option<String>,
    address: Ipv4Addr,
}

impl NetNs {
    /// Makes the namespace `ptvsd-dap-<pid>-<n>` and a veth pair to it: 10.251.x.y+1 on this
    /// side, 10.251.x.y+2 inside, both up.
    pub fn create() -> NetNs {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let pid = std::process::id();
        let mut tries = 0;
        let (name, n) = loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("ptvsd-dap-{pid}-{n}");
            match ip(&["netns", "add", &name]) {
                Ok(()) => break (name, n),
                // Left behind by a killed run whose pid this process now has.
                Err(e) if e.contains("File exists") && tries < TRIES => tries += 1,
                Err(e) => panic!("cannot create the network namespace {name}: {e}\n{}", privilege_note()),
            }
        };
        let mut ns = NetNs { name, link: None, address: Ipv4Addr::UNSPECIFIED };
        let (slot, link, peer) = veth_pair(pid.wrapping_mul(8).wrapping_add(n))
            .unwrap_or_else(|e| panic!("cannot create a veth pair for {}: {e}\n{}", ns.name, privilege_note()));
        ns.link = Some(link.clone());
        let base = u32::from(Ipv4Addr::new(10, 251, 0, 0)) + slot * 4;
        let (here, there) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
        ns.address = there;
        for step in [
            vec!["link", "set", &peer, "netns", &ns.name],
            vec!["addr", "add", &format!("{here}/30"), "dev", &link],
            vec!["link", "set", &link, "up"],
            vec!["-n", &ns.name, "addr", "add", &format!("{there}/30"), "dev", &peer],
            vec!["-n", &ns.name, "link", "set", &peer, "up"],
            // Inside, traffic to the namespace's own address (websockify to ptvsd) goes over lo.
            vec!["-n", &ns.name, "link", "set", "lo", "up"],
        ] {
            ip(&step).unwrap_or_else(|e| panic!("cannot set up the network namespace {}: {e}", ns.name));
        }
        ns
    }

    /// The namespace's address, as a remote host's.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host end of the veth pair.
    pub fn link(&self) -> Option<&str> {
        self.link.as_deref()
    }

    /// `ip netns exec <name> <program>`: the program runs in the namespace (`ip` execs it, so
    /// the child's pid is the program's).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // Deleting the host end takes its peer with it at once; the namespace itself goes when
        // its last process has.
        let link = self.link.as_deref().map(|link| ip(&["link", "del", link]));
        let namespace = ip(&["netns", "del", &self.name]);
        for failed in [link.unwrap_or(Ok(())), namespace].into_iter().filter_map(Result::err) {
            eprintln!("cannot remove the test's network namespace {}: {failed}", self.name);
        }
    }
}

/// Makes a veth pair `pdap<slot>` / `pdap<slot>ns` on the first free slot from `first` on.
/// Returns the slot and the two names.
fn veth_pair(first: u32) -> Result<(u32, String, String), String> {
    for slot in (0..TRIES).map(|i| first.wrapping_add(i) % SLOTS) {
        let (link, peer) = (format!("pdap{slot}"), format!("pdap{slot}ns"));
        match ip(&["link", "add", &link, "type", "veth", "peer", "name", &peer]) {
            Ok(()) => return Ok((slot, link, peer)),
            Err(e) if e.contains("File exists") => continue,
            Err(e) => return Err(e),
        }
    }
    Err(format!("the {TRIES} address slots from slot {} on are all taken", first % SLOTS))
}

/// Names of the network namespaces that exist (`ip netns list`).
pub fn namespaces() -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().expect("run ip netns list");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// True if this namespace has a link of that name.
pub fn link_exists(name: &str) -> bool {
    Command::new("ip").args(["link", "show", "dev", name]).output().is_ok_and(|out| out.status.success())
}

/// Runs `ip <args>`; the error is its stderr.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run `ip` (iproute2): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`ip {}` failed ({}): {}", args.join(" "), out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Why creating a namespace may fail, with this process's effective uid.
fn privilege_note() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .unwrap_or("unknown");
    format!(
        "The test stands in for a remote host with a network namespace of its own, which needs root \
         (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2; this process runs with effective uid {euid}."
    )
}
