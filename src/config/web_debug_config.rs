//! The ptvsd secret from a project's `web.debug.config` (protocol §1.4).
//!
//! Visual Studio's template is an XML Document Transform that adds the app setting
//! `WSGI_PTVSD_SECRET`, which the site's WSGI bootstrap passes to `ptvsd.enable_attach`:
//!
//! ```xml
//! <configuration xmlns:xdt="http://schemas.microsoft.com/XML-Document-Transform">
//!   <appSettings>
//!     <add key="WSGI_PTVSD_SECRET" value="<secret>" xdt:Transform="Insert" />
//!   </appSettings>
//! </configuration>
//! ```
//!
//! Real files carry a BOM, an XML declaration, comments (often a commented-out older setting)
//! and `xdt:` attributes. Only an `<add>` directly inside an `<appSettings>` counts; a later one
//! overrides an earlier one, a `<remove>` or an `xdt:Transform="Remove…"` takes it away, as in
//! .NET. No error text ever contains the value.

use std::io::Read;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::config::Secret;

/// The app setting that holds the secret.
pub const SECRET_KEY: &str = "WSGI_PTVSD_SECRET";

/// A web.debug.config is a few kilobytes; anything past this is not one.
pub const MAX_WEB_DEBUG_CONFIG_BYTES: u64 = 1024 * 1024;

/// Reads the `WSGI_PTVSD_SECRET` app setting of the `web.debug.config` at `path`.
pub fn read_secret(path: impl AsRef<Path>) -> Result<Secret, String> {
    let path = path.as_ref();
    let shown = path.display();
    let bytes = read_bounded(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => {
            format!("web.debug.config '{shown}' does not exist (it should hold the app setting {SECRET_KEY})")
        }
        _ => format!("cannot read web.debug.config '{shown}': {error}"),
    })?;
    let text = decode(&bytes).ok_or_else(|| format!("web.debug.config '{shown}' is not UTF-8 or UTF-16 text"))?;
    match find_secret(&text) {
        Ok(Some(value)) if value.is_empty() => Err(format!("web.debug.config '{shown}': the app setting {SECRET_KEY} is empty")),
        Ok(Some(value)) => Ok(Secret::new(value)),
        Ok(None) => Err(format!(
            "web.debug.config '{shown}' has no app setting {SECRET_KEY} (expected <add key=\"{SECRET_KEY}\" value=\"<secret>\"/> inside <configuration><appSettings>)"
        )),
        Err(problem) => Err(format!("web.debug.config '{shown}' is not well-formed XML: {problem}")),
    }
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    // Asked before opening: Windows refuses to open a directory as a file ("access denied").
    if std::fs::metadata(path)?.is_dir() {
        return Err(std::io::Error::other("it is a directory, not a file"));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_WEB_DEBUG_CONFIG_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_WEB_DEBUG_CONFIG_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_WEB_DEBUG_CONFIG_BYTES} bytes, so not a web.debug.config"
        )));
    }
    Ok(bytes)
}

/// UTF-8 (with or without BOM), or UTF-16 with a BOM, as Windows editors save it.
fn decode(bytes: &[u8]) -> Option<String> {
    let utf16 = |chunks: std::slice::ChunksExact<'_, u8>, little: bool| {
        let units: Vec<u16> = chunks
            .map(|c| if little { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16(&units).ok()
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] if rest.len() % 2 == 0 => utf16(rest.chunks_exact(2), true),
        [0xFE, 0xFF, rest @ ..] if rest.len() % 2 == 0 => utf16(rest.chunks_exact(2), false),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}

/// The last effective value of the key, `None` when there is none. The error is safe to show:
/// it never quotes an attribute value.
fn find_secret(text: &str) -> Result<Option<String>, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut open: Vec<String> = Vec::new();
    let mut found: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(|error| describe(&error, line_of(text, reader.error_position())))?;
        match event {
            Event::Start(element) => {
                setting(&element, &open, &mut found)
                    .map_err(|problem| format!("line {}: {problem}", line_of(text, reader.buffer_position())))?;
                open.push(element.local_name().as_ref().to_string());
            }
            Event::Empty(element) => {
                setting(&element, &open, &mut found)
                    .map_err(|problem| format!("line {}: {problem}", line_of(text, reader.buffer_position())))?;
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(format!("the file ends inside <{unclosed}>"));
    }
    if !found_root(text) {
        return Err("there is no root element (expected <configuration>)".into());
    }
    Ok(found)
}

fn found_root(text: &str) -> bool {
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(_) | Event::Empty(_)) => return true,
            Ok(Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// Applies one element to `found` if it is an `<add>` or `<remove>` of our key inside `<appSettings>`.
fn setting(element: &BytesStart<'_>, open: &[String], found: &mut Option<String>) -> Result<(), String> {
    if open.last().map(String::as_str) != Some("appSettings") {
        return Ok(());
    }
    let name = element.local_name();
    let adds = match name.as_ref() {
        "add" => true,
        "remove" => false,
        _ => return Ok(()),
    };
    let mut key = None;
    let mut value = None;
    let mut removed = !adds;
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|error| format!("<{}>: {error}", name.as_ref()))?;
        let attribute_name = attribute.key;
        match (attribute_name.prefix().map(|p| p.into_inner()), attribute_name.local_name().as_ref()) {
            (None, "key") => key = Some(unescape(&attribute)?),
            (None, "value") => value = Some(attribute),
            (Some(_), "Transform") => removed |= attribute.value.trim_start().starts_with("Remove"),
            _ => {}
        }
    }
    if !key.is_some_and(|key| key.trim().eq_ignore_ascii_case(SECRET_KEY)) {
        return Ok(());
    }
    if removed {
        *found = None;
    } else {
        *found = Some(match value {
            Some(value) => unescape(&value)?,
            None => String::new(),
        });
    }
    Ok(())
}

