use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::LIMITS;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::HashMap;

declare_check! {
    /// Users have reached the Entra "maximum number of devices per user" quota.
    ///
    /// ## What it checks
    /// Not in the article, but the same failure in practice: Entra refuses to join or register one
    /// more device for a user who has reached the device quota (`userDeviceQuota`, "Maximum number
    /// of devices per user"). For every user who could enroll it counts the Entra devices that list
    /// the user in `registeredOwners`, leaving out hybrid-joined devices (`trustType` `ServerAd`),
    /// to which the quota does not apply. It fails for users at or over the quota and warns for
    /// users within the configured margin (`device_quota_margin`, default 1) of it. Security
    /// baselines reward a low quota; the finding names that trade-off.
    ///
    /// ## Why enrollment fails
    /// The Entra join or registration that precedes Windows MDM enrollment is refused because the
    /// user has too many devices (Entra reports that the device limit was reached), so no Intune
    /// enrollment follows; on a new PC the user typically sees a generic join or enrollment error.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Devices > All devices, filter on each user named in the finding, and delete stale or duplicate devices (export the list first).
    /// 2. Or raise Entra ID > Devices > Device settings > "Maximum number of devices per user" to a value that fits how many devices a user really has, then Save.
    /// 3. If the low quota is a deliberate security decision (Zero Trust assessment 21837, CIS), keep it, clean up stale devices regularly, and record the decision with a waiver.
    ///
    /// ## Known limitations
    /// Graph returns `registeredOwners` only when the collector expands it; when no Entra-joined or
    /// registered device has an owner the check is not evaluated rather than passed.
    pub META = CheckMeta {
        id: "entra-device-quota-reached",
        since: "0.1.0",
        preview: false,
        title: "Users have reached the Entra maximum number of devices per user",
        severity: Severity::Medium,
        area: Area::EntraJoin,
        error_codes: &["0x801C000E"],
        article_sections: &["prerequisites"],
        resources: &[
            Resource::DeviceRegistrationPolicy,
            Resource::Devices,
            Resource::Users,
        ],
        in_article: false,
        references: &[LIMITS.at("Microsoft Entra device limit")],
    };
}

