//! BENCHMARKS.md is written by several commands and by hand: each rewrite keeps the `## `
//! sections it does not write itself.

/// `new`, followed by every `## ` section of `old` whose heading `new` does not have, in
/// `old`'s order.
pub fn keep_others(new: &str, old: &str) -> String {
    let written: Vec<&str> = sections(new).map(heading).collect();
    let mut text = new.trim_end().to_string();
    for section in sections(old).filter(|section| !written.contains(&heading(section))) {
        text.push_str("\n\n");
        text.push_str(section.trim_end());
    }
    text.push('\n');
    text
}

/// Each `## ` section, from its heading to the next one or the end; what comes before the
/// first is not a section.
fn sections(text: &str) -> impl Iterator<Item = &str> {
    let mut starts: Vec<usize> = text.match_indices("\n## ").map(|(i, _)| i + 1).collect();
    if text.starts_with("## ") {
        starts.insert(0, 0);
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    starts.into_iter().zip(ends).map(move |(from, to)| &text[from..to])
}

fn heading(section: &str) -> &str {
    section.lines().next().unwrap_or_default().trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_the_rewrite_does_not_write_are_kept() {
        let old = "# B\n\nold intro\n\n## Results\n\nold r\n\n## Load\n\nl\n\n## Protocol 6 decoder\n\nd\n";
        let new = "# B\n\nnew intro\n\n## Results\n\nnew r\n\n## Reading\n\nx\n";
        assert_eq!(
            keep_others(new, old),
            "# B\n\nnew intro\n\n## Results\n\nnew r\n\n## Reading\n\nx\n\n## Load\n\nl\n\n## Protocol 6 decoder\n\nd\n"
        );
        // Nothing to keep: a first run, or a file the rewrite wrote entirely.
        assert_eq!(keep_others(new, ""), new);
        assert_eq!(keep_others(new, new), new);
        // A `###` heading is part of its section, not one of its own.
        assert_eq!(keep_others("## A\n\na\n", "## A\n\n### x\n\n## B\n\nb"), "## A\n\na\n\n## B\n\nb\n");
    }
}
