//! The configuration file (`intune-audit.toml`): waivers, enabled/disabled checks, severity
//! overrides, thresholds and expectations. See docs/reports.md for the format.
//!
//! Every error names `file:line` (from the TOML parser's spans) so a CI log points at the line
//! to fix; the binary turns it into one line on stderr and exit 2.

use intune_audit_checks::{
    AffectedKind, Finding, Report, Settings, Severity, WaiverRef, WaiverState,
};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use time::Date;
use toml::Spanned;

/// The file read when `--config` is not given, if it exists in the working folder.
pub const DEFAULT_CONFIG: &str = "intune-audit.toml";

/// A configuration problem, located at `file:line`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// How a `warn` finding shows in JUnit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WarnAs {
    #[default]
    Failure,
    Skipped,
}

/// One waiver: a check, optionally limited to some object ids, with a reason and an expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub check: String,
    pub objects: Vec<String>,
    pub reason: String,
    /// Last day the waiver applies (inclusive).
    pub expires: Date,
    /// `file:line` of the waiver's `check = …` line.
    pub source: String,
}

/// The parsed configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from (`None`: no file, defaults).
    pub path: Option<PathBuf>,
    pub disabled: BTreeSet<String>,
    pub severity: BTreeMap<String, Severity>,
    pub device_limit_margin: Option<i64>,
    pub device_quota_margin: Option<i64>,
    pub connector_stale_days: Option<i64>,
    pub expected_mdm_scope_groups: Option<BTreeSet<String>>,
    pub naming_prefix: Option<String>,
    pub junit_warn_as: WarnAs,
    pub waivers: Vec<Waiver>,
    /// Run preview checks too (`[checks] preview = true`, or `--preview`).
    pub preview: bool,
    /// Notes on the file itself (a renamed check id), printed with the run's warnings.
    pub notices: Vec<String>,
}

