//! A TCP proxy between the adapter and a target port that can stall: while stalled it keeps
//! reading from both sides (so it sees what the adapter tries to send) but forwards nothing;
//! the held bytes go out in order on `resume()`. Used to prove that answers come from a cache.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};

pub struct StallingProxy {
    port: u16,
    target_port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    stalled: AtomicBool,
    shutdown: AtomicBool,
    /// Bytes read from the client side (the adapter), forwarded or held.
    to_target: AtomicU64,
    /// Bytes written to the target.
    forwarded_to_target: AtomicU64,
    /// Bytes read from the target.
    from_target: AtomicU64,
    connections: AtomicUsize,
    pipes: Mutex<Vec<Weak<Pipe>>>,
    sockets: Mutex<Vec<TcpStream>>,
}

/// One direction of one connection: a queue filled by a reader thread, drained by a writer.
#[derive(Default)]
struct Pipe {
    state: Mutex<PipeState>,
    cond: Condvar,
}

#[derive(Default)]
struct PipeState {
    queue: VecDeque<Vec<u8>>,
    eof: bool,
}

impl StallingProxy {
    /// Listens on 127.0.0.1 (a port of its own) and forwards each connection to
    /// 127.0.0.1:<target_port>.
    pub fn start(target_port: u16) -> StallingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().unwrap().port();
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
                {
                    let mut socks = sh.sockets.lock().unwrap();
                    socks.push(client.try_clone().unwrap());
                    socks.push(target.try_clone().unwrap());
                }
                pump(&sh, client.try_clone().unwrap(), target.try_clone().unwrap(), true);
                pump(&sh, target, client, false);
            }
        });
        StallingProxy { port, target_port, shared }
    }

    /// The port the adapter should connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn target_port(&self) -> u16 {
        self.target_port
    }

    /// Stops forwarding in both directions; bytes keep being read and are held, in order.
    pub fn stall(&self) {
        self.shared.stalled.store(true, Ordering::SeqCst);
    }

    /// Forwards the held bytes and everything after them.
    pub fn resume(&self) {
        self.shared.stalled.store(false, Ordering::SeqCst);
        for pipe in self.shared.pipes.lock().unwrap().iter().filter_map(Weak::upgrade) {
            let _guard = pipe.state.lock().unwrap();
            pipe.cond.notify_all();
        }
    }

    pub fn is_stalled(&self) -> bool {
        self.shared.stalled.load(Ordering::SeqCst)
    }

    /// Bytes the adapter has sent towards the target so far, counted as they reach the proxy
    /// (whether already forwarded or held by a stall).
    pub fn bytes_to_target(&self) -> u64 {
        self.shared.to_target.load(Ordering::SeqCst)
    }

    /// Bytes actually written to the target.
    pub fn bytes_forwarded_to_target(&self) -> u64 {
        self.shared.forwarded_to_target.load(Ordering::SeqCst)
    }

    /// Bytes read from the target (forwarded or held).
    pub fn bytes_from_target(&self) -> u64 {
        self.shared.from_target.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        for s in self.shared.sockets.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        self.resume();
        // Wake the accept loop so that it sees `shutdown` and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Starts the reader and writer threads of one direction.
fn pump(sh: &Arc<Shared>, mut src: TcpStream, mut dst: TcpStream, to_target: bool) {
    let pipe = Arc::new(Pipe::default());
    sh.pipes.lock().unwrap().push(Arc::downgrade(&pipe));
    let (rsh, rpipe) = (sh.clone(), pipe.clone());
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let counter = if to_target { &rsh.to_target } else { &rsh.from_target };
            counter.fetch_add(n as u64, Ordering::SeqCst);
            let mut st = rpipe.state.lock().unwrap();
            st.queue.push_back(buf[..n].to_vec());
            rpipe.cond.notify_all();
        }
        rpipe.state.lock().unwrap().eof = true;
        rpipe.cond.notify_all();
    });
    let wsh = sh.clone();
    std::thread::spawn(move || loop {
        let chunk = {
            let mut st = pipe.state.lock().unwrap();
            loop {
                let stalled = wsh.stalled.load(Ordering::SeqCst) && !wsh.shutdown.load(Ordering::SeqCst);
                if !stalled {
                    if let Some(c) = st.queue.pop_front() {
                        break Some(c);
                    }
                    if st.eof {
                        break None;
                    }
                }
                st = pipe.cond.wait(st).unwrap();
            }
        };
        match chunk {
            Some(c) => {
                if dst.write_all(&c).is_err() {
                    break;
                }
                if to_target {
                    wsh.forwarded_to_target.fetch_add(c.len() as u64, Ordering::SeqCst);
                }
            }
            None => {
                let _ = dst.shutdown(Shutdown::Write);
                break;
            }
        }
    });
}
