//! `HTTPS_PROXY` / `NO_PROXY`, and the HTTP CONNECT (or proxied HEAD) that goes through the
//! proxy.

use std::fmt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// An HTTP proxy from the environment (or `--proxy`).
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `user:password` from the URL, sent as Basic proxy authentication.
    credentials: Option<(String, String)>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Shown without the password.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credentials {
            Some((user, _)) => write!(f, "http://{user}:***@{}", authority(&self.host, self.port)),
            None => write!(f, "http://{}", authority(&self.host, self.port)),
        }
    }
}

impl Proxy {
    /// Parses `http://[user:pass@]host[:port][/]` (the scheme may be left out). An `https://` or
    /// SOCKS proxy is refused with a message: netcheck speaks plain HTTP CONNECT only.
    pub fn parse(url: &str) -> Result<Proxy, String> {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "proxy {url:?}: only http:// proxies are supported, not {scheme}://"
                ))
            }
            None => url,
        };
        let rest = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (host, port) = split_host_port(hostport)
            .ok_or_else(|| format!("proxy {url:?}: cannot read host and port"))?;
        let credentials = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            (percent_decode(user), percent_decode(pass))
        });
        Ok(Proxy {
            host,
            port: port.unwrap_or(80),
            credentials,
        })
    }

    /// The proxy from `HTTPS_PROXY`, `https_proxy`, `ALL_PROXY` or `all_proxy` (first set, not
    /// empty), with `get` reading a variable.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Proxy>, String> {
        Ok(Proxy::from_env_named(get)?.map(|(p, _)| p))
    }

    /// [`Proxy::from_env`] with the name of the variable it came from.
    pub fn from_env_named(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<(Proxy, &'static str)>, String> {
        for var in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            if let Some(v) = get(var).filter(|v| !v.trim().is_empty()) {
                return Proxy::parse(&v).map(|p| Some((p, var)));
            }
        }
        Ok(None)
    }

    fn authorization(&self) -> Option<String> {
        self.credentials
            .as_ref()
            .map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes())))
    }
}

/// `NO_PROXY` / `no_proxy`: comma-separated host names, domain suffixes (`.example.com` or
/// `example.com`, both match subdomains), IP literals, or `*` for everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<String>,
}

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        let entries = list
            .split(',')
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .map(|e| {
                // Drop a port (host:port), keeping IPv6 literals whole.
                match split_host_port(&e) {
                    Some((h, Some(_))) => h,
                    _ => e.trim_matches(['[', ']']).to_string(),
                }
            })
            .collect();
        NoProxy { entries }
    }

    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> NoProxy {
        let v = get("NO_PROXY")
            .or_else(|| get("no_proxy"))
            .unwrap_or_default();
        NoProxy::parse(&v)
    }

    /// Whether `host` is reached directly.
    pub fn bypasses(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host.trim_matches(['[', ']']);
        self.entries.iter().any(|e| {
            if e == "*" {
                return true;
            }
            let e = e.trim_start_matches("*.").trim_start_matches('.');
            host == e || host.ends_with(&format!(".{e}"))
        })
    }
}

/// What the proxy said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyReply {
    /// 2xx: the tunnel is open (or, for a proxied HEAD, the server answered).
    Ok(u16),
    /// 407: the proxy wants credentials.
    AuthRequired(String),
    /// Any other status: the proxy refused or could not reach the endpoint.
    Refused(u16, String),
    /// Not an HTTP reply, or the connection closed first.
    Garbled(String),
}

/// Sends `CONNECT host:port` and reads the reply head (nothing past it, so TLS can follow).
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> std::io::Result<ProxyReply> {
    let target = authority(host, port);
    let request = request_head(&format!("CONNECT {target} HTTP/1.1"), &target, proxy);
    exchange(stream, &request, false).await
}

/// Sends `HEAD http://host:port/` through the proxy (plain-HTTP endpoints). Any 2xx or 3xx is
/// the server's answer, so the endpoint was reached.
pub async fn head<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> std::io::Result<ProxyReply> {
    let target = authority(host, port);
    let request = request_head(&format!("HEAD http://{target}/ HTTP/1.1"), &target, proxy);
    exchange(stream, &request, true).await
}

