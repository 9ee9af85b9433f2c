//! `intune-audit collect --out FILE`: read the tenant live and save the snapshot.

use crate::cli_connect::CollectArgs;
use crate::graph::checkpoint::{self, Checkpoint, Identity, State};
use crate::graph::collect::write_snapshot;
use crate::live::collect_live_with;
use crate::snapshot_io::{self, Destination};
use anyhow::{Context, Result};
use intune_audit_checks::snapshot::Status;
use intune_audit_checks::Resource;
use intune_audit_checks::Snapshot;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn run(args: &CollectArgs) -> Result<i32> {
    // The large collections are spooled to disk and streamed into the snapshot file, so memory
    // stays flat whatever the tenant's size.
    let dir = spool_parent(&args.out)?;
    remove_stale_spools(&dir);
    checkpoint::remove_stale(&dir);
    let mut sign_in = args.connect.sign_in();
    sign_in.history_days = args.history_days;
    // A file output keeps a checkpoint (resumable); stdout, a device or a FIFO a plain spool.
    let checkpoint = match snapshot_io::destination(&args.out)? {
        Destination::Replace(target) => Some(open_checkpoint(args, &sign_in, &dir, &target)?),
        _ if args.resume => anyhow::bail!(
            "--resume needs --out FILE (a regular file): a collection to stdout, a device or a \
             FIFO keeps no checkpoint"
        ),
        _ => None,
    };
    let spool = match checkpoint {
        Some(_) => None,
        None => Some(make_spool(&dir)?),
    };
    let checkpoint_tenant = checkpoint.as_ref().and_then(organization_id);
    let collected = match collect_live_with(
        &sign_in,
        spool.as_ref().map(|s| s.path()),
        checkpoint.as_ref(),
    ) {
        Ok(c) => c,
        Err(e) => return Err(kept(e, checkpoint, &args.out)),
    };
    if let Err(e) = same_tenant(checkpoint_tenant.as_deref(), &collected.snapshot, &args.out) {
        if let Some(cp) = checkpoint {
            let _ = cp.discard();
        }
        return Err(e);
    }
    if read_nothing(&collected.snapshot) {
        // Replacing a good snapshot with an empty one would hide the failure until the next
        // audit. The checkpoint holds nothing worth resuming.
        if let Some(cp) = checkpoint {
            let _ = cp.discard();
        }
        anyhow::bail!(
            "nothing was collected: Graph refused every read ({}); {} was not written",
            summary(&collected.snapshot),
            args.out.display()
        );
    }
    if let Err(e) = write_snapshot(&args.out, &collected) {
        return Err(kept(e, checkpoint, &args.out));
    }
    if let Some(cp) = checkpoint {
        if let Err(e) = cp.discard() {
            log::warn!("cannot remove the collection's checkpoint: {e}");
        }
    }
    let shown = if args.out.as_os_str() == "-" {
        "stdout".into()
    } else {
        args.out.display().to_string()
    };
    let mut verdict = crate::term::Verdict {
        counts: summary(&collected.snapshot),
        exit: crate::EXIT_OK,
        ..Default::default()
    };
    if args.out.as_os_str() == "-" {
        verdict.why = format!("snapshot → {shown}");
    } else {
        verdict.wrote.push(args.out.clone());
    }
    verdict.print();
    Ok(crate::EXIT_OK)
}

/// The checkpoint of a collection into `target`: the interrupted one with `--resume` (refused
/// if it is another collection's), else a new one (an old one is discarded, with a notice).
fn open_checkpoint(
    args: &CollectArgs,
    sign_in: &crate::signin::SignIn,
    dir: &Path,
    target: &Path,
) -> Result<Checkpoint> {
    let output = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
    let graph = sign_in
        .graph_url
        .clone()
        .unwrap_or_else(|| format!("cloud {}", sign_in.cloud.name()));
    let tenant = sign_in.tenant.as_deref().unwrap_or("");
    let method = format!(
        "{:?}, client id {}",
        sign_in.auth,
        sign_in.client_id.as_deref().unwrap_or("none")
    );
    let identity = Identity::new(tenant, &graph, args.history_days, &output, &method);
    let folder = checkpoint::folder_for(dir, &output);
    let out = args.out.display();
    match Checkpoint::open(&folder, &identity) {
        Ok(Some(cp)) if args.resume => {
            eprintln!("intune-audit: resuming the interrupted collection into {out}");
            return Ok(cp);
        }
        Ok(None) if args.resume => {
            eprintln!("intune-audit: no interrupted collection into {out} to resume; collecting from the start");
        }
        Err(why) if args.resume => anyhow::bail!(
            "cannot resume the collection into {out}: {why}; run without --resume to discard \
             it and start again"
        ),
        Ok(None) => {}
        Ok(Some(_)) | Err(_) => {
            eprintln!(
                "intune-audit: discarding the checkpoint of an interrupted collection into {out} \
                 (--resume continues one)"
            );
        }
    }
    if folder.exists() {
        std::fs::remove_dir_all(&folder)
            .with_context(|| format!("cannot remove the old checkpoint {}", folder.display()))?;
    }
    Checkpoint::create(&folder, &identity)
        .with_context(|| format!("cannot write to folder {}", dir.display()))
}

