//! Extreme throttling loses nothing (issue 14, item 5): a collection against the simulator with
//! every throttling budget at 1 % of Graph's reads exactly what an unthrottled collection of the
//! same tenant reads. Loopback only; Graph's throttling windows are kept, latencies are a few
//! milliseconds.

use intune_audit_checks::snapshot::Status;
use intune_audit_checks::{Resource, Snapshot};
use intune_audit_sim::{Latency, Sim, SimConfig, Sizes};
use std::path::{Path, PathBuf};

const CLIENT_ID: &str = "5b0d7c1e-8f3a-4d62-9e17-2c4a6b8d0f13";
const SEED: u64 = 14;
/// 2,000 users: 4,400 devices and 1,000 group members, over 150 directory pages and $batch
/// sub-requests against a directory budget of 80 resource units.
const USERS: usize = 2_000;

/// The tenant size and budget share, overridable to explore (`THROTTLING_USERS`,
/// `THROTTLING_BUDGET`).
fn users() -> usize {
    std::env::var("THROTTLING_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(USERS)
}

fn budget() -> f64 {
    std::env::var("THROTTLING_BUDGET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.01)
}

fn config(budget_scale: Option<f64>) -> SimConfig {
    let mut cfg = SimConfig::new(SEED, Sizes::per_user(users()));
    // Graph's windows as they are (10 s directory, 20 s Intune) with 1 % of their budgets;
    // only the latencies are shrunk, so the run is bounded by throttling, not by waiting.
    cfg.latency = Latency {
        token_ms: 5.0,
        single_ms: 5.0,
        dir_base_ms: 5.0,
        dir_per_item_ms: 0.005,
        intune_base_ms: 5.0,
        intune_per_item_ms: 0.01,
        batch_overhead_ms: 2.0,
        sigma: 0.3,
        time_scale: 1.0,
    };
    match budget_scale {
        Some(scale) => {
            cfg.throttling.directory_ru *= scale;
            cfg.throttling.intune_devices *= scale;
            cfg.throttling.intune_enrollment *= scale;
        }
        None => cfg.throttling.enabled = false,
    }
    cfg
}

/// Runs `intune-audit collect` in-process (on its own thread: it has its own runtime) against
/// the simulator; returns the exit code, the snapshot and the run's wall time.
async fn collect(
    sim: &Sim,
    dir: &Path,
    name: &str,
    extra: &[&str],
) -> (i32, Option<Snapshot>, f64) {
    let out = dir.join(format!("{name}.json"));
    let secret = dir.join("secret");
    std::fs::write(&secret, "sim-client-secret-not-a-real-one").expect("secret file");
    let args: Vec<String> = [
        "intune-audit",
        "collect",
        "--out",
        out.to_str().expect("utf-8 path"),
        "--graph-url",
        &sim.base,
        "--login-url",
        &sim.base,
        "--tenant",
        &sim.tenant_id,
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        secret.to_str().expect("utf-8 path"),
        "--retry-base-ms",
        "20",
        "--deadline",
        "300",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect();
    let start = std::time::Instant::now();
    let code = tokio::task::spawn_blocking(move || {
        intune_audit::run(args.into_iter().map(std::ffi::OsString::from))
    })
    .await
    .expect("the collector thread ends");
    let elapsed = start.elapsed().as_secs_f64();
    let snap = std::fs::read_to_string(&out)
        .ok()
        .and_then(|t| Snapshot::from_json(&t).ok());
    (code, snap, elapsed)
}

/// Each resource's items as sorted JSON lines (order across partitions and pages is not part
/// of the contract).
fn items(snap: &Snapshot, r: Resource) -> (Status, Vec<String>) {
    let e = snap.entry(r).unwrap_or_else(|| panic!("{r} missing"));
    let mut lines: Vec<String> = e.items.iter().map(|v| v.to_string()).collect();
    lines.sort();
    (e.status.clone(), lines)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "intune-audit-throttling-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collection_at_one_percent_of_the_budgets_loses_nothing() {
    let dir = temp_dir("one-percent");

    let free = Sim::start(config(None), 0).await.expect("simulator starts");
    let (code, reference, _) = collect(&free, &dir, "unthrottled", &[]).await;
    assert_eq!(code, 0, "the unthrottled collection fails");
    let reference = reference.expect("unthrottled snapshot");
    assert_eq!(free.stats.counts().throttled, 0);

    // One attempt for gateway failures: throttling must not be counted against it (before,
    // every 429 was, and a request throttled that often became an `error` resource).
    let tight = Sim::start(config(Some(budget())), 0)
        .await
        .expect("simulator starts");
    let (code, snap, secs) = collect(&tight, &dir, "one-percent", &["--max-attempts", "1"]).await;
    assert_eq!(code, 0, "the throttled collection fails");
    let snap = snap.expect("throttled snapshot");
    let counts = tight.stats.counts();
    eprintln!(
        "{} % of the budgets, {} users: {secs:.1} s, {} requests, {} throttled",
        budget() * 100.0,
        users(),
        counts.requests,
        counts.throttled
    );
    assert!(
        counts.throttled > 0,
        "the simulator never throttled: the test would prove nothing"
    );

    for r in Resource::ALL {
        let (want_status, want) = items(&reference, r);
        let (status, got) = items(&snap, r);
        assert_eq!(want_status, Status::Ok, "{r} unthrottled");
        assert_eq!(
            status,
            Status::Ok,
            "{r} throttled: {:?}",
            snap.entry(r).map(|e| &e.message)
        );
        assert_eq!(got.len(), want.len(), "{r}: items lost under throttling");
        if r.is_event_stream() {
            // Events are kept relative to the collection time, which differs between the two
            // runs: compare which events were read, not their derived fields.
            let ids = |v: &[String]| {
                let mut ids: Vec<String> = v
                    .iter()
                    .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                    .map(|e| e["id"].to_string())
                    .collect();
                ids.sort();
                ids
            };
            assert_eq!(
                ids(&got),
                ids(&want),
                "{r}: different events under throttling"
            );
            continue;
        }
        assert!(got == want, "{r}: different items under throttling");
    }
    let members = |s: &Snapshot| -> usize {
        s.entry(Resource::GroupMembers)
            .map(|e| {
                e.items
                    .iter()
                    .map(|g| g["members"].as_array().map_or(0, Vec::len))
                    .sum()
            })
            .unwrap_or(0)
    };
    assert!(members(&reference) > 0, "the tenant has group members");
    assert_eq!(members(&snap), members(&reference));
    let _ = std::fs::remove_dir_all(&dir);
}
