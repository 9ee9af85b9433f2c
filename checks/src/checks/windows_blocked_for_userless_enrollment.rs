use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::devices::is_userless_enrollment;
use crate::references::{RESTRICTIONS, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::Ranked;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// The default platform restriction blocks Windows, which stops every enrollment without a user.
    ///
    /// ## What it checks
    /// Enrollments without a user (Autopilot self-deploying mode, Autopilot pre-provisioning, and
    /// bulk enrollment with a provisioning package) are judged by the **default** device platform
    /// restriction only ("All users and all devices"); assigned restrictions, even ones that allow
    /// Windows for every user, do not apply to them. The check reads the default restriction's
    /// Windows (MDM) setting. When it blocks Windows, the check looks for userless enrollment in
    /// use: Autopilot profiles in self-deploying mode or that allow pre-provisioning, and managed
    /// devices enrolled as bulk or device-authenticated enrollments.
    ///
    /// ## Why enrollment fails
    /// A self-deploying, pre-provisioned or bulk-enrolled device fails with *"Your organization
    /// does not support this version of Windows" (0x80180014)*, although user-driven enrollment
    /// works for users covered by an assigned restriction that allows Windows.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Device platform restriction > Windows restrictions.
    /// 2. Open the Default restriction ("All users and all devices"), choose Edit next to Platform settings, and set Windows (MDM) to Allow, then Save.
    /// 3. To keep user-driven Windows enrollment blocked for some users, create an assigned Windows restriction that blocks Windows and assign it to those users' group instead of blocking in the default.
    /// 4. Wait about 15 minutes, then reset and redeploy the self-deploying, pre-provisioned or bulk-enrolled device.
    ///
    /// ## Known limitations
    /// Whether a bulk (provisioning package) enrollment is planned cannot be seen in the tenant
    /// until a device has enrolled that way; without evidence of userless enrollment the check warns.
    pub META = CheckMeta {
        id: "windows-blocked-for-userless-enrollment",
        since: "0.1.0",
        preview: false,
        title: "Default platform restriction blocks Windows for enrollments without a user",
        severity: Severity::High,
        area: Area::EnrollmentRestrictions,
        error_codes: &["0x80180014"],
        article_sections: &["your-organization-does-not-support-this-version-of-windows"],
        resources: &[
            Resource::DeviceEnrollmentConfigurations,
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::ManagedDevices,
        ],
        in_article: true,
        references: &[
            RESTRICTIONS.at("Limitations"),
            WINDOWS_ENROLLMENT_ERRORS.at("Your organization does not support this version of Windows."),
        ],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let configs = t.enrollment_configurations.get()?;
    let Some(default) = Ranked::windows_restrictions(configs).default else {
        return Err(NotEvaluated::new(
            "the default platform restriction configuration is missing from deviceEnrollmentConfigurations",
        ));
    };
    // An absent platformBlocked is unknown: it may block, so it is judged as blocking, but
    // never worse than at risk.
    let blocked = default
        .windows_restriction()
        .and_then(|r| r.platform_blocked);
    if blocked == Some(false) {
        return Ok(Outcome::pass(format!(
            "The default restriction '{}' allows Windows (MDM): self-deploying, pre-provisioning and bulk enrollment are not blocked",
            default.name()
        ))
        .with_evidence(json!({
            "default_configuration": {"id": default.id, "name": default.name(), "windows_platform_blocked": false},
        })));
    }

    let mut missing = Vec::new();
    let profiles = match t.autopilot_profiles.get() {
        Ok(p) => Some(p),
        Err(e) => {
            missing.push(e.reason);
            None
        }
    };
    let devices = match t.managed_devices.get() {
        Ok(d) => Some(d),
        Err(e) => {
            missing.push(e.reason);
            None
        }
    };
    let userless_profiles: Vec<_> = profiles
        .into_iter()
        .flatten()
        .filter(|p| p.is_self_deploying() || p.allows_preprovisioning())
        .collect();
    let userless_devices: Vec<_> = devices
        .into_iter()
        .flatten()
        .filter(|d| d.is_windows() && is_userless_enrollment(d))
        .collect();

    let evidence = json!({
        "default_configuration": {"id": default.id, "name": default.name(), "windows_platform_blocked": blocked},
        "userless_profiles": userless_profiles.iter().map(|p| json!({
            "id": p.id, "name": p.name(),
            "self_deploying": p.is_self_deploying(),
            "preprovisioning_allowed": p.allows_preprovisioning(),
        })).collect::<Vec<_>>(),
        "userless_enrolled_devices": userless_devices.iter().map(|d| json!({
            "id": d.id, "name": d.name(), "deviceEnrollmentType": d.device_enrollment_type,
        })).collect::<Vec<_>>(),
        "data_missing": missing,
    });

    if userless_profiles.is_empty() && userless_devices.is_empty() {
        let why = if missing.is_empty() {
            "no self-deploying or pre-provisioning Autopilot profile and no bulk-enrolled device were found".to_string()
        } else {
            format!(
                "userless enrollment could not be ruled out: {}",
                missing.join("; ")
            )
        };
        return Ok(Outcome::warn(format!(
            "The default restriction '{}' {} Windows (MDM): any self-deploying, pre-provisioning or bulk enrollment will fail with 0x80180014 ({why})",
            default.name(),
            if blocked.is_some() { "blocks" } else { "may block" }
        ))
        .with_affected(vec![Affected::new(AffectedKind::Configuration, &default.id, default.name())])
        .with_evidence(evidence));
    }

    let mut in_use = Vec::new();
    if !userless_profiles.is_empty() {
        let names: Vec<String> = userless_profiles
            .iter()
            .map(|p| format!("'{}'", p.name()))
            .collect();
        in_use.push(format!(
            "Autopilot {} {}",
            if names.len() == 1 {
                "profile"
            } else {
                "profiles"
            },
            names.join(", ")
        ));
    }
    if !userless_devices.is_empty() {
        in_use.push(format!(
            "{} enrolled without a user",
            crate::report::count(userless_devices.len(), "device")
        ));
    }
    let mut affected = vec![Affected::new(
        AffectedKind::Configuration,
        &default.id,
        default.name(),
    )];
    affected.extend(
        userless_profiles
            .iter()
            .map(|p| Affected::new(AffectedKind::Profile, &p.id, p.name())),
    );
    if blocked.is_none() {
        return Ok(Outcome::warn(format!(
            "The default restriction '{}' does not say whether Windows (MDM) is blocked (platformBlocked absent), and userless enrollment is in use ({}): these enrollments use only the default restriction and fail with 0x80180014 if it blocks",
            default.name(),
            in_use.join("; ")
        ))
        .with_affected(affected)
        .with_evidence(evidence));
    }
    Ok(Outcome::fail(format!(
        "The default restriction '{}' blocks Windows (MDM), and userless enrollment is in use ({}): these enrollments use only the default restriction and fail with 0x80180014",
        default.name(),
        in_use.join("; ")
    ))
    .with_affected(affected)
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    const ID: &str = "windows-blocked-for-userless-enrollment";

    fn default_id() -> String {
        format!("{TENANT}_DefaultPlatformRestrictions")
    }

    fn base(default_blocks: bool, profiles: Vec<Value>, devices: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![
                    default_restrictions(restriction(default_blocks, false)),
                    windows_restriction(
                        "allow",
                        1,
                        restriction(false, false),
                        vec![all_users_target()],
                    ),
                ],
            )
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(Resource::ManagedDevices, devices)
    }

    fn user_driven() -> Value {
        autopilot_profile(
            "p-user",
            false,
            false,
            "2025-01-01T00:00:00Z",
            None,
            vec![all_devices_target()],
        )
    }

    #[test]
    fn passes_when_default_allows_windows_even_without_other_data() {
        let f = Fixture::new()
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![default_restrictions(restriction(false, false))],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(f.affected.is_empty());
    }

    #[test]
    fn fails_when_self_deploying_profile_exists() {
        let sd = autopilot_profile(
            "p-kiosk",
            false,
            true,
            "2025-01-01T00:00:00Z",
            None,
            vec![all_devices_target()],
        );
        let f = base(true, vec![user_driven(), sd], vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [default_id(), "p-kiosk".into()]);
    }

    #[test]
    fn fails_when_preprovisioning_is_allowed() {
        let mut pp = user_driven();
        pp["id"] = "p-wg".into();
        pp["preprovisioningAllowed"] = true.into();
        let f = base(true, vec![pp], vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [default_id(), "p-wg".into()]);
    }

    #[test]
    fn fails_when_devices_were_bulk_enrolled() {
        let devices = vec![
            managed_device("d1", "", "Windows", "mdm", "windowsBulkUserless"),
            managed_device("d2", "u1", "Windows", "mdm", "windowsAzureADJoin"),
        ];
        let f = base(true, vec![user_driven()], devices).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [default_id()]);
        assert_eq!(f.evidence["userless_enrolled_devices"][0]["id"], "d1");
    }

    #[test]
    fn warns_when_no_userless_enrollment_is_seen() {
        let f = base(true, vec![user_driven()], vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), [default_id()]);
    }

    #[test]
    fn warns_and_names_missing_data_when_profiles_were_not_collected() {
        let f = base(true, vec![], vec![])
            .forbidden(Resource::WindowsAutopilotDeploymentProfiles)
            .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert!(
            f.summary.contains("could not be ruled out"),
            "{}",
            f.summary
        );
        assert_eq!(f.evidence["data_missing"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn warns_when_managed_devices_are_missing_from_the_tenant() {
        let mut t = base(true, vec![], vec![]).tenant();
        t.managed_devices = crate::tenant::Collected::missing(Resource::ManagedDevices);
        let o = super::evaluate(&crate::context::Ctx::new(&t, &Default::default())).unwrap();
        assert_eq!(o.status, FindingStatus::Warn);
        assert!(
            o.summary.contains("managedDevices was not collected"),
            "{}",
            o.summary
        );
    }

    #[test]
    fn not_evaluated_without_configurations_or_default() {
        let f = base(true, vec![], vec![])
            .forbidden(Resource::DeviceEnrollmentConfigurations)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
        let f = Fixture::new()
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![windows_restriction(
                    "allow",
                    1,
                    restriction(false, false),
                    vec![all_users_target()],
                )],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
    }
}
