use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::PolicyScope;
use crate::references::AUTOPILOT_KNOWN_ISSUES;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// More than one MDM application in Entra has a user scope.
    ///
    /// ## What it checks
    /// The MDM applications listed in Entra > Mobility (MDM and WIP) (`mobileDeviceManagementPolicies`)
    /// whose MDM user scope is All or Some. It warns when more than one has a scope. Microsoft
    /// documents the failure ("there are multiple MDM configurations in Microsoft Entra ID") but
    /// not the exact rule; that several applications with a user scope is what counts is this
    /// check's reading, which is why it is a preview check. An application whose scope cannot be
    /// read counts as possibly in scope.
    ///
    /// ## Why enrollment fails
    /// Self-deploying and other automatic MDM enrollments fail with *0xC1036501 "The device can't
    /// do an automatic MDM enrollment because there are multiple MDM configurations in Microsoft
    /// Entra ID"*.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Mobility (MDM and WIP).
    /// 2. Keep the MDM user scope on Microsoft Intune only; set the MDM user scope of every other MDM application named in the finding to None (or remove the application if it is not used), then Save.
    pub META = CheckMeta {
        id: "multiple-mdm-applications-in-scope",
        since: "0.2.0",
        preview: true,
        title: "More than one MDM application in Entra has a user scope",
        severity: Severity::Medium,
        area: Area::MdmScope,
        error_codes: &["0xC1036501"],
        article_sections: &["auto-mdm-enroll-failed"],
        resources: &[Resource::MobileDeviceManagementPolicies],
        in_article: false,
        references: &[AUTOPILOT_KNOWN_ISSUES
            .at("Windows Autopilot self-deploying mode fails with an error code")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let policies = cx.tenant.mdm_policies.get()?;
    let (mut scoped, mut unreadable) = (Vec::new(), Vec::new());
    for p in policies {
        match &p.applies_to {
            Some(PolicyScope::All | PolicyScope::Selected) => scoped.push(p),
            Some(PolicyScope::None) => {}
            Some(PolicyScope::Unknown(_)) | None => unreadable.push(p),
        }
    }
    let name =
        |p: &crate::model::MobilityPolicy| p.display_name.clone().unwrap_or_else(|| p.id.clone());
    let evidence = json!({
        "mdm_applications": policies.len(),
        "with_user_scope": scoped.iter().map(|p| json!({"id": p.id, "name": name(p), "appliesTo": p.applies_to})).collect::<Vec<_>>(),
        "scope_unreadable": unreadable.iter().map(|p| json!({"id": p.id, "name": name(p)})).collect::<Vec<_>>(),
    });
    let affected = |list: &[&crate::model::MobilityPolicy], why: Option<&str>| -> Vec<Affected> {
        list.iter()
            .map(|p| {
                let a = Affected::new(
                    AffectedKind::Setting,
                    format!("mobileDeviceManagementPolicies/{}", p.id),
                    name(p),
                );
                match why {
                    Some(w) => a.undetermined(w),
                    None => a,
                }
            })
            .collect()
    };
    if scoped.len() > 1 {
        let names: Vec<String> = scoped.iter().map(|p| format!("'{}'", name(p))).collect();
        return Ok(Outcome::warn(format!(
            "{} have an MDM user scope ({}): automatic enrollment may fail with 0xC1036501 (multiple MDM configurations)",
            count(scoped.len(), "MDM application"),
            names.join(", ")
        ))
        .with_affected(affected(&scoped, None))
        .with_evidence(evidence));
    }
    if !unreadable.is_empty() && scoped.len() + unreadable.len() > 1 {
        return Ok(Outcome::warn(format!(
            "The MDM user scope of {} cannot be read: more than one MDM application may have a user scope",
            count(unreadable.len(), "MDM application")
        ))
        .with_affected(affected(&unreadable, Some("appliesTo absent or not understood")))
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "{} of the {} in Entra has an MDM user scope",
        if scoped.is_empty() {
            "None"
        } else {
            "Only one"
        },
        count(policies.len(), "MDM application")
    ))
    .with_evidence(evidence))
}
