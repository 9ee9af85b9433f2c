use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::devices::{agent, Agent};
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// Windows devices are managed by the Configuration Manager client alone (tenant attach), without co-management.
    ///
    /// ## What it checks
    /// Windows managed devices whose management agent is the Configuration Manager client without
    /// MDM (`managementAgent` `configurationManagerClient`: the device is tenant-attached, not
    /// co-managed). Co-managed devices (`configurationManagerClientMdm`) are enrolled in Intune and
    /// are not listed. It warns and lists the devices when there are any.
    ///
    /// ## Why enrollment fails
    /// Enrolling such a PC in Intune by hand (Access work or school, Company Portal) while the
    /// ConfigMgr client manages it fails with *"The device is already enrolled" (8018000a)*.
    ///
    /// ## Remediation
    /// 1. Decide how each device named in the finding should be managed.
    /// 2. To manage it with both: enable co-management in the Configuration Manager console (Administration > Cloud Services > Cloud Attach), so that the ConfigMgr client enrolls the device in Intune itself; do not enroll it by hand.
    /// 3. To manage it with Intune only: uninstall the ConfigMgr client on the device (ccmsetup.exe /uninstall), restart, then enroll it through Settings > Accounts > Access work or school or automatic enrollment.
    ///
    /// ## Known limitations
    /// Devices with the ConfigMgr client that are not tenant-attached do not appear in Intune and
    /// cannot be seen by this check.
    pub META = CheckMeta {
        id: "configmgr-client-devices",
        since: "0.1.0",
        preview: false,
        title: "Windows devices managed by the ConfigMgr client without co-management",
        severity: Severity::Medium,
        area: Area::LegacyAgents,
        error_codes: &["0x8018000A"],
        article_sections: &["the-device-is-already-enrolled"],
        resources: &[Resource::ManagedDevices],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS.at("Error 8018000a: The device is already enrolled.")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let devices = t.managed_devices.get()?;
    let windows = devices.iter().filter(|d| d.is_windows());
    let ccm: Vec<_> = windows
        .clone()
        .filter(|d| agent(d) == Agent::ConfigMgrOnly)
        .collect();
    let co_managed = windows.filter(|d| agent(d) == Agent::CoManaged).count();
    let evidence = json!({
        "windows_devices": devices.iter().filter(|d| d.is_windows()).count(),
        "co_managed_devices": co_managed,
        "configmgr_only_devices": ccm.iter().map(|d| json!({
            "id": d.id, "name": d.name(), "managementAgent": d.agent(),
            "userPrincipalName": d.user_principal_name,
        })).collect::<Vec<_>>(),
    });
    let windows_all: Vec<&crate::model::ManagedDevice> =
        devices.iter().filter(|d| d.is_windows()).collect();
    let unknown = crate::devices::unknown_agent(&windows_all);
    if ccm.is_empty() && !unknown.is_empty() {
        return Ok(Outcome::warn(format!(
            "The management agent of {} cannot be read: they may be managed by the ConfigMgr client alone",
            crate::report::count(unknown.len(), "Windows device")
        ))
        .with_affected(unknown)
        .with_evidence(evidence));
    }
    if ccm.is_empty() {
        return Ok(Outcome::pass(format!(
            "No Windows device is managed by the ConfigMgr client alone ({} enrolled in Intune)",
            crate::report::count(co_managed, "co-managed device")
        ))
        .with_evidence(evidence));
    }
    let names: Vec<&str> = ccm.iter().take(5).map(|d| d.name()).collect();
    Ok(Outcome::warn(format!(
        "The ConfigMgr client manages {} without co-management ({}{}): enrolling them in Intune separately fails with 8018000a; enable co-management or remove the ConfigMgr client",
        crate::report::count(ccm.len(), "Windows device"),
        names.join(", "),
        if ccm.len() > names.len() { ", …" } else { "" }
    ))
    .with_affected(
        ccm.iter()
            .map(|d| Affected::new(AffectedKind::Device, &d.id, d.name()))
            .collect(),
    )
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "configmgr-client-devices";

    #[test]
    fn warns_for_configmgr_only_windows_devices() {
        let f = Fixture::new()
            .with(
                Resource::ManagedDevices,
                vec![
                    managed_device(
                        "d1",
                        "u1",
                        "Windows",
                        "configurationManagerClient",
                        "unknown",
                    ),
                    managed_device(
                        "d2",
                        "u1",
                        "Windows",
                        "configurationManagerClientMdm",
                        "windowsCoManagement",
                    ),
                    managed_device("d3", "u2", "macOS", "configurationManagerClient", "unknown"),
                    managed_device("d4", "u2", "Windows", "mdm", "windowsAzureADJoin"),
                ],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["d1"]);
        assert_eq!(f.evidence["co_managed_devices"], 1);
    }

    #[test]
    fn passes_when_only_co_managed_or_mdm() {
        let f = Fixture::new()
            .with(
                Resource::ManagedDevices,
                vec![
                    managed_device(
                        "d2",
                        "u1",
                        "Windows",
                        "configurationManagerClientMdm",
                        "windowsCoManagement",
                    ),
                    managed_device("d4", "u2", "Windows", "mdm", "windowsAzureADJoin"),
                ],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(f.affected.is_empty());
    }

    #[test]
    fn not_evaluated_without_managed_devices() {
        let f = Fixture::new().forbidden(Resource::ManagedDevices).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementManagedDevices.Read.All"]);
    }
}
