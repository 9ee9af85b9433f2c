//! How to sign in and where Graph is: a plain struct the CLI builds from its flags, so that
//! sign-in and the Graph collector never see clap's types.

use crate::cloud::Cloud;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// Pick from the flags and environment (order in docs/live-audit.md).
    Auto,
    /// App-only with AZURE_CLIENT_SECRET or --client-secret-file.
    ClientSecret,
    /// App-only with a certificate (PEM key + cert): --certificate / AZURE_CLIENT_CERTIFICATE_PATH.
    Certificate,
    /// App-only with a federated token file (AZURE_FEDERATED_TOKEN_FILE).
    FederatedToken,
    /// App-only with the GitHub Actions OIDC token (federated credential, no secret).
    GithubOidc,
    /// Delegated: device code (URL and code on stderr).
    DeviceCode,
    /// Delegated: browser sign-in (authorization code + PKCE on a loopback redirect).
    Interactive,
    /// Azure managed identity (App Service IDENTITY_ENDPOINT, else the VM's IMDS).
    ManagedIdentity,
    /// The Azure CLI's login (no Intune scopes: Intune resources come back forbidden).
    AzureCli,
    /// A ready access token from --access-token-file.
    AccessToken,
}

/// Everything sign-in and collection need from the command line.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub auth: AuthMethod,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub certificate: Option<PathBuf>,
    pub federated_token_file: Option<PathBuf>,
    pub access_token_file: Option<PathBuf>,
    pub device_code: bool,
    pub interactive: bool,
    pub no_browser: bool,
    pub cloud: Cloud,
    pub graph_url: Option<String>,
    pub login_url: Option<String>,
    pub timeout: u64,
    pub max_attempts: u32,
    /// Seconds from the start until which throttled requests are retried.
    pub deadline: u64,
    pub concurrency: u32,
    pub retry_base_ms: u64,
    /// The failure history window read into the snapshot, in days.
    pub history_days: u32,
    /// No progress bars and no stderr lines: set when several tenants are read at once and
    /// their outcome goes into a summary instead.
    pub quiet: bool,
    /// Keep a delegated sign-in's refresh token in the OS credential store between runs.
    pub token_cache: bool,
}
