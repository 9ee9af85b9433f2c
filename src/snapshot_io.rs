//! Reading snapshot files, and writing reports and snapshots to where `--output` / `--out`
//! point.
//!
//! A regular file (or a new one) is replaced atomically: a temporary file in the same folder,
//! renamed into place, so an interrupted run never leaves a partial file. Anything else is never
//! replaced by a rename: a character or block device (`/dev/null`, `/dev/stdout`) or a FIFO is
//! written through (opened and written), and a symlink is followed — its final target is
//! replaced atomically (or written through), the link itself stays. `-` is stdout.

use anyhow::{bail, Context, Result};
use intune_audit_checks::diagnose::RawObjects;
use intune_audit_checks::{load, Loaded, Resource, Snapshot};
use serde_json::Value;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

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

/// Reads and types a snapshot file with the streaming loader ([`intune_audit_checks::load`]):
/// no JSON tree of the file, one buffered pass. Whatever the streaming loader does not accept
/// is read again the tree way ([`load`] + `Tenant::from_snapshot`), so every error is exactly
/// what it was (and a FIFO or other non-regular file, which cannot be read twice, is read the
/// tree way at once).
pub fn load_typed(path: &Path) -> Result<Loaded> {
    match stream_file(path) {
        Some(loaded) => Ok(loaded),
        None => Ok(Loaded::from_snapshot(&load(path)?)?),
    }
}

/// The streaming loader on a regular file; `None` when it does not accept it (or the path is
/// not a regular file): the caller reads it the tree way for the exact error.
pub fn stream_file(path: &Path) -> Option<Loaded> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return None;
    }
    load::stream(BufReader::with_capacity(1 << 20, Utf8Reader::new(file)))
        .inspect_err(|e| {
            log::debug!(
                "snapshot {}: {e}; reading it again as a tree",
                path.display()
            )
        })
        .ok()
}

/// A snapshot file as `diagnose`'s source of raw objects: each lookup streams the file again
/// for that one object.
pub struct FileObjects<'a>(pub &'a Path);

impl RawObjects for FileObjects<'_> {
    fn raw(&self, resource: Resource, id: &str) -> Option<Value> {
        if id.is_empty() {
            return None;
        }
        let file = std::fs::File::open(self.0).ok()?;
        load::find_raw(BufReader::with_capacity(1 << 20, file), resource, id)
    }
}

/// Passes bytes through, failing (as an I/O error) on the first byte that is not part of valid
/// UTF-8: `serde_json` does not check the text of values it skips, the tree loader checks the
/// whole file.
pub struct Utf8Reader<R> {
    inner: R,
    /// The bytes of a character cut by the end of the previous read (at most 3).
    carry: Vec<u8>,
}

impl<R: Read> Utf8Reader<R> {
    pub fn new(inner: R) -> Self {
        Utf8Reader {
            inner,
            carry: Vec::new(),
        }
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text");
        if n == 0 {
            return if self.carry.is_empty() {
                Ok(0)
            } else {
                Err(invalid())
            };
        }
        // The carried bytes and the head of this read complete one character (or fail).
        let mut start = 0;
        while !self.carry.is_empty() && start < n {
            self.carry.push(buf[start]);
            start += 1;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() => return Err(invalid()),
                Err(_) if self.carry.len() >= 4 => return Err(invalid()),
                Err(_) => {}
            }
        }
        match std::str::from_utf8(&buf[start..n]) {
            Ok(_) => {}
            Err(e) if e.error_len().is_some() => return Err(invalid()),
            Err(e) => self
                .carry
                .extend_from_slice(&buf[start + e.valid_up_to()..n]),
        }
        Ok(n)
    }
}

/// How an output path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `-`.
    Stdout,
    /// A regular file or a new one: temporary file + rename.
    Replace(PathBuf),
    /// A device, a FIFO or a socket: open and write, never rename over it.
    WriteThrough(PathBuf),
}

/// Where writing `path` goes. A symlink resolves to its final target (the link is kept); a
/// dangling symlink and a folder are refused.
pub fn destination(path: &Path) -> Result<Destination> {
    if path.as_os_str() == "-" {
        return Ok(Destination::Stdout);
    }
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        // A new file (or an unreadable folder: the write will say why).
        Err(_) => return Ok(Destination::Replace(path.to_path_buf())),
    };
    if !meta.file_type().is_symlink() {
        return by_type(path.to_path_buf(), &meta);
    }
    let target = std::fs::canonicalize(path).map_err(|_| {
        anyhow::anyhow!(
            "{} is a symlink to a file that does not exist; not writing through it",
            path.display()
        )
    })?;
    let meta =
        std::fs::metadata(&target).with_context(|| format!("cannot read {}", target.display()))?;
    by_type(target, &meta)
}

