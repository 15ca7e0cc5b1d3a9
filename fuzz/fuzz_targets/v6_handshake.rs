//! Fuzz target `v6_handshake`: see `Target::V6Handshake` in `src/harness.rs`.
#![cfg_attr(feature = "libfuzzer", no_main)]

ptvsd_dap_fuzz::fuzz_main!(ptvsd_dap_fuzz::Target::V6Handshake);
