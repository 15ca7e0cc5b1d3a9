//! Micro-benchmarks of ptvsd-dap's hot paths, through the crate's public API:
//! decoding a large stop (`THRF`) and a large `CHLD` in both wire generations, whole and (protocol
//! 6) in the small pieces a relay delivers, encoding the commands and DAP messages the adapter
//! sends most, and answering `stackTrace` from the frames a stop carries.
//! `cargo bench --bench hot_paths`.

use bytes::{BufMut, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::{json, Value};

use ptvsd_dap::dap::bodies;
use ptvsd_dap::dap::codec::{decode_frame, encode_frame};
use ptvsd_dap::dap::message::{parse_request, Outgoing};
use ptvsd_dap::wire::json::JsonCodec;
use ptvsd_dap::wire::model::{Command, Event, Frame};
use ptvsd_dap::wire::v6::V6Codec;
use ptvsd_dap::wire::Codec;

const TID: i64 = 0x7f51_c5dc_3b80;
/// A stop as deep as a web request's: 30 frames of 12 locals, one holding a long repr.
const STOP: Stack = Stack { frames: 30, locals: 12 };
/// A deep stop with many locals (a framework's request stack around a data-heavy view).
const LARGE_STOP: Stack = Stack { frames: 80, locals: 40 };
const CHILDREN: usize = 1000;
/// ptvsd 3.0.0 writes every field with its own `sendall`, so through a relay a stop reaches the
/// adapter in pieces of about this size (`docs/protocol.md` §1.2).
const PIECE: usize = 150;

/// The shape of a stop's frame list.
#[derive(Clone, Copy)]
struct Stack {
    frames: usize,
    locals: usize,
}

impl Stack {
    fn name(self) -> String {
        format!("{} frames x {} locals", self.frames, self.locals)
    }
}

/// Debuggee-side v6 bytes (§2.1): big-endian int64s, strings with a type prefix.
#[derive(Default)]
struct V6(BytesMut);

impl V6 {
    fn tag(mut self, tag: &[u8; 4]) -> Self {
        self.0.put_slice(tag);
        self
    }
    fn int(mut self, value: i64) -> Self {
        self.0.put_i64(value);
        self
    }
    fn text(mut self, text: &str) -> Self {
        self.0.put_u8(b'U');
        self.0.put_i64(text.len() as i64);
        self.0.put_slice(text.as_bytes());
        self
    }
    fn none(mut self) -> Self {
        self.0.put_u8(b'N');
        self
    }
    /// `write_object`: repr, hex repr, type name, length, flags.
    fn obj(self, repr: &str, type_name: &str, length: i64, flags: i64) -> Self {
        self.text(repr).none().text(type_name).int(length).int(flags)
    }
}

fn local(frame: usize, local: usize) -> (String, String, &'static str, i64, i64) {
    if local == 0 {
        let repr = format!("[{}, ...]", (0..200).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
        (format!("items{frame}"), repr, "list", 1000, 1)
    } else {
        (format!("value_{frame}_{local}"), format!("'a string local number {local}'"), "str", 24, 0)
    }
}

fn v6_stop(stack: Stack) -> BytesMut {
    let mut b = V6::default().tag(b"THRF").int(TID).text("MainThread").int(stack.frames as i64);
    for f in 0..stack.frames {
        b = b.int(10 * f as i64).int(0).int(10 * f as i64 + 3).text(&format!("handler_{f}"));
        b = b.text(&format!("/home/site/wwwroot/app/module_{f}.py")).int(2).int(1).int(stack.locals as i64);
        for l in 0..stack.locals {
            let (name, repr, type_name, length, flags) = local(f, l);
            b = b.text(&name).obj(&repr, type_name, length, flags);
        }
    }
    b.tag(b"BRKH").int(1).int(TID).0
}

fn v6_children() -> BytesMut {
    let mut b = V6::default().tag(b"CHLD").int(7).int(CHILDREN as i64);
    for i in 0..CHILDREN {
        b = b.text(&format!("[{i}]")).text(&format!("items[{i}]")).obj(&i.to_string(), "int", 0, 0);
    }
    b.0
}

fn json_frame(body: &Value) -> BytesMut {
    let text = body.to_string();
    let mut out = BytesMut::new();
    out.put_slice(format!("Content-Length: {}\r\n\r\n", text.len()).as_bytes());
    out.put_slice(text.as_bytes());
    out
}

fn obj_json(repr: &str, type_name: &str, length: i64, flags: i64) -> Value {
    json!({"objRepr": repr, "hexRepr": null, "typeName": type_name, "length": length, "flags": flags})
}

fn json_stop(stack: Stack) -> BytesMut {
    let frames: Vec<Value> = (0..stack.frames)
        .map(|f| {
            let variables: Vec<Value> = (0..stack.locals)
                .map(|l| {
                    let (name, repr, type_name, length, flags) = local(f, l);
                    json!({"name": name, "obj": obj_json(&repr, type_name, length, flags)})
                })
                .collect();
            json!({"startLine": 10 * f, "endLine": 0, "lineNo": 10 * f + 3, "frameName": format!("handler_{f}"),
                   "fileName": format!("/home/site/wwwroot/app/module_{f}.py"), "argCount": 2, "frameKind": 1, "variables": variables})
        })
        .collect();
    json_frame(&json!({"type": "event", "seq": 5, "event": "legacyThreadFrameList",
                       "body": {"threadId": TID, "threadName": "MainThread", "threadFrames": frames}}))
}

fn json_children() -> BytesMut {
    let children: Vec<Value> = (0..CHILDREN)
        .map(|i| json!({"name": format!("[{i}]"), "expression": format!("items[{i}]"), "obj": obj_json(&i.to_string(), "int", 0, 0)}))
        .collect();
    json_frame(
        &json!({"type": "event", "seq": 9, "event": "legacyEnumChildrenResult", "body": {"executionId": 7, "children": children}}),
    )
}

/// A v6 codec past its handshake: it has sent ATCH and read the ACPT reply.
fn v6_session() -> V6Codec {
    let mut codec = V6Codec::new();
    codec.encode(&Command::Attach { debug_options: "RedirectOutput".into() }, &mut BytesMut::new());
    let mut reply = V6::default().tag(b"ACPT").int(1).int(3).int(11).int(7).0;
    assert!(matches!(codec.decode(&mut reply), Ok(Some(Event::Attached(Some(_))))));
    codec
}

/// Decodes every event in `buf`, received at once. (Not inlined, so that a profiler such as
/// `valgrind --tool=callgrind` can count its instructions per call.)
#[inline(never)]
fn decode_all(codec: &mut dyn Codec, mut buf: BytesMut) -> usize {
    let mut n = 0;
    while let Some(event) = codec.decode(&mut buf).expect("a valid stream") {
        std::hint::black_box(&event);
        n += 1;
    }
    n
}

/// Decodes every event in `bytes`, received in pieces of `piece` bytes, decoding after each
/// as the session does.
#[inline(never)]
fn decode_in_pieces(codec: &mut dyn Codec, bytes: &[u8], piece: usize) -> usize {
    let mut buf = BytesMut::new();
    let mut n = 0;
    for piece in bytes.chunks(piece) {
        buf.extend_from_slice(piece);
        while let Some(event) = codec.decode(&mut buf).expect("a valid stream") {
            std::hint::black_box(&event);
            n += 1;
        }
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    n
}

/// The protocol 6 messages timed whole and in pieces: a stop is the one that grows with the
/// program (every frame and local), so it comes in two sizes.
fn v6_messages() -> [(String, BytesMut); 3] {
    [
        (format!("v6 THRF+BRKH ({})", STOP.name()), v6_stop(STOP)),
        (format!("v6 THRF+BRKH ({})", LARGE_STOP.name()), v6_stop(LARGE_STOP)),
        (format!("v6 CHLD ({CHILDREN} children)"), v6_children()),
    ]
}

fn decoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let json_cases = [
        (format!("json THRF ({})", STOP.name()), json_stop(STOP)),
        (format!("json CHLD ({CHILDREN} children)"), json_children()),
    ];
    for (name, bytes) in v6_messages() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut codec = v6_session();
        group.bench_function(name, |b| {
            b.iter_batched(|| bytes.clone(), |buf| decode_all(&mut codec, buf), BatchSize::SmallInput)
        });
    }
    for (name, bytes) in json_cases {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut codec = JsonCodec::new(8);
        group.bench_function(name, |b| {
            b.iter_batched(|| bytes.clone(), |buf| decode_all(&mut codec, buf), BatchSize::SmallInput)
        });
    }
    group.finish();
    // The same protocol 6 messages as they reach the adapter through a relay: in small pieces,
    // decoded after each. An incremental decoder makes this cost about what the whole does.
    let mut group = c.benchmark_group(format!("decode in {PIECE}-byte pieces"));
    // A decoder that re-parses per piece takes seconds on the large stop: fewer samples.
    group.sample_size(20);
    for (name, bytes) in v6_messages() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut codec = v6_session();
        group.bench_function(name, |b| b.iter(|| decode_in_pieces(&mut codec, &bytes, PIECE)));
    }
    group.finish();
}

