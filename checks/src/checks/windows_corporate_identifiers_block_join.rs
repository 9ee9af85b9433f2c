use super::windows_personal_enrollment_blocked::blocks_personal_only;
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{ImportedDeviceIdentity, ImportedDeviceIdentityType as Kind};
use crate::references::{CORPORATE_IDENTIFIERS, DEVICE_PREPARATION_FAQ};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};
use crate::verdict::{Judged, Tally};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

declare_check! {
    /// Windows corporate identifiers make every other PC personal while personal Windows devices are blocked.
    ///
    /// ## What it checks
    /// The corporate device identifiers uploaded to Intune (`importedDeviceIdentities`, beta):
    /// Windows ones have the type *manufacturerModelSerial*. Once any is uploaded, Intune marks
    /// every Windows device that enrolls without a matching identifier as personal. For every
    /// user who could enroll it then reads the Windows platform restriction Intune applies to
    /// them (assigned restrictions by priority, exclusions and nested groups, else the default)
    /// and fails for the users whose restriction blocks personally owned Windows devices. An
    /// identifier whose type is absent or not understood, on a Windows or unknown platform,
    /// may be a Windows one: the users are then at risk. A restriction that depends on an
    /// assignment filter leaves its users undetermined. It is not applicable when no Windows
    /// corporate identifier is uploaded.
    ///
    /// ## Why enrollment fails
    /// Microsoft Entra join during Windows setup or from Settings, Windows Autopilot for existing
    /// devices and Autopilot device preparation count as personal for any PC not on the list,
    /// and the personal block refuses them: *"Your organization does not support this version of
    /// Windows" (0x80180014)*, and device preparation never starts. Devices registered for
    /// Windows Autopilot (hardware hash), Group Policy or co-management enrollment, bulk
    /// provisioning packages and device enrollment managers stay corporate (Microsoft Learn,
    /// "Add corporate identifiers", ownership table): the finding counts the Autopilot devices
    /// that are not on the list only as information.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center, open Devices > Enrollment > Corporate device identifiers and check that every corporate PC that joins Microsoft Entra ID outside Windows Autopilot is listed with its manufacturer, model and serial number (remove periods from serial numbers).
    /// 2. Or register those PCs for Windows Autopilot (their hardware hash), which makes them corporate without an identifier.
    /// 3. Or, if personal Windows devices may enroll, open Devices > Enrollment > Device platform restriction > Windows restrictions, open the restriction named in the finding and set Personally owned devices for Windows (MDM) to Allow.
    /// 4. If the corporate identifiers are no longer used, delete the Windows ones: without them, PCs joined to Microsoft Entra ID are corporate again.
    ///
    /// ## Known limitations
    /// Identifiers apply at enrollment time only, and only on Windows 10 22H2 (build
    /// 19045.4598), Windows 11 22H2/23H2 (build 22621/22631.3374) or later. Which PCs will join
    /// next is not in Graph, so the finding names the users who cannot, not the devices.
    pub META = CheckMeta {
        id: "windows-corporate-identifiers-block-join",
        since: "0.2.0",
        preview: false,
        title: "Windows corporate identifiers make unlisted PCs personal while personal Windows is blocked",
        severity: Severity::High,
        area: Area::EnrollmentRestrictions,
        error_codes: &["0x80180014"],
        article_sections: &[
            "your-organization-does-not-support-this-version-of-windows",
            "blocking-personal-windows-devices",
            "windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe",
        ],
        resources: &[
            Resource::ImportedDeviceIdentities,
            Resource::DeviceEnrollmentConfigurations,
            Resource::Users,
            Resource::GroupMembers,
        ],
        in_article: false,
        references: &[
            CORPORATE_IDENTIFIERS.at("Add Windows corporate identifiers"),
            DEVICE_PREPARATION_FAQ.at(
                "Windows Autopilot device preparation experience never launches during the out of box experience (OOBE)",
            ),
        ],
    };
}

