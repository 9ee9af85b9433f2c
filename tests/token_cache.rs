//! Sign in once: a device-code sign-in keeps its refresh token in the credential store (here
//! the test file store of `INTUNE_AUDIT_TEST_TOKEN_STORE_FILE`), the next run renews it on the
//! wire (refresh_token grant) without a device code, a refused token is forgotten, `logout`
//! removes it, and `--no-token-cache` neither reads nor writes it.

mod standin;

use intune_audit_checks::Snapshot;
use standin::{run, Config, Run, StandIn, CLIENT_ID, TENANT};
use std::path::{Path, PathBuf};

fn fixture() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live-tenant.json");
    Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("fixture parses")
}

/// `collect` with a device-code sign-in against the stand-in, the token cache in `store`.
async fn collect(s: &StandIn, store: &Path, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let mut args: Vec<String> = vec!["collect".into(), "--out".into(), out.display().to_string()];
    args.extend(s.connection_args());
    args.push("--device-code".into());
    args.extend(extra.iter().map(|x| x.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let store = store.display().to_string();
    let env = [
        ("INTUNE_AUDIT_NO_TOKEN_CACHE", "false"),
        ("INTUNE_AUDIT_TEST_TOKEN_STORE_FILE", store.as_str()),
    ];
    let r = run(&argv, &env, None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

/// The stored entries: account → entry text.
fn entries(store: &Path) -> serde_json::Map<String, serde_json::Value> {
    match std::fs::read_to_string(store) {
        Ok(t) => serde_json::from_str(&t).unwrap(),
        Err(_) => Default::default(),
    }
}

fn grants(s: &StandIn) -> Vec<String> {
    s.log(|l| l.grant_types.clone())
}

fn device_code_requests(s: &StandIn) -> usize {
    s.log(|l| {
        l.requests
            .iter()
            .filter(|(_, p)| p.ends_with("/devicecode"))
            .count()
    })
}

fn account(s: &StandIn) -> String {
    let host = s.base.trim_start_matches("http://");
    format!("{host}/{TENANT}/{CLIENT_ID}").to_ascii_lowercase()
}

fn store_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("tokens.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_run_renews_the_cached_sign_in_without_a_device_code() {
    let s = StandIn::start(Config::new(fixture())).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_path(&dir);

    let first = collect(&s, &store, &[]).await;
    assert!(first.stderr.contains("ABCD-EFGH"), "{}", first.stderr);
    assert_eq!(device_code_requests(&s), 1);
    let saved = entries(&store);
    assert_eq!(saved.len(), 1, "{saved:?}");
    let entry: serde_json::Value =
        serde_json::from_str(saved[&account(&s)].as_str().unwrap()).unwrap();
    assert_eq!(entry["refresh_token"], "stand-in-refresh-token");
    // Only the refresh token: no access token is written.
    assert!(!std::fs::read_to_string(&store)
        .unwrap()
        .contains("stand-in-access-token"));
    // It holds a refresh token: owner-only, as the credential stores it stands in for.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    let before = grants(&s).len();
    let second = collect(&s, &store, &[]).await;
    assert!(!second.stderr.contains("ABCD-EFGH"), "{}", second.stderr);
    assert!(
        second.stderr.contains("with the cached sign-in"),
        "{}",
        second.stderr
    );
    assert_eq!(device_code_requests(&s), 1, "no second device code");
    assert_eq!(grants(&s)[before..], ["refresh_token".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_cached_token_is_forgotten_and_the_normal_sign_in_runs() {
    let s = StandIn::start(Config::new(fixture())).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_path(&dir);
    let revoked = serde_json::json!({
        account(&s): r#"{"refresh_token":"revoked-refresh-token"}"#
    });
    std::fs::write(&store, revoked.to_string()).unwrap();

    let r = collect(&s, &store, &[]).await;
    let notices: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("cached sign-in"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", r.stderr);
    assert!(
        notices[0].contains("refused") && notices[0].contains("invalid_grant"),
        "{}",
        notices[0]
    );
    assert!(
        r.stderr.contains("ABCD-EFGH"),
        "device code after the refusal"
    );
    assert_eq!(grants(&s)[0], "refresh_token");
    assert!(grants(&s)[1..].iter().any(|g| g.ends_with("device_code")));
    // The refused token is gone; the new sign-in's token took its place.
    let entry = entries(&store)[&account(&s)].as_str().unwrap().to_string();
    assert!(entry.contains("stand-in-refresh-token"), "{entry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_removes_it_and_no_token_cache_neither_reads_nor_writes() {
    let s = StandIn::start(Config::new(fixture())).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_path(&dir);

    // --no-token-cache writes nothing.
    collect(&s, &store, &["--no-token-cache"]).await;
    assert!(entries(&store).is_empty());
    assert!(!store.exists());

    // A cached sign-in exists; --no-token-cache does not read it: a device code runs.
    collect(&s, &store, &[]).await;
    assert_eq!(entries(&store).len(), 1);
    let before = device_code_requests(&s);
    let r = collect(&s, &store, &["--no-token-cache"]).await;
    assert!(r.stderr.contains("ABCD-EFGH"), "{}", r.stderr);
    assert_eq!(device_code_requests(&s), before + 1);
    assert!(!grants(&s).iter().any(|g| g == "refresh_token"));

    // logout for another tenant leaves it; for this one removes it.
    let store_env = store.display().to_string();
    let env = [("INTUNE_AUDIT_TEST_TOKEN_STORE_FILE", store_env.as_str())];
    let login = ["--login-url", s.base.as_str(), "--client-id", CLIENT_ID];
    let mut other = vec!["logout", "--tenant", "fabrikam.onmicrosoft.com"];
    other.extend(login);
    let r = run(&other, &env, None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no cached sign-in"), "{}", r.stderr);
    assert_eq!(entries(&store).len(), 1);

    let mut this = vec!["logout", "--tenant", TENANT];
    this.extend(login);
    let r = run(&this, &env, None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("forgot the cached sign-in"),
        "{}",
        r.stderr
    );
    assert!(entries(&store).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_that_fails_does_not_cost_the_cached_sign_in() {
    let mut cfg = Config::new(fixture());
    cfg.token_failure = Some(503);
    let s = StandIn::start(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_path(&dir);
    let cached =
        serde_json::json!({ account(&s): r#"{"refresh_token":"stand-in-refresh-token"}"# });
    std::fs::write(&store, cached.to_string()).unwrap();
    let out = dir.path().join("snap.json");
    let mut args: Vec<String> = vec!["collect".into(), "--out".into(), out.display().to_string()];
    args.extend(s.connection_args());
    args.push("--device-code".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let store_env = store.display().to_string();
    let env = [
        ("INTUNE_AUDIT_NO_TOKEN_CACHE", "false"),
        ("INTUNE_AUDIT_TEST_TOKEN_STORE_FILE", store_env.as_str()),
    ];
    let r = run(&argv, &env, None).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("could not be renewed"), "{}", r.stderr);
    // A 503 says nothing about the token: it is still there for the next run.
    assert_eq!(entries(&store).len(), 1);
}
