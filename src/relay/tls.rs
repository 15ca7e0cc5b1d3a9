//! Serving `wss`: a rustls server configuration from a PEM certificate chain and key.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Loads `cert` (one or more CERTIFICATE blocks, the server's first) and `key` (PKCS#8, PKCS#1
/// or SEC1), both PEM. The errors name the file and what is wrong with it.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let cert_pem =
        std::fs::read(cert).map_err(|error| format!("cannot read the certificate {}: {error}", cert.display()))?;
    let key_pem = std::fs::read(key).map_err(|error| format!("cannot read the key {}: {error}", key.display()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("{} is not a PEM certificate file: {error}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no PEM CERTIFICATE block", cert.display()));
    }
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|error| format!("{} holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {error}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS configuration: {error}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|error| {
            format!("the key in {} does not suit the certificate in {}: {error}", key.display(), cert.display())
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempFiles(Vec<std::path::PathBuf>);

    impl TempFiles {
        fn write(&mut self, name: &str, text: &str) -> std::path::PathBuf {
            let path = std::env::temp_dir().join(format!("ptvsd-dap-relay-tls-{}-{name}", std::process::id()));
            std::fs::write(&path, text).unwrap();
            self.0.push(path.clone());
            path
        }
    }

    impl Drop for TempFiles {
        fn drop(&mut self) {
            for path in &self.0 {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    #[test]
    fn loads_a_certificate_and_names_what_is_wrong() {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let mut files = TempFiles(Vec::new());
        let cert = files.write("cert.pem", &generated.cert.pem());
        let key = files.write("key.pem", &generated.signing_key.serialize_pem());
        assert!(acceptor(&cert, &key).is_ok());

        let error = acceptor(&cert, &cert).err().unwrap();
        assert!(error.contains("private key") && error.contains(&cert.display().to_string()), "{error}");
        let error = acceptor(&key, &key).err().unwrap();
        assert!(error.contains("CERTIFICATE"), "{error}");
        let missing = std::env::temp_dir().join("ptvsd-dap-relay-no-such-file.pem");
        let error = acceptor(&missing, &key).err().unwrap();
        assert!(error.contains("cannot read the certificate"), "{error}");
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let other_key = files.write("other-key.pem", &other.signing_key.serialize_pem());
        let error = acceptor(&cert, &other_key).err().unwrap();
        assert!(error.contains("does not suit"), "{error}");
    }
}
