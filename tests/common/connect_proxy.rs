//! An HTTP CONNECT proxy (a thread per connection) standing in for a corporate proxy. It records
//! each request head it is sent and the first line the client sends through each tunnel (the
//! wake-up's `HEAD /`, the upgrade's `GET`), can demand `Proxy-Authorization: Basic`, and can
//! refuse every tunnel with a given status.

use base64::Engine;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub enum Policy {
    /// Opens every tunnel.
    Open,
    /// Opens tunnels for this user and password only; answers 407 otherwise.
    Basic { user: String, password: String },
    /// Answers every CONNECT with this status (407 with a `Proxy-Authenticate: Basic` challenge).
    Refuse(u16),
}

pub struct ConnectProxy {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    shutdown: AtomicBool,
    /// Every request head received (request line and headers), in order.
    heads: Mutex<Vec<String>>,
    /// The first line the client sent through each opened tunnel.
    tunnelled: Mutex<Vec<String>>,
}

impl ConnectProxy {
    /// Listens on 127.0.0.1 on a port of its own.
    pub fn start(policy: Policy) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sh.shutdown.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let (sh, policy) = (sh.clone(), policy.clone());
                std::thread::spawn(move || serve(client, &policy, &sh));
            }
        });
        ConnectProxy { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`, as a proxy variable names it.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://<user>:<password>@127.0.0.1:<port>`.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// Every request head received so far.
    pub fn heads(&self) -> Vec<String> {
        self.shared.heads.lock().unwrap().clone()
    }

    /// The first line sent through each tunnel so far.
    pub fn tunnelled(&self) -> Vec<String> {
        self.shared.tunnelled.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The `Proxy-Authorization` value a client must send for `user:password`.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn serve(mut client: TcpStream, policy: &Policy, shared: &Shared) {
    let head = super::net::read_http_head(&client);
    if head.is_empty() {
        return;
    }
    shared.heads.lock().unwrap().push(head.clone());
    let mut lines = head.lines();
    let request_line: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let authorization = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_string());
    let refuse = |mut client: &TcpStream, status: u16, reason: &str| {
        let challenge = if status == 407 { "Proxy-Authenticate: Basic realm=\"test\"\r\n" } else { "" };
        let _ =
            write!(client, "HTTP/1.1 {status} {reason}\r\n{challenge}Content-Length: 0\r\nConnection: close\r\n\r\n");
    };
    let ["CONNECT", authority, "HTTP/1.1"] = request_line[..] else {
        return refuse(&client, 405, "Method Not Allowed");
    };
    match policy {
        Policy::Refuse(status) => return refuse(&client, *status, "Refused By Test Policy"),
        Policy::Basic { user, password } if authorization.as_deref() != Some(basic(user, password).as_str()) => {
            return refuse(&client, 407, "Proxy Authentication Required")
        }
        _ => {}
    }
    let Ok(mut upstream) = TcpStream::connect(authority) else {
        return refuse(&client, 502, "Bad Gateway");
    };
    if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
        return;
    }
    let (Ok(mut client_out), Ok(mut upstream_in)) = (client.try_clone(), upstream.try_clone()) else { return };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut upstream_in, &mut client_out);
        let _ = client_out.shutdown(Shutdown::Write);
    });
    let mut first = true;
    let mut chunk = [0u8; 16 * 1024];
    while let Ok(n @ 1..) = client.read(&mut chunk) {
        if first {
            let text = String::from_utf8_lossy(&chunk[..n]);
            shared.tunnelled.lock().unwrap().push(text.lines().next().unwrap_or_default().to_string());
            first = false;
        }
        if upstream.write_all(&chunk[..n]).is_err() {
            break;
        }
    }
    let _ = upstream.shutdown(Shutdown::Write);
}
