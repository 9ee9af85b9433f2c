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
use crate::render::markdown::escape;
use crate::{render, snapshot_io, EXIT_FINDINGS, EXIT_OK};
use anyhow::{bail, Context, Result};
use intune_audit_checks::report::{REPORT_SCHEMA, REPORT_VERSION};
use intune_audit_checks::snapshot::{Status, SNAPSHOT_SCHEMA};
use intune_audit_checks::{Finding, Report, Resource, Severity, Snapshot};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// The `schema` of `diff --format json`.
pub const DIFF_SCHEMA: &str = "intune-audit/diff";

/// One setting that changed between the two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    pub area: String,
    pub subject: String,
    pub setting: String,
    pub before: String,
    pub after: String,
}

impl SettingChange {
    pub fn text(&self) -> String {
        format!(
            "{}: {}: {}: {} → {}",
            self.area, self.subject, self.setting, self.before, self.after
        )
    }
}

/// A finding present (as fail/warn) on at least one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingChange {
    pub check: String,
    pub title: String,
    pub severity: Severity,
    /// Status in NEW (`pass`, `not_evaluated`, … for a resolved finding; `absent` when the check
    /// did not run).
    pub status: String,
    pub old_status: String,
    pub affected_added: Vec<String>,
    pub affected_removed: Vec<String>,
    pub affected_total: usize,
    /// Persisting, and worse: warn → fail, higher severity, new affected objects, or a waiver
    /// that no longer applies.
    pub worsened: bool,
    pub waived: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub path: String,
    pub kind: String,
    pub tenant_id: String,
    pub collected_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// `intune-audit/diff`.
    pub schema: &'static str,
    /// 1.
    pub version: u32,
    pub old: Side,
    pub new: Side,
    /// `false` when comparing reports (settings are only in snapshots).
    pub settings_compared: bool,
    pub settings: Vec<SettingChange>,
    pub appeared: Vec<FindingChange>,
    pub resolved: Vec<FindingChange>,
    pub persisted: Vec<FindingChange>,
    /// Checks that were evaluated in OLD but are `not_evaluated` or absent in NEW (a lost
    /// permission, a disabled check): neither resolved nor new.
    pub unevaluated: Vec<FindingChange>,
    /// Whether NEW has an unwaived not_evaluated finding (for `--fail-on-not-evaluated`).
    #[serde(skip)]
    pub new_has_not_evaluated: bool,
}

impl Diff {
    /// New or worsened, unwaived findings at or above `threshold`.
    pub fn regressions(&self, threshold: Severity) -> Vec<&FindingChange> {
        self.appeared
            .iter()
            .chain(self.persisted.iter().filter(|f| f.worsened))
            .filter(|f| !f.waived && f.severity >= threshold)
            .collect()
    }
}

enum Input {
    Snapshot(Box<Snapshot>),
    Report(Box<Report>),
}

