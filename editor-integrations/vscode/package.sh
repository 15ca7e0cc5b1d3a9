#!/usr/bin/env bash
# Packages the compiled extension (out/, from tsc) as a .vsix.
#   package.sh OUT.vsix                         the generic package: no binary inside; the adapter
#                                               comes from the ptvsd-dap.path setting or PATH
#   package.sh OUT.vsix VSCODE_TARGET BINARY    the package for one platform (win32-x64,
#                                               linux-x64, linux-arm64, darwin-x64, darwin-arm64)
#                                               with BINARY inside as bin/ptvsd-dap[.exe]
# The tree is not changed: a platform package is staged in a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(realpath -m "$1")"
vsce=(node "$here/node_modules/@vscode/vsce/vsce" package --no-dependencies --skip-license --allow-missing-repository)

if [ $# -eq 1 ]; then
    cd "$here"
    rm -f "$out"
    "${vsce[@]}" --out "$out" </dev/null >&2
    exit 0
fi
[ $# -eq 3 ] || { echo "usage: package.sh OUT.vsix [VSCODE_TARGET BINARY]" >&2; exit 2; }
target=$2 binary=$3
[ -f "$binary" ] || { echo "package.sh: no binary at $binary" >&2; exit 1; }
stage="$(mktemp -d "${TMPDIR:-/tmp}/ptvsd-dap-vsix.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp "$here/package.json" "$here/README.md" "$here/.vscodeignore" "$stage/"
mkdir -p "$stage/out" "$stage/bin"
cp -r "$here/out/src" "$stage/out/"
name=ptvsd-dap
case "$target" in win32-*) name=ptvsd-dap.exe ;; esac
install -m 0755 "$binary" "$stage/bin/$name"
rm -f "$out"
(cd "$stage" && "${vsce[@]}" --target "$target" --out "$out" </dev/null >&2)
