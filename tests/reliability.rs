//! Reliability against the loopback Graph stand-in (no real network): a run that read nothing
//! never passes, partial collections say what is missing, rejected tokens are not permission
//! findings, short-lived tokens are not fetched per request, and outputs never replace a FIFO
//! or a symlink; interrupted collections keep a private checkpoint (file) or remove their spool
//! (stdout).

mod standin;

use intune_audit_checks::{Resource, Snapshot};
use standin::{run, Config, Run, StandIn, Step, CLIENT_ID, TENANT};
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/live-tenant.json";
const SECRET: &str = "reliability-test-secret";

fn fixture() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("fixture parses")
}

/// Runs `command args… <connection to the stand-in>` with a client secret.
async fn live(s: &StandIn, command: &[&str]) -> Run {
    let mut args: Vec<String> = command.iter().map(|x| x.to_string()).collect();
    args.extend(s.connection_args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&argv, &[("AZURE_CLIENT_SECRET", SECRET)], None).await
}

fn rejecting_everything() -> Config {
    let mut cfg = Config::new(fixture());
    cfg.reject_all_tokens = true;
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_that_read_nothing_exits_2_with_a_reason() {
    let s = StandIn::start(rejecting_everything()).await;
    let r = live(&s, &["audit", "--format", "json"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let last = r.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("intune-audit: error: nothing was evaluated"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "no report from a run that judged nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_rejected_after_its_refresh_is_an_error_not_a_missing_permission() {
    let s = StandIn::start(rejecting_everything()).await;
    let r = live(&s, &["audit", "--format", "json"]).await;
    let users = r
        .stderr
        .lines()
        .find(|l| l.starts_with("intune-audit: warning: users not collected:"))
        .unwrap_or_else(|| panic!("no warning for users: {}", r.stderr));
    assert!(users.contains("not collected: error ("), "{users}");
    assert!(
        users.contains("the access token was rejected (expired or invalid): sign in again"),
        "{users}"
    );
    assert!(!r.stderr.contains("forbidden"), "{}", r.stderr);
    assert!(!r.stderr.contains("grant User.Read.All"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collection_that_read_nothing_keeps_the_old_snapshot_and_exits_2() {
    let s = StandIn::start(rejecting_everything()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    std::fs::write(&out, "previous snapshot").unwrap();
    let r = live(&s, &["collect", "--out", out.to_str().unwrap()]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("intune-audit: error: nothing was collected"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous snapshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_collection_names_each_missing_resource_on_stderr() {
    let cfg = Config::new(fixture()).always(Resource::Users.key(), Step::status(500));
    let s = StandIn::start(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let r = live(&s, &["collect", "--out", out.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("not collected"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].starts_with("intune-audit: warning: users not collected: error (users: HTTP 500"),
        "{}",
        lines[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_not_evaluated_fails_an_app_only_audit() {
    let mut cfg = Config::new(fixture());
    cfg.app_only = true;
    let s = StandIn::start(cfg).await;
    // The fixture's one critical failure is disabled, so only not_evaluated can fail the run.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("intune-audit.toml");
    std::fs::write(
        &config,
        "[checks]\ndisabled = [\"windows-mdm-platform-blocked\"]\n",
    )
    .unwrap();
    let base = [
        "audit",
        "--format",
        "json",
        "--fail-on",
        "critical",
        "--config",
        config.to_str().unwrap(),
    ];
    let plain = live(&s, &base).await;
    let report = plain.json();
    assert!(
        report["summary"]["by_status"]["not_evaluated"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(
        plain
            .stderr
            .contains("warning: mobileDeviceManagementPolicies not collected: forbidden"),
        "{}",
        plain.stderr
    );
    let mut strict = base.to_vec();
    strict.push("--fail-on-not-evaluated");
    let r = live(&s, &strict).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_are_not_fetched_for_every_request() {
    let mut cfg = Config::new(fixture());
    cfg.expires_in = 5;
    let s = StandIn::start(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let r = live(&s, &["collect", "--out", out.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (tokens, gets) = s.log(|l| (l.token_requests, l.graph_gets));
    assert!(gets >= 15, "only {gets} Graph GETs");
    // One sign-in; a renewal or two if the run outlives 4 s on a slow machine.
    assert!(tokens <= 3, "{tokens} token requests for {gets} Graph GETs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_out_dash_writes_the_snapshot_to_stdout() {
    let s = StandIn::start(Config::new(fixture())).await;
    let r = live(&s, &["collect", "--out", "-"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = Snapshot::from_json(&r.stdout).expect("stdout is the snapshot");
    assert_eq!(snap.tenant.id, TENANT);
    assert!(r.stderr.contains("→ stdout"), "{}", r.stderr);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_through_a_symlink_keeps_the_link() {
    let s = StandIn::start(Config::new(fixture())).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.json");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = live(&s, &["collect", "--out", link.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    Snapshot::from_json(&std::fs::read_to_string(&target).unwrap()).expect("target replaced");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_output_to_a_fifo_writes_through() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let r = run(
        &[
            "audit",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--output",
            fifo.to_str().unwrap(),
        ],
        &[],
        None,
    )
    .await;
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let text = reader.join().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&text).expect("the report came through the FIFO");
    assert_eq!(report["schema"], "intune-audit/report");
    let ft = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(ft.is_fifo(), "the FIFO was replaced by a file");
}

/// Starts `collect --out <out>` against the stand-in (with `TMPDIR` set to `tmp`), waits until
/// it has read a few pages with its users throttled, and sends it SIGTERM; returns the exit
/// code and stderr.
#[cfg(unix)]
async fn terminated(
    s: &StandIn,
    out: &str,
    tmp: &Path,
    started: impl Fn() -> bool,
) -> (i32, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_intune-audit"));
    cmd.args(["collect", "--out", out])
        .args(["--graph-url", &s.base, "--login-url", &s.base])
        .args(["--tenant", TENANT, "--client-id", CLIENT_ID])
        .env("AZURE_CLIENT_SECRET", SECRET)
        .env("TMPDIR", tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("binary runs");
    let pid = child.id().expect("pid").to_string();
    for _ in 0..100 {
        if started() && s.log(|l| l.graph_gets) > 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(started(), "the run never started spooling");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let done = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("stops promptly")
        .unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr).to_string();
    (done.status.code().unwrap_or(-1), stderr)
}

/// Whether `dir` holds an entry whose name starts with `prefix`.
fn holds(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
        .unwrap_or(false)
}

/// SIGTERM in the middle of a collection to stdout: exit 2 with one line, and no spool folder
/// (with the tenant's users in it) left in the temporary folder.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_collection_removes_its_spool() {
    // Users are throttled for long enough that the run is still collecting when it is stopped.
    let cfg = Config::new(fixture()).always(Resource::Users.key(), Step::throttled("30"));
    let s = StandIn::start(cfg).await;
    let tmp = tempfile::tempdir().unwrap();
    let spooled = || holds(tmp.path(), ".intune-audit-spool-");
    let (code, stderr) = terminated(&s, "-", tmp.path(), spooled).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM; the spool folder was removed"),
        "{stderr}"
    );
    assert!(!spooled(), "the spool folder was left behind");
}

/// SIGTERM in the middle of a collection into a file: exit 2, and the line says how to resume;
/// the checkpoint stays, private, beside the output; the output is not written. A run without
/// --resume discards it and says so.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_collection_keeps_a_private_checkpoint() {
    use std::os::unix::fs::PermissionsExt;
    let cfg = Config::new(fixture()).always(Resource::Users.key(), Step::throttled("30"));
    let s = StandIn::start(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let checkpointed = || holds(dir.path(), ".intune-audit-resume-");
    let (code, stderr) = terminated(&s, out.to_str().unwrap(), dir.path(), checkpointed).await;
    assert_eq!(code, 2, "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("intune-audit: error: interrupted by SIGTERM; what was read is kept in "),
        "{stderr}"
    );
    assert!(
        last.contains(&format!(
            "`intune-audit collect --resume --out {}` continues",
            out.display()
        )),
        "{last}"
    );
    assert!(!out.exists());
    let cp = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".intune-audit-resume-")
        })
        .expect("checkpoint kept")
        .path();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cp), 0o700);
    for e in std::fs::read_dir(&cp).unwrap().flatten() {
        assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
    }
    assert!(
        !holds(dir.path(), ".intune-audit-spool-"),
        "a spool beside the checkpoint"
    );

    // A fresh run (users no longer throttled) discards it, says so, and leaves none behind.
    let s = StandIn::start(Config::new(fixture())).await;
    let r = live(&s, &["collect", "--out", out.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("intune-audit: discarding the checkpoint of an interrupted collection into "),
        "{}",
        r.stderr
    );
    assert!(
        !checkpointed(),
        "the checkpoint stays after the snapshot is written"
    );
}

/// `--resume` with nothing to resume collects from the start (with a notice); with stdout as
/// the output it is refused (no checkpoint is kept there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_without_a_checkpoint_collects_from_the_start() {
    let s = StandIn::start(Config::new(fixture())).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let r = live(&s, &["collect", "--resume", "--out", out.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("no interrupted collection into ")
            && r.stderr.contains("collecting from the start"),
        "{}",
        r.stderr
    );
    let snap = Snapshot::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(snap.tenant.id, TENANT);
    let r = live(&s, &["collect", "--resume", "--out", "-"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--resume needs --out FILE"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

/// A collection whose sign-in fails at once has read nothing: one plain line, exit 2, and no
/// checkpoint left beside the output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collection_that_never_signed_in_leaves_no_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let r = run(
        &[
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--tenant",
            TENANT,
            "--client-id",
            CLIENT_ID,
            "--login-url",
            "http://127.0.0.1:9",
            "--graph-url",
            "http://127.0.0.1:9",
        ],
        &[("AZURE_CLIENT_SECRET", SECRET)],
        None,
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("could not connect"), "{}", r.stderr);
    assert!(!r.stderr.contains("--resume"), "{}", r.stderr);
    assert!(
        !holds(dir.path(), ".intune-audit-resume-"),
        "a checkpoint of nothing was left"
    );
}
