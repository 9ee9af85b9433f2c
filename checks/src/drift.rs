//! Settings drift: the enrollment settings that changed between two tenants, read through the
//! same typed model the checks use (so a value means the same thing in `diff` as in `audit`).
//!
//! Each area is a table of (setting, accessor); items are paired by id. A resource that was
//! not collected on both sides is not compared.

use crate::autopilot::{deployment_mode, join_type};
use crate::model::{
    Assignment, AutopilotProfile, DomainJoinConnector, EnrollmentConfiguration, MembershipKind,
    MobilityPolicy, PolicyScope, RegistrationMembership,
};
use crate::targeting::{classify, Target};
use crate::tenant::{Collected, Tenant};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One setting that changed between the two tenants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    pub area: String,
    pub subject: String,
    pub setting: String,
    pub before: String,
    pub after: String,
}

impl SettingChange {
    pub fn text(&self) -> String {
        format!(
            "{}: {}: {}: {} → {}",
            self.area, self.subject, self.setting, self.before, self.after
        )
    }
}

/// Group id → display name, from both tenants (NEW wins).
struct Names(BTreeMap<String, String>);

impl Names {
    fn of(old: &Tenant, new: &Tenant) -> Names {
        let mut names = BTreeMap::new();
        for t in [old, new] {
            if let Ok(dir) = t.group_members.get() {
                for (id, name) in dir.names() {
                    names.insert(id.to_string(), name.to_string());
                }
            }
            for policies in [&t.mdm_policies, &t.mam_policies] {
                for g in policies
                    .get()
                    .into_iter()
                    .flatten()
                    .flat_map(|p| p.included_groups.iter().flatten())
                {
                    if let Some(name) = &g.display_name {
                        names.insert(g.id.to_ascii_lowercase(), name.clone());
                    }
                }
            }
        }
        Names(names)
    }

    fn group(&self, id: &str) -> String {
        match self.0.get(&id.to_ascii_lowercase()) {
            Some(n) => format!("{n} ({id})"),
            None => id.to_string(),
        }
    }
}

/// One setting of an item: its area, label and how to read it.
type Field<T> = (&'static str, &'static str, fn(&T, &Names) -> String);

struct Out(Vec<SettingChange>);

impl Out {
    fn change(&mut self, area: &str, subject: &str, setting: &str, before: String, after: String) {
        if before != after {
            self.0.push(SettingChange {
                area: area.into(),
                subject: subject.into(),
                setting: setting.into(),
                before,
                after,
            });
        }
    }

    fn fields<T>(&mut self, fields: &[Field<T>], subject: &str, a: &T, b: &T, names: &Names) {
        for (area, label, get) in fields {
            self.change(area, subject, label, get(a, names), get(b, names));
        }
    }
}

/// The settings that decide enrollment, compared between two tenants.
pub fn setting_changes(old: &Tenant, new: &Tenant) -> Vec<SettingChange> {
    let names = Names::of(old, new);
    let mut out = Out(Vec::new());
    user_scope(
        &mut out,
        &names,
        &old.mdm_policies,
        &new.mdm_policies,
        "MDM user scope",
        "(no Intune MDM policy)",
    );
    user_scope(
        &mut out,
        &names,
        &old.mam_policies,
        &new.mam_policies,
        "MAM user scope",
        "(no Intune MAM policy)",
    );
    by_id(
        &mut out,
        &names,
        &old.enrollment_configurations,
        &new.enrollment_configurations,
        "Enrollment configuration",
        |c| (c.id.as_str(), c.name()),
        configuration,
    );
    registration_policy(&mut out, &names, old, new);
    by_id(
        &mut out,
        &names,
        &old.autopilot_profiles,
        &new.autopilot_profiles,
        "Autopilot profile",
        |p| (p.id.as_str(), p.name()),
        |out, names, subject, a, b| out.fields(PROFILE_FIELDS, subject, a, b, names),
    );
    by_id(
        &mut out,
        &names,
        &old.domain_join_connectors,
        &new.domain_join_connectors,
        "Intune Connector for AD",
        |c| (c.id.as_str(), c.display_name.as_deref().unwrap_or(&c.id)),
        |out, names, subject, a, b| out.fields(CONNECTOR_FIELDS, subject, a, b, names),
    );
    out.0
}

