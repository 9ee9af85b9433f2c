//! Hybrid join Autopilot profiles are assigned but no Intune Connector for Active Directory is healthy.
//!
//! ## What it checks
//! When a Microsoft Entra hybrid join Autopilot profile is assigned, the Intune Connectors for
//! Active Directory (the offline domain join, ODJ, connectors) Intune knows. A connector is
//! healthy when its state is *active* and it contacted Intune within the configured number of
//! days (`connector_stale_days`, 30 by default) before the snapshot was taken. It fails when
//! there is no connector or none is healthy, and warns when some are unhealthy while at least
//! one is healthy. It is not applicable when no hybrid join profile is assigned.
//!
//! ## Why enrollment fails
//! Without a working connector no offline domain join blob is created, and the hybrid join
//! deployment stops with *"Something went wrong. … error code 80070774"* before the first
//! reboot.
//!
//! ## Remediation
//! 1. In the Intune admin center open Tenant administration > Connectors and tokens > Intune Connector for Active Directory and look at the connectors named in the finding.
//! 2. On each connector's server, start the Intune ODJ Connector service (or reinstall the current connector from that page and sign in again), and check that the server reaches Intune over the internet.
//! 3. If no connector is listed, install one on a domain-joined server that can reach a domain controller, and give its account the right to create computer objects in the OU named in the Domain Join configuration profile.
//! 4. Check that the connector shows as Active with a recent last connection before deploying hybrid join devices again.
//!
//! ## Known limitations
//! Whether the connector's account may create computer objects in the target OU cannot be read
//! from Graph: on the connector's server, look in the ODJ Connector Service event log for event
//! 30312 (or 30132) and delegate "Create computer objects" on the OU to the connector's account.
//! How the 2025 connector (v2, with a managed service account) reports its state here is not
//! documented.

use crate::autopilot::{self, profile_affected, profile_evidence};
use crate::catalog::{Area, CheckMeta};
use crate::model::DomainJoinConnector;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::settings::Settings;
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};
use crate::time::{days_between, parse_rfc3339};
use serde_json::{json, Value};

pub const META: CheckMeta = CheckMeta {
    id: "hybrid-join-connector-unhealthy",
    title: "No healthy Intune Connector for Active Directory for hybrid join Autopilot",
    severity: Severity::High,
    area: Area::Autopilot,
    error_codes: &["0x80070774"],
    article_sections: &["something-went-wrong-error-code-80070774"],
    resources: &[
        Resource::WindowsAutopilotDeploymentProfiles,
        Resource::DomainJoinConnectors,
    ],
    in_article: true,
};

/// Why a connector is not healthy; empty when it is.
fn problems(c: &DomainJoinConnector, t: &Tenant, stale_days: i64) -> (Vec<String>, Option<i64>) {
    let mut problems = Vec::new();
    let state = c.state.as_deref().unwrap_or("");
    if !state.eq_ignore_ascii_case("active") {
        problems.push(format!(
            "state is '{}'",
            if state.is_empty() { "unknown" } else { state }
        ));
    }
    let days = c
        .last_connection_date_time
        .as_deref()
        .and_then(parse_rfc3339)
        .map(|last| days_between(last, t.collected_at));
    match days {
        None => problems.push("has no last connection date".into()),
        Some(d) if d > stale_days => problems.push(format!(
            "last contacted Intune {} ({d} days before the snapshot; the limit is {stale_days})",
            c.last_connection_date_time.as_deref().unwrap_or("")
        )),
        Some(_) => {}
    }
    (problems, days)
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

pub fn evaluate(t: &Tenant, s: &Settings) -> Result<Outcome, NotEvaluated> {
    let profiles = t.autopilot_profiles.get()?;
    let connectors = t.domain_join_connectors.get()?;
    let hybrid = autopilot::in_use(profiles, |p| p.is_hybrid());
    if hybrid.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Microsoft Entra hybrid join Autopilot profile is assigned",
        ));
    }
    let profile_names: Vec<String> = hybrid.iter().map(|p| format!("'{}'", p.name())).collect();
    let assessed: Vec<(&DomainJoinConnector, Vec<String>, Option<i64>)> = connectors
        .iter()
        .map(|c| {
            let (p, days) = problems(c, t, s.connector_stale_days);
            (c, p, days)
        })
        .collect();
    let healthy = assessed.iter().filter(|(_, p, _)| p.is_empty()).count();
    let evidence = json!({
        "hybrid_profiles": hybrid.iter().map(|p| json!({
            "profile": profile_evidence(p),
            "assignments_collected": p.assignments.is_some(),
        })).collect::<Vec<Value>>(),
        "connector_stale_days": s.connector_stale_days,
        "connectors": assessed.iter().map(|(c, p, days)| json!({
            "id": c.id,
            "name": c.display_name,
            "state": c.state,
            "lastConnectionDateTime": c.last_connection_date_time,
            "days_since_last_connection": days,
            "version": c.version,
            "healthy": p.is_empty(),
            "problems": p,
        })).collect::<Vec<Value>>(),
        "healthy_connectors": healthy,
    });
    let unhealthy: Vec<&(&DomainJoinConnector, Vec<String>, Option<i64>)> =
        assessed.iter().filter(|(_, p, _)| !p.is_empty()).collect();
    let described: Vec<String> = unhealthy
        .iter()
        .map(|(c, p, _)| {
            format!(
                "'{}' ({})",
                c.display_name.as_deref().unwrap_or(&c.id),
                p.join(", ")
            )
        })
        .collect();
    if connectors.is_empty() {
        return Ok(Outcome::fail(format!(
            "Hybrid join profile(s) {} are assigned, but no Intune Connector for Active Directory is installed",
            autopilot::list(&profile_names, 5)
        ))
        .with_affected(hybrid.iter().map(|p| profile_affected(p)).collect())
        .with_evidence(evidence));
    }
    if healthy == 0 {
        let mut affected: Vec<Affected> = unhealthy
            .iter()
            .map(|(c, _, _)| connector_affected(c))
            .collect();
        affected.extend(hybrid.iter().map(|p| profile_affected(p)));
        return Ok(Outcome::fail(format!(
            "Hybrid join profile(s) {} are assigned, but none of the {} Intune Connector(s) for Active Directory is healthy: {}",
            autopilot::list(&profile_names, 5),
            connectors.len(),
            described.join(", ")
        ))
        .with_affected(affected)
        .with_evidence(evidence));
    }
    if !unhealthy.is_empty() {
        return Ok(Outcome::warn(format!(
            "{healthy} of {} Intune Connectors for Active Directory are healthy; unhealthy: {}",
            connectors.len(),
            described.join(", ")
        ))
        .with_affected(
            unhealthy
                .iter()
                .map(|(c, _, _)| connector_affected(c))
                .collect(),
        )
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "All {} Intune Connector(s) for Active Directory are active and contacted Intune within {} days; hybrid join profile(s) {} can use them",
        connectors.len(),
        s.connector_stale_days,
        autopilot::list(&profile_names, 5)
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
                connector("c2", "inactive", RECENT),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["c2"]);
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
