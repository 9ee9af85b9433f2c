//! Device-side facts the restriction and agent checks share: how a managed device was
//! enrolled (and whether the Intune device limit counts it), which management agent it runs,
//! and Windows version strings (parsing, comparing, the currently serviced releases).

use crate::model::{AutopilotDevice, ManagedDevice};
use std::cmp::Ordering;
use std::collections::HashSet;

// ---------------------------------------------------------------- enrollment type

/// `deviceEnrollmentType` values of enrollments the Intune device limit does not count
/// (Microsoft Learn, "Enrollment restrictions", *Limitations*: the limit can't be applied to
/// co-managed, Group Policy, Microsoft Entra joined — bulk included — Autopilot and device
/// enrollment manager enrollments): Entra join (out-of-box or Settings), automatic (GPO / MDM
/// user scope), co-management, bulk (provisioning package), device-authenticated Entra join
/// (Autopilot self-deploying / pre-provisioning) and device enrollment managers.
pub const LIMIT_EXEMPT_ENROLLMENT_TYPES: &[&str] = &[
    "windowsAzureADJoin",
    "deviceEnrollmentManager",
    "windowsAutoEnrollment",
    "windowsCoManagement",
    "windowsBulkUserless",
    "windowsBulkAzureDomainJoin",
    "windowsAzureADJoinUsingDeviceAuth",
];

/// `deviceEnrollmentType` values of Windows enrollments made without a user: bulk
/// (provisioning package) and device-authenticated join (self-deploying, pre-provisioning).
/// Only the default platform restriction applies to them.
pub const USERLESS_ENROLLMENT_TYPES: &[&str] = &[
    "windowsBulkUserless",
    "windowsBulkAzureDomainJoin",
    "windowsAzureADJoinUsingDeviceAuth",
];

fn enrollment_type_in(device: &ManagedDevice, list: &[&str]) -> bool {
    device
        .device_enrollment_type
        .as_deref()
        .is_some_and(|t| list.iter().any(|w| w.eq_ignore_ascii_case(t)))
}

/// Whether the device's enrollment type is one the Intune device limit does not count.
pub fn is_limit_exempt_enrollment(device: &ManagedDevice) -> bool {
    enrollment_type_in(device, LIMIT_EXEMPT_ENROLLMENT_TYPES)
}

/// Whether the device was enrolled without a user (bulk or device-authenticated).
pub fn is_userless_enrollment(device: &ManagedDevice) -> bool {
    enrollment_type_in(device, USERLESS_ENROLLMENT_TYPES)
}

/// Whether a managed device is personally owned (`managedDeviceOwnerType == "personal"`).
pub fn is_personal(device: &ManagedDevice) -> bool {
    device
        .managed_device_owner_type
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case("personal"))
}

/// The Autopilot devices of the tenant, to recognise managed devices that were Autopilot
/// deployments: by the managed device id the identity links to, or by serial number.
#[derive(Debug, Default)]
pub struct AutopilotIndex {
    managed_ids: HashSet<String>,
    serials: HashSet<String>,
}

/// A serial number as Intune and Autopilot compare it: trimmed, upper case; `None` when empty.
pub fn normalise_serial(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_ascii_uppercase())
}

impl AutopilotIndex {
    pub fn new(devices: &[AutopilotDevice]) -> Self {
        let mut index = AutopilotIndex::default();
        for d in devices {
            if let Some(id) = d.managed_device() {
                index.managed_ids.insert(id.to_ascii_lowercase());
            }
            if let Some(serial) = d.serial_number.as_deref().and_then(normalise_serial) {
                index.serials.insert(serial);
            }
        }
        index
    }

    /// Whether `device` is a registered Autopilot device.
    pub fn contains(&self, device: &ManagedDevice) -> bool {
        self.managed_ids.contains(&device.id.to_ascii_lowercase())
            || device
                .serial_number
                .as_deref()
                .and_then(normalise_serial)
                .is_some_and(|s| self.serials.contains(&s))
    }
}

