//! Findings and the report: the JSON contract other tools read (extend, don't rename).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const REPORT_SCHEMA: &str = "intune-audit/report";
pub const REPORT_VERSION: u32 = 1;

/// The part of the tenant a check looks at; reports group checks by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Licensing,
    MdmScope,
    EnrollmentRestrictions,
    EntraJoin,
    Autopilot,
    LegacyAgents,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Licensing,
        Area::MdmScope,
        Area::EnrollmentRestrictions,
        Area::EntraJoin,
        Area::Autopilot,
        Area::LegacyAgents,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            Area::Licensing => "Licensing",
            Area::MdmScope => "MDM scope",
            Area::EnrollmentRestrictions => "Enrollment restrictions",
            Area::EntraJoin => "Entra join",
            Area::Autopilot => "Autopilot",
            Area::LegacyAgents => "Legacy agents",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
    /// One step down: the severity a `warn` carries by default.
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Fail,
    Warn,
    NotEvaluated,
    Pass,
    NotApplicable,
}

impl FindingStatus {
    pub const ALL: [FindingStatus; 5] = [
        FindingStatus::Fail,
        FindingStatus::Warn,
        FindingStatus::NotEvaluated,
        FindingStatus::Pass,
        FindingStatus::NotApplicable,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Pass => "pass",
            FindingStatus::Fail => "fail",
            FindingStatus::Warn => "warn",
            FindingStatus::NotEvaluated => "not_evaluated",
            FindingStatus::NotApplicable => "not_applicable",
        }
    }
    /// Fail and warn are the statuses an admin must act on.
    pub fn is_problem(self) -> bool {
        matches!(self, FindingStatus::Fail | FindingStatus::Warn)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AffectedKind {
    User,
    Group,
    Device,
    AutopilotDevice,
    /// A hardware-hash import (not yet an Autopilot device).
    AutopilotImport,
    Profile,
    Configuration,
    Setting,
    /// An Intune app (`mobileApp`).
    App,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    pub kind: AffectedKind,
    pub id: String,
    pub name: String,
    /// Set when the object is only *at risk*: why the data cannot settle it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undetermined: Option<String>,
}

impl Affected {
    pub fn new(kind: AffectedKind, id: impl Into<String>, name: impl Into<String>) -> Self {
        Affected {
            kind,
            id: id.into(),
            name: name.into(),
            undetermined: None,
        }
    }

    /// Marks the object as at risk, with why the data cannot settle it.
    pub fn undetermined(mut self, why: impl Into<String>) -> Self {
        self.undetermined = Some(why.into());
        self
    }
}

/// What a check returns when it could evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: FindingStatus,
    pub summary: String,
    pub affected: Vec<Affected>,
    pub evidence: serde_json::Value,
    /// Overrides the catalog severity (a warn defaults to one step lower).
    pub severity: Option<Severity>,
}

impl Outcome {
    fn new(status: FindingStatus, summary: impl Into<String>) -> Self {
        Outcome {
            status,
            summary: summary.into(),
            affected: Vec::new(),
            evidence: serde_json::Value::Object(Default::default()),
            severity: None,
        }
    }
    pub fn pass(summary: impl Into<String>) -> Self {
        Outcome::new(FindingStatus::Pass, summary)
    }
    pub fn fail(summary: impl Into<String>) -> Self {
        Outcome::new(FindingStatus::Fail, summary)
    }
    pub fn warn(summary: impl Into<String>) -> Self {
        Outcome::new(FindingStatus::Warn, summary)
    }
    pub fn not_applicable(summary: impl Into<String>) -> Self {
        Outcome::new(FindingStatus::NotApplicable, summary)
    }
    pub fn with_affected(mut self, affected: Vec<Affected>) -> Self {
        self.affected = affected;
        self
    }
    pub fn with_evidence(mut self, evidence: serde_json::Value) -> Self {
        self.evidence = evidence;
        self
    }
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// One check's result in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub check: String,
    /// The report area the check belongs to; absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    /// What the check looks at, one paragraph (its "What it checks" prose).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The check's catalog severity (a warn's `severity` is one step lower).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_severity: Option<Severity>,
    pub status: FindingStatus,
    pub severity: Severity,
    pub error_codes: Vec<String>,
    pub article_sections: Vec<String>,
    pub title: String,
    pub summary: String,
    pub affected: Vec<Affected>,
    pub affected_total: usize,
    pub evidence: serde_json::Value,
    pub remediation: Vec<String>,
    /// The current Microsoft pages that document the cause and its fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ReferenceLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For not_evaluated: the permissions to grant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// A configured waiver accepts this finding: `status` keeps the original result, but the
    /// finding does not count for `--fail-on`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRef>,
    /// Set when affected subjects of this finding failed to enroll, in the failure history
    /// window, with a failure this finding's cause produces: the prediction is confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
}

