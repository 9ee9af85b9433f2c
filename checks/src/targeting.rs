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
};
use crate::tenant::Directory;
use crate::verdict::{over_possibilities, Judged};
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

/// The zero GUID Graph writes where an id is not set.
const NO_ID: &str = "00000000-0000-0000-0000-000000000000";

pub fn classify(target: &AssignmentTarget) -> (Target, Option<Filter>) {
    let group = || target.group_id.clone().unwrap_or_default();
    // Graph writes `#microsoft.graph.x` in responses; its published examples sometimes drop the `#`.
    let kind = match target
        .odata_type
        .as_deref()
        .map(|t| t.trim_start_matches('#'))
    {
        Some("microsoft.graph.exclusionGroupAssignmentTarget") => Target::Exclusion(group()),
        Some("microsoft.graph.groupAssignmentTarget") => match group().as_str() {
            ALL_USERS_VIRTUAL_GROUP => Target::AllUsers,
            ALL_DEVICES_VIRTUAL_GROUP => Target::AllDevices,
            _ => Target::Group(group()),
        },
        Some("microsoft.graph.allLicensedUsersAssignmentTarget") => Target::AllUsers,
        Some("microsoft.graph.allDevicesAssignmentTarget") => Target::AllDevices,
        Some("microsoft.graph.configurationManagerCollectionAssignmentTarget") => {
            Target::ConfigMgrCollection(target.collection_id.clone().unwrap_or_default())
        }
        Some(other) => Target::Unknown(other.to_string()),
        None => Target::Unknown("(no @odata.type)".to_string()),
    };
    (kind, filter_of(target))
}

/// The assignment filter on a target. A filter id without a readable mode is still a filter:
/// its mode is "unknown", never "none".
fn filter_of(target: &AssignmentTarget) -> Option<Filter> {
    let id = target
        .device_and_app_management_assignment_filter_id
        .as_deref()
        .filter(|id| !id.is_empty() && *id != NO_ID)?;
    let mode = match target
        .device_and_app_management_assignment_filter_type
        .as_deref()
    {
        Some("none") => return None,
        Some(mode @ ("include" | "exclude")) => mode,
        _ => "unknown",
    };
    Some(Filter {
        id: id.to_string(),
        mode: mode.to_string(),
    })
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
    /// The answer depends on data that was not collected or not understood.
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

/// The directory identity group membership is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// The directory object id.
    Object(&'a str),
    /// The object is known not to exist (a complete collection has no such object): it is a
    /// member of no group.
    Missing,
    /// The object could not be looked up; the reason says why.
    Unknown(&'a str),
}

impl Identity<'_> {
    /// `Some(true|false)` when membership of `group` is settled.
    fn member_of(&self, group: &str, dir: &Directory) -> Option<bool> {
        match self {
            Identity::Object(id) => dir.contains(group, id),
            Identity::Missing => Some(false),
            Identity::Unknown(_) => None,
        }
    }

    fn unsettled(&self, group: &str, dir: &Directory) -> String {
        match self {
            Identity::Unknown(why) => (*why).to_string(),
            _ => format!(
                "the members of group {} were not collected",
                dir.group_name(group)
            ),
        }
    }
}

/// Evaluates assignments against one principal.
pub fn reach(
    assignments: Option<&[Assignment]>,
    principal: Principal,
    identity: Identity<'_>,
    dir: &Directory,
) -> Reach {
    let Some(assignments) = assignments else {
        return Reach::Unknown {
            reason: "the assignments were not collected".into(),
        };
    };
    let mut included: Option<(Via, Option<Filter>)> = None;
    // Something that could still remove the principal (an exclusion or a target not understood).
    let mut may_exclude: Option<String> = None;
    // An inclusion that could not be settled.
    let mut may_include: Option<String> = None;
    for a in assignments {
        let (target, filter) = classify(&a.target);
        match target {
            Target::Exclusion(g) => match identity.member_of(&g, dir) {
                Some(true) => return Reach::Excluded { group: g },
                Some(false) => {}
                None => {
                    may_exclude.get_or_insert_with(|| {
                        format!("exclusion: {}", identity.unsettled(&g, dir))
                    });
                }
            },
            Target::Group(g) => match identity.member_of(&g, dir) {
                Some(true) => prefer(&mut included, Via::Group { id: g }, filter),
                Some(false) => {}
                None => {
                    may_include.get_or_insert_with(|| identity.unsettled(&g, dir));
                }
            },
            // Enrollment restrictions are evaluated for the enrolling user; the default ones
            // carry "all devices", which reaches every user too.
            Target::AllUsers if principal == Principal::User => {
                prefer(&mut included, Via::AllUsers, filter)
            }
            Target::AllDevices => prefer(&mut included, Via::AllDevices, filter),
            Target::AllUsers => {}
            // Intune does not expose Configuration Manager collection members through Graph.
            Target::ConfigMgrCollection(c) => {
                may_include.get_or_insert_with(|| {
                    format!("the members of Configuration Manager collection {c} are not readable")
                });
            }
            Target::Unknown(t) => {
                may_exclude
                    .get_or_insert_with(|| format!("assignment target type {t} is not understood"));
            }
        }
    }
    match (included, may_exclude, may_include) {
        (Some(_), Some(reason), _) => Reach::Unknown { reason },
        (Some((via, filter)), None, _) => Reach::Included { via, filter },
        (None, Some(reason), _) | (None, None, Some(reason)) => Reach::Unknown { reason },
        (None, None, None) => Reach::NotTargeted,
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

/// A configuration that may apply instead of the resolved one (filter, uncollected or
/// unreadable data, unknown priority).
#[derive(Debug, Clone, Serialize)]
pub struct Undetermined<'a> {
    #[serde(skip)]
    pub config: &'a EnrollmentConfiguration,
    pub configuration_id: String,
    pub configuration: String,
    pub priority: Option<i64>,
    pub why: String,
}

impl Undetermined<'_> {
    /// "'Kiosk' (priority 1) may apply instead: <why>".
    pub fn reason(&self) -> String {
        let priority = self.priority.map_or_else(
            || "priority unknown".to_string(),
            |p| format!("priority {p}"),
        );
        format!(
            "'{}' ({priority}) may apply instead: {}",
            self.configuration, self.why
        )
    }
}

/// The configuration that applies to a user, and how it was chosen.
#[derive(Debug, Clone)]
pub struct Resolution<'a> {
    pub config: &'a EnrollmentConfiguration,
    pub via: Via,
    /// Configurations that may apply instead (filters, uncollected groups, targets not
    /// understood, unknown priority).
    pub undetermined: Vec<Undetermined<'a>>,
}

