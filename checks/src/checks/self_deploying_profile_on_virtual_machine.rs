use crate::autopilot::{
    self, deployment_mode, needs_tpm_attestation, profile_affected, profile_evidence,
    virtual_machine,
};
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::AutopilotProfile;
use crate::references::{AUTOPILOT_SELF_DEPLOYING, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{count, Affected, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// A self-deploying or pre-provisioning Autopilot profile is assigned to a virtual machine.
    ///
    /// ## What it checks
    /// For every Autopilot device whose manufacturer or model shows a virtual machine (Hyper-V
    /// "Virtual Machine", VMware, VirtualBox, QEMU, Xen, Parallels, KVM), the deployment profile
    /// Intune assigns to it. It fails when that profile uses self-deploying mode or allows
    /// pre-provisioning: both attest the device's physical TPM 2.0, which a virtual machine does
    /// not have. Devices whose profile depends on an assignment filter, on a group whose members
    /// were not collected, or that have no Entra device object are counted as undetermined. It is
    /// not applicable when no self-deploying or pre-provisioning profile is assigned.
    ///
    /// ## Why enrollment fails
    /// The deployment stops at *"Securing your hardware (Failed: 0x800705b4)"*, followed by
    /// "Joining your organization's network (Previous step failed)" and "Registering your device
    /// for mobile management (Previous step failed)".
    ///
    /// ## Remediation
    /// 1. For each virtual machine named in the finding, decide whether it should be deployed with Autopilot at all; self-deploying mode and pre-provisioning need physical hardware with TPM 2.0.
    /// 2. In Microsoft Entra ID take the virtual machine's device out of the group the self-deploying or pre-provisioning profile targets (or change the group tag a dynamic group uses), or in the Intune admin center (Devices > Enrollment > Windows > Deployment profiles > the profile > Assignments) add a group with the virtual machines as an excluded group.
    /// 3. Assign the virtual machines a user-driven profile without pre-provisioning instead, then check the device's "Profile status" under Devices > Enrollment > Windows > Devices before deploying again.
    ///
    /// ## Known limitations
    /// The Autopilot device list shows no TPM version (Intune reports it only per enrolled device
    /// in its hardware information), so a physical PC with a TPM 1.2 chip, or a TPM that supports
    /// 2.0 but still runs 1.2 firmware, cannot be seen here: check the TPM in tpm.msc on the
    /// device and update its firmware. The Windows version requirement (Windows 10 1703 or later,
    /// 1809 or later for hybrid join) is also checked on the device.
    pub META = CheckMeta {
        id: "self-deploying-profile-on-virtual-machine",
        since: "0.1.0",
        preview: false,
        title: "Self-deploying or pre-provisioning Autopilot profile assigned to a virtual machine",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &["0x800705B4"],
        article_sections: &["securing-your-hardware-failed-0x800705b4"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("Securing your hardware (Failed: 0x800705b4)."),
            AUTOPILOT_SELF_DEPLOYING.at("Requirements"),
        ],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let _t = cx.tenant;
    let ap = cx.autopilot()?;
    let attesting = autopilot::in_use(ap.profiles, |p| {
        needs_tpm_attestation(p) || p.self_deploying().is_none()
    });
    if attesting.is_empty() {
        return Ok(Outcome::not_applicable(
            "No self-deploying or pre-provisioning Autopilot profile is assigned",
        ));
    }
    let mut hits = Vec::new();
    let mut per_device = Vec::new();
    let mut profiles: BTreeMap<&str, &AutopilotProfile> = BTreeMap::new();
    let mut virtual_machines = 0usize;
    let mut at_risk: Vec<Affected> = Vec::new();
    for d in &ap.devices {
        let Some(hypervisor) = virtual_machine(d.device) else {
            continue;
        };
        virtual_machines += 1;
        match d.settled_winner() {
            Some(p) if needs_tpm_attestation(p) => {
                profiles.insert(&p.id, p);
                per_device.push(json!({
                    "device": d.evidence(),
                    "manufacturer": d.device.manufacturer,
                    "model": d.device.model,
                    "hypervisor": hypervisor,
                    "profile": profile_evidence(p),
                }));
                hits.push((d, p, hypervisor));
            }
            Some(p) if p.self_deploying().is_none() && !p.allows_preprovisioning() => {
                at_risk.push(d.affected().undetermined(format!(
                    "the deployment mode of profile '{}' is absent or not understood",
                    p.name()
                )))
            }
            Some(_) => {}
            None if !d.is_settled()
                && d.possible_profiles()
                    .iter()
                    .any(|p| needs_tpm_attestation(p) || p.self_deploying().is_none()) =>
            {
                at_risk.push(d.at_risk())
            }
            None => {}
        }
    }
    let evidence = json!({
        "autopilot_devices": ap.devices.len(),
        "virtual_machines": virtual_machines,
        "attesting_profiles": attesting.iter().map(|p| profile_evidence(p)).collect::<Vec<_>>(),
        "devices": per_device,
        "undetermined_virtual_machines": at_risk.len(),
    });
    if hits.is_empty() && at_risk.is_empty() {
        return Ok(Outcome::pass(format!(
            "No virtual machine gets a self-deploying or pre-provisioning profile ({} among {}{})",
            count(virtual_machines, "virtual machine"),
            count(ap.devices.len(), "Autopilot device"),
            String::new()
        ))
        .with_evidence(evidence));
    }
    if hits.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} may be affected: the data does not settle which profile they get",
            count(at_risk.len(), "virtual machine")
        ))
        .with_affected(at_risk)
        .with_evidence(evidence));
    }
    let described: Vec<String> = hits
        .iter()
        .map(|(d, p, hv)| {
            format!(
                "{} ({hv}) gets '{}' ({})",
                d.name(),
                p.name(),
                deployment_mode(p)
            )
        })
        .collect();
    let mut affected: Vec<_> = hits.iter().map(|(d, _, _)| d.affected()).collect();
    affected.extend(profiles.values().map(|p| profile_affected(p)));
    affected.extend(at_risk);
    Ok(Outcome::fail(format!(
        "A profile that needs a physical TPM 2.0 reaches {}: {}",
        count(hits.len(), "virtual machine"),
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
    use serde_json::{json, Value};

    const ID: &str = "self-deploying-profile-on-virtual-machine";

    fn device(id: &str, did: &str, maker: &str, model: &str) -> Value {
        let mut d = autopilot_device(id, &format!("SN-{id}"), did, "", model);
        d["manufacturer"] = json!(maker);
        d
    }

    /// vm1 (Hyper-V, e1) and pc1 (Dell, e2) are in g-kiosk; vm2 (VMware, e3) in g-office.
    fn base(profiles: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    device("vm1", "did-1", "Microsoft Corporation", "Virtual Machine"),
                    device("pc1", "did-2", "Dell Inc.", "Latitude 7440"),
                    device("vm2", "did-3", "VMware, Inc.", "VMware7,1"),
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
                    group("g-kiosk", "Kiosks", &[("device", "e1"), ("device", "e2")]),
                    group("g-office", "Office", &[("device", "e3")]),
                ],
            )
    }

    fn preprovisioning(mut p: Value) -> Value {
        p["preprovisioningAllowed"] = json!(true);
        p["enableWhiteGlove"] = json!(true);
        p
    }

    #[test]
    fn passes_when_virtual_machines_get_user_driven_profiles() {
        let f = base(vec![
            autopilot_profile(
                "kiosk",
                false,
                true,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-kiosk")],
            ),
            autopilot_profile(
                "office",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-office")],
            ),
        ])
        .with(
            Resource::GroupMembers,
            vec![
                group("g-kiosk", "Kiosks", &[("device", "e2")]),
                group("g-office", "Office", &[("device", "e1"), ("device", "e3")]),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["virtual_machines"], 2);
    }

    #[test]
    fn fails_for_a_hyper_v_machine_in_the_self_deploying_group() {
        let f = base(vec![
            autopilot_profile(
                "kiosk",
                false,
                true,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-kiosk")],
            ),
            autopilot_profile(
                "office",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-office")],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["kiosk", "vm1"]);
        assert_eq!(f.evidence["devices"][0]["hypervisor"], "Hyper-V");
    }

    #[test]
    fn pre_provisioning_needs_a_physical_tpm_too() {
        let f = base(vec![
            autopilot_profile(
                "kiosk",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-kiosk")],
            ),
            preprovisioning(autopilot_profile(
                "office",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-office")],
            )),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["office", "vm2"]);
        assert!(f.summary.contains("pre-provisioning"), "{}", f.summary);
    }

    #[test]
    fn filtered_assignment_is_undetermined() {
        let f = base(vec![autopilot_profile(
            "kiosk",
            false,
            true,
            "2024-01-01T00:00:00Z",
            None,
            vec![filtered_group_target("g-kiosk", "flt")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.evidence["undetermined_virtual_machines"], 1);
    }

    #[test]
    fn not_applicable_without_an_assigned_attesting_profile() {
        let f = base(vec![
            autopilot_profile("unused", false, true, "2024-01-01T00:00:00Z", None, vec![]),
            autopilot_profile(
                "office",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_entra_devices() {
        let f = base(vec![]).forbidden(Resource::Devices).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Device.Read.All"]);
    }
}
