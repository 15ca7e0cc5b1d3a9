//! Fuzz target `json`: see `Target::Json` in `src/harness.rs`.
#![cfg_attr(feature = "libfuzzer", no_main)]

ptvsd_dap_fuzz::fuzz_main!(ptvsd_dap_fuzz::Target::Json);
