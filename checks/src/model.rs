//! Typed views of the Graph resources the checks read. Property names are Graph's own
//! (see `shared/graph-reference.md`); every field a check does not need to exist is optional,
//! and polymorphic objects keep their `@odata.type` with an "unknown" fallback.

use crate::intern::Sym;
use serde::{Deserialize, Deserializer};

/// `null` and a missing array both mean "empty" in Graph's JSON.
fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Declares an evolvable Graph enum: the known values, plus `Unknown` keeping any other raw
/// value (`unknownFutureValue`, members added after this build). An unknown value is never
/// read as a particular one.
macro_rules! evolvable_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            Unknown(String),
        }

        impl $name {
            pub fn parse(raw: &str) -> Self {
                match raw {
                    $($text => $name::$variant,)*
                    other => $name::Unknown(other.to_string()),
                }
            }
            /// The raw value, as Graph wrote it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(raw) => raw,
                }
            }
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::parse(&String::deserialize(d)?))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

evolvable_enum! {
    /// `assignedPlan.capabilityStatus` / `subscribedSku.capabilityStatus`.
    CapabilityStatus {
        Enabled = "Enabled",
        Warning = "Warning",
        Suspended = "Suspended",
        Deleted = "Deleted",
        LockedOut = "LockedOut",
    }
}

impl CapabilityStatus {
    /// `Warning` is the grace period after a subscription lapses: the plan still works.
    /// `None` for a value this build does not know.
    pub fn is_active(&self) -> Option<bool> {
        match self {
            CapabilityStatus::Enabled | CapabilityStatus::Warning => Some(true),
            CapabilityStatus::Unknown(_) => None,
            _ => Some(false),
        }
    }
}

evolvable_enum! {
    /// `managedDevice.managementAgent` (`managementAgentType`).
    ManagementAgent {
        Eas = "eas",
        Mdm = "mdm",
        EasMdm = "easMdm",
        IntuneClient = "intuneClient",
        EasIntuneClient = "easIntuneClient",
        ConfigurationManagerClient = "configurationManagerClient",
        ConfigurationManagerClientMdm = "configurationManagerClientMdm",
        ConfigurationManagerClientMdmEas = "configurationManagerClientMdmEas",
        GraphUnknown = "unknown",
        Jamf = "jamf",
        GoogleCloudDevicePolicyController = "googleCloudDevicePolicyController",
        Microsoft365ManagedMdm = "microsoft365ManagedMdm",
        MsSense = "msSense",
        IntuneAosp = "intuneAosp",
    }
}

evolvable_enum! {
    /// `deviceManagementDomainJoinConnector.state`.
    ConnectorState {
        Active = "active",
        Error = "error",
        Inactive = "inactive",
    }
}

evolvable_enum! {
    /// `mobilityManagementPolicy.appliesTo` (`policyScope`).
    PolicyScope {
        None = "none",
        All = "all",
        Selected = "selected",
    }
}

evolvable_enum! {
    /// `organization.mobileDeviceManagementAuthority`.
    MdmAuthority {
        NotSet = "unknown",
        Intune = "intune",
        Sccm = "sccm",
        Office365 = "office365",
    }
}

evolvable_enum! {
    /// `device.trustType`.
    TrustType {
        AzureAd = "AzureAd",
        ServerAd = "ServerAd",
        Workplace = "Workplace",
    }
}

evolvable_enum! {
    /// `windowsAutopilotDeviceIdentity.remediationState` (beta): whether a hardware change was
    /// detected on an Autopilot device.
    RemediationState {
        GraphUnknown = "unknown",
        NoRemediationRequired = "noRemediationRequired",
        AutomaticRemediationRequired = "automaticRemediationRequired",
        ManualRemediationRequired = "manualRemediationRequired",
    }
}

evolvable_enum! {
    /// `windowsAutopilotDeviceIdentity.deploymentProfileAssignmentStatus`.
    ProfileAssignmentStatus {
        GraphUnknown = "unknown",
        AssignedInSync = "assignedInSync",
        AssignedOutOfSync = "assignedOutOfSync",
        AssignedUnknownSyncState = "assignedUnkownSyncState",
        NotAssigned = "notAssigned",
        Pending = "pending",
        Failed = "failed",
    }
}

evolvable_enum! {
    /// `importedWindowsAutopilotDeviceIdentityState.deviceImportStatus`.
    ImportStatus {
        GraphUnknown = "unknown",
        Pending = "pending",
        Partial = "partial",
        Complete = "complete",
        Error = "error",
    }
}

/// `importedWindowsAutopilotDeviceIdentityState`: how the Device Directory Service took an import.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportState {
    #[serde(default)]
    pub device_import_status: Option<ImportStatus>,
    #[serde(default)]
    pub device_error_code: Option<i64>,
    #[serde(default)]
    pub device_error_name: Option<String>,
}

/// `importedWindowsAutopilotDeviceIdentity`: one hardware-hash import.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedAutopilotDevice {
    pub id: String,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub group_tag: Option<String>,
    #[serde(default)]
    pub import_id: Option<String>,
    #[serde(default)]
    pub state: Option<ImportState>,
}

evolvable_enum! {
    /// `outOfBoxExperienceSetting.deviceUsageType` (`windowsDeviceUsageType`).
    DeviceUsageType {
        SingleUser = "singleUser",
        Shared = "shared",
    }
}

