use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{MobilityPolicy, PolicyScope};
use crate::references::{AUTOMATIC_MDM, AUTO_ENROLLMENT};
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::Directory;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Users are in both the MDM and the MAM (WIP) user scope of Microsoft Intune.
    ///
    /// ## What it checks
    /// The MAM user scope (`appliesTo` of the Intune MAM policy, "WIP user scope" in current
    /// docs) and the MDM user scope of Microsoft Intune in Entra > Mobility (MDM and WIP), and the
    /// users who are in both: the MAM scope only matters for them. It warns for those users (and
    /// counts users whose group membership was not collected as at risk), and passes when the MAM
    /// scope is None, Intune has no MAM entry, or no user is in both scopes. The 2019 article's
    /// resolution for 0x8018002B set the MAM user scope to None outright; Microsoft's current
    /// documentation narrows the problem to the overlap, on personally owned devices.
    ///
    /// ## Why enrollment fails
    /// When a user is in both scopes, a personally owned device that is registered in Entra ("Add
    /// work or school account") gets MAM (Windows Information Protection without enrollment)
    /// instead of MDM enrollment: "the WIP user scope takes precedence if they bring their own
    /// device". The automatic enrollment the admin expected does not happen, listed among the
    /// causes of *"Auto MDM Enroll: Failed" (0x8018002B)*. Corporate (Entra-joined) devices enroll
    /// in MDM.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Mobility (MDM and WIP) and select Microsoft Intune.
    /// 2. Narrow the MAM (WIP) user scope so that it does not include the users named in the finding, or set it to None, then Save.
    /// 3. If these users should get app protection without enrollment on their own devices, keep the overlap and record that decision with a waiver.
    pub META = CheckMeta {
        id: "mam-and-mdm-user-scope-overlap",
        since: "0.1.0",
        preview: false,
        title: "Users in both the MAM (WIP) and the MDM user scope",
        severity: Severity::Low,
        area: Area::MdmScope,
        error_codes: &["0x8018002B"],
        article_sections: &["auto-mdm-enroll-failed"],
        resources: &[
            Resource::MobileAppManagementPolicies,
            Resource::MobileDeviceManagementPolicies,
            Resource::Users,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[
            AUTOMATIC_MDM.at("Enable Windows automatic enrollment"),
            AUTO_ENROLLMENT.at("Verify the configuration"),
        ],
    };
}

/// Whether a user is in a mobility policy's scope: `None` when its groups' members (or the
/// groups themselves) were not collected.
fn in_scope(policy: &MobilityPolicy, user: &str, dir: &Directory) -> Result<Option<bool>, String> {
    match policy.applies_to.as_ref() {
        Some(PolicyScope::All) => Ok(Some(true)),
        Some(PolicyScope::None) => Ok(Some(false)),
        Some(PolicyScope::Selected) => {
            let Some(groups) = policy.included_groups.as_ref() else {
                return Ok(None);
            };
            let answers: Vec<Option<bool>> =
                groups.iter().map(|g| dir.contains(&g.id, user)).collect();
            Ok(if answers.contains(&Some(true)) {
                Some(true)
            } else if answers.contains(&None) {
                None
            } else {
                Some(false)
            })
        }
        Some(PolicyScope::Unknown(raw)) => {
            Err(format!("appliesTo value {raw:?} is not understood"))
        }
        None => Err("appliesTo was not collected".into()),
    }
}

