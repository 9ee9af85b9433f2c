//! Windows (MDM) enrollment is blocked by a device platform restriction.
//!
//! ## What it checks
//! For every user who could enroll, the Windows (MDM) platform restriction that Intune applies
//! to them: the assigned platform-restriction configurations by priority (exclusions and
//! nested groups included), else the default "All users and all devices" configuration. It
//! fails when that restriction sets Windows (MDM) to *Block*, and names the configurations and
//! users. Users whose result depends on an assignment filter are counted as undetermined.
//!
//! ## Why enrollment fails
//! Windows refuses to enroll with *"Your organization does not support this version of
//! Windows" (0x80180014)*, or *"This user is not authorized to enroll" (0x801C0003 /
//! 80180003)*, depending on the enrollment path.
//!
//! ## Remediation
//! 1. In the Intune admin center open Devices > Enrollment > Device platform restriction > Windows restrictions.
//! 2. Open the configuration named in the finding (or the Default one) and set Windows (MDM) to Allow, then Save.
//! 3. If it already shows Allow, set it to Block, save, set it back to Allow and save again; this resets the enrollment setting. Wait about 15 minutes before the user enrolls again.
//!
//! ## Known limitations
//! Enrollments without a user (self-deploying, pre-provisioning, bulk) use only the default
//! restriction; `windows-blocked-for-userless-enrollment` checks that case.

use crate::catalog::{Area, CheckMeta};
use crate::population::enrolling_users;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::settings::Settings;
use crate::snapshot::Resource;
use crate::targeting::{windows_restriction, Ranked};
use crate::tenant::{NotEvaluated, Tenant};
use serde_json::json;
use std::collections::BTreeMap;

pub const META: CheckMeta = CheckMeta {
    id: "windows-mdm-platform-blocked",
    title: "Windows (MDM) enrollment blocked by a platform restriction",
    severity: Severity::Critical,
    area: Area::EnrollmentRestrictions,
    error_codes: &["0x80180014", "0x801C0003", "0x80180003"],
    article_sections: &[
        "your-organization-does-not-support-this-version-of-windows",
        "this-user-is-not-authorized-to-enroll",
    ],
    resources: &[
        Resource::DeviceEnrollmentConfigurations,
        Resource::Users,
        Resource::GroupMembers,
    ],
    in_article: true,
};

pub fn evaluate(t: &Tenant, _: &Settings) -> Result<Outcome, NotEvaluated> {
    let configs = t.enrollment_configurations.get()?;
    let dir = t.group_members.get()?;
    let population = enrolling_users(t)?;
    let ranked = Ranked::windows_restrictions(configs);
    if ranked.default.is_none() {
        return Err(NotEvaluated::new(
            "the default platform restriction configuration is missing from deviceEnrollmentConfigurations",
        ));
    }
    let mut blocked_by: BTreeMap<&str, (&str, Vec<Affected>)> = BTreeMap::new();
    let mut undetermined = 0usize;
    for user in &population.users {
        let Some(resolution) = ranked.resolve(&user.id, dir) else {
            continue;
        };
        if !resolution.is_certain() {
            undetermined += 1;
            continue;
        }
        if windows_restriction(&resolution).platform_blocked {
            blocked_by
                .entry(&resolution.config.id)
                .or_insert_with(|| (resolution.config.name(), Vec::new()))
                .1
                .push(Affected::new(AffectedKind::User, &user.id, user.name()));
        }
    }
    let evidence = json!({
        "population": population.evidence(),
        "undetermined_users": undetermined,
        "blocking_configurations": blocked_by.iter().map(|(id, (name, users))| json!({
            "id": id, "name": name, "users_blocked": users.len()
        })).collect::<Vec<_>>(),
    });
    if blocked_by.is_empty() {
        let summary = format!(
            "Windows (MDM) enrollment is allowed for all {} evaluated{}",
            count(population.users.len(), "user"),
            if undetermined > 0 {
                format!(" ({undetermined} depend on an assignment filter or an uncollected group)")
            } else {
                String::new()
            }
        );
        return Ok(Outcome::pass(summary).with_evidence(evidence));
    }
    let users: usize = blocked_by.values().map(|(_, u)| u.len()).sum();
    let names: Vec<String> = blocked_by
        .values()
        .map(|(n, u)| format!("'{n}' ({})", count(u.len(), "user")))
        .collect();
    let mut affected: Vec<Affected> = blocked_by
        .iter()
        .map(|(id, (name, _))| Affected::new(AffectedKind::Configuration, *id, *name))
        .collect();
    affected.extend(blocked_by.into_values().flat_map(|(_, u)| u));
    Ok(Outcome::fail(format!(
        "{} cannot enroll Windows devices: Windows (MDM) is blocked by {}",
        count(users, "user"),
        names.join(", ")
    ))
    .with_affected(affected)
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "windows-mdm-platform-blocked";

    fn base(configs: Vec<serde_json::Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g-kiosk", "Kiosk users", &[("user", "u2")])],
            )
            .with(Resource::DeviceEnrollmentConfigurations, configs)
    }

    #[test]
    fn passes_when_default_allows_windows() {
        let f = base(vec![default_restrictions(restriction(false, false))]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(f.affected.is_empty());
    }

    #[test]
    fn fails_for_everyone_when_default_blocks() {
        let f = base(vec![default_restrictions(restriction(true, false))]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(
            affected_ids(&f),
            [
                format!("{TENANT}_DefaultPlatformRestrictions"),
                "u1".into(),
                "u2".into()
            ]
        );
    }

    #[test]
    fn assigned_block_hits_only_its_group() {
        let f = base(vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "kiosk",
                1,
                restriction(true, false),
                vec![group_target("g-kiosk")],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["kiosk", "u2"]);
    }

    #[test]
    fn assigned_allow_overrides_blocking_default() {
        let f = base(vec![
            default_restrictions(restriction(true, false)),
            windows_restriction(
                "allow",
                1,
                restriction(false, false),
                vec![all_users_target()],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn filtered_assignment_is_undetermined_not_guessed() {
        let f = base(vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "kiosk",
                1,
                restriction(true, false),
                vec![filtered_group_target("g-kiosk", "flt-1")],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["undetermined_users"], 1);
    }

    #[test]
    fn not_evaluated_without_configurations() {
        let f = base(vec![])
            .forbidden(Resource::DeviceEnrollmentConfigurations)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
        let f = Fixture::new()
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![default_restrictions(restriction(true, false))],
            )
            .with(Resource::GroupMembers, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated, "users not collected");
    }
}
