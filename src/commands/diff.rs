//! `intune-audit diff OLD NEW`: drift between two snapshots (or two JSON reports).
//!
//! With snapshots it reports the settings that changed in enrollment terms (MDM user scope,
//! Windows platform restrictions, enrollment limits, Entra join and device quota, terms-of-use
//! URL, Autopilot profiles and assignments, connectors) and audits both to compare findings.
//! With reports it compares findings only; a snapshot on one side and a report on the other
//! is audited (with `--config`) and compared by findings only. Exit 1 when a finding that
//! appeared, or got worse, is at or above `--fail-on` (waived findings do not count).
//!
//! A finding that was failing or warning and is `not_evaluated` (or absent) in NEW is not
//! "resolved": it is listed as no longer evaluated, so a lost permission never looks like a fix.

use crate::cli::{DiffArgs, DiffFormat};
use crate::config::Config;
use crate::render::diff::{markdown, text};
use crate::{render, snapshot_io, EXIT_FINDINGS, EXIT_OK};
use anyhow::{bail, Context, Result};
use intune_audit_checks::drift::setting_changes;
use intune_audit_checks::report::{REPORT_SCHEMA, REPORT_VERSION};
use intune_audit_checks::report_diff::{finding_changes, Diff, Side, DIFF_SCHEMA};
use intune_audit_checks::snapshot::SNAPSHOT_SCHEMA;
use intune_audit_checks::{Loaded, Report, Snapshot};
use serde_json::Value;
use std::path::Path;

enum Input {
    /// Streamed and typed.
    Loaded(Box<Loaded>),
    /// Read as a JSON tree (the streaming loader refused it): typed after both sides are read,
    /// so a broken file is reported as it always was.
    Tree(Box<Snapshot>),
    Report(Box<Report>),
}

impl Input {
    /// A snapshot side, typed; a report stays a report.
    fn typed(self) -> Result<Result<Loaded, Report>> {
        Ok(match self {
            Input::Loaded(l) => Ok(*l),
            Input::Tree(s) => Ok(Loaded::from_snapshot(&s)?),
            Input::Report(r) => Err(*r),
        })
    }
}

fn load(path: &Path) -> Result<Input> {
    if sniff_schema(path).as_deref() == Some(SNAPSHOT_SCHEMA) {
        if let Some(loaded) = snapshot_io::stream_file(path) {
            return Ok(Input::Loaded(Box::new(loaded)));
        }
    }
    load_tree(path)
}

/// The top-level `schema`, read without keeping anything else: the keys before it are
/// skipped, reading stops at it (`collect` writes it first).
fn sniff_schema(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    let mut found = None;
    let _ = serde::Deserializer::deserialize_map(&mut de, Schema(&mut found));
    found
}

/// Finds the `schema` key of an object and its string value, then stops (the error stopping
/// makes is ignored).
struct Schema<'a>(&'a mut Option<String>);

impl<'de> serde::de::Visitor<'de> for Schema<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "schema" {
                *self.0 = Some(map.next_value::<String>()?);
                break;
            }
            map.next_value::<serde::de::IgnoredAny>()?;
        }
        Err(serde::de::Error::custom("stop"))
    }
}

/// Any input, as a JSON tree: a report, or a snapshot the streaming loader refused.
fn load_tree(path: &Path) -> Result<Input> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?;
    match value.get("schema").and_then(Value::as_str) {
        Some(SNAPSHOT_SCHEMA) => Ok(Input::Tree(Box::new(snapshot_io::load(path)?))),
        Some(REPORT_SCHEMA) => {
            let version = value.get("version").and_then(Value::as_u64);
            if version != Some(u64::from(REPORT_VERSION)) {
                bail!(
                    "{}: report version {} is not supported (expected {REPORT_VERSION})",
                    path.display(),
                    version.map_or("(missing)".to_string(), |v| v.to_string())
                );
            }
            Ok(Input::Report(Box::new(
                serde_json::from_value(value)
                    .map_err(|e| anyhow::anyhow!("report {} is malformed: {e}", path.display()))?,
            )))
        }
        other => bail!(
            "{} is neither an intune-audit snapshot nor a JSON report (schema {:?})",
            path.display(),
            other.unwrap_or("")
        ),
    }
}

