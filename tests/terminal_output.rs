//! Output that fits and speaks: the closing verdict line, colour, verbose logging without
//! secrets, completions, the man page, `explain` for a terminal, help wrapped to the width.

mod common;
mod standin;

use common::*;
use standin::{Config, StandIn};
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_intune-audit"));
    c.env_remove("RUST_LOG")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR");
    c
}

fn last_line(o: &std::process::Output) -> String {
    stderr(o).lines().last().unwrap_or("").to_string()
}

#[test]
fn an_output_only_audit_names_its_verdict_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let sarif = dir.path().join("report.sarif");
    let o = run(&[
        "audit",
        "--snapshot",
        sample("broken.json").to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
        "--output",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    let line = last_line(&o);
    assert_eq!(
        line,
        format!(
            "intune-audit: 30 fail, 7 warn, 0 not evaluated, 0 pass (exit 1: findings at or above high); wrote {}, {}",
            html.display(),
            sarif.display()
        )
    );
    assert_eq!(stderr(&o).lines().count(), 1);
}

#[test]
fn a_passing_audit_and_a_diff_end_with_their_verdict() {
    let o = run(&[
        "audit",
        "--snapshot",
        sample("healthy.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        last_line(&o),
        "intune-audit: 0 fail, 0 warn, 0 not evaluated, 37 pass (exit 0: nothing failing at or above high)"
    );
    let o = run(&[
        "diff",
        sample("healthy.json").to_str().unwrap(),
        sample("broken.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let line = last_line(&o);
    assert!(
        line.starts_with("intune-audit: 37 appeared, 0 resolved"),
        "{line}"
    );
    assert!(
        line.contains("(exit 1: 25 new or worse at or above high)"),
        "{line}"
    );
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let args = [
        "audit",
        "--snapshot",
        "examples/tenants/healthy.json",
        "--format",
        "json",
    ];
    let esc = |o: &std::process::Output| stderr(o).contains('\x1b');
    let o = bin().current_dir(root()).args(args).output().unwrap();
    assert!(!esc(&o), "auto on a pipe: no colour");
    let o = bin()
        .current_dir(root())
        .args(args)
        .args(["--color", "always"])
        .output()
        .unwrap();
    assert!(esc(&o), "{}", stderr(&o));
    assert!(
        !stdout(&o).contains('\x1b'),
        "the JSON report is never coloured"
    );
    let o = bin()
        .current_dir(root())
        .args(args)
        .args(["--color=never"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!esc(&o));
    // NO_COLOR does not override an explicit --color always.
    let o = bin()
        .current_dir(root())
        .args(args)
        .args(["--color", "always"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(esc(&o));
}

#[test]
fn completions_name_every_subcommand_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        for sub in [
            "audit",
            "collect",
            "diagnose",
            "explain",
            "diff",
            "netcheck",
            "completions",
        ] {
            assert!(text.contains(sub), "{shell}: no {sub}");
        }
        assert!(text.contains("fail-on"), "{shell}: flags too");
    }
    assert!(stdout(&run(&["completions", "powershell"])).contains("Register-ArgumentCompleter"));
}

#[test]
fn the_man_page_is_roff_naming_the_subcommands() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(".TH intune-audit 1"),
        "{}",
        &text[..200.min(text.len())]
    );
    for sub in [
        "audit",
        "collect",
        "diagnose",
        "explain",
        "diff",
        "netcheck",
        "permissions",
    ] {
        assert!(
            text.contains(&format!(".TH \"intune-audit {sub}\""))
                || text.contains(&format!(".TH intune-audit\\ {sub}"))
                || text.contains(&format!("intune\\-audit {sub}")),
            "no section for {sub}"
        );
    }
    assert!(text.contains("\\-\\-fail\\-on"), "options are listed");
}

#[test]
fn explain_renders_markdown_for_a_terminal_and_keeps_json() {
    let o = bin()
        .args(["explain", "windows-mdm-platform-blocked"])
        .env("COLUMNS", "72")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(!text.contains("## "), "{text}");
    assert!(!text.contains('`') && !text.contains("**"), "{text}");
    assert!(
        text.contains("\nRemediation\n1. In the Intune admin center"),
        "{text}"
    );
    let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 72).collect();
    // Only a word that cannot break (a long article anchor) may pass the width.
    assert!(
        long.iter()
            .all(|l| l.split_whitespace().any(|w| w.chars().count() > 40)),
        "{long:?}"
    );
    assert!(stderr(&o).is_empty(), "explain has no verdict line");
    assert!(
        !text.contains('\x1b') && !text.contains('\u{F8F0}'),
        "no colour on a pipe"
    );
    let o = bin()
        .args(["explain", "0x80180014", "--color", "always"])
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(
        text.contains("\x1b[1myour-organization-does-not-support"),
        "{text}"
    );
    assert!(!text.contains("\\x1b"), "styles are not escaped: {text}");
    let o = run(&[
        "explain",
        "windows-mdm-platform-blocked",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["check"]["doc"]
        .as_str()
        .unwrap()
        .contains("## Remediation"));
}

#[test]
fn help_wraps_to_the_width() {
    for cols in ["60", "100"] {
        let o = bin()
            .args(["audit", "--help"])
            .env("COLUMNS", cols)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        let w: usize = cols.parse().unwrap();
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(widest <= w, "{cols}: {widest}\n{text}");
        assert!(widest > w - 15, "{cols}: uses the width ({widest})");
    }
}

/// The broken sample's table report laid out in `cols` columns (stdout is a pipe, so `COLUMNS`
/// decides the width).
fn table_at(cols: &str) -> String {
    let o = bin()
        .args(["audit", "--snapshot"])
        .arg(root().join("examples/tenants/broken.json"))
        .args(["--color", "never", "--max-affected", "2"])
        .env("COLUMNS", cols)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    stdout(&o)
}

/// The table lines (borders and rows) of a report.
fn table_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '╞', '└']))
        .collect()
}

#[test]
fn under_100_columns_the_tables_are_compact_and_each_row_is_one_line() {
    let narrow = table_at("80");
    let lines = table_lines(&narrow);
    assert!(lines.len() > 10, "{narrow}");
    for l in &lines {
        assert!(l.chars().count() <= 80, "{}: {l}", l.chars().count());
    }
    // Compact: status and severity share a cell, no error-code or severity column.
    assert!(
        lines[1].contains("Status") && !lines[1].contains("Severity"),
        "{narrow}"
    );
    assert!(!lines[1].contains("Error codes"), "{narrow}");
    assert!(narrow.contains("┆ FAIL critical ┆"), "{narrow}");
    // One line per finding: the summary table has as many rows as the report has findings,
    // so no row wrapped onto a second line.
    let summary_rows = narrow
        .split("\n\n")
        .find(|b| b.contains("Check"))
        .map(|b| table_lines(b).iter().filter(|l| l.starts_with('│')).count())
        .unwrap_or(0);
    let checks = narrow
        .lines()
        .find(|l| l.contains(" fail, "))
        .map(|l| {
            l.split(", ")
                .filter_map(|p| p.split(' ').next()?.parse::<usize>().ok())
                .sum::<usize>()
        })
        .unwrap_or(0);
    assert_eq!(
        summary_rows,
        checks + 1,
        "header plus one row per check\n{narrow}"
    );
    insta::assert_snapshot!("table_80_columns", narrow);

    let wide = table_at("120");
    let lines = table_lines(&wide);
    assert!(
        lines[1].contains("Severity") && lines[1].contains("Error codes"),
        "{wide}"
    );
    assert!(lines.iter().all(|l| l.chars().count() <= 120), "{wide}");
    insta::assert_snapshot!("table_120_columns", wide);
}

#[test]
fn diagnose_tables_take_a_narrower_width_and_keep_150_otherwise() {
    let widest = |cols: Option<&str>| {
        let mut c = bin();
        c.args(["diagnose", "--snapshot"])
            .arg(root().join("examples/tenants/broken.json"))
            .args(["--error", "0x80180014", "--color", "never"]);
        if let Some(cols) = cols {
            c.env("COLUMNS", cols);
        }
        let o = c.output().unwrap();
        let text = stdout(&o);
        let lines = table_lines(&text);
        assert!(lines.len() > 3, "{text}");
        lines.iter().map(|l| l.chars().count()).max().unwrap_or(0)
    };
    assert!(widest(Some("80")) <= 80);
    let wide = widest(None);
    assert!(wide > 100 && wide <= 150, "{wide}");
}

const SECRET: &str = "S3cr3t~VALUE-that-must-never-be-logged";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_live_run_logs_requests_but_no_token_or_secret() {
    let fixture = intune_audit_checks::Snapshot::from_json(
        &std::fs::read_to_string(root().join("tests/fixtures/live-tenant.json")).unwrap(),
    )
    .unwrap();
    let s = StandIn::start(Config::new(fixture).with_secret(SECRET)).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let mut args: Vec<String> = vec!["collect".into(), "-o".into(), out.display().to_string()];
    args.extend(s.connection_args());
    args.push("-vv".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = standin::run(&argv, &[("AZURE_CLIENT_SECRET", SECRET)], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(out.exists(), "collect -o wrote the snapshot");
    let lines: Vec<&str> = r.stderr.lines().collect();
    let gets = lines
        .iter()
        .filter(|l| {
            l.starts_with("intune-audit: info: GET /v1.0/")
                || l.starts_with("intune-audit: info: GET /beta/")
        })
        .count();
    assert!(gets >= 10, "each Graph request is logged:\n{}", r.stderr);
    assert!(
        lines.iter().any(|l| l.contains("GET /v1.0/users?")
            && l.contains("→ 200 in ")
            && l.ends_with(" ms")),
        "method, path, status and latency:\n{}",
        r.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("POST ") && l.contains("/oauth2/v2.0/token → 200")),
        "the token request, without its body:\n{}",
        r.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("intune-audit: debug: plan: users /v1.0/users?")),
        "-vv logs the plan:\n{}",
        r.stderr
    );
    for needle in [SECRET, "stand-in-access-token", "Bearer", "client_secret"] {
        assert!(
            !r.stderr.contains(needle),
            "{needle} in the log:\n{}",
            r.stderr
        );
    }
    let last = lines.last().copied().unwrap_or("");
    assert!(
        last.contains("(exit 0)") && last.ends_with(&format!("wrote {}", out.display())),
        "{last}"
    );
    // Without -v: no request lines.
    let quiet: Vec<&str> = argv.iter().copied().filter(|a| *a != "-vv").collect();
    let r = standin::run(&quiet, &[("AZURE_CLIENT_SECRET", SECRET)], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("info: GET"), "{}", r.stderr);
}
