//! One probe per endpoint: DNS, TCP (directly or to the proxy, then CONNECT), TLS. Every
//! network error becomes a verdict; nothing here panics or returns early with an error.

use super::endpoints::{Endpoint, ProbeKind};
use super::proxy::{self, NoProxy, Proxy, ProxyReply};
use super::tls::{CertProblem, Trust};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// How names are resolved: the system resolver, or (tests) fixed answers for some names.
#[derive(Debug, Clone, Default)]
pub enum Resolver {
    #[default]
    System,
    /// Names listed here get this answer (`Err` = the name does not resolve); others go to the
    /// system resolver.
    Fixed(BTreeMap<String, Result<Vec<IpAddr>, String>>),
}

/// Everything a run needs besides the endpoint list.
#[derive(Debug, Clone)]
pub struct Options {
    /// Limit for each step (DNS, TCP, proxy reply, TLS handshake).
    pub timeout: Duration,
    /// Probes running at once.
    pub concurrency: usize,
    pub proxy: Option<Proxy>,
    pub no_proxy: NoProxy,
    pub trust: Trust,
    pub resolver: Resolver,
}

/// The outcome of one endpoint, worst step first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    NotProbed,
    DnsFailed,
    DnsSinkhole,
    DnsTimeout,
    TcpRefused,
    TcpTimeout,
    TcpFailed,
    ProxyUnreachable,
    ProxyAuthRequired,
    ProxyBlocked,
    ProxyError,
    TlsInspection,
    TlsCertificateInvalid,
    TlsTimeout,
    TlsFailed,
}

impl Verdict {
    pub fn is_failure(self) -> bool {
        !matches!(self, Verdict::Ok | Verdict::NotProbed)
    }

    /// A few words for the table.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NotProbed => "not probed",
            Verdict::DnsFailed => "DNS failed",
            Verdict::DnsSinkhole => "DNS sinkhole",
            Verdict::DnsTimeout => "DNS timed out",
            Verdict::TcpRefused => "TCP refused",
            Verdict::TcpTimeout => "TCP timed out",
            Verdict::TcpFailed => "TCP failed",
            Verdict::ProxyUnreachable => "proxy unreachable",
            Verdict::ProxyAuthRequired => "proxy requires authentication",
            Verdict::ProxyBlocked => "blocked by proxy",
            Verdict::ProxyError => "proxy error",
            Verdict::TlsInspection => "TLS inspection / untrusted certificate",
            Verdict::TlsCertificateInvalid => "certificate invalid",
            Verdict::TlsTimeout => "TLS timed out",
            Verdict::TlsFailed => "TLS failed",
        }
    }

    /// What the verdict usually means on a site network.
    pub fn meaning(self) -> &'static str {
        match self {
            Verdict::Ok => "Reachable, and the certificate is the real one.",
            Verdict::NotProbed => "Not probed over TCP; check it on the firewall.",
            Verdict::DnsFailed => "The name does not resolve: a DNS filter blocks it (NXDOMAIN), or the DNS server is unreachable from this network.",
            Verdict::DnsSinkhole => "The name resolves to 0.0.0.0 or a loopback address: a DNS filter sinkholes it. Allow the domain on the DNS filter.",
            Verdict::DnsTimeout => "No DNS answer in time: the DNS server is unreachable or drops the query.",
            Verdict::TcpRefused => "The connection was actively refused: a firewall rejects the port, or nothing listens there.",
            Verdict::TcpTimeout => "No answer to the connection: a firewall silently drops the traffic (or there is no route out).",
            Verdict::TcpFailed => "The connection failed (network or host unreachable): no route out, or a firewall rejects it.",
            Verdict::ProxyUnreachable => "The configured proxy cannot be reached: check HTTPS_PROXY and the proxy itself.",
            Verdict::ProxyAuthRequired => "The proxy demands authentication (407). During OOBE Windows runs as SYSTEM and usually cannot authenticate: exempt these endpoints from proxy authentication (the OOBEIDPS cause).",
            Verdict::ProxyBlocked => "The proxy refused the connection or could not reach the endpoint: allow the domain on the proxy.",
            Verdict::ProxyError => "The proxy did not answer the CONNECT as an HTTP proxy should.",
            Verdict::TlsInspection => "The handshake completed, but with a certificate that does not chain to a public root: TLS inspection (or a captive portal) swaps the certificate. Windows in OOBE does not trust that CA and identity services reject inspection: exclude these endpoints from TLS inspection.",
            Verdict::TlsCertificateInvalid => "The certificate chains to a public root but is not valid for this name or date: a wrong server answers (redirect, captive portal), or the clock is wrong.",
            Verdict::TlsTimeout => "The TLS handshake did not finish in time: a firewall or proxy stalls TLS to this name.",
            Verdict::TlsFailed => "The TLS handshake failed: a firewall that filters on the server name (SNI) often resets here; an old TLS-inspecting device can also fail the handshake.",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Ok,
    Failed,
    /// Not run (an earlier step failed, or it does not apply).
    Skipped,
}

