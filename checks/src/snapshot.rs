//! The snapshot: one versioned JSON document holding every Graph resource the checks read, in
//! Graph's own shape, each with the status of its collection.
//!
//! A resource that is absent from a snapshot was *not collected*: checks that need it report
//! `not_evaluated`, never "the tenant has none".

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The schema id written into every snapshot.
pub const SNAPSHOT_SCHEMA: &str = "intune-audit/snapshot";
/// The snapshot format version this build reads and writes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Every Graph resource the collectors read, by its stable key in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    Organization,
    Domains,
    SubscribedSkus,
    Users,
    /// Transitive members of the groups that enrollment configurations, Autopilot profiles,
    /// the MDM/MAM scopes, Conditional Access policies and some device configurations target
    /// (one item per group).
    GroupMembers,
    /// Entra device objects (with their registered owners).
    Devices,
    ManagedDevices,
    DeviceEnrollmentConfigurations,
    MobileDeviceManagementPolicies,
    MobileAppManagementPolicies,
    DeviceRegistrationPolicy,
    WindowsAutopilotDeploymentProfiles,
    WindowsAutopilotDeviceIdentities,
    /// Autopilot hardware-hash imports and their state (errors 806/808 stay visible here).
    ImportedWindowsAutopilotDeviceIdentities,
    DomainJoinConnectors,
    /// Corporate device identifiers (beta `importedDeviceIdentity`); Windows ones are of type
    /// `manufacturerModelSerial`.
    ImportedDeviceIdentities,
    /// Conditional Access policies (`conditionalAccessPolicy`).
    ConditionalAccessPolicies,
    /// Intune device configuration profiles with their assignments (`deviceConfiguration`).
    DeviceConfigurations,
    /// Enrollment failures Intune recorded (`enrollmentTroubleshootingEvent`), within the
    /// collection window, trimmed to the fields the failure join reads.
    TroubleshootingEvents,
    /// Autopilot deployments that did not succeed (`deviceManagementAutopilotEvent`, beta),
    /// within the collection window, trimmed likewise.
    AutopilotEvents,
    /// Settings-catalog policies of the `enrollmentConfiguration` template family (Windows
    /// Autopilot device preparation), with their assignments and settings; the collector drops
    /// every other configuration policy.
    ConfigurationPolicies,
    /// The service principals of the first-party apps the checks look for (today the Intune
    /// Provisioning Client), read by `appId`.
    ServicePrincipals,
    /// Intune apps with their assignments, trimmed to type, name, install context and
    /// assignments.
    MobileApps,
}

impl Resource {
    pub const ALL: [Resource; 23] = [
        Resource::Organization,
        Resource::Domains,
        Resource::SubscribedSkus,
        Resource::Users,
        Resource::GroupMembers,
        Resource::Devices,
        Resource::ManagedDevices,
        Resource::DeviceEnrollmentConfigurations,
        Resource::MobileDeviceManagementPolicies,
        Resource::MobileAppManagementPolicies,
        Resource::DeviceRegistrationPolicy,
        Resource::WindowsAutopilotDeploymentProfiles,
        Resource::WindowsAutopilotDeviceIdentities,
        Resource::ImportedWindowsAutopilotDeviceIdentities,
        Resource::DomainJoinConnectors,
        Resource::ImportedDeviceIdentities,
        Resource::ConditionalAccessPolicies,
        Resource::DeviceConfigurations,
        Resource::TroubleshootingEvents,
        Resource::AutopilotEvents,
        Resource::ConfigurationPolicies,
        Resource::ServicePrincipals,
        Resource::MobileApps,
    ];

