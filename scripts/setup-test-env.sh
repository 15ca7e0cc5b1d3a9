#!/usr/bin/env bash
# Prepares (once) and caches outside the tree what the end-to-end tests need:
# one Python venv per supported ptvsd release, and a tools venv with websockify.
# Idempotent and safe to run from several processes at once (flock).
# Prints the cache directory on stdout.
set -euo pipefail

cache="${PTVSD_DAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptvsd-dap}"
mkdir -p "$cache"
python="${PTVSD_DAP_PYTHON:-python3}"

# ptvsd runs on Python <= 3.11 (it imports `imp`).
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info < (3, 12) else 1)' 2>/dev/null; then
    echo "setup-test-env: $python is $("$python" --version 2>&1); ptvsd needs Python 3.11 or older (set PTVSD_DAP_PYTHON)" >&2
    exit 1
fi

make_venv() { # name, pip requirement...
    local name=$1; shift
    local dir="$cache/$name"
    local wanted="$*"
    [ -f "$dir/.ready" ] && [ "$(cat "$dir/.ready")" = "$wanted" ] && return 0
    if [ ! -x "$dir/bin/pip" ]; then
        rm -rf "$dir"
        "$python" -m venv "$dir" >&2
    fi
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
    printf '%s' "$wanted" > "$dir/.ready"
}

exec 9>"$cache/.setup.lock"
flock 9
for version in 2.2.0 3.0.0 3.1.0 3.2.1; do
    # Django for the template-breakpoint tests (4.2 LTS runs on Python 3.11).
    make_venv "ptvsd-$version" "ptvsd==$version" "django==4.2.*"
done
make_venv tools "websockify==0.13.0"
echo "$cache"
