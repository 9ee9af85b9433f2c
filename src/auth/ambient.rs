//! Credentials the environment already holds: managed identity, the Azure CLI's login, a ready
//! token in a file, and the GitHub Actions OIDC token used for workload identity federation.

use super::{grant_from_json, AuthError, Grant};
use crate::cloud::Endpoints;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Fetches a fresh GitHub Actions OIDC token for `audience` (never cached: they are short-lived).
pub async fn github_oidc_token(
    http: &reqwest::Client,
    request_url: &str,
    request_token: &SecretString,
    audience: &str,
) -> Result<SecretString, AuthError> {
    let sep = if request_url.contains('?') { '&' } else { '?' };
    let url = format!("{request_url}{sep}audience={}", form_encode(audience));
    let fail = |why: String| {
        AuthError::new(format!(
            "getting the GitHub Actions OIDC token failed: {why}"
        ))
    };
    let response = http
        .get(&url)
        .bearer_auth(request_token.expose_secret())
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| {
            fail(if e.is_timeout() {
                "timed out".into()
            } else {
                "could not connect".into()
            })
        })?;
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .await
        .map_err(|_| fail(format!("HTTP {status} without JSON")))?;
    if !(200..300).contains(&status) {
        return Err(fail(format!(
            "HTTP {status} (does the job have `permissions: id-token: write`?)"
        )));
    }
    match body.get("value").and_then(Value::as_str) {
        Some(v) if !v.is_empty() => Ok(SecretString::from(v.to_string())),
        _ => Err(fail("the answer has no `value`".into())),
    }
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Azure managed identity: App Service / Functions (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`)
/// or the VM instance metadata service (IMDS).
#[derive(Debug)]
pub struct ManagedIdentity {
    kind: MiKind,
    client_id: Option<String>,
}

#[derive(Debug)]
enum MiKind {
    AppService {
        endpoint: String,
        header: SecretString,
    },
    Imds {
        endpoint: String,
    },
}

/// IMDS token path; `AZURE_POD_IDENTITY_AUTHORITY_HOST` overrides the host as in the Azure SDKs.
const IMDS_HOST: &str = "http://169.254.169.254";
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

impl ManagedIdentity {
    pub fn from_env(
        client_id: Option<String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ManagedIdentity {
        let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let kind = match (var("IDENTITY_ENDPOINT"), var("IDENTITY_HEADER")) {
            (Some(endpoint), Some(header)) => MiKind::AppService {
                endpoint,
                header: SecretString::from(header),
            },
            _ => {
                let host = var("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                    .unwrap_or_else(|| IMDS_HOST.to_string());
                MiKind::Imds {
                    endpoint: format!("{}{IMDS_PATH}", host.trim_end_matches('/')),
                }
            }
        };
        ManagedIdentity { kind, client_id }
    }

    pub fn describe(&self) -> String {
        let who = match &self.client_id {
            Some(c) => format!("user-assigned identity {c}"),
            None => "system-assigned identity".to_string(),
        };
        match &self.kind {
            MiKind::AppService { .. } => {
                format!("managed identity (App Service IDENTITY_ENDPOINT), {who}")
            }
            MiKind::Imds { .. } => format!("managed identity (instance metadata service), {who}"),
        }
    }

    pub async fn fetch(&self, endpoints: &Endpoints) -> Result<Grant, AuthError> {
        // No proxy (IMDS must be reached directly) and a short connect timeout: off Azure the
        // address does not answer, and that should fail fast.
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| AuthError::new(format!("cannot start the HTTP client: {e}")))?;
        let resource = endpoints.cloud.graph_resource();
        let mut attempt = 0u32;
        loop {
            let request = match &self.kind {
                MiKind::AppService { endpoint, header } => {
                    let mut q = vec![("api-version", "2019-08-01"), ("resource", resource)];
                    if let Some(c) = &self.client_id {
                        q.push(("client_id", c));
                    }
                    http.get(endpoint)
                        .query(&q)
                        .header("X-IDENTITY-HEADER", header.expose_secret())
                }
                MiKind::Imds { endpoint } => {
                    let mut q = vec![("api-version", "2018-02-01"), ("resource", resource)];
                    if let Some(c) = &self.client_id {
                        q.push(("client_id", c));
                    }
                    http.get(endpoint).query(&q).header("Metadata", "true")
                }
            };
            let fail =
                |why: String| AuthError::new(format!("managed identity sign-in failed: {why}"));
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    return Err(fail(if e.is_connect() || e.is_timeout() {
                        "the managed identity endpoint did not answer (is this running on Azure with a managed identity?)".into()
                    } else {
                        "the connection failed".into()
                    }))
                }
            };
            let status = response.status().as_u16();
            // IMDS answers 429/5xx under load: retry a few times.
            if (status == 429 || status >= 500) && attempt < 4 {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                continue;
            }
            let body: Value = response
                .json()
                .await
                .map_err(|_| fail(format!("HTTP {status} without JSON")))?;
            if !(200..300).contains(&status) {
                let f = super::OAuthFailure::from_body(status, &body);
                return Err(fail(f.to_string()));
            }
            return grant_from_json(&body)
                .ok_or_else(|| fail("the answer has no access_token".into()));
        }
    }
}

/// `az account get-access-token`: reuses the Azure CLI's login.
pub async fn azure_cli(endpoints: &Endpoints, tenant: Option<&str>) -> Result<Grant, AuthError> {
    let mut cmd = tokio::process::Command::new(if cfg!(windows) { "az.cmd" } else { "az" });
    cmd.args([
        "account",
        "get-access-token",
        "--resource",
        endpoints.cloud.graph_resource(),
        "-o",
        "json",
    ]);
    if let Some(t) = tenant {
        cmd.args(["--tenant", t]);
    }
    cmd.stdin(std::process::Stdio::null());
    let out = cmd.output().await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            AuthError::new("--auth azure-cli: the Azure CLI (az) is not installed or not on PATH")
        } else {
            AuthError::new(format!("--auth azure-cli: cannot run az: {e}"))
        }
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .map(|l| l.trim().trim_start_matches("ERROR:").trim())
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        return Err(AuthError::new(format!(
            "--auth azure-cli: az account get-access-token failed: {} (run `az login`)",
            crate::text::one_line(line)
        )));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| AuthError::new("--auth azure-cli: az printed no JSON"))?;
    let token = v
        .get("accessToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AuthError::new("--auth azure-cli: az's answer has no accessToken"))?;
    let expires_on = match v.get("expires_on") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let expires_in = expires_on
        .map(|on| on.saturating_sub(super::now_epoch()))
        .unwrap_or(300);
    Ok(Grant {
        access_token: SecretString::from(token.to_string()),
        expires_in: Duration::from_secs(expires_in),
        refresh_token: None,
    })
}

/// A ready token from a file (re-read on refresh, so an outside process can rotate it).
pub fn token_file(path: &Path) -> Result<Grant, AuthError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        AuthError::new(format!(
            "cannot read the access token file {}: {e}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(AuthError::new(format!(
            "the access token file {} is empty",
            path.display()
        )));
    }
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    let expires_in = match super::jwt::claims(token).and_then(|c| c.exp) {
        Some(exp) => {
            let now = super::now_epoch() as i64;
            if exp <= now {
                return Err(AuthError::new(format!(
                    "the access token in {} expired {} minutes ago; get a new one",
                    path.display(),
                    (now - exp) / 60
                )));
            }
            (exp - now) as u64
        }
        None => 3600,
    };
    Ok(Grant {
        access_token: SecretString::from(token.to_string()),
        expires_in: Duration::from_secs(expires_in),
        refresh_token: None,
    })
}
