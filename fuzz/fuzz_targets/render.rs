//! Fuzz target `render`: the body is `intune_audit::fuzzing::render`, which the stable test
//! `tests/fuzz_corpus.rs` replays over `fuzz/corpus/render/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    intune_audit::fuzzing::render(data);
});
