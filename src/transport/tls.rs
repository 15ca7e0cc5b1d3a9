//! TLS for wss (and the wake-up request): rustls with the webpki roots, plus a user's `caFile`
//! (a corporate or self-signed root), or no verification at all when `insecure` says so.
//! [`TlsOptions`] serve tcps too, whose TLS is OpenSSL's (`tcps.rs`: TLS 1.0 for ptvsd's own).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::ConnectError;

#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra trusted roots (PEM).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. Only when the user says so, and the console says so.
    pub insecure: bool,
}

pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| ConnectError::fatal(format!("cannot set up TLS: {error}")))?;
    let config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = &options.ca_file {
            let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|iter| iter.collect::<Result<_, _>>())
                .map_err(|error| ConnectError::fatal(format!("cannot read 'caFile' {}: {error}", path.display())))?;
            if certificates.is_empty() {
                return Err(ConnectError::fatal(format!("'caFile' {} holds no PEM certificate", path.display())));
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|error| {
                    ConnectError::fatal(format!("'caFile' {}: unusable certificate: {error}", path.display()))
                })?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// Plain words for a failed TLS handshake.
pub fn describe_tls_error(host: &str, port: u16, error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    let hint = if text.contains("UnknownIssuer") || text.contains("invalid peer certificate") {
        "the server's certificate is not signed by a trusted authority: if a corporate proxy or a \
         self-signed certificate is in the way, give its root certificate as 'caFile' (or, knowing the \
         risk, set 'insecure': true)"
    } else if text.contains("NotValidForName") {
        "the certificate does not name this host: check the host name in the URL"
    } else if text.contains("Expired") {
        "the server's certificate has expired"
    } else {
        "check that the port speaks TLS (wss), or use ws:// for a plain relay"
    };
    format!("TLS handshake with {host}:{port} failed ({text}): {hint}")
}

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
