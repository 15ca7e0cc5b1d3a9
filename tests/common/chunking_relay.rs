//! A WebSocket relay in front of a TCP port that re-chunks everything: each byte from the
//! target goes to the client as its own binary message (or in seeded random sizes), and each
//! client message is written to the target in 1-byte (or random-sized) TCP writes with
//! `TCP_NODELAY`. Proves that neither side depends on message or segment boundaries (§1.4).

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug)]
pub enum Chunking {
    /// Every byte on its own.
    OneByte,
    /// Sizes drawn from 1..=max by a generator seeded with `seed`.
    Random { seed: u64, max: usize },
}

/// xorshift64*: a small seeded generator, so a failing run can be replayed.
struct Sizes {
    chunking: Chunking,
    state: u64,
}

impl Sizes {
    fn new(chunking: Chunking, stream: u64) -> Sizes {
        let seed = match chunking {
            Chunking::OneByte => 1,
            Chunking::Random { seed, .. } => seed,
        };
        // Each direction gets its own sequence; zero would stay zero.
        Sizes { chunking, state: (seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1 }
    }

    fn next(&mut self) -> usize {
        match self.chunking {
            Chunking::OneByte => 1,
            Chunking::Random { max, .. } => {
                self.state ^= self.state >> 12;
                self.state ^= self.state << 25;
                self.state ^= self.state >> 27;
                (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) % max.max(1) as u64) as usize + 1
            }
        }
    }

    /// `bytes` cut into the next sizes.
    fn split<'a>(&mut self, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + self.next()).min(bytes.len());
            pieces.push(&bytes[at..end]);
            at = end;
        }
        pieces
    }
}

pub struct ChunkingRelay {
    port: u16,
    /// WebSocket messages sent to clients, to show the re-chunking happened.
    messages_out: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ChunkingRelay {
    /// Listens on 127.0.0.1 (a port of its own, any path) and relays each WebSocket to its own
    /// TCP connection to 127.0.0.1:<target_port>.
    pub fn start(target_port: u16, chunking: Chunking) -> ChunkingRelay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("relay bind");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let port = listener.local_addr().unwrap().port();
        let messages_out = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let counter = messages_out.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("relay runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("relay listener");
                let accept_loop = async {
                    let mut stream_id = 0;
                    while let Ok((client, _)) = listener.accept().await {
                        stream_id += 2;
                        tokio::spawn(relay(client, target_port, chunking, stream_id, counter.clone()));
                    }
                };
                tokio::select! {
                    _ = accept_loop => {}
                    _ = stopped => {}
                }
            });
        });
        ChunkingRelay { port, messages_out, stop: Some(stop), thread: Some(thread) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ws://<secret>@127.0.0.1:<port>/ptvsd`
    pub fn ws_url(&self, secret: &str) -> String {
        format!("ws://{secret}@127.0.0.1:{}/ptvsd", self.port)
    }

    /// Binary messages sent to clients so far.
    pub fn messages_out(&self) -> usize {
        self.messages_out.load(Ordering::SeqCst)
    }
}

impl Drop for ChunkingRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Dropping the runtime ends every relay task and closes its sockets.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One WebSocket and its TCP connection; when either ends, both are closed.
async fn relay(
    client: tokio::net::TcpStream,
    target_port: u16,
    chunking: Chunking,
    stream_id: u64,
    sent: Arc<AtomicUsize>,
) {
    let _ = client.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(client).await else { return };
    let Ok(target) = tokio::net::TcpStream::connect(("127.0.0.1", target_port)).await else { return };
    let _ = target.set_nodelay(true);
    let (mut target_read, mut target_write) = target.into_split();
    let (mut ws_write, mut ws_read) = ws.split();
    let down = async {
        let mut sizes = Sizes::new(chunking, stream_id);
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = target_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            for piece in sizes.split(&buf[..n]) {
                if ws_write.send(Message::Binary(piece.to_vec().into())).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
        }
        let _ = ws_write.close().await;
    };
    let up = async {
        let mut sizes = Sizes::new(chunking, stream_id + 1);
        while let Some(Ok(message)) = ws_read.next().await {
            let payload = match message {
                Message::Binary(bytes) => bytes.to_vec(),
                Message::Text(text) => text.as_bytes().to_vec(),
                Message::Close(_) => break,
                _ => continue,
            };
            for piece in sizes.split(&payload) {
                if target_write.write_all(piece).await.is_err() {
                    return;
                }
            }
        }
        let _ = target_write.shutdown().await;
    };
    // Either direction ending ends the relay, as the App Service proxy does (§1.4).
    tokio::select! {
        _ = down => {}
        _ = up => {}
    }
}