    /// The key used in the snapshot's `resources` object.
    pub fn key(self) -> &'static str {
        match self {
            Resource::Organization => "organization",
            Resource::Domains => "domains",
            Resource::SubscribedSkus => "subscribedSkus",
            Resource::Users => "users",
            Resource::GroupMembers => "groupMembers",
            Resource::Devices => "devices",
            Resource::ManagedDevices => "managedDevices",
            Resource::DeviceEnrollmentConfigurations => "deviceEnrollmentConfigurations",
            Resource::MobileDeviceManagementPolicies => "mobileDeviceManagementPolicies",
            Resource::MobileAppManagementPolicies => "mobileAppManagementPolicies",
            Resource::DeviceRegistrationPolicy => "deviceRegistrationPolicy",
            Resource::WindowsAutopilotDeploymentProfiles => "windowsAutopilotDeploymentProfiles",
            Resource::WindowsAutopilotDeviceIdentities => "windowsAutopilotDeviceIdentities",
            Resource::ImportedWindowsAutopilotDeviceIdentities => {
                "importedWindowsAutopilotDeviceIdentities"
            }
            Resource::DomainJoinConnectors => "domainJoinConnectors",
            Resource::ImportedDeviceIdentities => "importedDeviceIdentities",
            Resource::ConditionalAccessPolicies => "conditionalAccessPolicies",
            Resource::DeviceConfigurations => "deviceConfigurations",
            Resource::TroubleshootingEvents => "troubleshootingEvents",
            Resource::AutopilotEvents => "autopilotEvents",
            Resource::ConfigurationPolicies => "configurationPolicies",
            Resource::ServicePrincipals => "servicePrincipals",
            Resource::MobileApps => "mobileApps",
        }
    }

    /// The least-privileged permission that lets Graph serve this resource.
    pub fn permission(self) -> &'static str {
        match self {
            Resource::Organization => "Organization.Read.All",
            Resource::Domains => "Domain.Read.All",
            Resource::SubscribedSkus => "LicenseAssignment.Read.All",
            Resource::Users => "User.Read.All",
            Resource::GroupMembers => "GroupMember.Read.All",
            Resource::Devices => "Device.Read.All",
            Resource::ManagedDevices => "DeviceManagementManagedDevices.Read.All",
            Resource::DeviceEnrollmentConfigurations => "DeviceManagementServiceConfig.Read.All",
            Resource::MobileDeviceManagementPolicies | Resource::MobileAppManagementPolicies => {
                "Policy.Read.All (delegated only)"
            }
            Resource::DeviceRegistrationPolicy => "Policy.Read.DeviceConfiguration",
            Resource::WindowsAutopilotDeploymentProfiles
            | Resource::WindowsAutopilotDeviceIdentities
            | Resource::ImportedWindowsAutopilotDeviceIdentities
            | Resource::ImportedDeviceIdentities => "DeviceManagementServiceConfig.Read.All",
            Resource::DomainJoinConnectors | Resource::DeviceConfigurations => {
                "DeviceManagementConfiguration.Read.All"
            }
            Resource::ConditionalAccessPolicies => "Policy.Read.All",
            Resource::ConfigurationPolicies => "DeviceManagementConfiguration.Read.All",
            Resource::ServicePrincipals => "Application.Read.All",
            Resource::MobileApps => "DeviceManagementApps.Read.All",
            Resource::TroubleshootingEvents | Resource::AutopilotEvents => {
                "DeviceManagementManagedDevices.Read.All"
            }
        }
    }

    /// Whether Graph serves this resource only to delegated (signed-in user) tokens.
    pub fn delegated_only(self) -> bool {
        matches!(
            self,
            Resource::MobileDeviceManagementPolicies | Resource::MobileAppManagementPolicies
        )
    }

    /// The failure-history streams: not read by any check, only by the failure join.
    pub fn is_event_stream(self) -> bool {
        matches!(
            self,
            Resource::TroubleshootingEvents | Resource::AutopilotEvents
        )
    }

    pub fn from_key(key: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.key() == key)
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How the collection of one resource ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// 401/403: the token lacks `permission`.
    Forbidden,
    /// 404: the endpoint or object does not exist (e.g. a beta-only resource in another cloud).
    NotFound,
    /// Any other failure; `message` says what.
    Error,
}

/// One collected resource: the request, how it ended, and the items as Graph returned them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceEntry {
    /// The request path, e.g. `/beta/deviceManagement/deviceEnrollmentConfigurations?$expand=assignments`.
    pub path: String,
    pub status: Status,
    /// For `forbidden`: the permission that would grant access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// For `error`, `forbidden`, `not_found`: what Graph or the client said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The items exactly as Graph returned them (camelCase, `@odata.type` kept).
    #[serde(default)]
    pub items: Vec<serde_json::Value>,
}

