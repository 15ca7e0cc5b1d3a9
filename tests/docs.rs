//! The project's documents agree with its code (fast, no Python):
//! - every `§` cited in the code names a section heading of `docs/protocol.md` (and every
//!   `§N item K` a numbered item of that section), and no comment cites a protocol document
//!   outside the repository;
//! - every path in ARCHITECTURE.md's code map exists, and every folder under `src/` is in it;
//! - the source files and the end-to-end tests docs/protocol.md names exist.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

/// The protocol reference every `§` points into.
const PROTOCOL_DOC: &str = "docs/protocol.md";
/// Where `§` citations are looked for: the code, and the documents that may cite sections.
const CITING: [&str; 6] = ["src", "tests", "benches", "README.md", "ARCHITECTURE.md", PROTOCOL_DOC];
/// Protocol documents that are not in the repository: the protocol as first described to the
/// project, and the notes now merged into docs/protocol.md. Naming them sends a reader nowhere.
/// Split so that this file does not name them.
const GONE_DOCUMENTS: [&str; 2] = [concat!("ptvsd-", "protocol.md"), concat!("protocol-", "notes.md")];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = repo().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// `relative` and everything under it, as repository paths with whether each is a folder,
/// sorted; hidden entries and `target` are skipped.
fn tree(relative: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut pending = vec![relative.to_string()];
    while let Some(path) = pending.pop() {
        let full = repo().join(&path);
        found.push((path.clone(), full.is_dir()));
        let Ok(entries) = fs::read_dir(&full) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && name != "target" {
                pending.push(format!("{path}/{name}"));
            }
        }
    }
    found.sort();
    found
}

/// Every file under `relative` (or `relative` itself if it is a file).
fn files_under(relative: &str) -> Vec<String> {
    tree(relative).into_iter().filter(|(_, is_folder)| !is_folder).map(|(path, _)| path).collect()
}

/// Every folder under `src/`, as `src/a/b`.
fn folders_under_src() -> Vec<String> {
    tree("src").into_iter().filter(|(path, is_folder)| *is_folder && path != "src").map(|(path, _)| path).collect()
}

/// The text between pairs of backticks in a line of Markdown.
fn backticked(line: &str) -> impl Iterator<Item = &str> {
    line.split('`').skip(1).step_by(2)
}

