use crate::autopilot::{self, deployment_mode, needs_tpm_attestation, profile_evidence};
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::ManagedDevice;
use crate::references::AUTOPILOT_DEVICE_ENROLLMENT;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::HashMap;

declare_check! {
    /// Self-deploying or pre-provisioned Autopilot devices still have an Intune device record.
    ///
    /// ## What it checks
    /// For every Autopilot device whose assigned deployment profile uses self-deploying mode or
    /// allows pre-provisioning, whether Intune still holds a managed-device record for it: the
    /// record the Autopilot device points to (`managedDeviceId`), or a managed device with the
    /// same serial number. It warns for each such device: the record is expected while the device
    /// is in use, but it must be deleted before the device is reset and deployed again. Devices
    /// whose profile depends on an assignment filter, on a group whose members were not collected,
    /// or that have no Entra device object are counted as undetermined. It is not applicable when
    /// no self-deploying or pre-provisioning profile is assigned.
    ///
    /// ## Why enrollment fails
    /// Re-deploying a self-deploying or pre-provisioned device whose old Intune record still exists
    /// fails with *"Something went wrong. Your organization does not support this version of
    /// Windows. (0x80180014)"*.
    ///
    /// ## Remediation
    /// 1. For a device that already shows 0x80180014, open the Intune admin center > Devices > Enrollment > Windows Autopilot > Devices, select it and choose Unblock device (Graph action `allowNextEnrollment`); this is the fix Microsoft's Autopilot troubleshooting FAQ gives for the "SDM One Time Limit Check".
    /// 2. Or, before you reset or redeploy a device named in the finding, open Devices > Windows, find the device by its serial number and choose Delete (keep the Autopilot registration).
    /// 3. Wait until the record is gone or the device shows as unblocked, then start the self-deploying or pre-provisioning deployment again.
    ///
    /// ## Known limitations
    /// The same error has a tenant-wide cause too, Windows blocked in the default platform
    /// restriction; `windows-mdm-platform-blocked` checks that.
    pub META = CheckMeta {
        id: "autopilot-redeploy-stale-intune-record",
        since: "0.1.0",
        preview: false,
        title: "Self-deploying or pre-provisioned device still has an Intune record (redeploy fails)",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &["0x80180014"],
        article_sections: &["your-organization-does-not-support-this-version-of-windows"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
            Resource::ManagedDevices,
        ],
        in_article: true,
        references: &[AUTOPILOT_DEVICE_ENROLLMENT.at(
            "Error code 0x80180014 when re-enrolling using self-deployment or pre-provisioning mode",
        )],
    };
}

