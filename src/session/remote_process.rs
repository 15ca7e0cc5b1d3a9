//! The remote process the session attached to, as the editor is told of it: the DAP `process`
//! event (editors that show the debugged process name the remote one) and the console lines
//! about the instance of a scaled-out site (docs/protocol.md §1.4.1). Never the secret.

use dap_types::{ProcessEvent, ProcessEventStartMethod};

use crate::config::attach::AttachConfig;
use crate::transport::affinity::{Landing, COOKIE_NAME};
use crate::transport::{Scheme, Target};

pub(super) struct RemoteProcess {
    /// The site (`myapp.azurewebsites.net`) or the host as written.
    place: String,
    /// The address of the site's own pages, for the console's `curl` example.
    site_url: String,
    landing: Option<Landing>,
    pid: i64,
}

impl RemoteProcess {
    pub(super) fn new(config: &AttachConfig, landing: Option<Landing>, pid: i64) -> RemoteProcess {
        let place = config.site.clone().unwrap_or_else(|| config.target.host.clone());
        RemoteProcess { place, site_url: site_url(&config.target), landing, pid }
    }

    /// `myapp.azurewebsites.net, instance 2 (0123456789ab), pid 4242`.
    fn name(&self) -> String {
        let instance = match &self.landing {
            Some(Landing::Pinned { affinity, number: Some(number) }) => {
                format!(", instance {number} ({})", affinity.short())
            }
            Some(landing) => format!(", instance {}", landing.affinity().short()),
            None => String::new(),
        };
        format!("{}{instance}, pid {}", self.place, self.pid)
    }

    pub(super) fn event(&self) -> ProcessEvent {
        ProcessEvent {
            name: self.name(),
            system_process_id: u64::try_from(self.pid).ok(),
            is_local_process: Some(false),
            start_method: Some(ProcessEventStartMethod::Attach),
            pointer_size: None,
        }
    }

    /// Which instance this is and how to reach it again: breakpoints hit only in the requests it serves.
    pub(super) fn console_lines(&self) -> Vec<String> {
        let Some(landing) = &self.landing else { return Vec::new() };
        let affinity = landing.affinity();
        let which = match landing {
            Landing::Pinned { number: Some(number), .. } => {
                format!("This is instance {number} of the site, {COOKIE_NAME}={affinity}, as 'instance' asked.")
            }
            Landing::Pinned { number: None, .. } => {
                format!("This is the site's instance {COOKIE_NAME}={affinity}, as 'instance' asked.")
            }
            Landing::Chosen(_) | Landing::Stale { .. } => format!(
                "The site's front end chose the instance {COOKIE_NAME}={affinity}. If the site runs several \
                 instances, attach to this one again with \"instance\": \"{affinity}\" in the attach configuration \
                 (`ptvsd-dap probe --instances` lists them)."
            ),
        };
        vec![
            which,
            format!(
                "Breakpoints hit only in requests this instance serves: send yours with its cookie, e.g. \
                 curl -b {COOKIE_NAME}={affinity} {}, or set the cookie {COOKIE_NAME}={affinity} for {} in the \
                 browser (developer tools > Application > Cookies).",
                self.site_url, self.place
            ),
        ]
    }
}

/// The site's pages: `https://` for wss, `http://` for ws, with a port only if not the default.
fn site_url(target: &Target) -> String {
    let (scheme, default_port) = match target.scheme {
        Scheme::Wss => ("https", 443),
        _ => ("http", 80),
    };
    let host = if target.host.contains(':') { format!("[{}]", target.host) } else { target.host.clone() };
    if target.port == default_port {
        format!("{scheme}://{host}/")
    } else {
        format!("{scheme}://{host}:{}/", target.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::affinity::Affinity;
    use serde_json::json;

    fn remote(arguments: serde_json::Value, landing: Option<Landing>) -> RemoteProcess {
        RemoteProcess::new(&AttachConfig::from_arguments(&arguments).unwrap(), landing, 4242)
    }

    #[test]
    fn the_event_names_the_site_instance_and_pid_never_the_secret() {
        let affinity = Affinity::parse(&"ab".repeat(32)).unwrap();
        let pinned = Landing::Pinned { affinity: affinity.clone(), number: Some(2) };
        let process = remote(json!({"site": "myapp", "secret": "s3cret"}), Some(pinned));
        let event = serde_json::to_value(process.event()).unwrap();
        assert_eq!(event["name"], "myapp.azurewebsites.net, instance 2 (abababababab), pid 4242");
        assert_eq!((event["systemProcessId"].clone(), event["isLocalProcess"].clone()), (json!(4242), json!(false)));
        assert_eq!(event["startMethod"], "attach");
        let lines = process.console_lines().join("\n");
        assert!(lines.contains(&format!("curl -b ARRAffinity={affinity} https://myapp.azurewebsites.net/")), "{lines}");
        assert!(!lines.contains("s3cret") && !event.to_string().contains("s3cret"));
        let chosen =
            remote(json!({"url": "ws://s3cret@127.0.0.1:8080/ptvsd"}), Some(Landing::Chosen(affinity.clone())));
        assert_eq!(chosen.name(), "127.0.0.1, instance abababababab, pid 4242");
        let lines = chosen.console_lines().join("\n");
        assert!(lines.contains(&format!("\"instance\": \"{affinity}\"")), "{lines}");
        assert!(lines.contains("http://127.0.0.1:8080/"), "{lines}");
        let tcp = remote(json!({"url": "tcp://s3cret@10.0.0.5:5678"}), None);
        assert_eq!(tcp.name(), "10.0.0.5, pid 4242");
        assert!(tcp.console_lines().is_empty());
    }
}
