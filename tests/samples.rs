//! The shipped sample tenants against the whole catalog: `broken.json` trips every tenant-side
//! check (fail or warn), `healthy.json` trips none — so a new check cannot be forgotten.

mod common;
use common::*;
use intune_audit_checks::checks::REGISTRY;
use intune_audit_checks::{FindingStatus, Report};

#[path = "../examples/gen_tenants.rs"]
#[allow(dead_code)]
mod gen_tenants;

fn audit(name: &str) -> Report {
    let o = run(&[
        "audit",
        "--snapshot",
        sample(name).to_str().unwrap(),
        "--format",
        "json",
        // Preview checks too: the samples must exercise every check in the catalog.
        "--preview",
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("report JSON")
}

#[test]
fn samples_are_what_the_generator_writes() {
    for (path, text) in gen_tenants::outputs() {
        let on_disk = std::fs::read_to_string(root().join(path)).unwrap();
        assert!(
            on_disk == text,
            "{path} is stale: run `cargo run --example gen_tenants`"
        );
    }
}

#[test]
fn broken_sample_trips_every_tenant_side_check() {
    let report = audit("broken.json");
    for check in REGISTRY {
        let f = report
            .findings
            .iter()
            .find(|f| f.check == check.id())
            .unwrap_or_else(|| panic!("{} missing", check.id()));
        assert!(
            matches!(f.status, FindingStatus::Fail | FindingStatus::Warn),
            "{} is {:?} on broken.json: {}",
            f.check,
            f.status,
            f.summary
        );
        assert!(f.affected_total > 0, "{} names no affected object", f.check);
    }
}

#[test]
fn healthy_sample_trips_no_check() {
    let report = audit("healthy.json");
    assert_eq!(report.findings.len(), REGISTRY.len());
    for f in &report.findings {
        assert!(
            matches!(f.status, FindingStatus::Pass | FindingStatus::NotApplicable),
            "{} is {:?} on healthy.json: {}",
            f.check,
            f.status,
            f.summary
        );
    }
}

#[test]
fn exit_codes_follow_fail_on() {
    let broken = sample("broken.json");
    let healthy = sample("healthy.json");
    assert_eq!(
        run(&["audit", "--snapshot", broken.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["audit", "--snapshot", healthy.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
}
