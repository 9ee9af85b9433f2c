use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::EnrollmentConfiguration;
use crate::references::AUTOPILOT_KNOWN_ISSUES;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::{classify, Target};
use crate::tenant::{Directory, NotEvaluated};
use crate::verdict::{Judged, Tally};
use serde_json::json;
use std::collections::HashSet;

declare_check! {
    /// Enrollment Status Page profiles with blocking apps that are assigned to user groups.
    ///
    /// ## What it checks
    /// Every Enrollment Status Page profile other than the default
    /// (`windows10EnrollmentCompletionPageConfiguration`) that shows the page and lists blocking
    /// apps (`selectedMobileAppIds`). It fails for such a profile assigned to all users or to a
    /// group that has users among its members. A profile whose assignments, blocking apps,
    /// group members or users were not collected, or whose target type is not understood, is at
    /// risk. Profiles without blocking apps, or assigned only to device groups or all devices,
    /// pass. It is not applicable when only the default profile exists.
    ///
    /// ## Why enrollment fails
    /// Windows Autopilot known issue: blocking apps specified in a user-targeted Enrollment
    /// Status Page profile are ignored during the device phase of the page. The device leaves
    /// the device phase without the apps the admin meant to block on, and the deployment goes
    /// on (or times out later) without them.
    ///
    /// ## Remediation
    /// 1. In Devices > Enrollment > Windows > Enrollment Status Page, open the profile named in the finding.
    /// 2. Assign it to a device group (for Autopilot, the group of the Autopilot devices) instead of a user group, or move the blocking apps to a profile that is assigned to devices.
    ///
    /// ## Known limitations
    /// A group counts as a user group when one of its collected members is a user; a mixed
    /// group of users and devices therefore fails. Assignment filters are not evaluated.
    pub META = CheckMeta {
        id: "esp-blocking-apps-user-targeted",
        since: "0.2.0",
        preview: false,
        title: "Enrollment Status Page profiles with blocking apps that are assigned to user groups",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["the-enrollment-status-page-times-out"],
        resources: &[
            Resource::DeviceEnrollmentConfigurations,
            Resource::GroupMembers,
            Resource::Users,
        ],
        in_article: false,
        references: &[AUTOPILOT_KNOWN_ISSUES.at("Blocking apps specified in a user-targeted Enrollment Status Profile are ignored during device ESP")],
    };
}

/// Whether one assignment target reaches users: `Fail` when it surely does.
fn reaches_users(target: &Target, dir: &Directory, users: &HashSet<String>) -> Judged {
    match target {
        Target::AllUsers => Judged::Fail,
        Target::AllDevices | Target::Exclusion(_) => Judged::Pass,
        Target::Group(g) if !dir.knows(g) => Judged::Unknown(format!(
            "the members of group {} were not collected",
            dir.group_name(g)
        )),
        Target::Group(g) => {
            Judged::fails_if(users.iter().any(|u| dir.contains(g, u) == Some(true)))
        }
        Target::ConfigMgrCollection(_) => Judged::Unknown(
            "a Configuration Manager collection target: its members are not collected".into(),
        ),
        Target::Unknown(kind) => {
            Judged::Unknown(format!("assignment target type {kind} is not understood"))
        }
    }
}

fn judge(esp: &EnrollmentConfiguration, dir: &Directory, users: &HashSet<String>) -> Judged {
    if esp.show_installation_progress == Some(false) {
        return Judged::Pass;
    }
    let Some(assignments) = esp.assignments.as_ref() else {
        return Judged::Unknown("its assignments were not collected".into());
    };
    let mut verdict = Judged::Pass;
    for a in assignments {
        match reaches_users(&classify(&a.target).0, dir, users) {
            Judged::Fail => {
                verdict = Judged::Fail;
                break;
            }
            Judged::Unknown(why) => verdict = Judged::Unknown(why),
            Judged::Pass => {}
        }
    }
    match (verdict, esp.selected_mobile_app_ids.as_ref()) {
        (Judged::Pass, _) => Judged::Pass,
        (_, Some(apps)) if apps.is_empty() => Judged::Pass,
        (_, None) => {
            Judged::Unknown("its blocking apps (selectedMobileAppIds) were not reported".into())
        }
        (other, Some(_)) => other,
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let configs = cx.tenant.enrollment_configurations.get()?;
    let esps: Vec<_> = configs
        .iter()
        .filter(|c| c.is_enrollment_status_page() && !c.is_default())
        .collect();
    if esps.is_empty() {
        return Ok(Outcome::not_applicable(
            "Only the default Enrollment Status Page profile exists",
        ));
    }
    let dir = cx.tenant.group_members.get()?;
    let users: HashSet<String> = cx
        .tenant
        .users
        .get()?
        .iter()
        .map(|u| u.id.to_ascii_lowercase())
        .collect();
    let mut tally = Tally::default();
    for esp in &esps {
        let subject = Affected::new(AffectedKind::Configuration, &esp.id, esp.name());
        tally.add(subject, judge(esp, dir, &users));
    }
    let evidence = json!({
        "profiles": tally.total(),
        "userTargetedWithBlockingApps": tally.failed.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "undetermined": tally.undetermined_evidence(),
    });
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "{} with blocking apps {} assigned to users ({}): their blocking apps are ignored during the device phase",
                count(t.failed.len(), "Enrollment Status Page profile"),
                if t.failed.len() == 1 { "is" } else { "are" },
                t.failed_names(5)
            )
        },
        |t| t.at_risk_clause("Enrollment Status Page profile"),
        |t| {
            format!(
                "None of the {} assigns blocking apps to users",
                count(t.total(), "Enrollment Status Page profile")
            )
        },
    ))
}
