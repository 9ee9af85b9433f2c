//! The difference between two reports: findings that appeared, got worse, were resolved or
//! are no longer evaluated, beside the settings that changed (for snapshots). `diff` builds it;
//! renderers print it.
//!
//! A finding that was failing or warning and is `not_evaluated` (or absent) in NEW is not
//! "resolved": it is listed as no longer evaluated, so a lost permission never looks like a fix.

use crate::drift::SettingChange;
use crate::report::{Finding, Report, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The `schema` of `diff --format json`.
pub const DIFF_SCHEMA: &str = "intune-audit/diff";

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

/// One list of finding changes in a diff, in the order reports show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Appeared,
    Resolved,
    Persisted,
    Unevaluated,
}

impl Diff {
    /// The finding lists in display order; "no longer evaluated" only when it has entries,
    /// since it is the exception (a lost permission, a disabled check).
    pub fn finding_sections(&self) -> impl Iterator<Item = (Section, &[FindingChange])> {
        [
            (Section::Appeared, &self.appeared),
            (Section::Resolved, &self.resolved),
            (Section::Persisted, &self.persisted),
            (Section::Unevaluated, &self.unevaluated),
        ]
        .into_iter()
        .filter(|(section, list)| *section != Section::Unevaluated || !list.is_empty())
        .map(|(section, list)| (section, list.as_slice()))
    }

    /// New or worsened, unwaived findings at or above `threshold`.
    pub fn regressions(&self, threshold: Severity) -> Vec<&FindingChange> {
        self.appeared
            .iter()
            .chain(self.persisted.iter().filter(|f| f.worsened))
            .filter(|f| !f.waived && f.severity >= threshold)
            .collect()
    }
}

/// (appeared, resolved, persisted, no longer evaluated)
type Changes = (
    Vec<FindingChange>,
    Vec<FindingChange>,
    Vec<FindingChange>,
    Vec<FindingChange>,
);

/// Compares findings by check id and affected object ids.
pub fn finding_changes(old: &Report, new: &Report) -> Changes {
    use crate::report::FindingStatus;
    // A report of an older version may use a check's former id.
    let index = |r: &Report| -> BTreeMap<String, Finding> {
        r.findings
            .iter()
            .map(|f| {
                let id = crate::catalog::current_id(&f.check).unwrap_or(&f.check);
                (id.to_string(), f.clone())
            })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TenantRef;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    fn report(findings: Vec<Finding>) -> Report {
        let t = TenantRef {
            id: TENANT.into(),
            name: "Contoso".into(),
        };
        Report::new(t, "2026-11-20T08:00:00Z".into(), "test".into(), findings)
    }

    /// A report of an older version names a renamed check by its former id: the finding
    /// persists, it does not "appear" under the new id while the old one "resolves".
    #[test]
    fn former_check_ids_are_matched_to_the_current_ones() {
        let f = Fixture::new()
            .with(Resource::Users, vec![user("u1", "adele@contoso.com")])
            .with(Resource::GroupMembers, vec![])
            .with(
                Resource::MobileAppManagementPolicies,
                vec![mam_policy("all", &[])],
            )
            .with(
                Resource::MobileDeviceManagementPolicies,
                vec![mdm_policy("all", &[], "")],
            )
            .run("mam-and-mdm-user-scope-overlap");
        assert!(f.status.is_problem());
        let mut old = f.clone();
        old.check = "mam-user-scope-not-none".into();
        let (appeared, resolved, persisted, unevaluated) =
            finding_changes(&report(vec![old]), &report(vec![f]));
        assert!(appeared.is_empty() && resolved.is_empty() && unevaluated.is_empty());
        assert_eq!(persisted.len(), 1);
        assert_eq!(persisted[0].check, "mam-and-mdm-user-scope-overlap");
    }
}
