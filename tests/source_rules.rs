//! Rules about the source itself that the compiler enforces only once they are written down.

use std::path::Path;

/// The adapter crate (library and binary) forbids `unsafe`: no `unsafe` block can be added
/// without removing the attribute, which this test notices.
#[test]
fn the_adapter_crate_forbids_unsafe_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["src/lib.rs", "src/main.rs"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            text.lines().any(|line| line.trim() == "#![forbid(unsafe_code)]"),
            "{file} does not carry #![forbid(unsafe_code)]"
        );
    }
}
