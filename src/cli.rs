//! Command-line definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use intune_audit_checks::Severity;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "intune-audit",
    version,
    about = "Audits a Microsoft 365 tenant for the documented causes of failed Windows enrollment"
)]
pub struct Cli {
    /// Log to stderr: -v each Graph request (method, path, status, time), -vv also the request
    /// plan. Tokens and secrets are never logged. RUST_LOG=debug works too.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Colour on the terminal: auto (when a terminal and NO_COLOR is unset), always, never.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        global = true,
        value_name = "WHEN"
    )]
    pub color: crate::term::ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a tenant (or a saved snapshot) and report which enrollment errors it will produce.
    Audit(AuditArgs),
    /// List the check catalog.
    Checks(CatalogArgs),
    /// Explain an error code, a message on the screen, or a check id.
    Explain(ExplainArgs),
    /// Help desk: check every documented cause for one user, one device, or one error code.
    Diagnose(DiagnoseArgs),
    /// Read the tenant from Microsoft Graph and save a snapshot (for offline audit, diff, tickets).
    Collect(crate::cli_connect::CollectArgs),
    /// Print the Graph permissions each check needs and the commands that grant them.
    Permissions(crate::cli_connect::PermissionsArgs),
    /// Compare two snapshots (or two JSON reports): settings that changed in enrollment terms,
    /// findings that appeared, resolved or persisted.
    Diff(DiffArgs),
    /// Probe, from this network, the endpoints Autopilot, Entra join and Intune enrollment need
    /// (DNS, TCP, TLS; honours HTTPS_PROXY/NO_PROXY). Exit 1 when a required one fails.
    Netcheck(NetcheckArgs),
    /// What broke: the enrollments that failed in the last days (Intune's enrollment failures
    /// and Autopilot deployments), each with the finding that explains it, or none.
    Failures(FailuresArgs),
    /// Merge the summaries of several `audit --tenants --shard K/N` runs into one (summary.json,
    /// summary.md, index.html linking every tenant's report); exit code as the audit's.
    Merge(MergeArgs),
    /// Forget the delegated sign-in (device code, browser) kept in the operating system's
    /// credential store for a tenant and client id.
    Logout(crate::cli_connect::LogoutArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout: `intune-audit man > intune-audit.1`.
    Man,
}

const COMPLETIONS_HELP: &str = "Install:
  bash:        intune-audit completions bash > ~/.local/share/bash-completion/completions/intune-audit
  zsh:         intune-audit completions zsh > \"${fpath[1]}/_intune-audit\"
  fish:        intune-audit completions fish > ~/.config/fish/completions/intune-audit.fish
  PowerShell:  intune-audit completions powershell | Out-String | Invoke-Expression
               (add that line to $PROFILE to keep it)";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct FailuresArgs {
    /// Read the failures from this snapshot file instead of the tenant.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Days of failure history to show (counted back from the collection time).
    #[arg(long, default_value_t = crate::cli_connect::DEFAULT_HISTORY_DAYS, value_name = "DAYS", value_parser = crate::cli_connect::parse_history_days)]
    pub history_days: u32,
    /// Configuration file (as `audit --config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How many failures to list.
    #[arg(long, default_value_t = 25, value_name = "N")]
    pub max_events: usize,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[command(flatten)]
    pub connect: crate::cli_connect::ConnectArgs,
}

/// Output formats of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
    /// The affected objects of the failing and warning findings, one row each.
    Csv,
}

