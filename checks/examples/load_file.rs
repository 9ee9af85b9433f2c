//! Times one snapshot loader on a file, for docs/benchmark.md: run each mode in its own process
//! under `/usr/bin/time -v` to read its peak RSS.
//!
//! ```text
//! cargo build --release -p intune-audit-checks --example load_file
//! target/release/examples/load_file reader|slice|tree FILE
//! ```
//! `reader`: the streaming loader over a 1 MB `BufReader` (what `audit --snapshot` uses);
//! `slice`: the whole file read into memory, then the streaming loader over the bytes;
//! `tree`: the JSON-tree loader it replaced (`Snapshot::from_json` + `Tenant::from_snapshot`).

use intune_audit_checks::{load, Loaded};
use std::io::BufReader;
use std::time::Instant;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, path] = args.as_slice() else {
        return Err("usage: load_file reader|slice|tree FILE".into());
    };
    let t = Instant::now();
    let loaded: Loaded = match mode.as_str() {
        "reader" => {
            let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
            load::stream(BufReader::with_capacity(1 << 20, file)).map_err(|e| e.to_string())?
        }
        "slice" => {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            load::stream_slice(&bytes).map_err(|e| e.to_string())?
        }
        "tree" => {
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            Loaded::from_json_tree(&text).map_err(|e| e.to_string())?
        }
        other => return Err(format!("unknown mode {other}")),
    };
    let users = loaded.tenant.users.get().map(Vec::len).unwrap_or(0);
    let managed = loaded
        .tenant
        .managed_devices
        .get()
        .map(Vec::len)
        .unwrap_or(0);
    println!(
        "{mode}: {:.0} ms ({users} users, {managed} managed devices)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