fn serial_key(serial: Option<&str>) -> Option<String> {
    serial
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_uppercase)
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let ap = cx.autopilot()?;
    let managed = t.managed_devices.get()?;
    let attesting = autopilot::in_use(ap.profiles, |p| {
        needs_tpm_attestation(p) || p.self_deploying().is_none()
    });
    if attesting.is_empty() {
        return Ok(Outcome::not_applicable(
            "No self-deploying or pre-provisioning Autopilot profile is assigned",
        ));
    }
    let by_id: HashMap<String, &ManagedDevice> = managed
        .iter()
        .map(|m| (m.id.to_ascii_lowercase(), m))
        .collect();
    let mut by_serial: HashMap<String, &ManagedDevice> = HashMap::new();
    for m in managed {
        if let Some(key) = serial_key(m.serial_number.as_deref()) {
            by_serial.entry(key).or_insert(m);
        }
    }
    let record = |d: &crate::model::AutopilotDevice| -> Option<(&ManagedDevice, &'static str)> {
        d.managed_device()
            .and_then(|id| by_id.get(&id.to_ascii_lowercase()))
            .map(|m| (*m, "managedDeviceId"))
            .or_else(|| {
                serial_key(d.serial_number.as_deref())
                    .and_then(|k| by_serial.get(&k))
                    .map(|m| (*m, "serialNumber"))
            })
    };
    let mut hits = Vec::new();
    let mut per_device = Vec::new();
    let mut at_risk: Vec<Affected> = Vec::new();
    for d in &ap.devices {
        match d.settled_winner() {
            Some(p) if needs_tpm_attestation(p) => {
                let Some((m, matched_by)) = record(d.device) else {
                    continue;
                };
                per_device.push(json!({
                    "device": d.evidence(),
                    "profile": profile_evidence(p),
                    "intune_record": {
                        "id": m.id, "deviceName": m.device_name, "serialNumber": m.serial_number,
                        "enrolledDateTime": m.enrolled_date_time, "matched_by": matched_by,
                    },
                }));
                hits.push((d, p, m));
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
                    .any(|p| needs_tpm_attestation(p) || p.self_deploying().is_none())
                && record(d.device).is_some() =>
            {
                at_risk.push(d.at_risk())
            }
            None => {}
        }
    }
    let evidence = json!({
        "attesting_profiles": attesting.iter().map(|p| profile_evidence(p)).collect::<Vec<_>>(),
        "autopilot_devices": ap.devices.len(),
        "managed_devices": managed.len(),
        "devices": per_device,
        "undetermined_devices": at_risk.len(),
    });
    if hits.is_empty() && at_risk.is_empty() {
        return Ok(Outcome::pass(format!(
            "No device with a self-deploying or pre-provisioning profile has an Intune record left{}",
            String::new()
        ))
        .with_evidence(evidence));
    }
    if hits.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} with an Intune record may be affected: the data does not settle which profile they get",
            count(at_risk.len(), "Autopilot device")
        ))
        .with_affected(at_risk)
        .with_evidence(evidence));
    }
    let described: Vec<String> = hits
        .iter()
        .map(|(d, p, m)| {
            format!(
                "{} ('{}', {}; Intune record '{}')",
                d.name(),
                p.name(),
                deployment_mode(p),
                m.name()
            )
        })
        .collect();
    let mut affected: Vec<Affected> = Vec::new();
    for (d, _, m) in &hits {
        affected.push(d.affected());
        affected.push(Affected::new(AffectedKind::Device, &m.id, m.name()));
    }
    affected.extend(at_risk);
    Ok(Outcome::warn(format!(
        "An Intune record is left for {}; resetting or redeploying fails with 0x80180014 until the record is deleted: {}",
        count(hits.len(), "self-deploying or pre-provisioned device"),
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

    const ID: &str = "autopilot-redeploy-stale-intune-record";

    /// ap1 (e1) points at Intune record md1; ap2 (e2) shares its serial with md2; ap3 (e3) has none.
    fn base(profiles: Vec<Value>) -> Fixture {
        let mut ap1 = autopilot_device("ap1", "SN-1", "did-1", "", "Latitude 7440");
        ap1["managedDeviceId"] = json!("md1");
        let mut md2 = managed_device(
            "md2",
            "",
            "Windows",
            "mdm",
            "windowsAzureADJoinUsingDeviceAuth",
        );
        md2["serialNumber"] = json!("sn-2");
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    ap1,
                    autopilot_device("ap2", "SN-2", "did-2", "", "Latitude 7440"),
                    autopilot_device("ap3", "SN-3", "did-3", "", "Latitude 7440"),
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
                        "g-kiosk",
                        "Kiosks",
                        &[("device", "e1"), ("device", "e2"), ("device", "e3")],
                    ),
                    group(
                        "g-office",
                        "Office",
                        &[("device", "e1"), ("device", "e2"), ("device", "e3")],
                    ),
                ],
            )
            .with(
                Resource::ManagedDevices,
                vec![
                    managed_device(
                        "md1",
                        "",
                        "Windows",
                        "mdm",
                        "windowsAzureADJoinUsingDeviceAuth",
                    ),
                    md2,
                ],
            )
    }

    #[test]
    fn passes_when_only_user_driven_devices_have_records() {
        let f = base(vec![
            autopilot_profile(
                "office",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-office")],
            ),
            autopilot_profile(
                "kiosk",
                false,
                true,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-empty")],
            ),
        ])
        .with(
            Resource::GroupMembers,
            vec![
                group(
                    "g-office",
                    "Office",
                    &[("device", "e1"), ("device", "e2"), ("device", "e3")],
                ),
                group("g-empty", "Kiosks", &[]),
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["undetermined_devices"], 0);
    }

    #[test]
    fn passes_when_self_deploying_devices_have_no_record() {
        let f = base(vec![autopilot_profile(
            "kiosk",
            false,
            true,
            "2024-01-01T00:00:00Z",
            None,
            vec![group_target("g-kiosk")],
        )])
        .with(Resource::ManagedDevices, vec![])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
    }

    #[test]
    fn warns_for_records_found_by_id_or_serial() {
        let f = base(vec![autopilot_profile(
            "kiosk",
            false,
            true,
            "2024-01-01T00:00:00Z",
            None,
            vec![group_target("g-kiosk")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["ap1", "ap2", "md1", "md2"]);
        assert_eq!(
            f.evidence["devices"][0]["intune_record"]["matched_by"],
            "managedDeviceId"
        );
        assert_eq!(
            f.evidence["devices"][1]["intune_record"]["matched_by"],
            "serialNumber"
        );
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
        assert_eq!(f.evidence["undetermined_devices"], 2);
    }

    #[test]
    fn not_applicable_without_attesting_profiles() {
        let f = base(vec![autopilot_profile(
            "office",
            false,
            false,
            "2024-01-01T00:00:00Z",
            None,
            vec![group_target("g-office")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_managed_devices() {
        let f = base(vec![autopilot_profile(
            "kiosk",
            false,
            true,
            "2024-01-01T00:00:00Z",
            None,
            vec![group_target("g-kiosk")],
        )])
        .forbidden(Resource::ManagedDevices)
        .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementManagedDevices.Read.All"]);
    }
}
