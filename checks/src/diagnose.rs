//! Help-desk diagnosis: one user, one device, optionally one error code.
//!
//! The snapshot is narrowed to the objects of the question (the user, their devices, their
//! Autopilot devices; or the device and its assigned user) and the *same* registry runs on it,
//! so `diagnose` can never disagree with `audit`. On top, a what-if summary says which
//! configuration applies to the user and why (assignment and priority).

use crate::catalog::Check;
use crate::checks::REGISTRY;
use crate::codes;
use crate::device_side::{DeviceCause, DEVICE_CAUSES};
use crate::model::{AutopilotDevice, ManagedDevice, User};
use crate::report::{Finding, FindingStatus};
use crate::settings::Settings;
use crate::snapshot::{Resource, Snapshot, SnapshotError};
use crate::targeting::{Ranked, Via};
use crate::tenant::Tenant;
use serde::Serialize;
use serde_json::{json, Value};

/// What the help desk asks about.
#[derive(Debug, Clone, Default)]
pub struct Question {
    /// UPN or object id.
    pub user: Option<String>,
    /// Autopilot serial, Autopilot id, Entra device id or object id, or Intune device id.
    pub device: Option<String>,
    /// Canonical error code (see `codes::normalize`).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    WillFail,
    AtRisk,
    Fine,
    CannotTell,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::WillFail => "will fail",
            Verdict::AtRisk => "at risk",
            Verdict::Fine => "fine",
            Verdict::CannotTell => "cannot tell",
        }
    }
    fn of(status: FindingStatus) -> Verdict {
        match status {
            FindingStatus::Fail => Verdict::WillFail,
            FindingStatus::Warn => Verdict::AtRisk,
            FindingStatus::Pass | FindingStatus::NotApplicable => Verdict::Fine,
            FindingStatus::NotEvaluated => Verdict::CannotTell,
        }
    }
}

/// One documented cause, checked for the subject.
#[derive(Debug, Clone, Serialize)]
pub struct CauseVerdict {
    pub verdict: Verdict,
    pub finding: Finding,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub tenant: crate::report::TenantRef,
    pub collected_at: String,
    pub user: Option<Value>,
    pub device: Option<Value>,
    pub error: Option<String>,
    pub causes: Vec<CauseVerdict>,
    /// Device-side causes of the error (or of all errors) that the tenant cannot show.
    pub device_steps: Vec<DeviceStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceStep {
    pub id: &'static str,
    pub title: &'static str,
    pub steps: &'static [&'static str],
}

