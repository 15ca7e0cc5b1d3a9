//! Scaled-out sites (docs/protocol.md §1.4.1), end to end: `ptvsd-dap relay` with three targets
//! stands for a site running three instances, each a real ptvsd debuggee of the release under
//! test. `probe --instances` lists the three with their pids; attaching with each `instance`
//! (by ARRAffinity value and by number) lands on that process every time, which the `process`
//! event's pid and a line typed into that debuggee coming back as output both prove; a stale
//! `instance` fails with the reason and the instances seen. Also the `process` event over tcp.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);
const EXIT: Duration = Duration::from_secs(10);
/// Attaches per instance.
const ATTACHES: usize = 10;

/// `ptvsd-dap relay` in front of several targets, with the instance lines it printed.
struct ScaledRelay {
    child: Mutex<Child>,
    port: u16,
    /// (ARRAffinity value, target port), in the order printed.
    instances: Vec<(String, u16)>,
}

impl ScaledRelay {
    fn start(target_ports: &[u16]) -> ScaledRelay {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"));
        command.args(["relay", "--listen", "127.0.0.1:0"]);
        for port in target_ports {
            command.args(["--target", &format!("127.0.0.1:{port}")]);
        }
        let mut child =
            command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn the relay");
        let stdout = Arc::new(SharedBuf::default());
        capture(child.stdout.take().unwrap(), stdout.clone());
        let ready = poll_until(T, || {
            let text = stdout.text();
            text.lines().any(|line| line.starts_with("relay listening on ")).then_some(text)
        });
        let Some(text) = ready else {
            let _ = child.kill();
            panic!("the relay printed no ready line within {T:?}: {}", stdout.text());
        };
        let mut port = 0;
        let mut instances = Vec::new();
        for line in text.lines() {
            // `instance 1 ARRAffinity=<value> -> 127.0.0.1:<port>`
            if let Some(rest) = line.strip_prefix("instance ") {
                let value = rest.split("ARRAffinity=").nth(1).and_then(|r| r.split(' ').next()).unwrap();
                let target: u16 = rest.rsplit(':').next().unwrap().parse().unwrap();
                instances.push((value.to_string(), target));
            } else if let Some(rest) = line.strip_prefix("relay listening on ws://127.0.0.1:") {
                port = rest.split('/').next().unwrap().parse().unwrap();
            }
        }
        assert_eq!(instances.len(), target_ports.len(), "{text}");
        for (value, _) in &instances {
            assert!(value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
        }
        ScaledRelay { child: Mutex::new(child), port, instances }
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ptvsd", self.port)
    }

    /// The number `probe --instances` gives an instance: its place in the order of the values.
    fn number(&self, value: &str) -> usize {
        let mut values: Vec<&str> = self.instances.iter().map(|(v, _)| v.as_str()).collect();
        values.sort();
        values.iter().position(|v| *v == value).unwrap() + 1
    }
}

impl Drop for ScaledRelay {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

struct Site {
    debuggees: Vec<Debuggee>,
    relay: ScaledRelay,
    secret: String,
}

impl Site {
    fn start(release: Release, instances: usize) -> Site {
        let secret = unique_secret();
        let debuggees: Vec<Debuggee> =
            (0..instances).map(|_| Debuggee::start_with_secret(release, "app.py", &secret)).collect();
        let ports: Vec<u16> = debuggees.iter().map(Debuggee::port).collect();
        Site { relay: ScaledRelay::start(&ports), debuggees, secret }
    }

    fn debuggee_of(&self, value: &str) -> &Debuggee {
        let (_, port) = self.relay.instances.iter().find(|(v, _)| v == value).unwrap();
        self.debuggees.iter().find(|d| d.port() == *port).unwrap()
    }

