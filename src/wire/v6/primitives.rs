//! Reading v6 primitives (`docs/protocol.md` §2.1): int64 big-endian, and debuggee strings,
//! which, unlike client strings, have a type prefix.
//!
//! [`Reader`] is a cursor over the bytes received so far. It never consumes them: a message is
//! parsed from its start on every attempt. An attempt that runs out of bytes reports how many it
//! needs at least ([`Stop::Incomplete`]), so the codec waits for that many, and leaves its
//! [`Progress`]: the lists it was reading, with the items already read. The next attempt reads
//! the fields before each list again (a few ints and short strings) but resumes every list at
//! its first missing item, so a large message costs about the same whole or in small pieces.

use std::any::Any;

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

/// What an attempt that ran out of bytes leaves for the next attempt at the same message, which
/// sees the same bytes and more (a decoder removes bytes only with a complete message).
#[derive(Debug, Default)]
pub(super) struct Progress {
    /// The buffer length the message needs at least: below it, another attempt cannot succeed.
    pub(super) needed_len: usize,
    /// The lists the attempt was inside, innermost first.
    unfinished_lists: Vec<UnfinishedList>,
}

/// A list an attempt stopped in: the items it read, and where the first missing one starts.
struct UnfinishedList {
    /// Where the list's count starts: the next attempt meets the same list there.
    start: usize,
    /// A `Vec<T>` of the list's item type.
    items: Box<dyn Any + Send>,
    /// Where the first missing item starts.
    resume_at: usize,
}

impl std::fmt::Debug for UnfinishedList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnfinishedList").field("start", &self.start).field("resume_at", &self.resume_at).finish()
    }
}

/// A cursor over the bytes received so far.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    /// The smallest number of bytes that must follow the item being read: the minimum sizes of
    /// the list items still to come after it, in every enclosing list. It makes
    /// [`Stop::Incomplete`] a tighter bound, so a large `THRF` arriving in small pieces is not
    /// attempted again for every piece.
    still_to_come: usize,
    /// Lists an earlier attempt left unfinished (innermost first, so the outermost is popped
    /// first), then, once this attempt runs out of bytes, the lists it leaves unfinished.
    unfinished_lists: Vec<UnfinishedList>,
}

impl<'a> Reader<'a> {
    /// A first attempt (the codec keeps its progress, so only tests start from nothing).
    #[cfg(test)]
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self::resuming(bytes, Progress::default())
    }

    /// A reader for another attempt at the message an earlier attempt left at `progress`.
    pub(super) fn resuming(bytes: &'a [u8], progress: Progress) -> Self {
        Reader { bytes, position: 0, still_to_come: 0, unfinished_lists: progress.unfinished_lists }
    }

    /// What this attempt, which stopped with [`Stop::Incomplete`] `{ needed }`, leaves for the next.
    pub(super) fn into_progress(self, needed: usize) -> Progress {
        Progress { needed_len: needed, unfinished_lists: self.unfinished_lists }
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
    /// are read, so memory follows the bytes actually received, not the count. A list an earlier
    /// attempt left unfinished resumes at its first missing item; one this attempt cannot finish
    /// is left, with its items, for the next.
    pub(super) fn list<T: Send + 'static>(
        &mut self,
        what: &'static str,
        min_item_size: usize,
        mut read_item: impl FnMut(&mut Self) -> Parse<T>,
    ) -> Parse<Vec<T>> {
        let start = self.position;
        let count = checked_length(what, self.int()?)?;
        let min_item_size = min_item_size.max(1);
        let min_size = count.saturating_mul(min_item_size as u64);
        if min_size > MAX_MESSAGE_LEN as u64 {
            return Err(DecodeError::TooLong { what, len: min_size, max: MAX_MESSAGE_LEN }.into());
        }
        // Both fit in usize now: count * min_item_size <= MAX_MESSAGE_LEN.
        let count = count as usize;
        let mut items = match self.resume_list(start) {
            Some((items, resume_at)) => {
                self.position = resume_at;
                items
            }
            None => Vec::new(),
        };
        for index in items.len()..count {
            let item_start = self.position;
            let after_this_item = (count - index - 1) * min_item_size;
            self.still_to_come += after_this_item;
            let item = read_item(self);
            self.still_to_come -= after_this_item;
            match item {
                Ok(item) => items.push(item),
                Err(incomplete @ Stop::Incomplete { .. }) => {
                    // Pushed after the lists inside this item, which stopped first: innermost first.
                    let items = Box::new(items);
                    self.unfinished_lists.push(UnfinishedList { start, items, resume_at: item_start });
                    return Err(incomplete);
                }
                Err(invalid) => return Err(invalid),
            }
        }
        Ok(items)
    }

    /// The items and resume position an earlier attempt left for the list whose count starts at
    /// `start`, if it left that list unfinished.
    fn resume_list<T: 'static>(&mut self, start: usize) -> Option<(Vec<T>, usize)> {
        let unfinished = self.unfinished_lists.pop_if(|list| list.start == start)?;
        let items = unfinished.items.downcast::<Vec<T>>().ok()?;
        Some((*items, unfinished.resume_at))
    }
}