/// A directory object as `transitiveMembers` / `registeredOwners` return it with `$select=id`.
#[derive(Debug, Clone, Deserialize)]
pub struct DirectoryObjectRef {
    #[serde(
        rename = "@odata.type",
        default,
        deserialize_with = "crate::intern::opt"
    )]
    pub odata_type: Option<Sym>,
    pub id: String,
}

/// The `@odata.type` of a user and of a device in directory-object lists.
pub const ODATA_USER: &str = "#microsoft.graph.user";
pub const ODATA_DEVICE: &str = "#microsoft.graph.device";

impl DirectoryObjectRef {
    pub fn is_user(&self) -> bool {
        self.odata_type.as_deref() == Some(ODATA_USER)
    }
    pub fn is_device(&self) -> bool {
        self.odata_type.as_deref() == Some(ODATA_DEVICE)
    }
    pub fn is_group(&self) -> bool {
        self.odata_type.as_deref() == Some("#microsoft.graph.group")
    }
}

// ---------------------------------------------------------------- directory

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Returned only on `$select`.
    #[serde(default)]
    pub mobile_device_management_authority: Option<MdmAuthority>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub verified_domains: Vec<VerifiedDomain>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// The domain name.
    pub id: String,
    /// `None` when not collected: never read as "not verified".
    #[serde(default)]
    pub is_verified: Option<bool>,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub is_initial: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedPlan {
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub service_plan_id: Option<Sym>,
    #[serde(default)]
    pub capability_status: Option<CapabilityStatus>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub service: Option<Sym>,
}

