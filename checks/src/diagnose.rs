//! Help-desk diagnosis: one user, one device, optionally one error code.
//!
//! The typed tenant is narrowed to the objects of the question (the user, their devices, their
//! Autopilot devices; or the device and its assigned user) and the *same* registry runs on it,
//! so `diagnose` can never disagree with `audit`. On top, a what-if summary says which
//! configuration applies to the user and why (assignment and priority).

use crate::catalog::Check;
use crate::checks::REGISTRY;
use crate::device_side::{DeviceCause, DEVICE_CAUSES};
use crate::devices::normalise_serial;
use crate::explain::causes_of_code;
use crate::load::Loaded;
use crate::model::{AutopilotDevice, Device, ManagedDevice, User};
use crate::report::{Finding, FindingStatus};
use crate::settings::Settings;
use crate::snapshot::{Envelope, Resource, Snapshot, SnapshotError};
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
    /// The subject's recent enrollment failures, each with the cause (check) it matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_failures: Option<crate::report::ObservedFailures>,
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

fn eq(a: &str, b: &str) -> bool {
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

fn eq_opt(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| eq(a, b))
}

/// Serial numbers compared as Intune does (trimmed, case-insensitive).
fn same_serial(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.and_then(normalise_serial), b.and_then(normalise_serial)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Where `diagnose` finds a subject's raw Graph object, for display only (what the help desk
/// sees of the subject): the snapshot in memory, or the snapshot file read again for that one
/// object (see [`crate::load::find_raw`]).
pub trait RawObjects {
    /// The first item of `resource` whose `id` equals `id` (case-insensitive).
    fn raw(&self, resource: Resource, id: &str) -> Option<Value>;
}

impl RawObjects for Snapshot {
    fn raw(&self, r: Resource, id: &str) -> Option<Value> {
        self.entry(r)?
            .items
            .iter()
            .find(|v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| eq(i, id))
            })
            .cloned()
    }
}

/// One device's three records, linked by the model's rules: the Entra device id and the
/// Intune id of an Autopilot record ignore the all-zero GUID, serials compare normalised.
#[derive(Default)]
struct Located<'t> {
    autopilot: Option<&'t AutopilotDevice>,
    managed: Option<&'t ManagedDevice>,
    entra: Option<&'t Device>,
}

fn locate_device<'t>(t: &'t Tenant, query: &str) -> Option<Located<'t>> {
    let autopilot_devices = t.autopilot_devices.get().map(Vec::as_slice).unwrap_or(&[]);
    let managed_devices = t.managed_devices.get().map(Vec::as_slice).unwrap_or(&[]);
    let entra_devices = t.devices.get().map(Vec::as_slice).unwrap_or(&[]);
    let autopilot = autopilot_devices.iter().find(|d| {
        eq(&d.id, query)
            || same_serial(d.serial_number.as_deref(), Some(query))
            || eq_opt(d.entra_device_id(), query)
            || eq_opt(d.managed_device(), query)
    });
    let managed_of = |a: &AutopilotDevice, m: &ManagedDevice| {
        eq_opt(a.managed_device(), &m.id)
            || same_serial(a.serial_number.as_deref(), m.serial_number.as_deref())
    };
    let mut managed = managed_devices.iter().find(|m| {
        eq(&m.id, query)
            || same_serial(m.serial_number.as_deref(), Some(query))
            || eq_opt(entra_id(m), query)
            || autopilot.is_some_and(|a| managed_of(a, m))
    });
    let entra = entra_devices.iter().find(|e| {
        eq(&e.id, query)
            || eq_opt(e.device_id.as_deref(), query)
            || autopilot
                .is_some_and(|a| eq_opt(a.entra_device_id(), e.device_id.as_deref().unwrap_or("")))
            || managed.is_some_and(|m| eq_opt(entra_id(m), e.device_id.as_deref().unwrap_or("")))
    });
    // Found by its Entra ids only: follow them to the Autopilot and Intune records.
    let entra_device_id = entra.and_then(|e| e.device_id.as_deref()).unwrap_or("");
    let autopilot = autopilot.or_else(|| {
        autopilot_devices
            .iter()
            .find(|a| eq_opt(a.entra_device_id(), entra_device_id))
    });
    managed = managed.or_else(|| {
        managed_devices.iter().find(|m| {
            eq_opt(entra_id(m), entra_device_id) || autopilot.is_some_and(|a| managed_of(a, m))
        })
    });
    let found = Located {
        autopilot,
        managed,
        entra,
    };
    (found.autopilot.is_some() || found.managed.is_some() || found.entra.is_some()).then_some(found)
}

