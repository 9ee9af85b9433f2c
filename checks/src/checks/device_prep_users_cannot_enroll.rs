use crate::catalog::Area;
use crate::checks::entra_join_not_allowed::{enumerated_verdict, JoinVerdict};
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{ConfigurationPolicy, MembershipKind, MobilityPolicy, PolicyScope, User};
use crate::references::DEVICE_PREPARATION_FAQ;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::{classify, Target};
use crate::tenant::{Directory, NotEvaluated};
use crate::verdict::{Judged, Tally};
use serde_json::json;
use std::collections::BTreeMap;

declare_check! {
    /// Users of a device preparation policy who are outside the MDM user scope or may not join devices.
    ///
    /// ## What it checks
    /// The users a Windows Autopilot device preparation policy is assigned to (its user groups,
    /// or all users; exclusions removed) against the Intune MDM user scope and the Entra setting
    /// "Users may join devices to Microsoft Entra". It fails for each such user who is outside
    /// the scope (None, or Selected without them) or may not join (None, or Selected without
    /// them). A user whose groups' members were not collected, or a setting that cannot be read,
    /// is at risk. It is not applicable when no device preparation policy exists.
    ///
    /// ## Why enrollment fails
    /// Device preparation runs only when the user who signs in during the out-of-box experience
    /// can join the device to Microsoft Entra and is enrolled in Intune automatically. For a user
    /// outside the MDM user scope or not allowed to join, the device preparation experience never
    /// launches.
    ///
    /// ## Remediation
    /// 1. In Intune, Devices > Enrollment > Windows > Automatic Enrollment, set the MDM user scope to All, or to Some with a group that contains the users named in the finding.
    /// 2. In Entra ID > Devices > Device settings, set "Users may join devices to Microsoft Entra" to All, or to Selected with those users or their group.
    ///
    /// ## Known limitations
    /// Assignment filters are not evaluated; nested exclusions count only through the collected
    /// members of the excluded group.
    pub META = CheckMeta {
        id: "device-prep-users-cannot-enroll",
        since: "0.2.0",
        preview: false,
        title: "Users of a device preparation policy who are outside the MDM user scope or may not join devices",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[
            Resource::ConfigurationPolicies,
            Resource::MobileDeviceManagementPolicies,
            Resource::DeviceRegistrationPolicy,
            Resource::GroupMembers,
            Resource::Users,
        ],
        in_article: false,
        references: &[DEVICE_PREPARATION_FAQ.at("Windows Autopilot device preparation experience never launches during the out-of-box experience (OOBE).")],
    };
}

/// The users a policy reaches: each with `None` when surely reached, or why it may not be.
/// `Err` names a target whose members are unknown.
fn reached<'t>(
    p: &ConfigurationPolicy,
    users: &'t [User],
    dir: &Directory,
) -> Result<Vec<&'t User>, String> {
    let assignments = p.assignments.as_ref().ok_or_else(|| {
        format!(
            "the assignments of policy '{}' were not collected",
            p.name()
        )
    })?;
    let (mut include, mut exclude) = (Vec::new(), Vec::new());
    for a in assignments {
        match classify(&a.target).0 {
            Target::Exclusion(g) => exclude.push(g),
            Target::AllDevices => {}
            t @ (Target::Group(_) | Target::AllUsers) => include.push(t),
            Target::ConfigMgrCollection(_) => {
                return Err("a Configuration Manager collection target is not understood".into())
            }
            Target::Unknown(kind) => {
                return Err(format!("assignment target type {kind} is not understood"))
            }
        }
    }
    for g in include
        .iter()
        .filter_map(|t| match t {
            Target::Group(g) => Some(g),
            _ => None,
        })
        .chain(&exclude)
    {
        if !dir.knows(g) {
            return Err(format!(
                "the members of group {} were not collected",
                dir.group_name(g)
            ));
        }
    }
    let reaches = |u: &User| {
        include.iter().any(|t| match t {
            Target::AllUsers => true,
            Target::Group(g) => dir.contains(g, &u.id) == Some(true),
            _ => false,
        }) && !exclude.iter().any(|g| dir.contains(g, &u.id) == Some(true))
    };
    Ok(users
        .iter()
        .filter(|u| u.is_enabled() && !u.is_guest() && reaches(u))
        .collect())
}

