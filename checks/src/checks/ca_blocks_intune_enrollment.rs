use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{
    CaConditions, CaGrantControls, CaUsers, ConditionalAccessPolicy, ConditionalAccessState, User,
    INTUNE_APP_ID,
};
use crate::references::AUTOPILOT_KNOWN_ISSUES;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::{Directory, NotEvaluated};
use crate::verdict::{Judged, Tally};
use serde_json::{json, Value};

/// The Microsoft Intune Enrollment cloud app (Microsoft Learn, "Require multifactor
/// authentication for Intune device enrollments").
pub const INTUNE_ENROLLMENT_APP_ID: &str = "d4ebce55-015a-49b5-a083-c84d1797ae8c";

declare_check! {
    /// Conditional Access policies that block Intune enrollment.
    ///
    /// ## What it checks
    /// Every Conditional Access policy that is on or report-only, against the documented
    /// conflicts with enrollment: a terms-of-use grant that reaches the Microsoft Intune
    /// Enrollment cloud app (by name, or through All cloud apps without excluding it); a
    /// compliant-device or hybrid-joined-device grant required on a policy that names
    /// Microsoft Intune Enrollment; a block that names Microsoft Intune Enrollment or Microsoft
    /// Intune, or a "block all cloud apps except" policy whose exclusions miss either of them.
    /// Microsoft Intune is the app id 0000000a-0000-0000-c000-000000000000, which Microsoft
    /// Learn gives as Intune's MDM application id ("Dynamic membership rules for groups",
    /// `deviceManagementAppId`). For each user who could enroll it reads the policy's users
    /// condition: included and excluded users and groups (nested groups included), All users.
    /// It fails for users a policy that is on surely reaches. It warns instead when the
    /// policy is report-only, its state is not understood, directory roles or guest types
    /// decide who it reaches, a group's members were not collected, or a condition the data
    /// cannot settle applies (locations, device filters, risk levels, authentication flows,
    /// browser-only client apps, platforms not understood). Policies limited to other
    /// platforms or to legacy authentication clients are ignored; disabled ones too.
    ///
    /// ## Why enrollment fails
    /// Terms of use are not supported for Microsoft Intune Enrollment, so the sign-in during
    /// enrollment cannot complete. A device has no compliance state before it is enrolled, so
    /// a compliant-device grant on Intune Enrollment is a circular dependency (when All cloud
    /// apps require a compliant device, Microsoft Intune Enrollment is excluded by default). A
    /// block on all apps except an exclusion list stops Windows Autopilot and enrollment unless
    /// both Microsoft Intune Enrollment and Microsoft Intune are on that list.
    ///
    /// ## Remediation
    /// 1. Open Microsoft Entra admin center > Protection > Conditional Access > Policies and open the policy named in the finding.
    /// 2. For a terms-of-use or compliant-device grant: under Target resources > Exclude, add Microsoft Intune Enrollment (or remove it from the included apps).
    /// 3. For a "block all except" policy: add Microsoft Intune Enrollment and Microsoft Intune to its excluded cloud apps.
    /// 4. If Microsoft Intune Enrollment cannot be selected, create its service principal first (New-MgServicePrincipal -AppId d4ebce55-015a-49b5-a083-c84d1797ae8c), then exclude it.
    /// 5. Test with the policy in report-only mode and the sign-in logs before turning it back on.
    ///
    /// ## Known limitations
    /// Directory roles are not resolved to users, so role-based inclusions and exclusions leave
    /// users at risk. Named locations, device filters and risk levels are evaluated by Microsoft
    /// Entra ID at sign-in and cannot be settled here. That enrollment signs in as a modern
    /// client (not Exchange ActiveSync or other legacy clients) is an inference.
    pub META = CheckMeta {
        id: "ca-blocks-intune-enrollment",
        since: "0.2.0",
        preview: true,
        title: "Conditional Access policies that block Intune enrollment",
        severity: Severity::High,
        area: Area::EntraJoin,
        error_codes: &[],
        article_sections: &["device-based-conditional-access-policies"],
        resources: &[
            Resource::ConditionalAccessPolicies,
            Resource::Users,
            Resource::GroupMembers,
        ],
        in_article: false,
        references: &[AUTOPILOT_KNOWN_ISSUES.at("Device-based Conditional Access policies")],
    };
}

