# Shared by test.sh and ui-test/run.sh (sourced, not run): the run's clean-up, its steps, the npm
# tools, the adapter binary and the node test runner with its summary line.
#
# run_begin NAME LABEL ENV: NAME prefixes messages, LABEL the summary line ("LABEL: N passed, M
# failed"), ENV is exported as <ENV>=<run id> to every process the run starts, so that whatever way
# the script ends, those still alive are killed, by pid (node, code-server, Chromium, the adapters
# and their connection owners, debuggees, relays).

run_begin() {
    run_name="$1"; run_label="$2"; run_env="$3"
    run_id="$$-$(date +%s%N)-$RANDOM$RANDOM"
    work=""; runner_pid=""; current_step=""; summary_printed=""
    trap run_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    work="$(mktemp -d "${TMPDIR:-/tmp}/ptvsd-dap-$run_label.XXXXXX")"
    export "$run_env=$run_id"
}

run_cleanup() {
    local status=$? env pid left=0
    trap - EXIT INT TERM HUP
    if [ -n "$runner_pid" ]; then kill -TERM "$runner_pid" 2>/dev/null || true; fi
    for env in /proc/[0-9]*/environ; do
        pid="${env#/proc/}"; pid="${pid%/environ}"
        [ "$pid" = "$$" ] && continue
        if grep -qzxF "$run_env=$run_id" "$env" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null && left=$((left + 1))
        fi
    done
    [ "$left" -eq 0 ] || echo "$run_name: killed $left leftover process(es) of this run" >&2
    [ -z "$work" ] || rm -rf "$work"
    if [ -z "$summary_printed" ]; then
        # Failed (or stopped) before the tests ran: still end with the summary line.
        echo "$run_name: failed at: ${current_step:-start} (status $status)" >&2
        echo "$run_label: 0 passed, 1 failed"
        [ "$status" -ne 0 ] || status=1
    fi
    exit "$status"
}

step() { current_step="$*"; echo "== $*" >&2; }

# npm ci gives exactly package-lock.json; it is skipped when node_modules already holds what the
# same lock file gave with the same node and npm (a stamp written after a successful npm ci).
npm_ci_once() {
    local extension="$1" cache="$2"
    local stamp="$extension/node_modules/.ptvsd-dap-npm-ci"
    local stamp_key
    stamp_key="$(sha256sum "$extension/package-lock.json" | cut -d' ' -f1) node $(node --version) npm $(npm --version)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_key" ]; then
        step "npm ci: node_modules is up to date with package-lock.json"
    else
        step "npm ci"
        (cd "$extension" && npm ci --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error </dev/null >&2)
        echo "$stamp_key" >"$stamp"
    fi
}

# Sets `adapter`: $PTVSD_DAP_BIN, or a debug build of the repository's ptvsd-dap.
find_adapter() {
    local repo="$1" target_dir
    if [ -n "${PTVSD_DAP_BIN:-}" ]; then
        adapter="$PTVSD_DAP_BIN"
        step "adapter: $adapter (PTVSD_DAP_BIN)"
    else
        step "build ptvsd-dap (cargo build)"
        (cd "$repo" && cargo build --quiet --bin ptvsd-dap >&2)
        target_dir="$(cd "$repo" && cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
        adapter="$target_dir/debug/ptvsd-dap"
    fi
    [ -x "$adapter" ] || { echo "$run_name: no adapter binary at $adapter" >&2; exit 1; }
}

# run_node_tests NODE_ARGS...: node --test with the spec reporter on stdout and TAP counted for the
# summary line; the last line printed is "LABEL: N passed, M failed", the status non-zero on failure.
run_node_tests() {
    local tap="$work/results.tap" status passed failed cancelled
    set +e
    node --test --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" "$@" </dev/null &
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
    echo "$run_label: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
