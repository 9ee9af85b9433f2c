use crate::autopilot::{self, profile_affected, profile_evidence, DeviceProfiles};
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::AutopilotProfile;
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{count, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::{json, Value};
use std::collections::BTreeMap;

declare_check! {
    /// An Autopilot device is targeted by two or more different deployment profiles.
    ///
    /// ## What it checks
    /// For every Autopilot device, the deployment profiles that reach it through its Entra device
    /// object: group assignments first (exclusions and nested groups included), else the profiles
    /// assigned to All devices. It fails when two or more different profiles reach a device, and
    /// says which one Intune assigns (the oldest created) and why. Devices whose result depends on
    /// an assignment filter, on a group whose members were not collected, or that have no Entra
    /// device object in the snapshot are counted as undetermined.
    ///
    /// ## Why enrollment fails
    /// The deployment stops at *"Registering your device for mobile management (Failed: 3,
    /// 0x801C03EA)"*, or the device silently gets the older profile instead of the one intended
    /// (a user-driven PC set up as a kiosk, or the reverse).
    ///
    /// ## Remediation
    /// 1. Decide which profile each device named in the finding should get.
    /// 2. In the Intune admin center open Devices > Enrollment > Windows > Deployment profiles, open each other profile named in the finding and, under Assignments, remove the group that contains the device, or add it as an excluded group.
    /// 3. Or take the device out of the extra group in Microsoft Entra ID (Groups > the group > Members); for dynamic groups change the rule (for example the group tag).
    /// 4. Open Devices > Enrollment > Windows > Devices, select the device and check that "Profile status" shows the intended profile as assigned before deploying again.
    ///
    /// ## Known limitations
    /// The article's first cause of 0x801C03EA, a TPM that supports 2.0 but has not been upgraded
    /// to it, is on the device: update the TPM firmware to 2.0 from the manufacturer's tools.
    pub META = CheckMeta {
        id: "autopilot-profile-conflict",
        since: "0.1.0",
        preview: false,
        title: "Autopilot device targeted by more than one deployment profile",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &["0x801C03EA"],
        article_sections: &["registering-your-device-for-mobile-management-failed3-0x801c03ea"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS
            .at("Registering your device for mobile management (Failed: 3, 0x801C03EA).")],
    };
}

/// How many conflicting and undetermined devices the evidence details (every device is in the
/// affected objects; at 68k conflicting devices, details for each made the report 110 MB).
const SAMPLE: usize = 20;

fn created(p: &AutopilotProfile) -> Option<i64> {
    p.created_date_time
        .as_deref()
        .and_then(crate::time::parse_rfc3339)
        .map(|t| t.unix_timestamp())
}

/// Why the winner wins, in words.
fn why(winner: &AutopilotProfile, others: &[&AutopilotProfile], tier: &str) -> String {
    let Some(won_at) = created(winner) else {
        return format!(
            "none of the profiles has a creation date; Intune assigns the oldest-created profile, so which one wins is not known ('{}' is shown)",
            winner.name()
        );
    };
    let ties: Vec<&str> = others
        .iter()
        .filter(|p| created(p) == Some(won_at))
        .map(|p| p.name())
        .collect();
    let date = winner.created_date_time.as_deref().unwrap_or("");
    if !ties.is_empty() {
        return format!(
            "'{}' and '{}' were created at the same time ({date}); Intune assigns the oldest-created profile, so which one wins is not known",
            winner.name(),
            ties.join("', '")
        );
    }
    let later: Vec<String> = others
        .iter()
        .map(|p| {
            format!(
                "'{}' ({})",
                p.name(),
                p.created_date_time.as_deref().unwrap_or("no creation date")
            )
        })
        .collect();
    format!(
        "all reach the device through a {tier}; Intune assigns the oldest-created profile: '{}' was created {date}, before {}",
        winner.name(),
        later.join(", ")
    )
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let _t = cx.tenant;
    let ap = cx.autopilot()?;
    if ap.devices.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot devices are registered in the tenant",
        ));
    }
    let mut conflicts: Vec<&DeviceProfiles> = Vec::new();
    let mut undetermined: Vec<&DeviceProfiles> = Vec::new();
    for d in &ap.devices {
        if d.is_certain_conflict() {
            conflicts.push(d);
        } else if !d.is_settled() && d.possible_profiles().len() > 1 {
            undetermined.push(d);
        }
    }
    let undetermined_evidence: Vec<Value> = undetermined
        .iter()
        .take(SAMPLE)
        .map(|d| json!({"device": d.evidence(), "candidates": d.resolution.candidates.iter().map(|p| &p.id).collect::<Vec<_>>(), "undetermined": d.undetermined_evidence()}))
        .collect();
    let mut per_device = Vec::new();
    let mut described = Vec::new();
    let mut profiles: BTreeMap<&str, &AutopilotProfile> = BTreeMap::new();
    for d in &conflicts {
        let Some(winner) = d.resolution.winner else {
            continue;
        };
        let others: Vec<&AutopilotProfile> = d
            .resolution
            .candidates
            .iter()
            .copied()
            .filter(|p| p.id != winner.id)
            .collect();
        for p in &d.resolution.candidates {
            profiles.insert(&p.id, p);
        }
        let tier = d.tier.map(|t| t.as_str()).unwrap_or("assignment");
        if per_device.len() < SAMPLE {
            per_device.push(json!({
                "device": d.evidence(),
                "profiles": d.resolution.candidates.iter().map(|p| profile_evidence(p)).collect::<Vec<_>>(),
                "winner": {"id": winner.id, "name": winner.name()},
                "why": why(winner, &others, tier),
                "undetermined": d.undetermined_evidence(),
            }));
        }
        let names: Vec<String> = others.iter().map(|p| format!("'{}'", p.name())).collect();
        described.push(format!(
            "{} gets '{}' over {}",
            d.name(),
            winner.name(),
            names.join(", ")
        ));
    }
    let evidence = json!({
        "autopilot_devices": ap.devices.len(),
        "profiles": ap.profiles.len(),
        "conflicting_devices": per_device,
        "conflicting_device_count": conflicts.len(),
        "undetermined_devices": undetermined.len(),
        "undetermined_sample": undetermined_evidence,
    });
    if conflicts.is_empty() && undetermined.is_empty() {
        return Ok(Outcome::pass(format!(
            "None of the {} is targeted by more than one deployment profile",
            count(ap.devices.len(), "Autopilot device")
        ))
        .with_evidence(evidence));
    }
    if conflicts.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} of {} may be targeted by more than one deployment profile: the data does not settle which profiles reach them",
            undetermined.len(),
            count(ap.devices.len(), "Autopilot device")
        ))
        .with_affected(undetermined.iter().map(|d| d.at_risk()).collect())
        .with_evidence(evidence));
    }
    let mut affected: Vec<_> = conflicts.iter().map(|d| d.affected()).collect();
    affected.extend(profiles.values().map(|p| profile_affected(p)));
    affected.extend(undetermined.iter().map(|d| d.at_risk()));
    Ok(Outcome::fail(format!(
        "Two or more deployment profiles target {}: {}",
        count(conflicts.len(), "Autopilot device"),
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

    const ID: &str = "autopilot-profile-conflict";

    /// AP1 (Entra e1) is in g-kiosk and g-office; AP2 (e2) only in g-office; AP3 has no Entra object.
    fn base(profiles: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    autopilot_device("ap1", "SN-1", "did-1", "", "Latitude 7440"),
                    autopilot_device("ap2", "SN-2", "did-2", "", "Latitude 7440"),
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
                vec![
                    group("g-kiosk", "Kiosks", &[("device", "e1")]),
                    group(
                        "g-office",
                        "Office PCs",
                        &[("device", "e1"), ("device", "e2")],
                    ),
                ],
            )
    }

    fn kiosk() -> Value {
        autopilot_profile(
            "kiosk",
            false,
            true,
            "2025-05-01T00:00:00Z",
            None,
            vec![group_target("g-kiosk")],
        )
    }
    fn office() -> Value {
        autopilot_profile(
            "office",
            false,
            false,
            "2024-02-01T00:00:00Z",
            None,
            vec![group_target("g-office")],
        )
    }

    #[test]
    fn passes_when_each_device_gets_one_profile() {
        let f = base(vec![
            office(),
            autopilot_profile(
                "default",
                false,
                false,
                "2023-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(
            f.evidence["undetermined_devices"], 0,
            "ap3's Entra object is missing: it is in no group, only the all-devices profile reaches it"
        );
    }

    #[test]
    fn every_conflicting_device_is_affected_but_only_a_sample_is_detailed() {
        let n = super::SAMPLE + 5;
        let ids: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
        let members: Vec<(&str, &str)> = ids.iter().map(|id| ("device", id.as_str())).collect();
        let f = Fixture::new()
            .with(
                Resource::WindowsAutopilotDeploymentProfiles,
                vec![kiosk(), office()],
            )
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                (0..n)
                    .map(|i| {
                        let (id, serial, did) =
                            (format!("ap{i}"), format!("SN-{i}"), format!("did-{i}"));
                        autopilot_device(&id, &serial, &did, "", "Latitude 7440")
                    })
                    .collect(),
            )
            .with(
                Resource::Devices,
                (0..n)
                    .map(|i| entra_device(&format!("e{i}"), &format!("did-{i}"), "AzureAd", &[]))
                    .collect(),
            )
            .with(
                Resource::GroupMembers,
                vec![
                    group("g-kiosk", "Kiosks", &members),
                    group("g-office", "Office PCs", &members),
                ],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(f.affected_total, n + 2, "every device and both profiles");
        assert_eq!(f.evidence["conflicting_device_count"], n);
        assert_eq!(
            f.evidence["conflicting_devices"].as_array().map(Vec::len),
            Some(super::SAMPLE)
        );
    }

    #[test]
    fn fails_for_a_device_in_two_profile_groups_and_names_the_winner() {
        let f = base(vec![kiosk(), office()]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["ap1", "kiosk", "office"]);
        let d = &f.evidence["conflicting_devices"][0];
        assert_eq!(d["winner"]["id"], "office");
        assert!(d["why"].as_str().unwrap().contains("oldest-created"));
        assert!(
            f.summary
                .contains("SN-1 gets 'Profile office' over 'Profile kiosk'"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn two_all_devices_profiles_conflict_for_every_device() {
        let f = base(vec![
            autopilot_profile(
                "a",
                false,
                false,
                "2023-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
            autopilot_profile(
                "b",
                false,
                false,
                "2024-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["a", "ap1", "ap2", "ap3", "b"]);
    }

    #[test]
    fn filtered_assignment_is_undetermined() {
        let f = base(vec![
            autopilot_profile(
                "kiosk",
                false,
                true,
                "2025-05-01T00:00:00Z",
                None,
                vec![filtered_group_target("g-kiosk", "flt-1")],
            ),
            office(),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(
            f.evidence["undetermined_devices"], 1,
            "ap1 (filter); ap3's missing Entra object puts it in no group"
        );
        assert_eq!(f.evidence["undetermined_sample"][0]["device"]["id"], "ap1");
        let why = f.evidence["undetermined_sample"][0]["undetermined"][0]["why"]
            .as_str()
            .unwrap();
        assert!(why.contains("flt-1"), "{why}");
    }

    #[test]
    fn not_applicable_without_autopilot_devices() {
        let f = base(vec![kiosk()])
            .with(Resource::WindowsAutopilotDeviceIdentities, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_group_members() {
        let f = base(vec![kiosk(), office()])
            .forbidden(Resource::GroupMembers)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["GroupMember.Read.All"]);
    }
}