/// A length or count from the wire, which is signed: negative is an error.
fn checked_length(what: &'static str, length: i64) -> Result<u64, DecodeError> {
    u64::try_from(length).map_err(|_| DecodeError::NegativeLength { what, len: length })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

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

    /// A list of (int, list of strings): lists within a list, as frames of variables in `THRF`.
    type Nested = Vec<(i64, Vec<String>)>;

    fn nested_bytes() -> Vec<u8> {
        DebuggeeBytes::new()
            .int(3)
            .int(10)
            .int(2)
            .utf8("a")
            .utf8("bcd")
            .int(20)
            .int(0)
            .int(30)
            .int(3)
            .utf8("efgh")
            .none()
            .utf8("ijklmnop")
            .build()
    }

    fn nested_items() -> Nested {
        vec![
            (10, vec!["a".into(), "bcd".into()]),
            (20, vec![]),
            (30, vec!["efgh".into(), String::new(), "ijklmnop".into()]),
        ]
    }

    /// One attempt at the message cut at `end`, carrying on from `progress`; the strings read
    /// whole are counted in `strings_read`. An incomplete attempt returns the progress it leaves.
    fn attempt(bytes: &[u8], end: usize, progress: Progress, strings_read: &Cell<usize>) -> Result<Nested, Progress> {
        let mut reader = Reader::resuming(&bytes[..end], progress);
        let result = reader.list("outer", 2 * INT_SIZE, |reader| {
            let label = reader.int()?;
            let strings = reader.list("inner", MIN_STRING_SIZE, |reader| {
                let text = reader.text()?;
                strings_read.set(strings_read.get() + 1);
                Ok(text)
            })?;
            Ok((label, strings))
        });
        match result {
            Ok(items) => {
                assert_eq!(reader.position(), end);
                Ok(items)
            }
            Err(Stop::Incomplete { needed }) => {
                assert!(
                    needed > end && needed <= bytes.len(),
                    "a sound bound: {needed} for {end} of {} bytes",
                    bytes.len()
                );
                Err(reader.into_progress(needed))
            }
            Err(Stop::Invalid(error)) => panic!("a valid message: {error}"),
        }
    }

    #[test]
    fn unfinished_lists_resume_at_their_first_missing_item() {
        // One byte more at each attempt, and still every string is read whole exactly once.
        let bytes = nested_bytes();
        let strings_read = Cell::new(0);
        let mut progress = Progress::default();
        for end in 0..bytes.len() {
            progress = attempt(&bytes, end, progress, &strings_read).expect_err("a prefix is incomplete");
        }
        assert_eq!(attempt(&bytes, bytes.len(), progress, &strings_read).expect("complete"), nested_items());
        assert_eq!(strings_read.get(), 5);
    }

    #[test]
    fn lists_resumed_after_a_split_at_every_position_give_the_same_items() {
        let bytes = nested_bytes();
        for split in 0..bytes.len() {
            let strings_read = Cell::new(0);
            let progress = attempt(&bytes, split, Progress::default(), &strings_read).expect_err("incomplete");
            let items = attempt(&bytes, bytes.len(), progress, &strings_read).expect("complete");
            assert_eq!(items, nested_items(), "split at {split}");
            assert_eq!(strings_read.get(), 5, "split at {split}: a string read twice");
        }
    }

    #[test]
    fn progress_from_another_message_is_ignored() {
        // Not something a codec does (it drops its progress with each complete message), but a
        // list whose items are of another type, or that starts elsewhere, is read afresh.
        let strings_read = Cell::new(0);
        let bytes = nested_bytes();
        let progress = attempt(&bytes, 40, Progress::default(), &strings_read).expect_err("incomplete");
        let ints = DebuggeeBytes::new().int(2).int(7).int(8).build();
        let mut reader = Reader::resuming(&ints, progress);
        assert_eq!(reader.list("ints", INT_SIZE, Reader::int), Ok(vec![7, 8]));
    }
}
