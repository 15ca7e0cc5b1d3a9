#!/usr/bin/env bash
# Builds and runs the fuzz targets on stable Rust. See fuzz/README.md.
#
#   fuzz/run.sh build                       build the libFuzzer targets
#   fuzz/run.sh fuzz TARGET [ARGS...]       fuzz TARGET with libFuzzer (ARGS go to libFuzzer,
#                                           e.g. -runs=10000000 or -max_total_time=900)
#   fuzz/run.sh merge TARGET                minimise fuzz/corpus/TARGET plus what fuzzing found
#   fuzz/run.sh replay TARGET PATH...       replay files/dirs without any fuzzer (plain build)
#   fuzz/run.sh afl-build                   build the AFL++ targets (needs cargo-afl)
#   fuzz/run.sh afl TARGET [ARGS...]        fuzz TARGET with AFL++ (ARGS go to afl-fuzz)
#
# TARGET is one of: v6_session v6_handshake json greeting dap (or "all" for fuzz/merge/replay).
# New inputs go to $FUZZ_WORK/TARGET (default /tmp/ptvsd-dap-fuzz/TARGET), crashes to
# $FUZZ_WORK/artifacts/; the committed corpus is only read, except by merge.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
targets=(v6_session v6_handshake json greeting dap)
target_dir=${CARGO_TARGET_DIR:-$here/target}
work=${FUZZ_WORK:-/tmp/ptvsd-dap-fuzz}
triple=$(rustc -vV | sed -n 's/^host: //p')
libfuzzer_bin=$target_dir/libfuzzer/$triple/release
plain_bin=$target_dir/plain/release
# Options every libFuzzer run gets: a memory limit (a single allocation above it is a crash
# too), a per-input time limit, and inputs of at most 16 KiB (past both 8 KiB header limits;
# longer inputs only slow the search: no decoder branches on sizes between 16 KiB and the limits).
libfuzzer_opts=(-rss_limit_mb=512 -malloc_limit_mb=512 -timeout=10 -max_len=16384 -print_final_stats=1)

bin_args=()
extra=()
for t in "${targets[@]}"; do bin_args+=(--bin "$t"); done

build_libfuzzer() {
    # The flags cargo-fuzz passes, all of them stable: SanitizerCoverage with 8-bit counters,
    # the PC table and comparison tracing for libFuzzer. `--target` keeps them off build scripts.
    (cd "$here" && CARGO_TARGET_DIR=$target_dir/libfuzzer RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
        -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
        -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares \
        -Cdebug-assertions -Coverflow-checks" \
        cargo build --release --target "$triple" --features libfuzzer "${bin_args[@]}")
}

build_plain() {
    (cd "$here" && CARGO_TARGET_DIR=$target_dir/plain cargo build --release "${bin_args[@]}" --bin make_corpus)
}

each() { # TARGET|all, then a function to run per target
    local which=$1; shift
    if [ "$which" = all ]; then
        for t in "${targets[@]}"; do "$@" "$t"; done
    else
        "$@" "$which"
    fi
}

fuzz_one() {
    local t=$1
    mkdir -p "$work/$t" "$work/artifacts"
    "$libfuzzer_bin/$t" "${libfuzzer_opts[@]}" -artifact_prefix="$work/artifacts/$t-" "${extra[@]}" \
        "$work/$t" "$here/corpus/$t"
}

# Minimises the corpus to a small set that covers the same edges (greedy set cover, edges
# without hit counts): first the named seeds (from real sessions), kept under their names, then
# the inputs named by SHA-1 (earlier finds) and $work/TARGET (this machine's finds) that cover
# still more edges.
merge_opts=(-set_cover_merge=1 -use_counters=0 -rss_limit_mb=512 -max_len=16384)

merge_one() {
    local t=$1 merged=$here/corpus/$t.merged found=$work/merge-found-$t f h
    rm -rf "$merged" "$found" && mkdir -p "$merged" "$found" "$work/$t"
    for f in "$here/corpus/$t"/*; do
        if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$found/"; fi
    done
    local seeds=$work/merge-seeds-$t
    rm -rf "$seeds" && mkdir -p "$seeds"
    for f in "$here/corpus/$t"/*; do
        if ! [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$seeds/"; fi
    done
    "$libfuzzer_bin/$t" "${merge_opts[@]}" "$merged" "$seeds" 2>&1 | grep 'MERGE-OUTER: [0-9]* new'
    for f in "$seeds"/*; do
        h=$(sha1sum "$f" | cut -d' ' -f1)
        if [ -e "$merged/$h" ]; then mv "$merged/$h" "$merged/$(basename "$f")"; fi
    done
    "$libfuzzer_bin/$t" "${merge_opts[@]}" "$merged" "$found" "$work/$t" 2>&1 | grep 'MERGE-OUTER: [0-9]* new'
    rm -rf "$here/corpus/$t" "$seeds" "$found" && mv "$merged" "$here/corpus/$t"
    echo "$t: $(ls "$here/corpus/$t" | wc -l) files, $(cat "$here/corpus/$t"/* | wc -c) bytes"
}

replay_one() {
    local t=$1
    if [ ${#extra[@]} -eq 0 ]; then
        "$plain_bin/$t" "$here/corpus/$t"
    else
        "$plain_bin/$t" "${extra[@]}"
    fi
}

command=${1:-}
shift || true
case "$command" in
    build) build_libfuzzer && build_plain ;;
    fuzz) t=$1; shift; extra=("$@"); each "$t" fuzz_one ;;
    merge) each "$1" merge_one ;;
    replay) t=$1; shift; extra=("$@"); build_plain >&2; each "$t" replay_one ;;
    afl-build)
        (cd "$here" && CARGO_TARGET_DIR=$target_dir/afl cargo afl build --release --features afl "${bin_args[@]}") ;;
    afl)
        t=$1; shift
        mkdir -p "$work/afl-$t"
        # Persistent mode; -m: memory limit in MiB; -t: per-input time limit in ms.
        (cd "$here" && AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
            cargo afl fuzz -m 512 -t 10000 -i "$here/corpus/$t" -o "$work/afl-$t" "$@" \
            "$target_dir/afl/release/$t") ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
