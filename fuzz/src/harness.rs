//! The hostile-input harness shared by the fuzz targets (`fuzz/fuzz_targets/`) and the CI test
//! (`tests/hostile_input.rs`, which includes this file with `#[path]`). It only uses the public
//! API of `ptvsd_dap`, so it compiles in both crates.
//!
//! Every target drives a decoder the way the adapter does (`session/connect.rs`,
//! `session/debuggee/link.rs`, `dap/server.rs`) over one byte stream, twice: in one piece, and in the
//! given pieces. It asserts that
//! - nothing panics, and every call returns `Ok`/`Err` (a hang is caught by the fuzzer's timeout,
//!   and every `Ok(Some(_))` must consume bytes, so a decode loop cannot spin);
//! - `Ok(None)` leaves the buffer untouched where the decoder promises it (v6, greeting, DAP),
//!   and a decode only ever removes bytes from the front;
//! - the buffer never holds more than the bytes fed, and its capacity stays proportional to them
//!   (a decoder that reserves a length field would show here);
//! - the memory allocated while decoding stays proportional to the input
//!   ([`ALLOC_FACTOR`] × input + [`ALLOC_SLACK`]), measured by [`CountingAlloc`] when the binary
//!   installs it: a 2^62 (or 64 MiB) length field must not allocate;
//! - the outcome (events, then the error or the end) does not depend on how the stream was cut.
//!
//! A fuzz input starts with two control bytes, then the stream: byte 0 picks the chunk sizes
//! ([`chunk_plan`]), byte 1 the variant of the target (see each target). The corpus files in
//! `fuzz/corpus/<target>/` have the same layout.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use ptvsd_dap::config::Secret;
use ptvsd_dap::dap::codec::{decode_frame, FramingError};
use ptvsd_dap::dap::message::parse_request;
use ptvsd_dap::wire::generation::{detect_greeting, Generation, Greeting};
use ptvsd_dap::wire::json::JsonCodec;
use ptvsd_dap::wire::model::{Command, Condition, Event, PassCount, ReprKind, FRAME_KIND_PYTHON};
use ptvsd_dap::wire::v6::V6Codec;
use ptvsd_dap::wire::{Codec, DecodeError};

/// Memory allocated while checking one input may reach this many times the input's length ...
pub const ALLOC_FACTOR: usize = 256;
/// ... plus this much. Far below the 16 MiB (DAP) and 64 MiB (ptvsd) length limits, so a
/// decoder that allocates what a length field claims, rather than what arrived, fails the check
/// for any input shorter than 64 KiB (fuzz inputs are at most 16 KiB: `run.sh`).
pub const ALLOC_SLACK: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Allocation accounting

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// The system allocator, counting the bytes live on the current thread and their peak.
/// Install it with `#[global_allocator]`; [`peak_allocation`] then measures a closure.
pub struct CountingAlloc;

fn count(delta: isize) {
    // `try_with`: the thread-local may already be gone while a thread is being torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now)
            }
        });
    });
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        new
    }
}

/// Runs `f` and returns its result with the most bytes it had allocated at once on this thread
/// (0 everywhere when [`CountingAlloc`] is not the global allocator).
pub fn peak_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let result = f();
    let peak = PEAK.with(Cell::get);
    (result, peak.saturating_sub(base).max(0) as usize)
}

/// Whether [`CountingAlloc`] is installed (so that the allocation check means something).
pub fn counting_allocator_installed() -> bool {
    let (_, peak) = peak_allocation(|| std::hint::black_box(vec![0u8; 4096]));
    peak >= 4096
}

// ---------------------------------------------------------------------------------------------
// Targets and inputs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Protocol 6 session events: a `V6Codec` that has encoded `ATCH` and decoded a synthetic
    /// `ACPT` reply, so it is in session mode. Variant: unused.
    V6Session,
    /// Protocol 6 from the first handshake reply on, as `connection.rs` drives it: the secret,
    /// then (variant bit 0) `INFO` or `ATCH`, then the session. Variant bit 1: back out
    /// (`AuthenticateToBackOut`) instead, as for an unsupported greeting.
    V6Handshake,
    /// Protocols 7/8 from the first handshake reply on (variant bit 0: protocol 8 instead of 7;
    /// bit 1: treat everything as session events, skipping the handshake; bit 2: `INFO`
    /// instead of `ATCH`).
    Json,
    /// The whole debuggee stream: `detect_greeting`, then the handshake and session with the
    /// codec the greeting chose (variant bit 0: `INFO` instead of `ATCH`).
    Greeting,
    /// The editor's stream: `decode_frame` + `parse_request` + the typed arguments the session
    /// parses. Variant: unused.
    Dap,
}