impl ReportFormat {
    /// The format a file name implies: `.sarif`/`.sarif.json`, `.xml` (JUnit), `.md`, `.html`,
    /// `.json`, `.txt` (table), `.csv` (affected objects).
    pub fn from_path(path: &std::path::Path) -> Option<ReportFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let format = if name.ends_with(".sarif") || name.ends_with(".sarif.json") {
            ReportFormat::Sarif
        } else if name.ends_with(".xml") {
            ReportFormat::Junit
        } else if name.ends_with(".md") || name.ends_with(".markdown") {
            ReportFormat::Markdown
        } else if name.ends_with(".html") || name.ends_with(".htm") {
            ReportFormat::Html
        } else if name.ends_with(".json") {
            ReportFormat::Json
        } else if name.ends_with(".txt") {
            ReportFormat::Table
        } else if name.ends_with(".csv") {
            ReportFormat::Csv
        } else {
            return None;
        };
        Some(format)
    }
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Info => Severity::Info,
        }
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit this snapshot file offline instead of reading the tenant.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Audit every tenant of FILE (TOML `[[tenant]]` tables or CSV with a header; docs/scale.md),
    /// a few at once; each gets a folder in --out-dir with its snapshot and reports, and the run
    /// writes summary.json, summary.md and index.html (worst first). Exit 2 if a tenant could
    /// not be audited, else 1 if one fails --fail-on.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["snapshot", "output", "format", "sarif_artifact"], help_heading = "Many tenants")]
    pub tenants: Option<PathBuf>,
    /// With --tenants: the folder for the tenants' folders and the summary.
    #[arg(
        long,
        value_name = "DIR",
        requires = "tenants",
        help_heading = "Many tenants"
    )]
    pub out_dir: Option<PathBuf>,
    /// With --tenants: audit only shard K of N (1-based; tenants are assigned by a fixed hash of
    /// their id, so N machines given the same list split it without overlap). Merge the shards'
    /// summaries with `intune-audit merge`.
    #[arg(
        long,
        value_name = "K/N",
        requires = "tenants",
        help_heading = "Many tenants"
    )]
    pub shard: Option<crate::fleet::Shard>,
    /// With --tenants, instead of --shard: audit shard JOB_COMPLETION_INDEX + 1 of N, the
    /// 0-based index a Kubernetes Indexed Job gives each pod (no shell needed in the image).
    #[arg(long, value_name = "N", requires = "tenants", conflicts_with = "shard", value_parser = clap::value_parser!(u32).range(1..=10000), help_heading = "Many tenants")]
    pub shard_count: Option<u32>,
    /// With --tenants: how many tenants are read at once (each with --concurrency requests in
    /// flight per throttling bucket).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64), help_heading = "Many tenants")]
    pub parallel: u32,
    /// Output format (default: table on stdout; with --output, the format follows each file's
    /// extension).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to FILE (a regular file atomically; a device or FIFO written through; a
    /// symlink's target replaced, the link kept); repeat for several formats from one run. `-`
    /// is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Configuration file (waivers, disabled checks, severity overrides, thresholds,
    /// expectations). Default: ./intune-audit.toml when it exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The repository-relative path SARIF results point at (GitHub code scanning needs a file
    /// location per result). Default: the --snapshot path, else `intune-audit-snapshot.json`.
    #[arg(long, value_name = "PATH")]
    pub sarif_artifact: Option<String>,
    /// Exit 1 when a failing or warning finding is at or above this severity.
    #[arg(long, value_enum, default_value = "high")]
    pub fail_on: FailOn,
    /// Also exit 1 when a check is not evaluated (its data could not be read): a scheduled
    /// audit then fails instead of passing on what it could not see.
    #[arg(long)]
    pub fail_on_not_evaluated: bool,
    /// Run preview checks too (new checks that do not run by default yet; see `checks`).
    #[arg(long)]
    pub preview: bool,
    /// How many affected objects to list per finding in the table.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_affected: usize,
    /// Days of enrollment failure history to read and join with the findings.
    #[arg(long, default_value_t = crate::cli_connect::DEFAULT_HISTORY_DAYS, value_name = "DAYS", value_parser = crate::cli_connect::parse_history_days)]
    pub history_days: u32,
    #[command(flatten)]
    pub connect: crate::cli_connect::ConnectArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Summary files (summary.json), or folders holding one directly or one level down (as
    /// downloaded CI artifacts are laid out).
    #[arg(required = true, num_args = 1.., value_name = "SUMMARY_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Where the merged summary.json, summary.md and index.html go (links are made relative to
    /// it).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot or JSON report.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later snapshot or JSON report.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormat,
    /// Write the diff to FILE (as `audit --output` writes) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration used when auditing snapshots (same as `audit --config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit 1 when a finding that is new (or worse) in NEW is at or above this severity.
    #[arg(long, value_enum, default_value = "high")]
    pub fail_on: FailOn,
    /// Also exit 1 when a check is not evaluated in NEW.
    #[arg(long)]
    pub fail_on_not_evaluated: bool,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// An error code in any spelling (0x801c0003, 80180003, OOBEIDPS), a check id, or words from
    /// the message on the screen (English or Dutch).
    #[arg(required = true, num_args = 1.., value_name = "CODE_OR_CHECK_OR_MESSAGE")]
    pub query: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).multiple(true).args(["user", "device", "error"])))]
