//! Ports: picking a free one, and seeing that a process listens on one without connecting to it
//! (a connection that reads ptvsd's greeting and closes wedges ptvsd's attach server).

use std::collections::HashSet;
use std::net::TcpListener;
use std::time::Duration;

/// A port that was free a moment ago: bind 127.0.0.1:0, read the port, drop the socket.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// One row of /proc/net/tcp{,6}.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketRow {
    pub local_port: u16,
    /// The kernel's state code: 0x0A is LISTEN.
    pub state: u8,
    pub inode: u64,
}

pub const TCP_LISTEN: u8 = 0x0A;

/// Parses the text of /proc/net/tcp or /proc/net/tcp6.
pub fn parse_proc_net_tcp(text: &str) -> Vec<SocketRow> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                return None;
            }
            let port_hex = f[1].rsplit(':').next()?;
            Some(SocketRow {
                local_port: u16::from_str_radix(port_hex, 16).ok()?,
                state: u8::from_str_radix(f[3], 16).ok()?,
                inode: f[9].parse().ok()?,
            })
        })
        .collect()
}

/// Inodes of the sockets in LISTEN state on `port` (IPv4 and IPv6), in this process's network
/// namespace.
pub fn listening_inodes(port: u16) -> Vec<u64> {
    listening_inodes_in("/proc/net", port)
}

/// Like [`listening_inodes`] in the network namespace whose /proc/…/net is `net_dir`.
fn listening_inodes_in(net_dir: &str, port: u16) -> Vec<u64> {
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|file| std::fs::read_to_string(format!("{net_dir}/{file}")).ok())
        .flat_map(|t| parse_proc_net_tcp(&t))
        .filter(|r| r.local_port == port && r.state == TCP_LISTEN)
        .map(|r| r.inode)
        .collect()
}

/// Inodes of the sockets that process `pid` holds open.
pub fn socket_inodes_of(pid: u32) -> HashSet<u64> {
    let mut set = HashSet::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in dir.flatten() {
            if let Ok(target) = std::fs::read_link(e.path()) {
                let t = target.to_string_lossy();
                if let Some(n) = t.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
                    if let Ok(n) = n.parse() {
                        set.insert(n);
                    }
                }
            }
        }
    }
    set
}

/// True if something listens on `port` (any process).
pub fn port_listening(port: u16) -> bool {
    !listening_inodes(port).is_empty()
}

/// True if process `pid` itself holds a socket listening on `port` (so a port collision with
/// another test's process is not taken for readiness), in whichever network namespace it runs.
pub fn port_listening_by(pid: u32, port: u16) -> bool {
    let listening = listening_inodes_in(&format!("/proc/{pid}/net"), port);
    if listening.is_empty() {
        return false;
    }
    let mine = socket_inodes_of(pid);
    listening.iter().any(|i| mine.contains(i))
}

/// Waits until `pid` listens on `port`, or `alive()` turns false, or the timeout passes.
/// Returns true once listening.
pub fn wait_listening_by(pid: u32, port: u16, timeout: Duration, mut alive: impl FnMut() -> bool) -> bool {
    super::poll_until(timeout, || {
        if port_listening_by(pid, port) {
            Some(true)
        } else if !alive() {
            Some(false)
        } else {
            None
        }
    })
    .unwrap_or(false)
}

/// An HTTP request or response head, read byte by byte so that nothing after it is consumed
/// (at most 16 KiB; shorter if the peer stops).
pub fn read_http_head(mut stream: &std::net::TcpStream) -> String {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16384 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}
