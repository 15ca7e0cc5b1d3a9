//! The injected link: a TCP proxy on loopback that holds every chunk it reads for a fixed
//! one-way delay before writing it on, in both directions, in order, without a bandwidth limit
//! (it reads eagerly into an unbounded queue). The same proxy sits in front of every contender.
//!
//! Plain threads, not tokio: each chunk is released by a precise `thread::sleep` until its due
//! time (tokio's timer wheel rounds up to whole milliseconds, which would add up to 2 ms per
//! round trip at 0 ms).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct DelayProxy {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    shutdown: AtomicBool,
    /// Chunks and bytes read from the client side (towards the debuggee).
    up_chunks: AtomicU64,
    up_bytes: AtomicU64,
    down_chunks: AtomicU64,
    down_bytes: AtomicU64,
    /// Microseconds past their due time at which chunks were written on, summed (both ways):
    /// the proxy's own addition to the delay (a sleep's overshoot, a wake-up on a busy core).
    late_us: AtomicU64,
    connections: AtomicU64,
    sockets: Mutex<Vec<TcpStream>>,
}

/// Traffic counters at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Traffic {
    pub up_chunks: u64,
    pub up_bytes: u64,
    pub down_chunks: u64,
    pub down_bytes: u64,
    pub late_us: u64,
}

impl Traffic {
    /// The same counts seen from the other end (when the debuggee is the side that dialled).
    pub fn swapped(self) -> Traffic {
        Traffic {
            up_chunks: self.down_chunks,
            up_bytes: self.down_bytes,
            down_chunks: self.up_chunks,
            down_bytes: self.up_bytes,
            late_us: self.late_us,
        }
    }

    pub fn since(self, before: Traffic) -> Traffic {
        Traffic {
            up_chunks: self.up_chunks - before.up_chunks,
            up_bytes: self.up_bytes - before.up_bytes,
            down_chunks: self.down_chunks - before.down_chunks,
            down_bytes: self.down_bytes - before.down_bytes,
            late_us: self.late_us - before.late_us,
        }
    }
}

impl DelayProxy {
    /// Listens on 127.0.0.1 (a port of its own); each connection gets its own connection to
    /// 127.0.0.1:`target_port`, made when the client connects.
    pub fn start(target_port: u16, one_way: Duration) -> std::io::Result<DelayProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sh.shutdown.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let Ok(target) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = target.set_nodelay(true);
                sh.connections.fetch_add(1, Ordering::SeqCst);
                if let (Ok(c1), Ok(c2), Ok(t1), Ok(t2)) =
                    (client.try_clone(), client.try_clone(), target.try_clone(), target.try_clone())
                {
                    sh.sockets.lock().unwrap().extend([c1, t1]);
                    pump(&sh, client, t2, one_way, true);
                    pump(&sh, target, c2, one_way, false);
                }
            }
        });
        Ok(DelayProxy { port, shared })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn traffic(&self) -> Traffic {
        let s = &self.shared;
        Traffic {
            up_chunks: s.up_chunks.load(Ordering::SeqCst),
            up_bytes: s.up_bytes.load(Ordering::SeqCst),
            down_chunks: s.down_chunks.load(Ordering::SeqCst),
            down_bytes: s.down_bytes.load(Ordering::SeqCst),
            late_us: s.late_us.load(Ordering::SeqCst),
        }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        for s in self.shared.sockets.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        // Wake the accept loop so that it sees `shutdown` and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One direction: a reader that stamps each chunk with its due time, a writer that releases it then.
fn pump(sh: &Arc<Shared>, mut src: TcpStream, mut dst: TcpStream, delay: Duration, up: bool) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let rsh = sh.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let due = Instant::now() + delay;
            let (chunks, bytes) =
                if up { (&rsh.up_chunks, &rsh.up_bytes) } else { (&rsh.down_chunks, &rsh.down_bytes) };
            chunks.fetch_add(1, Ordering::SeqCst);
            bytes.fetch_add(n as u64, Ordering::SeqCst);
            if tx.send((due, buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    let wsh = sh.clone();
    std::thread::spawn(move || {
        while let Ok((due, chunk)) = rx.recv() {
            let now = Instant::now();
            if due > now {
                // The injected delay itself.
                std::thread::sleep(due - now);
            }
            let late = Instant::now().saturating_duration_since(due).as_micros() as u64;
            wsh.late_us.fetch_add(late, Ordering::SeqCst);
            if dst.write_all(&chunk).is_err() {
                let _ = dst.shutdown(Shutdown::Both);
                return;
            }
        }
        let _ = dst.shutdown(Shutdown::Write);
    });
}
