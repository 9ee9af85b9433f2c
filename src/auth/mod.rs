//! Signing in: every credential the issue lists, behind one [`Authenticator`] that caches the
//! token, refreshes it when it expires (or when Graph says it has), and never lets a secret or a
//! token reach stdout, logs, snapshots or error messages (they live in [`SecretString`]s and
//! are exposed only to build a request).
//!
//! `--auth auto` picks, in this order (the first that the flags or environment provide):
//! 1. `--access-token-file`
//! 2. certificate: `--certificate` / `AZURE_CLIENT_CERTIFICATE_PATH`
//! 3. client secret: `--client-secret-file` / `AZURE_CLIENT_SECRET`
//! 4. workload identity federation: `--federated-token-file` / `AZURE_FEDERATED_TOKEN_FILE`
//! 5. GitHub Actions OIDC: `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`
//! 6. App Service / Functions managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`
//!
//! Interactive sign-ins (`--device-code`, `--interactive`), the VM managed identity (IMDS) and
//! the Azure CLI are never picked automatically: the first two would hang an unattended job,
//! probing IMDS costs a timeout off Azure, and the Azure CLI token cannot read Intune.

pub mod ambient;
pub mod cache;
pub mod cert;
pub mod delegated;
pub mod jwt;

use crate::cloud::Endpoints;
use crate::signin::{AuthMethod, SignIn};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub use crate::cloud::GRAPH_CLI_CLIENT_ID;

/// A sign-in failure. The message never contains a secret or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(String);

impl AuthError {
    pub fn new(msg: impl Into<String>) -> AuthError {
        AuthError(msg.into())
    }
}

/// An access token and the generation it belongs to (for refresh-once-on-401).
#[derive(Clone)]
pub struct Token {
    pub secret: Arc<SecretString>,
    pub generation: u64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(generation {}, [redacted])", self.generation)
    }
}

/// What the token endpoint (or an ambient source) handed out.
pub struct Grant {
    pub access_token: SecretString,
    pub expires_in: Duration,
    pub refresh_token: Option<SecretString>,
}

/// How the client proves itself in a client-credentials request.
pub enum ClientProof {
    Secret(SecretString),
    Certificate(cert::CertificateCredential),
    /// A federated token re-read from this file for every exchange (it is rotated).
    FederatedFile(PathBuf),
    /// GitHub Actions OIDC: a fresh token for every exchange.
    GithubOidc {
        request_url: String,
        request_token: SecretString,
        audience: String,
    },
}

pub enum Source {
    ClientCredentials {
        tenant: String,
        client_id: String,
        proof: ClientProof,
    },
    DeviceCode {
        tenant: String,
        client_id: String,
    },
    Interactive {
        tenant: String,
        client_id: String,
        open_browser: bool,
    },
    ManagedIdentity(ambient::ManagedIdentity),
    AzureCli {
        tenant: Option<String>,
    },
    AccessTokenFile(PathBuf),
}

struct State {
    /// The token and when to renew it.
    current: Option<(Arc<SecretString>, Instant)>,
    generation: u64,
    refresh_token: Option<SecretString>,
}

