//! Intune's assignment logic, shared by every check and tested on its own.
//!
//! - Enrollment configurations of one type apply by priority: among the assigned (non-default)
//!   configurations that reach a user, the lowest `priority` wins; when none reaches the user,
//!   the default configuration applies (it has the lowest rank whatever its priority value).
//! - Exclusions beat inclusions. "All users" (`allLicensedUsersAssignmentTarget`) and "All
//!   devices" (`allDevicesAssignmentTarget`, which the default configurations carry) reach
//!   everyone. Groups reach their transitive members (nested groups included).
//! - An assignment filter is evaluated by Intune against a device at enrollment time; before a
//!   device exists it cannot be evaluated, so a filtered assignment makes the result
//!   *undetermined* and the evidence says so instead of guessing.
//! - Autopilot profiles target device groups through the Entra device object of the Autopilot
//!   device. A device in several targeted groups gets the oldest-created profile; a profile
//!   assigned to all devices is the fallback used when no group assignment reaches the device.

use crate::model::{
    Assignment, AssignmentTarget, AutopilotDevice, AutopilotProfile, EnrollmentConfiguration,
    PlatformRestriction,
};
use crate::tenant::Directory;
use serde::Serialize;

/// The portal's virtual group ids for "All users" and "All devices".
pub const ALL_USERS_VIRTUAL_GROUP: &str = "acacacac-9df4-4c7d-9d50-4ef0226f57a9";
pub const ALL_DEVICES_VIRTUAL_GROUP: &str = "adadadad-808e-44e2-905a-0b7873a8a531";

/// An assignment target, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Group(String),
    Exclusion(String),
    AllUsers,
    AllDevices,
    ConfigMgrCollection(String),
    Unknown(String),
}

/// An assignment filter on an inclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub id: String,
    /// `include` or `exclude`.
    pub mode: String,
}

pub fn classify(target: &AssignmentTarget) -> (Target, Option<Filter>) {
    let group = || target.group_id.clone().unwrap_or_default();
    let kind = match target.odata_type.as_deref() {
        Some("#microsoft.graph.exclusionGroupAssignmentTarget") => Target::Exclusion(group()),
        Some("#microsoft.graph.groupAssignmentTarget") => match group().as_str() {
            ALL_USERS_VIRTUAL_GROUP => Target::AllUsers,
            ALL_DEVICES_VIRTUAL_GROUP => Target::AllDevices,
            _ => Target::Group(group()),
        },
        Some("#microsoft.graph.allLicensedUsersAssignmentTarget") => Target::AllUsers,
        Some("#microsoft.graph.allDevicesAssignmentTarget") => Target::AllDevices,
        Some("#microsoft.graph.configurationManagerCollectionAssignmentTarget") => {
            Target::ConfigMgrCollection(target.collection_id.clone().unwrap_or_default())
        }
        other => Target::Unknown(other.unwrap_or("(no @odata.type)").to_string()),
    };
    let filter = match (
        target
            .device_and_app_management_assignment_filter_id
            .as_deref(),
        target
            .device_and_app_management_assignment_filter_type
            .as_deref(),
    ) {
        (Some(id), Some(mode @ ("include" | "exclude"))) if !id.is_empty() => Some(Filter {
            id: id.to_string(),
            mode: mode.to_string(),
        }),
        _ => None,
    };
    (kind, filter)
}

/// How a principal was reached by an inclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Via {
    AllUsers,
    AllDevices,
    Group { id: String },
    Default,
}

/// Whether a set of assignments reaches one principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Included {
        via: Via,
        filter: Option<Filter>,
    },
    Excluded {
        group: String,
    },
    NotTargeted,
    /// The answer depends on data that was not collected.
    Unknown {
        reason: String,
    },
}

/// Who is being targeted: users for enrollment configurations, devices for Autopilot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User,
    Device,
}

