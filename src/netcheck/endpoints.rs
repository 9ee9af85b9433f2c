//! The endpoints Windows Autopilot, Entra join and Intune enrollment need, in one table, each
//! row with the published source it comes from; and the `--endpoints FILE` format that replaces
//! the table (tests use it to point every probe at loopback servers).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which deployment needs an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Windows Autopilot user-driven (Entra join).
    Autopilot,
    /// Autopilot self-deploying mode and pre-provisioning (TPM attestation).
    #[value(alias = "pre-provisioning")]
    SelfDeploying,
    /// Autopilot with Microsoft Entra hybrid join.
    Hybrid,
    /// Intune enrollment of a Windows device outside Autopilot.
    Intune,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Autopilot,
        Scenario::SelfDeploying,
        Scenario::Hybrid,
        Scenario::Intune,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Autopilot => "autopilot",
            Scenario::SelfDeploying => "self-deploying",
            Scenario::Hybrid => "hybrid",
            Scenario::Intune => "intune",
        }
    }
}

/// What is probed on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// DNS, TCP, then a TLS handshake verified against the public roots and the host name.
    Tls,
    /// DNS and TCP only (a plain-HTTP service such as the connectivity test).
    Tcp,
    /// A UDP service (NTP): listed, not probed.
    Udp,
}

/// One endpoint to probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Host name (or IP literal); also the TLS server name that is verified.
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "default_probe")]
    pub probe: ProbeKind,
    /// A failure of a required endpoint makes the run exit 1.
    #[serde(default = "default_required")]
    pub required: bool,
    /// What the endpoint is for.
    #[serde(default)]
    pub service: String,
    /// The deployments that need it (all of them when empty in a file).
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
    /// Where the requirement is published.
    #[serde(default)]
    pub source: String,
    /// Anything the reader should know (the wildcard this host stands for, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

fn default_port() -> u16 {
    443
}
fn default_probe() -> ProbeKind {
    ProbeKind::Tls
}
fn default_required() -> bool {
    true
}

const AUTOPILOT_REQS: &str =
    "Windows Autopilot requirements, Networking (learn.microsoft.com/autopilot/requirements)";
const INTUNE_ENDPOINTS: &str =
    "Network endpoints for Microsoft Intune (learn.microsoft.com/intune/intune-service/fundamentals/intune-endpoints)";
const ACTIVATION: &str =
    "Windows activation or validation fails with error code 0x8004FE33 (support.microsoft.com), referenced by the Autopilot networking requirements";

use ProbeKind::{Tcp, Tls, Udp};
use Scenario::{Autopilot as AP, Hybrid as HY, Intune as IN, SelfDeploying as SD};

const ALL: &[Scenario] = &[AP, SD, HY, IN];
const AUTOPILOT_ALL: &[Scenario] = &[AP, SD, HY];
const TPM: &[Scenario] = &[SD];

/// (host, port, probe, required, scenarios, service, source, note)
type Row = (
    &'static str,
    u16,
    ProbeKind,
    bool,
    &'static [Scenario],
    &'static str,
    &'static str,
    &'static str,
);

