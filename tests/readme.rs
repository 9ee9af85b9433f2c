//! The README's generated parts (check catalog, sample output) stay in sync with the code.
//! `UPDATE_README=1 cargo test --test readme` rewrites them.

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

#[test]
fn readme_generated_sections_are_current() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let catalog = intune_audit::commands::catalog::markdown();
    let expected = replace_between(
        &readme,
        "<!-- catalog:start -->",
        "<!-- catalog:end -->",
        &catalog,
    );
    let expected = replace_between(
        &expected,
        "<!-- sample:start -->",
        "<!-- sample:end -->",
        &sample_output(),
    );
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        readme == expected,
        "README.md is stale: run `UPDATE_README=1 cargo test --test readme`"
    );
}
