use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::devices::{agent, Agent};
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// Automatic MDM enrollment is on for users of PCs still managed by the legacy Intune PC agent or the ConfigMgr client alone.
    ///
    /// ## What it checks
    /// The Intune MDM user scope (Entra ID > Mobility (MDM and MAM) > Microsoft Intune). When it is
    /// *All* or *Some*, the check lists Windows managed devices whose management agent is the
    /// legacy Intune PC agent (`intuneClient`, `easIntuneClient`) or the Configuration Manager
    /// client without MDM (`configurationManagerClient`; co-managed devices,
    /// `configurationManagerClientMdm`, are fine) and whose primary user is in the MDM user scope
    /// (with *Some*: a transitive member of one of its groups). Devices whose scope membership
    /// cannot be settled (no primary user, group members not collected) are counted as
    /// undetermined.
    ///
    /// ## Why enrollment fails
    /// With automatic enrollment on, Windows tries to enroll these PCs in MDM when the user joins
    /// or signs in, and enrollment fails with *"Something went wrong" (80180026)* because the PC
    /// agent or the ConfigMgr client already manages the device.
    ///
    /// ## Remediation
    /// 1. For PCs on the legacy Intune PC agent: uninstall the agent (Intune PC client software) from each device named in the finding, then let automatic enrollment or the user enroll it in MDM.
    /// 2. For PCs on the ConfigMgr client: either enable co-management in Configuration Manager (Administration > Cloud Services > Cloud Attach) so that the client enrolls the device in Intune, or uninstall the ConfigMgr client (ccmsetup.exe /uninstall) before enrolling.
    /// 3. If these PCs must stay as they are for now, open Entra ID > Mobility (MDM and MAM) > Microsoft Intune in the Entra admin center and narrow the MDM user scope to Some, with a group that does not contain their users, then Save.
    ///
    /// ## Known limitations
    /// The device's primary user stands for the user who signs in; a PC used by several people is
    /// judged by its primary user only.
    pub META = CheckMeta {
        id: "auto-enrollment-with-legacy-agents",
        since: "0.1.0",
        preview: false,
        title: "Automatic MDM enrollment targets PCs on the legacy PC agent or ConfigMgr client",
        severity: Severity::High,
        area: Area::LegacyAgents,
        error_codes: &["0x80180026"],
        article_sections: &["something-went-wrong"],
        resources: &[
            Resource::MobileDeviceManagementPolicies,
            Resource::ManagedDevices,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS.at("Something went wrong.")],
    };
}

