use crate::autopilot::{self, DeviceProfiles};
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::AUTOPILOT_KNOWN_ISSUES;
use crate::report::{count, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// Autopilot devices that no deployment profile reaches.
    ///
    /// ## What it checks
    /// This is not in the article, but it is the same failure in practice: a registered Autopilot
    /// device that gets no deployment profile. For every Autopilot device it resolves the profiles
    /// that reach it through its Entra device object (group assignments, else profiles assigned to
    /// All devices) and warns for the devices no profile reaches, with the profile assignment status
    /// Intune reports for them. Devices whose result depends on an assignment filter, on a group
    /// whose members were not collected, or that have no Entra device object are counted as
    /// undetermined. It is not applicable when no Autopilot device is registered.
    ///
    /// ## Why enrollment fails
    /// A device without a profile runs the standard Windows out-of-box experience instead of
    /// Autopilot: it is not joined and enrolled the way the organization planned, and the user
    /// meets whichever enrollment error the manual path hits (for example *"This user is not
    /// authorized to enroll" (0x801C0003)*), or sets the PC up as a personal device.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Windows > Devices and look up the devices named in the finding; note their group tag.
    /// 2. Add each device to a Microsoft Entra device group that a deployment profile targets (or give it the group tag a dynamic group uses), or assign a profile to All devices as the default.
    /// 3. Wait until the device's "Profile status" shows Assigned before you start the out-of-box experience; a device that already started setup must be reset.
    ///
    /// ## Known limitations
    /// Dynamic device groups are read as their members were at collection time; a device that
    /// joins a group later gets its profile then.
    pub META = CheckMeta {
        id: "autopilot-devices-without-profile",
        since: "0.1.0",
        preview: false,
        title: "Autopilot devices without a deployment profile",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
        ],
        in_article: false,
        references: &[AUTOPILOT_KNOWN_ISSUES
            .at("Device goes through Windows Autopilot deployment without an assigned profile")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let _t = cx.tenant;
    let ap = cx.autopilot()?;
    if ap.devices.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot devices are registered in the tenant",
        ));
    }
    let without: Vec<&DeviceProfiles> = ap.devices.iter().filter(|d| d.has_no_profile()).collect();
    let unsettled: Vec<&DeviceProfiles> = ap
        .devices
        .iter()
        .filter(|d| d.resolution.candidates.is_empty() && !d.is_settled())
        .collect();
    let undetermined = unsettled.len();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &without {
        *by_status.entry(status(d)).or_default() += 1;
    }
    let evidence = json!({
        "autopilot_devices": ap.devices.len(),
        "profiles": ap.profiles.len(),
        "devices_without_profile": without.iter().map(|d| json!({
            "device": d.evidence(),
            "groupTag": d.device.group_tag,
            "deploymentProfileAssignmentStatus": d.device.deployment_profile_assignment_status,
        })).collect::<Vec<_>>(),
        "assignment_status_counts": by_status,
        "undetermined_devices": undetermined,
    });
    if without.is_empty() && unsettled.is_empty() {
        return Ok(Outcome::pass(format!(
            "{} is reached by a deployment profile",
            crate::report::every_cap(ap.devices.len(), "Autopilot device")
        ))
        .with_evidence(evidence));
    }
    if without.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} of {} may get no deployment profile: the data does not settle which profile reaches them",
            undetermined,
            count(ap.devices.len(), "Autopilot device")
        ))
        .with_affected(unsettled.iter().map(|d| d.at_risk()).collect())
        .with_evidence(evidence));
    }
    let described: Vec<String> = without
        .iter()
        .map(|d| format!("{} ({})", d.name(), status(d)))
        .collect();
    Ok(Outcome::warn(format!(
        "{} of {} get no deployment profile and would run the standard setup instead of Autopilot{}: {}",
        without.len(),
        count(ap.devices.len(), "Autopilot device"),
        if ap.profiles.is_empty() { " (the tenant has no Autopilot profile)" } else { "" },
        autopilot::list(&described, 5)
    ))
    .with_affected(
        without
            .iter()
            .map(|d| d.affected())
            .chain(unsettled.iter().map(|d| d.at_risk()))
            .collect(),
    )
    .with_evidence(evidence))
}

fn status<'a>(d: &DeviceProfiles<'a>) -> &'a str {
    d.device
        .deployment_profile_assignment_status
        .as_ref()
        .map_or("status not reported", |s| s.as_str())
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::{json, Value};

    const ID: &str = "autopilot-devices-without-profile";

    /// ap1 (e1) is in g-a; ap2 (e2) in no group; ap3 has no Entra object.
    fn base(profiles: Vec<Value>) -> Fixture {
        let mut ap2 = autopilot_device("ap2", "SN-2", "did-2", "", "Latitude 7440");
        ap2["deploymentProfileAssignmentStatus"] = json!("notAssigned");
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    autopilot_device("ap1", "SN-1", "did-1", "", "Latitude 7440"),
                    ap2,
                    autopilot_device("ap3", "SN-3", "did-3", "", "Latitude 7440"),
                ],
            )
            .with(
                Resource::Devices,
                vec![
                    entra_device("e1", "did-1", "AzureAd", &[]),
                    entra_device("e2", "did-2", "AzureAd", &[]),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g-a", "Autopilot A", &[("device", "e1")])],
            )
    }

    #[test]
    fn passes_with_an_all_devices_profile() {
        let f = base(vec![autopilot_profile(
            "all",
            false,
            false,
            "2024-01-01T00:00:00Z",
            None,
            vec![all_devices_target()],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["undetermined_devices"], 0);
    }

    #[test]
    fn warns_for_devices_outside_every_profile_group() {
        let f = base(vec![autopilot_profile(
            "a",
            false,
            false,
            "2024-01-01T00:00:00Z",
            None,
            vec![group_target("g-a")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        // ap3's Entra object is gone (a complete device list has none with its id): it is in no
        // group, so no group-assigned profile reaches it.
        assert_eq!(affected_ids(&f), ["ap2", "ap3"]);
        assert_eq!(
            f.evidence["devices_without_profile"][0]["deploymentProfileAssignmentStatus"],
            "notAssigned"
        );
        assert_eq!(
            f.evidence["undetermined_devices"], 0,
            "ap3's missing Entra object is a fact, not an unknown"
        );
    }

    #[test]
    fn warns_for_every_device_without_profiles() {
        let f = base(vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["ap1", "ap2", "ap3"]);
        assert!(f.summary.contains("no Autopilot profile"), "{}", f.summary);
    }

    #[test]
    fn not_applicable_without_autopilot_devices() {
        let f = base(vec![])
            .with(Resource::WindowsAutopilotDeviceIdentities, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_profiles() {
        let f = base(vec![])
            .forbidden(Resource::WindowsAutopilotDeploymentProfiles)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
    }
}
