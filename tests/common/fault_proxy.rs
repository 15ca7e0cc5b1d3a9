//! A TCP proxy between the adapter and a target port that injects faults: it can stall (keep
//! reading both sides, forward nothing, send the held bytes in order on `resume()`), cut every
//! connection at once or at a byte offset chosen by a rule over the bytes seen so far in one
//! direction, half-close one direction, and drop connections (accept and connect, then close both).
//!
//! A cut shuts both sockets down (each peer reads EOF, as when a relay gives up) and then closes
//! them, so that a later write from either peer fails, as it would against a vanished relay.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the adapter to the target (ptvsd).
    ToTarget,
    /// From the target to the adapter.
    FromTarget,
}

/// What a cut rule decides, given every byte seen so far in its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The cut is not before this offset: bytes up to it may go; later ones wait for more.
    Forward(usize),
    /// Forward exactly this many bytes; cut the connection once a later byte arrives.
    CutAt(usize),
}

/// A rule over one direction's bytes (from the start of the connection).
pub type CutRule = Arc<dyn Fn(&[u8]) -> Verdict + Send + Sync>;

pub struct FaultProxy {
    port: u16,
    target_port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    stalled: AtomicBool,
    shutdown: AtomicBool,
    /// Accept connections, connect to the target, and close both once the target speaks.
    drop_new: AtomicBool,
    rules: Mutex<[Option<CutRule>; 2]>,
    /// Bytes read from the client side (the adapter), forwarded or held.
    to_target: AtomicU64,
    /// Bytes written to the target.
    forwarded_to_target: AtomicU64,
    /// Bytes read from the target.
    from_target: AtomicU64,
    connections: AtomicUsize,
    /// Live connections; a cut one is removed, so its sockets close once its threads end.
    conns: Mutex<Vec<Arc<Conn>>>,
    /// What every connection carried, in accept order, kept after it ends.
    records: Mutex<Vec<Arc<Record>>>,
}

/// One proxied connection: both sockets and its record.
struct Conn {
    client: TcpStream,
    target: TcpStream,
    record: Arc<Record>,
}

#[derive(Default)]
struct Record {
    cut: AtomicBool,
    pipes: [Pipe; 2],
}

/// One direction: everything read so far, how much of it went out, and whether the source ended.
#[derive(Default)]
struct Pipe {
    state: Mutex<PipeState>,
    cond: Condvar,
}

#[derive(Default)]
struct PipeState {
    history: Vec<u8>,
    forwarded: usize,
    eof: bool,
    /// This direction was half-closed: nothing more goes out.
    closed: bool,
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::ToTarget => 0,
        Direction::FromTarget => 1,
    }
}

impl Conn {
    fn wake(&self) {
        for pipe in &self.record.pipes {
            let _guard = pipe.state.lock().unwrap();
            pipe.cond.notify_all();
        }
    }

    fn is_cut(&self) -> bool {
        self.record.cut.load(Ordering::SeqCst)
    }
}