fn load(path: &Path) -> Result<Input> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?;
    match value.get("schema").and_then(Value::as_str) {
        Some(SNAPSHOT_SCHEMA) => Ok(Input::Snapshot(Box::new(snapshot_io::load(path)?))),
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
    let diff = match (load(&args.old)?, load(&args.new)?) {
        (Input::Snapshot(a), Input::Snapshot(b)) => diff_snapshots(&a, &b, &config, args)?,
        (Input::Report(a), Input::Report(b)) => diff_reports(&a, &b, args),
        // One of each: audit the snapshot and compare findings (settings live only in
        // snapshots).
        (Input::Snapshot(a), Input::Report(b)) => {
            let mut d = diff_reports(&audit_with(&a, &config)?, &b, args);
            d.old.kind = "snapshot".into();
            d
        }
        (Input::Report(a), Input::Snapshot(b)) => {
            let mut d = diff_reports(&a, &audit_with(&b, &config)?, args);
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

/// Audits a snapshot as `audit --config` would (waiver warnings are `audit`'s business).
fn audit_with(s: &Snapshot, config: &Config) -> Result<Report> {
    let mut r = super::audit::audit_snapshot(s, &config.settings())?;
    config.apply(&mut r);
    Ok(r)
}

fn diff_snapshots(
    old: &Snapshot,
    new: &Snapshot,
    config: &Config,
    args: &DiffArgs,
) -> Result<Diff> {
    let (old_report, new_report) = (audit_with(old, config)?, audit_with(new, config)?);
    let mut diff = diff_reports(&old_report, &new_report, args);
    diff.old = side(&args.old, "snapshot", &old.tenant.id, &old.collected_at);
    diff.new = side(&args.new, "snapshot", &new.tenant.id, &new.collected_at);
    diff.settings_compared = true;
    diff.settings = setting_changes(old, new);
    Ok(diff)
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
        new_has_not_evaluated: super::audit::has_not_evaluated(new),
    }
}

// ------------------------------------------------------------------ findings

/// (appeared, resolved, persisted, no longer evaluated)
type Changes = (
    Vec<FindingChange>,
    Vec<FindingChange>,
    Vec<FindingChange>,
    Vec<FindingChange>,
);

/// Compares findings by check id and affected object ids.
pub fn finding_changes(old: &Report, new: &Report) -> Changes {
    use intune_audit_checks::FindingStatus;
    let index = |r: &Report| -> BTreeMap<String, Finding> {
        r.findings
            .iter()
            .map(|f| (f.check.clone(), f.clone()))
            .collect()
    };
    let (o, n) = (index(old), index(new));
    let ids = |f: Option<&Finding>| -> BTreeSet<String> {
        f.filter(|f| f.status.is_problem())
            .map(|f| f.affected.iter().map(|a| a.id.clone()).collect())
            .unwrap_or_default()
    };
    // Evaluated: the check ran and came to a verdict.
    let evaluated =
        |f: Option<&Finding>| f.is_some_and(|f| f.status != FindingStatus::NotEvaluated);
    let mut appeared = Vec::new();
    let mut resolved = Vec::new();
    let mut persisted = Vec::new();
    let mut unevaluated = Vec::new();
    let checks: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for check in checks {
        let (of, nf) = (o.get(check), n.get(check));
        let was = of.is_some_and(|f| f.status.is_problem());
        let is = nf.is_some_and(|f| f.status.is_problem());
        let lost = evaluated(of) && !evaluated(nf);
        if !was && !is && !lost {
            continue;
        }
        let main = nf.filter(|_| is).or(of).or(nf);
        let Some(main) = main else { continue };
        let (before, after) = (ids(of), ids(nf));
        let status = |f: Option<&Finding>| f.map(|f| f.status.as_str()).unwrap_or("absent");
        let mut change = FindingChange {
            check: check.clone(),
            title: main.title.clone(),
            severity: main.severity,
            status: status(nf).into(),
            old_status: status(of).into(),
            affected_added: after.difference(&before).cloned().collect(),
            affected_removed: before.difference(&after).cloned().collect(),
            affected_total: nf.filter(|_| is).map(|f| f.affected_total).unwrap_or(0),
            worsened: false,
            waived: nf.is_some_and(|f| f.waived),
        };
        match (was, is, of, nf) {
            (false, true, _, _) => appeared.push(change),
            (true, true, Some(a), Some(b)) => {
                change.worsened = b.severity > a.severity
                    || (b.status == FindingStatus::Fail && a.status != FindingStatus::Fail)
                    || !change.affected_added.is_empty()
                    || (a.waived && !b.waived);
                persisted.push(change);
            }
            _ if lost => unevaluated.push(change),
            (true, false, _, _) => resolved.push(change),
            _ => {}
        }
    }
    let order = |v: &mut Vec<FindingChange>| {
        v.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.check.cmp(&b.check)))
    };
    order(&mut appeared);
    order(&mut resolved);
    order(&mut persisted);
    order(&mut unevaluated);
    (appeared, resolved, persisted, unevaluated)
}

// ------------------------------------------------------------------ settings

fn items(s: &Snapshot, r: Resource) -> Option<&Vec<Value>> {
    s.entry(r)
        .filter(|e| e.status == Status::Ok)
        .map(|e| &e.items)
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn name_of(v: &Value) -> String {
    str_of(v, "displayName")
        .or_else(|| str_of(v, "id"))
        .unwrap_or("?")
        .to_string()
}

/// Group id → display name, from both snapshots (NEW wins).
fn group_names(old: &Snapshot, new: &Snapshot) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for s in [old, new] {
        for g in items(s, Resource::GroupMembers).into_iter().flatten() {
            if let (Some(id), Some(name)) = (str_of(g, "id"), str_of(g, "displayName")) {
                names.insert(id.to_string(), name.to_string());
            }
        }
        for p in [
            Resource::MobileDeviceManagementPolicies,
            Resource::MobileAppManagementPolicies,
        ]
        .into_iter()
        .filter_map(|r| items(s, r))
        .flatten()
        {
            for g in p
                .get("includedGroups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(id), Some(name)) = (str_of(g, "id"), str_of(g, "displayName")) {
                    names.insert(id.to_string(), name.to_string());
                }
            }
        }
    }
    names
}

