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

/// Reads one Python string literal (`'..'` or `".."`, with backslash escapes) from the start of
/// `text`; returns its value and the rest.
fn python_string(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => value.push(other),
                None => return None,
            },
            c if c == quote => return Some((value, &text[index + 1..])),
            c => value.push(c),
        }
    }
    None
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
}
