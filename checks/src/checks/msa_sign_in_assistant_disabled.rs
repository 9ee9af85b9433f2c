use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::DeviceConfiguration;
use crate::profiles::{autopilot_devices_reached, Objection, Reached};
use crate::references::AUTOPILOT_FAQ;
use crate::report::{count, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// A device restriction disables the Microsoft Account Sign-In Assistant on Autopilot devices.
    ///
    /// ## What it checks
    /// The Windows device restriction profiles (`deviceConfigurations` of type
    /// `windows10GeneralConfiguration`) whose *Microsoft Account sign-in assistant* setting
    /// (`microsoftAccountSignInAssistantSettings`) is *disabled*, and for every Autopilot
    /// device whether their assignments reach it through its Microsoft Entra device object
    /// (groups with nested groups, All devices, exclusions). A device reached without an
    /// assignment filter fails. A filtered assignment, a group whose members were not
    /// collected, an assignment target not understood, a device without a readable Entra object,
    /// an assignment to All users (it follows the users to their PCs), or a setting value not
    /// understood leaves the device at risk. It is not applicable when no Autopilot device is
    /// registered.
    ///
    /// ## Why enrollment fails
    /// Setting the Microsoft Account sign-in assistant to *Disabled* turns off the wlidsvc
    /// service, which Windows Autopilot needs: the Autopilot profile is not downloaded, so a
    /// device reset or redeployed with this policy runs the standard Windows setup instead of
    /// its Autopilot deployment (Windows Autopilot troubleshooting FAQ, known policies that
    /// conflict with Windows Autopilot).
    ///
    /// ## Remediation
    /// 1. In the Intune admin center, open Devices > Configuration and the profile named in the finding.
    /// 2. Under Configuration settings > Cloud and Storage, set Microsoft Account sign-in assistant to Not configured, then Save.
    /// 3. Or exclude the Autopilot device groups from the profile's assignments.
    ///
    /// ## Known limitations
    /// Only device restriction profiles are read: the same setting in a settings catalog
    /// policy is not. Assignments to user groups other than All users are not followed to the
    /// users' devices.
    pub META = CheckMeta {
        id: "msa-sign-in-assistant-disabled",
        since: "0.2.0",
        preview: false,
        title: "Microsoft Account Sign-In Assistant disabled on Autopilot devices",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
        resources: &[
            Resource::DeviceConfigurations,
            Resource::WindowsAutopilotDeviceIdentities,
            Resource::Devices,
            Resource::GroupMembers,
        ],
        in_article: false,
        references: &[AUTOPILOT_FAQ.at(
            "What are some of the known policies that conflict with Windows Autopilot?",
        )],
    };
}

/// The restrictions that disable the assistant, and those whose value is absent or not
/// understood (`false`): Graph returns every property of a `windows10GeneralConfiguration`.
fn disabling(configs: &[DeviceConfiguration]) -> Vec<(&DeviceConfiguration, bool)> {
    configs
        .iter()
        .filter(|c| c.is_windows10_general())
        .filter_map(
            |c| match c.microsoft_account_sign_in_assistant_settings.as_deref() {
                Some("notConfigured") => None,
                Some("disabled") => Some((c, true)),
                Some(_) | None => Some((c, false)),
            },
        )
        .collect()
}

