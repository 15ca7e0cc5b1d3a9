//! `ptvsd-dap probe`: walks the whole path to a debuggee (wake-up, upgrade, greeting, protocol,
//! authentication) without debugging it, printing each step with its time and, on failure, the
//! diagnosis. It asks ptvsd for its process information instead of attaching, so the debuggee
//! is left exactly as it was (§3.1.1, §9.11).

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::config::attach::AttachConfig;
use crate::session::connect::{probe, AttachPlan};
use crate::transport::{ConnectOptions, TlsOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  ptvsd-dap probe tcp://<secret>@myvm.example.com:5678\n  \
                        ptvsd-dap probe wss://<secret>@myapp.azurewebsites.net/ptvsd\n  \
                        ptvsd-dap probe --site myapp --web-debug-config ./web.debug.config\n\n\
                        Exit status: 0 when the debuggee can be attached, 1 otherwise.")]
pub struct Args {
    /// The debuggee: tcp://, tcps://, ws:// or wss://<secret>@host[:port][/path]
    url: Option<String>,
    /// An App Service site name (myapp or myapp.azurewebsites.net), instead of a URL
    #[arg(long)]
    site: Option<String>,
    /// The project's web.debug.config, whose WSGI_PTVSD_SECRET is the secret
    #[arg(long, value_name = "FILE")]
    web_debug_config: Option<PathBuf>,
    /// Extra trusted root certificates (PEM) for wss and tcps
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Do not verify the server's TLS certificate
    #[arg(long)]
    insecure: bool,
    /// How long to keep trying while a site starts, in seconds
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    connect_timeout: u64,
}

pub async fn run(args: Args) -> u8 {
    let config = match AttachConfig::from_arguments(&attach_arguments(&args)) {
        Ok(config) => config,
        Err(problem) => {
            println!("FAILED: {problem}");
            return 1;
        }
    };
    let plan = AttachPlan {
        target: config.target.clone(),
        options: ConnectOptions {
            tls: TlsOptions { ca_file: config.ca_file.clone(), insecure: config.insecure },
            ..ConnectOptions::default()
        },
        debug_options: String::new(),
        timeout: config.connect_timeout,
    };
    let started = Instant::now();
    let step = move |message: String| println!("[{:7.2} s] {message}", started.elapsed().as_secs_f64());
    println!("Probing {}", config.target);
    match probe(&plan, &step).await {
        Ok((generation, info)) => {
            step(format!("ptvsd answered (protocol {})", generation.protocol_version()));
            println!(
                "OK: attachable. {} pid {}, user {}, {}",
                info.python_version, info.pid, info.user, info.executable
            );
            0
        }
        Err(problem) => {
            println!("FAILED: {problem}");
            1
        }
    }
}

fn attach_arguments(args: &Args) -> Value {
    let mut map = Map::new();
    if let Some(url) = &args.url {
        map.insert("url".into(), json!(url));
    }
    if let Some(site) = &args.site {
        map.insert("site".into(), json!(site));
    }
    if let Some(path) = &args.web_debug_config {
        map.insert("webDebugConfig".into(), json!(path.display().to_string()));
    }
    if let Some(path) = &args.ca_file {
        map.insert("caFile".into(), json!(path.display().to_string()));
    }
    map.insert("insecure".into(), json!(args.insecure));
    map.insert("connectTimeout".into(), json!(args.connect_timeout));
    Value::Object(map)
}
