//! Release packaging that cannot run here (GitHub Actions, Azure Pipelines, Docker, Windows)
//! is checked as files: the release workflow, the action, the Azure template and the
//! installers parse and call intune-audit only with real subcommands, flags and values; asset
//! names agree between the workflow, the installers and the package manifests; the Dockerfile
//! builds a non-root image whose entrypoint is the binary; LICENSE, CHANGELOG and the README's
//! Rust version agree with Cargo.toml. `install.sh` runs for real against a loopback server.

mod common;
use common::shell::{check, invocations, scripts};
use common::*;
use serde_yaml::Value;

fn text(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&text(path)).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

/// Checks every invocation in the scripts of a YAML document; returns the subcommands used.
/// `vars` substitutes shell variables whose values come from inputs (checked separately).
fn checked_subcommands(path: &str, doc: &Value, vars: &[(&str, &str)]) -> Vec<String> {
    let mut all = Vec::new();
    scripts(doc, &mut all);
    let all: Vec<String> = all
        .into_iter()
        .map(|s| vars.iter().fold(s, |s, (var, value)| s.replace(var, value)))
        .collect();
    subcommands_of(path, &all)
}

fn subcommands_of(path: &str, scripts: &[String]) -> Vec<String> {
    let mut subs = Vec::new();
    let mut errors = Vec::new();
    for script in scripts {
        for inv in invocations(script) {
            match check(&inv) {
                Ok(s) => subs.push(s),
                Err(e) => errors.push(e),
            }
        }
    }
    assert!(errors.is_empty(), "{path}:\n{}", errors.join("\n"));
    subs.sort();
    subs.dedup();
    subs
}

