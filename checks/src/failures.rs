//! Failures that already happened: Intune's enrollment failure events and Autopilot
//! deployments, each classified (article sections, error codes, the checks whose cause produces
//! it) and joined with the findings per subject (user, device, Autopilot serial).
//!
//! A finding is *confirmed* when subjects it lists failed with a failure its cause produces; a
//! failure no finding explains is *unexplained* and is grouped by its raw reason. Unknown enum
//! values stay `unclassified`: never read as a particular category.

use crate::codes;
use crate::device_side::DEVICE_CAUSES;
use crate::devices::normalise_serial;
use crate::model::{
    AutopilotDeploymentState, AutopilotEnrollmentState, AutopilotEnrollmentType, AutopilotEvent,
    DeviceEnrollmentType, EnrollmentFailureEvent, FailureCategory,
};
use crate::report::{
    count, AffectedKind, DayCount, EventStream, FailureCounts, Finding, Observed, ObservedEvent,
    ObservedFailures, UnexplainedGroup,
};
use crate::snapshot::Resource;
use crate::tenant::{Collected, Tenant};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use time::OffsetDateTime;

/// What a kind of failure points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// `authorization`, `hybrid-join`, … or `unclassified`.
    pub label: &'static str,
    pub sections: &'static [&'static str],
    pub codes: &'static [&'static str],
    /// Checks whose cause produces this failure.
    pub checks: &'static [&'static str],
    /// Device-side causes (`device_side::DEVICE_CAUSES` ids).
    pub device_causes: &'static [&'static str],
}

const fn class(
    label: &'static str,
    sections: &'static [&'static str],
    codes: &'static [&'static str],
    checks: &'static [&'static str],
    device_causes: &'static [&'static str],
) -> Class {
    Class {
        label,
        sections,
        codes,
        checks,
        device_causes,
    }
}

pub const UNCLASSIFIED: Class = class("unclassified", &[], &[], &[], &[]);

const NOT_AUTHORIZED: &str = "this-user-is-not-authorized-to-enroll";
const NOT_SUPPORTED: &str = "your-organization-does-not-support-this-version-of-windows";

/// `failureCategory` → what it points at (COVERAGE.md §4.1, first mapping).
pub fn classify_category(c: &FailureCategory, kind: Option<&DeviceEnrollmentType>) -> Class {
    use FailureCategory as F;
    match c {
        F::Authorization => class(
            "authorization",
            &[NOT_AUTHORIZED],
            &["0x801C0003", "0x80180003"],
            &[
                "enrollment-limit-reached",
                "windows-mdm-platform-blocked",
                "windows-personal-enrollment-blocked",
                "entra-device-quota-reached",
            ],
            &["device-windows-home-edition"],
        ),
        F::EnrollmentRestrictionsEnforced => {
            // Userless (self-deploying, pre-provisioning) enrollments meet the default
            // restriction and the one-time limit; the others the user's restrictions.
            if matches!(
                kind,
                Some(DeviceEnrollmentType::WindowsAzureAdJoinUsingDeviceAuth)
            ) {
                class(
                    "enrollmentRestrictionsEnforced",
                    &[NOT_SUPPORTED],
                    &["0x80180014"],
                    &[
                        "windows-blocked-for-userless-enrollment",
                        "autopilot-redeploy-stale-intune-record",
                        "windows-mdm-platform-blocked",
                    ],
                    &[],
                )
            } else {
                class(
                    "enrollmentRestrictionsEnforced",
                    &[NOT_SUPPORTED],
                    &["0x80180014"],
                    &[
                        "windows-mdm-platform-blocked",
                        "windows-personal-enrollment-blocked",
                        "windows-os-version-bounds-exclude-current",
                        "enrollment-limit-reached",
                        "windows-blocked-for-userless-enrollment",
                        "autopilot-redeploy-stale-intune-record",
                    ],
                    &[],
                )
            }
        }
        F::DeviceNotSupported => class(
            "deviceNotSupported",
            &[NOT_SUPPORTED, NOT_AUTHORIZED],
            &["0x80180014", "0x80180022"],
            &[
                "windows-mdm-platform-blocked",
                "windows-os-version-bounds-exclude-current",
                "autopilot-redeploy-stale-intune-record",
            ],
            &["device-windows-home-edition"],
        ),
        F::UserValidation => class(
            "userValidation",
            &[
                "this-account-is-not-allowed-on-this-phone",
                "looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured",
            ],
            &["0x80180018"],
            &["users-without-intune-license", "intune-seats-exhausted"],
            &[],
        ),
        F::AccountValidation => class(
            "accountValidation",
            &["auto-mdm-enroll-failed"],
            &[],
            &["mdm-authority-not-intune", "mdm-user-scope-none"],
            &[],
        ),
        F::Authentication => class(
            "authentication",
            &["auto-mdm-enroll-failed"],
            &["0x8018002B"],
            &["upn-suffix-not-verified"],
            &[],
        ),
        // Documented categories that no tenant setting the article names produces.
        F::FeatureNotSupported => class("featureNotSupported", &[], &[], &[], &[]),
        F::InMaintenance => class("inMaintenance", &[], &[], &[], &[]),
        F::BadRequest => class("badRequest", &[], &[], &[], &[]),
        // "Client timed out or enrollment was aborted by enduser": the network path.
        F::ClientDisconnected => class(
            "clientDisconnected",
            &[],
            &[],
            &[],
            &["device-network-blocks-identity-provider"],
        ),
        F::UserAbandonment => class("userAbandonment", &[], &[], &[], &[]),
        F::GraphUnknown | F::Unknown(_) => UNCLASSIFIED,
    }
}

