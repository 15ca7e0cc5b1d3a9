#!/usr/bin/env bash
# The Windows build (x86_64-pc-windows-gnu, cross-built with mingw) and its tests under Wine:
# the library's and the binary's unit tests through a Wine runner, then tests/e2e_windows.rs,
# where the .exe under Wine speaks DAP on stdio to a native test and attaches over tcp:// and
# ws:// to real native ptvsd 3.0.0 and 3.2.1 (breakpoint, stack, variables, evaluate, step,
# disconnect, TerminateProcess while stopped). Needs what scripts/windows/setup.sh checks for.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=x86_64-pc-windows-gnu
helpers="$(scripts/windows/setup.sh)"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/scripts/windows/wine-runner.sh"
status=0

echo "== Windows: build ($target)" >&2
cargo build --quiet --target "$target" --bin ptvsd-dap

echo "== Windows: clippy (the cfg(windows) code)" >&2
cargo clippy --quiet --target "$target" --lib --bins -- -D warnings || status=1

echo "== Windows: unit tests under Wine" >&2
cargo test --quiet --target "$target" --lib --bin ptvsd-dap || status=1

echo "== Windows: end-to-end under Wine (tests/e2e_windows.rs)" >&2
PTVSD_DAP_WINDOWS_EXE="$PWD/target/$target/debug/ptvsd-dap.exe" PTVSD_DAP_WINDOWS_HELPERS="$helpers" \
    cargo nextest run --no-fail-fast --test e2e_windows --run-ignored only \
    --test-threads "${PTVSD_DAP_WINDOWS_TEST_THREADS:-4}" || status=1

exit $status
