//! Reading v6 primitives (`docs/protocol.md` §2.1): int64 big-endian, and debuggee strings,
//! which, unlike client strings, have a type prefix.
//!
//! [`Reader`] is a cursor over the bytes received so far. It never consumes
//! them: a message is parsed from the start on every attempt, and an attempt that runs out of
//! bytes reports how many it needs at least ([`Stop::Incomplete`]), so the codec can wait for
//! that many without re-parsing.

use crate::wire::{DecodeError, MAX_MESSAGE_LEN};

/// Size of an int on the wire.
pub(super) const INT_SIZE: usize = 8;
/// Size of the smallest debuggee string: the `'N'` (None) prefix alone.
pub(super) const MIN_STRING_SIZE: usize = 1;

const NONE_PREFIX: u8 = b'N';
const UNICODE_PREFIX: u8 = b'U';
const BYTES_PREFIX: u8 = b'A';

/// Why a parse attempt ended without a message.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// The message is not complete: it needs at least `needed` bytes, counted from the start
    /// of the buffer.
    Incomplete { needed: usize },
    /// The stream is corrupt (or hostile): it cannot be resynchronised.
    Invalid(DecodeError),
}

impl From<DecodeError> for Stop {
    fn from(error: DecodeError) -> Self {
        Stop::Invalid(error)
    }
}

pub(super) type Parse<T> = Result<T, Stop>;

/// A cursor over the bytes received so far.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    /// The smallest number of bytes that must follow the item being read: the minimum sizes of
    /// the list items still to come after it, in every enclosing list. It makes
    /// [`Stop::Incomplete`] a tighter bound, so a large `THRF` arriving in small pieces is not
    /// re-parsed once per piece.
    still_to_come: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, position: 0, still_to_come: 0 }
    }

    /// How many bytes have been read.
    pub(super) fn position(&self) -> usize {
        self.position
    }

    fn incomplete(&self, count: usize) -> Stop {
        Stop::Incomplete { needed: self.position.saturating_add(count).saturating_add(self.still_to_come) }
    }

    fn take(&mut self, count: usize) -> Parse<&'a [u8]> {
        let rest = self.bytes.get(self.position..).unwrap_or_default();
        let taken = rest.get(..count).ok_or_else(|| self.incomplete(count))?;
        self.position += count;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Parse<[u8; N]> {
        let rest = self.bytes.get(self.position..).unwrap_or_default();
        let taken = *rest.first_chunk::<N>().ok_or_else(|| self.incomplete(N))?;
        self.position += N;
        Ok(taken)
    }

    /// A 4-byte message tag.
    pub(super) fn tag(&mut self) -> Parse<[u8; 4]> {
        self.take_array()
    }

    pub(super) fn int(&mut self) -> Parse<i64> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }

    /// A debuggee string (§2.1): `'N'` for None, or `'U'`/`'A'` + int64 length + bytes.
    pub(super) fn string(&mut self) -> Parse<Option<String>> {
        let [prefix] = self.take_array()?;
        if prefix == NONE_PREFIX {
            return Ok(None);
        }
        if prefix != UNICODE_PREFIX && prefix != BYTES_PREFIX {
            return Err(DecodeError::BadStringPrefix(prefix).into());
        }
        let length = self.int()?;
        let length = checked_length("string", length)?;
        let length = usize::try_from(length)
            .ok()
            .filter(|&length| length <= MAX_MESSAGE_LEN)
            .ok_or(DecodeError::TooLong { what: "string", len: length, max: MAX_MESSAGE_LEN })?;
        let bytes = self.take(length)?;
        Ok(Some(if prefix == UNICODE_PREFIX {
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            // A byte string (Py2 `str`, Py3 `bytes`) in an unknown encoding: VS read such
            // strings as Latin-1, one char per byte (§2.1); UTF-8 is tried first.
            match std::str::from_utf8(bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
            }
        }))
    }

    /// A debuggee string where ptvsd always sends a value: None reads as `""`.
    pub(super) fn text(&mut self) -> Parse<String> {
        Ok(self.string()?.unwrap_or_default())
    }

    /// An int64 count followed by that many items of at least `min_item_size` bytes each
    /// (every item is at least one byte).
    ///
    /// The count is checked before any item is read: negative is an error, and so is a count
    /// whose smallest possible encoding exceeds [`MAX_MESSAGE_LEN`]. Items are pushed as they
    /// are read, so memory follows the bytes actually received, not the count.
    pub(super) fn list<T>(
        &mut self,
        what: &'static str,
        min_item_size: usize,
        mut read_item: impl FnMut(&mut Self) -> Parse<T>,
    ) -> Parse<Vec<T>> {
        let count = checked_length(what, self.int()?)?;
        let min_item_size = min_item_size.max(1);
        let min_size = count.saturating_mul(min_item_size as u64);
        if min_size > MAX_MESSAGE_LEN as u64 {
            return Err(DecodeError::TooLong { what, len: min_size, max: MAX_MESSAGE_LEN }.into());
        }
        // Both fit in usize now: count * min_item_size <= MAX_MESSAGE_LEN.
        let count = count as usize;
        let mut items = Vec::new();
        for index in 0..count {
            let after_this_item = (count - index - 1) * min_item_size;
            self.still_to_come += after_this_item;
            let item = read_item(self);
            self.still_to_come -= after_this_item;
            items.push(item?);
        }
        Ok(items)
    }
}

