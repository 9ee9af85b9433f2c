//! The metamorphic test of verdict integrity: adding uncertainty to a tenant (targets of a type
//! never seen, assignments not collected, evolvable enums set to `unknownFutureValue`, optional
//! properties removed, group members not collected, filters added) never turns a fail or warn
//! into a pass (or "not applicable"), for any check.
//!
//! It runs over the two sample tenants, over small adversarial tenants built here and over every
//! golden fixture case (`checks/tests/fixtures/checks/`), each mutation applied on its own.

use crate::report::FindingStatus;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::testkit::*;
use serde_json::{json, Map, Value};

/// One way to add uncertainty, applied to the snapshot's JSON.
struct Mutation {
    name: &'static str,
    apply: fn(&mut Value),
}

/// Calls `f` on every JSON object below `v`.
fn walk(v: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(map);
            for child in map.values_mut() {
                walk(child, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
        _ => {}
    }
}

fn resources(snapshot: &mut Value) -> &mut Value {
    &mut snapshot["resources"]
}

fn remove_key(snapshot: &mut Value, key: &str) {
    walk(resources(snapshot), &mut |m| {
        m.remove(key);
    });
}

/// Sets `key` to `value` wherever it holds a string (an enum); objects of the same name (an
/// import's `state`) keep their shape.
fn set_key(snapshot: &mut Value, key: &str, value: &str) {
    walk(resources(snapshot), &mut |m| {
        if m.get(key).is_some_and(Value::is_string) {
            m.insert(key.into(), json!(value));
        }
    });
}

/// Optional properties a check reads; removing one must not settle anything. (The OS version
/// bounds are left out: Graph writes `null` for "no bound", which the model cannot tell from an
/// absent property, so removing them is a legitimate "no bound".)
const OPTIONAL: &[&str] = &[
    "platformBlocked",
    "personalDeviceEnrollmentBlocked",
    "importedDeviceIdentityType",
    "microsoftAccountSignInAssistantSettings",
    "omaSettings",
    "omaUri",
    "isVerified",
    "priority",
    "limit",
    "consumedUnits",
    "prepaidUnits",
    "capabilityStatus",
    "trustType",
    "managementAgent",
    "deviceEnrollmentType",
    "managedDeviceOwnerType",
    "createdDateTime",
    "version",
    "state",
    "lastConnectionDateTime",
    "userDeviceQuota",
    "appliesTo",
    "mobileDeviceManagementAuthority",
    "outOfBoxExperienceSetting",
    "outOfBoxExperienceSettings",
    "preprovisioningAllowed",
    "enableWhiteGlove",
    "azureActiveDirectoryDeviceId",
    "azureAdDeviceId",
    "deviceId",
    "accountEnabled",
    "userType",
    "termsOfUseUrl",
    "showInstallationProgress",
    "selectedMobileAppIds",
    "localAdmins",
    "registeringUsers",
    "settings",
];

/// Evolvable enums (and enum-like strings) a check reads.
const ENUMS: &[&str] = &[
    "capabilityStatus",
    "managementAgent",
    "state",
    "appliesTo",
    "trustType",
    "deviceUsageType",
    "mobileDeviceManagementAuthority",
    "deviceEnrollmentType",
    "managedDeviceOwnerType",
    "platformType",
    "deviceAndAppManagementAssignmentFilterType",
    "remediationState",
    "deploymentProfileAssignmentStatus",
    "deviceImportStatus",
    "importedDeviceIdentityType",
    "microsoftAccountSignInAssistantSettings",
    "intent",
];

/// A named mutation of the snapshot's JSON.
type Mutate = (String, Box<dyn Fn(&mut Value)>);

fn mutations() -> Vec<Mutate> {
    let mut out: Vec<Mutate> = Vec::new();
    for key in OPTIONAL {
        out.push((
            format!("remove {key}"),
            Box::new(move |s| remove_key(s, key)),
        ));
    }
    for key in ENUMS {
        out.push((
            format!("{key} = unknownFutureValue"),
            Box::new(move |s| set_key(s, key, "unknownFutureValue")),
        ));
    }
    for m in FIXED {
        out.push((m.name.to_string(), Box::new(m.apply)));
    }
    out
}

const FIXED: &[Mutation] = &[
    Mutation {
        name: "assignment targets of a type never seen",
        apply: |s| {
            walk(resources(s), &mut |m| {
                if let Some(Value::Object(target)) = m.get_mut("target") {
                    target.insert(
                        "@odata.type".into(),
                        json!("#microsoft.graph.someFutureAssignmentTarget"),
                    );
                }
            })
        },
    },
    Mutation {
        name: "assignment targets of the documented base type",
        apply: |s| {
            walk(resources(s), &mut |m| {
                if let Some(Value::Object(target)) = m.get_mut("target") {
                    target.insert(
                        "@odata.type".into(),
                        json!("microsoft.graph.deviceAndAppManagementAssignmentTarget"),
                    );
                }
            })
        },
    },
    Mutation {
        name: "assignments not collected",
        apply: |s| remove_key(s, "assignments"),
    },
    Mutation {
        name: "includedGroups not collected",
        apply: |s| remove_key(s, "includedGroups"),
    },
    Mutation {
        name: "assignment filters on every target",
        apply: |s| {
            walk(resources(s), &mut |m| {
                if let Some(Value::Object(target)) = m.get_mut("target") {
                    target.insert(
                        "deviceAndAppManagementAssignmentFilterId".into(),
                        json!("f1f1f1f1-0000-4000-8000-000000000001"),
                    );
                    target.insert(
                        "deviceAndAppManagementAssignmentFilterType".into(),
                        json!("include"),
                    );
                }
            })
        },
    },
    Mutation {
        name: "filter ids without a filter type",
        apply: |s| {
            walk(resources(s), &mut |m| {
                if let Some(Value::Object(target)) = m.get_mut("target") {
                    target.insert(
                        "deviceAndAppManagementAssignmentFilterId".into(),
                        json!("f1f1f1f1-0000-4000-8000-000000000002"),
                    );
                    target.remove("deviceAndAppManagementAssignmentFilterType");
                }
            })
        },
    },
];

/// The group-member items, each dropped in turn: that group's members not collected.
fn group_drops(snapshot: &Value) -> Vec<(String, Value)> {
    let items = snapshot["resources"]["groupMembers"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (0..items.len())
        .map(|i| {
            let mut s = snapshot.clone();
            if let Some(list) = s["resources"]["groupMembers"]["items"].as_array_mut() {
                list.remove(i);
            }
            let id = items[i]["id"].as_str().unwrap_or("?").to_string();
            (format!("members of group {id} not collected"), s)
        })
        .collect()
}

fn statuses(snapshot: &Value) -> Vec<(String, FindingStatus)> {
    statuses_with(snapshot, &Settings::default())
}

fn statuses_with(snapshot: &Value, settings: &Settings) -> Vec<(String, FindingStatus)> {
    let snapshot: Snapshot = serde_json::from_value(snapshot.clone()).expect("snapshot loads");
    let tenant = crate::tenant::Tenant::from_snapshot(&snapshot).expect("snapshot types");
    crate::run::run_all(&tenant, settings)
        .into_iter()
        .map(|f| (f.check, f.status))
        .collect()
}

/// A problem (fail or warn) must stay a problem or become not evaluated.
fn still_honest(before: FindingStatus, after: FindingStatus) -> bool {
    !before.is_problem()
        || matches!(
            after,
            FindingStatus::Fail | FindingStatus::Warn | FindingStatus::NotEvaluated
        )
}

fn assert_metamorphic(label: &str, snapshot: &Value) -> usize {
    let (violations, variants) = violations(label, snapshot, &Settings::default());
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    variants
}

/// Every mutation of `snapshot` that turns a problem into a pass (or not applicable), and how
/// many variants were tried.
fn violations(label: &str, snapshot: &Value, settings: &Settings) -> (Vec<String>, usize) {
    let base = statuses_with(snapshot, settings);
    let mut variants: Vec<(String, Value)> = mutations()
        .into_iter()
        .map(|(name, apply)| {
            let mut s = snapshot.clone();
            apply(&mut s);
            (name, s)
        })
        .collect();
    variants.extend(group_drops(snapshot));
    let mut violations = Vec::new();
    for (name, variant) in &variants {
        for ((check, before), (_, after)) in base.iter().zip(statuses_with(variant, settings)) {
            if !still_honest(*before, after) {
                violations.push(format!("{label}: {name}: {check} {before:?} -> {after:?}"));
            }
        }
    }
    (violations, variants.len())
}

fn sample(name: &str) -> Value {
    let path = format!(
        "{}/../examples/tenants/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("sample tenant");
    serde_json::from_str(&text).expect("sample JSON")
}

#[test]
fn uncertainty_never_turns_a_problem_into_a_pass_on_the_samples() {
    for name in ["broken", "healthy"] {
        let n = assert_metamorphic(name, &sample(name));
        assert!(n > 40, "{name}: only {n} variants");
    }
}

/// The same on the samples with the preview checks run too (they are off by default).
#[test]
fn uncertainty_never_turns_a_problem_into_a_pass_in_preview_checks() {
    let settings = Settings {
        preview: true,
        ..Settings::default()
    };
    for name in ["broken", "healthy"] {
        let (violations, n) = violations(name, &sample(name), &settings);
        assert!(violations.is_empty(), "{}", violations.join("\n"));
        assert!(n > 40, "{name}: only {n} variants");
    }
}

/// Small tenants where every check has something to fail on, shaped unlike the samples:
/// group-assigned blocking restrictions, limit configurations, a hybrid profile, conflicts.
fn adversarial() -> Value {
    let f = Fixture::new()
        .with(
            crate::snapshot::Resource::Users,
            vec![
                licensed_user("u1", "adele@contoso.local", &[INTUNE_A, AAD_PREMIUM]),
                user("u2", "bob@fabrikam.com"),
            ],
        )
        .with(
            crate::snapshot::Resource::GroupMembers,
            vec![
                group("g-kiosk", "Kiosk", &[("user", "u2"), ("device", "obj-1")]),
                group(
                    "g-all",
                    "Autopilot",
                    &[("device", "obj-1"), ("device", "obj-2")],
                ),
            ],
        )
        .with(
            crate::snapshot::Resource::Domains,
            vec![domain("contoso.com", true), domain("fabrikam.com", false)],
        )
        .with(
            crate::snapshot::Resource::DeviceEnrollmentConfigurations,
            vec![
                default_limit(2),
                limit_config("low", 1, 1, vec![group_target("g-kiosk")]),
                default_restrictions(restriction(false, true)),
                windows_restriction(
                    "kiosk",
                    1,
                    restriction(true, false),
                    vec![group_target("g-kiosk")],
                ),
            ],
        )
        .with(
            crate::snapshot::Resource::ManagedDevices,
            vec![
                managed_device("m1", "u2", "Windows", "intuneClient", "userEnrollment"),
                managed_device(
                    "m2",
                    "u1",
                    "Windows",
                    "configurationManagerClient",
                    "userEnrollment",
                ),
                personal_device("m3", "u1", "Windows"),
            ],
        )
        .with(
            crate::snapshot::Resource::Devices,
            vec![
                entra_device("obj-1", "aad-1", "AzureAd", &["u1"]),
                entra_device("obj-2", "aad-2", "AzureAd", &["u1"]),
            ],
        )
        .with(
            crate::snapshot::Resource::WindowsAutopilotDeploymentProfiles,
            vec![
                autopilot_profile(
                    "std",
                    false,
                    false,
                    "2025-01-01T00:00:00Z",
                    Some("CONTOSO-%SERIAL%-LONGNAME"),
                    vec![group_target("g-all")],
                ),
                autopilot_profile(
                    "hyb",
                    true,
                    true,
                    "2024-01-01T00:00:00Z",
                    None,
                    vec![group_target("g-kiosk")],
                ),
            ],
        )
        .with(
            crate::snapshot::Resource::WindowsAutopilotDeviceIdentities,
            vec![
                autopilot_device(
                    "ap1",
                    "SER1",
                    "aad-1",
                    "adele@contoso.com",
                    "Virtual Machine",
                ),
                autopilot_device("ap2", "SER2", "aad-2", "", "Surface"),
                autopilot_device("ap3", "SER3", "aad-gone", "", "Surface"),
            ],
        )
        .with(
            crate::snapshot::Resource::DomainJoinConnectors,
            vec![connector("c1", "error", "2026-01-01T00:00:00Z")],
        )
        .with(
            crate::snapshot::Resource::SubscribedSkus,
            vec![sku("EMS", &[INTUNE_A], 1, 1)],
        )
        .with(
            crate::snapshot::Resource::Organization,
            vec![organization("office365")],
        )
        .with(
            crate::snapshot::Resource::DeviceRegistrationPolicy,
            vec![registration_policy(1, join_none())],
        )
        .with(
            crate::snapshot::Resource::MobileDeviceManagementPolicies,
            vec![mdm_policy("selected", &["g-kiosk"], "")],
        )
        .with(
            crate::snapshot::Resource::MobileAppManagementPolicies,
            vec![mam_policy("all", &[])],
        );
    serde_json::to_value(&f.snapshot).expect("fixture serialises")
}

#[test]
fn uncertainty_never_turns_a_problem_into_a_pass_on_an_adversarial_tenant() {
    let tenant = adversarial();
    let problems = statuses(&tenant)
        .iter()
        .filter(|(_, s)| s.is_problem())
        .count();
    assert!(
        problems >= 15,
        "the adversarial tenant trips only {problems} checks"
    );
    assert_metamorphic("adversarial", &tenant);
}

#[test]
fn the_harness_catches_a_pass_from_missing_data() {
    // Guard: the property holds because checks are honest, not because the harness is blind.
    assert!(!still_honest(FindingStatus::Fail, FindingStatus::Pass));
    assert!(!still_honest(
        FindingStatus::Warn,
        FindingStatus::NotApplicable
    ));
    assert!(still_honest(
        FindingStatus::Fail,
        FindingStatus::NotEvaluated
    ));
    assert!(still_honest(FindingStatus::Pass, FindingStatus::Pass));
}

/// Every golden fixture case is a small tenant shaped to make one check pass, fail, warn or not
/// evaluate: the sharpest inputs there are for this property.
#[test]
fn uncertainty_never_turns_a_problem_into_a_pass_on_the_fixture_cases() {
    let cases = crate::fixture_case::all_cases();
    assert!(cases.len() >= 3 * crate::checks::REGISTRY.len());
    let mut all = Vec::new();
    for case in &cases {
        let label = format!("{}/{}", case.check, case.name);
        all.extend(violations(&label, &case.snapshot, &case.settings).0);
    }
    assert!(
        all.is_empty(),
        "{} violations:\n{}",
        all.len(),
        all.join("\n")
    );
}