/// Whether an identifier is a Windows corporate identifier: `Some(true)` for
/// `manufacturerModelSerial`, `None` when its type or platform leaves it open.
fn is_windows_identifier(i: &ImportedDeviceIdentity) -> Option<bool> {
    let platform = i.platform.as_deref();
    let windows_or_unknown = match platform {
        None | Some("windows" | "unknown" | "unknownFutureValue") => true,
        Some(p) => ![
            "ios",
            "android",
            "windowsMobile",
            "macOS",
            "visionOS",
            "tvos",
        ]
        .contains(&p),
    };
    match i.imported_device_identity_type.as_ref() {
        Some(Kind::ManufacturerModelSerial) => Some(true),
        Some(Kind::Imei | Kind::SerialNumber) => Some(false),
        Some(Kind::GraphUnknown | Kind::Unknown(_)) | None if windows_or_unknown => None,
        _ => Some(false),
    }
}

/// The Windows identifiers, and those that may be Windows ones.
fn windows_identifiers(all: &[ImportedDeviceIdentity]) -> (Vec<&ImportedDeviceIdentity>, usize) {
    let sure = all
        .iter()
        .filter(|i| is_windows_identifier(i) == Some(true))
        .collect();
    let maybe = all
        .iter()
        .filter(|i| is_windows_identifier(i).is_none())
        .count();
    (sure, maybe)
}

/// Autopilot devices whose serial number no Windows identifier lists (information only: they
/// are corporate by registration). `Null` when the Autopilot devices were not collected.
fn autopilot_not_listed(t: &Tenant, identifiers: &[&ImportedDeviceIdentity]) -> Value {
    let Ok(devices) = t.autopilot_devices.get() else {
        return Value::Null;
    };
    let serials: HashSet<String> = identifiers
        .iter()
        .filter_map(|i| i.windows_serial())
        .map(str::to_ascii_lowercase)
        .collect();
    let not_listed = devices
        .iter()
        .filter(|d| {
            d.serial_number
                .as_deref()
                .is_none_or(|s| !serials.contains(&s.replace('.', "").to_ascii_lowercase()))
        })
        .count();
    json!({"devices": devices.len(), "not_on_the_list": not_listed,
           "note": "Autopilot-registered devices enroll as corporate with or without an identifier"})
}

