//! Intune and Entra ID licensing: the service-plan ids the checks look for, and the small
//! helpers that read them from users (`assignedPlans`) and subscriptions (`subscribedSkus`).
//!
//! Ids are `servicePlanId`s from Microsoft's licensing reference (see `graph-reference.md` §5).
//! A plan counts only while active: `capabilityStatus` `Enabled`, or `Warning` (the grace
//! period after a subscription lapses, during which the service still works).

use crate::model::{SubscribedSku, User};

/// Microsoft Intune Plan 1 (in EMS, Microsoft 365 E3/E5/Business Premium, the Intune SKU, …).
pub const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
/// Intune Plan 1, volume-licence SKU.
pub const INTUNE_A_VL: &str = "3e170737-c728-4eae-bbb9-3f3360f7184c";
/// Intune for Education.
pub const INTUNE_EDU: &str = "da24caf9-af8e-485c-b7c8-e73336da2693";
/// Intune in Microsoft 365 Business Premium / Intune SMB.
pub const INTUNE_SMBIZ: &str = "8e9ff0ff-aa7a-4b20-83c1-2f636b600ac2";
/// Intune G (GCC).
pub const INTUNE_A_GOV: &str = "d216f254-796f-4dab-bbfa-710686e646b9";

/// The plans that license a user for Intune (full Intune MDM).
pub const INTUNE_PLANS: &[&str] = &[
    INTUNE_A,
    INTUNE_A_VL,
    INTUNE_EDU,
    INTUNE_SMBIZ,
    INTUNE_A_GOV,
];

/// "Mobile Device Management for Office 365" (Basic Mobility and Security). **Not** Intune:
/// it does not license Windows enrollment into Intune.
pub const INTUNE_O365: &str = "882e1d05-acd1-4ccb-8708-6ee03664b117";

/// Entra ID P1.
pub const AAD_PREMIUM: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
/// Entra ID P2 (its SKUs also carry the P1 plan).
pub const AAD_PREMIUM_P2: &str = "eec0eb4f-6444-4f95-aba0-50c24d67f998";

/// The plans that give Entra ID P1 features (automatic MDM enrollment needs one).
pub const ENTRA_PREMIUM_PLANS: &[&str] = &[AAD_PREMIUM, AAD_PREMIUM_P2];

/// Whether the user has an active Intune plan (`None`: a plan's status cannot be read).
pub fn has_intune(user: &User) -> Option<bool> {
    user.has_active_plan(INTUNE_PLANS)
}

/// Whether the user has an active Entra ID P1 or P2 plan.
pub fn has_entra_premium(user: &User) -> Option<bool> {
    user.has_active_plan(ENTRA_PREMIUM_PLANS)
}

/// Whether the user has an active MDM for Office 365 (Basic Mobility and Security) plan.
pub fn has_mdm_for_office365(user: &User) -> Option<bool> {
    user.has_active_plan(&[INTUNE_O365])
}

/// Whether a subscription is usable: `capabilityStatus` `Enabled` or `Warning`; `None` when
/// the status is absent or a value this build does not know.
pub fn sku_is_active(sku: &SubscribedSku) -> Option<bool> {
    sku.capability_status.as_ref().and_then(|s| s.is_active())
}

/// Whether a subscription includes an Intune plan.
pub fn sku_includes_intune(sku: &SubscribedSku) -> bool {
    sku.includes_plan(INTUNE_PLANS)
}

/// Units that can still be assigned: `prepaidUnits.enabled + prepaidUnits.warning − consumedUnits`.
/// Negative when more licences are assigned than paid for; `None` when a count is absent.
pub fn sku_available_units(sku: &SubscribedSku) -> Option<i64> {
    let prepaid = sku.prepaid_units.as_ref()?;
    Some(prepaid.enabled + prepaid.warning - sku.consumed_units?)
}

/// Where MDM for Office 365 shows up in the tenant: the users who hold the plan, and the
/// subscriptions that include it (`None` when subscriptions were not collected).
#[derive(Debug, Clone)]
pub struct MdmForOffice365Use {
    pub users_with_plan: usize,
    pub skus_with_plan: Option<Vec<String>>,
}

impl MdmForOffice365Use {
    pub fn find(users: &[User], skus: Option<&[SubscribedSku]>) -> Self {
        MdmForOffice365Use {
            users_with_plan: users
                .iter()
                .filter(|u| has_mdm_for_office365(u) == Some(true))
                .count(),
            skus_with_plan: skus.map(|skus| {
                skus.iter()
                    .filter(|s| sku_is_active(s) != Some(false) && s.includes_plan(&[INTUNE_O365]))
                    .map(|s| s.name().to_string())
                    .collect()
            }),
        }
    }

    pub fn in_use(&self) -> bool {
        self.users_with_plan > 0 || self.skus_with_plan.as_ref().is_some_and(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user_with(plan: &str, status: &str) -> User {
        serde_json::from_value(json!({"id": "u", "assignedPlans": [
            {"servicePlanId": plan, "capabilityStatus": status, "service": "SCO"}
        ]}))
        .unwrap()
    }

    #[test]
    fn intune_plans_count_only_while_active() {
        assert_eq!(has_intune(&user_with(INTUNE_A, "Enabled")), Some(true));
        assert_eq!(has_intune(&user_with(INTUNE_EDU, "Warning")), Some(true));
        assert_eq!(
            has_intune(&user_with(&INTUNE_A_GOV.to_uppercase(), "Enabled")),
            Some(true)
        );
        assert_eq!(has_intune(&user_with(INTUNE_A, "Suspended")), Some(false));
        assert_eq!(
            has_intune(&user_with(INTUNE_O365, "Enabled")),
            Some(false),
            "MDM for Office 365 is not Intune"
        );
        assert_eq!(
            has_mdm_for_office365(&user_with(INTUNE_O365, "Enabled")),
            Some(true)
        );
        assert_eq!(
            has_entra_premium(&user_with(AAD_PREMIUM_P2, "Enabled")),
            Some(true)
        );
        assert_eq!(
            has_entra_premium(&user_with(AAD_PREMIUM, "Deleted")),
            Some(false)
        );
    }

    #[test]
    fn an_unknown_plan_status_is_never_read_as_inactive() {
        assert_eq!(has_intune(&user_with(INTUNE_A, "unknownFutureValue")), None);
        assert_eq!(has_intune(&user_with(INTUNE_A, "PendingActivation")), None);
    }

    #[test]
    fn available_units_include_the_grace_period() {
        let sku: SubscribedSku = serde_json::from_value(json!({
            "id": "s", "capabilityStatus": "Warning", "consumedUnits": 12,
            "prepaidUnits": {"enabled": 10, "warning": 5, "suspended": 3, "lockedOut": 0},
            "servicePlans": [{"servicePlanId": INTUNE_SMBIZ}]
        }))
        .unwrap();
        assert_eq!(sku_is_active(&sku), Some(true));
        assert!(sku_includes_intune(&sku));
        assert_eq!(sku_available_units(&sku), Some(3));
        let unknown: SubscribedSku = serde_json::from_value(json!({
            "id": "s", "capabilityStatus": "unknownFutureValue", "servicePlans": []
        }))
        .unwrap();
        assert_eq!(sku_is_active(&unknown), None);
        assert_eq!(sku_available_units(&unknown), None);
    }
}
