//! Read-only by construction: on the wire, a whole collection sends only GETs to Graph (and GETs
//! inside `$batch`), plus the token POST; in the source, the only places that can send another
//! method are the `$batch` POST and the two token-form POSTs.

mod standin;

use intune_audit_checks::Snapshot;
use standin::{run, Config, StandIn, CLIENT_ID, TENANT};
use std::path::{Path, PathBuf};

const SECRET: &str = "read-only-test-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collection_sends_nothing_but_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/tenants/broken.json")).unwrap();
    let s =
        StandIn::start(Config::new(Snapshot::from_json(&text).unwrap()).with_secret(SECRET)).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let out = out.to_str().unwrap();
    let args = [
        "collect",
        "--out",
        out,
        "--graph-url",
        &s.base,
        "--login-url",
        &s.base,
    ];
    let mut args = args.to_vec();
    args.extend([
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--retry-base-ms",
        "2",
    ]);
    let r = run(&args, &[("AZURE_CLIENT_SECRET", SECRET)], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token_path = format!("/{TENANT}/oauth2/v2.0/token");
    let requests = s.log(|l| l.requests.clone());
    assert!(
        requests.len() > 20,
        "a real collection ran: {}",
        requests.len()
    );
    let mut batches = 0;
    for (method, target) in &requests {
        let path = target.split('?').next().unwrap_or("");
        match method.as_str() {
            "GET" | "batch:GET" => {}
            "POST" if path == token_path => {}
            "POST" if path.ends_with("/$batch") => batches += 1,
            other => panic!("{other} {target}: not a read"),
        }
    }
    assert!(batches > 0, "group memberships are read through $batch");
    let violations = s.log(|l| l.violations.clone());
    assert!(violations.is_empty(), "{violations:?}");
}

/// Every call that could send a method other than GET, by file. Adding one fails this test on
/// purpose: a write to a tenant must be a deliberate, reviewed change.
#[test]
fn the_source_has_no_other_way_to_send_a_write() {
    let allowed: &[(&str, usize)] = &[
        ("src/graph/client.rs", 1),   // POST {version}/$batch of GET sub-requests
        ("src/auth/mod.rs", 1),       // POST of the token form
        ("src/auth/delegated.rs", 1), // POST of the device-code form
    ];
    let patterns = [
        ".post(",
        ".put(",
        ".patch(",
        ".delete(",
        ".request(",
        "Method::POST",
        "Method::PUT",
        "Method::PATCH",
        "Method::DELETE",
        "Method::from",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found: Vec<(String, usize)> = Vec::new();
    for file in rust_files(&root.join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let hits: usize = patterns.iter().map(|p| text.matches(p).count()).sum();
        if hits > 0 {
            let rel = file
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            found.push((rel, hits));
        }
    }
    found.sort();
    let mut expected: Vec<(String, usize)> =
        allowed.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    expected.sort();
    assert_eq!(found, expected);
    let client = std::fs::read_to_string(root.join("src/graph/client.rs")).unwrap();
    assert!(
        client.contains("\"method\": \"GET\""),
        "batch sub-requests are GETs"
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