pub struct DiagnoseArgs {
    /// Diagnose from this snapshot file (else read only what the question needs from Graph).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// The user: UPN (or on-premises UPN) or object id.
    #[arg(long, value_name = "UPN_OR_ID")]
    pub user: Option<String>,
    /// The device: Autopilot serial or id, Entra device id or object id, or Intune device id.
    #[arg(long, value_name = "SERIAL_OR_ID")]
    pub device: Option<String>,
    /// The error on the screen, in any spelling (0x801c0003, 80180014, OOBEIDPS).
    #[arg(long, value_name = "CODE")]
    pub error: Option<String>,
    #[command(flatten)]
    pub connect: crate::cli_connect::ConnectArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct NetcheckArgs {
    /// Only the endpoints these deployments need (repeat or comma-separate); all by default.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SCENARIO")]
    pub scenario: Vec<crate::netcheck::Scenario>,
    /// Seconds each step (DNS, TCP, proxy, TLS) may take.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: f64,
    /// Probes running at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Probe the endpoints of this JSON file instead of the built-in table (docs/netcheck.md).
    #[arg(long, value_name = "FILE")]
    pub endpoints: Option<PathBuf>,
    /// Also trust the CA certificates of this PEM file. For tests and labs only: a device in
    /// OOBE trusts only the public roots, so a pass with this flag proves nothing about OOBE.
    #[arg(long, value_name = "PEM", hide = true)]
    pub trust_ca: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.05..=300.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0.05 and 300"
        )),
    }
}

/// Help and version go to stdout with exit 0; a usage error is one line on stderr, exit 2.
pub fn report_parse_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                crate::EXIT_ERROR
            } else {
                crate::EXIT_OK
            }
        }
        _ => {
            eprintln!(
                "intune-audit: error: {} (see --help)",
                usage_error_line(&e.render().to_string())
            );
            crate::EXIT_ERROR
        }
    }
}

/// clap's rendered usage error on one line, keeping its reason: the missing arguments, the
/// valid values and the "did you mean" tip; the usage block and "For more information" go.
pub fn usage_error_line(rendered: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for line in rendered.lines() {
        let t = line.trim();
        if t.starts_with("Usage:") || t.starts_with("For more information") {
            break;
        }
        if t.is_empty() {
            continue;
        }
        let t = t.trim_start_matches("error: ");
        // `[possible values: …]` belongs to the line before it.
        match parts.last_mut() {
            Some(last) if t.starts_with('[') => {
                last.push(' ');
                last.push_str(t);
            }
            Some(last) if last.ends_with(':') => {
                last.push(' ');
                last.push_str(t);
            }
            _ => parts.push(t.to_string()),
        }
    }
    let line = parts.join("; ");
    if line.is_empty() {
        "invalid arguments".into()
    } else {
        crate::render::safe::visible_line(&line)
    }
}
