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
    /// Devices are still managed by the retired legacy Intune PC agent.
    ///
    /// ## What it checks
    /// Intune managed devices whose management agent is the legacy Intune PC agent
    /// (`managementAgent` `intuneClient` or `easIntuneClient`). The PC agent is retired: devices
    /// must be moved to Windows MDM enrollment. It fails and lists them when there are any.
    ///
    /// ## Why enrollment fails
    /// Outdated PC client software on the device makes installing or renewing it fail with *"The
    /// software cannot be installed" (0x80CF4017)* or *"The account certificate is not valid and
    /// may be expired"*, and the agent stands in the way of enrolling the PC in MDM.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > All devices and filter on Managed by: Intune PC agent (or use the device names in the finding).
    /// 2. On each device, uninstall the Microsoft Intune Center / Intune PC client software from Apps > Installed apps, then restart.
    /// 3. Retire the device's old record in Devices > All devices so it does not linger or count against the user's limit.
    /// 4. Enroll the PC in MDM: Settings > Accounts > Access work or school > Connect, or let automatic enrollment (MDM user scope) or Autopilot do it.
    pub META = CheckMeta {
        id: "legacy-pc-agent-devices",
        since: "0.1.0",
        preview: false,
        title: "Devices still on the legacy Intune PC agent",
        severity: Severity::Medium,
        area: Area::LegacyAgents,
        error_codes: &["0x80CF4017"],
        article_sections: &[
            "the-software-cannot-be-installed",
            "the-account-certificate-is-not-valid-and-may-be-expired",
        ],
        resources: &[Resource::ManagedDevices],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS.at("The software cannot be installed.")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let devices = t.managed_devices.get()?;
    let legacy: Vec<_> = devices
        .iter()
        .filter(|d| agent(d) == Agent::LegacyPcAgent)
        .collect();
    let evidence = json!({
        "managed_devices": devices.len(),
        "legacy_agent_devices": legacy.iter().map(|d| json!({
            "id": d.id, "name": d.name(), "managementAgent": d.agent(),
            "userPrincipalName": d.user_principal_name, "osVersion": d.os_version,
        })).collect::<Vec<_>>(),
    });
    let all: Vec<&crate::model::ManagedDevice> = devices.iter().collect();
    let unknown = crate::devices::unknown_agent(&all);
    if legacy.is_empty() && unknown.is_empty() {
        return Ok(Outcome::pass(format!(
            "None of the {} uses the legacy Intune PC agent",
            crate::report::count(devices.len(), "managed device")
        ))
        .with_evidence(evidence));
    }
    if legacy.is_empty() {
        return Ok(Outcome::warn(format!(
            "The management agent of {} of {} cannot be read: they may still run the legacy Intune PC agent",
            unknown.len(),
            crate::report::count(devices.len(), "managed device")
        ))
        .with_affected(unknown)
        .with_evidence(evidence));
    }
    let names: Vec<&str> = legacy.iter().take(5).map(|d| d.name()).collect();
    Ok(Outcome::fail(format!(
        "The legacy Intune PC agent still manages {} ({}{}): its outdated client fails with 0x80CF4017 and must be replaced by MDM enrollment",
        crate::report::count(legacy.len(), "device"),
        names.join(", "),
        if legacy.len() > names.len() { ", …" } else { "" }
    ))
    .with_affected(
        legacy
            .iter()
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

    const ID: &str = "legacy-pc-agent-devices";

    #[test]
    fn fails_listing_pc_agent_devices() {
        let f = Fixture::new()
            .with(
                Resource::ManagedDevices,
                vec![
                    managed_device("d1", "u1", "Windows", "intuneClient", "unknown"),
                    managed_device("d2", "u1", "Windows", "easIntuneClient", "unknown"),
                    managed_device("d3", "u2", "Windows", "mdm", "windowsAzureADJoin"),
                    managed_device(
                        "d4",
                        "u2",
                        "Windows",
                        "configurationManagerClient",
                        "unknown",
                    ),
                ],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["d1", "d2"]);
    }

    #[test]
    fn passes_without_pc_agent_devices() {
        let f = Fixture::new()
            .with(
                Resource::ManagedDevices,
                vec![managed_device(
                    "d3",
                    "u2",
                    "Windows",
                    "mdm",
                    "windowsAzureADJoin",
                )],
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
