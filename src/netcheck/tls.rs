//! TLS: the public roots, and a verifier that records what the server presented and whether it
//! verifies, then lets the handshake finish — so that "a certificate was swapped" (TLS
//! inspection) can be told apart from "the handshake failed".
//!
//! Nothing is ever sent over the connection after the handshake: the probe closes it.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The verifier every probe starts from: the public (Mozilla) roots — deliberately not the
/// machine's store, where a TLS-inspection CA may have been added, since a device in OOBE does
/// not have it — plus any extra roots given for testing.
#[derive(Debug, Clone)]
pub struct Trust {
    verifier: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    /// How many extra (non-public) roots are trusted.
    pub extra_roots: usize,
}

impl Trust {
    pub fn public(extra_roots: &[CertificateDer<'static>]) -> anyhow::Result<Trust> {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
        let (added, ignored) = roots.add_parsable_certificates(extra_roots.iter().cloned());
        if ignored > 0 {
            anyhow::bail!("{ignored} of the extra root certificates could not be used as roots");
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()?;
        Ok(Trust {
            verifier,
            provider,
            extra_roots: added,
        })
    }

    /// The certificates of a PEM file (for `--trust-ca`).
    pub fn read_pem(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
        use anyhow::Context;
        let certs = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} is not a PEM certificate file", path.display()))?;
        if certs.is_empty() {
            anyhow::bail!("{} holds no PEM certificate", path.display());
        }
        Ok(certs)
    }

    /// A client config for one probe, with its own recorder.
    pub fn client_config(&self) -> anyhow::Result<(Arc<ClientConfig>, Arc<Recorder>)> {
        let recorder = Arc::new(Recorder {
            inner: self.verifier.clone(),
            seen: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        Ok((Arc::new(config), recorder))
    }
}

/// What the server presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// Issuer of the leaf certificate (`CN=..., O=...`), or why it could not be read.
    pub issuer: String,
    pub subject: String,
    /// `None` when the chain verifies against the trusted roots and the host name.
    pub problem: Option<CertProblem>,
}

/// Why a presented certificate does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// The chain does not lead to a trusted (public) root: the signature of TLS inspection.
    UntrustedIssuer(String),
    /// It leads to a trusted root but is not valid here: wrong name, expired, revoked, ...
    Invalid(String),
}

/// Records the leaf and the verification result, and accepts so the handshake can finish.
/// Handshake signatures are still checked by the real verifier, so a completed handshake means
/// the server holds the key of the certificate it showed.
#[derive(Debug)]
pub struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Presented>>,
}

impl Recorder {
    pub fn presented(&self) -> Option<Presented> {
        self.seen.lock().map(|g| g.clone()).unwrap_or(None)
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let (issuer, subject) = names(end_entity.as_ref());
        let problem = result.err().map(classify);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Presented {
                issuer,
                subject,
                problem,
            });
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn classify(e: rustls::Error) -> CertProblem {
    use rustls::CertificateError as C;
    match &e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                CertProblem::UntrustedIssuer(e.to_string())
            }
            C::Other(_) => CertProblem::UntrustedIssuer(e.to_string()),
            _ => CertProblem::Invalid(e.to_string()),
        },
        _ => CertProblem::UntrustedIssuer(e.to_string()),
    }
}

/// Issuer and subject of a DER certificate, as `CN=..., O=...`.
pub fn names(der: &[u8]) -> (String, String) {
    use x509_parser::prelude::{FromDer, X509Certificate};
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => (cert.issuer().to_string(), cert.subject().to_string()),
        Err(e) => {
            let why = format!("(unreadable certificate: {e})");
            (why.clone(), why)
        }
    }
}
