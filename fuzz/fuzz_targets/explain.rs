//! Fuzz target `explain`: the body is `intune_audit::fuzzing::explain`, which the stable test
//! `tests/fuzz_corpus.rs` replays over `fuzz/corpus/explain/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    intune_audit::fuzzing::explain(data);
});
