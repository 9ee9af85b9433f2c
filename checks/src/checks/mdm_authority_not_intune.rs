use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::DEVICE_ENROLLMENT;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// The tenant's MDM authority is not Microsoft Intune.
    ///
    /// ## What it checks
    /// The organization's `mobileDeviceManagementAuthority`, one of the article's prerequisites.
    /// `intune` passes. `office365` (Basic Mobility and Security), `sccm` (hybrid MDM with
    /// Configuration Manager) and `unknown` (no authority set) fail. Graph returns the property
    /// only when it is selected explicitly; without it the check is not evaluated.
    ///
    /// ## Why enrollment fails
    /// Windows devices enroll into Intune only when Intune is the MDM authority. With Basic
    /// Mobility and Security they cannot enroll into Intune at all; hybrid MDM is retired; with no
    /// authority set, enrollment has nowhere to go. The user sees a generic enrollment failure such
    /// as *"Something went wrong"* or *"This user is not authorized to enroll"*.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Tenant administration > Tenant status and read "MDM authority".
    /// 2. If it is not set, the Intune admin center offers to set it; choose Intune MDM Authority.
    /// 3. If it is Office 365 (Basic Mobility and Security), move the tenant to Intune following Microsoft's guidance for Basic Mobility and Security: recreate the needed device policies in Intune first, then change the MDM authority to Intune, and let devices check in again.
    /// 4. If it is Configuration Manager (hybrid MDM, retired), migrate the tenant to Intune standalone and set the authority to Intune.
    pub META = CheckMeta {
        id: "mdm-authority-not-intune",
        since: "0.1.0",
        preview: false,
        title: "The MDM authority is not Microsoft Intune",
        severity: Severity::Critical,
        area: Area::MdmScope,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::Organization],
        in_article: true,
        references: &[DEVICE_ENROLLMENT.at("MDM authority not defined")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let org = t
        .organization
        .get()?
        .first()
        .ok_or_else(|| NotEvaluated::new("organization was collected but is empty"))?;
    let Some(value) = org
        .mobile_device_management_authority
        .as_ref()
        .map(|a| a.as_str())
    else {
        return Err(NotEvaluated {
            reason: "organization.mobileDeviceManagementAuthority was not returned; Graph returns it only on $select=mobileDeviceManagementAuthority".into(),
            permissions: vec![Resource::Organization.permission().to_string()],
        });
    };
    let evidence = json!({"mobileDeviceManagementAuthority": value, "organization": org.id});
    let setting = || {
        vec![Affected::new(
            AffectedKind::Setting,
            format!("organization/{}/mobileDeviceManagementAuthority", org.id),
            format!("MDM authority ({value})"),
        )]
    };
    let why = match value.to_ascii_lowercase().as_str() {
        "intune" => {
            return Ok(Outcome::pass("The MDM authority is Microsoft Intune").with_evidence(evidence));
        }
        "office365" => "it is Office 365 (Basic Mobility and Security): Windows devices cannot enroll into Intune",
        "sccm" => "it is Configuration Manager (hybrid MDM), which is retired: Windows devices cannot enroll into Intune",
        "unknown" => "no MDM authority is set: Windows devices cannot enroll into Intune",
        other => {
            return Err(NotEvaluated::new(format!(
                "organization.mobileDeviceManagementAuthority has an unrecognised value {other:?}"
            )))
        }
    };
    Ok(
        Outcome::fail(format!("The MDM authority is not Intune: {why}"))
            .with_affected(setting())
            .with_evidence(evidence),
    )
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "mdm-authority-not-intune";

    fn with(authority: &str) -> Fixture {
        Fixture::new().with(Resource::Organization, vec![organization(authority)])
    }

    #[test]
    fn passes_for_intune() {
        assert_eq!(with("intune").run(ID).status, FindingStatus::Pass);
    }

    #[test]
    fn fails_for_office365_sccm_and_unknown() {
        for (value, words) in [
            ("office365", "Basic Mobility"),
            ("sccm", "retired"),
            ("unknown", "no MDM authority"),
        ] {
            let f = with(value).run(ID);
            assert_eq!(f.status, FindingStatus::Fail, "{value}");
            assert_eq!(
                affected_ids(&f),
                [format!(
                    "organization/{TENANT}/mobileDeviceManagementAuthority"
                )]
            );
            assert!(f.summary.contains(words), "{}", f.summary);
            assert_eq!(f.evidence["mobileDeviceManagementAuthority"], value);
        }
    }

    #[test]
    fn not_evaluated_when_the_property_was_not_selected() {
        let mut org = organization("intune");
        org.as_object_mut()
            .unwrap()
            .remove("mobileDeviceManagementAuthority");
        let f = Fixture::new()
            .with(Resource::Organization, vec![org])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert!(f.reason.unwrap().contains("$select"));
    }

    #[test]
    fn not_evaluated_without_organization() {
        let f = Fixture::new().forbidden(Resource::Organization).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Organization.Read.All"]);
    }
}
