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

# shellcheck source=run-lib.sh
. "$here/run-lib.sh"
run_begin test.sh vscode PTVSD_DAP_VSCODE_RUN

# The ptvsd venvs and websockify (prints the cache directory).
step "test environment (scripts/setup-test-env.sh)"
cache="$("$repo/scripts/setup-test-env.sh")"

npm_ci_once "$here" "$cache"

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

find_adapter "$repo"

# The linux-x64 platform package with this adapter inside (test/vsix.test.ts installs it).
step "package for linux-x64 (package.sh, the adapter inside)"
platform_vsix="$work/ptvsd-dap-linux-x64.vsix"
./package.sh "$platform_vsix" linux-x64 "$adapter"

step "tests (node --test)"
PTVSD_DAP_VSCODE_TMP="$work" PTVSD_DAP_BIN="$adapter" PTVSD_DAP_VSIX="$platform_vsix" PTVSD_DAP_TEST_ENV="$cache" PTVSD_DAP_REPO="$repo" \
    run_node_tests out/test/*.test.js