fn has(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v.eq_ignore_ascii_case(value))
}

/// The documented conflict a policy's apps and grant make with enrollment, if any.
fn conflict(c: &CaConditions, grant: Option<&CaGrantControls>) -> Option<&'static str> {
    let apps = c.applications.as_ref()?;
    let grant = grant?;
    let (inc, exc) = (&apps.include_applications, &apps.exclude_applications);
    let all = has(inc, "All");
    let names_enrollment = has(inc, INTUNE_ENROLLMENT_APP_ID);
    let reaches_enrollment = names_enrollment || (all && !has(exc, INTUNE_ENROLLMENT_APP_ID));
    let controls = &grant.built_in_controls;
    if has(controls, "block") {
        let both_excluded = has(exc, INTUNE_ENROLLMENT_APP_ID) && has(exc, INTUNE_APP_ID);
        return (names_enrollment
            || has(inc, INTUNE_APP_ID)
            || (all && !exc.is_empty() && !both_excluded))
            .then_some(
                "blocks all cloud apps except a list that lacks Microsoft Intune Enrollment or Microsoft Intune",
            );
    }
    // Each alternative of the grant, and whether it conflicts with enrollment.
    let mut alternatives: Vec<bool> = controls
        .iter()
        .map(|b| {
            names_enrollment
                && (b.eq_ignore_ascii_case("compliantDevice")
                    || b.eq_ignore_ascii_case("domainJoinedDevice"))
        })
        .collect();
    if !grant.terms_of_use.is_empty() {
        alternatives.push(reaches_enrollment);
    }
    alternatives.extend(grant.custom_authentication_factors.iter().map(|_| false));
    if grant.authentication_strength.is_some() {
        alternatives.push(false);
    }
    let any_or = grant
        .operator
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case("OR"));
    let blocks = if any_or {
        !alternatives.is_empty() && alternatives.iter().all(|a| *a)
    } else {
        alternatives.iter().any(|a| *a)
    };
    blocks.then_some(if !grant.terms_of_use.is_empty() && reaches_enrollment {
        "requires terms of use for Microsoft Intune Enrollment, which enrollment does not support"
    } else {
        "requires a compliant or hybrid-joined device for Microsoft Intune Enrollment, before the device is enrolled"
    })
}

/// Whether the policy applies to a Windows enrollment sign-in: `Pass` = it does not,
/// `Fail` = it surely does, `Unknown` = a condition the data cannot settle.
fn applies(p: &ConditionalAccessPolicy, c: &CaConditions) -> Judged {
    match p.state.as_ref() {
        Some(ConditionalAccessState::Disabled) => return Judged::Pass,
        Some(ConditionalAccessState::Enabled) => {}
        Some(ConditionalAccessState::ReportOnly) => {
            return gate(c, Some("the policy is report-only (not enforced yet)"))
        }
        Some(ConditionalAccessState::Unknown(s)) => {
            return gate(c, Some(&format!("policy state '{s}' is not understood")))
        }
        None => return gate(c, Some("the policy state was not reported")),
    }
    gate(c, None)
}

/// The conditions' verdict; `uncertain` turns a sure application into an unsettled one.
fn gate(c: &CaConditions, uncertain: Option<&str>) -> Judged {
    match (conditions(c), uncertain) {
        (Judged::Fail, Some(why)) => Judged::Unknown(why.to_string()),
        (j, _) => j,
    }
}

