//! Micro-benchmarks of ptvsd-dap's hot paths, through the crate's public API:
//! decoding a large stop (`THRF`) and a large `CHLD` in both wire generations, encoding the
//! commands and DAP messages the adapter sends most, and answering `stackTrace` from the frames
//! a stop carries. `cargo bench --bench hot_paths`.

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
const FRAMES: usize = 30;
const LOCALS: usize = 12;
const CHILDREN: usize = 1000;

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

fn v6_stop() -> BytesMut {
    let mut b = V6::default().tag(b"THRF").int(TID).text("MainThread").int(FRAMES as i64);
    for f in 0..FRAMES {
        b = b.int(10 * f as i64).int(0).int(10 * f as i64 + 3).text(&format!("handler_{f}"));
        b = b.text(&format!("/home/site/wwwroot/app/module_{f}.py")).int(2).int(1).int(LOCALS as i64);
        for l in 0..LOCALS {
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

fn json_stop() -> BytesMut {
    let frames: Vec<Value> = (0..FRAMES)
        .map(|f| {
            let variables: Vec<Value> = (0..LOCALS)
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

fn decode_all(codec: &mut dyn Codec, mut buf: BytesMut) -> usize {
    let mut n = 0;
    while let Some(event) = codec.decode(&mut buf).expect("a valid stream") {
        std::hint::black_box(&event);
        n += 1;
    }
    n
}

fn decoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let cases: [(&str, BytesMut, bool); 4] = [
        ("v6 THRF+BRKH (30 frames x 12 locals)", v6_stop(), true),
        ("v6 CHLD (1,000 children)", v6_children(), true),
        ("json THRF (30 frames x 12 locals)", json_stop(), false),
        ("json CHLD (1,000 children)", json_children(), false),
    ];
    for (name, bytes, v6) in cases {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut v6_codec = v6_session();
        let mut json_codec = JsonCodec::new(8);
        group.bench_function(name, |b| {
            b.iter_batched(
                || bytes.clone(),
                |buf| if v6 { decode_all(&mut v6_codec, buf) } else { decode_all(&mut json_codec, buf) },
                BatchSize::SmallInput,
            )
        });
    }
    // The same messages as they reach the adapter through a relay from ptvsd 3.0.0, which
    // writes every field with its own sendall: in pieces of ~150 bytes, decoded after each.
    for (name, bytes) in
        [("v6 THRF+BRKH in 150-byte pieces", v6_stop()), ("v6 CHLD (1,000 children) in 150-byte pieces", v6_children())]
    {
        let mut codec = v6_session();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut buf = BytesMut::new();
                let mut n = 0;
                for piece in bytes.chunks(150) {
                    buf.extend_from_slice(piece);
                    while let Some(event) = codec.decode(&mut buf).expect("valid") {
                        std::hint::black_box(&event);
                        n += 1;
                    }
                }
                n
            })
        });
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
            let event = Outgoing::event("output", bodies::output(dap_types::OutputEventCategory::Stdout, text.clone()));
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
    let frames: Vec<Frame> = match codec.decode(&mut v6_stop()) {
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