/// An Autopilot deployment → what it points at (COVERAGE.md §4.2): by enrollment type, then
/// the ESP phase that failed.
pub fn classify_autopilot(e: &AutopilotEvent) -> Class {
    use AutopilotEnrollmentType as T;
    let failed = |s: &Option<AutopilotDeploymentState>| {
        s.as_ref().and_then(AutopilotDeploymentState::failed) == Some(true)
    };
    let enrollment_failed = matches!(
        e.enrollment_state,
        Some(AutopilotEnrollmentState::Failed) | Some(AutopilotEnrollmentState::NotContacted)
    );
    let esp_only = !enrollment_failed
        && matches!(e.enrollment_state, Some(AutopilotEnrollmentState::Enrolled));
    if esp_only && failed(&e.device_setup_status) {
        return class("esp-device-setup", &[], &[], &[], &[]);
    }
    if esp_only && failed(&e.account_setup_status) {
        return class("esp-account-setup", &[], &[], &[], &[]);
    }
    if matches!(e.enrollment_state, Some(AutopilotEnrollmentState::Blocked)) {
        return class("esp-app-blocked", &[], &[], &[], &[]);
    }
    match e.enrollment_type.as_ref() {
        Some(
            T::OfflineDomainJoined
            | T::OfflineDomainJoinedWithWhiteGlove
            | T::OfflineDomainJoinedWithOfflineAutopilotProfile,
        ) => class(
            "hybrid-join",
            &["something-went-wrong-error-code-80070774"],
            &["0x80070774"],
            &[
                "hybrid-profile-with-assigned-user",
                "hybrid-join-connector-unhealthy",
                "autopilot-entra-object-missing",
            ],
            &["device-domain-controller-unreachable"],
        ),
        Some(T::AzureAdJoinedUsingDeviceAuthWithoutAutopilotProfile) => class(
            "self-deploying-without-profile",
            &[NOT_SUPPORTED],
            &["0x80180014"],
            &[
                "autopilot-devices-without-profile",
                "windows-blocked-for-userless-enrollment",
            ],
            &[],
        ),
        Some(
            T::AzureAdJoinedUsingDeviceAuthWithAutopilotProfile | T::AzureAdJoinedWithWhiteGlove,
        ) => class(
            "self-deploying-or-pre-provisioning",
            &[
                "securing-your-hardware-failed-0x800705b4",
                "registering-your-device-for-mobile-management-failed3-0x801c03ea",
                NOT_SUPPORTED,
            ],
            &["0x800705B4", "0x801C03EA", "0x80180014"],
            &[
                "self-deploying-profile-on-virtual-machine",
                "autopilot-redeploy-stale-intune-record",
                "windows-blocked-for-userless-enrollment",
            ],
            &["device-no-physical-tpm2", "device-tpm-not-upgraded"],
        ),
        Some(
            T::AzureAdJoinedWithAutopilotProfile | T::AzureAdJoinedWithOfflineAutopilotProfile,
        ) => class(
            "user-driven",
            &[NOT_AUTHORIZED, NOT_SUPPORTED],
            &["0x801C0003", "0x80180014", "0x80180018"],
            &[
                "users-without-intune-license",
                "entra-join-not-allowed",
                "entra-device-quota-reached",
                "enrollment-limit-reached",
                "windows-mdm-platform-blocked",
                "autopilot-profile-conflict",
            ],
            &["device-network-blocks-identity-provider"],
        ),
        Some(T::GraphUnknown | T::Unknown(_)) | None => UNCLASSIFIED,
    }
}

