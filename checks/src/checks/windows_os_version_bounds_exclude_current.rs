use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::devices::{bound, excluded_by, Exclusion, Version, SERVICED_RELEASES};
use crate::model::EnrollmentConfiguration;
use crate::references::PLATFORM_RESTRICTIONS;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::Ranked;
use crate::tenant::NotEvaluated;
use serde_json::{json, Value};

declare_check! {
    /// A Windows platform restriction's OS version bounds exclude current Windows releases.
    ///
    /// ## What it checks
    /// Not in the vendor's troubleshooting article, but the same failure in practice. For the
    /// default Windows platform restriction and every assigned one that has at least one
    /// assignment, the minimum and maximum OS version (an empty value means not set). Each bound is
    /// compared numerically, part by part, with the Windows releases in general servicing (Windows
    /// 10 22H2 10.0.19045, Windows 11 24H2 10.0.26100, Windows 11 25H2 10.0.26200). It fails when a
    /// bound excludes a serviced Windows 11 release or is not a valid version, and warns when it
    /// excludes only Windows 10 22H2 (which may be intended). A maximum that names a build with a
    /// revision (10.0.26100.2314) excludes the later monthly updates of that release.
    ///
    /// ## Why enrollment fails
    /// A device whose Windows version is outside the bounds of the restriction that applies to the
    /// enrolling user is refused with *"Your organization does not support this version of
    /// Windows"*; a maximum that was current when it was set blocks every device once it installs
    /// a newer release or cumulative update.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Device platform restriction > Windows restrictions.
    /// 2. Open the restriction named in the finding and choose Edit next to Platform settings.
    /// 3. Clear the Max version for Windows (MDM), or set it no lower than the newest Windows 11 release you deploy; prefer leaving it empty so that updates do not start failing.
    /// 4. Set Min version no higher than the oldest serviced release you still enroll (for example 10.0.19045 while Windows 10 22H2 devices enroll), in the form major.minor.build, then Save.
    ///
    /// ## Known limitations
    /// The table of serviced releases is built into this version of the tool and dates from
    /// November 2026; a newer Windows release is not known to it. A configuration whose
    /// assignments were not collected is treated as assigned.
    pub META = CheckMeta {
        id: "windows-os-version-bounds-exclude-current",
        since: "0.1.0",
        preview: false,
        title: "Windows restriction OS version bounds exclude current Windows releases",
        severity: Severity::High,
        area: Area::EnrollmentRestrictions,
        error_codes: &[],
        article_sections: &["your-organization-does-not-support-this-version-of-windows"],
        resources: &[Resource::DeviceEnrollmentConfigurations],
        in_article: false,
        references: &[PLATFORM_RESTRICTIONS.at("Create a device platform restriction")],
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

struct Judged<'a> {
    config: &'a EnrollmentConfiguration,
    verdict: Verdict,
    problem: String,
    evidence: Value,
}

fn judge(config: &EnrollmentConfiguration) -> Option<Judged<'_>> {
    let r = config.windows_restriction()?;
    let min_raw = bound(r.os_minimum_version.as_deref());
    let max_raw = bound(r.os_maximum_version.as_deref());
    if min_raw.is_none() && max_raw.is_none() {
        return None;
    }
    let min = min_raw.map(Version::parse);
    let max = max_raw.map(Version::parse);
    let mut malformed = Vec::new();
    if let (Some(raw), Some(None)) = (min_raw, &min) {
        malformed.push(format!("minimum '{raw}'"));
    }
    if let (Some(raw), Some(None)) = (max_raw, &max) {
        malformed.push(format!("maximum '{raw}'"));
    }
    let min = min.flatten();
    let max = max.flatten();
    let mut excluded = Vec::new();
    for release in SERVICED_RELEASES {
        let Some(v) = Version::parse(release.version) else {
            continue;
        };
        if let Some(why) = excluded_by(&v, min.as_ref(), max.as_ref()) {
            excluded.push((release, why));
        }
    }
    let excluded_json: Vec<Value> = excluded
        .iter()
        .map(|(r, why)| {
            json!({"release": r.name, "version": r.version, "reason": match why {
                Exclusion::BelowMinimum => "below the minimum",
                Exclusion::AboveMaximum => "above the maximum",
                Exclusion::UpdatesAboveMaximum => "cumulative updates above the maximum",
            }})
        })
        .collect();
    let names: Vec<&str> = excluded.iter().map(|(r, _)| r.name).collect();
    let verdict = if !malformed.is_empty() || excluded.iter().any(|(r, _)| r.windows11) {
        Verdict::Fail
    } else if excluded.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Warn
    };
    let mut problem = Vec::new();
    if !malformed.is_empty() {
        problem.push(format!("invalid {}", malformed.join(" and ")));
    }
    if !names.is_empty() {
        problem.push(format!("excludes {}", names.join(", ")));
    }
    Some(Judged {
        config,
        verdict,
        problem: format!(
            "'{}' (min {}, max {}) {}",
            config.name(),
            min_raw.unwrap_or("not set"),
            max_raw.unwrap_or("not set"),
            problem.join("; ")
        ),
        evidence: json!({
            "id": config.id, "name": config.name(), "priority": config.priority,
            "default": config.is_default(),
            "assignments_collected": config.assignments.is_some() || config.is_default(),
            "osMinimumVersion": min_raw, "osMaximumVersion": max_raw,
            "malformed": malformed,
            "releases_excluded": excluded_json,
        }),
    })
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let configs = t.enrollment_configurations.get()?;
    let ranked = Ranked::windows_restrictions(configs);
    let Some(default) = ranked.default else {
        return Err(NotEvaluated::new(
            "the default platform restriction configuration is missing from deviceEnrollmentConfigurations",
        ));
    };
    // In effect: the default, and assigned restrictions with an assignment (or whose
    // assignments were not collected, which cannot be ruled out).
    let in_effect = std::iter::once(default).chain(
        ranked
            .assigned
            .iter()
            .copied()
            .filter(|c| c.assignments.as_ref().is_none_or(|a| !a.is_empty())),
    );
    let judged: Vec<Judged> = in_effect
        .filter(|c| {
            c.windows_restriction()
                .is_some_and(|r| r.platform_blocked != Some(true))
        })
        .filter_map(judge)
        .collect();
    let unassigned_skipped = ranked
        .assigned
        .iter()
        .filter(|c| c.assignments.as_ref().is_some_and(Vec::is_empty))
        .count();
    let evidence = json!({
        "serviced_releases": SERVICED_RELEASES.iter().map(|r| json!({"name": r.name, "version": r.version})).collect::<Vec<_>>(),
        "configurations_with_bounds": judged.iter().map(|j| j.evidence.clone()).collect::<Vec<_>>(),
        "unassigned_configurations_skipped": unassigned_skipped,
    });
    let worst = judged
        .iter()
        .map(|j| j.verdict)
        .max()
        .unwrap_or(Verdict::Ok);
    let problems: Vec<&Judged> = judged.iter().filter(|j| j.verdict != Verdict::Ok).collect();
    let unreadable: Vec<&crate::model::EnrollmentConfiguration> = std::iter::once(default)
        .chain(ranked.assigned.iter().copied())
        .filter(|c| c.may_restrict_windows())
        .collect();
    if worst == Verdict::Ok && !unreadable.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} may restrict Windows, but its platform is absent or not understood: its OS version bounds cannot be judged",
            crate::report::count(unreadable.len(), "platform restriction")
        ))
        .with_affected(
            unreadable
                .iter()
                .map(|c| {
                    Affected::new(AffectedKind::Configuration, &c.id, c.name())
                        .undetermined("platformType absent or not understood")
                })
                .collect(),
        )
        .with_evidence(evidence));
    }
    if worst == Verdict::Ok {
        return Ok(Outcome::pass(if judged.is_empty() {
            "No Windows platform restriction in use sets a minimum or maximum OS version"
                .to_string()
        } else {
            format!(
                "The OS version bounds of {} admit every serviced Windows release",
                crate::report::count(judged.len(), "Windows restriction")
            )
        })
        .with_evidence(evidence));
    }
    let affected = problems
        .iter()
        .map(|j| Affected::new(AffectedKind::Configuration, &j.config.id, j.config.name()))
        .collect();
    let detail = problems
        .iter()
        .map(|j| j.problem.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let outcome = if worst == Verdict::Fail {
        Outcome::fail(format!(
            "Windows restriction OS version bounds refuse current Windows: {detail}"
        ))
    } else {
        Outcome::warn(format!(
            "Windows restriction OS version bounds exclude Windows 10 22H2 only (may be intended): {detail}"
        ))
    };
    Ok(outcome.with_affected(affected).with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::{FindingStatus, Severity};
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    const ID: &str = "windows-os-version-bounds-exclude-current";

    fn run(configs: Vec<Value>) -> crate::report::Finding {
        Fixture::new()
            .with(Resource::DeviceEnrollmentConfigurations, configs)
            .run(ID)
    }

    fn default_id() -> String {
        format!("{TENANT}_DefaultPlatformRestrictions")
    }

    #[test]
    fn passes_without_bounds_and_with_empty_strings() {
        let f = run(vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "a",
                1,
                restriction_versions("", ""),
                vec![all_users_target()],
            ),
        ]);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(
            f.evidence["configurations_with_bounds"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn passes_with_bounds_that_admit_every_release() {
        let f = run(vec![default_restrictions(restriction_versions(
            "10.0.19045",
            "10.0.99999",
        ))]);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(
            f.evidence["configurations_with_bounds"][0]["releases_excluded"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn fails_when_the_maximum_excludes_windows_11() {
        let f = run(vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "old-max",
                1,
                restriction_versions("", "10.0.22631.4460"),
                vec![group_target("g1")],
            ),
        ]);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["old-max"]);
        assert!(f.summary.contains("Windows 11 24H2"), "{}", f.summary);
    }

    #[test]
    fn fails_when_a_maximum_revision_blocks_later_updates() {
        let f = run(vec![default_restrictions(restriction_versions(
            "",
            "10.0.26200.1000",
        ))]);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [default_id()]);
        assert_eq!(
            f.evidence["configurations_with_bounds"][0]["releases_excluded"][0]["reason"],
            "cumulative updates above the maximum"
        );
    }

    #[test]
    fn warns_when_only_windows_10_is_excluded() {
        let f = run(vec![default_restrictions(restriction_versions(
            "10.0.22000",
            "",
        ))]);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(affected_ids(&f), [default_id()]);
        assert_eq!(
            f.evidence["configurations_with_bounds"][0]["releases_excluded"][0]["release"],
            "Windows 10 22H2"
        );
    }

    #[test]
    fn fails_on_a_malformed_version() {
        let f = run(vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "typo",
                1,
                restriction_versions("10.0.19045", "10.0,26100"),
                vec![all_users_target()],
            ),
        ]);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["typo"]);
        assert!(
            f.summary.contains("invalid maximum '10.0,26100'"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn unassigned_and_platform_blocking_configurations_are_ignored() {
        let mut blocking = restriction_versions("", "10.0.1");
        blocking["platformBlocked"] = true.into();
        let f = run(vec![
            default_restrictions(restriction(false, false)),
            windows_restriction("unused", 1, restriction_versions("", "10.0.1"), vec![]),
            windows_restriction("blocks", 2, blocking, vec![all_users_target()]),
        ]);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["unassigned_configurations_skipped"], 1);
    }

    #[test]
    fn not_evaluated_without_configurations() {
        let f = Fixture::new()
            .forbidden(Resource::DeviceEnrollmentConfigurations)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
        let f = run(vec![]);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "no default restriction"
        );
    }
}
