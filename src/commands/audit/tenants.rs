//! `audit --tenants FILE --out-dir DIR`: every tenant of the list audited the ordinary way, a
//! few at once, each with its own Graph client (so its own throttling buckets); one folder per
//! tenant with its snapshot and reports, and a summary of all of them. A tenant that cannot be
//! audited is a row of the summary, never the end of the run.

use super::{audit_loaded, nothing_evaluated_reason, render_report, RenderOptions};
use crate::cli::{AuditArgs, ReportFormat};
use crate::config::Config;
use crate::fleet::list::{self, folder_name};
use crate::fleet::{Shard, Summary, TenantEntry, TenantResult};
use crate::snapshot_io;
use anyhow::{Context, Result};
use intune_audit_checks::snapshot::Status;
use intune_audit_checks::{Envelope, Loaded, Settings};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The reports written for every tenant, beside its snapshot.
const TENANT_REPORTS: [(ReportFormat, &str, &str); 4] = [
    (ReportFormat::Json, "json", "report.json"),
    (ReportFormat::Html, "html", "report.html"),
    (ReportFormat::Markdown, "markdown", "report.md"),
    (ReportFormat::Csv, "csv", AFFECTED_CSV),
];
const AFFECTED_CSV: &str = "affected.csv";

pub fn run(args: &AuditArgs, list_file: &Path, out_dir: &Path) -> Result<i32> {
    let mut config = Config::load(args.config.as_deref())?;
    config.preview |= args.preview;
    let shard = match (args.shard, args.shard_count) {
        (Some(shard), _) => Some(shard),
        (None, Some(count)) => Some(indexed_job_shard(
            std::env::var("JOB_COMPLETION_INDEX").ok().as_deref(),
            count,
        )?),
        (None, None) => None,
    };
    let mut tenants = list::load(list_file)?;
    if let Some(shard) = shard {
        tenants.retain(|t| shard.owns(&t.id));
    }
    // Every row's sign-in is checked before any tenant is read: a typo fails fast.
    let mut base = args.connect.sign_in();
    base.history_days = args.history_days;
    base.quiet = true;
    // The connection's concurrency is per tenant; the total stays bounded by --parallel.
    for t in &tenants {
        if t.snapshot.is_none() {
            t.sign_in(&base)?;
        }
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut settings = config.settings();
    settings.history_days = args.history_days;
    let job = Job {
        base,
        config: &config,
        settings: &settings,
        out_dir,
        fail_on: args.fail_on.severity(),
        strict: args.fail_on_not_evaluated,
        max_affected: args.max_affected,
    };
    let results = job.run_all(&tenants, args.parallel as usize);
    let summary = Summary::new(
        job.fail_on,
        job.strict,
        shard.map(|s: Shard| s.to_string()),
        results,
    );
    crate::fleet::report::conclude(&summary, out_dir)
}

struct Job<'a> {
    base: crate::signin::SignIn,
    config: &'a Config,
    settings: &'a Settings,
    out_dir: &'a Path,
    fail_on: intune_audit_checks::Severity,
    strict: bool,
    max_affected: usize,
}

