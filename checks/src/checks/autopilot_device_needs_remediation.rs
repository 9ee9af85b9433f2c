use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::RemediationState;
use crate::references::AUTOPILOT_FAQ;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Autopilot devices whose hardware changed and that need to be registered again.
    ///
    /// ## What it checks
    /// The `remediationState` Intune records for each Autopilot device (beta Graph): a hardware
    /// change (a new motherboard, usually) detected on the client. It fails for devices that need
    /// manual remediation ("Attention required" in the portal) and warns for devices whose
    /// remediation Intune attempts itself ("Fix pending"). A state that is absent or not
    /// understood counts as at risk; when no device reports a state at all the check is not
    /// evaluated.
    ///
    /// ## Why enrollment fails
    /// After a hardware change the device's hardware hash no longer matches its Autopilot
    /// registration: the deployment profile is not applied (the device runs the standard setup,
    /// or a reimage to an older Windows fails to get its profile) until the device is
    /// registered again.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Windows Autopilot > Devices and find the serial numbers named in the finding.
    /// 2. For "Attention required" (manual remediation): deregister the device, collect its new hardware hash on the device (Get-WindowsAutopilotInfo) and import it again.
    /// 3. For "Fix pending": let the device reach Intune so that Autopilot re-registers it, and check that the status clears before you deploy it.
    pub META = CheckMeta {
        id: "autopilot-device-needs-remediation",
        since: "0.2.0",
        preview: false,
        title: "Autopilot devices that need to be registered again after a hardware change",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::WindowsAutopilotDeviceIdentities],
        in_article: false,
        references: &[AUTOPILOT_FAQ.at(
            "Why is the Windows Autopilot profile not applied after a hardware change occurred on a device?",
        )],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let devices = cx.tenant.autopilot_devices.get()?;
    if devices.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot devices are registered in the tenant",
        ));
    }
    if devices.iter().all(|d| d.remediation_state.is_none()) {
        return Err(NotEvaluated::new(
            "no Autopilot device carries remediationState (beta): it was not collected",
        ));
    }
    let (mut tally, mut pending) = (Tally::default(), Vec::new());
    for d in devices {
        let subject = Affected::new(AffectedKind::AutopilotDevice, &d.id, d.name());
        let judged = match &d.remediation_state {
            Some(RemediationState::NoRemediationRequired) => Judged::Pass,
            Some(RemediationState::ManualRemediationRequired) => Judged::Fail,
            Some(RemediationState::AutomaticRemediationRequired) => {
                pending.push(subject.clone());
                Judged::Pass
            }
            Some(other) => Judged::Unknown(format!(
                "remediationState '{other}' does not say whether the hardware changed"
            )),
            None => Judged::Unknown("remediationState was not reported".into()),
        };
        tally.add(subject, judged);
    }
    let evidence = json!({
        "autopilot_devices": tally.total(),
        "manual_remediation_required": tally.failed.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "automatic_remediation_required": pending.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "undetermined": tally.undetermined_evidence(),
    });
    let names = |list: &[Affected]| {
        list.iter()
            .take(5)
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !tally.failed.is_empty() {
        let mut affected = tally.failed.clone();
        affected.extend(pending.iter().cloned());
        affected.extend(tally.at_risk_affected());
        return Ok(Outcome::fail(format!(
            "{} of {} {} manual remediation after a hardware change ({}): the deployment profile does not apply until the device is registered again",
            tally.failed.len(),
            count(tally.total(), "Autopilot device"),
            if tally.failed.len() == 1 { "needs" } else { "need" },
            names(&tally.failed)
        ))
        .with_affected(affected)
        .with_evidence(evidence));
    }
    if !pending.is_empty() || !tally.is_settled() {
        let mut affected = pending.clone();
        affected.extend(tally.at_risk_affected());
        let summary = if pending.is_empty() {
            format!(
                "The hardware state of {} cannot be read",
                count(tally.at_risk.len(), "Autopilot device")
            )
        } else {
            format!(
                "{} {} automatic remediation after a hardware change ({}): deploy only once the status clears",
                count(pending.len(), "Autopilot device"),
                if pending.len() == 1 { "awaits" } else { "await" },
                names(&pending)
            )
        };
        return Ok(Outcome::warn(summary)
            .with_affected(affected)
            .with_evidence(evidence));
    }
    Ok(Outcome::pass(format!(
        "No hardware change is pending on any of the {}",
        count(tally.total(), "Autopilot device")
    ))
    .with_evidence(evidence))
}
