//! TLS straight to ptvsd (`tcps`, protocol §1.3), or to a TLS terminator in front of it.
//!
//! ptvsd's own TLS is `ssl.wrap_socket(server_side=True, ssl_version=PROTOCOL_TLSv1)`: TLS 1.0
//! only, with the CBC-SHA1 cipher suites of its day. rustls cannot speak that, so tcps uses
//! OpenSSL (the system's libssl), and only tcps does: wss stays on rustls.
//!
//! The first handshake is a modern one: TLS 1.2 or 1.3, OpenSSL's default ciphers at the
//! system's security level. When the server answers with an older version, the attach fails
//! unless the user allowed the fall back (`legacyTls`): that answer is unauthenticated, so
//! anyone on the path can forge it. With `legacyTls` the adapter connects a second time allowing
//! TLS 1.0 and every cipher OpenSSL still has (`DEFAULT:@SECLEVEL=0`). The second attempt still
//! offers TLS 1.3 and still verifies the certificate; if it negotiates TLS 1.2 or newer, the
//! server speaks a modern version and the first refusal was forged: the connection is closed
//! before anything is sent. The session says which version carries the secret before sending it.
//!
//! The certificate is verified against the host name (or IP address) of the URL unless
//! `insecure`; `caFile` adds trusted roots to OpenSSL's default ones (the system's store).

use std::pin::Pin;
use std::time::Duration;

use openssl::ssl::{self, ErrorCode, SslConnector, SslMethod, SslVerifyMode, SslVersion};
use tokio_openssl::SslStream;

use super::quickack::QuickAckStream;
use super::{tcp, ConnectError, TlsOptions};

/// How long one TLS handshake may take. ptvsd serves one client at a time (§1.2): a handshake
/// that gets no answer usually means another client holds it.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The legacy attempt's ciphers: everything OpenSSL has, at security level 0, which TLS 1.0 and
/// 1.1 need with OpenSSL 3 (their handshake signs with MD5+SHA-1).
const LEGACY_CIPHERS: &str = "DEFAULT:@SECLEVEL=0";

/// A TLS connection and what the console must say about it.
pub struct TlsConnection {
    pub stream: SslStream<QuickAckStream>,
    /// The negotiated version and cipher, said before the secret is sent: "TLS 1.3 (cipher ...)".
    pub protection: String,
    /// Set when a version older than TLS 1.2 was negotiated.
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// TLS 1.2 and 1.3, default ciphers, the system's security level.
    Modern,
    /// TLS 1.0 to 1.3, every cipher, security level 0: only after the server chose TLS 1.0/1.1.
    Legacy,
}

impl Mode {
    fn allowed(self) -> &'static str {
        match self {
            Mode::Modern => "TLS 1.2 and 1.3 with OpenSSL's default ciphers",
            Mode::Legacy => "TLS 1.0 to 1.3 with every cipher OpenSSL has (security level 0)",
        }
    }
}

/// Connects and completes the TLS handshake: a modern one first, then, only if the server
/// speaks nothing newer than TLS 1.1 and `legacy_tls` allows it, a legacy one on a new connection.
pub async fn connect(
    host: &str,
    port: u16,
    options: &TlsOptions,
    legacy_tls: bool,
) -> Result<TlsConnection, ConnectError> {
    let modern = connector(Mode::Modern, options)?;
    let (failure, mode) = match handshake(&modern, host, port, options).await {
        Ok(stream) => return Ok(established(host, port, stream, Mode::Modern)),
        Err(Failure::OldVersion(detail)) if !legacy_tls => {
            return Err(ConnectError::fatal(legacy_not_allowed(host, port, &detail)))
        }
        Err(Failure::OldVersion(detail)) => {
            tracing::info!(%host, port, %detail, "the server speaks only an old TLS version: retrying with TLS 1.0 allowed (legacyTls)");
            let legacy = connector(Mode::Legacy, options)?;
            match handshake(&legacy, host, port, options).await {
                Ok(stream) if !is_old(stream.ssl()) => {
                    return Err(ConnectError::fatal(forged_refusal(host, port, stream.ssl().version_str())))
                }
                Ok(stream) => return Ok(established(host, port, stream, Mode::Legacy)),
                Err(failure) => (failure, Mode::Legacy),
            }
        }
        Err(failure) => (failure, Mode::Modern),
    };
    Err(failure.describe(host, port, mode, options))
}