fn encoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let commands = [
        Command::StepOver { tid: TID },
        Command::EnumChildren { text: "items".into(), tid: TID, frame_id: 0, exec_id: 7, frame_kind: 1 },
        Command::ResumeAll,
    ];
    let mut v6 = V6Codec::new();
    let mut json = JsonCodec::new(8);
    group.bench_function("v6 next + chld + resa", |b| {
        b.iter(|| {
            let mut out = BytesMut::new();
            commands.iter().for_each(|command| v6.encode(command, &mut out));
            out
        })
    });
    group.bench_function("json next + chld + resa", |b| {
        b.iter(|| {
            let mut out = BytesMut::new();
            commands.iter().for_each(|command| json.encode(command, &mut out));
            out
        })
    });
    let variables: Vec<dap_types::Variable> = (0..CHILDREN)
        .map(|i| {
            bodies::variable(format!("[{i}]"), i.to_string(), Some("int".into()), Some(format!("items[{i}]")), 0, None)
        })
        .collect();
    group.bench_function("DAP variables response (1,000 children)", |b| {
        b.iter(|| {
            let message = Outgoing::Response {
                request_seq: 12,
                command: "variables".into(),
                result: Ok(Some(json!({ "variables": variables }))),
            };
            encode_frame(message.to_json(40).to_string().as_bytes())
        })
    });
    let text = "x".repeat(4095) + "\n";
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("DAP output event (4 KiB)", |b| {
        b.iter(|| {
            let event = Outgoing::event::<dap_types::events::Output>(bodies::output(
                dap_types::OutputEventCategory::Stdout,
                text.clone(),
            ));
            encode_frame(event.to_json(41).to_string().as_bytes())
        })
    });
    group.finish();
}

