use crate::catalog::Area;
use crate::checks::entra_join_not_allowed::kind_name;
use crate::checks::intune_provisioning_client_missing::{policies_text, policy_affected};
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{ConfigurationPolicy, MembershipKind, DPP_ACCOUNT_TYPE};
use crate::references::DEVICE_PREPARATION_KNOWN_ISSUES;
use crate::report::{Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Device preparation "User account type" may conflict with the Entra local administrator setting.
    ///
    /// ## What it checks
    /// The Microsoft Entra device setting "Registering user is added as local administrator on
    /// the device during Microsoft Entra join" (`deviceRegistrationPolicy.azureADJoin.localAdmins
    /// .registeringUsers`) against the "User account type" of every Windows Autopilot device
    /// preparation policy (settings catalog setting `enrollment_autopilot_dpp_accountype`). All
    /// passes: no account type conflicts with it. None or Selected warns for every policy that
    /// sets an account type, naming the value: Microsoft does not document which setting value
    /// means "Standard user", so the tool never fails on it. A setting that cannot be read is at
    /// risk.
    ///
    /// ## Why enrollment fails
    /// Windows Autopilot device preparation known issue: when the policy's "User account type" is
    /// "Standard user" and the Entra setting is None or Selected, provisioning is skipped. The
    /// user reaches the desktop without the apps and scripts the policy should have installed.
    ///
    /// ## Remediation
    /// 1. Open each policy named in the finding (Devices > Enrollment > Windows > Device preparation policies) and read its "User account type".
    /// 2. If it is "Standard user", either set the Entra setting (Entra ID > Devices > Device settings > Local administrator settings) to All, or set the policy's "User account type" to Administrator and keep the Entra setting at None or Selected without those users: in both cases users end up standard users.
    ///
    /// ## Known limitations
    /// The setting id and its values (`enrollment_autopilot_dpp_accountype_0` / `_1`) appear only
    /// in third-party code, which disagrees on which of the two means "Standard user".
    pub META = CheckMeta {
        id: "device-prep-account-type-conflict",
        since: "0.2.0",
        preview: true,
        title: "Device preparation \"User account type\" may conflict with the Entra local administrator setting",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::ConfigurationPolicies, Resource::DeviceRegistrationPolicy],
        in_article: false,
        references: &[DEVICE_PREPARATION_KNOWN_ISSUES.at("Conflict between Microsoft Entra ID and Windows Autopilot device preparation local administrator setting")],
    };
}

/// One policy while the Entra setting is None or Selected: at risk whenever it sets a type.
fn judge(p: &ConfigurationPolicy, entra: &str) -> Judged {
    match p.choice(DPP_ACCOUNT_TYPE) {
        Err(why) => Judged::Unknown(why),
        Ok(None) => Judged::Unknown("the policy does not report its User account type".into()),
        Ok(Some(value)) => Judged::Unknown(format!(
            "User account type '{value}' (undocumented value) with the Entra local administrator setting {entra}: provisioning is skipped if it means Standard user"
        )),
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let prep = cx.tenant.device_preparation_policies()?;
    if prep.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Windows Autopilot device preparation policy exists",
        ));
    }
    let registering = cx
        .tenant
        .registration_policy()?
        .azure_ad_join
        .as_ref()
        .and_then(|j| j.local_admins.as_ref())
        .and_then(|l| l.registering_users.as_ref())
        .map(|m| m.kind());
    let entra = registering.map_or("not reported", kind_name);
    let mut tally = Tally::default();
    for p in &prep.unknown {
        let why = "its template family was not reported: it may be a device preparation policy";
        let judged = match registering {
            Some(MembershipKind::All) => Judged::Pass,
            _ => Judged::Unknown(why.into()),
        };
        tally.add(policy_affected(p), judged);
    }
    let policies = &prep.policies;
    for p in policies {
        let judged = match registering {
            Some(MembershipKind::All) => Judged::Pass,
            Some(MembershipKind::None | MembershipKind::Enumerated) => judge(p, entra),
            Some(MembershipKind::Unknown) | None => Judged::Unknown(format!(
                "the Entra setting 'Registering user is added as local administrator' is {entra}"
            )),
        };
        tally.add(policy_affected(p), judged);
    }
    let evidence = json!({
        "registeringUsersAreLocalAdmins": entra,
        "accountTypes": policies.iter().map(|p| json!({
            "policy": p.name(),
            "value": p.choice(DPP_ACCOUNT_TYPE).ok().flatten(),
        })).collect::<Vec<_>>(),
        "undetermined": tally.undetermined_evidence(),
    });
    let total = policies_text(tally.total());
    Ok(tally.outcome(
        evidence,
        |t| format!("{} conflict", policies_text(t.failed.len())),
        |t| {
            let why = t.at_risk.first().map_or("", |(_, w)| w.as_str());
            format!("{} may skip provisioning: {why}", policies_text(t.at_risk.len()))
        },
        |_| format!("Registering users are local administrators (All): no User account type of the {total} conflicts with it"),
    ))
}
