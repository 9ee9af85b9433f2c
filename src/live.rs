//! Live collection: sign in and read the tenant through Graph, for `audit`, `collect` and
//! `diagnose` alike. It takes a plain [`SignIn`], never the CLI's types, and no command
//! imports another command to get it.

use crate::auth;
use crate::cloud::Endpoints;
use crate::graph::checkpoint::Checkpoint;
use crate::graph::client::GraphClient;
use crate::graph::collect::{collect_with, CollectOptions, Collected};
use crate::graph::retry::RetryPolicy;
use crate::graph::targeted::{collect_for, Subject};
use crate::signin::SignIn;
use anyhow::{Context, Result};
use intune_audit_checks::snapshot::{ResourceEntry, Status};
use intune_audit_checks::Snapshot;
use std::sync::Arc;
use std::time::Duration;

/// Signs in and reads every resource of the plan.
pub fn collect_live(args: &SignIn) -> Result<Snapshot> {
    collect_scoped(args, None)
}

/// Signs in and reads the whole plan, or with a subject only what diagnosing it needs (and
/// says on stderr how many Graph requests that took).
pub fn collect_scoped(args: &SignIn, subject: Option<&Subject>) -> Result<Snapshot> {
    Ok(collect_inner(args, subject, Store::default())?.snapshot)
}

/// Signs in and reads every resource of the plan; with `spool`, the large collections go to
/// files in that folder instead of memory; with a `checkpoint`, into it, continuing what it
/// holds (see [`collect_with`]).
pub fn collect_live_with(
    args: &SignIn,
    spool: Option<&std::path::Path>,
    checkpoint: Option<&Checkpoint>,
) -> Result<Collected> {
    collect_inner(args, None, Store { spool, checkpoint })
}

/// Where a collection keeps its large resources while it reads them.
#[derive(Clone, Copy, Default)]
struct Store<'a> {
    spool: Option<&'a std::path::Path>,
    checkpoint: Option<&'a Checkpoint>,
}

fn collect_inner(args: &SignIn, subject: Option<&Subject>, store: Store<'_>) -> Result<Collected> {
    let endpoints = Endpoints::new(
        args.cloud,
        args.graph_url.as_deref(),
        args.login_url.as_deref(),
    )?;
    let env = |k: &str| std::env::var(k).ok();
    let mut authenticator = auth::select(args, &endpoints, &env)?;
    if args.token_cache {
        authenticator = authenticator.with_token_cache(auth::cache::default_store());
    }
    if !args.quiet {
        eprintln!("intune-audit: signing in: {}", authenticator.description);
    }
    let method = authenticator.method;
    let policy = RetryPolicy {
        max_attempts: args.max_attempts,
        deadline: Duration::from_secs(args.deadline.max(1)),
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
        tool_version: crate::TOOL_VERSION.to_string(),
        fallback_tenant: args.tenant.clone(),
        method,
        progress: !args.quiet,
        history_days: args.history_days,
    };
    if subject.is_none() {
        for row in crate::graph::plan::PLAN {
            log::debug!(
                "plan: {} {} ({}, {:?} bucket, needs {})",
                row.resource.key(),
                row.relative_url(),
                match row.shape {
                    crate::graph::plan::Shape::Collection => "paged",
                    crate::graph::plan::Shape::Singleton => "one object",
                    crate::graph::plan::Shape::GroupFanOut => "per group through $batch",
                },
                row.bucket,
                row.permission
            );
        }
    }
    log::debug!(
        "Graph {} (cloud {}), sign-in {}, {} attempts, throttling deadline {} s, concurrency {}",
        endpoints.graph,
        args.cloud.name(),
        authenticator.description,
        policy.max_attempts,
        policy.deadline.as_secs(),
        policy.concurrency
    );
    let authenticator = Arc::new(authenticator);
    let work = async {
        // Sign in first: a wrong secret is one clear error, not 14 forbidden resources.
        authenticator.token().await?;
        let client = GraphClient::new(&endpoints.graph, authenticator.clone(), policy)?;
        let collected = match subject {
            None => collect_with(&client, &opts, store.spool, store.checkpoint).await?,
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
    };
    runtime
        .block_on(async {
            match (store.spool, store.checkpoint) {
                // With a checkpoint, an interrupt ends the run through an error and the caller
                // says how to resume; with a spool, the caller's spool folder is dropped
                // (removed) instead of left behind.
                (_, Some(_)) => tokio::select! {
                    r = work => r,
                    signal = interrupted() => Err(anyhow::anyhow!("interrupted by {signal}")),
                },
                (Some(_), None) => tokio::select! {
                    r = work => r,
                    signal = interrupted() => {
                        Err(anyhow::anyhow!("interrupted by {signal}; the spool folder was removed"))
                    }
                },
                (None, None) => work.await,
            }
        })
        .inspect(|c| {
            if !args.quiet {
                warn_not_collected(&c.snapshot)
            }
        })
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere), naming it. If the handlers cannot be
/// installed it never resolves: the default (terminate) behaviour stays.
async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
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
