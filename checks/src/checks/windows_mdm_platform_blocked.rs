use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::EnrollmentConfiguration;
use crate::references::{USER_CANNOT_ENROLL, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// Windows (MDM) enrollment is blocked by a device platform restriction.
    ///
    /// ## What it checks
    /// For every user who could enroll, the Windows (MDM) platform restriction that Intune applies
    /// to them: the assigned platform-restriction configurations by priority (exclusions and
    /// nested groups included), else the default "All users and all devices" configuration. It
    /// fails when that restriction sets Windows (MDM) to *Block*, and names the configurations and
    /// users. Users whose result depends on an assignment filter are counted as undetermined.
    ///
    /// ## Why enrollment fails
    /// Windows refuses to enroll with *"Your organization does not support this version of
    /// Windows" (0x80180014)*, or *"This user is not authorized to enroll" (0x801C0003 /
    /// 80180003)*, depending on the enrollment path.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Device platform restriction > Windows restrictions.
    /// 2. Open the configuration named in the finding (or the Default one) and set Windows (MDM) to Allow, then Save.
    /// 3. If it already shows Allow, set it to Block, save, set it back to Allow and save again; this resets the enrollment setting. Wait about 15 minutes before the user enrolls again.
    ///
    /// ## Known limitations
    /// Enrollments without a user (self-deploying, pre-provisioning, bulk) use only the default
    /// restriction; `windows-blocked-for-userless-enrollment` checks that case.
    pub META = CheckMeta {
        id: "windows-mdm-platform-blocked",
        since: "0.1.0",
        preview: false,
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
        references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("Your organization does not support this version of Windows."),
            USER_CANNOT_ENROLL.at("Solution 3"),
        ],
    };
}

/// Whether a restriction configuration blocks Windows (MDM); an absent value is unknown.
pub fn blocks_windows(c: &EnrollmentConfiguration) -> Judged {
    match c.windows_restriction() {
        Some(r) => Judged::from_flag(r.platform_blocked, || {
            format!(
                "'{}' does not say whether Windows (MDM) is blocked (platformBlocked absent)",
                c.name()
            )
        }),
        None => Judged::Unknown(format!("'{}' carries no Windows restriction", c.name())),
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let population = cx.population()?;
    let per_user = cx.windows_restrictions()?;
    let mut tally = Tally::default();
    let mut blocked_by: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for (user, resolution) in &per_user.users {
        let Some(resolution) = resolution else {
            continue;
        };
        let judged = resolution.judge(blocks_windows);
        if judged == Judged::Fail {
            blocked_by
                .entry(&resolution.config.id)
                .or_insert((resolution.config.name(), 0))
                .1 += 1;
        }
        tally.add(
            Affected::new(AffectedKind::User, &user.id, user.name()),
            judged,
        );
    }
    let evidence = json!({
        "population": population.evidence(),
        "users_evaluated": tally.total(),
        "users_undetermined": tally.undetermined_evidence(),
        "blocking_configurations": blocked_by.iter().map(|(id, (name, users))| json!({
            "id": id, "name": name, "users_blocked": users
        })).collect::<Vec<_>>(),
    });
    if tally.failed.is_empty() {
        if tally.is_settled() {
            return Ok(Outcome::pass(format!(
                "Windows (MDM) enrollment is allowed for {} evaluated",
                crate::report::every(tally.total(), "user")
            ))
            .with_evidence(evidence));
        }
        return Ok(Outcome::warn(format!(
            "Windows (MDM) may be blocked for some of the {} evaluated: {}",
            count(tally.total(), "user"),
            tally.at_risk_clause("user")
        ))
        .with_affected(tally.at_risk_affected())
        .with_evidence(evidence));
    }
    let names: Vec<String> = blocked_by
        .values()
        .map(|(n, users)| format!("'{n}' ({})", count(*users, "user")))
        .collect();
    let mut summary = format!(
        "{} cannot enroll Windows devices: Windows (MDM) is blocked by {}",
        count(tally.failed.len(), "user"),
        names.join(", ")
    );
    if !tally.is_settled() {
        summary.push_str(&format!("; {}", tally.at_risk_clause("more user")));
    }
    let mut affected: Vec<Affected> = blocked_by
        .iter()
        .map(|(id, (name, _))| Affected::new(AffectedKind::Configuration, *id, *name))
        .collect();
    affected.extend(tally.failed.iter().cloned());
    affected.extend(tally.at_risk_affected());
    Ok(Outcome::fail(summary)
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
    fn filtered_blocking_assignment_puts_its_users_at_risk() {
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
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.evidence["users_undetermined"][0]["count"], 1);
        assert_eq!(affected_ids(&f), ["u2"]);
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
