//! The tenant list: a TOML file of `[[tenant]]` tables or a CSV file with a header row.
//!
//! Every row names a tenant (`id`: its GUID or a verified domain) and optionally how to reach it;
//! what a row leaves out comes from the command line, so a multi-tenant app's shared client id
//! and certificate are given once. A row may instead point at a saved `snapshot` to re-audit.

use crate::cloud::Cloud;
use crate::signin::{AuthMethod, SignIn};
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One tenant of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantEntry {
    /// Tenant id (GUID) or one of its verified domains.
    #[serde(alias = "tenant_id", alias = "tenant")]
    pub id: String,
    /// A name for the reports; default: the id.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// As `--auth` (`client-secret`, `certificate`, `federated-token`, …).
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    #[serde(default)]
    pub certificate: Option<PathBuf>,
    #[serde(default)]
    pub federated_token_file: Option<PathBuf>,
    /// As `--cloud` (`global`, `usgov`, `usgov-dod`, `china`).
    #[serde(default)]
    pub cloud: Option<String>,
    #[serde(default)]
    pub graph_url: Option<String>,
    #[serde(default)]
    pub login_url: Option<String>,
    /// Audit this saved snapshot instead of reading the tenant.
    #[serde(default)]
    pub snapshot: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlList {
    #[serde(default)]
    tenant: Vec<TenantEntry>,
}

impl TenantEntry {
    /// The name shown in reports.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// The sign-in for this tenant: the command line's, with this row's fields in place.
    pub fn sign_in(&self, base: &SignIn) -> Result<SignIn> {
        let mut s = base.clone();
        s.tenant = Some(self.id.clone());
        if let Some(auth) = &self.auth {
            s.auth = <AuthMethod as ValueEnum>::from_str(auth, true)
                .map_err(|_| anyhow::anyhow!("tenant {}: unknown auth {auth:?}", self.id))?;
        }
        if let Some(cloud) = &self.cloud {
            s.cloud = Cloud::from_str(cloud, true)
                .map_err(|_| anyhow::anyhow!("tenant {}: unknown cloud {cloud:?}", self.id))?;
        }
        let keep = |row: &Option<PathBuf>, base: &Option<PathBuf>| row.clone().or(base.clone());
        s.client_id = self.client_id.clone().or(s.client_id);
        s.client_secret_file = keep(&self.client_secret_file, &s.client_secret_file);
        s.certificate = keep(&self.certificate, &s.certificate);
        s.federated_token_file = keep(&self.federated_token_file, &s.federated_token_file);
        s.graph_url = self.graph_url.clone().or(s.graph_url);
        s.login_url = self.login_url.clone().or(s.login_url);
        if is_delegated(s.auth) || s.device_code || s.interactive {
            bail!(
                "tenant {}: --tenants needs an app-only sign-in (client secret, certificate, \
                 federated token, managed identity); device code and browser sign-in ask a person once per tenant",
                self.id
            );
        }
        Ok(s)
    }
}

fn is_delegated(auth: AuthMethod) -> bool {
    matches!(auth, AuthMethod::DeviceCode | AuthMethod::Interactive)
}

/// Reads and checks a tenant list; relative paths in it are taken from the file's folder.
pub fn load(path: &Path) -> Result<Vec<TenantEntry>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the tenant list {}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut tenants = match ext.as_str() {
        "toml" => parse_toml(&text),
        "csv" => parse_csv(&text),
        _ => bail!(
            "cannot tell the format of the tenant list {}: name it .toml or .csv",
            path.display()
        ),
    }
    .with_context(|| format!("tenant list {}", path.display()))?;
    let folder = path.parent().unwrap_or(Path::new("."));
    for t in &mut tenants {
        for p in [
            &mut t.client_secret_file,
            &mut t.certificate,
            &mut t.federated_token_file,
            &mut t.snapshot,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() && p.as_os_str() != "-" {
                *p = folder.join(&*p);
            }
        }
    }
    Ok(tenants)
}

pub fn parse_toml(text: &str) -> Result<Vec<TenantEntry>> {
    let list: TomlList = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    checked(list.tenant)
}

pub fn parse_csv(text: &str) -> Result<Vec<TenantEntry>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut tenants = Vec::new();
    for (i, row) in reader.deserialize::<TenantEntry>().enumerate() {
        // Line i + 2: the header is line 1.
        tenants.push(row.map_err(|e| anyhow::anyhow!("row {}: {e}", i + 2))?);
    }
    checked(tenants)
}