struct Ctx {
    groups: BTreeMap<String, String>,
    out: Vec<SettingChange>,
}

impl Ctx {
    fn group(&self, id: &str) -> String {
        match self.groups.get(id) {
            Some(n) => format!("{n} ({id})"),
            None => id.to_string(),
        }
    }
    fn change(&mut self, area: &str, subject: &str, setting: &str, before: String, after: String) {
        if before != after {
            self.out.push(SettingChange {
                area: area.into(),
                subject: subject.into(),
                setting: setting.into(),
                before,
                after,
            });
        }
    }
}

/// The settings that decide enrollment, compared between two snapshots. Resources that are
/// not collected on both sides are not compared.
pub fn setting_changes(old: &Snapshot, new: &Snapshot) -> Vec<SettingChange> {
    let mut cx = Ctx {
        groups: group_names(old, new),
        out: Vec::new(),
    };
    user_scope(
        &mut cx,
        old,
        new,
        Resource::MobileDeviceManagementPolicies,
        "MDM user scope",
    );
    user_scope(
        &mut cx,
        old,
        new,
        Resource::MobileAppManagementPolicies,
        "MAM user scope",
    );
    enrollment_configurations(&mut cx, old, new);
    registration_policy(&mut cx, old, new);
    by_id(
        &mut cx,
        old,
        new,
        Resource::WindowsAutopilotDeploymentProfiles,
        "Autopilot profile",
        autopilot_profile,
    );
    by_id(
        &mut cx,
        old,
        new,
        Resource::DomainJoinConnectors,
        "Intune Connector for AD",
        connector,
    );
    cx.out
}

/// The Microsoft Intune entry of the MDM (or MAM) user scope policies.
fn user_scope(cx: &mut Ctx, old: &Snapshot, new: &Snapshot, resource: Resource, area: &str) {
    let intune = |s: &Snapshot| -> Option<Value> {
        items(s, resource)?
            .iter()
            .find(|p| {
                str_of(p, "id").is_some_and(|id| {
                    id.eq_ignore_ascii_case(intune_audit_checks::model::INTUNE_APP_ID)
                })
            })
            .cloned()
    };
    let (Some(_), Some(_)) = (items(old, resource), items(new, resource)) else {
        return;
    };
    let (a, b) = (intune(old), intune(new));
    let scope = |cx: &Ctx, p: &Option<Value>| -> String {
        let Some(p) = p else {
            return "(no Intune MDM policy)".into();
        };
        match str_of(p, "appliesTo").unwrap_or("?") {
            "all" => "All".into(),
            "none" => "None".into(),
            "selected" => {
                let mut groups: Vec<String> = p
                    .get("includedGroups")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|g| str_of(g, "id"))
                    .map(|id| cx.group(id))
                    .collect();
                groups.sort();
                format!(
                    "Some (groups: {})",
                    if groups.is_empty() {
                        "none".into()
                    } else {
                        groups.join(", ")
                    }
                )
            }
            other => other.to_string(),
        }
    };
    let (sa, sb) = (scope(cx, &a), scope(cx, &b));
    cx.change(area, "Microsoft Intune", "applies to", sa, sb);
    for (key, label) in [
        ("termsOfUseUrl", "terms of use URL"),
        ("discoveryUrl", "discovery URL"),
        ("complianceUrl", "compliance URL"),
    ] {
        let get = |p: &Option<Value>| {
            p.as_ref()
                .and_then(|p| str_of(p, key))
                .filter(|u| !u.trim().is_empty())
                .unwrap_or("(empty)")
                .to_string()
        };
        cx.change(area, "Microsoft Intune", label, get(&a), get(&b));
    }
}

/// `allowed`/`blocked` for a boolean "blocked" field.
fn blocked(v: &Value, key: &str) -> String {
    match v.get(key).and_then(Value::as_bool) {
        Some(true) => "blocked".into(),
        Some(false) => "allowed".into(),
        None => "(not set)".into(),
    }
}

