//! The floors a collection is measured against, computed from the tenant and the latency model.
//!
//! - **Request floor**: the pages needed at Graph's maximum page sizes for the data the checks
//!   need: every collection of the plan read at its largest page (directory 999, or 100 with
//!   `$expand`; Intune 1000), one request per small collection or singleton, the referenced
//!   groups' first pages in `$batch`es of 20 and the further pages of their memberships.
//! - **Chain floor**: the longest chain of dependent requests × their mean latency. A nextLink
//!   depends on the page before it, so a collection read front to back is a chain of its pages;
//!   group memberships depend on the enrollment configurations that name the groups.

use crate::model::{Call, Latency};
use crate::tenant::{Big, Tenant};
use intune_audit::graph::plan::{Shape, PLAN};
use intune_audit_checks::snapshot::ResourceEntry;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Floor {
    pub requests: u64,
    /// Seconds.
    pub chain_s: f64,
    /// Which chain is the longest.
    pub chain_of: String,
    /// The longest chain that partitioning cannot shorten (Intune lists, which the collector
    /// does not partition), seconds.
    pub unpartitioned_s: f64,
}

fn pages(n: usize, size: usize) -> Vec<usize> {
    if n == 0 {
        return vec![0];
    }
    (0..n.div_ceil(size))
        .map(|p| (n - p * size).min(size))
        .collect()
}

/// The groups the collector will read: those the small resources reference.
pub fn referenced_groups(t: &Tenant) -> Vec<String> {
    let mut map: BTreeMap<String, ResourceEntry> = BTreeMap::new();
    for (k, items) in &t.small {
        map.insert(k.clone(), ResourceEntry::ok("/", items.clone()));
    }
    intune_audit::graph::collect::referenced_groups(&map)
}

pub fn floor(t: &Tenant, lat: &Latency) -> Floor {
    let mean = lat.mean_factor() * lat.time_scale / 1000.0;
    let chain = |ps: &[usize], intune: bool| -> f64 {
        ps.iter()
            .map(|n| {
                lat.median_ms(if intune {
                    Call::IntunePage(*n)
                } else {
                    Call::DirectoryPage(*n)
                }) * mean
            })
            .sum()
    };
    let mut requests = 0u64;
    let mut chains: Vec<(String, f64)> = Vec::new();
    for row in PLAN.iter().filter(|r| r.shape != Shape::GroupFanOut) {
        let key = row.resource.key();
        let (n, size, intune, big) = match key {
            "users" => (t.len(Big::Users), 999, false, true),
            "devices" => (t.len(Big::Devices), 100, false, true),
            "managedDevices" => (t.len(Big::ManagedDevices), 1000, true, true),
            "windowsAutopilotDeviceIdentities" => (t.len(Big::Autopilot), 1000, true, true),
            // The failure history: Autopilot events come 50 per page.
            "autopilotEvents" => (t.small.get(key).map_or(0, Vec::len), 50, true, true),
            "troubleshootingEvents" => (t.small.get(key).map_or(0, Vec::len), 1000, true, true),
            _ => (
                t.small.get(key).map_or(0, Vec::len),
                usize::MAX,
                false,
                false,
            ),
        };
        if big {
            let ps = pages(n, size);
            requests += ps.len() as u64;
            chains.push((key.to_string(), chain(&ps, intune)));
        } else {
            requests += 1;
        }
    }
    // Groups: the enrollment configurations (one Intune page), then the $batch of first pages,
    // then the largest group's further pages.
    let groups = referenced_groups(t);
    requests += (groups.len() * 2).div_ceil(20) as u64;
    let mut longest_rest = 0.0f64;
    for g in &groups {
        let n = t.group(g).map_or(0, |g| t.member_count(g));
        let ps = pages(n, 999);
        requests += (ps.len() - 1) as u64;
        longest_rest = longest_rest.max(chain(&ps[1..], false));
    }
    if !groups.is_empty() {
        let configs = t
            .small
            .get("deviceEnrollmentConfigurations")
            .map_or(0, Vec::len);
        let first = lat.median_ms(Call::IntunePage(configs)) * mean;
        let batch = (lat.median_ms(Call::DirectoryPage(999)) + lat.batch_overhead_ms) * mean;
        chains.push(("groupMembers".into(), first + batch + longest_rest));
    }
    let token = lat.token_ms * mean;
    let (chain_of, longest) =
        chains
            .iter()
            .cloned()
            .fold((String::new(), 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let unpartitioned = chains
        .iter()
        .filter(|(k, _)| k != "devices")
        .map(|(_, s)| *s)
        .fold(0.0, f64::max);
    Floor {
        requests,
        chain_s: token + longest,
        chain_of,
        unpartitioned_s: token + unpartitioned,
    }
}