fn uses(steps: &Value) -> Vec<String> {
    steps
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|st| st["uses"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The release targets: (target, archive extension).
fn release_targets() -> Vec<(String, String)> {
    let doc = yaml(".github/workflows/release.yml");
    doc["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("a build matrix")
        .iter()
        .map(|m| {
            (
                m["target"].as_str().unwrap().to_string(),
                m["archive"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn release_workflow_builds_every_platform_with_checksums_and_attestations() {
    let path = ".github/workflows/release.yml";
    let doc = yaml(path);
    assert!(doc["on"]["push"]["tags"][0]
        .as_str()
        .unwrap()
        .starts_with('v'));
    let targets: Vec<String> = release_targets().into_iter().map(|(t, _)| t).collect();
    for t in [
        "x86_64-pc-windows-msvc",
        "aarch64-pc-windows-msvc",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-unknown-linux-musl",
    ] {
        assert!(targets.iter().any(|x| x == t), "{t} in {targets:?}");
    }
    for (t, archive) in release_targets() {
        let want = if t.contains("windows") {
            "zip"
        } else {
            "tar.gz"
        };
        assert_eq!(archive, want, "{t}");
    }
    let build = &doc["jobs"]["build"];
    assert_eq!(build["permissions"]["id-token"].as_str(), Some("write"));
    assert_eq!(build["permissions"]["attestations"].as_str(), Some("write"));
    let build_uses = uses(&build["steps"]);
    assert!(
        build_uses
            .iter()
            .any(|u| u.starts_with("actions/attest-build-provenance@")),
        "{build_uses:?}"
    );
    let publish = &doc["jobs"]["publish"];
    assert_eq!(publish["permissions"]["contents"].as_str(), Some("write"));
    let all = text(path);
    for needle in [
        "SHA256SUMS",
        "shasum -a 256",
        "gh release create",
        "--release --locked",
        "packaging/winget/intune-audit.yaml",
        "packaging/scoop/intune-audit.json",
        "install.sh",
        "install.ps1",
    ] {
        assert!(all.contains(needle), "{path}: {needle}");
    }
    // The minimum Rust version is checked in CI.
    assert!(all.contains("rust-version"), "{path}: MSRV job");
    let subs = checked_subcommands(path, &doc, &[]);
    assert_eq!(subs, ["--version", "audit", "checks"], "smoke tests");
}

#[test]
fn the_action_downloads_the_release_signs_in_with_oidc_and_publishes() {
    let path = "action.yml";
    let doc = yaml(path);
    assert_eq!(doc["runs"]["using"].as_str(), Some("composite"));
    for input in [
        "tenant-id",
        "client-id",
        "formats",
        "fail-on",
        "config",
        "version",
    ] {
        assert!(doc["inputs"][input].is_mapping(), "input {input}");
    }
    for input in ["tenant-id", "client-id"] {
        assert_eq!(doc["inputs"][input]["required"].as_bool(), Some(true));
    }
    // The default --fail-on is a value the CLI accepts.
    let fail_on = doc["inputs"]["fail-on"]["default"].as_str().unwrap();
    check(&[
        "audit".into(),
        "--snapshot".into(),
        "t.json".into(),
        "--fail-on".into(),
        fail_on.into(),
    ])
    .unwrap();
    let steps = &doc["runs"]["steps"];
    let used = uses(steps);
    for action in [
        "github/codeql-action/upload-sarif@",
        "actions/upload-artifact@",
    ] {
        assert!(
            used.iter().any(|u| u.starts_with(action)),
            "{action} in {used:?}"
        );
    }
    let all = text(path);
    assert!(all.contains("$GITHUB_STEP_SUMMARY"));
    assert!(all.contains("install.sh") && all.contains("install.ps1"));
    assert!(!all.contains("cargo "), "no compile: the released binary");
    assert!(!all.contains("secrets."), "no secret: the OIDC token");
    let mut run_scripts = Vec::new();
    scripts(&doc, &mut run_scripts);
    let oidc = run_scripts
        .iter()
        .flat_map(|s| invocations(s))
        .any(|inv| inv.windows(2).any(|w| w == ["--auth", "github-oidc"]));
    assert!(oidc, "signs in with the runner's OIDC token");
    let subs = checked_subcommands(path, &doc, &[("$FAIL_ON", fail_on)]);
    assert_eq!(subs, ["audit", "collect"]);
}

#[test]
fn azure_pipelines_template_downloads_the_release() {
    let path = "examples/ci/azure-pipelines-template.yml";
    let doc = yaml(path);
    let params: Vec<&str> = doc["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in ["serviceConnection", "version", "failOn", "config"] {
        assert!(params.contains(&p), "{p} in {params:?}");
    }
    // Every failOn value the template allows is one the CLI accepts.
    let fail_on = doc["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some("failOn"))
        .unwrap();
    for v in fail_on["values"].as_sequence().unwrap() {
        let v = v.as_str().unwrap();
        check(&[
            "audit".into(),
            "--snapshot".into(),
            "t.json".into(),
            "--fail-on".into(),
            v.into(),
        ])
        .unwrap_or_else(|e| panic!("failOn {v}: {e}"));
    }
    let tasks: Vec<&str> = doc["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["task"].as_str())
        .collect();
    for t in [
        "AzureCLI@2",
        "PublishTestResults@2",
        "PublishPipelineArtifact@1",
    ] {
        assert!(tasks.contains(&t), "{t} in {tasks:?}");
    }
    let all = text(path);
    assert!(all.contains("install.sh") && all.contains("install.ps1"));
    assert!(!all.contains("cargo "), "no compile");
    let default = fail_on["default"].as_str().unwrap();
    let subs = checked_subcommands(path, &doc, &[("$FAIL_ON", default)]);
    assert_eq!(subs, ["audit", "collect"]);
    // The nightly example installs the released binary too.
    assert!(!text("examples/ci/azure-pipelines.yml").contains("cargo install"));
}

#[test]
fn installers_fetch_the_release_assets_verify_checksums_and_use_real_flags() {
    let sh = text("install.sh");
    let ps = text("install.ps1");
    for (target, archive) in release_targets() {
        let (installer, name) = if target.contains("windows") {
            (&ps, "install.ps1")
        } else {
            (&sh, "install.sh")
        };
        assert!(
            installer.contains(&target),
            "{name} knows the {target} asset"
        );
        let ext_in_installer = if archive == "zip" {
            "intune-audit-$target.zip"
        } else {
            "intune-audit-$target.tar.gz"
        };
        assert!(
            installer.contains(ext_in_installer),
            "{name}: {ext_in_installer}"
        );
    }
    for (name, t) in [("install.sh", &sh), ("install.ps1", &ps)] {
        assert!(t.contains("SHA256SUMS"), "{name} verifies checksums");
        assert!(
            t.contains("checksum mismatch"),
            "{name} refuses a bad checksum"
        );
    }
    assert!(ps.contains("Get-FileHash -Algorithm SHA256"));
    assert_eq!(
        subcommands_of("install.sh", std::slice::from_ref(&sh)),
        ["--version"]
    );
    assert_eq!(
        subcommands_of("install.ps1", std::slice::from_ref(&ps)),
        ["--version"]
    );
    if let Ok(o) = std::process::Command::new("sh")
        .args(["-n", "install.sh"])
        .current_dir(root())
        .output()
    {
        assert!(o.status.success(), "sh -n install.sh: {}", stderr(&o));
    }
}

#[test]
fn package_manifests_point_at_the_windows_assets() {
    let scoop: serde_json::Value =
        serde_json::from_str(&text("packaging/scoop/intune-audit.json")).expect("scoop JSON");
    assert_eq!(scoop["bin"], "intune-audit.exe");
    assert_eq!(scoop["license"], "MIT");
    let url = scoop["architecture"]["64bit"]["url"].as_str().unwrap();
    assert!(
        url.ends_with("/intune-audit-x86_64-pc-windows-msvc.zip"),
        "{url}"
    );
    let url = scoop["architecture"]["arm64"]["url"].as_str().unwrap();
    assert!(
        url.ends_with("/intune-audit-aarch64-pc-windows-msvc.zip"),
        "{url}"
    );
    let winget = yaml("packaging/winget/intune-audit.yaml");
    assert_eq!(winget["ManifestType"].as_str(), Some("singleton"));
    assert_eq!(winget["NestedInstallerType"].as_str(), Some("portable"));
    assert_eq!(
        winget["NestedInstallerFiles"][0]["RelativeFilePath"].as_str(),
        Some("intune-audit.exe")
    );
    let archs: Vec<&str> = winget["Installers"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|i| i["Architecture"].as_str())
        .collect();
    assert_eq!(archs, ["x64", "arm64"]);
    let release = text(".github/workflows/release.yml");
    for placeholder in [
        "{{VERSION}}",
        "{{SHA256_X64}}",
        "{{SHA256_ARM64}}",
        "{{REPO}}",
    ] {
        assert!(
            release.contains(placeholder),
            "the release fills {placeholder}"
        );
    }
}

/// `FROM` lines and instructions of the last stage.
fn final_stage(dockerfile: &str) -> (String, Vec<String>) {
    let lines: Vec<String> = dockerfile
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let last_from = lines
        .iter()
        .rposition(|l| l.to_ascii_uppercase().starts_with("FROM "))
        .expect("a FROM");
    (lines[last_from].clone(), lines[last_from + 1..].to_vec())
}

#[test]
fn dockerfile_is_static_non_root_with_the_binary_as_entrypoint() {
    let df = text("Dockerfile");
    let (from, stage) = final_stage(&df);
    assert!(
        from.contains("gcr.io/distroless/static") || from.contains("scratch"),
        "{from}"
    );
    let user = stage
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER in the final stage");
    let who = user[5..].split(':').next().unwrap_or("").trim();
    assert!(!["root", "0", ""].contains(&who), "{user}");
    let entry = stage
        .iter()
        .find(|l| l.starts_with("ENTRYPOINT "))
        .expect("an ENTRYPOINT");
    let entry: Vec<String> = serde_json::from_str(&entry[11..]).expect("exec-form ENTRYPOINT");
    assert!(entry[0].ends_with("/intune-audit"), "{entry:?}");
    assert!(
        stage
            .iter()
            .any(|l| l.starts_with("COPY --from=") && l.ends_with(&format!(" {}", entry[0]))),
        "the entrypoint is the binary copied from the build stage"
    );
    // A distroless/static base carries CA certificates; scratch needs them copied.
    if from.contains("scratch") {
        assert!(stage.iter().any(|l| l.contains("ca-certificates")));
    }
    // No secret goes into the image.
    for l in df.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let upper = l.to_ascii_uppercase();
        if upper.starts_with("ENV ") || upper.starts_with("ARG ") {
            for bad in ["SECRET", "TOKEN", "PASSWORD", "AZURE_CLIENT"] {
                assert!(!upper.contains(bad), "{l}");
            }
        }
        if upper.starts_with("COPY ") || upper.starts_with("ADD ") {
            for bad in [".pem", ".key", ".pfx", ".env", "secret"] {
                assert!(!l.to_ascii_lowercase().contains(bad), "{l}");
            }
        }
    }
    assert!(
        df.contains("--locked"),
        "the lockfile decides the dependencies"
    );
    let ignore = text(".dockerignore");
    for pattern in ["target/", ".git/", "*.pem", ".env"] {
        assert!(
            ignore.lines().any(|l| l.trim() == pattern),
            ".dockerignore: {pattern}"
        );
    }
    // Build it where Docker works; here (no daemon) the file checks above are the test.
    let docker = std::process::Command::new("docker").arg("info").output();
    if !docker.is_ok_and(|o| o.status.success()) {
        eprintln!("docker is not usable here: the image build is skipped");
        return;
    }
    let tag = "intune-audit-test:latest";
    let o = std::process::Command::new("docker")
        .args(["build", "-t", tag, "."])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "docker build: {}", stderr(&o));
    let o = std::process::Command::new("docker")
        .args(["run", "--rm", tag, "--version"])
        .output()
        .unwrap();
    assert!(stdout(&o).starts_with("intune-audit "), "{}", stderr(&o));
}

#[test]
fn license_changelog_and_rust_version_agree_with_cargo_toml() {
    let cargo = text("Cargo.toml");
    assert!(cargo.contains("license = \"MIT\""));
    let license = text("LICENSE");
    assert!(license.starts_with("MIT License"));
    assert!(license.contains("the intune-audit authors"));
    let changelog = text("CHANGELOG.md");
    assert!(changelog.contains("Keep a Changelog") && changelog.contains("## [Unreleased]"));
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("version");
    assert!(
        changelog.contains(&format!("## [{version}]")),
        "CHANGELOG has {version}"
    );
    let msrv = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("rust-version");
    assert!(
        text("README.md").contains(&format!("Rust {msrv} or newer")),
        "the README states rust-version {msrv}"
    );
    assert!(
        text(".ci/run").contains("rust-version"),
        ".ci/run checks it"
    );
    assert!(text("Dockerfile").contains(&format!("RUST_VERSION={msrv}")));
}

/// A loopback HTTP server for a folder (GET only), for the installer test.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn serve(dir: &std::path::Path) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dir = dir.to_path_buf();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(2).flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap_or(0);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let name = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let mut s = stream;
            match std::fs::read(dir.join(name)) {
                Ok(body) => {
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(&body);
                }
                Err(_) => {
                    let _ = write!(
                        s,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
            }
        }
    });
    (base, handle)
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn install_sh_verifies_the_checksum_and_installs_the_binary() {
    if !["curl", "tar", "sha256sum"].iter().all(|t| have(t)) {
        eprintln!("curl, tar or sha256sum missing: skipped");
        return;
    }
    let dist = tempfile::tempdir().unwrap();
    let stage = tempfile::tempdir().unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_intune-audit"),
        stage.path().join("intune-audit"),
    )
    .unwrap();
    let asset = "intune-audit-x86_64-unknown-linux-musl.tar.gz";
    let sh = |cmd: &str, dir: &std::path::Path| {
        let o = std::process::Command::new("sh")
            .args(["-c", cmd])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{cmd}: {}", stderr(&o));
    };
    sh(
        &format!(
            "tar -czf {}/{asset} -C {} intune-audit",
            dist.path().display(),
            stage.path().display()
        ),
        dist.path(),
    );
    sh(&format!("sha256sum {asset} > SHA256SUMS"), dist.path());
    let bin = tempfile::tempdir().unwrap();
    let (base, server) = serve(dist.path());
    let o = std::process::Command::new("sh")
        .arg(root().join("install.sh"))
        .args(["--base-url", &base, "--to"])
        .arg(bin.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("intune-audit "),
        "runs the installed binary: {}",
        stdout(&o)
    );
    assert!(bin.path().join("intune-audit").exists());
    server.join().unwrap();
    // A tampered archive is refused and nothing is installed.
    std::fs::write(
        dist.path().join("SHA256SUMS"),
        format!("{} {asset}\n", "0".repeat(64)),
    )
    .unwrap();
    let bin2 = tempfile::tempdir().unwrap();
    let (base, server) = serve(dist.path());
    let o = std::process::Command::new("sh")
        .arg(root().join("install.sh"))
        .args(["--base-url", &base, "--to"])
        .arg(bin2.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("checksum mismatch"), "{}", stderr(&o));
    assert!(!bin2.path().join("intune-audit").exists());
    server.join().unwrap();
}

#[test]
fn ci_workflow_runs_ci_run_on_linux_and_the_tests_on_windows() {
    let path = ".github/workflows/ci.yml";
    let doc = yaml(path);
    assert!(doc["on"]["pull_request"].is_mapping() || doc["on"]["pull_request"].is_null());
    assert!(doc["on"]["push"].is_mapping(), "{path}: runs on push");
    assert_eq!(doc["permissions"]["contents"].as_str(), Some("read"));
    let runs = |job: &str| -> Vec<String> {
        doc["jobs"][job]["steps"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{path}: job {job} has steps"))
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_string))
            .collect()
    };
    let linux = &doc["jobs"]["linux"];
    assert_eq!(linux["runs-on"].as_str(), Some("ubuntu-latest"));
    assert!(runs("linux").iter().any(|r| r.trim() == "bash .ci/run"));
    assert!(root().join(".ci/run").exists());

    let windows = &doc["jobs"]["windows"];
    assert_eq!(windows["runs-on"].as_str(), Some("windows-latest"));
    let w = runs("windows");
    assert!(
        w.iter()
            .any(|r| r.trim() == "cargo test --workspace --locked"),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|r| r.contains("cargo check") && r.contains("--target aarch64-pc-windows-msvc")),
        "{w:?}"
    );
    // CRLF conversion is off before the checkout (fixtures and snapshots compare bytes).
    let steps = windows["steps"].as_sequence().unwrap();
    let crlf = steps.iter().position(|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("core.autocrlf false"))
    });
    let checkout = steps.iter().position(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/checkout@"))
    });
    assert!(
        matches!((crlf, checkout), (Some(a), Some(b)) if a < b),
        "{crlf:?} {checkout:?}"
    );
    // The toolchain installs the ARM64 target the check needs.
    assert!(
        steps.iter().any(|s| s["with"]["targets"]
            .as_str()
            .is_some_and(|t| t.contains("aarch64-pc-windows-msvc"))),
        "{path}: aarch64 target installed"
    );
    // The workflow calls cargo with flags cargo has, and never the tool itself.
    assert!(checked_subcommands(path, &doc, &[]).is_empty());
    let mut all_runs = w.clone();
    all_runs.extend(runs("linux"));
    for r in all_runs.iter().filter(|r| r.starts_with("cargo ")) {
        for flag in r.split_whitespace().filter(|f| f.starts_with("--")) {
            assert!(
                ["--workspace", "--locked", "--all-targets", "--target"].contains(&flag),
                "{path}: unexpected flag {flag} in {r:?}"
            );
        }
    }
}

/// The Windows job compiles every test, bench and the simulator: a Unix-only API (`std::os::unix`,
/// `libc`, Unix signals) must sit under a `cfg(unix)` (on the item or an enclosing module).
#[test]
fn unix_only_apis_are_behind_cfg_unix() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "sim", "examples", "checks/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    let needles = ["std::os::unix", "libc::", "signal::unix", "os::fd::"];
    let mut unguarded = Vec::new();
    // This file names the APIs in strings.
    files.retain(|f| !f.ends_with("tests/release_files.rs"));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // A file gated as a whole (`#![cfg(unix)]`, e.g. a test that sends signals).
        if text.lines().any(|l| l.trim() == "#![cfg(unix)]") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !needles.iter().any(|n| code.contains(n)) {
                continue;
            }
            if !guarded(&lines[..i], line) {
                unguarded.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        unguarded.is_empty(),
        "Unix-only APIs without cfg(unix):\n{}",
        unguarded.join("\n")
    );
}

/// Whether `line` (after `before`) is under `cfg(unix)`: an attribute right above it or above
/// one of the items or blocks enclosing it (each found as the nearest line above with less
/// indentation).
fn guarded(before: &[&str], line: &str) -> bool {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut level = indent(line);
    if attributes_say_unix(before) {
        return true;
    }
    for i in (0..before.len()).rev() {
        let l = before[i];
        let t = l.trim_start();
        let opener = !t.is_empty() && !t.starts_with(['}', ')', ']', '#', '/']);
        if opener && indent(l) < level {
            level = indent(l);
            if attributes_say_unix(&before[..i]) {
                return true;
            }
            if level == 0 {
                break;
            }
        }
    }
    false
}

/// Whether the attributes (and doc comments) at the end of `lines` include a `cfg` on unix.
fn attributes_say_unix(lines: &[&str]) -> bool {
    lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|t| t.starts_with("#[") || t.starts_with("//"))
        .any(|t| t.starts_with("#[cfg(") && t.contains("unix") && !t.contains("not(unix)"))
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
