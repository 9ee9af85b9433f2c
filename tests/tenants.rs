//! Many tenants in one run (`audit --tenants`), sharded runs and `merge`, against loopback
//! Graph stand-ins: one per tenant, one of them refusing the secret and one answering 403 to
//! everything (consent missing). A failing tenant is a row of the summary, never the end of
//! the run.

mod standin;

use intune_audit_checks::{Resource, Snapshot};
use serde_json::Value;
use standin::{run, Config, StandIn, Step, CLIENT_ID};
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/live-tenant.json";
const SECRET: &str = "right-secret-for-the-stand-in";

fn fixture() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("fixture parses")
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/tenants")
        .join(name)
        .display()
        .to_string()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

struct Fleet {
    dir: tempfile::TempDir,
    _standins: Vec<StandIn>,
}

/// Three live tenants (healthy stand-in, wrong secret, 403 everywhere) and one saved snapshot.
async fn fleet() -> Fleet {
    let dir = tempfile::tempdir().unwrap();
    let ok = StandIn::start(Config::new(fixture()).with_secret(SECRET)).await;
    let wrong_secret = StandIn::start(Config::new(fixture()).with_secret(SECRET)).await;
    let mut denied = Config::new(fixture()).with_secret(SECRET);
    for r in Resource::ALL {
        denied = denied.always(r.key(), Step::status(403));
    }
    let denied = StandIn::start(denied).await;
    std::fs::write(dir.path().join("secret"), SECRET).unwrap();
    std::fs::write(dir.path().join("wrong"), "not-the-secret").unwrap();
    let list = format!(
        r#"# tenants of an MSP; the client id is shared (--client-id), secrets per tenant
[[tenant]]
id = "aaaaaaaa-0000-0000-0000-000000000001"
name = "Contoso"
client_secret_file = "secret"
graph_url = "{ok}"
login_url = "{ok}"

[[tenant]]
id = "bbbbbbbb-0000-0000-0000-000000000002"
name = "Fabrikam"
client_secret_file = "wrong"
graph_url = "{wrong}"
login_url = "{wrong}"

[[tenant]]
id = "cccccccc-0000-0000-0000-000000000003"
name = "Northwind"
client_secret_file = "secret"
graph_url = "{denied}"
login_url = "{denied}"

[[tenant]]
id = "dddddddd-0000-0000-0000-000000000004"
name = "Woodgrove (saved)"
snapshot = "{broken}"
"#,
        ok = ok.base,
        wrong = wrong_secret.base,
        denied = denied.base,
        broken = sample("broken.json"),
    );
    std::fs::write(dir.path().join("tenants.toml"), list).unwrap();
    Fleet {
        dir,
        _standins: vec![ok, wrong_secret, denied],
    }
}

async fn audit_tenants(f: &Fleet, out: &str, extra: &[&str]) -> standin::Run {
    let list = f.dir.path().join("tenants.toml").display().to_string();
    let out = f.dir.path().join(out).display().to_string();
    let mut args = vec![
        "audit",
        "--tenants",
        &list,
        "--out-dir",
        &out,
        "--client-id",
        CLIENT_ID,
        "--auth",
        "client-secret",
        "--retry-base-ms",
        "2",
        "--timeout",
        "10",
        "--max-attempts",
        "2",
    ];
    args.extend_from_slice(extra);
    run(&args, &[], None).await
}