fn platforms(c: &CaConditions) -> Judged {
    const KNOWN: [&str; 7] = [
        "android",
        "iOS",
        "windows",
        "windowsPhone",
        "macOS",
        "linux",
        "all",
    ];
    let Some(p) = c.platforms.as_ref() else {
        return Judged::Fail;
    };
    if let Some(v) = p
        .include_platforms
        .iter()
        .chain(&p.exclude_platforms)
        .find(|v| !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(v)))
    {
        return Judged::Unknown(format!("device platform '{v}' is not understood"));
    }
    let windows = |l: &[String]| has(l, "windows") || has(l, "all");
    Judged::fails_if(windows(&p.include_platforms) && !windows(&p.exclude_platforms))
}

fn client_apps(c: &CaConditions) -> Judged {
    let Some(types) = c.client_app_types.as_ref().filter(|t| !t.is_empty()) else {
        return Judged::Fail;
    };
    if has(types, "all") || has(types, "mobileAppsAndDesktopClients") {
        return Judged::Fail;
    }
    if let Some(t) = types.iter().find(|t| {
        !["browser", "exchangeActiveSync", "easSupported", "other"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(t))
    }) {
        return Judged::Unknown(format!("client app type '{t}' is not understood"));
    }
    if has(types, "browser") {
        return Judged::Unknown("the policy covers browser sign-ins only".into());
    }
    Judged::Pass
}

fn non_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty() && s != "none",
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => o.values().any(|x| non_empty(Some(x))),
        Some(_) => true,
    }
}

/// The conditions other than users and apps.
fn conditions(c: &CaConditions) -> Judged {
    for j in [platforms(c), client_apps(c)] {
        if j != Judged::Fail {
            return j;
        }
    }
    let unsettled = [
        (
            non_empty(c.locations.as_ref().and_then(|l| l.get("includeLocations"))),
            "a location condition applies",
        ),
        (
            non_empty(c.devices.as_ref().and_then(|d| d.get("deviceFilter"))),
            "a device filter applies",
        ),
        (
            !c.sign_in_risk_levels.is_empty(),
            "a sign-in risk condition applies",
        ),
        (
            !c.user_risk_levels.is_empty(),
            "a user risk condition applies",
        ),
        (
            non_empty(c.insider_risk_levels.as_ref()),
            "an insider risk condition applies",
        ),
        (
            non_empty(c.authentication_flows.as_ref()),
            "an authentication flow condition applies",
        ),
        (
            !c.service_principal_risk_levels.is_empty()
                || non_empty(c.client_applications.as_ref()),
            "the policy targets workload identities",
        ),
    ];
    match unsettled.iter().find(|(on, _)| *on) {
        Some((_, why)) => Judged::Unknown((*why).to_string()),
        None => Judged::Fail,
    }
}

/// Whether the users condition reaches `user`: `Fail` = surely, `Pass` = surely not.
fn reaches(users: &CaUsers, user: &User, dir: &Directory) -> Judged {
    let external = user.upn().contains("#EXT#");
    let mut may_exclude = None;
    if has(&users.exclude_users, &user.id) {
        return Judged::Pass;
    }
    for g in &users.exclude_groups {
        match dir.contains(g, &user.id) {
            Some(true) => return Judged::Pass,
            Some(false) => {}
            None => {
                may_exclude.get_or_insert_with(|| not_collected(g, dir));
            }
        }
    }
    if !users.exclude_roles.is_empty() {
        may_exclude.get_or_insert_with(|| {
            "directory roles are excluded and role members are not read".to_string()
        });
    }
    if external && non_empty(users.exclude_guests_or_external_users.as_ref()) {
        may_exclude.get_or_insert_with(|| "guest or external user types are excluded".to_string());
    }
    let mut included = has(&users.include_users, "All") || has(&users.include_users, &user.id);
    let mut may_include = None;
    for g in &users.include_groups {
        match dir.contains(g, &user.id) {
            Some(true) => included = true,
            Some(false) => {}
            None => {
                may_include.get_or_insert_with(|| not_collected(g, dir));
            }
        }
    }
    if !users.include_roles.is_empty() {
        may_include.get_or_insert_with(|| {
            "directory roles are included and role members are not read".to_string()
        });
    }
    if external
        && (non_empty(users.include_guests_or_external_users.as_ref())
            || has(&users.include_users, "GuestsOrExternalUsers"))
    {
        may_include.get_or_insert_with(|| "guest or external user types are included".to_string());
    }
    match (included, may_exclude, may_include) {
        (true, None, _) => Judged::Fail,
        (true, Some(why), _) | (false, _, Some(why)) => Judged::Unknown(why),
        (false, _, None) => Judged::Pass,
    }
}

