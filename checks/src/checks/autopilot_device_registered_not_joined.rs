use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::TrustType;
use crate::references::AUTOPILOT_FAQ;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::{autopilot_identity, device_id_index, Identity};
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;
use std::collections::HashMap;

declare_check! {
    /// Autopilot devices whose Entra device object is only registered, not joined.
    ///
    /// ## What it checks
    /// The Entra device object of each Autopilot device (matched by its Entra device id) and its
    /// `trustType`. It fails for devices whose object is *Microsoft Entra registered*
    /// (`Workplace`): the device was workplace-joined before and keeps that trust type. A trust
    /// type that is absent or not understood counts as at risk; devices whose Entra object is
    /// missing are `autopilot-entra-object-missing`'s business.
    ///
    /// ## Why enrollment fails
    /// The device shows "Microsoft Entra registered" instead of "Microsoft Entra joined" after
    /// deployment: the Entra join the Autopilot profile asks for does not take the place of the
    /// old registration, and device-targeted policies and Conditional Access that expect a joined
    /// device do not apply.
    ///
    /// ## Remediation
    /// 1. Microsoft's guidance: a device that is already Entra registered must first be removed from Intune and Microsoft Entra ID. Delete its Intune record (Devices > Windows) and its registered Entra device object (Entra admin center > Devices > All devices).
    /// 2. On the device, disconnect the work or school account (Settings > Accounts > Access work or school), or run `dsregcmd /leave` as an administrator.
    /// 3. Check that the Autopilot registration is still there (register the device again if it was removed), reset the device and run the Autopilot deployment again.
    pub META = CheckMeta {
        id: "autopilot-device-registered-not-joined",
        since: "0.2.0",
        preview: false,
        title: "Autopilot devices that are Entra registered instead of joined",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["prerequisites"],
        resources: &[Resource::WindowsAutopilotDeviceIdentities, Resource::Devices],
        in_article: false,
        references: &[AUTOPILOT_FAQ.at(
            "Why is the join type for a device showing as \"Microsoft Entra registered\" instead of \"Microsoft Entra joined\"?",
        )],
    };
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let autopilot = cx.tenant.autopilot_devices.get()?;
    let entra = cx.tenant.devices.get()?;
    if autopilot.is_empty() {
        return Ok(Outcome::not_applicable(
            "No Autopilot devices are registered in the tenant",
        ));
    }
    let index = device_id_index(entra);
    let by_object: HashMap<&str, &crate::model::Device> =
        entra.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut tally = Tally::default();
    for d in autopilot {
        let subject = Affected::new(AffectedKind::AutopilotDevice, &d.id, d.name());
        let object = match autopilot_identity(d, &index) {
            Identity::Object(object) => object,
            // A deleted object is autopilot-entra-object-missing's finding.
            Identity::Missing => continue,
            Identity::Unknown(why) => {
                tally.add(subject, Judged::Unknown(why.to_string()));
                continue;
            }
        };
        let judged = match by_object.get(object).and_then(|e| e.trust_type.as_ref()) {
            Some(TrustType::Workplace) => Judged::Fail,
            Some(TrustType::AzureAd | TrustType::ServerAd) => Judged::Pass,
            Some(TrustType::Unknown(raw)) => {
                Judged::Unknown(format!("trust type '{raw}' is not understood"))
            }
            None => Judged::Unknown("the Entra device's trustType was not collected".into()),
        };
        tally.add(subject, judged);
    }
    let evidence = json!({
        "autopilot_devices_with_entra_object": tally.total(),
        "registered_not_joined": tally.failed.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "undetermined": tally.undetermined_evidence(),
    });
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "{} of {} {} Microsoft Entra registered, not joined ({})",
                t.failed.len(),
                count(t.total(), "Autopilot device"),
                if t.failed.len() == 1 { "is" } else { "are" },
                t.failed_names(5)
            )
        },
        |t| {
            format!(
                "The Entra trust type of {} cannot be read",
                count(t.at_risk.len(), "Autopilot device")
            )
        },
        |t| {
            format!(
                "None of the {} with an Entra object is only registered",
                count(t.total(), "Autopilot device")
            )
        },
    ))
}
