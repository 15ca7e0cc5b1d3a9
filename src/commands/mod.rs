//! The subcommands beside the DAP server: diagnosing a connection, printing an attach URL,
//! relaying WebSockets to ptvsd, and a demo session.

pub mod demo;
pub mod probe;
pub mod relay;
pub mod url;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Walk the whole path to a debuggee without debugging it, and say what fails and why.
    Probe(probe::Args),
    /// Print the attach URL for an App Service site (secret redacted unless asked).
    Url(url::Args),
    /// A WebSocket proxy to ptvsd that behaves like the App Service one.
    Relay(relay::Args),
    /// Run a scripted debug session against a bundled sample app.
    Demo(demo::Args),
}

impl Command {
    pub async fn run(self) -> u8 {
        match self {
            Command::Probe(args) => probe::run(args).await,
            Command::Url(args) => url::run(args).await,
            Command::Relay(args) => relay::run(args).await,
            Command::Demo(args) => demo::run(args).await,
        }
    }
}