/// Evaluates assignments against one principal (user or Entra device object id).
pub fn reach(
    assignments: Option<&[Assignment]>,
    principal: Principal,
    object_id: Option<&str>,
    dir: &Directory,
) -> Reach {
    let Some(assignments) = assignments else {
        return Reach::Unknown {
            reason: "the assignments were not collected".into(),
        };
    };
    let mut included: Option<(Via, Option<Filter>)> = None;
    let mut unknown: Option<String> = None;
    for a in assignments {
        let (target, filter) = classify(&a.target);
        let member = |g: &str| match object_id {
            Some(id) => dir.contains(g, id),
            None => None,
        };
        match target {
            Target::Exclusion(g) => match member(&g) {
                Some(true) => return Reach::Excluded { group: g },
                Some(false) => {}
                None => {
                    unknown = Some(format!(
                        "the members of excluded group {} were not collected",
                        dir.group_name(&g)
                    ))
                }
            },
            Target::Group(g) => match member(&g) {
                Some(true) => prefer(&mut included, Via::Group { id: g }, filter),
                Some(false) => {}
                None if object_id.is_none() => {
                    unknown =
                        Some("the object has no directory identity to match groups against".into())
                }
                None => {
                    unknown = Some(format!(
                        "the members of group {} were not collected",
                        dir.group_name(&g)
                    ))
                }
            },
            // Enrollment restrictions are evaluated for the enrolling user; the default ones
            // carry "all devices", which reaches every user too.
            Target::AllUsers if principal == Principal::User => {
                prefer(&mut included, Via::AllUsers, filter)
            }
            Target::AllDevices => prefer(&mut included, Via::AllDevices, filter),
            Target::AllUsers | Target::ConfigMgrCollection(_) => {}
            Target::Unknown(t) => {
                unknown = Some(format!("assignment target {t} is not understood"))
            }
        }
    }
    match (included, unknown) {
        // An uncollected exclusion could still remove the principal.
        (Some(_), Some(reason)) if reason.contains("excluded") => Reach::Unknown { reason },
        (Some((via, filter)), _) => Reach::Included { via, filter },
        (None, Some(reason)) => Reach::Unknown { reason },
        (None, None) => Reach::NotTargeted,
    }
}

/// Keeps an unfiltered inclusion over a filtered one: it settles the question.
fn prefer(slot: &mut Option<(Via, Option<Filter>)>, via: Via, filter: Option<Filter>) {
    let replace = match slot {
        None => true,
        Some((_, existing)) => existing.is_some() && filter.is_none(),
    };
    if replace {
        *slot = Some((via, filter));
    }
}

/// A configuration of higher priority whose reach could not be settled.
#[derive(Debug, Clone, Serialize)]
pub struct Undetermined {
    pub configuration_id: String,
    pub configuration: String,
    pub priority: i64,
    pub why: String,
}

/// The configuration that applies to a user, and how it was chosen.
#[derive(Debug, Clone)]
pub struct Resolution<'a> {
    pub config: &'a EnrollmentConfiguration,
    pub via: Via,
    /// Higher-priority configurations that may apply instead (filters, uncollected groups).
    pub undetermined: Vec<Undetermined>,
}

impl Resolution<'_> {
    pub fn is_certain(&self) -> bool {
        self.undetermined.is_empty()
    }
}

/// The configurations of one type, ordered as Intune applies them.
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    pub default: Option<&'a EnrollmentConfiguration>,
    /// Assigned configurations, lowest priority value first.
    pub assigned: Vec<&'a EnrollmentConfiguration>,
}

impl<'a> Ranked<'a> {
    /// Ranks the configurations `wanted` selects.
    pub fn new(
        configs: &'a [EnrollmentConfiguration],
        wanted: impl Fn(&EnrollmentConfiguration) -> bool,
    ) -> Self {
        let mut default = None;
        let mut assigned = Vec::new();
        for c in configs.iter().filter(|c| wanted(c)) {
            if c.is_default() {
                default = default.or(Some(c));
            } else {
                assigned.push(c);
            }
        }
        assigned.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
        Ranked { default, assigned }
    }