// ---------------------------------------------------------------- management agent

/// What manages a device, from `managementAgent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// Intune MDM (`mdm`, `easMdm`, `microsoft365ManagedMdm`).
    Mdm,
    /// Co-managed: ConfigMgr client and Intune MDM (`configurationManagerClientMdm`,
    /// `configurationManagerClientMdmEas`).
    CoManaged,
    /// The ConfigMgr client without MDM (`configurationManagerClient`: tenant attach only).
    ConfigMgrOnly,
    /// The retired Intune PC agent (`intuneClient`, `easIntuneClient`).
    LegacyPcAgent,
    /// Another known agent (`eas`, `jamf`, `msSense`, …).
    Other,
    /// Absent, Graph's own `unknown`, or a value this build does not know: never read as a
    /// particular agent.
    Unknown,
}

pub fn agent(device: &ManagedDevice) -> Agent {
    use crate::model::ManagementAgent as M;
    match device.management_agent.as_ref() {
        None | Some(M::GraphUnknown | M::Unknown(_)) => Agent::Unknown,
        Some(M::Mdm | M::EasMdm | M::Microsoft365ManagedMdm) => Agent::Mdm,
        Some(M::ConfigurationManagerClientMdm | M::ConfigurationManagerClientMdmEas) => {
            Agent::CoManaged
        }
        Some(M::ConfigurationManagerClient) => Agent::ConfigMgrOnly,
        Some(M::IntuneClient | M::EasIntuneClient) => Agent::LegacyPcAgent,
        Some(_) => Agent::Other,
    }
}

/// The devices whose agent cannot be read, as at-risk affected objects.
pub fn unknown_agent(devices: &[&ManagedDevice]) -> Vec<crate::report::Affected> {
    devices
        .iter()
        .filter(|d| agent(d) == Agent::Unknown)
        .map(|d| {
            crate::report::Affected::new(crate::report::AffectedKind::Device, &d.id, d.name())
                .undetermined(format!(
                    "managementAgent '{}' is absent or not understood",
                    d.agent()
                ))
        })
        .collect()
}

// ---------------------------------------------------------------- Windows versions

/// A Windows release still serviced, as `major.minor.build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowsRelease {
    pub name: &'static str,
    pub version: &'static str,
    pub windows11: bool,
}

/// The Windows client releases in general servicing.
/// Source: Windows release information (Windows 10 / Windows 11 release health), as of Nov 2026.
pub const SERVICED_RELEASES: &[WindowsRelease] = &[
    WindowsRelease {
        name: "Windows 10 22H2",
        version: "10.0.19045",
        windows11: false,
    },
    WindowsRelease {
        name: "Windows 11 24H2",
        version: "10.0.26100",
        windows11: true,
    },
    WindowsRelease {
        name: "Windows 11 25H2",
        version: "10.0.26200",
        windows11: true,
    },
];

/// A parsed version: 1 to 4 dot-separated numbers (`10.0.26100.2314`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub Vec<u32>);

impl Version {
    /// `None` for anything that is not 1–4 non-empty decimal parts that fit in 32 bits.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let parts: Option<Vec<u32>> = s
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
                    None
                } else {
                    p.parse::<u32>().ok()
                }
            })
            .collect();
        parts.filter(|p| (1..=4).contains(&p.len())).map(Version)
    }

    /// Compares the parts both versions have (a shorter version is a prefix: `10.0` vs
    /// `10.0.26100` is `Equal`).
    pub fn cmp_prefix(&self, other: &Version) -> Ordering {
        let n = self.0.len().min(other.0.len());
        self.0[..n].cmp(&other.0[..n])
    }
}

/// A restriction bound that is set: `None` and `""` both mean "not set".
pub fn bound(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Why a serviced release falls outside a min/max bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// The whole release is below the minimum.
    BelowMinimum,
    /// The whole release is above the maximum.
    AboveMaximum,
    /// The maximum is a build of this release with a revision: the cumulative updates after
    /// it (every monthly update from then on) are above the maximum.
    UpdatesAboveMaximum,
}