/// Whether an Autopilot event is a failure: `Some(true)` when a state says it failed,
/// `Some(false)` when every state is known and none failed, `None` when a state is unknown.
pub fn autopilot_failed(e: &AutopilotEvent) -> Option<bool> {
    let states = [
        &e.deployment_state,
        &e.device_setup_status,
        &e.account_setup_status,
    ];
    if states
        .iter()
        .any(|s| s.as_ref().and_then(AutopilotDeploymentState::failed) == Some(true))
        || matches!(
            e.enrollment_state,
            Some(AutopilotEnrollmentState::Failed | AutopilotEnrollmentState::Blocked)
        )
    {
        return Some(true);
    }
    match e
        .deployment_state
        .as_ref()
        .map(AutopilotDeploymentState::failed)
    {
        Some(Some(false)) => Some(false),
        // No state, Graph's `unknown` or a new value: it may have failed.
        _ => None,
    }
}

/// Known error codes in free text (`0x80180014`, `80180014`): only codes the index documents.
pub fn codes_in(text: &str) -> Vec<String> {
    let known = codes::known_codes();
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| t.len() == 8 || t.len() == 10)
        .filter_map(codes::normalize)
        .filter(|c| known.contains(&c.as_str()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// How a subject is named in the join: `u:` user id or UPN, `d:` Entra device id, `m:` Intune
/// device id, `a:` Autopilot id, `s:` serial. All lower case (serials upper).
type Key = String;

/// A problem finding's subjects, indexed by join key (key → affected indices); `None` for a
/// tenant-wide finding. An index, not a list: a 100k-user finding joined with 50k events must
/// not compare every pair.
type Listed = Option<HashMap<Key, Vec<usize>>>;

/// One failure, typed and classified.
struct Failure {
    stream: Resource,
    id: String,
    at: String,
    when: Option<OffsetDateTime>,
    user: Option<String>,
    device: Option<String>,
    keys: Vec<Key>,
    class: Class,
    codes: Vec<String>,
    category: String,
    reason: String,
    raw: BTreeMap<String, String>,
}

fn lower(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && *s != "00000000-0000-0000-0000-000000000000")
        .map(str::to_ascii_lowercase)
}

fn from_enrollment(e: &EnrollmentFailureEvent) -> Failure {
    let category = e
        .failure_category
        .clone()
        .unwrap_or(FailureCategory::GraphUnknown);
    let class = classify_category(&category, e.enrollment_type.as_ref());
    let reason = e.failure_reason.clone().unwrap_or_default();
    let mut keys = Vec::new();
    let user = lower(e.user_id.as_deref());
    let device = lower(e.device_id.as_deref());
    keys.extend(user.iter().map(|u| format!("u:{u}")));
    keys.extend(device.iter().map(|d| format!("d:{d}")));
    let mut raw = BTreeMap::new();
    raw.insert("failureCategory".into(), category.as_str().to_string());
    if let Some(t) = &e.enrollment_type {
        raw.insert("enrollmentType".into(), t.as_str().to_string());
    }
    raw.insert("failureReason".into(), reason.clone());
    for (k, v) in [
        ("operatingSystem", &e.operating_system),
        ("osVersion", &e.os_version),
    ] {
        if let Some(v) = v {
            raw.insert(k.into(), v.clone());
        }
    }
    Failure {
        stream: Resource::TroubleshootingEvents,
        id: e.id.clone(),
        at: e.event_date_time.clone().unwrap_or_default(),
        when: e
            .event_date_time
            .as_deref()
            .and_then(crate::time::parse_rfc3339),
        user: e.user_id.clone().filter(|s| !s.trim().is_empty()),
        device: e.device_id.clone().filter(|s| !s.trim().is_empty()),
        keys,
        codes: merged_codes(class.codes, &reason),
        class,
        category: category.as_str().to_string(),
        reason,
        raw,
    }
}

fn from_autopilot(e: &AutopilotEvent) -> Failure {
    let class = classify_autopilot(e);
    let reason = e.enrollment_failure_details.clone().unwrap_or_default();
    let mut keys = Vec::new();
    let upn = lower(e.user_principal_name.as_deref());
    keys.extend(upn.iter().map(|u| format!("u:{u}")));
    keys.extend(lower(e.user_id.as_deref()).map(|u| format!("u:{u}")));
    keys.extend(lower(e.device_id.as_deref()).map(|d| format!("d:{d}")));
    let serial = e.device_serial_number.as_deref().and_then(normalise_serial);
    keys.extend(serial.iter().map(|s| format!("s:{s}")));
    let state = e
        .deployment_state
        .as_ref()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let mut raw = BTreeMap::new();
    let states = [
        (
            "deploymentState",
            e.deployment_state.as_ref().map(|s| s.as_str()),
        ),
        (
            "deviceSetupStatus",
            e.device_setup_status.as_ref().map(|s| s.as_str()),
        ),
        (
            "accountSetupStatus",
            e.account_setup_status.as_ref().map(|s| s.as_str()),
        ),
        (
            "enrollmentState",
            e.enrollment_state.as_ref().map(|s| s.as_str()),
        ),
        (
            "enrollmentType",
            e.enrollment_type.as_ref().map(|s| s.as_str()),
        ),
        (
            "windowsAutopilotDeploymentProfileDisplayName",
            e.windows_autopilot_deployment_profile_display_name
                .as_deref(),
        ),
        ("osVersion", e.os_version.as_deref()),
    ];
    for (k, v) in states {
        if let Some(v) = v {
            raw.insert(k.into(), v.to_string());
        }
    }
    raw.insert("enrollmentFailureDetails".into(), reason.clone());
    Failure {
        stream: Resource::AutopilotEvents,
        id: e.id.clone(),
        at: e.event_date_time.clone().unwrap_or_default(),
        when: e
            .event_date_time
            .as_deref()
            .and_then(crate::time::parse_rfc3339),
        user: e.user_principal_name.clone().filter(|s| !s.is_empty()),
        device: e
            .device_serial_number
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| e.device_id.clone()),
        keys,
        codes: merged_codes(class.codes, &reason),
        class,
        category: state,
        reason,
        raw,
    }
}