fn row<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {summary:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_is_audited_and_the_failing_ones_are_rows_of_the_summary() {
    let f = fleet().await;
    let r = audit_tenants(&f, "out", &["--parallel", "3"]).await;
    assert_eq!(r.code, 2, "a tenant not audited exits 2\n{}", r.stderr);
    let out = f.dir.path().join("out");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["schema"], "intune-audit/summary");
    let names: Vec<&str> = summary["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // Worst first: the two tenants that could not be audited, then by findings.
    assert_eq!(&names[2..], ["Woodgrove (saved)", "Contoso"], "{names:?}");
    let mut failed = names[..2].to_vec();
    failed.sort();
    assert_eq!(failed, ["Fabrikam", "Northwind"]);

    let fabrikam = row(&summary, "Fabrikam");
    assert_eq!(fabrikam["outcome"], "failed");
    let e = fabrikam["error"].as_str().unwrap();
    assert!(
        e.contains("AADSTS7000215"),
        "the sign-in refusal is named: {e}"
    );
    assert!(!e.contains("not-the-secret"), "no secret in the summary");
    let northwind = row(&summary, "Northwind");
    assert_eq!(northwind["outcome"], "failed");
    assert!(
        northwind["error"]
            .as_str()
            .unwrap()
            .starts_with("nothing was evaluated"),
        "{northwind}"
    );
    assert!(northwind["unread"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u == "users: forbidden"));

    // The audited tenants' reports are the ordinary ones: the same findings as a one-tenant
    // audit of the same data.
    let contoso = row(&summary, "Contoso");
    assert_eq!(contoso["outcome"], "audited");
    let report = read_json(&out.join(contoso["files"]["json"].as_str().unwrap()));
    let snapshot = out.join(contoso["files"]["snapshot"].as_str().unwrap());
    let single = run(
        &[
            "audit",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
        None,
    )
    .await
    .json();
    assert_eq!(report["findings"], single["findings"]);
    assert_eq!(contoso["byStatus"], single["summary"]["by_status"]);
    for kind in ["html", "markdown", "json", "csv", "snapshot"] {
        assert!(
            out.join(contoso["files"][kind].as_str().unwrap()).is_file(),
            "{kind}"
        );
    }
    let woodgrove = row(&summary, "Woodgrove (saved)");
    assert_eq!(
        woodgrove["failsRun"], true,
        "the broken sample fails --fail-on high"
    );
    assert!(
        woodgrove["files"].get("snapshot").is_none(),
        "a saved snapshot is not copied"
    );

    // Each tenant's sign-in went to its own stand-in with its own tenant id.
    assert_eq!(
        f._standins[0].log(|l| l.token_tenants.clone()),
        ["aaaaaaaa-0000-0000-0000-000000000001"]
    );

    // minijinja escapes `/` in HTML as `&#x2f;`, which a browser reads back as `/`.
    let index = std::fs::read_to_string(out.join("index.html"))
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(index.contains("href=\"aaaaaaaa-0000-0000-0000-000000000001/report.html\""));
    assert!(
        index.contains("4 tenants: 2 not audited, 2 failing at or above high, 0 passing"),
        "{index}"
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("| Fabrikam (bbbbbbbb-0000-0000-0000-000000000002) | not audited |"),
        "{md}"
    );
    assert!(r.stderr.contains("Fabrikam: not audited"), "{}", r.stderr);
    assert!(
        r.stderr.contains("wrote "),
        "the verdict line names the files: {}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_split_the_list_and_merge_puts_it_back_together() {
    let f = fleet().await;
    let mut seen = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let r = audit_tenants(&f, &format!("shard-{k}"), &["--shard", &shard]).await;
        let summary = read_json(&f.dir.path().join(format!("shard-{k}/summary.json")));
        assert_eq!(summary["shards"][0], shard.as_str());
        let names: Vec<String> = summary["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect();
        assert!(matches!(r.code, 0..=2), "{}", r.stderr);
        seen.extend(names);
    }
    seen.sort();
    assert_eq!(
        seen,
        ["Contoso", "Fabrikam", "Northwind", "Woodgrove (saved)"],
        "every tenant in exactly one shard"
    );

    // merge takes the folders as CI downloads them (one per shard, under one folder).
    let merged = f.dir.path().join("merged");
    let r = run(
        &[
            "merge",
            f.dir.path().join("shard-1").to_str().unwrap(),
            f.dir.path().join("shard-2/summary.json").to_str().unwrap(),
            f.dir.path().join("shard-3").to_str().unwrap(),
            "--out-dir",
            merged.to_str().unwrap(),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let summary = read_json(&merged.join("summary.json"));
    assert_eq!(summary["tenants"].as_array().unwrap().len(), 4);
    assert_eq!(summary["shards"], serde_json::json!(["1/3", "2/3", "3/3"]));
    for t in summary["tenants"].as_array().unwrap() {
        for (_, path) in t["files"].as_object().unwrap() {
            let file = merged.join(path.as_str().unwrap());
            assert!(file.is_file(), "merged link {} resolves", file.display());
        }
    }
    // The same shard twice is an overlap, not a silent double count.
    let r = run(
        &[
            "merge",
            f.dir.path().join("shard-1").to_str().unwrap(),
            f.dir.path().join("shard-1").to_str().unwrap(),
            "--out-dir",
            merged.to_str().unwrap(),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("in two summaries"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_are_one_line_before_any_tenant_is_read() {
    let f = fleet().await;
    let list = f.dir.path().join("tenants.toml").display().to_string();
    let cases: [(&[&str], &str); 4] = [
        (&["audit", "--tenants", &list], "--tenants needs --out-dir"),
        (
            &[
                "audit",
                "--tenants",
                &list,
                "--out-dir",
                "x",
                "--shard",
                "4/3",
            ],
            "is not a shard K/N",
        ),
        (
            &[
                "audit",
                "--tenants",
                &list,
                "--out-dir",
                "x",
                "--device-code",
            ],
            "needs an app-only sign-in",
        ),
        (
            &["audit", "--tenants", "missing.csv", "--out-dir", "x"],
            "cannot read the tenant list",
        ),
    ];
    for (args, expected) in cases {
        let r = run(args, &[], None).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{args:?}: {}", r.stderr);
    }
    assert!(!Path::new("x").exists(), "nothing written on a usage error");
}
