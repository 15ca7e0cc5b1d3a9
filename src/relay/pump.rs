//! One WebSocket relayed to its own TCP connection, both directions at once, with the App
//! Service proxy's end-of-session behaviour (docs/protocol.md §1.4): when either direction ends,
//! the other is cancelled, the target socket is shut down both ways and the client gets a
//! Close (1000, Normal Closure).
//!
//! Payload bytes are never logged: the first ones carry the ptvsd secret.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::transport::quickack;

/// The most read from the target at once; each read becomes one binary message (§1.4).
pub const TARGET_READ_CHUNK: usize = 64 * 1024;
/// How long the closing exchange with the client may take (sending our Close, reading its
/// answer) before the connection is dropped anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a relayed WebSocket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The target closed its side (a read returned 0).
    TargetClosed,
    /// Reading from or writing to the target failed.
    TargetFailed,
    /// The client sent a Close.
    ClientClosed,
    /// The client's connection ended or broke without a Close.
    ClientGone,
    /// The relay is stopping.
    Shutdown,
    /// Nothing went either way for the idle timeout.
    Idle,
}

/// What one relayed WebSocket carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub end: End,
    pub bytes_to_target: u64,
    pub bytes_to_client: u64,
}

type Sink<S> = SplitSink<WebSocketStream<S>, Message>;
type Source<S> = SplitStream<WebSocketStream<S>>;

/// Relays until either side ends, `stop` turns true or nothing moves for `idle_timeout`, then
/// closes both.
pub async fn relay<S>(
    socket: WebSocketStream<S>,
    mut target: TcpStream,
    mut stop: watch::Receiver<bool>,
    idle_timeout: Duration,
) -> Totals
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut ws_sink, mut ws_source) = socket.split();
    let mut bytes_to_target = 0u64;
    let mut bytes_to_client = 0u64;
    let last_activity = Activity::new();
    let end = {
        let (mut target_read, mut target_write) = target.split();
        tokio::select! {
            end = target_to_client(&mut target_read, &mut ws_sink, &mut bytes_to_client, &last_activity) => end,
            end = client_to_target(&mut ws_source, &mut target_write, &mut bytes_to_target, &last_activity) => end,
            _ = stop.wait_for(|stopping| *stopping) => End::Shutdown,
            () = idle(&last_activity, idle_timeout) => End::Idle,
        }
    };
    // The other direction was cancelled by leaving the select. ptvsd learns first, so that a
    // slow client cannot delay it.
    if let Err(error) = socket2::SockRef::from(&target).shutdown(std::net::Shutdown::Both) {
        tracing::debug!(%error, "shutting the target connection down failed");
    }
    drop(target);
    let closing = close_client(ws_sink, ws_source, end);
    if tokio::time::timeout(CLOSE_TIMEOUT, closing).await.is_err() {
        tracing::debug!("the client did not finish the closing handshake in time");
    }
    Totals { end, bytes_to_target, bytes_to_client }
}

/// When something last went either way, shared by both directions of one WebSocket.
struct Activity {
    since: Instant,
    elapsed_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity { since: Instant::now(), elapsed_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.elapsed_ms.store(elapsed, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.since + Duration::from_millis(self.elapsed_ms.load(Ordering::Relaxed))
    }
}

/// Completes once `last_activity` is `timeout` old.
async fn idle(last_activity: &Activity, timeout: Duration) {
    loop {
        let due = last_activity.last() + timeout;
        if Instant::now() >= due {
            return;
        }
        tokio::time::sleep_until(due).await;
    }
}

/// Each read from the target goes out as one complete binary message.
async fn target_to_client<S>(
    target: &mut ReadHalf<'_>,
    ws: &mut Sink<S>,
    counted: &mut u64,
    last_activity: &Activity,
) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buffer = vec![0u8; TARGET_READ_CHUNK];
    loop {
        let n = match target.read(&mut buffer).await {
            Ok(0) => return End::TargetClosed,
            Ok(n) => n,
            Err(error) => {
                tracing::debug!(%error, "reading from the target failed");
                return End::TargetFailed;
            }
        };
        last_activity.touch();
        // ptvsd writes its replies in pieces: ACK each at once (docs/protocol.md §1.2).
        quickack::rearm(target.as_ref());
        if let Err(error) = ws.send(Message::Binary(buffer[..n].to_vec().into())).await {
            tracing::debug!(%error, "sending to the client failed");
            return End::ClientGone;
        }
        *counted += n as u64;
    }
}

/// Every message's payload, binary or text, is written to the target as it arrives; control
/// frames are tungstenite's business (it answers pings itself).
async fn client_to_target<S>(
    ws: &mut Source<S>,
    target: &mut WriteHalf<'_>,
    counted: &mut u64,
    last_activity: &Activity,
) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let message = ws.next().await;
        // A ping counts: it is how a debugger keeps an idle session open.
        last_activity.touch();
        let payload = match message {
            Some(Ok(Message::Binary(data))) => data,
            Some(Ok(Message::Text(text))) => text.into(),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(frame))) => {
                tracing::debug!(code = ?frame.as_ref().map(|f| f.code), "the client closed the WebSocket");
                return End::ClientClosed;
            }
            Some(Err(error)) => {
                tracing::debug!(%error, "reading from the client failed");
                return End::ClientGone;
            }
            None => return End::ClientGone,
        };
        if let Err(error) = target.write_all(&payload).await {
            tracing::debug!(%error, "writing to the target failed");
            return End::TargetFailed;
        }
        *counted += payload.len() as u64;
    }
}

/// Sends the Close (1000) and waits for the client's answer, then ends the connection (with a
/// TLS close_notify under wss). When the client closed first, tungstenite's echo of its Close
/// is the answer (RFC 6455 §5.5.1) and is what goes out.
async fn close_client<S>(mut sink: Sink<S>, mut source: Source<S>, end: End)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if end == End::ClientGone {
        return;
    }
    let normal = match end {
        End::Idle => CloseFrame { code: CloseCode::Away, reason: "idle for too long".into() },
        _ => CloseFrame { code: CloseCode::Normal, reason: "".into() },
    };
    // After the client's Close this only flushes the echo, and tungstenite then reports the
    // connection closed: not a failure.
    let sent = sink.send(Message::Close(Some(normal))).await.is_ok();
    if sent && end != End::ClientClosed {
        while let Some(Ok(message)) = source.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    }
    if let Ok(mut socket) = source.reunite(sink) {
        let _ = socket.get_mut().shutdown().await;
    }
}
