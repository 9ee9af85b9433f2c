//! Windows Autopilot, shared by the Autopilot checks: which deployment profile each Autopilot
//! device gets, resolved once per tenant with the shared targeting logic, plus the facts about
//! profiles and hardware several checks need (deployment mode, virtual machines).
//!
//! An Autopilot device is targeted through its Entra device object: the Autopilot record
//! carries the Entra *device id* (`azureAdDeviceId` / `azureActiveDirectoryDeviceId`), group
//! membership lists the Entra *object id*, so the device list maps one to the other
//! ([`targeting::device_id_index`]). A device whose result depends on an assignment filter, on
//! a group whose members were not collected, or that has no Entra object in the snapshot, is
//! *unsettled*: checks count it and never guess.

use crate::model::{AutopilotDevice, AutopilotProfile};
use crate::report::{Affected, AffectedKind};
use crate::targeting::{self, Identity, Principal, ProfileResolution, Reach, Via};
use crate::tenant::{NotEvaluated, Tenant};
use serde_json::{json, Value};

/// Through which kind of assignment the candidates reach a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// A group assignment (these beat all-devices assignments).
    Group,
    /// The "All devices" fallback ("default profile").
    AllDevices,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Group => "group assignment",
            Tier::AllDevices => "all-devices assignment",
        }
    }
}

/// One Autopilot device and the profile resolution Intune would make for it.
#[derive(Debug, Clone)]
pub struct DeviceProfiles<'a> {
    pub device: &'a AutopilotDevice,
    /// The Entra object id the device maps to, when its Entra device is in the snapshot.
    pub entra_object_id: Option<String>,
    /// The record names an Entra device id that no Entra device object has: the object was
    /// deleted, so the device is in no group.
    pub entra_object_missing: bool,
    pub resolution: ProfileResolution<'a>,
    /// How the candidates reach the device; `None` when there is no candidate.
    pub tier: Option<Tier>,
}

impl<'a> DeviceProfiles<'a> {
    /// The device's name in findings: its serial number (else its id).
    pub fn name(&self) -> &'a str {
        self.device.name()
    }

    pub fn affected(&self) -> Affected {
        Affected::new(AffectedKind::AutopilotDevice, &self.device.id, self.name())
    }

    /// Whether the collected data settles the result (no filter, no uncollected group, no
    /// missing Entra object stood in the way).
    pub fn is_settled(&self) -> bool {
        self.resolution.undetermined.is_empty()
    }

    /// The profile Intune assigns, when the result is settled.
    pub fn settled_winner(&self) -> Option<&'a AutopilotProfile> {
        if self.is_settled() {
            self.resolution.winner
        } else {
            None
        }
    }

    /// Two or more profiles reach the device, whatever the unsettled assignments decide: at the
    /// group tier more candidates only add to the conflict; at the all-devices tier an
    /// unsettled group assignment could take over, so the conflict is only certain when settled.
    pub fn is_certain_conflict(&self) -> bool {
        self.resolution.is_conflict() && (self.tier == Some(Tier::Group) || self.is_settled())
    }

    /// No profile reaches the device, and nothing unsettled could.
    pub fn has_no_profile(&self) -> bool {
        self.resolution.candidates.is_empty() && self.is_settled()
    }

    /// Every profile that is or may be assigned: the candidates and the unsettled ones.
    pub fn possible_profiles(&self) -> Vec<&'a AutopilotProfile> {
        let mut out: Vec<&'a AutopilotProfile> = self.resolution.candidates.clone();
        out.extend(self.resolution.undetermined.iter().map(|(p, _)| *p));
        out
    }

    /// The device as an at-risk affected object, with the first reason it is unsettled.
    pub fn at_risk(&self) -> Affected {
        let why = self
            .resolution
            .undetermined
            .first()
            .map(|(p, why)| format!("profile '{}': {why}", p.name()))
            .unwrap_or_else(|| "the profile assignment cannot be settled".into());
        self.affected().undetermined(why)
    }

    /// Why the result is unsettled, for the evidence.
    pub fn undetermined_evidence(&self) -> Vec<Value> {
        self.resolution
            .undetermined
            .iter()
            .map(|(p, why)| json!({"profile_id": p.id, "profile": p.name(), "why": why}))
            .collect()
    }

    /// The device as evidence: serial, ids and the link to Entra.
    pub fn evidence(&self) -> Value {
        json!({
            "id": self.device.id,
            "serial_number": self.device.serial_number,
            "entra_device_id": self.device.entra_device_id(),
            "entra_object_id": self.entra_object_id,
            "entra_object_missing": self.entra_object_missing,
        })
    }
}