/// A managed device's Entra device id, without the all-zero GUID.
fn entra_id(m: &ManagedDevice) -> Option<&str> {
    m.azure_ad_device_id
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "00000000-0000-0000-0000-000000000000")
}

/// [`diagnose_loaded`] on a snapshot held as a JSON tree.
pub fn diagnose(
    snapshot: &Snapshot,
    q: &Question,
    settings: &Settings,
) -> Result<Diagnosis, DiagnoseError> {
    let loaded = Loaded::from_snapshot(snapshot)?;
    diagnose_loaded(&loaded, snapshot, q, settings)
}

/// Narrows the typed tenant to the question's subject and runs the registry on it; the
/// subject's raw objects come from `raw`.
pub fn diagnose_loaded(
    loaded: &Loaded,
    raw: &dyn RawObjects,
    q: &Question,
    settings: &Settings,
) -> Result<Diagnosis, DiagnoseError> {
    let tenant = &loaded.tenant;
    let snapshot = &loaded.envelope;
    // The narrowed tenant is a filtered copy.
    let mut narrowed = tenant.clone();
    let mut user_query = q.user.clone();
    let mut device_view = None;
    if let Some(dq) = &q.device {
        let found =
            locate_device(tenant, dq).ok_or_else(|| DiagnoseError::UnknownDevice(dq.clone()))?;
        // The device's user: the Autopilot assignment, else the Intune primary user.
        if user_query.is_none() {
            user_query = found
                .autopilot
                .and_then(|a| a.assigned_user())
                .or_else(|| {
                    found
                        .managed
                        .and_then(|m| m.user_id.as_deref())
                        .filter(|u| !u.is_empty())
                })
                .map(String::from);
        }
        let ap_id = found.autopilot.map(|a| a.id.clone()).unwrap_or_default();
        let md_id = found.managed.map(|m| m.id.clone()).unwrap_or_default();
        let entra_ids: Vec<String> = found
            .entra
            .map(|e| vec![e.id.clone(), e.device_id.clone().unwrap_or_default()])
            .unwrap_or_default();
        narrowed.autopilot_devices.retain(|d| eq(&d.id, &ap_id));
        narrowed.managed_devices.retain(|d| eq(&d.id, &md_id));
        let entra_object = entra_ids.first().cloned().unwrap_or_default();
        narrowed.devices.retain(|d| eq(&d.id, &entra_object));
        device_view = Some(json!({
            "autopilot": raw.raw(Resource::WindowsAutopilotDeviceIdentities, &ap_id),
            "intune": raw.raw(Resource::ManagedDevices, &md_id),
            "entra_ids": entra_ids,
        }));
    }
    let mut user_view = None;
    if let Some(uq) = &user_query {
        let users = tenant.users.get().map_err(|_| {
            DiagnoseError::NotCollected("users were not collected in this snapshot".into())
        })?;
        let found = users.iter().find(|u| {
            eq(&u.id, uq)
                || eq(u.upn(), uq)
                || eq_opt(u.on_premises_user_principal_name.as_deref(), uq)
        });
        let Some(user) = found else {
            if q.user.is_some() {
                return Err(DiagnoseError::UnknownUser(uq.clone()));
            }
            // The device names a user the directory does not have: say so, diagnose the device.
            narrowed.users.retain(|_| false);
            let note = format!("the device's assigned user {uq:?} is not a user of this tenant (deleted, renamed, or mistyped in the Autopilot assignment)");
            return finish(
                snapshot,
                narrowed,
                q,
                settings,
                Some(json!({"assigned": uq, "note": note})),
                None,
                device_view,
            );
        };
        narrowed.users.retain(|u| eq(&u.id, &user.id));
        if q.device.is_none() {
            narrow_to_user(&mut narrowed, user);
        }
        user_view = Some(user.clone());
    } else {
        // A device without a user: user-driven causes do not apply to it.
        narrowed.users.retain(|_| false);
    }
    let view = user_view
        .as_ref()
        .and_then(|u| raw.raw(Resource::Users, &u.id))
        .map(|u| json!({"object": u}));
    finish(
        snapshot,
        narrowed,
        q,
        settings,
        view,
        user_view.as_ref(),
        device_view,
    )
}

