//! Fuzz target `config`: the body is `intune_audit::fuzzing::config`, which the stable test
//! `tests/fuzz_corpus.rs` replays over `fuzz/corpus/config/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    intune_audit::fuzzing::config(data);
});