/// "the 72 Autopilot-registered devices are exempt, 70 of them not on the list".
fn exempt_clause(autopilot: &Value) -> String {
    match (
        autopilot["devices"].as_u64(),
        autopilot["not_on_the_list"].as_u64(),
    ) {
        (Some(n), Some(off)) if n > 0 => format!(
            "Autopilot-registered devices are exempt: {off} of the {n} {} not on the list and stay corporate",
            if off == 1 { "is" } else { "are" }
        ),
        _ => "Autopilot-registered devices are exempt".into(),
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let identities = cx.tenant.imported_device_identities.get()?;
    let (windows, maybe) = windows_identifiers(identities);
    if windows.is_empty() && maybe == 0 {
        return Ok(Outcome::not_applicable(
            "No Windows corporate identifier is uploaded: PCs joined to Microsoft Entra ID enroll as corporate",
        ));
    }
    let population = cx.population()?;
    let per_user = cx.windows_restrictions()?;
    let open = windows.is_empty().then(|| {
        format!(
            "{} whose type is not understood may be Windows {}",
            count(maybe, "corporate identifier"),
            if maybe == 1 {
                "identifier"
            } else {
                "identifiers"
            }
        )
    });
    let mut blocked_by: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    let mut tally = Tally::default();
    for (user, resolution) in &per_user.users {
        let Some(resolution) = resolution else {
            continue;
        };
        let judged = match (resolution.judge(blocks_personal_only), &open) {
            (Judged::Fail, Some(why)) => Judged::Unknown(why.clone()),
            (Judged::Fail, None) => {
                let e = blocked_by
                    .entry(&resolution.config.id)
                    .or_insert((resolution.config.name(), 0));
                e.1 += 1;
                Judged::Fail
            }
            (other, _) => other,
        };
        tally.add(
            Affected::new(AffectedKind::User, &user.id, user.name()),
            judged,
        );
    }
    let evidence = json!({
        "population": population.evidence(),
        "windows_identifiers": windows.len(),
        "identifiers_maybe_windows": maybe,
        "blocking_configurations": blocked_by.iter().map(|(id, (name, users))| json!({
            "id": id, "name": name, "users_blocked": users
        })).collect::<Vec<_>>(),
        "users_undetermined": tally.undetermined_evidence(),
        "autopilot_devices": autopilot_not_listed(cx.tenant, &windows),
    });
    let names: Vec<String> = blocked_by.values().map(|(n, _)| format!("'{n}'")).collect();
    let listed = windows.len();
    let exempt = exempt_clause(&evidence["autopilot_devices"]);
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "{} {} uploaded, so every other PC joining Microsoft Entra ID in Windows setup, from Settings or with device preparation enrolls as personal, \
                 and personal Windows devices are blocked for {} of {} by {}: those joins fail with 0x80180014 ({exempt})",
                count(listed, "Windows corporate identifier"),
                if listed == 1 { "is" } else { "are" },
                t.failed.len(),
                count(t.total(), "user"),
                names.join(", ")
            )
        },
        |t| {
            format!(
                "Unlisted PCs may enroll as personal while personal Windows devices may be blocked: {}",
                t.at_risk_clause("user")
            )
        },
        |t| {
            format!(
                "{} {} uploaded, but personal Windows devices are not blocked for any of the {}: unlisted PCs can still join and enroll",
                count(listed, "Windows corporate identifier"),
                if listed == 1 { "is" } else { "are" },
                count(t.total(), "user")
            )
        },
    ))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::{json, Value};

    const ID: &str = "windows-corporate-identifiers-block-join";

    fn identity(kind: Option<&str>, platform: &str) -> Value {
        let mut v = json!({"@odata.type": "#microsoft.graph.importedDeviceIdentity",
            "id": "i1", "importedDeviceIdentifier": "Microsoft,surface 5,01234567890123",
            "platform": platform, "enrollmentState": "notContacted"});
        if let Some(k) = kind {
            v["importedDeviceIdentityType"] = json!(k);
        }
        v
    }

    fn base(identities: Vec<Value>, personal_blocked: bool) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                ],
            )
            .with(Resource::GroupMembers, vec![])
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![default_restrictions(restriction(false, personal_blocked))],
            )
            .with(Resource::ImportedDeviceIdentities, identities)
    }

    #[test]
    fn fails_for_every_user_when_windows_identifiers_meet_a_personal_block() {
        let f = base(
            vec![identity(Some("manufacturerModelSerial"), "windows")],
            true,
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u1", "u2"]);
        assert_eq!(f.evidence["windows_identifiers"], 1);
    }

    #[test]
    fn passes_when_personal_windows_is_allowed() {
        let f = base(
            vec![identity(Some("manufacturerModelSerial"), "windows")],
            false,
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
    }

    #[test]
    fn other_platforms_identifiers_do_not_apply() {
        let f = base(vec![identity(Some("imei"), "android")], true).run(ID);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn an_identifier_type_not_understood_makes_users_at_risk_never_pass() {
        for kind in [None, Some("unknownFutureValue"), Some("unknown")] {
            let f = base(vec![identity(kind, "windows")], true).run(ID);
            assert_eq!(f.status, FindingStatus::Warn, "{kind:?}");
            assert_eq!(f.affected.len(), 2);
        }
    }

    #[test]
    fn uncertainty_beside_a_sure_identifier_keeps_the_failure() {
        let f = base(
            vec![
                identity(Some("manufacturerModelSerial"), "windows"),
                identity(None, "windows"),
            ],
            true,
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
    }

    #[test]
    fn not_evaluated_without_the_identifiers() {
        let f = base(vec![], true)
            .forbidden(Resource::ImportedDeviceIdentities)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
    }
}