/// Keeps the user's own devices: Intune devices whose primary user they are, Autopilot devices
/// assigned to them, and Entra devices they own or that those Autopilot devices are.
fn narrow_to_user(t: &mut Tenant, user: &User) {
    let upn = user.upn().to_string();
    t.managed_devices
        .retain(|d| eq_opt(d.user_id.as_deref(), &user.id));
    t.autopilot_devices
        .retain(|d| eq_opt(d.assigned_user(), &upn));
    let ap_entra: Vec<String> = t
        .autopilot_devices
        .get()
        .into_iter()
        .flatten()
        .filter_map(|a| a.entra_device_id().map(String::from))
        .collect();
    t.devices.retain(|d| {
        d.registered_owners.iter().any(|o| eq(&o.id, &user.id))
            || ap_entra.iter().any(|i| eq_opt(d.device_id.as_deref(), i))
    });
}

/// Keeps only the Autopilot profiles that can reach the kept Autopilot devices: a profile
/// that cannot reach the subject's device cannot cause its error. For a device diagnosed
/// without a user whose profiles are all userless (self-deploying), only the default
/// enrollment configurations apply, so the assigned ones are dropped too.
fn narrow_profiles(t: &mut Tenant, userless_subject: bool) {
    let (reaching, all_userless) = {
        let Ok(resolved) = crate::autopilot::resolve(t) else {
            return; // Profiles or devices not collected: the checks say not evaluated.
        };
        let possible: Vec<&crate::model::AutopilotProfile> = resolved
            .devices
            .iter()
            .flat_map(|d| d.possible_profiles())
            .collect();
        let reaching: std::collections::BTreeSet<String> =
            possible.iter().map(|p| p.id.clone()).collect();
        let all_userless = !possible.is_empty() && possible.iter().all(|p| p.is_self_deploying());
        (reaching, all_userless)
    };
    t.autopilot_profiles.retain(|p| reaching.contains(&p.id));
    if userless_subject && all_userless {
        t.enrollment_configurations.retain(|c| c.is_default());
    }
}

/// Runs the relevant checks on the narrowed tenant and assembles the diagnosis.
fn finish(
    original: &Envelope,
    mut narrowed: Tenant,
    q: &Question,
    settings: &Settings,
    user_view: Option<Value>,
    user: Option<&User>,
    device: Option<Value>,
) -> Result<Diagnosis, DiagnoseError> {
    narrow_profiles(&mut narrowed, user.is_none());
    let relevant = relevant_checks(q.error.as_deref())?;
    let mut findings: Vec<Finding> = relevant
        .iter()
        .filter(|c| settings.runs(c.meta.id, c.meta.preview))
        .map(|c| c.run(&narrowed, settings))
        .collect();
    let recent_failures = (q.user.is_some() || q.device.is_some()).then(|| {
        narrow_events(&mut narrowed, user);
        crate::failures::observe(&narrowed, &mut findings, settings.history_days)
    });
    let causes = findings
        .into_iter()
        .map(|finding| CauseVerdict {
            verdict: Verdict::of(finding.status),
            finding,
        })
        .collect();
    let user_view = user_view.map(|mut u| {
        if let Some(user) = user {
            u["what_applies"] = what_applies(&narrowed, user);
        }
        u
    });
    Ok(Diagnosis {
        tenant: crate::report::TenantRef {
            id: original.tenant.id.clone(),
            name: original.tenant.name.clone(),
        },
        collected_at: original.collected_at.clone(),
        user: user_view,
        device,
        error: q.error.clone(),
        causes,
        device_steps: device_steps(q.error.as_deref()),
        recent_failures,
    })
}

