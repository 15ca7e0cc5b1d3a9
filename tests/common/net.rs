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

/// Inodes of the sockets in LISTEN state on `port` (IPv4 and IPv6).
pub fn listening_inodes(port: u16) -> Vec<u64> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
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
/// another test's process is not taken for readiness).
pub fn port_listening_by(pid: u32, port: u16) -> bool {
    let listening = listening_inodes(port);
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

/// An IPv4 address of this machine that is not loopback: the source address the kernel picks
/// toward a documentation address (a UDP `connect` sends nothing). Panics if the machine has none.
pub fn non_loopback_ipv4() -> std::net::Ipv4Addr {
    for probe in ["203.0.113.1:9", "198.51.100.1:9", "192.0.2.1:9"] {
        let Ok(socket) = std::net::UdpSocket::bind("0.0.0.0:0") else { continue };
        if socket.connect(probe).is_err() {
            continue;
        }
        if let Ok(std::net::SocketAddr::V4(local)) = socket.local_addr() {
            if !local.ip().is_loopback() && !local.ip().is_unspecified() {
                return *local.ip();
            }
        }
    }
    panic!("this machine has no IPv4 address besides loopback (no route to any documentation address)")
}

/// Forwards every connection to `listen_ip:<new port>` to `127.0.0.1:target_port`, both ways,
/// until the process ends. Returns the port.
pub fn forward_from(listen_ip: std::net::Ipv4Addr, target_port: u16) -> u16 {
    let listener = TcpListener::bind((listen_ip, 0)).expect("bind the forwarder");
    let port = listener.local_addr().expect("forwarder address").port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(upstream) = std::net::TcpStream::connect(("127.0.0.1", target_port)) else { continue };
            let (mut client_read, mut upstream_write) =
                (client.try_clone().expect("clone"), upstream.try_clone().expect("clone"));
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_read, &mut upstream_write);
                let _ = upstream_write.shutdown(std::net::Shutdown::Write);
            });
            let (mut upstream_read, mut client_write) = (upstream, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut upstream_read, &mut client_write);
                let _ = client_write.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}
