//! `intune-audit merge`: the summaries of sharded `audit --tenants` runs, as one.

use crate::cli::MergeArgs;
use crate::fleet::summary::{merge, ShardSummary, SUMMARY_FILE};
use crate::fleet::Summary;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub fn run(args: &MergeArgs) -> Result<i32> {
    let mut parts = Vec::new();
    for input in &args.inputs {
        for file in summary_files(input)? {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let summary =
                Summary::from_json(&text).with_context(|| format!("{}", file.display()))?;
            let folder = file.parent().unwrap_or(Path::new(".")).to_path_buf();
            parts.push(ShardSummary { summary, folder });
        }
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let merged = merge(parts, &args.out_dir)?;
    crate::fleet::report::conclude(&merged, &args.out_dir)
}

/// A summary file, or the summary of a folder, or those one level below it.
fn summary_files(input: &Path) -> Result<Vec<PathBuf>> {
    if input.is_file() {
        return Ok(vec![input.to_path_buf()]);
    }
    if !input.is_dir() {
        bail!("{}: no such file or folder", input.display());
    }
    let direct = input.join(SUMMARY_FILE);
    if direct.is_file() {
        return Ok(vec![direct]);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(input)
        .with_context(|| format!("cannot read {}", input.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(SUMMARY_FILE))
        .filter(|p| p.is_file())
        .collect();
    if found.is_empty() {
        bail!(
            "{}: no {SUMMARY_FILE} in it or in its folders",
            input.display()
        );
    }
    found.sort();
    Ok(found)
}