impl AssignedPlan {
    /// `None` when the status is absent or a value this build does not know.
    pub fn is_active(&self) -> Option<bool> {
        self.capability_status.as_ref().and_then(|s| s.is_active())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `Member` or `Guest`.
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub user_type: Option<Sym>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub assigned_plans: Vec<AssignedPlan>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    /// The UPN in on-premises AD (synced users): where a `.local` suffix shows, since Entra
    /// replaces an unverified suffix with the `onmicrosoft.com` domain in `userPrincipalName`.
    #[serde(default)]
    pub on_premises_user_principal_name: Option<String>,
}

impl User {
    pub fn upn(&self) -> &str {
        self.user_principal_name.as_deref().unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.user_principal_name
            .as_deref()
            .or(self.display_name.as_deref())
            .unwrap_or(&self.id)
    }
    pub fn is_enabled(&self) -> bool {
        self.account_enabled != Some(false)
    }
    pub fn is_guest(&self) -> bool {
        self.user_type.as_deref() == Some("Guest")
    }
    /// Whether one of `plan_ids` is assigned and active (Enabled or Warning): `None` when no
    /// matching plan is surely active and one has a status this build cannot read.
    pub fn has_active_plan(&self, plan_ids: &[&str]) -> Option<bool> {
        let mut unsure = false;
        for p in self.assigned_plans.iter().filter(|p| {
            p.service_plan_id
                .as_deref()
                .is_some_and(|id| plan_ids.iter().any(|w| w.eq_ignore_ascii_case(id)))
        }) {
            match p.is_active() {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unsure = true,
            }
        }
        (!unsure).then_some(false)
    }
    /// The account Windows Configuration Designer and Set up School PCs create for a
    /// provisioning package: `package_<GUID>@domain`.
    pub fn is_provisioning_package_account(&self) -> bool {
        let upn = self.upn().to_ascii_lowercase();
        let local = upn.split('@').next().unwrap_or("");
        local.strip_prefix("package_").is_some_and(|rest| {
            rest.len() >= 32 && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlanInfo {
    #[serde(default)]
    pub service_plan_id: Option<String>,
    #[serde(default)]
    pub service_plan_name: Option<String>,
    #[serde(default)]
    pub provisioning_status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepaidUnits {
    #[serde(default)]
    pub enabled: i64,
    #[serde(default)]
    pub suspended: i64,
    #[serde(default)]
    pub warning: i64,
    #[serde(default)]
    pub locked_out: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    pub id: String,
    #[serde(default)]
    pub sku_id: Option<String>,
    #[serde(default)]
    pub sku_part_number: Option<String>,
    #[serde(default)]
    pub capability_status: Option<CapabilityStatus>,
    /// `None` when not collected: never read as zero.
    #[serde(default)]
    pub consumed_units: Option<i64>,
    #[serde(default)]
    pub prepaid_units: Option<PrepaidUnits>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub service_plans: Vec<ServicePlanInfo>,
}

impl SubscribedSku {
    pub fn name(&self) -> &str {
        self.sku_part_number.as_deref().unwrap_or(&self.id)
    }
    pub fn includes_plan(&self, plan_ids: &[&str]) -> bool {
        self.service_plans.iter().any(|p| {
            p.service_plan_id
                .as_deref()
                .is_some_and(|id| plan_ids.iter().any(|w| w.eq_ignore_ascii_case(id)))
        })
    }
}

/// One item of the `groupMembers` resource: a targeted group and its transitive members.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMembers {
    /// The group's object id.
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub members: Vec<DirectoryObjectRef>,
}

/// An Entra device object.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The object id (what group membership lists). Graph's published list example omits it;
    /// an empty id matches no group.
    #[serde(default)]
    pub id: String,
    /// The device id (what Intune and Autopilot call `azureADDeviceId`).
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub operating_system: Option<Sym>,
    /// `AzureAd` (joined), `ServerAd` (hybrid joined), `Workplace` (registered).
    #[serde(default)]
    pub trust_type: Option<TrustType>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub registered_owners: Vec<DirectoryObjectRef>,
}

// ---------------------------------------------------------------- Intune devices

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    pub id: String,
    #[serde(default)]
    pub device_name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub operating_system: Option<Sym>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub os_version: Option<Sym>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub model: Option<Sym>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub manufacturer: Option<Sym>,
    #[serde(default)]
    pub management_agent: Option<ManagementAgent>,
    /// `company`, `personal`, `unknown`.
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub managed_device_owner_type: Option<Sym>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub device_enrollment_type: Option<Sym>,
    #[serde(rename = "azureADDeviceId", default)]
    pub azure_ad_device_id: Option<String>,
    #[serde(default)]
    pub enrolled_date_time: Option<String>,
}

impl ManagedDevice {
    pub fn name(&self) -> &str {
        self.device_name.as_deref().unwrap_or(&self.id)
    }
    pub fn is_windows(&self) -> bool {
        self.operating_system
            .as_deref()
            .is_some_and(|os| os.to_ascii_lowercase().starts_with("windows"))
    }
    /// The raw management agent, empty when absent.
    pub fn agent(&self) -> &str {
        self.management_agent
            .as_ref()
            .map(ManagementAgent::as_str)
            .unwrap_or("")
    }
}

// ---------------------------------------------------------------- assignments

/// `deviceAndAppManagementAssignmentTarget` and its derived types.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentTarget {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub collection_id: Option<String>,
    #[serde(default)]
    pub device_and_app_management_assignment_filter_id: Option<String>,
    /// `none | include | exclude` (beta only).
    #[serde(default)]
    pub device_and_app_management_assignment_filter_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    #[serde(default)]
    pub id: Option<String>,
    pub target: AssignmentTarget,
}

// ---------------------------------------------------------------- enrollment configurations

/// `deviceEnrollmentPlatformRestriction`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformRestriction {
    /// `None` when absent: never read as "allowed".
    #[serde(default)]
    pub platform_blocked: Option<bool>,
    #[serde(default)]
    pub personal_device_enrollment_blocked: Option<bool>,
    #[serde(default)]
    pub os_minimum_version: Option<String>,
    #[serde(default)]
    pub os_maximum_version: Option<String>,
}

/// Any item of `deviceEnrollmentConfigurations`. The collection mixes many types; the fields a
/// type does not have stay `None`. Classify with [`EnrollmentConfiguration::kind`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentConfiguration {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `None` when not collected: its rank among the others is then unknown.
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// Limit configurations: devices per user.
    #[serde(default)]
    pub limit: Option<i64>,
    /// The plural (default or old-style) platform restrictions type.
    #[serde(default)]
    pub windows_restriction: Option<PlatformRestriction>,
    /// The singular per-platform type (beta).
    #[serde(default)]
    pub platform_type: Option<String>,
    #[serde(default)]
    pub platform_restriction: Option<PlatformRestriction>,
    /// `None` when the collector did not expand assignments.
    #[serde(default)]
    pub assignments: Option<Vec<Assignment>>,
    /// Enrollment Status Page: whether the page is shown at all.
    #[serde(default)]
    pub show_installation_progress: Option<bool>,
    /// Enrollment Status Page: the blocking apps (`None` when absent).
    #[serde(default)]
    pub selected_mobile_app_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    Limit,
    /// Restrictions for several platforms (the default, and old-style custom policies).
    PlatformRestrictions,
    /// A per-platform restriction (`platformType`).
    SinglePlatformRestriction,
    Other,
}

