#!/usr/bin/env bash
# Prepares (once) what the Windows build and its tests under Wine need, cached outside the tree:
# the Rust target, a 64-bit Wine prefix, and two test-only helpers built with mingw from
# tests/windows/*.c: bcryptprimitives.dll (Wine 8 lacks ProcessPrng, which Rust's standard
# library imports; installed into the prefix only) and job_launcher.exe (an editor stand-in that
# kills the adapter with TerminateProcess). Needs Debian's gcc-mingw-w64-x86-64 and wine64
# (.ci/run installs them). Idempotent; prints the directory that holds the prefix and helpers.
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${PTVSD_DAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptvsd-dap}/windows"
mkdir -p "$cache"
exec 9>"$cache/.setup.lock"
flock 9

for tool in x86_64-w64-mingw32-gcc wine wineserver; do
    command -v "$tool" >/dev/null || { echo "windows/setup: $tool not found (apt-get install gcc-mingw-w64-x86-64 wine64)" >&2; exit 1; }
done
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
    rustup target add x86_64-pc-windows-gnu >&2
fi

build() { # output, source, extra flags...
    local out=$1 src=$2; shift 2
    if [ ! -f "$cache/$out" ] || [ "$src" -nt "$cache/$out" ]; then
        x86_64-w64-mingw32-gcc -O2 -s -o "$cache/$out.tmp" "$src" "$@"
        mv "$cache/$out.tmp" "$cache/$out"
    fi
}
build bcryptprimitives.dll tests/windows/bcryptprimitives.c -shared -ladvapi32
build job_launcher.exe tests/windows/job_launcher.c

export WINEPREFIX="$cache/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    wineboot --init >&2 2>/dev/null || true
    wineserver --wait
fi
system32="$WINEPREFIX/drive_c/windows/system32"
[ -d "$system32" ] || { echo "windows/setup: no Wine prefix at $WINEPREFIX" >&2; exit 1; }
cmp -s "$cache/bcryptprimitives.dll" "$system32/bcryptprimitives.dll" || cp "$cache/bcryptprimitives.dll" "$system32/"
echo "$cache"
