use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{MembershipKind, RegistrationMembership};
use crate::references::{AUTOPILOT_FAQ, USER_CANNOT_ENROLL};
use crate::report::{Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::{Directory, NotEvaluated};
use serde_json::{json, Value};

declare_check! {
    /// Users are not allowed to join devices to Microsoft Entra.
    ///
    /// ## What it checks
    /// The Entra device setting "Users may join devices to Microsoft Entra"
    /// (`deviceRegistrationPolicy.azureADJoin.allowedToJoin`). All passes. None fails for every
    /// user who could enroll. Selected warns for the users who could enroll but are neither listed
    /// nor (transitive) members of a listed group; users whose groups' members were not collected
    /// are counted as undetermined. Security baselines reward None or Selected here; the finding
    /// names that trade-off.
    ///
    /// ## Why enrollment fails
    /// Windows enrollment through Entra join (OOBE, Autopilot, "Access work or school > Join this
    /// device to Microsoft Entra ID") needs the join to succeed first; a user who may not join sees
    /// *"This user is not allowed to enroll" (0x801C0003)*.
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Devices > Device settings.
    /// 2. Set "Users may join devices to Microsoft Entra" to All, or to Selected and add the users named in the finding (or a group that contains them), then Save.
    /// 3. If the restriction is a deliberate security decision (Maester MT.1070, Prowler and CIS reward None or Selected), make sure the enrolling users are in the selected group, and record the decision with a waiver.
    ///
    /// ## Known limitations
    /// Only the members of groups that the collector read are known; users who could be allowed
    /// through another listed group are reported as undetermined, not as blocked.
    pub META = CheckMeta {
        id: "entra-join-not-allowed",
        since: "0.1.0",
        preview: false,
        title: "Users are not allowed to join devices to Microsoft Entra",
        severity: Severity::Critical,
        area: Area::EntraJoin,
        error_codes: &["0x801C0003"],
        article_sections: &["this-user-is-not-allowed-to-enroll"],
        resources: &[
            Resource::DeviceRegistrationPolicy,
            Resource::Users,
            Resource::GroupMembers,
        ],
        in_article: true,
        references: &[
            USER_CANNOT_ENROLL.at("Solution 5"),
            AUTOPILOT_FAQ.at("What is the most common issue joining a device to Microsoft Entra ID?"),
        ],
    };
}

/// The trade-off findings about this setting name (shared with `bulk-enrollment-accounts-cannot-join`).
pub const JOIN_SECURITY_TRADEOFF: &str = "Security baselines (Maester MT.1070, Prowler, CIS) reward \"Users may join devices to Microsoft Entra\" = None or Selected; that blocks Entra join and with it Windows enrollment for everyone not selected. If the restriction is deliberate, select the enrolling users or their group, and record the decision with a waiver.";

/// Whether an enumerated join setting lets a user join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinVerdict {
    Allowed,
    NotAllowed,
    /// Not listed directly, and a listed group's members were not collected.
    Undetermined,
}

/// Evaluates "Selected": the user is listed, or a transitive member of a listed group.
/// `dir` is `None` when group members were not collected.
pub fn enumerated_verdict(
    m: &RegistrationMembership,
    user_id: &str,
    dir: Option<&Directory>,
) -> JoinVerdict {
    if m.users.iter().any(|u| u.eq_ignore_ascii_case(user_id)) {
        return JoinVerdict::Allowed;
    }
    let mut unknown = false;
    for g in &m.groups {
        match dir.and_then(|d| d.contains(g, user_id)) {
            Some(true) => return JoinVerdict::Allowed,
            Some(false) => {}
            None => unknown = true,
        }
    }
    if unknown {
        JoinVerdict::Undetermined
    } else {
        JoinVerdict::NotAllowed
    }
}

/// The listed groups with their names and member counts (`null` when not collected).
pub fn listed_groups_evidence(m: &RegistrationMembership, dir: Option<&Directory>) -> Value {
    json!(m
        .groups
        .iter()
        .map(|g| json!({
            "id": g,
            "displayName": dir.map(|d| d.group_name(g)),
            "members": dir.and_then(|d| d.member_count(g)),
        }))
        .collect::<Vec<_>>())
}

pub fn join_setting() -> Affected {
    Affected::new(
        AffectedKind::Setting,
        "deviceRegistrationPolicy/azureADJoin/allowedToJoin",
        "Users may join devices to Microsoft Entra",
    )
}

