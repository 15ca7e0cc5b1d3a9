//! A stream that first replays bytes already read from it: the relay reads the request head
//! itself (to answer non-upgrades and refuse bad upgrades), then hands the whole stream,
//! head included, to tungstenite's handshake. This works the same under TLS, where peeking
//! at the socket would not.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct Replayed<S> {
    pending: Vec<u8>,
    position: usize,
    inner: S,
}

impl<S> Replayed<S> {
    /// `inner`, whose next reads first yield `already_read`.
    pub fn new(already_read: Vec<u8>, inner: S) -> Replayed<S> {
        Replayed { pending: already_read, position: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replayed<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.position < this.pending.len() {
            let rest = &this.pending[this.position..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.position += n;
            if this.position == this.pending.len() {
                this.pending = Vec::new();
                this.position = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replayed<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn replays_then_reads_through_in_small_reads() {
        let inner: &[u8] = b" world";
        let mut stream = Replayed::new(b"hello".to_vec(), inner);
        let mut small = [0u8; 2];
        let n = stream.read(&mut small).await.unwrap();
        assert_eq!(&small[..n], b"he");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"llo world");
    }

    #[tokio::test]
    async fn writes_go_to_the_inner_stream() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut stream = Replayed::new(b"head".to_vec(), near);
        stream.write_all(b"reply").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut got = Vec::new();
        far.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"reply");
    }
}
