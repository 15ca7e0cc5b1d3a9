#!/usr/bin/env bash
# Cargo's runner for x86_64-pc-windows-gnu (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER): runs a
# Windows test binary under Wine, in the prefix scripts/windows/setup.sh prepared.
set -euo pipefail
cache="${PTVSD_DAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptvsd-dap}/windows"
export WINEPREFIX="$cache/prefix" WINEDEBUG="${WINEDEBUG:--all}"
exec wine "$@"
