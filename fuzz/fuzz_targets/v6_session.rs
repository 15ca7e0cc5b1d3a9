//! Fuzz target `v6_session`: see `Target::V6Session` in `src/harness.rs`.
#![cfg_attr(feature = "libfuzzer", no_main)]

ptvsd_dap_fuzz::fuzz_main!(ptvsd_dap_fuzz::Target::V6Session);