    /// Device enrollment limit configurations.
    pub fn limits(configs: &'a [EnrollmentConfiguration]) -> Self {
        Ranked::new(configs, |c| c.kind() == crate::model::ConfigKind::Limit)
    }

    /// Configurations that set a Windows (MDM) platform restriction.
    pub fn windows_restrictions(configs: &'a [EnrollmentConfiguration]) -> Self {
        Ranked::new(configs, |c| c.windows_restriction().is_some())
    }

    /// The configuration that applies to `user_id`; `None` only when the tenant has no default
    /// of this type (a snapshot that lost it).
    pub fn resolve(&self, user_id: &str, dir: &Directory) -> Option<Resolution<'a>> {
        let mut undetermined = Vec::new();
        for c in &self.assigned {
            let note = |why: String| Undetermined {
                configuration_id: c.id.clone(),
                configuration: c.name().to_string(),
                priority: c.priority,
                why,
            };
            match reach(
                c.assignments.as_deref(),
                Principal::User,
                Some(user_id),
                dir,
            ) {
                Reach::Included { via, filter: None } => {
                    return Some(Resolution {
                        config: c,
                        via,
                        undetermined,
                    })
                }
                Reach::Included {
                    filter: Some(f), ..
                } => undetermined.push(note(format!(
                    "assignment filter {} ({}) decides per device at enrollment",
                    f.id, f.mode
                ))),
                Reach::Unknown { reason } => undetermined.push(note(reason)),
                Reach::Excluded { .. } | Reach::NotTargeted => {}
            }
        }
        self.default.map(|config| Resolution {
            config,
            via: Via::Default,
            undetermined,
        })
    }
}

/// The Windows restriction a resolution carries (callers only resolve restriction rankings).
pub fn windows_restriction<'a>(r: &Resolution<'a>) -> &'a PlatformRestriction {
    static ALLOW_ALL: PlatformRestriction = PlatformRestriction {
        platform_blocked: false,
        personal_device_enrollment_blocked: false,
        os_minimum_version: None,
        os_maximum_version: None,
    };
    r.config.windows_restriction().unwrap_or(&ALLOW_ALL)
}

// ---------------------------------------------------------------- Autopilot

/// The profiles that reach one Autopilot device, and which one Intune assigns.
#[derive(Debug, Clone, Default)]
pub struct ProfileResolution<'a> {
    /// Distinct profiles that reach the device at the deciding tier (group assignments, else
    /// all-devices assignments).
    pub candidates: Vec<&'a AutopilotProfile>,
    /// The profile Intune assigns: the oldest-created candidate.
    pub winner: Option<&'a AutopilotProfile>,
    /// Profiles whose reach could not be settled, with why.
    pub undetermined: Vec<(&'a AutopilotProfile, String)>,
}

impl ProfileResolution<'_> {
    pub fn is_conflict(&self) -> bool {
        self.candidates.len() > 1
    }
}

/// Resolves Autopilot profiles for a device whose Entra object id is `entra_object_id`
/// (`None` when the device has no Entra object in the snapshot).
pub fn resolve_profiles<'a>(
    profiles: &'a [AutopilotProfile],
    entra_object_id: Option<&str>,
    dir: &Directory,
) -> ProfileResolution<'a> {
    let mut by_group = Vec::new();
    let mut by_all = Vec::new();
    let mut undetermined = Vec::new();
    for p in profiles {
        match reach(
            p.assignments.as_deref(),
            Principal::Device,
            entra_object_id,
            dir,
        ) {
            Reach::Included {
                via: Via::Group { .. },
                filter: None,
            } => by_group.push(p),
            Reach::Included { filter: None, .. } => by_all.push(p),
            Reach::Included {
                filter: Some(f), ..
            } => undetermined.push((
                p,
                format!("assignment filter {} ({}) decides", f.id, f.mode),
            )),
            Reach::Unknown { reason } => undetermined.push((p, reason)),
            Reach::Excluded { .. } | Reach::NotTargeted => {}
        }
    }
    let candidates = if by_group.is_empty() {
        by_all
    } else {
        by_group
    };
    let winner = oldest(&candidates);
    ProfileResolution {
        candidates,
        winner,
        undetermined,
    }
}

