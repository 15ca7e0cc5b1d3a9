#!/usr/bin/env bash
# The benchmark against debugpy (see src/bin/bench/main.rs and BENCHMARKS.md).
# Prepares the test venvs, then runs the full benchmark (delays 0, 25, 50 ms; 50 steps; 50 MB of
# output) and writes BENCHMARKS.md. Extra arguments go to the bench: `scripts/bench.sh --short`
# is the quick run (one delay, a few steps) that proves it works.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-env.sh >/dev/null
exec cargo run --release --bin bench -- "$@"
