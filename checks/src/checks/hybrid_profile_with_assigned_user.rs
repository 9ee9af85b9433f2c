use crate::autopilot::{self, profile_affected, profile_evidence};
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::AutopilotProfile;
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{count, Affected, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// An Autopilot device with an assigned user gets a hybrid Entra join profile.
    ///
    /// ## What it checks
    /// For every Autopilot device with an assigned user (the device's `userPrincipalName`), the
    /// deployment profile Intune assigns to it. It fails when that profile is a Microsoft Entra
    /// hybrid join profile: "assign user" belongs to Entra join deployments only. Devices whose
    /// profile depends on an assignment filter, on a group whose members were not collected, or
    /// that have no Entra device object are counted as undetermined. It is not applicable when the
    /// tenant has no hybrid join profile.
    ///
    /// ## Why enrollment fails
    /// Before the first reboot the device times out at the sign-in screen with *"Something went
    /// wrong. … error code 80070774"*: the assigned user makes the device perform an Entra join
    /// during setup, which leaves it in a state where it can no longer join the on-premises domain.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Windows > Devices (Windows Autopilot devices).
    /// 2. Select each device named in the finding, open the "…" menu and choose "Unassign user"; wait until the change completes.
    /// 3. Check that the device's "Profile status" shows the hybrid join profile as assigned, then start the out-of-box experience again.
    ///
    /// ## Known limitations
    /// 0x80070774 also appears when the device cannot reach a domain controller, or when the Intune
    /// Connector for Active Directory lacks rights on the target OU; `hybrid-join-connector-unhealthy`
    /// checks the connector, and the rest is checked on the network and the connector's server.
    pub META = CheckMeta {
        id: "hybrid-profile-with-assigned-user",
        since: "0.1.0",
        preview: false,
        title: "Hybrid join Autopilot profile on a device with an assigned user",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &["0x80070774"],
        article_sections: &["something-went-wrong-error-code-80070774"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS.at("Something went wrong. Error Code 80070774.")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let _t = cx.tenant;
    let ap = cx.autopilot()?;
    let hybrid: Vec<&AutopilotProfile> = ap.profiles.iter().filter(|p| p.is_hybrid()).collect();
    if hybrid.is_empty() {
        return Ok(Outcome::not_applicable(
            "The tenant has no Microsoft Entra hybrid join Autopilot profile",
        ));
    }
    let mut hits = Vec::new();
    let mut per_device = Vec::new();
    let mut profiles: BTreeMap<&str, &AutopilotProfile> = BTreeMap::new();
    let mut with_user = 0usize;
    let mut at_risk: Vec<Affected> = Vec::new();
    for d in &ap.devices {
        let Some(user) = d.device.assigned_user() else {
            continue;
        };
        with_user += 1;
        match d.settled_winner() {
            Some(p) if p.is_hybrid() => {
                profiles.insert(&p.id, p);
                per_device.push(json!({
                    "device": d.evidence(),
                    "assigned_user": user,
                    "profile": profile_evidence(p),
                }));
                hits.push((d, p, user));
            }
            Some(_) => {}
            None if !d.is_settled() && d.possible_profiles().iter().any(|p| p.is_hybrid()) => {
                at_risk.push(d.at_risk())
            }
            None => {}
        }
    }
    let evidence = json!({
        "hybrid_profiles": hybrid.iter().map(|p| profile_evidence(p)).collect::<Vec<_>>(),
        "autopilot_devices": ap.devices.len(),
        "devices_with_assigned_user": with_user,
        "devices": per_device,
        "undetermined_devices": at_risk.len(),
    });
    if hits.is_empty() && at_risk.is_empty() {
        return Ok(Outcome::pass(format!(
            "No device with an assigned user gets a hybrid join profile ({with_user} of {} Autopilot devices have an assigned user{})",
            ap.devices.len(),
            String::new()
        ))
        .with_evidence(evidence));
    }
    if hits.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} with an assigned user may be affected: the data does not settle which profile they get",
            count(at_risk.len(), "Autopilot device")
        ))
        .with_affected(at_risk)
        .with_evidence(evidence));
    }
    let described: Vec<String> = hits
        .iter()
        .map(|(d, p, user)| format!("{} (user {user}) gets '{}'", d.name(), p.name()))
        .collect();
    let mut affected: Vec<_> = hits.iter().map(|(d, _, _)| d.affected()).collect();
    affected.extend(profiles.values().map(|p| profile_affected(p)));
    affected.extend(at_risk);
    Ok(Outcome::fail(format!(
        "A hybrid join profile reaches {} with an assigned user: {}",
        count(hits.len(), "Autopilot device"),
        autopilot::list(&described, 5)
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

    const ID: &str = "hybrid-profile-with-assigned-user";

    /// ap1 (user, e1) and ap2 (no user, e2) are in g-hybrid; ap3 (user, e3) in g-cloud.
    fn base(profiles: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    autopilot_device("ap1", "SN-1", "did-1", "adele@contoso.com", "Latitude 7440"),
                    autopilot_device("ap2", "SN-2", "did-2", "", "Latitude 7440"),
                    autopilot_device("ap3", "SN-3", "did-3", "bob@contoso.com", "Latitude 7440"),
                ],
            )
            .with(
                Resource::Devices,
                vec![
                    entra_device("e1", "did-1", "AzureAd", &[]),
                    entra_device("e2", "did-2", "AzureAd", &[]),
                    entra_device("e3", "did-3", "AzureAd", &[]),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![
                    group(
                        "g-hybrid",
                        "Hybrid PCs",
                        &[("device", "e1"), ("device", "e2")],
                    ),
                    group("g-cloud", "Cloud PCs", &[("device", "e3")]),
                ],
            )
    }

    fn cloud() -> Value {
        autopilot_profile(
            "cloud",
            false,
            false,
            "2024-01-01T00:00:00Z",
            Some("CTS-%RAND:6%"),
            vec![group_target("g-cloud")],
        )
    }

    #[test]
    fn passes_when_assigned_users_only_meet_entra_join_profiles() {
        let f = base(vec![
            cloud(),
            autopilot_profile(
                "hybrid",
                true,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-hybrid")],
            ),
        ])
        .with(
            Resource::WindowsAutopilotDeviceIdentities,
            vec![
                autopilot_device("ap2", "SN-2", "did-2", "", "Latitude 7440"),
                autopilot_device("ap3", "SN-3", "did-3", "bob@contoso.com", "Latitude 7440"),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["devices_with_assigned_user"], 1);
    }

    #[test]
    fn fails_for_a_device_with_a_user_and_a_hybrid_profile() {
        let f = base(vec![
            cloud(),
            autopilot_profile(
                "hybrid",
                true,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-hybrid")],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["ap1", "hybrid"]);
        assert_eq!(
            f.evidence["devices"][0]["assigned_user"],
            "adele@contoso.com"
        );
    }

    #[test]
    fn filtered_assignment_is_undetermined() {
        let f = base(vec![
            cloud(),
            autopilot_profile(
                "hybrid",
                true,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![filtered_group_target("g-hybrid", "flt")],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.evidence["undetermined_devices"], 1);
    }

    #[test]
    fn not_applicable_without_hybrid_profiles() {
        assert_eq!(
            base(vec![cloud()]).run(ID).status,
            FindingStatus::NotApplicable
        );
    }

    #[test]
    fn not_evaluated_without_autopilot_devices() {
        let f = base(vec![cloud()])
            .forbidden(Resource::WindowsAutopilotDeviceIdentities)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
    }
}
