//! Configuration: waivers (whole check, by object, expiry, unused), severity overrides,
//! disabled checks, thresholds/expectations into Settings, errors naming file:line.

mod reports_support;
use intune_audit::config::Config;
use intune_audit_checks::{FindingStatus, Severity};
use reports_support::*;

const CHECK: &str = "windows-mdm-platform-blocked";

#[test]
fn a_waiver_keeps_the_original_result_and_stops_counting_for_fail_on() {
    let cfg = format!("[[waiver]]\ncheck = \"{CHECK}\"\nreason = \"Kiosk rollout paused\"\nexpires = 2027-03-31\n");
    let r = report(&broken_snapshot(), Some(&cfg));
    let f = finding(&r, CHECK);
    assert_eq!(f.status, FindingStatus::Fail, "original status kept");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.waived);
    let w = f.waiver.as_ref().unwrap();
    assert_eq!(
        (w.reason.as_str(), w.expires.as_str()),
        ("Kiosk rollout paused", "2027-03-31")
    );
    assert_eq!(w.source, "test.toml:2");
    assert!(!r.has_problem_at_or_above(Severity::Info));
    assert_eq!(r.summary.waived, 1);
    assert_eq!(
        r.summary.by_status["fail"], 1,
        "counts keep the original status"
    );
    assert_eq!(r.waivers[0].state, "applied");
    let json: serde_json::Value = serde_json::to_value(f).unwrap();
    assert_eq!(json["waived"], true);
    assert_eq!(json["waiver"]["reason"], "Kiosk rollout paused");
}

#[test]
fn object_waivers_cover_the_causes_or_nothing() {
    let kiosk = format!("[[waiver]]\ncheck = \"{CHECK}\"\nobjects = [\"kiosk\"]\nreason = \"r\"\nexpires = 2030-01-01\n");
    assert!(
        finding(&report(&broken_snapshot(), Some(&kiosk)), CHECK).waived,
        "the blocking configuration is waived"
    );
    let user_only = format!("[[waiver]]\ncheck = \"{CHECK}\"\nobjects = [\"u2\"]\nreason = \"r\"\nexpires = 2030-01-01\n");
    let r = report(&broken_snapshot(), Some(&user_only));
    assert!(
        !finding(&r, CHECK).waived,
        "one user does not waive a configuration that blocks two"
    );
    assert_eq!(r.waivers[0].state, "unused");
}

#[test]
fn an_expired_waiver_fails_again_and_is_reported() {
    // The snapshot was collected 2026-11-20: "today" for expiry.
    let cfg = format!("[[waiver]]\ncheck = \"{CHECK}\"\nreason = \"r\"\nexpires = 2026-11-19\n");
    let r = report(&broken_snapshot(), Some(&cfg));
    assert!(!finding(&r, CHECK).waived);
    assert!(r.has_problem_at_or_above(Severity::High));
    assert_eq!(r.waivers[0].state, "expired");
    // The expiry day itself still counts as valid.
    let cfg = format!("[[waiver]]\ncheck = \"{CHECK}\"\nreason = \"r\"\nexpires = 2026-11-20\n");
    assert!(finding(&report(&broken_snapshot(), Some(&cfg)), CHECK).waived);
}

#[test]
fn cli_warns_about_expired_and_unused_waivers_and_exits_by_fail_on() {
    let dir = tempdir();
    let snap = write(dir.path(), "s.json", &broken_snapshot().to_string());
    let cfg = write(
        dir.path(),
        "c.toml",
        &format!("[[waiver]]\ncheck = \"{CHECK}\"\nreason = \"old\"\nexpires = 2026-01-01\n"),
    );
    let out = bin()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: waiver for windows-mdm-platform-blocked")
            && err.contains("expired on 2026-01-01"),
        "{err}"
    );

    let cfg = write(
        dir.path(),
        "c2.toml",
        &format!("[[waiver]]\ncheck = \"{CHECK}\"\nreason = \"accepted\"\nexpires = 2030-01-01\n"),
    );
    let out = bin()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .arg("--config")
        .arg(&cfg)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "waived findings do not fail the run"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let waived = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == CHECK)
        .unwrap();
    assert_eq!(waived["waived"], true);
    assert_eq!(json["waivers"][0]["state"], "applied");

    let healthy = write(dir.path(), "h.json", &healthy_snapshot().to_string());
    let out = bin()
        .args(["audit", "--snapshot"])
        .arg(&healthy)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(unused)"));
}

