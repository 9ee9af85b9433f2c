use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{is_applocker_oma_uri, DeviceConfiguration};
use crate::profiles::{autopilot_devices_reached, Objection, Reached};
use crate::references::{APPLOCKER_CSP, AUTOPILOT_FAQ};
use crate::report::{count, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::Tally;
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// A custom profile delivers the AppLocker CSP to Autopilot devices during the Enrollment Status Page.
    ///
    /// ## What it checks
    /// The Windows custom profiles (`deviceConfigurations` of type
    /// `windows10CustomConfiguration`) with an OMA-URI setting (`omaSettings[].omaUri`) under
    /// the AppLocker configuration service provider (`./Vendor/MSFT/AppLocker/` or
    /// `./Device/Vendor/MSFT/AppLocker/`, in any letter case), and for every Autopilot device
    /// whether their assignments reach it through its Microsoft Entra device object (groups
    /// with nested groups, All devices, exclusions). A device reached without an assignment
    /// filter fails. A filtered assignment, a group whose members were not collected, an
    /// assignment target not understood, a device without a readable Entra object, an
    /// assignment to All users (it follows the users to their PCs), a custom profile whose
    /// OMA-URI settings were not reported, or an OMA-URI setting without its URI leaves the
    /// device at risk. It is not applicable when no Autopilot device is registered.
    ///
    /// ## Why enrollment fails
    /// The Windows Autopilot troubleshooting FAQ lists the AppLocker CSP among the known
    /// policies that conflict with Windows Autopilot: *"The AppLocker configuration service
    /// provider (CSP) isn't supported in the Enrollment Status Page as it triggers a reboot
    /// when a policy is applied or a deletion occurs."* A device that restarts while the
    /// Enrollment Status Page applies its policies can fail the out-of-box experience or the
    /// automatic sign-in that follows.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center, open Devices > Configuration and the custom profile named in the finding.
    /// 2. Under Assignments, exclude the Autopilot device groups, or assign the profile to user groups so it applies after the Enrollment Status Page.
    /// 3. Or move the App Control for Business rules delivered through the AppLocker CSP's CodeIntegrity node to the ApplicationControl CSP, which does not schedule a reboot.
    ///
    /// ## Known limitations
    /// Only custom (OMA-URI) profiles are read: AppLocker policies in the settings catalog
    /// (`configurationPolicies`, collected only for the enrollment configuration family) are
    /// not. Whether the device's Enrollment Status Page tracks the profile, or is shown at all,
    /// is not judged: every Autopilot device the profile reaches is assumed to receive it during
    /// the page. Assignments to user groups other than All users are not followed to the
    /// users' devices.
    pub META = CheckMeta {
        id: "applocker-csp-during-esp",
        since: "0.2.0",
        preview: true,
        title: "AppLocker CSP delivered to Autopilot devices during the Enrollment Status Page",
        severity: Severity::Medium,
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
        references: &[
            AUTOPILOT_FAQ.at("What are some of the known policies that conflict with Windows Autopilot?"),
            APPLOCKER_CSP.at("ApplicationLaunchRestrictions"),
        ],
    };
}

/// What a configuration delivers: the AppLocker OMA-URIs it sets (`Ok`), or why that cannot
/// be told (`Err`). `None`: surely no AppLocker setting.
fn applocker_uris(c: &DeviceConfiguration) -> Option<Result<Vec<&str>, String>> {
    let custom = c.is_windows10_custom();
    if !custom && c.odata_type.is_some() {
        return None;
    }
    let Some(settings) = c.oma_settings.as_deref() else {
        return custom.then(|| Err("its OMA-URI settings were not reported".to_string()));
    };
    let uris: Vec<&str> = settings
        .iter()
        .filter_map(|s| s.oma_uri.as_deref())
        .filter(|u| is_applocker_oma_uri(u))
        .collect();
    match (custom, uris.is_empty()) {
        (true, false) => Some(Ok(uris)),
        (false, false) => Some(Err("its type was not reported".to_string())),
        (true, true) if settings.iter().any(|s| s.oma_uri.is_none()) => Some(Err(
            "an OMA-URI setting was reported without its URI".to_string(),
        )),
        _ => None,
    }
}

