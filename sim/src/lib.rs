//! A deterministic Microsoft Graph simulator for intune-audit: a synthetic tenant of any size
//! served with Graph's paging, query, `$batch`, latency and throttling semantics, plus the
//! collection benchmark (`src/bin/bench.rs`). See `docs/benchmark.md`.

#![recursion_limit = "256"]

pub mod floor;
pub mod model;
pub mod server;
pub mod tenant;

pub use model::{Latency, Throttling};
pub use server::{Counts, Sim, SimConfig, Stats};
pub use tenant::{Naming, Shape, Sizes, Tenant, SHAPES};

/// A user count as the simulator's tools take it: `2000`, `2k`, `10K`.
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mult) = match s.strip_suffix('k') {
        Some(n) => (n, 1000),
        None => (s.as_str(), 1),
    };
    num.parse::<usize>().ok().map(|n| n * mult)
}
