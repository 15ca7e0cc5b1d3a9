//! Turns the captures of `fuzz/capture.py` into seed inputs for every target.
//!
//! Usage: make_corpus CAPTURE_DIR OUT_DIR
//!
//! For each `<release>.wire` (debuggee → adapter) it finds the greeting, handshake and event
//! boundaries with the real decoders and writes, under `OUT_DIR/<target>/`:
//! - `greeting`: the stream from its start, cut after the first event past 1 KiB;
//! - `v6_handshake` (protocol 6) or `json` (7/8): the stream after the greeting, cut likewise;
//! - `v6_session` (protocol 6) or `json` (session variant): the rest after the attach reply,
//!   in pieces of about 1 KiB cut at event boundaries.
//!
//! and for each `<release>.dap` (editor → adapter) the frames in pieces of about 1 KiB under
//! `dap/`. Every file starts with the harness's two control bytes (chunking, variant).
//! Minimise the result with libFuzzer's `-merge=1` (see README.md).

use std::path::Path;

use bytes::BytesMut;
use ptvsd_dap::config::Secret;
use ptvsd_dap::dap::codec::decode_frame;
use ptvsd_dap::wire::generation::{detect_greeting, Generation, Greeting};
use ptvsd_dap::wire::model::{Command, Event};

const PIECE: usize = 1024;
/// Chunking seeds given to successive pieces: whole, 1–16, 1–4096, and single bytes.
const SEEDS: [u8; 4] = [0, 2, 3, 1];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [captures, out] = &args[..] else {
        eprintln!("usage: make_corpus CAPTURE_DIR OUT_DIR");
        std::process::exit(2);
    };
    let mut names: Vec<_> = std::fs::read_dir(captures)
        .expect("capture dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    names.sort();
    let mut written = 0;
    for path in names {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("capture").to_string();
        let data = std::fs::read(&path).expect("capture file");
        match path.extension().and_then(|e| e.to_str()) {
            Some("wire") => written += wire(&stem, &data, Path::new(out)),
            Some("dap") => written += dap(&stem, &data, Path::new(out)),
            _ => {}
        }
    }
    written += synthetic(Path::new(out));
    eprintln!("make_corpus: {written} files written under {out}");
}

fn write(out: &Path, target: &str, name: &str, seed: u8, variant: u8, stream: &[u8]) -> usize {
    let dir = out.join(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let mut data = vec![seed, variant];
    data.extend_from_slice(stream);
    std::fs::write(dir.join(name), data).expect("corpus file");
    1
}

/// The first boundary at or past `from + PIECE` (or the last one).
fn cut(boundaries: &[usize], from: usize) -> usize {
    boundaries.iter().copied().find(|&b| b >= from + PIECE).unwrap_or_else(|| *boundaries.last().unwrap_or(&from))
}

/// Splits `[start, end)` into pieces of about PIECE bytes at the given boundaries.
fn pieces(boundaries: &[usize], start: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = start;
    for &b in boundaries.iter().filter(|&&b| b > start) {
        if b - from >= PIECE {
            out.push((from, b));
            from = b;
        }
    }
    if let Some(&last) = boundaries.last() {
        if last > from {
            out.push((from, last));
        }
    }
    out
}

fn wire(stem: &str, stream: &[u8], out: &Path) -> usize {
    let mut buf = BytesMut::from(stream);
    let greeting = match detect_greeting(&mut buf) {
        Ok(Some(greeting)) => greeting,
        other => panic!("{stem}: no greeting: {other:?}"),
    };
    let greeting_len = stream.len() - buf.len();
    let Greeting::Supported(generation) = greeting else { panic!("{stem}: unsupported greeting {greeting:?}") };
    let mut codec = generation.codec();
    let mut scratch = BytesMut::new();
    codec.encode(&Command::Authenticate { secret: Secret::new("s") }, &mut scratch);
    // Byte offsets (in `stream`) after each decoded event; the attach reply's end.
    let mut boundaries = Vec::new();
    let mut attach_end = None;
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(event)) => {
                boundaries.push(stream.len() - buf.len());
                match event {
                    Event::Authenticated { accepted: true } => {
                        codec.encode(&Command::Attach { debug_options: "RedirectOutput".into() }, &mut scratch)
                    }
                    Event::Attached(Some(_)) => attach_end = Some(stream.len() - buf.len()),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(error) => panic!("{stem}: the capture does not decode at {}: {error}", stream.len() - buf.len()),
        }
    }
    let attach_end = attach_end.unwrap_or_else(|| panic!("{stem}: no attach reply"));
    let mut written = 0;
    written += write(out, "greeting", &format!("{stem}-start"), 0, 0, &stream[..cut(&boundaries, 0)]);
    let (handshake_target, session_target, session_variant, handshake_variant) = match generation {
        Generation::V6 => ("v6_handshake", "v6_session", 0, 0),
        Generation::V7 => ("json", "json", 2, 0),
        Generation::V8 => ("json", "json", 3, 1),
    };
    let handshake = &stream[greeting_len..cut(&boundaries, greeting_len)];
    written += write(out, handshake_target, &format!("{stem}-handshake"), 0, handshake_variant, handshake);
    for (i, (from, to)) in pieces(&boundaries, attach_end).into_iter().enumerate() {
        let name = format!("{stem}-session-{i:03}");
        written += write(out, session_target, &name, SEEDS[i % SEEDS.len()], session_variant, &stream[from..to]);
    }
    written
}

