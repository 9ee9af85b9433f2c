use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::references::{AUTOPILOT_KNOWN_ISSUES, WINDOWS_ENROLLMENT_ERRORS};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::{autopilot_identity, device_id_index, Identity};
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Autopilot devices whose Microsoft Entra device object was deleted.
    ///
    /// ## What it checks
    /// Importing a device into Windows Autopilot creates a Microsoft Entra device object for it;
    /// the Autopilot record keeps that object's device id (`azureActiveDirectoryDeviceId`, beta also
    /// `azureAdDeviceId`). For every Autopilot device it looks the id up in the tenant's complete
    /// list of Entra devices. It fails for devices whose id matches no Entra device: the object was
    /// deleted. Such a device is a member of no group, so no group-assigned deployment profile
    /// reaches it either. A record without an Entra device id cannot be looked up and is counted as
    /// at risk. It is not applicable when no Autopilot device is registered.
    ///
    /// ## Why enrollment fails
    /// The deployment stops with *"Something went wrong. … error code 80070774"* (hybrid join: the
    /// Autopilot object's associated Entra device has been deleted), pre-provisioning shows an error
    /// screen with *0x801C03F3* in the User Device Registration log, and Entra join fails in the
    /// out-of-box experience: the device authenticates with an object that no longer exists.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Windows Autopilot > Devices and find each serial number named in the finding.
    /// 2. Deregister the device (Delete), and wait until it is gone from the list.
    /// 3. Import its hardware hash again (CSV upload, or from the OEM or reseller); Autopilot creates a new Entra device object.
    /// 4. Add the new object to the groups the deployment profile targets (a dynamic group on the ZTDId or group tag does this by itself) and wait until the profile status is Assigned before deploying.
    ///
    /// ## Known limitations
    /// A device imported minutes before the snapshot may not have its Entra object yet; collect
    /// again before acting on a device imported that recently. Deleting stale Entra devices by date
    /// (a common clean-up script) is the usual cause: exclude Autopilot devices from such scripts.
    pub META = CheckMeta {
        id: "autopilot-entra-object-missing",
        since: "0.2.0",
        preview: false,
        title: "Autopilot devices whose Entra device object was deleted",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &["0x80070774", "0x801C03F3"],
        article_sections: &["something-went-wrong-error-code-80070774"],
        resources: &[Resource::WindowsAutopilotDeviceIdentities, Resource::Devices],
        in_article: true,    references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("Something went wrong. Error Code 80070774."),
            AUTOPILOT_KNOWN_ISSUES.at("Pre-provisioning gives an error screen and the Microsoft-Windows-User Device Registration/Admin event log displays HResult error code 0x801C03F3"),
        ],

    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let t = cx.tenant;
    let autopilot = t.autopilot_devices.get()?;
    let entra = t.devices.get()?;
    if autopilot.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot devices are registered in the tenant",
        ));
    }
    let index = device_id_index(entra);
    let mut tally = Tally::default();
    for d in autopilot {
        let judged = match autopilot_identity(d, &index) {
            Identity::Object(_) => Judged::Pass,
            Identity::Missing => Judged::Fail,
            Identity::Unknown(why) => Judged::Unknown(why.to_string()),
        };
        tally.add(
            Affected::new(AffectedKind::AutopilotDevice, &d.id, d.name()),
            judged,
        );
    }
    let evidence = json!({
        "autopilot_devices": tally.total(),
        "entra_devices": entra.len(),
        "missing": tally.failed.iter().map(|a| {
            let d = autopilot.iter().find(|d| d.id == a.id);
            json!({"id": a.id, "serialNumber": a.name, "entra_device_id": d.and_then(|d| d.entra_device_id())})
        }).collect::<Vec<_>>(),
        "undetermined": tally.undetermined_evidence(),
    });
    if tally.failed.is_empty() && tally.is_settled() {
        return Ok(Outcome::pass(format!(
            "{} has its Entra device object",
            crate::report::every_cap(tally.total(), "Autopilot device")
        ))
        .with_evidence(evidence));
    }
    if tally.failed.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} of {} cannot be matched to an Entra device: {}",
            tally.at_risk.len(),
            count(tally.total(), "Autopilot device"),
            tally.at_risk_clause("device")
        ))
        .with_affected(tally.at_risk_affected())
        .with_evidence(evidence));
    }
    let names: Vec<String> = tally.failed.iter().map(|a| a.name.clone()).collect();
    let mut affected = tally.failed.clone();
    affected.extend(tally.at_risk_affected());
    Ok(Outcome::fail(format!(
        "{} of {} {} no Entra device object any more (deleted): deployment fails with 80070774 or 0x801C03F3 and no group-assigned profile reaches {}: {}",
        tally.failed.len(),
        count(tally.total(), "Autopilot device"),
        if tally.failed.len() == 1 { "has" } else { "have" },
        if tally.failed.len() == 1 { "it" } else { "them" },
        crate::autopilot::list(&names, 5)
    ))
    .with_affected(affected)
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;

    const ID: &str = "autopilot-entra-object-missing";

    fn base(autopilot: Vec<serde_json::Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeviceIdentities, autopilot)
            .with(
                Resource::Devices,
                vec![entra_device("obj-1", "aad-1", "AzureAd", &[])],
            )
    }

    #[test]
    fn passes_when_every_device_has_its_object() {
        let f = base(vec![autopilot_device(
            "ap1", "SER1", "aad-1", "", "Surface",
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
    }

    #[test]
    fn fails_for_a_device_whose_object_was_deleted() {
        let f = base(vec![
            autopilot_device("ap1", "SER1", "aad-1", "", "Surface"),
            autopilot_device("ap2", "SER2", "aad-deleted", "", "Surface"),
        ])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail, "{}", f.summary);
        assert_eq!(affected_ids(&f), ["ap2"]);
        assert!(f.summary.contains("SER2"), "{}", f.summary);
    }

    #[test]
    fn a_record_without_an_entra_id_is_at_risk() {
        let f = base(vec![autopilot_device(
            "ap1",
            "SER1",
            "00000000-0000-0000-0000-000000000000",
            "",
            "Surface",
        )])
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn, "{}", f.summary);
        assert!(f.affected[0].undetermined.is_some());
    }

    #[test]
    fn not_evaluated_without_the_entra_devices() {
        let f = Fixture::new()
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![autopilot_device("ap1", "SER1", "aad-1", "", "Surface")],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["Device.Read.All"]);
    }
}