/// Older than TLS 1.2.
fn is_old(ssl: &ssl::SslRef) -> bool {
    matches!(ssl.version2(), Some(v) if v == SslVersion::TLS1 || v == SslVersion::TLS1_1 || v == SslVersion::SSL3)
}

fn legacy_not_allowed(host: &str, port: u16, detail: &str) -> String {
    format!(
        "TLS handshake with {host}:{port} failed: the server offered only TLS 1.0 or 1.1 ({detail}). Such a link is \
         weakly protected, and anyone on the network path can fake this very answer to pull a connection down to \
         it, so the adapter does not fall back by itself. If this is ptvsd's own TLS (TLS 1.0 only), set \
         'legacyTls': true or add ?legacyTls to the tcps:// URL; better, put a modern TLS terminator (such as \
         stunnel) in front of ptvsd"
    )
}

fn forged_refusal(host: &str, port: u16, negotiated: &str) -> String {
    format!(
        "TLS handshake with {host}:{port} refused: the first attempt was turned down as if the server spoke only \
         TLS 1.0 or 1.1, but the legacy attempt ('legacyTls') negotiated {}, so the server speaks a modern version \
         and that first refusal was forged (someone on the network path may be trying to weaken the connection) or \
         the server misbehaves. Nothing was sent; the connection is closed. Check the network path, and drop \
         'legacyTls' for a server that speaks TLS 1.2 or newer",
        plain_version(negotiated)
    )
}

fn established(host: &str, port: u16, stream: SslStream<QuickAckStream>, mode: Mode) -> TlsConnection {
    let ssl = stream.ssl();
    let version = plain_version(ssl.version_str());
    let cipher = ssl.current_cipher().map_or("unknown", |cipher| cipher.name());
    tracing::info!(%host, port, %version, %cipher, ?mode, "TLS established");
    let old = is_old(ssl);
    let protection = format!("{version} (cipher {cipher})");
    let warning = old.then(|| {
        format!(
            "{version} negotiated with {host}:{port} (cipher {cipher}): this connection is weakly protected. \
             The server speaks nothing newer (ptvsd's own TLS is TLS 1.0 only); for a strong link, put a modern \
             TLS terminator (such as stunnel) in front of ptvsd"
        )
    });
    TlsConnection { stream, protection, warning }
}

/// "TLSv1" → "TLS 1.0", "TLSv1.3" → "TLS 1.3".
fn plain_version(openssl_name: &str) -> String {
    match openssl_name {
        "TLSv1" => "TLS 1.0".to_string(),
        "SSLv3" => "SSL 3.0".to_string(),
        other => other.replace("TLSv", "TLS "),
    }
}

fn connector(mode: Mode, options: &TlsOptions) -> Result<SslConnector, ConnectError> {
    let setup =
        |error: openssl::error::ErrorStack| ConnectError::fatal(format!("cannot set up TLS (OpenSSL): {error}"));
    // The builder loads OpenSSL's default verify paths (the system's roots), sets conservative
    // default ciphers and asks for peer verification.
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(setup)?;
    match mode {
        Mode::Modern => builder.set_min_proto_version(Some(SslVersion::TLS1_2)).map_err(setup)?,
        Mode::Legacy => {
            builder.set_min_proto_version(Some(SslVersion::TLS1)).map_err(setup)?;
            builder.set_cipher_list(LEGACY_CIPHERS).map_err(setup)?;
            builder.set_security_level(0);
        }
    }
    if options.insecure {
        builder.set_verify(SslVerifyMode::NONE);
    } else if let Some(path) = &options.ca_file {
        builder.set_ca_file(path).map_err(|error| {
            ConnectError::fatal(format!("'caFile' {} holds no usable PEM certificate ({error})", path.display()))
        })?;
    }
    Ok(builder.build())
}