fn text_or_none(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => "(none)".into(),
    }
}

fn assignments(cx: &Ctx, v: &Value) -> String {
    let Some(list) = v.get("assignments").and_then(Value::as_array) else {
        return "(not collected)".into();
    };
    let mut out: Vec<String> = list
        .iter()
        .map(|a| {
            let t = a.get("target").unwrap_or(&Value::Null);
            let kind = str_of(t, "@odata.type")
                .unwrap_or("")
                .trim_start_matches("#microsoft.graph.");
            let group = str_of(t, "groupId").map(|g| cx.group(g));
            let filter = str_of(t, "deviceAndAppManagementAssignmentFilterId")
                .map(|f| format!(" [filter {f}]"))
                .unwrap_or_default();
            match (kind, group) {
                ("exclusionGroupAssignmentTarget", Some(g)) => format!("exclude {g}{filter}"),
                (_, Some(g)) => format!("{g}{filter}"),
                ("allLicensedUsersAssignmentTarget", _) => format!("all users{filter}"),
                ("allDevicesAssignmentTarget", _) => format!("all devices{filter}"),
                (k, None) => format!("{k}{filter}"),
            }
        })
        .collect();
    out.sort();
    if out.is_empty() {
        "(none)".into()
    } else {
        out.join(", ")
    }
}

fn enrollment_configurations(cx: &mut Ctx, old: &Snapshot, new: &Snapshot) {
    by_id(
        cx,
        old,
        new,
        Resource::DeviceEnrollmentConfigurations,
        "Enrollment configuration",
        |cx, subject, a, b| {
            let odata = |v: &Value| str_of(v, "@odata.type").unwrap_or("").to_string();
            let windows = |v: &Value| -> Option<Value> {
                match odata(v).as_str() {
                    "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration" => {
                        v.get("windowsRestriction").cloned()
                    }
                    "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration"
                        if str_of(v, "platformType") == Some("windows") =>
                    {
                        v.get("platformRestriction").cloned()
                    }
                    _ => None,
                }
            };
            let area = "Windows platform restriction";
            match (windows(a), windows(b)) {
                (Some(wa), Some(wb)) => {
                    cx.change(
                        area,
                        subject,
                        "Windows (MDM)",
                        blocked(&wa, "platformBlocked"),
                        blocked(&wb, "platformBlocked"),
                    );
                    cx.change(
                        area,
                        subject,
                        "personally owned",
                        blocked(&wa, "personalDeviceEnrollmentBlocked"),
                        blocked(&wb, "personalDeviceEnrollmentBlocked"),
                    );
                    cx.change(
                        area,
                        subject,
                        "minimum OS version",
                        text_or_none(&wa, "osMinimumVersion"),
                        text_or_none(&wb, "osMinimumVersion"),
                    );
                    cx.change(
                        area,
                        subject,
                        "maximum OS version",
                        text_or_none(&wa, "osMaximumVersion"),
                        text_or_none(&wb, "osMaximumVersion"),
                    );
                }
                (wa, wb) if wa.is_some() != wb.is_some() => {
                    let has = |w: &Option<Value>| {
                        if w.is_some() {
                            "restricts Windows"
                        } else {
                            "does not restrict Windows"
                        }
                        .to_string()
                    };
                    cx.change(area, subject, "Windows restriction", has(&wa), has(&wb))
                }
                _ => {}
            }
            if a.get("limit").is_some() || b.get("limit").is_some() {
                cx.change(
                    "Enrollment limit",
                    subject,
                    "device limit",
                    text_or_none(a, "limit"),
                    text_or_none(b, "limit"),
                );
            }
            cx.change(
                "Enrollment configuration",
                subject,
                "priority",
                text_or_none(a, "priority"),
                text_or_none(b, "priority"),
            );
            let (aa, ab) = (assignments(cx, a), assignments(cx, b));
            cx.change("Enrollment configuration", subject, "assignments", aa, ab);
        },
    );
}