impl EnrollmentConfiguration {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }

    /// Dispatches on `@odata.type`: the `deviceEnrollmentConfigurationType` string is unreliable.
    pub fn kind(&self) -> ConfigKind {
        match self.odata_type.as_deref() {
            Some("#microsoft.graph.deviceEnrollmentLimitConfiguration") => ConfigKind::Limit,
            Some("#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration") => {
                ConfigKind::PlatformRestrictions
            }
            Some("#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration") => {
                ConfigKind::SinglePlatformRestriction
            }
            _ => ConfigKind::Other,
        }
    }

    /// An Enrollment Status Page profile (`windows10EnrollmentCompletionPageConfiguration`).
    pub fn is_enrollment_status_page(&self) -> bool {
        self.odata_type.as_deref()
            == Some("#microsoft.graph.windows10EnrollmentCompletionPageConfiguration")
    }

    /// The default configurations have ids `{tenantId}_Default…` and priority 0; the
    /// suffix is checked first because it does not depend on the priority field.
    pub fn is_default(&self) -> bool {
        let suffix_default = self
            .id
            .rsplit_once('_')
            .is_some_and(|(_, s)| s.starts_with("Default"));
        suffix_default || self.priority == Some(0)
    }

    /// A per-platform restriction whose platform is absent or a value this build does not know:
    /// it may restrict Windows.
    pub fn may_restrict_windows(&self) -> bool {
        const OTHER: &[&str] = &[
            "ios",
            "android",
            "mac",
            "androidForWork",
            "androidAOSP",
            "linux",
            "visionOS",
            "tvOS",
        ];
        self.kind() == ConfigKind::SinglePlatformRestriction
            && self
                .platform_type
                .as_deref()
                .is_none_or(|p| p != "windows" && !OTHER.contains(&p))
    }

    /// The Windows (MDM) restriction this configuration sets, if it sets one.
    pub fn windows_restriction(&self) -> Option<&PlatformRestriction> {
        match self.kind() {
            ConfigKind::PlatformRestrictions => self.windows_restriction.as_ref(),
            ConfigKind::SinglePlatformRestriction
                if self.platform_type.as_deref() == Some("windows") =>
            {
                self.platform_restriction.as_ref()
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- MDM / MAM scope

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `mobileDeviceManagementPolicy` / `mobileAppManagementPolicy` (beta, delegated only).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobilityPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `none | all | selected` ("Some" in the portal).
    #[serde(default)]
    pub applies_to: Option<PolicyScope>,
    /// `None` when the collector did not expand `includedGroups`.
    #[serde(default)]
    pub included_groups: Option<Vec<GroupRef>>,
    #[serde(default)]
    pub terms_of_use_url: Option<String>,
    #[serde(default)]
    pub discovery_url: Option<String>,
    #[serde(default)]
    pub compliance_url: Option<String>,
    #[serde(default)]
    pub is_valid: Option<bool>,
}

/// The Microsoft Intune application id, which addresses Intune's MDM and MAM policy.
pub const INTUNE_APP_ID: &str = "0000000a-0000-0000-c000-000000000000";

impl MobilityPolicy {
    pub fn is_intune(&self) -> bool {
        self.id.eq_ignore_ascii_case(INTUNE_APP_ID)
    }
}

// ---------------------------------------------------------------- Entra device settings

/// `deviceRegistrationMembership`: all, none, or enumerated users and groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationMembership {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub users: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipKind {
    All,
    None,
    Enumerated,
    Unknown,
}

impl RegistrationMembership {
    pub fn kind(&self) -> MembershipKind {
        match self.odata_type.as_deref() {
            Some("#microsoft.graph.allDeviceRegistrationMembership") => MembershipKind::All,
            Some("#microsoft.graph.noDeviceRegistrationMembership") => MembershipKind::None,
            Some("#microsoft.graph.enumeratedDeviceRegistrationMembership") => {
                MembershipKind::Enumerated
            }
            _ => MembershipKind::Unknown,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureAdJoinPolicy {
    #[serde(default)]
    pub is_admin_configurable: Option<bool>,
    pub allowed_to_join: RegistrationMembership,
    /// Local administrator settings (v1.0 only).
    #[serde(default)]
    pub local_admins: Option<LocalAdminSettings>,
}

/// `localAdminSettings`: who becomes a local administrator of a Microsoft Entra joined device.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalAdminSettings {
    #[serde(default)]
    pub enable_global_admins: Option<bool>,
    /// "Registering user is added as local administrator": all, none or selected.
    #[serde(default)]
    pub registering_users: Option<RegistrationMembership>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRegistrationPolicy {
    pub id: String,
    #[serde(default)]
    pub user_device_quota: Option<i64>,
    #[serde(rename = "azureADJoin", default)]
    pub azure_ad_join: Option<AzureAdJoinPolicy>,
}

// ---------------------------------------------------------------- Autopilot

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OobeSetting {
    /// `singleUser` (user-driven) or `shared` (self-deploying).
    #[serde(default)]
    pub device_usage_type: Option<DeviceUsageType>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotProfile {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub device_name_template: Option<String>,
    #[serde(default)]
    pub device_type: Option<String>,
    #[serde(default)]
    pub preprovisioning_allowed: Option<bool>,
    /// Deprecated name of `preprovisioningAllowed`, still returned.
    #[serde(default)]
    pub enable_white_glove: Option<bool>,
    #[serde(default)]
    pub out_of_box_experience_setting: Option<OobeSetting>,
    /// Deprecated name of `outOfBoxExperienceSetting`, still returned.
    #[serde(default)]
    pub out_of_box_experience_settings: Option<OobeSetting>,
    #[serde(default)]
    pub assignments: Option<Vec<Assignment>>,
}

impl AutopilotProfile {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }
    /// Hybrid Entra join (`activeDirectoryWindowsAutopilotDeploymentProfile`).
    pub fn is_hybrid(&self) -> bool {
        self.odata_type.as_deref()
            == Some("#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile")
    }
    pub fn device_usage_type(&self) -> Option<&DeviceUsageType> {
        self.out_of_box_experience_setting
            .as_ref()
            .and_then(|o| o.device_usage_type.as_ref())
            .or_else(|| {
                self.out_of_box_experience_settings
                    .as_ref()
                    .and_then(|o| o.device_usage_type.as_ref())
            })
    }
    /// Self-deploying mode is `deviceUsageType == "shared"`; `None` when absent or unknown.
    pub fn self_deploying(&self) -> Option<bool> {
        match self.device_usage_type()? {
            DeviceUsageType::Shared => Some(true),
            DeviceUsageType::SingleUser => Some(false),
            DeviceUsageType::Unknown(_) => None,
        }
    }
    /// Self-deploying for sure (an unknown mode is not self-deploying *for sure*).
    pub fn is_self_deploying(&self) -> bool {
        self.self_deploying() == Some(true)
    }
    pub fn allows_preprovisioning(&self) -> bool {
        self.preprovisioning_allowed
            .or(self.enable_white_glove)
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotDevice {
    pub id: String,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub model: Option<Sym>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub manufacturer: Option<Sym>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub group_tag: Option<Sym>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// The Entra *device id* (not object id).
    #[serde(default)]
    pub azure_active_directory_device_id: Option<String>,
    /// Beta's new name for the same id.
    #[serde(default)]
    pub azure_ad_device_id: Option<String>,
    #[serde(default)]
    pub managed_device_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::intern::opt")]
    pub enrollment_state: Option<Sym>,
    #[serde(default)]
    pub deployment_profile_assignment_status: Option<ProfileAssignmentStatus>,
    /// Beta: whether a hardware change needs the device re-registered.
    #[serde(default)]
    pub remediation_state: Option<RemediationState>,
}

/// Graph writes an all-zero GUID where an id is not set.
fn real_id(id: Option<&str>) -> Option<&str> {
    id.filter(|s| !s.is_empty() && *s != "00000000-0000-0000-0000-000000000000")
}

impl AutopilotDevice {
    pub fn name(&self) -> &str {
        self.serial_number
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.id)
    }
    pub fn entra_device_id(&self) -> Option<&str> {
        real_id(self.azure_ad_device_id.as_deref())
            .or_else(|| real_id(self.azure_active_directory_device_id.as_deref()))
    }
    pub fn managed_device(&self) -> Option<&str> {
        real_id(self.managed_device_id.as_deref())
    }
    pub fn assigned_user(&self) -> Option<&str> {
        self.user_principal_name
            .as_deref()
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainJoinConnector {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub last_connection_date_time: Option<String>,
    #[serde(default)]
    pub state: Option<ConnectorState>,
    #[serde(default)]
    pub version: Option<String>,
}

// ---------------------------------------------------------------- failure history

/// `@odata.type` of the enrollment failures in `/deviceManagement/troubleshootingEvents` (the
/// collection's base type is `deviceManagementTroubleshootingEvent`).
pub const ODATA_ENROLLMENT_TROUBLESHOOTING_EVENT: &str =
    "#microsoft.graph.enrollmentTroubleshootingEvent";

evolvable_enum! {
    /// `enrollmentTroubleshootingEvent.failureCategory` (`deviceEnrollmentFailureReason`).
    FailureCategory {
        GraphUnknown = "unknown",
        Authentication = "authentication",
        Authorization = "authorization",
        AccountValidation = "accountValidation",
        UserValidation = "userValidation",
        DeviceNotSupported = "deviceNotSupported",
        InMaintenance = "inMaintenance",
        BadRequest = "badRequest",
        FeatureNotSupported = "featureNotSupported",
        EnrollmentRestrictionsEnforced = "enrollmentRestrictionsEnforced",
        ClientDisconnected = "clientDisconnected",
        UserAbandonment = "userAbandonment",
    }
}

evolvable_enum! {
    /// `enrollmentTroubleshootingEvent.enrollmentType` (`deviceEnrollmentType`).
    DeviceEnrollmentType {
        GraphUnknown = "unknown",
        UserEnrollment = "userEnrollment",
        DeviceEnrollmentManager = "deviceEnrollmentManager",
        AppleBulkWithUser = "appleBulkWithUser",
        AppleBulkWithoutUser = "appleBulkWithoutUser",
        WindowsAzureAdJoin = "windowsAzureADJoin",
        WindowsBulkUserless = "windowsBulkUserless",
        WindowsAutoEnrollment = "windowsAutoEnrollment",
        WindowsBulkAzureDomainJoin = "windowsBulkAzureDomainJoin",
        WindowsCoManagement = "windowsCoManagement",
        WindowsAzureAdJoinUsingDeviceAuth = "windowsAzureADJoinUsingDeviceAuth",
        AppleUserEnrollment = "appleUserEnrollment",
        AppleUserEnrollmentWithServiceAccount = "appleUserEnrollmentWithServiceAccount",
    }
}

evolvable_enum! {
    /// `deviceManagementAutopilotEvent.deploymentState`, `deviceSetupStatus` and
    /// `accountSetupStatus` (`windowsAutopilotDeploymentState`).
    AutopilotDeploymentState {
        GraphUnknown = "unknown",
        Success = "success",
        InProgress = "inProgress",
        Failure = "failure",
        SuccessWithTimeout = "successWithTimeout",
        NotAttempted = "notAttempted",
        Disabled = "disabled",
    }
}

impl AutopilotDeploymentState {
    /// `Some(true)` for a failure, `Some(false)` for a known state that is not one, `None`
    /// for Graph's `unknown` or a value this build does not know.
    pub fn failed(&self) -> Option<bool> {
        match self {
            AutopilotDeploymentState::Failure => Some(true),
            AutopilotDeploymentState::GraphUnknown | AutopilotDeploymentState::Unknown(_) => None,
            _ => Some(false),
        }
    }
}

evolvable_enum! {
    /// `deviceManagementAutopilotEvent.enrollmentState` (`enrollmentState`).
    AutopilotEnrollmentState {
        GraphUnknown = "unknown",
        Enrolled = "enrolled",
        PendingReset = "pendingReset",
        Failed = "failed",
        NotContacted = "notContacted",
        Blocked = "blocked",
    }
}

evolvable_enum! {
    /// `deviceManagementAutopilotEvent.enrollmentType` (`windowsAutopilotEnrollmentType`).
    AutopilotEnrollmentType {
        GraphUnknown = "unknown",
        AzureAdJoinedWithAutopilotProfile = "azureADJoinedWithAutopilotProfile",
        OfflineDomainJoined = "offlineDomainJoined",
        AzureAdJoinedUsingDeviceAuthWithAutopilotProfile = "azureADJoinedUsingDeviceAuthWithAutopilotProfile",
        AzureAdJoinedUsingDeviceAuthWithoutAutopilotProfile = "azureADJoinedUsingDeviceAuthWithoutAutopilotProfile",
        AzureAdJoinedWithOfflineAutopilotProfile = "azureADJoinedWithOfflineAutopilotProfile",
        AzureAdJoinedWithWhiteGlove = "azureADJoinedWithWhiteGlove",
        OfflineDomainJoinedWithWhiteGlove = "offlineDomainJoinedWithWhiteGlove",
        OfflineDomainJoinedWithOfflineAutopilotProfile = "offlineDomainJoinedWithOfflineAutopilotProfile",
    }
}

/// One item of `troubleshootingEvents`: an enrollment that failed. Only the fields the
/// failure join reads are kept by the collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentFailureEvent {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub event_date_time: Option<String>,
    /// The user that tried to enroll (object id).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The Entra device id.
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub enrollment_type: Option<DeviceEnrollmentType>,
    #[serde(default)]
    pub failure_category: Option<FailureCategory>,
    /// Free text; values are not enumerated by Graph.
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub operating_system: Option<String>,
    #[serde(default)]
    pub os_version: Option<String>,
}

impl EnrollmentFailureEvent {
    /// An item of the base type that is not an enrollment failure is not read as one.
    pub fn is_enrollment_failure(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_none_or(|t| t == ODATA_ENROLLMENT_TROUBLESHOOTING_EVENT)
    }
}

/// One item of `autopilotEvents` (beta): an Autopilot deployment.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotEvent {
    pub id: String,
    #[serde(default)]
    pub event_date_time: Option<String>,
    /// The Entra device id.
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub device_serial_number: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub windows_autopilot_deployment_profile_display_name: Option<String>,
    #[serde(default)]
    pub enrollment_type: Option<AutopilotEnrollmentType>,
    #[serde(default)]
    pub enrollment_state: Option<AutopilotEnrollmentState>,
    #[serde(default)]
    pub deployment_state: Option<AutopilotDeploymentState>,
    /// The ESP device setup phase.
    #[serde(default)]
    pub device_setup_status: Option<AutopilotDeploymentState>,
    /// The ESP account setup phase.
    #[serde(default)]
    pub account_setup_status: Option<AutopilotDeploymentState>,
    /// Free text; its format is not documented.
    #[serde(default)]
    pub enrollment_failure_details: Option<String>,
    #[serde(default)]
    pub os_version: Option<String>,
}

// ---------------------------------------------------------------- corporate identifiers

evolvable_enum! {
    /// `importedDeviceIdentityType` (beta).
    ImportedDeviceIdentityType {
        GraphUnknown = "unknown",
        Imei = "imei",
        SerialNumber = "serialNumber",
        ManufacturerModelSerial = "manufacturerModelSerial",
    }
}

/// `importedDeviceIdentity` (beta): one corporate device identifier. Windows identifiers are
/// of type `manufacturerModelSerial` ("manufacturer,model,serial").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedDeviceIdentity {
    pub id: String,
    #[serde(default)]
    pub imported_device_identifier: Option<String>,
    #[serde(default)]
    pub imported_device_identity_type: Option<ImportedDeviceIdentityType>,
    /// `platform`: `unknown`, `ios`, `android`, `windows`, `windowsMobile`, `macOS`, …
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub enrollment_state: Option<String>,
}

impl ImportedDeviceIdentity {
    /// The serial number of a `manufacturer,model,serial` identifier (its last field).
    pub fn windows_serial(&self) -> Option<&str> {
        self.imported_device_identifier
            .as_deref()
            .and_then(|i| i.rsplit(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

// ---------------------------------------------------------------- conditional access

evolvable_enum! {
    /// `conditionalAccessPolicyState`.
    ConditionalAccessState {
        Enabled = "enabled",
        Disabled = "disabled",
        ReportOnly = "enabledForReportingButNotEnforced",
    }
}

/// `conditionalAccessApplications`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaApplications {
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_applications: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub exclude_applications: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_user_actions: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_authentication_context_class_references: Vec<String>,
    /// A filter on application attributes: which apps it matches is not readable here.
    #[serde(default)]
    pub application_filter: Option<serde_json::Value>,
}

/// `conditionalAccessUsers`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaUsers {
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_users: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub exclude_users: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_groups: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub exclude_groups: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_roles: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub exclude_roles: Vec<String>,
    #[serde(default)]
    pub include_guests_or_external_users: Option<serde_json::Value>,
    #[serde(default)]
    pub exclude_guests_or_external_users: Option<serde_json::Value>,
}

/// `conditionalAccessPlatforms`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaPlatforms {
    #[serde(default, deserialize_with = "nullable_vec")]
    pub include_platforms: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub exclude_platforms: Vec<String>,
}

/// `conditionalAccessConditionSet`: the conditions this tool reads or must not ignore.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaConditions {
    #[serde(default)]
    pub applications: Option<CaApplications>,
    #[serde(default)]
    pub users: Option<CaUsers>,
    #[serde(default)]
    pub platforms: Option<CaPlatforms>,
    #[serde(default)]
    pub locations: Option<serde_json::Value>,
    #[serde(default)]
    pub devices: Option<serde_json::Value>,
    #[serde(default)]
    pub client_applications: Option<serde_json::Value>,
    #[serde(default)]
    pub authentication_flows: Option<serde_json::Value>,
    #[serde(default)]
    pub insider_risk_levels: Option<serde_json::Value>,
    /// `None` when absent; an empty list means "any client app".
    #[serde(default)]
    pub client_app_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub sign_in_risk_levels: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub user_risk_levels: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub service_principal_risk_levels: Vec<String>,
}

/// `conditionalAccessGrantControls`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaGrantControls {
    /// `AND` or `OR`.
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub built_in_controls: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub custom_authentication_factors: Vec<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub terms_of_use: Vec<String>,
    #[serde(default)]
    pub authentication_strength: Option<serde_json::Value>,
}

/// `conditionalAccessPolicy` (v1.0).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub state: Option<ConditionalAccessState>,
    #[serde(default)]
    pub conditions: Option<CaConditions>,
    #[serde(default)]
    pub grant_controls: Option<CaGrantControls>,
}

impl ConditionalAccessPolicy {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }
}

// ---------------------------------------------------------------- device configurations

/// `deviceConfiguration` and its derived types: only what the checks read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceConfiguration {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `windows10GeneralConfiguration.microsoftAccountSignInAssistantSettings`
    /// (`signInAssistantOptions`: `notConfigured`, `disabled`).
    #[serde(default)]
    pub microsoft_account_sign_in_assistant_settings: Option<String>,
    /// `windows10CustomConfiguration.omaSettings` (collection of `omaSetting`, v1.0
    /// `intune-deviceconfig-windows10customconfiguration.md`); `None` when absent.
    #[serde(default)]
    pub oma_settings: Option<Vec<OmaSetting>>,
    /// `None` when the assignments were not expanded.
    #[serde(default)]
    pub assignments: Option<Vec<Assignment>>,
}

