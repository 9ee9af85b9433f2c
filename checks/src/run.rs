//! Running the registry: every enabled check over one tenant, sharing one evaluation context.
//! Kept apart from `catalog` (the types checks declare themselves with) so that the check
//! modules and the code that runs them do not import each other.

use crate::catalog::Check;
use crate::context::Ctx;
use crate::report::Finding;
use crate::settings::Settings;
use crate::tenant::Tenant;

/// Runs every enabled check; findings come back in registry order. Checks only read the
/// tenant, so they run side by side on the available cores: on a 100k-user tenant the
/// Autopilot checks take a few hundred milliseconds each.
pub fn run_all(tenant: &Tenant, settings: &Settings) -> Vec<Finding> {
    let checks: Vec<&Check> = crate::checks::REGISTRY
        .iter()
        .filter(|c| settings.runs(c.meta.id, c.meta.preview))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(checks.len());
    let cx = Ctx::new(tenant, settings);
    if threads <= 1 {
        return checks.iter().map(|c| c.run_in(&cx)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::OnceLock<Finding>> =
        checks.iter().map(|_| std::sync::OnceLock::new()).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(check) = checks.get(i) else { break };
                let _ = slots[i].set(check.run_in(&cx));
            });
        }
    });
    slots.into_iter().filter_map(|s| s.into_inner()).collect()
}

pub fn find(id: &str) -> Option<&'static Check> {
    crate::checks::REGISTRY.iter().find(|c| c.id() == id)
}