/// The custom profiles that (may) deliver the AppLocker CSP.
type Found<'c> = Vec<(&'c DeviceConfiguration, Result<Vec<&'c str>, String>)>;

fn applocker_profiles(configs: &[DeviceConfiguration]) -> Found<'_> {
    configs
        .iter()
        .filter_map(|c| applocker_uris(c).map(|u| (c, u)))
        .collect()
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
    let found = applocker_profiles(configs);
    let objections: Vec<Objection> = found
        .iter()
        .map(|(c, delivery)| Objection {
            profile: c,
            doubt: delivery.as_ref().err().cloned(),
        })
        .collect();
    let Reached { tally, hits } = autopilot_devices_reached(t, autopilot, &objections)?;
    let evidence = json!({
        "device_configurations": configs.len(),
        "applocker_profiles": found.iter().map(|(c, delivery)| json!({
            "id": c.id, "name": c.name(),
            "oma_uris": delivery.as_ref().ok(),
            "undetermined": delivery.as_ref().err(),
            "autopilot_devices_reached": hits.get(c.id.as_str()).map_or(0, |h| h.1),
        })).collect::<Vec<_>>(),
        "autopilot_devices": autopilot.len(),
        "devices_undetermined": tally.undetermined_evidence(),
    });
    Ok(outcome(tally, evidence, &hits, found.len(), configs.len()))
}

