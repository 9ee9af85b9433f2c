//! The CI examples in examples/ci/ are valid YAML, have the shape their platform needs, and
//! call intune-audit only with subcommands and flags that exist (and values it accepts): a
//! renamed flag fails this test.

mod common;
use common::shell::{check, invocations, scripts};
use serde_yaml::Value;
use std::path::Path;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn load_action() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    serde_yaml::from_str(&text).expect("action.yml is YAML")
}

/// Every invocation in a file, checked; returns the subcommands used.
fn check_file(name: &str) -> Vec<String> {
    let doc = load(name);
    let mut all = Vec::new();
    scripts(&doc, &mut all);
    let mut subs = Vec::new();
    let mut errors = Vec::new();
    for script in &all {
        for inv in invocations(script) {
            match check(&inv) {
                Ok(s) => subs.push(s),
                Err(e) => errors.push(e),
            }
        }
    }
    assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
    subs
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

#[test]
fn github_actions_example_is_valid_and_uses_real_flags() {
    let doc = load("github-actions.yml");
    assert!(get(&doc, &["on", "schedule"])[0]["cron"].as_str().is_some());
    assert!(get(&doc, &["on"])
        .as_mapping()
        .unwrap()
        .contains_key("workflow_dispatch"));
    for (k, v) in [
        ("id-token", "write"),
        ("security-events", "write"),
        ("contents", "read"),
    ] {
        assert_eq!(
            get(&doc, &["permissions", k]).as_str(),
            Some(v),
            "permissions.{k}"
        );
    }
    let job = get(&doc, &["jobs", "audit"]);
    let env = &job["env"];
    assert!(env["AZURE_TENANT_ID"].as_str().is_some() && env["AZURE_CLIENT_ID"].as_str().is_some());
    let uses: Vec<&str> = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    // The intune-audit action (action.yml, checked by tests/release_files.rs) installs the
    // released binary, collects, audits, uploads SARIF and keeps the snapshot and reports.
    for action in [
        "intune-audit/intune-audit@",
        "actions/upload-artifact@",
        "dawidd6/action-download-artifact@",
    ] {
        assert!(
            uses.iter().any(|u| u.starts_with(action)),
            "{action} in {uses:?}"
        );
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/github-actions.yml"),
    )
    .unwrap();
    assert!(text.contains("$GITHUB_STEP_SUMMARY"));
    assert!(
        !text.contains("secrets."),
        "no secret: the federated credential"
    );
    let step = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("intune-audit/intune-audit@"))
        })
        .unwrap();
    let action = load_action();
    for (input, _) in step["with"].as_mapping().unwrap() {
        let input = input.as_str().unwrap();
        assert!(
            action["inputs"][input].is_mapping(),
            "the action has no input {input}"
        );
    }
    let mut subs = check_file("github-actions.yml");
    subs.sort();
    subs.dedup();
    assert_eq!(subs, ["diff"]);
}

#[test]
fn azure_pipelines_example_is_valid_and_uses_real_flags() {
    let doc = load("azure-pipelines.yml");
    assert!(doc["schedules"][0]["cron"].as_str().is_some());
    let tasks: Vec<&str> = doc["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["task"].as_str())
        .collect();
    for task in [
        "AzureCLI@2",
        "PublishTestResults@2",
        "PublishPipelineArtifact@1",
        "DownloadPipelineArtifact@2",
    ] {
        assert!(tasks.contains(&task), "{task} in {tasks:?}");
    }
    let junit = doc["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["task"].as_str() == Some("PublishTestResults@2"))
        .unwrap();
    assert_eq!(junit["inputs"]["testResultsFormat"].as_str(), Some("JUnit"));
    let mut subs = check_file("azure-pipelines.yml");
    subs.sort();
    subs.dedup();
    assert_eq!(subs, ["audit", "collect", "diff"]);
}

#[test]
fn the_checker_catches_renamed_flags_and_subcommands() {
    let script = "set -e\nmkdir -p x && intune-audit audit --snapshot s.json \\\n  --outptu r.html\necho \"intune-audit is fine in quotes\"\nFOO=1 intune-audit difff a b > out.md\nintune-audit audit --snapshot s.json --fail-on severe";
    let invs = invocations(script);
    assert_eq!(invs.len(), 3, "{invs:?}");
    assert_eq!(
        check(&invs[0]).unwrap_err(),
        "'intune-audit audit' has no flag --outptu"
    );
    assert_eq!(check(&invs[1]).unwrap_err(), "no subcommand 'difff'");
    assert!(
        check(&invs[2]).unwrap_err().contains("severe"),
        "values are checked too"
    );
    let ok = invocations(
        "intune-audit diff \"$prev\" new.json --format markdown -o d.md # comment --nope",
    );
    assert_eq!(check(&ok[0]).as_deref(), Ok("diff"));
}

/// The fenced blocks of one language in Markdown text.
fn fenced<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let open = format!("```{lang}\n");
    text.match_indices(&open)
        .filter_map(|(i, _)| {
            let body = &text[i + open.len()..];
            body.find("```").map(|end| &body[..end])
        })
        .collect()
}

/// docs/reports.md and the README's reports section: the TOML examples are valid
/// configurations and the shell examples use real subcommands and flags.
#[test]
fn documented_examples_are_real() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/reports.md")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let (_, section) = readme
        .split_once("## Reports, configuration and drift\n")
        .expect("README section");
    let section = section.split("\n## ").next().unwrap_or(section);
    for (name, text) in [("docs/reports.md", docs.as_str()), ("README.md", section)] {
        let tomls = fenced(text, "toml");
        assert!(!tomls.is_empty(), "{name}: a configuration example");
        for t in tomls {
            intune_audit::config::Config::parse(t, name)
                .unwrap_or_else(|e| panic!("{name}: documented configuration is invalid: {e}"));
        }
        let mut n = 0;
        for sh in fenced(text, "sh") {
            for inv in invocations(sh) {
                check(&inv).unwrap_or_else(|e| panic!("{name}: {e}"));
                n += 1;
            }
        }
        assert!(n >= 2, "{name}: {n} commands");
    }
}