/// The class's codes, and the documented codes the raw text names.
fn merged_codes(class_codes: &[&str], reason: &str) -> Vec<String> {
    let mut out: Vec<String> = class_codes.iter().map(|c| c.to_string()).collect();
    for c in codes_in(reason) {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The failures in the window `[until - days, until]`, typed and classified, most recent first;
/// with each stream's state.
fn failures_in(tenant: &Tenant, days: u32) -> (Vec<Failure>, Vec<EventStream>) {
    let until = tenant.collected_at;
    let since = until - time::Duration::days(i64::from(days));
    // An event without a readable date is kept (it was collected in the window); a date after
    // the collection is clock skew.
    let in_window = |f: &Failure| f.when.is_none_or(|w| w >= since);
    let mut out = Vec::new();
    let mut streams = Vec::new();
    fn state<T>(c: &Collected<Vec<T>>, failures: usize) -> EventStream {
        match c.get() {
            Ok(_) => EventStream {
                resource: c.resource().key().into(),
                status: "ok".into(),
                failures,
                reason: None,
                permissions: Vec::new(),
            },
            Err(ne) => EventStream {
                resource: c.resource().key().into(),
                status: "not_evaluated".into(),
                failures: 0,
                reason: Some(ne.reason),
                permissions: ne.permissions,
            },
        }
    }
    let before = out.len();
    if let Ok(events) = tenant.troubleshooting_events.get() {
        out.extend(
            events
                .iter()
                .filter(|e| e.is_enrollment_failure())
                .map(from_enrollment)
                .filter(in_window),
        );
    }
    streams.push(state(&tenant.troubleshooting_events, out.len() - before));
    let before = out.len();
    if let Ok(events) = tenant.autopilot_events.get() {
        out.extend(
            events
                .iter()
                .filter(|e| autopilot_failed(e) != Some(false))
                .map(|e| {
                    let mut f = from_autopilot(e);
                    if autopilot_failed(e).is_none() {
                        // A state this build cannot read: maybe a failure, never classified.
                        f.class = UNCLASSIFIED;
                        f.codes = codes_in(&f.reason);
                    }
                    f
                })
                .filter(in_window),
        );
    }
    streams.push(state(&tenant.autopilot_events, out.len() - before));
    out.sort_by(|a, b| b.when.cmp(&a.when).then(a.id.cmp(&b.id)));
    (out, streams)
}

/// The join keys of the tenant's devices: Intune and Autopilot ids → their Entra device id and
/// serial, so a finding about an Intune or Autopilot device meets events naming either.
struct DeviceKeys<'t> {
    /// The keys of the devices one of whose keys some event carries, by `m:id` / `a:id`.
    relevant: HashMap<String, Vec<Key>>,
    /// The other devices (`true` for Autopilot, and the id in lower case): known, so
    /// [`DeviceKeys::of`] gives them no key rather than guessing one. Borrowed: at 268k
    /// devices, a key string each made this the join's largest index.
    others: HashSet<(bool, std::borrow::Cow<'t, str>)>,
}

/// Whether affected objects of this kind are subjects events can name.
fn is_subject(kind: AffectedKind) -> bool {
    matches!(
        kind,
        AffectedKind::User | AffectedKind::Device | AffectedKind::AutopilotDevice
    )
}

impl<'t> DeviceKeys<'t> {
    /// The keys of every device one of whose keys is `wanted`; the others are only known.
    fn build(t: &'t Tenant, wanted: &HashSet<&str>) -> DeviceKeys<'t> {
        let mut dk = DeviceKeys {
            relevant: HashMap::new(),
            others: HashSet::new(),
        };
        let mut add = |autopilot: bool, id: &'t str, keys: Vec<Key>| {
            if keys.iter().any(|k| wanted.contains(k.as_str())) {
                dk.relevant.insert(keys[0].clone(), keys);
            } else {
                dk.others
                    .insert((autopilot, crate::targeting::lowercase(id)));
            }
        };
        for m in t.managed_devices.get().into_iter().flatten() {
            let mut keys = vec![format!("m:{}", m.id.to_ascii_lowercase())];
            keys.extend(lower(m.azure_ad_device_id.as_deref()).map(|d| format!("d:{d}")));
            keys.extend(
                m.serial_number
                    .as_deref()
                    .and_then(normalise_serial)
                    .map(|s| format!("s:{s}")),
            );
            add(false, &m.id, keys);
        }
        for a in t.autopilot_devices.get().into_iter().flatten() {
            let mut keys = vec![format!("a:{}", a.id.to_ascii_lowercase())];
            keys.extend(lower(a.entra_device_id()).map(|d| format!("d:{d}")));
            keys.extend(
                a.serial_number
                    .as_deref()
                    .and_then(normalise_serial)
                    .map(|s| format!("s:{s}")),
            );
            add(true, &a.id, keys);
        }
        dk
    }

    /// The known keys of a device (`prefix` `m` or `a`, `id` in lower case): `Some(keys)`,
    /// empty for a device no event can name; `None` for a device the tenant does not hold.
    fn known(&self, autopilot: bool, id: &str) -> Option<Vec<Key>> {
        let prefix = if autopilot { "a" } else { "m" };
        if let Some(keys) = self.relevant.get(&format!("{prefix}:{id}")) {
            return Some(keys.clone());
        }
        self.others
            .contains(&(autopilot, std::borrow::Cow::Borrowed(id)))
            .then(Vec::new)
    }

    /// The keys of one affected object; empty for objects that are not subjects.
    fn of(&self, kind: AffectedKind, id: &str, name: &str) -> Vec<Key> {
        let id = id.to_ascii_lowercase();
        match kind {
            AffectedKind::User => {
                vec![
                    format!("u:{id}"),
                    format!("u:{}", name.to_ascii_lowercase()),
                ]
            }
            AffectedKind::Device => self
                .known(false, &id)
                .unwrap_or_else(|| vec![format!("m:{id}"), format!("d:{id}")]),
            AffectedKind::AutopilotDevice => {
                let mut keys = self
                    .known(true, &id)
                    .unwrap_or_else(|| vec![format!("a:{id}")]);
                keys.extend(normalise_serial(name).map(|s| format!("s:{s}")));
                keys
            }
            _ => Vec::new(),
        }
    }
}

/// Classifies the failures of the window, joins them with `findings` (confirmed findings get
/// [`Finding::observed`] and a sentence in their summary) and returns the section.
pub fn observe(tenant: &Tenant, findings: &mut [Finding], days: u32) -> ObservedFailures {
    let until = tenant.collected_at;
    let since = until - time::Duration::days(i64::from(days));
    let (failures, streams) = failures_in(tenant, days);
    let rfc = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let ok = streams.iter().filter(|s| s.status == "ok").count();
    let mut section = ObservedFailures {
        status: match ok {
            0 => "not_evaluated",
            n if n < streams.len() => "partial",
            _ => "evaluated",
        }
        .into(),
        days,
        since: rfc(since),
        until: rfc(until),
        streams,
        ..ObservedFailures::default()
    };
    if ok == 0 {
        return section;
    }
    // Only keys some event carries can join: the indexes below keep those alone, so their size
    // follows the failure history, not the tenant (at 268k devices and 68k-object findings,
    // indexing every key took more memory than the typed tenant).
    let wanted: HashSet<&str> = failures
        .iter()
        .flat_map(|f| f.keys.iter().map(String::as_str))
        .collect();
    let device_keys = DeviceKeys::build(tenant, &wanted);
    // Users are shown by UPN where the event names them by id.
    let upns: HashMap<String, &str> = tenant
        .users
        .get()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            u.user_principal_name
                .as_deref()
                .map(|p| (u.id.to_ascii_lowercase(), p))
        })
        .collect();
    // Per problem finding: the subject keys it lists (None: a tenant-wide finding).
    let listed: Vec<Listed> = findings
        .iter()
        .map(|f| {
            if !f.status.is_problem() {
                return Some(HashMap::new());
            }
            let mut subjects: HashMap<Key, Vec<usize>> = HashMap::new();
            for (i, a) in f.affected.iter().enumerate() {
                for k in device_keys.of(a.kind, &a.id, &a.name) {
                    if wanted.contains(k.as_str()) {
                        subjects.entry(k).or_default().push(i);
                    }
                }
            }
            // A finding that lists subjects is never tenant-wide, even when no event names one.
            let lists_subjects = f.affected.iter().any(|a| is_subject(a.kind));
            lists_subjects.then_some(subjects)
        })
        .collect();
    let index: HashMap<&str, usize> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f.check.as_str(), i))
        .collect();
    // Per finding: the affected entries that failed, and the events.
    let mut confirmed: HashMap<usize, (BTreeSet<usize>, BTreeSet<String>, usize)> = HashMap::new();
    let mut by_day: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String, String, String), GroupAcc> = BTreeMap::new();
    for f in &failures {
        let mut explained_by = Vec::new();
        for check in f.class.checks {
            let Some(&i) = index.get(check) else { continue };
            if !findings[i].status.is_problem() {
                continue;
            }
            let entry = confirmed.entry(i).or_default();
            match &listed[i] {
                // Tenant-wide: it reaches every subject.
                None => {
                    entry
                        .1
                        .insert(f.keys.first().cloned().unwrap_or_else(|| f.id.clone()));
                    entry.2 += 1;
                    explained_by.push(check.to_string());
                }
                Some(subjects) => {
                    let mut hits: Vec<usize> = f
                        .keys
                        .iter()
                        .filter_map(|k| subjects.get(k))
                        .flatten()
                        .copied()
                        .collect();
                    hits.sort_unstable();
                    hits.dedup();
                    if !hits.is_empty() {
                        entry.0.extend(hits);
                        entry.2 += 1;
                        explained_by.push(check.to_string());
                    }
                }
            }
        }
        let explained = !explained_by.is_empty();
        let day = f.at.get(..10).unwrap_or("unknown").to_string();
        let d = by_day.entry(day).or_default();
        if explained {
            d.0 += 1;
            section.counts.explained += 1;
        } else {
            d.1 += 1;
            section.counts.unexplained += 1;
            let key = (
                f.stream.key().to_string(),
                f.class.label.to_string(),
                f.category.clone(),
                short(&f.reason),
            );
            let g = groups.entry(key).or_default();
            g.events += 1;
            g.subjects
                .insert(f.keys.first().cloned().unwrap_or_else(|| f.id.clone()));
            g.class = Some(f.class.clone());
            for c in &f.codes {
                g.codes.insert(c.clone());
            }
        }
        section.counts.observed += 1;
        *section
            .by_class
            .entry(f.class.label.to_string())
            .or_default() += 1;
        if section.events.len() < ObservedFailures::MAX_EVENTS {
            section.events.push(ObservedEvent {
                stream: f.stream.key().into(),
                id: f.id.clone(),
                at: f.at.clone(),
                user: f.user.as_ref().map(|u| {
                    upns.get(&u.to_ascii_lowercase())
                        .map_or_else(|| u.clone(), |p| p.to_string())
                }),
                device: f.device.clone(),
                class: f.class.label.into(),
                raw: f.raw.clone(),
                article_sections: sections_of(&f.class, &f.codes),
                error_codes: f.codes.clone(),
                explained_by,
                candidate_checks: f.class.checks.iter().map(|c| c.to_string()).collect(),
            });
        }
    }
    section.by_day = by_day
        .into_iter()
        .map(|(day, (explained, unexplained))| DayCount {
            day,
            explained,
            unexplained,
        })
        .collect();
    let mut unexplained: Vec<UnexplainedGroup> = groups
        .into_iter()
        .map(|((stream, class_label, category, reason), g)| {
            let class = g.class.unwrap_or(UNCLASSIFIED);
            let codes: Vec<String> = g.codes.into_iter().collect();
            UnexplainedGroup {
                stream,
                class: class_label,
                category,
                reason,
                events: g.events,
                subjects: g.subjects.len(),
                article_sections: sections_of(&class, &codes),
                checks_clear: class
                    .checks
                    .iter()
                    .filter(|c| index.contains_key(**c))
                    .map(|c| c.to_string())
                    .collect(),
                device_causes: device_causes_of(&class, &codes),
                error_codes: codes,
            }
        })
        .collect();
    unexplained.sort_by(|a, b| b.events.cmp(&a.events).then(a.class.cmp(&b.class)));
    section.unexplained = unexplained;
    for (i, (subjects, tenant_wide, events)) in confirmed {
        let f = &mut findings[i];
        let n = if listed[i].is_none() {
            tenant_wide.len()
        } else {
            subjects.len()
        };
        if n == 0 {
            continue;
        }
        f.observed = Some(Observed {
            subjects: n,
            events,
            days,
        });
        let noun = match f.affected.iter().find(|a| device_keys_kind(a.kind)) {
            Some(a) if a.kind == AffectedKind::User => "user",
            _ => "device",
        };
        let listed_n = f
            .affected
            .iter()
            .filter(|a| a.kind == AffectedKind::User || device_keys_kind(a.kind))
            .filter(|a| (a.kind == AffectedKind::User) == (noun == "user"))
            .count();
        let sentence = if listed[i].is_none() {
            format!(
                "observed: {} failed to enroll in the last {days} days with a failure this causes",
                count(n, "subject")
            )
        } else if listed_n <= 1 {
            format!("observed: the one {noun} failed to enroll in the last {days} days")
        } else {
            format!(
                "observed: {n} of the {listed_n} {noun}s failed to enroll in the last {days} days"
            )
        };
        f.summary = format!("{}; {sentence}", f.summary.trim_end_matches('.'));
    }
    section
}