async fn handshake(
    connector: &SslConnector,
    host: &str,
    port: u16,
    options: &TlsOptions,
) -> Result<SslStream<QuickAckStream>, Failure> {
    let tcp = tcp::connect(host, port).await.map_err(Failure::Connect)?;
    let mut configuration = connector.configure().map_err(|error| Failure::Other(error.to_string()))?;
    if options.insecure {
        configuration.set_verify_hostname(false);
    }
    // Sets SNI for a name, and the name or IP address the certificate must carry.
    let ssl = configuration.into_ssl(host).map_err(|error| Failure::Other(error.to_string()))?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|error| Failure::Other(error.to_string()))?;
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, Pin::new(&mut stream).connect()).await {
        Err(_) => Err(Failure::Timeout),
        Ok(Ok(())) => Ok(stream),
        Ok(Err(error)) => Err(classify(&error, stream.ssl())),
    }
}

/// Why one handshake failed.
#[derive(Debug)]
enum Failure {
    /// The server chose a version older than allowed, or refused the versions offered.
    OldVersion(String),
    /// No cipher both sides accept (the server's alert or OpenSSL's reason).
    NoCipher(String),
    /// This OpenSSL cannot offer what the mode asks (TLS 1.0 compiled out, say).
    LocalProtocol(String),
    /// Certificate verification failed: OpenSSL's verify code and text.
    Certificate {
        code: i32,
        text: String,
    },
    Reset,
    Closed,
    /// The server's key exchange is below the security level (a small Diffie-Hellman group).
    WeakKeyExchange(String),
    /// The server sent something that is not TLS (a plain ptvsd greets first).
    NotTls(String),
    Alert(String),
    Timeout,
    Connect(ConnectError),
    Other(String),
}

fn classify(error: &ssl::Error, ssl: &ssl::SslRef) -> Failure {
    if let Some(io) = error.io_error() {
        return match io.kind() {
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionAborted => Failure::Reset,
            std::io::ErrorKind::UnexpectedEof => Failure::Closed,
            _ => Failure::Other(io.to_string()),
        };
    }
    let reasons: Vec<String> = error
        .ssl_error()
        .map(|stack| stack.errors().iter().filter_map(|e| e.reason().map(str::to_string)).collect())
        .unwrap_or_default();
    if reasons.is_empty() {
        return if error.code() == ErrorCode::SYSCALL || error.code() == ErrorCode::ZERO_RETURN {
            Failure::Closed
        } else {
            Failure::Other(error.to_string())
        };
    }
    let has = |needle: &str| reasons.iter().any(|reason| reason.contains(needle));
    let text = reasons.join("; ");
    if has("certificate verify failed") {
        let result = ssl.verify_result();
        return Failure::Certificate { code: result.as_raw(), text: result.error_string().to_string() };
    }
    if has("unsupported protocol") || has("alert protocol version") || has("version too low") {
        return Failure::OldVersion(text);
    }
    if has("no protocols available") {
        return Failure::LocalProtocol(text);
    }
    if has("no shared cipher")
        || has("no ciphers available")
        || has("no cipher match")
        || has("alert handshake failure")
        || has("alert insufficient security")
    {
        return Failure::NoCipher(text);
    }
    if has("dh key too small") || has("key too small") {
        return Failure::WeakKeyExchange(text);
    }
    if has("wrong version number")
        || has("packet length too long")
        || has("record layer failure")
        || has("http request")
        || has("record too long")
    {
        return Failure::NotTls(text);
    }
    if has("unexpected eof") {
        return Failure::Closed;
    }
    if has("alert") {
        return Failure::Alert(text);
    }
    Failure::Other(text)
}

// X509_V_ERR_* codes (openssl/x509_vfy.h) the messages tell apart.
const CERT_NOT_YET_VALID: i32 = 9;
const CERT_HAS_EXPIRED: i32 = 10;
const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
const HOSTNAME_MISMATCH: i32 = 62;
const IP_ADDRESS_MISMATCH: i32 = 64;
const EE_KEY_TOO_SMALL: i32 = 66;
const CA_KEY_TOO_SMALL: i32 = 67;
const CA_MD_TOO_WEAK: i32 = 68;

