//! Thresholds and expectations change verdicts: a fixture and a configuration in, the exact
//! finding out. One knob at a time, with the default next to it so each test can fail.

mod reports_support;
use intune_audit_checks::{FindingStatus, Report};
use reports_support::*;
use serde_json::{json, Value};

/// (status, affected ids) of one check.
fn verdict(r: &Report, check: &str) -> (FindingStatus, Vec<String>) {
    let f = finding(r, check);
    (f.status, f.affected.iter().map(|a| a.id.clone()).collect())
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const LIMIT: &str = "enrollment-limit-reached";

#[test]
fn device_limit_margin_warns_for_a_user_within_n_of_the_limit() {
    // u1 has 3 PCs under a limit of 5: two below it.
    let snap = tenant_with_devices(5, 3);
    assert_eq!(
        verdict(&report(&snap, None), LIMIT),
        (FindingStatus::Pass, vec![])
    );
    let one = report(&snap, Some("[thresholds]\ndevice_limit_margin = 1\n"));
    assert_eq!(verdict(&one, LIMIT), (FindingStatus::Pass, vec![]));
    let two = report(&snap, Some("[thresholds]\ndevice_limit_margin = 2\n"));
    assert_eq!(verdict(&two, LIMIT), (FindingStatus::Warn, ids(&["u1"])));
    assert_eq!(finding(&two, LIMIT).evidence["margin"], 2);
    // At the limit it fails whatever the margin.
    let at = report(
        &tenant_with_devices(3, 3),
        Some("[thresholds]\ndevice_limit_margin = 0\n"),
    );
    assert_eq!(verdict(&at, LIMIT), (FindingStatus::Fail, ids(&["u1"])));
}

const QUOTA: &str = "entra-device-quota-reached";

/// Quota 5; u1 owns `n` Entra-joined devices.
fn quota_tenant(n: usize) -> Value {
    let mut s = healthy_snapshot();
    s["resources"]["deviceRegistrationPolicy"]["items"] =
        json!([registration_policy(5, "all", &[])]);
    let devices: Vec<Value> = (1..=n)
        .map(|i| json!({"id": format!("e{i}"), "deviceId": format!("dev-{i}"), "displayName": format!("PC{i}"),
                        "operatingSystem": "Windows", "trustType": "AzureAd",
                        "registeredOwners": [{"@odata.type": "#microsoft.graph.user", "id": "u1"}]}))
        .collect();
    s["resources"]["devices"] = json!({"path": "/test/devices", "status": "ok", "items": devices});
    s
}

#[test]
fn device_quota_margin_warns_for_a_user_within_n_of_the_entra_quota() {
    let snap = quota_tenant(3);
    assert_eq!(
        verdict(&report(&snap, None), QUOTA),
        (FindingStatus::Pass, vec![])
    );
    let two = report(&snap, Some("[thresholds]\ndevice_quota_margin = 2\n"));
    assert_eq!(verdict(&two, QUOTA), (FindingStatus::Warn, ids(&["u1"])));
    assert_eq!(
        verdict(&report(&quota_tenant(5), None), QUOTA),
        (FindingStatus::Fail, ids(&["u1"]))
    );
}

const CONNECTOR: &str = "hybrid-join-connector-unhealthy";

#[test]
fn connector_stale_days_decides_when_a_silent_connector_is_unhealthy() {
    // A hybrid profile in use; the only connector last contacted Intune one day before the
    // snapshot.
    let mut snap = healthy_snapshot();
    snap["resources"]["windowsAutopilotDeploymentProfiles"]["items"] =
        json!([autopilot_profile("hy", true, false, &["g-kiosk"])]);
    assert_eq!(
        verdict(&report(&snap, None), CONNECTOR),
        (FindingStatus::Pass, vec![])
    );
    let strict = report(&snap, Some("[thresholds]\nconnector_stale_days = 0\n"));
    assert_eq!(
        verdict(&strict, CONNECTOR),
        (FindingStatus::Fail, ids(&["c1", "hy"]))
    );
}

const SCOPE: &str = "mdm-user-scope-none";

#[test]
fn expected_mdm_scope_groups_warn_when_the_scope_differs() {
    let all = healthy_snapshot();
    assert_eq!(
        verdict(&report(&all, None), SCOPE),
        (FindingStatus::Pass, vec![])
    );
    let expect_all = report(&all, Some("[expectations]\nmdm_scope_groups = [\"all\"]\n"));
    assert_eq!(verdict(&expect_all, SCOPE).0, FindingStatus::Pass);
    let expect_group = report(
        &all,
        Some("[expectations]\nmdm_scope_groups = [\"g-kiosk\"]\n"),
    );
    let f = finding(&expect_group, SCOPE);
    assert_eq!(f.status, FindingStatus::Warn);
    assert!(
        f.summary
            .contains("the configuration expects g-kiosk but the scope is all"),
        "{}",
        f.summary
    );
    // Scoped to exactly the expected group (which holds every licensed user): pass.
    let mut some = all.clone();
    some["resources"]["mobileDeviceManagementPolicies"]["items"] =
        json!([mdm_policy("selected", &[("g-all", "Everyone")])]);
    some["resources"]["groupMembers"]["items"] = json!([
        group("g-kiosk", "Kiosk users", &["u2"]),
        group("g-all", "Everyone", &["u1", "u2", "u3", "u4", "u5"])
    ]);
    let ok = report(
        &some,
        Some("[expectations]\nmdm_scope_groups = [\"G-ALL\"]\n"),
    );
    assert_eq!(
        verdict(&ok, SCOPE),
        (FindingStatus::Pass, vec![]),
        "{}",
        finding(&ok, SCOPE).summary
    );
    let wrong = report(
        &some,
        Some("[expectations]\nmdm_scope_groups = [\"g-kiosk\"]\n"),
    );
    assert_eq!(verdict(&wrong, SCOPE).0, FindingStatus::Warn);
}

const NAMING: &str = "autopilot-device-name-template-invalid";

#[test]
fn naming_prefix_is_required_of_every_template() {
    // The profile's template is CTS-%SERIAL%.
    let snap = healthy_snapshot();
    assert_eq!(
        verdict(&report(&snap, None), NAMING),
        (FindingStatus::Pass, vec![])
    );
    let cts = report(&snap, Some("[expectations]\nnaming_prefix = \"CTS-\"\n"));
    assert_eq!(verdict(&cts, NAMING), (FindingStatus::Pass, vec![]));
    let other = report(&snap, Some("[expectations]\nnaming_prefix = \"FAB-\"\n"));
    let (status, affected) = verdict(&other, NAMING);
    assert_eq!((status, affected), (FindingStatus::Warn, ids(&["p1"])));
}

#[test]
fn the_cli_reads_thresholds_from_the_config_file() {
    let dir = tempdir();
    let snap = write(dir.path(), "s.json", &tenant_with_devices(5, 3).to_string());
    let run = |cfg: &str| -> Value {
        let c = write(dir.path(), "c.toml", cfg);
        let out = bin()
            .args([
                "audit",
                "--format",
                "json",
                "--fail-on",
                "critical",
                "--snapshot",
            ])
            .arg(&snap)
            .arg("--config")
            .arg(&c)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == LIMIT)
            .unwrap()
            .clone()
    };
    assert_eq!(
        run("[thresholds]\ndevice_limit_margin = 1\n")["status"],
        "pass"
    );
    let warn = run("[thresholds]\ndevice_limit_margin = 2\n");
    assert_eq!(warn["status"], "warn");
    assert_eq!(warn["affected"][0]["id"], "u1");
}

#[test]
fn the_sample_config_waives_the_kiosk_restriction_of_the_broken_sample() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = bin()
        .current_dir(root)
        .args([
            "audit",
            "--snapshot",
            "examples/tenants/broken.json",
            "--config",
            "examples/intune-audit.toml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "other findings still fail");
    // Only the closing verdict line: no expired or unused waiver warning.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines().count() == 1 && err.starts_with("intune-audit: ") && err.contains("(exit 1"),
        "no expired or unused waiver: {err}"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "windows-mdm-platform-blocked")
        .unwrap();
    assert_eq!(
        (f["status"].as_str(), f["waived"].as_bool()),
        (Some("fail"), Some(true))
    );
    assert_eq!(r["waivers"][0]["state"], "applied");
    assert_eq!(r["waivers"][0]["source"], "examples/intune-audit.toml:37");
}