#[test]
fn the_default_config_file_is_read_from_the_working_folder() {
    let dir = tempdir();
    write(dir.path(), "s.json", &broken_snapshot().to_string());
    let out = bin()
        .current_dir(dir.path())
        .args(["audit", "--snapshot", "s.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    write(
        dir.path(),
        "intune-audit.toml",
        &format!("[checks]\ndisabled = [\"{CHECK}\"]\n"),
    );
    let out = bin()
        .current_dir(dir.path())
        .args(["audit", "--snapshot", "s.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "the other checks still run");
    assert!(
        findings.iter().all(|f| f["check"] != CHECK),
        "disabled checks do not run"
    );
}

#[test]
fn severity_overrides_thresholds_and_expectations() {
    let cfg = Config::parse(
        &format!(
            r#"
[checks.severity]
"{CHECK}" = "medium"

[thresholds]
device_limit_margin = 3
device_quota_margin = 2
connector_stale_days = 14

[expectations]
mdm_scope_groups = ["g1", "g2"]
naming_prefix = "CTS-"
"#
        ),
        "t.toml",
    )
    .unwrap();
    let s = cfg.settings();
    assert_eq!(
        (
            s.device_limit_margin,
            s.device_quota_margin,
            s.connector_stale_days
        ),
        (3, 2, 14)
    );
    assert_eq!(s.expected_mdm_scope_groups.unwrap().len(), 2);
    assert_eq!(s.naming_prefix.as_deref(), Some("CTS-"));
    let r = report(
        &broken_snapshot(),
        Some(&format!("[checks.severity]\n\"{CHECK}\" = \"medium\"\n")),
    );
    assert_eq!(finding(&r, CHECK).severity, Severity::Medium);
    assert!(!r.has_problem_at_or_above(Severity::High));
    assert!(r.has_problem_at_or_above(Severity::Medium));
    let only = Config::parse(&format!("[checks]\nonly = [\"{CHECK}\"]\n"), "t.toml").unwrap();
    assert!(only.settings().is_enabled(CHECK));
}

#[test]
fn errors_name_the_file_and_line() {
    let cases = [
        ("[thresholds]\ndevice_limit_margin = \"three\"\n", 2, "invalid type"),
        ("\n\n[[waiver]]\ncheck = \"windows-mdm-platfrom-blocked\"\nreason = \"r\"\nexpires = 2030-01-01\n", 4, "did you mean 'windows-mdm-platform-blocked'"),
        ("[[waiver]]\ncheck = \"windows-mdm-platform-blocked\"\nreason = \"r\"\nexpires = \"soon\"\n", 4, "expires must be a date"),
        ("[[waiver]]\ncheck = \"windows-mdm-platform-blocked\"\nreason = \"r\"\n", 1, "missing field `expires`"),
        ("[checks.severity]\n\"windows-mdm-platform-blocked\" = \"urgent\"\n", 2, "not one of critical"),
        ("[junit]\nwarn_as = \"error\"\n", 2, "failure"),
        ("[unknown]\n", 1, "unknown field"),
        ("[thresholds]\nconnector_stale_days = -1\n", 2, "0 or more"),
        ("this is not toml\n", 1, ""),
    ];
    for (text, line, needle) in cases {
        let e = Config::parse(text, "cfg.toml").expect_err(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(
            e.to_string().starts_with(&format!("cfg.toml:{line}: ")),
            "{e}"
        );
        assert!(e.to_string().contains(needle), "{text:?}: {e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }
}

#[test]
fn cli_bad_config_is_one_line_and_exit_2() {
    let dir = tempdir();
    let snap = write(dir.path(), "s.json", &broken_snapshot().to_string());
    let cfg = write(dir.path(), "bad.toml", "[checks]\ndisabled = [\"nope\"]\n");
    let out = bin()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml:2: unknown check id 'nope'"), "{err}");
}

#[test]
fn the_sample_config_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/intune-audit.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let cfg = Config::parse(&text, path).unwrap();
    assert!(!cfg.waivers.is_empty());
}

/// A renamed check id keeps old configurations and waivers working, with one notice.
#[test]
fn a_renamed_check_id_still_works_with_a_notice() {
    let cfg = "[checks]\ndisabled = [\"mam-user-scope-not-none\"]\n\n[[waiver]]\ncheck = \"mam-user-scope-not-none\"\nreason = \"BYOD on MAM by design\"\nexpires = 2030-01-01\n";
    let config = Config::parse(cfg, "test.toml").expect("the old id is accepted");
    assert!(config.disabled.contains("mam-and-mdm-user-scope-overlap"));
    assert_eq!(config.notices.len(), 2, "{:?}", config.notices);
    assert!(config.notices[0].contains("is now 'mam-and-mdm-user-scope-overlap'"));
    assert!(config.notices[0].starts_with("test.toml:2:"));
    let mut r = report(&broken_snapshot(), None);
    let warnings = config.apply(&mut r);
    assert!(warnings
        .iter()
        .any(|w| w.contains("mam-user-scope-not-none")));
}

/// Preview checks run only when asked for.
#[test]
fn preview_is_off_unless_asked_for() {
    assert!(!Config::parse("", "t.toml").unwrap().settings().preview);
    let c = Config::parse("[checks]\npreview = true\n", "t.toml").unwrap();
    assert!(c.settings().preview);
    let meta = intune_audit_checks::find("windows-mdm-platform-blocked")
        .unwrap()
        .meta;
    assert!(!meta.preview, "the shipped checks are stable");
    assert!(c.settings().runs(meta.id, meta.preview));
}