impl<'a> Resolution<'a> {
    pub fn is_certain(&self) -> bool {
        self.undetermined.is_empty()
    }

    /// Judges every configuration that may apply: the user surely fails only when each of them
    /// fails, surely passes only when each passes.
    pub fn judge(&self, judge: impl Fn(&'a EnrollmentConfiguration) -> Judged) -> Judged {
        over_possibilities(
            self.undetermined
                .iter()
                .map(|u| (judge(u.config), Some(u.reason())))
                .chain([(judge(self.config), None)]),
        )
    }
}

/// The configurations of one type, ordered as Intune applies them.
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    pub default: Option<&'a EnrollmentConfiguration>,
    /// Assigned configurations, lowest priority value first; those whose priority was not
    /// collected last.
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
        assigned.sort_by(|a, b| {
            (a.priority.is_none(), a.priority)
                .cmp(&(b.priority.is_none(), b.priority))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ranked { default, assigned }
    }

    /// Device enrollment limit configurations.
    pub fn limits(configs: &'a [EnrollmentConfiguration]) -> Self {
        Ranked::new(configs, |c| c.kind() == crate::model::ConfigKind::Limit)
    }

    /// Configurations that set, or may set, a Windows (MDM) platform restriction (a
    /// per-platform restriction whose platform is absent or not understood may be one).
    pub fn windows_restrictions(configs: &'a [EnrollmentConfiguration]) -> Self {
        Ranked::new(configs, |c| {
            c.windows_restriction().is_some() || c.may_restrict_windows()
        })
    }

    /// The configuration that applies to `user_id`; `None` only when the tenant has no default
    /// of this type (a snapshot that lost it).
    pub fn resolve(&self, user_id: &str, dir: &Directory) -> Option<Resolution<'a>> {
        let note = |c: &'a EnrollmentConfiguration, why: String| Undetermined {
            config: c,
            configuration_id: c.id.clone(),
            configuration: c.name().to_string(),
            priority: c.priority,
            why,
        };
        // A configuration whose priority is unknown may outrank any other that reaches the user.
        let mut undetermined: Vec<Undetermined<'a>> = self
            .assigned
            .iter()
            .filter(|c| c.priority.is_none())
            .filter_map(|c| {
                match reach(
                    c.assignments.as_deref(),
                    Principal::User,
                    Identity::Object(user_id),
                    dir,
                ) {
                    Reach::Excluded { .. } | Reach::NotTargeted => None,
                    Reach::Unknown { reason } => {
                        Some(note(c, format!("its priority was not collected; {reason}")))
                    }
                    Reach::Included { .. } => Some(note(
                        c,
                        "it reaches the user and its priority was not collected".into(),
                    )),
                }
            })
            .collect();
        for c in self.assigned.iter().filter(|c| c.priority.is_some()) {
            match reach(
                c.assignments.as_deref(),
                Principal::User,
                Identity::Object(user_id),
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
                } => undetermined.push(note(
                    c,
                    format!(
                        "assignment filter {} ({}) decides per device at enrollment",
                        f.id, f.mode
                    ),
                )),
                Reach::Unknown { reason } => undetermined.push(note(c, reason)),
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

/// Resolves Autopilot profiles for a device with the given Entra identity.
pub fn resolve_profiles<'a>(
    profiles: &'a [AutopilotProfile],
    identity: Identity<'_>,
    dir: &Directory,
) -> ProfileResolution<'a> {
    let mut by_group = Vec::new();
    let mut by_all = Vec::new();
    let mut undetermined = Vec::new();
    for p in profiles {
        match reach(p.assignments.as_deref(), Principal::Device, identity, dir) {
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
    // The oldest profile wins a conflict: without a creation date the winner is unknown.
    if candidates.len() > 1 {
        for p in candidates.iter().filter(|p| created(p).is_none()) {
            undetermined.push((
                p,
                "its creation date was not collected, so which profile wins is unknown".into(),
            ));
        }
    }
    let winner = oldest(&candidates);
    ProfileResolution {
        candidates,
        winner,
        undetermined,
    }
}

fn created(p: &AutopilotProfile) -> Option<i64> {
    p.created_date_time
        .as_deref()
        .and_then(crate::time::parse_rfc3339)
        .map(|t| t.unix_timestamp())
}

fn oldest<'a>(profiles: &[&'a AutopilotProfile]) -> Option<&'a AutopilotProfile> {
    profiles
        .iter()
        .min_by_key(|p| (created(p).unwrap_or(i64::MAX), p.id.clone()))
        .copied()
}