fn registration_policy(cx: &mut Ctx, old: &Snapshot, new: &Snapshot) {
    let (Some(a), Some(b)) = (
        items(old, Resource::DeviceRegistrationPolicy).and_then(|v| v.first()),
        items(new, Resource::DeviceRegistrationPolicy).and_then(|v| v.first()),
    ) else {
        return;
    };
    let join = |cx: &Ctx, v: &Value| -> String {
        let m = v
            .pointer("/azureADJoin/allowedToJoin")
            .unwrap_or(&Value::Null);
        match str_of(m, "@odata.type").unwrap_or("") {
            "#microsoft.graph.allDeviceRegistrationMembership" => "All".into(),
            "#microsoft.graph.noDeviceRegistrationMembership" => "None".into(),
            "#microsoft.graph.enumeratedDeviceRegistrationMembership" => {
                let list = |k: &str| -> Vec<String> {
                    m.get(k)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                };
                let mut groups: Vec<String> = list("groups").iter().map(|g| cx.group(g)).collect();
                groups.sort();
                format!(
                    "Selected ({} users; groups: {})",
                    list("users").len(),
                    if groups.is_empty() {
                        "none".into()
                    } else {
                        groups.join(", ")
                    }
                )
            }
            _ => "(unknown)".into(),
        }
    };
    let (ja, jb) = (join(cx, a), join(cx, b));
    cx.change(
        "Entra join",
        "Device settings",
        "users may join devices",
        ja,
        jb,
    );
    cx.change(
        "Entra join",
        "Device settings",
        "maximum devices per user",
        text_or_none(a, "userDeviceQuota"),
        text_or_none(b, "userDeviceQuota"),
    );
}

fn autopilot_profile(cx: &mut Ctx, subject: &str, a: &Value, b: &Value) {
    let join = |v: &Value| match str_of(v, "@odata.type") {
        Some("#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile") => {
            "Microsoft Entra hybrid joined".to_string()
        }
        Some("#microsoft.graph.azureADWindowsAutopilotDeploymentProfile") => {
            "Microsoft Entra joined".to_string()
        }
        other => other.unwrap_or("(unknown)").to_string(),
    };
    let mode = |v: &Value| {
        let usage = v
            .pointer("/outOfBoxExperienceSetting/deviceUsageType")
            .or_else(|| v.pointer("/outOfBoxExperienceSettings/deviceUsageType"))
            .and_then(Value::as_str);
        match usage {
            Some("shared") => "self-deploying".to_string(),
            Some("singleUser") => "user-driven".to_string(),
            Some(o) => o.to_string(),
            None => "(not set)".to_string(),
        }
    };
    let area = "Autopilot";
    cx.change(area, subject, "join type", join(a), join(b));
    cx.change(area, subject, "deployment mode", mode(a), mode(b));
    cx.change(
        area,
        subject,
        "device name template",
        text_or_none(a, "deviceNameTemplate"),
        text_or_none(b, "deviceNameTemplate"),
    );
    let pre = |v: &Value| text_or_none(v, "preprovisioningAllowed");
    cx.change(area, subject, "pre-provisioning allowed", pre(a), pre(b));
    let (aa, ab) = (assignments(cx, a), assignments(cx, b));
    cx.change(area, subject, "assignments", aa, ab);
}

fn connector(cx: &mut Ctx, subject: &str, a: &Value, b: &Value) {
    cx.change(
        "Intune Connector for AD",
        subject,
        "state",
        text_or_none(a, "state"),
        text_or_none(b, "state"),
    );
    cx.change(
        "Intune Connector for AD",
        subject,
        "version",
        text_or_none(a, "version"),
        text_or_none(b, "version"),
    );
}

/// Pairs the items of a resource by id: added, removed, and `compare` for the rest.
fn by_id(
    cx: &mut Ctx,
    old: &Snapshot,
    new: &Snapshot,
    resource: Resource,
    label: &str,
    compare: fn(&mut Ctx, &str, &Value, &Value),
) {
    let (Some(a), Some(b)) = (items(old, resource), items(new, resource)) else {
        return;
    };
    let index = |v: &[Value]| -> BTreeMap<String, Value> {
        v.iter()
            .filter_map(|x| str_of(x, "id").map(|id| (id.to_string(), x.clone())))
            .collect()
    };
    let (ia, ib) = (index(a), index(b));
    let ids: BTreeSet<&String> = ia.keys().chain(ib.keys()).collect();
    for id in ids {
        match (ia.get(id), ib.get(id)) {
            (Some(x), Some(y)) => {
                let subject = format!("'{}'", name_of(y));
                cx.change(label, &subject, "name", name_of(x), name_of(y));
                compare(cx, &subject, x, y)
            }
            (None, Some(y)) => cx.change(
                label,
                &format!("'{}'", name_of(y)),
                "exists",
                "absent".into(),
                "added".into(),
            ),
            (Some(x), None) => cx.change(
                label,
                &format!("'{}'", name_of(x)),
                "exists",
                "present".into(),
                "removed".into(),
            ),
            (None, None) => {}
        }
    }
}