/// `omaSetting` (v1.0 `intune-deviceconfig-omasetting.md`): `@odata.type` (`omaSettingString`,
/// `omaSettingInteger`, …), `displayName`, `description`, `omaUri`, and a `value` whose type
/// depends on the derived type (not read: only the URI matters to the checks).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OmaSetting {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub oma_uri: Option<String>,
}

/// The OMA-URI prefixes of the AppLocker CSP, lowercase (the CSP is device-scoped).
const APPLOCKER_PREFIXES: &[&str] = &[
    "./vendor/msft/applocker/",
    "./device/vendor/msft/applocker/",
];

/// Whether an OMA-URI addresses a node of the AppLocker CSP (letter case ignored).
pub fn is_applocker_oma_uri(uri: &str) -> bool {
    let uri = uri.trim().to_ascii_lowercase();
    APPLOCKER_PREFIXES.iter().any(|p| uri.starts_with(p))
}

impl DeviceConfiguration {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }
    pub fn is_windows10_general(&self) -> bool {
        self.odata_type
            .as_deref()
            .map(|t| t.trim_start_matches('#'))
            == Some("microsoft.graph.windows10GeneralConfiguration")
    }
    pub fn is_windows10_custom(&self) -> bool {
        self.odata_type
            .as_deref()
            .map(|t| t.trim_start_matches('#'))
            == Some("microsoft.graph.windows10CustomConfiguration")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provisioning_package_accounts_are_recognised() {
        let mut u: User = serde_json::from_value(json!({
            "id": "1", "userPrincipalName": "package_3f0b2a1c-94d1-4b7a-9a55-1e2d3c4b5a69@contoso.com"
        }))
        .unwrap();
        assert!(u.is_provisioning_package_account());
        u.user_principal_name = Some("package_manager@contoso.com".into());
        assert!(!u.is_provisioning_package_account());
    }

    #[test]
    fn defaults_are_found_by_id_suffix_or_priority() {
        let c: EnrollmentConfiguration = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "id": "b1e9_DefaultLimit", "priority": 0, "limit": 5
        }))
        .unwrap();
        assert!(c.is_default());
        assert_eq!(c.kind(), ConfigKind::Limit);
        let c: EnrollmentConfiguration = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "id": "b1e9_Limit2", "priority": 2, "limit": 5
        }))
        .unwrap();
        assert!(!c.is_default());
    }

    #[test]
    fn autopilot_device_ignores_zero_guid() {
        let d: AutopilotDevice = serde_json::from_value(json!({
            "id": "a", "azureActiveDirectoryDeviceId": "00000000-0000-0000-0000-000000000000",
            "managedDeviceId": "00000000-0000-0000-0000-000000000000"
        }))
        .unwrap();
        assert_eq!(d.entra_device_id(), None);
        assert_eq!(d.managed_device(), None);
    }
}

