//! `ptvsd-dap url` and the `--help` texts, run as the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SECRET: &str = "Tr0ub4dor&3:@/x";
/// How the secret stands in the URL's user-info.
const ENCODED: &str = "Tr0ub4dor&3%3A%40%2Fx";

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_url-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A web.debug.config as Visual Studio writes it: BOM, declaration, comments, xdt attributes.
fn web_debug_config(dir: &Path, setting: &str) -> PathBuf {
    let path = dir.join("web.debug.config");
    let text = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <!-- Generated web.debug.config for Microsoft Azure. -->\r\n\
         <configuration xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\">\r\n\
           <appSettings>\r\n\
             <!-- <add key=\"WSGI_PTVSD_SECRET\" value=\"commented-out\" /> -->\r\n\
             {setting}\r\n\
           </appSettings>\r\n\
           <system.web xdt:Transform=\"Insert\"><httpRuntime targetFramework=\"4.5\"/></system.web>\r\n\
         </configuration>\r\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn secret_setting() -> String {
    format!(r#"<add key="WSGI_PTVSD_SECRET" value="{}" xdt:Transform="Insert" />"#, SECRET.replace('&', "&amp;"))
}

fn ptvsd_dap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"))
        .args(args)
        .env_remove("PTVSD_SECRET")
        .env_remove("PTVSD_DAP_LOG")
        .env_remove("PTVSD_DAP_LOG_LEVEL")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn url_is_redacted_by_default() {
    let dir = temp_dir("redacted");
    let config = web_debug_config(&dir, &secret_setting());
    let output = ptvsd_dap(&["url", "--site", "myapp", "--web-debug-config", config.to_str().unwrap()]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, "wss://<secret>@myapp.azurewebsites.net/ptvsd\n");
    assert!(stderr.contains("--show-secret"), "{stderr}");
    for leak in [SECRET, ENCODED, "Tr0ub4dor"] {
        assert!(!stdout.contains(leak) && !stderr.contains(leak));
    }
}

#[test]
fn url_shows_the_encoded_secret_when_asked() {
    let dir = temp_dir("shown");
    let config = web_debug_config(&dir, &secret_setting());
    let output = ptvsd_dap(&[
        "url",
        "--site",
        "https://myapp.azurewebsites.net/",
        "--web-debug-config",
        config.to_str().unwrap(),
        "--show-secret",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("wss://{ENCODED}@myapp.azurewebsites.net/ptvsd\n"));
    assert!(!text(&output.stderr).contains("Tr0ub4dor"));
}

#[test]
fn a_missing_key_names_the_file_and_the_key() {
    let dir = temp_dir("missing-key");
    let config = web_debug_config(&dir, r#"<add key="WSGI_ALT_VIRTUALENV_HANDLER" value="app.wsgi_app" />"#);
    let output =
        ptvsd_dap(&["url", "--site", "myapp", "--web-debug-config", config.to_str().unwrap(), "--show-secret"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains(config.to_str().unwrap()) && stderr.contains("WSGI_PTVSD_SECRET"), "{stderr}");
    assert!(!stderr.contains("commented-out"), "{stderr}");
}

#[test]
fn other_mistakes_are_named_without_the_secret() {
    let dir = temp_dir("mistakes");
    let missing = dir.join("nowhere").join("web.debug.config");
    let output = ptvsd_dap(&["url", "--site", "myapp", "--web-debug-config", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains(missing.to_str().unwrap()), "{}", text(&output.stderr));

    let config = web_debug_config(&dir, &secret_setting());
    let output =
        ptvsd_dap(&["url", "--site", "hush@myapp", "--web-debug-config", config.to_str().unwrap(), "--show-secret"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--site") && !stderr.contains("hush") && !stderr.contains("Tr0ub4dor"), "{stderr}");

    let broken = dir.join("broken.config");
    std::fs::write(
        &broken,
        format!(r#"<configuration><appSettings><add key="WSGI_PTVSD_SECRET" value="{ENCODED}"></appSettings>"#),
    )
    .unwrap();
    let output =
        ptvsd_dap(&["url", "--site", "myapp", "--web-debug-config", broken.to_str().unwrap(), "--show-secret"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("XML") && !stderr.contains("Tr0ub4dor"), "{stderr}");

    let output = ptvsd_dap(&["url", "--site", "myapp"]);
    assert_eq!(output.status.code(), Some(2), "clap refuses a missing --web-debug-config");
}

/// A secret-looking value: anything but a `<placeholder>` (or an empty one) where a secret goes.
fn secret_looking(help: &str) -> Vec<String> {
    let placeholder = |value: &str| value.is_empty() || (value.starts_with('<') && value.ends_with('>'));
    let mut found = Vec::new();
    for (index, _) in help.match_indices("://") {
        let rest = &help[index + 3..];
        let end = rest.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | ',')).unwrap_or(rest.len());
        if let Some((user_info, _)) = rest[..end].split_once('@') {
            if !placeholder(user_info) {
                found.push(format!("URL user-info {user_info:?}"));
            }
        }
    }
    let lower = help.to_ascii_lowercase();
    for key in ["\"secret\":", "secret=", "--secret "] {
        for (index, _) in lower.match_indices(key) {
            let value = help[index + key.len()..].trim_start().trim_start_matches('"');
            let value =
                value.split(|c: char| c.is_whitespace() || matches!(c, '"' | ',' | '}' | '&')).next().unwrap_or("");
            if !placeholder(value) {
                found.push(format!("{key} {value:?}"));
            }
        }
    }
    found
}

#[test]
fn the_checker_catches_real_looking_secrets() {
    assert!(secret_looking(r#"{"url": "wss://<secret>@mysite.azurewebsites.net/ptvsd"}"#).is_empty());
    assert!(secret_looking("prints wss://<secret>@myapp.azurewebsites.net/ptvsd; tcp://host:5678").is_empty());
    assert_eq!(secret_looking("wss://hunter2@myapp.azurewebsites.net/ptvsd").len(), 1);
    assert_eq!(secret_looking(r#"{"host": "h", "secret": "hunter2"}"#).len(), 1);
    assert_eq!(secret_looking("PTVSD_SECRET=hunter2 ptvsd-dap").len(), 1);
}

#[test]
fn help_texts_carry_no_secret() {
    let top = ptvsd_dap(&["--help"]);
    assert!(top.status.success());
    let top = text(&top.stdout);
    let commands: Vec<String> = top
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect();
    assert!(commands.iter().any(|name| name == "url"), "{top}");
    let mut helps = vec![("--help".to_string(), top.clone()), ("-h".to_string(), text(&ptvsd_dap(&["-h"]).stdout))];
    for command in &commands {
        for flag in ["--help", "-h"] {
            let output = ptvsd_dap(&[command, flag]);
            assert!(output.status.success(), "{command} {flag}");
            helps.push((format!("{command} {flag}"), text(&output.stdout)));
        }
    }
    for (what, help) in helps {
        assert!(!help.is_empty(), "{what}");
        let found = secret_looking(&help);
        assert!(found.is_empty(), "`ptvsd-dap {what}` shows a secret-looking example: {found:?}\n{help}");
    }
    let url_help = text(&ptvsd_dap(&["url", "--help"]).stdout);
    assert!(
        url_help.contains("wss://<secret>@myapp.azurewebsites.net/ptvsd") && url_help.contains("--show-secret"),
        "{url_help}"
    );
}
