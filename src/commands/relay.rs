//! `ptvsd-dap relay`: a WebSocket relay to ptvsd that behaves like the App Service proxy
//! (see `crate::relay`).

use std::path::PathBuf;

use crate::relay::{self, Config, TlsFiles};

/// Serve WebSockets at ws://ADDR/ptvsd and relay each one to its own TCP connection to ptvsd,
/// as the Azure App Service debugging proxy does. Attach with ws://<secret>@ADDR/ptvsd.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on, HOST:PORT (port 0 picks a free port; the ready line shows it).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Where ptvsd listens, HOST:PORT (the App Service proxy always uses localhost:5678).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5678")]
    target: String,
    /// The WebSocket path.
    #[arg(long, value_name = "PATH", default_value = "/ptvsd")]
    path: String,
    /// Serve wss with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// Runs until SIGINT or SIGTERM: 0 then, 2 for bad arguments, 1 if it cannot serve.
pub async fn run(args: Args) -> u8 {
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let config = match Config::new(&args.listen, &args.target, &args.path, tls) {
        Ok(config) => config,
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
