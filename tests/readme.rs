//! The generated docs (check catalog in docs/checks.md, sample output in
//! docs/sample-output.md) stay in sync with the code. `UPDATE_README=1 cargo test --test
//! readme` rewrites them. The README's own commands use real subcommands and flags, in both
//! their POSIX shell and PowerShell forms.

mod common;
use common::*;

fn replace_between(text: &str, start: &str, end: &str, body: &str) -> String {
    let (head, rest) = text.split_once(start).expect("start marker");
    let (_, tail) = rest.split_once(end).expect("end marker");
    format!("{head}{start}\n{body}{end}{tail}")
}

fn sample_output() -> String {
    let o = run(&[
        "audit",
        "--snapshot",
        "examples/tenants/broken.json",
        "--max-affected",
        "3",
    ]);
    let full = stdout(&o);
    // The summary table and the first two detailed findings are enough for a README.
    let cut = full
        .match_indices("\n── ")
        .nth(2)
        .map(|(i, _)| i)
        .unwrap_or(full.len());
    // … and the observed failures section, from the sample's failure history.
    let observed = full
        .find("\nObserved failures — ")
        .map(|i| {
            let rest = &full[i + 1..];
            let end = rest.find("\nNot evaluated (").unwrap_or(rest.len());
            format!("\n…\n{}", rest[..end].trim_end())
        })
        .unwrap_or_default();
    format!("```text\n$ intune-audit audit --snapshot examples/tenants/broken.json --max-affected 3\n{}{observed}\n…\n```\n", full[..cut].trim_end())
}

/// Rewrites (with UPDATE_README) or checks one generated section of a file.
fn check_generated(rel: &str, start: &str, end: &str, body: &str) {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = replace_between(&text, start, end, body);
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        text == expected,
        "{rel} is stale: run `UPDATE_README=1 cargo test --test readme`"
    );
}

#[test]
fn readme_generated_sections_are_current() {
    check_generated(
        "docs/checks.md",
        "<!-- catalog:start -->",
        "<!-- catalog:end -->",
        &intune_audit::commands::catalog::markdown(),
    );
    check_generated(
        "docs/sample-output.md",
        "<!-- sample:start -->",
        "<!-- sample:end -->",
        &sample_output(),
    );
}

/// Every command in the README's `sh` and `powershell` blocks is a real invocation, and each
/// POSIX block has its PowerShell twin.
#[test]
fn readme_commands_are_real_in_both_shells() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut count = std::collections::BTreeMap::new();
    for lang in ["sh", "powershell"] {
        for inv in common::shell::markdown_invocations(&readme, lang) {
            let sub =
                common::shell::check(&inv).unwrap_or_else(|e| panic!("README {lang} block: {e}"));
            *count.entry((lang, sub)).or_insert(0) += 1;
        }
    }
    let subs: std::collections::BTreeSet<&String> = count.keys().map(|(_, s)| s).collect();
    for sub in [
        "audit",
        "collect",
        "diff",
        "explain",
        "diagnose",
        "completions",
    ] {
        assert!(subs.iter().any(|s| *s == sub), "README shows {sub}");
    }
    // Install lines aside (curl | sh, irm | iex), every command has both forms.
    for ((lang, sub), n) in &count {
        let other = if *lang == "sh" { "powershell" } else { "sh" };
        let m = count.get(&(other, sub.clone())).copied().unwrap_or(0);
        assert!(
            m > 0,
            "README: `{sub}` has a {lang} form but no {other} form ({n})"
        );
    }
    let lines = readme.lines().count();
    assert!((120..=200).contains(&lines), "README is {lines} lines");
}

/// The closing line the README quotes for the sample is the one the binary prints.
#[test]
fn the_readme_quotes_the_samples_real_verdict_line() {
    let o = run(&["audit", "--snapshot", "examples/tenants/broken.json"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("intune-audit: "))
        .expect("a verdict line");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("`{line}`")),
        "README.md should quote `{line}`"
    );
}