// ---------------------------------------------------------------- Autopilot device preparation

/// The template family of Windows Autopilot device preparation policies
/// (`deviceManagementConfigurationTemplateFamily`, beta: "Template Family for
/// EnrollmentConfiguration").
pub const ENROLLMENT_TEMPLATE_FAMILY: &str = "enrollmentConfiguration";

/// The device preparation policy's "User account type" setting. Its id and values are seen
/// only in third-party code (Microsoft documents neither), which disagrees on which value means
/// "Standard user": checks read it as unconfirmed.
pub const DPP_ACCOUNT_TYPE: &str = "enrollment_autopilot_dpp_accountype";

/// `deviceManagementConfigurationPolicyTemplateReference`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateReference {
    #[serde(default)]
    pub template_id: Option<String>,
    #[serde(default)]
    pub template_family: Option<String>,
    #[serde(default)]
    pub template_display_name: Option<String>,
}

/// `deviceManagementConfigurationChoiceSettingValue`: only its value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChoiceSettingValue {
    #[serde(default)]
    pub value: Option<String>,
}

/// `deviceManagementConfigurationSettingInstance`: the parts checks read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingInstance {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub setting_definition_id: Option<String>,
    #[serde(default)]
    pub choice_setting_value: Option<ChoiceSettingValue>,
}