/// One step (DNS, TCP, TLS) of one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub status: StepStatus,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
}

impl Step {
    fn skipped(detail: &str) -> Step {
        Step {
            status: StepStatus::Skipped,
            detail: detail.to_string(),
            ms: None,
        }
    }
    fn ok(detail: String, took: Duration) -> Step {
        Step {
            status: StepStatus::Ok,
            detail,
            ms: Some(millis(took)),
        }
    }
    fn failed(detail: String, took: Duration) -> Step {
        Step {
            status: StepStatus::Failed,
            detail,
            ms: Some(millis(took)),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The result for one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    pub endpoint: Endpoint,
    /// The proxy used, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    pub dns: Step,
    pub tcp: Step,
    pub tls: Step,
    pub verdict: Verdict,
    /// The failure in one line (empty when ok).
    pub failure: String,
    pub meaning: &'static str,
    /// Issuer of the certificate the server presented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub ms: u64,
}

struct Builder {
    endpoint: Endpoint,
    proxy: Option<String>,
    dns: Step,
    tcp: Step,
    tls: Step,
    issuer: Option<String>,
    start: Instant,
}

impl Builder {
    fn finish(self, verdict: Verdict, failure: String) -> ProbeResult {
        ProbeResult {
            endpoint: self.endpoint,
            proxy: self.proxy,
            dns: self.dns,
            tcp: self.tcp,
            tls: self.tls,
            verdict,
            failure,
            meaning: verdict.meaning(),
            issuer: self.issuer,
            ms: millis(self.start.elapsed()),
        }
    }
}

/// Probes every endpoint, at most `options.concurrency` at once; results in input order.
pub async fn run(endpoints: Vec<Endpoint>, options: Arc<Options>) -> Vec<ProbeResult> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, endpoint) in endpoints.iter().cloned().enumerate() {
        let semaphore = semaphore.clone();
        let options = options.clone();
        set.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            (i, probe(endpoint, &options).await)
        });
    }
    let mut results: Vec<Option<ProbeResult>> = vec![None; endpoints.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
    }
    results
        .into_iter()
        .zip(endpoints)
        .map(|(r, endpoint)| {
            r.unwrap_or_else(|| {
                let b = Builder {
                    endpoint,
                    proxy: None,
                    dns: Step::skipped(""),
                    tcp: Step::skipped(""),
                    tls: Step::skipped(""),
                    issuer: None,
                    start: Instant::now(),
                };
                b.finish(Verdict::TlsFailed, "the probe stopped unexpectedly".into())
            })
        })
        .collect()
}

/// Runs [`run`] on a runtime of its own (a current-thread runtime: probes wait on the network,
/// not the CPU). Blocked DNS look-ups still running at the end are abandoned, not waited for.
pub fn run_blocking(endpoints: Vec<Endpoint>, options: Options) -> io::Result<Vec<ProbeResult>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let results = rt.block_on(run(endpoints, Arc::new(options)));
    rt.shutdown_background();
    Ok(results)
}

async fn timed<T>(limit: Duration, f: impl Future<Output = T>) -> (Option<T>, Duration) {
    let start = Instant::now();
    let r = tokio::time::timeout(limit, f).await.ok();
    (r, start.elapsed())
}

