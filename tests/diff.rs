//! `diff OLD NEW`: pairs of snapshots built in code (one setting changed each), two JSON
//! reports, a snapshot against a report; findings appeared/resolved/persisted/no longer
//! evaluated; exit codes by --fail-on; bad inputs are one line on stderr and exit 2.

mod reports_support;
use reports_support::*;
use serde_json::{json, Value};
use std::path::Path;

/// Runs `diff` on two documents; returns (exit code, JSON diff, stderr).
fn diff_docs(old: &Value, new: &Value, extra: &[&str]) -> (i32, Value, String) {
    let dir = tempdir();
    let a = write(dir.path(), "old.json", &old.to_string());
    let b = write(dir.path(), "new.json", &new.to_string());
    diff_files(&a, &b, extra)
}

fn diff_files(a: &Path, b: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = bin()
        .arg("diff")
        .arg(a)
        .arg(b)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("run intune-audit");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().expect("exit code"), json, stderr)
}

/// The settings changes as `area: subject: setting: before → after` lines.
fn settings(d: &Value) -> Vec<String> {
    d["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|c| {
            format!(
                "{}: {}: {}: {} → {}",
                c["area"].as_str().unwrap(),
                c["subject"].as_str().unwrap(),
                c["setting"].as_str().unwrap(),
                c["before"].as_str().unwrap(),
                c["after"].as_str().unwrap()
            )
        })
        .collect()
}