/// Whether the MDM user scope includes a user.
fn in_scope(mdm: Option<&MobilityPolicy>, user: &User, dir: &Directory) -> Judged {
    let Some(mdm) = mdm else {
        return Judged::Unknown("Intune's MDM user scope is not in the collected policies".into());
    };
    match mdm.applies_to.as_ref() {
        Some(PolicyScope::All) => Judged::Pass,
        Some(PolicyScope::None) => Judged::Fail,
        Some(PolicyScope::Selected) => {
            let Some(groups) = mdm.included_groups.as_ref() else {
                return Judged::Unknown("the MDM user scope's groups were not collected".into());
            };
            let found: Vec<Option<bool>> = groups
                .iter()
                .map(|g| dir.contains(&g.id, &user.id))
                .collect();
            match (found.contains(&Some(true)), found.contains(&None)) {
                (true, _) => Judged::Pass,
                (false, true) => {
                    Judged::Unknown("an MDM user scope group's members were not collected".into())
                }
                (false, false) => Judged::Fail,
            }
        }
        Some(PolicyScope::Unknown(raw)) => {
            Judged::Unknown(format!("MDM user scope '{raw}' is not understood"))
        }
        None => Judged::Unknown("the MDM user scope (appliesTo) was not reported".into()),
    }
}

/// Whether a user may join devices to Microsoft Entra.
fn may_join(cx: &Ctx, user: &User, dir: &Directory) -> Judged {
    let join = cx
        .tenant
        .registration_policy()
        .ok()
        .and_then(|p| p.azure_ad_join.as_ref());
    let Some(join) = join else {
        return Judged::Unknown("the Entra join setting was not collected".into());
    };
    match join.allowed_to_join.kind() {
        MembershipKind::All => Judged::Pass,
        MembershipKind::None => Judged::Fail,
        MembershipKind::Enumerated => {
            match enumerated_verdict(&join.allowed_to_join, &user.id, Some(dir)) {
                JoinVerdict::Allowed => Judged::Pass,
                JoinVerdict::NotAllowed => Judged::Fail,
                JoinVerdict::Undetermined => {
                    Judged::Unknown("a join group's members were not collected".into())
                }
            }
        }
        MembershipKind::Unknown => {
            Judged::Unknown("the Entra join setting's type is not understood".into())
        }
    }
}

/// Fails when either requirement surely fails; at risk when either is unsettled.
fn both(a: Judged, b: Judged) -> Judged {
    match (a, b) {
        (Judged::Fail, _) | (_, Judged::Fail) => Judged::Fail,
        (Judged::Unknown(w), _) | (_, Judged::Unknown(w)) => Judged::Unknown(w),
        _ => Judged::Pass,
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let prep = cx.tenant.device_preparation_policies()?;
    if prep.policies.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Windows Autopilot device preparation policy exists",
        ));
    }
    let users = cx.tenant.users.get()?;
    let dir = cx.tenant.group_members.get()?;
    let mdm = cx.tenant.intune_mdm_policy()?;
    let mut tally = Tally::default();
    let mut targeted: BTreeMap<&str, &User> = BTreeMap::new();
    for p in &prep.policies {
        match reached(p, users, dir) {
            Ok(reached) => targeted.extend(reached.into_iter().map(|u| (u.id.as_str(), u))),
            Err(why) => tally.add(
                Affected::new(AffectedKind::Profile, &p.id, p.name()),
                Judged::Unknown(why),
            ),
        }
    }
    for u in targeted.values() {
        let judged = both(in_scope(mdm, u, dir), may_join(cx, u, dir));
        tally.add(Affected::new(AffectedKind::User, &u.id, u.name()), judged);
    }
    let evidence = json!({
        "policies": prep.policies.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "users": targeted.len(),
        "undetermined": tally.undetermined_evidence(),
    });
    Ok(tally.outcome(
        evidence,
        |t| format!(
            "{} of the device preparation policies {} outside the MDM user scope or may not join devices ({}): device preparation never launches for them",
            count(t.failed.len(), "user"),
            if t.failed.len() == 1 { "is" } else { "are" },
            t.failed_names(5)
        ),
        |t| {
            let why = t.at_risk.first().map_or("", |(_, w)| w.as_str());
            match t.at_risk.len() {
                1 => format!("1 policy or user at risk: {why}"),
                n => format!("{n} policies or users at risk, e.g. {why}"),
            }
        },
        |t| format!(
            "Every one of the {} of the device preparation policies is in the MDM user scope and may join devices",
            count(t.total(), "user")
        ),
    ))
}
