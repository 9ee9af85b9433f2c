use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{ConfigurationPolicy, INTUNE_PROVISIONING_CLIENT_APP_ID};
use crate::references::{DEVICE_PREPARATION_DEVICE_GROUP, DEVICE_PREPARATION_FAQ};
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::{DevicePreparation, NotEvaluated};
use serde_json::json;

declare_check! {
    /// The Intune Provisioning Client service principal is missing while device preparation is used.
    ///
    /// ## What it checks
    /// Whether the tenant has the service principal of the Intune Provisioning Client (appId
    /// `f1346770-5b25-470b-88bd-d5744ab7952c`; some tenants show it as *Intune Autopilot
    /// ConfidentialClient*) when Windows Autopilot device preparation policies exist (settings
    /// catalog policies of the `enrollmentConfiguration` template family). It fails when the
    /// service principal is missing, passes when it exists, and is not applicable when no device
    /// preparation policy exists.
    ///
    /// ## Why enrollment fails
    /// The Intune Provisioning Client must own the device group of every device preparation
    /// policy: it is what adds each device to that group during the out-of-box experience. Without
    /// it the group cannot be given that owner, the policy's device group does not save
    /// (*"There was a problem with the device security group for <policy>"*), and devices are
    /// never added to the group, so the apps and scripts assigned to it are skipped.
    ///
    /// ## Remediation
    /// 1. As an administrator, add the service principal with Microsoft Graph PowerShell: `Connect-MgGraph -Scopes "Application.ReadWrite.All"` then `New-MgServicePrincipal -AppId f1346770-5b25-470b-88bd-d5744ab7952c`.
    /// 2. Open the device group of each device preparation policy named in the finding and add the Intune Provisioning Client (or Intune Autopilot ConfidentialClient) as its owner.
    /// 3. Open each policy in Devices > Enrollment > Windows > Device preparation policies and save its device group again.
    ///
    /// ## Known limitations
    /// Which device group a policy uses is returned only by the POST action
    /// `retrieveJustInTimeConfiguration`, which this read-only tool does not call (no GET, no
    /// `$expand` shows it). So the tool cannot tell whether that group is owned by the Intune
    /// Provisioning Client, is role-assignable, dynamic or deleted, or whether the policy has a
    /// device group at all. Check each policy's device group by hand: it is an assigned
    /// (static) security group, "Microsoft Entra roles can be assigned to the group" is No, and
    /// its owner is the Intune Provisioning Client.
    pub META = CheckMeta {
        id: "intune-provisioning-client-missing",
        since: "0.2.0",
        preview: false,
        title: "The Intune Provisioning Client service principal is missing while device preparation is used",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::ConfigurationPolicies, Resource::ServicePrincipals],
        in_article: false,
        references: &[
            DEVICE_PREPARATION_FAQ.at("Unable to find Intune Provisioning Client with AppID of f1346770-5b25-470b-88bd-d5744ab7952c when trying to set the owner of the Windows Autopilot device preparation policy device group."),
            DEVICE_PREPARATION_FAQ.at("Device isn't being added to the device group specified in the Windows Autopilot device preparation policy."),
            DEVICE_PREPARATION_DEVICE_GROUP.at("Adding the Intune Provisioning Client service principal"),
        ],
    };
}

/// What the admin has to verify by hand for every device preparation policy (evidence).
pub const DEVICE_GROUP_UNSEEN: &str = "The device group of a device preparation policy is returned only by the POST action retrieveJustInTimeConfiguration, which this read-only tool does not call: verify by hand that each policy has a device group, that the group is an assigned (not dynamic, not role-assignable) security group, and that the Intune Provisioning Client owns it.";

/// "1 device preparation policy", "3 device preparation policies".
pub fn policies_text(n: usize) -> String {
    match n {
        1 => "1 device preparation policy".into(),
        n => format!("{n} device preparation policies"),
    }
}

pub fn policy_affected(p: &ConfigurationPolicy) -> Affected {
    Affected::new(AffectedKind::Profile, &p.id, p.name())
}

/// The outcome when the client is missing: fail for device preparation policies, at risk for
/// policies whose template family was not reported.
fn missing(prep: &DevicePreparation) -> Outcome {
    if prep.policies.is_empty() {
        let names: Vec<&str> = prep.unknown.iter().map(|p| p.name()).collect();
        let why = "its template family was not reported: it may be a device preparation policy";
        let n = match names.len() {
            1 => "1 policy".to_string(),
            n => format!("{n} policies"),
        };
        return Outcome::warn(format!(
            "The Intune Provisioning Client service principal is missing, and {n} whose template family was not reported may be device preparation ({})",
            names.join(", ")
        ))
        .with_affected(prep.unknown.iter().map(|p| policy_affected(p).undetermined(why)).collect());
    }
    let names: Vec<&str> = prep.policies.iter().map(|p| p.name()).collect();
    Outcome::fail(format!(
        "The Intune Provisioning Client service principal (appId {INTUNE_PROVISIONING_CLIENT_APP_ID}) is missing: the {} ({}) cannot add devices to their device group",
        policies_text(names.len()),
        names.join(", ")
    ))
    .with_affected(prep.policies.iter().map(|p| policy_affected(p)).collect())
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let prep = cx.tenant.device_preparation_policies()?;
    if prep.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Windows Autopilot device preparation policy exists",
        ));
    }
    let principals = cx.tenant.service_principals.get()?;
    let client = principals.iter().find(|sp| {
        sp.app_id
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(INTUNE_PROVISIONING_CLIENT_APP_ID))
    });
    let names =
        |v: &[&ConfigurationPolicy]| v.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
    let evidence = json!({
        "appId": INTUNE_PROVISIONING_CLIENT_APP_ID,
        "servicePrincipal": client.map(|sp| json!({"id": sp.id, "displayName": sp.display_name})),
        "devicePreparationPolicies": names(&prep.policies),
        "templateFamilyNotReported": names(&prep.unknown),
        "deviceGroupNotVisible": DEVICE_GROUP_UNSEEN,
    });
    let outcome = match client {
        Some(sp) => Outcome::pass(format!(
            "The Intune Provisioning Client exists ({}) for the {}; verify by hand that it owns each policy's device group",
            sp.display_name.as_deref().unwrap_or(&sp.id),
            policies_text(prep.policies.len() + prep.unknown.len())
        )),
        None => missing(&prep),
    };
    Ok(outcome.with_evidence(evidence))
}
