//! The tenant as checks see it: each resource typed, or the reason it is missing.

use crate::model::*;
use crate::snapshot::{Resource, Snapshot, SnapshotError, Status};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Why a check could not be evaluated: the data it needs was not collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEvaluated {
    pub reason: String,
    /// The permission(s) that would let the collector read the data.
    pub permissions: Vec<String>,
}

impl NotEvaluated {
    pub fn new(reason: impl Into<String>) -> Self {
        NotEvaluated {
            reason: reason.into(),
            permissions: Vec::new(),
        }
    }
}

/// A resource that was read, or the reason it was not.
#[derive(Debug, Clone)]
pub struct Collected<T> {
    resource: Resource,
    value: Result<T, NotEvaluated>,
}

impl<T> Collected<T> {
    pub fn get(&self) -> Result<&T, NotEvaluated> {
        self.value.as_ref().map_err(Clone::clone)
    }
    pub fn is_ok(&self) -> bool {
        self.value.is_ok()
    }
    pub fn resource(&self) -> Resource {
        self.resource
    }
}

impl<T> Collected<Vec<T>> {
    /// Keeps the items `keep` selects (a narrowed tenant, as `diagnose` builds); a resource
    /// that was not collected stays not collected.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Ok(items) = &mut self.value {
            items.retain(keep);
        }
    }
    /// A resource that was not collected (tests).
    #[cfg(test)]
    pub(crate) fn missing(resource: Resource) -> Self {
        Collected {
            resource,
            value: Err(missing_reason(resource, None)),
        }
    }
}

fn missing_reason(
    resource: Resource,
    entry: Option<&crate::snapshot::ResourceEntry>,
) -> NotEvaluated {
    let permission = entry
        .and_then(|e| e.permission.clone())
        .unwrap_or_else(|| resource.permission().to_string());
    let detail = entry.and_then(|e| e.message.as_deref()).unwrap_or("");
    let reason = match entry.map(|e| &e.status) {
        None => format!("{resource} was not collected in this snapshot"),
        Some(Status::Forbidden) if resource.delegated_only() => format!(
            "{resource} could not be read: Graph serves the MDM/MAM user scope only to a delegated \
             sign-in with {permission} (an app-only token gets 401 \"Unsupported app-only call\"); \
             collect again with --device-code or --interactive as a Global Reader or Intune Administrator"
        ),
        Some(Status::Forbidden) => {
            format!("{resource} could not be read: access denied; grant {permission}")
        }
        Some(Status::NotFound) => format!("{resource} was not found in this tenant or cloud ({detail})"),
        Some(Status::Error) => format!("{resource} could not be read: {detail}"),
        Some(Status::Ok) => format!("{resource} is incomplete"),
    };
    NotEvaluated {
        reason,
        permissions: vec![permission],
    }
}

/// Transitive membership of the targeted groups, indexed both ways.
#[derive(Debug, Default, Clone)]
pub struct Directory {
    groups: HashMap<String, GroupIndex>,
    groups_of: HashMap<String, Vec<String>>,
}

#[derive(Debug, Default, Clone)]
struct GroupIndex {
    name: Option<String>,
    members: HashSet<String>,
}

impl Directory {
    fn build(items: &[GroupMembers]) -> Directory {
        let mut dir = Directory::default();
        for g in items {
            let members: HashSet<String> = g
                .members
                .iter()
                .map(|m| m.id.to_ascii_lowercase())
                .collect();
            for m in &members {
                dir.groups_of
                    .entry(m.clone())
                    .or_default()
                    .push(g.id.to_ascii_lowercase());
            }
            dir.groups.insert(
                g.id.to_ascii_lowercase(),
                GroupIndex {
                    name: g.display_name.clone(),
                    members,
                },
            );
        }
        dir
    }

    /// `Some(true|false)` when the group's members were collected, `None` when they were not.
    pub fn contains(&self, group_id: &str, object_id: &str) -> Option<bool> {
        self.groups
            .get(&group_id.to_ascii_lowercase())
            .map(|g| g.members.contains(&object_id.to_ascii_lowercase()))
    }

    pub fn knows(&self, group_id: &str) -> bool {
        self.groups.contains_key(&group_id.to_ascii_lowercase())
    }