// ------------------------------------------------------------------ fields

fn or_none(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "(none)".into())
}

fn blocked(v: Option<bool>) -> String {
    match v {
        Some(true) => "blocked".into(),
        Some(false) => "allowed".into(),
        None => "(not set)".into(),
    }
}

fn assignments(list: Option<&Vec<Assignment>>, names: &Names) -> String {
    let Some(list) = list else {
        return "(not collected)".into();
    };
    let mut out: Vec<String> = list
        .iter()
        .map(|a| {
            let (target, filter) = classify(&a.target);
            let filter = filter
                .map(|f| format!(" [filter {}]", f.id))
                .unwrap_or_default();
            let what = match target {
                Target::Group(g) => names.group(&g),
                Target::Exclusion(g) => format!("exclude {}", names.group(&g)),
                Target::AllUsers => "all users".into(),
                Target::AllDevices => "all devices".into(),
                Target::ConfigMgrCollection(c) => format!("Configuration Manager collection {c}"),
                Target::Unknown(t) => t.trim_start_matches("microsoft.graph.").to_string(),
            };
            format!("{what}{filter}")
        })
        .collect();
    out.sort();
    if out.is_empty() {
        "(none)".into()
    } else {
        out.join(", ")
    }
}

const PROFILE_FIELDS: &[Field<AutopilotProfile>] = &[
    ("Autopilot", "join type", |p, _| join_type(p).into()),
    ("Autopilot", "deployment mode", |p, _| {
        match p.self_deploying() {
            None => "(not set)".into(),
            Some(_) => deployment_mode(p).into(),
        }
    }),
    ("Autopilot", "device name template", |p, _| {
        or_none(p.device_name_template.as_deref())
    }),
    ("Autopilot", "pre-provisioning allowed", |p, _| {
        or_none(p.preprovisioning_allowed.or(p.enable_white_glove))
    }),
    ("Autopilot", "assignments", |p, n| {
        assignments(p.assignments.as_ref(), n)
    }),
];

const CONNECTOR_FIELDS: &[Field<DomainJoinConnector>] = &[
    ("Intune Connector for AD", "state", |c, _| {
        or_none(c.state.as_ref().map(|s| s.as_str()))
    }),
    ("Intune Connector for AD", "version", |c, _| {
        or_none(c.version.as_deref())
    }),
];

const RESTRICTION: &str = "Windows platform restriction";

const CONFIGURATION_FIELDS: &[Field<EnrollmentConfiguration>] = &[
    ("Enrollment configuration", "priority", |c, _| {
        or_none(c.priority)
    }),
    ("Enrollment configuration", "assignments", |c, n| {
        assignments(c.assignments.as_ref(), n)
    }),
];

const WINDOWS_FIELDS: &[Field<EnrollmentConfiguration>] = &[
    (RESTRICTION, "Windows (MDM)", |c, _| {
        blocked(c.windows_restriction().and_then(|r| r.platform_blocked))
    }),
    (RESTRICTION, "personally owned", |c, _| {
        blocked(
            c.windows_restriction()
                .and_then(|r| r.personal_device_enrollment_blocked),
        )
    }),
    (RESTRICTION, "minimum OS version", |c, _| {
        or_none(
            c.windows_restriction()
                .and_then(|r| r.os_minimum_version.as_deref()),
        )
    }),
    (RESTRICTION, "maximum OS version", |c, _| {
        or_none(
            c.windows_restriction()
                .and_then(|r| r.os_maximum_version.as_deref()),
        )
    }),
];

