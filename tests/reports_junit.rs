//! JUnit: one suite per area, one case per check, statuses mapped as configured; parsed back.

mod reports_support;
use intune_audit::config::{Config, WarnAs};
use intune_audit::render::junit;
use quick_junit::{NonSuccessKind, TestCaseStatus};
use reports_support::*;

fn parse(xml: &str) -> quick_junit::Report {
    quick_junit::Report::deserialize_from_str(xml).expect("JUnit XML parses back")
}

const CHECK: &str = "windows-mdm-platform-blocked";

/// The test case of one check, whatever suite it is in.
fn case<'a>(report: &'a quick_junit::Report, check: &str) -> &'a quick_junit::TestCase {
    report
        .test_suites
        .iter()
        .flat_map(|s| s.test_cases.iter())
        .find(|c| c.name.as_str() == check)
        .unwrap_or_else(|| panic!("no test case for {check}"))
}

#[test]
fn every_snapshot_renders_parseable_junit() {
    for (name, snap) in all_snapshots() {
        let r = report(&snap, None);
        let back = parse(&junit::render(&r, WarnAs::Failure));
        let cases: usize = back.test_suites.iter().map(|s| s.test_cases.len()).sum();
        assert_eq!(cases, r.findings.len(), "{name}: one test case per check");
    }
}

#[test]
fn failures_and_suites() {
    let r = report(&broken_snapshot(), None);
    let back = parse(&junit::render(&r, WarnAs::Failure));
    let suite = back
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "Enrollment restrictions")
        .expect("the check's area is a suite");
    let case = suite
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "windows-mdm-platform-blocked")
        .unwrap();
    assert_eq!(
        case.classname.as_ref().unwrap().as_str(),
        "intune-audit.enrollment_restrictions"
    );
    match &case.status {
        TestCaseStatus::NonSuccess {
            kind,
            message,
            description,
            ..
        } => {
            assert_eq!(*kind, NonSuccessKind::Failure);
            assert!(message.as_ref().unwrap().as_str().contains("cannot enroll"));
            let d = description.as_ref().unwrap().as_str();
            assert!(
                d.contains(XSS),
                "the XML escapes it and parsing restores it: {d}"
            );
            assert!(d.contains("Fix:"));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(back.failures, 1);
}

#[test]
fn not_evaluated_is_skipped_with_the_reason() {
    let mut snap = broken_snapshot();
    snap["resources"]["deviceEnrollmentConfigurations"] = serde_json::json!({
        "path": "/x", "status": "forbidden", "permission": "DeviceManagementServiceConfig.Read.All",
        "message": "Authorization_RequestDenied", "items": []});
    let r = report(&snap, None);
    let back = parse(&junit::render(&r, WarnAs::Failure));
    match &case(&back, CHECK).status {
        TestCaseStatus::Skipped { message, .. } => {
            let m = message.as_ref().unwrap().as_str();
            assert!(m.starts_with("not evaluated:"), "{m}");
            assert!(m.contains("DeviceManagementServiceConfig.Read.All"), "{m}");
        }
        other => panic!("expected skipped, got {other:?}"),
    }
    assert_eq!(back.failures, 0);
}

#[test]
fn warn_follows_configuration_and_waived_is_skipped() {
    // Severity overrides apply to status warn too; build a warn by hand.
    let mut r = report(&broken_snapshot(), None);
    let i = r.findings.iter().position(|f| f.check == CHECK).unwrap();
    r.findings[i].status = intune_audit_checks::FindingStatus::Warn;
    let as_failure = parse(&junit::render(&r, WarnAs::Failure));
    assert_eq!(as_failure.failures, 1);
    let cfg = Config::parse("[junit]\nwarn_as = \"skipped\"\n", "t.toml").unwrap();
    let as_skipped = parse(&junit::render(&r, cfg.junit_warn_as));
    assert_eq!(as_skipped.failures, 0);
    assert!(matches!(
        case(&as_skipped, CHECK).status,
        TestCaseStatus::Skipped { .. }
    ));

    let waived = report(
        &broken_snapshot(),
        Some("[[waiver]]\ncheck = \"windows-mdm-platform-blocked\"\nreason = \"accepted\"\nexpires = 2030-01-01\n"),
    );
    let back = parse(&junit::render(&waived, WarnAs::Failure));
    assert_eq!(back.failures, 0);
    match &case(&back, CHECK).status {
        TestCaseStatus::Skipped { message, .. } => {
            assert!(message
                .as_ref()
                .unwrap()
                .as_str()
                .starts_with("waived until 2030-01-01: accepted"))
        }
        other => panic!("expected skipped, got {other:?}"),
    }
}

#[test]
fn findings_carry_their_area_with_a_fallback() {
    use intune_audit::render::area_of;
    let r = report(&broken_snapshot(), None);
    let area = |id: &str| area_of(r.findings.iter().find(|f| f.check == id).unwrap());
    assert_eq!(
        area("windows-mdm-platform-blocked"),
        "Enrollment restrictions"
    );
    assert_eq!(area("users-without-intune-license"), "Licensing");
    assert_eq!(area("entra-join-not-allowed"), "Entra join");
    assert_eq!(area("mdm-user-scope-none"), "MDM scope");
    assert_eq!(area("autopilot-profile-conflict"), "Autopilot");
    assert_eq!(area("legacy-pc-agent-devices"), "Legacy agents");
    for f in &r.findings {
        assert_ne!(area_of(f), "Other", "{} needs an area", f.check);
    }
    // A report of another version has no area: it is grouped under "Other".
    let mut old = r.findings[0].clone();
    old.area = None;
    assert_eq!(area_of(&old), "Other");
}

/// Characters XML 1.0 does not allow in a document.
fn forbidden_in_xml(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[test]
fn names_with_characters_xml_forbids_still_give_valid_xml() {
    let mut r = report(&broken_snapshot(), None);
    let evil = "Kiosk\u{1b}]0;owned\u{7}\u{FFFE}\u{FFFF}\u{0}\u{8}end";
    let f = r
        .findings
        .iter_mut()
        .find(|f| f.status.is_problem() && !f.affected.is_empty())
        .expect("a finding with affected objects");
    f.affected[0].name = evil.into();
    f.summary = format!("blocked by '{evil}'");
    r.tenant.name = evil.into();
    let xml = junit::render(&r, WarnAs::Failure);
    let bad: Vec<char> = xml.chars().filter(|&c| forbidden_in_xml(c)).collect();
    assert!(bad.is_empty(), "forbidden characters in the XML: {bad:?}");
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Text(t)) => {
                let _ = t.xml10_content();
            }
            Ok(_) => {}
            Err(e) => panic!("invalid XML at {}: {e}", reader.buffer_position()),
        }
    }
    assert!(
        xml.contains("Kiosk\\x1b]0;owned\\x07"),
        "controls shown, not dropped"
    );
    parse(&xml);
}