    pub fn group_name<'a>(&'a self, group_id: &'a str) -> &'a str {
        self.groups
            .get(&group_id.to_ascii_lowercase())
            .and_then(|g| g.name.as_deref())
            .unwrap_or(group_id)
    }

    /// The collected groups an object is a (transitive) member of.
    pub fn groups_of(&self, object_id: &str) -> &[String] {
        self.groups_of
            .get(&object_id.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every collected group's id (lower case) and display name, when it has one.
    pub fn names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.groups
            .iter()
            .filter_map(|(id, g)| g.name.as_deref().map(|n| (id.as_str(), n)))
    }

    pub fn member_count(&self, group_id: &str) -> Option<usize> {
        self.groups
            .get(&group_id.to_ascii_lowercase())
            .map(|g| g.members.len())
    }
}

/// Device preparation policies: those known to be, and those that may be.
#[derive(Debug, Default)]
pub struct DevicePreparation<'t> {
    pub policies: Vec<&'t ConfigurationPolicy>,
    /// Policies without a template family: possibly device preparation.
    pub unknown: Vec<&'t ConfigurationPolicy>,
}

impl DevicePreparation<'_> {
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.unknown.is_empty()
    }
}

/// The whole tenant, typed. Built once from a snapshot; checks only read it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub collected_at: OffsetDateTime,
    pub organization: Collected<Vec<Organization>>,
    pub domains: Collected<Vec<Domain>>,
    pub subscribed_skus: Collected<Vec<SubscribedSku>>,
    pub users: Collected<Vec<User>>,
    pub group_members: Collected<Directory>,
    pub devices: Collected<Vec<Device>>,
    pub managed_devices: Collected<Vec<ManagedDevice>>,
    pub enrollment_configurations: Collected<Vec<EnrollmentConfiguration>>,
    pub mdm_policies: Collected<Vec<MobilityPolicy>>,
    pub mam_policies: Collected<Vec<MobilityPolicy>>,
    pub device_registration_policy: Collected<Vec<DeviceRegistrationPolicy>>,
    pub autopilot_profiles: Collected<Vec<AutopilotProfile>>,
    pub autopilot_devices: Collected<Vec<AutopilotDevice>>,
    pub autopilot_imports: Collected<Vec<ImportedAutopilotDevice>>,
    pub domain_join_connectors: Collected<Vec<DomainJoinConnector>>,
    pub imported_device_identities: Collected<Vec<ImportedDeviceIdentity>>,
    pub conditional_access_policies: Collected<Vec<ConditionalAccessPolicy>>,
    pub device_configurations: Collected<Vec<DeviceConfiguration>>,
    pub troubleshooting_events: Collected<Vec<EnrollmentFailureEvent>>,
    pub autopilot_events: Collected<Vec<AutopilotEvent>>,
    /// Device preparation policies (the `enrollmentConfiguration` template family).
    pub configuration_policies: Collected<Vec<ConfigurationPolicy>>,
    pub service_principals: Collected<Vec<ServicePrincipal>>,
    pub mobile_apps: Collected<Vec<MobileApp>>,
}

