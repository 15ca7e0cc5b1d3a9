//! Django templates: breakpoints in a template stop a real render, with the template frame and
//! its context in the stack (ptvsd 3.0, 3.1, 3.2); ptvsd 2.2 cannot (its hook needs Django < 1.9),
//! which the user is told instead of a silent nothing.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn template_path() -> String {
    fixture_path("templates/page.html").to_string_lossy().into_owned()
}

fn start(release: Release) -> (Debuggee, DapClient, u32) {
    let debuggee = Debuggee::start(release, "django_app.py");
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(
        json!({"url": format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port()), "django": true}),
    );
    let line = fixture_line("templates/page.html", "tpl_item");
    let body =
        c.request_ok("setBreakpoints", json!({"source": {"path": template_path()}, "breakpoints": [{"line": line}]}));
    let message = body["breakpoints"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("Django template breakpoint"), "{body}");
    c.request_ok("configurationDone", json!({}));
    debuggee.settle_output(&c);
    (debuggee, c, line)
}

fn top_frame(c: &DapClient, stopped: &Value) -> Value {
    let frames = c.request_ok("stackTrace", json!({"threadId": stopped["body"]["threadId"]}));
    frames["stackFrames"][0].clone()
}

fn template_breakpoint_stops_in_the_template(release: Release) {
    let (debuggee, c, line) = start(release);
    debuggee.send_line("render");
    for expected in ["'apple'", "'pear'"] {
        let stopped = c.wait_event("stopped", T);
        assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
        let frame = top_frame(&c, &stopped);
        assert_eq!(frame["source"]["path"], json!(template_path()), "{frame}");
        assert_eq!(frame["line"], json!(line), "{frame}");
        let scopes = c.request_ok("scopes", json!({"frameId": frame["id"]}));
        let variables =
            c.request_ok("variables", json!({"variablesReference": scopes["scopes"][0]["variablesReference"]}));
        let item =
            variables["variables"].as_array().and_then(|vars| vars.iter().find(|v| v["name"] == "item")).cloned();
        assert_eq!(item.map(|v| v["value"].clone()), Some(json!(expected)), "{variables}");
        c.request_ok("continue", json!({"threadId": stopped["body"]["threadId"]}));
    }
    debuggee.wait_stdout_contains("done render\n", T);
    let confirmed = c.events_named("breakpoint").iter().any(|e| e["body"]["breakpoint"]["verified"] == true);
    assert!(confirmed, "the first hit did not confirm the template breakpoint");
    c.request_ok("disconnect", json!({}));
}

fn ptvsd_2_2_refuses_template_breakpoints() {
    let (debuggee, c, _) = start(Release::V2_2_0);
    debuggee.send_line("render");
    let refused = c.wait_event("breakpoint", T);
    assert_eq!(refused["body"]["breakpoint"]["verified"], false, "{refused}");
    assert!(
        refused["body"]["breakpoint"]["message"].as_str().is_some_and(|m| m.contains("ptvsd 2.2 cannot")),
        "{refused}"
    );
    debuggee.wait_stdout_contains("done render\n", T);
    assert!(c.events_named("stopped").is_empty(), "ptvsd 2.2 stopped in a template");
    c.request_ok("disconnect", json!({}));
}

mod template_breakpoint_stops_in_the_template {
    use super::*;
    #[test]
    fn v3_0_0() {
        super::template_breakpoint_stops_in_the_template(Release::V3_0_0)
    }
    #[test]
    fn v3_1_0() {
        super::template_breakpoint_stops_in_the_template(Release::V3_1_0)
    }
    #[test]
    fn v3_2_1() {
        super::template_breakpoint_stops_in_the_template(Release::V3_2_1)
    }
    #[test]
    fn v2_2_0_is_refused() {
        super::ptvsd_2_2_refuses_template_breakpoints()
    }
}
