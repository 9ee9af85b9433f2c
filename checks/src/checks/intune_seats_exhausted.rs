use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::licensing::{has_intune, sku_available_units, sku_includes_intune, sku_is_active};
use crate::model::SubscribedSku;
use crate::references::DEVICE_ENROLLMENT;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::{json, Value};

declare_check! {
    /// No Intune licenses are left to assign to the users who still need one.
    ///
    /// ## What it checks
    /// Not in the article, but the same failure in practice: an unlicensed user cannot be given an
    /// Intune license when every seat is taken. It adds up the subscriptions that include an
    /// Intune plan and are active (capability status Enabled or Warning): seats available =
    /// `prepaidUnits.enabled + prepaidUnits.warning − consumedUnits`. It compares that with the
    /// number of users who could enroll and have no active Intune plan. It fails when no active
    /// subscription includes Intune, or when no seat is free while someone still needs one; it
    /// warns when fewer seats are free than users need them.
    ///
    /// ## Why enrollment fails
    /// A user without an Intune license sees *"This account is not allowed on this phone"* (or,
    /// where MDM for Office 365 is also used, *"Looks like the MDM Terms of Use endpoint is not
    /// correctly configured"*), and the license cannot be assigned while the subscriptions are full.
    ///
    /// ## Remediation
    /// 1. In the Microsoft 365 admin center open Billing > Licenses and check the subscriptions named in the finding (assigned versus available).
    /// 2. Buy more licenses for a subscription that includes Microsoft Intune Plan 1, or free seats by removing licenses from departed or disabled accounts.
    /// 3. Assign the freed or new licenses to the users who have none (see `users-without-intune-license`).
    ///
    /// ## Known limitations
    /// `consumedUnits` counts every assignment of a subscription, including users for whom the
    /// Intune plan is switched off. Group-based licensing errors are not read.
    pub META = CheckMeta {
        id: "intune-seats-exhausted",
        since: "0.1.0",
        preview: false,
        title: "No Intune licenses left for the users who need one",
        severity: Severity::High,
        area: Area::Licensing,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::SubscribedSkus, Resource::Users],
        in_article: false,
        references: &[DEVICE_ENROLLMENT.at("IT admin needs to assign license for access")],
    };
}

fn sku_evidence(s: &SubscribedSku) -> Value {
    json!({
        "id": s.id,
        "skuId": s.sku_id,
        "skuPartNumber": s.sku_part_number,
        "capabilityStatus": s.capability_status,
        "prepaidUnits": s.prepaid_units.as_ref().map(|p| json!({
            "enabled": p.enabled,
            "warning": p.warning,
            "suspended": p.suspended,
            "lockedOut": p.locked_out,
        })),
        "consumedUnits": s.consumed_units,
        "available": sku_available_units(s),
    })
}

fn sku_affected(list: &[&SubscribedSku]) -> Vec<Affected> {
    list.iter()
        .map(|s| Affected::new(AffectedKind::Setting, &s.id, s.name()))
        .collect()
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let skus = t.subscribed_skus.get()?;
    let population = cx.population()?;
    let intune_skus: Vec<&SubscribedSku> = skus.iter().filter(|s| sku_includes_intune(s)).collect();
    let by_state = |state: Option<bool>| -> Vec<&SubscribedSku> {
        intune_skus
            .iter()
            .copied()
            .filter(|s| sku_is_active(s) == state)
            .collect()
    };
    let (active, inactive, unreadable) =
        (by_state(Some(true)), by_state(Some(false)), by_state(None));
    let unlicensed = population
        .users
        .iter()
        .filter(|u| has_intune(u) == Some(false))
        .count();
    let may_need = population
        .users
        .iter()
        .filter(|u| has_intune(u).is_none())
        .count();
    // Seats that surely exist; a subscription whose status or counts cannot be read may add more.
    let available: i64 = active.iter().filter_map(|s| sku_available_units(s)).sum();
    let unsure_seats =
        !unreadable.is_empty() || active.iter().any(|s| sku_available_units(s).is_none());
    let evidence = json!({
        "population": population.evidence(),
        "users_without_intune": unlicensed,
        "users_with_unreadable_license_state": may_need,
        "seats_available": available,
        "intune_subscriptions": active.iter().map(|s| sku_evidence(s)).collect::<Vec<_>>(),
        "inactive_intune_subscriptions": inactive.iter().map(|s| sku_evidence(s)).collect::<Vec<_>>(),
        "unreadable_intune_subscriptions": unreadable.iter().map(|s| sku_evidence(s)).collect::<Vec<_>>(),
    });
    let names: Vec<String> = active
        .iter()
        .map(|s| match sku_available_units(s) {
            Some(n) => format!("{} ({n} free)", s.name()),
            None => format!("{} (free seats unknown)", s.name()),
        })
        .chain(unreadable.iter().map(|s| {
            format!(
                "{} (status {} not understood)",
                s.name(),
                s.capability_status
                    .as_ref()
                    .map_or("absent", |c| c.as_str())
            )
        }))
        .collect();
    if active.is_empty() && unreadable.is_empty() {
        let detail = if inactive.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = inactive.iter().map(|s| s.name()).collect();
            format!(
                " ({}: {} Intune, not active)",
                names.join(", "),
                if names.len() == 1 {
                    "includes"
                } else {
                    "include"
                }
            )
        };
        return Ok(Outcome::fail(format!(
            "No active subscription includes Intune{detail}: no user can be licensed for Intune enrollment"
        ))
        .with_affected(sku_affected(&inactive))
        .with_evidence(evidence));
    }
    let listed: Vec<&SubscribedSku> = active.iter().chain(&unreadable).copied().collect();
    if available <= 0 && unlicensed > 0 {
        let outcome = if unsure_seats {
            Outcome::warn
        } else {
            Outcome::fail
        };
        return Ok(outcome(format!(
            "No Intune seat is surely free ({}) while {} who could enroll {} no Intune license",
            names.join(", "),
            count(unlicensed, "user"),
            if unlicensed == 1 { "has" } else { "have" }
        ))
        .with_affected(sku_affected(&listed))
        .with_evidence(evidence));
    }
    let need = unlicensed + may_need;
    if need as i64 > available {
        return Ok(Outcome::warn(format!(
            "Only {} surely free ({}) for {} who could enroll without a readable Intune license",
            count(available.max(0) as usize, "Intune seat"),
            names.join(", "),
            count(need, "user")
        ))
        .with_affected(sku_affected(&listed))
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "{} free ({}) for {} who still {} one",
        count(available.max(0) as usize, "Intune seat"),
        names.join(", "),
        count(unlicensed, "user"),
        if unlicensed == 1 { "needs" } else { "need" }
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
