//! `ptvsd-dap probe`: walks the whole path to a debuggee (wake-up, upgrade, greeting, protocol,
//! authentication) without debugging it, printing each step with its time and, on failure, the
//! diagnosis. It asks ptvsd for its process information instead of attaching, so the debuggee
//! is left exactly as it was (§3.1.1, §9.11).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::config::attach::AttachConfig;
use crate::session::connect::{probe, AttachPlan};
use crate::transport::affinity::{Instance, COOKIE_NAME};
use crate::transport::instances::{self, MAX_REQUESTS, NO_NEW_TRIES};
use crate::transport::{self, parse_url, ConnectOptions, Deadline, Target, TlsOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  ptvsd-dap probe tcp://<secret>@myvm.example.com:5678\n  \
                        ptvsd-dap probe wss://<secret>@myapp.azurewebsites.net/ptvsd\n  \
                        ptvsd-dap probe --site myapp --web-debug-config ./web.debug.config\n  \
                        ptvsd-dap probe --site myapp --web-debug-config ./web.debug.config --instances\n\n\
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
    /// A file whose first line is the secret (keeps it out of the process list; so does the
    /// PTVSD_SECRET environment variable)
    #[arg(long, value_name = "FILE", conflicts_with = "web_debug_config")]
    secret_file: Option<PathBuf>,
    /// Extra trusted root certificates (PEM) for wss and tcps
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Do not verify the server's TLS certificate
    #[arg(long)]
    insecure: bool,
    /// tcps only: allow a fall back to TLS 1.0, which ptvsd's own TLS needs (weakly protected)
    #[arg(long)]
    legacy_tls: bool,
    /// A scaled-out site (ws://, wss:// or --site): find its instances and ask each for its
    /// process information, without attaching. Prints one line per instance: its number and
    /// ARRAffinity value (either one goes into the 'instance' attach argument) and its pid
    #[arg(long)]
    instances: bool,
    /// How long to keep trying while a site starts, in seconds
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    connect_timeout: u64,
}

/// Said when the secret is on the command line, where every local user can read it.
const SECRET_IN_ARGUMENTS: &str = "Warning: the secret is in the URL on the command line, where other users of this \
     machine can read it from the process list (ps): give it in the PTVSD_SECRET environment variable or with \
     --secret-file FILE, and leave it out of the URL";

pub async fn run(args: Args) -> u8 {
    if args.url.as_deref().and_then(|url| parse_url(url).ok()).is_some_and(|target| !target.secret.is_empty()) {
        eprintln!("{SECRET_IN_ARGUMENTS}");
    }
    let arguments = match attach_arguments(&args) {
        Ok(arguments) => arguments,
        Err(problem) => {
            println!("FAILED: {problem}");
            return 1;
        }
    };
    let config = match AttachConfig::from_arguments(&arguments) {
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
    if args.instances {
        return probe_instances(plan).await;
    }
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

/// `probe --instances`: the instances the front end routes to, then `INFO` from each one,
/// reached with its cookie (§1.4.1). Exit 0 when every instance found is attachable.
async fn probe_instances(plan: AttachPlan) -> u8 {
    let target = &plan.target;
    if !target.scheme.is_websocket() {
        println!(
            "FAILED: --instances is for a site behind App Service's front end (--site, or a ws:// or wss:// URL); \
             {target} reaches one process"
        );
        return 1;
    }
    let found = async {
        let proxy = transport::proxy_from_env(target)?;
        let tls = transport::tls::client_config(&plan.options.tls)?;
        instances::discover(target, tls, proxy.as_ref(), Deadline::after(plan.timeout)).await
    };
    println!(
        "Finding the instances of {target}: requests without a cookie until {NO_NEW_TRIES} in a row show no new \
         {COOKIE_NAME} value (at most {MAX_REQUESTS})"
    );
    let found = match found.await {
        Ok(found) => found,
        Err(error) => {
            println!("FAILED: {}", error.message);
            return 1;
        }
    };
    println!("{} instance(s) seen in {} requests:", found.instances.len(), found.requests);
    let mut code = 0;
    for (index, affinity) in found.instances.iter().enumerate() {
        let pinned = AttachPlan {
            target: Target { instance: Some(Instance::Affinity(affinity.clone())), ..target.clone() },
            options: plan.options.clone(),
            debug_options: String::new(),
            timeout: plan.timeout,
        };
        let number = index + 1;
        match probe(&pinned, &|_| {}).await {
            Ok((generation, info)) => println!(
                "  {number}  {COOKIE_NAME}={affinity}  pid {}  {}, protocol {}, user {}, {}",
                info.pid,
                info.python_version,
                generation.protocol_version(),
                info.user,
                info.executable
            ),
            Err(problem) => {
                println!("  {number}  {COOKIE_NAME}={affinity}  FAILED: {problem}");
                code = 1;
            }
        }
    }
    println!(
        "Attach to one with \"instance\": <its number or {COOKIE_NAME} value> (the number holds while the same \
         instances run)."
    );
    code
}

fn attach_arguments(args: &Args) -> Result<Value, String> {
    let mut map = Map::new();
    if let Some(path) = &args.secret_file {
        map.insert("secret".into(), json!(read_secret_file(path)?));
    }
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
    if args.legacy_tls {
        map.insert("legacyTls".into(), json!(true));
    }
    map.insert("connectTimeout".into(), json!(args.connect_timeout));
    Ok(Value::Object(map))
}

/// The first line of `path`, without its line ending. The error never shows the file's content.
fn read_secret_file(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("--secret-file {}: cannot read it: {error}", path.display()))?;
    let secret = text.lines().next().unwrap_or_default().trim_end_matches('\r');
    if secret.is_empty() {
        return Err(format!("--secret-file {}: its first line is empty; put the secret there", path.display()));
    }
    Ok(secret.to_string())
}