fn request_head(line: &str, host: &str, proxy: &Proxy) -> String {
    let mut r = format!(
        "{line}\r\nHost: {host}\r\nUser-Agent: intune-audit-netcheck/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(auth) = proxy.authorization() {
        r.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    r.push_str("\r\n");
    r
}

const MAX_HEAD: usize = 16 * 1024;

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &str,
    redirect_is_ok: bool,
) -> std::io::Result<ProxyReply> {
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    // Byte by byte: whatever follows the head belongs to the TLS handshake.
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_HEAD {
            return Ok(ProxyReply::Garbled("reply head over 16 KiB".into()));
        }
        if stream.read(&mut byte).await? == 0 {
            if head.is_empty() {
                return Ok(ProxyReply::Garbled(
                    "the proxy closed the connection without a reply".into(),
                ));
            }
            break;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or_default().trim().to_string();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or_default(), parts.next());
    let code = match code.and_then(|c| c.parse::<u16>().ok()) {
        Some(c) if version.starts_with("HTTP/") => c,
        _ => {
            return Ok(ProxyReply::Garbled(format!(
                "not an HTTP reply: {:?}",
                truncate(&status_line, 80)
            )))
        }
    };
    Ok(match code {
        200..=299 => ProxyReply::Ok(code),
        300..=399 if redirect_is_ok => ProxyReply::Ok(code),
        407 => ProxyReply::AuthRequired(status_line),
        _ => ProxyReply::Refused(code, status_line),
    })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `host:port`, with brackets around an IPv6 literal.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`. `None` when empty or the port is bad.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match s.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 literal.
        Some((h, _)) if h.contains(':') => Some((s.to_string(), None)),
        Some((h, p)) if !h.is_empty() => Some((h.to_string(), Some(p.parse().ok()?))),
        Some(_) => None,
        None => Some((s.to_string(), None)),
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex);
            let lo = bytes.get(i + 2).copied().and_then(hex);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxy_urls() {
        let p = Proxy::parse("http://proxy.corp:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        assert_eq!(p.credentials, None);
        let p = Proxy::parse("10.0.0.1:8080").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("10.0.0.1", 8080));
        let p = Proxy::parse("http://u%40x:p%3Aw@[::1]:8080").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 8080));
        assert_eq!(p.credentials, Some(("u@x".into(), "p:w".into())));
        assert_eq!(p.to_string(), "http://u@x:***@[::1]:8080");
        assert_eq!(Proxy::parse("http://proxy").unwrap().port, 80);
        assert!(Proxy::parse("https://proxy:443").is_err());
        assert!(Proxy::parse("socks5://proxy:1080").is_err());
        assert!(Proxy::parse("http://proxy:notaport").is_err());
        assert!(Proxy::parse("").is_err());
        assert!(Proxy::parse("http://%").is_ok());
    }

    #[test]
    fn env_order() {
        let env = |k: &str| match k {
            "https_proxy" => Some("http://lower:1".to_string()),
            "ALL_PROXY" => Some("http://all:2".to_string()),
            _ => None,
        };
        assert_eq!(Proxy::from_env(env).unwrap().unwrap().host, "lower");
        assert_eq!(Proxy::from_env(|_| None).unwrap(), None);
        assert_eq!(Proxy::from_env(|_| Some(" ".into())).unwrap(), None);
    }

    #[test]
    fn no_proxy_matching() {
        let n = NoProxy::parse(" .corp.example, login.microsoftonline.com:443,127.0.0.1,[::1]");
        assert!(n.bypasses("a.corp.example"));
        assert!(n.bypasses("corp.example"));
        assert!(!n.bypasses("xcorp.example"));
        assert!(n.bypasses("LOGIN.microsoftonline.com."));
        assert!(!n.bypasses("device.login.microsoftonline.com.evil"));
        assert!(n.bypasses("device.login.microsoftonline.com"));
        assert!(n.bypasses("127.0.0.1"));
        assert!(n.bypasses("::1"));
        assert!(!n.bypasses("localhost"));
        assert!(NoProxy::parse("*").bypasses("anything"));
        assert!(!NoProxy::parse("").bypasses("anything"));
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%2"), "%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("é%41"), "éA");
    }
}
