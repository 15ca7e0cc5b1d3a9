//! `ptvsd-dap relay`: a WebSocket relay to ptvsd that behaves like the App Service proxy
//! (see `crate::relay`).

use std::path::PathBuf;
use std::time::Duration;

use crate::relay::{self, Config, TlsFiles};

/// Serve WebSockets at ws://ADDR/ptvsd and relay each one to its own TCP connection to ptvsd,
/// as the Azure App Service debugging proxy does. Attach with ws://<secret>@ADDR/ptvsd.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on, HOST:PORT (port 0 picks a free port; the ready line shows it).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Where ptvsd listens, HOST:PORT (the App Service proxy always uses localhost:5678). Given
    /// several times, each target is one instance of a scaled-out site, with its own ARRAffinity
    /// cookie value (printed at start): requests are routed by that cookie, as on App Service
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5678")]
    target: Vec<String>,
    /// The WebSocket path.
    #[arg(long, value_name = "PATH", default_value = "/ptvsd")]
    path: String,
    /// Serve wss with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Let web pages from this origin (e.g. https://tools.example.com) open WebSockets; by default
    /// any upgrade with an Origin header (web pages send one, debuggers none) is refused. Repeatable
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// The most connections served at once; more are answered 503
    #[arg(long, value_name = "N", default_value_t = relay::DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u16).range(1..))]
    max_connections: u16,
    /// Close a WebSocket after this many seconds with nothing relayed and no ping from the client
    #[arg(long, value_name = "SECONDS", default_value_t = relay::DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
}

/// Runs until SIGINT or SIGTERM: 0 then, 2 for bad arguments, 1 if it cannot serve.
pub async fn run(args: Args) -> u8 {
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let config = match Config::new(&args.listen, &args.target, &args.path, tls) {
        Ok(config) => Config {
            allowed_origins: args.allow_origin,
            max_connections: usize::from(args.max_connections),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            ..config
        },
        Err(message) => {
            eprintln!("ptvsd-dap relay: {message}");
            return 2;
        }
    };
    match relay::serve(config).await {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("ptvsd-dap relay: {message}");
            1
        }
    }
}