const SECURITY_TRADEOFF: &str = "Security baselines (Zero Trust assessment 21837, CIS) reward a low \"Maximum number of devices per user\"; a low quota stops users with several (often stale) devices from joining or registering another one. If the quota is deliberate, clean up stale devices and record the decision with a waiver.";

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let (t, s) = (cx.tenant, cx.settings);
    let policy = t.registration_policy()?;
    let quota = policy.user_device_quota.ok_or_else(|| {
        NotEvaluated::new("deviceRegistrationPolicy was read without userDeviceQuota")
    })?;
    let devices = t.devices.get()?;
    let population = cx.population()?;
    let counted: Vec<_> = devices
        .iter()
        .filter(|d| d.trust_type != Some(crate::model::TrustType::ServerAd))
        .collect();
    let hybrid = devices.len() - counted.len();
    if population.users.is_empty() {
        return Ok(Outcome::not_applicable(
            "No user could enroll, so no one's Entra device quota is at stake",
        ));
    }
    if !counted.is_empty() && counted.iter().all(|d| d.registered_owners.is_empty()) {
        return Err(NotEvaluated {
            reason: format!(
                "none of the {} lists a registered owner: registeredOwners was probably not expanded by the collector",
                crate::report::count(counted.len(), "Entra-joined or registered device")
            ),
            permissions: vec![Resource::Devices.permission().to_string()],
        });
    }
    // Devices whose trust type is absent or unknown may be hybrid joined (not counted by Entra).
    let mut per_user: HashMap<String, i64> = HashMap::new();
    let mut unsure_per_user: HashMap<String, i64> = HashMap::new();
    for d in &counted {
        let sure = d.trust_type.as_ref().is_some_and(|t| t.is_known());
        let map = if sure {
            &mut per_user
        } else {
            &mut unsure_per_user
        };
        for owner in &d.registered_owners {
            *map.entry(owner.id.to_ascii_lowercase()).or_default() += 1;
        }
    }
    let threshold = quota - s.device_quota_margin;
    let mut at_quota = Vec::new();
    let mut near_quota = Vec::new();
    for u in &population.users {
        let key = u.id.to_ascii_lowercase();
        let n = per_user.get(&key).copied().unwrap_or(0);
        let unsure = unsure_per_user.get(&key).copied().unwrap_or(0);
        if n >= quota {
            at_quota.push((u, n));
        } else if n + unsure >= threshold {
            near_quota.push((u, n + unsure));
        }
    }
    let list = |v: &[(&&crate::model::User, i64)]| {
        v.iter()
            .map(|(u, n)| json!({"id": u.id, "name": u.name(), "devices": n}))
            .collect::<Vec<_>>()
    };
    let evidence = json!({
        "userDeviceQuota": quota,
        "margin": s.device_quota_margin,
        "population": population.evidence(),
        "devices_counted": counted.len(),
        "hybrid_joined_devices_not_counted": hybrid,
        "users_at_quota": list(&at_quota),
        "users_near_quota": list(&near_quota),
        "security_tradeoff": SECURITY_TRADEOFF,
    });
    let to_affected = |v: &[(&&crate::model::User, i64)]| -> Vec<Affected> {
        v.iter()
            .map(|(u, _)| Affected::new(AffectedKind::User, &u.id, u.name()))
            .collect()
    };
    if !at_quota.is_empty() {
        let names: Vec<String> = at_quota
            .iter()
            .take(3)
            .map(|(u, n)| format!("{} ({n})", u.name()))
            .collect();
        return Ok(Outcome::fail(format!(
            "{} reached the Entra limit of {quota} devices per user ({}{}): they cannot join or register another device{}. A low quota is what security baselines recommend; see security_tradeoff",
            if at_quota.len() == 1 { "1 user has".to_string() } else { format!("{} users have", at_quota.len()) },
            names.join(", "),
            if at_quota.len() > 3 { ", …" } else { "" },
            if near_quota.is_empty() { String::new() } else { format!("; {} more within {} of it", near_quota.len(), s.device_quota_margin) },
        ))
        .with_affected(to_affected(&at_quota))
        .with_evidence(evidence));
    }
    if !near_quota.is_empty() {
        let names: Vec<String> = near_quota
            .iter()
            .take(3)
            .map(|(u, n)| format!("{} ({n})", u.name()))
            .collect();
        return Ok(Outcome::warn(format!(
            "{} within {} of the Entra limit of {quota} devices per user ({}{})",
            if near_quota.len() == 1 {
                "1 user is".to_string()
            } else {
                format!("{} users are", near_quota.len())
            },
            s.device_quota_margin,
            names.join(", "),
            if near_quota.len() > 3 { ", …" } else { "" },
        ))
        .with_affected(to_affected(&near_quota))
        .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "{} who could enroll is below the Entra limit of {quota} devices per user",
        crate::report::every_cap(population.users.len(), "user")
    ))
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "entra-device-quota-reached";

    fn tenant(quota: i64, devices: Vec<serde_json::Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                    user("u3", "cara@contoso.com"),
                ],
            )
            .with(
                Resource::DeviceRegistrationPolicy,
                vec![registration_policy(quota, join_all())],
            )
            .with(Resource::Devices, devices)
    }

    /// `n` devices of one trust type owned by `owner`.
    fn owned(owner: &str, trust: &str, n: usize) -> Vec<serde_json::Value> {
        (0..n)
            .map(|i| {
                entra_device(
                    &format!("{owner}-{trust}-{i}"),
                    &format!("d-{owner}-{trust}-{i}"),
                    trust,
                    &[owner],
                )
            })
            .collect()
    }

    #[test]
    fn not_applicable_without_enrolling_users() {
        let f = tenant(5, owned("u1", "AzureAd", 9))
            .with(Resource::Users, vec![])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn passes_below_the_quota() {
        let f = tenant(5, owned("u1", "AzureAd", 2)).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["devices_counted"], 2);
    }

    #[test]
    fn fails_at_the_quota_counting_joined_and_registered() {
        let mut devices = owned("u1", "AzureAd", 3);
        devices.extend(owned("u1", "Workplace", 2));
        devices.extend(owned("u2", "AzureAd", 4));
        let f = tenant(5, devices).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u1"]);
        assert_eq!(f.evidence["users_near_quota"][0]["id"], "u2");
        assert!(f.evidence["security_tradeoff"]
            .as_str()
            .unwrap()
            .contains("21837"));
    }

    #[test]
    fn warns_within_the_margin() {
        let mut fx = tenant(
            10,
            [owned("u2", "AzureAd", 8), owned("u3", "Workplace", 7)].concat(),
        );
        fx.settings.device_quota_margin = 2;
        let f = fx.run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["u2"]);
    }

    #[test]
    fn hybrid_joined_devices_do_not_count() {
        let devices = [owned("u1", "ServerAd", 6), owned("u1", "AzureAd", 1)].concat();
        let f = tenant(5, devices).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["hybrid_joined_devices_not_counted"], 6);
    }

    #[test]
    fn not_evaluated_without_quota_owners_or_devices() {
        let mut policy = registration_policy(5, join_all());
        policy.as_object_mut().unwrap().remove("userDeviceQuota");
        let f = tenant(5, vec![])
            .with(Resource::DeviceRegistrationPolicy, vec![policy])
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        let f = tenant(5, vec![entra_device("d1", "dd1", "AzureAd", &[])]).run(ID);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "registeredOwners not expanded"
        );
        let f = tenant(5, vec![]).forbidden(Resource::Devices).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Device.Read.All"]);
    }
}