// ------------------------------------------------------------------ the file's shape

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    checks: RawChecks,
    #[serde(default)]
    thresholds: RawThresholds,
    #[serde(default)]
    expectations: RawExpectations,
    #[serde(default)]
    junit: RawJunit,
    #[serde(default, rename = "waiver")]
    waivers: Vec<RawWaiver>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawChecks {
    /// Run only these checks.
    #[serde(default)]
    only: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    disabled: Vec<Spanned<String>>,
    /// Run preview checks too.
    #[serde(default)]
    preview: bool,
    /// check id → severity.
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    device_limit_margin: Option<Spanned<i64>>,
    device_quota_margin: Option<Spanned<i64>>,
    connector_stale_days: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpectations {
    mdm_scope_groups: Option<Vec<String>>,
    naming_prefix: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawJunit {
    warn_as: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    check: Spanned<String>,
    #[serde(default)]
    objects: Vec<String>,
    reason: Spanned<String>,
    expires: Spanned<toml::Value>,
}

// ------------------------------------------------------------------ loading

impl Config {
    /// Reads `explicit`, or `./intune-audit.toml` when it exists, or returns the defaults.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_CONFIG);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read configuration {}: {e}", path.display()))?;
        let mut config = Config::parse(&text, &path.display().to_string())?;
        config.path = Some(path);
        Ok(config)
    }

    /// Parses configuration text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let at = |span: std::ops::Range<usize>, message: String| ConfigError {
            file: file.to_string(),
            line: line_of(text, span.start),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().trim().replace('\n', " "),
        })?;
        let known: Vec<&'static str> = intune_audit_checks::checks::REGISTRY
            .iter()
            .map(|c| c.id())
            .collect();
        let renamed = std::cell::RefCell::new(Vec::new());
        let check_id = |id: &Spanned<String>| -> Result<String, ConfigError> {
            let name = id.get_ref();
            if known.contains(&name.as_str()) {
                return Ok(name.clone());
            }
            if let Some(new) = intune_audit_checks::catalog::current_id(name) {
                renamed.borrow_mut().push(format!(
                    "{file}:{}: check '{name}' is now '{new}'; the configuration still works, rename it there",
                    line_of(text, id.span().start)
                ));
                return Ok(new.to_string());
            }
            let hint = known
                .iter()
                .map(|k| (strsim::levenshtein(k, name), *k))
                .min()
                .filter(|(d, _)| *d <= 4)
                .map(|(_, k)| format!(" (did you mean '{k}'?)"))
                .unwrap_or_default();
            Err(at(
                id.span(),
                format!("unknown check id '{name}'{hint}; `intune-audit checks` lists them"),
            ))
        };

        let mut config = Config {
            preview: raw.checks.preview,
            ..Config::default()
        };
        if let Some(only) = &raw.checks.only {
            let keep: BTreeSet<String> = only.iter().map(check_id).collect::<Result<_, _>>()?;
            config.disabled.extend(
                known
                    .iter()
                    .filter(|k| !keep.contains(**k))
                    .map(|k| k.to_string()),
            );
        }
        for id in &raw.checks.disabled {
            config.disabled.insert(check_id(id)?);
        }
        for (id, sev) in &raw.checks.severity {
            let id = check_id(id)?;
            let severity = Severity::parse(sev.get_ref()).ok_or_else(|| {
                at(
                    sev.span(),
                    format!(
                        "severity '{}' is not one of critical, high, medium, low, info",
                        sev.get_ref()
                    ),
                )
            })?;
            config.severity.insert(id, severity);
        }
        let non_negative = |v: &Option<Spanned<i64>>, name: &str| match v {
            Some(n) if *n.get_ref() < 0 => Err(at(n.span(), format!("{name} must be 0 or more"))),
            Some(n) => Ok(Some(*n.get_ref())),
            None => Ok(None),
        };
        config.device_limit_margin =
            non_negative(&raw.thresholds.device_limit_margin, "device_limit_margin")?;
        config.device_quota_margin =
            non_negative(&raw.thresholds.device_quota_margin, "device_quota_margin")?;
        config.connector_stale_days =
            non_negative(&raw.thresholds.connector_stale_days, "connector_stale_days")?;
        config.expected_mdm_scope_groups = raw
            .expectations
            .mdm_scope_groups
            .map(|g| g.into_iter().collect());
        config.naming_prefix = raw.expectations.naming_prefix;
        if let Some(w) = &raw.junit.warn_as {
            config.junit_warn_as = match w.get_ref().as_str() {
                "failure" => WarnAs::Failure,
                "skipped" => WarnAs::Skipped,
                other => {
                    return Err(at(
                        w.span(),
                        format!("junit.warn_as '{other}' must be \"failure\" or \"skipped\""),
                    ))
                }
            };
        }
        for w in &raw.waivers {
            let check = check_id(&w.check)?;
            if w.reason.get_ref().trim().is_empty() {
                return Err(at(w.reason.span(), "a waiver needs a reason".into()));
            }
            let expires = parse_date(w.expires.get_ref()).ok_or_else(|| {
                at(
                    w.expires.span(),
                    "expires must be a date like 2026-12-31".into(),
                )
            })?;
            config.waivers.push(Waiver {
                check,
                objects: w.objects.clone(),
                reason: w.reason.get_ref().trim().to_string(),
                expires,
                source: format!("{file}:{}", line_of(text, w.check.span().start)),
            });
        }
        let mut notices = renamed.into_inner();
        notices.dedup();
        config.notices = notices;
        Ok(config)
    }

    /// The check settings: defaults overridden by the file.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        if let Some(v) = self.device_limit_margin {
            s.device_limit_margin = v;
        }
        if let Some(v) = self.device_quota_margin {
            s.device_quota_margin = v;
        }
        if let Some(v) = self.connector_stale_days {
            s.connector_stale_days = v;
        }
        s.disabled = self.disabled.clone();
        s.expected_mdm_scope_groups = self.expected_mdm_scope_groups.clone();
        s.naming_prefix = self.naming_prefix.clone();
        s.preview = self.preview;
        s
    }

    /// Applies severity overrides and waivers to a report (its summary is recomputed) and
    /// returns one warning line per expired or unused waiver.
    ///
    /// "Today" for expiry is the report's `collected_at` day (UTC): an offline audit of an old
    /// snapshot judges waivers as of when the data was read.
    pub fn apply(&self, report: &mut Report) -> Vec<String> {
        for f in &mut report.findings {
            if let Some(sev) = self.severity.get(&f.check) {
                f.severity = if f.status == intune_audit_checks::FindingStatus::Warn {
                    sev.lower()
                } else {
                    *sev
                };
            }
        }
        let today = intune_audit_checks::time::parse_rfc3339(&report.collected_at)
            .map(|t| t.to_offset(time::UtcOffset::UTC).date());
        let (states, warnings) = apply_waivers(&self.waivers, &mut report.findings, today);
        let mut rebuilt = Report::new(
            report.tenant.clone(),
            report.collected_at.clone(),
            report.tool_version.clone(),
            std::mem::take(&mut report.findings),
        );
        rebuilt.waivers = states;
        if let Some(failures) = report.failures.take() {
            rebuilt = rebuilt.with_failures(failures);
        }
        *report = rebuilt;
        self.notices.iter().cloned().chain(warnings).collect()
    }
}