pub struct Authenticator {
    pub method: AuthMethod,
    /// One line for stderr: which credential, from where.
    pub description: String,
    source: Source,
    endpoints: Endpoints,
    http: reqwest::Client,
    state: tokio::sync::Mutex<State>,
    /// Where a delegated sign-in's refresh token is kept between runs (`None`: not kept).
    cache: Option<cache::TokenCache>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the source: it holds secrets.
        f.debug_struct("Authenticator")
            .field("method", &self.method)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Tokens are renewed at most this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(120);

/// When a token that lives `lifetime` from `issued` should be renewed: once 80 % of its
/// lifetime has passed, but no earlier than [`EXPIRY_MARGIN`] before expiry. A fixed margin
/// alone would renew a token living less than the margin on every request.
fn renew_at(issued: Instant, lifetime: Duration) -> Instant {
    let margin = EXPIRY_MARGIN.min(lifetime / 5);
    issued + lifetime.saturating_sub(margin)
}

impl Authenticator {
    pub fn new(
        method: AuthMethod,
        description: String,
        source: Source,
        endpoints: Endpoints,
    ) -> Result<Authenticator, AuthError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(20))
            .user_agent(concat!("intune-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AuthError::new(format!("cannot start the HTTP client: {e}")))?;
        Ok(Authenticator {
            method,
            description,
            source,
            endpoints,
            http,
            state: tokio::sync::Mutex::new(State {
                current: None,
                generation: 0,
                refresh_token: None,
            }),
            cache: None,
        })
    }

    /// Keeps a delegated sign-in's refresh token in `store` between runs (device code and
    /// browser sign-in only; other credentials are left as they are).
    pub fn with_token_cache(mut self, store: Arc<dyn cache::TokenStore>) -> Authenticator {
        if let Source::DeviceCode { tenant, client_id }
        | Source::Interactive {
            tenant, client_id, ..
        } = &self.source
        {
            let key = cache::CacheKey::new(&self.endpoints, tenant, client_id);
            self.cache = Some(cache::TokenCache::new(store, key));
        }
        self
    }

    /// Whether the token is a user's (delegated) rather than the app's.
    pub fn is_delegated(&self) -> Option<bool> {
        match self.source {
            Source::DeviceCode { .. } | Source::Interactive { .. } | Source::AzureCli { .. } => {
                Some(true)
            }
            Source::ClientCredentials { .. } | Source::ManagedIdentity(_) => Some(false),
            Source::AccessTokenFile(_) => None,
        }
    }

    /// A valid token, signing in or renewing as needed. The lock is held while a new token is
    /// fetched, so concurrent callers wait for that one fetch and share its token.
    pub async fn token(&self) -> Result<Token, AuthError> {
        let mut state = self.state.lock().await;
        if let Some((tok, renew)) = &state.current {
            if *renew > Instant::now() {
                return Ok(Token {
                    secret: tok.clone(),
                    generation: state.generation,
                });
            }
        }
        self.acquire(&mut state).await
    }

    /// Graph rejected the token of `generation` as expired: get a new one, once per generation
    /// (concurrent requests that saw the same 401 share the new token).
    pub async fn refresh(&self, generation: u64) -> Result<Token, AuthError> {
        let mut state = self.state.lock().await;
        if state.generation != generation {
            if let Some((tok, _)) = &state.current {
                return Ok(Token {
                    secret: tok.clone(),
                    generation: state.generation,
                });
            }
        }
        self.acquire(&mut state).await
    }

    async fn acquire(&self, state: &mut State) -> Result<Token, AuthError> {
        let grant = self.fetch(state.refresh_token.take()).await?;
        let secret = Arc::new(grant.access_token);
        state.generation += 1;
        state.current = Some((secret.clone(), renew_at(Instant::now(), grant.expires_in)));
        state.refresh_token = grant.refresh_token;
        Ok(Token {
            secret,
            generation: state.generation,
        })
    }

    async fn fetch(&self, refresh_token: Option<SecretString>) -> Result<Grant, AuthError> {
        match &self.source {
            Source::ClientCredentials {
                tenant,
                client_id,
                proof,
            } => self.client_credentials(tenant, client_id, proof).await,
            Source::DeviceCode { tenant, client_id }
            | Source::Interactive {
                tenant, client_id, ..
            } => {
                if let Some(rt) = refresh_token {
                    match self.refresh_grant(tenant, client_id, &rt).await {
                        Ok(g) => return Ok(self.remember(g)),
                        Err(e) => eprintln!(
                            "intune-audit: renewing the sign-in failed ({e}); signing in again"
                        ),
                    }
                } else if let Some(g) = self.renew_cached(tenant, client_id).await {
                    return Ok(self.remember(g));
                }
                let grant = match &self.source {
                    Source::Interactive { open_browser, .. } => {
                        delegated::interactive(self, tenant, client_id, *open_browser).await
                    }
                    _ => delegated::device_code(self, tenant, client_id).await,
                }?;
                Ok(self.remember(grant))
            }
            Source::ManagedIdentity(mi) => mi.fetch(&self.endpoints).await,
            Source::AzureCli { tenant } => {
                ambient::azure_cli(&self.endpoints, tenant.as_deref()).await
            }
            Source::AccessTokenFile(path) => ambient::token_file(path),
        }
    }

    async fn client_credentials(
        &self,
        tenant: &str,
        client_id: &str,
        proof: &ClientProof,
    ) -> Result<Grant, AuthError> {
        let url = self.endpoints.token_url(tenant);
        let scope = self.endpoints.default_scope();
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", client_id.into()),
            ("scope", scope),
        ];
        const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        let what;
        let mut redact: Option<&str> = None;
        match proof {
            ClientProof::Secret(s) => {
                what = "client secret";
                redact = Some(s.expose_secret());
                form.push(("client_secret", s.expose_secret().to_string()));
            }
            ClientProof::Certificate(c) => {
                what = "certificate";
                form.push(("client_assertion_type", JWT_BEARER.into()));
                form.push(("client_assertion", c.assertion(client_id, &url)?));
            }
            ClientProof::FederatedFile(path) => {
                what = "federated token";
                let text = std::fs::read_to_string(path).map_err(|e| {
                    AuthError::new(format!(
                        "cannot read the federated token file {}: {e}",
                        path.display()
                    ))
                })?;
                let t = text.trim();
                if t.is_empty() {
                    return Err(AuthError::new(format!(
                        "the federated token file {} is empty",
                        path.display()
                    )));
                }
                form.push(("client_assertion_type", JWT_BEARER.into()));
                form.push(("client_assertion", t.to_string()));
            }
            ClientProof::GithubOidc {
                request_url,
                request_token,
                audience,
            } => {
                what = "GitHub Actions OIDC token";
                let t =
                    ambient::github_oidc_token(&self.http, request_url, request_token, audience)
                        .await?;
                form.push(("client_assertion_type", JWT_BEARER.into()));
                form.push(("client_assertion", t.expose_secret().to_string()));
            }
        }
        self.post_token(&url, &form).await.map_err(|f| {
            let mut msg = format!("sign-in with the {what} failed: {f}");
            if let Some(secret) = redact.filter(|s| s.len() >= 4) {
                msg = msg.replace(secret, "[redacted]");
            }
            AuthError::new(msg)
        })
    }

