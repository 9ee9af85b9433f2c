//! Fuzz target `snapshot`: the body is `intune_audit::fuzzing::snapshot`, which the stable test
//! `tests/fuzz_corpus.rs` replays over `fuzz/corpus/snapshot/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    intune_audit::fuzzing::snapshot(data);
});