fn not_collected(group: &str, dir: &Directory) -> String {
    format!(
        "the members of group {} were not collected",
        dir.group_name(group)
    )
}

/// A policy in conflict with enrollment, and its verdict for one user.
struct Conflicting<'t> {
    policy: &'t ConditionalAccessPolicy,
    conflict: &'static str,
    applies: Judged,
    users: &'t CaUsers,
    reached: usize,
    at_risk: usize,
}

impl Conflicting<'_> {
    fn judge(&mut self, user: &User, dir: &Directory) -> Judged {
        let judged = match (reaches(self.users, user, dir), &self.applies) {
            (Judged::Pass, _) | (_, Judged::Pass) => Judged::Pass,
            (Judged::Fail, Judged::Fail) => Judged::Fail,
            (Judged::Unknown(why), _) => self.unsettled(&why),
            (_, Judged::Unknown(why)) => self.unsettled(why),
        };
        match judged {
            Judged::Fail => self.reached += 1,
            Judged::Unknown(_) => self.at_risk += 1,
            Judged::Pass => {}
        }
        judged
    }

    fn unsettled(&self, why: &str) -> Judged {
        Judged::Unknown(format!("policy '{}': {why}", self.policy.name()))
    }

    fn evidence(&self) -> Value {
        json!({"id": self.policy.id, "name": self.policy.name(),
               "state": self.policy.state.as_ref().map(|s| s.as_str().to_string()),
               "conflict": self.conflict, "users_blocked": self.reached, "users_at_risk": self.at_risk,
               "unsettled": match &self.applies { Judged::Unknown(w) => Some(w.as_str()), _ => None }})
    }
}

fn conflicting(policies: &[ConditionalAccessPolicy]) -> Vec<Conflicting<'_>> {
    static NO_USERS: std::sync::OnceLock<CaUsers> = std::sync::OnceLock::new();
    policies
        .iter()
        .filter_map(|p| {
            let c = p.conditions.as_ref()?;
            let conflict = conflict(c, p.grant_controls.as_ref())?;
            let applies = applies(p, c);
            let users = match c.users.as_ref() {
                Some(u) => u,
                None => NO_USERS.get_or_init(CaUsers::default),
            };
            (applies != Judged::Pass).then_some(Conflicting {
                policy: p,
                conflict,
                applies,
                users,
                reached: 0,
                at_risk: 0,
            })
        })
        .collect()
}