const PTVSD_OWN_TLS_ON_NEW_PYTHON: &str =
    "If this is ptvsd's own TLS (enable_attach with a certfile) on Python 3.10 or \
     later, it cannot complete any handshake: Python leaves its TLS 1.0 no cipher to use. Put a TLS terminator \
     (such as stunnel) in front of ptvsd, or run the program on an older Python";

impl Failure {
    /// The failure in words that name the cause and the fix.
    fn describe(self, host: &str, port: u16, mode: Mode, options: &TlsOptions) -> ConnectError {
        let at = format!("TLS handshake with {host}:{port} failed");
        let after_fallback = "the server chose TLS 1.0 or 1.1, older than the TLS 1.2 and 1.3 allowed first, so the \
                              adapter connected again allowing";
        let message = match self {
            Failure::Connect(error) => return error,
            Failure::OldVersion(detail) => match mode {
                Mode::Modern => format!(
                    "{at}: no protocol version in common: the server offered only an older version than the adapter \
                     allowed ({}) ({detail})",
                    mode.allowed()
                ),
                Mode::Legacy => format!(
                    "{at}: no protocol version in common: {after_fallback} {}, and the server still offered none of \
                     them: it speaks only SSL 3.0 or older, which OpenSSL no longer has ({detail})",
                    mode.allowed()
                ),
            },
            Failure::NoCipher(detail) => match mode {
                Mode::Modern => format!(
                    "{at}: no cipher in common: the server accepted none of the ciphers the adapter offered (it \
                     allowed {}) ({detail}). {PTVSD_OWN_TLS_ON_NEW_PYTHON}",
                    mode.allowed()
                ),
                Mode::Legacy => format!(
                    "{at}: no cipher in common: the server offered only TLS 1.0 or 1.1, so the adapter connected \
                     again allowing {}, and the server accepted none of those ciphers either ({detail})",
                    mode.allowed()
                ),
            },
            Failure::LocalProtocol(detail) => format!(
                "{at}: the server offered only TLS 1.0 or 1.1, and this system's OpenSSL has those versions switched \
                 off, so the adapter cannot speak them ({detail})"
            ),
            Failure::Certificate { code, text } => certificate_message(&at, host, code, &text, options),
            Failure::Reset => format!(
                "{at}: the connection was reset during the TLS handshake: the port may not speak TLS, or the server \
                 (or a firewall) cut it; the adapter allowed {}",
                mode.allowed()
            ),
            Failure::Closed => format!(
                "{at}: the server closed the connection during the TLS handshake without saying why: the port may not \
                 speak TLS, or it refused what the adapter allowed ({}). {PTVSD_OWN_TLS_ON_NEW_PYTHON}",
                mode.allowed()
            ),
            Failure::WeakKeyExchange(detail) => format!(
                "{at}: the server's key exchange is too weak for OpenSSL's security level ({detail}): give the server \
                 Diffie-Hellman parameters of 2048 bits or more, or let it use ECDHE"
            ),
            Failure::NotTls(detail) => format!(
                "{at}: the server does not speak TLS on that port ({detail}): if ptvsd listens there without a \
                 certfile, use tcp:// instead of tcps://"
            ),
            Failure::Alert(detail) => {
                let hint = if detail.contains("internal error") { format!(" {PTVSD_OWN_TLS_ON_NEW_PYTHON}") } else { String::new() };
                format!("{at}: the server aborted the handshake ({detail}); the adapter allowed {}.{hint}", mode.allowed())
            }
            Failure::Timeout => format!(
                "{at}: no answer within {} s: ptvsd serves one client at a time, so another debugger may be connecting; \
                 or the port does not speak TLS",
                HANDSHAKE_TIMEOUT.as_secs()
            ),
            Failure::Other(detail) => format!("{at}: {detail}"),
        };
        ConnectError::fatal(message)
    }
}

