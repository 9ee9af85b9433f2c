//! The checkpoint of a resumable collection (`collect --resume`; docs/reliability.md).
//!
//! A private folder (0700, files 0600) beside the output, named after a hash of the output's
//! absolute path: `identity.json` (what the run was: tenant, Graph, plan, options) and one
//! `<resource>.state.json` per resource, replaced atomically (written to a temporary file and
//! renamed) after every page of a large collection. The large collections' items are in
//! `<resource>.jsonl`, appended page by page; a state records how many items and bytes of that
//! file are committed, so a file that a killed process left longer is cut back to its last
//! committed page on resume.

use crate::graph::plan::{self, PLAN};
use intune_audit_checks::snapshot::{ResourceEntry, SNAPSHOT_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The name of every checkpoint folder starts with this.
pub const CHECKPOINT_PREFIX: &str = ".intune-audit-resume-";

/// Checkpoints older than this (untouched for a week) are removed by the next `collect` in
/// their folder.
pub const STALE_CHECKPOINT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The layout of the files below; a checkpoint of another layout is never resumed.
const FORMAT: u32 = 1;

const IDENTITY: &str = "identity.json";

/// What a checkpoint belongs to: a resume continues only the same collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub format: u32,
    /// A hash of the request plan and the snapshot version.
    pub plan: String,
    /// `--tenant` as given ("" without one).
    pub tenant: String,
    /// The Graph endpoint (`--graph-url`, or the cloud's).
    pub graph: String,
    pub history_days: u32,
    /// The output's absolute path.
    pub output: String,
    /// How the run signs in (the method and `--client-id`): another app may see other data.
    pub sign_in: String,
}

impl Identity {
    pub fn new(
        tenant: &str,
        graph: &str,
        history_days: u32,
        output: &Path,
        sign_in: &str,
    ) -> Identity {
        Identity {
            format: FORMAT,
            plan: plan_fingerprint(),
            tenant: tenant.to_string(),
            graph: graph.to_string(),
            history_days,
            output: output.display().to_string(),
            sign_in: sign_in.to_string(),
        }
    }

    /// What differs from `other`, in words, or `None`.
    pub fn mismatch(&self, other: &Identity) -> Option<String> {
        let differs = |what: &str, a: &str, b: &str| {
            (a != b).then(|| format!("{what} {a:?}, this run {b:?}"))
        };
        if self.format != other.format || self.plan != other.plan {
            return Some("another version of intune-audit (its request plan differs)".into());
        }
        differs("tenant", &self.tenant, &other.tenant)
            .or_else(|| differs("Graph endpoint", &self.graph, &other.graph))
            .or_else(|| {
                differs(
                    "--history-days",
                    &self.history_days.to_string(),
                    &other.history_days.to_string(),
                )
            })
            .or_else(|| differs("output", &self.output, &other.output))
            .or_else(|| differs("sign-in", &self.sign_in, &other.sign_in))
    }
}

/// A hash of every request the plan sends and of the snapshot version: a checkpoint written by
/// a build with another plan is refused.
pub fn plan_fingerprint() -> String {
    let mut text = format!(
        "snapshot {SNAPSHOT_VERSION}\n{}\n",
        plan::GROUP_MEMBER_REQUESTS
    );
    for row in PLAN {
        text.push_str(&format!("{} {}\n", row.resource.key(), row.relative_url()));
    }
    hex(&sha256(text.as_bytes())[..12])
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checkpoint folder of an output: `<folder>/.intune-audit-resume-<hash of its path>`.
pub fn folder_for(parent: &Path, output: &Path) -> PathBuf {
    let name = hex(&sha256(output.display().to_string().as_bytes())[..8]);
    parent.join(format!("{CHECKPOINT_PREFIX}{name}"))
}

/// How far a spool file is committed: `count` items in its first `bytes` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Committed {
    pub count: usize,
    pub bytes: u64,
}

/// One range of a partitioned read: its first link, and the link to continue from (`None`
/// once it has been read to its end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub first: String,
    pub next: Option<String>,
}

