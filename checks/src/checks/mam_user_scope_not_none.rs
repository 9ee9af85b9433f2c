//! The MAM user scope of Microsoft Intune is not None.
//!
//! ## What it checks
//! The MAM user scope of Microsoft Intune in Entra > Mobility (MDM and MAM) (`appliesTo` of
//! the Intune MAM policy). It warns when the scope is All or Some, and passes when it is None
//! or Intune has no MAM entry. The article's resolution for 0x8018002B sets the MAM user scope
//! to None.
//!
//! ## Why enrollment fails
//! When a user is in both the MDM and the MAM user scope, a personally owned device that is
//! registered in Entra ("Add work or school account") gets MAM (app protection without
//! enrollment) instead of MDM enrollment, and the enrollment the admin expected does not
//! happen; the article lists this among the resolutions for *"Auto MDM Enroll: Failed"
//! (0x8018002B)*.
//!
//! ## Remediation
//! 1. In the Microsoft Entra admin center open Mobility (MDM and WIP) and select Microsoft Intune.
//! 2. Set MAM user scope to None (or narrow it so that it does not overlap the MDM user scope), then Save.
//! 3. If the MAM scope is intended for Windows Information Protection or app protection without enrollment, record that decision with a waiver instead.

use crate::catalog::{Area, CheckMeta};
use crate::references::{AUTOMATIC_MDM, AUTO_ENROLLMENT};
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::settings::Settings;
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};
use serde_json::json;

pub const META: CheckMeta = CheckMeta {
    id: "mam-user-scope-not-none",
    title: "MAM user scope of Microsoft Intune is not None",
    severity: Severity::Low,
    area: Area::MdmScope,
    error_codes: &["0x8018002B"],
    article_sections: &["auto-mdm-enroll-failed"],
    resources: &[Resource::MobileAppManagementPolicies],
    in_article: true,    references: &[
        AUTOMATIC_MDM.at("Enable Windows automatic enrollment"),
        AUTO_ENROLLMENT.at("Verify the configuration"),
    ],

};

pub fn evaluate(t: &Tenant, _: &Settings) -> Result<Outcome, NotEvaluated> {
    let Some(policy) = t.intune_mam_policy()? else {
        return Ok(Outcome::pass(
            "Microsoft Intune has no MAM user scope entry in Entra, so MAM cannot take the place of MDM enrollment",
        )
        .with_evidence(json!({"intune_mam_application": false})));
    };
    let applies_to = policy.applies_to.as_ref().map(|a| a.as_str()).unwrap_or("");
    let groups: Vec<_> = policy
        .included_groups
        .iter()
        .flatten()
        .map(|g| json!({"id": g.id, "displayName": g.display_name}))
        .collect();
    let evidence = json!({"appliesTo": applies_to, "included_groups": groups});
    let scope = match applies_to {
        "none" => {
            return Ok(
                Outcome::pass("The MAM user scope of Microsoft Intune is None")
                    .with_evidence(evidence),
            )
        }
        "all" => "All".to_string(),
        "selected" => {
            let names: Vec<&str> = policy
                .included_groups
                .iter()
                .flatten()
                .map(|g| g.display_name.as_deref().unwrap_or(&g.id))
                .collect();
            if names.is_empty() {
                "Some".to_string()
            } else {
                format!("Some ({})", names.join(", "))
            }
        }
        other => {
            return Err(NotEvaluated::new(format!(
                "the MAM user scope has an unrecognised appliesTo value {other:?}"
            )))
        }
    };
    Ok(Outcome::warn(format!(
        "The MAM user scope of Microsoft Intune is {scope}: users also in the MDM user scope get MAM instead of MDM enrollment on personally owned, registered devices; the article's resolution for 0x8018002B sets it to None"
    ))
    .with_severity(Severity::Low)
    .with_affected(vec![Affected::new(
        AffectedKind::Setting,
        format!("mobileAppManagementPolicies/{}/appliesTo", policy.id),
        "MAM user scope (Microsoft Intune)",
    )])
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::model::INTUNE_APP_ID;
    use crate::report::{FindingStatus, Severity};
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "mam-user-scope-not-none";

    fn mam(applies_to: &str, groups: &[&str]) -> Fixture {
        Fixture::new().with(
            Resource::MobileAppManagementPolicies,
            vec![mam_policy(applies_to, groups)],
        )
    }

    #[test]
    fn passes_when_none_or_absent() {
        assert_eq!(mam("none", &[]).run(ID).status, FindingStatus::Pass);
        let f = Fixture::new()
            .with(Resource::MobileAppManagementPolicies, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn warns_when_all_or_some() {
        for (applies_to, groups) in [("all", vec![]), ("selected", vec!["g1"])] {
            let f = mam(applies_to, &groups).run(ID);
            assert_eq!(f.status, FindingStatus::Warn, "{applies_to}");
            assert_eq!(f.severity, Severity::Low);
            assert_eq!(
                affected_ids(&f),
                [format!(
                    "mobileAppManagementPolicies/{INTUNE_APP_ID}/appliesTo"
                )]
            );
        }
        assert!(mam("selected", &["g1"])
            .run(ID)
            .summary
            .contains("Some (Group g1)"));
    }

    #[test]
    fn not_evaluated_without_a_delegated_read() {
        let f = Fixture::new()
            .forbidden(Resource::MobileAppManagementPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Policy.Read.All (delegated only)"]);
    }
}
