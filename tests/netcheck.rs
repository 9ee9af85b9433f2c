//! `netcheck` against loopback servers the test starts: a TLS server whose certificate chains
//! to a test CA (trusted → ok; not trusted → the "TLS inspection" verdict; wrong name →
//! certificate invalid), a closed port, DNS answers injected per name (NXDOMAIN, sinkhole), and
//! HTTP CONNECT proxies that tunnel, demand authentication or refuse. Plus the command itself
//! on an endpoint file.

use intune_audit::netcheck::proxy::{NoProxy, Proxy};
use intune_audit::netcheck::tls::Trust;
use intune_audit::netcheck::{probe, Endpoint, Options, ProbeKind, Resolver, Verdict};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// `.localhost` names may resolve to loopback without looking like a DNS sinkhole.
const HOST: &str = "enrollment.contoso.localhost";

/// A test CA and a server certificate it issued for `names`.
struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

fn pki(names: &[&str]) -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Contoso Inspection CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let leaf = rcgen::CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: key.serialize_der(),
    }
}

/// A TLS server on 127.0.0.1 that completes handshakes with `pki`'s certificate.
async fn tls_server(pki: &Pki) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut s) = acceptor.accept(socket).await {
                    let _ = s.shutdown().await;
                }
            });
        }
    });
    port
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// An HTTP proxy on loopback: `reply` to every CONNECT, and with 200 it tunnels to `upstream`.
async fn proxy(reply: &'static str, upstream: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                assert!(head.starts_with(b"CONNECT "), "a CONNECT request");
                let _ = client.write_all(reply.as_bytes()).await;
                if reply.starts_with("HTTP/1.1 200") {
                    if let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                    }
                }
            });
        }
    });
    port
}

fn endpoint(host: &str, port: u16) -> Endpoint {
    Endpoint {
        host: host.into(),
        port,
        probe: ProbeKind::Tls,
        required: true,
        service: "test".into(),
        scenarios: vec![],
        source: "test".into(),
        note: String::new(),
    }
}

fn options(trust: &[CertificateDer<'static>], proxy: Option<Proxy>, no_proxy: &str) -> Options {
    let mut names: BTreeMap<String, Result<Vec<IpAddr>, String>> = BTreeMap::new();
    for host in [HOST, "other.contoso.localhost"] {
        names.insert(host.into(), Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]));
    }
    names.insert("blocked.contoso.test".into(), Err("NXDOMAIN".into()));
    names.insert(
        "sinkholed.contoso.test".into(),
        Ok(vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)]),
    );
    Options {
        timeout: Duration::from_secs(5),
        concurrency: 4,
        proxy,
        no_proxy: NoProxy::parse(no_proxy),
        trust: Trust::public(trust).unwrap(),
        resolver: Resolver::Fixed(names),
    }
}

async fn verdict(e: Endpoint, o: &Options) -> Verdict {
    probe::probe(e, o).await.verdict
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_verdicts() {
    let good = pki(&[HOST]);
    let port = tls_server(&good).await;
    let trusted = options(std::slice::from_ref(&good.ca_der), None, "");
    let public_only = options(&[], None, "");
    assert_eq!(verdict(endpoint(HOST, port), &trusted).await, Verdict::Ok);
    assert_eq!(
        verdict(endpoint(HOST, port), &public_only).await,
        Verdict::TlsInspection,
        "a certificate from a CA the device does not trust: what TLS inspection looks like"
    );
    assert_eq!(
        verdict(endpoint("other.contoso.localhost", port), &trusted).await,
        Verdict::TlsCertificateInvalid,
        "a trusted chain for another name"
    );
    let closed = closed_port().await;
    assert_eq!(
        verdict(endpoint(HOST, closed), &trusted).await,
        Verdict::TcpRefused
    );
    assert_eq!(
        verdict(endpoint("blocked.contoso.test", port), &trusted).await,
        Verdict::DnsFailed
    );
    assert_eq!(
        verdict(endpoint("sinkholed.contoso.test", port), &trusted).await,
        Verdict::DnsSinkhole
    );
    let result = probe::probe(endpoint(HOST, port), &public_only).await;
    let text = serde_json::to_string(&result).unwrap();
    assert!(
        text.contains("Contoso Inspection CA"),
        "the issuer that was presented is named: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_proxy() {
    let good = pki(&[HOST]);
    let port = tls_server(&good).await;
    let ca = std::slice::from_ref(&good.ca_der);
    let via = |p: u16| Some(Proxy::parse(&format!("http://127.0.0.1:{p}")).unwrap());
    let tunnel = proxy("HTTP/1.1 200 Connection established\r\n\r\n", port).await;
    assert_eq!(
        verdict(endpoint(HOST, port), &options(ca, via(tunnel), "")).await,
        Verdict::Ok
    );
    let auth = proxy(
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n",
        port,
    )
    .await;
    assert_eq!(
        verdict(endpoint(HOST, port), &options(ca, via(auth), "")).await,
        Verdict::ProxyAuthRequired
    );
    let refuse = proxy("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", port).await;
    assert_eq!(
        verdict(endpoint(HOST, port), &options(ca, via(refuse), "")).await,
        Verdict::ProxyBlocked
    );
    // NO_PROXY sends the probe direct, past the refusing proxy.
    assert_eq!(
        verdict(
            endpoint(HOST, port),
            &options(ca, via(refuse), ".contoso.localhost")
        )
        .await,
        Verdict::Ok
    );
    let gone = closed_port().await;
    assert_eq!(
        verdict(endpoint(HOST, port), &options(ca, via(gone), "")).await,
        Verdict::ProxyUnreachable
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_probes_an_endpoint_file_and_exits_1_on_a_required_failure() {
    let good = pki(&["127.0.0.1", "localhost"]);
    let port = tls_server(&good).await;
    let closed = closed_port().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &good.ca_pem).unwrap();
    let list = dir.path().join("endpoints.json");
    let write = |eps: serde_json::Value| std::fs::write(&list, eps.to_string()).unwrap();
    let run = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_intune-audit"));
        c.args([
            "netcheck",
            "--endpoints",
            list.to_str().unwrap(),
            "--format",
            "json",
        ])
        .args(extra)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy");
        c.output().unwrap()
    };
    write(serde_json::json!([
        {"host": "127.0.0.1", "port": port, "service": "enrollment"},
        {"host": "127.0.0.1", "port": closed, "service": "closed", "required": false}
    ]));
    let out = run(&["--trust-ca", ca.to_str().unwrap(), "--timeout", "5"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "an optional endpoint failing does not fail the run"
    );
    let verdicts: Vec<&str> = json["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["ok", "tcp-refused"]);
    // No proxy variable: elsewhere than Windows nothing else sets a proxy.
    #[cfg(not(windows))]
    assert!(json["proxy_source"].is_null(), "{json}");

    let out = run(&["--timeout", "5"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "without the CA the required endpoint fails"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["endpoints"][0]["verdict"], "tls-inspection");

    std::fs::write(&list, "[{\"host\": 7}]").unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("endpoints.json"), "{err}");
}
