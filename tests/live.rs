//! Live collection against the loopback Graph stand-in (no real network): sign-in flows,
//! paging, throttling, failures per resource, `$batch`, token expiry, secrets, round trip.

mod standin;

use intune_audit_checks::snapshot::Status;
use intune_audit_checks::{Resource, Snapshot};
use standin::{run, ClientAuth, Config, Run, StandIn, Step, TENANT};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A small tenant for the protocol tests (few items, so paging is easy to count).
const FIXTURE: &str = "tests/fixtures/live-tenant.json";
const SECRET: &str = "S3cr3t~VALUE-that-must-never-be-printed";

fn fixture() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("fixture parses")
}

/// Audits a snapshot file offline with `--format json`.
async fn audit_json(snapshot: &Path) -> Run {
    let path = snapshot.to_str().expect("utf-8 path");
    run(
        &["audit", "--snapshot", path, "--format", "json"],
        &[],
        None,
    )
    .await
}

async fn collect(
    s: &StandIn,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Run, Option<Snapshot>, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let mut args: Vec<String> = vec!["collect".into(), "--out".into(), out.display().to_string()];
    args.extend(s.connection_args());
    args.extend(extra.iter().map(|x| x.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&argv, env, None).await;
    let snap = std::fs::read_to_string(&out)
        .ok()
        .map(|t| Snapshot::from_json(&t).expect("collected snapshot parses"));
    (r, snap, out, dir)
}

fn status(s: &Snapshot, r: Resource) -> Status {
    s.entry(r)
        .unwrap_or_else(|| panic!("{r} missing"))
        .status
        .clone()
}

fn assert_clean(s: &StandIn) {
    let v = s.log(|l| l.violations.clone());
    assert!(v.is_empty(), "stand-in saw protocol violations: {v:?}");
}

fn count(s: &StandIn, prefix: &str) -> usize {
    s.log(|l| {
        l.requests
            .iter()
            .filter(|(_, p)| p.starts_with(prefix))
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_collect_then_audit_gives_the_offline_findings() {
    let s = StandIn::start(Config::new(fixture()).with_secret(SECRET)).await;
    let (r, snap, out, _dir) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("client secret from AZURE_CLIENT_SECRET"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("picked by --auth auto"), "{}", r.stderr);
    assert_clean(&s);
    let snap = snap.unwrap();
    for res in Resource::ALL {
        assert_eq!(
            status(&snap, res),
            Status::Ok,
            "{res}: {:?}",
            snap.entry(res).unwrap().message
        );
    }
    // 7 users at 3 per page: three pages, following nextLink.
    assert_eq!(count(&s, "/v1.0/users"), 3);
    assert_eq!(snap.entry(Resource::Users).unwrap().items.len(), 7);
    assert_eq!(
        snap.entry(Resource::DeviceRegistrationPolicy)
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(snap.tenant.id, TENANT);
    assert_eq!(snap.tenant.name, "Contoso");
    // Of the two settings-catalog policies only the device preparation one is kept, and the
    // apps keep their type, id, name and assignments only.
    let policies = &snap.entry(Resource::ConfigurationPolicies).unwrap().items;
    assert_eq!(policies.len(), 1);
    assert_eq!(
        policies[0]["templateReference"]["templateFamily"],
        "enrollmentConfiguration"
    );
    let apps = &snap.entry(Resource::MobileApps).unwrap().items;
    assert_eq!(apps.len(), 2);
    for app in apps {
        let keys: Vec<&str> = app
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["@odata.type", "assignments", "displayName", "id"]);
    }
    assert_eq!(
        snap.entry(Resource::ServicePrincipals).unwrap().items[0]["appId"],
        "f1346770-5b25-470b-88bd-d5744ab7952c"
    );

    // Offline audit of the fixture vs offline audit of what was collected (same clock).
    let mut collected = snap.clone();
    collected.collected_at = fixture().collected_at;
    let aligned = out.with_file_name("aligned.json");
    std::fs::write(&aligned, collected.to_json_pretty()).unwrap();
    let fixture_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let a = audit_json(&fixture_path).await;
    let b = audit_json(&aligned).await;
    assert_eq!(a.code, b.code);
    let (fa, fb) = (a.json(), b.json());
    assert_eq!(fa["findings"], fb["findings"]);
    assert!(fa["findings"].as_array().is_some_and(|f| !f.is_empty()));

    // And `audit` without --snapshot reads live and reports the same findings.
    let mut args: Vec<String> = vec!["audit".into(), "--format".into(), "json".into()];
    args.extend(s.connection_args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let live = run(&argv, &[("AZURE_CLIENT_SECRET", SECRET)], None).await;
    assert_eq!(live.code, a.code, "{}", live.stderr);
    let fl = live.json();
    assert_eq!(fl["findings"], fa["findings"]);
}

/// The shipped sample tenant: collected from the stand-in and audited, it gives exactly the
/// findings of the offline audit of the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_of_the_broken_sample_matches_its_offline_audit() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tenants/broken.json");
    let sample = Snapshot::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut config = Config::new(sample.clone()).with_secret(SECRET);
    config.page_size = 50;
    let s = StandIn::start(config).await;
    // The sample's failure history is dated before its collection time; a year's window keeps
    // it whatever today's date (the audits then both use the default 30 days before it).
    let (r, snap, out, _dir) = collect(
        &s,
        &["--history-days", "365"],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_clean(&s);
    let mut collected = snap.unwrap();
    assert!(count(&s, "/v1.0/users") >= 320 / 50, "users were paged");
    collected.collected_at = sample.collected_at.clone();
    std::fs::write(&out, collected.to_json_pretty()).unwrap();
    let audit = |file: &Path| {
        let file = file.to_str().unwrap().to_string();
        async move {
            run(
                &["audit", "--snapshot", &file, "--format", "json"],
                &[],
                None,
            )
            .await
        }
    };
    let (offline, live) = (audit(&path).await, audit(&out).await);
    assert_eq!(offline.code, 1, "the broken sample fails the audit");
    assert_eq!(live.code, offline.code, "{}", live.stderr);
    let fo = offline.json();
    let fl = live.json();
    let problems = fo["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" || f["status"] == "warn")
        .count();
    assert_eq!(
        problems, 37,
        "every check that runs by default trips on the broken sample"
    );
    assert_eq!(fl["findings"], fo["findings"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_unavailability_slow_the_run_down_without_failing_it() {
    let cfg = Config::new(fixture())
        .script(
            "users",
            vec![Step::throttled("0.05"), Step::throttled("0.01")],
        )
        .script("managedDevices", vec![Step::status(503)])
        .script(
            "windowsAutopilotDeviceIdentities",
            vec![
                Step::status(504),
                Step::throttled("Wed, 21 Oct 2015 07:28:00 GMT"),
            ],
        );
    let s = StandIn::start(cfg).await;
    let started = std::time::Instant::now();
    let (r, snap, _, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = snap.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(60));
    assert_eq!(status(&snap, Resource::Users), Status::Ok);
    assert_eq!(snap.entry(Resource::Users).unwrap().items.len(), 7);
    assert_eq!(status(&snap, Resource::ManagedDevices), Status::Ok);
    assert_eq!(
        status(&snap, Resource::WindowsAutopilotDeviceIdentities),
        Status::Ok
    );
    assert_eq!(count(&s, "/v1.0/users"), 5, "two throttled + three pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_next_link_is_an_error_not_a_loop() {
    let page = |next: &str| Step {
        status: 200,
        retry_after: None,
        body: Some(format!(
            r#"{{"value": [{{"id": "contoso.com", "isVerified": true}}], "@odata.nextLink": "{{base}}/v1.0/domains?$skiptoken={next}"}}"#
        )),
    };
    // Page 1 → token a; page a → token b; page b → token a again.
    let cfg = Config::new(fixture()).script("domains", vec![page("a"), page("b"), page("a")]);
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = snap.unwrap();
    let dom = snap.entry(Resource::Domains).unwrap();
    assert_eq!(dom.status, Status::Error);
    assert!(
        dom.message.as_deref().unwrap().contains("nextLink"),
        "{:?}",
        dom.message
    );
    assert_eq!(count(&s, "/v1.0/domains"), 3, "stops at the first repeat");
    assert_eq!(status(&snap, Resource::Users), Status::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_resource_failing_never_loses_the_others() {
    let cfg = Config::new(fixture())
        .always("managedDevices", Step::status(500))
        .always("devices", Step::status(403))
        .script("domains", vec![Step::malformed()])
        .script(
            "windowsAutopilotDeploymentProfiles",
            vec![Step::status(404)],
        );
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(
        &s,
        &["--max-attempts", "3"],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = snap.unwrap();
    let md = snap.entry(Resource::ManagedDevices).unwrap();
    assert_eq!(md.status, Status::Error);
    assert!(
        md.message.as_deref().unwrap().contains("managedDevices"),
        "{:?}",
        md.message
    );
    assert!(
        md.message.as_deref().unwrap().contains("500"),
        "{:?}",
        md.message
    );
    assert_eq!(
        count(&s, "/v1.0/deviceManagement/managedDevices"),
        1,
        "500 is not retried"
    );
    let dev = snap.entry(Resource::Devices).unwrap();
    assert_eq!(dev.status, Status::Forbidden);
    assert_eq!(dev.permission.as_deref(), Some("Device.Read.All"));
    let dom = snap.entry(Resource::Domains).unwrap();
    assert_eq!(dom.status, Status::Error);
    let m = dom.message.as_deref().unwrap();
    assert!(m.starts_with("domains:") && m.contains("malformed"), "{m}");
    assert_eq!(
        status(&snap, Resource::WindowsAutopilotDeploymentProfiles),
        Status::NotFound
    );
    for ok in [
        Resource::Users,
        Resource::Organization,
        Resource::DeviceEnrollmentConfigurations,
        Resource::GroupMembers,
    ] {
        assert_eq!(status(&snap, ok), Status::Ok, "{ok}");
    }
    assert!(
        r.stderr.contains("1 forbidden") && r.stderr.contains("2 error"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_throttling_ends_as_an_error_at_the_deadline() {
    let s = StandIn::start(
        Config::new(fixture()).always("domainJoinConnectors", Step::throttled("0.001")),
    )
    .await;
    // --max-attempts bounds gateway failures, not throttling: that is retried until --deadline.
    let (r, snap, _, _d) = collect(
        &s,
        &["--max-attempts", "3", "--deadline", "1"],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e = snap
        .unwrap()
        .entry(Resource::DomainJoinConnectors)
        .unwrap()
        .clone();
    assert_eq!(e.status, Status::Error);
    assert!(e.message.unwrap().contains("429"));
    let tries = count(&s, "/beta/deviceManagement/domainJoinConnectors");
    assert!(
        tries > 3,
        "throttling stopped after {tries} attempts, before the deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_mid_run_is_refreshed_once() {
    let mut cfg = Config::new(fixture()).with_secret(SECRET);
    cfg.expire_tokens_after = Some(5);
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = snap.unwrap();
    for res in Resource::ALL {
        assert_eq!(status(&snap, res), Status::Ok, "{res}");
    }
    assert!(s.log(|l| l.tokens_issued) >= 2);
    assert!(s.log(|l| l.expired_rejections) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_sub_requests_with_mixed_statuses() {
    let g1 = "0a000000-0000-0000-0000-0000000000a1";
    let g2 = "0b000000-0000-0000-0000-000000000002";
    let cfg = Config::new(fixture())
        .script(&format!("groups:{g1}"), vec![Step::throttled("0.02")])
        .always(&format!("groups:{g2}"), Step::status(403));
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gm = snap.unwrap().entry(Resource::GroupMembers).unwrap().clone();
    assert_eq!(gm.status, Status::Ok);
    assert_eq!(gm.items.len(), 1);
    assert_eq!(gm.items[0]["id"], g1);
    assert_eq!(gm.items[0]["members"].as_array().unwrap().len(), 2);
    let msg = gm.message.unwrap();
    assert!(
        msg.contains(g2) && msg.contains("GroupMember.Read.All"),
        "{msg}"
    );
    assert_eq!(
        count(&s, "/v1.0/$batch"),
        2,
        "the throttled sub-request is retried in a second batch"
    );
    let subs = s.log(|l| l.requests.iter().filter(|(m, _)| m == "batch:GET").count());
    assert_eq!(subs, 4 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_tokens_cannot_read_the_mdm_and_mam_scope() {
    let mut cfg = Config::new(fixture());
    cfg.app_only = true;
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = snap.unwrap();
    for res in [
        Resource::MobileDeviceManagementPolicies,
        Resource::MobileAppManagementPolicies,
    ] {
        let e = snap.entry(res).unwrap();
        assert_eq!(e.status, Status::Forbidden);
        assert_eq!(
            e.permission.as_deref(),
            Some("Policy.Read.All (delegated only)")
        );
        let m = e.message.as_deref().unwrap();
        assert!(
            m.contains("delegated") && m.contains("--device-code"),
            "{m}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_assertion_is_signed_ps256_with_the_documented_claims() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA test key");
    let cert = rcgen::CertificateParams::new(vec!["intune-audit-test".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert.der());
    use base64::Engine;
    let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("app.pem");
    std::fs::write(&pem_path, format!("{}{}", key.serialize_pem(), cert.pem())).unwrap();
    let mut cfg = Config::new(fixture());
    cfg.client_auth = ClientAuth::Certificate {
        public_key_pem: key.public_key_pem(),
        x5t_s256: x5t,
    };
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(
        &s,
        &[],
        &[("AZURE_CLIENT_CERTIFICATE_PATH", pem_path.to_str().unwrap())],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_clean(&s);
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);
    assert_eq!(status(&snap.unwrap(), Resource::Users), Status::Ok);

    // A key that does not match the certificate the app knows: a clear one-line refusal.
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    std::fs::write(
        &pem_path,
        format!("{}{}", other.serialize_pem(), cert.pem()),
    )
    .unwrap();
    let (r, snap, _, _d) = collect(
        &s,
        &[],
        &[("AZURE_CLIENT_CERTIFICATE_PATH", pem_path.to_str().unwrap())],
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(snap.is_none());
    assert!(r.stderr.contains("AADSTS700027"), "{}", r.stderr);
    assert_eq!(
        r.stderr
            .trim()
            .lines()
            .last()
            .unwrap()
            .matches("error:")
            .count(),
        1
    );

    // Not a PEM with a key: named.
    std::fs::write(&pem_path, cert.pem()).unwrap();
    let (r, _, _, _d) = collect(&s, &["--certificate", pem_path.to_str().unwrap()], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no PRIVATE KEY"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_token_file_and_github_actions_oidc() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fed");
    std::fs::write(&f, "federated-token-from-file\n").unwrap();
    let mut cfg = Config::new(fixture());
    cfg.client_auth = ClientAuth::Assertion("federated-token-from-file".into());
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(
        &s,
        &[],
        &[("AZURE_FEDERATED_TOKEN_FILE", f.to_str().unwrap())],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("federated token"), "{}", r.stderr);
    assert_eq!(status(&snap.unwrap(), Resource::Users), Status::Ok);

    let mut cfg = Config::new(fixture());
    cfg.client_auth = ClientAuth::Assertion(standin::GH_FEDERATED.into());
    cfg.expire_tokens_after = Some(4);
    let s = StandIn::start(cfg).await;
    let url = format!("{}/gh-oidc?api-version=2.0", s.base);
    let (r, snap, _, _d) = collect(
        &s,
        &[],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", standin::GH_REQUEST_TOKEN),
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("GitHub Actions OIDC"), "{}", r.stderr);
    assert_clean(&s);
    assert_eq!(status(&snap.unwrap(), Resource::Users), Status::Ok);
    // A fresh GitHub token for each exchange (the second after the mid-run expiry).
    assert_eq!(s.log(|l| l.gh_oidc_requests), s.log(|l| l.token_requests));
    assert!(s.log(|l| l.gh_oidc_requests) >= 2);
    assert!(
        !r.stderr.contains(standin::GH_FEDERATED) && !r.stderr.contains(standin::GH_REQUEST_TOKEN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_tokens_never_reach_output_or_snapshot() {
    // Wrong secret: one line, exit 2, no snapshot, no secret.
    let s = StandIn::start(Config::new(fixture()).with_secret("the-right-one")).await;
    let (r, snap, out, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 2);
    assert!(snap.is_none() && !out.exists());
    assert!(r.stderr.contains("AADSTS7000215"), "{}", r.stderr);
    assert!(!r.stderr.contains("Trace ID"), "one line: {}", r.stderr);
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains(SECRET));
    }
    // A failing token endpoint.
    let mut cfg = Config::new(fixture());
    cfg.token_failure = Some(500);
    let s = StandIn::start(cfg).await;
    let (r, _, _, _d) = collect(&s, &["-v"], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 2);
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
    // Success: neither the secret nor any access token in the outputs or the snapshot.
    let s = StandIn::start(Config::new(fixture()).with_secret(SECRET)).await;
    let (r, _, out, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written = std::fs::read_to_string(out).unwrap();
    for text in [&r.stdout, &r.stderr, &written] {
        assert!(!text.contains(SECRET));
        assert!(!text.contains("stand-in-access-token"));
        assert!(!text.contains("stand-in-refresh-token"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_from_stdin() {
    let s = StandIn::start(Config::new(fixture()).with_secret(SECRET)).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let mut args: Vec<String> = vec![
        "collect".into(),
        "--out".into(),
        out.display().to_string(),
        "--client-secret-file".into(),
        "-".into(),
    ];
    args.extend(s.connection_args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&argv, &[], Some(&format!("{SECRET}\n"))).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("standard input"));
    assert!(out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_sign_in_polls_and_refreshes() {
    let mut cfg = Config::new(fixture());
    cfg.device_pending = 2;
    cfg.expire_tokens_after = Some(6);
    let s = StandIn::start(cfg).await;
    let (r, snap, _, _d) = collect(&s, &["--device-code"], &[]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("ABCD-EFGH"), "{}", r.stderr);
    let grants = s.log(|l| l.grant_types.clone());
    assert_eq!(
        grants.iter().filter(|g| g.ends_with("device_code")).count(),
        3
    );
    assert!(grants.iter().any(|g| g == "refresh_token"), "{grants:?}");
    let scope = s.log(|l| l.scopes[0].clone());
    assert!(
        scope.contains("https://graph.microsoft.com/Policy.Read.All")
            && scope.contains("offline_access"),
        "{scope}"
    );
    assert_eq!(
        status(&snap.unwrap(), Resource::MobileDeviceManagementPolicies),
        Status::Ok
    );
    assert!(
        r.stderr.contains("14d82eec-204b-4c2f-b7e8-296a70dab67e") || r.stderr.contains("app "),
        "{}",
        r.stderr
    );

    let mut cfg = Config::new(fixture());
    cfg.device_refusal = Some(("access_denied".into(), 53003));
    let s = StandIn::start(cfg).await;
    let (r, _, _, _d) = collect(&s, &["--device-code"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("refused by the tenant's policy") && r.stderr.contains("--interactive"),
        "{}",
        r.stderr
    );

    let mut cfg = Config::new(fixture());
    cfg.device_expired = true;
    let s = StandIn::start(cfg).await;
    let (r, _, _, _d) = collect(&s, &["--device-code"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expired"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_sign_in_uses_pkce_on_a_loopback_redirect() {
    let s = StandIn::start(Config::new(fixture())).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let mut args: Vec<String> = vec![
        "collect".into(),
        "--out".into(),
        out.display().to_string(),
        "--interactive".into(),
        "--no-browser".into(),
    ];
    args.extend(s.connection_args());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_intune-audit"))
        .args(&args)
        .env_remove("AZURE_CLIENT_SECRET")
        .env("INTUNE_AUDIT_NO_TOKEN_CACHE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut auth_url = None;
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim_start().starts_with(&s.base) {
            auth_url = Some(line.trim().to_string());
            break;
        }
    }
    let auth_url = reqwest::Url::parse(&auth_url.expect("the sign-in URL is printed")).unwrap();
    let q: std::collections::HashMap<String, String> =
        auth_url.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["response_type"], "code");
    let redirect = reqwest::Url::parse(&q["redirect_uri"]).unwrap();
    assert_eq!(redirect.host_str(), Some("localhost"));
    let back = format!(
        "http://127.0.0.1:{}/?code=auth-code-123&state={}",
        redirect.port().unwrap(),
        q["state"]
    );
    let page = reqwest::get(&back).await.unwrap().text().await.unwrap();
    assert!(page.contains("Signed in"));
    let status_code = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status_code.success());
    assert_clean(&s);
    let verifier = s.log(|l| l.code_verifiers[0].clone());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()),
        q["code_challenge"]
    );
    assert!(out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_identity_access_token_file_and_azure_cli() {
    // App Service managed identity.
    let s = StandIn::start(Config::new(fixture())).await;
    let msi = format!("{}/msi", s.base);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let base_args = [
        "--graph-url",
        &s.base,
        "--login-url",
        &s.base,
        "--retry-base-ms",
        "2",
    ];
    let mut a = vec!["collect", "--out", out.to_str().unwrap()];
    a.extend(base_args);
    let r = run(
        &a,
        &[
            ("IDENTITY_ENDPOINT", &msi),
            ("IDENTITY_HEADER", standin::MSI_HEADER),
        ],
        None,
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("managed identity"), "{}", r.stderr);
    assert_clean(&s);

    // A ready token in a file: no token request at all.
    let s = StandIn::start(Config::new(fixture())).await;
    let tok = dir.path().join("token");
    std::fs::write(&tok, format!("{}\n", s.issue_token())).unwrap();
    let base_args = [
        "--graph-url",
        &s.base,
        "--login-url",
        &s.base,
        "--retry-base-ms",
        "2",
    ];
    let mut a = vec![
        "collect",
        "--out",
        out.to_str().unwrap(),
        "--access-token-file",
        tok.to_str().unwrap(),
    ];
    a.extend(base_args);
    let r = run(&a, &[], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(s.log(|l| l.token_requests), 0);

    // The Azure CLI: a stand-in `az` on PATH; Intune answers 403 as it does for that token.
    // (A shell script: Unix only; Windows would need an `az.cmd`.)
    #[cfg(unix)]
    {
        let cfg = Config::new(fixture())
            .always("managedDevices", Step::status(403))
            .always("deviceEnrollmentConfigurations", Step::status(403));
        let s = StandIn::start(cfg).await;
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let az = bin.join("az");
        std::fs::write(&az, format!("#!/bin/sh\necho '{{\"accessToken\": \"{}\", \"expires_on\": 4102444800, \"tokenType\": \"Bearer\"}}'\n", s.issue_token())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let base_args = [
            "--graph-url",
            &s.base,
            "--login-url",
            &s.base,
            "--retry-base-ms",
            "2",
        ];
        let mut a = vec![
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--auth",
            "azure-cli",
        ];
        a.extend(base_args);
        let r = run(&a, &[("PATH", &path)], None).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("no Intune scopes"), "{}", r.stderr);
        let snap = Snapshot::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let md = snap.entry(Resource::ManagedDevices).unwrap();
        assert_eq!(md.status, Status::Forbidden);
        assert!(
            md.message.as_deref().unwrap().contains("Azure CLI"),
            "{:?}",
            md.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_errors_are_one_line_exit_2() {
    let r = run(
        &[
            "collect",
            "--out",
            "x.json",
            "--graph-url",
            "http://graph.example.com",
        ],
        &[("AZURE_CLIENT_SECRET", "x")],
        None,
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("http:// is accepted only for loopback hosts"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    let r = run(&["audit"], &[], None).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no credentials found"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    let r = run(
        &["collect", "--out", "x.json", "--tenant", "t"],
        &[("AZURE_CLIENT_SECRET", "x")],
        None,
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--client-id"), "{}", r.stderr);
    // Nothing listens on this port: a network failure is one line, exit 2.
    let r = run(
        &[
            "collect",
            "--out",
            "x.json",
            "--tenant",
            "t",
            "--client-id",
            "c",
            "--login-url",
            "http://127.0.0.1:9",
            "--graph-url",
            "http://127.0.0.1:9",
        ],
        &[("AZURE_CLIENT_SECRET", SECRET)],
        None,
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("could not connect"), "{}", r.stderr);
    assert!(!r.stderr.contains(SECRET));
}

#[tokio::test]
async fn permissions_lists_every_check_and_the_grant_commands() {
    let r = run(&["permissions", "--client-id", "abc"], &[], None).await;
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("windows-mdm-platform-blocked"));
    assert!(r.stdout.contains("DeviceManagementServiceConfig.Read.All"));
    assert!(r.stdout.contains("Policy.Read.All"));
    assert!(r.stdout.contains("APP_ID=abc"));
}

/// The failure history round trip: the stand-in serves both event streams in Graph's shapes
/// (the fixtures of `checks/tests/fixtures/failures`, dated relative to now) with Graph's
/// paging; the collector follows the nextLinks, keeps the window and the joined fields only,
/// and the audit of what it collected joins them; a forbidden stream leaves the rest intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failure_history_is_collected_paged_windowed_and_trimmed() {
    use intune_audit_checks::snapshot::ResourceEntry;
    let now = time::OffsetDateTime::now_utc();
    let rfc = |days: i64| {
        (now - time::Duration::days(days))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let mut snap = fixture();
    for (k, res) in [
        (0, Resource::TroubleshootingEvents),
        (1, Resource::AutopilotEvents),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("checks/tests/fixtures/failures/{}.json", res.key()));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut items = doc["value"].as_array().unwrap().clone();
        for (i, item) in items.iter_mut().enumerate() {
            item["eventDateTime"] = serde_json::json!(rfc(1 + i as i64 + k));
        }
        // One event long before the window.
        let mut old = items[0].clone();
        old["id"] = serde_json::json!(format!("old-{k}"));
        old["eventDateTime"] = serde_json::json!(rfc(90));
        items.push(old);
        snap.resources
            .insert(res.key().into(), ResourceEntry::ok("/x", items));
    }
    let s = StandIn::start(Config::new(snap.clone()).with_secret(SECRET)).await;
    let (r, got, out, _dir) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_clean(&s);
    let got = got.unwrap();
    // 10 troubleshooting events at 3 per page: 4 pages; 5 Autopilot events: 2 pages.
    assert_eq!(count(&s, "/v1.0/deviceManagement/troubleshootingEvents"), 4);
    assert_eq!(count(&s, "/beta/deviceManagement/autopilotEvents"), 2);
    let te = got.entry(Resource::TroubleshootingEvents).unwrap();
    assert_eq!(te.status, Status::Ok);
    assert_eq!(
        te.items.len(),
        9,
        "the 90-day-old event is outside the window"
    );
    for item in &te.items {
        assert!(
            item.get("correlationId").is_none() && item.get("managedDeviceIdentifier").is_none()
        );
        assert!(item.get("failureCategory").is_some() && item.get("userId").is_some());
    }
    let ap = got.entry(Resource::AutopilotEvents).unwrap();
    // The success and the old event are dropped; names and durations are not kept.
    assert_eq!(ap.items.len(), 3);
    assert!(ap.items.iter().all(|i| i.get("managedDeviceName").is_none()
        && i.get("deploymentDuration").is_none()
        && i.get("deviceSerialNumber").is_some()));
    // The audit of what was collected joins them.
    let a = audit_json(&out).await;
    let report = a.json();
    assert_eq!(report["failures"]["status"], "evaluated", "{}", a.stderr);
    assert_eq!(report["summary"]["failures"]["observed"], 12);

    // A narrower window reads fewer.
    let (r, got, _, _d) = collect(
        &s,
        &["--history-days", "3"],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let n = got
        .unwrap()
        .entry(Resource::TroubleshootingEvents)
        .unwrap()
        .items
        .len();
    assert_eq!(n, 2, "events 1 and 2 days old");

    // Forbidden: that section not evaluated, the rest of the audit intact.
    let cfg = Config::new(snap)
        .with_secret(SECRET)
        .always("troubleshootingEvents", Step::status(403))
        .always("autopilotEvents", Step::status(403));
    let s = StandIn::start(cfg).await;
    let (r, got, out, _d) = collect(&s, &[], &[("AZURE_CLIENT_SECRET", SECRET)]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = got.unwrap();
    assert_eq!(
        status(&got, Resource::TroubleshootingEvents),
        Status::Forbidden
    );
    assert_eq!(status(&got, Resource::Users), Status::Ok);
    let a = audit_json(&out).await;
    let report = a.json();
    assert_eq!(report["failures"]["status"], "not_evaluated");
    assert!(report["summary"].get("failures").is_none());
    assert!(report["findings"].as_array().unwrap().len() > 20);
}
