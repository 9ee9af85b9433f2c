//! Golden findings, the ruff way: every fixture case in `tests/fixtures/checks/<check-id>/` runs
//! through the registry and the finding of that check is compared with its reviewed snapshot in
//! `tests/snapshots/<check-id>__<case>.snap`; the two sample tenants are snapshotted whole.
//!
//! A changed summary, evidence or remediation fails here until the new snapshot is reviewed and
//! accepted (see `docs/fixtures.md`). Under `CI=true` insta writes nothing, so a missing snapshot
//! fails too.

use intune_audit_checks::snapshot::Resource;
use intune_audit_checks::{audit, find, Affected, FindingStatus, Settings, Severity, Snapshot};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

#[path = "common/fixture_case.rs"]
mod fixture_case;

/// What a user reads of one finding (its metadata — title, codes, remediation — is in the
/// sample snapshots).
#[derive(Serialize)]
struct Golden<'a> {
    status: FindingStatus,
    severity: Severity,
    summary: &'a str,
    affected: &'a [Affected],
    affected_total: usize,
    evidence: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    permissions: &'a [String],
    references: &'a [intune_audit_checks::report::ReferenceLink],
}

fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises")
}

/// Runs `assert` for each named snapshot, then fails once, listing every mismatch (insta prints
/// each diff as it goes).
fn assert_all(what: &str, runs: Vec<(String, Box<dyn FnOnce()>)>) {
    let mut failed = Vec::new();
    for (name, run) in runs {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).is_err() {
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "{} {what} differ from their reviewed snapshots (review with `cargo insta review`, or \
         `INSTA_UPDATE=always cargo test -p intune-audit-checks --test golden` and `git diff`):\n  {}",
        failed.len(),
        failed.join("\n  ")
    );
}

fn insta_settings(description: &str, input: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    if !description.is_empty() {
        s.set_description(description);
    }
    s.set_input_file(input);
    s
}

#[test]
fn every_fixture_case_matches_its_golden_finding() {
    let cases = fixture_case::all_cases();
    assert!(cases.len() >= 3, "no fixture cases found");
    let mut runs: Vec<(String, Box<dyn FnOnce()>)> = Vec::new();
    for case in cases {
        let check = find(&case.check).unwrap_or_else(|| {
            panic!(
                "{}: no registered check {:?} (a renamed or removed check?)",
                case.path.display(),
                case.check
            )
        });
        let snapshot = Snapshot::from_json(&case.snapshot.to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", case.path.display()));
        let report = audit(&snapshot, &case.settings, "test")
            .unwrap_or_else(|e| panic!("{}: {e}", case.path.display()));
        let finding = report
            .findings
            .iter()
            .find(|f| f.check == check.id())
            .unwrap_or_else(|| panic!("{}: the check did not run", case.path.display()))
            .clone();
        assert_eq!(
            finding.status.as_str(),
            case.expected,
            "{}: the file name promises {}, the check says {:?}: {}",
            case.path.display(),
            case.expected,
            finding.status,
            finding.summary
        );
        let text = pretty(&Golden {
            status: finding.status,
            severity: finding.severity,
            summary: &finding.summary,
            affected: &finding.affected,
            affected_total: finding.affected_total,
            evidence: &finding.evidence,
            reason: finding.reason.as_deref(),
            permissions: &finding.permissions,
            references: &finding.references,
        });
        let name = format!("{}__{}", case.check, case.name);
        let settings = insta_settings(&case.description, &case.path);
        runs.push((
            name.clone(),
            Box::new(move || settings.bind(|| insta::assert_snapshot!(name, text))),
        ));
    }
    assert_all("golden findings", runs);
}

#[test]
fn every_finding_of_the_sample_tenants_matches_its_snapshot() {
    let mut runs: Vec<(String, Box<dyn FnOnce()>)> = Vec::new();
    for sample in ["broken", "healthy"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../examples/tenants/{sample}.json"))
            .canonicalize()
            .expect("sample tenant");
        let text = std::fs::read_to_string(&path).expect("sample tenant");
        let snapshot = Snapshot::from_json(&text).expect("sample loads");
        // The tool version is fixed so that a release does not rewrite the snapshots.
        let settings = Settings {
            preview: true,
            ..Settings::default()
        };
        let report = audit(&snapshot, &settings, "test").expect("sample types");
        let text = pretty(&report);
        let name = format!("sample__{sample}");
        let settings = insta_settings(
            &format!("every finding of examples/tenants/{sample}.json"),
            &path,
        );
        runs.push((
            name.clone(),
            Box::new(move || settings.bind(|| insta::assert_snapshot!(name, text))),
        ));
    }
    assert_all("sample reports", runs);
}

/// A snapshot whose case was deleted or renamed would never be compared again.
#[test]
fn every_snapshot_belongs_to_a_case_or_a_sample() {
    let mut expected: BTreeSet<String> = fixture_case::case_files()
        .into_iter()
        .flat_map(|(check, files)| {
            files.into_iter().map(move |f| {
                let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
                format!("{check}__{stem}.snap")
            })
        })
        .collect();
    expected.insert("sample__broken.snap".into());
    expected.insert("sample__healthy.snap".into());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/snapshots")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".snap") && !expected.contains(n))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots without a fixture case (delete them): {stale:?}"
    );
}