/// Whether `release` (major.minor.build, patched to any revision) is excluded by the bounds.
pub fn excluded_by(
    release: &Version,
    min: Option<&Version>,
    max: Option<&Version>,
) -> Option<Exclusion> {
    if let Some(min) = min {
        if release.cmp_prefix(min) == Ordering::Less {
            return Some(Exclusion::BelowMinimum);
        }
    }
    if let Some(max) = max {
        match release.cmp_prefix(max) {
            Ordering::Greater => return Some(Exclusion::AboveMaximum),
            Ordering::Equal if max.0.len() > release.0.len() => {
                return Some(Exclusion::UpdatesAboveMaximum)
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(v("10.0.26100.2314").0, [10, 0, 26100, 2314]);
        assert_eq!(v(" 10.0 ").0, [10, 0]);
        for bad in [
            "",
            "10..0",
            "10.0.x",
            "10.0.1.2.3",
            "v10",
            "10.0.-1",
            "99999999999",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bounds_compare_numerically_not_as_text() {
        let win10 = v("10.0.19045");
        let win11 = v("10.0.26100");
        // "10.0.9999" < "10.0.19045" numerically, though not as text.
        assert_eq!(excluded_by(&win10, Some(&v("10.0.9999")), None), None);
        assert_eq!(
            excluded_by(&win10, Some(&v("10.0.22000")), None),
            Some(Exclusion::BelowMinimum)
        );
        assert_eq!(
            excluded_by(&win11, None, Some(&v("10.0.22631.9999"))),
            Some(Exclusion::AboveMaximum)
        );
        assert_eq!(
            excluded_by(&win11, None, Some(&v("10.0.26100.2314"))),
            Some(Exclusion::UpdatesAboveMaximum)
        );
        assert_eq!(excluded_by(&win11, None, Some(&v("10.0"))), None);
        assert_eq!(excluded_by(&win11, Some(&v("10.0.26100.1000")), None), None);
    }

    #[test]
    fn serviced_release_table_parses() {
        assert!(SERVICED_RELEASES
            .iter()
            .all(|r| Version::parse(r.version).is_some()));
    }

    #[test]
    fn autopilot_devices_match_by_managed_id_or_serial() {
        let ap: Vec<AutopilotDevice> = serde_json::from_value(json!([
            {"id": "a1", "serialNumber": " sn-1 ", "managedDeviceId": "00000000-0000-0000-0000-000000000000"},
            {"id": "a2", "serialNumber": "", "managedDeviceId": "MD-2"}
        ]))
        .unwrap();
        let index = AutopilotIndex::new(&ap);
        let md = |id: &str, serial: &str| -> ManagedDevice {
            serde_json::from_value(json!({"id": id, "serialNumber": serial})).unwrap()
        };
        assert!(index.contains(&md("x", "SN-1")));
        assert!(index.contains(&md("md-2", "other")));
        assert!(!index.contains(&md("y", "")));
        assert!(!index.contains(&md("00000000-0000-0000-0000-000000000000", "z")));
    }

    #[test]
    fn agents_are_classified() {
        let md = |agent: &str| -> ManagedDevice {
            serde_json::from_value(json!({"id": "d", "managementAgent": agent})).unwrap()
        };
        assert_eq!(agent(&md("intuneClient")), Agent::LegacyPcAgent);
        assert_eq!(agent(&md("easIntuneClient")), Agent::LegacyPcAgent);
        assert_eq!(
            agent(&md("configurationManagerClient")),
            Agent::ConfigMgrOnly
        );
        assert_eq!(
            agent(&md("configurationManagerClientMdm")),
            Agent::CoManaged
        );
        assert_eq!(agent(&md("mdm")), Agent::Mdm);
        assert_eq!(agent(&md("msSense")), Agent::Other);
    }
}
