//! Hostile input, the CI half: every decoder the debuggee or the editor can reach (protocol 6,
//! protocols 7/8, the greeting, DAP framing and request parsing) over the fuzz corpus
//! (`fuzz/corpus/`, recorded from real sessions by `fuzz/capture.py`), split at random points,
//! mutated (bit flips, truncation, huge and negative length fields, duplicated and shuffled
//! chunks), and over random bytes; plus the explicit cases of the issue.
//!
//! The checks are the fuzz harness's own (`fuzz/src/harness.rs`, included below): no panic,
//! every decode returns, the buffer and the memory allocated stay proportional to the bytes
//! fed, and the outcome does not depend on how the stream was cut. The long runs are in
//! `fuzz/` (see fuzz/README.md); the case counts here keep the file under a minute in debug.

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::sync::OnceLock;

use harness::{check, peak_allocation, run, End, Target};
use proptest::prelude::*;
use proptest::test_runner::Config;
use ptvsd_dap::dap::codec::{FramingError, MAX_DAP_MESSAGE_LEN};
use ptvsd_dap::wire::generation::{Generation, Greeting};
use ptvsd_dap::wire::model::Event;
use ptvsd_dap::wire::{DecodeError, MAX_MESSAGE_LEN};

#[global_allocator]
static ALLOCATOR: harness::CountingAlloc = harness::CountingAlloc;

// ---------------------------------------------------------------------------------------------
// The corpus

struct Seed {
    target: Target,
    name: String,
    variant: u8,
    stream: Vec<u8>,
}

fn corpus() -> &'static [Seed] {
    static CORPUS: OnceLock<Vec<Seed>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus");
        let mut seeds = Vec::new();
        for target in Target::ALL {
            let dir = root.join(target.name());
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.is_file())
                .collect();
            files.sort();
            assert!(!files.is_empty(), "no corpus for {} in {}", target.name(), dir.display());
            for path in files {
                let data = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                if let [_, variant, stream @ ..] = &data[..] {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    seeds.push(Seed { target, name, variant: *variant, stream: stream.to_vec() });
                }
            }
        }
        seeds
    })
}

fn seeds_of(target: Target) -> Vec<&'static Seed> {
    corpus().iter().filter(|seed| seed.target == target).collect()
}

fn config(cases: u32) -> Config {
    // No regression files: a failure prints its minimal case, to be turned into an explicit test.
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Piece sizes from random cut points.
fn sizes_from_cuts(len: usize, cuts: &[usize]) -> Vec<usize> {
    let mut points: Vec<usize> = cuts.iter().map(|&c| if len == 0 { 0 } else { c % (len + 1) }).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| w[1] - w[0]).collect()
}

// ---------------------------------------------------------------------------------------------
// (a) Every corpus file, whole, byte by byte, and split at random points

#[test]
fn the_corpus_decodes_whole_and_byte_by_byte() {
    assert!(harness::counting_allocator_installed(), "the allocation check would measure nothing");
    for seed in corpus() {
        let ones = vec![1; seed.stream.len()];
        check(seed.target, seed.variant, &seed.stream, &ones);
    }
}

