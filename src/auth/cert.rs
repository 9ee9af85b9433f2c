//! Certificate credentials: a signed client assertion (`private_key_jwt`) from a PEM file
//! holding the private key and the certificate (the Azure SDK convention for
//! `AZURE_CLIENT_CERTIFICATE_PATH`).
//!
//! The assertion follows the current Entra docs: `alg=PS256`, `typ=JWT`, `x5t#S256` = base64url
//! of the SHA-256 of the certificate's DER; claims `aud` (the token endpoint), `iss` = `sub` =
//! client id, a fresh `jti`, `nbf` = `iat` = now, `exp` = now + 10 minutes.

use super::AuthError;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lifetime of an assertion.
pub const ASSERTION_LIFETIME_SECS: u64 = 600;

pub struct CertificateCredential {
    key: EncodingKey,
    /// base64url(SHA-256(cert DER)).
    thumbprint_s256: String,
}

impl std::fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("x5t#S256", &self.thumbprint_s256)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
pub struct AssertionClaims {
    pub aud: String,
    pub iss: String,
    pub sub: String,
    pub jti: String,
    pub nbf: u64,
    pub iat: u64,
    pub exp: u64,
}

impl CertificateCredential {
    pub fn from_pem_file(path: &Path) -> Result<CertificateCredential, AuthError> {
        let text = std::fs::read(path).map_err(|e| {
            AuthError::new(format!(
                "cannot read certificate file {}: {e}",
                path.display()
            ))
        })?;
        Self::from_pem(&text)
            .map_err(|e| AuthError::new(format!("certificate file {}: {e}", path.display())))
    }

    pub fn from_pem(text: &[u8]) -> Result<CertificateCredential, String> {
        let blocks = pem::parse_many(text)
            .map_err(|_| "not a PEM file (expected a private key and a certificate)".to_string())?;
        let cert = blocks.iter().find(|b| b.tag() == "CERTIFICATE").ok_or(
            "no CERTIFICATE block: the PEM file must hold the certificate and its private key",
        )?;
        let key_block = blocks
            .iter()
            .find(|b| b.tag() == "PRIVATE KEY" || b.tag() == "RSA PRIVATE KEY")
            .ok_or_else(|| {
                if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
                    "the private key is encrypted; export it without a password (openssl pkcs8 -nocrypt)".to_string()
                } else {
                    "no PRIVATE KEY block: the PEM file must hold the certificate and its RSA private key".to_string()
                }
            })?;
        let key = EncodingKey::from_rsa_pem(pem::encode(key_block).as_bytes())
            .map_err(|_| "the private key is not an RSA key Entra accepts".to_string())?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert.contents());
        let thumbprint_s256 =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
        Ok(CertificateCredential {
            key,
            thumbprint_s256,
        })
    }

    pub fn thumbprint_s256(&self) -> &str {
        &self.thumbprint_s256
    }

    /// A fresh signed assertion for `token_url`.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<String, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = AssertionClaims {
            aud: token_url.to_string(),
            iss: client_id.to_string(),
            sub: client_id.to_string(),
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        let mut header = Header::new(Algorithm::PS256);
        header.typ = Some("JWT".into());
        header.x5t_s256 = Some(self.thumbprint_s256.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| AuthError::new(format!("cannot sign the client assertion: {e}")))
    }
}
