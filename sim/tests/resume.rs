//! `collect --resume` (issue 14, item 3): a 10,000-user collection from the simulator,
//! interrupted part-way by a real SIGINT, is continued by `collect --resume` from the pages it
//! had read and ends with the snapshot an uninterrupted collection writes, in fewer requests.
//! Loopback only.
//!
//! The interrupted collection runs in a child process: this test binary again, running only
//! the ignored `child_collect` helper, which calls `intune_audit::run` with the arguments in
//! `RESUME_CHILD_ARGS` and exits with its code.

#![cfg(unix)]

use intune_audit_checks::{Resource, Snapshot};
use intune_audit_sim::{Latency, Sim, SimConfig, Sizes};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "5b0d7c1e-8f3a-4d62-9e17-2c4a6b8d0f13";
const SEED: u64 = 1403;
const USERS: usize = 10_000;
const CHILD_ARGS: &str = "RESUME_CHILD_ARGS";
const CHECKPOINT_PREFIX: &str = ".intune-audit-resume-";
/// Requests an interrupt may cost: every request in flight when the signal came (their answers
/// are lost) — three throttling buckets of `--concurrency` 4, each widened up to `WIDEN` times
/// while unthrottled — and the token.
const IN_FLIGHT: u64 = 3 * 4 * intune_audit::graph::retry::WIDEN as u64 + 1;

/// 10,000 users (22,000 Entra devices in 220 pages of 100, 20,000 managed devices in 20 pages
/// of 1,000), unthrottled, with latencies that make the collection last a few seconds.
fn config() -> SimConfig {
    let mut cfg = SimConfig::new(SEED, Sizes::per_user(USERS));
    cfg.latency = Latency {
        token_ms: 2.0,
        single_ms: 2.0,
        dir_base_ms: 10.0,
        dir_per_item_ms: 0.02,
        intune_base_ms: 15.0,
        intune_per_item_ms: 0.08,
        batch_overhead_ms: 2.0,
        sigma: 0.0,
        time_scale: 1.0,
    };
    cfg.throttling.enabled = false;
    cfg
}

/// The `intune-audit collect` arguments against `sim` into `out`.
fn collect_args(sim: &Sim, dir: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let secret = dir.join("secret");
    std::fs::write(&secret, "sim-client-secret-not-a-real-one").expect("secret file");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let mut args: Vec<String> = vec![
        "intune-audit".into(),
        "collect".into(),
        "--out".into(),
        path(out),
        "--graph-url".into(),
        sim.base.clone(),
        "--login-url".into(),
        sim.base.clone(),
        "--tenant".into(),
        sim.tenant_id.clone(),
        "--client-id".into(),
        CLIENT_ID.into(),
        "--client-secret-file".into(),
        path(&secret),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs a collection in this process (on its own thread: it has its own runtime); returns the
/// exit code and the Graph requests it sent.
async fn collect(sim: &Sim, args: Vec<String>) -> (i32, u64) {
    sim.stats.reset();
    let code = tokio::task::spawn_blocking(move || {
        intune_audit::run(args.into_iter().map(std::ffi::OsString::from))
    })
    .await
    .expect("the collector thread ends");
    (code, sim.stats.counts().requests)
}

/// Not a test: the interrupted collection's process (see the module comment).
#[test]
#[ignore = "the child process of the resume tests"]
fn child_collect() {
    let Ok(args) = std::env::var(CHILD_ARGS) else {
        return;
    };
    let code = intune_audit::run(args.lines().map(std::ffi::OsString::from));
    std::process::exit(code);
}

/// The checkpoint folder in `dir`, if there is one.
fn checkpoint_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with(CHECKPOINT_PREFIX)
            .then(|| e.path())
    })
}

/// The `state` of a resource in the checkpoint (`done`, `chain`, `partitioned`), if saved.
fn state(checkpoint: &Path, r: Resource) -> Option<String> {
    let text = std::fs::read_to_string(checkpoint.join(format!("{}.state.json", r.key()))).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["state"].as_str().map(str::to_string)
}

