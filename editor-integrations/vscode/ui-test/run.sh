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

# shellcheck source=../run-lib.sh
. "$extension/run-lib.sh"
run_begin run.sh vscode-ui PTVSD_DAP_UI_RUN

step "test environment (scripts/setup-test-env.sh)"
cache="$("$repo/scripts/setup-test-env.sh")"

step "code-server and playwright-core (ui-test/install.sh)"
install="$("$here/install.sh")"
chromium="${PTVSD_DAP_UI_CHROMIUM:-/usr/lib/chromium/chromium}"
[ -x "$chromium" ] || { echo "run.sh: no Chromium at $chromium: apt-get install chromium (or set PTVSD_DAP_UI_CHROMIUM)" >&2; exit 1; }

# The extension's npm tools, as editor-integrations/vscode/test.sh installs them (same stamp).
npm_ci_once "$extension" "$cache"

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

find_adapter "$repo"

artifacts="${PTVSD_DAP_UI_ARTIFACTS:-$repo/target/vscode-ui}"
rm -rf "$artifacts"
mkdir -p "$artifacts"

step "tests (node --test); screenshots and logs in $artifacts"
PTVSD_DAP_UI_TMP="$work" PTVSD_DAP_UI_ARTIFACTS="$artifacts" PTVSD_DAP_UI_INSTALL="$install" \
    PTVSD_DAP_UI_VSIX="$vsix" PTVSD_DAP_UI_RECORDER_VSIX="$recorder_vsix" PTVSD_DAP_UI_CHROMIUM="$chromium" \
    PTVSD_DAP_BIN="$adapter" PTVSD_DAP_TEST_ENV="$cache" PTVSD_DAP_REPO="$repo" NODE_PATH="$install/node_modules" \
    run_node_tests ${PTVSD_DAP_UI_ONLY:+--test-name-pattern="$PTVSD_DAP_UI_ONLY"} "$copy/out/ui-test/ui.test.js"