fn agent_label(a: Agent) -> &'static str {
    match a {
        Agent::LegacyPcAgent => "legacy Intune PC agent",
        _ => "ConfigMgr client without MDM",
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let policy = t.intune_mdm_policy()?;
    let scope = policy.and_then(|p| p.applies_to.as_ref().map(|a| a.as_str()));
    let Some(policy) = policy.filter(|_| matches!(scope, Some("all" | "selected"))) else {
        return match scope {
            None if policy.is_some() => Err(NotEvaluated::new(
                "the Intune MDM user scope (appliesTo) was not collected",
            )),
            None | Some("none") => Ok(Outcome::not_applicable(format!(
                "Automatic MDM enrollment is off: the Intune MDM user scope is {}",
                if policy.is_none() { "not configured" } else { "None" }
            ))
            .with_evidence(json!({"mdm_user_scope": scope}))),
            Some(other) => Err(NotEvaluated::new(format!(
                "the Intune MDM user scope has the value '{other}', which this version does not understand"
            ))),
        };
    };
    let devices = t.managed_devices.get()?;
    let candidates: Vec<_> = devices
        .iter()
        .filter(|d| {
            d.is_windows()
                && matches!(
                    agent(d),
                    Agent::LegacyPcAgent | Agent::ConfigMgrOnly | Agent::Unknown
                )
        })
        .collect();

    let selected = scope == Some("selected");
    let groups: Vec<&str> = if selected {
        policy
            .included_groups
            .as_ref()
            .ok_or_else(|| {
                NotEvaluated::new(
                    "the groups of the Intune MDM user scope (includedGroups) were not collected",
                )
            })?
            .iter()
            .map(|g| g.id.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let dir = if selected && !candidates.is_empty() {
        Some(t.group_members.get()?)
    } else {
        None
    };

    let mut in_scope = Vec::new();
    let mut undetermined = Vec::new();
    for d in candidates.iter().copied() {
        let user = d.user_id.as_deref().filter(|u| !u.is_empty());
        let member = match (selected, user, dir) {
            (false, _, _) => Some(true),
            (true, None, _) | (true, _, None) => None,
            (true, Some(u), Some(dir)) => {
                let answers: Vec<Option<bool>> =
                    groups.iter().map(|g| dir.contains(g, u)).collect();
                if answers.contains(&Some(true)) {
                    Some(true)
                } else if answers.contains(&None) {
                    None
                } else {
                    Some(false)
                }
            }
        };
        match member {
            Some(true) => in_scope.push(d),
            Some(false) => {}
            None => undetermined.push(d),
        }
    }

    let mut by_agent: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &in_scope {
        *by_agent.entry(d.agent()).or_default() += 1;
    }
    let device_json = |ds: &[&crate::model::ManagedDevice]| {
        ds.iter()
            .map(|d| json!({"id": d.id, "name": d.name(), "managementAgent": d.agent(), "userPrincipalName": d.user_principal_name}))
            .collect::<Vec<_>>()
    };
    let evidence = json!({
        "mdm_user_scope": scope,
        "mdm_scope_groups": groups,
        "windows_devices_on_legacy_agents": candidates.len(),
        "in_scope_by_agent": by_agent,
        "devices_in_scope": device_json(&in_scope),
        "devices_undetermined": device_json(&undetermined),
    });
    let scope_text = if selected {
        "Some (selected groups)"
    } else {
        "All"
    };
    let to_affected = |ds: &[&crate::model::ManagedDevice]| -> Vec<Affected> {
        ds.iter()
            .map(|d| Affected::new(AffectedKind::Device, &d.id, d.name()))
            .collect()
    };
    if !in_scope.is_empty() {
        let agents: Vec<String> = by_agent
            .iter()
            .map(|(a, n)| format!("{n} on {a}"))
            .collect();
        return Ok(Outcome::fail(format!(
            "The Intune MDM user scope is {scope_text} and users in it have {} on a legacy agent ({}): automatic enrollment fails with 80180026{}",
            crate::report::count(in_scope.len(), "Windows PC"),
            agents.join(", "),
            if undetermined.is_empty() { String::new() } else { format!("; {} more could not be placed in or out of scope", undetermined.len()) }
        ))
        .with_affected(to_affected(&in_scope))
        .with_evidence(evidence));
    }
    if !undetermined.is_empty() {
        let mut labels: Vec<&str> = undetermined.iter().map(|d| agent_label(agent(d))).collect();
        labels.sort_unstable();
        labels.dedup();
        return Ok(Outcome::warn(format!(
            "The Intune MDM user scope is {scope_text}; {} on a legacy agent ({}) may be in scope, but their users' membership could not be settled",
            crate::report::count(undetermined.len(), "Windows PC"),
            labels.join(", ")
        ))
        .with_affected(to_affected(&undetermined))
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "The Intune MDM user scope is {scope_text} and no Windows PC of a user in it runs the legacy Intune PC agent or the ConfigMgr client without MDM ({} out of scope)",
        crate::report::count(candidates.len(), "such PC")
    ))
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    const ID: &str = "auto-enrollment-with-legacy-agents";

    fn devices() -> Vec<Value> {
        vec![
            managed_device("pc-agent", "u1", "Windows", "intuneClient", "unknown"),
            managed_device("pc-eas", "u2", "Windows", "easIntuneClient", "unknown"),
            managed_device(
                "pc-ccm",
                "u2",
                "Windows",
                "configurationManagerClient",
                "unknown",
            ),
            managed_device(
                "pc-comgmt",
                "u1",
                "Windows",
                "configurationManagerClientMdm",
                "windowsCoManagement",
            ),
            managed_device("pc-mdm", "u1", "Windows", "mdm", "windowsAzureADJoin"),
            managed_device(
                "mac-ccm",
                "u1",
                "macOS",
                "configurationManagerClient",
                "unknown",
            ),
        ]
    }

    fn base(policy: Value) -> Fixture {
        Fixture::new()
            .with(Resource::MobileDeviceManagementPolicies, vec![policy])
            .with(Resource::ManagedDevices, devices())
            .with(
                Resource::GroupMembers,
                vec![group("g-mdm", "MDM users", &[("user", "u2")])],
            )
    }

    #[test]
    fn fails_for_all_legacy_windows_pcs_when_scope_is_all() {
        let f = base(mdm_policy("all", &[], DEFAULT_TERMS_OF_USE)).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["pc-agent", "pc-ccm", "pc-eas"]);
        assert_eq!(f.evidence["in_scope_by_agent"]["intuneClient"], 1);
    }

    #[test]
    fn fails_only_for_users_in_the_selected_groups() {
        let f = base(mdm_policy("selected", &["g-mdm"], DEFAULT_TERMS_OF_USE)).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["pc-ccm", "pc-eas"]);
    }

    #[test]
    fn passes_when_no_legacy_pc_is_in_scope() {
        let f = base(mdm_policy("selected", &["g-other"], DEFAULT_TERMS_OF_USE))
            .with(
                Resource::GroupMembers,
                vec![group("g-other", "Pilot", &[("user", "u9")])],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(f.affected.is_empty());
    }

    #[test]
    fn warns_when_scope_membership_cannot_be_settled() {
        let f = base(mdm_policy(
            "selected",
            &["g-uncollected"],
            DEFAULT_TERMS_OF_USE,
        ))
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["pc-agent", "pc-ccm", "pc-eas"]);
    }

    #[test]
    fn not_applicable_when_scope_is_none_or_absent() {
        let f = base(mdm_policy("none", &[], DEFAULT_TERMS_OF_USE)).run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
        let f = Fixture::new()
            .with(Resource::MobileDeviceManagementPolicies, vec![])
            .with(Resource::ManagedDevices, devices())
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_the_scope_or_devices() {
        let f = base(mdm_policy("all", &[], DEFAULT_TERMS_OF_USE))
            .forbidden(Resource::MobileDeviceManagementPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Policy.Read.All (delegated only)"]);
        let f = base(mdm_policy("all", &[], DEFAULT_TERMS_OF_USE))
            .forbidden(Resource::ManagedDevices)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
    }
}
