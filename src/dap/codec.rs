//! DAP framing (`Content-Length: N\r\n\r\n` + JSON body), sans-io.

use bytes::{Buf, BytesMut};

/// The largest DAP message accepted from the editor. Requests are small; this only bounds
/// what a broken or hostile client can make the adapter buffer.
pub const MAX_DAP_MESSAGE_LEN: usize = 16 * 1024 * 1024;
/// A header section longer than this without its blank line is not DAP.
const MAX_HEADER_LEN: usize = 8 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FramingError {
    #[error("DAP header without Content-Length")]
    MissingContentLength,
    #[error("invalid Content-Length header: {0}")]
    BadContentLength(String),
    #[error("DAP message of {0} bytes exceeds the limit of {MAX_DAP_MESSAGE_LEN} bytes")]
    TooLong(usize),
    #[error("DAP header section longer than {MAX_HEADER_LEN} bytes")]
    HeaderTooLong,
}

/// Removes one complete message body from the front of `buf`, or returns `Ok(None)` when more
/// bytes are needed. A framing error is fatal: the stream cannot be resynchronised.
pub fn decode_frame(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, FramingError> {
    decode_frame_up_to(buf, Some(MAX_DAP_MESSAGE_LEN))
}

/// [`decode_frame`] without the body limit, for the front's relay of the connection owner's
/// messages: they come from this program, and an answer may be larger than any request.
/// Nothing is allocated ahead of the bytes that arrive.
pub fn decode_frame_unbounded(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, FramingError> {
    decode_frame_up_to(buf, None)
}

fn decode_frame_up_to(buf: &mut BytesMut, max_len: Option<usize>) -> Result<Option<Vec<u8>>, FramingError> {
    let Some(header_end) = find(buf, b"\r\n\r\n") else {
        return if buf.len() > MAX_HEADER_LEN { Err(FramingError::HeaderTooLong) } else { Ok(None) };
    };
    // The same limit whether the header arrived in one piece or in many (found by fuzzing).
    if header_end > MAX_HEADER_LEN {
        return Err(FramingError::HeaderTooLong);
    }
    let header = String::from_utf8_lossy(&buf[..header_end]);
    let mut content_length = None;
    for line in header.split("\r\n") {
        // Other headers (Content-Type) are allowed and ignored.
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                let value = value.trim();
                let len: usize =
                    value.parse().map_err(|_| FramingError::BadContentLength(value.chars().take(40).collect()))?;
                content_length = Some(len);
            }
        }
    }
    let len = content_length.ok_or(FramingError::MissingContentLength)?;
    if max_len.is_some_and(|max_len| len > max_len) {
        return Err(FramingError::TooLong(len));
    }
    let total = header_end + 4 + len;
    if buf.len() < total {
        return Ok(None);
    }
    buf.advance(header_end + 4);
    Ok(Some(buf.split_to(len).to_vec()))
}

pub fn encode_frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames_of(input: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(frame) = decode_frame(&mut buf).expect("valid stream") {
                out.push(frame);
            }
        }
        assert!(buf.is_empty());
        out
    }

    #[test]
    fn decodes_frames_split_anywhere() {
        let mut stream = encode_frame(br#"{"seq":1}"#);
        stream.extend(encode_frame(br#"{"seq":2,"text":"\u00e9"}"#));
        stream.extend(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        let whole = frames_of(&stream, stream.len());
        assert_eq!(whole.len(), 3);
        for chunk in 1..stream.len() {
            assert_eq!(frames_of(&stream, chunk), whole, "chunk size {chunk}");
        }
    }

    #[test]
    fn rejects_hostile_headers() {
        let mut huge = BytesMut::from(&b"Content-Length: 99999999999\r\n\r\n"[..]);
        assert!(matches!(decode_frame(&mut huge), Err(FramingError::TooLong(_))));
        let mut no_length = BytesMut::from(&b"X: 1\r\n\r\n{}"[..]);
        assert_eq!(decode_frame(&mut no_length), Err(FramingError::MissingContentLength));
        let mut garbage = BytesMut::from(&b"Content-Length: -5\r\n\r\n"[..]);
        assert!(matches!(decode_frame(&mut garbage), Err(FramingError::BadContentLength(_))));
        let mut endless = BytesMut::from(vec![b'a'; MAX_HEADER_LEN + 1].as_slice());
        assert_eq!(decode_frame(&mut endless), Err(FramingError::HeaderTooLong));
        let mut long_but_whole = BytesMut::from(
            format!("X-Pad: {}\r\nContent-Length: 2\r\n\r\n{{}}", "a".repeat(MAX_HEADER_LEN)).as_bytes(),
        );
        assert_eq!(decode_frame(&mut long_but_whole), Err(FramingError::HeaderTooLong));
    }
}