/// The observed failures that confirm a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// Affected subjects (users, devices, Autopilot serials) that failed in the window.
    pub subjects: usize,
    /// The failure events that matched them.
    pub events: usize,
    /// The window, in days before the snapshot was collected.
    pub days: u32,
}

/// A section of a Microsoft page: its title, URL and heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceLink {
    pub title: String,
    pub url: String,
    pub heading: String,
}

/// Why a finding is waived (from the configuration file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRef {
    pub reason: String,
    /// `YYYY-MM-DD`; the waiver stops applying after this day.
    pub expires: String,
    /// The object ids the waiver names; empty when it waives the whole check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    /// Where the waiver is written, `file:line`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// A configured waiver and what became of it in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverState {
    pub check: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    pub reason: String,
    pub expires: String,
    /// `applied` (it waived a finding), `expired` (past its date: the finding counts again) or
    /// `unused` (nothing to waive: the check passes or the objects are not affected).
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub by_status: BTreeMap<String, usize>,
    /// Counts of failing and warning findings per severity.
    pub by_severity: BTreeMap<String, usize>,
    /// Failing or warning findings accepted by a waiver (they are still counted above).
    #[serde(default)]
    pub waived: usize,
    /// Enrollment failures observed in the failure history window, and how many a finding
    /// explains; absent when the history was not evaluated (or in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<FailureCounts>,
}

/// The headline of the failure history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCounts {
    pub observed: usize,
    pub explained: usize,
    pub unexplained: usize,
}

/// Enrollment failures that already happened, joined with the findings (`failures` in the
/// JSON report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedFailures {
    /// `evaluated`, `partial` (one event stream could not be read) or `not_evaluated`.
    pub status: String,
    /// The window: events from `since` to `until` (the snapshot's collection time).
    pub days: u32,
    pub since: String,
    pub until: String,
    /// Each event stream and how its collection ended.
    pub streams: Vec<EventStream>,
    pub counts: FailureCounts,
    /// Failures per day (UTC), explained and unexplained, oldest first; days without failures
    /// are left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_day: Vec<DayCount>,
    /// Failures per classification (`authorization`, `unclassified`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_class: BTreeMap<String, usize>,
    /// Failures no finding explains, grouped by stream, classification and raw reason: where
    /// the next checks come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unexplained: Vec<UnexplainedGroup>,
    /// The most recent failures (at most [`ObservedFailures::MAX_EVENTS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ObservedEvent>,
}

impl ObservedFailures {
    pub const MAX_EVENTS: usize = 200;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStream {
    /// The snapshot resource key (`troubleshootingEvents`, `autopilotEvents`).
    pub resource: String,
    /// `ok` or `not_evaluated`.
    pub status: String,
    pub failures: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub explained: usize,
    pub unexplained: usize,
}

/// One failure, classified and joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedEvent {
    pub stream: String,
    pub id: String,
    /// `eventDateTime` as Graph wrote it.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The classification (`authorization`, `hybrid-join`, … or `unclassified`).
    pub class: String,
    /// Graph's raw values (`failureCategory`, `failureReason`, `deploymentState`, …).
    pub raw: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub article_sections: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    /// The findings (check ids) that explain it; empty when unexplained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explained_by: Vec<String>,
    /// The tenant checks whose cause produces this kind of failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidate_checks: Vec<String>,
}

