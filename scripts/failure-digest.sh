#!/usr/bin/env bash
# failure-digest.sh LOGS PART...: what failed in a scripts/test.sh run, and why, printed last so
# that the end of the output (all CI shows) carries the reasons. LOGS holds <part>.log for every
# part; each failed PART gets at most 60 lines of at most 400 characters:
#   - node's test runner (the VS Code parts): its "failing tests:" section, with each error but
#     without the stack frames, then the end of each test log an error names ("log: <file>");
#   - cargo-nextest: each failed test's panic message, then its FAIL lines;
#   - anything else: the log's last 25 lines.
set -uo pipefail
logs="$1"
shift

digest() {
    local log="$1"
    if grep -q 'failing tests:' "$log"; then
        sed -n '/failing tests:/,$p' "$log" | grep -vE '^ +at '
        sed -n 's/^ *log: \(\/.*\)$/\1/p' "$log" | sort -u | while read -r named; do
            [ -f "$named" ] && { echo "-- the end of $named:"; tail -n 12 "$named"; }
        done
    elif grep -qE '^ +(FAIL|TIMEOUT|SIGSEGV|SIGABRT|SIGKILL) \[' "$log"; then
        grep -A10 'panicked at' "$log"
        grep -E '^ +(FAIL|TIMEOUT|SIGSEGV|SIGABRT|SIGKILL) \[' "$log" | sort -u
    else
        tail -n 25 "$log"
    fi
}

echo
echo "== test.sh: ${#} part(s) failed: $* (whole logs in $logs/)"
for part in "$@"; do
    echo "== $part: what failed"
    digest "$logs/$part.log" | head -n 60 | cut -c1-400
done