fn by_type(path: PathBuf, meta: &std::fs::Metadata) -> Result<Destination> {
    if meta.is_dir() {
        bail!("{} is a folder, not a file", path.display());
    }
    if meta.is_file() {
        Ok(Destination::Replace(path))
    } else {
        // Char/block device, FIFO, socket: replacing it would destroy it.
        Ok(Destination::WriteThrough(path))
    }
}

/// Writes `contents` to `path` (see the module comment for how).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_with(path, |w| w.write_all(contents))
}

/// Writes what `fill` produces to `path`: stdout, a write-through, or an atomic replace.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match destination(path)? {
        Destination::Stdout => {
            let mut out = std::io::stdout().lock();
            match fill(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => Ok(other.context("cannot write to stdout")?),
            }
        }
        Destination::WriteThrough(target) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .with_context(|| format!("cannot open {}", target.display()))?;
            fill(&mut f)
                .and_then(|()| f.flush())
                .with_context(|| format!("cannot write {}", target.display()))
        }
        Destination::Replace(target) => replace(&target, fill),
    }
}

/// Temporary file in the target's folder, renamed over it. A file that existed keeps its
/// permissions (the temporary file is created 0600).
fn replace(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write to folder {}", dir.display()))?;
    fill(&mut tmp.as_file()).with_context(|| format!("cannot write {}", path.display()))?;
    if let Ok(existing) = std::fs::metadata(path) {
        let _ = tmp.as_file().set_permissions(existing.permissions());
    }
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Removes the folders in `dir` whose name starts with `prefix` and that nobody touched for
/// `older_than` (only old ones: another run may be using a young one right now).
pub fn remove_old_folders(dir: &Path, prefix: &str, older_than: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry.file_name().to_string_lossy().starts_with(prefix)
            && entry
                .metadata()
                .ok()
                .filter(|m| m.is_dir())
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > older_than);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod utf8_tests {
    use super::Utf8Reader;
    use std::io::Read;

    /// Hands out its bytes `step` at a time, cutting characters anywhere.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read_all(data: &[u8], step: usize) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Utf8Reader::new(Trickle { data, step }).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn valid_text_passes_through_however_it_is_cut() {
        let text = "{\"name\": \"Zoë Müller – 東京 🚀\"}".as_bytes();
        for step in 1..=7 {
            assert_eq!(read_all(text, step).unwrap(), text, "step {step}");
        }
    }

    #[test]
    fn invalid_or_cut_utf8_is_an_error() {
        let mut bad = "{\"name\": \"Zo".as_bytes().to_vec();
        bad.extend_from_slice(&[0xff, b'"', b'}']);
        let mut cut = "\"东".as_bytes().to_vec();
        cut.pop();
        let overlong = [b'"', 0xc0, 0x80, b'"'];
        for step in 1..=5 {
            assert!(read_all(&bad, step).is_err(), "0xff, step {step}");
            assert!(read_all(&cut, step).is_err(), "cut at the end, step {step}");
            assert!(read_all(&overlong, step).is_err(), "overlong, step {step}");
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    fn mkfifo(path: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs")
            .success();
        assert!(ok, "mkfifo {}", path.display());
    }

    #[test]
    fn regular_new_and_dash_are_classified() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.json");
        assert_eq!(
            destination(&file).unwrap(),
            Destination::Replace(file.clone())
        );
        std::fs::write(&file, "x").unwrap();
        assert_eq!(
            destination(&file).unwrap(),
            Destination::Replace(file.clone())
        );
        assert_eq!(destination(Path::new("-")).unwrap(), Destination::Stdout);
        assert!(destination(dir.path()).is_err());
    }

    #[test]
    fn a_fifo_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        assert_eq!(
            destination(&fifo).unwrap(),
            Destination::WriteThrough(fifo.clone())
        );
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, b"report text\n").unwrap();
        assert_eq!(reader.join().unwrap(), "report text\n");
        let ft = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(ft.is_fifo(), "the FIFO was replaced");
    }

    #[test]
    fn a_symlink_is_kept_and_its_target_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");

        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("missing"), &dangling).unwrap();
        let err = write_atomic(&dangling, b"x").unwrap_err().to_string();
        assert!(err.contains("symlink"), "{err}");
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.txt");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&file, b"new").unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    /// A private copy of /dev/null (char 1:3) in a temp folder, when we may create one (root);
    /// skipped otherwise. The real /dev is never touched.
    #[test]
    fn a_character_device_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("null");
        let made = std::process::Command::new("mknod")
            .arg(&node)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            eprintln!("skipped: cannot create a device node here (not root?)");
            return;
        }
        assert_eq!(
            destination(&node).unwrap(),
            Destination::WriteThrough(node.clone())
        );
        write_atomic(&node, b"discarded").unwrap();
        let ft = std::fs::symlink_metadata(&node).unwrap().file_type();
        assert!(ft.is_char_device(), "the device node was replaced");
    }
}
