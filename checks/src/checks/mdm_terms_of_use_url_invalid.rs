use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// The MDM terms of use URL of Microsoft Intune in Entra is empty or wrong.
    ///
    /// ## What it checks
    /// The `termsOfUseUrl` of the Microsoft Intune entry in Entra > Mobility (MDM and MAM). It
    /// fails when the URL is empty or not an `https://` URL, warns when it differs from Intune's
    /// default `https://portal.manage.microsoft.com/TermsofUse.aspx` (compared without regard to
    /// case), and passes when it is the default. It warns when Microsoft Intune is not listed as an
    /// MDM application at all.
    ///
    /// ## Why enrollment fails
    /// Windows fetches the terms of use from this endpoint during MDM enrollment; when it is empty
    /// or wrong the user sees *"Looks like the MDM Terms of Use endpoint is not correctly
    /// configured"*.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Mobility (MDM and WIP) (older portals: Mobility (MDM and MAM)) and select Microsoft Intune.
    /// 2. Select "Restore default MDM URLs", or set MDM terms of use URL to https://portal.manage.microsoft.com/TermsofUse.aspx, then Save.
    /// 3. If Microsoft Intune is not listed, add it with "Add application" (or check that the tenant has an Intune subscription), then set its URLs as above.
    pub META = CheckMeta {
        id: "mdm-terms-of-use-url-invalid",
        since: "0.1.0",
        preview: false,
        title: "MDM terms of use URL of Microsoft Intune is empty or wrong",
        severity: Severity::High,
        area: Area::MdmScope,
        error_codes: &[],
        article_sections: &["looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured"],
        resources: &[Resource::MobileDeviceManagementPolicies],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS
            .at("Looks like the MDM Terms of Use endpoint is not correctly configured.")],
    };
}

/// Intune's default MDM terms of use URL.
pub const DEFAULT_TERMS_OF_USE_URL: &str = "https://portal.manage.microsoft.com/TermsofUse.aspx";

/// `https://` followed by a host, with no whitespace.
fn is_https_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower
        .strip_prefix("https://")
        .is_some_and(|rest| rest.split('/').next().is_some_and(|host| !host.is_empty()))
        && !url.chars().any(char::is_whitespace)
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let Some(policy) = t.intune_mdm_policy()? else {
        return Ok(Outcome::warn(
            "Microsoft Intune is not configured as an MDM application in Entra, so it has no MDM terms of use URL",
        )
        .with_evidence(json!({"termsOfUseUrl": null, "default": DEFAULT_TERMS_OF_USE_URL, "intune_mdm_application": false})));
    };
    let seen = policy.terms_of_use_url.as_deref().map(str::trim);
    let evidence = json!({
        "termsOfUseUrl": policy.terms_of_use_url,
        "default": DEFAULT_TERMS_OF_USE_URL,
        "policy_id": policy.id,
    });
    let setting = vec![Affected::new(
        AffectedKind::Setting,
        format!("mobileDeviceManagementPolicies/{}/termsOfUseUrl", policy.id),
        "MDM terms of use URL (Microsoft Intune)",
    )];
    match seen {
        None | Some("") => Ok(Outcome::fail(format!(
            "The MDM terms of use URL of Microsoft Intune is empty; the default is {DEFAULT_TERMS_OF_USE_URL}"
        ))
        .with_affected(setting)
        .with_evidence(evidence)),
        Some(url) if !is_https_url(url) => Ok(Outcome::fail(format!(
            "The MDM terms of use URL of Microsoft Intune is '{url}', which is not an https:// URL; the default is {DEFAULT_TERMS_OF_USE_URL}"
        ))
        .with_affected(setting)
        .with_evidence(evidence)),
        Some(url) if !url.eq_ignore_ascii_case(DEFAULT_TERMS_OF_USE_URL) => Ok(Outcome::warn(format!(
            "The MDM terms of use URL of Microsoft Intune is '{url}' instead of the default {DEFAULT_TERMS_OF_USE_URL}; enrollment fails unless that endpoint serves Intune's terms"
        ))
        .with_affected(setting)
        .with_evidence(evidence)),
        Some(url) => Ok(Outcome::pass(format!(
            "The MDM terms of use URL of Microsoft Intune is the default ({url})"
        ))
        .with_evidence(evidence)),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::INTUNE_APP_ID;
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "mdm-terms-of-use-url-invalid";

    fn with_url(url: &str) -> Fixture {
        Fixture::new().with(
            Resource::MobileDeviceManagementPolicies,
            vec![mdm_policy("all", &[], url)],
        )
    }

    fn setting_id() -> String {
        format!("mobileDeviceManagementPolicies/{INTUNE_APP_ID}/termsOfUseUrl")
    }

    #[test]
    fn passes_with_the_default_in_any_case() {
        assert_eq!(
            with_url(DEFAULT_TERMS_OF_USE).run(ID).status,
            FindingStatus::Pass
        );
        let f = with_url("https://PORTAL.manage.microsoft.com/termsofuse.aspx").run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn fails_when_empty_null_or_not_https() {
        for url in [
            "",
            "   ",
            "http://portal.manage.microsoft.com/TermsofUse.aspx",
            "portal.manage.microsoft.com",
            "https://",
        ] {
            let f = with_url(url).run(ID);
            assert_eq!(f.status, FindingStatus::Fail, "{url:?}");
            assert_eq!(affected_ids(&f), [setting_id()]);
        }
        let mut null = mdm_policy("all", &[], "");
        null["termsOfUseUrl"] = serde_json::Value::Null;
        let f = Fixture::new()
            .with(Resource::MobileDeviceManagementPolicies, vec![null])
            .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert!(f.evidence["termsOfUseUrl"].is_null());
    }

    #[test]
    fn warns_when_it_differs_from_the_default() {
        let f = with_url("https://intranet.contoso.com/terms").run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), [setting_id()]);
        assert_eq!(f.evidence["default"], DEFAULT_TERMS_OF_USE);
    }

    #[test]
    fn warns_when_intune_is_not_an_mdm_application() {
        let mut other = mdm_policy("all", &[], DEFAULT_TERMS_OF_USE);
        other["id"] = "9ba1a5c7-f17a-4de9-a1f1-6178c8d51223".into();
        other["displayName"] = "Microsoft Intune Enrollment".into();
        let f = Fixture::new()
            .with(Resource::MobileDeviceManagementPolicies, vec![other])
            .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert!(f.summary.contains("not configured as an MDM application"));
    }

    #[test]
    fn not_evaluated_without_a_delegated_read() {
        let f = Fixture::new()
            .forbidden(Resource::MobileDeviceManagementPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert!(f.reason.unwrap().contains("delegated"));
    }
}
