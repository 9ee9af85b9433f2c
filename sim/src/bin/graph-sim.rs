//! A standalone simulator: serves a synthetic tenant on 127.0.0.1 until interrupted.
//!
//! ```text
//! cargo run --release -p intune-audit-sim --bin graph-sim -- --users 10k --port 8080
//! intune-audit collect --out s.json --graph-url http://127.0.0.1:8080 --login-url http://127.0.0.1:8080 \
//!     --tenant <printed tenant id> --client-id 00000000-0000-0000-0000-000000000001   # AZURE_CLIENT_SECRET=anything
//! curl http://127.0.0.1:8080/_sim/stats
//! ```
//!
//! Tenant shapes: `--shape NAME` (a preset of `bench --shape`), then any of `--naming
//! default|mixed`, `--autopilot-share 0.1–0.7`, `--devices-per-user 1–10`, `--groups 0–50`,
//! `--largest-group N`, `--events-per-user F` to change one property.

use intune_audit_sim::{Shape, Sim, SimConfig, Sizes, SHAPES};

fn main() {
    let mut users = 1000usize;
    let mut port = 0u16;
    let mut seed = 20261124u64;
    let mut cfg_edit: Vec<(String, f64)> = Vec::new();
    let mut shape = Shape::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next().unwrap_or_default();
        match a.as_str() {
            "--users" => users = intune_audit_sim::parse_size(&v).unwrap_or(1000),
            "--port" => port = v.parse().unwrap_or(0),
            "--seed" => seed = v.parse().unwrap_or(seed),
            "--time-scale" | "--sigma" | "--random-429" | "--random-503" => {
                cfg_edit.push((a.clone(), v.parse().unwrap_or(0.0)))
            }
            "--no-throttling" => cfg_edit.push((a.clone(), 0.0)),
            "--shape" => match Shape::preset(&v) {
                Some(s) => shape = s,
                None => {
                    eprintln!(
                        "graph-sim: unknown shape {v:?} (shapes: {})",
                        SHAPES.join(", ")
                    );
                    std::process::exit(2);
                }
            },
            f if Shape::FLAGS.contains(&f) => {
                if let Err(e) = shape.set(f, &v) {
                    eprintln!("graph-sim: {e}");
                    std::process::exit(2);
                }
            }
            _ => {
                eprintln!("graph-sim [--users N|Nk] [--port P] [--seed S] [--time-scale F] [--sigma F] [--random-429 P] [--random-503 P] [--shape NAME] [--naming default|mixed] [--autopilot-share F] [--devices-per-user N] [--groups N] [--largest-group N] [--events-per-user F]");
                std::process::exit(2);
            }
        }
    }
    let mut cfg = SimConfig::new(seed, Sizes::shaped(users, &shape));
    cfg.shape = shape;
    for (k, v) in cfg_edit {
        match k.as_str() {
            "--time-scale" => cfg.latency.time_scale = v,
            "--sigma" => cfg.latency.sigma = v,
            "--random-429" => cfg.throttling.random_429 = v,
            "--random-503" => cfg.throttling.random_503 = v,
            _ => cfg.throttling.enabled = false,
        }
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("graph-sim: {e}");
            std::process::exit(2);
        }
    };
    rt.block_on(async {
        let sim = match Sim::start(cfg, port).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("graph-sim: cannot listen: {e}");
                std::process::exit(2);
            }
        };
        println!(
            "graph-sim: {} (tenant {}, {users} users)",
            sim.base, sim.tenant_id
        );
        let _ = tokio::signal::ctrl_c().await;
        println!("{}", sim.stats.counts().to_json());
    });
}
