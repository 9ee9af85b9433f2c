use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::licensing::{has_intune, has_mdm_for_office365, MdmForOffice365Use, INTUNE_PLANS};
use crate::references::{DEVICE_ENROLLMENT, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Users who could enroll have no active Intune license.
    ///
    /// ## What it checks
    /// For every user who could enroll (enabled member accounts, narrowed to the MDM user scope's
    /// groups when the scope is "Some"), whether `assignedPlans` holds an active Intune service
    /// plan (Intune Plan 1 in any of its SKUs: `INTUNE_A`, `INTUNE_A_VL`, `INTUNE_EDU`,
    /// `INTUNE_SMBIZ`, `INTUNE_A_GOV`; status Enabled or Warning). MDM for Office 365
    /// (`INTUNE_O365`, Basic Mobility and Security) does not count as Intune. It also records
    /// whether the tenant uses MDM for Office 365 (a user holds the plan, or a subscription
    /// includes it when subscriptions were collected), since that changes the message users see.
    ///
    /// ## Why enrollment fails
    /// Intune refuses a user without an Intune license: *"This account is not allowed on this
    /// phone"*. Where MDM for Office 365 and Intune are both in use, a user with neither license
    /// sees *"Looks like the MDM Terms of Use endpoint is not correctly configured"* instead.
    /// The article's prerequisites start with this license.
    ///
    /// ## Remediation
    /// 1. In the Microsoft 365 admin center open Billing > Licenses (or Users > Active users) and assign a license that includes Microsoft Intune Plan 1 (for example Microsoft 365 E3/E5, Business Premium, EMS E3/E5 or Intune Plan 1) to each user named in the finding, or add them to the group that assigns it.
    /// 2. If a license is assigned but the Intune service plan is switched off, open the user's license assignment and turn Microsoft Intune on.
    /// 3. Wait for the assignment to apply (licence processing can take some minutes) and let the user enroll again.
    ///
    /// ## Known limitations
    /// Graph returns `assignedPlans` only when the collector selects it; a snapshot collected
    /// without it shows every user as unlicensed (the evidence counts users with any plan at all).
    pub META = CheckMeta {
        id: "users-without-intune-license",
        since: "0.1.0",
        preview: false,
        title: "Users who could enroll have no active Intune license",
        severity: Severity::High,
        area: Area::Licensing,
        error_codes: &["0x80180018"],
        article_sections: &[
            "this-account-is-not-allowed-on-this-phone",
            "looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured",
            "prerequisites",
        ],
        resources: &[
            Resource::Users,
            Resource::GroupMembers,
            Resource::SubscribedSkus,
        ],
        in_article: true,
        references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("This account is not allowed on this phone."),
            DEVICE_ENROLLMENT.at("IT admin needs to assign license for access"),
        ],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let all_users = t.users.get()?;
    let population = cx.population()?;
    // Subscriptions are optional here: they only sharpen the MDM for Office 365 evidence.
    let skus = t.subscribed_skus.get().ok().map(Vec::as_slice);
    let o365 = MdmForOffice365Use::find(all_users, skus);
    let mut tally = Tally::default();
    for u in &population.users {
        let judged = match has_intune(u) {
            Some(licensed) => Judged::fails_if(!licensed),
            None => Judged::Unknown(
                "an Intune plan's capabilityStatus is absent or not understood".into(),
            ),
        };
        tally.add(Affected::new(AffectedKind::User, &u.id, u.name()), judged);
    }
    let unlicensed_with_o365 = population
        .users
        .iter()
        .filter(|u| has_intune(u) == Some(false) && has_mdm_for_office365(u) == Some(true))
        .count();
    let evidence = json!({
        "population": population.evidence(),
        "users_evaluated": tally.total(),
        "users_licensed": tally.passed,
        "users_unlicensed": tally.failed.len(),
        "users_undetermined": tally.undetermined_evidence(),
        "unlicensed_with_mdm_for_office365_only": unlicensed_with_o365,
        "intune_service_plan_ids": INTUNE_PLANS,
        "users_with_any_assigned_plan": all_users.iter().filter(|u| !u.assigned_plans.is_empty()).count(),
        "mdm_for_office365": {
            "in_use": o365.in_use(),
            "users_with_plan": o365.users_with_plan,
            "subscriptions_with_plan": match &o365.skus_with_plan {
                Some(s) => json!(s),
                None => json!("subscribedSkus not collected"),
            },
        },
    });
    if population.users.is_empty() {
        return Ok(Outcome::not_applicable(format!(
            "No user could enroll (population: {}), so no license is needed",
            population.basis
        ))
        .with_evidence(evidence));
    }
    if tally.failed.is_empty() && tally.is_settled() {
        return Ok(Outcome::pass(format!(
            "{} who could enroll has an active Intune license",
            crate::report::every_cap(tally.total(), "user")
        ))
        .with_evidence(evidence));
    }
    if tally.failed.is_empty() {
        return Ok(Outcome::warn(format!(
            "The license state of some of the {} who could enroll is unreadable: {}",
            count(tally.total(), "user"),
            tally.at_risk_clause("user")
        ))
        .with_affected(tally.at_risk_affected())
        .with_evidence(evidence));
    }
    let mut names: Vec<&str> = tally
        .failed
        .iter()
        .take(3)
        .map(|a| a.name.as_str())
        .collect();
    if tally.failed.len() > 3 {
        names.push("…");
    }
    let mut summary = format!(
        "{} of {} who could enroll {} no active Intune license ({}): Intune rejects them with \"This account is not allowed on this phone\" (0x80180018)",
        tally.failed.len(),
        count(tally.total(), "user"),
        if tally.failed.len() == 1 { "has" } else { "have" },
        names.join(", ")
    );
    if o365.in_use() {
        summary.push_str(
            "; MDM for Office 365 is also used in this tenant, so users with neither license see \"Looks like the MDM Terms of Use endpoint is not correctly configured\"",
        );
    }
    if !tally.is_settled() {
        summary.push_str(&format!("; {}", tally.at_risk_clause("more user")));
    }
    let mut affected = tally.failed.clone();
    affected.extend(tally.at_risk_affected());
    Ok(Outcome::fail(summary)
        .with_affected(affected)
        .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::licensing::{INTUNE_A, INTUNE_EDU, INTUNE_O365};
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "users-without-intune-license";

    fn users(items: Vec<serde_json::Value>) -> Fixture {
        Fixture::new().with(Resource::Users, items)
    }

    #[test]
    fn passes_when_everyone_has_intune() {
        let f = users(vec![
            licensed_user("u1", "adele@contoso.com", &[INTUNE_A]),
            licensed_user("u2", "bob@contoso.com", &[INTUNE_EDU]),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["users_licensed"], 2);
    }

    #[test]
    fn fails_for_unlicensed_and_suspended_users() {
        let mut suspended = licensed_user("u3", "cara@contoso.com", &[INTUNE_A]);
        suspended["assignedPlans"][0]["capabilityStatus"] = "Suspended".into();
        let mut grace = licensed_user("u4", "dan@contoso.com", &[INTUNE_A]);
        grace["assignedPlans"][0]["capabilityStatus"] = "Warning".into();
        let f = users(vec![
            licensed_user("u1", "adele@contoso.com", &[INTUNE_A]),
            user("u2", "bob@contoso.com"),
            suspended,
            grace,
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u2", "u3"]);
        assert_eq!(f.evidence["mdm_for_office365"]["in_use"], false);
        assert_eq!(
            f.evidence["mdm_for_office365"]["subscriptions_with_plan"],
            "subscribedSkus not collected"
        );
    }

    #[test]
    fn mdm_for_office365_is_not_intune_and_changes_the_message() {
        let f = users(vec![
            licensed_user("u1", "adele@contoso.com", &[INTUNE_O365]),
            user("u2", "bob@contoso.com"),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u1", "u2"]);
        assert_eq!(f.evidence["mdm_for_office365"]["in_use"], true);
        assert_eq!(f.evidence["unlicensed_with_mdm_for_office365_only"], 1);
        assert!(f.summary.contains("MDM Terms of Use endpoint"));
    }

    #[test]
    fn subscriptions_reveal_mdm_for_office365() {
        let f = users(vec![user("u1", "adele@contoso.com")])
            .with(
                Resource::SubscribedSkus,
                vec![sku("O365_BUSINESS_PREMIUM", &[INTUNE_O365], 10, 1)],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u1"]);
        assert_eq!(
            f.evidence["mdm_for_office365"]["subscriptions_with_plan"][0],
            "O365_BUSINESS_PREMIUM"
        );
        assert!(f.summary.contains("MDM Terms of Use endpoint"));
    }

    #[test]
    fn disabled_guest_and_package_accounts_are_not_judged() {
        let mut disabled = user("u2", "old@contoso.com");
        disabled["accountEnabled"] = false.into();
        let mut guest = user("u3", "ext_guest#EXT#@contoso.com");
        guest["userType"] = "Guest".into();
        let f = users(vec![
            licensed_user("u1", "adele@contoso.com", &[INTUNE_A]),
            disabled,
            guest,
            user(
                "u4",
                "package_3f0b2a1c-94d1-4b7a-9a55-1e2d3c4b5a69@contoso.com",
            ),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn not_applicable_when_nobody_is_in_mdm_scope() {
        let f = users(vec![user("u1", "adele@contoso.com")])
            .with(
                Resource::MobileDeviceManagementPolicies,
                vec![mdm_policy("selected", &["g1"], DEFAULT_TERMS_OF_USE)],
            )
            .with(Resource::GroupMembers, vec![group("g1", "Pilot", &[])])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn subscriptions_are_optional() {
        let mut t = users(vec![licensed_user("u1", "adele@contoso.com", &[INTUNE_A])])
            .with(
                Resource::SubscribedSkus,
                vec![sku("SPE_E3", &[INTUNE_A], 10, 1)],
            )
            .tenant();
        t.subscribed_skus = crate::tenant::Collected::missing(Resource::SubscribedSkus);
        let outcome = super::evaluate(&crate::context::Ctx::new(
            &t,
            &crate::settings::Settings::default(),
        ))
        .unwrap();
        assert_eq!(outcome.status, FindingStatus::Pass);
        assert_eq!(
            outcome.evidence["mdm_for_office365"]["subscriptions_with_plan"],
            "subscribedSkus not collected"
        );
    }

    #[test]
    fn not_evaluated_without_users() {
        let f = Fixture::new().forbidden(Resource::Users).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["User.Read.All"]);
    }
}