/// A scoped thread's result; a panic in it goes on in the caller.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn typed<T: DeserializeOwned>(
    snapshot: &Snapshot,
    resource: Resource,
) -> Result<Collected<Vec<T>>, SnapshotError> {
    let entry = match snapshot.entry(resource) {
        Some(e) if e.status == Status::Ok => e,
        other => {
            return Ok(Collected {
                resource,
                value: Err(missing_reason(resource, other)),
            })
        }
    };
    let mut items = Vec::with_capacity(entry.items.len());
    for (index, item) in entry.items.iter().enumerate() {
        let parsed: T =
            serde_path_to_error::deserialize(item).map_err(|e| SnapshotError::Shape {
                resource: resource.key().to_string(),
                index,
                field: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        items.push(parsed);
    }
    Ok(Collected {
        resource,
        value: Ok(items),
    })
}

impl Tenant {
    pub fn from_snapshot(snapshot: &Snapshot) -> Result<Tenant, SnapshotError> {
        let collected_at = crate::time::parse_rfc3339(&snapshot.collected_at)
            .ok_or_else(|| SnapshotError::BadDate(snapshot.collected_at.clone()))?;
        // The four large resources are typed side by side (a 100k-user snapshot is ~250 MB).
        let (users, devices, managed_devices, group_members) = std::thread::scope(|scope| {
            let users = scope.spawn(|| typed(snapshot, Resource::Users));
            let devices = scope.spawn(|| typed(snapshot, Resource::Devices));
            let managed = scope.spawn(|| typed(snapshot, Resource::ManagedDevices));
            let members =
                typed::<GroupMembers>(snapshot, Resource::GroupMembers).map(|m| Collected {
                    resource: Resource::GroupMembers,
                    value: m.value.map(|g| Directory::build(&g)),
                });
            (join(users), join(devices), join(managed), members)
        });
        Ok(Tenant {
            id: snapshot.tenant.id.clone(),
            name: snapshot.tenant.name.clone(),
            collected_at,
            organization: typed(snapshot, Resource::Organization)?,
            domains: typed(snapshot, Resource::Domains)?,
            subscribed_skus: typed(snapshot, Resource::SubscribedSkus)?,
            users: users?,
            group_members: group_members?,
            devices: devices?,
            managed_devices: managed_devices?,
            enrollment_configurations: typed(snapshot, Resource::DeviceEnrollmentConfigurations)?,
            mdm_policies: typed(snapshot, Resource::MobileDeviceManagementPolicies)?,
            mam_policies: typed(snapshot, Resource::MobileAppManagementPolicies)?,
            device_registration_policy: typed(snapshot, Resource::DeviceRegistrationPolicy)?,
            autopilot_profiles: typed(snapshot, Resource::WindowsAutopilotDeploymentProfiles)?,
            autopilot_devices: typed(snapshot, Resource::WindowsAutopilotDeviceIdentities)?,
            autopilot_imports: typed(snapshot, Resource::ImportedWindowsAutopilotDeviceIdentities)?,
            domain_join_connectors: typed(snapshot, Resource::DomainJoinConnectors)?,
            imported_device_identities: typed(snapshot, Resource::ImportedDeviceIdentities)?,
            conditional_access_policies: typed(snapshot, Resource::ConditionalAccessPolicies)?,
            device_configurations: typed(snapshot, Resource::DeviceConfigurations)?,
            troubleshooting_events: typed(snapshot, Resource::TroubleshootingEvents)?,
            autopilot_events: typed(snapshot, Resource::AutopilotEvents)?,
            configuration_policies: typed(snapshot, Resource::ConfigurationPolicies)?,
            service_principals: typed(snapshot, Resource::ServicePrincipals)?,
            mobile_apps: typed(snapshot, Resource::MobileApps)?,
        })
    }

    /// Intune's own MDM policy (the Microsoft Intune application), if collected.
    pub fn intune_mdm_policy(&self) -> Result<Option<&MobilityPolicy>, NotEvaluated> {
        Ok(self.mdm_policies.get()?.iter().find(|p| p.is_intune()))
    }

    pub fn intune_mam_policy(&self) -> Result<Option<&MobilityPolicy>, NotEvaluated> {
        Ok(self.mam_policies.get()?.iter().find(|p| p.is_intune()))
    }

    /// The Entra device registration policy singleton.
    pub fn registration_policy(&self) -> Result<&DeviceRegistrationPolicy, NotEvaluated> {
        self.device_registration_policy
            .get()?
            .first()
            .ok_or_else(|| NotEvaluated::new("deviceRegistrationPolicy was collected but is empty"))
    }

    /// The Windows Autopilot device preparation policies, and the policies whose template
    /// family was not reported (they may be some).
    pub fn device_preparation_policies(&self) -> Result<DevicePreparation<'_>, NotEvaluated> {
        let mut out = DevicePreparation::default();
        for p in self.configuration_policies.get()? {
            match p.is_device_preparation() {
                Some(true) => out.policies.push(p),
                Some(false) => {}
                None => out.unknown.push(p),
            }
        }
        Ok(out)
    }

    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users
            .get()
            .ok()?
            .iter()
            .find(|u| u.id.eq_ignore_ascii_case(id))
    }
}
