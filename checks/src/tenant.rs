//! The tenant as checks see it: each resource typed, or the reason it is missing.

use crate::model::*;
use crate::snapshot::{EntryMeta, Envelope, Resource, Snapshot, SnapshotError, Status};
use serde::de::DeserializeOwned;
use std::any::Any;
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

fn missing_reason(resource: Resource, entry: Option<&EntryMeta>) -> NotEvaluated {
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

/// Transitive membership of the targeted groups, by group.
#[derive(Default, Clone)]
pub struct Directory {
    groups: HashMap<String, GroupIndex>,
}

#[derive(Debug, Default, Clone)]
struct GroupIndex {
    name: Option<String>,
    members: HashSet<String>,
}

/// Sorted, so that two directories of the same groups print the same.
impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut groups: Vec<(&String, &Option<String>, Vec<&String>)> = self
            .groups
            .iter()
            .map(|(id, g)| {
                let mut members: Vec<&String> = g.members.iter().collect();
                members.sort();
                (id, &g.name, members)
            })
            .collect();
        groups.sort();
        f.debug_struct("Directory")
            .field("groups", &groups)
            .finish()
    }
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

/// The type of one resource's items, as the checks read them.
pub trait Item: DeserializeOwned + Send + 'static {}
impl<T: DeserializeOwned + Send + 'static> Item for T {}

/// Something to do with the item type of a resource (see [`with_item_type`]).
pub trait PerItemType {
    type Output;
    fn run<T: Item>(self) -> Self::Output;
}

/// The one table from a resource to the type of its items: both loaders (the JSON tree and the
/// streaming one) type items through it. A new resource is one line here and its field in
/// [`Tenant`] and [`Tenant::build`].
pub fn with_item_type<P: PerItemType>(resource: Resource, p: P) -> P::Output {
    match resource {
        Resource::Organization => p.run::<Organization>(),
        Resource::Domains => p.run::<Domain>(),
        Resource::SubscribedSkus => p.run::<SubscribedSku>(),
        Resource::Users => p.run::<User>(),
        Resource::GroupMembers => p.run::<GroupMembers>(),
        Resource::Devices => p.run::<Device>(),
        Resource::ManagedDevices => p.run::<ManagedDevice>(),
        Resource::DeviceEnrollmentConfigurations => p.run::<EnrollmentConfiguration>(),
        Resource::MobileDeviceManagementPolicies => p.run::<MobilityPolicy>(),
        Resource::MobileAppManagementPolicies => p.run::<MobilityPolicy>(),
        Resource::DeviceRegistrationPolicy => p.run::<DeviceRegistrationPolicy>(),
        Resource::WindowsAutopilotDeploymentProfiles => p.run::<AutopilotProfile>(),
        Resource::WindowsAutopilotDeviceIdentities => p.run::<AutopilotDevice>(),
        Resource::ImportedWindowsAutopilotDeviceIdentities => p.run::<ImportedAutopilotDevice>(),
        Resource::DomainJoinConnectors => p.run::<DomainJoinConnector>(),
        Resource::ImportedDeviceIdentities => p.run::<ImportedDeviceIdentity>(),
        Resource::ConditionalAccessPolicies => p.run::<ConditionalAccessPolicy>(),
        Resource::DeviceConfigurations => p.run::<DeviceConfiguration>(),
        Resource::TroubleshootingEvents => p.run::<EnrollmentFailureEvent>(),
        Resource::AutopilotEvents => p.run::<AutopilotEvent>(),
        Resource::ConfigurationPolicies => p.run::<ConfigurationPolicy>(),
        Resource::ServicePrincipals => p.run::<ServicePrincipal>(),
        Resource::MobileApps => p.run::<MobileApp>(),
    }
}

/// Each resource's items, typed (a `Vec<T>` of its [`with_item_type`] type), before they go
/// into their [`Tenant`] field.
#[derive(Default)]
pub struct TypedItems {
    items: HashMap<Resource, AnyItems>,
}

impl TypedItems {
    pub fn put<T: Item>(&mut self, resource: Resource, items: Vec<T>) {
        self.items.insert(resource, Box::new(items));
    }

    pub fn remove(&mut self, resource: Resource) {
        self.items.remove(&resource);
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The resource as its field holds it: its items when the envelope says it was read
    /// (none typed: an entry without `items`, which reads as empty), else why not.
    fn collected<T: Item>(&mut self, envelope: &Envelope, resource: Resource) -> Collected<Vec<T>> {
        let value = match envelope.entry(resource) {
            Some(e) if e.status == Status::Ok => match self.items.remove(&resource) {
                None => Ok(Vec::new()),
                Some(any) => any.downcast::<Vec<T>>().map(|v| *v).map_err(|_| {
                    // A field whose type differs from the table's: a bug, never "none".
                    NotEvaluated::new(format!("{resource}: internal error: item type mismatch"))
                }),
            },
            other => Err(missing_reason(resource, other)),
        };
        Collected { resource, value }
    }
}

/// Types one resource's items from the JSON tree (each item's error path kept).
struct FromValues<'a> {
    resource: Resource,
    values: &'a [serde_json::Value],
}