#[derive(Default)]
struct GroupAcc {
    events: usize,
    subjects: HashSet<String>,
    class: Option<Class>,
    codes: BTreeSet<String>,
}

/// The raw reason as a group key: trimmed, at most 160 characters.
fn short(reason: &str) -> String {
    let r = reason.trim();
    match r.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &r[..i]),
        None => r.to_string(),
    }
}

fn sections_of(class: &Class, codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = class.sections.iter().map(|s| s.to_string()).collect();
    for c in codes {
        for s in codes::sections_for_code(c) {
            if !out.iter().any(|o| o == s.anchor) {
                out.push(s.anchor.to_string());
            }
        }
    }
    out
}

fn device_causes_of(class: &Class, codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = class.device_causes.iter().map(|s| s.to_string()).collect();
    for cause in DEVICE_CAUSES {
        if cause
            .error_codes
            .iter()
            .any(|c| codes.iter().any(|k| k == c))
            && !out.iter().any(|o| o == cause.id)
        {
            out.push(cause.id.to_string());
        }
    }
    out
}

fn device_keys_kind(k: AffectedKind) -> bool {
    matches!(
        k,
        AffectedKind::User | AffectedKind::Device | AffectedKind::AutopilotDevice
    )
}

/// A device-side cause's title, for renderers.
pub fn device_cause_title(id: &str) -> Option<&'static str> {
    DEVICE_CAUSES.iter().find(|c| c.id == id).map(|c| c.title)
}

