//! No Intune licenses are left to assign to the users who still need one.
//!
//! ## What it checks
//! Not in the article, but the same failure in practice: an unlicensed user cannot be given an
//! Intune license when every seat is taken. It adds up the subscriptions that include an
//! Intune plan and are active (capability status Enabled or Warning): seats available =
//! `prepaidUnits.enabled + prepaidUnits.warning − consumedUnits`. It compares that with the
//! number of users who could enroll and have no active Intune plan. It fails when no active
//! subscription includes Intune, or when no seat is free while someone still needs one; it
//! warns when fewer seats are free than users need them.
//!
//! ## Why enrollment fails
//! A user without an Intune license sees *"This account is not allowed on this phone"* (or,
//! where MDM for Office 365 is also used, *"Looks like the MDM Terms of Use endpoint is not
//! correctly configured"*), and the license cannot be assigned while the subscriptions are full.
//!
//! ## Remediation
//! 1. In the Microsoft 365 admin center open Billing > Licenses and check the subscriptions named in the finding (assigned versus available).
//! 2. Buy more licenses for a subscription that includes Microsoft Intune Plan 1, or free seats by removing licenses from departed or disabled accounts.
//! 3. Assign the freed or new licenses to the users who have none (see `users-without-intune-license`).
//!
//! ## Known limitations
//! `consumedUnits` counts every assignment of a subscription, including users for whom the
//! Intune plan is switched off. Group-based licensing errors are not read.

use crate::catalog::{Area, CheckMeta};
use crate::licensing::{has_intune, sku_available_units, sku_includes_intune, sku_is_active};
use crate::model::SubscribedSku;
use crate::population::enrolling_users;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::settings::Settings;
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};
use serde_json::{json, Value};

pub const META: CheckMeta = CheckMeta {
    id: "intune-seats-exhausted",
    title: "No Intune licenses left for the users who need one",
    severity: Severity::High,
    area: Area::Licensing,
    error_codes: &[],
    article_sections: &["prerequisites"],
    resources: &[Resource::SubscribedSkus, Resource::Users],
    in_article: false,
};

fn sku_evidence(s: &SubscribedSku) -> Value {
    json!({
        "id": s.id,
        "skuId": s.sku_id,
        "skuPartNumber": s.sku_part_number,
        "capabilityStatus": s.capability_status,
        "prepaidUnits": {
            "enabled": s.prepaid_units.enabled,
            "warning": s.prepaid_units.warning,
            "suspended": s.prepaid_units.suspended,
            "lockedOut": s.prepaid_units.locked_out,
        },
        "consumedUnits": s.consumed_units,
        "available": sku_available_units(s),
    })
}

pub fn evaluate(t: &Tenant, _: &Settings) -> Result<Outcome, NotEvaluated> {
    let skus = t.subscribed_skus.get()?;
    let population = enrolling_users(t)?;
    let intune_skus: Vec<&SubscribedSku> = skus.iter().filter(|s| sku_includes_intune(s)).collect();
    let (active, inactive): (Vec<&SubscribedSku>, Vec<&SubscribedSku>) =
        intune_skus.iter().partition(|s| sku_is_active(s));
    let unlicensed = population.users.iter().filter(|u| !has_intune(u)).count();
    let available: i64 = active.iter().map(|s| sku_available_units(s)).sum();
    let evidence = json!({
        "population": population.evidence(),
        "users_without_intune": unlicensed,
        "seats_available": available,
        "intune_subscriptions": active.iter().map(|s| sku_evidence(s)).collect::<Vec<_>>(),
        "inactive_intune_subscriptions": inactive.iter().map(|s| sku_evidence(s)).collect::<Vec<_>>(),
    });
    let sku_affected = |list: &[&SubscribedSku]| -> Vec<Affected> {
        list.iter()
            .map(|s| Affected::new(AffectedKind::Setting, &s.id, s.name()))
            .collect()
    };
    if active.is_empty() {
        let detail = if inactive.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = inactive.iter().map(|s| s.name()).collect();
            format!(" ({} include Intune but are not active)", names.join(", "))
        };
        return Ok(Outcome::fail(format!(
            "No active subscription includes Intune{detail}: no user can be licensed for Intune enrollment"
        ))
        .with_affected(sku_affected(&inactive))
        .with_evidence(evidence));
    }
    let names: Vec<String> = active
        .iter()
        .map(|s| format!("{} ({} free)", s.name(), sku_available_units(s)))
        .collect();
    if available <= 0 && unlicensed > 0 {
        return Ok(Outcome::fail(format!(
            "No Intune seat is free ({}) while {unlicensed} users who could enroll have no Intune license",
            names.join(", ")
        ))
        .with_affected(sku_affected(&active))
        .with_evidence(evidence));
    }
    if unlicensed as i64 > available {
        return Ok(Outcome::warn(format!(
            "Only {available} Intune seats are free ({}) for {unlicensed} users who could enroll without an Intune license",
            names.join(", ")
        ))
        .with_affected(sku_affected(&active))
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "{available} Intune seats are free ({}) for {unlicensed} users who still need one",
        names.join(", ")
    ))
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::licensing::{INTUNE_A, INTUNE_O365};
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "intune-seats-exhausted";

    fn tenant(skus: Vec<serde_json::Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    licensed_user("u1", "adele@contoso.com", &[INTUNE_A]),
                    user("u2", "bob@contoso.com"),
                    user("u3", "cara@contoso.com"),
                ],
            )
            .with(Resource::SubscribedSkus, skus)
    }

    #[test]
    fn passes_with_enough_free_seats() {
        let f = tenant(vec![sku("SPE_E3", &[INTUNE_A], 10, 1)]).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["seats_available"], 9);
        assert_eq!(f.evidence["users_without_intune"], 2);
    }

    #[test]
    fn full_seats_pass_when_nobody_needs_one() {
        let f = Fixture::new()
            .with(
                Resource::Users,
                vec![licensed_user("u1", "adele@contoso.com", &[INTUNE_A])],
            )
            .with(
                Resource::SubscribedSkus,
                vec![sku("SPE_E3", &[INTUNE_A], 1, 1)],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn fails_when_no_subscription_includes_intune() {
        let mut suspended = sku("EMS", &[INTUNE_A], 10, 0);
        suspended["capabilityStatus"] = "Suspended".into();
        let f = tenant(vec![
            sku("O365_BUSINESS_PREMIUM", &[INTUNE_O365], 10, 1),
            suspended,
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [format!("{TENANT}_EMS")]);
        assert!(f.summary.contains("No active subscription includes Intune"));
    }

    #[test]
    fn fails_when_seats_are_used_up() {
        let f = tenant(vec![
            sku("SPE_E3", &[INTUNE_A], 5, 5),
            sku("EMS", &[INTUNE_A], 2, 3),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(
            affected_ids(&f),
            [format!("{TENANT}_EMS"), format!("{TENANT}_SPE_E3")]
        );
        assert_eq!(f.evidence["seats_available"], -1);
    }

    #[test]
    fn warns_when_fewer_seats_than_users_need() {
        let mut grace = sku("SPE_E3", &[INTUNE_A], 0, 4);
        grace["capabilityStatus"] = "Warning".into();
        grace["prepaidUnits"]["warning"] = 5.into();
        let f = tenant(vec![grace]).run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), [format!("{TENANT}_SPE_E3")]);
        assert_eq!(f.evidence["seats_available"], 1);
    }

    #[test]
    fn not_evaluated_without_subscriptions() {
        let f = tenant(vec![]).forbidden(Resource::SubscribedSkus).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["LicenseAssignment.Read.All"]);
    }
}
