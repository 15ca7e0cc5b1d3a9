#!/usr/bin/env bash
# What CI checks of the shipped builds (scripts/dist.sh), run by scripts/test.sh:
#   1. the static Linux binary (x86_64-unknown-linux-musl, profile `dist`) and its linux-x64 VS Code
#      package, built by scripts/dist.sh; the macOS aarch64 binary linked the same way (a link
#      check: nothing can run it here);
#   2. the Linux binary is static (dist.sh checks) and runs with an empty environment;
#      SHA256SUMS verifies; the package holds the binary, executable;
#   3. end-to-end tests run against that binary (PTVSD_DAP_TEST_BIN, see tests/common/mod.rs):
#      breakpoint, stack, variables, evaluate and steps over tcp and ws, the editor killing the
#      adapter while stopped (the process split: the binary starts a copy of itself), and tcps
#      through TLS 1.3 and TLS 1.0 terminators (the built-in OpenSSL), for every ptvsd release;
#   4. the same end-to-end tests against the static Linux aarch64 binary, run by qemu-user through
#      binfmt_misc (registered here if it is not: the adapter starts a copy of itself, so the
#      kernel must know how to run an arm64 program).
# PTVSD_DAP_DIST_TARGETS replaces the targets of step 1 (the first must be the Linux x86_64 one;
# step 4 runs when aarch64-unknown-linux-musl is among them).
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a targets <<<"${PTVSD_DAP_DIST_TARGETS:-x86_64-unknown-linux-musl aarch64-unknown-linux-musl aarch64-apple-darwin}"
[ "${targets[0]}" = x86_64-unknown-linux-musl ] || {
    echo "dist-test: the first target must be x86_64-unknown-linux-musl, not ${targets[0]}" >&2
    exit 2
}

echo "== dist: build ${targets[*]} (scripts/dist.sh)" >&2
scripts/dist.sh "${targets[@]}"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
binary="$PWD/dist/ptvsd-dap-$version-linux-x86_64"
vsix="$PWD/dist/ptvsd-dap-$version-linux-x64.vsix"
fail() { echo "dist-test: $*" >&2; exit 1; }

echo "== dist: the Linux binary is static and runs on its own" >&2
# (scripts/dist.sh refused it if it named a program interpreter or a shared library.)
file "$binary"
env -i "$binary" --version || fail "$binary --version failed with an empty environment"
(cd dist && sha256sum --check --quiet SHA256SUMS) || fail "dist/SHA256SUMS does not verify"
python3 - "$vsix" "$binary" <<'EOF' || fail "$vsix does not hold the binary"
import sys, zipfile
vsix, binary = sys.argv[1:]
with zipfile.ZipFile(vsix) as z:
    info = z.getinfo("extension/bin/ptvsd-dap")
    inside = z.read(info)
assert inside == open(binary, "rb").read(), "extension/bin/ptvsd-dap differs from the binary"
mode = info.external_attr >> 16
assert mode & 0o111, f"extension/bin/ptvsd-dap is not executable (mode {mode:o})"
print(f"{vsix}: extension/bin/ptvsd-dap, {len(inside)} bytes, mode {mode & 0o777:o}")
EOF

echo "== dist: end-to-end tests against $binary" >&2
# Only tests that run the adapter through the harness's DapClient follow PTVSD_DAP_TEST_BIN.
filter='(binary(e2e_core) & (test(/^breakpoint_stack_and_variables::/) | test(/^evaluate_in_frame::/) | test(/^step_in_and_out::/)))'
filter+=' | (binary(e2e_sigkill) & test(/^killed_while_stopped::/))'
filter+=' | (binary(e2e_tcps) & test(/^session_over_tls1[03]_terminator::/))'
e2e() { PTVSD_DAP_TEST_BIN="$1" cargo nextest run --no-fail-fast --test-threads "${PTVSD_DAP_TEST_THREADS:-8}" -E "$filter"; }
status=0
e2e "$binary" || status=1

# An arm64 program runs here through qemu-user once binfmt_misc knows its header (Debian's
# qemu-user ships the registration line; registering needs root, as CI runs).
arm64_runs() {
    local entry=/proc/sys/fs/binfmt_misc/qemu-aarch64 conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    [ -e "$entry" ] && return 0
    [ -f "$conf" ] || { echo "dist-test: $conf is missing: apt-get install qemu-user" >&2; return 1; }
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
        { echo "dist-test: cannot mount binfmt_misc (needs root)" >&2; return 1; }
    cat "$conf" >/proc/sys/fs/binfmt_misc/register || { echo "dist-test: cannot register qemu-aarch64" >&2; return 1; }
}
if [[ " ${targets[*]} " == *" aarch64-unknown-linux-musl "* ]]; then
    arm64="$PWD/dist/ptvsd-dap-$version-linux-aarch64"
    echo "== dist: end-to-end tests against $arm64 (qemu-user)" >&2
    if arm64_runs && env -i "$arm64" --version; then
        e2e "$arm64" || status=1
    else
        echo "dist-test: the Linux aarch64 binary cannot run here" >&2
        status=1
    fi
fi
exit $status