impl ResourceEntry {
    pub fn ok(path: impl Into<String>, items: Vec<serde_json::Value>) -> Self {
        ResourceEntry {
            path: path.into(),
            status: Status::Ok,
            permission: None,
            message: None,
            items,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// The whole snapshot document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: String,
    pub version: u32,
    pub tenant: TenantInfo,
    #[serde(default = "default_cloud")]
    pub cloud: String,
    /// RFC 3339; the clock checks use ("now" is when the data was read).
    pub collected_at: String,
    #[serde(default)]
    pub tool_version: String,
    /// Keyed by [`Resource::key`]. Unknown keys are kept (a newer collector) but not read.
    pub resources: BTreeMap<String, ResourceEntry>,
}

fn default_cloud() -> String {
    "global".into()
}

/// Why a snapshot could not be read. Each variant names the problem precisely.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the snapshot is not valid JSON: {0}")]
    NotJson(String),
    #[error("not an intune-audit snapshot: schema is {found:?}, expected {SNAPSHOT_SCHEMA:?}")]
    WrongSchema { found: String },
    #[error("unsupported snapshot version {found} (this build reads version {SNAPSHOT_VERSION})")]
    UnsupportedVersion { found: u64 },
    #[error("the snapshot envelope is malformed at {path}: {message}")]
    Envelope { path: String, message: String },
    #[error("collected_at {0:?} is not an RFC 3339 date-time")]
    BadDate(String),
    #[error(
        "resource {resource}: item {index} does not have the expected shape at {field}: {message}"
    )]
    Shape {
        resource: String,
        index: usize,
        field: String,
        message: String,
    },
}

impl Snapshot {
    /// Parses a snapshot from JSON text, checking schema and version before the envelope so
    /// that a file from another tool or a newer format is named as such.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SnapshotError::NotJson(e.to_string()))?;
        Snapshot::from_value(value)
    }

    /// The checks of [`Snapshot::from_json`] after the JSON is read: schema, version, the
    /// envelope (`serde_path_to_error` paths), the collection date.
    pub fn from_value(value: serde_json::Value) -> Result<Snapshot, SnapshotError> {
        let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        if schema != SNAPSHOT_SCHEMA {
            return Err(SnapshotError::WrongSchema {
                found: schema.to_string(),
            });
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(SNAPSHOT_VERSION) {
            return Err(SnapshotError::UnsupportedVersion { found: version });
        }
        let snapshot: Snapshot =
            serde_path_to_error::deserialize(value).map_err(|e| SnapshotError::Envelope {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        crate::time::parse_rfc3339(&snapshot.collected_at)
            .ok_or_else(|| SnapshotError::BadDate(snapshot.collected_at.clone()))?;
        Ok(snapshot)
    }

    pub fn entry(&self, resource: Resource) -> Option<&ResourceEntry> {
        self.resources.get(resource.key())
    }

    /// The envelope and every resource's collection record, without the items.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            tenant: self.tenant.clone(),
            cloud: self.cloud.clone(),
            collected_at: self.collected_at.clone(),
            tool_version: self.tool_version.clone(),
            resources: self
                .resources
                .iter()
                .map(|(key, e)| (key.clone(), EntryMeta::of(e)))
                .collect(),
        }
    }

    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data (strings, numbers, maps) cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A snapshot's envelope and each resource's collection record (request, status, permission,
/// message) without its items: what every consumer of a typed tenant still needs to know about
/// the file (the report's tenant and date, why a resource is missing).
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub tenant: TenantInfo,
    pub cloud: String,
    /// RFC 3339, as written in the snapshot.
    pub collected_at: String,
    pub tool_version: String,
    /// Keyed by [`Resource::key`]; unknown keys are kept, as in [`Snapshot::resources`].
    pub resources: BTreeMap<String, EntryMeta>,
}

impl Envelope {
    pub fn entry(&self, resource: Resource) -> Option<&EntryMeta> {
        self.resources.get(resource.key())
    }
}

/// [`ResourceEntry`] without its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    pub path: String,
    pub status: Status,
    pub permission: Option<String>,
    pub message: Option<String>,
}

impl EntryMeta {
    fn of(e: &ResourceEntry) -> EntryMeta {
        EntryMeta {
            path: e.path.clone(),
            status: e.status.clone(),
            permission: e.permission.clone(),
            message: e.message.clone(),
        }
    }
}