impl Target {
    pub const ALL: [Target; 5] = [Target::V6Session, Target::V6Handshake, Target::Json, Target::Greeting, Target::Dap];

    /// The directory name under `fuzz/corpus/` and the fuzz target's name.
    pub fn name(self) -> &'static str {
        match self {
            Target::V6Session => "v6_session",
            Target::V6Handshake => "v6_handshake",
            Target::Json => "json",
            Target::Greeting => "greeting",
            Target::Dap => "dap",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|target| target.name() == name)
    }

    /// Whether the stream is protocol 6 binary (for the length-field mutations).
    pub fn is_v6(self) -> bool {
        matches!(self, Target::V6Session | Target::V6Handshake)
    }
}

/// The chunk sizes for a stream of `len` bytes, from control byte `seed`: the low 2 bits pick
/// the mode (whole, single bytes, 1–16, 1–4096 bytes), the rest seed a xorshift.
pub fn chunk_plan(seed: u8, len: usize) -> Vec<usize> {
    let max = match seed & 3 {
        0 => return vec![len],
        1 => 1,
        2 => 16,
        _ => 4096,
    };
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed >> 2).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut sizes = Vec::new();
    let mut left = len;
    while left > 0 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = (1 + (state % max as u64) as usize).min(left);
        sizes.push(size);
        left -= size;
    }
    sizes
}

/// One fuzz input: two control bytes (chunking, variant), then the stream.
pub fn fuzz_one(target: Target, data: &[u8]) {
    let [seed, variant, stream @ ..] = data else {
        return;
    };
    check(target, *variant, stream, &chunk_plan(*seed, stream.len()));
}

/// Checks every property on `stream` fed in pieces of `sizes` (summing to at most its length;
/// any remainder is fed last) and in one piece.
pub fn check(target: Target, variant: u8, stream: &[u8], sizes: &[usize]) {
    let (_, peak) = peak_allocation(|| {
        let whole = run(target, variant, stream, &[stream.len()]);
        let pieces = run(target, variant, stream, sizes);
        if let Some(difference) = whole.difference(&pieces) {
            panic!(
                "{}: the outcome depends on how the stream is cut ({difference}); pieces {:?}\n  in one piece: {:?}\n  in pieces:    {:?}",
                target.name(),
                &sizes[..sizes.len().min(32)],
                whole.end,
                pieces.end
            );
        }
    });
    let bound = ALLOC_FACTOR.saturating_mul(stream.len()).saturating_add(ALLOC_SLACK);
    assert!(
        peak <= bound,
        "{}: {peak} bytes allocated for a {}-byte input (bound {bound})",
        target.name(),
        stream.len()
    );
}

/// How a run ended.
#[derive(Debug, PartialEq)]
pub enum End {
    /// Every byte was fed; the decoder waits for more (or has nothing left).
    Exhausted,
    /// The decoder refused the stream (fatal for the connection).
    Decode(DecodeError),
    Framing(FramingError),
    /// The adapter would end the handshake here (an unexpected reply, a refusal).
    Handshake(String),
}

/// What a run saw: everything decoded, in order, and how it ended.
#[derive(Debug, Default)]
pub struct Outcome {
    pub greeting: Option<Greeting>,
    pub events: Vec<Event>,
    /// DAP: each frame's body and what `parse_request` (and the typed arguments) made of it.
    pub requests: Vec<(Vec<u8>, String)>,
    pub end: Option<End>,
}

