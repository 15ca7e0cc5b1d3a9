//! `ptvsd-dap url`: the attach URL of an App Service site, from the project's web.debug.config.

use std::path::PathBuf;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::config::attach::site_host;
use crate::config::{web_debug_config, Secret};
use crate::transport::target::DEFAULT_WS_PATH;

/// Print the attach URL of an App Service site. The secret is read from the project's
/// web.debug.config (its app setting WSGI_PTVSD_SECRET) and shown as <secret> unless
/// --show-secret is given.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  ptvsd-dap url --site myapp --web-debug-config web.debug.config
      prints wss://<secret>@myapp.azurewebsites.net/ptvsd
  ptvsd-dap url --site myapp.azurewebsites.net --web-debug-config ~/proj/web.debug.config --show-secret
      prints the same URL with the secret in place of <secret>, ready for the 'url' attach argument

--show-secret writes the secret to the terminal (and to whatever records it): prefer the attach
arguments {\"site\": \"myapp\", \"webDebugConfig\": \"web.debug.config\"}, which never print it.")]
pub struct Args {
    /// The App Service site: its name (myapp) or host name (myapp.azurewebsites.net).
    #[arg(long, value_name = "SITE")]
    pub site: String,
    /// The project's web.debug.config, whose app setting WSGI_PTVSD_SECRET holds the secret.
    #[arg(long = "web-debug-config", value_name = "FILE")]
    pub web_debug_config: PathBuf,
    /// Print the secret itself (percent-encoded where the URL needs it) instead of <secret>.
    #[arg(long)]
    pub show_secret: bool,
}

pub async fn run(args: Args) -> u8 {
    match attach_url(&args) {
        Ok(url) => {
            println!("{url}");
            if !args.show_secret {
                eprintln!("ptvsd-dap url: the secret is shown as <secret>; add --show-secret to print it");
            }
            0
        }
        Err(problem) => {
            eprintln!("ptvsd-dap url: {problem}");
            1
        }
    }
}

/// The URL to print. The secret is read (and so checked) even when it is not shown.
fn attach_url(args: &Args) -> Result<String, String> {
    let host = site_host(&args.site).map_err(|problem| problem.replace("'site'", "--site"))?;
    let secret = web_debug_config::read_secret(&args.web_debug_config)?;
    Ok(format_url(&host, args.show_secret.then_some(&secret)))
}

/// Characters that cannot stand for themselves in a URL's user-info: the WHATWG user-info set,
/// plus `%` so that the secret survives the percent-decoding of whoever parses it.
const USERINFO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `wss://<secret>@host/ptvsd`, with the secret itself only when it is given.
fn format_url(host: &str, secret: Option<&Secret>) -> String {
    let user_info = match secret {
        Some(secret) => utf8_percent_encode(secret.expose(), USERINFO).to_string(),
        None => "<secret>".to_string(),
    };
    format!("wss://{user_info}@{host}{DEFAULT_WS_PATH}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::parse_url;

    #[test]
    fn redacted_unless_asked() {
        assert_eq!(format_url("myapp.azurewebsites.net", None), "wss://<secret>@myapp.azurewebsites.net/ptvsd");
        assert_eq!(
            format_url("myapp.azurewebsites.net", Some(&Secret::new("abc123"))),
            "wss://abc123@myapp.azurewebsites.net/ptvsd"
        );
    }

    #[test]
    fn shown_secrets_survive_a_round_trip() {
        for secret in ["plain", "a@b:c/d?e#f", "100% sure", "x[y]z{}|^`\\\"<>;=", "ünïcødé", "-_.~!$&'()*+,"] {
            let url = format_url("myapp.azurewebsites.net", Some(&Secret::new(secret)));
            let target = parse_url(&url).unwrap();
            assert_eq!(target.secret.expose(), secret, "{url}");
            assert_eq!(target.websocket_url(), "wss://myapp.azurewebsites.net:443/ptvsd");
        }
    }
}
