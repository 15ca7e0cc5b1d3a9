//! Rules about the source itself that the compiler enforces only once they are written down.

use std::path::Path;

/// The adapter crate allows `unsafe` in one place: the binary forbids it, the library denies it,
/// and the one `#[allow(unsafe_code)]` (an `madvise` of the executable's own unmodified pages,
/// `src/process/working_set.rs`) holds the one `unsafe` block. A new `unsafe` anywhere else, or
/// a second one there, fails here.
#[test]
fn unsafe_code_is_confined_to_one_block() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |file: &Path| std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let attribute = |file: &str, wanted: &str| {
        assert!(read(&root.join(file)).lines().any(|line| line.trim() == wanted), "{file} does not carry {wanted}");
    };
    attribute("src/main.rs", "#![forbid(unsafe_code)]");
    attribute("src/lib.rs", "#![deny(unsafe_code)]");
    let mut places = Vec::new();
    let mut folders = vec![root.join("src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = read(&path);
                for (number, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or("");
                    if code.contains("unsafe {") || code.contains("unsafe fn") || code.contains("allow(unsafe_code)") {
                        let relative = path.strip_prefix(root).expect("under the root").display().to_string();
                        places.push(format!("{relative}:{}: {}", number + 1, line.trim()));
                    }
                }
            }
        }
    }
    places.sort();
    let allowed = places.iter().filter(|place| place.starts_with("src/process/working_set.rs:")).count();
    assert_eq!(allowed, 2, "one #[allow(unsafe_code)] and one unsafe block in working_set.rs: {places:#?}");
    assert_eq!(places.len(), 2, "unsafe code outside src/process/working_set.rs: {places:#?}");
}
