//! Who can enroll: the users a readiness verdict is about.

use crate::model::{PolicyScope, User};
use crate::tenant::{NotEvaluated, Tenant};
use serde_json::{json, Value};

/// The users whose enrollment a check judges, and how they were chosen (for the evidence).
pub struct Population<'a> {
    pub users: Vec<&'a User>,
    pub basis: &'static str,
}

impl Population<'_> {
    pub fn evidence(&self) -> Value {
        json!({"basis": self.basis, "users": self.users.len()})
    }
}

/// Enabled member accounts, without provisioning-package accounts; narrowed to the Intune MDM
/// user scope when the scope was collected and is "Some" (selected groups).
pub fn enrolling_users(t: &Tenant) -> Result<Population<'_>, NotEvaluated> {
    let users = t.users.get()?;
    let candidates = users
        .iter()
        .filter(|u| u.is_enabled() && !u.is_guest() && !u.is_provisioning_package_account());
    let scope = t.intune_mdm_policy().ok().flatten();
    match scope.and_then(|p| p.applies_to.as_ref()) {
        Some(PolicyScope::Selected) => {
            let dir = t.group_members.get()?;
            let groups: Vec<&str> = scope
                .and_then(|p| p.included_groups.as_ref())
                .map(|g| g.iter().map(|g| g.id.as_str()).collect())
                .ok_or_else(|| {
                    NotEvaluated::new(
                        "the MDM user scope is Some, but its groups (includedGroups) were not collected: who can enroll is unknown",
                    )
                })?;
            if let Some(g) = groups.iter().find(|g| !dir.knows(g)) {
                return Err(NotEvaluated {
                    reason: format!(
                        "the members of MDM user scope group {} were not collected: who can enroll is unknown",
                        dir.group_name(g)
                    ),
                    permissions: vec![crate::snapshot::Resource::GroupMembers.permission().to_string()],
                });
            }
            Ok(Population {
                users: candidates
                    .filter(|u| groups.iter().any(|g| dir.contains(g, &u.id) == Some(true)))
                    .collect(),
                basis: "enabled member users in the MDM user scope's groups",
            })
        }
        _ => Ok(Population {
            users: candidates.collect(),
            basis: "enabled member users",
        }),
    }
}