impl PerItemType for FromValues<'_> {
    type Output = Result<AnyItems, SnapshotError>;
    fn run<T: Item>(self) -> Self::Output {
        let mut items: Vec<T> = Vec::with_capacity(self.values.len());
        for (index, item) in self.values.iter().enumerate() {
            let parsed: T =
                serde_path_to_error::deserialize(item).map_err(|e| SnapshotError::Shape {
                    resource: self.resource.key().to_string(),
                    index,
                    field: e.path().to_string(),
                    message: e.inner().to_string(),
                })?;
            items.push(parsed);
        }
        Ok(Box::new(items))
    }
}

/// One resource's `Vec<T>`, type-erased.
type AnyItems = Box<dyn Any + Send>;

/// The four large resources, typed side by side (a 100k-user snapshot is ~250 MB).
const LARGE: [Resource; 4] = [
    Resource::Users,
    Resource::Devices,
    Resource::ManagedDevices,
    Resource::GroupMembers,
];

/// Types every collected resource of a snapshot; the first error in [`Resource::ALL`] order
/// (the order the fields were typed in before the table existed).
fn type_tree(snapshot: &Snapshot) -> Result<TypedItems, SnapshotError> {
    let type_one = |resource: Resource| match snapshot.entry(resource) {
        Some(e) if e.status == Status::Ok => with_item_type(
            resource,
            FromValues {
                resource,
                values: &e.items,
            },
        )
        .map(Some),
        _ => Ok(None),
    };
    let results: Vec<(Resource, Result<Option<AnyItems>, SnapshotError>)> =
        std::thread::scope(|scope| {
            let large: Vec<_> = LARGE
                .iter()
                .map(|&r| (r, scope.spawn(move || type_one(r))))
                .collect();
            let mut done: Vec<_> = Resource::ALL
                .iter()
                .filter(|r| !LARGE.contains(r))
                .map(|&r| (r, type_one(r)))
                .collect();
            done.extend(large.into_iter().map(|(r, h)| (r, join(h))));
            done
        });
    let mut by_resource: HashMap<Resource, _> = results.into_iter().collect();
    let mut typed = TypedItems::default();
    for resource in Resource::ALL {
        if let Some(Some(items)) = by_resource.remove(&resource).transpose()? {
            typed.items.insert(resource, items);
        }
    }
    Ok(typed)
}

impl Tenant {
    /// Types a snapshot held as a JSON tree (collection, tests).
    pub fn from_snapshot(snapshot: &Snapshot) -> Result<Tenant, SnapshotError> {
        crate::time::parse_rfc3339(&snapshot.collected_at)
            .ok_or_else(|| SnapshotError::BadDate(snapshot.collected_at.clone()))?;
        let items = type_tree(snapshot)?;
        Tenant::build(&snapshot.envelope(), items)
    }

    /// The tenant from its envelope and its typed items (from either loader).
    pub fn build(envelope: &Envelope, mut items: TypedItems) -> Result<Tenant, SnapshotError> {
        let collected_at = crate::time::parse_rfc3339(&envelope.collected_at)
            .ok_or_else(|| SnapshotError::BadDate(envelope.collected_at.clone()))?;
        let e = envelope;
        let members: Collected<Vec<GroupMembers>> = items.collected(e, Resource::GroupMembers);
        Ok(Tenant {
            id: envelope.tenant.id.clone(),
            name: envelope.tenant.name.clone(),
            collected_at,
            organization: items.collected(e, Resource::Organization),
            domains: items.collected(e, Resource::Domains),
            subscribed_skus: items.collected(e, Resource::SubscribedSkus),
            users: items.collected(e, Resource::Users),
            group_members: Collected {
                resource: Resource::GroupMembers,
                value: members.value.map(|g| Directory::build(&g)),
            },
            devices: items.collected(e, Resource::Devices),
            managed_devices: items.collected(e, Resource::ManagedDevices),
            enrollment_configurations: items.collected(e, Resource::DeviceEnrollmentConfigurations),
            mdm_policies: items.collected(e, Resource::MobileDeviceManagementPolicies),
            mam_policies: items.collected(e, Resource::MobileAppManagementPolicies),
            device_registration_policy: items.collected(e, Resource::DeviceRegistrationPolicy),
            autopilot_profiles: items.collected(e, Resource::WindowsAutopilotDeploymentProfiles),
            autopilot_devices: items.collected(e, Resource::WindowsAutopilotDeviceIdentities),
            autopilot_imports: items
                .collected(e, Resource::ImportedWindowsAutopilotDeviceIdentities),
            domain_join_connectors: items.collected(e, Resource::DomainJoinConnectors),
            imported_device_identities: items.collected(e, Resource::ImportedDeviceIdentities),
            conditional_access_policies: items.collected(e, Resource::ConditionalAccessPolicies),
            device_configurations: items.collected(e, Resource::DeviceConfigurations),
            troubleshooting_events: items.collected(e, Resource::TroubleshootingEvents),
            autopilot_events: items.collected(e, Resource::AutopilotEvents),
            configuration_policies: items.collected(e, Resource::ConfigurationPolicies),
            service_principals: items.collected(e, Resource::ServicePrincipals),
            mobile_apps: items.collected(e, Resource::MobileApps),
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
