//! Fuzz harnesses: one function per fuzz target, each taking the fuzzer's raw bytes.
//!
//! The targets in `fuzz/fuzz_targets/` (cargo-fuzz, libFuzzer) and the stable replay test
//! `tests/fuzz_corpus.rs` call these same functions, so the checked-in corpus is replayed on
//! stable in every CI run. A harness returns normally for any input the code rejects with an
//! error; it panics (a fuzz crash) only when the code under test panics or breaks one of the
//! properties asserted here (rendered XML parses, JSON outputs are JSON, no raw control
//! character reaches a human-readable format, a Graph error message stays on one line).

use crate::config::{Config, WarnAs};
use crate::graph::client;
use crate::render;
use intune_audit_checks::report::{ReferenceLink, TenantRef};
use intune_audit_checks::{
    audit_tenant, codes, explain, load, Affected, AffectedKind, Area, Finding, FindingStatus,
    Loaded, Report, Settings, Severity, Snapshot, SnapshotError, WaiverRef, WaiverState,
};
use serde_json::Value;

/// The names of the targets, as in `fuzz/Cargo.toml` and `fuzz/corpus/<target>/`.
pub const TARGETS: [&str; 5] = ["snapshot", "config", "explain", "graph", "render"];

/// Runs the harness of `target` (one of [`TARGETS`]) on `data`; false for an unknown target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "snapshot" => snapshot(data),
        "config" => config(data),
        "explain" => explain(data),
        "graph" => graph(data),
        "render" => render(data),
        _ => return false,
    }
    true
}

/// The snapshot loaders: the tree loader (`Snapshot::from_json`, `Tenant::from_snapshot`) and
/// the streaming one (`load::stream_slice`, what `audit --snapshot` uses), which must agree:
/// what the streaming loader accepts, the tree loader accepts with the same report (or rejects
/// only for a value no check reads — see `intune_audit_checks::load`). Then every check
/// (preview ones included), the report as JSON and as the terminal table.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let streamed = load::stream_slice(data);
    let snap = match Snapshot::from_json(text) {
        Ok(s) => s,
        Err(e) => {
            if let Ok(loaded) = &streamed {
                assert_lenient_only(&e, loaded);
            }
            return;
        }
    };
    // What the loader accepted, it writes back in a form it accepts again.
    let again = snap.to_json_pretty();
    assert!(
        Snapshot::from_json(&again).is_ok(),
        "a loaded snapshot does not load after being written back"
    );
    let tree = match Loaded::from_snapshot(&snap) {
        Ok(t) => t,
        Err(e) => {
            assert!(
                streamed.is_err(),
                "the streaming loader accepts what the tree loader rejects: {e}"
            );
            return;
        }
    };
    let settings = Settings {
        preview: true,
        ..Settings::default()
    };
    let report = audit_tenant(&tree.envelope, &tree.tenant, &settings, "fuzz");
    let json = render::json(&report);
    if let Ok(loaded) = &streamed {
        let again = audit_tenant(&loaded.envelope, &loaded.tenant, &settings, "fuzz");
        assert!(
            render::json(&again) == json,
            "the streaming and tree loaders disagree on the report"
        );
    }
    assert_json(&json, "report JSON");
    assert_terminal_safe(&render::table::report(&report, 5, 160), "table");
}

/// The streaming loader accepted what the tree loader rejected: allowed only where it skips a
/// value no check reads that `serde_json`'s tree parser refuses.
fn assert_lenient_only(tree_error: &SnapshotError, loaded: &Loaded) {
    let lenient = matches!(tree_error, SnapshotError::NotJson(m)
        if ["number out of range", "surrogate", "recursion limit"]
            .iter()
            .any(|k| m.contains(k)));
    assert!(
        lenient,
        "the streaming loader accepts what the tree loader rejects ({tree_error}): tenant {}",
        loaded.envelope.tenant.id
    );
}

/// The configuration parser: `Config::parse`, its settings, and its waivers and severity
/// overrides applied to a report with a failing finding for every check.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match Config::parse(text, "fuzz.toml") {
        Ok(c) => c,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = config.settings();
    let mut report = every_check_failing();
    for line in config.apply(&mut report) {
        let _ = line;
    }
    assert_json(
        &render::json(&report),
        "report JSON after the configuration",
    );
}