pub fn kind_name(kind: MembershipKind) -> &'static str {
    match kind {
        MembershipKind::All => "All",
        MembershipKind::None => "None",
        MembershipKind::Enumerated => "Selected",
        MembershipKind::Unknown => "unknown",
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let policy = t.registration_policy()?;
    let join = policy.azure_ad_join.as_ref().ok_or_else(|| {
        NotEvaluated::new("deviceRegistrationPolicy was read without its azureADJoin setting")
    })?;
    let membership = &join.allowed_to_join;
    let population = cx.population()?;
    let dir = t.group_members.get().ok();
    let mut evidence = json!({
        "allowedToJoin": kind_name(membership.kind()),
        "population": population.evidence(),
    });
    match membership.kind() {
        MembershipKind::All => Ok(
            Outcome::pass("All users may join devices to Microsoft Entra").with_evidence(evidence),
        ),
        MembershipKind::None => {
            evidence["security_tradeoff"] = JOIN_SECURITY_TRADEOFF.into();
            let mut affected = vec![join_setting()];
            affected.extend(
                population
                    .users
                    .iter()
                    .map(|u| Affected::new(AffectedKind::User, &u.id, u.name())),
            );
            Ok(Outcome::fail(format!(
                "\"Users may join devices to Microsoft Entra\" is None: none of the {} who could enroll can join a Windows device to Entra, so Entra join and Autopilot enrollment fail with 0x801C0003 (a setting security baselines recommend; see security_tradeoff)",
                crate::report::count(population.users.len(), "user")
            ))
            .with_affected(affected)
            .with_evidence(evidence))
        }
        MembershipKind::Enumerated => {
            let mut blocked = Vec::new();
            let mut undetermined = 0usize;
            for u in &population.users {
                match enumerated_verdict(membership, &u.id, dir) {
                    JoinVerdict::Allowed => {}
                    JoinVerdict::NotAllowed => {
                        blocked.push(Affected::new(AffectedKind::User, &u.id, u.name()))
                    }
                    JoinVerdict::Undetermined => undetermined += 1,
                }
            }
            let groups_not_collected: Vec<&String> = membership
                .groups
                .iter()
                .filter(|g| !dir.is_some_and(|d| d.knows(g)))
                .collect();
            evidence["users_listed"] = json!(membership.users);
            evidence["groups_listed"] = listed_groups_evidence(membership, dir);
            evidence["groups_not_collected"] = json!(groups_not_collected);
            evidence["users_not_allowed"] = json!(blocked.len());
            evidence["users_undetermined"] = json!(undetermined);
            evidence["security_tradeoff"] = JOIN_SECURITY_TRADEOFF.into();
            if !blocked.is_empty() {
                let n = blocked.len();
                let mut affected = vec![join_setting()];
                affected.extend(blocked);
                return Ok(Outcome::warn(format!(
                    "\"Users may join devices to Microsoft Entra\" is Selected ({}, {}) and leaves out {n} of {} who could enroll{}; they cannot Entra-join Windows devices (0x801C0003). Security baselines recommend Selected; see security_tradeoff",
                    crate::report::count(membership.users.len(), "user"),
                    crate::report::count(membership.groups.len(), "group"),
                    crate::report::count(population.users.len(), "user"),
                    if undetermined > 0 { format!(" ({undetermined} more undetermined)") } else { String::new() },
                ))
                .with_affected(affected)
                .with_evidence(evidence));
            }
            if undetermined > 0 {
                return Err(NotEvaluated {
                    reason: format!(
                        "\"Users may join devices to Microsoft Entra\" is Selected, and the members of its groups were not collected ({} undetermined)",
                        crate::report::count(undetermined, "user")
                    ),
                    permissions: vec![Resource::GroupMembers.permission().to_string()],
                });
            }
            Ok(Outcome::pass(format!(
                "\"Users may join devices to Microsoft Entra\" is Selected and includes {} who could enroll",
                crate::report::every(population.users.len(), "user")
            ))
            .with_evidence(evidence))
        }
        MembershipKind::Unknown => Err(NotEvaluated::new(format!(
            "azureADJoin.allowedToJoin has an unrecognised type {:?}",
            membership.odata_type.as_deref().unwrap_or("(none)")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use crate::report::{FindingStatus, Severity};
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::json;

    const ID: &str = "entra-join-not-allowed";
    const SETTING: &str = "deviceRegistrationPolicy/azureADJoin/allowedToJoin";

    fn tenant(join: serde_json::Value) -> Fixture {
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
                Resource::GroupMembers,
                vec![group("g-join", "Device joiners", &[("user", "u2")])],
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
    fn fails_for_everyone_when_none_and_names_the_tradeoff() {
        let f = tenant(join_none()).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(affected_ids(&f), [SETTING, "u1", "u2", "u3"]);
        assert!(f.evidence["security_tradeoff"]
            .as_str()
            .unwrap()
            .contains("MT.1070"));
    }

    #[test]
    fn warns_for_users_outside_the_selection() {
        let f = tenant(join_selected(&["u1"], &["g-join"])).run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), [SETTING, "u3"]);
        assert_eq!(f.evidence["groups_listed"][0]["members"], 1);
    }

    #[test]
    fn passes_when_the_selection_covers_everyone() {
        let f = tenant(join_selected(&["u1", "U3"], &["g-join"])).run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn uncollected_groups_make_users_undetermined() {
        let f = tenant(join_selected(&["u1"], &["g-unknown"])).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["GroupMember.Read.All"]);
        let f = tenant(join_selected(&[], &["g-join", "g-unknown"])).run(ID);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "u1 and u3 could be in g-unknown"
        );
    }

    #[test]
    fn not_evaluated_without_policy_or_with_unknown_type() {
        let f = tenant(join_all())
            .forbidden(Resource::DeviceRegistrationPolicy)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Policy.Read.DeviceConfiguration"]);
        let f = tenant(json!({"@odata.type": "#microsoft.graph.futureMembership"})).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
    }
}
