//! `Content-Length` framing of the JSON generations (`docs/protocol.md` §2.2).
//!
//! ptvsd itself writes exactly `Content-Length: N\r\n\r\n` and requires the same spelling from
//! us (a lowercase name kills its attach server, §11 item 10). Reading, we are lenient: any
//! header-name case, extra headers, and bare `\n` line ends.

use bytes::{BufMut, BytesMut};

use crate::wire::{DecodeError, MAX_MESSAGE_LEN};

/// A header section that grows past this without its closing blank line is not ptvsd talking;
/// ptvsd's own headers are about 20 bytes.
pub(super) const MAX_HEADER_LEN: usize = 8 * 1024;

/// The one header ptvsd accepts, spelled the one way it accepts (§2.2).
const CONTENT_LENGTH: &str = "Content-Length";

/// Appends one framed message.
pub(super) fn write_frame(body: &[u8], out: &mut BytesMut) {
    let header = format!("{CONTENT_LENGTH}: {}\r\n\r\n", body.len());
    out.reserve(header.len() + body.len());
    out.put_slice(header.as_bytes());
    out.put_slice(body);
}

/// Removes one complete message from the front of `buf` and returns its body, or returns
/// `Ok(None)` with `buf` untouched when more bytes are needed.
pub(super) fn take_frame(buf: &mut BytesMut) -> Result<Option<BytesMut>, DecodeError> {
    let Some(header) = parse_header(buf)? else {
        return Ok(None);
    };
    // Both terms are bounded (8 KiB, MAX_MESSAGE_LEN): the sum cannot overflow.
    let frame_len = header.header_len + header.body_len;
    if buf.len() < frame_len {
        return Ok(None);
    }
    let mut frame = buf.split_to(frame_len);
    Ok(Some(frame.split_off(header.header_len)))
}

struct Header {
    /// Bytes up to and including the blank line.
    header_len: usize,
    body_len: usize,
}

/// Parses the header section at the front of `buf`. Each complete line is checked as soon as it
/// has arrived, so an oversized length is refused before any body is awaited.
fn parse_header(buf: &[u8]) -> Result<Option<Header>, DecodeError> {
    let window = &buf[..buf.len().min(MAX_HEADER_LEN)];
    let mut content_length = None;
    let mut line_start = 0;
    while let Some(offset) = window[line_start..].iter().position(|&b| b == b'\n') {
        let line_end = line_start + offset;
        let line = window[line_start..line_end].strip_suffix(b"\r").unwrap_or(&window[line_start..line_end]);
        line_start = line_end + 1;
        if line.is_empty() {
            let body_len =
                content_length.ok_or_else(|| DecodeError::BadHeader(format!("no {CONTENT_LENGTH} header")))?;
            return Ok(Some(Header { header_len: line_start, body_len }));
        }
        if let Some(len) = parse_header_line(line)? {
            content_length = Some(len);
        }
    }
    if buf.len() >= MAX_HEADER_LEN {
        return Err(DecodeError::BadHeader(format!("no end of header within {MAX_HEADER_LEN} bytes")));
    }
    Ok(None)
}

/// Returns the body length if `line` is a `Content-Length` header; other headers are ignored.
fn parse_header_line(line: &[u8]) -> Result<Option<usize>, DecodeError> {
    let text = String::from_utf8_lossy(line);
    let Some((name, value)) = text.split_once(':') else {
        return Err(DecodeError::BadHeader(format!("expected `name: value`, got {:?}", excerpt(&text))));
    };
    if !name.trim().eq_ignore_ascii_case(CONTENT_LENGTH) {
        return Ok(None);
    }
    parse_content_length(value.trim()).map(Some)
}

fn parse_content_length(value: &str) -> Result<usize, DecodeError> {
    if let Ok(len) = value.parse::<u64>() {
        return match usize::try_from(len) {
            Ok(len) if len <= MAX_MESSAGE_LEN => Ok(len),
            _ => Err(DecodeError::TooLong { what: "JSON message body", len, max: MAX_MESSAGE_LEN }),
        };
    }
    match value.parse::<i64>() {
        Ok(len) => Err(DecodeError::NegativeLength { what: CONTENT_LENGTH, len }),
        Err(_) => Err(DecodeError::BadHeader(format!("invalid {CONTENT_LENGTH} {:?}", excerpt(value)))),
    }
}