impl Outcome {
    fn difference(&self, other: &Outcome) -> Option<String> {
        if self.greeting != other.greeting {
            return Some(format!("greeting {:?} vs {:?}", self.greeting, other.greeting));
        }
        if let Some(i) =
            (0..self.events.len().max(other.events.len())).find(|&i| self.events.get(i) != other.events.get(i))
        {
            return Some(format!("event {i}: {:?} vs {:?}", self.events.get(i), other.events.get(i)));
        }
        if let Some(i) =
            (0..self.requests.len().max(other.requests.len())).find(|&i| self.requests.get(i) != other.requests.get(i))
        {
            return Some(format!("DAP message {i}: {:?} vs {:?}", self.requests.get(i), other.requests.get(i)));
        }
        match (&self.end, &other.end) {
            (a, b) if a == b => None,
            // These quote the bytes buffered so far (the first 16, or a count), which depend
            // on the cut; the error itself does not.
            (Some(End::Decode(DecodeError::NotPtvsd(_))), Some(End::Decode(DecodeError::NotPtvsd(_))))
            | (Some(End::Decode(DecodeError::Unexpected(_))), Some(End::Decode(DecodeError::Unexpected(_)))) => None,
            // A decoder that knows an incomplete message needs N more bytes waits for them
            // (v6 `needed_len`): fed in pieces, it may not yet have looked at the corrupt byte
            // that, in one piece, it reads at once. Waiting for bytes that never come is what
            // a silent peer causes anyway; the events before must be the same.
            (Some(End::Decode(_)), Some(End::Exhausted)) => None,
            _ => Some("the end".to_string()),
        }
    }
}

/// Feeds `stream` in pieces of `sizes` to the target's decoder.
pub fn run(target: Target, variant: u8, stream: &[u8], sizes: &[usize]) -> Outcome {
    let mut feeder = Feeder::new(stream, sizes);
    match target {
        Target::Dap => run_dap(&mut feeder),
        Target::V6Session => run_wire(&mut feeder, Phase::Session, Box::new(v6_session_codec()), variant, true),
        Target::V6Handshake => {
            let start = if variant & 2 != 0 { Phase::BackOut } else { Phase::Authenticate };
            run_wire(&mut feeder, start, Box::new(V6Codec::new()), variant, true)
        }
        Target::Json => {
            let version = if variant & 1 != 0 { 8 } else { 7 };
            let mut codec: Box<dyn Codec> = Box::new(JsonCodec::new(version));
            if variant & 2 != 0 {
                // The handshake requests have been sent (seq 1 and 2); their replies and
                // everything else decode as the session would see them.
                encode(codec.as_mut(), &Command::Authenticate { secret: Secret::new("s") });
                encode(codec.as_mut(), &attach());
                run_wire(&mut feeder, Phase::Session, codec, variant, false)
            } else {
                run_wire(&mut feeder, Phase::Authenticate, codec, variant >> 2, false)
            }
        }
        Target::Greeting => run_wire(&mut feeder, Phase::Greeting, Box::new(V6Codec::new()), variant, false),
    }
}

/// A `V6Codec` in session mode: it has sent `ATCH` and decoded an `ACPT` reply.
pub fn v6_session_codec() -> V6Codec {
    let mut codec = V6Codec::new();
    encode(&mut codec, &attach());
    let mut reply = BytesMut::from(&b"ACPT"[..]);
    for int in [4242i64, 3, 11, 7] {
        reply.extend_from_slice(&int.to_be_bytes());
    }
    match codec.decode(&mut reply) {
        Ok(Some(Event::Attached(Some(_)))) if reply.is_empty() => codec,
        other => panic!("the synthetic attach reply was not accepted: {other:?}"),
    }
}

fn attach() -> Command {
    Command::Attach { debug_options: "RedirectOutput".into() }
}

fn encode(codec: &mut dyn Codec, command: &Command) {
    let mut out = BytesMut::new();
    codec.encode(command, &mut out);
}