pub fn run(args: &DiffArgs) -> Result<i32> {
    let config = Config::load(args.config.as_deref())?;
    let (old, new) = (load(&args.old)?, load(&args.new)?);
    let diff = match (old.typed()?, new.typed()?) {
        (Ok(a), Ok(b)) => diff_snapshots(&a, &b, &config, args),
        (Err(a), Err(b)) => diff_reports(&a, &b, args),
        // One of each: audit the snapshot and compare findings (settings live only in
        // snapshots).
        (Ok(a), Err(b)) => {
            let mut d = diff_reports(&audit_typed(&a, &config), &b, args);
            d.old.kind = "snapshot".into();
            d
        }
        (Err(a), Ok(b)) => {
            let mut d = diff_reports(&a, &audit_typed(&b, &config), args);
            d.new.kind = "snapshot".into();
            d
        }
    };
    let fail_on = args.fail_on.severity();
    let text = match args.format {
        // Names and settings from the tenant: no control characters in human formats.
        DiffFormat::Table => render::safe::visible(&text(&diff, fail_on)),
        DiffFormat::Json => render::json(&diff),
        DiffFormat::Markdown => render::safe::visible(&markdown(&diff, fail_on)),
    };
    match &args.output {
        Some(file) => snapshot_io::write_atomic(file, text.as_bytes())?,
        None => render::print_stdout(&text)?,
    }
    let regressions = diff.regressions(fail_on).len();
    let strict = args.fail_on_not_evaluated && diff.new_has_not_evaluated;
    let code = if regressions > 0 || strict {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    crate::term::Verdict {
        counts: format!(
            "{} appeared, {} resolved, {} persisted, {} no longer evaluated, {} setting change(s)",
            diff.appeared.len(),
            diff.resolved.len(),
            diff.persisted.len(),
            diff.unevaluated.len(),
            diff.settings.len()
        ),
        exit: code,
        why: if regressions > 0 {
            format!(
                "{regressions} new or worse at or above {}",
                fail_on.as_str()
            )
        } else if strict {
            "checks not evaluated in NEW (--fail-on-not-evaluated)".into()
        } else {
            format!("nothing new or worse at or above {}", fail_on.as_str())
        },
        wrote: args
            .output
            .iter()
            .filter(|o| o.as_os_str() != "-")
            .cloned()
            .collect(),
    }
    .print();
    Ok(code)
}

fn side(path: &Path, kind: &str, tenant: &str, at: &str) -> Side {
    Side {
        path: path.display().to_string(),
        kind: kind.into(),
        tenant_id: tenant.into(),
        collected_at: at.into(),
    }
}

/// Audits a typed snapshot as `audit --config` would (waiver warnings are `audit`'s business).
fn audit_typed(s: &Loaded, config: &Config) -> Report {
    let mut r = intune_audit_checks::audit_tenant(
        &s.envelope,
        &s.tenant,
        &config.settings(),
        crate::TOOL_VERSION,
    );
    config.apply(&mut r);
    r
}

fn diff_snapshots(old: &Loaded, new: &Loaded, config: &Config, args: &DiffArgs) -> Diff {
    // Each snapshot is typed once, for its audit and for the settings drift.
    let (old_report, new_report) = (audit_typed(old, config), audit_typed(new, config));
    let mut diff = diff_reports(&old_report, &new_report, args);
    let (o, n) = (&old.envelope, &new.envelope);
    diff.old = side(&args.old, "snapshot", &o.tenant.id, &o.collected_at);
    diff.new = side(&args.new, "snapshot", &n.tenant.id, &n.collected_at);
    diff.settings_compared = true;
    diff.settings = setting_changes(&old.tenant, &new.tenant);
    diff
}

fn diff_reports(old: &Report, new: &Report, args: &DiffArgs) -> Diff {
    let (appeared, resolved, persisted, unevaluated) = finding_changes(old, new);
    Diff {
        schema: DIFF_SCHEMA,
        version: 1,
        old: side(&args.old, "report", &old.tenant.id, &old.collected_at),
        new: side(&args.new, "report", &new.tenant.id, &new.collected_at),
        settings_compared: false,
        settings: Vec::new(),
        appeared,
        resolved,
        persisted,
        unevaluated,
        new_has_not_evaluated: new.has_not_evaluated(),
    }
}