/// An attribute's value with its entities replaced; the error never quotes the value.
fn unescape(attribute: &quick_xml::events::attributes::Attribute<'_>) -> Result<String, String> {
    attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).map(|value| value.into_owned()).map_err(|_| {
        format!("the '{}' attribute has a bad '&' reference (write a literal & as &amp;)", attribute.key.as_ref())
    })
}

/// quick-xml's own text, except where it would quote part of an attribute value.
fn describe(error: &quick_xml::Error, line: usize) -> String {
    use quick_xml::Error;
    let detail = match error {
        Error::Syntax(error) => error.to_string(),
        Error::IllFormed(error) => error.to_string(),
        Error::InvalidAttr(error) => error.to_string(),
        Error::Escape(_) => "a bad '&' reference (write a literal & as &amp;)".to_string(),
        Error::Encoding(_) => "text that is not UTF-8".to_string(),
        Error::Io(_) | Error::Namespace(_) => "unreadable markup".to_string(),
    };
    format!("line {line}: {detail}")
}

fn line_of(text: &str, offset: u64) -> usize {
    let end = usize::try_from(offset).unwrap_or(usize::MAX).min(text.len());
    text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
pub(crate) mod test_files {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A file in a fresh temporary directory, removed when dropped.
    pub(crate) struct TempFile {
        pub path: PathBuf,
    }

    impl TempFile {
        pub(crate) fn new(contents: &[u8]) -> TempFile {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "ptvsd-dap-wdc-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("web.debug.config");
            std::fs::write(&path, contents).unwrap();
            TempFile { path }
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_files::TempFile;
    use super::*;

    const SECRET: &str = "s3cr&t<\"shh\">";

    /// Visual Studio's template, as a real project has it.
    fn realistic(setting: &str) -> String {
        format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
             <!-- Generated web.debug.config for Microsoft Azure. Remove this comment to prevent\r\n\
                  modifications being overwritten when publishing the project. -->\r\n\
             <configuration xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\">\r\n\
               <appSettings>\r\n\
                 <!-- <add key=\"WSGI_PTVSD_SECRET\" value=\"old-commented-out\" xdt:Transform=\"Insert\" /> -->\r\n\
                 <add key=\"WSGI_ALT_VIRTUALENV_HANDLER\" value=\"django.core.wsgi.get_wsgi_application()\" />\r\n\
                 {setting}\r\n\
               </appSettings>\r\n\
               <system.web xdt:Transform=\"Insert\">\r\n\
                 <httpRuntime targetFramework=\"4.5\"/>\r\n\
               </system.web>\r\n\
               <system.webServer>\r\n\
                 <handlers>\r\n\
                   <add name=\"ptvsd\" path=\"ptvsd\" verb=\"*\" resourceType=\"Unspecified\" type=\"Microsoft.PythonTools.Debugger.WebSocketProxy, Microsoft.PythonTools.WebRole\" xdt:Transform=\"Insert\" />\r\n\
                 </handlers>\r\n\
               </system.webServer>\r\n\
             </configuration>\r\n"
        )
    }

    fn escaped_secret() -> String {
        SECRET.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
    }

    fn read_text(text: &str) -> Result<Secret, String> {
        read_secret(&TempFile::new(text.as_bytes()).path)
    }

    #[test]
    fn reads_the_setting_from_a_realistic_file() {
        let setting = format!(
            r#"<add key="WSGI_PTVSD_SECRET" value="{}" xdt:Transform="SetAttributes" xdt:Locator="Match(key)" />"#,
            escaped_secret()
        );
        assert_eq!(read_text(&realistic(&setting)).unwrap().expose(), SECRET);
    }

    #[test]
    fn accepts_the_minimal_forms() {
        let bare =
            r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="plain"/></appSettings></configuration>"#;
        assert_eq!(read_text(bare).unwrap().expose(), "plain");
        let start_end = r#"<?xml version="1.0"?><configuration><appSettings><add value='v2' key='wsgi_ptvsd_secret'></add></appSettings></configuration>"#;
        assert_eq!(read_text(start_end).unwrap().expose(), "v2");
        let in_location = r#"<configuration><location path="."><appSettings><add key="WSGI_PTVSD_SECRET" value="loc"/></appSettings></location></configuration>"#;
        assert_eq!(read_text(in_location).unwrap().expose(), "loc");
    }

    #[test]
    fn reads_utf16_with_a_bom() {
        let text = r#"<?xml version="1.0" encoding="utf-16"?><configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="wide"/></appSettings></configuration>"#;
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_secret(&TempFile::new(&bytes).path).unwrap().expose(), "wide");
    }

    #[test]
    fn later_settings_override_and_removals_remove() {
        let twice = r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="first"/><add key="WSGI_PTVSD_SECRET" value="second"/></appSettings></configuration>"#;
        assert_eq!(read_text(twice).unwrap().expose(), "second");
        let removed =
            realistic(r#"<add key="WSGI_PTVSD_SECRET" value="gone" xdt:Transform="Remove" xdt:Locator="Match(key)"/>"#);
        let error = read_text(&removed).unwrap_err();
        assert!(error.contains(SECRET_KEY) && !error.contains("gone"), "{error}");
        let cleared = r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="gone"/><remove key="WSGI_PTVSD_SECRET"/></appSettings></configuration>"#;
        assert!(read_text(cleared).is_err());
    }

    #[test]
    fn a_setting_outside_app_settings_does_not_count() {
        let elsewhere = r#"<configuration><connectionStrings><add key="WSGI_PTVSD_SECRET" value="nope"/></connectionStrings></configuration>"#;
        assert!(read_text(elsewhere).unwrap_err().contains("has no app setting WSGI_PTVSD_SECRET"));
    }

    #[test]
    fn a_missing_key_names_the_file_and_the_key() {
        let file = TempFile::new(realistic("").as_bytes());
        let error = read_secret(&file.path).unwrap_err();
        assert!(error.contains(&file.path.display().to_string()), "{error}");
        assert!(error.contains("WSGI_PTVSD_SECRET"), "{error}");
        // Only the commented-out setting is there, and it must not be taken.
        assert!(!error.contains("old-commented-out"), "{error}");
        let empty = TempFile::new(realistic(r#"<add key="WSGI_PTVSD_SECRET" value="" />"#).as_bytes());
        let error = read_secret(&empty.path).unwrap_err();
        assert!(
            error.contains(&empty.path.display().to_string()) && error.contains("WSGI_PTVSD_SECRET is empty"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let path = std::env::temp_dir().join("ptvsd-dap-no-such-dir").join("web.debug.config");
        let error = read_secret(&path).unwrap_err();
        assert!(error.contains(&path.display().to_string()) && error.contains("does not exist"), "{error}");
        let dir = std::env::temp_dir();
        assert!(read_secret(&dir).unwrap_err().contains("directory"));
    }

    #[test]
    fn malformed_xml_is_refused_without_quoting_values() {
        let cases = [
            // Mismatched end tag.
            format!(r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="{}"/></appSetting></configuration>"#, escaped_secret()),
            // Unclosed attribute value.
            format!("<configuration><appSettings><add key=\"WSGI_PTVSD_SECRET\" value=\"{}/></appSettings></configuration>", escaped_secret()),
            // A raw '&' inside the secret: quick-xml's own message would quote what follows it.
            r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="ab&hunter2;"/></appSettings></configuration>"#.to_string(),
            // Truncated.
            format!(r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="{}"/>"#, escaped_secret()),
            "not xml at all".to_string(),
            String::new(),
        ];
        for case in cases {
            let file = TempFile::new(case.as_bytes());
            let error = read_secret(&file.path).unwrap_err();
            assert!(error.contains(&file.path.display().to_string()), "{error}");
            for leak in [SECRET, &escaped_secret(), "hunter2", "s3cr"] {
                assert!(!error.contains(leak), "{error}");
            }
        }
        let error = read_text(r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="ab&hunter2;"/></appSettings></configuration>"#).unwrap_err();
        assert!(error.contains("&amp;") && error.contains("line 1"), "{error}");
        let error = read_text("<configuration>\n<appSettings>\n</appSetting>\n</configuration>").unwrap_err();
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn not_text_is_refused() {
        let error = read_secret(&TempFile::new(&[0x3C, 0xFF, 0xFE, 0xFD]).path).unwrap_err();
        assert!(error.contains("not UTF-8"), "{error}");
    }
}