/// `explain`'s input: `codes::normalize`, `explain::explain` and the terminal text the CLI
/// prints for a match (or the suggestions for none).
pub fn explain(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = codes::normalize(&text);
    let _ = codes::fold(&text);
    match explain::explain(&text) {
        Ok(e) => {
            let out = crate::commands::explain::to_text(&e, 80);
            assert_terminal_safe(&out, "explain text");
        }
        Err(none) => {
            let _ = none.suggestions;
        }
    }
}

/// A Graph response body: a collection page, a `$batch` answer and an error envelope, parsed
/// by the functions the client itself uses.
pub fn graph(data: &[u8]) {
    if let Ok(page) = client::parse_page(data) {
        let _ = (page.value.len(), page.next_link);
    }
    if let Ok(answers) = client::parse_batch(data) {
        for (resp, _retry_after) in answers.values() {
            if !resp.is_success() {
                assert_one_line(&resp.error().to_string(), "a $batch sub-response error");
            }
        }
    }
    let (code, message) = client::error_parts(data);
    assert_one_line(&message, "an error message");
    let _ = client::is_rejected_token(&code, &message);
}

/// The report renderers fed with hostile strings: a report whose names, ids, summaries,
/// evidence, reasons and waivers come from the input (fields separated by U+001F), rendered
/// as table, Markdown, HTML, JUnit, SARIF, JSON and the affected-objects CSV.
pub fn render(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let report = hostile_report(&text);
    assert_terminal_safe(&render::table::report(&report, 20, 160), "table");
    assert_terminal_safe(
        &render::markdown::render(&report, Severity::High),
        "markdown",
    );
    match render::html::render(&report, Severity::High) {
        Ok(html) => {
            assert_xml_chars(&html, "html");
            assert!(
                !html.contains("<fuzz"),
                "markup from the input reached the HTML unescaped"
            );
        }
        Err(e) => panic!("the HTML template failed: {e}"),
    }
    for warn_as in [WarnAs::Failure, WarnAs::Skipped] {
        let xml = render::junit::render(&report, warn_as);
        assert!(!xml.is_empty(), "JUnit rendered nothing");
        assert_xml_chars(&xml, "junit");
        if let Err(e) = quick_junit::Report::deserialize_from_str(&xml) {
            panic!("JUnit output does not parse back: {e}");
        }
    }
    assert_json(&render::sarif::render(&report, "fuzz.json"), "SARIF");
    assert_json(&render::json(&report), "report JSON");
    assert_csv(&report);
}

/// A report built from `text`: its U+001F-separated fields are used, in turn, as every string
/// of the report. After the first round the fields come back cut to 32 characters, so the
/// report's text stays about as long as the input (a 16 KB field repeated in every one of the
/// report's strings made each run take a tenth of a second).
pub fn hostile_report(text: &str) -> Report {
    let fields: Vec<&str> = text.split('\u{1f}').collect();
    let mut n = 0usize;
    let mut next = || {
        let f = fields[n % fields.len()];
        let f = if n < fields.len() {
            f.to_string()
        } else {
            f.chars().take(32).collect()
        };
        n += 1;
        f
    };
    // How many findings and objects: from the input's length, so both small and large reports
    // are tried, bounded so one run stays fast.
    let findings = 1 + fields.len().min(12);
    let mut out = Vec::with_capacity(findings);
    for i in 0..findings {
        let status = FindingStatus::ALL[i % FindingStatus::ALL.len()];
        let severity = Severity::ALL[i % Severity::ALL.len()];
        let affected = (0..(i % 4))
            .map(|k| {
                let kind = [
                    AffectedKind::User,
                    AffectedKind::Group,
                    AffectedKind::Device,
                    AffectedKind::Configuration,
                ][k % 4];
                let a = Affected::new(kind, next(), next());
                if k % 2 == 1 {
                    a.undetermined(next())
                } else {
                    a
                }
            })
            .collect::<Vec<_>>();
        let waived = i % 3 == 1;
        out.push(Finding {
            observed: None,
            check: next(),
            area: (i % 7 != 6).then(|| Area::ALL[i % Area::ALL.len()]),
            description: next(),
            default_severity: Some(severity),
            status,
            severity,
            error_codes: vec![next(), next()],
            article_sections: vec![next()],
            title: next(),
            summary: next(),
            affected_total: affected.len() + i,
            affected,
            evidence: serde_json::json!({ next(): next(), "list": [next(), {"k": next()}] }),
            remediation: vec![next(), next()],
            references: vec![ReferenceLink {
                title: next(),
                url: next(),
                heading: next(),
            }],
            reason: (i % 2 == 0).then(&mut next),
            permissions: vec![next()],
            waived,
            waiver: waived.then(|| WaiverRef {
                reason: next(),
                expires: next(),
                objects: vec![next()],
                source: next(),
            }),
        });
    }
    let mut report = Report::new(
        TenantRef {
            id: next(),
            name: next(),
        },
        next(),
        next(),
        out,
    );
    report.waivers = vec![WaiverState {
        check: next(),
        objects: vec![next()],
        reason: next(),
        expires: next(),
        state: next(),
        source: next(),
    }];
    report
}

