//! The failure history joined with the findings, over the broken sample tenant.
//!
//! The event fixtures in `fixtures/failures/` are in Graph's own shapes, as the reference pages
//! show them (see that folder's README): `GET /v1.0/deviceManagement/troubleshootingEvents`
//! (api-reference/v1.0/api/intune-troubleshooting-enrollmenttroubleshootingevent-list.md) and
//! `GET /beta/deviceManagement/autopilotEvents`
//! (api-reference/beta/api/intune-troubleshooting-devicemanagementautopilotevent-list.md).

use intune_audit_checks::snapshot::{ResourceEntry, Status};
use intune_audit_checks::{audit, FindingStatus, Report, Resource, Settings, Snapshot};
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn broken() -> Snapshot {
    let text = std::fs::read_to_string(root().join("../examples/tenants/broken.json")).unwrap();
    let mut s = Snapshot::from_json(&text).unwrap();
    for r in [Resource::TroubleshootingEvents, Resource::AutopilotEvents] {
        s.resources.remove(r.key());
    }
    s
}

fn events(resource: Resource) -> Vec<Value> {
    let path = root().join(format!("tests/fixtures/failures/{}.json", resource.key()));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["value"].as_array().unwrap().clone()
}

fn with_events(mut s: Snapshot) -> Snapshot {
    for r in [Resource::TroubleshootingEvents, Resource::AutopilotEvents] {
        s.resources.insert(
            r.key().into(),
            ResourceEntry::ok(format!("/test/{r}"), events(r)),
        );
    }
    s
}

fn run(s: &Snapshot, days: u32) -> Report {
    let settings = Settings {
        history_days: days,
        ..Settings::default()
    };
    audit(s, &settings, "test").unwrap()
}

fn finding<'a>(r: &'a Report, id: &str) -> &'a intune_audit_checks::Finding {
    r.findings.iter().find(|f| f.check == id).unwrap()
}

#[test]
fn a_finding_is_confirmed_by_the_failures_of_its_subjects() {
    let r = run(&with_events(broken()), 30);
    let limit = finding(&r, "enrollment-limit-reached");
    let observed = limit.observed.as_ref().expect("confirmed");
    assert_eq!(
        (observed.subjects, observed.events, observed.days),
        (4, 4, 30)
    );
    assert!(
        limit
            .summary
            .starts_with("6 users have reached their Intune device limit")
            && limit
                .summary
                .ends_with("observed: 4 of the 6 users failed to enroll in the last 30 days"),
        "{}",
        limit.summary
    );
    let upn = finding(&r, "upn-suffix-not-verified");
    assert_eq!(upn.observed.as_ref().map(|o| o.subjects), Some(1));
    assert!(
        upn.summary
            .ends_with("observed: 1 of the 9 users failed to enroll in the last 30 days"),
        "{}",
        upn.summary
    );
    // Autopilot serials join too.
    for id in [
        "hybrid-profile-with-assigned-user",
        "self-deploying-profile-on-virtual-machine",
    ] {
        assert_eq!(
            finding(&r, id).observed.as_ref().map(|o| o.subjects),
            Some(1),
            "{id}"
        );
    }
    // A finding whose subjects did not fail says nothing more.
    assert!(finding(&r, "entra-device-quota-reached").observed.is_none());
    let f = r.failures.as_ref().unwrap();
    assert_eq!(f.status, "evaluated");
    // 8 enrollment failures in the window + 3 Autopilot failures (the success is not one).
    let counts = r.summary.failures.unwrap();
    assert_eq!(
        (counts.observed, counts.explained, counts.unexplained),
        (11, 7, 4)
    );
    assert_eq!(f.counts, counts);
    let event = f.events.iter().find(|e| e.id.ends_with("2300")).is_none();
    assert!(event, "ids are kept as Graph wrote them");
    let first = f
        .events
        .iter()
        .find(|e| e.id == "c4a623f5-23f5-c4a6-f523-a6c4f5230001")
        .unwrap();
    assert!(first
        .explained_by
        .contains(&"enrollment-limit-reached".to_string()));
    assert_eq!(first.raw["failureCategory"], "authorization");
    assert!(first.error_codes.contains(&"0x801C0003".to_string()));
    assert_eq!(
        first.article_sections[0],
        "this-user-is-not-authorized-to-enroll"
    );
    let total: usize = f.by_day.iter().map(|d| d.explained + d.unexplained).sum();
    assert_eq!(total, 11);
}

#[test]
fn an_unexplained_failure_is_grouped_with_its_raw_reason() {
    let r = run(&with_events(broken()), 30);
    let f = r.failures.as_ref().unwrap();
    let timeout = f
        .unexplained
        .iter()
        .find(|g| g.category == "clientDisconnected")
        .expect("grouped");
    assert_eq!((timeout.events, timeout.subjects), (2, 1));
    assert_eq!(timeout.reason, "The client timed out");
    assert_eq!(timeout.stream, "troubleshootingEvents");
    assert_eq!(
        timeout.device_causes,
        ["device-network-blocks-identity-provider"]
    );
    let esp = f
        .unexplained
        .iter()
        .find(|g| g.class == "esp-device-setup")
        .expect("the ESP failure");
    assert_eq!(esp.stream, "autopilotEvents");
    assert_eq!(esp.category, "failure");
}

