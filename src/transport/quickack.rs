//! A TCP stream to ptvsd that acknowledges what it receives at once (docs/protocol.md §1.2).
//!
//! ptvsd writes one reply in several pieces (a header, then a body) with Nagle on, so each
//! later piece waits for our ACK of the earlier one; Linux delays that ACK (~40 ms) after we
//! sent a request. Linux also clears `TCP_QUICKACK` by itself, so it is re-armed after every
//! read that brought data: setting it once at connect does nothing, after a send it races.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A [`TcpStream`] whose reads keep quick ACKs armed; writes pass through unchanged.
#[derive(Debug)]
pub struct QuickAckStream {
    inner: TcpStream,
}

impl QuickAckStream {
    pub fn new(inner: TcpStream) -> QuickAckStream {
        rearm(&inner);
        QuickAckStream { inner }
    }

    pub fn get_ref(&self) -> &TcpStream {
        &self.inner
    }
}

/// Best effort: without it the link is only slower.
#[cfg(target_os = "linux")]
pub fn rearm(stream: &TcpStream) {
    if let Err(error) = socket2::SockRef::from(stream).set_tcp_quickack(true) {
        tracing::trace!(%error, "could not re-arm TCP_QUICKACK");
    }
}

/// Elsewhere there is no such option.
#[cfg(not(target_os = "linux"))]
pub fn rearm(_stream: &TcpStream) {}

impl AsyncRead for QuickAckStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            rearm(&self.inner);
        }
        polled
    }
}

impl AsyncWrite for QuickAckStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
