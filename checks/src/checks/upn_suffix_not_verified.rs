use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

declare_check! {
    /// Users sign in with a UPN suffix that is not a verified domain or is non-routable (.local).
    ///
    /// ## What it checks
    /// For every user who could enroll, the domain suffix of `userPrincipalName` and, for users
    /// synchronised from Active Directory, of `onPremisesUserPrincipalName`. That second value is
    /// where a `.local` suffix shows: Entra replaces a suffix it cannot verify with the tenant's
    /// `onmicrosoft.com` domain in `userPrincipalName`. It fails when a suffix is non-routable
    /// (`.local`, `.lan`, `.internal`, `.corp`, `.localdomain`, `.intranet`, `.home`, `.private`,
    /// or no dot at all) or is neither a verified domain of the tenant nor a subdomain of one.
    ///
    /// ## Why enrollment fails
    /// Automatic MDM enrollment of hybrid-joined and group-policy devices uses the on-premises
    /// identity; with an unverified or non-routable UPN suffix it fails with *"Auto MDM Enroll:
    /// Failed" (0x8018002B)* (event 76 in DeviceManagement-Enterprise-Diagnostics-Provider/Admin).
    ///
    /// ## Remediation
    /// 1. In the Microsoft Entra admin center open Entra ID > Domain names and add and verify the domain the users should sign in with (a routable domain the organisation owns).
    /// 2. In Active Directory Domains and Trusts add that domain as an alternative UPN suffix, and change the UPN of each user named in the finding to it (Active Directory Users and Computers > Account).
    /// 3. Let Microsoft Entra Connect synchronise (or run a delta sync) and confirm the users' UPN in Entra, then have them sign in again so automatic enrollment retries.
    pub META = CheckMeta {
        id: "upn-suffix-not-verified",
        since: "0.1.0",
        preview: false,
        title: "UPN suffix is not a verified domain or is non-routable",
        severity: Severity::High,
        area: Area::EntraJoin,
        error_codes: &["0x8018002B"],
        article_sections: &["auto-mdm-enroll-failed"],
        resources: &[Resource::Users, Resource::Domains],
        in_article: true,
        references: &[WINDOWS_ENROLLMENT_ERRORS.at("Auto MDM Enroll: Failed")],
    };
}

/// Top-level labels that do not resolve on the internet.
const NON_ROUTABLE: &[&str] = &[
    "local",
    "lan",
    "internal",
    "corp",
    "localdomain",
    "intranet",
    "home",
    "private",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    NonRoutable,
    Unverified,
}

impl Problem {
    fn as_str(self) -> &'static str {
        match self {
            Problem::NonRoutable => "non-routable",
            Problem::Unverified => "not a verified domain",
        }
    }
}

/// The part after the last `@`, lower case, without a trailing dot.
fn suffix(upn: &str) -> Option<String> {
    let (_, domain) = upn.rsplit_once('@')?;
    Some(domain.trim().trim_end_matches('.').to_ascii_lowercase())
}

