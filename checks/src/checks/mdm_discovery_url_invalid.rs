use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::{AUTOMATIC_MDM, AUTO_ENROLLMENT};
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// The MDM discovery or compliance URL of Microsoft Intune in Entra is empty or wrong.
    ///
    /// ## What it checks
    /// The `discoveryUrl` and `complianceUrl` of the Microsoft Intune entry in Entra > Mobility
    /// (MDM and WIP). It fails when the discovery URL is empty, warns when it is not Intune's
    /// enrollment discovery endpoint (`https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc`,
    /// or `enrollment.manage.microsoft.us` in the US government clouds), and warns when the
    /// compliance URL is empty. It is not evaluated when the URLs were not collected.
    ///
    /// ## Why enrollment fails
    /// Automatic enrollment asks the discovery URL where to enroll; when it is empty or points
    /// elsewhere, auto-enrollment fails with *0x8000FFFF* ("MDM enrollment hasn't been configured
    /// yet on Azure AD, or the enrollment URL isn't expected") and Event 76 *Auto MDM Enroll:
    /// Failed* in the DeviceManagement-Enterprise-Diagnostics-Provider log.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Mobility (MDM and WIP) and select Microsoft Intune.
    /// 2. Select "Restore default MDM URLs" (or set MDM discovery URL to https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc and MDM compliance URL to https://portal.manage.microsoft.com/?portalAction=Compliance), then Save.
    /// 3. Sign the user out and in again (or run the automatic enrollment task) so that Windows retries enrollment.
    pub META = CheckMeta {
        id: "mdm-discovery-url-invalid",
        since: "0.2.0",
        preview: false,
        title: "MDM discovery or compliance URL of Microsoft Intune is empty or wrong",
        severity: Severity::High,
        area: Area::MdmScope,
        error_codes: &["0x8000FFFF"],
        article_sections: &["auto-mdm-enroll-failed"],
        resources: &[Resource::MobileDeviceManagementPolicies],
        in_article: false,
        references: &[
            AUTO_ENROLLMENT.at("Verify the configuration"),
            AUTOMATIC_MDM.at("Enable Windows automatic enrollment"),
        ],
    };
}

/// Intune's enrollment discovery endpoint, per cloud.
const DISCOVERY_HOSTS: &[&str] = &[
    "enrollment.manage.microsoft.com",
    "enrollment.manage.microsoft.us",
];
const DISCOVERY_PATH: &str = "/enrollmentserver/discovery.svc";
pub const DEFAULT_DISCOVERY_URL: &str =
    "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc";

fn is_intune_discovery(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.strip_prefix("https://").is_some_and(|rest| {
        DISCOVERY_HOSTS
            .iter()
            .any(|h| rest.strip_prefix(h).is_some_and(|p| p == DISCOVERY_PATH))
    })
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let Some(policy) = cx.tenant.intune_mdm_policy()? else {
        return Ok(Outcome::not_applicable(
            "Microsoft Intune is not configured as an MDM application in Entra (mdm-user-scope-none reports it)",
        ));
    };
    let (discovery, compliance) = (
        policy.discovery_url.as_deref().map(str::trim),
        policy.compliance_url.as_deref().map(str::trim),
    );
    let evidence = json!({
        "discoveryUrl": policy.discovery_url,
        "complianceUrl": policy.compliance_url,
        "default_discovery": DEFAULT_DISCOVERY_URL,
        "policy_id": policy.id,
    });
    let setting = |key: &str, name: &str| {
        Affected::new(
            AffectedKind::Setting,
            format!("mobileDeviceManagementPolicies/{}/{key}", policy.id),
            name,
        )
    };
    let Some(discovery) = discovery else {
        return Err(NotEvaluated::new(
            "the discoveryUrl of the Intune MDM policy was not collected",
        ));
    };
    if discovery.is_empty() {
        return Ok(Outcome::fail(format!(
            "The MDM discovery URL of Microsoft Intune is empty: automatic enrollment fails (0x8000FFFF); the default is {DEFAULT_DISCOVERY_URL}"
        ))
        .with_affected(vec![setting("discoveryUrl", "MDM discovery URL (Microsoft Intune)")])
        .with_evidence(evidence));
    }
    if !is_intune_discovery(discovery) {
        return Ok(Outcome::warn(format!(
            "The MDM discovery URL of Microsoft Intune is '{discovery}', not Intune's discovery endpoint {DEFAULT_DISCOVERY_URL}: automatic enrollment may fail with 0x8000FFFF"
        ))
        .with_affected(vec![setting("discoveryUrl", "MDM discovery URL (Microsoft Intune)")])
        .with_evidence(evidence));
    }
    match compliance {
        None => Err(NotEvaluated::new(
            "the complianceUrl of the Intune MDM policy was not collected",
        )),
        Some("") => Ok(Outcome::warn(
            "The MDM discovery URL of Microsoft Intune is correct, but its MDM compliance URL is empty",
        )
        .with_affected(vec![setting("complianceUrl", "MDM compliance URL (Microsoft Intune)")])
        .with_evidence(evidence)),
        Some(_) => Ok(Outcome::pass(
            "The MDM discovery URL of Microsoft Intune is Intune's discovery endpoint and a compliance URL is set",
        )
        .with_evidence(evidence)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_urls_of_each_cloud_are_recognised() {
        assert!(is_intune_discovery(DEFAULT_DISCOVERY_URL));
        assert!(is_intune_discovery(
            "https://ENROLLMENT.manage.microsoft.us/EnrollmentServer/Discovery.svc "
        ));
        assert!(!is_intune_discovery(
            "https://enrollment.contoso.com/enrollmentserver/discovery.svc"
        ));
        assert!(!is_intune_discovery(
            "http://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"
        ));
    }
}
