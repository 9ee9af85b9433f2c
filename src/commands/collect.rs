//! `intune-audit collect --out FILE`: read the tenant live and save the snapshot.

use crate::auth;
use crate::cli_connect::{CollectArgs, ConnectArgs};
use crate::graph::client::GraphClient;
use crate::graph::cloud::Endpoints;
use crate::graph::collect::{collect_with, write_snapshot, CollectOptions, Collected};
use crate::graph::retry::RetryPolicy;
use crate::graph::targeted::{collect_for, Subject};
use anyhow::{Context, Result};
use intune_audit_checks::snapshot::{ResourceEntry, Status};
use intune_audit_checks::Snapshot;
use std::sync::Arc;
use std::time::Duration;

pub fn run(args: &CollectArgs) -> Result<i32> {
    // The large collections are spooled next to the output (same filesystem, removed when done)
    // and streamed into the snapshot file, so memory stays flat whatever the tenant's size.
    let dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let spool = tempfile::Builder::new()
        .prefix(".intune-audit-spool-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write to folder {}", dir.display()))?;
    let collected = collect_live_with(&args.connect, Some(spool.path()))?;
    if read_nothing(&collected.snapshot) {
        // Replacing a good snapshot with an empty one would hide the failure until the next
        // audit.
        anyhow::bail!(
            "nothing was collected: Graph refused every read ({}); {} was not written",
            summary(&collected.snapshot),
            args.out.display()
        );
    }
    write_snapshot(&args.out, &collected)?;
    let shown = if args.out.as_os_str() == "-" {
        "stdout".into()
    } else {
        args.out.display().to_string()
    };
    eprintln!("intune-audit: {} → {shown}", summary(&collected.snapshot));
    Ok(crate::EXIT_OK)
}

/// No resource was read. Group memberships do not count: they are read only for groups the
/// other resources name, so with those failed they are vacuously "ok".
fn read_nothing(s: &Snapshot) -> bool {
    let mut direct = s
        .resources
        .iter()
        .filter(|(k, _)| k.as_str() != intune_audit_checks::Resource::GroupMembers.key())
        .peekable();
    direct.peek().is_some() && direct.all(|(_, e)| e.status != Status::Ok)
}

/// One line: how many resources ended how.
pub fn summary(s: &Snapshot) -> String {
    let count = |st: Status| s.resources.values().filter(|e| e.status == st).count();
    let mut parts = vec![format!("{} ok", count(Status::Ok))];
    for (st, name) in [
        (Status::Forbidden, "forbidden"),
        (Status::NotFound, "not found"),
        (Status::Error, "error"),
    ] {
        let n = count(st);
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    format!(
        "collected {} resources ({}) from tenant {}",
        s.resources.len(),
        parts.join(", "),
        s.tenant.id
    )
}

/// Signs in and reads every resource of the plan.
pub fn collect_live(args: &ConnectArgs) -> Result<Snapshot> {
    collect_scoped(args, None)
}

/// Signs in and reads the whole plan, or with a subject only what diagnosing it needs (and
/// says on stderr how many Graph requests that took).
pub fn collect_scoped(args: &ConnectArgs, subject: Option<&Subject>) -> Result<Snapshot> {
    Ok(collect_inner(args, subject, None)?.snapshot)
}

/// Signs in and reads every resource of the plan; with `spool`, the large collections go to
/// files in that folder instead of memory.
pub fn collect_live_with(args: &ConnectArgs, spool: Option<&std::path::Path>) -> Result<Collected> {
    collect_inner(args, None, spool)
}

fn collect_inner(
    args: &ConnectArgs,
    subject: Option<&Subject>,
    spool: Option<&std::path::Path>,
) -> Result<Collected> {
    let endpoints = Endpoints::new(
        args.cloud,
        args.graph_url.as_deref(),
        args.login_url.as_deref(),
    )?;
    let env = |k: &str| std::env::var(k).ok();
    let authenticator = auth::select(args, &endpoints, &env)?;
    eprintln!("intune-audit: signing in: {}", authenticator.description);
    let method = authenticator.method;
    let policy = RetryPolicy {
        max_attempts: args.max_attempts,
        base_delay: Duration::from_millis(args.retry_base_ms),
        max_delay: Duration::from_millis(args.retry_base_ms.saturating_mul(60))
            .min(Duration::from_secs(120)),
        timeout: Duration::from_secs(args.timeout.max(1)),
        concurrency: args.concurrency as usize,
        ..RetryPolicy::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let opts = CollectOptions {
        cloud: args.cloud.name().to_string(),
        tool_version: crate::commands::audit::TOOL_VERSION.to_string(),
        fallback_tenant: args.tenant.clone(),
        method,
        progress: true,
    };
    let authenticator = Arc::new(authenticator);
    runtime
        .block_on(async {
            // Sign in first: a wrong secret is one clear error, not 14 forbidden resources.
            authenticator.token().await?;
            let client = GraphClient::new(&endpoints.graph, authenticator.clone(), policy)?;
            let collected = match subject {
                None => collect_with(&client, &opts, spool).await?,
                Some(subject) => {
                    let snapshot = collect_for(&client, &opts, subject).await?;
                    let requests = client
                        .stats
                        .requests
                        .load(std::sync::atomic::Ordering::Relaxed);
                    eprintln!("intune-audit: read {requests} Graph requests for this diagnosis");
                    Collected {
                        snapshot,
                        spooled: Default::default(),
                    }
                }
            };
            Ok::<_, anyhow::Error>(collected)
        })
        .inspect(|c| warn_not_collected(&c.snapshot))
}

/// One stderr line per resource that could not be read, so a partial collection is never
/// silent.
fn warn_not_collected(s: &Snapshot) {
    for (key, e) in &s.resources {
        if let Some(line) = not_collected_line(key, e) {
            eprintln!("{line}");
        }
    }
}

/// `intune-audit: warning: <resource> not collected: <status> (<message or permission>)`.
pub fn not_collected_line(key: &str, e: &ResourceEntry) -> Option<String> {
    let status = match e.status {
        Status::Ok => return None,
        Status::Forbidden => "forbidden",
        Status::NotFound => "not found",
        Status::Error => "error",
    };
    let detail = e
        .message
        .as_deref()
        .or(e.permission.as_deref())
        .unwrap_or("no detail");
    // Graph's text goes to a terminal: no control characters.
    let detail = crate::render::safe::visible_line(detail);
    Some(format!(
        "intune-audit: warning: {key} not collected: {status} ({detail})"
    ))
}
