//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) on stable: every file goes
//! through the same harness as its cargo-fuzz target (`intune_audit::fuzzing`), and none may
//! panic. The corpus holds the hostile cases of issue 14 (`fuzz/seeds.py`) and a minimised
//! subset of what fuzzing found interesting, crash regressions included (docs/reliability.md).

use intune_audit::fuzzing;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let files = corpus(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("corpus file reads");
        if catch_unwind(AssertUnwindSafe(|| fuzzing::run(target, &data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} corpus files panic:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn snapshot_corpus_replays_without_panic() {
    replay("snapshot");
}

#[test]
fn config_corpus_replays_without_panic() {
    replay("config");
}

#[test]
fn explain_corpus_replays_without_panic() {
    replay("explain");
}

#[test]
fn graph_corpus_replays_without_panic() {
    replay("graph");
}

#[test]
fn render_corpus_replays_without_panic() {
    replay("render");
}

/// The corpus stays small enough to keep in the repository and replay in seconds.
#[test]
fn the_corpus_is_small_and_covers_every_target() {
    let mut files = 0usize;
    let mut bytes = 0u64;
    for target in fuzzing::TARGETS {
        let c = corpus(target);
        assert!(!c.is_empty(), "no corpus for {target}");
        files += c.len();
        bytes += c
            .iter()
            .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .sum::<u64>();
    }
    assert!(files <= 250, "{files} corpus files");
    assert!(bytes <= 2_500_000, "{bytes} bytes of corpus");
    assert!(!fuzzing::run("no-such-target", b""));
}