impl ObservedEvent {
    /// The raw failure category (enrollment failures) or deployment state (Autopilot).
    pub fn raw_category(&self) -> &str {
        self.raw
            .get("failureCategory")
            .or_else(|| self.raw.get("deploymentState"))
            .map_or("", String::as_str)
    }

    /// The raw failure reason, or the Autopilot enrollment failure details.
    pub fn raw_reason(&self) -> &str {
        self.raw
            .get("failureReason")
            .or_else(|| self.raw.get("enrollmentFailureDetails"))
            .map_or("", String::as_str)
    }
}

/// Unexplained failures sharing stream, classification and raw reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnexplainedGroup {
    pub stream: String,
    pub class: String,
    /// The raw category or deployment state.
    pub category: String,
    /// The raw reason (`failureReason`, `enrollmentFailureDetails`), trimmed.
    pub reason: String,
    pub events: usize,
    /// Distinct subjects among them.
    pub subjects: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub article_sections: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    /// Tenant checks that produce this kind of failure but found nothing for these subjects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks_clear: Vec<String>,
    /// The device-side causes (`explain` knows them) this kind of failure points at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_causes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub version: u32,
    pub tenant: TenantRef,
    pub collected_at: String,
    pub tool_version: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Waivers from the configuration and their state (applied, expired, unused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverState>,
    /// Enrollment failures that already happened, joined with the findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<ObservedFailures>,
}

impl Report {
    pub fn new(
        tenant: TenantRef,
        collected_at: String,
        tool_version: String,
        findings: Vec<Finding>,
    ) -> Report {
        let mut summary = Summary::default();
        for s in FindingStatus::ALL {
            summary.by_status.insert(s.as_str().into(), 0);
        }
        for s in Severity::ALL {
            summary.by_severity.insert(s.as_str().into(), 0);
        }
        for f in &findings {
            *summary
                .by_status
                .entry(f.status.as_str().into())
                .or_default() += 1;
            if f.status.is_problem() && f.waived {
                summary.waived += 1;
            }
            if f.status.is_problem() {
                *summary
                    .by_severity
                    .entry(f.severity.as_str().into())
                    .or_default() += 1;
            }
        }
        Report {
            schema: REPORT_SCHEMA.into(),
            version: REPORT_VERSION,
            tenant,
            collected_at,
            tool_version,
            summary,
            findings,
            waivers: Vec::new(),
            failures: None,
        }
    }

    /// Attaches the failure history; its headline counts go into the summary.
    pub fn with_failures(mut self, failures: ObservedFailures) -> Report {
        if failures.status != "not_evaluated" {
            self.summary.failures = Some(failures.counts);
        }
        self.failures = Some(failures);
        self
    }

    /// Every check is not_evaluated: the run read nothing it could judge, which must not pass.
    pub fn nothing_evaluated(&self) -> bool {
        !self.findings.is_empty()
            && self
                .findings
                .iter()
                .all(|f| f.status == FindingStatus::NotEvaluated)
    }

    /// Some check that is not waived could not be evaluated (`--fail-on-not-evaluated`).
    pub fn has_not_evaluated(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.status == FindingStatus::NotEvaluated && !f.waived)
    }

    /// Whether any failing or warning finding is at or above `threshold` (drives exit code 1).
    /// Waived findings do not count.
    pub fn has_problem_at_or_above(&self, threshold: Severity) -> bool {
        self.findings
            .iter()
            .any(|f| f.status.is_problem() && !f.waived && f.severity >= threshold)
    }
}

/// "every one of the 3 users", "the one user": a whole population in a sentence.
pub fn every(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("the one {noun}")
    } else {
        format!("every one of the {}", count(n, noun))
    }
}

/// [`every`] at the start of a sentence.
pub fn every_cap(n: usize, noun: &str) -> String {
    let s = every(n, noun);
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// "1 user", "3 users": counts in summaries read as sentences.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