/// `check old_status→status` for a list of finding changes.
fn changes(d: &Value, list: &str) -> Vec<String> {
    d[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|c| {
            format!(
                "{} {}→{}",
                c["check"].as_str().unwrap(),
                c["old_status"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// Replaces the items of one resource in a snapshot document.
fn with(mut snap: Value, key: &str, items: Vec<Value>) -> Value {
    snap["resources"][key]["items"] = Value::Array(items);
    snap
}

/// Runs `audit --snapshot` to write a JSON report; returns its path.
fn json_report(dir: &Path, name: &str, snap: &Value) -> std::path::PathBuf {
    let snap_path = write(dir, &format!("{name}.snapshot.json"), &snap.to_string());
    let out_path = dir.join(format!("{name}.report.json"));
    let out = bin()
        .args(["audit", "--fail-on", "info", "--snapshot"])
        .arg(&snap_path)
        .arg("--output")
        .arg(&out_path)
        .output()
        .expect("run audit");
    assert!(out.status.code() != Some(2), "audit failed: {out:?}");
    out_path
}

fn one_line_error(code: i32, stderr: &str) {
    assert_eq!(code, 2, "exit 2; stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("intune-audit: error: "), "{stderr}");
}

#[test]
fn mdm_scope_all_to_some_group() {
    let old = healthy_snapshot();
    let new = with(
        old.clone(),
        "mobileDeviceManagementPolicies",
        vec![mdm_policy("selected", &[("g-kiosk", "Kiosk users")])],
    );
    let (code, d, _) = diff_docs(&old, &new, &[]);
    assert_eq!(
        (d["schema"].as_str(), d["version"].as_u64()),
        (Some("intune-audit/diff"), Some(1))
    );
    assert_eq!(
        settings(&d),
        ["MDM user scope: Microsoft Intune: applies to: All → Some (groups: Kiosk users (g-kiosk))"]
    );
    // Four Intune-licensed users are now outside the scope: a warning of the critical check.
    assert_eq!(changes(&d, "appeared"), ["mdm-user-scope-none pass→warn"]);
    assert_eq!(d["appeared"][0]["severity"], "high");
    assert_eq!(
        d["appeared"][0]["affected_added"],
        json!(["u1", "u3", "u4", "u5"])
    );
    assert!(changes(&d, "resolved").is_empty() && changes(&d, "persisted").is_empty());
    assert_eq!(
        code, 1,
        "a new high finding fails at the default --fail-on high"
    );
    assert_eq!(diff_docs(&old, &new, &["--fail-on", "critical"]).0, 0);
    // And back: the finding is resolved, nothing new.
    let (code, back, _) = diff_docs(&new, &old, &["--fail-on", "info"]);
    assert_eq!(
        settings(&back),
        ["MDM user scope: Microsoft Intune: applies to: Some (groups: Kiosk users (g-kiosk)) → All"]
    );
    assert_eq!(
        changes(&back, "resolved"),
        ["mdm-user-scope-none warn→pass"]
    );
    assert!(changes(&back, "appeared").is_empty());
    assert_eq!(code, 0);
}

#[test]
fn windows_platform_allowed_to_blocked() {
    let old = healthy_snapshot();
    let new = with(
        old.clone(),
        "deviceEnrollmentConfigurations",
        vec![
            default_restrictions(restriction(true, false)),
            default_limit(5),
        ],
    );
    let (code, d, _) = diff_docs(&old, &new, &["--fail-on", "critical"]);
    assert_eq!(
        settings(&d),
        ["Windows platform restriction: 'All users and all devices': Windows (MDM): allowed → blocked"]
    );
    assert_eq!(
        changes(&d, "appeared"),
        [
            "windows-mdm-platform-blocked pass→fail",
            "windows-blocked-for-userless-enrollment pass→warn"
        ]
    );
    assert_eq!(d["appeared"][0]["severity"], "critical");
    assert_eq!(
        code, 1,
        "a new critical finding fails even at --fail-on critical"
    );
    let (code, back, _) = diff_docs(&new, &old, &["--fail-on", "info"]);
    assert_eq!(
        changes(&back, "resolved"),
        [
            "windows-mdm-platform-blocked fail→pass",
            "windows-blocked-for-userless-enrollment warn→pass"
        ]
    );
    assert_eq!(code, 0, "only resolved findings");
}

#[test]
fn enrollment_limit_lowered_below_a_users_devices() {
    let old = tenant_with_devices(5, 3);
    let new = tenant_with_devices(3, 3);
    let (code, d, _) = diff_docs(&old, &new, &[]);
    assert_eq!(
        settings(&d),
        ["Enrollment limit: 'All users and all devices': device limit: 5 → 3"]
    );
    assert_eq!(
        changes(&d, "appeared"),
        ["enrollment-limit-reached pass→fail"]
    );
    assert_eq!(d["appeared"][0]["affected_added"], json!(["u1"]));
    assert_eq!(code, 1);
}

#[test]
fn entra_join_all_to_selected_group() {
    let old = healthy_snapshot();
    let new = with(
        old.clone(),
        "deviceRegistrationPolicy",
        vec![registration_policy(20, "enumerated", &["g-kiosk"])],
    );
    let (code, d, _) = diff_docs(&old, &new, &[]);
    assert_eq!(
        settings(&d),
        ["Entra join: Device settings: users may join devices: All → Selected (0 users; groups: Kiosk users (g-kiosk))"]
    );
    assert_eq!(
        changes(&d, "appeared"),
        ["entra-join-not-allowed pass→warn"]
    );
    assert_eq!(
        d["appeared"][0]["affected_added"],
        json!([
            "deviceRegistrationPolicy/azureADJoin/allowedToJoin",
            "u1",
            "u3",
            "u4",
            "u5"
        ])
    );
    assert_eq!(code, 1);
    // The quota alone.
    let quota = with(
        old.clone(),
        "deviceRegistrationPolicy",
        vec![registration_policy(50, "all", &[])],
    );
    let (code, d, _) = diff_docs(&old, &quota, &["--fail-on", "info"]);
    assert_eq!(
        settings(&d),
        ["Entra join: Device settings: maximum devices per user: 20 → 50"]
    );
    assert!(changes(&d, "appeared").is_empty());
    assert_eq!(
        code, 0,
        "a setting change without a new finding does not fail"
    );
}

#[test]
fn autopilot_profile_added_and_removed() {
    let old = healthy_snapshot();
    let new = with(
        old.clone(),
        "windowsAutopilotDeploymentProfiles",
        vec![
            autopilot_profile("p1", false, false, &["g-kiosk"]),
            autopilot_profile("p2", true, true, &[]),
        ],
    );
    let (code, d, _) = diff_docs(&old, &new, &["--fail-on", "info"]);
    assert_eq!(
        settings(&d),
        ["Autopilot profile: 'Profile p2': exists: absent → added"]
    );
    assert_eq!(code, 0);
    let (_, back, _) = diff_docs(&new, &old, &[]);
    assert_eq!(
        settings(&back),
        ["Autopilot profile: 'Profile p2': exists: present → removed"]
    );
    // A profile changed in place: join type, mode, template, assignments.
    let mut changed = autopilot_profile("p1", true, true, &[]);
    changed["deviceNameTemplate"] = json!("KIOSK-%RAND:4%");
    let (_, d, _) = diff_docs(
        &old,
        &with(
            old.clone(),
            "windowsAutopilotDeploymentProfiles",
            vec![changed],
        ),
        &[],
    );
    assert_eq!(
        settings(&d),
        [
            "Autopilot: 'Profile p1': join type: Microsoft Entra joined → Microsoft Entra hybrid joined",
            "Autopilot: 'Profile p1': deployment mode: user-driven → self-deploying",
            "Autopilot: 'Profile p1': device name template: CTS-%SERIAL% → KIOSK-%RAND:4%",
            "Autopilot: 'Profile p1': assignments: Kiosk users (g-kiosk) → (none)",
        ]
    );
}

#[test]
fn identical_snapshots_persist_without_failing() {
    let snap = broken_snapshot();
    let (code, d, _) = diff_docs(&snap, &snap, &["--fail-on", "info"]);
    assert!(settings(&d).is_empty());
    assert!(changes(&d, "appeared").is_empty() && changes(&d, "resolved").is_empty());
    assert_eq!(
        changes(&d, "persisted"),
        ["windows-mdm-platform-blocked fail→fail"]
    );
    assert_eq!(d["persisted"][0]["worsened"], false);
    assert_eq!(code, 0, "nothing new or worse");
}

#[test]
fn a_persisting_finding_that_reaches_more_users_is_worse() {
    let old = broken_snapshot();
    let new = with(
        old.clone(),
        "groupMembers",
        vec![group("g-kiosk", XSS, &["u2", "u3", "u6"])],
    );
    let (code, d, _) = diff_docs(&old, &new, &["--fail-on", "critical"]);
    assert_eq!(
        changes(&d, "persisted"),
        ["windows-mdm-platform-blocked fail→fail"]
    );
    assert_eq!(d["persisted"][0]["worsened"], true);
    assert_eq!(d["persisted"][0]["affected_added"], json!(["u3"]));
    assert_eq!(code, 1);
    // Fewer users: persisting, not worse.
    let (code, d, _) = diff_docs(&new, &old, &["--fail-on", "info"]);
    assert_eq!(d["persisted"][0]["worsened"], false);
    assert_eq!(d["persisted"][0]["affected_removed"], json!(["u3"]));
    assert_eq!(code, 0);
}

#[test]
fn a_lost_permission_is_not_a_resolved_finding() {
    let old = broken_snapshot();
    let mut new = old.clone();
    new["resources"]["deviceEnrollmentConfigurations"] = json!({
        "path": "/test/deviceEnrollmentConfigurations", "status": "forbidden",
        "permission": "DeviceManagementServiceConfig.Read.All", "items": []});
    let (code, d, _) = diff_docs(&old, &new, &["--fail-on", "info"]);
    assert!(changes(&d, "resolved").is_empty(), "{d:#}");
    assert!(changes(&d, "unevaluated")
        .contains(&"windows-mdm-platform-blocked fail→not_evaluated".to_string()));
    assert_eq!(code, 0);
    // Settings of a resource not collected on one side are not compared.
    assert!(settings(&d).is_empty(), "{:?}", settings(&d));
    // Unless not-evaluated checks are to fail the run.
    let (code, _, _) = diff_docs(
        &old,
        &new,
        &["--fail-on", "critical", "--fail-on-not-evaluated"],
    );
    assert_eq!(code, 1, "a check not evaluated in NEW fails the diff");
}

#[test]
fn waived_findings_do_not_fail_the_diff() {
    let dir = tempdir();
    let cfg = write(
        dir.path(),
        "c.toml",
        "[[waiver]]\ncheck = \"windows-mdm-platform-blocked\"\nreason = \"kiosk rollout\"\nexpires = 2027-01-31\n",
    );
    let old = healthy_snapshot();
    let new = broken_snapshot();
    let cfg = cfg.to_str().unwrap();
    let (code, d, _) = diff_docs(&old, &new, &["--config", cfg, "--fail-on", "critical"]);
    assert_eq!(
        changes(&d, "appeared"),
        ["windows-mdm-platform-blocked pass→fail"]
    );
    assert_eq!(d["appeared"][0]["waived"], true);
    assert_eq!(code, 0);
    assert_eq!(diff_docs(&old, &new, &["--fail-on", "critical"]).0, 1);
}

#[test]
fn two_json_reports_compare_findings_only() {
    let dir = tempdir();
    let old = json_report(dir.path(), "old", &healthy_snapshot());
    let new = json_report(dir.path(), "new", &broken_snapshot());
    let (code, d, err) = diff_files(&old, &new, &["--fail-on", "critical"]);
    assert_eq!(
        (d["old"]["kind"].as_str(), d["new"]["kind"].as_str()),
        (Some("report"), Some("report")),
        "{err}"
    );
    assert_eq!(d["settings_compared"], false);
    assert!(settings(&d).is_empty());
    assert_eq!(
        changes(&d, "appeared"),
        ["windows-mdm-platform-blocked pass→fail"]
    );
    assert_eq!(code, 1);
    let (code, back, _) = diff_files(&new, &old, &["--fail-on", "info"]);
    assert_eq!(
        changes(&back, "resolved"),
        ["windows-mdm-platform-blocked fail→pass"]
    );
    assert_eq!(code, 0);
    // The table says why settings are missing.
    let out = bin().arg("diff").arg(&old).arg(&new).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("intune-audit diff — report "), "{text}");
    assert!(
        text.contains("Settings not compared: they are only in snapshots (report → report)."),
        "{text}"
    );
}

#[test]
fn a_snapshot_against_a_report_compares_findings() {
    let dir = tempdir();
    let old = json_report(dir.path(), "old", &healthy_snapshot());
    let new = write(dir.path(), "new.json", &broken_snapshot().to_string());
    let (code, d, _) = diff_files(&old, &new, &["--fail-on", "critical"]);
    assert_eq!(
        (d["old"]["kind"].as_str(), d["new"]["kind"].as_str()),
        (Some("report"), Some("snapshot"))
    );
    assert_eq!(d["settings_compared"], false);
    assert_eq!(
        changes(&d, "appeared"),
        ["windows-mdm-platform-blocked pass→fail"]
    );
    assert_eq!(code, 1);
    let (code, d, _) = diff_files(&new, &old, &["--fail-on", "critical"]);
    assert_eq!(
        changes(&d, "resolved"),
        ["windows-mdm-platform-blocked fail→pass"]
    );
    assert_eq!(code, 0);
}

#[test]
fn the_sample_tenants_drift() {
    let (Some(healthy), Some(broken)) = (sample("healthy"), sample("broken")) else {
        panic!("examples/tenants/{{healthy,broken}}.json are shipped");
    };
    let (code, d, _) = diff_files(&healthy, &broken, &[]);
    let s = settings(&d);
    for expected in [
        "MDM user scope: Microsoft Intune: applies to: All → Some (groups: Intune Pilot (935cb757-2fe5-449c-9dbc-2fc1da27d822))",
        "MDM user scope: Microsoft Intune: terms of use URL: https://portal.manage.microsoft.com/TermsofUse.aspx → (empty)",
        "Windows platform restriction: 'All users and all devices': Windows (MDM): allowed → blocked",
        "Enrollment limit: 'Contractors - 2 devices': device limit: 5 → 2",
        "Intune Connector for AD: 'CTS-ODJ01': state: active → error",
    ] {
        assert!(s.iter().any(|l| l == expected), "missing {expected:?} in {s:#?}");
    }
    assert!(changes(&d, "appeared").contains(&"windows-mdm-platform-blocked pass→fail".to_string()));
    assert!(changes(&d, "resolved").is_empty());
    assert_eq!(code, 1);
    let (code, back, _) = diff_files(&broken, &healthy, &[]);
    assert!(changes(&back, "appeared").is_empty());
    assert_eq!(
        changes(&back, "resolved").len(),
        changes(&d, "appeared").len()
    );
    assert_eq!(code, 0);
}

/// Renders the diff of two documents in `format` (table or markdown).
fn diff_text(old: &Value, new: &Value, format: &str) -> String {
    let dir = tempdir();
    let a = write(dir.path(), "old.json", &old.to_string());
    let b = write(dir.path(), "new.json", &new.to_string());
    let out = bin()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--format", format])
        .output()
        .expect("run intune-audit");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn no_longer_evaluated_is_shown_only_when_a_check_lost_its_verdict() {
    let old = broken_snapshot();
    let text = diff_text(&old, &old, "table");
    assert!(text.contains("Findings that persist (1):"), "{text}");
    assert!(!text.contains("No longer evaluated"), "{text}");
    let md = diff_text(&old, &old, "markdown");
    assert!(md.contains("### Persisting (1)"), "{md}");
    assert!(!md.contains("No longer evaluated"), "{md}");

    let mut new = old.clone();
    new["resources"]["deviceEnrollmentConfigurations"] = json!({
        "path": "/test/deviceEnrollmentConfigurations", "status": "forbidden",
        "permission": "DeviceManagementServiceConfig.Read.All", "items": []});
    let text = diff_text(&old, &new, "table");
    assert!(text.contains("No longer evaluated (4):"), "{text}");
    assert!(text.contains("Findings resolved (0):"), "{text}");
    let md = diff_text(&old, &new, "markdown");
    assert!(md.contains("### No longer evaluated (4)"), "{md}");
}

#[test]
fn table_and_markdown_show_the_changes_and_escape_names() {
    let old = healthy_snapshot();
    let new = with(
        old.clone(),
        "mobileDeviceManagementPolicies",
        vec![mdm_policy("selected", &[("g-x", XSS)])],
    );
    let new = with(
        new,
        "groupMembers",
        vec![
            group("g-kiosk", "Kiosk users", &["u2"]),
            group("g-x", XSS, &["u2"]),
        ],
    );
    let dir = tempdir();
    let a = write(dir.path(), "a.json", &old.to_string());
    let b = write(dir.path(), "b.json", &new.to_string());
    let table = bin().arg("diff").arg(&a).arg(&b).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!(
            "  - MDM user scope: Microsoft Intune: applies to: All → Some (groups: {XSS} (g-x))"
        )),
        "{text}"
    );
    assert!(
        text.contains("Findings that appeared (1):\n  - [high] mdm-user-scope-none"),
        "{text}"
    );
    assert!(
        text.contains("1 new or worsened finding(s) at high or above."),
        "{text}"
    );
    let md_path = dir.path().join("drift.md");
    let md = bin()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--format", "markdown", "--output"])
        .arg(&md_path)
        .output()
        .unwrap();
    assert_eq!(md.status.code(), Some(1));
    assert!(md.stdout.is_empty(), "--output writes the file, not stdout");
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("## ❌ intune-audit drift"), "{md}");
    assert!(md.contains("| MDM user scope | Microsoft Intune | applies to | All | Some (groups: &lt;script&gt;alert(1)&lt;/script&gt; (g-x)) |"), "{md}");
    assert!(!md.contains("<script>"));
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let dir = tempdir();
    let good = write(dir.path(), "good.json", &healthy_snapshot().to_string());
    let missing = dir.path().join("missing.json");
    let not_json = write(dir.path(), "notjson.json", "{ nope");
    let other = write(dir.path(), "other.json", r#"{"schema": "something/else"}"#);
    let future = write(
        dir.path(),
        "future.json",
        r#"{"schema": "intune-audit/report", "version": 9}"#,
    );
    let bad_report = write(
        dir.path(),
        "badreport.json",
        r#"{"schema": "intune-audit/report", "version": 1, "findings": 3}"#,
    );
    let mut bad_snap = healthy_snapshot();
    bad_snap["resources"]["deviceEnrollmentConfigurations"]["items"][1]["limit"] = json!("five");
    let bad_snap = write(dir.path(), "badsnap.json", &bad_snap.to_string());
    for (path, says) in [
        (&missing, "cannot read"),
        (&not_json, "is not JSON"),
        (&other, "neither an intune-audit snapshot nor a JSON report"),
        (&future, "report version 9 is not supported"),
        (&bad_report, "is malformed"),
        (&bad_snap, "limit"),
    ] {
        for (a, b) in [(&good, path), (path, &good)] {
            let (code, out, err) = diff_files(a, b, &[]);
            one_line_error(code, &err);
            assert!(err.contains(says), "{path:?}: {err}");
            assert_eq!(out, Value::Null, "nothing on stdout");
        }
    }
    let (code, _, err) = diff_files(&good, &good, &["--fail-on", "severe"]);
    one_line_error(code, &err);
    let (code, _, err) = diff_files(&good, &good, &["--config", "/nonexistent/c.toml"]);
    one_line_error(code, &err);
    assert!(err.contains("cannot read configuration"), "{err}");
}

#[test]
fn mam_scope_none_to_all() {
    let mam = |applies: &str| {
        let mut p = mdm_policy(applies, &[]);
        for k in ["termsOfUseUrl", "discoveryUrl", "complianceUrl"] {
            p[k] = json!("");
        }
        p
    };
    let mut old = healthy_snapshot();
    old["resources"]["mobileAppManagementPolicies"] =
        json!({"path": "/test/mam", "status": "ok", "items": [mam("none")]});
    let new = with(old.clone(), "mobileAppManagementPolicies", vec![mam("all")]);
    let (code, d, _) = diff_docs(&old, &new, &["--fail-on", "info"]);
    assert_eq!(
        settings(&d),
        ["MAM user scope: Microsoft Intune: applies to: None → All"]
    );
    assert_eq!(
        changes(&d, "appeared"),
        ["mam-and-mdm-user-scope-overlap pass→warn"]
    );
    assert_eq!(code, 1, "a new low finding fails at --fail-on info");
    assert_eq!(diff_docs(&old, &new, &[]).0, 0, "but not at high");
}