fn certificate_message(at: &str, host: &str, code: i32, text: &str, options: &TlsOptions) -> String {
    let ca_file = options.ca_file.as_ref().map(|path| path.display().to_string());
    match code {
        HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH => format!(
            "{at}: the server's certificate does not name '{host}' ({text}): connect with a host name the certificate \
             carries, or give the server a certificate for '{host}'"
        ),
        CERT_HAS_EXPIRED => format!("{at}: the server's certificate has expired ({text}): renew it"),
        CERT_NOT_YET_VALID => format!("{at}: the server's certificate is not valid yet ({text}): check the clocks of both machines"),
        EE_KEY_TOO_SMALL | CA_KEY_TOO_SMALL | CA_MD_TOO_WEAK => format!(
            "{at}: the server's certificate is too weak for OpenSSL's security level ({text}): give the server a \
             certificate with a key of 2048 bits or more and a SHA-256 signature"
        ),
        DEPTH_ZERO_SELF_SIGNED_CERT | SELF_SIGNED_CERT_IN_CHAIN | UNABLE_TO_GET_ISSUER_CERT_LOCALLY | UNABLE_TO_VERIFY_LEAF_SIGNATURE => {
            match ca_file {
                None => format!(
                    "{at}: the server's certificate is not trusted ({text}): give its certificate, or the certificate of \
                     the authority that signed it, as 'caFile' (a PEM file), or, knowing the risk, set 'insecure': true"
                ),
                Some(path) => format!(
                    "{at}: the server's certificate is not trusted ({text}), not even with 'caFile' {path}: that file \
                     does not hold the server's certificate or the authority that signed it"
                ),
            }
        }
        _ => format!(
            "{at}: the server's certificate was refused ({text}){}",
            if ca_file.is_some() { "" } else { "; if it is signed by a private authority, give that authority's certificate as 'caFile'" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_plainly() {
        assert_eq!(plain_version("TLSv1"), "TLS 1.0");
        assert_eq!(plain_version("TLSv1.1"), "TLS 1.1");
        assert_eq!(plain_version("TLSv1.3"), "TLS 1.3");
    }

    #[test]
    fn both_modes_build_with_this_openssl() {
        for mode in [Mode::Modern, Mode::Legacy] {
            for insecure in [false, true] {
                connector(mode, &TlsOptions { ca_file: None, insecure }).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
            }
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_named() {
        let path = std::env::temp_dir().join(format!("ptvsd-dap-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = connector(Mode::Modern, &TlsOptions { ca_file: Some(path.clone()), insecure: false })
            .err()
            .map(|e| e.message);
        let _ = std::fs::remove_file(&path);
        let error = error.expect("an unusable caFile must be refused");
        assert!(error.contains("'caFile'") && error.contains(&path.display().to_string()), "{error}");
    }

    #[test]
    fn failures_name_the_cause_and_the_fix() {
        let options = TlsOptions::default();
        let text = |failure: Failure, mode: Mode| failure.describe("h", 5678, mode, &options).message;
        let version = text(Failure::OldVersion("unsupported protocol".into()), Mode::Legacy);
        assert!(version.contains("no protocol version in common") && version.contains("TLS 1.0 to 1.3"), "{version}");
        let cipher = text(Failure::NoCipher("sslv3 alert handshake failure".into()), Mode::Legacy);
        assert!(
            cipher.contains("no cipher in common")
                && cipher.contains("only TLS 1.0")
                && cipher.contains("security level 0"),
            "{cipher}"
        );
        let untrusted = text(
            Failure::Certificate { code: DEPTH_ZERO_SELF_SIGNED_CERT, text: "self-signed certificate".into() },
            Mode::Modern,
        );
        assert!(
            untrusted.contains("not trusted") && untrusted.contains("'caFile'") && untrusted.contains("'insecure'"),
            "{untrusted}"
        );
        let mismatch =
            text(Failure::Certificate { code: IP_ADDRESS_MISMATCH, text: "IP address mismatch".into() }, Mode::Modern);
        assert!(mismatch.contains("does not name 'h'"), "{mismatch}");
        let reset = text(Failure::Reset, Mode::Modern);
        assert!(reset.contains("reset during the TLS handshake"), "{reset}");
        let plain = text(Failure::NotTls("wrong version number".into()), Mode::Modern);
        assert!(plain.contains("tcp://"), "{plain}");
    }
}