    fn adapter(&self) -> DapClient {
        let c = DapClient::spawn_with_env(&[("PTVSD_SECRET", &self.secret)]);
        c.guard_secret(&self.secret);
        c
    }
}

/// `ptvsd-dap probe <args>` with the secret in the environment: exit code and stdout + stderr.
fn probe(args: &[&str], secret: &str) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ptvsd-dap"));
    for name in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
        command.env_remove(name);
    }
    let output = command.arg("probe").args(args).env("PTVSD_SECRET", secret).output().expect("run probe");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

/// The `process` event of an attached session.
fn process_event(c: &DapClient) -> Value {
    c.wait_event("process", T)["body"].clone()
}

fn console_text(c: &DapClient) -> String {
    c.events_named("output")
        .iter()
        .filter(|e| e["body"]["category"] == "console")
        .filter_map(|e| e["body"]["output"].as_str().map(str::to_string))
        .collect()
}

/// Attaches with `args`, checks the session reached `debuggee` (the `process` event's pid, and
/// a line typed into that program shown as its output), and detaches.
fn attach_lands_on(site: &Site, args: Value, debuggee: &Debuggee) -> DapClient {
    let c = site.adapter();
    c.attach_session(args);
    c.request_ok("configurationDone", json!({}));
    let process = process_event(&c);
    assert_eq!(process["systemProcessId"], json!(debuggee.pid()), "{process}");
    assert_eq!((process["isLocalProcess"].clone(), process["startMethod"].clone()), (json!(false), json!("attach")));
    assert!(process["name"].as_str().unwrap().ends_with(&format!("pid {}", debuggee.pid())), "{process}");
    debuggee.settle_output(&c);
    c.request_ok("disconnect", json!({}));
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
    c.check_no_secret();
    c
}

fn three_instances(release: Release) {
    let site = Site::start(release, 3);
    let url = site.relay.url();

    // probe --instances: one line per instance, its number, value and pid.
    let (code, text) = probe(&[&url, "--instances", "--connect-timeout", "20"], &site.secret);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 instance(s) seen") && !text.contains(&site.secret), "{text}");
    for (value, _) in &site.relay.instances {
        let number = site.relay.number(value);
        let line = text
            .lines()
            .find(|line| line.contains(&format!("ARRAffinity={value}")))
            .unwrap_or_else(|| panic!("instance {value} not listed:\n{text}"));
        let pid = site.debuggee_of(value).pid();
        assert!(
            line.trim_start().starts_with(&format!("{number}  ")) && line.contains(&format!("pid {pid} ")),
            "{line}"
        );
    }

    // Each instance, by value and by number, every time.
    for (value, _) in &site.relay.instances {
        let debuggee = site.debuggee_of(value);
        let number = site.relay.number(value);
        for attempt in 0..ATTACHES {
            let instance = if attempt % 2 == 0 { json!(value) } else { json!(number) };
            let c = attach_lands_on(&site, json!({"url": url, "instance": instance}), debuggee);
            let console = console_text(&c);
            assert!(console.contains(&format!("ARRAffinity={value}, as 'instance' asked")), "{console}");
            assert!(console.contains(&format!("curl -b ARRAffinity={value} http://127.0.0.1:")), "{console}");
        }
    }

    // Without `instance`: the console names the instance landed on and how to pin it.
    let c = site.adapter();
    c.attach_session(json!({"url": url}));
    c.request_ok("configurationDone", json!({}));
    let process = process_event(&c);
    let console = console_text(&c);
    let (value, _) = site
        .relay
        .instances
        .iter()
        .find(|(value, _)| console.contains(&format!("\"instance\": \"{value}\"")))
        .unwrap_or_else(|| panic!("the console names no instance: {console}"));
    let debuggee = site.debuggee_of(value);
    assert_eq!(process["systemProcessId"], json!(debuggee.pid()), "{process}");
    assert!(process["name"].as_str().unwrap().contains(&value[..12]), "{process}");
    debuggee.settle_output(&c);
    c.request_ok("disconnect", json!({}));
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));

    // An instance that is gone: the reason, the instances seen now, and nothing attached.
    let gone = "de".repeat(32);
    let c = site.adapter();
    c.request_ok(
        "initialize",
        json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true, "columnsStartAt1": true}),
    );
    let r = c.request("attach", json!({"url": url, "instance": gone}));
    assert_eq!(r["success"], false, "{r}");
    let message = r["message"].as_str().unwrap_or_default().to_string() + &r["body"]["error"].to_string();
    assert!(message.contains(&format!("instance {gone} ('instance') no longer exists")), "{r}");
    for (value, _) in &site.relay.instances {
        assert!(message.contains(value.as_str()), "the instances seen are not listed: {r}");
    }
    drop(c);
    // And every instance is still free to attach.
    for (value, _) in &site.relay.instances {
        attach_lands_on(&site, json!({"url": url, "instance": value}), site.debuggee_of(value));
    }
}

/// A front end whose instance goes away between the wake-up and the upgrade: requests pass to the
/// relay unchanged, except that the upgrade's `ARRAffinity` cookie is swapped for another one's.
struct SwappingFrontEnd {
    port: u16,
}

