//! The registry's invariants: a check cannot be forgotten, undocumented or mislabelled.

use crate::catalog::Check;
use crate::checks::{MODULES, REGISTRY};
use crate::codes;
use crate::fixture_case;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn every_check_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/checks");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".rs") && n != "mod.rs")
        .map(|n| n.trim_end_matches(".rs").to_string())
        .collect();
    let registered: BTreeSet<String> = MODULES.iter().map(|m| m.to_string()).collect();
    assert_eq!(
        files, registered,
        "a check file is missing from the registry! list in checks/mod.rs"
    );
}

#[test]
fn ids_are_unique_kebab_case_and_match_their_file() {
    let mut seen = BTreeSet::new();
    for (check, module) in REGISTRY.iter().zip(MODULES) {
        assert!(seen.insert(check.id()), "duplicate id {}", check.id());
        assert_eq!(
            check.id(),
            module.replace('_', "-"),
            "id and file name differ"
        );
        assert!(check
            .id()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}

fn assert_documented(check: &Check) {
    let doc = check.doc();
    let id = check.id();
    assert!(!doc.is_empty(), "{id}: no //! doc comment");
    for heading in ["What it checks", "Why enrollment fails", "Remediation"] {
        assert!(
            !check.doc_section(heading).is_empty(),
            "{id}: missing or empty `## {heading}`"
        );
    }
    assert!(
        !check.remediation().is_empty(),
        "{id}: remediation has no steps"
    );
}

#[test]
fn every_check_is_documented() {
    REGISTRY.iter().for_each(assert_documented);
}

/// clippy's `missing-test-files`: every check has golden fixtures in
/// `checks/tests/fixtures/checks/<id>/` (see docs/fixtures.md) — a passing case, a failing or
/// warning one, and a not-evaluated one — and no folder belongs to an unregistered check.
#[test]
fn every_check_has_pass_problem_and_not_evaluated_fixtures() {
    let folders: BTreeMap<String, Vec<std::path::PathBuf>> =
        fixture_case::case_files().into_iter().collect();
    let mut missing = Vec::new();
    for check in REGISTRY {
        let id = check.id();
        let statuses: BTreeSet<&str> = folders
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|p| fixture_case::expected_status(&p.file_stem()?.to_string_lossy()))
            .collect();
        for (needed, any_of) in [
            ("a pass-*.json", &["pass"][..]),
            ("a fail-*.json or warn-*.json", &["fail", "warn"][..]),
            ("a not-evaluated-*.json", &["not_evaluated"][..]),
        ] {
            if !any_of.iter().any(|s| statuses.contains(s)) {
                missing.push(format!("{id}: needs {needed}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "golden fixtures missing under checks/tests/fixtures/checks/ (docs/fixtures.md):\n  {}",
        missing.join("\n  ")
    );
    for (folder, files) in &folders {
        assert!(
            crate::run::find(folder).is_some(),
            "checks/tests/fixtures/checks/{folder}/ belongs to no registered check"
        );
        for f in files {
            let name = f.file_stem().unwrap_or_default().to_string_lossy();
            assert!(
                fixture_case::expected_status(&name).is_some(),
                "{}: the name must start with pass, fail, warn, not-evaluated or not-applicable",
                f.display()
            );
        }
    }
}

#[test]
fn codes_and_sections_are_in_the_index() {
    for check in REGISTRY {
        let m = check.meta;
        assert!(
            !m.article_sections.is_empty(),
            "{}: no article section",
            m.id
        );
        for s in m.article_sections {
            let section =
                codes::section(s).unwrap_or_else(|| panic!("{}: unknown section {s}", m.id));
            let _ = section;
        }
        for c in m.error_codes {
            assert_eq!(
                codes::normalize(c).as_deref(),
                Some(*c),
                "{}: code {c} is not canonical",
                m.id
            );
            assert!(
                !codes::sections_for_code(c).is_empty(),
                "{}: code {c} not in the index",
                m.id
            );
        }
        assert!(!m.resources.is_empty(), "{}: reads no resource", m.id);
        assert!(
            !m.references.is_empty()
                && m.references
                    .iter()
                    .all(|r| r.url.starts_with("https://learn.microsoft.com/")
                        && !r.heading.is_empty()
                        && !r.title.is_empty()),
            "{}: needs references to current Microsoft pages (title, URL, heading)",
            m.id
        );
    }
    for d in crate::device_side::DEVICE_CAUSES {
        for s in d.article_sections {
            assert!(codes::section(s).is_some(), "{}: unknown section {s}", d.id);
        }
    }
}

#[test]
fn every_article_section_has_a_cause() {
    for s in codes::SECTIONS {
        let covered = REGISTRY
            .iter()
            .any(|c| c.meta.article_sections.contains(&s.anchor))
            || crate::device_side::DEVICE_CAUSES
                .iter()
                .any(|d| d.article_sections.contains(&s.anchor))
            // A section of a current Microsoft page whose documented cause nothing covers
            // yet: its coverage row says why, and `explain` shows the cause.
            || crate::coverage::ROWS
                .iter()
                .any(|r| r.sections.contains(&s.anchor));
        assert!(
            covered,
            "article section {} has no check, no device-side cause and no coverage row",
            s.anchor
        );
    }
}

#[test]
fn lifecycle_metadata_is_sound() {
    use crate::catalog::{current_id, RENAMED};
    for c in crate::checks::REGISTRY {
        let m = c.meta;
        let parts: Vec<&str> = m.since.split('.').collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
            "{}: since {:?} is not a version",
            m.id,
            m.since
        );
        assert!(
            m.doc.contains("## What it checks"),
            "{}: doc captured",
            m.id
        );
    }
    for (old, new) in RENAMED {
        assert!(
            crate::run::find(new).is_some(),
            "{old} renamed to an unknown id {new}"
        );
        assert!(crate::run::find(old).is_none(), "{old} is still registered");
        assert_eq!(current_id(old), Some(*new));
    }
}

/// A preview check is left out unless previews are asked for.
#[test]
fn preview_checks_run_only_when_asked() {
    crate::declare_check! {
        /// Preview.
        ///
        /// ## What it checks
        /// Nothing.
        pub PREVIEW = CheckMeta {
            id: "preview-sample",
            since: "0.2.0",
            preview: true,
            title: "Preview sample",
            severity: crate::report::Severity::Low,
            area: crate::report::Area::Licensing,
            error_codes: &[],
            article_sections: &[],
            resources: &[],
            in_article: false,
            references: &[],
        };
    }
    let mut s = crate::settings::Settings::default();
    assert!(!s.runs(PREVIEW.id, PREVIEW.preview));
    s.preview = true;
    assert!(s.runs(PREVIEW.id, PREVIEW.preview));
    s.disabled.insert("preview-sample".into());
    assert!(
        !s.runs(PREVIEW.id, PREVIEW.preview),
        "disabled beats preview"
    );
}

/// What Microsoft documents today for causes the 2019 article described differently (issue 11,
/// "Microsoft's current behaviour"): each line fails on the behaviour before the change.
#[test]
fn current_documentation_is_followed() {
    let meta = |id: &str| crate::run::find(id).expect("registered").meta;
    let doc = |id: &str| crate::run::find(id).expect("registered").doc();
    // restrictions.md, Blocking personal Windows devices: 0x80180014 and the corporate paths.
    let personal = meta("windows-personal-enrollment-blocked");
    assert!(personal.error_codes.contains(&"0x80180014"));
    for path in [
        "Autopilot",
        "co-management",
        "provisioning package",
        "device enrollment manager",
    ] {
        assert!(
            doc("windows-personal-enrollment-blocked").contains(path),
            "{path}"
        );
    }
    // Autopilot device enrollment troubleshooting: "Unblock device" (allowNextEnrollment).
    let redeploy = doc("autopilot-redeploy-stale-intune-record");
    assert!(redeploy.contains("Unblock device") && redeploy.contains("allowNextEnrollment"));
    // Device cap and Entra quota codes.
    assert!(meta("enrollment-limit-reached")
        .error_codes
        .contains(&"0x80180013"));
    assert!(meta("entra-device-quota-reached")
        .error_codes
        .contains(&"0x801C000E"));
    assert!(meta("users-without-intune-license")
        .error_codes
        .contains(&"0x80180018"));
    assert!(meta("mdm-user-scope-none")
        .error_codes
        .contains(&"0x80180031"));
    // The device limit does not bite Entra join in the out-of-box experience any more.
    assert!(!doc("enrollment-limit-reached")
        .contains("Entra join during the out-of-box experience without Autopilot"));
}