/// The tenant's Autopilot profiles and every Autopilot device's resolution.
#[derive(Debug, Clone)]
pub struct Autopilot<'a> {
    pub profiles: &'a [AutopilotProfile],
    pub devices: Vec<DeviceProfiles<'a>>,
}

impl Autopilot<'_> {
    /// Devices whose result is unsettled (filters, uncollected groups, no Entra object).
    pub fn unsettled(&self) -> usize {
        self.devices.iter().filter(|d| !d.is_settled()).count()
    }
}

/// Resolves every Autopilot device's profile. Needs the profiles (with assignments), the
/// Autopilot devices, the Entra devices and the group members. Checks get it once per run
/// from the evaluation context ([`crate::context::Ctx::autopilot`]).
pub fn resolve(t: &Tenant) -> Result<Autopilot<'_>, NotEvaluated> {
    let profiles = t.autopilot_profiles.get()?;
    let autopilot_devices = t.autopilot_devices.get()?;
    let entra = t.devices.get()?;
    let dir = t.group_members.get()?;
    let index = targeting::device_id_index(entra);
    let devices = autopilot_devices
        .iter()
        .map(|device| {
            let identity = targeting::autopilot_identity(device, &index);
            let resolution = targeting::resolve_profiles(profiles, identity, dir);
            let tier = resolution.winner.map(|w| {
                match targeting::reach(w.assignments.as_deref(), Principal::Device, identity, dir) {
                    Reach::Included {
                        via: Via::Group { .. },
                        ..
                    } => Tier::Group,
                    _ => Tier::AllDevices,
                }
            });
            DeviceProfiles {
                device,
                entra_object_id: match identity {
                    Identity::Object(id) => Some(id.to_string()),
                    _ => None,
                },
                entra_object_missing: identity == Identity::Missing,
                resolution,
                tier,
            }
        })
        .collect();
    Ok(Autopilot { profiles, devices })
}

// ---------------------------------------------------------------- profiles

pub fn profile_affected(p: &AutopilotProfile) -> Affected {
    Affected::new(AffectedKind::Profile, &p.id, p.name())
}

/// Self-deploying and pre-provisioning both attest the device's physical TPM 2.0.
pub fn needs_tpm_attestation(p: &AutopilotProfile) -> bool {
    p.is_self_deploying() || p.allows_preprovisioning()
}

/// The deployment mode, as the portal names it.
pub fn deployment_mode(p: &AutopilotProfile) -> &'static str {
    match (p.is_self_deploying(), p.allows_preprovisioning()) {
        (true, _) => "self-deploying",
        (false, true) => "user-driven with pre-provisioning allowed",
        (false, false) => "user-driven",
    }
}

pub fn join_type(p: &AutopilotProfile) -> &'static str {
    if p.is_hybrid() {
        "Microsoft Entra hybrid joined"
    } else {
        "Microsoft Entra joined"
    }
}

/// Whether the profile is assigned to anything: `None` when its assignments were not collected.
pub fn is_assigned(p: &AutopilotProfile) -> Option<bool> {
    p.assignments.as_ref().map(|a| !a.is_empty())
}

/// The profiles `wanted` selects that are assigned to something, or whose assignments were
/// not collected (they may be).
pub fn in_use(
    profiles: &[AutopilotProfile],
    wanted: impl Fn(&AutopilotProfile) -> bool,
) -> Vec<&AutopilotProfile> {
    profiles
        .iter()
        .filter(|p| wanted(p) && is_assigned(p) != Some(false))
        .collect()
}

