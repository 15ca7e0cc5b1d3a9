#!/usr/bin/env bash
# The extension in the real VS Code: code-server (VS Code served to a browser) in Debian's headless
# Chromium, driven with playwright-core, attached through the freshly packaged .vsix and ptvsd-dap to
# real ptvsd 3.0.0 and 3.2.1 debuggees over tcp:// and ws:// (through `ptvsd-dap relay`).
# First use installs code-server and playwright-core (install.sh, cached outside the tree).
# Screenshots, logs and the DAP requests VS Code sent go to target/vscode-ui/ (or
# $PTVSD_DAP_UI_ARTIFACTS). The last line is "vscode-ui: N passed, M failed"; the exit status is
# non-zero on any failure. PTVSD_DAP_UI_ONLY=<regex> runs only the tests whose names match.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
extension="$(dirname "$here")"
repo="$(cd "$extension/../.." && pwd)"

run_id="$$-$(date +%s%N)-$RANDOM$RANDOM"
work=""
runner_pid=""
current_step=""
summary_printed=""

# Every process this run starts carries PTVSD_DAP_UI_RUN=<run id> in its environment (node,
# code-server and its extension host, Chromium, the adapters, debuggees, relays): whatever way this
# script ends, those still alive are killed, by pid.
cleanup() {
    local status=$? env pid left=0
    trap - EXIT INT TERM HUP
    if [ -n "$runner_pid" ]; then kill -TERM "$runner_pid" 2>/dev/null || true; fi
    for env in /proc/[0-9]*/environ; do
        pid="${env#/proc/}"; pid="${pid%/environ}"
        [ "$pid" = "$$" ] && continue
        if grep -qzxF "PTVSD_DAP_UI_RUN=$run_id" "$env" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null && left=$((left + 1))
        fi
    done
    [ "$left" -eq 0 ] || echo "run.sh: killed $left leftover process(es) of this run" >&2
    [ -z "$work" ] || rm -rf "$work"
    if [ -z "$summary_printed" ]; then
        echo "run.sh: failed at: ${current_step:-start} (status $status)" >&2
        echo "vscode-ui: 0 passed, 1 failed"
        [ "$status" -ne 0 ] || status=1
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
work="$(mktemp -d "${TMPDIR:-/tmp}/ptvsd-dap-vscode-ui.XXXXXX")"
export PTVSD_DAP_UI_RUN="$run_id"

step() { current_step="$*"; echo "== $*" >&2; }

step "test environment (scripts/setup-test-env.sh)"
cache="$("$repo/scripts/setup-test-env.sh")"

step "code-server and playwright-core (ui-test/install.sh)"
install="$("$here/install.sh")"
chromium="${PTVSD_DAP_UI_CHROMIUM:-/usr/lib/chromium/chromium}"
[ -x "$chromium" ] || { echo "run.sh: no Chromium at $chromium: apt-get install chromium (or set PTVSD_DAP_UI_CHROMIUM)" >&2; exit 1; }

# The extension's npm tools, as editor-integrations/vscode/test.sh installs them (same stamp).
stamp="$extension/node_modules/.ptvsd-dap-npm-ci"
stamp_key="$(sha256sum "$extension/package-lock.json" | cut -d' ' -f1) node $(node --version) npm $(npm --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_key" ]; then
    step "npm ci: node_modules is up to date with package-lock.json"
else
    step "npm ci"
    (cd "$extension" && npm ci --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error </dev/null >&2)
    echo "$stamp_key" >"$stamp"
fi

# Built in a copy of the extension, so that a vscode/test.sh running at the same time keeps its out/.
step "compile and package the extension"
copy="$work/extension"
mkdir -p "$copy"
cp -r "$extension/package.json" "$extension/package-lock.json" "$extension/tsconfig.json" "$extension/README.md" \
    "$extension/.vscodeignore" "$extension/src" "$extension/test" "$copy/"
cp -r "$here" "$copy/ui-test"
ln -s "$extension/node_modules" "$copy/node_modules"
cat >"$copy/tsconfig.ui.json" <<EOF
{
  "extends": "./tsconfig.json",
  "compilerOptions": {
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "baseUrl": ".",
    "paths": { "playwright-core": ["$install/node_modules/playwright-core"] }
  },
  "include": ["src/**/*.ts", "test/harness.ts", "ui-test/*.ts"]
}
EOF
(cd "$copy" && node_modules/.bin/tsc -p tsconfig.ui.json >&2)
vsix="$work/ptvsd-dap.vsix"
(cd "$copy" && npm run --silent package -- --out "$vsix" </dev/null >&2)
recorder_vsix="$work/ptvsd-dap-ui-test-recorder.vsix"
(cd "$copy/ui-test/dap-recorder" && "$copy/node_modules/.bin/vsce" package --no-dependencies --skip-license \
    --allow-missing-repository --out "$recorder_vsix" </dev/null >&2)

if [ -n "${PTVSD_DAP_BIN:-}" ]; then
    adapter="$PTVSD_DAP_BIN"
    step "adapter: $adapter (PTVSD_DAP_BIN)"
else
    step "build ptvsd-dap (cargo build)"
    (cd "$repo" && cargo build --quiet --bin ptvsd-dap >&2)
    adapter="$repo/target/debug/ptvsd-dap"
fi
[ -x "$adapter" ] || { echo "run.sh: no adapter binary at $adapter" >&2; exit 1; }

artifacts="${PTVSD_DAP_UI_ARTIFACTS:-$repo/target/vscode-ui}"
rm -rf "$artifacts"
mkdir -p "$artifacts"

step "tests (node --test); screenshots and logs in $artifacts"
tap="$work/results.tap"
set +e
PTVSD_DAP_UI_TMP="$work" PTVSD_DAP_UI_ARTIFACTS="$artifacts" PTVSD_DAP_UI_INSTALL="$install" \
    PTVSD_DAP_UI_VSIX="$vsix" PTVSD_DAP_UI_RECORDER_VSIX="$recorder_vsix" PTVSD_DAP_UI_CHROMIUM="$chromium" \
    PTVSD_DAP_BIN="$adapter" PTVSD_DAP_TEST_ENV="$cache" PTVSD_DAP_REPO="$repo" NODE_PATH="$install/node_modules" \
    node --test ${PTVSD_DAP_UI_ONLY:+--test-name-pattern="$PTVSD_DAP_UI_ONLY"} \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "$copy/out/ui-test/ui.test.js" </dev/null &
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
echo "vscode-ui: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