fn judge(suffix: &str, verified: &[String]) -> Option<Problem> {
    let last = suffix.rsplit('.').next().unwrap_or("");
    if !suffix.contains('.') || NON_ROUTABLE.contains(&last) {
        return Some(Problem::NonRoutable);
    }
    let ok = verified.iter().any(|d| {
        suffix == d
            || suffix
                .strip_suffix(d.as_str())
                .is_some_and(|head| head.ends_with('.'))
    });
    (!ok).then_some(Problem::Unverified)
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let domains = t.domains.get()?;
    let population = cx.population()?;
    let names = |state: Option<bool>| -> Vec<String> {
        domains
            .iter()
            .filter(|d| d.is_verified == state)
            .map(|d| d.id.trim_end_matches('.').to_ascii_lowercase())
            .collect()
    };
    let verified = names(Some(true));
    // Domains whose verification was not collected: a suffix under one of them is unsettled.
    let unreadable = names(None);
    let mut at_risk: Vec<Affected> = Vec::new();
    let mut counts: BTreeMap<String, (Problem, BTreeSet<&'static str>, usize)> = BTreeMap::new();
    let mut affected = Vec::new();
    for user in &population.users {
        let sources = [
            (
                "onPremisesUserPrincipalName",
                user.on_premises_user_principal_name.as_deref(),
            ),
            ("userPrincipalName", user.user_principal_name.as_deref()),
        ];
        let mut bad: BTreeSet<String> = BTreeSet::new();
        for (source, upn) in sources {
            let Some(sfx) = upn.and_then(suffix) else {
                continue;
            };
            if let Some(problem) = judge(&sfx, &verified) {
                if problem == Problem::Unverified && judge(&sfx, &unreadable).is_none() {
                    at_risk.push(
                        Affected::new(AffectedKind::User, &user.id, user.name()).undetermined(
                            format!("whether domain of suffix '{sfx}' is verified was not collected (isVerified absent)"),
                        ),
                    );
                    continue;
                }
                let entry = counts
                    .entry(sfx.clone())
                    .or_insert((problem, BTreeSet::new(), 0));
                entry.1.insert(source);
                if bad.insert(sfx) {
                    entry.2 += 1;
                }
            }
        }
        if !bad.is_empty() {
            affected.push(Affected::new(AffectedKind::User, &user.id, user.name()));
        }
    }
    let evidence = json!({
        "population": population.evidence(),
        "verified_domains": verified,
        "users_affected": affected.len(),
        "users_undetermined": at_risk.len(),
        "suffix_counts": counts.iter().map(|(s, (_, _, n))| (s.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "suffixes": counts.iter().map(|(s, (p, src, n))| json!({
            "suffix": s, "problem": p.as_str(), "users": n, "seen_in": src,
        })).collect::<Vec<_>>(),
    });
    at_risk.dedup_by(|a, b| a.id == b.id);
    if affected.is_empty() && at_risk.is_empty() {
        return Ok(Outcome::pass(format!(
            "The UPN suffixes of {} who could enroll are verified, routable domains",
            crate::report::every(population.users.len(), "user")
        ))
        .with_evidence(evidence));
    }
    if affected.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} {} a UPN suffix whose domain's verification was not collected",
            count(at_risk.len(), "user"),
            if at_risk.len() == 1 { "has" } else { "have" }
        ))
        .with_affected(at_risk)
        .with_evidence(evidence));
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(s, (p, _, n))| format!("'{s}' ({}, {})", count(*n, "user"), p.as_str()))
        .collect();
    let n = affected.len();
    affected.extend(at_risk);
    Ok(Outcome::fail(format!(
        "{} {} a UPN suffix that automatic MDM enrollment cannot use: {}",
        count(n, "user"),
        if n == 1 { "has" } else { "have" },
        parts.join(", ")
    ))
    .with_affected(affected)
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use super::{judge, Problem};
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "upn-suffix-not-verified";

    fn synced(id: &str, upn: &str, on_prem: &str) -> serde_json::Value {
        let mut u = user(id, upn);
        u["onPremisesSyncEnabled"] = true.into();
        u["onPremisesUserPrincipalName"] = on_prem.into();
        u
    }

    fn tenant(users: Vec<serde_json::Value>) -> Fixture {
        Fixture::new().with(Resource::Users, users).with(
            Resource::Domains,
            vec![
                domain("contoso.com", true),
                domain("contoso.onmicrosoft.com", true),
                domain("fabrikam.com", false),
            ],
        )
    }

    #[test]
    fn suffix_rules() {
        let verified = vec!["contoso.com".to_string()];
        assert_eq!(judge("contoso.com", &verified), None);
        assert_eq!(judge("eu.contoso.com", &verified), None);
        assert_eq!(
            judge("notcontoso.com", &verified),
            Some(Problem::Unverified)
        );
        assert_eq!(
            judge("contoso.local", &verified),
            Some(Problem::NonRoutable)
        );
        assert_eq!(judge("corp", &verified), Some(Problem::NonRoutable));
        assert_eq!(
            judge("ad.contoso.internal", &verified),
            Some(Problem::NonRoutable)
        );
    }

    #[test]
    fn passes_with_verified_suffixes_and_subdomains() {
        let f = tenant(vec![
            user("u1", "adele@contoso.com"),
            synced("u2", "bob@eu.contoso.com", "bob@EU.Contoso.com"),
            user("u3", "cara@contoso.onmicrosoft.com"),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn fails_for_local_on_premises_suffix_hidden_behind_onmicrosoft() {
        let f = tenant(vec![
            user("u1", "adele@contoso.com"),
            synced("u2", "bob@contoso.onmicrosoft.com", "bob@contoso.local"),
            synced("u3", "cara@contoso.onmicrosoft.com", "cara@contoso.local"),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u2", "u3"]);
        assert_eq!(f.evidence["suffix_counts"]["contoso.local"], 2);
        assert_eq!(f.evidence["suffixes"][0]["problem"], "non-routable");
    }

    #[test]
    fn fails_for_unverified_domain() {
        let f = tenant(vec![
            user("u1", "adele@contoso.com"),
            user("u2", "dan@fabrikam.com"),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u2"]);
        assert_eq!(f.evidence["suffix_counts"]["fabrikam.com"], 1);
        assert_eq!(
            f.evidence["suffixes"][0]["problem"],
            "not a verified domain"
        );
    }

    #[test]
    fn not_evaluated_without_domains() {
        let f = Fixture::new()
            .with(Resource::Users, vec![user("u1", "adele@contoso.com")])
            .forbidden(Resource::Domains)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Domain.Read.All"]);
    }
}