/// The Entra identity of an Autopilot device (group membership is by Entra object id). With a
/// complete device list, a device id that matches no Entra object means the object was deleted.
pub fn autopilot_identity<'a>(
    device: &AutopilotDevice,
    index: &'a DeviceIndex<'_>,
) -> Identity<'a> {
    match device.entra_device_id() {
        None => Identity::Unknown("the Autopilot record carries no Entra device id"),
        Some(id) => match index.by_device_id.get(lowercase(id).as_ref()) {
            Some(object_id) => Identity::Object(object_id),
            None if index.complete => Identity::Missing,
            None => Identity::Unknown(
                "no Entra device has its device id, but some Entra devices were read without a deviceId",
            ),
        },
    }
}

/// Entra device id (lower case) → Entra object id, and whether every device carried its id
/// (only then does a missing id mean a deleted object). Borrows the devices: at 268k devices,
/// two copied strings per device made this index 45 MB.
#[derive(Debug, Default)]
pub struct DeviceIndex<'t> {
    pub by_device_id: std::collections::HashMap<std::borrow::Cow<'t, str>, &'t str>,
    pub complete: bool,
}

/// `s` in lower case, copied only when it has an upper-case letter (Graph writes ids in lower
/// case, so an index of ids can mostly borrow them).
pub(crate) fn lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Indexes the Entra devices by device id.
pub fn device_id_index(devices: &[crate::model::Device]) -> DeviceIndex<'_> {
    DeviceIndex {
        by_device_id: devices
            .iter()
            .filter_map(|d| {
                d.device_id
                    .as_deref()
                    .map(|id| (lowercase(id), d.id.as_str()))
            })
            .collect(),
        complete: devices.iter().all(|d| d.device_id.is_some()),
    }
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
        identity: Identity<'_>,
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
            identity,
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
            profiles_for(profiles.clone(), Identity::Object("d2")),
            (vec!["kiosk".into(), "std".into()], Some("kiosk".into()), 0)
        );
        assert_eq!(
            profiles_for(profiles.clone(), Identity::Object("d1")),
            (vec!["std".into()], Some("std".into()), 0)
        );
        // No group assignment reaches d9: the all-devices profile is the fallback.
        assert_eq!(
            profiles_for(profiles.clone(), Identity::Object("d9")),
            (vec!["fallback".into()], Some("fallback".into()), 0)
        );
        // Without an Entra device id the group assignments cannot be settled.
        let (_, _, undetermined) =
            profiles_for(profiles.clone(), Identity::Unknown("no Entra device id"));
        assert_eq!(undetermined, 2);
        // A deleted Entra object is in no group: only the all-devices profile reaches it.
        assert_eq!(
            profiles_for(profiles, Identity::Missing),
            (vec!["fallback".into()], Some("fallback".into()), 0)
        );
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
            profiles_for(profiles.clone(), Identity::Object("d1")).1,
            Some("std".into())
        );
        assert_eq!(profiles_for(profiles, Identity::Object("d2")).1, None);
    }
}
