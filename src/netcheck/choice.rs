//! Which proxy netcheck probes through: the environment's (`HTTPS_PROXY`, `NO_PROXY`), else
//! the WinHTTP machine proxy, and where it came from (printed and in the JSON report).

use super::proxy::{NoProxy, Proxy};
use super::winhttp;

/// The proxy netcheck probes through, and where that came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyChoice {
    pub proxy: Option<Proxy>,
    pub no_proxy: NoProxy,
    /// `HTTPS_PROXY` (the variable's name), `WinHTTP` or `WinHTTP: direct access`; `None`
    /// when nothing configures a proxy.
    pub source: Option<String>,
    /// Bypass entries of the WinHTTP list that cannot be honoured (unusual wildcards).
    pub ignored_bypass: Vec<String>,
}

impl ProxyChoice {
    /// The environment first (`HTTPS_PROXY`/`ALL_PROXY` with `NO_PROXY`), else the WinHTTP
    /// machine proxy that `winhttp` reads (the registry on Windows, nothing elsewhere). A
    /// WinHTTP value that cannot be read or parsed is an error, not a direct probe: the device
    /// would use a proxy netcheck cannot see.
    pub fn pick(
        env: impl Fn(&str) -> Option<String>,
        winhttp: impl FnOnce() -> Result<Option<Vec<u8>>, String>,
    ) -> Result<ProxyChoice, String> {
        if let Some((proxy, var)) = Proxy::from_env_named(&env)? {
            return Ok(ProxyChoice {
                proxy: Some(proxy),
                no_proxy: NoProxy::from_env(&env),
                source: Some(var.to_string()),
                ignored_bypass: Vec::new(),
            });
        }
        let unreadable = |e: String| {
            format!(
                "the WinHTTP proxy cannot be read ({e}); set HTTPS_PROXY to the proxy to probe through"
            )
        };
        let none = ProxyChoice {
            proxy: None,
            no_proxy: NoProxy::default(),
            source: None,
            ignored_bypass: Vec::new(),
        };
        let Some(blob) = winhttp().map_err(unreadable)? else {
            return Ok(none);
        };
        match winhttp::parse(&blob).map_err(unreadable)? {
            winhttp::WinHttpProxy::Direct => Ok(ProxyChoice {
                source: Some("WinHTTP: direct access".into()),
                ..none
            }),
            winhttp::WinHttpProxy::Named { server, bypass } => {
                let proxy = winhttp::https_proxy(&server).map_err(unreadable)?;
                let (no_proxy, ignored_bypass) = winhttp::bypass_list(&bypass);
                Ok(ProxyChoice {
                    proxy: Some(proxy),
                    no_proxy,
                    source: Some("WinHTTP".into()),
                    ignored_bypass,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `WinHttpSettings` blob: version, counter, flags, then the two length-prefixed lists.
    fn winhttp_blob(server: &str, bypass: &str) -> Vec<u8> {
        let mut b = Vec::new();
        for n in [0x28u32, 1, if server.is_empty() { 1 } else { 3 }] {
            b.extend(n.to_le_bytes());
        }
        for text in [server, bypass] {
            b.extend((text.len() as u32).to_le_bytes());
            b.extend(text.as_bytes());
        }
        b
    }

    #[test]
    fn the_environment_wins_then_winhttp_names_itself() {
        let env = |k: &str| (k == "HTTPS_PROXY").then(|| "http://envproxy:3128".to_string());
        let none = |_: &str| None;
        let named = || {
            Ok(Some(winhttp_blob(
                "proxy.contoso.com:8080",
                "*.contoso.com",
            )))
        };
        let c = ProxyChoice::pick(env, named).unwrap();
        assert_eq!(c.proxy.unwrap().host, "envproxy");
        assert_eq!(c.source.as_deref(), Some("HTTPS_PROXY"));

        let c = ProxyChoice::pick(none, named).unwrap();
        assert_eq!(c.proxy.as_ref().map(|p| p.port), Some(8080));
        assert_eq!(c.source.as_deref(), Some("WinHTTP"));
        assert!(c.no_proxy.bypasses("intranet.contoso.com"));
        assert!(!c.no_proxy.bypasses("enterpriseregistration.windows.net"));

        let c = ProxyChoice::pick(none, || Ok(Some(winhttp_blob("", "")))).unwrap();
        assert!(c.proxy.is_none());
        assert_eq!(c.source.as_deref(), Some("WinHTTP: direct access"));

        let c = ProxyChoice::pick(none, || Ok(None)).unwrap();
        assert!(c.proxy.is_none() && c.source.is_none());
    }

    #[test]
    fn an_unreadable_winhttp_proxy_is_an_error_not_a_direct_probe() {
        let none = |_: &str| None;
        let short = ProxyChoice::pick(none, || Ok(Some(vec![0x28, 0, 0]))).unwrap_err();
        assert!(short.contains("WinHTTP proxy cannot be read"), "{short}");
        assert!(short.contains("HTTPS_PROXY"), "{short}");
        let denied = ProxyChoice::pick(none, || Err("access denied".into())).unwrap_err();
        assert!(denied.contains("access denied"), "{denied}");
        let no_https = ProxyChoice::pick(none, || Ok(Some(winhttp_blob("http=p:80", ""))));
        assert!(no_https.is_err());
    }
}