/// `deviceManagementConfigurationSetting`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySetting {
    #[serde(default)]
    pub setting_instance: Option<SettingInstance>,
}

/// `deviceManagementConfigurationPolicy` (beta), as the collector keeps it: only policies of
/// the `enrollmentConfiguration` template family.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationPolicy {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `deviceManagementConfigurationPlatforms`, a flags enum ("windows10", "macOS,iOS").
    #[serde(default)]
    pub platforms: Option<String>,
    #[serde(default)]
    pub template_reference: Option<TemplateReference>,
    /// `None` when the collector did not expand assignments.
    #[serde(default)]
    pub assignments: Option<Vec<Assignment>>,
    /// `None` when the collector did not expand settings.
    #[serde(default)]
    pub settings: Option<Vec<PolicySetting>>,
}

impl ConfigurationPolicy {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// A Windows Autopilot device preparation policy: the `enrollmentConfiguration` template
    /// family on Windows. Absent platforms count as Windows; an absent template family is
    /// `None` (never read as "not one").
    pub fn is_device_preparation(&self) -> Option<bool> {
        let family = self
            .template_reference
            .as_ref()
            .and_then(|t| t.template_family.as_deref())?;
        Some(
            family == ENROLLMENT_TEMPLATE_FAMILY
                && self
                    .platforms
                    .as_deref()
                    .is_none_or(|p| p.split(',').any(|p| p.trim() == "windows10")),
        )
    }

