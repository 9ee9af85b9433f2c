//! Where a loaded snapshot's memory goes, for docs/benchmark.md: loads a snapshot with the
//! streaming loader under a counting allocator and prints the peak of live heap bytes while
//! loading, the live bytes once loaded, each check's own peak above that (run alone, with a
//! fresh context, so it pays for the shared indexes it uses) and its finding's size, then what
//! each large resource holds (the bytes freed when it is dropped).
//!
//! ```text
//! cargo run --release -p intune-audit-checks --example model_memory -- FILE
//! ```

use intune_audit_checks::context::Ctx;
use intune_audit_checks::tenant::Collected;
use intune_audit_checks::{load, Loaded, Settings};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::BufReader;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Drops `value` and prints how many live bytes that freed.
fn weigh<T>(name: &str, items: usize, value: T) {
    let before = LIVE.load(Relaxed);
    let t = std::time::Instant::now();
    drop(value);
    let took = t.elapsed().as_secs_f64() * 1000.0;
    let freed = before.saturating_sub(LIVE.load(Relaxed));
    let each = freed.checked_div(items).unwrap_or(0);
    println!(
        "  {name}: {} ({items} items, {each} bytes each; freed in {took:.0} ms)",
        mb(freed)
    );
}

/// [`weigh`] for a resource's list of items.
fn weigh_list<T>(name: &str, resource: Collected<Vec<T>>) {
    let items = resource.get().map_or(0, Vec::len);
    weigh(name, items, resource);
}

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: model_memory FILE")?;
    let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
    let loaded: Loaded =
        load::stream(BufReader::with_capacity(1 << 20, file)).map_err(|e| e.to_string())?;
    println!(
        "peak while loading {}, live once loaded {}",
        mb(PEAK.load(Relaxed)),
        mb(LIVE.load(Relaxed))
    );
    let settings = Settings {
        preview: true,
        ..Settings::default()
    };
    let mut checks: Vec<(usize, usize, &str)> = Vec::new();
    for check in intune_audit_checks::checks::REGISTRY.iter() {
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        let cx = Ctx::new(&loaded.tenant, &settings);
        let finding = check.run_in(&cx);
        drop(cx);
        let kept = LIVE.load(Relaxed).saturating_sub(base);
        drop(finding);
        checks.push((PEAK.load(Relaxed) - base, kept, check.id()));
    }
    checks.sort_by(|a, b| b.cmp(a));
    println!("checks, largest peak first (peak above the model; the finding it returns):");
    for (peak, kept, id) in checks.iter().take(6) {
        println!("  {id}: {} ({})", mb(*peak), mb(*kept));
    }
    {
        let cx = Ctx::new(&loaded.tenant, &settings);
        let shared = |name: &str, live: usize| {
            println!(
                "  shared analysis {name}: {}",
                mb(LIVE.load(Relaxed) - live)
            );
            LIVE.load(Relaxed)
        };
        let live = LIVE.load(Relaxed);
        let _ = cx.population();
        let live = shared("population", live);
        let _ = cx.autopilot();
        let live = shared("autopilot profile resolution", live);
        let _ = cx.windows_restrictions();
        let live = shared("Windows restriction per user", live);
        let _ = cx.limits();
        shared("device limit per user", live);
    }
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let mut findings = intune_audit_checks::run::run_all(&loaded.tenant, &settings);
    let after_checks = PEAK.load(Relaxed) - base;
    let held = LIVE.load(Relaxed) - base;
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let observed = intune_audit_checks::failures::observe(&loaded.tenant, &mut findings, 30);
    println!(
        "the checks side by side: peak {} above the model, findings {}; the failure join: peak {} above that",
        mb(after_checks),
        mb(held),
        mb(PEAK.load(Relaxed) - base - held)
    );
    drop((findings, observed));
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let report = intune_audit_checks::audit_tenant(&loaded.envelope, &loaded.tenant, &settings, "");
    println!(
        "the whole audit (checks side by side, failure history): peak {} above the model, the report {}",
        mb(PEAK.load(Relaxed) - base),
        mb(LIVE.load(Relaxed).saturating_sub(base))
    );
    drop(report);
    let t = loaded.tenant;
    weigh_list("users", t.users);
    weigh_list("devices", t.devices);
    weigh_list("managed devices", t.managed_devices);
    weigh_list("Autopilot devices", t.autopilot_devices);
    weigh("group members", 0, t.group_members);
    weigh_list("enrollment failure events", t.troubleshooting_events);
    weigh_list("Autopilot events", t.autopilot_events);
    println!("  the rest: {}", mb(LIVE.load(Relaxed)));
    Ok(())
}