/// A profile as evidence.
pub fn profile_evidence(p: &AutopilotProfile) -> Value {
    json!({
        "id": p.id,
        "name": p.name(),
        "createdDateTime": p.created_date_time,
        "join": join_type(p),
        "mode": deployment_mode(p),
    })
}

/// Joins names for a summary, the first `max` and "and N more".
pub fn list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

// ---------------------------------------------------------------- hardware

/// The hypervisor an Autopilot device's manufacturer/model reveals, if any.
pub fn virtual_machine(device: &AutopilotDevice) -> Option<&'static str> {
    let model = device
        .model
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let maker = device
        .manufacturer
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if model == "virtual machine" {
        Some("Hyper-V")
    } else if model.starts_with("vmware") || maker.starts_with("vmware") {
        Some("VMware")
    } else if model == "virtualbox" || maker.starts_with("innotek") {
        Some("VirtualBox")
    } else if maker.starts_with("qemu") {
        Some("QEMU")
    } else if maker == "xen" {
        Some("Xen")
    } else if maker.starts_with("parallels") {
        Some("Parallels")
    } else if model.contains("kvm") {
        Some("KVM")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    /// Two Autopilot devices: AP1 is in group g-a (via Entra object e1), AP2 has no Entra object.
    fn fixture(profiles: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    autopilot_device("ap1", "SN-1", "did-1", "", "Latitude 7440"),
                    autopilot_device("ap2", "SN-2", "did-missing", "", "Latitude 7440"),
                ],
            )
            .with(
                Resource::Devices,
                vec![entra_device("e1", "did-1", "AzureAd", &[])],
            )
            .with(
                Resource::GroupMembers,
                vec![
                    group("g-a", "Autopilot A", &[("device", "e1")]),
                    group("g-b", "Autopilot B", &[("device", "e1")]),
                ],
            )
    }

    fn device<'a>(a: &'a Autopilot<'a>, id: &str) -> &'a DeviceProfiles<'a> {
        a.devices
            .iter()
            .find(|d| d.device.id == id)
            .expect("device in fixture")
    }

    #[test]
    fn maps_through_the_entra_device_id_not_the_object_id() {
        let f = fixture(vec![autopilot_profile(
            "p1",
            false,
            false,
            "2025-01-01T00:00:00Z",
            None,
            vec![group_target("g-a")],
        )]);
        let t = f.tenant();
        let a = resolve(&t).unwrap();
        let d = device(&a, "ap1");
        assert_eq!(d.entra_object_id.as_deref(), Some("e1"));
        assert_eq!(d.settled_winner().map(|p| p.id.as_str()), Some("p1"));
        assert_eq!(d.tier, Some(Tier::Group));
        assert!(!d.is_certain_conflict());
    }

    #[test]
    fn group_assignment_beats_all_devices_and_oldest_wins_a_conflict() {
        let f = fixture(vec![
            autopilot_profile(
                "all",
                false,
                false,
                "2020-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
            autopilot_profile(
                "new",
                false,
                false,
                "2025-06-01T00:00:00Z",
                None,
                vec![group_target("g-a")],
            ),
            autopilot_profile(
                "old",
                false,
                true,
                "2024-01-01T00:00:00Z",
                None,
                vec![group_target("g-b")],
            ),
        ]);
        let t = f.tenant();
        let a = resolve(&t).unwrap();
        let d = device(&a, "ap1");
        let mut ids: Vec<&str> = d
            .resolution
            .candidates
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, ["new", "old"]);
        assert!(d.is_certain_conflict());
        assert_eq!(d.settled_winner().map(|p| p.id.as_str()), Some("old"));
    }

    #[test]
    fn device_whose_entra_object_is_missing_is_in_no_group() {
        let f = fixture(vec![
            autopilot_profile(
                "all",
                false,
                false,
                "2020-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
            autopilot_profile(
                "grp",
                false,
                false,
                "2025-01-01T00:00:00Z",
                None,
                vec![group_target("g-a")],
            ),
        ]);
        let t = f.tenant();
        let a = resolve(&t).unwrap();
        let d = device(&a, "ap2");
        assert_eq!(d.entra_object_id, None);
        assert!(d.entra_object_missing);
        // The group profile cannot reach a deleted object; the all-devices one does.
        assert!(d.is_settled());
        assert_eq!(d.settled_winner().map(|p| p.id.as_str()), Some("all"));
        assert_eq!(d.tier, Some(Tier::AllDevices));
        assert_eq!(a.unsettled(), 0);
        // With only an all-devices profile the missing Entra object does not matter.
        let f = fixture(vec![autopilot_profile(
            "all",
            false,
            false,
            "2020-01-01T00:00:00Z",
            None,
            vec![all_devices_target()],
        )]);
        let t = f.tenant();
        let a = resolve(&t).unwrap();
        assert_eq!(
            device(&a, "ap2").settled_winner().map(|p| p.id.as_str()),
            Some("all")
        );
    }

    #[test]
    fn all_devices_conflict_is_certain_only_when_settled() {
        let f = fixture(vec![
            autopilot_profile(
                "all1",
                false,
                false,
                "2020-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
            autopilot_profile(
                "all2",
                false,
                false,
                "2021-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
            autopilot_profile(
                "flt",
                false,
                false,
                "2025-01-01T00:00:00Z",
                None,
                vec![filtered_group_target("g-a", "f1")],
            ),
        ]);
        let t = f.tenant();
        let a = resolve(&t).unwrap();
        let d = device(&a, "ap1");
        assert_eq!(d.resolution.candidates.len(), 2);
        assert!(
            !d.is_certain_conflict(),
            "the filtered group profile could take over"
        );
        assert_eq!(d.possible_profiles().len(), 3);
    }

    #[test]
    fn unassigned_device_has_no_profile() {
        let f = fixture(vec![autopilot_profile(
            "p1",
            false,
            false,
            "2025-01-01T00:00:00Z",
            None,
            vec![group_target("g-other")],
        )]);
        let f = f.with(Resource::GroupMembers, vec![group("g-other", "Other", &[])]);
        let t = f.tenant();
        let a = resolve(&t).unwrap();
        assert!(device(&a, "ap1").has_no_profile());
    }

    #[test]
    fn needs_every_resource() {
        for r in [
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
        ] {
            let f = fixture(vec![]).forbidden(r);
            assert!(resolve(&f.tenant()).is_err(), "{r} denied");
        }
        let mut t = fixture(vec![]).tenant();
        assert!(resolve(&t).is_ok());
        t.devices = crate::tenant::Collected::missing(Resource::Devices);
        let missing = resolve(&t).unwrap_err();
        assert!(
            missing.reason.contains("not collected"),
            "{}",
            missing.reason
        );
        assert_eq!(missing.permissions, ["Device.Read.All"]);
    }

    #[test]
    fn recognises_virtual_machines() {
        let vm = |maker: &str, model: &str| {
            let mut d = autopilot_device("x", "S", "d", "", model);
            d["manufacturer"] = json!(maker);
            let d: AutopilotDevice = serde_json::from_value(d).unwrap();
            virtual_machine(&d)
        };
        assert_eq!(
            vm("Microsoft Corporation", "Virtual Machine"),
            Some("Hyper-V")
        );
        assert_eq!(vm("VMware, Inc.", "VMware7,1"), Some("VMware"));
        assert_eq!(vm("innotek GmbH", "VirtualBox"), Some("VirtualBox"));
        assert_eq!(vm("QEMU", "Standard PC (Q35 + ICH9, 2009)"), Some("QEMU"));
        assert_eq!(vm("Xen", "HVM domU"), Some("Xen"));
        assert_eq!(
            vm(
                "Parallels Software International Inc.",
                "Parallels Virtual Platform"
            ),
            Some("Parallels")
        );
        assert_eq!(vm("Red Hat", "KVM"), Some("KVM"));
        assert_eq!(vm("Microsoft Corporation", "Surface Laptop 5"), None);
        assert_eq!(vm("Dell Inc.", "Latitude 7440"), None);
    }
}