#[test]
fn every_target_has_real_session_seeds_that_decode_events() {
    for target in Target::ALL {
        let deepest = seeds_of(target)
            .into_iter()
            .map(|seed| {
                let outcome = run(target, seed.variant, &seed.stream, &[seed.stream.len()]);
                outcome.events.len() + outcome.requests.len()
            })
            .max()
            .unwrap_or(0);
        assert!(deepest >= 5, "{}: no corpus file gets past a few messages ({deepest})", target.name());
    }
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn corpus_split_at_random_points(index in any::<prop::sample::Index>(), cuts in prop::collection::vec(any::<usize>(), 0..24)) {
        let seed = index.get(corpus());
        check(seed.target, seed.variant, &seed.stream, &sizes_from_cuts(seed.stream.len(), &cuts));
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Mutations of corpus files

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        value: u8,
    },
    Truncate {
        at: usize,
    },
    /// Overwrites 8 bytes at an offset with a big-endian int64 (a v6 length, count or int).
    OverwriteInt {
        at: usize,
        value: i64,
    },
    InsertInt {
        at: usize,
        value: i64,
    },
    /// Writes a decimal number over a `Content-Length` value's first digits.
    ContentLength {
        which: usize,
        value: u64,
    },
    Duplicate {
        from: usize,
        len: usize,
        to: usize,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    /// Cuts the stream into `pieces` pieces and rotates them by `by`.
    Shuffle {
        pieces: usize,
        by: usize,
    },
}

const HOSTILE_INTS: [i64; 9] =
    [1 << 62, -1, i64::MAX, i64::MIN, MAX_MESSAGE_LEN as i64 + 1, MAX_MESSAGE_LEN as i64, u32::MAX as i64, 1 << 31, 0];

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (at, any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        at.prop_map(|at| Mutation::Truncate { at }),
        (at, prop::sample::select(HOSTILE_INTS.to_vec())).prop_map(|(at, value)| Mutation::OverwriteInt { at, value }),
        (at, prop::sample::select(HOSTILE_INTS.to_vec())).prop_map(|(at, value)| Mutation::InsertInt { at, value }),
        (
            any::<usize>(),
            prop_oneof![
                Just(1u64 << 62),
                Just(u64::MAX),
                Just(MAX_MESSAGE_LEN as u64 + 1),
                Just(MAX_DAP_MESSAGE_LEN as u64 + 1),
                0u64..100_000
            ]
        )
            .prop_map(|(which, value)| Mutation::ContentLength { which, value }),
        (at, 1usize..512, at).prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        (at, 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (at, prop::collection::vec(any::<u8>(), 1..32)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (2usize..8, 1usize..8).prop_map(|(pieces, by)| Mutation::Shuffle { pieces, by }),
    ]
}

fn apply(stream: &mut Vec<u8>, mutation: &Mutation) {
    let len = stream.len();
    let pos = |at: usize| if len == 0 { 0 } else { at % len };
    match *mutation {
        Mutation::FlipBit { at, bit } if len > 0 => stream[pos(at)] ^= 1 << bit,
        Mutation::SetByte { at, value } if len > 0 => stream[pos(at)] = value,
        Mutation::Truncate { at } => stream.truncate(pos(at)),
        Mutation::OverwriteInt { at, value } if len >= 8 => {
            let at = pos(at).min(len - 8);
            stream[at..at + 8].copy_from_slice(&value.to_be_bytes());
        }
        Mutation::InsertInt { at, value } => {
            let at = pos(at);
            stream.splice(at..at, value.to_be_bytes());
        }
        Mutation::ContentLength { which, value } => {
            let starts: Vec<usize> = (0..len.saturating_sub(15))
                .filter(|&i| stream[i..i + 15].eq_ignore_ascii_case(b"content-length:"))
                .collect();
            if let Some(&start) = starts.get(which % starts.len().max(1)) {
                let digits_start = (start + 15..len).find(|&i| stream[i] != b' ').unwrap_or(len);
                let digits_end = (digits_start..len).find(|&i| !stream[i].is_ascii_digit()).unwrap_or(len);
                stream.splice(digits_start..digits_end, value.to_string().into_bytes());
            }
        }
        Mutation::Duplicate { from, len: n, to } if len > 0 => {
            let from = pos(from);
            let piece = stream[from..(from + n).min(len)].to_vec();
            let to = pos(to);
            stream.splice(to..to, piece);
        }
        Mutation::Delete { at, len: n } if len > 0 => {
            let at = pos(at);
            stream.drain(at..(at + n).min(len));
        }
        Mutation::Insert { at, ref bytes } => {
            let at = pos(at);
            stream.splice(at..at, bytes.iter().copied());
        }
        Mutation::Shuffle { pieces, by } if len >= pieces => {
            let size = len.div_ceil(pieces);
            let mut chunks: Vec<Vec<u8>> = stream.chunks(size).map(<[u8]>::to_vec).collect();
            let count = chunks.len();
            chunks.rotate_left(by % count);
            *stream = chunks.concat();
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(8192))]

    #[test]
    fn mutated_corpus_files(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let seed = index.get(corpus());
        let mut stream = seed.stream.clone();
        for mutation in &mutations {
            apply(&mut stream, mutation);
        }
        check(seed.target, seed.variant, &stream, &sizes_from_cuts(stream.len(), &cuts));
    }
}

/// A huge (2^62) or negative (-1) int64 written at every 8-byte-aligned offset of protocol 6
/// streams (a length, count or id wherever it lands), and after every string prefix byte, where
/// it is a string length for sure.
#[test]
fn huge_and_negative_int64_at_every_aligned_offset_of_v6_streams() {
    let mut checked = 0;
    for seed in corpus().iter().filter(|seed| seed.target.is_v6()) {
        // A window of the stream keeps this exhaustive pass quick; the window still holds
        // several messages of every seed.
        let stream = &seed.stream[..seed.stream.len().min(2048)];
        let string_lengths =
            (0..stream.len().saturating_sub(8)).filter(|&i| matches!(stream[i], b'U' | b'A')).map(|i| i + 1);
        let offsets: Vec<usize> = (0..stream.len().saturating_sub(7)).step_by(8).chain(string_lengths).collect();
        for at in offsets {
            for value in [1i64 << 62, -1] {
                let mut mutated = stream.to_vec();
                mutated[at..at + 8].copy_from_slice(&value.to_be_bytes());
                check(seed.target, seed.variant, &mutated, &[mutated.len() / 2, mutated.len()]);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} mutated streams");
}

// ---------------------------------------------------------------------------------------------
// (c) Random bytes

/// Random bytes, or random bytes after a valid prefix that gets each decoder past its first
/// check (the greeting, a v6 session tag, a JSON or DAP header).
fn random_stream(target: Target) -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<Vec<u8>> = match target {
        Target::V6Session => {
            [&b"OUTP"[..], b"THRF", b"MODL", b"EXCP", b"EXC2", b"CHLD", b"EXCR", b"REQH", b"SETL", b"BKHC"]
                .map(<[u8]>::to_vec)
                .to_vec()
        }
        Target::V6Handshake => vec![b"ACPT".to_vec(), b"RJCT".to_vec(), b"ACPTACPT".to_vec()],
        Target::Greeting => {
            vec![b"PTVSDBG\0\0\0\0\0\0\0\x06".to_vec(), b"Content-Length: ".to_vec(), b"PTVSDBG".to_vec()]
        }
        Target::Json | Target::Dap => vec![
            b"Content-Length: ".to_vec(),
            b"Content-Length: 40\r\n\r\n{\"type\":\"".to_vec(),
            b"Content-Length: 60\r\n\r\n{\"type\":\"event\",\"event\":\"".to_vec(),
        ],
    };
    (prop::sample::select(prefixes), prop::collection::vec(any::<u8>(), 0..1024), any::<bool>())
        .prop_map(|(prefix, tail, use_prefix)| if use_prefix { [prefix, tail].concat() } else { tail })
}

fn random_bytes_case(target: Target) -> impl Strategy<Value = (u8, Vec<u8>, Vec<usize>)> {
    (any::<u8>(), random_stream(target), prop::collection::vec(any::<usize>(), 0..16))
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn random_bytes_v6_session((variant, stream, cuts) in random_bytes_case(Target::V6Session)) {
        check(Target::V6Session, variant, &stream, &sizes_from_cuts(stream.len(), &cuts));
    }

    #[test]
    fn random_bytes_v6_handshake((variant, stream, cuts) in random_bytes_case(Target::V6Handshake)) {
        check(Target::V6Handshake, variant, &stream, &sizes_from_cuts(stream.len(), &cuts));
    }

    #[test]
    fn random_bytes_json((variant, stream, cuts) in random_bytes_case(Target::Json)) {
        check(Target::Json, variant, &stream, &sizes_from_cuts(stream.len(), &cuts));
    }

    #[test]
    fn random_bytes_greeting((variant, stream, cuts) in random_bytes_case(Target::Greeting)) {
        check(Target::Greeting, variant, &stream, &sizes_from_cuts(stream.len(), &cuts));
    }

    #[test]
    fn random_bytes_dap((variant, stream, cuts) in random_bytes_case(Target::Dap)) {
        check(Target::Dap, variant, &stream, &sizes_from_cuts(stream.len(), &cuts));
    }
}

// ---------------------------------------------------------------------------------------------
// The issue's explicit cases

fn int(value: i64) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

fn string(prefix: u8, bytes: &[u8]) -> Vec<u8> {
    [vec![prefix], int(bytes.len() as i64), bytes.to_vec()].concat()
}

fn json_frame(body: &[u8]) -> Vec<u8> {
    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.to_vec()].concat()
}

const TID: i64 = 0x7f51_c5dc_3b80;

/// Runs a stream in one piece and byte by byte (checking every property), and returns the
/// one-piece outcome with the memory its run allocated at most.
fn decode(target: Target, variant: u8, stream: &[u8]) -> (harness::Outcome, usize) {
    check(target, variant, stream, &vec![1; stream.len()]);
    peak_allocation(|| run(target, variant, stream, &[stream.len()]))
}

#[test]
fn a_2_62_string_length_is_refused_without_allocating() {
    for prefix in [b'U', b'A'] {
        let stream = [b"OUTP".to_vec(), int(TID), vec![prefix], int(1 << 62), b"abc".to_vec()].concat();
        let (outcome, peak) = decode(Target::V6Session, 0, &stream);
        assert_eq!(
            outcome.end,
            Some(End::Decode(DecodeError::TooLong { what: "string", len: 1 << 62, max: MAX_MESSAGE_LEN }))
        );
        assert!(peak < 64 * 1024, "{peak} bytes allocated");
    }
    // The same in the handshake (the INFO reply's strings) and in every list count.
    let info = [int(1), vec![b'U'], int(1 << 62)].concat();
    let (outcome, peak) = decode(Target::V6Handshake, 1, &[b"ACPT".to_vec(), info].concat());
    assert!(matches!(outcome.end, Some(End::Decode(DecodeError::TooLong { .. }))), "{:?}", outcome.end);
    assert!(peak < 64 * 1024);
    for tag in [&b"THRF"[..], b"CHLD", b"EXCP"] {
        let stream = [tag.to_vec(), int(TID), vec![b'N'], int(1 << 62)].concat();
        let (_, peak) = decode(Target::V6Session, 0, &stream);
        assert!(peak < 64 * 1024, "{tag:?}: {peak} bytes allocated");
    }
}

#[test]
fn negative_lengths_are_errors() {
    for length in [-1, i64::MIN] {
        let stream = [b"MODL".to_vec(), int(1), vec![b'A'], int(length)].concat();
        let (outcome, _) = decode(Target::V6Session, 0, &stream);
        assert_eq!(outcome.end, Some(End::Decode(DecodeError::NegativeLength { what: "string", len: length })));
    }
    let stream = [b"CHLD".to_vec(), int(1), int(-3)].concat();
    assert!(matches!(
        decode(Target::V6Session, 0, &stream).0.end,
        Some(End::Decode(DecodeError::NegativeLength { .. }))
    ));
}

#[test]
fn a_length_just_under_the_limit_waits_for_bytes_without_allocating_them() {
    let stream = [b"OUTP".to_vec(), int(TID), vec![b'U'], int(MAX_MESSAGE_LEN as i64), b"partial".to_vec()].concat();
    let (outcome, peak) = decode(Target::V6Session, 0, &stream);
    assert_eq!(outcome.end, Some(End::Exhausted));
    assert!(peak < 64 * 1024, "{peak} bytes allocated for a 64 MiB string not yet sent");
    let json = b"Content-Length: 67108864\r\n\r\n{\"type\":".to_vec();
    let (outcome, peak) = decode(Target::Json, 2, &json);
    assert_eq!(outcome.end, Some(End::Exhausted));
    assert!(peak < 64 * 1024);
}

#[test]
fn invalid_utf8_is_replaced_or_refused_never_a_panic() {
    let stream = [b"OUTP".to_vec(), int(TID), string(b'U', b"a\xff\xfeb\xc3")].concat();
    let (outcome, _) = decode(Target::V6Session, 0, &stream);
    assert_eq!(
        outcome.events,
        vec![Event::Output { tid: TID, text: "a\u{fffd}\u{fffd}b\u{fffd}".into(), channel: None }]
    );
    // A byte string falls back to Latin-1.
    let stream = [b"MODL".to_vec(), int(1), string(b'A', b"caf\xe9")].concat();
    assert_eq!(outcome_events(Target::V6Session, &stream), vec![Event::ModuleLoad { id: 1, file: "café".into() }]);
    // JSON: a body is decoded lossily, as ptvsd does (§2.2); a header that is not UTF-8 is refused.
    let (outcome, _) = decode(Target::Json, 2, &json_frame(b"{\"type\":\"event\",\"event\":\"\xff\"}"));
    assert_eq!(outcome.end, Some(End::Exhausted));
    assert!(
        matches!(&outcome.events[..], [Event::Ignored { what }] if what.contains('\u{fffd}')),
        "{:?}",
        outcome.events
    );
    let body =
        b"{\"type\":\"event\",\"seq\":1,\"event\":\"legacyThreadCreate\",\"body\":{\"threadId\":7,\"x\":\"\xc3\"}}";
    assert_eq!(decode(Target::Json, 2, &json_frame(body)).0.events, vec![Event::ThreadCreate { tid: 7 }]);
    let (outcome, _) = decode(Target::Json, 2, b"Content-Length: \xff\r\n\r\n");
    assert!(matches!(outcome.end, Some(End::Decode(DecodeError::BadHeader(_)))), "{:?}", outcome.end);
    // DAP: a body that is not UTF-8 is a malformed request, answered; the stream goes on.
    let stream = [
        json_frame(b"{\"seq\":1,\"type\":\"request\",\"command\":\"\xff\"}"),
        json_frame(br#"{"seq":2,"type":"request","command":"threads"}"#),
    ]
    .concat();
    let (outcome, _) = decode(Target::Dap, 0, &stream);
    assert_eq!(outcome.requests.len(), 2);
    assert!(outcome.requests[0].1.starts_with("malformed"), "{:?}", outcome.requests[0].1);
    assert!(outcome.requests[1].1.starts_with("request 2"), "{:?}", outcome.requests[1].1);
    assert_eq!(outcome.end, Some(End::Exhausted));
}

fn outcome_events(target: Target, stream: &[u8]) -> Vec<Event> {
    decode(target, 0, stream).0.events
}

#[test]
fn truncated_messages_wait_and_never_fail() {
    // Every prefix of real sessions: the events decoded so far, then a wait, never an error.
    let mut checked = 0;
    for seed in corpus() {
        let whole = run(seed.target, seed.variant, &seed.stream, &[seed.stream.len()]);
        if whole.end != Some(End::Exhausted) || whole.events.len() + whole.requests.len() < 3 {
            continue;
        }
        checked += 1;
        for len in (0..seed.stream.len()).step_by(seed.stream.len() / 64 + 1) {
            let truncated = run(seed.target, seed.variant, &seed.stream[..len], &[len]);
            assert_eq!(truncated.end, Some(End::Exhausted), "{} cut at {len}", seed.name);
            assert!(truncated.events.len() <= whole.events.len());
            assert_eq!(truncated.events[..], whole.events[..truncated.events.len()], "{} cut at {len}", seed.name);
            assert!(whole.requests.starts_with(&truncated.requests), "{} cut at {len}", seed.name);
        }
    }
    assert!(checked >= Target::ALL.len(), "only {checked} corpus files decode cleanly");
}

#[test]
fn oversized_content_lengths_are_refused_before_the_body() {
    for value in ["4611686018427387904", "18446744073709551615", "67108865"] {
        let header = format!("Content-Length: {value}\r\n\r\n{{");
        let (outcome, peak) = decode(Target::Json, 2, header.as_bytes());
        assert!(matches!(outcome.end, Some(End::Decode(DecodeError::TooLong { .. }))), "{value}: {:?}", outcome.end);
        assert!(peak < 64 * 1024);
        // The JSON greeting goes through the same framing.
        let (outcome, _) = decode(Target::Greeting, 0, header.as_bytes());
        assert!(
            matches!(outcome.end, Some(End::Decode(DecodeError::TooLong { .. }))),
            "greeting {value}: {:?}",
            outcome.end
        );
    }
    let (outcome, _) = decode(Target::Json, 2, b"Content-Length: 99999999999999999999999\r\n\r\n");
    assert!(matches!(outcome.end, Some(End::Decode(DecodeError::BadHeader(_)))));
    let (outcome, _) = decode(Target::Json, 2, b"Content-Length: -1\r\n\r\n");
    assert!(matches!(outcome.end, Some(End::Decode(DecodeError::NegativeLength { .. }))));
    // An endless JSON header.
    let endless = [b"Content-Length: 2\r\nX: ".to_vec(), vec![b'a'; 9000]].concat();
    assert!(matches!(outcome_end(Target::Json, &endless), Some(End::Decode(DecodeError::BadHeader(_)))));

    // DAP.
    for value in ["4611686018427387904", "16777217", "18446744073709551615"] {
        let header = format!("Content-Length: {value}\r\n\r\n{{");
        let (outcome, peak) = decode(Target::Dap, 0, header.as_bytes());
        assert!(
            matches!(outcome.end, Some(End::Framing(FramingError::TooLong(_) | FramingError::BadContentLength(_)))),
            "{value}: {:?}",
            outcome.end
        );
        assert!(peak < 64 * 1024);
    }
    let (outcome, _) = decode(Target::Dap, 0, format!("Content-Length: {MAX_DAP_MESSAGE_LEN}\r\n\r\n{{").as_bytes());
    assert_eq!(outcome.end, Some(End::Exhausted), "the largest allowed message is awaited");
    for bad in [&b"Content-Length: -1\r\n\r\n"[..], b"Content-Length: 1e3\r\n\r\n", b"X: 1\r\n\r\n"] {
        assert!(matches!(outcome_end(Target::Dap, bad), Some(End::Framing(_))), "{bad:?}");
    }
    let endless = vec![b'a'; 9000];
    assert_eq!(outcome_end(Target::Dap, &endless), Some(End::Framing(FramingError::HeaderTooLong)));
    // The same limit when the long header arrives whole, blank line included
    // (fuzz/crashes/dap-long-header-accepted-only-in-one-piece).
    let long = [b"X-Pad: ".to_vec(), vec![b'a'; 9000], b"\r\nContent-Length: 2\r\n\r\n{}".to_vec()].concat();
    let (outcome, _) = decode(Target::Dap, 0, &long);
    assert_eq!(outcome.end, Some(End::Framing(FramingError::HeaderTooLong)));
    assert!(outcome.requests.is_empty());
}

fn outcome_end(target: Target, stream: &[u8]) -> Option<End> {
    decode(target, 2, stream).0.end
}

#[test]
fn unknown_tags_events_and_greetings() {
    // Protocol 6: an unknown tag cannot be skipped (no framing): an error, not a panic.
    let stream = [b"NEWT".to_vec(), int(TID), b"HACK".to_vec(), int(1)].concat();
    let (outcome, _) = decode(Target::V6Session, 0, &stream);
    assert_eq!(outcome.events, vec![Event::ThreadCreate { tid: TID }]);
    assert_eq!(outcome.end, Some(End::Decode(DecodeError::UnknownTag("HACK".into()))));
    let (outcome, _) = decode(Target::V6Session, 0, b"\0\xff\x80\x7f");
    assert!(matches!(outcome.end, Some(End::Decode(DecodeError::UnknownTag(_)))));

    // JSON: an unknown event, response or message type is skipped, and the stream goes on.
    let stream = [
        json_frame(br#"{"type":"event","seq":1,"event":"legacyFromTheFuture","body":{"x":[1,{"y":null}]}}"#),
        json_frame(br#"{"type":"mystery","seq":2}"#),
        json_frame(br#"{"type":"response","seq":3,"request_seq":999,"success":true,"command":"legacyWhat"}"#),
        json_frame(br#"{"type":"event","seq":4,"event":"legacyThreadCreate","body":{"threadId":7}}"#),
    ]
    .concat();
    let (outcome, _) = decode(Target::Json, 3, &stream);
    assert_eq!(outcome.end, Some(End::Exhausted), "{:?}", outcome.events);
    assert!(outcome.events.contains(&Event::ThreadCreate { tid: 7 }), "{:?}", outcome.events);
    // Wrong shapes are errors.
    for body in
        [&br#"[1,2]"#[..], br#"{"type":"event","seq":1,"event":"legacyThreadCreate","body":{"threadId":"x"}}"#, b"nul"]
    {
        assert!(matches!(outcome_end(Target::Json, &json_frame(body)), Some(End::Decode(_))), "{body:?}");
    }

    // Greetings: an unknown protocol version is backed out of; anything else is not ptvsd.
    let (outcome, _) = decode(Target::Greeting, 0, &[b"PTVSDBG".to_vec(), int(1 << 62), b"RJCT".to_vec()].concat());
    assert_eq!(outcome.greeting, Some(Greeting::Unsupported { version: 1 << 62, binary: true }));
    let greeting =
        json_frame(br#"{"type":"event","seq":1,"event":"legacyRemoteConnected","body":{"debuggerProtocolVersion":8}}"#);
    assert_eq!(decode(Target::Greeting, 0, &greeting).0.greeting, Some(Greeting::Supported(Generation::V8)));
    for junk in [&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..], b"\x16\x03\x01\x02\x00", b"SSH-2.0-OpenSSH"] {
        assert!(matches!(outcome_end(Target::Greeting, junk), Some(End::Decode(DecodeError::NotPtvsd(_)))), "{junk:?}");
    }

    // DAP: an unknown command or message type is parsed (and answered by the session).
    let stream = [
        json_frame(br#"{"seq":1,"type":"request","command":"frobnicate","arguments":[1]}"#),
        json_frame(br#"{"seq":2,"type":"event"}"#),
    ]
    .concat();
    let (outcome, _) = decode(Target::Dap, 0, &stream);
    assert!(outcome.requests[0].1.starts_with("request 1 \"frobnicate\""), "{:?}", outcome.requests);
    assert!(outcome.requests[1].1.starts_with("malformed"), "{:?}", outcome.requests);
}

#[test]
fn deep_json_nesting_is_an_error_not_a_stack_overflow() {
    let deep = [vec![b'['; 100_000], vec![b']'; 100_000]].concat();
    assert!(matches!(outcome_end(Target::Json, &json_frame(&deep)), Some(End::Decode(_))));
    let (outcome, _) = decode(Target::Dap, 0, &json_frame(&deep));
    assert!(outcome.requests[0].1.starts_with("malformed"));
}