impl Job<'_> {
    /// Audits the tenants on `parallel` threads, each taking the next tenant when it is done.
    fn run_all(&self, tenants: &[TenantEntry], parallel: usize) -> Vec<TenantResult> {
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(tenants.len()));
        std::thread::scope(|scope| {
            for _ in 0..parallel.clamp(1, tenants.len().max(1)) {
                scope.spawn(|| {
                    while let Some(tenant) = tenants.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let result = self.one(tenant);
                        eprintln!("intune-audit: {}", progress_line(&result));
                        if let Ok(mut r) = results.lock() {
                            r.push(result);
                        }
                    }
                });
            }
        });
        results.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// One tenant, start to end; any failure (or panic) becomes its row.
    fn one(&self, tenant: &TenantEntry) -> TenantResult {
        let started = Instant::now();
        let name = tenant.display_name().to_string();
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.audit(tenant, &name)));
        let mut result = match outcome {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => TenantResult::failed(&tenant.id, &name, one_line(&e)),
            Err(_) => TenantResult::failed(
                &tenant.id,
                &name,
                "internal error (a bug): the audit of this tenant panicked".into(),
            ),
        };
        result.seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0;
        result
    }

    fn audit(&self, tenant: &TenantEntry, name: &str) -> Result<TenantResult> {
        let folder = self.out_dir.join(folder_name(&tenant.id));
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let relative = |file: &str| format!("{}/{file}", folder_name(&tenant.id));
        let loaded = match &tenant.snapshot {
            Some(path) => snapshot_io::load_typed(path)?,
            None => {
                let snapshot = crate::live::collect_live(&tenant.sign_in(&self.base)?)?;
                let text = serde_json::to_vec(&snapshot)?;
                snapshot_io::write_atomic(&folder.join("snapshot.json"), &text)?;
                Loaded::from_snapshot(&snapshot)?
            }
        };
        let unread = unread(&loaded.envelope);
        let mut report = audit_loaded(&loaded, self.settings);
        // Waiver notices are per run, not per tenant: the summary carries the findings.
        let _ = self.config.apply(&mut report);
        if report.nothing_evaluated() {
            let mut failed =
                TenantResult::failed(&tenant.id, name, nothing_evaluated_reason(&loaded.envelope));
            failed.unread = unread;
            if tenant.snapshot.is_none() {
                failed
                    .files
                    .insert("snapshot".into(), relative("snapshot.json"));
            }
            return Ok(failed);
        }
        let options = RenderOptions {
            fail_on: self.fail_on,
            max_affected: self.max_affected,
            sarif_artifact: "snapshot.json",
            config: self.config,
            table_width: 160,
            affected_csv: Some(AFFECTED_CSV.into()),
        };
        let fails_run = report.has_problem_at_or_above(self.fail_on)
            || (self.strict && report.has_not_evaluated());
        let mut result = TenantResult::audited(&tenant.id, name, &report, fails_run);
        result.unread = unread;
        for (format, kind, file) in TENANT_REPORTS {
            let text = render_report(&report, format, &options)?;
            snapshot_io::write_atomic(&folder.join(file), text.as_bytes())?;
            result.files.insert(kind.into(), relative(file));
        }
        if tenant.snapshot.is_none() {
            result
                .files
                .insert("snapshot".into(), relative("snapshot.json"));
        }
        Ok(result)
    }
}

/// The shard of a Kubernetes Indexed Job's pod: its 0-based `JOB_COMPLETION_INDEX`, plus one.
fn indexed_job_shard(index: Option<&str>, count: u32) -> Result<Shard> {
    let Some(index) = index else {
        anyhow::bail!("--shard-count needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); elsewhere use --shard K/N");
    };
    let k = index
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|i| i.checked_add(1))
        .ok_or_else(|| anyhow::anyhow!("JOB_COMPLETION_INDEX {index:?} is not a number"))?;
    format!("{k}/{count}").parse().map_err(|e: String| {
        anyhow::anyhow!("JOB_COMPLETION_INDEX {index} with --shard-count {count}: {e}")
    })
}

/// `users: forbidden` for every resource Graph did not serve.
fn unread(s: &Envelope) -> Vec<String> {
    s.resources
        .iter()
        .filter(|(_, e)| e.status != Status::Ok)
        .map(|(k, e)| {
            let status = match e.status {
                Status::Forbidden => "forbidden",
                Status::NotFound => "not found",
                _ => "error",
            };
            format!("{k}: {status}")
        })
        .collect()
}

fn one_line(e: &anyhow::Error) -> String {
    crate::render::safe::visible_line(&format!("{e:#}"))
}

/// `Contoso: 3 fail, 2 warn (12.1 s)` or `Fabrikam: not audited: …`.
fn progress_line(r: &TenantResult) -> String {
    let line = match &r.error {
        Some(e) => format!("{}: not audited: {e}", r.name),
        None => format!(
            "{}: {} fail, {} warn, {} not evaluated ({} s)",
            r.name,
            r.count("fail"),
            r.count("warn"),
            r.count("not_evaluated"),
            r.seconds
        ),
    };
    crate::render::safe::visible_line(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indexed_job_pod_takes_its_shard_from_the_completion_index() {
        let shard = |i: Option<&str>, n| indexed_job_shard(i, n).map(|s| s.to_string());
        assert_eq!(shard(Some("0"), 8).unwrap(), "1/8");
        assert_eq!(shard(Some("7"), 8).unwrap(), "8/8");
        assert!(shard(Some("8"), 8)
            .unwrap_err()
            .to_string()
            .contains("is not a shard"));
        assert!(shard(Some("x"), 8)
            .unwrap_err()
            .to_string()
            .contains("is not a number"));
        assert!(shard(None, 8)
            .unwrap_err()
            .to_string()
            .contains("Indexed Job"));
    }
}