    /// The value of a choice setting: `Ok(None)` when the policy does not set it, `Err` when the
    /// settings were not collected.
    pub fn choice(&self, definition_id: &str) -> Result<Option<&str>, String> {
        let settings = self.settings.as_ref().ok_or_else(|| {
            format!(
                "the settings of policy '{}' were not collected",
                self.name()
            )
        })?;
        Ok(settings
            .iter()
            .filter_map(|s| s.setting_instance.as_ref())
            .find(|i| i.setting_definition_id.as_deref() == Some(definition_id))
            .and_then(|i| i.choice_setting_value.as_ref())
            .and_then(|v| v.value.as_deref()))
    }
}

/// The Intune Provisioning Client (may show as "Intune Autopilot ConfidentialClient"): it must
/// own every device preparation device group.
pub const INTUNE_PROVISIONING_CLIENT_APP_ID: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";

/// `servicePrincipal` (v1.0): the parts checks read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

// ---------------------------------------------------------------- apps

evolvable_enum! {
    /// `mobileAppAssignment.intent` (`installIntent`).
    InstallIntent {
        Available = "available",
        Required = "required",
        Uninstall = "uninstall",
        AvailableWithoutEnrollment = "availableWithoutEnrollment",
    }
}

/// `mobileAppAssignment`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppAssignment {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub intent: Option<InstallIntent>,
    pub target: AssignmentTarget,
}

/// How an app installs, as far as the Enrollment Status Page cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// `windowsMobileMSI`: a line-of-business MSI, installed by the MDM MSI CSP.
    LobMsi,
    /// `win32LobApp` (and `win32CatalogApp`, which derives from it): installed by the
    /// Intune Management Extension.
    Win32,
    Other,
    /// No `@odata.type`: could be either.
    Unknown,
}

/// `mobileApp` (v1.0, polymorphic), as the collector keeps it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileApp {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `None` when the collector did not expand assignments.
    #[serde(default)]
    pub assignments: Option<Vec<AppAssignment>>,
}

impl MobileApp {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }

    pub fn kind(&self) -> AppKind {
        match self.odata_type.as_deref() {
            Some("#microsoft.graph.windowsMobileMSI") => AppKind::LobMsi,
            Some("#microsoft.graph.win32LobApp" | "#microsoft.graph.win32CatalogApp") => {
                AppKind::Win32
            }
            Some(_) => AppKind::Other,
            None => AppKind::Unknown,
        }
    }
}