/// The finding's summaries.
fn outcome(
    tally: Tally,
    evidence: serde_json::Value,
    hits: &BTreeMap<&str, (&str, usize)>,
    profiles: usize,
    configs: usize,
) -> Outcome {
    let names: Vec<String> = hits.values().map(|(n, _)| format!("'{n}'")).collect();
    tally.outcome(
        evidence,
        |t| {
            format!(
                "The AppLocker CSP, set by {}, reaches {} of {} ({}): applying it triggers a restart during the Enrollment Status Page, which does not support it",
                names.join(", "),
                t.failed.len(),
                count(t.total(), "Autopilot device"),
                t.failed_names(5)
            )
        },
        |t| {
            format!(
                "The AppLocker CSP may reach Autopilot devices during the Enrollment Status Page through {}: {}",
                count(profiles, "custom profile"),
                t.at_risk_clause("Autopilot device")
            )
        },
        |t| {
            if profiles == 0 {
                format!(
                    "No custom profile sets an AppLocker CSP OMA-URI ({} read)",
                    count(configs, "device configuration")
                )
            } else {
                format!(
                    "The AppLocker CSP is set by {}, which reaches none of the {}",
                    count(profiles, "custom profile"),
                    count(t.total(), "Autopilot device")
                )
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::model::is_applocker_oma_uri as is_applocker_uri;
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::{json, Value};

    const ID: &str = "applocker-csp-during-esp";
    const EXE_POLICY: &str =
        "./Vendor/MSFT/AppLocker/ApplicationLaunchRestrictions/Contoso/EXE/Policy";

    /// A `windows10CustomConfiguration` with one `omaSettingString` (v1.0 resource pages
    /// `intune-deviceconfig-windows10customconfiguration.md`, `intune-deviceconfig-omasettingstring.md`).
    fn custom_profile(uri: &str, assignments: Vec<Value>) -> Value {
        json!({"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "id": "cfg1",
            "displayName": "Windows - AppLocker", "version": 1, "description": "",
            "lastModifiedDateTime": "2026-02-01T10:00:00Z", "createdDateTime": "2025-06-01T10:00:00Z",
            "omaSettings": [{"@odata.type": "#microsoft.graph.omaSettingString",
                "displayName": "EXE rules", "description": "", "omaUri": uri,
                "value": "<RuleCollection Type=\"Exe\" EnforcementMode=\"Enabled\" />"}],
            "assignments": assignments})
    }

    fn base(configs: Vec<Value>) -> Fixture {
        autopilot_pair_with_configurations(configs)
    }

    #[test]
    fn recognises_the_applocker_csp_paths_in_any_case() {
        assert!(is_applocker_uri(EXE_POLICY));
        assert!(is_applocker_uri(
            "./device/vendor/msft/applocker/EnterpriseDataProtection/Contoso/StoreApps/Policy"
        ));
        assert!(is_applocker_uri(
            " ./VENDOR/MSFT/APPLOCKER/CodeIntegrity/Policy"
        ));
        assert!(!is_applocker_uri(
            "./Vendor/MSFT/ApplicationControl/Policies"
        ));
        assert!(!is_applocker_uri("./Vendor/MSFT/AppLockerX/Policy"));
        assert!(!is_applocker_uri(
            "./Device/Vendor/MSFT/Policy/Config/Start/HideSleep"
        ));
    }

    #[test]
    fn fails_for_the_autopilot_devices_an_applocker_profile_reaches() {
        let f = base(vec![custom_profile(EXE_POLICY, vec![group_target("g-ap")])]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["ap1"]);
        let f = base(vec![custom_profile(
            "./Device/Vendor/MSFT/AppLocker/CodeIntegrity/Policy",
            vec![all_devices_target()],
        )])
        .run(ID);
        assert_eq!(affected_ids(&f), ["ap1", "ap2"]);
    }

    #[test]
    fn passes_without_applocker_uri_or_without_reaching_autopilot_devices() {
        let f = base(vec![custom_profile(
            "./Device/Vendor/MSFT/Policy/Config/Start/HideSleep",
            vec![all_devices_target()],
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        let f = base(vec![custom_profile(
            EXE_POLICY,
            vec![all_devices_target(), exclusion_target("g-ap")],
        )])
        .run(ID);
        assert_eq!(affected_ids(&f), ["ap2"]);
        let f = base(vec![custom_profile(EXE_POLICY, vec![])]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        // The same URI in another profile type is not a custom profile's OMA-URI.
        let mut other = custom_profile(EXE_POLICY, vec![all_devices_target()]);
        other["@odata.type"] = json!("#microsoft.graph.windows10GeneralConfiguration");
        assert_eq!(base(vec![other]).run(ID).status, FindingStatus::Pass);
    }

    #[test]
    fn uncertainty_is_at_risk_never_pass() {
        let warn = |c: Value| assert_eq!(base(vec![c]).run(ID).status, FindingStatus::Warn);
        warn(custom_profile(
            EXE_POLICY,
            vec![filtered_group_target("g-ap", "flt")],
        ));
        warn(custom_profile(EXE_POLICY, vec![group_target("g-unknown")]));
        warn(custom_profile(EXE_POLICY, vec![all_users_target()]));
        let mut c = custom_profile(EXE_POLICY, vec![all_devices_target()]);
        c.as_object_mut().map(|m| m.remove("omaSettings"));
        warn(c);
        let mut c = custom_profile(EXE_POLICY, vec![all_devices_target()]);
        c["omaSettings"][0]
            .as_object_mut()
            .map(|m| m.remove("omaUri"));
        warn(c);
        let mut c = custom_profile(EXE_POLICY, vec![all_devices_target()]);
        c.as_object_mut().map(|m| m.remove("@odata.type"));
        warn(c);
        let mut c = custom_profile(EXE_POLICY, vec![]);
        c.as_object_mut().map(|m| m.remove("assignments"));
        warn(c);
    }

    #[test]
    fn an_unsettled_profile_beside_a_sure_one_keeps_the_failure() {
        let mut maybe = custom_profile(EXE_POLICY, vec![all_devices_target()]);
        maybe["id"] = json!("cfg2");
        maybe.as_object_mut().map(|m| m.remove("omaSettings"));
        let f = base(vec![
            custom_profile(EXE_POLICY, vec![group_target("g-ap")]),
            maybe,
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        // ap1 surely, ap2 at risk (All devices, OMA-URIs not reported).
        assert_eq!(affected_ids(&f), ["ap1", "ap2"]);
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