/// Trims fields, turns empty cells into absent ones, and refuses empty ids and duplicates.
fn checked(mut tenants: Vec<TenantEntry>) -> Result<Vec<TenantEntry>> {
    if tenants.is_empty() {
        bail!("no tenants in the list");
    }
    let mut seen = BTreeSet::new();
    for t in &mut tenants {
        t.id = t.id.trim().to_string();
        for field in [
            &mut t.name,
            &mut t.client_id,
            &mut t.auth,
            &mut t.cloud,
            &mut t.graph_url,
            &mut t.login_url,
        ] {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        if t.id.is_empty() {
            bail!("a tenant has no id");
        }
        if !seen.insert(t.id.to_ascii_lowercase()) {
            bail!("tenant {} is listed twice", t.id);
        }
    }
    Ok(tenants)
}

/// Shard K of N (1-based): the tenants whose id hashes to K−1 modulo N. The hash (FNV-1a of the
/// lower-cased id) is fixed, so every machine of a run agrees on the shards without talking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard K/N with 1 ≤ K ≤ N ≤ 10000 (e.g. 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse::<u32>().map_err(|_| bad())?,
            n.trim().parse::<u32>().map_err(|_| bad())?,
        );
        if index == 0 || index > count || count > 10_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub fn owns(&self, tenant_id: &str) -> bool {
        fnv1a(tenant_id.trim().to_ascii_lowercase().as_bytes()) % u64::from(self.count)
            == u64::from(self.index - 1)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A folder name for a tenant: its id with anything but letters, digits, `.`, `-`, `_` replaced.
pub fn folder_name(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.');
    if s.is_empty() {
        format!("tenant-{:016x}", fnv1a(id.as_bytes()))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_csv_lists_read_the_same_tenants() {
        let toml = r#"
[[tenant]]
id = "contoso.onmicrosoft.com"
name = "Contoso"

[[tenant]]
id = "22222222-0000-0000-0000-000000000002"
client_id = "33333333-0000-0000-0000-000000000003"
auth = "certificate"
"#;
        let csv = "tenant_id,name,client_id,auth\n\
                   contoso.onmicrosoft.com,Contoso,,\n\
                   # a comment line\n\
                   22222222-0000-0000-0000-000000000002, ,33333333-0000-0000-0000-000000000003,certificate\n";
        let a = parse_toml(toml).unwrap();
        let b = parse_csv(csv).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].display_name(), "Contoso");
        assert_eq!(a[1].display_name(), "22222222-0000-0000-0000-000000000002");
        assert_eq!(a[1].auth.as_deref(), Some("certificate"));
    }

    #[test]
    fn bad_lists_are_one_clear_error() {
        let err = |r: Result<Vec<TenantEntry>>| r.unwrap_err().to_string();
        assert_eq!(err(parse_toml("")), "no tenants in the list");
        assert!(err(parse_toml("[[tenant]]\nid = \"a\"\nsecret = \"x\"\n"))
            .contains("unknown field `secret`"));
        assert_eq!(
            err(parse_csv("tenant_id\na.example\nA.EXAMPLE\n")),
            "tenant A.EXAMPLE is listed twice"
        );
        assert!(err(parse_csv("name\nContoso\n")).contains("missing field `id`"));
        assert_eq!(
            err(parse_csv("tenant_id,name\n ,x\n")),
            "a tenant has no id"
        );
    }

    #[test]
    fn a_row_overrides_the_command_line_and_delegated_sign_in_is_refused() {
        let base = SignIn {
            auth: AuthMethod::ClientSecret,
            tenant: None,
            client_id: Some("shared".into()),
            client_secret_file: None,
            certificate: Some("shared.pem".into()),
            federated_token_file: None,
            access_token_file: None,
            device_code: false,
            interactive: false,
            no_browser: false,
            cloud: Cloud::Global,
            graph_url: None,
            login_url: None,
            timeout: 60,
            max_attempts: 6,
            deadline: 1800,
            concurrency: 4,
            retry_base_ms: 1000,
            history_days: 30,
            quiet: false,
            token_cache: false,
        };
        let row = TenantEntry {
            id: "fabrikam.example".into(),
            client_id: Some("own".into()),
            cloud: Some("usgov".into()),
            ..Default::default()
        };
        let s = row.sign_in(&base).unwrap();
        assert_eq!(s.tenant.as_deref(), Some("fabrikam.example"));
        assert_eq!(s.client_id.as_deref(), Some("own"));
        assert_eq!(s.certificate, Some(PathBuf::from("shared.pem")));
        assert_eq!(s.cloud, Cloud::Usgov);
        let delegated = TenantEntry {
            auth: Some("device-code".into()),
            ..row.clone()
        };
        assert!(delegated
            .sign_in(&base)
            .unwrap_err()
            .to_string()
            .contains("app-only"));
        let unknown = TenantEntry {
            auth: Some("password".into()),
            ..row
        };
        assert_eq!(
            unknown.sign_in(&base).unwrap_err().to_string(),
            "tenant fabrikam.example: unknown auth \"password\""
        );
    }

    #[test]
    fn shards_partition_the_list_stably() {
        let ids: Vec<String> = (0..1000).map(|i| format!("tenant-{i}.example")).collect();
        let n = 7;
        let shards: Vec<Shard> = (1..=n)
            .map(|k| format!("{k}/{n}").parse().unwrap())
            .collect();
        let mut sizes = Vec::new();
        for s in &shards {
            sizes.push(ids.iter().filter(|id| s.owns(id)).count());
        }
        // Every tenant in exactly one shard.
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.owns(id)).count(), 1, "{id}");
        }
        assert_eq!(sizes.iter().sum::<usize>(), 1000);
        // Roughly even (1000 / 7 ≈ 143).
        assert!(sizes.iter().all(|&c| (100..=190).contains(&c)), "{sizes:?}");
        // Case and whitespace do not move a tenant; the hash is fixed across runs and machines.
        assert_eq!(
            shards[2].owns("Tenant-5.Example "),
            shards[2].owns("tenant-5.example")
        );
        // FNV-1a's published 64-bit test vectors: the shards must not change between builds.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/10001"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!("2/8".parse::<Shard>().unwrap().to_string(), "2/8");
    }

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(
            folder_name("Contoso.onmicrosoft.com"),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(folder_name("../../etc"), "_.._etc");
        assert_eq!(folder_name("a/b\\c d"), "a_b_c_d");
        assert!(folder_name("...").starts_with("tenant-"));
    }
}