/// `stackTrace` answered from the frames of the last stop, as the session does it: frame the
/// request, parse it, build the frames from the cached `THRF`, write the framed response.
/// (The session's own handler and its caches are private; this is the same work through the
/// public pieces.)
fn stack_trace(c: &mut Criterion) {
    let mut codec = v6_session();
    let frames: Vec<Frame> = match codec.decode(&mut v6_stop(STOP)) {
        Ok(Some(Event::ThreadFrames { frames, .. })) => frames,
        other => panic!("expected THRF, got {other:?}"),
    };
    let request = encode_frame(
        br#"{"seq":31,"type":"request","command":"stackTrace","arguments":{"threadId":1,"startFrame":0,"levels":20}}"#,
    );
    c.bench_function("stackTrace from cache (20 of 30 frames)", |b| {
        b.iter(|| {
            let mut input = BytesMut::from(&request[..]);
            let body = decode_frame(&mut input).expect("frame").expect("complete");
            let request = parse_request(&body).expect("request");
            let levels = request.arguments["levels"].as_u64().unwrap_or(u64::MAX) as usize;
            let stack_frames: Vec<_> = frames
                .iter()
                .enumerate()
                .take(levels)
                .map(|(i, f)| {
                    bodies::stack_frame(i as u64 + 1, f.name.clone(), bodies::source(f.file.clone()), f.line as u64)
                })
                .collect();
            let response = Outgoing::Response {
                request_seq: request.seq,
                command: request.command,
                result: Ok(Some(json!({"stackFrames": stack_frames, "totalFrames": frames.len()}))),
            };
            encode_frame(response.to_json(77).to_string().as_bytes())
        })
    });
}

criterion_group!(benches, decoding, encoding, stack_trace);
criterion_main!(benches);