    /// Renews the cached sign-in, if there is one. A refresh token the token endpoint refuses
    /// (expired, revoked, `invalid_grant`) is removed; either way a refusal is one notice and
    /// the normal sign-in follows.
    async fn renew_cached(&self, tenant: &str, client_id: &str) -> Option<Grant> {
        let cache = self.cache.as_ref()?;
        let cached = cache.load()?;
        let who = cached.user.as_deref().unwrap_or("the cached user");
        match self
            .refresh_with(tenant, client_id, &cached.refresh_token)
            .await
        {
            Ok(g) => {
                eprintln!(
                    "intune-audit: signed in as {} with the cached sign-in (intune-audit logout forgets it)",
                    crate::render::safe::visible_line(who)
                );
                Some(g)
            }
            Err(f) => {
                // A 4xx answer (invalid_grant: expired, revoked) refuses this token for good;
                // no answer or a 5xx says nothing about it, so it is kept.
                let refused = (400..500).contains(&f.status);
                if refused {
                    cache.forget();
                }
                eprintln!(
                    "intune-audit: the cached sign-in {} ({f}); signing in again",
                    if refused {
                        "was refused and is forgotten"
                    } else {
                        "could not be renewed"
                    }
                );
                None
            }
        }
    }

    /// Saves a delegated grant's refresh token to the cache (when there is one) and hands the
    /// grant back.
    fn remember(&self, grant: Grant) -> Grant {
        if let (Some(cache), Some(rt)) = (&self.cache, &grant.refresh_token) {
            let user = jwt::claims(grant.access_token.expose_secret()).and_then(|c| c.user());
            cache.save(user, rt);
        }
        grant
    }

