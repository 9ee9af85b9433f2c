use super::*;
use crate::cli::{Cli, Command};
use crate::cloud::{Cloud, Endpoints};
use clap::Parser;
use std::collections::HashMap;

fn args(extra: &[&str]) -> SignIn {
    let mut argv = vec!["intune-audit", "collect", "--out", "x.json"];
    argv.extend_from_slice(extra);
    match Cli::try_parse_from(argv).expect("parses").command {
        Command::Collect(c) => c.connect.sign_in(),
        _ => unreachable!(),
    }
}

fn pick(a: &SignIn, env: &[(&str, &str)]) -> Result<Authenticator, AuthError> {
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let e = Endpoints::new(Cloud::Global, None, None).unwrap();
    select(a, &e, &move |k: &str| map.get(k).cloned())
}

#[test]
fn auto_order_prefers_flags_then_environment() {
    let ids = ["--tenant", "t", "--client-id", "c"];
    let dir = tempfile::tempdir().unwrap();
    let tok = dir.path().join("tok");
    std::fs::write(&tok, "abc").unwrap();
    let tok_s = tok.to_str().unwrap();

    let a = args(&[&ids[..], &["--access-token-file", tok_s]].concat());
    let got = pick(&a, &[("AZURE_CLIENT_SECRET", "s3cr3t")]).unwrap();
    assert_eq!(got.method, AuthMethod::AccessToken);
    assert!(got.description.contains("picked by --auth auto"));

    let got = pick(&args(&ids), &[("AZURE_CLIENT_SECRET", "s3cr3t")]).unwrap();
    assert_eq!(got.method, AuthMethod::ClientSecret);
    assert!(!got.description.contains("s3cr3t"));

    let a = args(&[&ids[..], &["--federated-token-file", tok_s]].concat());
    assert_eq!(pick(&a, &[]).unwrap().method, AuthMethod::FederatedToken);

    let gh = [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/x?a=b"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req"),
    ];
    assert_eq!(
        pick(&args(&ids), &gh).unwrap().method,
        AuthMethod::GithubOidc
    );

    let mi = [
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi"),
        ("IDENTITY_HEADER", "h"),
    ];
    assert_eq!(
        pick(&args(&[]), &mi).unwrap().method,
        AuthMethod::ManagedIdentity
    );

    let e = pick(&args(&[]), &[]).unwrap_err().to_string();
    assert!(e.starts_with("no credentials found"), "{e}");
}

#[test]
fn app_only_flows_name_the_missing_id() {
    let e = pick(&args(&[]), &[("AZURE_CLIENT_SECRET", "s")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--tenant"), "{e}");
    let e = pick(&args(&["--tenant", "t"]), &[("AZURE_CLIENT_SECRET", "s")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--client-id"), "{e}");
}

#[test]
fn delegated_defaults_to_the_graph_cli_public_client() {
    let got = pick(&args(&["--device-code"]), &[("AZURE_CLIENT_SECRET", "s")]).unwrap();
    assert_eq!(got.method, AuthMethod::DeviceCode);
    assert!(got.description.contains(GRAPH_CLI_CLIENT_ID));
    assert!(got.description.contains("organizations"));
    let got = pick(&args(&["--interactive", "--client-id", "mine"]), &[]).unwrap();
    assert_eq!(got.method, AuthMethod::Interactive);
    assert!(got.description.contains("app mine"));
}

#[test]
fn expired_token_file_is_a_clear_error() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t");
    std::fs::write(&p, format!("{}.{}.x\n", b64("{}"), b64(r#"{"exp":1000}"#))).unwrap();
    let e = ambient::token_file(&p).err().unwrap().to_string();
    assert!(e.contains("expired"), "{e}");
    assert!(!e.contains(&b64(r#"{"exp":1000}"#)));
}

#[test]
fn short_lived_tokens_are_renewed_late_in_their_life_not_on_every_request() {
    let t0 = Instant::now();
    // An hour-long token: 120 s before expiry, as before.
    assert_eq!(
        renew_at(t0, Duration::from_secs(3600)),
        t0 + Duration::from_secs(3480)
    );
    // A 5-second token: after 4 s, not immediately.
    assert_eq!(
        renew_at(t0, Duration::from_secs(5)),
        t0 + Duration::from_secs(4)
    );
    // A 10-minute token: 120 s before expiry (20 % would be the same).
    assert_eq!(
        renew_at(t0, Duration::from_secs(600)),
        t0 + Duration::from_secs(480)
    );
    assert_eq!(renew_at(t0, Duration::ZERO), t0);
}