/// Starts a collection in a child process and sends it SIGINT once it has sent `requests` Graph
/// requests and the checkpoint shows the organization read and the Entra devices part-way
/// through their ranges; returns
/// the child's stderr and the requests it sent.
async fn interrupted(sim: &Sim, args: Vec<String>, dir: &Path, requests: u64) -> (String, u64) {
    sim.stats.reset();
    let child = spawn(args);
    let pid = child.id().expect("pid") as libc::pid_t;
    let started = Instant::now();
    loop {
        let cp = checkpoint_in(dir);
        let part_way = sim.stats.counts().requests >= requests
            && cp.as_deref().is_some_and(|cp| {
                state(cp, Resource::Devices).as_deref() == Some("partitioned")
                    && state(cp, Resource::Organization).as_deref() == Some("done")
            });
        if part_way {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the collection never got part-way"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SAFETY: kill(2) with our own child's pid and a signal number; no memory is involved.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT was not sent");
    let (code, stderr) = finished(child).await;
    assert_eq!(code, 2, "{stderr}");
    (stderr, sim.stats.counts().requests)
}

/// A collection in a child process (see the module comment).
fn spawn(args: Vec<String>) -> tokio::process::Child {
    let exe = std::env::current_exe().expect("test binary");
    tokio::process::Command::new(exe)
        .args(["--exact", "child_collect", "--ignored", "--nocapture"])
        .env(CHILD_ARGS, args.join("\n"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the child runs")
}

/// The child's exit code and stderr.
async fn finished(child: tokio::process::Child) -> (i32, String) {
    let done = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the collection ends")
        .expect("child output");
    let stderr = String::from_utf8_lossy(&done.stderr).to_string();
    (done.status.code().unwrap_or(-1), stderr)
}

/// Each resource's status and items as sorted JSON lines; event streams by id only (their
/// window is relative to the collection time).
fn normalised(snap: &Snapshot) -> Vec<(String, String, Vec<String>)> {
    Resource::ALL
        .iter()
        .map(|&r| {
            let e = snap.entry(r).unwrap_or_else(|| panic!("{r} missing"));
            let mut lines: Vec<String> = e
                .items
                .iter()
                .map(|v| match r.is_event_stream() {
                    true => v["id"].to_string(),
                    false => v.to_string(),
                })
                .collect();
            lines.sort();
            (r.key().to_string(), format!("{:?}", e.status), lines)
        })
        .collect()
}

fn load(path: &Path) -> Snapshot {
    Snapshot::from_json(&std::fs::read_to_string(path).expect("snapshot written"))
        .expect("snapshot parses")
}

/// The checkpoint folder is 0700 and every file in it 0600.
fn assert_private(checkpoint: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(checkpoint), 0o700, "{}", checkpoint.display());
    let mut files = 0;
    for e in std::fs::read_dir(checkpoint)
        .expect("checkpoint folder")
        .flatten()
    {
        assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
        files += 1;
    }
    assert!(files > 3, "only {files} files in the checkpoint");
}

/// An uninterrupted collection of the same tenant: its snapshot and request count.
async fn reference(sim: &Sim, dir: &Path) -> (Snapshot, u64) {
    let out = dir.join("reference.json");
    let (code, requests) = collect(sim, collect_args(sim, dir, &out, &[])).await;
    assert_eq!(code, 0, "the uninterrupted collection fails");
    assert!(
        checkpoint_in(dir).is_none(),
        "a written collection keeps its checkpoint"
    );
    (load(&out), requests)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("intune-audit-resume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_collection_resumes_to_the_same_snapshot_in_fewer_requests() {
    let dir = temp_dir("same");
    let sim = Sim::start(config(), 0).await.expect("simulator starts");
    let (want, full) = reference(&sim, &dir).await;

    let out = dir.join("resumed.json");
    let args = collect_args(&sim, &dir, &out, &[]);
    let (stderr, before) = interrupted(&sim, args, &dir, full / 2).await;
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(
        stderr.contains("`intune-audit collect --resume --out "),
        "{stderr}"
    );
    assert!(!out.exists(), "an interrupted collection wrote its output");
    let cp = checkpoint_in(&dir).expect("the interrupted collection keeps its checkpoint");
    assert_private(&cp);
    let in_progress: Vec<String> = Resource::ALL
        .iter()
        .filter_map(|&r| match state(&cp, r) {
            Some(s) if s == "done" => None,
            s => Some(format!("{r} {}", s.as_deref().unwrap_or("not started"))),
        })
        .collect();
    assert!(
        in_progress
            .iter()
            .any(|s| s.ends_with(" chain") || s.ends_with(" partitioned")),
        "nothing was left part-way: {in_progress:?}"
    );

    let (code, after) = collect(&sim, collect_args(&sim, &dir, &out, &["--resume"])).await;
    assert_eq!(code, 0, "the resumed collection fails");
    eprintln!(
        "uninterrupted: {full} requests; interrupted after {before}, resumed in {after} \
         (part-way: {in_progress:?})"
    );
    // The pages already read are not read again: the two runs together send what one does,
    // give or take the pages in flight when the signal came (one per chain or range), the
    // resources the simulator does not serve (a failed read is tried again on resume, one
    // request each), and the group memberships, which resume only as a whole.
    let unserved = want
        .resources
        .values()
        .filter(|e| e.status != intune_audit_checks::snapshot::Status::Ok)
        .count() as u64;
    let groups_again = if in_progress.iter().any(|s| s.starts_with("groupMembers")) {
        want.entry(Resource::GroupMembers)
            .map_or(0, |e| e.items.len() as u64)
            + 1
    } else {
        0
    };
    assert!(
        before + after <= full + IN_FLIGHT + unserved + groups_again,
        "the resume read pages again: {before} + {after} requests, a full run {full}"
    );
    assert!(
        after < full,
        "{after} requests to resume, {full} for a full run"
    );
    assert!(
        checkpoint_in(&dir).is_none(),
        "the checkpoint stays after the snapshot is written"
    );
    assert!(
        normalised(&load(&out)) == normalised(&want),
        "the resumed snapshot differs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_saved_link_restarts_its_chain_and_another_collections_checkpoint_is_refused() {
    let dir = temp_dir("stale");
    let sim = Sim::start(config(), 0).await.expect("simulator starts");
    let (want, _) = reference(&sim, &dir).await;

    let out = dir.join("resumed.json");
    interrupted(&sim, collect_args(&sim, &dir, &out, &[]), &dir, 0).await;
    let cp = checkpoint_in(&dir).expect("checkpoint kept");

    // Another window is another collection: refused, and the checkpoint is kept.
    let other = collect_args(&sim, &dir, &out, &["--resume", "--history-days", "7"]);
    let (code, stderr) = finished(spawn(other)).await;
    assert_eq!(code, 2, "a mismatched checkpoint was resumed: {stderr}");
    assert!(
        stderr.contains("error: cannot resume the collection into ")
            && stderr.contains("--history-days \"30\", this run \"7\""),
        "{stderr}"
    );
    assert!(cp.exists(), "a refused resume removed the checkpoint");

    // Every saved link expires: Graph (the simulator) answers 400 "Invalid $skiptoken".
    let mut expired = 0;
    for e in std::fs::read_dir(&cp).expect("checkpoint").flatten() {
        let path = e.path();
        if !path.to_string_lossy().ends_with(".state.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("state");
        if text.contains("$skiptoken=sim") {
            expired += 1;
            std::fs::write(&path, text.replace("$skiptoken=sim", "$skiptoken=expired"))
                .expect("state rewritten");
        }
    }
    assert!(expired > 0, "no saved link to expire");

    let (code, stderr) = finished(spawn(collect_args(&sim, &dir, &out, &["--resume"]))).await;
    assert_eq!(code, 0, "the resume with expired links fails: {stderr}");
    assert!(
        stderr.contains("Graph no longer accepts the saved page link"),
        "{stderr}"
    );
    assert!(
        normalised(&load(&out)) == normalised(&want),
        "restarted chains lost or doubled items"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same Graph endpoint and `--tenant`, but the checkpoint's organization is another
/// tenant's (as when `--tenant` is left to the sign-in and it now reaches another): the
/// organization, always read again on resume, differs, so nothing is written and the
/// checkpoint is discarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_that_reaches_another_tenant_writes_nothing() {
    const OTHER_TENANT: &str = "0f3e2d1c-5b4a-4978-8a6b-5c4d3e2f1a0b";
    let dir = temp_dir("tenant");
    let sim = Sim::start(config(), 0).await.expect("simulator starts");
    let out = dir.join("resumed.json");
    interrupted(&sim, collect_args(&sim, &dir, &out, &[]), &dir, 0).await;
    let cp = checkpoint_in(&dir).expect("checkpoint kept");
    let org = cp.join("organization.state.json");
    let text = std::fs::read_to_string(&org).expect("organization read");
    assert!(text.contains(&sim.tenant_id), "{text}");
    std::fs::write(&org, text.replace(&sim.tenant_id, OTHER_TENANT)).expect("rewritten");

    let args = collect_args(&sim, &dir, &out, &["--resume"]);
    let (code, stderr) = finished(spawn(args)).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "was read from tenant {OTHER_TENANT}, this sign-in reads tenant {}",
            sim.tenant_id
        )),
        "{stderr}"
    );
    assert!(!out.exists(), "a snapshot mixing two tenants was written");
    assert!(checkpoint_in(&dir).is_none(), "the checkpoint was kept");
    let _ = std::fs::remove_dir_all(&dir);
}