/// Only characters of the repository's paths (and `*` for a pattern), and no way up (`..`).
fn has_path_chars(token: &str) -> bool {
    !token.is_empty()
        && !token.contains("..")
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./*".contains(&b))
}

/// The lines of a Markdown text with their 1-based numbers, fenced code blocks left out.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// A section number at the start of `text` (`9`, `9.8`, `9.8.1`), and the rest of `text`.
fn leading_number(text: &str) -> Option<(String, &str)> {
    let mut end = 0;
    let bytes = text.as_bytes();
    loop {
        let digits = bytes[end..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            break;
        }
        end += digits;
        // A dot continues the number only when a digit follows ("§9.13." ends a sentence).
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
        } else {
            break;
        }
    }
    (end > 0).then(|| (text[..end].to_string(), &text[end..]))
}

/// The sections of docs/protocol.md by number, each with the numbers of its numbered list items
/// (lines `N. ` at the start of a line, before the next heading).
fn protocol_sections() -> BTreeMap<String, BTreeSet<u32>> {
    let text = read(PROTOCOL_DOC);
    let mut sections: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (_, line) in prose_lines(&text) {
        if let Some(title) = line.strip_prefix('#') {
            current = leading_number(title.trim_start_matches('#').trim_start()).map(|(number, _)| number);
            if let Some(number) = &current {
                sections.entry(number.clone()).or_default();
            }
        } else if let (Some(number), Some((item, rest))) = (&current, leading_number(line)) {
            if rest.starts_with(". ") && !item.contains('.') {
                if let (Some(items), Ok(item)) = (sections.get_mut(number), item.parse()) {
                    items.insert(item);
                }
            }
        }
    }
    sections
}

/// One `§` citation: where it is, the section, and the items it names (`§11 item 6`).
#[derive(Debug)]
struct Citation {
    place: String,
    section: String,
    items: Vec<u32>,
}

/// A `§` right after one of these cites another document (`RFC 6455 §5.5.1`).
fn cites_another_document(before: &str) -> bool {
    let mut words = before.split_whitespace().rev();
    let number = words.next().unwrap_or_default();
    let name = words.next().unwrap_or_default().trim_start_matches(|c: char| !c.is_alphanumeric());
    name == "RFC" && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
}

/// `item 6`, `items 6 and 7`, `items 2, 6 and 10` after a section number.
fn cited_items(after: &str) -> Vec<u32> {
    let Some(rest) = after.strip_prefix(" items ").or_else(|| after.strip_prefix(" item ")) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut rest = rest;
    while let Some((number, tail)) = leading_number(rest) {
        match number.parse() {
            Ok(item) => items.push(item),
            Err(_) => break,
        }
        rest = match tail.strip_prefix(", ").or_else(|| tail.strip_prefix(" and ")) {
            Some(tail) => tail,
            None => break,
        };
    }
    items
}

fn citations_in(path: &str, text: &str) -> Vec<Citation> {
    let mut citations = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices('§') {
            let after = &line[at + '§'.len_utf8()..];
            let Some((section, rest)) = leading_number(after) else { continue };
            if cites_another_document(&line[..at]) {
                continue;
            }
            citations.push(Citation { place: format!("{path}:{}", index + 1), section, items: cited_items(rest) });
        }
    }
    citations
}

fn citing_files() -> Vec<(String, String)> {
    CITING
        .iter()
        .flat_map(|root| files_under(root))
        .filter_map(|path| fs::read_to_string(repo().join(&path)).ok().map(|text| (path, text)))
        .collect()
}

#[test]
fn every_cited_section_is_in_the_protocol_reference() {
    let sections = protocol_sections();
    assert!(
        sections.len() > 20,
        "{PROTOCOL_DOC} has only {} numbered headings (`## 9. Title`, `### 9.8 Title`): is it there?",
        sections.len()
    );
    let mut problems = Vec::new();
    let mut cited = 0;
    for (path, text) in citing_files() {
        for citation in citations_in(&path, &text) {
            cited += 1;
            let Citation { place, section, items } = citation;
            let Some(listed) = sections.get(&section) else {
                problems.push(format!(
                    "{place}: §{section} names no section heading of {PROTOCOL_DOC}: cite the section that says \
                     it, or add it there (keep the numbering); a § of another document needs its name right before it \
                     (\"RFC 6455 §5.5.1\")"
                ));
                continue;
            };
            for item in items.into_iter().filter(|item| !listed.contains(item)) {
                problems.push(format!(
                    "{place}: §{section} item {item}: {PROTOCOL_DOC} §{section} has no numbered item {item} \
                     (its items: {listed:?}): cite the right item, or add it there without renumbering the others"
                ));
            }
        }
    }
    assert!(cited > 100, "only {cited} § citations found: is the scan looking at the code?");
    assert!(problems.is_empty(), "{} broken § citations:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn no_document_outside_the_repository_is_cited() {
    let mut problems = Vec::new();
    for (path, text) in citing_files() {
        for (index, line) in text.lines().enumerate() {
            for gone in GONE_DOCUMENTS.iter().filter(|gone| line.contains(**gone)) {
                problems.push(format!(
                    "{path}:{}: names {gone}, which is not in the repository: the protocol reference is {PROTOCOL_DOC}",
                    index + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The end-to-end tests docs/protocol.md names as evidence (`e2e_depth::exception_types`,
/// `e2e_core::end_*`, or a whole file, `e2e_relay`) exist.
#[test]
fn every_test_the_protocol_reference_names_exists() {
    let text = read(PROTOCOL_DOC);
    let mut named = 0;
    let mut problems = Vec::new();
    for (number, line) in prose_lines(&text) {
        for token in backticked(line) {
            let (file, test) = token.split_once("::").unwrap_or((token, ""));
            let is_test_file = (file.starts_with("e2e_") || file.starts_with("cli_"))
                && file.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !is_test_file {
                continue;
            }
            named += 1;
            let Ok(source) = fs::read_to_string(repo().join("tests").join(format!("{file}.rs"))) else {
                problems.push(format!("{PROTOCOL_DOC}:{number}: `{token}`: there is no tests/{file}.rs"));
                continue;
            };
            let prefix = test.split('*').next().unwrap_or_default();
            let whole = !test.contains('*');
            let found = test.is_empty()
                || source.match_indices(&format!("fn {prefix}")).any(|(at, _)| {
                    let rest = &source[at + 3 + prefix.len()..];
                    !whole || rest.starts_with('(')
                });
            if !found {
                problems.push(format!(
                    "{PROTOCOL_DOC}:{number}: `{token}`: tests/{file}.rs has no test `{test}`: name the test that \
                     proves the point"
                ));
            }
        }
    }
    assert!(named > 20, "only {named} tests named in {PROTOCOL_DOC}: is the scan right?");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The files and folders docs/protocol.md names as where the adapter handles something
/// (`wire/v6/commands.rs`, `session/finalize.rs`, read from `src/`; `tests/docs.rs`) exist.
#[test]
fn every_file_the_protocol_reference_names_exists() {
    let text = read(PROTOCOL_DOC);
    let mut named = 0;
    let mut problems = Vec::new();
    for (number, line) in prose_lines(&text) {
        for token in backticked(line) {
            let Some((first, _)) =
                token.split_once('/').filter(|(first, _)| has_path_chars(token) && !first.is_empty())
            else {
                continue;
            };
            let resolved = if repo().join("src").join(first).is_dir() {
                format!("src/{}", token.trim_end_matches('/'))
            } else if repo().join(first).is_dir() {
                token.trim_end_matches('/').to_string()
            } else {
                continue;
            };
            named += 1;
            if !exists(&resolved) {
                problems.push(format!(
                    "{PROTOCOL_DOC}:{number}: `{token}` (read as {resolved}) does not exist: name where that code \
                     lives now"
                ));
            }
        }
    }
    assert!(named > 10, "only {named} files named in {PROTOCOL_DOC}: is the scan right?");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A path in the code map: the text between backticks, as written, and as resolved.
#[derive(Debug)]
struct MapPath {
    line: usize,
    written: String,
    resolved: String,
}

/// Whether a backticked token is a path: path characters only, and a folder (`dap/`) or a file
/// with an extension the repository uses (`codec.rs`, `e2e_*.rs`, `scripts/test.sh`).
fn is_path(token: &str) -> bool {
    const EXTENSIONS: [&str; 11] = ["rs", "md", "toml", "sh", "py", "json", "lua", "ts", "js", "yml", "html"];
    let extension = token.rsplit_once('.').map(|(_, extension)| extension);
    has_path_chars(token)
        && (token.ends_with('/') || extension.is_some_and(|extension| EXTENSIONS.contains(&extension)))
}

/// `token` as a repository path: relative to `base`, the folder of the list entry it is written
/// in, unless it starts with a top-level folder that `base` does not have (`src/dap/`, `tests/`).
fn resolve(token: &str, base: &str) -> String {
    let token = token.trim_end_matches('/');
    let first = token.split('/').next().unwrap_or_default();
    let from_root = base.is_empty() || repo().join(first).is_dir() && !repo().join(base).join(first).exists();
    if from_root {
        token.to_string()
    } else {
        format!("{base}/{token}")
    }
}

/// The paths of ARCHITECTURE.md's code map. A list entry that starts with a folder
/// (`` - `src/dap/`: ... ``) is the base of the relative paths in it, in its continuation lines
/// and in the entries nested under it.
fn code_map_paths() -> Vec<MapPath> {
    let text = read("ARCHITECTURE.md");
    let lines = prose_lines(&text);
    let start = lines
        .iter()
        .position(|(_, line)| line.starts_with("## ") && line.to_ascii_lowercase().contains("code map"))
        .expect("ARCHITECTURE.md has no `## Code map` section: the code map is where every folder of src/ is named");
    let mut paths = Vec::new();
    // (indentation of the list entry, its base folder), outermost first.
    let mut entries: Vec<(usize, String)> = Vec::new();
    for &(number, line) in
        lines[start + 1..].iter().take_while(|(_, line)| !line.starts_with("# ") && !line.starts_with("## "))
    {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim_start();
        let bullet = ["- ", "* "].iter().find_map(|marker| content.strip_prefix(marker));
        match bullet {
            Some(entry) => {
                entries.retain(|(outer, _)| *outer < indent);
                let parent = entries.last().map(|(_, base)| base.clone()).unwrap_or_default();
                let folder = entry
                    .strip_prefix('`')
                    .and_then(|rest| rest.split_once('`'))
                    .map(|(token, _)| token)
                    .filter(|token| is_path(token) && token.ends_with('/'));
                entries.push((indent, folder.map_or(parent.clone(), |folder| resolve(folder, &parent))));
            }
            None if indent == 0 && !content.is_empty() => entries.clear(),
            None => {}
        }
        let base = entries.last().map(|(_, base)| base.clone()).unwrap_or_default();
        for token in backticked(line).filter(|token| is_path(token)) {
            paths.push(MapPath { line: number, written: token.to_string(), resolved: resolve(token, &base) });
        }
    }
    paths
}

/// Whether `resolved` exists; a `*` in its last part must match at least one file.
fn exists(resolved: &str) -> bool {
    let Some((folder, pattern)) = resolved.rsplit_once('/').filter(|(_, name)| name.contains('*')) else {
        return repo().join(resolved).exists();
    };
    let Some((prefix, suffix)) = pattern.split_once('*') else { return false };
    fs::read_dir(repo().join(folder)).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.len() >= prefix.len() + suffix.len() && name.starts_with(prefix) && name.ends_with(suffix)
        })
    })
}

#[test]
fn every_path_in_the_code_map_exists() {
    let paths = code_map_paths();
    assert!(paths.len() > 10, "only {} paths found in ARCHITECTURE.md's code map: {paths:?}", paths.len());
    let problems: Vec<String> = paths
        .iter()
        .filter(|path| !exists(&path.resolved))
        .map(|path| {
            format!(
                "ARCHITECTURE.md:{}: the code map names `{}` (read as {}), which does not exist: rename or remove \
                 it in the code map (a relative name is read from the folder its list entry starts with)",
                path.line, path.written, path.resolved
            )
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_folder_of_src_is_in_the_code_map() {
    let named: Vec<String> = code_map_paths().into_iter().map(|path| path.resolved).collect();
    let problems: Vec<String> = folders_under_src()
        .into_iter()
        .filter(|folder| !named.iter().any(|path| path == folder || path.starts_with(&format!("{folder}/"))))
        .map(|folder| {
            format!(
                "{folder}/ is not in ARCHITECTURE.md's code map: add an entry saying what it holds (`{folder}/`, or \
                 its name relative to the entry of the folder above it)"
            )
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The parsers above, on small inputs.
mod parsing {
    use super::*;

    #[test]
    fn section_numbers_and_items() {
        assert_eq!(leading_number("9.13. Then"), Some(("9.13".to_string(), ". Then")));
        assert_eq!(leading_number("4–§6"), Some(("4".to_string(), "–§6")));
        assert_eq!(leading_number("x"), None);
        assert_eq!(cited_items(" item 6): the frame"), vec![6]);
        assert_eq!(cited_items(" items 6 and 7"), vec![6, 7]);
        assert_eq!(cited_items(" items 2, 6 and 10."), vec![2, 6, 10]);
        assert!(cited_items(" b);").is_empty());
    }

    #[test]
    fn citations_of_other_documents_are_left_alone() {
        let text = "/// the answer (RFC 6455 §5.5.1) and §9.13, §4–§6; §11 item 2.\n/// a bare § sign";
        let found: Vec<(String, Vec<u32>)> =
            citations_in("x.rs", text).into_iter().map(|citation| (citation.section, citation.items)).collect();
        let expected = [("9.13", vec![]), ("4", vec![]), ("6", vec![]), ("11", vec![2])];
        assert_eq!(found, expected.map(|(section, items)| (section.to_string(), items)));
    }

    #[test]
    fn path_tokens() {
        for path in ["src/dap/", "codec.rs", "e2e_*.rs", "scripts/test.sh", "v6/"] {
            assert!(is_path(path), "{path}");
        }
        for other in ["--log-file", "Command", "HEAD /", "tcp|ws://host", "try", "web.debug.config", "../x/"] {
            assert!(!is_path(other), "{other}");
        }
        assert_eq!(resolve("codec.rs", "src/dap"), "src/dap/codec.rs");
        assert_eq!(resolve("src/wire/", ""), "src/wire");
        assert_eq!(resolve("v6/", "src/wire"), "src/wire/v6");
        assert_eq!(resolve("common/", "tests"), "tests/common");
        assert!(exists("tests/e2e_*.rs") && !exists("tests/nothing_*.rs"));
    }
}