/// The tenant id of the organization a checkpoint holds, if it read it.
fn organization_id(cp: &Checkpoint) -> Option<String> {
    match cp.load(Resource::Organization.key())? {
        State::Done { entry, .. } => entry.items.first()?.get("id")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// A resume whose sign-in reaches another tenant than the one its checkpoint read must not
/// write a snapshot mixing the two.
fn same_tenant(checkpoint: Option<&str>, s: &Snapshot, out: &Path) -> Result<()> {
    match (checkpoint, read_tenant(s)) {
        (Some(was), Some(now)) if was != now => anyhow::bail!(
            "the checkpoint of {} was read from tenant {was}, this sign-in reads tenant {now}; \
             nothing was written and the checkpoint was discarded",
            out.display()
        ),
        _ => Ok(()),
    }
}

/// The tenant id this collection read from Graph (not the fallback of `--tenant`).
fn read_tenant(s: &Snapshot) -> Option<String> {
    let e = s.entry(Resource::Organization)?;
    (e.status == Status::Ok).then(|| e.items.first()?.get("id")?.as_str().map(str::to_string))?
}

/// A collection that stopped: with a checkpoint holding something, the error says how to
/// continue; a checkpoint holding nothing (a sign-in that failed at once) is removed.
fn kept(e: anyhow::Error, checkpoint: Option<Checkpoint>, out: &Path) -> anyhow::Error {
    match checkpoint {
        None => e,
        Some(cp) if !cp.holds_progress() => {
            let _ = cp.discard();
            e
        }
        Some(cp) => anyhow::anyhow!(
            "{e:#}; what was read is kept in {} (private): `intune-audit collect --resume --out \
             {}` continues, a run without --resume discards it",
            cp.dir().display(),
            out.display()
        ),
    }
}

const SPOOL_PREFIX: &str = ".intune-audit-spool-";

/// Spools older than this are from runs that were killed (SIGKILL, a power cut).
const STALE_SPOOL: Duration = Duration::from_secs(24 * 3600);

/// Where the spool goes: next to a regular output file (the same filesystem as the snapshot,
/// usually the one with room for it); the temp folder for stdout, a device or a FIFO (never
/// `/dev`).
fn spool_parent(out: &Path) -> Result<PathBuf> {
    Ok(match snapshot_io::destination(out)? {
        Destination::Replace(target) => match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
        Destination::Stdout | Destination::WriteThrough(_) => std::env::temp_dir(),
    })
}

/// A private spool folder (owner only: it holds the tenant's users and devices), removed when
/// dropped — also on an error or an interrupt, which end the run through `?`.
pub fn make_spool(dir: &Path) -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(SPOOL_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder
        .tempdir_in(dir)
        .with_context(|| format!("cannot write to folder {}", dir.display()))
}

/// Removes spool folders that earlier, killed runs left in `dir` (only old ones: another run
/// may be collecting into the same folder right now).
pub fn remove_stale_spools(dir: &Path) {
    snapshot_io::remove_old_folders(dir, SPOOL_PREFIX, STALE_SPOOL);
}

/// No resource was read. Group memberships do not count: they are read only for groups the
/// other resources name, so with those failed they are vacuously "ok".
fn read_nothing(s: &Snapshot) -> bool {
    let mut direct = s
        .resources
        .iter()
        .filter(|(k, _)| k.as_str() != intune_audit_checks::Resource::GroupMembers.key())
        .peekable();
    direct.peek().is_some() && direct.all(|(_, e)| e.status != Status::Ok)
}

/// One line: how many resources ended how.
pub fn summary(s: &Snapshot) -> String {
    let count = |st: Status| s.resources.values().filter(|e| e.status == st).count();
    let mut parts = vec![format!("{} ok", count(Status::Ok))];
    for (st, name) in [
        (Status::Forbidden, "forbidden"),
        (Status::NotFound, "not found"),
        (Status::Error, "error"),
    ] {
        let n = count(st);
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    format!(
        "collected {} resources ({}) from tenant {}",
        s.resources.len(),
        parts.join(", "),
        s.tenant.id
    )
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_spool_folder_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let spool = make_spool(dir.path()).unwrap();
        let mode = std::fs::metadata(spool.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700, "{mode:o}");
        assert!(spool
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(SPOOL_PREFIX));
    }

    #[test]
    fn only_old_spools_are_removed_as_stale() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(format!("{SPOOL_PREFIX}old"));
        let fresh = dir.path().join(format!("{SPOOL_PREFIX}fresh"));
        let other = dir.path().join("keep-me");
        for d in [&old, &fresh, &other] {
            std::fs::create_dir(d).unwrap();
        }
        let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(48 * 3600);
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        std::fs::File::open(&other)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        remove_stale_spools(dir.path());
        assert!(!old.exists(), "a stale spool stays");
        assert!(fresh.exists(), "a running collection's spool was removed");
        assert!(other.exists(), "not a spool");
    }

    #[test]
    fn stdout_and_fifos_spool_in_the_temp_folder_not_next_to_them() {
        assert_eq!(spool_parent(Path::new("-")).unwrap(), std::env::temp_dir());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap.json");
        assert_eq!(spool_parent(&out).unwrap(), dir.path());
    }
}