/// The headline, one line: "12 failures observed in the last 30 days: 8 explained by a
/// finding, 4 unexplained".
pub fn headline(f: &ObservedFailures) -> String {
    if f.status == "not_evaluated" {
        return "failure history not evaluated".into();
    }
    let FailureCounts {
        observed,
        explained,
        unexplained,
    } = f.counts;
    format!(
        "{} observed in the last {} days: {explained} explained by a finding, {unexplained} unexplained",
        count(observed, "enrollment failure"),
        f.days
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AutopilotEnrollmentType as T, FailureCategory as F};

    #[test]
    fn every_mapped_check_and_device_cause_exists() {
        let mut classes: Vec<Class> = [
            "unknown",
            "authentication",
            "authorization",
            "accountValidation",
            "userValidation",
            "deviceNotSupported",
            "inMaintenance",
            "badRequest",
            "featureNotSupported",
            "enrollmentRestrictionsEnforced",
            "clientDisconnected",
            "userAbandonment",
        ]
        .iter()
        .map(|c| classify_category(&F::parse(c), None))
        .collect();
        for t in [
            "offlineDomainJoined",
            "azureADJoinedUsingDeviceAuthWithAutopilotProfile",
            "azureADJoinedUsingDeviceAuthWithoutAutopilotProfile",
            "azureADJoinedWithAutopilotProfile",
        ] {
            let e: AutopilotEvent = serde_json::from_value(serde_json::json!({
                "id": "x", "enrollmentType": t, "deploymentState": "failure", "enrollmentState": "failed"
            }))
            .unwrap();
            assert!(T::parse(t).is_known());
            classes.push(classify_autopilot(&e));
        }
        for c in classes {
            for id in c.checks {
                assert!(crate::run::find(id).is_some(), "{id}");
            }
            for d in c.device_causes {
                assert!(device_cause_title(d).is_some(), "{d}");
            }
            for s in c.sections {
                assert!(codes::section(s).is_some(), "{s}");
            }
        }
    }

    #[test]
    fn unknown_values_are_never_read_as_a_category_or_a_state() {
        assert_eq!(
            classify_category(&F::parse("newCategory"), None),
            UNCLASSIFIED
        );
        assert_eq!(classify_category(&F::GraphUnknown, None), UNCLASSIFIED);
        let e: AutopilotEvent = serde_json::from_value(serde_json::json!({
            "id": "x", "enrollmentType": "azureADJoinedWithAutopilotProfile", "deploymentState": "rolledBack"
        }))
        .unwrap();
        assert_eq!(autopilot_failed(&e), None, "maybe failed");
        let e: AutopilotEvent = serde_json::from_value(serde_json::json!({
            "id": "x", "enrollmentType": "somethingNew", "deploymentState": "failure"
        }))
        .unwrap();
        assert_eq!(classify_autopilot(&e), UNCLASSIFIED);
    }

    #[test]
    fn documented_codes_are_found_in_free_text() {
        assert_eq!(
            codes_in("Something went wrong. Error Code 80070774; hr=0x801c0003, 0x12345678"),
            vec!["0x80070774", "0x801C0003"]
        );
        assert!(codes_in("deadbeef and words").is_empty());
    }
}
