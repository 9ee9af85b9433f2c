//! Live `diagnose` against the loopback stand-in serving the broken sample: it reads only the
//! subject's objects (a counted handful of requests, not the tenant) and reaches exactly the
//! verdicts of the offline diagnosis of the same file.

mod standin;

use intune_audit_checks::Snapshot;
use serde_json::Value;
use standin::{run, Config, StandIn, CLIENT_ID, TENANT};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SECRET: &str = "diagnose-live-test-secret";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tenants/broken.json")
}

async fn run_json(args: &[String]) -> (Option<i32>, Value, String) {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv, &[("AZURE_CLIENT_SECRET", SECRET)], None).await;
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|_| panic!("JSON from {args:?}: {}", out.stderr));
    (Some(out.code), json, out.stderr)
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// check → verdict.
fn verdicts(d: &Value) -> BTreeMap<String, String> {
    d["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let check = c["finding"]["check"].as_str().unwrap_or("").to_string();
            (check, c["verdict"].as_str().unwrap().to_string())
        })
        .collect()
}

/// The first affected user and Autopilot device of every failing check of the sample.
async fn subjects(sample: &str) -> Vec<(&'static str, String)> {
    let (_, report, _) =
        run_json(&args(&["audit", "--snapshot", sample, "--format", "json"])).await;
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for f in report["findings"].as_array().unwrap() {
        for (kind, flag) in [("user", "--user"), ("autopilot_device", "--device")] {
            let first = f["affected"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["kind"] == kind);
            if let Some(id) = first.and_then(|a| a["id"].as_str()) {
                if !out.iter().any(|(_, i)| i == id) {
                    out.push((flag, id.to_string()));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_diagnosis_reads_little_and_agrees_with_the_offline_one() {
    let path = sample();
    let text = std::fs::read_to_string(&path).unwrap();
    let snapshot = Snapshot::from_json(&text).unwrap();
    let s = StandIn::start(Config::new(snapshot.clone()).with_secret(SECRET)).await;
    let sample = path.to_str().unwrap();
    let live_flags = args(&[
        "--graph-url",
        &s.base,
        "--login-url",
        &s.base,
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--retry-base-ms",
        "2",
    ]);
    let mut subjects = subjects(sample).await;
    assert!(subjects.len() >= 10, "{subjects:?}");
    // Help desks read serials off the device: look one up by serial too.
    let serial = subjects
        .iter()
        .find(|(f, _)| *f == "--device")
        .and_then(|(_, id)| {
            let devices =
                &snapshot.entry(intune_audit_checks::Resource::WindowsAutopilotDeviceIdentities);
            devices
                .and_then(|e| e.items.iter().find(|d| d["id"] == id.as_str()))
                .and_then(|d| d["serialNumber"].as_str())
                .map(str::to_string)
        });
    subjects.push((
        "--device",
        serial.expect("an Autopilot device with a serial"),
    ));
    let mut most = 0;
    for (flag, id) in &subjects {
        let offline = args(&[
            "diagnose",
            "--snapshot",
            sample,
            flag,
            id,
            "--format",
            "json",
        ]);
        let (code_offline, d_offline, _) = run_json(&offline).await;
        let before = s.log(|l| l.requests.len());
        let mut live = args(&["diagnose", flag, id, "--format", "json"]);
        live.extend(live_flags.iter().cloned());
        let (code_live, d_live, stderr) = run_json(&live).await;
        let requests = s.log(|l| {
            l.requests[before..]
                .iter()
                .filter(|(_, p)| !p.contains("/oauth2/"))
                .count()
        });
        most = most.max(requests);
        assert_eq!(
            verdicts(&d_live),
            verdicts(&d_offline),
            "{flag} {id}: {stderr}"
        );
        assert_eq!(code_live, code_offline, "{flag} {id}");
        assert!(
            stderr.contains(&format!("read {requests} Graph requests")),
            "{flag} {id}: the count is stated: {stderr}"
        );
        // 16 configuration reads (the sample's four corporate identifiers and four apps take
        // two pages each at the stand-in's 3 items) + the subject's own objects, memberships
        // and devices.
        assert!(requests <= 34, "{flag} {id}: {requests} requests");
    }
    let violations = s.log(|l| l.violations.clone());
    assert!(violations.is_empty(), "{violations:?}");
    // A whole collection of the same tenant, for scale.
    let users = snapshot
        .entry(intune_audit_checks::Resource::Users)
        .unwrap()
        .items
        .len();
    assert!(
        users >= 300 && most <= 34,
        "{users} users; at most {most} requests per diagnosis"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_or_device_is_said_plainly() {
    let text = std::fs::read_to_string(sample()).unwrap();
    let s =
        StandIn::start(Config::new(Snapshot::from_json(&text).unwrap()).with_secret(SECRET)).await;
    for (flag, id) in [
        ("--user", "nobody@contoso.com"),
        ("--device", "NO-SUCH-SERIAL"),
    ] {
        let argv = [
            "diagnose",
            flag,
            id,
            "--graph-url",
            &s.base,
            "--login-url",
            &s.base,
        ];
        let mut argv = argv.to_vec();
        argv.extend(["--tenant", TENANT, "--client-id", CLIENT_ID]);
        let out = run(&argv, &[("AZURE_CLIENT_SECRET", SECRET)], None).await;
        let (stdout, stderr) = (&out.stdout, &out.stderr);
        assert_eq!(out.code, 2, "{stdout}{stderr}");
        assert!(
            stderr.contains("not found") || stderr.contains("no "),
            "{stderr}"
        );
    }
}