    async fn refresh_grant(
        &self,
        tenant: &str,
        client_id: &str,
        refresh_token: &SecretString,
    ) -> Result<Grant, AuthError> {
        self.refresh_with(tenant, client_id, refresh_token)
            .await
            .map_err(|f| AuthError::new(f.to_string()))
    }

    async fn refresh_with(
        &self,
        tenant: &str,
        client_id: &str,
        refresh_token: &SecretString,
    ) -> Result<Grant, OAuthFailure> {
        let url = self.endpoints.token_url(tenant);
        let form: Vec<(&str, String)> = vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", client_id.into()),
            ("refresh_token", refresh_token.expose_secret().to_string()),
            ("scope", self.endpoints.delegated_scopes()),
        ];
        let mut grant = self.post_token(&url, &form).await?;
        if grant.refresh_token.is_none() {
            grant.refresh_token = Some(refresh_token.clone());
        }
        Ok(grant)
    }

    /// POSTs a form to a token endpoint: the only POST besides `$batch`.
    pub(crate) async fn post_token(
        &self,
        url: &str,
        form: &[(&str, String)],
    ) -> Result<Grant, OAuthFailure> {
        let started = std::time::Instant::now();
        let response = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(|e| OAuthFailure::transport(url, &e))?;
        let status = response.status().as_u16();
        // The endpoint and status only: the form and the answer carry secrets and tokens.
        log::info!(
            "POST {} → {status} in {} ms (token request)",
            url.split('?').next().unwrap_or(url),
            started.elapsed().as_millis()
        );
        let body = response
            .bytes()
            .await
            .map_err(|e| OAuthFailure::transport(url, &e))?;
        let value: Value = serde_json::from_slice(&body).map_err(|_| OAuthFailure {
            status,
            error: "invalid_response".into(),
            description: format!("the token endpoint {url} answered HTTP {status} without JSON"),
            codes: vec![],
        })?;
        if !(200..300).contains(&status) || value.get("access_token").is_none() {
            return Err(OAuthFailure::from_body(status, &value));
        }
        grant_from_json(&value).ok_or_else(|| OAuthFailure {
            status,
            error: "invalid_response".into(),
            description: "the token endpoint's answer has no usable access_token".into(),
            codes: vec![],
        })
    }

    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }
}

/// Reads `access_token`, `expires_in` (number or string) and `refresh_token`.
pub(crate) fn grant_from_json(value: &Value) -> Option<Grant> {
    let access = value.get("access_token")?.as_str()?;
    if access.is_empty() {
        return None;
    }
    let secs = |k: &str| match value.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        _ => None,
    };
    let expires_in = match (secs("expires_in"), secs("expires_on")) {
        (Some(s), _) => s,
        (None, Some(on)) => on.saturating_sub(now_epoch()),
        (None, None) => 3600,
    };
    Some(Grant {
        access_token: SecretString::from(access.to_string()),
        expires_in: Duration::from_secs(expires_in),
        refresh_token: value
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(|s| SecretString::from(s.to_string())),
    })
}

pub(crate) fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An OAuth error answer (`error`, `error_description`, `error_codes`) or no answer.
#[derive(Debug, Clone)]
pub struct OAuthFailure {
    pub status: u16,
    pub error: String,
    pub description: String,
    pub codes: Vec<i64>,
}

impl OAuthFailure {
    fn transport(url: &str, e: &reqwest::Error) -> OAuthFailure {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let why = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "connection failed"
        };
        OAuthFailure {
            status: 0,
            error: "unreachable".into(),
            description: format!("the token endpoint at {host} {why}"),
            codes: vec![],
        }
    }

    pub(crate) fn from_body(status: u16, value: &Value) -> OAuthFailure {
        let s = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        OAuthFailure {
            status,
            error: if s("error").is_empty() {
                format!("HTTP {status}")
            } else {
                s("error")
            },
            description: crate::text::one_line(&s("error_description")),
            codes: value
                .get("error_codes")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default(),
        }
    }

    /// Conditional Access refused the sign-in (AADSTS53003 and relatives).
    pub fn blocked_by_policy(&self) -> bool {
        self.codes
            .iter()
            .any(|c| matches!(c, 53003 | 50005 | 530032))
            || self.description.contains("AADSTS53003")
            || self.description.contains("Conditional Access")
    }
}

