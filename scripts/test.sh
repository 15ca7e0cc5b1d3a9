#!/usr/bin/env bash
# Runs every test: unit tests and the end-to-end suite against every supported ptvsd release.
# First use prepares the Python venvs (cached outside the tree, see setup-test-env.sh), and
# installs Python 2.7 and 3.6 with pyenv if they are missing (setup-old-pythons.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-test-env.sh >/dev/null
# Python 2.7 and 3.6 for tests/e2e_pythons.rs (pyenv); without them those cases fail, saying so.
scripts/setup-old-pythons.sh || echo "test.sh: scripts/setup-old-pythons.sh failed: the e2e_pythons cases will fail" >&2

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "cargo-nextest not found: installing it with cargo install (once)" >&2
    cargo install --locked cargo-nextest >&2
fi
# Formatting and lints first: they take seconds and fail for reasons the tests would not show.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    echo "rustfmt or clippy not found: adding them with rustup (once)" >&2
    rustup component add rustfmt clippy >&2
fi
# Each part's output is also kept in $logs/<part>.log: a failed run ends with what failed and why
# (CI shows the end of the output, and the reason is otherwise far above it).
logs="${PTVSD_DAP_TEST_LOGS:-target/test-logs}"
rm -rf "$logs"
mkdir -p "$logs"
status=0
failed_parts=()
part() {
    local name="$1"
    shift
    if ! "$@" 2>&1 | tee "$logs/$name.log"; then
        status=1
        failed_parts+=("$name")
    fi
}

part fmt cargo fmt --check
part clippy cargo clippy --all-targets -- -D warnings

# End-to-end cases mostly wait on processes and sockets: run many at once even on 2 cores.
part nextest cargo nextest run --workspace --no-fail-fast --test-threads "${PTVSD_DAP_TEST_THREADS:-8}" "$@"

# The benchmark once, short, to prove it runs (it asserts nothing about times).
part bench cargo run --quiet --bin bench -- --short --out "${TMPDIR:-/tmp}/ptvsd-dap-bench-short.md"

# The editors' own DAP clients against the real adapter (each prints "<editor>: N passed, M failed").
export PTVSD_DAP_BIN="$PWD/target/debug/ptvsd-dap"
for editor in nvim vscode helix; do
    if [ -x "editor-integrations/$editor/test.sh" ]; then
        part "$editor" "editor-integrations/$editor/test.sh"
    fi
done
# The extension in the real VS Code (code-server in headless Chromium); prints "vscode-ui: N passed, M failed".
part vscode-ui editor-integrations/vscode/ui-test/run.sh

# The Windows build (mingw) and its unit and end-to-end tests under Wine.
part windows scripts/windows/test.sh

# The shipped builds (scripts/dist.sh): the static Linux binary checked and run end to end, macOS linked.
part dist scripts/dist-test.sh

if [ "$status" -ne 0 ]; then
    scripts/failure-digest.sh "$logs" "${failed_parts[@]}"
fi
exit $status