impl SwappingFrontEnd {
    fn start(relay_port: u16, from: &str, to: &str) -> SwappingFrontEnd {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (from, to) = (format!("ARRAffinity={from}"), format!("ARRAffinity={to}"));
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let (from, to) = (from.clone(), to.clone());
                std::thread::spawn(move || Self::serve(client, relay_port, &from, &to));
            }
        });
        SwappingFrontEnd { port }
    }

    fn serve(mut client: TcpStream, relay_port: u16, from: &str, to: &str) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match client.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let mut head = String::from_utf8_lossy(&head).into_owned();
        if head.to_ascii_lowercase().contains("upgrade: websocket") {
            head = head.replace(from, to);
        }
        let Ok(mut relay) = TcpStream::connect(("127.0.0.1", relay_port)) else { return };
        if relay.write_all(head.as_bytes()).is_err() {
            return;
        }
        let (mut client_in, mut relay_out) = (client.try_clone().unwrap(), relay.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut client_in, &mut relay_out);
            let _ = relay_out.shutdown(Shutdown::Write);
        });
        let _ = std::io::copy(&mut relay, &mut client);
        let _ = client.shutdown(Shutdown::Write);
    }
}

/// The pinned instance is confirmed by the wake-up, and gone by the upgrade: the relay has
/// already connected the other instance's ptvsd, which greets. The attach fails with the reason,
/// never sends the secret there (no "Authenticating" step), and leaves that ptvsd free: it is
/// attached next.
fn stale_at_the_upgrade(release: Release) {
    let site = Site::start(release, 2);
    let (asked, landed) = (&site.relay.instances[0].0, &site.relay.instances[1].0);
    let front = SwappingFrontEnd::start(site.relay.port, asked, landed);
    let c = site.adapter();
    c.request_ok(
        "initialize",
        json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true, "columnsStartAt1": true}),
    );
    let r = c.request("attach", json!({"url": format!("ws://127.0.0.1:{}/ptvsd", front.port), "instance": asked}));
    assert_eq!(r["success"], false, "{r}");
    assert!(
        r.to_string().contains("no longer exists") && r.to_string().contains(&format!("to instance {landed}")),
        "{r}"
    );
    let console = console_text(&c);
    assert!(console.contains("Waiting for the ptvsd greeting") && !console.contains("Authenticating"), "{console}");
    drop(c);
    attach_lands_on(&site, json!({"url": site.relay.url(), "instance": landed}), site.debuggee_of(landed));
}

/// `instance` 4 of 3: the numbers there are.
fn number_out_of_range(release: Release) {
    let site = Site::start(release, 3);
    let c = site.adapter();
    c.request_ok(
        "initialize",
        json!({"clientID": "test", "adapterID": "ptvsd", "linesStartAt1": true, "columnsStartAt1": true}),
    );
    let r = c.request("attach", json!({"url": site.relay.url(), "instance": 4}));
    assert_eq!(r["success"], false, "{r}");
    assert!(r.to_string().contains("'instance' 4: the site's front end routed to 3 instance(s)"), "{r}");
}

/// Over tcp, no instance: the `process` event names the host and carries the pid.
fn process_event_over_tcp(release: Release) {
    let debuggee = Debuggee::start(release, "app.py");
    let c = DapClient::spawn();
    c.guard_secret(debuggee.secret());
    c.attach_session(json!({"url": format!("tcp://{}@127.0.0.1:{}", debuggee.secret(), debuggee.port())}));
    c.request_ok("configurationDone", json!({}));
    let process = process_event(&c);
    assert_eq!(process["systemProcessId"], json!(debuggee.pid()), "{process}");
    assert_eq!(process["name"], json!(format!("127.0.0.1, pid {}", debuggee.pid())), "{process}");
    assert_eq!((process["isLocalProcess"].clone(), process["startMethod"].clone()), (json!(false), json!("attach")));
    debuggee.settle_output(&c);
    c.request_ok("disconnect", json!({}));
    c.wait_exit(EXIT).unwrap_or_else(|| c.fail("the adapter did not exit after disconnect"));
}

macro_rules! each_release {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test] fn v2_2_0() { super::$case(Release::V2_2_0) }
            #[test] fn v3_0_0() { super::$case(Release::V3_0_0) }
            #[test] fn v3_1_0() { super::$case(Release::V3_1_0) }
            #[test] fn v3_2_1() { super::$case(Release::V3_2_1) }
        }
    )*};
}

each_release!(three_instances, stale_at_the_upgrade, process_event_over_tcp);

#[test]
fn an_instance_number_beyond_those_seen_is_refused_with_the_count() {
    number_out_of_range(Release::V3_2_1);
}