fn oldest<'a>(profiles: &[&'a AutopilotProfile]) -> Option<&'a AutopilotProfile> {
    profiles
        .iter()
        .min_by_key(|p| {
            (
                p.created_date_time
                    .as_deref()
                    .and_then(crate::time::parse_rfc3339)
                    .map(|t| t.unix_timestamp())
                    .unwrap_or(i64::MAX),
                p.id.clone(),
            )
        })
        .copied()
}

/// Maps Autopilot devices to their Entra object ids (group membership is by object id).
pub fn entra_object_id<'a>(
    device: &AutopilotDevice,
    by_device_id: &'a std::collections::HashMap<String, String>,
) -> Option<&'a str> {
    device
        .entra_device_id()
        .and_then(|id| by_device_id.get(&id.to_ascii_lowercase()))
        .map(String::as_str)
}

/// An index from Entra device id (lower case) to Entra object id.
pub fn device_id_index(
    devices: &[crate::model::Device],
) -> std::collections::HashMap<String, String> {
    devices
        .iter()
        .filter_map(|d| {
            d.device_id
                .as_ref()
                .map(|id| (id.to_ascii_lowercase(), d.id.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    /// u1 in g-sales; g-emea (u2) nested in g-sales; u3 in g-contractors; u4 nowhere.
    fn tenant(configs: Vec<Value>) -> crate::tenant::Tenant {
        Fixture::new()
            .with(
                Resource::GroupMembers,
                vec![
                    group(
                        "g-sales",
                        "Sales",
                        &[("user", "u1"), ("group", "g-emea"), ("user", "u2")],
                    ),
                    group("g-emea", "Sales EMEA", &[("user", "u2")]),
                    group("g-contractors", "Contractors", &[("user", "u3")]),
                ],
            )
            .with(Resource::DeviceEnrollmentConfigurations, configs)
            .tenant()
    }

    fn winner(t: &crate::tenant::Tenant, user: &str) -> (String, Via, usize) {
        let configs = t.enrollment_configurations.get().unwrap();
        let dir = t.group_members.get().unwrap();
        let r = Ranked::limits(configs).resolve(user, dir).unwrap();
        (r.config.id.clone(), r.via, r.undetermined.len())
    }

    #[test]
    fn lowest_priority_number_wins_and_default_is_last() {
        let t = tenant(vec![
            default_limit(5),
            limit_config("p2", 2, 10, vec![group_target("g-sales")]),
            limit_config("p1", 1, 3, vec![group_target("g-sales")]),
        ]);
        assert_eq!(winner(&t, "u1").0, "p1");
        let (id, via, _) = winner(&t, "u4");
        assert_eq!(
            (id.as_str(), via),
            (format!("{TENANT}_DefaultLimit").as_str(), Via::Default)
        );
    }

    #[test]
    fn nested_group_members_are_reached() {
        let t = tenant(vec![
            default_limit(5),
            limit_config("emea-parent", 1, 3, vec![group_target("g-sales")]),
        ]);
        let (id, via, _) = winner(&t, "u2");
        assert_eq!(id, "emea-parent");
        assert_eq!(
            via,
            Via::Group {
                id: "g-sales".into()
            }
        );
    }

    #[test]
    fn exclusion_beats_inclusion() {
        let t = tenant(vec![
            default_limit(5),
            limit_config(
                "all-but-emea",
                1,
                3,
                vec![all_users_target(), exclusion_target("g-emea")],
            ),
        ]);
        assert_eq!(winner(&t, "u1").0, "all-but-emea");
        assert_eq!(winner(&t, "u2").0, format!("{TENANT}_DefaultLimit"));
    }

    #[test]
    fn all_users_reaches_everyone() {
        let t = tenant(vec![
            default_limit(5),
            limit_config("all", 3, 7, vec![all_users_target()]),
        ]);
        for u in ["u1", "u2", "u3", "u4"] {
            assert_eq!(winner(&t, u), ("all".into(), Via::AllUsers, 0));
        }
    }

    #[test]
    fn filters_and_uncollected_groups_make_the_answer_undetermined() {
        let t = tenant(vec![
            default_limit(5),
            limit_config(
                "filtered",
                1,
                3,
                vec![filtered_group_target("g-sales", "flt")],
            ),
            limit_config("unknown-group", 2, 3, vec![group_target("g-not-collected")]),
        ]);
        let (id, _, undetermined) = winner(&t, "u1");
        assert_eq!(id, format!("{TENANT}_DefaultLimit"));
        assert_eq!(undetermined, 2);
        // A user not in the filtered group is still undetermined for the uncollected group.
        assert_eq!(winner(&t, "u3").2, 1);
    }

    #[test]
    fn virtual_all_users_group_id_is_all_users() {
        let t = tenant(vec![
            default_limit(5),
            limit_config("v", 1, 3, vec![group_target(ALL_USERS_VIRTUAL_GROUP)]),
        ]);
        assert_eq!(winner(&t, "u4").1, Via::AllUsers);
    }

    fn profiles_for(
        profiles: Vec<Value>,
        object_id: Option<&str>,
    ) -> (Vec<String>, Option<String>, usize) {
        let t = Fixture::new()
            .with(
                Resource::GroupMembers,
                vec![
                    group(
                        "g-std",
                        "Autopilot Standard",
                        &[("device", "d1"), ("device", "d2")],
                    ),
                    group("g-kiosk", "Autopilot Kiosk", &[("device", "d2")]),
                ],
            )
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .tenant();
        let r = resolve_profiles(
            t.autopilot_profiles.get().unwrap(),
            object_id,
            t.group_members.get().unwrap(),
        );
        let mut ids: Vec<String> = r.candidates.iter().map(|p| p.id.clone()).collect();
        ids.sort();
        (ids, r.winner.map(|p| p.id.clone()), r.undetermined.len())
    }

    #[test]
    fn autopilot_conflict_goes_to_the_oldest_profile() {
        let profiles = vec![
            autopilot_profile(
                "std",
                false,
                false,
                "2025-01-01T00:00:00Z",
                None,
                vec![group_target("g-std")],
            ),
            autopilot_profile(
                "kiosk",
                false,
                true,
                "2024-06-01T00:00:00Z",
                None,
                vec![group_target("g-kiosk")],
            ),
            autopilot_profile(
                "fallback",
                false,
                false,
                "2023-01-01T00:00:00Z",
                None,
                vec![all_devices_target()],
            ),
        ];
        assert_eq!(
            profiles_for(profiles.clone(), Some("d2")),
            (vec!["kiosk".into(), "std".into()], Some("kiosk".into()), 0)
        );
        assert_eq!(
            profiles_for(profiles.clone(), Some("d1")),
            (vec!["std".into()], Some("std".into()), 0)
        );
        // No group assignment reaches d9: the all-devices profile is the fallback.
        assert_eq!(
            profiles_for(profiles.clone(), Some("d9")),
            (vec!["fallback".into()], Some("fallback".into()), 0)
        );
        // Without an Entra object the group assignments cannot be settled.
        let (_, _, undetermined) = profiles_for(profiles, None);
        assert_eq!(undetermined, 2);
    }

    #[test]
    fn excluded_devices_do_not_get_the_profile() {
        let profiles = vec![autopilot_profile(
            "std",
            false,
            false,
            "2025-01-01T00:00:00Z",
            None,
            vec![group_target("g-std"), exclusion_target("g-kiosk")],
        )];
        assert_eq!(
            profiles_for(profiles.clone(), Some("d1")).1,
            Some("std".into())
        );
        assert_eq!(profiles_for(profiles, Some("d2")).1, None);
    }
}
