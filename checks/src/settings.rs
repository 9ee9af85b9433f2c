//! Knobs a configuration file can set for the checks. Defaults are the documented product
//! behaviour; the binary fills this from `intune-audit.toml`.

use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Warn when a user is within this many devices of the Intune enrollment limit.
    pub device_limit_margin: i64,
    /// Warn when a user is within this many devices of the Entra per-user device quota.
    pub device_quota_margin: i64,
    /// A domain join connector that has not connected for this many days is not healthy.
    pub connector_stale_days: i64,
    /// Checks switched off by configuration.
    pub disabled: BTreeSet<String>,
    /// When set, the Intune MDM user scope must be exactly these group ids (or `all`).
    pub expected_mdm_scope_groups: Option<BTreeSet<String>>,
    /// When set, Autopilot device name templates must match this pattern: a literal prefix
    /// that every template must start with.
    pub naming_prefix: Option<String>,
    /// Run preview checks too.
    pub preview: bool,
    /// The failure history window: events older than this many days before the snapshot was
    /// collected are not joined.
    pub history_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            device_limit_margin: 1,
            device_quota_margin: 1,
            connector_stale_days: 30,
            disabled: BTreeSet::new(),
            expected_mdm_scope_groups: None,
            naming_prefix: None,
            preview: false,
            history_days: 30,
        }
    }
}

impl Settings {
    pub fn is_enabled(&self, check_id: &str) -> bool {
        !self.disabled.contains(check_id)
    }

    /// Whether a check runs: enabled, and stable or previews asked for.
    pub fn runs(&self, check_id: &str, preview: bool) -> bool {
        self.is_enabled(check_id) && (!preview || self.preview)
    }
}