/// Where one resource stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Read to its end: the entry (with its items unless they are spooled) and, for a spooled
    /// resource, its committed spool.
    Done {
        entry: ResourceEntry,
        spool: Option<Committed>,
    },
    /// A nextLink chain read part-way from `first`: the pages read are in the spool.
    Chain {
        first: String,
        next: String,
        spool: Committed,
    },
    /// A partitioned read part-way: every range, and the spool holding the items read so far
    /// (each id once).
    Partitioned { parts: Vec<Part>, spool: Committed },
}

/// An open checkpoint folder.
#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    /// Creates the folder (owner-only) for a new collection; an old one must be gone.
    pub fn create(dir: &Path, id: &Identity) -> std::io::Result<Checkpoint> {
        // Only Unix sets a mode on it.
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
        let cp = Checkpoint {
            dir: dir.to_path_buf(),
        };
        let text = serde_json::to_vec_pretty(id).map_err(std::io::Error::other)?;
        cp.write_atomic(IDENTITY, &text)?;
        Ok(cp)
    }

    /// Opens the checkpoint in `dir` if there is one: `Ok(None)` when there is none, `Err`
    /// (in words) when it is not this collection's or not private.
    pub fn open(dir: &Path, id: &Identity) -> Result<Option<Checkpoint>, String> {
        let meta = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
        };
        if !meta.is_dir() {
            return Err(format!("{} is not a folder", dir.display()));
        }
        #[cfg(unix)]
        {
            // Another user's folder of that name cannot be read at all (0700), so group and
            // other bits are what is left to check.
            use std::os::unix::fs::MetadataExt;
            if meta.mode() & 0o077 != 0 {
                return Err(format!(
                    "{} is not private to this user; delete it",
                    dir.display()
                ));
            }
        }
        let saved: Option<Identity> = std::fs::read(dir.join(IDENTITY))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let Some(saved) = saved else {
            return Err(format!(
                "{} holds no readable checkpoint; delete it",
                dir.display()
            ));
        };
        match saved.mismatch(id) {
            Some(what) => Err(format!("it was made with {what}")),
            None => Ok(Some(Checkpoint {
                dir: dir.to_path_buf(),
            })),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A resource's saved state, if there is a readable one.
    pub fn load(&self, key: &str) -> Option<State> {
        let bytes = std::fs::read(self.dir.join(format!("{key}.state.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Saves a resource's state. A failure only costs the resume its progress (logged).
    pub fn save(&self, key: &str, state: &State) {
        let r = serde_json::to_vec(state)
            .map_err(std::io::Error::other)
            .and_then(|b| self.write_atomic(&format!("{key}.state.json"), &b));
        if let Err(e) = r {
            log::warn!("cannot save the checkpoint of {key}: {e}");
        }
    }

    /// Whether any resource's state is saved (else there is nothing to resume).
    pub fn holds_progress(&self) -> bool {
        std::fs::read_dir(&self.dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".state.json"))
        })
    }

    /// Removes the folder (the collection is written, or discarded).
    pub fn discard(self) -> std::io::Result<()> {
        std::fs::remove_dir_all(&self.dir)
    }

    fn write_atomic(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = self.dir.join(format!("{name}.tmp"));
        let mut f = create_private(&tmp, true)?;
        f.write_all(bytes)?;
        f.flush()?;
        drop(f);
        std::fs::rename(&tmp, self.dir.join(name))
    }
}

/// A file only the owner can read (spools hold the tenant's users and devices); `truncate`
/// empties an existing one.
pub fn create_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The ids of the items in the first `bytes` bytes of a spool file (compact JSON values, one a
/// line, separated by `,\n`): a resumed partitioned read skips them.
pub fn spooled_ids(path: &Path, bytes: u64) -> std::io::Result<HashSet<String>> {
    let reader = BufReader::new(File::open(path)?.take(bytes));
    let mut ids = HashSet::new();
    for line in reader.lines() {
        let line = line?;
        let item = line.trim_end().trim_end_matches(',');
        if item.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(item).map_err(std::io::Error::other)?;
        if let Some(id) = v.get("id").and_then(serde_json::Value::as_str) {
            ids.insert(id.to_string());
        }
    }
    Ok(ids)
}

/// Removes checkpoints in `dir` untouched for [`STALE_CHECKPOINT`].
pub fn remove_stale(dir: &Path) {
    crate::snapshot_io::remove_old_folders(dir, CHECKPOINT_PREFIX, STALE_CHECKPOINT);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Identity {
        Identity::new(
            "contoso.onmicrosoft.com",
            "https://graph.microsoft.com",
            30,
            Path::new("/tmp/snap.json"),
            "client secret, client id 00000000-0000-0000-0000-00000000c1d0",
        )
    }

    #[test]
    fn a_checkpoint_of_another_collection_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cp_dir = dir.path().join(format!("{CHECKPOINT_PREFIX}x"));
        Checkpoint::create(&cp_dir, &id()).unwrap();
        assert!(Checkpoint::open(&cp_dir, &id()).unwrap().is_some());
        let mut other = id();
        other.history_days = 7;
        let err = Checkpoint::open(&cp_dir, &other).unwrap_err();
        assert!(
            err.contains("--history-days \"30\", this run \"7\""),
            "{err}"
        );
        let mut other = id();
        other.tenant = "fabrikam.onmicrosoft.com".into();
        assert!(Checkpoint::open(&cp_dir, &other)
            .unwrap_err()
            .contains("tenant"));
        let mut other = id();
        other.plan = "0".into();
        assert!(Checkpoint::open(&cp_dir, &other)
            .unwrap_err()
            .contains("another version"));
        assert!(Checkpoint::open(&dir.path().join("none"), &id())
            .unwrap()
            .is_none());
    }

    #[test]
    fn states_round_trip_and_unreadable_ones_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let cp = Checkpoint::create(&dir.path().join("cp"), &id()).unwrap();
        let s = State::Partitioned {
            parts: vec![Part {
                first: "https://graph.example/v1.0/devices?$filter=x".into(),
                next: None,
            }],
            spool: Committed {
                count: 2,
                bytes: 30,
            },
        };
        cp.save("devices", &s);
        assert_eq!(cp.load("devices"), Some(s));
        std::fs::write(cp.dir().join("users.state.json"), "{\"state\":").unwrap();
        assert_eq!(cp.load("users"), None);
    }

    #[test]
    fn spooled_ids_read_only_the_committed_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.jsonl");
        let committed = "{\"id\":\"d1\"},\n{\"id\":\"d2\"}";
        std::fs::write(&path, format!("{committed},\n{{\"id\":\"d3\"")).unwrap();
        let ids = spooled_ids(&path, committed.len() as u64).unwrap();
        let mut ids: Vec<_> = ids.into_iter().collect();
        ids.sort();
        assert_eq!(ids, vec!["d1", "d2"]);
    }

    #[test]
    fn only_checkpoints_untouched_for_a_week_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(format!("{CHECKPOINT_PREFIX}old"));
        let recent = dir.path().join(format!("{CHECKPOINT_PREFIX}recent"));
        let other = dir.path().join("keep-me");
        for d in [&old, &recent, &other] {
            std::fs::create_dir(d).unwrap();
        }
        let set_age = |p: &Path, days: u64| {
            let t = std::time::SystemTime::now() - Duration::from_secs(days * 24 * 3600);
            File::open(p).unwrap().set_modified(t).unwrap();
        };
        set_age(&old, 8);
        set_age(&recent, 6);
        set_age(&other, 30);
        remove_stale(dir.path());
        assert!(!old.exists(), "a week-old checkpoint stays");
        assert!(recent.exists(), "a six-day-old checkpoint was removed");
        assert!(other.exists(), "not a checkpoint");
    }

    #[cfg(unix)]
    #[test]
    fn the_checkpoint_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cp = Checkpoint::create(&dir.path().join("cp"), &id()).unwrap();
        cp.save(
            "users",
            &State::Chain {
                first: "a".into(),
                next: "b".into(),
                spool: Committed { count: 0, bytes: 0 },
            },
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(cp.dir()), 0o700);
        assert_eq!(mode(&cp.dir().join(IDENTITY)), 0o600);
        assert_eq!(mode(&cp.dir().join("users.state.json")), 0o600);
        std::fs::set_permissions(cp.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(Checkpoint::open(cp.dir(), &id())
            .unwrap_err()
            .contains("not private"));
    }
}
