//! ptvsd's exception traceback (`trace` in `EXC2`/`legacyException`, §6.2) as Python prints it.
//! Each line is `repr(file),line,repr(function),repr(source)`.

/// `'/srv/app.py',8,'raiser',"raise ValueError()"` lines → `File "...", line 8, in raiser` blocks,
/// each file name as `local_path` maps it (the editor links them to its own files).
/// Lines that do not parse are kept as they are.
pub fn format_trace(trace: &str, local_path: impl Fn(&str) -> String) -> String {
    let mut out = String::from("Traceback (most recent call last):\n");
    for line in trace.lines().filter(|line| !line.trim().is_empty()) {
        match parse_entry(line) {
            Some((file, number, function, source)) => {
                out.push_str(&format!("  File \"{}\", line {number}, in {function}\n", local_path(&file)));
                if !source.is_empty() {
                    out.push_str(&format!("    {}\n", source.trim()));
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn parse_entry(line: &str) -> Option<(String, i64, String, String)> {
    let (file, rest) = python_string(line)?;
    let rest = rest.strip_prefix(',')?;
    let (number, rest) = rest.split_once(',')?;
    let (function, rest) = python_string(rest)?;
    let rest = rest.strip_prefix(',')?;
    let source = python_string(rest).map(|(source, _)| source).unwrap_or_default();
    Some((file, number.trim().parse().ok()?, function, source))
}

/// Reads one Python string literal as `repr` writes it (`'..'` or `".."`, with backslash escapes,
/// and Python 2's `u`/`b` prefixes) from the start of `text`; returns its value and the rest.
/// Python 2 quotes the bytes of a `str` (`'caf\xc3\xa9'`, a source line): a run of `\xNN` is
/// read as UTF-8, else one character per byte, as §2.1 reads byte strings.
fn python_string(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let (unicode, text) = match text.strip_prefix(['u', 'U']) {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix(['b', 'B']).unwrap_or(text)),
    };
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    // The `\xNN` bytes of a run not yet decoded.
    let mut bytes = Vec::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((index, c)) = chars.next() {
        if c != '\\' {
            flush_bytes(&mut bytes, &mut value);
            if c == quote {
                return Some((value, &text[index + 1..]));
            }
            value.push(c);
            continue;
        }
        let (_, escape) = chars.next()?;
        let digits = match escape {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if digits == 0 {
            flush_bytes(&mut bytes, &mut value);
            value.push(match escape {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
            continue;
        }
        let hex: String = (0..digits).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
        let code = u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == digits)?;
        match u8::try_from(code) {
            Ok(byte) if escape == 'x' && !unicode => bytes.push(byte),
            _ => {
                flush_bytes(&mut bytes, &mut value);
                value.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }
    None
}

/// Appends the pending `\xNN` bytes to `value`: as UTF-8 when they are, else as Latin-1.
fn flush_bytes(bytes: &mut Vec<u8>, value: &mut String) {
    match std::str::from_utf8(bytes) {
        Ok(text) => value.push_str(text),
        Err(_) => value.extend(bytes.iter().map(|&byte| char::from(byte))),
    }
    bytes.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::paths::{PathMapper, PathMapping};

    #[test]
    fn formats_like_python_with_local_paths() {
        let paths = PathMapper::new(vec![PathMapping::new("/home/me/app", "/srv/app")]);
        let trace = "'/srv/app/app2.py',8,'raiser',\"raise ValueError('bad %d' % n)\"\n'/srv/app/main.py',3,'<module>','raiser(1)'";
        assert_eq!(
            format_trace(trace, |file| paths.to_local(file)),
            "Traceback (most recent call last):\n  File \"/home/me/app/app2.py\", line 8, in raiser\n    raise ValueError('bad %d' % n)\n  File \"/home/me/app/main.py\", line 3, in <module>\n    raiser(1)\n"
        );
        assert!(format_trace("garbage", |file| paths.to_local(file)).ends_with("garbage\n"));
    }

    /// Python 2 quotes a source line's bytes; `u''` and Python 3 quote characters.
    #[test]
    fn python2_byte_escapes_read_as_utf8() {
        let trace = r#"'/srv/app.py',8,'fail',"raise ValueError('caf\xc3\xa9 \xe2\x98\x95')""#;
        assert!(format_trace(trace, str::to_string).ends_with("    raise ValueError('café ☕')\n"));
        let latin1 = r"'/srv/caf\xe9.py',1,u'f',u'x = u\'caf\xe9 \u2615\''";
        assert_eq!(
            format_trace(latin1, str::to_string),
            "Traceback (most recent call last):\n  File \"/srv/café.py\", line 1, in f\n    x = u'café ☕'\n"
        );
        let python3 = r"'/srv/app.py',2,'f','print(\'\x01\\\tend\')'";
        assert!(format_trace(python3, str::to_string).ends_with("    print('\u{1}\\\tend')\n"));
        let cut = r"'/srv/app.py',2,'f','\x4'";
        assert!(format_trace(cut, str::to_string).ends_with(", in f\n"), "a source that does not parse is left out");
    }
}
