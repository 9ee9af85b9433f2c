//! National clouds and the endpoints of one run (graph-client.md §1.7).

use anyhow::{bail, Result};
use reqwest::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Cloud {
    /// Microsoft Entra global service (also M365 GCC "moderate").
    Global,
    /// US Government GCC High (L4).
    Usgov,
    /// US Government DoD (L5).
    UsgovDod,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::Usgov => "usgov",
            Cloud::UsgovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }
    pub fn login_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::Usgov | Cloud::UsgovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.partner.microsoftonline.cn",
        }
    }
    /// The Graph resource (also the base URL of the requests).
    pub fn graph_resource(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::Usgov => "https://graph.microsoft.us",
            Cloud::UsgovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }
    /// Audience of a federated (GitHub Actions) token for this cloud.
    pub fn token_exchange_audience(self) -> &'static str {
        match self {
            Cloud::Global => "api://AzureADTokenExchange",
            Cloud::Usgov | Cloud::UsgovDod => "api://AzureADTokenExchangeUSGov",
            Cloud::China => "api://AzureADTokenExchangeChina",
        }
    }
}

/// Where this run talks to: the login authority and the Graph base, after overrides.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub cloud: Cloud,
    /// Authority host without a trailing slash, e.g. `https://login.microsoftonline.com`.
    pub login: String,
    /// Graph base without a trailing slash, e.g. `https://graph.microsoft.com`.
    pub graph: String,
}

impl Endpoints {
    pub fn new(cloud: Cloud, graph_url: Option<&str>, login_url: Option<&str>) -> Result<Self> {
        let graph = match graph_url {
            Some(u) => checked_base(u, "--graph-url")?,
            None => cloud.graph_resource().to_string(),
        };
        let login = match login_url {
            Some(u) => checked_base(u, "--login-url")?,
            None => cloud.login_host().to_string(),
        };
        Ok(Endpoints {
            cloud,
            login,
            graph,
        })
    }

    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.login)
    }
    pub fn device_code_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/devicecode", self.login)
    }
    pub fn authorize_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/authorize", self.login)
    }
    /// `{graph}/.default`: every application permission granted to the app.
    pub fn default_scope(&self) -> String {
        format!("{}/.default", self.cloud.graph_resource())
    }
    /// Explicit delegated scopes (what an admin consents to on first sign-in).
    pub fn delegated_scopes(&self) -> String {
        let base = self.cloud.graph_resource();
        let mut s: Vec<String> = DELEGATED_SCOPES
            .iter()
            .map(|p| format!("{base}/{p}"))
            .collect();
        s.push("offline_access".into());
        s.join(" ")
    }
    /// Absolute URL of a path below the Graph base (`/v1.0/users?...`).
    pub fn graph_url(&self, relative: &str) -> String {
        format!("{}{relative}", self.graph)
    }
}

/// Whether a host is a loopback name or address.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Validates an override URL: https anywhere, http only for loopback hosts.
fn checked_base(text: &str, flag: &str) -> Result<String> {
    let url = match Url::parse(text) {
        Ok(u) => u,
        Err(e) => bail!("{flag} {text:?} is not a URL ({e})"),
    };
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" if !host.is_empty() => {}
        "http" if is_loopback_host(host) => {}
        "http" => bail!(
            "{flag} {text}: http:// is accepted only for loopback hosts (localhost, 127.0.0.1, [::1]); use https://"
        ),
        _ => bail!("{flag} {text:?} must be an https:// URL"),
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("{flag} {text:?} must not have a query or fragment");
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Delegated scopes a signed-in admin consents to (device code / browser sign-in).
/// Policy.Read.All covers the device registration policy and the MDM/MAM user scope, which Graph
/// serves only to delegated tokens.
pub const DELEGATED_SCOPES: &[&str] = &[
    "Organization.Read.All",
    "Domain.Read.All",
    "LicenseAssignment.Read.All",
    "User.Read.All",
    "GroupMember.Read.All",
    "Device.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementApps.Read.All",
    "Application.Read.All",
    "Policy.Read.All",
];

/// The public client of the Microsoft Graph command-line tools: delegated sign-in without
/// registering an app.
pub const GRAPH_CLI_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegated_scopes_grant_every_planned_read() {
        for row in crate::graph::plan::PLAN {
            let p = row.permission;
            // Policy.Read.All covers Policy.Read.DeviceConfiguration and the delegated-only rows.
            let covered = DELEGATED_SCOPES.contains(&p) || p.starts_with("Policy.Read.");
            assert!(covered, "{}: {p} is not a delegated scope", row.resource);
        }
    }

    #[test]
    fn http_only_for_loopback() {
        assert!(Endpoints::new(Cloud::Global, Some("http://127.0.0.1:8080"), None).is_ok());
        assert!(Endpoints::new(Cloud::Global, Some("http://localhost:1/"), None).is_ok());
        assert!(Endpoints::new(Cloud::Global, Some("http://[::1]:9"), None).is_ok());
        let e = Endpoints::new(Cloud::Global, Some("http://graph.example.com"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("loopback"), "{e}");
        assert!(e.starts_with("--graph-url"));
        assert!(Endpoints::new(Cloud::Global, None, Some("ftp://x")).is_err());
        assert!(Endpoints::new(Cloud::Global, None, Some("not a url")).is_err());
        let ok = Endpoints::new(Cloud::China, Some("https://proxy.example/graph/"), None).unwrap();
        assert_eq!(ok.graph, "https://proxy.example/graph");
        assert_eq!(ok.login, "https://login.partner.microsoftonline.cn");
    }

    #[test]
    fn sovereign_scopes_and_token_urls() {
        let e = Endpoints::new(Cloud::UsgovDod, None, None).unwrap();
        assert_eq!(e.default_scope(), "https://dod-graph.microsoft.us/.default");
        assert_eq!(
            e.token_url("contoso.onmicrosoft.us"),
            "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token"
        );
        assert!(e
            .delegated_scopes()
            .contains("https://dod-graph.microsoft.us/Policy.Read.All"));
        assert!(e.delegated_scopes().ends_with("offline_access"));
    }
}