/// Keeps the failure events of the subject: its user (id or UPN) and the devices the narrowed
/// tenant kept (Entra device ids, serials).
fn narrow_events(t: &mut Tenant, user: Option<&User>) {
    let mut users: Vec<String> = Vec::new();
    if let Some(u) = user {
        users.push(u.id.to_ascii_lowercase());
        users.push(u.upn().to_ascii_lowercase());
    }
    let mut device_ids: Vec<String> = Vec::new();
    let mut serials: Vec<String> = Vec::new();
    for d in t.devices.get().into_iter().flatten() {
        device_ids.extend(d.device_id.as_deref().map(str::to_ascii_lowercase));
    }
    for m in t.managed_devices.get().into_iter().flatten() {
        device_ids.extend(entra_id(m).map(str::to_ascii_lowercase));
        serials.extend(m.serial_number.as_deref().and_then(normalise_serial));
    }
    for a in t.autopilot_devices.get().into_iter().flatten() {
        device_ids.extend(a.entra_device_id().map(str::to_ascii_lowercase));
        serials.extend(a.serial_number.as_deref().and_then(normalise_serial));
    }
    let user_of = |id: Option<&str>| {
        id.is_some_and(|id| !id.is_empty() && users.contains(&id.to_ascii_lowercase()))
    };
    let device_of = |id: Option<&str>| {
        id.is_some_and(|id| !id.is_empty() && device_ids.contains(&id.to_ascii_lowercase()))
    };
    t.troubleshooting_events
        .retain(|e| user_of(e.user_id.as_deref()) || device_of(e.device_id.as_deref()));
    t.autopilot_events.retain(|e| {
        user_of(e.user_id.as_deref())
            || user_of(e.user_principal_name.as_deref())
            || device_of(e.device_id.as_deref())
            || e.device_serial_number
                .as_deref()
                .and_then(normalise_serial)
                .is_some_and(|s| serials.contains(&s))
    });
}

/// The checks that can explain the error (all of them without one), from the index `explain`
/// uses.
fn relevant_checks(error: Option<&str>) -> Result<Vec<&'static Check>, DiagnoseError> {
    let Some(code) = error else {
        return Ok(REGISTRY.iter().collect());
    };
    let causes = causes_of_code(code);
    if causes.is_empty() {
        return Err(DiagnoseError::UnknownError(code.to_string()));
    }
    let mut checks: Vec<&'static Check> = Vec::new();
    for c in causes.iter().flat_map(|c| &c.checks) {
        if !checks.iter().any(|k| k.id() == c.id()) {
            checks.push(c);
        }
    }
    Ok(checks)
}

fn device_steps(error: Option<&str>) -> Vec<DeviceStep> {
    let causes: Vec<&'static DeviceCause> = match error {
        None => DEVICE_CAUSES.iter().collect(),
        Some(code) => {
            let mut list: Vec<&'static DeviceCause> = Vec::new();
            for d in causes_of_code(code).iter().flat_map(|c| &c.device_causes) {
                if !list.iter().any(|x| x.id == d.id) {
                    list.push(d);
                }
            }
            list
        }
    };
    causes
        .into_iter()
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

    /// The raw-JSON linking matched an Autopilot record and an unrelated Intune record on
    /// their shared all-zero GUID, and missed serials that differ only in spaces.
    #[test]
    fn devices_link_by_the_model_rules() {
        let zero = "00000000-0000-0000-0000-000000000000";
        let mut unrelated = managed_device("m-other", "u9", "Windows", "mdm", "userEnrollment");
        unrelated["azureADDeviceId"] = zero.into();
        unrelated["serialNumber"] = "OTHER".into();
        let mut same = managed_device("m-same", "u9", "Windows", "mdm", "userEnrollment");
        same["serialNumber"] = " ser-42 ".into();
        same["azureADDeviceId"] = zero.into();
        let t = Fixture::new()
            .with(Resource::Users, vec![user("u9", "zoe@contoso.com")])
            .with(Resource::ManagedDevices, vec![unrelated, same])
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![autopilot_device("ap-42", "SER-42", zero, "", "Surface")],
            );
        let q = Question {
            device: Some("SER-42".into()),
            ..Default::default()
        };
        let d = diagnose(&t.snapshot, &q, &Settings::default()).unwrap();
        let device = d.device.unwrap();
        assert_eq!(device["intune"]["id"], "m-same", "{device}");
    }
}
