use crate::catalog::Area;
use crate::checks::entra_join_not_allowed::{
    enumerated_verdict, join_setting, kind_name, listed_groups_evidence, JoinVerdict,
    JOIN_SECURITY_TRADEOFF,
};
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{MembershipKind, User};
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;

declare_check! {
    /// Provisioning-package accounts are not allowed to join devices to Microsoft Entra.
    ///
    /// ## What it checks
    /// The accounts that Windows Configuration Designer and Set up School PCs create for a
    /// provisioning package (`package_<GUID>@…`) against the Entra device setting "Users may join
    /// devices to Microsoft Entra" (`azureADJoin.allowedToJoin`). All passes; None fails for every
    /// package account; Selected fails for the package accounts that are neither listed nor members
    /// of a listed group. It is not applicable when the directory has no package account (bulk
    /// enrollment is not in use).
    ///
    /// ## Why enrollment fails
    /// Bulk enrollment joins the device to Entra as the package account; when that account may not
    /// join, the package stops with *"A setup failure has occurred during bulk enrollment"*.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Devices > Device settings.
    /// 2. Set "Users may join devices to Microsoft Entra" to All, or keep Selected and add the package accounts named in the finding (or a group that contains them), then Save.
    /// 3. Check that the package account is not blocked by Conditional Access (for example a policy that requires MFA for device join), then apply the provisioning package again.
    ///
    /// ## Known limitations
    /// A package account whose provisioning package was rebuilt is a new account; accounts of
    /// old packages are judged too. Package accounts found only through uncollected groups are
    /// undetermined.
    pub META = CheckMeta {
        id: "bulk-enrollment-accounts-cannot-join",
        since: "0.1.0",
        preview: false,
        title: "Provisioning-package accounts may not join devices to Microsoft Entra",
        severity: Severity::High,
        area: Area::EntraJoin,
        error_codes: &[],
        article_sections: &["a-setup-failure-has-occurred-during-bulk-enrollment"],
        resources: &[
            Resource::Users,
            Resource::DeviceRegistrationPolicy,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("A setup failure has occurred during bulk enrollment.")
        ],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let users = t.users.get()?;
    let packages: Vec<&User> = users
        .iter()
        .filter(|u| u.is_provisioning_package_account())
        .collect();
    if packages.is_empty() {
        return Ok(Outcome::not_applicable(
            "No provisioning-package account (package_<GUID>@…) exists in the directory: bulk enrollment is not in use",
        )
        .with_evidence(json!({"package_accounts": 0})));
    }
    let policy = t.registration_policy()?;
    let membership = &policy
        .azure_ad_join
        .as_ref()
        .ok_or_else(|| {
            NotEvaluated::new("deviceRegistrationPolicy was read without its azureADJoin setting")
        })?
        .allowed_to_join;
    let dir = t.group_members.get().ok();
    let mut evidence = json!({
        "allowedToJoin": kind_name(membership.kind()),
        "package_accounts": packages.len(),
    });
    let user_affected = |u: &User| Affected::new(AffectedKind::User, &u.id, u.name());
    let (blocked, undetermined): (Vec<&User>, usize) = match membership.kind() {
        MembershipKind::All => {
            return Ok(Outcome::pass(format!(
                "All users may join devices to Microsoft Entra, including the {}",
                crate::report::count(packages.len(), "provisioning-package account")
            ))
            .with_evidence(evidence))
        }
        MembershipKind::None => (packages.clone(), 0),
        MembershipKind::Enumerated => {
            let mut blocked = Vec::new();
            let mut undetermined = 0;
            for u in &packages {
                match enumerated_verdict(membership, &u.id, dir) {
                    JoinVerdict::Allowed => {}
                    JoinVerdict::NotAllowed => blocked.push(*u),
                    JoinVerdict::Undetermined => undetermined += 1,
                }
            }
            evidence["users_listed"] = json!(membership.users);
            evidence["groups_listed"] = listed_groups_evidence(membership, dir);
            evidence["package_accounts_undetermined"] = json!(undetermined);
            (blocked, undetermined)
        }
        MembershipKind::Unknown => {
            return Err(NotEvaluated::new(format!(
                "azureADJoin.allowedToJoin has an unrecognised type {:?}",
                membership.odata_type.as_deref().unwrap_or("(none)")
            )))
        }
    };
    evidence["package_accounts_not_allowed"] = json!(blocked.len());
    if !blocked.is_empty() {
        evidence["security_tradeoff"] = JOIN_SECURITY_TRADEOFF.into();
        let names: Vec<&str> = blocked.iter().take(3).map(|u| u.name()).collect();
        let summary = format!(
            "{} of {} may not join devices to Microsoft Entra (\"Users may join devices\" is {}): bulk enrollment with their packages fails ({}{})",
            blocked.len(),
            crate::report::count(packages.len(), "provisioning-package account"),
            kind_name(membership.kind()),
            names.join(", "),
            if blocked.len() > 3 { ", …" } else { "" }
        );
        let mut affected = vec![join_setting()];
        affected.extend(blocked.into_iter().map(user_affected));
        return Ok(Outcome::fail(summary)
            .with_affected(affected)
            .with_evidence(evidence));
    }
    if undetermined > 0 {
        return Err(NotEvaluated {
            reason: format!(
                "\"Users may join devices to Microsoft Entra\" is Selected, and the members of its groups were not collected ({} undetermined)",
                crate::report::count(undetermined, "package account")
            ),
            permissions: vec![Resource::GroupMembers.permission().to_string()],
        });
    }
    Ok(Outcome::pass(format!(
        "{} is selected to join devices to Microsoft Entra",
        crate::report::every_cap(packages.len(), "provisioning-package account")
    ))
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "bulk-enrollment-accounts-cannot-join";
    const SETTING: &str = "deviceRegistrationPolicy/azureADJoin/allowedToJoin";
    const PKG1: &str = "package_3f0b2a1c-94d1-4b7a-9a55-1e2d3c4b5a69@contoso.com";
    const PKG2: &str = "package_8c1d0e2f-1a2b-4c3d-8e9f-0a1b2c3d4e5f@contoso.com";

    fn tenant(join: serde_json::Value) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("p1", PKG1),
                    user("p2", PKG2),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g-pkg", "Provisioning packages", &[("user", "p2")])],
            )
            .with(
                Resource::DeviceRegistrationPolicy,
                vec![registration_policy(50, join)],
            )
    }

    #[test]
    fn passes_when_all_may_join() {
        assert_eq!(tenant(join_all()).run(ID).status, FindingStatus::Pass);
    }

    #[test]
    fn fails_for_every_package_account_when_none() {
        let f = tenant(join_none()).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [SETTING, "p1", "p2"]);
    }

    #[test]
    fn selected_fails_for_package_accounts_not_listed() {
        let f = tenant(join_selected(&["u1"], &["g-pkg"])).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), [SETTING, "p1"]);
        let f = tenant(join_selected(&["p1"], &["g-pkg"])).run(ID);
        assert_eq!(
            f.status,
            FindingStatus::Pass,
            "p1 listed directly, p2 through the group"
        );
    }

    #[test]
    fn not_applicable_without_package_accounts() {
        let f = Fixture::new()
            .with(Resource::Users, vec![user("u1", "adele@contoso.com")])
            .with(
                Resource::DeviceRegistrationPolicy,
                vec![registration_policy(50, join_none())],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_policy_or_group_members() {
        let f = tenant(join_all())
            .forbidden(Resource::DeviceRegistrationPolicy)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        let f = tenant(join_selected(&["p1"], &["g-pkg"]))
            .forbidden(Resource::GroupMembers)
            .run(ID);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "p2 could be in g-pkg"
        );
        assert_eq!(f.permissions, ["GroupMember.Read.All"]);
    }
}
