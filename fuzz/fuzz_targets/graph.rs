//! Fuzz target `graph`: the body is `intune_audit::fuzzing::graph`, which the stable test
//! `tests/fuzz_corpus.rs` replays over `fuzz/corpus/graph/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    intune_audit::fuzzing::graph(data);
});
