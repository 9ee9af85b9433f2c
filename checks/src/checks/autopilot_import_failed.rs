use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::ImportStatus;
use crate::references::Page;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

/// Microsoft's support article on Autopilot CSV import errors.
const IMPORT_ERRORS: Page = Page {
    title: "Error 806 or 808 when you import Windows Autopilot device CSV files in Intune",
    url: "https://learn.microsoft.com/en-us/troubleshoot/mem/intune/device-enrollment/import-windows-autopilot-device-csv-files-errors",
};

declare_check! {
    /// Autopilot hardware-hash imports that failed.
    ///
    /// ## What it checks
    /// The Autopilot imports Intune still lists (`importedWindowsAutopilotDeviceIdentities`) and
    /// the state the Device Directory Service reported for each. It fails for imports in state
    /// *error* and names the error (806 *ZtdDeviceAlreadyAssigned*: the device is already
    /// registered in this tenant or in Microsoft Store for Business; 808
    /// *ZtdDeviceAssignedToOtherTenant*: it is registered in another tenant). A state that is
    /// absent or not understood counts as at risk. It is not applicable when no import is listed.
    ///
    /// ## Why enrollment fails
    /// The device was never registered for Windows Autopilot in this tenant: it runs the standard
    /// Windows setup (or another tenant's deployment) instead of the profile the admin planned.
    ///
    /// ## Remediation
    /// 1. For 806, find the device by serial number in Devices > Enrollment > Windows Autopilot > Devices (or in Microsoft Store for Business) and delete the old registration, then import the hash again.
    /// 2. For 808, ask the other tenant's admin (or the device's reseller, with proof of purchase) to deregister the device, then import it again.
    /// 3. Delete the failed import from the import list so that it does not linger.
    ///
    /// ## Known limitations
    /// How long Intune keeps finished imports is not documented: an import that failed long ago
    /// may no longer be listed.
    pub META = CheckMeta {
        id: "autopilot-import-failed",
        since: "0.2.0",
        preview: false,
        title: "Autopilot hardware-hash imports that failed",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &["806", "808"],
        article_sections: &["prerequisites"],
        resources: &[Resource::ImportedWindowsAutopilotDeviceIdentities],
        in_article: false,
        references: &[IMPORT_ERRORS.at("Cause")],
    };
}

/// "806 ZtdDeviceAlreadyAssigned", or whatever of the two the service reported.
fn error_text(code: Option<i64>, name: Option<&str>) -> String {
    match (code, name.filter(|n| !n.is_empty())) {
        (Some(c), Some(n)) => format!("{c} {n}"),
        (Some(c), None) => c.to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) => "no error code".into(),
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let imports = cx.tenant.autopilot_imports.get()?;
    if imports.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot import is listed in the tenant",
        ));
    }
    let mut tally = Tally::default();
    let mut errors = Vec::new();
    for i in imports {
        let name = i.serial_number.clone().unwrap_or_else(|| i.id.clone());
        let state = i.state.as_ref();
        let judged = match state.and_then(|s| s.device_import_status.as_ref()) {
            Some(ImportStatus::Error) => {
                let s = state.map(|s| (s.device_error_code, s.device_error_name.as_deref()));
                let text = s.map_or_else(|| "no error code".into(), |(c, n)| error_text(c, n));
                errors.push(json!({"serialNumber": i.serial_number, "importId": i.import_id, "error": text}));
                Judged::Fail
            }
            Some(ImportStatus::Unknown(raw)) => {
                Judged::Unknown(format!("import state '{raw}' is not understood"))
            }
            Some(_) => Judged::Pass,
            None => Judged::Unknown("the import state was not reported".into()),
        };
        tally.add(
            Affected::new(AffectedKind::AutopilotImport, &i.id, name),
            judged,
        );
    }
    let evidence = json!({
        "imports": tally.total(),
        "failed": errors,
        "undetermined": tally.undetermined_evidence(),
    });
    let first_error = evidence["failed"][0]["error"]
        .as_str()
        .unwrap_or("")
        .to_string();
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "{} of {} failed ({}; first error: {first_error}): not registered for Autopilot in this tenant",
                t.failed.len(),
                count(t.total(), "Autopilot import"),
                t.failed_names(5)
            )
        },
        |t| {
            format!(
                "The state of {} cannot be read",
                count(t.at_risk.len(), "Autopilot import")
            )
        },
        |t| {
            format!(
                "None of the {} failed",
                count(t.total(), "listed Autopilot import")
            )
        },
    ))
}