/// THE endpoint table. Wildcard domains are probed through a documented concrete host.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Identity: Entra ID sign-in, device registration (join), device authentication.
    ("login.microsoftonline.com", 443, Tls, true, ALL, "Entra ID sign-in", INTUNE_ENDPOINTS, "ID 56, Authentication and Identity"),
    ("device.login.microsoftonline.com", 443, Tls, true, ALL, "Entra device authentication", INTUNE_ENDPOINTS, "consolidated list; device sign-in during join"),
    ("enterpriseregistration.windows.net", 443, Tls, true, ALL, "Entra device registration (join)", INTUNE_ENDPOINTS, "ID 59, Identity supporting services"),
    ("login.live.com", 443, Tls, true, ALL, "Microsoft account / device authentication", AUTOPILOT_REQS, "also Intune endpoints ID 97"),
    // Autopilot deployment service.
    ("ztd.dds.microsoft.com", 443, Tls, true, AUTOPILOT_ALL, "Autopilot deployment service", AUTOPILOT_REQS, ""),
    ("cs.dds.microsoft.com", 443, Tls, true, AUTOPILOT_ALL, "Autopilot deployment service", AUTOPILOT_REQS, ""),
    // Intune enrollment and management.
    ("enrollment.manage.microsoft.com", 443, Tls, true, ALL, "Intune MDM enrollment", INTUNE_ENDPOINTS, "ID 163, *.manage.microsoft.com; TLS inspection is not supported"),
    ("EnterpriseEnrollment.manage.microsoft.com", 443, Tls, true, ALL, "Intune enrollment discovery", INTUNE_ENDPOINTS, "ID 163"),
    ("portal.manage.microsoft.com", 443, Tls, true, ALL, "Intune service (Company Portal)", INTUNE_ENDPOINTS, "ID 163, *.manage.microsoft.com"),
    ("manage.microsoft.com", 443, Tls, true, ALL, "Intune client and host service", INTUNE_ENDPOINTS, "ID 163"),
    ("go.microsoft.com", 443, Tls, true, ALL, "Endpoint discovery", INTUNE_ENDPOINTS, "ID 190"),
    // Windows activation (Autopilot requires it).
    ("activation-v2.sls.microsoft.com", 443, Tls, true, AUTOPILOT_ALL, "Windows activation", ACTIVATION, ""),
    ("licensing.mp.microsoft.com", 443, Tls, true, AUTOPILOT_ALL, "Windows licensing", ACTIVATION, ""),
    // TPM attestation: self-deploying and pre-provisioning, firmware TPMs.
    ("ekop.intel.com", 443, Tls, true, TPM, "TPM EK certificate (Intel firmware TPM)", AUTOPILOT_REQS, "needed on devices with an Intel firmware TPM"),
    ("ekcert.spserv.microsoft.com", 443, Tls, true, TPM, "TPM EK certificate (Qualcomm firmware TPM)", AUTOPILOT_REQS, "needed on devices with a Qualcomm firmware TPM"),
    ("ftpm.amd.com", 443, Tls, true, TPM, "TPM EK certificate (AMD firmware TPM)", AUTOPILOT_REQS, "needed on devices with an AMD firmware TPM"),
    // Connectivity, time, notifications, updates: the deployment goes on without them.
    ("www.msftconnecttest.com", 80, Tcp, false, AUTOPILOT_ALL, "Network connection status indicator (HTTP)", AUTOPILOT_REQS, "*.msftconnecttest.com; without it Windows may believe it is offline"),
    ("time.windows.com", 123, Udp, false, AUTOPILOT_ALL, "Time sync (NTP, UDP 123)", AUTOPILOT_REQS, "UDP: not probed over TCP; check UDP 123 on the firewall"),
    ("lgmsapeweu.blob.core.windows.net", 443, Tls, false, AUTOPILOT_ALL, "Autopilot diagnostics upload", AUTOPILOT_REQS, ""),
    ("sin.notify.windows.com", 443, Tls, false, ALL, "Windows push notifications (WNS)", INTUNE_ENDPOINTS, "ID 171, *.notify.windows.com"),
    ("swda01-mscdn.manage.microsoft.com", 443, Tls, false, ALL, "Intune Win32 app content", INTUNE_ENDPOINTS, "ID 170"),
    ("geo.prod.do.dsp.mp.microsoft.com", 443, Tls, false, ALL, "Delivery Optimization", INTUNE_ENDPOINTS, "ID 172, *.do.dsp.mp.microsoft.com"),
    ("fe3cr.delivery.mp.microsoft.com", 443, Tls, false, AUTOPILOT_ALL, "Windows Update", AUTOPILOT_REQS, "*.delivery.mp.microsoft.com; Autopilot goes on without updates"),
];

/// The built-in endpoint table.
pub fn builtin() -> Vec<Endpoint> {
    TABLE
        .iter()
        .map(
            |&(host, port, probe, required, scenarios, service, source, note)| Endpoint {
                host: host.to_string(),
                port,
                probe,
                required,
                service: service.to_string(),
                scenarios: scenarios.to_vec(),
                source: source.to_string(),
                note: note.to_string(),
            },
        )
        .collect()
}

/// Reads an endpoint list (a JSON array of endpoints; `host` is the only required field).
pub fn from_file(path: &Path) -> anyhow::Result<Vec<Endpoint>> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read endpoint file {}", path.display()))?;
    let mut list: Vec<Endpoint> = serde_json::from_str(&text).with_context(|| {
        format!(
            "endpoint file {} is not a JSON list of endpoints",
            path.display()
        )
    })?;
    for e in &mut list {
        if e.host.trim().is_empty() {
            anyhow::bail!(
                "endpoint file {}: an endpoint has an empty host",
                path.display()
            );
        }
        if e.port == 0 {
            anyhow::bail!("endpoint file {}: {} has port 0", path.display(), e.host);
        }
        if e.scenarios.is_empty() {
            e.scenarios = Scenario::ALL.to_vec();
        }
        if e.service.is_empty() {
            e.service = e.host.clone();
        }
        if e.source.is_empty() {
            e.source = format!("endpoint file {}", path.display());
        }
    }
    Ok(list)
}

/// Keeps the endpoints any of `scenarios` needs (all when `scenarios` is empty).
pub fn filter(list: Vec<Endpoint>, scenarios: &[Scenario]) -> Vec<Endpoint> {
    if scenarios.is_empty() {
        return list;
    }
    list.into_iter()
        .filter(|e| e.scenarios.iter().any(|s| scenarios.contains(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        let list = builtin();
        assert!(list.len() >= 15);
        for e in &list {
            assert!(!e.host.contains('*'), "{} is a wildcard", e.host);
            assert!(!e.source.is_empty() && !e.service.is_empty() && !e.scenarios.is_empty());
        }
        for must in [
            "login.microsoftonline.com",
            "enterpriseregistration.windows.net",
            "ztd.dds.microsoft.com",
            "enrollment.manage.microsoft.com",
        ] {
            assert!(list.iter().any(|e| e.host == must && e.required), "{must}");
        }
        let ntp = list.iter().find(|e| e.host == "time.windows.com");
        assert_eq!(ntp.map(|e| e.probe), Some(ProbeKind::Udp));
    }

    #[test]
    fn filter_by_scenario() {
        let tpm = filter(builtin(), &[Scenario::Intune]);
        assert!(tpm.iter().all(|e| e.host != "ekop.intel.com"));
        let sd = filter(builtin(), &[Scenario::SelfDeploying]);
        assert!(sd.iter().any(|e| e.host == "ekop.intel.com"));
    }
}
