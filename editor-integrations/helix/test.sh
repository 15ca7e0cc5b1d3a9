#!/usr/bin/env bash
# The Helix integration test. Helix's own DAP client (the helix-dap crate of the vendored Helix
# tree, driven by client/) attaches ptvsd-dap with the "attach" template of languages.toml to a
# real ptvsd debuggee behind websockify, and goes through a session: breakpoint, stop, threads,
# stack, variables, evaluate, next, continue; then the session ends with the disconnect Helix
# sends, and, attached again, with Helix quitting (SIGKILL). After each the app must run on.
# Every ptvsd release; plus a check of languages.toml's templates as Helix fills them in.
#
# Cached outside the tree (PTVSD_DAP_CACHE, default ~/.cache/ptvsd-dap): the Python venvs
# (scripts/setup-test-env.sh), and under helix-<commit>/ the unpacked Helix tree and the client's
# build. client/helix-src is made a symlink to that tree. The adapter is built here unless
# PTVSD_DAP_BIN names one; PTVSD_DAP_SHARED locates shared/ (default: next to the repository);
# PTVSD_DAP_HELIX_RELEASES picks releases (default: all four).
# The last line is "helix: N passed, M failed"; the exit status is non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${PTVSD_DAP_SHARED:-$(git -C "$here" rev-parse --show-toplevel)/../shared}
helix_commit=079a789e8cb0
releases=(${PTVSD_DAP_HELIX_RELEASES:-2.2.0 3.0.0 3.1.0 3.2.1})

say() { printf 'helix: %s\n' "$*"; }

# Polls `command...` every 50 ms until it succeeds (status 0); fails after `seconds`, or at once
# when the command returns 2.
wait_for() { # seconds, what, command...
    local limit=$1 what=$2 deadline=$((SECONDS + $1)) status
    shift 2
    while true; do
        "$@" && return 0 || status=$?
        ((status != 2)) || return 1 # the command knows it will never succeed
        if ((SECONDS >= deadline)); then
            say "timed out after ${limit}s waiting for $what"
            return 1
        fi
        sleep 0.05
    done
}

