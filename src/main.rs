//! The `ptvsd-dap` command: with no arguments, the DAP server on stdio that editors run.

#![forbid(unsafe_code)]

use std::path::PathBuf;

use clap::Parser;

/// Debug Adapter Protocol server for Python programs running the legacy ptvsd debug server
/// (2.2, 3.0, 3.1, 3.2), over TCP or the Azure App Service WebSocket proxy.
///
/// Editors start it with no arguments and speak DAP on stdin/stdout. Attach with a
/// configuration such as {"url": "wss://<secret>@mysite.azurewebsites.net/ptvsd"}.
#[derive(Parser, Debug)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Write the adapter's log to this file (also PTVSD_DAP_LOG). Nothing is logged to stdout.
    #[arg(long, env = "PTVSD_DAP_LOG", value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// Log level or filter: error, warn, info, debug, trace (also PTVSD_DAP_LOG_LEVEL).
    #[arg(long, env = "PTVSD_DAP_LOG_LEVEL", default_value = "info", value_name = "LEVEL")]
    log_level: String,
    /// Internal: run the debug session on stdin/stdout as the front's connection owner.
    #[arg(long = "connection-owner", hide = true)]
    connection_owner: bool,
    #[command(subcommand)]
    command: Option<ptvsd_dap::commands::Command>,
}

/// The static Linux builds allocate with dlmalloc, not musl's allocator, which fragments: over a
/// long session (thousands of stops) the connection owner's heap kept growing. glibc's allocator
/// (other Linux builds) and the macOS and Windows ones stay as they are.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> std::process::ExitCode {
    // Editors start the adapter with no arguments: that process is the front, which only relays
    // (see `process`), and the command-line parser would be code it maps for nothing. The owner
    // parses the same environment (PTVSD_DAP_LOG, PTVSD_DAP_LOG_LEVEL) itself.
    if std::env::args_os().len() == 1 {
        let Some(runtime) = runtime(tokio::runtime::Builder::new_current_thread()) else {
            return std::process::ExitCode::FAILURE;
        };
        let code = runtime.block_on(ptvsd_dap::process::run_front(&[]));
        return exit(runtime, code as u8);
    }
    let mut cli = Cli::parse();
    init_logging(&cli);
    // The front's runtime only watches for the requests to end: no worker threads.
    let builder = if cli.command.is_none() && !cli.connection_owner {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    };
    let Some(runtime) = runtime(builder) else {
        return std::process::ExitCode::FAILURE;
    };
    let command = cli.command.take();
    let code = runtime.block_on(async {
        if let Some(command) = command {
            command.run().await
        } else if cli.connection_owner {
            match ptvsd_dap::process::owner_stdio() {
                Ok((stdin, stdout)) => {
                    ptvsd_dap::session::run(stdin, stdout).await;
                    0
                }
                Err(error) => {
                    eprintln!("ptvsd-dap: cannot use stdout: {error}");
                    1
                }
            }
        } else {
            run_front(&cli).await
        }
    });
    exit(runtime, code)
}

fn runtime(mut builder: tokio::runtime::Builder) -> Option<tokio::runtime::Runtime> {
    builder.enable_all().build().map_err(|error| eprintln!("ptvsd-dap: cannot start the async runtime: {error}")).ok()
}

fn exit(runtime: tokio::runtime::Runtime, code: u8) -> std::process::ExitCode {
    // Do not wait for a blocking stdin reader: the editor may keep our stdin open.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::ExitCode::from(code)
}

/// The editor's process relays to a connection owner that outlives a SIGKILL or a
/// TerminateProcess (see `process`).
async fn run_front(cli: &Cli) -> u8 {
    let mut owner_args = vec!["--log-level".to_string(), cli.log_level.clone()];
    if let Some(path) = &cli.log_file {
        owner_args.push("--log-file".into());
        owner_args.push(path.display().to_string());
    }
    ptvsd_dap::process::run_front(&owner_args).await as u8
}

/// Logs go to the chosen file, or to stderr at warning level: stdout belongs to DAP.
fn init_logging(cli: &Cli) {
    if cli.command.is_none() && !cli.connection_owner {
        // The front logs nothing of its own: the session, and so the log, is the owner's.
        return;
    }
    if let Err(problem) = ptvsd_dap::logging::init(&cli.log_level, cli.log_file.as_deref()) {
        eprintln!("ptvsd-dap: {problem}");
    }
}