/// A report in which every check fails on one user (`u1`), for configurations to act on.
fn every_check_failing() -> Report {
    let findings = intune_audit_checks::checks::REGISTRY
        .iter()
        .map(|c| Finding {
            observed: None,
            check: c.id().to_string(),
            area: Some(c.meta.area),
            description: String::new(),
            default_severity: Some(c.meta.severity),
            status: FindingStatus::Fail,
            severity: c.meta.severity,
            error_codes: Vec::new(),
            article_sections: Vec::new(),
            title: c.meta.title.to_string(),
            summary: "fuzz".into(),
            affected: vec![Affected::new(AffectedKind::User, "u1", "User One")],
            affected_total: 1,
            evidence: Value::Null,
            remediation: Vec::new(),
            references: Vec::new(),
            reason: None,
            permissions: Vec::new(),
            waived: false,
            waiver: None,
        })
        .collect();
    Report::new(
        TenantRef {
            id: "t".into(),
            name: "T".into(),
        },
        "2026-01-02T03:04:05Z".into(),
        "fuzz".into(),
        findings,
    )
}

fn assert_json(text: &str, what: &str) {
    if let Err(e) = serde_json::from_str::<Value>(text) {
        panic!("{what} is not JSON: {e}");
    }
}

/// No control character but newline and tab: nothing that can move the cursor, clear the
/// screen or retitle the terminal. (Colour is off unless a run turns it on.)
fn assert_terminal_safe(text: &str, what: &str) {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        panic!(
            "{what} carries the raw control character U+{:04X}",
            c as u32
        );
    }
}

/// Only characters XML 1.0 allows.
fn assert_xml_chars(text: &str, what: &str) {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    if let Some(c) = text.chars().find(|c| !allowed(*c)) {
        panic!("{what} carries U+{:04X}, which XML 1.0 forbids", c as u32);
    }
}

fn assert_one_line(text: &str, what: &str) {
    assert!(
        !text.contains('\n') && !text.contains('\r'),
        "{what} spans several lines: {text:?}"
    );
}

/// The affected-objects CSV parses back to one row per finding × object, with no cell a
/// spreadsheet would run as a formula and no raw control character.
fn assert_csv(report: &intune_audit_checks::Report) {
    let text = match render::affected::render(report) {
        Ok(text) => text,
        Err(e) => panic!("the CSV export failed: {e}"),
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut rows = 0;
    for record in csv::Reader::from_reader(body.as_bytes()).records() {
        let record = record.unwrap_or_else(|e| panic!("the CSV does not parse back: {e}"));
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell in the CSV: {cell:?}"
            );
            assert!(
                !cell
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "a control character in the CSV: {cell:?}"
            );
        }
        rows += 1;
    }
    let expected: usize = report
        .findings
        .iter()
        .filter(|f| f.status.is_problem())
        .map(|f| f.affected.len())
        .sum();
    assert_eq!(rows, expected, "one CSV row per finding × affected object");
}
