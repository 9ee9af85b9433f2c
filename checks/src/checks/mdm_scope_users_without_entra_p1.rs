use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::licensing::{has_entra_premium, ENTRA_PREMIUM_PLANS};
use crate::references::AUTOMATIC_MDM;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// Users in the MDM user scope have no Entra ID P1 or P2 license.
    ///
    /// ## What it checks
    /// Not in the article, but the same failure in practice: automatic MDM enrollment (the MDM
    /// user scope of Microsoft Intune in Entra > Mobility) is an Entra ID P1 feature. When the scope
    /// is All or Some, it lists the enabled member users in scope (for Some: the transitive members
    /// of the included groups) whose `assignedPlans` hold no active Entra ID P1 (`AAD_PREMIUM`) or
    /// P2 (`AAD_PREMIUM_P2`) plan. It is not applicable when the scope is None (automatic
    /// enrollment is off) or Intune is not an MDM application in Entra.
    ///
    /// ## Why enrollment fails
    /// Without Entra ID P1 the device joins Entra but does not enroll automatically: the
    /// scheduled task logs *"Auto MDM Enroll: Failed" (0x8018002B)*, or no MDM enrollment
    /// happens at all during Entra join and Autopilot.
    ///
    /// ## Remediation
    /// 1. In the Microsoft 365 admin center assign each user named in the finding a license that includes Microsoft Entra ID P1 (for example Microsoft 365 E3/E5, Business Premium, EMS E3/E5 or Entra ID P1).
    /// 2. If the license is assigned but the Entra ID P1 service plan is switched off, turn it on in the user's license assignment.
    /// 3. Once the license applies, sign in again on the device or restart it so the enrollment task runs again.
    ///
    /// ## Known limitations
    /// Groups of the scope whose members were not collected cannot be judged; the check is then
    /// not evaluated unless it already found unlicensed users.
    pub META = CheckMeta {
        id: "mdm-scope-users-without-entra-p1",
        since: "0.1.0",
        preview: false,
        title: "Users in the MDM user scope have no Entra ID P1 license",
        severity: Severity::High,
        area: Area::Licensing,
        error_codes: &[],
        article_sections: &["auto-mdm-enroll-failed", "prerequisites"],
        resources: &[
            Resource::MobileDeviceManagementPolicies,
            Resource::Users,
            Resource::GroupMembers,
        ],
        in_article: false,
        references: &[AUTOMATIC_MDM.at("Prerequisites")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let Some(policy) = t.intune_mdm_policy()? else {
        return Ok(Outcome::not_applicable(
            "Microsoft Intune is not configured as an MDM application in Entra, so automatic MDM enrollment is not in use (see mdm-user-scope-none)",
        ));
    };
    let applies_to = policy.applies_to.as_ref().map(|a| a.as_str()).unwrap_or("");
    let mut uncollected: Vec<String> = Vec::new();
    let mut groups_evidence = Vec::new();
    match applies_to {
        "none" => {
            return Ok(Outcome::not_applicable(
                "The MDM user scope is None: automatic MDM enrollment is off, so no Entra ID P1 is needed for it",
            )
            .with_evidence(json!({"appliesTo": applies_to})))
        }
        "all" => {}
        "selected" => {
            let groups = policy.included_groups.as_ref().ok_or_else(|| {
                NotEvaluated::new("the MDM user scope is Some, but its includedGroups were not collected")
            })?;
            let dir = t.group_members.get()?;
            for g in groups {
                if !dir.knows(&g.id) {
                    uncollected.push(g.display_name.clone().unwrap_or_else(|| g.id.clone()));
                }
                groups_evidence.push(json!({
                    "id": g.id, "displayName": g.display_name, "members": dir.member_count(&g.id),
                }));
            }
        }
        other => {
            return Err(NotEvaluated::new(format!(
                "the MDM user scope has an unrecognised appliesTo value {other:?}"
            )))
        }
    }
    let population = cx.population()?;
    let missing: Vec<Affected> = population
        .users
        .iter()
        .filter(|u| has_entra_premium(u) == Some(false))
        .map(|u| Affected::new(AffectedKind::User, &u.id, u.name()))
        .collect();
    let unreadable: Vec<Affected> = population
        .users
        .iter()
        .filter(|u| has_entra_premium(u).is_none())
        .map(|u| {
            Affected::new(AffectedKind::User, &u.id, u.name()).undetermined(
                "an Entra ID P1/P2 plan's capabilityStatus is absent or not understood",
            )
        })
        .collect();
    let evidence = json!({
        "appliesTo": applies_to,
        "included_groups": groups_evidence,
        "groups_not_collected": uncollected,
        "population": population.evidence(),
        "users_in_scope": population.users.len(),
        "users_without_entra_p1": missing.len(),
        "users_with_unreadable_plan_state": unreadable.len(),
        "entra_premium_service_plan_ids": ENTRA_PREMIUM_PLANS,
    });
    if !missing.is_empty() {
        let mut names: Vec<&str> = missing.iter().take(3).map(|a| a.name.as_str()).collect();
        if missing.len() > 3 {
            names.push("…");
        }
        return Ok(Outcome::fail(format!(
            "{} of {} in the MDM user scope ({}) {} no active Entra ID P1 or P2 license ({}): automatic MDM enrollment does not run for them",
            missing.len(),
            count(population.users.len(), "user"),
            if applies_to == "all" { "All" } else { "Some" },
            if missing.len() == 1 { "has" } else { "have" },
            names.join(", ")
        ))
        .with_affected(missing)
        .with_evidence(evidence));
    }
    if !uncollected.is_empty() {
        return Err(NotEvaluated {
            reason: format!(
                "the members of MDM user scope {} {} were not collected",
                if uncollected.len() == 1 {
                    "group"
                } else {
                    "groups"
                },
                uncollected.join(", ")
            ),
            permissions: vec![Resource::GroupMembers.permission().to_string()],
        });
    }
    if !unreadable.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} in the MDM user scope may lack Entra ID P1 or P2: the plan's status cannot be read",
            count(unreadable.len(), "user")
        ))
        .with_affected(unreadable)
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "{} in the MDM user scope has an active Entra ID P1 or P2 license",
        crate::report::every_cap(population.users.len(), "user")
    ))
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::licensing::{AAD_PREMIUM, AAD_PREMIUM_P2, INTUNE_A};
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "mdm-scope-users-without-entra-p1";

    fn tenant(policy: Vec<serde_json::Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    licensed_user("u1", "adele@contoso.com", &[INTUNE_A, AAD_PREMIUM]),
                    licensed_user("u2", "bob@contoso.com", &[INTUNE_A]),
                    licensed_user("u3", "cara@contoso.com", &[AAD_PREMIUM_P2]),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g1", "Pilot", &[("user", "u1"), ("user", "u3")])],
            )
            .with(Resource::MobileDeviceManagementPolicies, policy)
    }

    #[test]
    fn fails_for_unlicensed_users_when_scope_is_all() {
        let f = tenant(vec![mdm_policy("all", &[], DEFAULT_TERMS_OF_USE)]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u2"]);
    }

    #[test]
    fn passes_when_the_selected_groups_are_licensed() {
        let f = tenant(vec![mdm_policy("selected", &["g1"], DEFAULT_TERMS_OF_USE)]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["users_in_scope"], 2);
        assert_eq!(f.evidence["included_groups"][0]["members"], 2);
    }

    #[test]
    fn fails_for_unlicensed_member_of_a_selected_group() {
        let f = tenant(vec![mdm_policy("selected", &["g2"], DEFAULT_TERMS_OF_USE)])
            .with(
                Resource::GroupMembers,
                vec![group("g2", "Sales", &[("user", "u2"), ("user", "u3")])],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u2"]);
    }

    #[test]
    fn not_applicable_when_scope_is_none_or_intune_missing() {
        let f = tenant(vec![mdm_policy("none", &[], DEFAULT_TERMS_OF_USE)]).run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
        let f = tenant(vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
        assert!(f.summary.contains("not configured as an MDM application"));
    }

    #[test]
    fn not_evaluated_when_scope_or_group_members_missing() {
        let f = tenant(vec![])
            .forbidden(Resource::MobileDeviceManagementPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Policy.Read.All (delegated only)"]);
        let f = tenant(vec![mdm_policy(
            "selected",
            &["g-unknown"],
            DEFAULT_TERMS_OF_USE,
        )])
        .run(ID);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "scope group members not collected"
        );
    }
}
