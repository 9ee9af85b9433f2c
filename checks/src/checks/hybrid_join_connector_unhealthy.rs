use crate::autopilot::{self, profile_affected, profile_evidence};
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{ConnectorState, DomainJoinConnector};
use crate::references::{AUTOPILOT_FAQ, AUTOPILOT_KNOWN_ISSUES, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};
use crate::time::{days_between, parse_rfc3339};
use serde_json::{json, Value};

declare_check! {
    /// Hybrid join Autopilot profiles are assigned but no Intune Connector for Active Directory is healthy.
    ///
    /// ## What it checks
    /// When a Microsoft Entra hybrid join Autopilot profile is assigned, the Intune Connectors for
    /// Active Directory (the offline domain join, ODJ, connectors) Intune knows. A connector is
    /// healthy when its state is *active*, its version is 6.2501.2000.5 or later (older versions
    /// are the legacy connector, which stopped working), and it contacted Intune within the
    /// configured number of days (`connector_stale_days`, 30 by default) before the snapshot was
    /// taken. It fails when there is no connector or none is healthy, and warns when some are
    /// unhealthy (or cannot be read) while at least one is healthy. An *inactive* connector beside
    /// a healthy one is not a problem: Intune lists a stopped connector for 30 days. It is not
    /// applicable when no hybrid join profile is assigned.
    ///
    /// ## Why enrollment fails
    /// Without a working connector no offline domain join blob is created, and the hybrid join
    /// deployment stops with *"Something went wrong. … error code 80070774"* before the first
    /// reboot.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Tenant administration > Connectors and tokens > Intune Connector for Active Directory and look at the connectors named in the finding.
    /// 2. On each connector's server, start the Intune ODJ Connector service (or reinstall the current connector from that page and sign in again), and check that the server reaches Intune over the internet.
    /// 3. If no connector is listed, install one on a domain-joined server that can reach a domain controller, and give its account the right to create computer objects in the OU named in the Domain Join configuration profile.
    /// 4. Update every connector to version 6.2501.2000.5 or later (download it from the same page) and uninstall the legacy connector from servers that still run it.
    /// 5. Check that the connector shows as Active with a recent last connection before deploying hybrid join devices again.
    ///
    /// ## Known limitations
    /// Whether the connector's account may create computer objects in the target OU cannot be read
    /// from Graph: on the connector's server, look in the ODJ Connector Service event log for event
    /// 30312 (or 30132) and delegate "Create computer objects" on the OU to the connector's account.
    /// How the 2025 connector (v2, with a managed service account) reports its state here is not
    /// documented.
    pub META = CheckMeta {
        id: "hybrid-join-connector-unhealthy",
        since: "0.1.0",
        preview: false,
        title: "No healthy Intune Connector for Active Directory for hybrid join Autopilot",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &["0x80070774"],
        article_sections: &["something-went-wrong-error-code-80070774"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::DomainJoinConnectors,
        ],
        in_article: true,    references: &[
            AUTOPILOT_FAQ.at("Why did enrollments start failing when using the Intune Connector for Active Directory?"),
            AUTOPILOT_KNOWN_ISSUES.at("Intune connector is inactive but still appears in the Intune Connectors"),
            WINDOWS_ENROLLMENT_ERRORS.at("Something went wrong. Error Code 80070774."),
        ],

    };
}

/// The first Intune Connector for Active Directory version that keeps working (Microsoft
/// Learn, Windows Autopilot troubleshooting FAQ: "updated to version 6.2501.2000.5 or later and
/// that the legacy version isn't still being used").
pub const MIN_CONNECTOR_VERSION: &str = "6.2501.2000.5";

/// A connector's health, as the data settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Health {
    Healthy,
    /// Inactive connectors linger for 30 days after they stop; one beside an active connector
    /// is not a problem.
    Inactive,
    Unhealthy(Vec<String>),
    /// The state or version cannot be read.
    Unknown(Vec<String>),
}

