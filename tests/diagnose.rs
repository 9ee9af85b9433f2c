//! `diagnose` agrees with `audit`: every user or Autopilot device that the broken sample's audit
//! names is, diagnosed alone, at fault for the same check; a healthy user is fine.

mod common;
use common::*;
use serde_json::Value;

fn json_of(args: &[&str]) -> (Option<i32>, Value) {
    let o = run(args);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("JSON from {args:?}: {}", stderr(&o)));
    (o.status.code(), v)
}

fn verdict(d: &Value, check: &str) -> String {
    d["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["finding"]["check"] == check)
        .map(|c| c["verdict"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn every_affected_user_and_device_is_diagnosed_at_fault_for_the_same_check() {
    let broken = sample("broken.json");
    let broken = broken.to_str().unwrap();
    let (_, report) = json_of(&["audit", "--snapshot", broken, "--format", "json"]);
    let mut diagnosed = 0;
    for f in report["findings"].as_array().unwrap() {
        let check = f["check"].as_str().unwrap();
        for (kind, flag) in [("user", "--user"), ("autopilot_device", "--device")] {
            let Some(first) = f["affected"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["kind"] == kind)
            else {
                continue;
            };
            let id = first["id"].as_str().unwrap();
            let (code, d) = json_of(&[
                "diagnose",
                "--snapshot",
                broken,
                flag,
                id,
                "--format",
                "json",
            ]);
            let v = verdict(&d, check);
            assert!(
                v == "will_fail" || v == "at_risk",
                "{check}: {flag} {id} is {v:?}"
            );
            if v == "will_fail" {
                assert_eq!(code, Some(1), "exit 1 when a cause will fail");
            }
            diagnosed += 1;
        }
    }
    assert!(diagnosed >= 15, "only {diagnosed} subjects diagnosed");
}

#[test]
fn a_healthy_user_is_fine_on_every_cause() {
    let healthy = sample("healthy.json");
    let (_, report) = json_of(&[
        "audit",
        "--snapshot",
        healthy.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "pass" || f["status"] == "not_applicable"));
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&healthy).unwrap()).unwrap();
    let upn = snapshot["resources"]["users"]["items"][1]["userPrincipalName"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, d) = json_of(&[
        "diagnose",
        "--snapshot",
        healthy.to_str().unwrap(),
        "--user",
        &upn,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    for c in d["causes"].as_array().unwrap() {
        assert_eq!(c["verdict"], "fine", "{}", c["finding"]["check"]);
    }
    assert!(d["user"]["what_applies"]["enrollment_limit"]["applies"]["configuration"].is_string());
}

#[test]
fn specific_device_cases() {
    let broken = sample("broken.json");
    let broken = broken.to_str().unwrap();
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(broken).unwrap()).unwrap();
    let devices = snapshot["resources"]["windowsAutopilotDeviceIdentities"]["items"]
        .as_array()
        .unwrap();
    let serial = |pred: &dyn Fn(&Value) -> bool| {
        devices.iter().find(|d| pred(d)).unwrap()["serialNumber"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let vm = serial(&|d| d["model"] == "Virtual Machine");
    let hybrid_user = serial(&|d| d["userPrincipalName"] != "" && d["groupTag"] == "Branch");
    let (_, d) = json_of(&[
        "diagnose",
        "--snapshot",
        broken,
        "--device",
        &vm,
        "--format",
        "json",
    ]);
    assert_eq!(
        verdict(&d, "self-deploying-profile-on-virtual-machine"),
        "will_fail"
    );
    let (_, d) = json_of(&[
        "diagnose",
        "--snapshot",
        broken,
        "--device",
        &hybrid_user,
        "--format",
        "json",
    ]);
    assert_eq!(
        verdict(&d, "hybrid-profile-with-assigned-user"),
        "will_fail"
    );
    assert_eq!(d["user"]["assigned"], "adele.vance@contoso.com");
    assert!(
        d["user"]["note"]
            .as_str()
            .unwrap()
            .contains("is not a user of this tenant"),
        "an assigned user missing from the directory is named"
    );
}

#[test]
fn error_code_alone_gives_its_causes_and_device_steps() {
    let broken = sample("broken.json");
    let (_, d) = json_of(&[
        "diagnose",
        "--snapshot",
        broken.to_str().unwrap(),
        "--error",
        "0x801c03ea",
        "--format",
        "json",
    ]);
    assert_eq!(d["error"], "0x801C03EA");
    let checks: Vec<&str> = d["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["finding"]["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["autopilot-profile-conflict"]);
    assert!(d["device_steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "device-tpm-not-upgraded"));
}

#[test]
fn diagnose_input_errors() {
    let broken = sample("broken.json");
    let b = broken.to_str().unwrap();
    assert_one_line_error(
        &run(&["diagnose", "--snapshot", b, "--user", "nobody@contoso.com"]),
        "no user matches",
    );
    assert_one_line_error(
        &run(&["diagnose", "--snapshot", b, "--device", "NOSUCH"]),
        "no device matches",
    );
    assert_one_line_error(
        &run(&["diagnose", "--snapshot", b, "--error", "banana"]),
        "is not an error code",
    );
    assert_one_line_error(&run(&["diagnose", "--snapshot", b]), "required");
}
