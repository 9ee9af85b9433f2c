//! Every failure a user can cause on the offline path: one clear line, exit 2, no panic.

mod common;
use common::*;
use std::fs;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn missing_snapshot_file() {
    let o = run(&["audit", "--snapshot", "/nonexistent/tenant.json"]);
    assert_one_line_error(&o, "snapshot file /nonexistent/tenant.json does not exist");
}

#[test]
fn snapshot_that_is_not_json() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.json", "{ this is not json");
    assert_one_line_error(&run(&["audit", "--snapshot", &p]), "is not valid JSON");
}

#[test]
fn snapshot_of_another_schema_or_version() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "a.json", r##"{"schema":"something-else","version":1}"##);
    assert_one_line_error(
        &run(&["audit", "--snapshot", &p]),
        "not an intune-audit snapshot",
    );
    let p = write(
        &d,
        "b.json",
        r##"{"schema":"intune-audit/snapshot","version":7}"##,
    );
    assert_one_line_error(
        &run(&["audit", "--snapshot", &p]),
        "unsupported snapshot version 7",
    );
}

#[test]
fn snapshot_with_a_malformed_resource_names_resource_and_field() {
    let d = tempfile::tempdir().unwrap();
    let text = r##"{"schema":"intune-audit/snapshot","version":1,"tenant":{"id":"t","name":"Contoso"},
      "collected_at":"2026-11-20T08:00:00Z","resources":{"deviceEnrollmentConfigurations":{"path":"/x","status":"ok",
      "items":[{"@odata.type":"#microsoft.graph.deviceEnrollmentLimitConfiguration","id":"c1","priority":1,"limit":"five"}]}}}"##;
    let p = write(&d, "c.json", text);
    let o = run(&["audit", "--snapshot", &p]);
    assert_one_line_error(
        &o,
        "resource deviceEnrollmentConfigurations: item 0 does not have the expected shape at limit",
    );
}

#[test]
fn snapshot_envelope_errors_name_the_field() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "e.json",
        r##"{"schema":"intune-audit/snapshot","version":1,"tenant":{"name":"x"},"collected_at":"2026-11-20T08:00:00Z","resources":{}}"##,
    );
    assert_one_line_error(&run(&["audit", "--snapshot", &p]), "tenant");
    let p = write(
        &d,
        "f.json",
        r##"{"schema":"intune-audit/snapshot","version":1,"tenant":{"id":"t"},"collected_at":"last week","resources":{}}"##,
    );
    assert_one_line_error(
        &run(&["audit", "--snapshot", &p]),
        "collected_at \"last week\" is not an RFC 3339 date-time",
    );
}

#[test]
fn bad_flags_are_one_line() {
    assert_one_line_error(&run(&["audit", "--fail-on", "severe"]), "severe");
    assert_one_line_error(&run(&["audit", "--no-such-flag"]), "--no-such-flag");
    assert_one_line_error(&run(&["frobnicate"]), "frobnicate");
}

#[test]
fn unknown_code_or_check_lists_nearest() {
    let o = run(&["explain", "0x801c0004"]);
    assert_one_line_error(&o, "nearest: 0x801C0003");
    let o = run(&["explain", "windows-mdm-platform-blockd"]);
    assert_one_line_error(&o, "windows-mdm-platform-blocked");
}

#[test]
fn empty_snapshot_evaluates_nothing_and_never_passes() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "empty.json",
        r##"{"schema":"intune-audit/snapshot","version":1,"tenant":{"id":"t","name":"Contoso"},"collected_at":"2026-11-20T08:00:00Z","resources":{}}"##,
    );
    let o = run(&["audit", "--snapshot", &p, "--format", "json"]);
    // Every check would be not_evaluated: the run could not judge anything, so exit 2 with
    // one line saying why (not 0, which a scheduled audit would take as a pass).
    assert_one_line_error(&o, "nothing was evaluated");
    assert!(
        stderr(&o).contains("the snapshot holds no data"),
        "{}",
        stderr(&o)
    );
}

/// A usage error keeps clap's reason on its one line: what is missing, the valid values, the
/// "did you mean" tip.
#[test]
fn usage_errors_keep_clap_reason_on_one_line() {
    let o = run(&["collect"]);
    assert_one_line_error(&o, "required arguments were not provided: --out <FILE>");
    let o = run(&["audit", "--fail-on", "severe"]);
    assert_one_line_error(&o, "[possible values: critical, high, medium, low, info]");
    let o = run(&["audit", "--fail-on", "hihg"]);
    assert_one_line_error(&o, "a similar value exists: 'high'");
    let o = run(&["difff", "a", "b"]);
    assert_one_line_error(
        &o,
        "unrecognized subcommand 'difff'; tip: a similar subcommand exists: 'diff'",
    );
    let o = run(&["audit", "--snapshott", "x.json"]);
    assert_one_line_error(&o, "a similar argument exists: '--snapshot'");
    let o = run(&["diagnose", "--snapshot", "x.json"]);
    assert_one_line_error(
        &o,
        "--user <UPN_OR_ID>|--device <SERIAL_OR_ID>|--error <CODE>",
    );
    let o = run(&["completions", "tcsh"]);
    assert_one_line_error(&o, "possible values: bash, elvish, fish, powershell, zsh");
    let o = run(&["--color", "sometimes", "checks"]);
    assert_one_line_error(&o, "possible values: auto, always, never");
    for o in [run(&["collect"]), run(&["audit", "--fail-on", "hihg"])] {
        let err = stderr(&o);
        assert!(
            !err.contains("Usage:") && !err.contains("For more information"),
            "{err}"
        );
        assert!(err.trim_end().ends_with("(see --help)"), "{err}");
    }
}