/// A length or count from the wire, which is signed: negative is an error.
fn checked_length(what: &'static str, length: i64) -> Result<u64, DecodeError> {
    u64::try_from(length).map_err(|_| DecodeError::NegativeLength { what, len: length })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::v6::test_support::DebuggeeBytes;

    fn read_string(bytes: &[u8]) -> (Parse<Option<String>>, usize) {
        let mut reader = Reader::new(bytes);
        let result = reader.string();
        (result, reader.position())
    }

    #[test]
    fn ints_are_signed_big_endian() {
        let bytes = [0, 0, 0x7f, 0x51, 0xc5, 0xdc, 0x3b, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe];
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.int(), Ok(0x7f51_c5dc_3b80));
        assert_eq!(reader.int(), Ok(-2));
        assert_eq!(reader.position(), 16);
        assert_eq!(reader.int(), Err(Stop::Incomplete { needed: 24 }));
    }

    #[test]
    fn none_unicode_and_byte_strings() {
        assert_eq!(read_string(b"N"), (Ok(None), 1));
        let unicode = DebuggeeBytes::new().utf8("héllo").build();
        assert_eq!(read_string(&unicode), (Ok(Some("héllo".into())), unicode.len()));
        let empty = DebuggeeBytes::new().utf8("").build();
        assert_eq!(read_string(&empty), (Ok(Some(String::new())), 9));
        let byte_string = DebuggeeBytes::new().byte_string(b"ab").build();
        assert_eq!(read_string(&byte_string), (Ok(Some("ab".into())), 11));
    }

    #[test]
    fn byte_strings_fall_back_to_latin1() {
        let utf8 = DebuggeeBytes::new().byte_string("é".as_bytes()).build();
        assert_eq!(read_string(&utf8).0, Ok(Some("é".into())));
        let latin1 = DebuggeeBytes::new().byte_string(b"caf\xe9\xff").build();
        assert_eq!(read_string(&latin1).0, Ok(Some("caf\u{e9}\u{ff}".into())));
    }

    #[test]
    fn invalid_utf8_in_unicode_strings_is_replaced() {
        let bytes = DebuggeeBytes::new().raw(b"U").int(3).raw(b"a\xffb").build();
        assert_eq!(read_string(&bytes).0, Ok(Some("a\u{fffd}b".into())));
    }

    #[test]
    fn truncated_strings_say_how_many_bytes_they_need() {
        assert_eq!(read_string(b"").0, Err(Stop::Incomplete { needed: 1 }));
        assert_eq!(read_string(b"U\0\0\0").0, Err(Stop::Incomplete { needed: 9 }));
        let bytes = DebuggeeBytes::new().raw(b"U").int(1000).raw(b"abc").build();
        assert_eq!(read_string(&bytes).0, Err(Stop::Incomplete { needed: 1009 }));
    }

    #[test]
    fn a_huge_string_length_is_rejected_before_its_bytes_arrive() {
        let bytes = DebuggeeBytes::new().raw(b"U").int(1 << 62).build();
        assert_eq!(
            read_string(&bytes).0,
            Err(Stop::Invalid(DecodeError::TooLong { what: "string", len: 1 << 62, max: MAX_MESSAGE_LEN }))
        );
        let just_over = DebuggeeBytes::new().raw(b"A").int(MAX_MESSAGE_LEN as i64 + 1).build();
        assert!(matches!(read_string(&just_over).0, Err(Stop::Invalid(DecodeError::TooLong { .. }))));
        let at_limit = DebuggeeBytes::new().raw(b"A").int(MAX_MESSAGE_LEN as i64).build();
        assert_eq!(read_string(&at_limit).0, Err(Stop::Incomplete { needed: 9 + MAX_MESSAGE_LEN }));
    }

    #[test]
    fn negative_string_lengths_are_rejected() {
        for length in [-1, i64::MIN] {
            let bytes = DebuggeeBytes::new().raw(b"U").int(length).build();
            assert_eq!(
                read_string(&bytes).0,
                Err(Stop::Invalid(DecodeError::NegativeLength { what: "string", len: length }))
            );
        }
    }

    #[test]
    fn unknown_string_prefixes_are_rejected() {
        assert_eq!(read_string(b"X").0, Err(Stop::Invalid(DecodeError::BadStringPrefix(b'X'))));
    }

    #[test]
    fn lists_check_their_count_before_reading_items() {
        let negative = DebuggeeBytes::new().int(-5).build();
        assert_eq!(
            Reader::new(&negative).list("items", 8, Reader::int),
            Err(Stop::Invalid(DecodeError::NegativeLength { what: "items", len: -5 }))
        );
        let huge = DebuggeeBytes::new().int(i64::MAX).build();
        assert_eq!(
            Reader::new(&huge).list("items", 8, Reader::int),
            Err(Stop::Invalid(DecodeError::TooLong { what: "items", len: u64::MAX, max: MAX_MESSAGE_LEN }))
        );
    }

    #[test]
    fn an_incomplete_list_needs_at_least_its_remaining_items() {
        let bytes = DebuggeeBytes::new().int(1000).int(7).build();
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.list("items", 8, Reader::int), Err(Stop::Incomplete { needed: 8 + 1000 * 8 }));

        // Nested lists: the outer list's remaining items count too.
        let nested = DebuggeeBytes::new().int(10).int(2).int(1).build();
        let mut reader = Reader::new(&nested);
        let result = reader.list("outer", 16, |reader| reader.list("inner", 8, Reader::int));
        // Outer count, inner count, one inner item read; the second one and 9 outer items to come.
        assert_eq!(result, Err(Stop::Incomplete { needed: 24 + 8 + 9 * 16 }));
    }

    #[test]
    fn complete_lists_read_every_item() {
        let bytes = DebuggeeBytes::new().int(3).int(1).int(2).int(3).build();
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.list("items", 8, Reader::int), Ok(vec![1, 2, 3]));
        assert_eq!(reader.position(), bytes.len());
    }
}