/// The commands the session sends once attached whose replies carry data (protocol 7/8 match
/// replies to them by `request_seq`; protocol 6 awaits nothing after them).
fn session_commands() -> Vec<Command> {
    let tid = 0x7f51_c5dc_3b80;
    vec![
        Command::GetBreakpointHitCount { request_id: 9, id: 1 },
        Command::SetLineNumber { tid, frame_id: 0, line: 30 },
        Command::Execute {
            text: "n * 2".into(),
            tid,
            frame_id: 0,
            exec_id: 1,
            frame_kind: FRAME_KIND_PYTHON,
            repr_kind: ReprKind::Normal,
            module_name: None,
            print_result: false,
        },
        Command::EnumChildren { text: "items".into(), tid, frame_id: 0, exec_id: 2, frame_kind: FRAME_KIND_PYTHON },
        Command::SetBreakpoint {
            id: 1,
            line: 33,
            file: "/srv/app.py".into(),
            condition: Condition::always(),
            pass_count: PassCount::always(),
        },
        Command::ResumeAll,
    ]
}

/// Hands out the stream in the planned pieces and checks the buffer against what was fed.
struct Feeder<'a> {
    stream: &'a [u8],
    sizes: std::iter::Copied<std::slice::Iter<'a, usize>>,
    fed: usize,
}

impl<'a> Feeder<'a> {
    fn new(stream: &'a [u8], sizes: &'a [usize]) -> Self {
        Feeder { stream, sizes: sizes.iter().copied(), fed: 0 }
    }

    /// Appends the next piece to `buf`; false once everything has been fed.
    fn feed(&mut self, buf: &mut BytesMut) -> bool {
        let left = self.stream.len() - self.fed;
        if left == 0 {
            return false;
        }
        let size = self.sizes.next().unwrap_or(left).clamp(1, left);
        buf.extend_from_slice(&self.stream[self.fed..self.fed + size]);
        self.fed += size;
        self.check(buf);
        true
    }

    fn check(&self, buf: &BytesMut) {
        assert!(buf.len() <= self.fed, "the buffer holds {} bytes, but only {} were fed", buf.len(), self.fed);
        assert!(
            buf.capacity() <= 4 * self.fed + 4096,
            "the buffer's capacity grew to {} for {} bytes fed",
            buf.capacity(),
            self.fed
        );
    }
}

