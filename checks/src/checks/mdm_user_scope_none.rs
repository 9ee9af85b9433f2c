use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::licensing::has_intune;
use crate::references::{AUTO_ENROLLMENT, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};
use serde_json::json;
use std::collections::BTreeSet;

declare_check! {
    /// Automatic MDM enrollment is off: the MDM user scope of Microsoft Intune reaches nobody.
    ///
    /// ## What it checks
    /// The MDM user scope of Microsoft Intune in Entra > Mobility (MDM and MAM) (`appliesTo`). It
    /// fails when the scope is None, when it is Some without any group, or when Intune is not an
    /// MDM application at all. Some warns when Intune-licensed users are outside the selected
    /// groups (their automatic enrollment fails the same way), and otherwise passes with the groups
    /// and their member counts in the evidence; All passes. When the configuration sets
    /// `expected_mdm_scope_groups`, a scope that differs from it is a warning naming both.
    ///
    /// ## Why enrollment fails
    /// With the MDM user scope at None, Windows devices that join Entra (OOBE, Autopilot, "Access
    /// work or school") or are told to enroll by group policy never enroll in Intune: the
    /// scheduled task logs *"Auto MDM Enroll: Failed" (0x8018002B)* (event 76).
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center (or Intune admin center > Devices > Enrollment > Windows > Automatic Enrollment) open Mobility (MDM and WIP) and select Microsoft Intune.
    /// 2. Set MDM user scope to All, or to Some and select the groups of users who enroll Windows devices, then Save.
    /// 3. If Microsoft Intune is not in the list, add it with "Add application" and set its MDM user scope as above.
    /// 4. Have the user sign in again (or run the "Schedule created by enrollment client for automatically enrolling in MDM from Microsoft Entra ID" task) to retry enrollment.
    pub META = CheckMeta {
        id: "mdm-user-scope-none",
        since: "0.1.0",
        preview: false,
        title: "Automatic MDM enrollment is off (MDM user scope None)",
        severity: Severity::Critical,
        area: Area::MdmScope,
        error_codes: &["0x8018002B", "0x80180031"],
        article_sections: &["auto-mdm-enroll-failed"],
        resources: &[
            Resource::MobileDeviceManagementPolicies,
            Resource::GroupMembers,
            Resource::Users,
        ],
        in_article: true,
        references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("Auto MDM Enroll: Failed"),
            AUTO_ENROLLMENT.at("Verify the configuration"),
        ],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let (t, s) = (cx.tenant, cx.settings);
    let Some(policy) = t.intune_mdm_policy()? else {
        return Ok(Outcome::fail(
            "Microsoft Intune is not configured as an MDM application in Entra: no Windows device enrolls automatically",
        )
        .with_evidence(json!({"intune_mdm_application": false})));
    };
    let setting = || {
        vec![Affected::new(
            AffectedKind::Setting,
            format!("mobileDeviceManagementPolicies/{}/appliesTo", policy.id),
            "MDM user scope (Microsoft Intune)",
        )]
    };
    let applies_to = policy.applies_to.as_ref().map(|a| a.as_str()).unwrap_or("");
    let (actual, evidence, summary): (BTreeSet<String>, _, String) = match applies_to {
        "none" => {
            return Ok(Outcome::fail(
                "The MDM user scope of Microsoft Intune is None: automatic MDM enrollment is off, so Entra-joined and group-policy devices never enroll",
            )
            .with_affected(setting())
            .with_evidence(json!({"appliesTo": applies_to})))
        }
        "all" => (
            BTreeSet::from(["all".to_string()]),
            json!({"appliesTo": applies_to}),
            "The MDM user scope of Microsoft Intune is All".to_string(),
        ),
        "selected" => {
            let groups = policy.included_groups.as_ref().ok_or_else(|| {
                NotEvaluated::new("the MDM user scope is Some, but its includedGroups were not collected")
            })?;
            if groups.is_empty() {
                return Ok(Outcome::fail(
                    "The MDM user scope of Microsoft Intune is Some with no group selected: nobody is in scope, so no device enrolls automatically",
                )
                .with_affected(setting())
                .with_evidence(json!({"appliesTo": applies_to, "included_groups": []})));
            }
            let dir = t.group_members.get()?;
            if let Some(g) = groups.iter().find(|g| !dir.knows(&g.id)) {
                return Err(NotEvaluated {
                    reason: format!(
                        "the members of MDM user scope group {} were not collected",
                        g.display_name.as_deref().unwrap_or(&g.id)
                    ),
                    permissions: vec![Resource::GroupMembers.permission().to_string()],
                });
            }
            let listed: Vec<_> = groups
                .iter()
                .map(|g| {
                    json!({"id": g.id, "displayName": g.display_name, "members": dir.member_count(&g.id)})
                })
                .collect();
            let names: Vec<String> = groups
                .iter()
                .map(|g| {
                    let name = g.display_name.as_deref().unwrap_or(&g.id);
                    match dir.member_count(&g.id) {
                        Some(n) => format!("'{name}' ({})", crate::report::count(n, "member")),
                        None => format!("'{name}' (members not collected)"),
                    }
                })
                .collect();
            (
                groups.iter().map(|g| g.id.to_ascii_lowercase()).collect(),
                json!({"appliesTo": applies_to, "included_groups": listed}),
                format!("The MDM user scope of Microsoft Intune is Some: {}", names.join(", ")),
            )
        }
        other => {
            return Err(NotEvaluated::new(format!(
                "the MDM user scope has an unrecognised appliesTo value {other:?}"
            )))
        }
    };
    let mut evidence = evidence;
    if applies_to == "selected" {
        if let Some(outside) = licensed_users_outside(t, &actual, &mut evidence) {
            if !outside.is_empty() {
                return Ok(Outcome::warn(format!(
                    "{summary}; {} with an Intune license {} outside it: automatic enrollment of their Windows devices fails with 0x8018002B",
                    count(outside.len(), "user"),
                    if outside.len() == 1 { "is" } else { "are" }
                ))
                .with_affected(outside)
                .with_evidence(evidence));
            }
        }
    }
    if let Some(expected) = &s.expected_mdm_scope_groups {
        let expected: BTreeSet<String> = expected
            .iter()
            .map(|g| g.trim().to_ascii_lowercase())
            .collect();
        evidence["expected"] = json!(expected);
        if expected != actual {
            let show = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
            return Ok(Outcome::warn(format!(
                "{summary}; the configuration expects {} but the scope is {}",
                show(&expected),
                show(&actual)
            ))
            .with_affected(setting())
            .with_evidence(evidence));
        }
    }
    Ok(Outcome::pass(summary).with_evidence(evidence))
}