impl std::fmt::Display for OAuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.description.is_empty() {
            write!(f, "{}", self.error)
        } else {
            write!(f, "{}: {}", self.error, self.description)
        }
    }
}

/// Reads a secret from a file or, for `-`, from standard input; trailing newlines dropped.
fn read_secret_file(path: &Path) -> Result<SecretString, AuthError> {
    use std::io::Read;
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            AuthError::new(format!("cannot read the client secret from stdin: {e}"))
        })?;
    } else {
        text = std::fs::read_to_string(path).map_err(|e| {
            AuthError::new(format!(
                "cannot read the client secret file {}: {e}",
                path.display()
            ))
        })?;
    }
    let trimmed = text.trim_end_matches(['\r', '\n']).to_string();
    text.clear();
    if trimmed.trim().is_empty() {
        return Err(AuthError::new("the client secret is empty"));
    }
    Ok(SecretString::from(trimmed))
}

/// Picks the credential from the flags and environment (`env` reads a variable).
pub fn select(
    args: &SignIn,
    endpoints: &Endpoints,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Authenticator, AuthError> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let explicit = if args.device_code {
        AuthMethod::DeviceCode
    } else if args.interactive {
        AuthMethod::Interactive
    } else {
        args.auth
    };
    let auto = explicit == AuthMethod::Auto;
    let method = if auto {
        if args.access_token_file.is_some() {
            AuthMethod::AccessToken
        } else if args.certificate.is_some() {
            AuthMethod::Certificate
        } else if args.client_secret_file.is_some() || var("AZURE_CLIENT_SECRET").is_some() {
            AuthMethod::ClientSecret
        } else if args.federated_token_file.is_some() {
            AuthMethod::FederatedToken
        } else if var("ACTIONS_ID_TOKEN_REQUEST_URL").is_some()
            && var("ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some()
        {
            AuthMethod::GithubOidc
        } else if var("IDENTITY_ENDPOINT").is_some() && var("IDENTITY_HEADER").is_some() {
            AuthMethod::ManagedIdentity
        } else {
            return Err(AuthError::new(
                "no credentials found: set AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, \
                 AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE; or sign in as an admin with \
                 --device-code or --interactive; or use --auth managed-identity, --auth azure-cli or \
                 --access-token-file (see docs/live-audit.md)",
            ));
        }
    } else {
        explicit
    };
    let picked = if auto { " (picked by --auth auto)" } else { "" };
    let app_ids = |flow: &str| -> Result<(String, String), AuthError> {
        let tenant = args.tenant.clone().ok_or_else(|| {
            AuthError::new(format!(
                "{flow} sign-in needs --tenant (or AZURE_TENANT_ID)"
            ))
        })?;
        let client = args.client_id.clone().ok_or_else(|| {
            AuthError::new(format!(
                "{flow} sign-in needs --client-id (or AZURE_CLIENT_ID): the application (client) id of the app registration"
            ))
        })?;
        Ok((tenant, client))
    };
    let (source, description) = match method {
        AuthMethod::Auto => unreachable!("resolved above"),
        AuthMethod::ClientSecret => {
            let (tenant, client_id) = app_ids("client secret")?;
            let (secret, from) = match &args.client_secret_file {
                Some(p) if p == Path::new("-") => (read_secret_file(p)?, "standard input".to_string()),
                Some(p) => (read_secret_file(p)?, p.display().to_string()),
                None => match var("AZURE_CLIENT_SECRET") {
                    Some(s) => (SecretString::from(s), "AZURE_CLIENT_SECRET".to_string()),
                    None => {
                        return Err(AuthError::new(
                            "client secret sign-in needs AZURE_CLIENT_SECRET or --client-secret-file FILE|-",
                        ))
                    }
                },
            };
            let d = format!("app-only, client secret from {from}, app {client_id}, tenant {tenant}");
            (
                Source::ClientCredentials {
                    tenant,
                    client_id,
                    proof: ClientProof::Secret(secret),
                },
                d,
            )
        }
        AuthMethod::Certificate => {
            let (tenant, client_id) = app_ids("certificate")?;
            let path = args.certificate.clone().ok_or_else(|| {
                AuthError::new("certificate sign-in needs --certificate FILE (or AZURE_CLIENT_CERTIFICATE_PATH)")
            })?;
            let c = cert::CertificateCredential::from_pem_file(&path)?;
            let d = format!(
                "app-only, certificate {} (x5t#S256 {}), app {client_id}, tenant {tenant}",
                path.display(),
                c.thumbprint_s256()
            );
            (
                Source::ClientCredentials {
                    tenant,
                    client_id,
                    proof: ClientProof::Certificate(c),
                },
                d,
            )
        }
        AuthMethod::FederatedToken => {
            let (tenant, client_id) = app_ids("workload identity federation")?;
            let path = args.federated_token_file.clone().ok_or_else(|| {
                AuthError::new("federated sign-in needs AZURE_FEDERATED_TOKEN_FILE (or --federated-token-file)")
            })?;
            let d = format!(
                "app-only, federated token from {}, app {client_id}, tenant {tenant}",
                path.display()
            );
            (
                Source::ClientCredentials {
                    tenant,
                    client_id,
                    proof: ClientProof::FederatedFile(path),
                },
                d,
            )
        }
        AuthMethod::GithubOidc => {
            let (tenant, client_id) = app_ids("GitHub Actions OIDC")?;
            let (Some(url), Some(tok)) = (
                var("ACTIONS_ID_TOKEN_REQUEST_URL"),
                var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
            ) else {
                return Err(AuthError::new(
                    "GitHub Actions OIDC needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN: give the job `permissions: id-token: write`",
                ));
            };
            let d = format!("app-only, GitHub Actions OIDC federated credential, app {client_id}, tenant {tenant}");
            (
                Source::ClientCredentials {
                    tenant,
                    client_id,
                    proof: ClientProof::GithubOidc {
                        request_url: url,
                        request_token: SecretString::from(tok),
                        audience: endpoints.cloud.token_exchange_audience().to_string(),
                    },
                },
                d,
            )
        }
        AuthMethod::DeviceCode | AuthMethod::Interactive => {
            let tenant = args.tenant.clone().unwrap_or_else(|| "organizations".into());
            let (client_id, whose) = match &args.client_id {
                Some(c) => (c.clone(), format!("app {c}")),
                None => (
                    GRAPH_CLI_CLIENT_ID.to_string(),
                    format!("the Microsoft Graph command-line tools public client {GRAPH_CLI_CLIENT_ID}"),
                ),
            };
            if method == AuthMethod::DeviceCode {
                (
                    Source::DeviceCode {
                        tenant: tenant.clone(),
                        client_id,
                    },
                    format!("delegated, device code, {whose}, tenant {tenant}"),
                )
            } else {
                (
                    Source::Interactive {
                        tenant: tenant.clone(),
                        client_id,
                        open_browser: !args.no_browser,
                    },
                    format!("delegated, browser sign-in (authorization code + PKCE), {whose}, tenant {tenant}"),
                )
            }
        }
        AuthMethod::ManagedIdentity => {
            let mi = ambient::ManagedIdentity::from_env(args.client_id.clone(), env);
            let d = format!("app-only, {}", mi.describe());
            (Source::ManagedIdentity(mi), d)
        }
        AuthMethod::AzureCli => (
            Source::AzureCli {
                tenant: args.tenant.clone(),
            },
            "delegated, the Azure CLI's login (az account get-access-token); its token carries no Intune scopes, so the Intune resources will be reported forbidden".to_string(),
        ),
        AuthMethod::AccessToken => {
            let path = args.access_token_file.clone().ok_or_else(|| {
                AuthError::new("--auth access-token needs --access-token-file FILE")
            })?;
            let d = format!("a ready access token from {}", path.display());
            (Source::AccessTokenFile(path), d)
        }
    };
    Authenticator::new(
        method,
        format!("{description}{picked}"),
        source,
        endpoints.clone(),
    )
}

#[cfg(test)]
mod tests;
