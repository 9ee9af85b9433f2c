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
    windows_mdm_platform_blocked,
    autopilot_device_name_template_invalid,
    autopilot_profile_conflict,
    self_deploying_profile_on_virtual_machine,
    hybrid_profile_with_assigned_user,
    hybrid_join_connector_unhealthy,
    autopilot_redeploy_stale_intune_record,
    autopilot_devices_without_profile,
}
