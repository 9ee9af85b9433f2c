use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::ProfileAssignmentStatus;
use crate::references::AUTOPILOT_KNOWN_ISSUES;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Intune failed to assign a deployment profile to Autopilot devices.
    ///
    /// ## What it checks
    /// The `deploymentProfileAssignmentStatus` Intune reports for each Autopilot device. It fails
    /// for devices whose profile assignment failed, and counts a status that is absent or not
    /// understood as at risk. Devices with no profile at all are `autopilot-devices-without-profile`'s
    /// business.
    ///
    /// ## Why enrollment fails
    /// A device whose assignment failed gets no Autopilot profile: it runs the standard Windows
    /// setup (or the default profile) instead of the deployment the admin planned, and the
    /// Autopilot event log shows event 809 *ZtdDeviceHasNoAssignedProfile* ("Assigned profile
    /// does not exist", when the profile was deleted) or 815 ("No profile").
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Windows Autopilot > Devices and select the devices named in the finding.
    /// 2. Check that the profile their group gets still exists and is assigned; remove and re-add the device to its profile group (or re-assign the profile) and wait until the status reads Assigned.
    /// 3. If the status stays failed, deregister the device and import its hardware hash again.
    pub META = CheckMeta {
        id: "autopilot-profile-assignment-failed",
        since: "0.2.0",
        preview: false,
        title: "Autopilot devices whose deployment profile assignment failed",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::WindowsAutopilotDeviceIdentities],
        in_article: false,
        references: &[AUTOPILOT_KNOWN_ISSUES
            .at("Device goes through Windows Autopilot deployment without an assigned profile")],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let devices = cx.tenant.autopilot_devices.get()?;
    if devices.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot devices are registered in the tenant",
        ));
    }
    let mut tally = Tally::default();
    for d in devices {
        let judged = match &d.deployment_profile_assignment_status {
            Some(ProfileAssignmentStatus::Failed) => Judged::Fail,
            Some(ProfileAssignmentStatus::Unknown(raw)) => {
                Judged::Unknown(format!("assignment status '{raw}' is not understood"))
            }
            Some(_) => Judged::Pass,
            None => Judged::Unknown("the assignment status was not reported".into()),
        };
        tally.add(
            Affected::new(AffectedKind::AutopilotDevice, &d.id, d.name()),
            judged,
        );
    }
    let evidence = json!({
        "autopilot_devices": tally.total(),
        "assignment_failed": tally.failed.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "undetermined": tally.undetermined_evidence(),
    });
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "The deployment profile assignment failed for {} of {} ({}): each deploys without its Autopilot profile",
                t.failed.len(),
                count(t.total(), "Autopilot device"),
                t.failed_names(5)
            )
        },
        |t| {
            format!(
                "The profile assignment status of {} cannot be read",
                count(t.at_risk.len(), "Autopilot device")
            )
        },
        |t| {
            format!(
                "No profile assignment failed for any of the {}",
                count(t.total(), "Autopilot device")
            )
        },
    ))
}