fn configuration(
    out: &mut Out,
    names: &Names,
    subject: &str,
    a: &EnrollmentConfiguration,
    b: &EnrollmentConfiguration,
) {
    match (
        a.windows_restriction().is_some(),
        b.windows_restriction().is_some(),
    ) {
        (true, true) => out.fields(WINDOWS_FIELDS, subject, a, b, names),
        (x, y) if x != y => {
            let has = |w: bool| {
                if w {
                    "restricts Windows"
                } else {
                    "does not restrict Windows"
                }
                .to_string()
            };
            out.change(RESTRICTION, subject, "Windows restriction", has(x), has(y))
        }
        _ => {}
    }
    if a.limit.is_some() || b.limit.is_some() {
        out.change(
            "Enrollment limit",
            subject,
            "device limit",
            or_none(a.limit),
            or_none(b.limit),
        );
    }
    out.fields(CONFIGURATION_FIELDS, subject, a, b, names);
}

fn scope(policy: Option<&MobilityPolicy>, missing: &str, names: &Names) -> String {
    let Some(p) = policy else {
        return missing.into();
    };
    match &p.applies_to {
        Some(PolicyScope::All) => "All".into(),
        Some(PolicyScope::None) => "None".into(),
        Some(PolicyScope::Selected) => {
            let mut groups: Vec<String> = p
                .included_groups
                .iter()
                .flatten()
                .map(|g| names.group(&g.id))
                .collect();
            groups.sort();
            format!(
                "Some (groups: {})",
                if groups.is_empty() {
                    "none".into()
                } else {
                    groups.join(", ")
                }
            )
        }
        Some(PolicyScope::Unknown(raw)) => raw.clone(),
        None => "?".into(),
    }
}

/// Reads one URL of a mobility policy.
type UrlOf = fn(&MobilityPolicy) -> Option<&str>;

/// The Microsoft Intune entry of the MDM (or MAM) user scope policies.
fn user_scope(
    out: &mut Out,
    names: &Names,
    old: &Collected<Vec<MobilityPolicy>>,
    new: &Collected<Vec<MobilityPolicy>>,
    area: &str,
    missing: &str,
) {
    let (Ok(a), Ok(b)) = (old.get(), new.get()) else {
        return;
    };
    let intune = |v: &'_ [MobilityPolicy]| v.iter().find(|p| p.is_intune()).cloned();
    let (a, b) = (intune(a), intune(b));
    out.change(
        area,
        "Microsoft Intune",
        "applies to",
        scope(a.as_ref(), missing, names),
        scope(b.as_ref(), missing, names),
    );
    let urls: [(&str, UrlOf); 3] = [
        ("terms of use URL", |p| p.terms_of_use_url.as_deref()),
        ("discovery URL", |p| p.discovery_url.as_deref()),
        ("compliance URL", |p| p.compliance_url.as_deref()),
    ];
    for (label, get) in urls {
        let read = |p: &Option<MobilityPolicy>| {
            p.as_ref()
                .and_then(get)
                .filter(|u| !u.trim().is_empty())
                .unwrap_or("(empty)")
                .to_string()
        };
        out.change(area, "Microsoft Intune", label, read(&a), read(&b));
    }
}

fn join(m: Option<&RegistrationMembership>, names: &Names) -> String {
    let Some(m) = m else {
        return "(unknown)".into();
    };
    match m.kind() {
        MembershipKind::All => "All".into(),
        MembershipKind::None => "None".into(),
        MembershipKind::Enumerated => {
            let mut groups: Vec<String> = m.groups.iter().map(|g| names.group(g)).collect();
            groups.sort();
            format!(
                "Selected ({} users; groups: {})",
                m.users.len(),
                if groups.is_empty() {
                    "none".into()
                } else {
                    groups.join(", ")
                }
            )
        }
        MembershipKind::Unknown => "(unknown)".into(),
    }
}

