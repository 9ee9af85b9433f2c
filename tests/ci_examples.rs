//! The CI examples in examples/ci/ are valid YAML, have the shape their platform needs, and
//! call intune-audit only with subcommands and flags that exist (and values it accepts): a
//! renamed flag fails this test.

mod common;
use common::shell::{check, fenced, invocations, markdown_invocations, scripts};
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

/// docs/reports.md and the README's reports section: the TOML examples are valid
/// configurations (docs/reports.md has at least one) and the shell examples use real
/// subcommands and flags.
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
        assert!(
            name == "README.md" || !tomls.is_empty(),
            "{name}: a configuration example"
        );
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

/// The many-tenant examples: a GitHub Actions matrix (one shard per job, then `merge`) and a
/// Kubernetes Indexed Job; both call intune-audit only with real flags and values, and the
/// tenant lists beside them parse.
#[test]
fn many_tenant_examples_are_valid_and_use_real_flags() {
    let doc = load("github-actions-many-tenants.yml");
    let matrix = doc["jobs"]["audit"]["strategy"]["matrix"]["shard"]
        .as_sequence()
        .expect("a shard matrix");
    let n = matrix.len();
    assert_eq!(
        doc["jobs"]["audit"]["env"]["SHARD"].as_str(),
        Some(format!("${{{{ matrix.shard }}}}/{n}").as_str()),
        "SHARD is K/N with N the matrix size"
    );
    assert_eq!(doc["jobs"]["merge"]["needs"].as_str(), Some("audit"));
    let mut all = Vec::new();
    scripts(&doc, &mut all);
    let mut subs = Vec::new();
    for script in &all {
        // The shell expands "$SHARD" to K/N (set above); check with the first shard.
        let script = script.replace("\"$SHARD\"", "1/4");
        for inv in invocations(&script) {
            subs.push(check(&inv).unwrap_or_else(|e| panic!("{e}")));
        }
    }
    subs.sort();
    assert_eq!(subs, ["audit", "merge"]);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/kubernetes/indexed-job.yaml")).unwrap();
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .collect();
    let job = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("Job"))
        .expect("a Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_u64().expect("completions");
    let pod = &spec["template"]["spec"];
    assert_eq!(
        spec["template"]["metadata"]["labels"]["azure.workload.identity/use"].as_str(),
        Some("true"),
        "workload identity injects the federated token"
    );
    let account = pod["serviceAccountName"].as_str().unwrap();
    assert!(docs
        .iter()
        .any(|d| d["kind"].as_str() == Some("ServiceAccount")
            && d["metadata"]["name"].as_str() == Some(account)));
    let container = &pod["containers"][0];
    let env: Vec<&str> = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    let args: Vec<String> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_str().expect("string args").to_string();
            // Kubernetes expands $(VAR) from the container's env only.
            if let Some(var) = a.split("$(").nth(1).and_then(|r| r.split(')').next()) {
                assert!(env.contains(&var), "$({var}) is not in the container's env");
            }
            a
        })
        .collect();
    let at = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .map(|i| args[i + 1].clone())
    };
    assert_eq!(
        at("--shard-count"),
        Some(completions.to_string()),
        "one shard per index"
    );
    assert_eq!(at("--auth").as_deref(), Some("federated-token"));
    assert_eq!(check(&args).as_deref(), Ok("audit"));

    let scale = std::fs::read_to_string(root.join("docs/scale.md")).unwrap();
    let mut documented = 0;
    for lang in ["sh", "powershell"] {
        for inv in markdown_invocations(&scale, lang) {
            check(&inv).unwrap_or_else(|e| panic!("docs/scale.md {lang} block: {e}"));
            documented += 1;
        }
    }
    assert!(
        documented >= 4,
        "docs/scale.md shows audit --tenants and merge"
    );

    for list in ["examples/msp-tenants.toml", "examples/msp-tenants.csv"] {
        let tenants = intune_audit::fleet::list::load(&root.join(list))
            .unwrap_or_else(|e| panic!("{list}: {e:#}"));
        assert!(tenants.len() >= 3, "{list}");
        let shared = shared_sign_in();
        for t in tenants.iter().filter(|t| t.snapshot.is_none()) {
            t.sign_in(&shared)
                .unwrap_or_else(|e| panic!("{list}: {e:#}"));
        }
    }
}

/// The sign-in of `--auth certificate --client-id …` as the command line builds it.
fn shared_sign_in() -> intune_audit::signin::SignIn {
    use clap::Parser;
    let cli = intune_audit::cli::Cli::try_parse_from([
        "intune-audit",
        "collect",
        "--out",
        "x.json",
        "--auth",
        "certificate",
        "--client-id",
        "00000000-0000-0000-0000-000000000001",
    ])
    .expect("flags parse");
    match cli.command {
        intune_audit::cli::Command::Collect(args) => args.connect.sign_in(),
        _ => unreachable!(),
    }
}