# True when a socket listens on 127.0.0.1:port (read from /proc/net/tcp, never by connecting:
# a connection closed after ptvsd's greeting wedges it).
listening() { # port
    local hex
    hex=$(printf '%04X' "$1")
    awk -v addr="0100007F:$hex" '$2 == addr && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}
alive() { # pid: running (a zombie is not)
    local state
    state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}
listening_while_alive() { # pid, port
    alive "$1" || { say "process $1 exited before it listened on port $2"; return 2; }
    listening "$2"
}
exited() { ! alive "$1"; }

# --- prepare (cached) ---
started=$SECONDS
cache=$("$root/scripts/setup-test-env.sh")
helix_dir=$cache/helix-$helix_commit
(
    flock 9
    if [ ! -f "$helix_dir/.unpacked" ]; then
        say "unpacking Helix $helix_commit into $helix_dir (once)"
        rm -rf "$helix_dir/helix"
        mkdir -p "$helix_dir"
        tar xzf "$shared/vendor/helix-$helix_commit.tar.gz" -C "$helix_dir"
        touch "$helix_dir/.unpacked"
    fi
) 9>"$cache/.helix-$helix_commit.lock"
ln -sfn "$helix_dir/helix" "$here/client/helix-src"
say "building the Helix test client (the first build compiles helix-core and helix-dap: minutes)"
# Every checkout shares this target directory (helix-core takes minutes to build), but one
# checkout's sources can be older than another's build, which cargo would then keep: the client
# alone is cleaned, so that it is built from this checkout (seconds).
(cd "$here/client" && RUSTUP_TOOLCHAIN=stable CARGO_TARGET_DIR="$helix_dir/target" cargo clean --quiet -p ptvsd-dap-helix-client)
(cd "$here/client" && RUSTUP_TOOLCHAIN=stable CARGO_TARGET_DIR="$helix_dir/target" cargo build --locked --quiet)
client=$helix_dir/target/debug/ptvsd-dap-helix-client
if [ -n "${PTVSD_DAP_BIN:-}" ]; then
    adapter=$PTVSD_DAP_BIN
else
    (cd "$root" && cargo build --quiet --bin ptvsd-dap)
    adapter=${CARGO_TARGET_DIR:-$root/target}/debug/ptvsd-dap
fi
[ -x "$adapter" ] || { say "no adapter binary at $adapter"; exit 1; }
say "prepared in $((SECONDS - started))s"

# --- run ---
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptvsd-dap-helix.XXXXXX")
pids=()
passed=0
failed=0
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    ((failed > 0)) || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# Helix finds `command = "ptvsd-dap"` on PATH.
mkdir "$tmp/bin"
ln -s "$(cd "$(dirname "$adapter")" && pwd)/$(basename "$adapter")" "$tmp/bin/ptvsd-dap"

free_port() {
    "$cache/tools/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

show_tail() { # file, label
    [ -s "$1" ] || return 0
    say "--- $2 (tail) ---"
    tail -n 15 "$1" | sed 's/^/    /'
}

# One debuggee and relay per release, attached twice: the session ends with the disconnect
# Helix sends, then (the app released, so attachable again) with Helix quitting (SIGKILL).
run_release() { # version; the app runs from a copy in $dir/remote, Helix has tests/fixtures
    local version=$1
    local dir=$tmp/$version venv=$cache/ptvsd-$version
    local port wsport secret stdin_fd debuggee websockify attempt end t0 status
    mkdir -p "$dir/remote"
    cp "$root/tests/fixtures/app.py" "$dir/remote/app.py"
    mkfifo "$dir/stdin"
    # Held read-write here: the app's stdin stays open however the client opens and closes it.
    exec {stdin_fd}<>"$dir/stdin"
    secret=hx-$version-$RANDOM
    for attempt in 1 2 3; do
        port=$(free_port)
        (cd "$dir/remote" && PYTHONDONTWRITEBYTECODE=1 exec "$venv/bin/python" -u -m ptvsd --port "$port" \
            --interface 127.0.0.1 --secret "$secret" "$dir/remote/app.py") \
            <"$dir/stdin" >"$dir/app.out" 2>"$dir/app.err" &
        debuggee=$!
        pids+=("$debuggee")
        wait_for 30 "ptvsd $version to listen on $port" listening_while_alive "$debuggee" "$port" && break
        if ! grep -q "Address already in use" "$dir/app.err" || ((attempt == 3)); then
            show_tail "$dir/app.err" "app stderr"
            failed=$((failed + 2))
            return
        fi
    done
    wsport=$(free_port)
    "$cache/tools/bin/websockify" "127.0.0.1:$wsport" "127.0.0.1:$port" >"$dir/websockify.log" 2>&1 &
    websockify=$!
    pids+=("$websockify")
    if ! wait_for 30 "websockify to listen on $wsport" listening_while_alive "$websockify" "$wsport"; then
        failed=$((failed + 2))
        return
    fi

    for end in disconnect quit; do
        t0=$SECONDS
        status=0
        say "ptvsd $version, ending with $end: Helix attaches through websockify"
        # The answers to the template's prompts: url, local root (Enter: Helix's cwd,
        # tests/fixtures), remote root.
        (cd "$root/tests/fixtures" && PATH="$tmp/bin:$PATH" timeout 300 "$client" \
            --languages "$here/languages.toml" --template attach \
            --answer "ws://$secret@127.0.0.1:$wsport/ptvsd" --answer "" --answer "$dir/remote" \
            --source app.py --debuggee-stdin "$dir/stdin" --debuggee-stdout "$dir/app.out" \
            --transcript "$dir/transcript-$end.log" --end "$end") || status=$?
        if ((status == 0)); then
            passed=$((passed + 1))
            say "ptvsd $version, ending with $end: ok ($((SECONDS - t0))s)"
        else
            failed=$((failed + 1))
            show_tail "$dir/app.err" "app stderr"
            show_tail "$dir/websockify.log" "websockify"
            show_tail "$dir/transcript-$end.log" "Helix's DAP log"
            say "ptvsd $version, ending with $end: FAILED ($((SECONDS - t0))s)"
        fi
    done

    # The app, detached twice, still runs its commands and ends cleanly.
    printf 'quit\n' >&"$stdin_fd"
    status=0
    wait_for 10 "ptvsd $version's app to quit" exited "$debuggee" && wait "$debuggee" || status=$?
    if ((status != 0)); then
        failed=$((failed + 1))
        say "ptvsd $version: the app did not quit cleanly (status $status)"
        show_tail "$dir/app.err" "app stderr"
    fi
    exec {stdin_fd}>&-
    kill "$websockify" 2>/dev/null || true
}

say "languages.toml: its templates, filled in as Helix fills them (cargo test)"
if (cd "$here/client" && RUSTUP_TOOLCHAIN=stable CARGO_TARGET_DIR="$helix_dir/target" cargo test --locked --quiet) >"$tmp/config-test.log" 2>&1; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    show_tail "$tmp/config-test.log" "cargo test"
fi
for version in "${releases[@]}"; do
    run_release "$version"
done
((failed == 0)) || say "logs kept in $tmp"
say "$passed passed, $failed failed"
((failed == 0))