fn parse_version(v: &str) -> Option<Vec<u64>> {
    v.trim().split('.').map(|p| p.parse().ok()).collect()
}

/// Why a connector is not healthy (empty problems when it is), and days since it last called.
fn assess(c: &DomainJoinConnector, t: &Tenant, stale_days: i64) -> (Health, Option<i64>) {
    let (mut problems, mut unknown) = (Vec::new(), Vec::new());
    match &c.state {
        Some(ConnectorState::Active) => {}
        Some(ConnectorState::Inactive) => return (Health::Inactive, None),
        Some(ConnectorState::Error) => problems.push("state is 'error'".to_string()),
        Some(ConnectorState::Unknown(raw)) => {
            unknown.push(format!("state '{raw}' is not understood"))
        }
        None => unknown.push("state was not collected".to_string()),
    }
    match c.version.as_deref().map(|v| (v, parse_version(v))) {
        Some((v, Some(parts)))
            if parts < parse_version(MIN_CONNECTOR_VERSION).unwrap_or_default() =>
        {
            problems.push(format!(
                "version {v} is older than {MIN_CONNECTOR_VERSION} (the legacy connector)"
            ))
        }
        Some((_, Some(_))) => {}
        Some((v, None)) => unknown.push(format!("version '{v}' cannot be compared")),
        None => unknown.push("version was not collected".to_string()),
    }
    let days = c
        .last_connection_date_time
        .as_deref()
        .and_then(parse_rfc3339)
        .map(|last| days_between(last, t.collected_at));
    match days {
        None => unknown.push("has no last connection date".into()),
        Some(d) if d > stale_days => problems.push(format!(
            "last contacted Intune {} ({d} days before the snapshot; the limit is {stale_days})",
            c.last_connection_date_time.as_deref().unwrap_or("")
        )),
        Some(_) => {}
    }
    let health = if !problems.is_empty() {
        problems.extend(unknown);
        Health::Unhealthy(problems)
    } else if !unknown.is_empty() {
        Health::Unknown(unknown)
    } else {
        Health::Healthy
    };
    (health, days)
}

fn problems_of(h: &Health) -> Vec<String> {
    match h {
        Health::Healthy => Vec::new(),
        Health::Inactive => vec!["state is 'inactive'".into()],
        Health::Unhealthy(p) | Health::Unknown(p) => p.clone(),
    }
}