impl Diagnosis {
    pub fn will_fail(&self) -> bool {
        self.causes.iter().any(|c| c.verdict == Verdict::WillFail)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("no user matches {0:?} in the snapshot (give a UPN or object id)")]
    UnknownUser(String),
    #[error("no device matches {0:?} (give an Autopilot serial or id, an Entra device id, or an Intune device id)")]
    UnknownDevice(String),
    #[error("{0}")]
    NotCollected(String),
    #[error("error code {0} is not documented; `intune-audit explain` lists the known codes")]
    UnknownError(String),
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn eq(a: &str, b: &str) -> bool {
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

fn items(s: &Snapshot, r: Resource) -> &[Value] {
    s.entry(r).map(|e| e.items.as_slice()).unwrap_or(&[])
}

fn keep(s: &mut Snapshot, r: Resource, pred: impl Fn(&Value) -> bool) {
    if let Some(e) = s.resources.get_mut(r.key()) {
        e.items.retain(|v| pred(v));
    }
}

/// Finds the device and returns (Autopilot identity, Intune record, Entra device ids).
fn locate_device(s: &Snapshot, query: &str) -> Option<(Option<Value>, Option<Value>, Vec<String>)> {
    let autopilot = items(s, Resource::WindowsAutopilotDeviceIdentities)
        .iter()
        .find(|d| {
            [
                "serialNumber",
                "id",
                "azureActiveDirectoryDeviceId",
                "azureAdDeviceId",
                "managedDeviceId",
            ]
            .iter()
            .any(|k| eq(str_of(d, k), query))
        });
    let managed = items(s, Resource::ManagedDevices).iter().find(|d| {
        ["id", "serialNumber", "azureADDeviceId"]
            .iter()
            .any(|k| eq(str_of(d, k), query))
            || autopilot.is_some_and(|a| {
                eq(str_of(a, "managedDeviceId"), str_of(d, "id"))
                    || eq(str_of(a, "serialNumber"), str_of(d, "serialNumber"))
            })
    });
    let entra = items(s, Resource::Devices).iter().find(|d| {
        eq(str_of(d, "id"), query)
            || eq(str_of(d, "deviceId"), query)
            || autopilot.is_some_and(|a| {
                eq(
                    str_of(a, "azureActiveDirectoryDeviceId"),
                    str_of(d, "deviceId"),
                ) || eq(str_of(a, "azureAdDeviceId"), str_of(d, "deviceId"))
            })
            || managed.is_some_and(|m| eq(str_of(m, "azureADDeviceId"), str_of(d, "deviceId")))
    });
    if autopilot.is_none() && managed.is_none() && entra.is_none() {
        return None;
    }
    // Found by its Entra ids only: follow them to the Autopilot and Intune records.
    let entra_device_id = entra.map(|e| str_of(e, "deviceId")).unwrap_or("");
    let autopilot = autopilot.or_else(|| {
        items(s, Resource::WindowsAutopilotDeviceIdentities)
            .iter()
            .find(|a| {
                eq(str_of(a, "azureActiveDirectoryDeviceId"), entra_device_id)
                    || eq(str_of(a, "azureAdDeviceId"), entra_device_id)
            })
    });
    let managed = managed.or_else(|| {
        items(s, Resource::ManagedDevices)
            .iter()
            .find(|m| eq(str_of(m, "azureADDeviceId"), entra_device_id))
    });
    let entra_ids = entra
        .map(|e| {
            vec![
                str_of(e, "id").to_string(),
                str_of(e, "deviceId").to_string(),
            ]
        })
        .unwrap_or_default();
    Some((autopilot.cloned(), managed.cloned(), entra_ids))
}

/// Narrows the snapshot to the question's subject and runs the registry on it.
pub fn diagnose(
    snapshot: &Snapshot,
    q: &Question,
    settings: &Settings,
) -> Result<Diagnosis, DiagnoseError> {
    let mut s = snapshot.clone();
    let mut user_query = q.user.clone();
    let mut device_view = None;
    if let Some(dq) = &q.device {
        let (autopilot, managed, entra_ids) =
            locate_device(snapshot, dq).ok_or_else(|| DiagnoseError::UnknownDevice(dq.clone()))?;
        // The device's user: the Autopilot assignment, else the Intune primary user.
        if user_query.is_none() {
            user_query = autopilot
                .as_ref()
                .map(|a| str_of(a, "userPrincipalName").to_string())
                .filter(|u| !u.is_empty())
                .or_else(|| {
                    managed
                        .as_ref()
                        .map(|m| str_of(m, "userId").to_string())
                        .filter(|u| !u.is_empty())
                });
        }
        let ap_id = autopilot
            .as_ref()
            .map(|a| str_of(a, "id").to_string())
            .unwrap_or_default();
        let md_id = managed
            .as_ref()
            .map(|m| str_of(m, "id").to_string())
            .unwrap_or_default();
        keep(&mut s, Resource::WindowsAutopilotDeviceIdentities, |d| {
            eq(str_of(d, "id"), &ap_id)
        });
        keep(&mut s, Resource::ManagedDevices, |d| {
            eq(str_of(d, "id"), &md_id)
        });
        keep(&mut s, Resource::Devices, |d| {
            entra_ids.iter().any(|i| eq(str_of(d, "id"), i))
        });
        device_view =
            Some(json!({"autopilot": autopilot, "intune": managed, "entra_ids": entra_ids}));
    }
    let mut user_view = None;
    if let Some(uq) = &user_query {
        if s.entry(Resource::Users)
            .is_none_or(|e| e.status != crate::snapshot::Status::Ok)
        {
            return Err(DiagnoseError::NotCollected(
                "users were not collected in this snapshot".into(),
            ));
        }
        let found = items(&s, Resource::Users)
            .iter()
            .find(|u| {
                eq(str_of(u, "id"), uq)
                    || eq(str_of(u, "userPrincipalName"), uq)
                    || eq(str_of(u, "onPremisesUserPrincipalName"), uq)
            })
            .cloned();
        let user = match found {
            Some(u) => u,
            // The device names a user the directory does not have: say so, diagnose the device.
            None if q.user.is_none() => {
                keep(&mut s, Resource::Users, |_| false);
                let note = format!("the device's assigned user {uq:?} is not a user of this tenant (deleted, renamed, or mistyped in the Autopilot assignment)");
                return finish(
                    snapshot,
                    &s,
                    q,
                    settings,
                    Some(json!({"assigned": uq, "note": note})),
                    device_view,
                );
            }
            None => return Err(DiagnoseError::UnknownUser(uq.clone())),
        };
        let (uid, upn) = (
            str_of(&user, "id").to_string(),
            str_of(&user, "userPrincipalName").to_string(),
        );
        keep(&mut s, Resource::Users, |u| eq(str_of(u, "id"), &uid));
        if q.device.is_none() {
            keep(&mut s, Resource::ManagedDevices, |d| {
                eq(str_of(d, "userId"), &uid)
            });
            keep(&mut s, Resource::WindowsAutopilotDeviceIdentities, |d| {
                eq(str_of(d, "userPrincipalName"), &upn)
            });
            let ap_entra: Vec<String> = items(&s, Resource::WindowsAutopilotDeviceIdentities)
                .iter()
                .flat_map(|a| {
                    [
                        str_of(a, "azureActiveDirectoryDeviceId").to_string(),
                        str_of(a, "azureAdDeviceId").to_string(),
                    ]
                })
                .filter(|i| !i.is_empty())
                .collect();
            keep(&mut s, Resource::Devices, |d| {
                d.get("registeredOwners")
                    .and_then(Value::as_array)
                    .is_some_and(|o| o.iter().any(|m| eq(str_of(m, "id"), &uid)))
                    || ap_entra.iter().any(|i| eq(str_of(d, "deviceId"), i))
            });
        }
        user_view = Some(user);
    } else {
        // A device without a user: user-driven causes do not apply to it.
        keep(&mut s, Resource::Users, |_| false);
    }
    let user = user_view.map(|u| json!({"object": u}));
    finish(snapshot, &s, q, settings, user, device_view)
}

/// Keeps only the Autopilot profiles that can reach the kept Autopilot devices: a profile
/// that cannot reach the subject's device cannot cause its error. For a device diagnosed
/// without a user whose profiles are all userless (self-deploying), only the default
/// enrollment configurations apply, so the assigned ones are dropped too.
fn narrow_profiles(s: &mut Snapshot, userless_subject: bool) -> Result<(), DiagnoseError> {
    let tenant = Tenant::from_snapshot(s)?;
    let Ok(resolved) = crate::autopilot::resolve(&tenant) else {
        return Ok(()); // Profiles or devices not collected: the checks say not evaluated.
    };
    let reaching: std::collections::BTreeSet<String> = resolved
        .devices
        .iter()
        .flat_map(|d| d.possible_profiles())
        .map(|p| p.id.clone())
        .collect();
    let all_userless = !reaching.is_empty()
        && resolved
            .devices
            .iter()
            .flat_map(|d| d.possible_profiles())
            .all(|p| p.is_self_deploying());
    let defaults: Vec<String> = tenant
        .enrollment_configurations
        .get()
        .map(|c| {
            c.iter()
                .filter(|c| c.is_default())
                .map(|c| c.id.clone())
                .collect()
        })
        .unwrap_or_default();
    keep(s, Resource::WindowsAutopilotDeploymentProfiles, |p| {
        reaching.contains(str_of(p, "id"))
    });
    if userless_subject && all_userless {
        keep(s, Resource::DeviceEnrollmentConfigurations, |c| {
            defaults.iter().any(|d| d == str_of(c, "id"))
        });
    }
    Ok(())
}

/// Runs the relevant checks on the narrowed snapshot `s` and assembles the diagnosis.
fn finish(
    original: &Snapshot,
    s: &Snapshot,
    q: &Question,
    settings: &Settings,
    user: Option<Value>,
    device: Option<Value>,
) -> Result<Diagnosis, DiagnoseError> {
    let mut s = s.clone();
    let userless_subject = user.as_ref().is_none_or(|u| u.get("object").is_none());
    narrow_profiles(&mut s, userless_subject)?;
    let tenant = Tenant::from_snapshot(&s)?;
    let relevant = relevant_checks(q.error.as_deref())?;
    let causes = relevant
        .iter()
        .filter(|c| settings.is_enabled(c.id()))
        .map(|c| {
            let finding = c.run(&tenant, settings);
            CauseVerdict {
                verdict: Verdict::of(finding.status),
                finding,
            }
        })
        .collect();
    let user = user.map(|mut u| {
        if let Some(typed) = u
            .get("object")
            .and_then(|o| serde_json::from_value::<User>(o.clone()).ok())
        {
            u["what_applies"] = what_applies(&tenant, &typed);
        }
        u
    });
    Ok(Diagnosis {
        tenant: crate::report::TenantRef {
            id: original.tenant.id.clone(),
            name: original.tenant.name.clone(),
        },
        collected_at: original.collected_at.clone(),
        user,
        device,
        error: q.error.clone(),
        causes,
        device_steps: device_steps(q.error.as_deref()),
    })
}

fn relevant_checks(error: Option<&str>) -> Result<Vec<&'static Check>, DiagnoseError> {
    let Some(code) = error else {
        return Ok(REGISTRY.iter().collect());
    };
    let sections: Vec<&str> = codes::sections_for_code(code)
        .iter()
        .map(|s| s.anchor)
        .collect();
    if sections.is_empty() {
        return Err(DiagnoseError::UnknownError(code.to_string()));
    }
    Ok(REGISTRY
        .iter()
        .filter(|c| {
            c.meta.error_codes.contains(&code)
                || c.meta.article_sections.iter().any(|s| sections.contains(s))
        })
        .collect())
}

fn device_steps(error: Option<&str>) -> Vec<DeviceStep> {
    let sections: Vec<&str> = error
        .map(|c| {
            codes::sections_for_code(c)
                .iter()
                .map(|s| s.anchor)
                .collect()
        })
        .unwrap_or_default();
    DEVICE_CAUSES
        .iter()
        .filter(|d: &&DeviceCause| {
            error.is_none_or(|c| {
                d.error_codes.contains(&c)
                    || d.article_sections.iter().any(|s| sections.contains(s))
            })
        })
        .map(|d| DeviceStep {
            id: d.id,
            title: d.title,
            steps: d.steps,
        })
        .collect()
}

fn via_text(via: &Via, dir: &crate::tenant::Directory) -> String {
    match via {
        Via::AllUsers => "assigned to all users".into(),
        Via::AllDevices => "assigned to all devices".into(),
        Via::Group { id } => format!("assigned to group '{}'", dir.group_name(id)),
        Via::Default => "no assigned configuration reaches the user: the default applies".into(),
    }
}

/// The enrollment what-if for one user: which configuration applies and why.
pub fn what_applies(t: &Tenant, user: &User) -> Value {
    let (Ok(configs), Ok(dir)) = (t.enrollment_configurations.get(), t.group_members.get()) else {
        return json!({"note": "enrollment configurations or group members were not collected"});
    };
    let describe = |r: Option<crate::targeting::Resolution<'_>>| {
        r.map(|r| {
            json!({"configuration": r.config.name(), "id": r.config.id, "priority": r.config.priority,
                   "why": via_text(&r.via, dir), "undetermined_higher_priority": r.undetermined})
        })
    };
    let limit = Ranked::limits(configs).resolve(&user.id, dir);
    let limit_value = limit.as_ref().and_then(|r| r.config.limit);
    let restriction = Ranked::windows_restrictions(configs).resolve(&user.id, dir);
    let windows = restriction.as_ref().and_then(|r| {
        let w = r.config.windows_restriction()?;
        Some(json!({"windows_blocked": w.platform_blocked, "personal_blocked": w.personal_device_enrollment_blocked,
               "os_minimum": w.os_minimum_version, "os_maximum": w.os_maximum_version}))
    });
    let enrolled: Option<Vec<&ManagedDevice>> = t.managed_devices.get().ok().map(|d| {
        d.iter()
            .filter(|m| m.user_id.as_deref() == Some(&user.id))
            .collect()
    });
    let autopilot: Option<Vec<&AutopilotDevice>> =
        t.autopilot_devices.get().ok().map(|d| d.iter().collect());
    json!({
        "user_principal_name": user.upn(),
        "on_premises_user_principal_name": user.on_premises_user_principal_name,
        "enrollment_limit": {"applies": describe(limit), "limit": limit_value,
                             "intune_devices": enrolled.as_ref().map(Vec::len)},
        "windows_platform_restriction": {"applies": describe(restriction), "settings": windows},
        "autopilot_devices": autopilot.map(|a| a.iter().map(|d| d.name().to_string()).collect::<Vec<_>>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    fn fixture() -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "kiosk.op@contoso.com"),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g-kiosk", "Kiosk operators", &[("user", "u2")])],
            )
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![
                    default_limit(5),
                    default_restrictions(restriction(false, false)),
                    crate::testkit::windows_restriction(
                        "kiosk",
                        1,
                        restriction(true, false),
                        vec![group_target("g-kiosk")],
                    ),
                ],
            )
            .with(
                Resource::ManagedDevices,
                vec![managed_device(
                    "m1",
                    "u1",
                    "Windows",
                    "mdm",
                    "windowsAzureADJoin",
                )],
            )
    }

    fn verdict(d: &Diagnosis, check: &str) -> Verdict {
        d.causes
            .iter()
            .find(|c| c.finding.check == check)
            .map(|c| c.verdict)
            .unwrap()
    }

    #[test]
    fn a_blocked_user_will_fail_and_another_is_fine() {
        let s = fixture().snapshot;
        let q = Question {
            user: Some("KIOSK.OP@contoso.com".into()),
            ..Default::default()
        };
        let d = diagnose(&s, &q, &Settings::default()).unwrap();
        assert_eq!(
            verdict(&d, "windows-mdm-platform-blocked"),
            Verdict::WillFail
        );
        assert!(d.will_fail());
        let what =
            &d.user.as_ref().unwrap()["what_applies"]["windows_platform_restriction"]["applies"];
        assert_eq!(what["id"], "kiosk");
        assert_eq!(what["why"], "assigned to group 'Kiosk operators'");

        let q = Question {
            user: Some("u1".into()),
            ..Default::default()
        };
        let d = diagnose(&s, &q, &Settings::default()).unwrap();
        assert_eq!(verdict(&d, "windows-mdm-platform-blocked"), Verdict::Fine);
        assert_eq!(
            d.user.as_ref().unwrap()["what_applies"]["enrollment_limit"]["intune_devices"],
            1
        );
    }

    #[test]
    fn an_error_code_narrows_the_causes_and_lists_device_steps() {
        let s = fixture().snapshot;
        let q = Question {
            user: Some("u2".into()),
            error: Some("0x80180014".into()),
            ..Default::default()
        };
        let d = diagnose(&s, &q, &Settings::default()).unwrap();
        assert!(d.causes.iter().all(
            |c| c.finding.error_codes.contains(&"0x80180014".to_string())
                || c.finding.article_sections.contains(
                    &"your-organization-does-not-support-this-version-of-windows".to_string()
                )
        ));
        assert!(d
            .causes
            .iter()
            .any(|c| c.finding.check == "windows-mdm-platform-blocked"));
        let q = Question {
            error: Some("0x801C03EA".into()),
            ..Default::default()
        };
        let d = diagnose(&s, &q, &Settings::default()).unwrap();
        assert!(d
            .device_steps
            .iter()
            .any(|s| s.id == "device-tpm-not-upgraded"));
    }

    #[test]
    fn unknown_subjects_are_errors_not_guesses() {
        let s = fixture().snapshot;
        let q = Question {
            user: Some("nobody@contoso.com".into()),
            ..Default::default()
        };
        assert!(matches!(
            diagnose(&s, &q, &Settings::default()),
            Err(DiagnoseError::UnknownUser(_))
        ));
        let q = Question {
            device: Some("NOSUCHSERIAL".into()),
            ..Default::default()
        };
        assert!(matches!(
            diagnose(&s, &q, &Settings::default()),
            Err(DiagnoseError::UnknownDevice(_))
        ));
        let q = Question {
            error: Some("0x12345678".into()),
            ..Default::default()
        };
        assert!(matches!(
            diagnose(&s, &q, &Settings::default()),
            Err(DiagnoseError::UnknownError(_))
        ));
    }

    #[test]
    fn a_device_is_found_by_any_of_its_ids_and_brings_its_user() {
        let s = fixture()
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![autopilot_device(
                    "ap1",
                    "SER123",
                    "dev-1",
                    "kiosk.op@contoso.com",
                    "Surface Go 4",
                )],
            )
            .with(
                Resource::Devices,
                vec![entra_device("obj-1", "dev-1", "AzureAd", &[])],
            )
            .snapshot;
        for id in ["SER123", "ap1", "dev-1", "obj-1"] {
            let q = Question {
                device: Some(id.into()),
                ..Default::default()
            };
            let d = diagnose(&s, &q, &Settings::default()).unwrap();
            assert_eq!(d.user.as_ref().unwrap()["object"]["id"], "u2", "{id}");
            assert_eq!(d.device.as_ref().unwrap()["autopilot"]["id"], "ap1");
        }
    }
}
