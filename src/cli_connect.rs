//! Connection flags shared by `audit` (live) and `collect`: how to sign in and where Graph is.

use crate::cloud::Cloud;
use crate::signin::SignIn;
use clap::Args;
use std::path::PathBuf;

pub use crate::signin::AuthMethod;

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// How to sign in.
    #[arg(long, value_enum, default_value = "auto", help_heading = "Connection")]
    pub auth: AuthMethod,
    /// Tenant id or domain (delegated sign-in defaults to `organizations`).
    #[arg(
        long,
        env = "AZURE_TENANT_ID",
        value_name = "TENANT",
        help_heading = "Connection"
    )]
    pub tenant: Option<String>,
    /// Application (client) id; delegated sign-in defaults to the Microsoft Graph command-line
    /// tools public client.
    #[arg(
        long,
        env = "AZURE_CLIENT_ID",
        value_name = "GUID",
        help_heading = "Connection"
    )]
    pub client_id: Option<String>,
    /// Read the client secret from FILE, or from standard input with `-` (AZURE_CLIENT_SECRET
    /// is read too; a secret is never taken as a flag value).
    #[arg(long, value_name = "FILE|-", help_heading = "Connection")]
    pub client_secret_file: Option<PathBuf>,
    /// PEM file with the certificate and its unencrypted RSA private key.
    #[arg(
        long,
        env = "AZURE_CLIENT_CERTIFICATE_PATH",
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub certificate: Option<PathBuf>,
    /// File holding a federated (workload identity) token, re-read for every sign-in.
    #[arg(
        long,
        env = "AZURE_FEDERATED_TOKEN_FILE",
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub federated_token_file: Option<PathBuf>,
    /// File holding a ready Graph access token.
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub access_token_file: Option<PathBuf>,
    /// Sign in as a user with a device code (same as --auth device-code).
    #[arg(long, conflicts_with = "interactive", help_heading = "Connection")]
    pub device_code: bool,
    /// Sign in as a user in the browser (same as --auth interactive).
    #[arg(long, help_heading = "Connection")]
    pub interactive: bool,
    /// With --interactive: print the sign-in URL without opening a browser.
    #[arg(long, help_heading = "Connection")]
    pub no_browser: bool,
    /// Neither read nor keep the delegated sign-in's refresh token in the operating system's
    /// credential store (by default the next run in the same hours does not ask again).
    #[arg(
        long,
        env = "INTUNE_AUDIT_NO_TOKEN_CACHE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new(),
        help_heading = "Connection"
    )]
    pub no_token_cache: bool,
    /// National cloud.
    #[arg(
        long,
        value_enum,
        default_value = "global",
        help_heading = "Connection"
    )]
    pub cloud: Cloud,
    /// Graph base URL override (http:// only for loopback hosts).
    #[arg(long, value_name = "URL", help_heading = "Connection")]
    pub graph_url: Option<String>,
    /// Login authority override (http:// only for loopback hosts).
    #[arg(long, value_name = "URL", help_heading = "Connection")]
    pub login_url: Option<String>,
    /// Timeout of one Graph request, in seconds.
    #[arg(
        long,
        default_value_t = 60,
        value_name = "SECONDS",
        help_heading = "Connection"
    )]
    pub timeout: u64,
    /// Attempts per request on transient failures (502/504, no answer). Throttling (429/503)
    /// is not counted: it is retried until --deadline.
    #[arg(long, default_value_t = 6, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20), help_heading = "Connection")]
    pub max_attempts: u32,
    /// How long throttling may slow the run, in seconds from the start: a throttled request
    /// waits as Graph asks and is retried until then, and only then ends as an error.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Connection")]
    pub deadline: u64,
    /// Requests in flight per throttling bucket (directory, Intune devices, Intune enrollment)
    /// at the start: a bucket widens up to 4 times this while Graph does not throttle it and
    /// halves when it does.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=32), help_heading = "Connection")]
    pub concurrency: u32,
    /// First backoff step in milliseconds when Graph sends no Retry-After (tests use a few ms).
    #[arg(long, default_value_t = 1000, hide = true)]
    pub retry_base_ms: u64,
}

impl ConnectArgs {
    /// The sign-in the flags describe, as the auth and Graph layers take it (they never see clap).
    pub fn sign_in(&self) -> SignIn {
        SignIn {
            auth: self.auth,
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            client_secret_file: self.client_secret_file.clone(),
            certificate: self.certificate.clone(),
            federated_token_file: self.federated_token_file.clone(),
            access_token_file: self.access_token_file.clone(),
            device_code: self.device_code,
            interactive: self.interactive,
            no_browser: self.no_browser,
            cloud: self.cloud,
            graph_url: self.graph_url.clone(),
            login_url: self.login_url.clone(),
            timeout: self.timeout,
            max_attempts: self.max_attempts,
            deadline: self.deadline,
            concurrency: self.concurrency,
            retry_base_ms: self.retry_base_ms,
            history_days: DEFAULT_HISTORY_DAYS,
            quiet: false,
            token_cache: !self.no_token_cache,
        }
    }
}

/// The default failure history window, in days.
pub const DEFAULT_HISTORY_DAYS: u32 = 30;

pub fn parse_history_days(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(v) if (1..=365).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a number of days between 1 and 365")),
    }
}

/// `intune-audit collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Write the snapshot here: a regular file is replaced atomically; a device or FIFO is
    /// written through; a symlink's target is replaced (the link stays); `-` is stdout.
    /// `-o`/`--output` work too, as in the other commands.
    #[arg(long, short = 'o', visible_alias = "output", value_name = "FILE")]
    pub out: PathBuf,
    /// Days of enrollment failure history (troubleshooting and Autopilot events) to read.
    #[arg(long, default_value_t = DEFAULT_HISTORY_DAYS, value_name = "DAYS", value_parser = parse_history_days)]
    pub history_days: u32,
    /// Continue the interrupted collection into this --out from the pages it had read. Every
    /// collection into a file keeps a private checkpoint beside it (a 0700 folder
    /// `.intune-audit-resume-<hash>`) until the snapshot is written; an interrupt or a failed
    /// sign-in leaves it for --resume. It must be the same tenant, Graph endpoint, sign-in,
    /// --history-days and intune-audit version, or the resume is refused. Without --resume a
    /// collection discards an old checkpoint; with --resume and none, it starts from the
    /// beginning (and says so). Checkpoints untouched for 7 days are removed.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `intune-audit permissions`.
#[derive(Debug, Args)]
pub struct PermissionsArgs {
    /// Application (client) id or managed identity's service principal to put in the commands.
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,
}

/// `intune-audit logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Tenant id or domain of the sign-in to forget (as given to `--tenant`; default
    /// `organizations`).
    #[arg(long, env = "AZURE_TENANT_ID", value_name = "TENANT")]
    pub tenant: Option<String>,
    /// Application (client) id of the sign-in to forget (default: the Microsoft Graph
    /// command-line tools public client).
    #[arg(long, env = "AZURE_CLIENT_ID", value_name = "GUID")]
    pub client_id: Option<String>,
    /// National cloud.
    #[arg(long, value_enum, default_value = "global")]
    pub cloud: Cloud,
    /// Login authority override (as given to the sign-in).
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,
}