// ------------------------------------------------------------------ rendering

fn header(diff: &Diff) -> String {
    format!(
        "{} {} ({}) → {} {} ({})",
        diff.old.kind,
        diff.old.path,
        diff.old.collected_at,
        diff.new.kind,
        diff.new.path,
        diff.new.collected_at
    )
}

fn change_line(f: &FindingChange) -> String {
    let mut s = format!("[{}] {} — {}", f.severity.as_str(), f.check, f.title);
    if f.status != f.old_status {
        let _ = write!(s, " ({} → {})", f.old_status, f.status);
    }
    if !f.affected_added.is_empty() {
        let _ = write!(s, "; +{} affected", f.affected_added.len());
    }
    if !f.affected_removed.is_empty() {
        let _ = write!(s, "; -{} affected", f.affected_removed.len());
    }
    if f.waived {
        s.push_str(" (waived)");
    }
    s
}

pub fn text(diff: &Diff, fail_on: Severity) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "intune-audit diff — {}\n", header(diff));
    if diff.old.tenant_id != diff.new.tenant_id {
        let _ = writeln!(
            out,
            "Note: the two sides are different tenants ({} / {}).\n",
            diff.old.tenant_id, diff.new.tenant_id
        );
    }
    if diff.settings_compared {
        let _ = writeln!(out, "Settings changed ({}):", diff.settings.len());
        for c in &diff.settings {
            let _ = writeln!(out, "  - {}", c.text());
        }
        out.push('\n');
    }
    if !diff.settings_compared {
        let _ = writeln!(
            out,
            "Settings not compared: they are only in snapshots ({} → {}).\n",
            diff.old.kind, diff.new.kind
        );
    }
    for (title, list) in [
        ("Findings that appeared", &diff.appeared),
        ("Findings resolved", &diff.resolved),
        ("Findings that persist", &diff.persisted),
        ("No longer evaluated", &diff.unevaluated),
    ] {
        if list.is_empty() && std::ptr::eq(list, &diff.unevaluated) {
            continue;
        }
        let _ = writeln!(out, "{title} ({}):", list.len());
        for f in list {
            let worse = if f.worsened { " — WORSE" } else { "" };
            let _ = writeln!(out, "  - {}{worse}", change_line(f));
        }
        out.push('\n');
    }
    let regressions = diff.regressions(fail_on);
    let _ = writeln!(
        out,
        "{} new or worsened finding(s) at {} or above.",
        regressions.len(),
        fail_on.as_str()
    );
    out
}

pub fn markdown(diff: &Diff, fail_on: Severity) -> String {
    let mut out = String::new();
    let regressions = diff.regressions(fail_on);
    let _ = writeln!(
        out,
        "## {} intune-audit drift\n\n{}\n",
        if regressions.is_empty() { "✅" } else { "❌" },
        escape(&header(diff))
    );
    if diff.settings_compared {
        let _ = writeln!(out, "### Settings changed ({})\n", diff.settings.len());
        if !diff.settings.is_empty() {
            let _ = writeln!(
                out,
                "| Area | Object | Setting | Before | After |\n|---|---|---|---|---|"
            );
            for c in &diff.settings {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    escape(&c.area),
                    escape(&c.subject),
                    escape(&c.setting),
                    escape(&c.before),
                    escape(&c.after)
                );
            }
            out.push('\n');
        }
    }
    for (title, list) in [
        ("Appeared", &diff.appeared),
        ("Resolved", &diff.resolved),
        ("Persisting", &diff.persisted),
        ("No longer evaluated", &diff.unevaluated),
    ] {
        if list.is_empty() && std::ptr::eq(list, &diff.unevaluated) {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n", list.len());
        for f in list {
            let worse = if f.worsened { " **worse**" } else { "" };
            let _ = writeln!(out, "- {}{worse}", escape(&change_line(f)));
        }
        if !list.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "{} new or worsened finding(s) at {} or above.",
        regressions.len(),
        fail_on.as_str()
    );
    out
}
