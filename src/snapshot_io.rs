//! Reading and writing snapshot files. Writes are atomic: a temporary file in the same folder,
//! renamed into place, so an interrupted run never leaves a partial file.

use anyhow::{Context, Result};
use intune_audit_checks::Snapshot;
use std::io::Write;
use std::path::Path;

pub fn load(path: &Path) -> Result<Snapshot> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("snapshot {} is not UTF-8 text", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("snapshot file {} does not exist", path.display())
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read snapshot {}", path.display()))
        }
    };
    Snapshot::from_json(&text).with_context(|| format!("snapshot {}", path.display()))
}

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write to folder {}", dir.display()))?;
    tmp.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
