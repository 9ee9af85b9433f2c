//! The registry. Adding a check = a new file beside these (copy a neighbour), its `pub mod`
//! line and its name in the list below (the registry test fails when one is missing). The
//! modules are declared outside the macro so that `cargo fmt` formats them.

macro_rules! registry {
    ($($module:ident),* $(,)?) => {
        /// Every tenant-side check, in report order.
        pub static REGISTRY: &[crate::catalog::Check] = &[
            $(crate::catalog::Check {
                meta: &$module::META,
                evaluate: $module::evaluate,
            },)*
        ];
        /// The module names, for the registry completeness test.
        #[cfg(test)]
        pub const MODULES: &[&str] = &[$(stringify!($module)),*];
    };
}

pub mod applocker_csp_during_esp;
pub mod auto_enrollment_with_legacy_agents;
pub mod autopilot_device_name_template_invalid;
pub mod autopilot_device_needs_remediation;
pub mod autopilot_device_registered_not_joined;
pub mod autopilot_devices_without_profile;
pub mod autopilot_entra_object_missing;
pub mod autopilot_import_failed;
pub mod autopilot_profile_assignment_failed;
pub mod autopilot_profile_conflict;
pub mod autopilot_redeploy_stale_intune_record;
pub mod bulk_enrollment_accounts_cannot_join;
pub mod ca_blocks_intune_enrollment;
pub mod configmgr_client_devices;
pub mod device_prep_account_type_conflict;
pub mod device_prep_users_cannot_enroll;
pub mod enrollment_limit_reached;
pub mod entra_device_quota_reached;
pub mod entra_join_not_allowed;
pub mod esp_blocking_apps_user_targeted;
pub mod esp_mixes_lob_and_win32;
pub mod hybrid_join_connector_unhealthy;
pub mod hybrid_profile_with_assigned_user;
pub mod intune_provisioning_client_missing;
pub mod intune_seats_exhausted;
pub mod legacy_pc_agent_devices;
pub mod mam_and_mdm_user_scope_overlap;
pub mod mdm_authority_not_intune;
pub mod mdm_discovery_url_invalid;
pub mod mdm_scope_users_without_entra_p1;
pub mod mdm_terms_of_use_url_invalid;
pub mod mdm_user_scope_none;
pub mod msa_sign_in_assistant_disabled;
pub mod multiple_mdm_applications_in_scope;
pub mod self_deploying_profile_on_virtual_machine;
pub mod upn_suffix_not_verified;
pub mod users_without_intune_license;
pub mod windows_blocked_for_userless_enrollment;
pub mod windows_corporate_identifiers_block_join;
pub mod windows_mdm_platform_blocked;
pub mod windows_os_version_bounds_exclude_current;
pub mod windows_personal_enrollment_blocked;

registry! {
    // Prerequisites and licensing
    mdm_authority_not_intune,
    users_without_intune_license,
    intune_seats_exhausted,
    // MDM / MAM user scope and terms of use
    mdm_user_scope_none,
    mdm_scope_users_without_entra_p1,
    mdm_terms_of_use_url_invalid,
    mdm_discovery_url_invalid,
    multiple_mdm_applications_in_scope,
    mam_and_mdm_user_scope_overlap,
    upn_suffix_not_verified,
    // Entra device settings
    entra_join_not_allowed,
    bulk_enrollment_accounts_cannot_join,
    entra_device_quota_reached,
    ca_blocks_intune_enrollment,
    // Enrollment restrictions
    windows_mdm_platform_blocked,
    windows_blocked_for_userless_enrollment,
    windows_personal_enrollment_blocked,
    windows_corporate_identifiers_block_join,
    windows_os_version_bounds_exclude_current,
    enrollment_limit_reached,
    // Legacy agents
    auto_enrollment_with_legacy_agents,
    legacy_pc_agent_devices,
    configmgr_client_devices,
    // Autopilot
    autopilot_device_name_template_invalid,
    autopilot_profile_conflict,
    self_deploying_profile_on_virtual_machine,
    hybrid_profile_with_assigned_user,
    hybrid_join_connector_unhealthy,
    autopilot_redeploy_stale_intune_record,
    autopilot_devices_without_profile,
    autopilot_entra_object_missing,
    autopilot_device_needs_remediation,
    autopilot_profile_assignment_failed,
    autopilot_device_registered_not_joined,
    autopilot_import_failed,
    msa_sign_in_assistant_disabled,
    // Enrollment Status Page
    esp_mixes_lob_and_win32,
    esp_blocking_apps_user_targeted,
    applocker_csp_during_esp,
    // Autopilot device preparation
    intune_provisioning_client_missing,
    device_prep_account_type_conflict,
    device_prep_users_cannot_enroll,
}
