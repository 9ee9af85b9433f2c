use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::devices::is_personal;
use crate::model::EnrollmentConfiguration;
use crate::references::RESTRICTIONS;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};

declare_check! {
    /// Personally owned Windows devices are blocked for users while BYOD enrollment is in use.
    ///
    /// ## What it checks
    /// Not in the vendor's troubleshooting article, but the same failure in practice. For every
    /// user who could enroll, the Windows restriction Intune applies to them (assigned
    /// restrictions by priority, exclusions and nested groups included, else the default), and
    /// whether it blocks personally owned Windows devices while allowing Windows itself. Whether
    /// bring-your-own-device enrollment is a method the tenant uses is read from its managed
    /// devices: Windows devices with ownership *personal*. When there are such devices and users
    /// whose restriction blocks personal devices, it warns. Users whose restriction depends on an
    /// assignment filter are counted as undetermined.
    ///
    /// ## Why enrollment fails
    /// A blocked user who enrolls a personal PC (Company Portal, Settings > Accounts > Access work
    /// or school) is refused with *"This user is not authorized to enroll" (0x801C0003 /
    /// 80180003)*; Microsoft Entra join during Windows setup or from Settings, Windows Autopilot
    /// for existing devices and Autopilot device preparation are refused with *"Your organization
    /// does not support this version of Windows" (0x80180014)*. Exempt, because Intune counts them
    /// as corporate: devices registered for Windows Autopilot, Group Policy automatic enrollment,
    /// co-management, bulk enrollment with a provisioning package, device enrollment managers, and
    /// devices listed as corporate identifiers (Microsoft Learn, "Device platform restrictions",
    /// *Blocking personal Windows devices*).
    ///
    /// ## Remediation
    /// 1. Decide whether personal Windows devices may enroll. If not, tell the users named in the finding to use a corporate device and record a waiver for this check.
    /// 2. If they may, open Devices > Enrollment > Device platform restriction > Windows restrictions in the Intune admin center.
    /// 3. Open the restriction named in the finding and set Personally owned devices for Windows (MDM) to Allow, then Save; or create an assigned restriction that allows them for a BYOD group with a higher priority.
    /// 4. For corporate PCs that enroll as personal, add their serial numbers or hardware identifiers under Devices > Enrollment > Corporate device identifiers, or enroll them with Autopilot.
    pub META = CheckMeta {
        id: "windows-personal-enrollment-blocked",
        since: "0.1.0",
        preview: false,
        title: "Personally owned Windows devices blocked where BYOD enrollment is used",
        severity: Severity::Medium,
        area: Area::EnrollmentRestrictions,
        error_codes: &["0x801C0003", "0x80180003", "0x80180014"],
        article_sections: &["this-user-is-not-authorized-to-enroll"],
        resources: &[
            Resource::DeviceEnrollmentConfigurations,
            Resource::Users,
            Resource::GroupMembers,
            Resource::ManagedDevices,
        ],
        in_article: false,
        references: &[RESTRICTIONS.at("Blocking personal Windows devices")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let devices = t.managed_devices.get()?;
    let population = cx.population()?;
    let per_user = cx.windows_restrictions()?;

    let mut blocked_by: BTreeMap<&str, (&str, Vec<Affected>)> = BTreeMap::new();
    let mut tally = Tally::default();
    for (user, resolution) in &per_user.users {
        let Some(resolution) = resolution else {
            continue;
        };
        let judged = resolution.judge(blocks_personal_only);
        let subject = Affected::new(AffectedKind::User, &user.id, user.name());
        if judged == Judged::Fail {
            blocked_by
                .entry(&resolution.config.id)
                .or_insert_with(|| (resolution.config.name(), Vec::new()))
                .1
                .push(subject.clone());
        }
        tally.add(subject, judged);
    }
    let blocked_users: HashSet<String> = blocked_by
        .values()
        .flat_map(|(_, users)| users.iter().map(|u| u.id.to_ascii_lowercase()))
        .collect();

    let personal: Vec<_> = devices
        .iter()
        .filter(|d| d.is_windows() && is_personal(d))
        .collect();
    let owners: HashSet<String> = personal
        .iter()
        .filter_map(|d| d.user_id.as_deref().filter(|u| !u.is_empty()))
        .map(str::to_ascii_lowercase)
        .collect();
    let owners_blocked = owners.iter().filter(|o| blocked_users.contains(*o)).count();
    let users_blocked = blocked_users.len();

    let evidence = json!({
        "population": population.evidence(),
        "users_undetermined": tally.undetermined_evidence(),
        "personal_windows_devices": personal.len(),
        "personal_device_owners": owners.len(),
        "personal_device_owners_blocked": owners_blocked,
        "users_blocked": users_blocked,
        "blocking_configurations": blocked_by.iter().map(|(id, (name, users))| json!({
            "id": id, "name": name, "users_blocked": users.len()
        })).collect::<Vec<_>>(),
    });

    // Windows devices whose ownership is absent or not understood may be personal.
    let unknown_ownership = devices
        .iter()
        .filter(|d| {
            d.is_windows()
                && !d.managed_device_owner_type.as_deref().is_some_and(|o| {
                    ["company", "personal"]
                        .iter()
                        .any(|k| o.eq_ignore_ascii_case(k))
                })
        })
        .count();
    if personal.is_empty() && unknown_ownership > 0 && (users_blocked > 0 || !tally.is_settled()) {
        let mut affected: Vec<Affected> = blocked_by.into_values().flat_map(|(_, u)| u).collect();
        affected.extend(tally.at_risk_affected());
        return Ok(Outcome::warn(format!(
            "The ownership of {} is absent or not understood, so BYOD may be in use, and personal Windows devices are or may be blocked for {}",
            count(unknown_ownership, "Windows device"),
            count(affected.len(), "user")
        ))
        .with_affected(affected)
        .with_evidence(evidence));
    }
    if personal.is_empty() {
        return Ok(Outcome::pass(format!(
            "No personally owned Windows devices are enrolled, so BYOD is not an enrollment method here{}; \
             corporate paths (Autopilot, hybrid join, co-management, Group Policy, bulk, corporate identifiers) are not affected",
            if users_blocked > 0 {
                format!(" ({} blocked from enrolling personal Windows devices)", if users_blocked == 1 { "1 user is".to_string() } else { format!("{users_blocked} users are") })
            } else {
                String::new()
            }
        ))
        .with_evidence(evidence));
    }
    if users_blocked == 0 && tally.is_settled() {
        return Ok(Outcome::pass(format!(
            "{} enrolled and none of the {} evaluated is blocked from enrolling personal Windows devices",
            count(personal.len(), "personally owned Windows device"),
            count(tally.total(), "user")
        ))
        .with_evidence(evidence));
    }
    if users_blocked == 0 {
        return Ok(Outcome::warn(format!(
            "BYOD is in use ({}), and personal Windows devices may be blocked for {}",
            count(personal.len(), "personally owned Windows device"),
            tally.at_risk_clause("user")
        ))
        .with_affected(tally.at_risk_affected())
        .with_evidence(evidence));
    }
    let names: Vec<String> = blocked_by
        .values()
        .map(|(n, u)| format!("'{n}' ({})", count(u.len(), "user")))
        .collect();
    let mut affected: Vec<Affected> = blocked_by.into_values().flat_map(|(_, u)| u).collect();
    affected.extend(tally.at_risk_affected());
    Ok(Outcome::warn(format!(
        "BYOD is in use ({} personally owned Windows devices, {owners_blocked} of their {} owners now blocked), \
         but {users_blocked} users cannot enroll a personal Windows device: personal devices are blocked by {}",
        personal.len(),
        owners.len(),
        names.join(", ")
    ))
    .with_affected(affected)
    .with_evidence(evidence))
}

/// Blocks personal Windows devices while allowing Windows itself; absent values are unknown.
pub(crate) fn blocks_personal_only(c: &EnrollmentConfiguration) -> Judged {
    let Some(r) = c.windows_restriction() else {
        return Judged::Unknown(format!("'{}' carries no Windows restriction", c.name()));
    };
    match (r.personal_device_enrollment_blocked, r.platform_blocked) {
        (Some(false), _) | (_, Some(true)) => Judged::Pass,
        (Some(true), Some(false)) => Judged::Fail,
        _ => Judged::Unknown(format!(
            "'{}' does not say whether personal Windows devices are blocked",
            c.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    const ID: &str = "windows-personal-enrollment-blocked";

    fn base(configs: Vec<Value>, devices: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                    user("u3", "cara@contoso.com"),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group(
                    "g-corp",
                    "Corporate only",
                    &[("user", "u2"), ("user", "u3")],
                )],
            )
            .with(Resource::DeviceEnrollmentConfigurations, configs)
            .with(Resource::ManagedDevices, devices)
    }

    fn corp_only() -> Vec<Value> {
        vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "corp",
                1,
                restriction(false, true),
                vec![group_target("g-corp")],
            ),
        ]
    }

    #[test]
    fn warns_when_byod_is_used_and_users_are_blocked() {
        let f = base(
            corp_only(),
            vec![
                personal_device("d1", "u1", "Windows"),
                personal_device("d2", "u2", "Windows"),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["u2", "u3"]);
        assert_eq!(f.evidence["personal_windows_devices"], 2);
        assert_eq!(f.evidence["personal_device_owners_blocked"], 1);
    }

    #[test]
    fn passes_with_a_note_when_byod_is_not_used() {
        let devices = vec![
            managed_device("d1", "u1", "Windows", "mdm", "windowsAzureADJoin"),
            personal_device("d2", "u2", "iOS"),
        ];
        let f = base(corp_only(), devices).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(
            f.summary.contains("BYOD is not an enrollment method"),
            "{}",
            f.summary
        );
        assert!(f.summary.contains("Autopilot"));
    }

    #[test]
    fn passes_when_byod_is_used_and_nobody_is_blocked() {
        let f = base(
            vec![default_restrictions(restriction(false, false))],
            vec![personal_device("d1", "u1", "Windows")],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(f.affected.is_empty());
    }

    #[test]
    fn users_with_windows_blocked_entirely_are_left_to_the_platform_check() {
        let configs = vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "corp",
                1,
                restriction(true, true),
                vec![group_target("g-corp")],
            ),
        ];
        let f = base(configs, vec![personal_device("d1", "u1", "Windows")]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn filtered_assignment_is_undetermined() {
        let configs = vec![
            default_restrictions(restriction(false, false)),
            windows_restriction(
                "corp",
                1,
                restriction(false, true),
                vec![filtered_group_target("g-corp", "flt")],
            ),
        ];
        let f = base(configs, vec![personal_device("d1", "u1", "Windows")]).run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.evidence["users_undetermined"][0]["count"], 2);
    }

    #[test]
    fn not_evaluated_without_managed_devices() {
        let f = base(corp_only(), vec![])
            .forbidden(Resource::ManagedDevices)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementManagedDevices.Read.All"]);
    }
}