/// Enabled members with an active Intune license who are in none of the scope's groups;
/// `None` when users were not collected (noted in the evidence).
fn licensed_users_outside(
    t: &Tenant,
    groups: &BTreeSet<String>,
    evidence: &mut serde_json::Value,
) -> Option<Vec<Affected>> {
    let (Ok(users), Ok(dir)) = (t.users.get(), t.group_members.get()) else {
        evidence["licensed_users_outside_scope"] = json!("not evaluated: users were not collected");
        return None;
    };
    let outside: Vec<Affected> = users
        .iter()
        .filter(|u| u.is_enabled() && !u.is_guest() && has_intune(u) != Some(false))
        .filter(|u| groups.iter().all(|g| dir.contains(g, &u.id) == Some(false)))
        .map(|u| Affected::new(AffectedKind::User, &u.id, u.name()))
        .collect();
    evidence["licensed_users_outside_scope"] = json!(outside.len());
    Some(outside)
}

#[cfg(test)]
mod tests {
    use crate::model::INTUNE_APP_ID;
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use std::collections::BTreeSet;

    const ID: &str = "mdm-user-scope-none";

    fn scope(applies_to: &str, groups: &[&str]) -> Fixture {
        Fixture::new()
            .with(
                Resource::MobileDeviceManagementPolicies,
                vec![mdm_policy(applies_to, groups, DEFAULT_TERMS_OF_USE)],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g1", "Pilot", &[("user", "u1"), ("user", "u2")])],
            )
    }

    fn setting_id() -> String {
        format!("mobileDeviceManagementPolicies/{INTUNE_APP_ID}/appliesTo")
    }

    #[test]
    fn passes_when_all() {
        assert_eq!(scope("all", &[]).run(ID).status, FindingStatus::Pass);
    }

    #[test]
    fn passes_when_some_with_member_counts() {
        let f = scope("selected", &["g1"]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["included_groups"][0]["members"], 2);
        assert!(f.summary.contains("(2 members)"));
    }

    #[test]
    fn warns_when_licensed_users_are_outside_some() {
        let f = scope("selected", &["g1"])
            .with(
                Resource::Users,
                vec![
                    licensed_user("u1", "in@contoso.com", &[INTUNE_A]),
                    licensed_user("u3", "out@contoso.com", &[INTUNE_A]),
                    user("u4", "unlicensed@contoso.com"),
                ],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["u3"]);
        assert_eq!(f.evidence["licensed_users_outside_scope"], 1);
    }

    #[test]
    fn fails_when_none() {
        let f = scope("none", &[]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [setting_id()]);
    }

    #[test]
    fn fails_when_some_without_groups() {
        let f = scope("selected", &[]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [setting_id()]);
    }

    #[test]
    fn fails_when_intune_is_not_an_mdm_application() {
        let f = Fixture::new()
            .with(Resource::MobileDeviceManagementPolicies, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert!(f.summary.contains("not configured as an MDM application"));
    }

    #[test]
    fn warns_when_scope_differs_from_the_expected_one() {
        let mut fx = scope("all", &[]);
        fx.settings.expected_mdm_scope_groups = Some(BTreeSet::from(["G1".to_string()]));
        let f = fx.run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), [setting_id()]);
        assert!(f.summary.contains("expects g1 but the scope is all"));

        let mut fx = scope("selected", &["g1"]);
        fx.settings.expected_mdm_scope_groups = Some(BTreeSet::from(["g1".to_string()]));
        assert_eq!(fx.run(ID).status, FindingStatus::Pass);
        let mut fx = scope("all", &[]);
        fx.settings.expected_mdm_scope_groups = Some(BTreeSet::from(["All".to_string()]));
        assert_eq!(fx.run(ID).status, FindingStatus::Pass);
    }

    #[test]
    fn not_evaluated_without_scope_or_group_members() {
        let f = Fixture::new()
            .forbidden(Resource::MobileDeviceManagementPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        let f = Fixture::new()
            .with(
                Resource::MobileDeviceManagementPolicies,
                vec![mdm_policy("selected", &["g1"], DEFAULT_TERMS_OF_USE)],
            )
            .run(ID);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "group members not collected"
        );
    }
}
