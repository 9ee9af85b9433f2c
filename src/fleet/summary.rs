//! The summary of a many-tenant run: one row per tenant (audited or why not, its counts, its
//! files), worst first, as JSON (`summary.json`, what `merge` reads), Markdown and an HTML index
//! that links each tenant's report.

use crate::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use anyhow::{bail, Context, Result};
use intune_audit_checks::{Report, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

pub const SUMMARY_SCHEMA: &str = "intune-audit/summary";
pub const SUMMARY_VERSION: u32 = 1;
pub const SUMMARY_FILE: &str = "summary.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub schema: String,
    pub version: u32,
    pub tool_version: String,
    pub generated_at: String,
    /// The `--fail-on` severity every tenant was judged with.
    pub fail_on: String,
    pub fail_on_not_evaluated: bool,
    /// The shards this summary covers (`["2/8"]`; several after a merge; empty: the whole list).
    #[serde(default)]
    pub shards: Vec<String>,
    pub tenants: Vec<TenantResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantOutcome {
    /// The tenant could not be audited (sign-in refused, consent missing, nothing readable, …).
    Failed,
    Audited,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantResult {
    pub id: String,
    pub name: String,
    pub outcome: TenantOutcome,
    /// Why the tenant could not be audited (one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Findings per status (`fail`, `warn`, `not_evaluated`, `pass`, `not_applicable`).
    #[serde(default)]
    pub by_status: BTreeMap<String, usize>,
    /// Failing and warning findings per severity.
    #[serde(default)]
    pub by_severity: BTreeMap<String, usize>,
    /// The tenant fails the run: a finding at or above `failOn` (or, with
    /// `failOnNotEvaluated`, a check not evaluated).
    pub fails_run: bool,
    /// Resources Graph did not serve (`resource: status`), so some checks were not evaluated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// Files of this tenant, relative to the summary's folder.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    pub seconds: f64,
}

impl TenantResult {
    pub fn count(&self, status: &str) -> usize {
        self.by_status.get(status).copied().unwrap_or(0)
    }
    fn severity(&self, s: Severity) -> usize {
        self.by_severity.get(s.as_str()).copied().unwrap_or(0)
    }
    /// The worst severity among failing and warning findings.
    pub fn worst(&self) -> Option<Severity> {
        Severity::ALL.into_iter().find(|&s| self.severity(s) > 0)
    }
    /// Sort key, smallest first = worst first: failed tenants, then those that fail the run,
    /// then by findings per severity, fails, warns; ties by name.
    fn badness(&self) -> impl Ord + '_ {
        let severities: Vec<std::cmp::Reverse<usize>> = Severity::ALL
            .into_iter()
            .map(|s| std::cmp::Reverse(self.severity(s)))
            .collect();
        (
            self.outcome,
            !self.fails_run,
            severities,
            std::cmp::Reverse(self.count("fail")),
            std::cmp::Reverse(self.count("warn")),
            std::cmp::Reverse(self.count("not_evaluated")),
            self.name.to_lowercase(),
            &self.id,
        )
    }

    /// The row of a tenant the audit reached.
    pub fn audited(id: &str, name: &str, report: &Report, fails_run: bool) -> TenantResult {
        TenantResult {
            id: id.into(),
            name: name.into(),
            outcome: TenantOutcome::Audited,
            error: None,
            by_status: report.summary.by_status.clone(),
            by_severity: report.summary.by_severity.clone(),
            fails_run,
            unread: Vec::new(),
            files: BTreeMap::new(),
            seconds: 0.0,
        }
    }

    pub fn failed(id: &str, name: &str, error: String) -> TenantResult {
        TenantResult {
            id: id.into(),
            name: name.into(),
            outcome: TenantOutcome::Failed,
            error: Some(error),
            by_status: BTreeMap::new(),
            by_severity: BTreeMap::new(),
            fails_run: true,
            unread: Vec::new(),
            files: BTreeMap::new(),
            seconds: 0.0,
        }
    }
}

impl Summary {
    pub fn new(
        fail_on: Severity,
        fail_on_not_evaluated: bool,
        shard: Option<String>,
        mut tenants: Vec<TenantResult>,
    ) -> Summary {
        tenants.sort_by(|a, b| a.badness().cmp(&b.badness()));
        Summary {
            schema: SUMMARY_SCHEMA.into(),
            version: SUMMARY_VERSION,
            tool_version: crate::TOOL_VERSION.into(),
            generated_at: now_to_the_second(),
            fail_on: fail_on.as_str().into(),
            fail_on_not_evaluated,
            shards: shard.into_iter().collect(),
            tenants,
        }
    }

    /// 2 when a tenant could not be audited (its findings are unknown, which must not pass),
    /// else 1 when a tenant fails the run, else 0.
    pub fn exit_code(&self) -> i32 {
        if self
            .tenants
            .iter()
            .any(|t| t.outcome == TenantOutcome::Failed)
        {
            EXIT_ERROR
        } else if self.tenants.iter().any(|t| t.fails_run) {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }

    /// `12 tenants: 1 not audited, 3 failing at or above high, 8 passing`.
    pub fn headline(&self) -> String {
        let failed = self
            .tenants
            .iter()
            .filter(|t| t.outcome == TenantOutcome::Failed)
            .count();
        let failing = self
            .tenants
            .iter()
            .filter(|t| t.outcome == TenantOutcome::Audited && t.fails_run)
            .count();
        let passing = self.tenants.len() - failed - failing;
        format!(
            "{}: {failed} not audited, {failing} failing at or above {}, {passing} passing",
            intune_audit_checks::report::count(self.tenants.len(), "tenant"),
            self.fail_on
        )
    }

    pub fn from_json(text: &str) -> Result<Summary> {
        let s: Summary = serde_json::from_str(text).context("not a summary")?;
        if s.schema != SUMMARY_SCHEMA {
            bail!("not an intune-audit summary (schema {:?})", s.schema);
        }
        if s.version > SUMMARY_VERSION {
            bail!(
                "summary version {} is newer than this build reads ({SUMMARY_VERSION})",
                s.version
            );
        }
        Ok(s)
    }
}

/// `2026-11-30T23:45:11Z`: a summary is read by people, to the second is enough.
fn now_to_the_second() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One summary read from disk, with the folder its file paths are relative to.
pub struct ShardSummary {
    pub summary: Summary,
    pub folder: PathBuf,
}

/// Merges shard summaries into one whose file paths are relative to `out_dir`. The shards must
/// have judged with the same `--fail-on`; a tenant in two shards is an error (the list or the
/// shard flags differed between the machines).
pub fn merge(parts: Vec<ShardSummary>, out_dir: &Path) -> Result<Summary> {
    let Some(first) = parts.first() else {
        bail!("nothing to merge");
    };
    let (fail_on, strict) = (
        first.summary.fail_on.clone(),
        first.summary.fail_on_not_evaluated,
    );
    let mut shards = Vec::new();
    let mut tenants: Vec<TenantResult> = Vec::new();
    let mut seen = BTreeMap::new();
    for part in parts {
        let s = part.summary;
        if s.fail_on != fail_on || s.fail_on_not_evaluated != strict {
            bail!(
                "the summaries were judged differently (--fail-on {} vs {}): run every shard with the same flags",
                fail_on,
                s.fail_on
            );
        }
        shards.extend(s.shards);
        for mut t in s.tenants {
            if let Some(prev) = seen.insert(t.id.to_ascii_lowercase(), part.folder.clone()) {
                bail!(
                    "tenant {} is in two summaries ({} and {}): the shards overlap",
                    t.id,
                    prev.display(),
                    part.folder.display()
                );
            }
            for path in t.files.values_mut() {
                *path = relative(out_dir, &part.folder.join(&*path));
            }
            tenants.push(t);
        }
    }
    let fail_on = Severity::parse(&fail_on).unwrap_or(Severity::High);
    let mut merged = Summary::new(fail_on, strict, None, tenants);
    shards.sort();
    shards.dedup();
    merged.shards = shards;
    Ok(merged)
}

/// `to` relative to the folder `from` (both made absolute), with `/` separators for links.
pub fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| -> Vec<std::ffi::OsString> {
        std::path::absolute(p)
            .map(|p| {
                p.components()
                    .filter(|c| !matches!(c, Component::CurDir))
                    .map(|c| c.as_os_str().to_os_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (from, to) = (abs(from), abs(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = from[common..].iter().map(|_| "..".to_string()).collect();
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, fail: usize, high: usize, critical: usize, fails_run: bool) -> TenantResult {
        let mut t = TenantResult::failed(id, id, String::new());
        t.outcome = TenantOutcome::Audited;
        t.error = None;
        t.fails_run = fails_run;
        t.by_status.insert("fail".into(), fail);
        t.by_severity.insert("high".into(), high);
        t.by_severity.insert("critical".into(), critical);
        t
    }

    #[test]
    fn worst_first_and_the_exit_code() {
        let s = Summary::new(
            Severity::High,
            false,
            None,
            vec![
                row("clean", 0, 0, 0, false),
                row("high", 2, 2, 0, true),
                row("critical", 1, 0, 1, true),
                TenantResult::failed("broken", "broken", "consent missing".into()),
            ],
        );
        let order: Vec<&str> = s.tenants.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(order, ["broken", "critical", "high", "clean"]);
        assert_eq!(s.exit_code(), EXIT_ERROR);
        assert_eq!(
            s.headline(),
            "4 tenants: 1 not audited, 2 failing at or above high, 1 passing"
        );
        let no_failure = Summary::new(Severity::High, false, None, s.tenants[1..].to_vec());
        assert_eq!(no_failure.exit_code(), EXIT_FINDINGS);
        let clean = Summary::new(Severity::High, false, None, s.tenants[3..].to_vec());
        assert_eq!(clean.exit_code(), EXIT_OK);
    }

    #[test]
    fn merging_rebases_links_and_refuses_overlaps_and_mixed_thresholds() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = row("a", 0, 0, 0, false);
        a.files.insert("html".into(), "a/report.html".into());
        let part = |t: TenantResult, shard: &str, folder: &str, fail_on: Severity| ShardSummary {
            summary: Summary::new(fail_on, false, Some(shard.into()), vec![t]),
            folder: dir.path().join(folder),
        };
        let out = dir.path().join("merged");
        let merged = merge(
            vec![
                part(a.clone(), "1/2", "shard-1", Severity::High),
                part(row("b", 1, 1, 0, true), "2/2", "shard-2", Severity::High),
            ],
            &out,
        )
        .unwrap();
        assert_eq!(merged.shards, ["1/2", "2/2"]);
        assert_eq!(merged.tenants[0].id, "b");
        assert_eq!(merged.tenants[1].files["html"], "../shard-1/a/report.html");
        assert_eq!(merged.exit_code(), EXIT_FINDINGS);

        let overlap = merge(
            vec![
                part(a.clone(), "1/2", "shard-1", Severity::High),
                part(a.clone(), "2/2", "shard-2", Severity::High),
            ],
            &out,
        );
        assert!(overlap
            .unwrap_err()
            .to_string()
            .contains("tenant a is in two summaries"));
        let mixed = merge(
            vec![
                part(a.clone(), "1/2", "shard-1", Severity::High),
                part(row("b", 0, 0, 0, false), "2/2", "shard-2", Severity::Low),
            ],
            &out,
        );
        assert!(mixed
            .unwrap_err()
            .to_string()
            .contains("judged differently"));
    }

    #[test]
    fn summaries_round_trip_and_unknown_documents_are_refused() {
        let s = Summary::new(
            Severity::High,
            true,
            Some("1/1".into()),
            vec![row("a", 0, 0, 0, false)],
        );
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(Summary::from_json(&text).unwrap(), s);
        let report_json = r#"{"schema":"intune-audit/report","version":1,"toolVersion":"x","generatedAt":"x","failOn":"high","failOnNotEvaluated":false,"tenants":[]}"#;
        assert!(Summary::from_json(report_json)
            .unwrap_err()
            .to_string()
            .contains("not an intune-audit summary"));
        assert!(Summary::from_json("{").is_err());
    }
}