/// Objects that *cause* a finding (a configuration, a profile, a group, a setting), as opposed
/// to those it affects (users, devices).
fn is_cause(kind: AffectedKind) -> bool {
    matches!(
        kind,
        AffectedKind::Configuration
            | AffectedKind::Profile
            | AffectedKind::Group
            | AffectedKind::Setting
            | AffectedKind::App
    )
}

/// Whether waived object ids cover a finding: every cause object named (when the finding has
/// any), otherwise every affected object.
fn covers(finding: &Finding, ids: &BTreeSet<&str>) -> bool {
    let causes: Vec<&str> = finding
        .affected
        .iter()
        .filter(|a| is_cause(a.kind))
        .map(|a| a.id.as_str())
        .collect();
    if !causes.is_empty() {
        return causes.iter().all(|id| ids.contains(id));
    }
    !finding.affected.is_empty() && finding.affected.iter().all(|a| ids.contains(a.id.as_str()))
}

fn apply_waivers(
    waivers: &[Waiver],
    findings: &mut [Finding],
    today: Option<Date>,
) -> (Vec<WaiverState>, Vec<String>) {
    let expired: Vec<bool> = waivers
        .iter()
        .map(|w| today.is_some_and(|t| t > w.expires))
        .collect();
    let mut used = vec![false; waivers.len()];
    for f in findings.iter_mut().filter(|f| f.status.is_problem()) {
        let active: Vec<usize> = (0..waivers.len())
            .filter(|&i| !expired[i] && waivers[i].check == f.check)
            .collect();
        if active.is_empty() {
            continue;
        }
        let whole = active
            .iter()
            .copied()
            .find(|&i| waivers[i].objects.is_empty());
        let chosen: Vec<usize> = match whole {
            Some(i) => vec![i],
            None => {
                let ids: BTreeSet<&str> = active
                    .iter()
                    .flat_map(|&i| waivers[i].objects.iter().map(String::as_str))
                    .collect();
                if !covers(f, &ids) {
                    continue;
                }
                active
                    .iter()
                    .copied()
                    .filter(|&i| {
                        waivers[i]
                            .objects
                            .iter()
                            .any(|o| f.affected.iter().any(|a| &a.id == o))
                    })
                    .collect()
            }
        };
        let Some(&first) = chosen.first() else {
            continue;
        };
        for &i in &chosen {
            used[i] = true;
        }
        let w = &waivers[first];
        f.waived = true;
        f.waiver = Some(WaiverRef {
            reason: chosen
                .iter()
                .map(|&i| waivers[i].reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            expires: chosen
                .iter()
                .map(|&i| waivers[i].expires)
                .min()
                .unwrap_or(w.expires)
                .to_string(),
            objects: chosen
                .iter()
                .flat_map(|&i| waivers[i].objects.iter().cloned())
                .collect(),
            source: w.source.clone(),
        });
    }
    let mut states = Vec::new();
    let mut warnings = Vec::new();
    for (i, w) in waivers.iter().enumerate() {
        let state = if expired[i] {
            warnings.push(format!(
                "waiver for {} ({}) expired on {}; its findings count again",
                w.check, w.source, w.expires
            ));
            "expired"
        } else if used[i] {
            "applied"
        } else {
            warnings.push(format!(
                "waiver for {} ({}) matched no failing or warning finding (unused)",
                w.check, w.source
            ));
            "unused"
        };
        states.push(WaiverState {
            check: w.check.clone(),
            objects: w.objects.clone(),
            reason: w.reason.clone(),
            expires: w.expires.to_string(),
            state: state.into(),
            source: w.source.clone(),
        });
    }
    (states, warnings)
}

/// A TOML date (`2026-12-31`), date-time, or a string holding a date.
fn parse_date(value: &toml::Value) -> Option<Date> {
    let text = match value {
        toml::Value::Datetime(dt) => {
            let d = dt.date?;
            format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
        }
        toml::Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.get(..10).unwrap_or(&text), &format).ok()
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn dates_in_both_spellings() {
        let v: toml::Table = toml::from_str("a = 2026-12-31\nb = \"2026-01-02\"").unwrap();
        assert_eq!(parse_date(&v["a"]).unwrap().to_string(), "2026-12-31");
        assert_eq!(parse_date(&v["b"]).unwrap().to_string(), "2026-01-02");
    }
}