/// Shuts both sockets down (each peer reads EOF) and forgets the connection: its threads wake,
/// end and drop the last handles, which closes the sockets.
fn cut_conn(sh: &Shared, conn: &Arc<Conn>) {
    conn.record.cut.store(true, Ordering::SeqCst);
    let _ = conn.client.shutdown(Shutdown::Both);
    let _ = conn.target.shutdown(Shutdown::Both);
    sh.conns.lock().unwrap().retain(|c| !Arc::ptr_eq(c, conn));
    conn.wake();
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a port of its own) and forwards each connection to
    /// 127.0.0.1:<target_port>.
    pub fn start(target_port: u16) -> FaultProxy {
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
                sh.connections.fetch_add(1, Ordering::SeqCst);
                let Ok(target) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if sh.drop_new.load(Ordering::SeqCst) {
                    // Close both ends once the target has spoken, leaving its bytes unread: the
                    // close then resets the target's connection. A FIN instead (closing before
                    // it spoke, or a shutdown) can leave ptvsd reading EOF forever.
                    let _ = target.peek(&mut [0u8; 1]);
                    drop((client, target));
                    continue;
                }
                let _ = client.set_nodelay(true);
                let _ = target.set_nodelay(true);
                let record = Arc::new(Record::default());
                sh.records.lock().unwrap().push(record.clone());
                let conn = Arc::new(Conn { client, target, record });
                sh.conns.lock().unwrap().push(conn.clone());
                pump(&sh, &conn, Direction::ToTarget);
                pump(&sh, &conn, Direction::FromTarget);
            }
        });
        FaultProxy { port, target_port, shared }
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
        self.wake_all();
    }

    pub fn is_stalled(&self) -> bool {
        self.shared.stalled.load(Ordering::SeqCst)
    }

    /// From now on, `rule` decides where every connection is cut in `dir` (live ones included:
    /// it sees their bytes from the start).
    pub fn cut_when(&self, dir: Direction, rule: impl Fn(&[u8]) -> Verdict + Send + Sync + 'static) {
        self.shared.rules.lock().unwrap()[index(dir)] = Some(Arc::new(rule));
        self.wake_all();
    }

    /// Cuts every live connection now.
    pub fn cut(&self) {
        let live = self.shared.conns.lock().unwrap().clone();
        for conn in &live {
            cut_conn(&self.shared, conn);
        }
    }

    /// Ends one direction of every live connection: what is already forwarded stays, its
    /// destination reads EOF, and later bytes from its source are read and discarded. The
    /// other direction keeps working.
    pub fn half_close(&self, dir: Direction) {
        for conn in self.shared.conns.lock().unwrap().iter() {
            let pipe = &conn.record.pipes[index(dir)];
            pipe.state.lock().unwrap().closed = true;
            pipe.cond.notify_all();
            let dst = if dir == Direction::ToTarget { &conn.target } else { &conn.client };
            let _ = dst.shutdown(Shutdown::Write);
        }
    }

    /// Connections accepted from now on are closed, with their connection to the target, as
    /// soon as the target has sent something, before anything is read or forwarded.
    pub fn drop_new_connections(&self) {
        self.shared.drop_new.store(true, Ordering::SeqCst);
    }

    /// True once the first connection has been cut.
    pub fn first_cut(&self) -> bool {
        self.shared.records.lock().unwrap().first().is_some_and(|r| r.cut.load(Ordering::SeqCst))
    }

    /// The bytes the first connection forwarded in `dir` so far.
    pub fn forwarded(&self, dir: Direction) -> Vec<u8> {
        let records = self.shared.records.lock().unwrap();
        let Some(record) = records.first() else { return Vec::new() };
        let st = record.pipes[index(dir)].state.lock().unwrap();
        st.history[..st.forwarded].to_vec()
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

    fn wake_all(&self) {
        for conn in self.shared.conns.lock().unwrap().iter() {
            conn.wake();
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop so that it sees `shutdown` and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Starts the reader and writer threads of one direction of `conn`.
fn pump(sh: &Arc<Shared>, conn: &Arc<Conn>, dir: Direction) {
    let to_target = dir == Direction::ToTarget;
    let (rsh, rconn) = (sh.clone(), conn.clone());
    std::thread::spawn(move || {
        let mut src = if to_target { &rconn.client } else { &rconn.target };
        let pipe = &rconn.record.pipes[index(dir)];
        let mut buf = vec![0u8; 65536];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let counter = if to_target { &rsh.to_target } else { &rsh.from_target };
            counter.fetch_add(n as u64, Ordering::SeqCst);
            let mut st = pipe.state.lock().unwrap();
            st.history.extend_from_slice(&buf[..n]);
            pipe.cond.notify_all();
        }
        pipe.state.lock().unwrap().eof = true;
        pipe.cond.notify_all();
    });
    let (wsh, wconn) = (sh.clone(), conn.clone());
    std::thread::spawn(move || {
        let mut dst = if to_target { &wconn.target } else { &wconn.client };
        let pipe = &wconn.record.pipes[index(dir)];
        loop {
            let (chunk, cut_after) = {
                let mut st = pipe.state.lock().unwrap();
                loop {
                    if wconn.is_cut() || st.closed {
                        return;
                    }
                    let stalled = wsh.stalled.load(Ordering::SeqCst) && !wsh.shutdown.load(Ordering::SeqCst);
                    if !stalled {
                        let rule = wsh.rules.lock().unwrap()[index(dir)].clone();
                        let len = st.history.len();
                        let (limit, cut) = match rule.map(|rule| rule(&st.history)) {
                            None => (len, false),
                            Some(Verdict::Forward(m)) => (m.min(len), false),
                            Some(Verdict::CutAt(n)) => (n.min(len), len > n),
                        };
                        // A rule still waiting for bytes holds the rest, unless the source ended.
                        let limit = if st.eof { len.max(limit) } else { limit };
                        if limit > st.forwarded || cut {
                            let from = st.forwarded.min(limit);
                            st.forwarded = st.forwarded.max(limit);
                            break (st.history[from..limit].to_vec(), cut);
                        }
                        if st.eof {
                            let _ = dst.shutdown(Shutdown::Write);
                            return;
                        }
                    }
                    st = pipe.cond.wait(st).unwrap();
                }
            };
            if !chunk.is_empty() {
                if dst.write_all(&chunk).is_err() {
                    cut_conn(&wsh, &wconn);
                    return;
                }
                if to_target {
                    wsh.forwarded_to_target.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            }
            if cut_after {
                cut_conn(&wsh, &wconn);
                return;
            }
        }
    });
}