fn registration_policy(out: &mut Out, names: &Names, old: &Tenant, new: &Tenant) {
    let (Ok(a), Ok(b)) = (old.registration_policy(), new.registration_policy()) else {
        return;
    };
    let members = |p: &crate::model::DeviceRegistrationPolicy| {
        join(p.azure_ad_join.as_ref().map(|j| &j.allowed_to_join), names)
    };
    out.change(
        "Entra join",
        "Device settings",
        "users may join devices",
        members(a),
        members(b),
    );
    out.change(
        "Entra join",
        "Device settings",
        "maximum devices per user",
        or_none(a.user_device_quota),
        or_none(b.user_device_quota),
    );
}

/// Pairs the items of a resource by id: added, removed, and `compare` for the rest.
fn by_id<T>(
    out: &mut Out,
    names: &Names,
    old: &Collected<Vec<T>>,
    new: &Collected<Vec<T>>,
    label: &str,
    key: fn(&T) -> (&str, &str),
    compare: fn(&mut Out, &Names, &str, &T, &T),
) {
    let (Ok(a), Ok(b)) = (old.get(), new.get()) else {
        return;
    };
    let index = |v: &'_ [T]| -> BTreeMap<String, usize> {
        v.iter()
            .enumerate()
            .map(|(i, x)| (key(x).0.to_string(), i))
            .collect()
    };
    let (ia, ib) = (index(a), index(b));
    let ids: BTreeSet<&String> = ia.keys().chain(ib.keys()).collect();
    for id in ids {
        match (ia.get(id).map(|&i| &a[i]), ib.get(id).map(|&i| &b[i])) {
            (Some(x), Some(y)) => {
                let subject = format!("'{}'", key(y).1);
                out.change(label, &subject, "name", key(x).1.into(), key(y).1.into());
                compare(out, names, &subject, x, y)
            }
            (None, Some(y)) => out.change(
                label,
                &format!("'{}'", key(y).1),
                "exists",
                "absent".into(),
                "added".into(),
            ),
            (Some(x), None) => out.change(
                label,
                &format!("'{}'", key(x).1),
                "exists",
                "present".into(),
                "removed".into(),
            ),
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    fn profile(preprovisioning: bool) -> serde_json::Value {
        let mut p = autopilot_profile("p1", false, false, "2025-01-01T00:00:00Z", None, vec![]);
        p["preprovisioningAllowed"] = preprovisioning.into();
        p
    }

    fn changes(old: Fixture, new: Fixture) -> Vec<String> {
        setting_changes(&old.tenant(), &new.tenant())
            .iter()
            .map(SettingChange::text)
            .collect()
    }

    /// The raw-JSON drift ignored pre-provisioning: user-driven → user-driven with
    /// pre-provisioning allowed showed no change of deployment mode.
    #[test]
    fn allowing_pre_provisioning_changes_the_deployment_mode() {
        let with = |p: bool| {
            Fixture::new().with(
                Resource::WindowsAutopilotDeploymentProfiles,
                vec![profile(p)],
            )
        };
        let c = changes(with(false), with(true));
        assert!(
            c.contains(&"Autopilot: 'Profile p1': deployment mode: user-driven → user-driven with pre-provisioning allowed".to_string()),
            "{c:?}"
        );
    }

    /// The raw-JSON drift labelled a missing Intune MAM entry "(no Intune MDM policy)".
    #[test]
    fn a_missing_mam_entry_is_named_as_mam() {
        let old = Fixture::new().with(Resource::MobileAppManagementPolicies, vec![]);
        let new = Fixture::new().with(
            Resource::MobileAppManagementPolicies,
            vec![mam_policy("all", &[])],
        );
        let c = changes(old, new);
        assert!(
            c.contains(
                &"MAM user scope: Microsoft Intune: applies to: (no Intune MAM policy) → All"
                    .to_string()
            ),
            "{c:?}"
        );
        assert!(c.iter().all(|l| !l.contains("MDM policy")), "{c:?}");
    }

    #[test]
    fn resources_collected_on_one_side_only_are_not_compared() {
        let old = Fixture::new();
        let new = Fixture::new().with(
            Resource::DomainJoinConnectors,
            vec![connector("c1", "active", "2026-11-01T00:00:00Z")],
        );
        assert!(changes(old, new).is_empty());
    }
}