/// Checks one decode call's effect on the buffer.
fn after_decode(feeder: &Feeder, buf: &BytesMut, before: usize, produced: bool, none_leaves_buffer: bool, what: &str) {
    feeder.check(buf);
    assert!(buf.len() <= before, "{what} grew the buffer from {before} to {} bytes", buf.len());
    if produced {
        assert!(buf.len() < before, "{what} returned something without consuming a byte (a decode loop would spin)");
    } else if none_leaves_buffer {
        assert_eq!(buf.len(), before, "{what} returned Ok(None) but consumed bytes");
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    /// Waiting for the reply to the secret.
    Authenticate,
    /// Waiting for the reply to a back-out handshake; the adapter closes after it.
    BackOut,
    /// Waiting for the reply to `ATCH` (or `INFO`, which ends the connection).
    Attach,
    Session,
    Done,
}

/// The debuggee side, as `session/connect.rs` (greeting, handshake) and `session/debuggee/link.rs`
/// (events) drive it. `variant` bit 0: ask for `INFO` instead of attaching.
///
/// `v6`: the codec is protocol 6, whose `Ok(None)` leaves the buffer untouched (the JSON codec
/// may consume acknowledgements and still return `Ok(None)`); after a greeting, the greeting
/// decides.
fn run_wire(feeder: &mut Feeder, start: Phase, mut codec: Box<dyn Codec>, variant: u8, v6: bool) -> Outcome {
    let mut outcome = Outcome::default();
    let mut buf = BytesMut::new();
    let mut phase = start;
    let goal_info = variant & 1 != 0;
    let mut none_leaves_buffer = v6;
    match phase {
        Phase::Authenticate => encode(codec.as_mut(), &Command::Authenticate { secret: Secret::new("s") }),
        Phase::BackOut => encode(codec.as_mut(), &Command::AuthenticateToBackOut),
        Phase::Session => session_commands().iter().for_each(|command| encode(codec.as_mut(), command)),
        _ => {}
    }
    loop {
        if phase == Phase::Done {
            outcome.end.get_or_insert(End::Exhausted);
            return outcome;
        }
        let before = buf.len();
        if phase == Phase::Greeting {
            match detect_greeting(&mut buf) {
                Ok(Some(greeting)) => {
                    after_decode(feeder, &buf, before, true, true, "detect_greeting");
                    codec = greeting.codec();
                    none_leaves_buffer = matches!(
                        greeting,
                        Greeting::Supported(Generation::V6) | Greeting::Unsupported { binary: true, .. }
                    );
                    phase = match greeting {
                        Greeting::Supported(_) => {
                            encode(codec.as_mut(), &Command::Authenticate { secret: Secret::new("s") });
                            Phase::Authenticate
                        }
                        Greeting::Unsupported { .. } => {
                            encode(codec.as_mut(), &Command::AuthenticateToBackOut);
                            Phase::BackOut
                        }
                    };
                    outcome.greeting = Some(greeting);
                }
                Ok(None) => {
                    after_decode(feeder, &buf, before, false, true, "detect_greeting");
                    if !feeder.feed(&mut buf) {
                        phase = Phase::Done;
                    }
                }
                Err(error) => {
                    outcome.end = Some(End::Decode(error));
                    return outcome;
                }
            }
            continue;
        }
        match codec.decode(&mut buf) {
            Ok(Some(event)) => {
                after_decode(feeder, &buf, before, true, none_leaves_buffer, "decode");
                let next = match (phase, &event) {
                    (Phase::Session, _) => Phase::Session,
                    (_, Event::Ignored { .. }) => phase,
                    (Phase::Authenticate, Event::Authenticated { accepted: true }) => {
                        let command = if goal_info { Command::RemoteInfo } else { attach() };
                        encode(codec.as_mut(), &command);
                        Phase::Attach
                    }
                    (Phase::Attach, Event::Attached(Some(_))) => {
                        session_commands().iter().for_each(|command| encode(codec.as_mut(), command));
                        Phase::Session
                    }
                    (Phase::Attach, Event::RemoteInfo(_)) | (Phase::BackOut, _) => {
                        outcome.end = Some(End::Handshake("closed after the reply".into()));
                        Phase::Done
                    }
                    (_, other) => {
                        outcome.end = Some(End::Handshake(format!("unexpected reply {other:?}")));
                        Phase::Done
                    }
                };
                outcome.events.push(event);
                phase = next;
            }
            Ok(None) => {
                after_decode(feeder, &buf, before, false, none_leaves_buffer, "decode");
                if !feeder.feed(&mut buf) {
                    phase = Phase::Done;
                }
            }
            Err(error) => {
                after_decode(feeder, &buf, before, false, false, "decode");
                outcome.end = Some(End::Decode(error));
                return outcome;
            }
        }
    }
}

/// The editor side, as `dap/server.rs::read_requests` drives it.
fn run_dap(feeder: &mut Feeder) -> Outcome {
    let mut outcome = Outcome::default();
    let mut buf = BytesMut::new();
    loop {
        let before = buf.len();
        match decode_frame(&mut buf) {
            Ok(Some(body)) => {
                after_decode(feeder, &buf, before, true, true, "decode_frame");
                let summary = match parse_request(&body) {
                    Ok(request) => {
                        let typed = match request.command.as_str() {
                            "setBreakpoints" => {
                                format!("{:?}", request.arguments::<dap_types::SetBreakpointsArguments>())
                            }
                            "evaluate" => format!("{:?}", request.arguments::<dap_types::EvaluateArguments>()),
                            "stackTrace" => format!("{:?}", request.arguments::<dap_types::StackTraceArguments>()),
                            "variables" => format!("{:?}", request.arguments::<dap_types::VariablesArguments>()),
                            "scopes" => format!("{:?}", request.arguments::<dap_types::ScopesArguments>()),
                            "continue" => format!("{:?}", request.arguments::<dap_types::ContinueArguments>()),
                            _ => String::new(),
                        };
                        format!("request {} {:?} {typed}", request.seq, request.command)
                    }
                    Err(error) => format!("malformed {error:?}"),
                };
                outcome.requests.push((body, summary));
            }
            Ok(None) => {
                after_decode(feeder, &buf, before, false, true, "decode_frame");
                if !feeder.feed(&mut buf) {
                    outcome.end = Some(End::Exhausted);
                    return outcome;
                }
            }
            Err(error) => {
                outcome.end = Some(End::Framing(error));
                return outcome;
            }
        }
    }
}