#[test]
fn an_unknown_category_stays_unclassified_with_its_raw_value() {
    let r = run(&with_events(broken()), 30);
    let f = r.failures.as_ref().unwrap();
    let e = f
        .events
        .iter()
        .find(|e| e.raw.get("failureCategory").map(String::as_str) == Some("tenantQuotaReached"))
        .unwrap();
    assert_eq!(e.class, "unclassified");
    assert!(e.explained_by.is_empty() && e.candidate_checks.is_empty());
    assert!(e.article_sections.is_empty());
    assert_eq!(f.by_class["unclassified"], 1);
    let g = f
        .unexplained
        .iter()
        .find(|g| g.category == "tenantQuotaReached")
        .unwrap();
    assert_eq!(g.class, "unclassified");
    assert_eq!(g.reason, "Enrollment refused: tenant device quota");
}

#[test]
fn an_empty_window_observes_nothing_and_confirms_nothing() {
    // No event in the last day before the snapshot.
    let r = run(&with_events(broken()), 1);
    let f = r.failures.as_ref().unwrap();
    assert_eq!(f.status, "evaluated");
    assert_eq!(r.summary.failures.unwrap().observed, 0);
    assert!(f.events.is_empty() && f.unexplained.is_empty() && f.by_day.is_empty());
    assert!(r.findings.iter().all(|x| x.observed.is_none()));
    // Collected, and empty: the same.
    let mut s = broken();
    for res in [Resource::TroubleshootingEvents, Resource::AutopilotEvents] {
        s.resources
            .insert(res.key().into(), ResourceEntry::ok("/test", Vec::new()));
    }
    let r = run(&s, 30);
    assert_eq!(r.failures.as_ref().unwrap().status, "evaluated");
    assert_eq!(r.summary.failures.unwrap().observed, 0);
}

#[test]
fn a_forbidden_event_stream_is_not_evaluated_and_the_audit_stays_intact() {
    let without = run(&broken(), 30);
    let mut s = with_events(broken());
    for res in [Resource::TroubleshootingEvents, Resource::AutopilotEvents] {
        let e = s.resources.get_mut(res.key()).unwrap();
        e.status = Status::Forbidden;
        e.permission = Some(res.permission().into());
        e.items.clear();
    }
    let r = run(&s, 30);
    let f = r.failures.as_ref().unwrap();
    assert_eq!(f.status, "not_evaluated");
    assert!(f.streams.iter().all(|s| s.status == "not_evaluated"
        && s.permissions == ["DeviceManagementManagedDevices.Read.All"]));
    assert!(r.summary.failures.is_none());
    assert_eq!(r.findings, without.findings, "the findings do not change");
    assert!(r.findings.iter().any(|f| f.status == FindingStatus::Fail));
    // One stream denied: the other is still joined.
    let mut s = with_events(broken());
    let e = s
        .resources
        .get_mut(Resource::AutopilotEvents.key())
        .unwrap();
    e.status = Status::Forbidden;
    e.items.clear();
    let r = run(&s, 30);
    let f = r.failures.as_ref().unwrap();
    assert_eq!(f.status, "partial");
    assert_eq!(r.summary.failures.unwrap().observed, 8);
}

#[test]
fn reports_without_the_failure_fields_still_load() {
    let r = run(&with_events(broken()), 30);
    let mut v = serde_json::to_value(&r).unwrap();
    v.as_object_mut().unwrap().remove("failures");
    v["summary"].as_object_mut().unwrap().remove("failures");
    for f in v["findings"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("observed");
    }
    let old: Report = serde_json::from_value(v).unwrap();
    assert!(old.failures.is_none() && old.summary.failures.is_none());
}

#[test]
fn diagnose_starts_with_the_subjects_recent_failures() {
    use intune_audit_checks::diagnose::{diagnose, Question};
    let s = with_events(broken());
    let q = Question {
        user: Some("allan.smit2@contoso.com".into()),
        ..Question::default()
    };
    let d = diagnose(&s, &q, &Settings::default()).unwrap();
    let f = d.recent_failures.unwrap();
    assert_eq!(f.counts.observed, 1);
    assert_eq!(f.events[0].explained_by, ["enrollment-limit-reached"]);
    let q = Question {
        device: Some("5c4100185".into()),
        ..Question::default()
    };
    let f = diagnose(&s, &q, &Settings::default())
        .unwrap()
        .recent_failures
        .unwrap();
    assert_eq!(f.counts.observed, 1);
    assert!(f.events[0]
        .explained_by
        .contains(&"hybrid-profile-with-assigned-user".to_string()));
}