/// Enough of a hostile header line to recognise it in a log.
fn excerpt(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(bytes: &[u8]) -> (Result<Option<BytesMut>, DecodeError>, BytesMut) {
        let mut buf = BytesMut::from(bytes);
        let result = take_frame(&mut buf);
        (result, buf)
    }

    #[test]
    fn writes_the_exact_header_ptvsd_requires() {
        let mut out = BytesMut::new();
        write_frame(b"{}", &mut out);
        assert_eq!(&out[..], b"Content-Length: 2\r\n\r\n{}");
    }

    #[test]
    fn takes_one_frame_and_leaves_the_rest() {
        let (result, rest) = take(b"Content-Length: 2\r\n\r\n{}Content-Le");
        assert_eq!(result.unwrap().unwrap(), &b"{}"[..]);
        assert_eq!(&rest[..], b"Content-Le");
    }

    #[test]
    fn incomplete_header_or_body_leaves_the_buffer_untouched() {
        for input in [&b""[..], b"Content-Length: 2", b"Content-Length: 2\r\n", b"Content-Length: 2\r\n\r\n{"] {
            let (result, rest) = take(input);
            assert_eq!(result, Ok(None), "{input:?}");
            assert_eq!(&rest[..], input);
        }
    }

    #[test]
    fn tolerates_name_case_extra_headers_spaces_and_bare_newlines() {
        let inputs: [&[u8]; 4] = [
            b"content-length:2\r\n\r\n{}",
            b"Content-Type: application/json\r\nCONTENT-LENGTH:   2  \r\n\r\n{}",
            b"Content-Length: 2\n\n{}",
            b"X-Odd: a:b\r\nContent-Length: 2\r\n\r\n{}",
        ];
        for input in inputs {
            assert_eq!(take(input).0.unwrap().unwrap(), &b"{}"[..], "{input:?}");
        }
    }

    #[test]
    fn empty_body_is_a_frame() {
        assert_eq!(take(b"Content-Length: 0\r\n\r\n").0.unwrap().unwrap(), &b""[..]);
    }

    #[test]
    fn refuses_an_oversized_length_before_the_body_arrives() {
        let header = format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE_LEN + 1);
        assert!(matches!(take(header.as_bytes()).0, Err(DecodeError::TooLong { .. })));
        // Even before the blank line.
        assert!(matches!(take(b"Content-Length: 18446744073709551615\r\n").0, Err(DecodeError::TooLong { .. })));
    }

    #[test]
    fn refuses_negative_and_garbage_lengths() {
        assert_eq!(
            take(b"Content-Length: -5\r\n\r\n").0,
            Err(DecodeError::NegativeLength { what: "Content-Length", len: -5 })
        );
        for input in [
            &b"Content-Length: 12abc\r\n\r\n"[..],
            b"Content-Length: \r\n\r\n",
            b"Content-Length: 99999999999999999999999\r\n\r\n",
        ] {
            assert!(matches!(take(input).0, Err(DecodeError::BadHeader(_))), "{input:?}");
        }
    }

    #[test]
    fn refuses_a_missing_length_and_a_line_without_colon() {
        assert!(matches!(take(b"X-Other: 1\r\n\r\n").0, Err(DecodeError::BadHeader(_))));
        assert!(matches!(take(b"HTTP/1.1 200 OK\r\n").0, Err(DecodeError::BadHeader(_))));
    }

    #[test]
    fn refuses_an_endless_header() {
        let mut endless = b"Content-Length: 2\r\nX-Padding: ".to_vec();
        endless.resize(MAX_HEADER_LEN - 1, b'a');
        assert_eq!(take(&endless).0, Ok(None));
        endless.push(b'a');
        assert!(matches!(take(&endless).0, Err(DecodeError::BadHeader(_))));
        // The same without any newline at all.
        assert!(matches!(take(&vec![b'C'; MAX_HEADER_LEN]).0, Err(DecodeError::BadHeader(_))));
    }

    #[test]
    fn invalid_utf8_in_a_header_line_is_an_error_not_a_panic() {
        assert!(matches!(take(b"\xff\xfe\r\n\r\n").0, Err(DecodeError::BadHeader(_))));
        assert!(matches!(take(b"Content-Length: \xff\r\n\r\n").0, Err(DecodeError::BadHeader(_))));
    }
}