/// Probes one endpoint.
pub async fn probe(endpoint: Endpoint, options: &Options) -> ProbeResult {
    let via = options
        .proxy
        .clone()
        .filter(|_| !options.no_proxy.bypasses(&endpoint.host));
    let mut b = Builder {
        proxy: via.as_ref().map(|p| p.to_string()),
        endpoint,
        dns: Step::skipped("not run"),
        tcp: Step::skipped("not run"),
        tls: Step::skipped("not run"),
        issuer: None,
        start: Instant::now(),
    };
    if b.endpoint.probe == ProbeKind::Udp {
        let note = format!("UDP {}: not probed over TCP", b.endpoint.port);
        b.dns = Step::skipped(&note);
        b.tcp = Step::skipped(&note);
        b.tls = Step::skipped(&note);
        return b.finish(Verdict::NotProbed, note);
    }
    if b.endpoint.probe == ProbeKind::Tcp {
        b.tls = Step::skipped("plain HTTP endpoint: no TLS");
    }
    let host = b.endpoint.host.clone();
    let port = b.endpoint.port;
    let limit = options.timeout;

    let stream = match &via {
        None => match connect_direct(&mut b, options, &host, port).await {
            Ok(s) => s,
            Err((verdict, failure)) => return b.finish(verdict, failure),
        },
        Some(proxy) => match connect_via_proxy(&mut b, options, proxy, &host, port).await {
            Ok(s) => s,
            Err((verdict, failure)) => return b.finish(verdict, failure),
        },
    };
    if b.endpoint.probe == ProbeKind::Tcp {
        drop(stream);
        return b.finish(Verdict::Ok, String::new());
    }

    // TLS.
    let (config, recorder) = match options.trust.client_config() {
        Ok(c) => c,
        Err(e) => {
            let failure = format!("cannot set up TLS: {e}");
            b.tls = Step::failed(failure.clone(), Duration::ZERO);
            return b.finish(Verdict::TlsFailed, failure);
        }
    };
    let server_name = match rustls::pki_types::ServerName::try_from(host.clone()) {
        Ok(n) => n,
        Err(_) => {
            let failure = format!("{host:?} is not a valid TLS server name");
            b.tls = Step::failed(failure.clone(), Duration::ZERO);
            return b.finish(Verdict::TlsFailed, failure);
        }
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    let (handshake, took) = timed(limit, connector.connect(server_name, stream)).await;
    let presented = recorder.presented();
    b.issuer = presented.as_ref().map(|p| p.issuer.clone());
    match handshake {
        None => {
            let failure = format!("no TLS handshake in {}", secs(limit));
            b.tls = Step::failed(failure.clone(), took);
            b.finish(Verdict::TlsTimeout, failure)
        }
        Some(Err(e)) => {
            let failure = tls_error(&e);
            b.tls = Step::failed(failure.clone(), took);
            b.finish(Verdict::TlsFailed, failure)
        }
        Some(Ok(tls)) => {
            let version = tls
                .get_ref()
                .1
                .protocol_version()
                .and_then(|v| v.as_str())
                .unwrap_or("TLS")
                .replace('_', ".")
                .replace("TLSv", "TLS ");
            drop(tls);
            match presented {
                None => {
                    let failure = "handshake finished without a server certificate".to_string();
                    b.tls = Step::failed(failure.clone(), took);
                    b.finish(Verdict::TlsFailed, failure)
                }
                Some(p) => match p.problem {
                    None => {
                        b.tls = Step::ok(format!("{version}, issuer {}", p.issuer), took);
                        b.finish(Verdict::Ok, String::new())
                    }
                    Some(CertProblem::UntrustedIssuer(why)) => {
                        let failure = format!(
                            "certificate issued by {:?}, which is not a public CA ({why})",
                            p.issuer
                        );
                        b.tls = Step::failed(failure.clone(), took);
                        b.finish(Verdict::TlsInspection, failure)
                    }
                    Some(CertProblem::Invalid(why)) => {
                        let failure = format!("{why} (issuer {:?})", p.issuer);
                        b.tls = Step::failed(failure.clone(), took);
                        b.finish(Verdict::TlsCertificateInvalid, failure)
                    }
                },
            }
        }
    }
}

type Failure = (Verdict, String);

async fn connect_direct(
    b: &mut Builder,
    options: &Options,
    host: &str,
    port: u16,
) -> Result<TcpStream, Failure> {
    let limit = options.timeout;
    let (answer, took) = timed(limit, resolve(&options.resolver, host, port)).await;
    let addrs = match answer {
        None => {
            let f = format!("no DNS answer in {}", secs(limit));
            b.dns = Step::failed(f.clone(), took);
            return Err((Verdict::DnsTimeout, f));
        }
        Some(Err(e)) => {
            let f = format!("{host} does not resolve: {e}");
            b.dns = Step::failed(f.clone(), took);
            return Err((Verdict::DnsFailed, f));
        }
        Some(Ok(a)) if a.is_empty() => {
            let f = format!("{host} resolves to no address");
            b.dns = Step::failed(f.clone(), took);
            return Err((Verdict::DnsFailed, f));
        }
        Some(Ok(a)) => a,
    };
    let shown = show_addrs(&addrs);
    if is_sinkholed(host, &addrs) {
        let f = format!("{host} resolves to {shown}");
        b.dns = Step::failed(f.clone(), took);
        return Err((Verdict::DnsSinkhole, f));
    }
    b.dns = Step::ok(shown, took);
    let (result, took) = timed(limit, connect_any(&addrs)).await;
    match result {
        None => {
            let f = format!("no TCP answer from port {port} in {}", secs(limit));
            b.tcp = Step::failed(f.clone(), took);
            Err((Verdict::TcpTimeout, f))
        }
        Some(Err(e)) => {
            let verdict = match e.kind() {
                io::ErrorKind::ConnectionRefused => Verdict::TcpRefused,
                io::ErrorKind::TimedOut => Verdict::TcpTimeout,
                _ => Verdict::TcpFailed,
            };
            let f = format!("TCP {port}: {e}");
            b.tcp = Step::failed(f.clone(), took);
            Err((verdict, f))
        }
        Some(Ok(stream)) => {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            b.tcp = Step::ok(format!("connected to {peer}"), took);
            Ok(stream)
        }
    }
}

async fn connect_via_proxy(
    b: &mut Builder,
    options: &Options,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<TcpStream, Failure> {
    let limit = options.timeout;
    let (answer, took) = timed(limit, resolve(&options.resolver, &proxy.host, proxy.port)).await;
    let addrs = match answer {
        Some(Ok(a)) if !a.is_empty() => a,
        other => {
            let why = match other {
                None => format!("no DNS answer in {}", secs(limit)),
                Some(Err(e)) => e.to_string(),
                Some(Ok(_)) => "no address".to_string(),
            };
            let f = format!("proxy {proxy}: {} does not resolve: {why}", proxy.host);
            b.dns = Step::failed(f.clone(), took);
            return Err((Verdict::ProxyUnreachable, f));
        }
    };
    b.dns = Step::ok(
        format!(
            "by the proxy (proxy {} = {})",
            proxy.host,
            show_addrs(&addrs)
        ),
        took,
    );
    let (result, took) = timed(limit, connect_any(&addrs)).await;
    let mut stream = match result {
        Some(Ok(s)) => s,
        other => {
            let why = match other {
                None => format!("no answer in {}", secs(limit)),
                Some(Err(e)) => e.to_string(),
                Some(Ok(_)) => String::new(),
            };
            let f = format!("cannot connect to proxy {proxy}: {why}");
            b.tcp = Step::failed(f.clone(), took);
            return Err((Verdict::ProxyUnreachable, f));
        }
    };
    let plain = b.endpoint.probe == ProbeKind::Tcp;
    let (reply, took_reply) = if plain {
        timed(limit, proxy::head(&mut stream, proxy, host, port)).await
    } else {
        timed(limit, proxy::connect(&mut stream, proxy, host, port)).await
    };
    let took = took + took_reply;
    let method = if plain { "HEAD" } else { "CONNECT" };
    let target = proxy::authority(host, port);
    let failure = |verdict: Verdict, f: String, b: &mut Builder| {
        b.tcp = Step::failed(f.clone(), took);
        Err((verdict, f))
    };
    match reply {
        None => failure(
            Verdict::ProxyError,
            format!(
                "proxy {proxy} did not answer {method} {target} in {}",
                secs(limit)
            ),
            b,
        ),
        Some(Err(e)) => failure(
            Verdict::ProxyError,
            format!("proxy {proxy}, {method} {target}: {e}"),
            b,
        ),
        Some(Ok(ProxyReply::Garbled(why))) => failure(
            Verdict::ProxyError,
            format!("proxy {proxy}, {method} {target}: {why}"),
            b,
        ),
        Some(Ok(ProxyReply::AuthRequired(line))) => failure(
            Verdict::ProxyAuthRequired,
            format!("proxy {proxy} answered {method} {target} with {line:?}"),
            b,
        ),
        Some(Ok(ProxyReply::Refused(_, line))) => failure(
            Verdict::ProxyBlocked,
            format!("proxy {proxy} answered {method} {target} with {line:?}"),
            b,
        ),
        Some(Ok(ProxyReply::Ok(code))) => {
            let what = if plain { "answered" } else { "tunnel open" };
            b.tcp = Step::ok(format!("via proxy {proxy}: {what} ({code})"), took);
            Ok(stream)
        }
    }
}

async fn resolve(resolver: &Resolver, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Resolver::Fixed(map) = resolver {
        if let Some(answer) = map.get(&host.to_ascii_lowercase()) {
            return match answer {
                Ok(ips) => Ok(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()),
                Err(e) => Err(io::Error::new(io::ErrorKind::NotFound, e.clone())),
            };
        }
    }
    let host = host.trim_matches(['[', ']']);
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in tokio::net::lookup_host((host, port)).await? {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    Ok(addrs)
}

/// Tries each address in turn; the first error is the one reported (the rest usually repeat it).
async fn connect_any(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut first_error = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address")))
}

/// A public name answered with 0.0.0.0/::, or a loopback address, is a DNS filter's sinkhole.
/// Names that are themselves local (an IP literal, `localhost`) are exempt.
pub fn is_sinkholed(host: &str, addrs: &[SocketAddr]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<IpAddr>().is_ok()
        || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok()
        || host == "localhost"
        || host.ends_with(".localhost")
    {
        return false;
    }
    !addrs.is_empty()
        && addrs
            .iter()
            .all(|a| a.ip().is_unspecified() || a.ip().is_loopback())
}

fn show_addrs(addrs: &[SocketAddr]) -> String {
    let mut ips: Vec<String> = Vec::new();
    for a in addrs {
        let ip = a.ip().to_string();
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    let more = ips.len().saturating_sub(3);
    ips.truncate(3);
    let mut s = ips.join(", ");
    if more > 0 {
        s.push_str(&format!(" (+{more})"));
    }
    s
}

fn secs(d: Duration) -> String {
    let ms = millis(d);
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn tls_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionReset => {
            "the connection was reset during the TLS handshake".to_string()
        }
        io::ErrorKind::UnexpectedEof => {
            "the connection was closed during the TLS handshake".to_string()
        }
        _ => match e.get_ref() {
            Some(inner) => format!("TLS handshake failed: {inner}"),
            None => format!("TLS handshake failed: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), 443)
    }

    #[test]
    fn sinkhole_detection() {
        let name = "login.microsoftonline.com";
        assert!(is_sinkholed(name, &[addr("0.0.0.0")]));
        assert!(is_sinkholed(name, &[addr("127.0.0.1"), addr("::1")]));
        assert!(is_sinkholed(name, &[addr("::")]));
        assert!(!is_sinkholed(name, &[addr("20.190.151.7")]));
        assert!(!is_sinkholed(
            name,
            &[addr("0.0.0.0"), addr("20.190.151.7")]
        ));
        assert!(!is_sinkholed(name, &[]));
        assert!(!is_sinkholed("localhost", &[addr("127.0.0.1")]));
        assert!(!is_sinkholed("127.0.0.1", &[addr("127.0.0.1")]));
        assert!(!is_sinkholed("[::1]", &[addr("::1")]));
    }

    #[test]
    fn every_failure_has_a_meaning() {
        for v in [
            Verdict::DnsFailed,
            Verdict::DnsSinkhole,
            Verdict::TcpRefused,
            Verdict::ProxyAuthRequired,
            Verdict::TlsInspection,
            Verdict::TlsFailed,
        ] {
            assert!(v.is_failure());
            assert!(v.meaning().len() > 20);
        }
        assert!(!Verdict::NotProbed.is_failure());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(secs(Duration::from_secs(10)), "10 s");
        assert_eq!(secs(Duration::from_millis(1500)), "1.5 s");
        let many: Vec<SocketAddr> = (1..=5).map(|i| addr(&format!("10.0.0.{i}"))).collect();
        assert_eq!(show_addrs(&many), "10.0.0.1, 10.0.0.2, 10.0.0.3 (+2)");
    }
}