/// Why a restriction whose setting is not understood only may disable the assistant.
fn doubt(c: &DeviceConfiguration) -> String {
    match c.microsoft_account_sign_in_assistant_settings.as_deref() {
        Some(v) => format!("setting value '{v}' is not understood"),
        None => "the setting was not reported".into(),
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let configs = t.device_configurations.get()?;
    let autopilot = t.autopilot_devices.get()?;
    if autopilot.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot device is registered in the tenant",
        ));
    }
    let found = disabling(configs);
    let objections: Vec<Objection> = found
        .iter()
        .map(|&(c, disabled)| Objection {
            profile: c,
            doubt: (!disabled).then(|| doubt(c)),
        })
        .collect();
    let Reached { tally, hits } = autopilot_devices_reached(t, autopilot, &objections)?;
    let evidence = json!({
        "device_configurations": configs.len(),
        "disabling_configurations": found.iter().map(|(c, disabled)| json!({
            "id": c.id, "name": c.name(), "value": c.microsoft_account_sign_in_assistant_settings,
            "understood": disabled,
            "autopilot_devices_reached": hits.get(c.id.as_str()).map_or(0, |h| h.1),
        })).collect::<Vec<_>>(),
        "autopilot_devices": autopilot.len(),
        "devices_undetermined": tally.undetermined_evidence(),
    });
    let names: Vec<String> = hits.values().map(|(n, _)| format!("'{n}'")).collect();
    let disabling_count = found.len();
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "{} disables the Microsoft Account Sign-In Assistant (wlidsvc) on {} of {} ({}): the Autopilot profile cannot be downloaded",
                names.join(", "),
                t.failed.len(),
                count(t.total(), "Autopilot device"),
                t.failed_names(5)
            )
        },
        |t| {
            format!(
                "{} may disable the Microsoft Account Sign-In Assistant on Autopilot devices: {}",
                count(disabling_count, "device restriction"),
                t.at_risk_clause("Autopilot device")
            )
        },
        |t| {
            if disabling_count == 0 {
                format!(
                    "No Windows device restriction disables the Microsoft Account Sign-In Assistant ({} read)",
                    count(configs.len(), "device configuration")
                )
            } else {
                format!(
                    "{} disables the Microsoft Account Sign-In Assistant, but reaches none of the {}",
                    count(disabling_count, "device restriction"),
                    count(t.total(), "Autopilot device")
                )
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::{json, Value};

    const ID: &str = "msa-sign-in-assistant-disabled";

    /// A `windows10GeneralConfiguration` (v1.0 resource page), trimmed to what matters here.
    fn restriction_profile(value: &str, assignments: Vec<Value>) -> Value {
        json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "id": "cfg1",
            "displayName": "Windows - device restrictions", "version": 3,
            "lastModifiedDateTime": "2026-02-01T10:00:00Z", "createdDateTime": "2025-06-01T10:00:00Z",
            "microsoftAccountBlocked": false, "microsoftAccountBlockSettingsSync": false,
            "microsoftAccountSignInAssistantSettings": value, "assignments": assignments})
    }

    fn base(configs: Vec<Value>) -> Fixture {
        autopilot_pair_with_configurations(configs)
    }

    #[test]
    fn fails_for_the_autopilot_devices_a_disabling_profile_reaches() {
        let f = base(vec![restriction_profile(
            "disabled",
            vec![group_target("g-ap")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["ap1"]);
        let f = base(vec![restriction_profile(
            "disabled",
            vec![all_devices_target()],
        )])
        .run(ID);
        assert_eq!(affected_ids(&f), ["ap1", "ap2"]);
    }

    #[test]
    fn passes_when_not_configured_or_not_reaching_autopilot_devices() {
        let f = base(vec![restriction_profile(
            "notConfigured",
            vec![all_devices_target()],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        let f = base(vec![restriction_profile(
            "disabled",
            vec![all_devices_target(), exclusion_target("g-ap")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["ap2"]);
        let f = base(vec![restriction_profile("disabled", vec![])]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn uncertainty_is_at_risk_never_pass() {
        let f = base(vec![restriction_profile(
            "disabled",
            vec![filtered_group_target("g-ap", "flt")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        let f = base(vec![restriction_profile(
            "disabled",
            vec![group_target("g-unknown")],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        let f = base(vec![restriction_profile(
            "disabled",
            vec![all_users_target()],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        let f = base(vec![restriction_profile(
            "unknownFutureValue",
            vec![all_devices_target()],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        let mut c = restriction_profile("disabled", vec![all_devices_target()]);
        c.as_object_mut()
            .map(|m| m.remove("microsoftAccountSignInAssistantSettings"));
        assert_eq!(base(vec![c]).run(ID).status, FindingStatus::Warn);
        let mut c = restriction_profile("disabled", vec![]);
        c.as_object_mut().map(|m| m.remove("assignments"));
        assert_eq!(base(vec![c]).run(ID).status, FindingStatus::Warn);
    }

    #[test]
    fn an_unsettled_profile_beside_a_sure_one_keeps_the_failure() {
        let mut maybe = restriction_profile("disabled", vec![filtered_group_target("g-ap", "flt")]);
        maybe["id"] = json!("cfg2");
        let f = base(vec![
            restriction_profile("disabled", vec![group_target("g-ap")]),
            maybe,
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
    }

    #[test]
    fn not_evaluated_without_device_configurations() {
        let f = base(vec![])
            .forbidden(Resource::DeviceConfigurations)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementConfiguration.Read.All"]);
    }
}