fn dap(stem: &str, stream: &[u8], out: &Path) -> usize {
    let mut buf = BytesMut::from(stream);
    let mut boundaries = Vec::new();
    while let Some(_) = decode_frame(&mut buf).unwrap_or_else(|error| panic!("{stem}: {error}")) {
        boundaries.push(stream.len() - buf.len());
    }
    pieces(&boundaries, 0)
        .into_iter()
        .enumerate()
        .map(|(i, (from, to))| write(out, "dap", &format!("{stem}-{i:03}"), SEEDS[i % SEEDS.len()], 0, &stream[from..to]))
        .sum()
}

/// A few hand-made seeds for paths no real session takes: unsupported greetings, refusals.
fn synthetic(out: &Path) -> usize {
    let int = |v: i64| v.to_be_bytes().to_vec();
    let json = |body: &str| format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes();
    let mut written = 0;
    let mut old = b"PTVSDBG".to_vec();
    old.extend(int(4));
    old.extend(b"RJCT");
    written += write(out, "greeting", "synthetic-protocol4-backout", 0, 0, &old);
    let mut refused = b"PTVSDBG".to_vec();
    refused.extend(int(6));
    refused.extend(b"ACPTRJCT");
    written += write(out, "greeting", "synthetic-v6-attach-refused", 0, 0, &refused);
    let mut info = b"ACPT".to_vec();
    info.extend(int(4242));
    for text in ["/usr/bin/python3", "app", "CPython 3.11.7"] {
        info.push(b'U');
        info.extend(int(text.len() as i64));
        info.extend(text.as_bytes());
    }
    written += write(out, "v6_handshake", "synthetic-info", 0, 1, &info);
    let mut json_info = json(r#"{"type":"event","seq":1,"event":"legacyRemoteConnected","body":{"debuggerProtocolVersion":9}}"#);
    json_info.extend(json(r#"{"type":"response","seq":2,"request_seq":1,"success":false,"command":"legacyRemoteDebuggerAuthorize","message":"x"}"#));
    written += write(out, "greeting", "synthetic-json9-backout", 0, 0, &json_info);
    let mut remote = json(r#"{"type":"response","seq":1,"request_seq":1,"success":true,"command":"legacyRemoteDebuggerAuthorize","body":{"accepted":true}}"#);
    remote.extend(json(r#"{"type":"response","seq":2,"request_seq":2,"success":true,"command":"legacyRemoteDebuggerInfo","body":{"processId":4242,"executable":"/usr/bin/python3","user":"app","pythonVersion":"3.11.7"}}"#));
    written += write(out, "json", "synthetic-info", 0, 5, &remote);
    let replies = [
        r#"{"type":"response","seq":3,"request_seq":3,"success":true,"command":"legacyGetBreakpointHitCount","body":{"requestId":9,"hitCount":4}}"#,
        r#"{"type":"response","seq":4,"request_seq":4,"success":true,"command":"legacySetLineNumber","body":{"result":1,"threadId":1,"newLineNo":30}}"#,
        r#"{"type":"response","seq":5,"request_seq":5,"success":false,"command":"legacyExecuteText","message":"Traceback"}"#,
        r#"{"type":"event","seq":6,"event":"legacySomethingNew","body":{"x":[1,2,{"y":null}]}}"#,
        r#"{"type":"mystery","seq":7}"#,
    ];
    written += write(out, "json", "synthetic-replies", 0, 3, &replies.iter().flat_map(|r| json(r)).collect::<Vec<_>>());
    written
}