/// A user's verdict over every conflicting policy: one sure block fails them.
fn judge_user(user: &User, found: &mut [Conflicting<'_>], dir: &Directory) -> Judged {
    let mut first_unknown = None;
    let mut failed = false;
    for c in found.iter_mut() {
        match c.judge(user, dir) {
            Judged::Fail => failed = true,
            Judged::Unknown(why) => {
                first_unknown.get_or_insert(why);
            }
            Judged::Pass => {}
        }
    }
    match (failed, first_unknown) {
        (true, _) => Judged::Fail,
        (false, Some(why)) => Judged::Unknown(why),
        (false, None) => Judged::Pass,
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let policies = cx.tenant.conditional_access_policies.get()?;
    let dir = cx.tenant.group_members.get()?;
    let population = cx.population()?;
    let mut found = conflicting(policies);
    let mut tally = Tally::default();
    for user in &population.users {
        let judged = judge_user(user, &mut found, dir);
        tally.add(
            Affected::new(AffectedKind::User, &user.id, user.name()),
            judged,
        );
    }
    let evidence = json!({
        "population": population.evidence(),
        "policies": policies.len(),
        "conflicting_policies": found.iter().map(Conflicting::evidence).collect::<Vec<_>>(),
        "users_undetermined": tally.undetermined_evidence(),
    });
    let blocking: Vec<String> = found
        .iter()
        .filter(|c| c.reached > 0)
        .map(|c| format!("'{}' {}", c.policy.name(), c.conflict))
        .collect();
    let total = policies.len();
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "Conditional Access blocks Intune enrollment for {} of {}: {}",
                t.failed.len(),
                count(t.total(), "user"),
                blocking.join("; ")
            )
        },
        |t| {
            format!(
                "Conditional Access may block Intune enrollment: {}",
                t.at_risk_clause("user")
            )
        },
        |t| {
            format!(
                "None of the {total} Conditional Access {} blocks Intune enrollment for the {}",
                if total == 1 { "policy" } else { "policies" },
                count(t.total(), "user")
            )
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::INTUNE_ENROLLMENT_APP_ID as ENROLLMENT;
    use crate::model::INTUNE_APP_ID as INTUNE;
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::{json, Value};

    const ID: &str = "ca-blocks-intune-enrollment";

    /// A policy in Graph's shape (conditionalaccessroot-list-policies).
    fn policy(state: &str, include_apps: &[&str], exclude_apps: &[&str], grant: Value) -> Value {
        json!({"id": "p1", "displayName": "Contoso CA", "state": state,
            "createdDateTime": "2025-05-01T10:00:00Z", "modifiedDateTime": null, "sessionControls": null,
            "conditions": {"signInRiskLevels": [], "userRiskLevels": [], "clientAppTypes": ["all"],
                "platforms": null, "locations": null, "devices": null,
                "applications": {"includeApplications": include_apps, "excludeApplications": exclude_apps, "includeUserActions": []},
                "users": {"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [], "excludeGroups": ["g-break"],
                          "includeRoles": [], "excludeRoles": []}},
            "grantControls": grant})
    }

    fn grant(operator: &str, controls: &[&str], terms: &[&str]) -> Value {
        json!({"operator": operator, "builtInControls": controls, "customAuthenticationFactors": [], "termsOfUse": terms})
    }

    fn run(policies: Vec<Value>) -> crate::report::Finding {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g-break", "Break glass", &[("user", "u2")])],
            )
            .with(Resource::ConditionalAccessPolicies, policies)
            .run(ID)
    }

    #[test]
    fn terms_of_use_on_all_apps_fails_for_the_users_it_reaches() {
        let f = run(vec![policy(
            "enabled",
            &["All"],
            &[],
            grant("OR", &[], &["tou-1"]),
        )]);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(
            affected_ids(&f),
            ["u1"],
            "u2 is excluded through Break glass"
        );
        assert!(f.summary.contains("terms of use"), "{}", f.summary);
    }

    #[test]
    fn terms_of_use_with_intune_enrollment_excluded_passes() {
        let f = run(vec![policy(
            "enabled",
            &["All"],
            &[ENROLLMENT],
            grant("OR", &[], &["tou-1"]),
        )]);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn block_all_except_a_list_without_both_intune_apps_fails() {
        let f = run(vec![policy(
            "enabled",
            &["All"],
            &[ENROLLMENT, "00000002-0000-0ff1-ce00-000000000000"],
            grant("OR", &["block"], &[]),
        )]);
        assert_eq!(f.status, FindingStatus::Fail);
        let f = run(vec![policy(
            "enabled",
            &["All"],
            &[ENROLLMENT, INTUNE],
            grant("OR", &["block"], &[]),
        )]);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn compliant_device_on_intune_enrollment_fails_but_on_all_apps_is_excluded_by_default() {
        let f = run(vec![policy(
            "enabled",
            &[ENROLLMENT],
            &[],
            grant("OR", &["compliantDevice"], &[]),
        )]);
        assert_eq!(f.status, FindingStatus::Fail);
        let f = run(vec![policy(
            "enabled",
            &["All"],
            &[],
            grant("OR", &["compliantDevice"], &[]),
        )]);
        assert_eq!(f.status, FindingStatus::Pass);
        // An alternative the user can satisfy (MFA) does not block.
        let f = run(vec![policy(
            "enabled",
            &[ENROLLMENT],
            &[],
            grant("OR", &["compliantDevice", "mfa"], &[]),
        )]);
        assert_eq!(f.status, FindingStatus::Pass);
        let f = run(vec![policy(
            "enabled",
            &[ENROLLMENT],
            &[],
            grant("AND", &["compliantDevice", "mfa"], &[]),
        )]);
        assert_eq!(f.status, FindingStatus::Fail);
    }

    #[test]
    fn report_only_and_unknown_state_warn_disabled_is_ignored() {
        let g = || grant("OR", &[], &["tou-1"]);
        let f = run(vec![policy(
            "enabledForReportingButNotEnforced",
            &["All"],
            &[],
            g(),
        )]);
        assert_eq!(f.status, FindingStatus::Warn);
        let f = run(vec![policy("unknownFutureValue", &["All"], &[], g())]);
        assert_eq!(f.status, FindingStatus::Warn);
        let f = run(vec![policy("disabled", &["All"], &[], g())]);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn unsettled_conditions_and_roles_warn_never_pass() {
        let mut p = policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"]));
        p["conditions"]["locations"] =
            json!({"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]});
        assert_eq!(run(vec![p]).status, FindingStatus::Warn);
        let mut p = policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"]));
        p["conditions"]["users"] = json!({"includeUsers": [], "includeGroups": [], "includeRoles": ["62e90394-69f5-4237-9190-012177145e10"],
            "excludeUsers": [], "excludeGroups": [], "excludeRoles": []});
        assert_eq!(run(vec![p]).status, FindingStatus::Warn);
        let mut p = policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"]));
        p["conditions"]["users"]["excludeGroups"] = json!(["g-not-collected"]);
        let f = run(vec![p]);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.affected.len(), 2);
    }

    #[test]
    fn uncertainty_in_a_second_policy_keeps_the_failure() {
        let mut maybe = policy(
            "enabledForReportingButNotEnforced",
            &["All"],
            &[],
            grant("OR", &["block"], &[]),
        );
        maybe["id"] = json!("p2");
        maybe["conditions"]["applications"]["excludeApplications"] =
            json!(["00000002-0000-0ff1-ce00-000000000000"]);
        maybe["conditions"]["users"]["excludeGroups"] = json!([]);
        let f = run(vec![
            policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"])),
            maybe,
        ]);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(
            affected_ids(&f),
            ["u1", "u2"],
            "u2 is at risk through the report-only policy"
        );
    }

    #[test]
    fn policies_for_other_platforms_or_legacy_clients_are_ignored() {
        let mut p = policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"]));
        p["conditions"]["platforms"] =
            json!({"includePlatforms": ["iOS", "android"], "excludePlatforms": []});
        assert_eq!(run(vec![p]).status, FindingStatus::Pass);
        let mut p = policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"]));
        p["conditions"]["clientAppTypes"] = json!(["exchangeActiveSync", "other"]);
        assert_eq!(run(vec![p]).status, FindingStatus::Pass);
        let mut p = policy("enabled", &["All"], &[], grant("OR", &[], &["tou-1"]));
        p["conditions"]["platforms"] =
            json!({"includePlatforms": ["holoLens"], "excludePlatforms": []});
        assert_eq!(run(vec![p]).status, FindingStatus::Warn);
    }

    #[test]
    fn not_evaluated_without_the_policies() {
        let f = Fixture::new()
            .with(Resource::Users, vec![user("u1", "adele@contoso.com")])
            .with(Resource::GroupMembers, vec![])
            .forbidden(Resource::ConditionalAccessPolicies)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Policy.Read.All"]);
    }
}
