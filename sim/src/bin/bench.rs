//! The collection benchmark: the real `intune-audit collect` against the simulator, per size.
//!
//! ```text
//! scripts/bench.sh                       # 1k, 10k and 100k users
//! scripts/bench.sh --sizes 1k,10k        # or any sizes; --no-naive skips the comparison
//! scripts/bench.sh --sizes 10k --shapes all --no-naive   # every tenant shape, then the worst
//! ```
//!
//! Per size it prints requests (vs the floor), wall time (vs the chain floor), 429s, the
//! collector's peak resident memory (`wait4` rusage of the child process), snapshot size, check
//! evaluation time on the collected snapshot, and the same collection done the naive way
//! (sequential, `$top=100`, no `$select`) against the same simulator. With `--shape NAME`
//! (repeatable) or `--shapes a,b,…|all` it does so per tenant shape ([`SHAPES`]), then prints a
//! summary and names the worst shape by wall time ÷ chain floor. Figures are printed, never
//! asserted.

use intune_audit::graph::plan::{Shape, PLAN};
use intune_audit_checks::snapshot::ResourceEntry;
use intune_audit_checks::{Settings, Snapshot};
use intune_audit_sim::floor::{floor, Floor};
use intune_audit_sim::{
    parse_size, Counts, Latency, Shape as TenantShape, Sim, SimConfig, Sizes, Tenant, SHAPES,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "5b0d7c1e-8f3a-4d62-9e17-2c4a6b8d0f13";

struct Args {
    sizes: Vec<usize>,
    /// Named tenant shapes, run in this order (default: `default` only).
    shapes: Vec<String>,
    collector: PathBuf,
    naive: bool,
    seed: u64,
    time_scale: f64,
    out_dir: PathBuf,
    extra: Vec<String>,
    random_429: f64,
    random_503: f64,
    budget_scale: f64,
}

fn args() -> Result<Args, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut a = Args {
        sizes: vec![1000, 10_000, 100_000],
        shapes: Vec::new(),
        collector: exe.with_file_name("intune-audit"),
        naive: true,
        seed: 20261124,
        time_scale: 1.0,
        out_dir: std::env::temp_dir().join("intune-audit-bench"),
        extra: Vec::new(),
        random_429: 0.0,
        random_503: 0.0,
        budget_scale: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--sizes" => {
                a.sizes = val()?
                    .split(',')
                    .map(|s| parse_size(s).ok_or(format!("bad size {s:?}")))
                    .collect::<Result<_, _>>()?
            }
            "--shape" => a.shapes.push(val()?),
            "--shapes" => {
                let v = val()?;
                if v == "all" {
                    a.shapes.extend(SHAPES.iter().map(|s| s.to_string()));
                } else {
                    a.shapes.extend(v.split(',').map(|s| s.trim().to_string()));
                }
            }
            "--collector" => a.collector = PathBuf::from(val()?),
            "--no-naive" => a.naive = false,
            "--seed" => a.seed = val()?.parse().map_err(|_| "bad --seed")?,
            "--time-scale" => a.time_scale = val()?.parse().map_err(|_| "bad --time-scale")?,
            "--out-dir" => a.out_dir = PathBuf::from(val()?),
            "--collector-arg" => a.extra.push(val()?),
            "--random-429" => a.random_429 = val()?.parse().map_err(|_| "bad --random-429")?,
            "--random-503" => a.random_503 = val()?.parse().map_err(|_| "bad --random-503")?,
            "--budget-scale" => {
                a.budget_scale = val()?.parse().map_err(|_| "bad --budget-scale")?
            }
            "-h" | "--help" => {
                println!("shapes: {}", SHAPES.join(", "));
                println!("bench [--sizes 1k,10k,100k] [--shape NAME]... [--shapes a,b|all] [--no-naive] [--seed N] [--time-scale F] [--collector PATH] [--collector-arg ARG]... [--out-dir DIR] [--random-429 P] [--random-503 P] [--budget-scale F]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.shapes.is_empty() {
        a.shapes.push("default".into());
    }
    if let Some(bad) = a.shapes.iter().find(|s| TenantShape::preset(s).is_none()) {
        return Err(format!(
            "unknown shape {bad:?} (shapes: {})",
            SHAPES.join(", ")
        ));
    }
    Ok(a)
}

struct Run {
    wall: Duration,
    counts: Counts,
    max_rss_kb: i64,
    exit: i32,
}

/// Runs the collector through a fresh copy of this binary (`--measure-child`), which spawns it
/// and reaps it with `wait4`. A direct child would inherit the benchmark's own peak RSS: Linux
/// keeps `ru_maxrss` across exec, and the spawn starts as a copy of the (by then large) parent.
fn run_collector(a: &Args, sim: &Sim, out: &Path, log: &Path) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--measure-child")
        .arg(&a.collector)
        .args(["collect", "--out"])
        .arg(out)
        .args(["--graph-url", &sim.base, "--login-url", &sim.base])
        .args(["--tenant", &sim.tenant_id, "--client-id", CLIENT_ID])
        .args(&a.extra);
    for (k, _) in std::env::vars() {
        if k.starts_with("AZURE_") || k.starts_with("ACTIONS_") || k.starts_with("IDENTITY_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AZURE_CLIENT_SECRET", "sim-client-secret-not-a-real-one");
    cmd.env("INTUNE_AUDIT_BENCH_LOG", log);
    let start = Instant::now();
    let output = cmd
        .output()
        .map_err(|e| format!("cannot start the measuring helper: {e}"))?;
    let wall = start.elapsed();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let max_rss_kb: i64 = parts.next().and_then(|v| v.parse().ok()).ok_or_else(|| {
        format!(
            "the measuring helper failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let exit: i32 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(-1);
    Ok(Run {
        wall,
        counts: sim.stats.counts(),
        max_rss_kb,
        exit,
    })
}

/// `bench --measure-child` elsewhere than Unix: peak memory comes from `wait4`, which Windows
/// lacks, so the helper says so and fails (the benchmark then reports the error).
#[cfg(not(unix))]
fn measure_child(_argv: Vec<String>) -> ! {
    eprintln!(
        "--measure-child needs wait4 (Unix): the benchmark measures memory on Linux and macOS only"
    );
    std::process::exit(2);
}

/// `bench --measure-child PROGRAM ARGS…`: runs PROGRAM (stderr to `$INTUNE_AUDIT_BENCH_LOG`),
/// prints `<ru_maxrss in KiB> <exit code>`. Runs first thing in `main`, while this process is
/// still small.
#[cfg(unix)]
fn measure_child(mut argv: Vec<String>) -> ! {
    if argv.is_empty() {
        std::process::exit(2);
    }
    let program = argv.remove(0);
    let mut cmd = std::process::Command::new(program);
    cmd.args(argv).stdout(std::process::Stdio::null());
    if let Some(log) = std::env::var_os("INTUNE_AUDIT_BENCH_LOG") {
        if let Ok(f) = std::fs::File::create(log) {
            cmd.stderr(f);
        }
    }
    let Ok(child) = cmd.spawn() else {
        eprintln!("cannot start the collector");
        std::process::exit(2);
    };
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; both pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        eprintln!("wait4 failed");
        std::process::exit(2);
    }
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    println!("{} {exit}", usage.ru_maxrss);
    std::process::exit(0);
}

/// The naive collection: one request after another, `$top=100`, no `$select`.
async fn naive(base: &str, tenant: &str) -> Result<(Duration, u64), String> {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let tok: Value = http
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=x&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let bearer = format!("Bearer {}", tok["access_token"].as_str().unwrap_or(""));
    let get = |url: String| {
        let http = http.clone();
        let bearer = bearer.clone();
        async move {
            loop {
                let r = http
                    .get(&url)
                    .header("authorization", &bearer)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = r.status().as_u16();
                if status == 429 || status == 503 {
                    let wait = r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<f64>().ok())
                        .unwrap_or(1.0);
                    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                    continue;
                }
                let v: Value = r.json().await.map_err(|e| e.to_string())?;
                return Ok::<_, String>((status, v));
            }
        }
    };
    let mut items_total = 0u64;
    let mut small: BTreeMap<String, ResourceEntry> = BTreeMap::new();
    let page_all = |first: String| {
        let get = &get;
        async move {
            let mut out: Vec<Value> = Vec::new();
            let mut url = Some(first);
            while let Some(u) = url.take() {
                let (_, v) = get(u).await?;
                url = v["@odata.nextLink"].as_str().map(str::to_string);
                if let Some(a) = v["value"].as_array() {
                    out.extend(a.iter().cloned());
                }
            }
            Ok::<_, String>(out)
        }
    };
    for row in PLAN.iter().filter(|r| r.shape != Shape::GroupFanOut) {
        let mut url = format!("{base}/{}{}", row.version.segment(), row.path);
        if row.shape == Shape::Singleton {
            let (_, v) = get(url).await?;
            small.insert(row.resource.key().into(), ResourceEntry::ok("/", vec![v]));
            items_total += 1;
            continue;
        }
        url.push_str("?$top=100");
        if !row.expand.is_empty() {
            url.push_str(&format!("&$expand={}", row.expand));
        }
        let items = page_all(url).await?;
        items_total += items.len() as u64;
        small.insert(row.resource.key().into(), ResourceEntry::ok("/", items));
    }
    let groups = intune_audit::graph::collect::referenced_groups(&small);
    drop(small);
    for g in groups {
        get(format!("{base}/v1.0/groups/{g}")).await?;
        let members =
            page_all(format!("{base}/v1.0/groups/{g}/transitiveMembers?$top=100")).await?;
        items_total += members.len() as u64;
    }
    Ok((start.elapsed(), items_total))
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

struct Row {
    shape: String,
    users: usize,
    sizes: Sizes,
    floor: Floor,
    run: Run,
    snapshot_bytes: u64,
    load: Duration,
    eval: Duration,
    typing: Duration,
    checks: Duration,
    findings: usize,
    naive: Option<(Duration, Counts)>,
    /// (troubleshooting events, Autopilot events) the simulator serves.
    events: (usize, usize),
}

fn print_row(r: &Row, scale: f64) {
    let c = &r.run.counts;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    println!(
        "\n### {}: {} users, {} managed devices, {} Autopilot devices, {} Entra devices",
        r.shape,
        r.users,
        r.sizes.managed_devices,
        r.sizes.autopilot_devices,
        r.sizes.entra_devices()
    );
    println!("| figure | measured | floor / target | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| Graph requests (+{} token) | {} ({} in `$batch`) | {} pages at max page size | {:.2}× |",
        c.token_requests,
        c.requests,
        c.sub_requests,
        r.floor.requests,
        ratio(c.requests as f64, r.floor.requests as f64)
    );
    let wall = r.run.wall.as_secs_f64() / scale;
    println!(
        "| wall time | {wall:.1} s | chain floor {:.1} s ({}); Intune chain {:.1} s; longest chain as drawn in this run {:.1} s ({}) | {:.2}× |",
        r.floor.chain_s / scale,
        r.floor.chain_of,
        r.floor.unpartitioned_s / scale,
        drawn_chain_s(r) / scale,
        r.run.counts.longest_chain,
        ratio(wall, r.floor.chain_s / scale)
    );
    println!(
        "| 429s received | {} (503s: {}) | 0 failures | exit {} |",
        c.throttled, c.unavailable, r.run.exit
    );
    println!(
        "| failure history (troubleshootingEvents + autopilotEvents) | {} requests, {:.1} s from the first to the last page (in parallel with the rest) | {} Autopilot + {} enrollment failure events, 50 / 1000 per page | |",
        c.event_requests,
        c.event_span_ms as f64 / 1000.0 / scale,
        r.events.1,
        r.events.0
    );
    println!(
        "| peak RSS (collector) | {:.1} MB | ≤ 150 MB | |",
        r.run.max_rss_kb as f64 / 1024.0
    );
    println!(
        "| snapshot | {} ({} items served, {} on the wire) | | |",
        mb(r.snapshot_bytes),
        c.items,
        mb(c.bytes)
    );
    println!(
        "| check evaluation (`audit`) | {:.0} ms = reading and typing {:.0} ms (streaming) + checks {:.0} ms ({} findings; the JSON-tree loader it replaced: {:.1} s) | ≤ 1 s | |",
        r.eval.as_secs_f64() * 1000.0,
        r.typing.as_secs_f64() * 1000.0,
        r.checks.as_secs_f64() * 1000.0,
        r.findings,
        r.load.as_secs_f64()
    );
    match &r.naive {
        Some((d, nc)) => println!(
            "| naive (sequential, $top=100, no $select) | {:.1} s, {} requests, {} | | {:.1}× slower |",
            d.as_secs_f64() / scale,
            nc.requests,
            mb(nc.bytes),
            ratio(d.as_secs_f64(), r.run.wall.as_secs_f64())
        ),
        None => println!("| naive | not run (--no-naive) | | |"),
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--measure-child") {
        measure_child(argv[1..].to_vec());
    }
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    if !a.collector.exists() {
        eprintln!(
            "bench: {} not found; build it first (`cargo build --release -p intune-audit`) or pass --collector",
            a.collector.display()
        );
        std::process::exit(2);
    }
    let _ = std::fs::create_dir_all(&a.out_dir);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "intune-audit collection benchmark — seed {}, latency model: token 150 ms, single 120 ms, directory page 130 ms + 0.27 ms/item, Intune page 200 ms + 0.6 ms/item, $batch slowest + 50 ms, log-normal σ 0.6{}",
        a.seed,
        if a.time_scale != 1.0 { format!(", time scale {} (times below are rescaled)", a.time_scale) } else { String::new() }
    );
    if a.random_429 > 0.0 || a.random_503 > 0.0 || a.budget_scale != 1.0 {
        println!(
            "faults: random 429 {:.1}%, random 503 {:.1}%, throttling budgets × {}",
            a.random_429 * 100.0,
            a.random_503 * 100.0,
            a.budget_scale
        );
    }
    let mut rows = Vec::new();
    let cases: Vec<(String, usize)> = a
        .shapes
        .iter()
        .flat_map(|s| a.sizes.iter().map(move |u| (s.clone(), *u)))
        .collect();
    for (shape_name, users) in cases {
        let shape = TenantShape::preset(&shape_name).unwrap_or_default();
        let sizes = Sizes::shaped(users, &shape);
        let mut cfg = SimConfig::new(a.seed, sizes);
        cfg.shape = shape;
        cfg.latency = Latency {
            time_scale: a.time_scale,
            ..Latency::default()
        };
        cfg.throttling.random_429 = a.random_429;
        cfg.throttling.random_503 = a.random_503;
        cfg.throttling.directory_ru *= a.budget_scale;
        cfg.throttling.intune_devices *= a.budget_scale;
        cfg.throttling.intune_enrollment *= a.budget_scale;
        let lat = cfg.latency.clone();
        let result = rt.block_on(async {
            let sim = Sim::start(cfg, 0).await.map_err(|e| e.to_string())?;
            let out = a
                .out_dir
                .join(format!("snapshot-{shape_name}-{users}.json"));
            let log = a.out_dir.join(format!("collect-{shape_name}-{users}.log"));
            eprintln!(
                "bench: {shape_name}, {users} users: collecting with {} …",
                a.collector.display()
            );
            let run = tokio::task::block_in_place(|| run_collector(&a, &sim, &out, &log))?;
            if run.exit != 0 {
                return Err(format!(
                    "the collector exited {}; see {}",
                    run.exit,
                    log.display()
                ));
            }
            sim.stats.reset();
            let snapshot_bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            // The audit as `audit --snapshot` runs it: the streaming loader, then the checks.
            let stream = || {
                intune_audit::snapshot_io::stream_file(&out)
                    .ok_or_else(|| format!("{} does not load", out.display()))
            };
            let t0 = Instant::now();
            let typed = stream()?;
            let typing = t0.elapsed();
            let t2 = Instant::now();
            let findings = intune_audit_checks::run_all(&typed.tenant, &Settings::default()).len();
            let checks = t2.elapsed();
            // The slowest checks, for the notes.
            let mut per: Vec<(Duration, &str)> = intune_audit_checks::checks::REGISTRY
                .iter()
                .map(|c| {
                    let t = Instant::now();
                    let _ = c.run(&typed.tenant, &Settings::default());
                    (t.elapsed(), c.id())
                })
                .collect();
            per.sort_by_key(|b| std::cmp::Reverse(b.0));
            let slowest: Vec<String> = per
                .iter()
                .take(3)
                .map(|(d, id)| format!("{id} {:.0} ms", d.as_secs_f64() * 1000.0))
                .collect();
            eprintln!(
                "bench: {shape_name}, {users} users: slowest checks: {}",
                slowest.join(", ")
            );
            drop(typed);
            let t3 = Instant::now();
            let typed = stream()?;
            let report = intune_audit_checks::audit_tenant(
                &typed.envelope,
                &typed.tenant,
                &Settings::default(),
                "bench",
            );
            let eval = t3.elapsed();
            drop((report, typed));
            // The JSON-tree loader the streaming one replaced, for comparison.
            let t4 = Instant::now();
            let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
            let snap = Snapshot::from_json(&text).map_err(|e| e.to_string())?;
            drop(text);
            let tree =
                intune_audit_checks::Loaded::from_snapshot(&snap).map_err(|e| e.to_string())?;
            let load = t4.elapsed();
            drop((tree, snap));
            let naive = if a.naive {
                eprintln!("bench: {shape_name}, {users} users: the naive way …");
                let (d, _) = naive(&sim.base, &sim.tenant_id).await?;
                Some((d, sim.stats.counts()))
            } else {
                None
            };
            let tenant = Tenant::shaped(a.seed, sizes, shape);
            Ok::<_, String>(Row {
                shape: shape_name.clone(),
                users,
                sizes,
                floor: floor(&tenant, &lat),
                run,
                snapshot_bytes,
                load,
                eval,
                typing,
                checks,
                findings,
                naive,
                events: (
                    tenant
                        .small
                        .get("troubleshootingEvents")
                        .map_or(0, Vec::len),
                    tenant.small.get("autopilotEvents").map_or(0, Vec::len),
                ),
            })
        });
        match result {
            Ok(row) => {
                print_row(&row, a.time_scale);
                rows.push(row);
            }
            Err(e) => {
                eprintln!("bench: {shape_name}, {users} users: {e}");
                std::process::exit(1);
            }
        }
    }
    print_summary(&rows, a.time_scale);
}

/// Wall time ÷ `seconds` (a floor or a chain of the same run); 0 without one.
fn wall_over(r: &Row, seconds: f64) -> f64 {
    if seconds > 0.0 {
        r.run.wall.as_secs_f64() / seconds
    } else {
        0.0
    }
}

/// The chain floor: the best any collector could do.
fn chain_floor_s(r: &Row) -> f64 {
    r.floor.chain_s
}

/// The mean of the longest chain the collector does not partition (the managed devices').
fn intune_chain_s(r: &Row) -> f64 {
    r.floor.unpartitioned_s
}

/// One line per (shape, size), then the worst shape by wall ÷ chain floor.
fn print_summary(rows: &[Row], scale: f64) {
    if rows.len() < 2 {
        return;
    }
    println!("\n### Per shape");
    println!("| shape | users | requests (floor) | wall | chain floor (longest chain) | wall ÷ floor | Intune chain | wall ÷ Intune chain | longest chain as drawn | wall ÷ drawn | 429s | peak RSS |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} ({}) | {:.1} s | {:.1} s ({}) | {:.2}× | {:.1} s | {:.2}× | {:.1} s | {:.2}× | {} | {:.1} MB |",
            r.shape,
            r.users,
            r.run.counts.requests,
            r.floor.requests,
            r.run.wall.as_secs_f64() / scale,
            r.floor.chain_s / scale,
            r.floor.chain_of,
            wall_over(r, chain_floor_s(r)),
            intune_chain_s(r) / scale,
            wall_over(r, intune_chain_s(r)),
            drawn_chain_s(r) / scale,
            wall_over(r, drawn_chain_s(r)),
            r.run.counts.throttled,
            r.run.max_rss_kb as f64 / 1024.0
        );
    }
    println!();
    print_worst(rows, scale, "chain floor", chain_floor_s);
    // The chain floor counts the Entra devices unpartitioned, which the collector beats by
    // reading ranges side by side; against the longest chain it cannot shorten:
    print_worst(rows, scale, "Intune chain", intune_chain_s);
    // The longest unsplit chain as this run drew it (its pages' latencies, summed): what no
    // collector could have beaten in this run, whatever the random draws.
    print_worst(rows, scale, "longest chain as drawn", drawn_chain_s);
}

/// The longest unsplit chain as drawn in this run, in seconds.
fn drawn_chain_s(r: &Row) -> f64 {
    r.run.counts.longest_chain_us as f64 / 1e6
}

/// The line naming the worst shape by wall time ÷ `of`.
fn print_worst(rows: &[Row], scale: f64, what: &str, of: fn(&Row) -> f64) {
    let ratio = |r: &Row| wall_over(r, of(r));
    if let Some(w) = rows.iter().max_by(|x, y| ratio(x).total_cmp(&ratio(y))) {
        println!(
            "worst shape by wall ÷ {what}: {} at {} users, wall {:.1} s ÷ {what} {:.1} s = {:.2}×",
            w.shape,
            w.users,
            w.run.wall.as_secs_f64() / scale,
            of(w) / scale,
            ratio(w)
        );
    }
}
