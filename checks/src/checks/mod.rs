//! The registry: one line per check. Adding a check = a new file beside these (copy a
//! neighbour) + its name in the list below. The macro declares the module and registers its
//! `META`, `evaluate` and source (for the doc comment).

macro_rules! registry {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// Every tenant-side check, in report order.
        pub static REGISTRY: &[crate::catalog::Check] = &[
            $(crate::catalog::Check {
                meta: &$module::META,
                evaluate: $module::evaluate,
                source: include_str!(concat!(stringify!($module), ".rs")),
            },)*
        ];
        /// The module names, for the registry completeness test.
        #[cfg(test)]
        pub const MODULES: &[&str] = &[$(stringify!($module)),*];
    };
}

registry! {
    // Prerequisites and licensing
    mdm_authority_not_intune,
    users_without_intune_license,
    intune_seats_exhausted,
    // MDM / MAM user scope and terms of use
    mdm_user_scope_none,
    mdm_scope_users_without_entra_p1,
    mdm_terms_of_use_url_invalid,
    mam_user_scope_not_none,
    upn_suffix_not_verified,
    // Entra device settings
    entra_join_not_allowed,
    bulk_enrollment_accounts_cannot_join,
    entra_device_quota_reached,
    // Enrollment restrictions
    windows_mdm_platform_blocked,
    windows_blocked_for_userless_enrollment,
    windows_personal_enrollment_blocked,
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
}