fn connector_affected(c: &DomainJoinConnector) -> Affected {
    Affected::new(
        AffectedKind::Configuration,
        &c.id,
        format!(
            "Intune Connector for Active Directory '{}'",
            c.display_name.as_deref().unwrap_or(&c.id)
        ),
    )
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let (t, s) = (cx.tenant, cx.settings);
    let profiles = t.autopilot_profiles.get()?;
    let connectors = t.domain_join_connectors.get()?;
    let hybrid = autopilot::in_use(profiles, |p| p.is_hybrid());
    if hybrid.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Microsoft Entra hybrid join Autopilot profile is assigned",
        ));
    }
    let profile_names: Vec<String> = hybrid.iter().map(|p| format!("'{}'", p.name())).collect();
    let assessed: Vec<(&DomainJoinConnector, Health, Option<i64>)> = connectors
        .iter()
        .map(|c| {
            let (h, days) = assess(c, t, s.connector_stale_days);
            (c, h, days)
        })
        .collect();
    let healthy = assessed
        .iter()
        .filter(|(_, h, _)| *h == Health::Healthy)
        .count();
    let evidence = json!({
        "hybrid_profiles": hybrid.iter().map(|p| json!({
            "profile": profile_evidence(p),
            "assignments_collected": p.assignments.is_some(),
        })).collect::<Vec<Value>>(),
        "connector_stale_days": s.connector_stale_days,
        "minimum_version": MIN_CONNECTOR_VERSION,
        "connectors": assessed.iter().map(|(c, h, days)| json!({
            "id": c.id,
            "name": c.display_name,
            "state": c.state,
            "lastConnectionDateTime": c.last_connection_date_time,
            "days_since_last_connection": days,
            "version": c.version,
            "healthy": *h == Health::Healthy,
            "settled": !matches!(h, Health::Unknown(_)),
            "problems": problems_of(h),
        })).collect::<Vec<Value>>(),
        "healthy_connectors": healthy,
    });
    let describe = |list: &[&(&DomainJoinConnector, Health, Option<i64>)]| -> Vec<String> {
        list.iter()
            .map(|(c, h, _)| {
                format!(
                    "'{}' ({})",
                    c.display_name.as_deref().unwrap_or(&c.id),
                    problems_of(h).join(", ")
                )
            })
            .collect()
    };
    let pick = |f: fn(&Health) -> bool| -> Vec<&(&DomainJoinConnector, Health, Option<i64>)> {
        assessed.iter().filter(|(_, h, _)| f(h)).collect()
    };
    let unhealthy = pick(|h| matches!(h, Health::Unhealthy(_)));
    let unknown = pick(|h| matches!(h, Health::Unknown(_)));
    let inactive = pick(|h| *h == Health::Inactive);
    let affected_of = |list: &[&(&DomainJoinConnector, Health, Option<i64>)]| -> Vec<Affected> {
        list.iter()
            .map(|(c, h, _)| match h {
                Health::Unknown(p) => connector_affected(c).undetermined(p.join(", ")),
                _ => connector_affected(c),
            })
            .collect()
    };
    let profiles = autopilot::list(&profile_names, 5);
    if connectors.is_empty() {
        return Ok(Outcome::fail(format!(
            "Hybrid join is assigned through {} ({profiles}), but no Intune Connector for Active Directory is installed",
            count(hybrid.len(), "Autopilot profile")
        ))
        .with_affected(hybrid.iter().map(|p| profile_affected(p)).collect())
        .with_evidence(evidence));
    }
    if healthy == 0 {
        let not_healthy: Vec<_> = unhealthy
            .iter()
            .chain(&inactive)
            .chain(&unknown)
            .copied()
            .collect();
        let mut affected = affected_of(&not_healthy);
        affected.extend(hybrid.iter().map(|p| profile_affected(p)));
        let outcome = if unknown.is_empty() {
            Outcome::fail
        } else {
            Outcome::warn
        };
        return Ok(outcome(format!(
            "Hybrid join is assigned through {} ({profiles}), but none of the {} for Active Directory is surely healthy: {}",
            count(hybrid.len(), "Autopilot profile"),
            count(connectors.len(), "Intune Connector"),
            describe(&not_healthy).join(", ")
        ))
        .with_affected(affected)
        .with_evidence(evidence));
    }
    let doubtful: Vec<_> = unhealthy.iter().chain(&unknown).copied().collect();
    if !doubtful.is_empty() {
        return Ok(Outcome::warn(format!(
            "{healthy} of {} for Active Directory healthy; a deployment handled by another may fail: {}",
            count(connectors.len(), "Intune Connector"),
            describe(&doubtful).join(", ")
        ))
        .with_affected(affected_of(&doubtful))
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "{} for Active Directory active, at version {MIN_CONNECTOR_VERSION} or later and in contact with Intune within {}{}: hybrid join through {} ({profiles}) can proceed",
        count(healthy, "Intune Connector"),
        count(s.connector_stale_days.max(0) as usize, "day"),
        if inactive.is_empty() { String::new() } else { format!(" ({} inactive, as an old connector stays listed for 30 days)", inactive.len()) },
        count(hybrid.len(), "Autopilot profile")
    ))
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    const ID: &str = "hybrid-join-connector-unhealthy";

    fn hybrid(assignments: Vec<Value>) -> Value {
        autopilot_profile(
            "hybrid",
            true,
            false,
            "2024-01-01T00:00:00Z",
            None,
            assignments,
        )
    }

    fn base(profiles: Vec<Value>, connectors: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(Resource::DomainJoinConnectors, connectors)
    }

    // The fixture snapshot is taken 2026-11-20T08:00:00Z.
    const RECENT: &str = "2026-11-20T07:12:44.1234567Z";
    const OLD: &str = "2026-09-01T00:00:00Z";

    #[test]
    fn passes_with_an_active_recent_connector() {
        let f = base(
            vec![hybrid(vec![group_target("g-h")])],
            vec![connector("c1", "active", RECENT)],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["connectors"][0]["days_since_last_connection"], 0);
    }

    #[test]
    fn fails_without_any_connector() {
        let f = base(vec![hybrid(vec![group_target("g-h")])], vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["hybrid"]);
    }

    #[test]
    fn fails_when_no_connector_is_healthy() {
        let f = base(
            vec![hybrid(vec![group_target("g-h")])],
            vec![
                connector("c1", "error", RECENT),
                connector("c2", "active", OLD),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["c1", "c2", "hybrid"]);
        assert!(f.summary.contains("state is 'error'"), "{}", f.summary);
        assert!(
            f.summary.contains("80 days before the snapshot"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn warns_when_some_connectors_are_unhealthy() {
        let f = base(
            vec![hybrid(vec![group_target("g-h")])],
            vec![
                connector("c1", "active", RECENT),
                connector("c2", "error", RECENT),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["c2"]);
    }

    /// Microsoft Learn, Windows Autopilot known issues: an inactive connector stays listed for
    /// 30 days; beside an active one it is not a problem.
    #[test]
    fn an_inactive_connector_beside_an_active_one_passes() {
        let f = base(
            vec![hybrid(vec![group_target("g-h")])],
            vec![
                connector("c1", "active", RECENT),
                connector("c2", "inactive", RECENT),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
    }

    /// Microsoft Learn, Windows Autopilot troubleshooting FAQ: connectors older than
    /// 6.2501.2000.5 (the legacy connector) stop working.
    #[test]
    fn a_legacy_connector_version_is_unhealthy() {
        let mut old = connector("c1", "active", RECENT);
        old["version"] = "6.2412.2000.1".into();
        let f = base(vec![hybrid(vec![group_target("g-h")])], vec![old]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail, "{}", f.summary);
        assert!(f.summary.contains("6.2501.2000.5"), "{}", f.summary);
    }

    #[test]
    fn an_unknown_state_is_at_risk_not_unhealthy() {
        let f = base(
            vec![hybrid(vec![group_target("g-h")])],
            vec![connector("c1", "unknownFutureValue", RECENT)],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn, "{}", f.summary);
        assert_eq!(
            f.affected[0]
                .undetermined
                .as_deref()
                .map(|w| w.contains("not understood")),
            Some(true)
        );
    }

    #[test]
    fn stale_days_come_from_settings() {
        let mut fx = base(
            vec![hybrid(vec![group_target("g-h")])],
            vec![connector("c1", "active", OLD)],
        );
        fx.settings.connector_stale_days = 120;
        assert_eq!(fx.run(ID).status, FindingStatus::Pass);
    }

    #[test]
    fn not_applicable_without_an_assigned_hybrid_profile() {
        let f = base(
            vec![
                hybrid(vec![]),
                autopilot_profile(
                    "cloud",
                    false,
                    false,
                    "2024-01-01T00:00:00Z",
                    None,
                    vec![all_devices_target()],
                ),
            ],
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_connectors_collected() {
        let f = Fixture::new()
            .with(
                Resource::WindowsAutopilotDeploymentProfiles,
                vec![hybrid(vec![group_target("g-h")])],
            )
            .forbidden(Resource::DomainJoinConnectors)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementConfiguration.Read.All"]);
    }
}