fn scope_label(policy: &MobilityPolicy) -> String {
    match policy.applies_to.as_ref() {
        Some(PolicyScope::All) => "All".into(),
        Some(PolicyScope::Selected) => {
            let names: Vec<&str> = policy
                .included_groups
                .iter()
                .flatten()
                .map(|g| g.display_name.as_deref().unwrap_or(&g.id))
                .collect();
            format!("Some ({})", names.join(", "))
        }
        other => other.map_or("unknown", |a| a.as_str()).to_string(),
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let Some(mam) = t.intune_mam_policy()? else {
        return Ok(Outcome::pass(
            "Microsoft Intune has no MAM user scope entry in Entra, so MAM cannot take the place of MDM enrollment",
        )
        .with_evidence(json!({"intune_mam_application": false})));
    };
    if mam.applies_to == Some(PolicyScope::None) {
        return Ok(
            Outcome::pass("The MAM (WIP) user scope of Microsoft Intune is None")
                .with_evidence(json!({"mam_appliesTo": "none"})),
        );
    }
    let Some(mdm) = t.intune_mdm_policy()? else {
        return Ok(Outcome::pass(
            "Microsoft Intune has no MDM user scope entry, so no user is in both scopes",
        ));
    };
    let users = t.users.get()?;
    let dir = t.group_members.get()?;
    let mut tally = Tally::default();
    for u in users.iter().filter(|u| u.is_enabled() && !u.is_guest()) {
        let (in_mam, in_mdm) = (
            in_scope(mam, &u.id, dir)
                .map_err(|e| NotEvaluated::new(format!("MAM user scope: {e}")))?,
            in_scope(mdm, &u.id, dir)
                .map_err(|e| NotEvaluated::new(format!("MDM user scope: {e}")))?,
        );
        let judged = match (in_mam, in_mdm) {
            (Some(true), Some(true)) => Judged::Fail,
            (Some(false), _) | (_, Some(false)) => Judged::Pass,
            _ => Judged::Unknown("the members of a scope group were not collected".into()),
        };
        tally.add(Affected::new(AffectedKind::User, &u.id, u.name()), judged);
    }
    let evidence = json!({
        "mam_scope": scope_label(mam),
        "mdm_scope": scope_label(mdm),
        "users_in_both": tally.failed.len(),
        "users_undetermined": tally.undetermined_evidence(),
    });
    if tally.failed.is_empty() && tally.is_settled() {
        return Ok(Outcome::pass(format!(
            "No user is in both the MAM (WIP) user scope ({}) and the MDM user scope ({})",
            scope_label(mam),
            scope_label(mdm)
        ))
        .with_evidence(evidence));
    }
    let who = match tally.failed.len() {
        0 => format!(
            "{} may be",
            crate::report::count(tally.at_risk.len(), "user")
        ),
        1 => "1 user is".to_string(),
        n => format!("{n} users are"),
    };
    let mut summary = format!(
        "{who} in both the MAM (WIP) user scope ({}) and the MDM user scope ({}): their personally owned, registered devices get MAM instead of MDM enrollment (0x8018002B)",
        scope_label(mam),
        scope_label(mdm)
    );
    if tally.failed.is_empty() {
        if let Some((_, why)) = tally.at_risk.first() {
            summary.push_str(&format!(" ({why})"));
        }
    } else if !tally.is_settled() {
        summary.push_str(&format!("; {}", tally.at_risk_clause("more user")));
    }
    let mut affected = vec![Affected::new(
        AffectedKind::Setting,
        format!("mobileAppManagementPolicies/{}/appliesTo", mam.id),
        "MAM user scope (Microsoft Intune)",
    )];
    affected.extend(tally.failed.iter().cloned());
    affected.extend(tally.at_risk_affected());
    Ok(Outcome::warn(summary)
        .with_severity(Severity::Low)
        .with_affected(affected)
        .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::model::INTUNE_APP_ID;
    use crate::report::{FindingStatus, Severity};
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "mam-and-mdm-user-scope-overlap";

    fn tenant(mam: serde_json::Value, mdm: serde_json::Value) -> Fixture {
        Fixture::new()
            .with(Resource::MobileAppManagementPolicies, vec![mam])
            .with(Resource::MobileDeviceManagementPolicies, vec![mdm])
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![
                    group("g-byod", "BYOD", &[("user", "u1")]),
                    group("g-mdm", "MDM pilot", &[("user", "u2")]),
                ],
            )
    }

    #[test]
    fn passes_when_none_or_absent() {
        let f = tenant(mam_policy("none", &[]), mdm_policy("all", &[], "")).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        let f = Fixture::new()
            .with(Resource::MobileAppManagementPolicies, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    /// The 2019 article flagged any MAM scope other than None; the current docs
    /// (enable-automatic-mdm) say it matters only for users in both scopes.
    #[test]
    fn a_mam_scope_that_does_not_overlap_the_mdm_scope_passes() {
        let f = tenant(
            mam_policy("selected", &["g-byod"]),
            mdm_policy("selected", &["g-mdm"], ""),
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
    }

    #[test]
    fn warns_for_the_users_in_both_scopes() {
        let f = tenant(
            mam_policy("selected", &["g-byod"]),
            mdm_policy("all", &[], ""),
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(
            affected_ids(&f),
            [
                format!("mobileAppManagementPolicies/{INTUNE_APP_ID}/appliesTo"),
                "u1".into()
            ]
        );
        assert!(f.summary.contains("1 user is in both"), "{}", f.summary);
    }

    #[test]
    fn uncollected_members_put_users_at_risk() {
        let f = tenant(
            mam_policy("selected", &["g-unknown"]),
            mdm_policy("all", &[], ""),
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert!(f.affected.iter().any(|a| a.undetermined.is_some()));
    }

    #[test]
    fn not_evaluated_without_the_scopes() {
        let f = Fixture::new()
            .forbidden(Resource::MobileAppManagementPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
    }
}
