#!/usr/bin/env bash
# The VS Code integration, end to end: installs the npm tools (npm ci, cache outside the tree),
# compiles the extension, packages the .vsix, builds ptvsd-dap (or takes $PTVSD_DAP_BIN), packages
# it into a linux-x64 platform .vsix (package.sh), and runs the tests: package.json schema and
# snippets, the descriptor factory, the platform package installed with no ptvsd-dap on PATH, and
# DebugClient sessions against real ptvsd 2.2.0/3.0.0/3.1.0/3.2.1 over websockify and TCP. The last line is
# "vscode: N passed, M failed"; the exit status is non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

run_id="$$-$(date +%s%N)-$RANDOM$RANDOM"
work=""
runner_pid=""
current_step=""
summary_printed=""

# Every process the test run starts carries PTVSD_DAP_VSCODE_RUN=<run id> in its environment
# (node, the adapters and their connection owners, debuggees, websockify): whatever way this
# script ends, those still alive are killed, by pid.
cleanup() {
    local status=$? env pid left=0
    trap - EXIT INT TERM HUP
    if [ -n "$runner_pid" ]; then kill -TERM "$runner_pid" 2>/dev/null || true; fi
    for env in /proc/[0-9]*/environ; do
        pid="${env#/proc/}"; pid="${pid%/environ}"
        [ "$pid" = "$$" ] && continue
        if grep -qzxF "PTVSD_DAP_VSCODE_RUN=$run_id" "$env" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null && left=$((left + 1))
        fi
    done
    [ "$left" -eq 0 ] || echo "test.sh: killed $left leftover process(es) of this run" >&2
    [ -z "$work" ] || rm -rf "$work"
    if [ -z "$summary_printed" ]; then
        # Failed (or stopped) before the tests ran: still end with the summary line.
        echo "test.sh: failed at: ${current_step:-start} (status $status)" >&2
        echo "vscode: 0 passed, 1 failed"
        [ "$status" -ne 0 ] || status=1
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
work="$(mktemp -d "${TMPDIR:-/tmp}/ptvsd-dap-vscode.XXXXXX")"

step() { current_step="$*"; echo "== $*" >&2; }

# The ptvsd venvs and websockify (prints the cache directory).
step "test environment (scripts/setup-test-env.sh)"
cache="$("$repo/scripts/setup-test-env.sh")"

# npm ci gives exactly package-lock.json; it is skipped when node_modules already holds what the
# same lock file gave with the same node and npm (a stamp written after a successful npm ci).
stamp="node_modules/.ptvsd-dap-npm-ci"
stamp_key="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version) npm $(npm --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_key" ]; then
    step "npm ci: node_modules is up to date with package-lock.json"
else
    step "npm ci"
    npm ci --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error </dev/null >&2
    echo "$stamp_key" >"$stamp"
fi

step "compile (tsc)"
rm -rf out
node_modules/.bin/tsc -p . >&2

step "package (vsce)"
version="$(node -p 'require("./package.json").version')"
vsix="$here/ptvsd-dap-$version.vsix"
./package.sh "$vsix"
# The package holds the manifest, the README and the compiled extension, and no tests or tools.
contents="$(python3 -m zipfile -l "$vsix" | awk 'NR > 1 { print $1 }')"
for f in extension/package.json extension/readme.md extension/out/src/extension.js extension/out/src/adapterPath.js; do
    grep -qixF "$f" <<<"$contents" || { echo "test.sh: $f is missing from $vsix:" >&2; echo "$contents" >&2; exit 1; }
done
if grep -qE '^extension/(node_modules|test|src|out/test)/' <<<"$contents"; then
    echo "test.sh: $vsix holds files it should not:" >&2; echo "$contents" >&2; exit 1
fi
echo "vsix: $vsix"

if [ -n "${PTVSD_DAP_BIN:-}" ]; then
    adapter="$PTVSD_DAP_BIN"
    step "adapter: $adapter (PTVSD_DAP_BIN)"
else
    step "build ptvsd-dap (cargo build)"
    (cd "$repo" && cargo build --quiet --bin ptvsd-dap >&2)
    target_dir="$(cd "$repo" && cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
    adapter="$target_dir/debug/ptvsd-dap"
fi
[ -x "$adapter" ] || { echo "test.sh: no adapter binary at $adapter" >&2; exit 1; }

# The linux-x64 platform package with this adapter inside (test/vsix.test.ts installs it).
step "package for linux-x64 (package.sh, the adapter inside)"
platform_vsix="$work/ptvsd-dap-linux-x64.vsix"
./package.sh "$platform_vsix" linux-x64 "$adapter"

step "tests (node --test)"
tap="$work/results.tap"
set +e
PTVSD_DAP_VSCODE_RUN="$run_id" PTVSD_DAP_VSCODE_TMP="$work" PTVSD_DAP_BIN="$adapter" PTVSD_DAP_VSIX="$platform_vsix" PTVSD_DAP_TEST_ENV="$cache" PTVSD_DAP_REPO="$repo" \
    node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    out/test/*.test.js </dev/null &
runner_pid=$!
wait "$runner_pid"
status=$?
runner_pid=""
set -e

count() { grep -E "^# $1 [0-9]+$" "$tap" 2>/dev/null | tail -1 | awk '{ print $3 }'; }
passed="$(count pass)"; failed="$(count fail)"; cancelled="$(count cancelled)"
passed="${passed:-0}"; failed=$(( ${failed:-0} + ${cancelled:-0} ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # the runner itself failed
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # ran nothing
summary_printed=1
echo "vscode: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
