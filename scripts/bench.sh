#!/usr/bin/env bash
# The benchmark against debugpy, the floor (ptvsd alone) and the stdio floor (an adapter that only
# answers), see src/bin/bench/main.rs and BENCHMARKS.md.
# Prepares the test venvs, then runs the full benchmark (delays 0, 25, 50 ms; 50 steps; 50 MB of
# output) and writes BENCHMARKS.md. Extra arguments go to the bench: `scripts/bench.sh --short`
# is the quick run (one delay, a few steps) that proves it works; `scripts/bench.sh load` is the
# load run (10,000 stops, 100 threads, a 1,000,000-element list, 100 MB of output, per release),
# which writes the "Load" section; `scripts/bench.sh load --short --release 3.2.1` proves it works.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-env.sh >/dev/null
exec cargo run --release --bin bench -- "$@"
