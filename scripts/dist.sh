#!/usr/bin/env bash
# Builds the shipped binaries into dist/ (gitignored), small (profile `dist`: no debug info,
# symbols stripped), with SHA-256 sums, and one platform-specific VS Code package per binary
# with the binary inside:
#
#   target                        binary                                   VS Code package
#   x86_64-pc-windows-gnu         ptvsd-dap-<v>-windows-x86_64.exe         ptvsd-dap-<v>-win32-x64.vsix
#   x86_64-unknown-linux-musl     ptvsd-dap-<v>-linux-x86_64 (static)      ptvsd-dap-<v>-linux-x64.vsix
#   aarch64-unknown-linux-musl    ptvsd-dap-<v>-linux-aarch64 (static)     ptvsd-dap-<v>-linux-arm64.vsix
#   x86_64-apple-darwin           ptvsd-dap-<v>-macos-x86_64               ptvsd-dap-<v>-darwin-x64.vsix
#   aarch64-apple-darwin          ptvsd-dap-<v>-macos-aarch64              ptvsd-dap-<v>-darwin-arm64.vsix
#
# Windows links with Debian's mingw (gcc-mingw-w64-x86-64); the others with zig through
# cargo-zigbuild, both from PyPI (ziglang, cargo-zigbuild) into a venv in the cache. The macOS
# binaries are link-checked only here (no Mac to run them). OpenSSL is built from source for
# every target (openssl's `vendored` feature). Usage: scripts/dist.sh [RUST_TARGET...] (default:
# all); a target's earlier artifacts in dist/ are replaced, others are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
all_targets=(x86_64-pc-windows-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin)
targets=("$@")
[ $# -gt 0 ] || targets=("${all_targets[@]}")

cache="${PTVSD_DAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptvsd-dap}"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
dist="$repo/dist"
mkdir -p "$dist"
# One dist.sh at a time per folder: two at once would sum each other's half-written files.
exec 9>"$dist/.lock"
flock 9

# zig and cargo-zigbuild, pinned, in a venv of their own.
zig_tools() {
    local venv="$cache/zig" wanted="ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
    if [ ! -f "$venv/.ready" ] || [ "$(cat "$venv/.ready")" != "$wanted" ]; then
        python3 -m venv "$venv" >&2
        # shellcheck disable=SC2086
        "$venv/bin/pip" install --quiet --disable-pip-version-check $wanted >&2
        echo "$wanted" >"$venv/.ready"
    fi
    export PATH="$venv/bin:$PATH"
}

# What each Rust target is called in file names and by VS Code.
describe() {
    case "$1" in
        x86_64-pc-windows-gnu) echo "windows-x86_64.exe win32-x64" ;;
        x86_64-unknown-linux-musl) echo "linux-x86_64 linux-x64" ;;
        aarch64-unknown-linux-musl) echo "linux-aarch64 linux-arm64" ;;
        x86_64-apple-darwin) echo "macos-x86_64 darwin-x64" ;;
        aarch64-apple-darwin) echo "macos-aarch64 darwin-arm64" ;;
        *) echo "dist: unknown target $1" >&2; return 1 ;;
    esac
}

build() { # rust target
    local target=$1
    rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
    case "$target" in
        *-windows-gnu) cargo build --locked --profile dist --target "$target" --bin ptvsd-dap >&2 ;;
        *)
            local flags=()
            # rustc asks for a static position-independent executable (`-static-pie`), which
            # zig's linker ignores: without `-pie` it links at a fixed address, and the binary
            # would lose address-space randomisation.
            case "$target" in
                *-linux-musl) flags=("CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUSTFLAGS=-C link-arg=-pie") ;;
            esac
            zig_tools
            env "${flags[@]}" cargo zigbuild --locked --profile dist --target "$target" --bin ptvsd-dap >&2
            ;;
    esac
}

# A Linux binary must run on any distribution: no program interpreter (PT_INTERP) and no shared
# library (NEEDED), which a dynamic executable names.
static_check() { # binary
    if readelf --program-headers --dynamic "$1" | grep -qE 'INTERP|NEEDED'; then
        echo "dist: $1 is not static:" >&2
        readelf --program-headers --dynamic "$1" | grep -E 'INTERP|NEEDED' >&2
        return 1
    fi
    # ...and position-independent (ELF type DYN), so that it loads at a random address.
    if ! readelf --file-header "$1" | grep -qE 'Type:[[:space:]]+DYN'; then
        echo "dist: $1 is not position-independent: $(readelf --file-header "$1" | grep 'Type:')" >&2
        return 1
    fi
}

# The VS Code extension, compiled once (npm ci with the cache outside the tree, skipped when
# node_modules already holds what package-lock.json gives, as editor-integrations/vscode/test.sh does).
vscode="$repo/editor-integrations/vscode"
(
    cd "$vscode"
    stamp_key="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version) npm $(npm --version)"
    if [ "$(cat node_modules/.ptvsd-dap-npm-ci 2>/dev/null)" != "$stamp_key" ]; then
        npm ci --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error </dev/null >&2
        echo "$stamp_key" >node_modules/.ptvsd-dap-npm-ci
    fi
    rm -rf out && node_modules/.bin/tsc -p . >&2
)

failed=()
for target in "${targets[@]}"; do
    read -r suffix vscode_target < <(describe "$target")
    echo "== $target" >&2
    start=$SECONDS
    if ! build "$target"; then
        failed+=("$target")
        continue
    fi
    exe=ptvsd-dap
    case "$target" in *-windows-*) exe=ptvsd-dap.exe ;; esac
    binary="$dist/ptvsd-dap-$version-$suffix"
    rm -f "$binary" "$dist/ptvsd-dap-$version-$vscode_target.vsix"
    cp "target/$target/dist/$exe" "$binary"
    case "$target" in *-linux-musl) static_check "$binary" || { rm -f "$binary"; failed+=("$target"); continue; } ;; esac
    "$vscode/package.sh" "$dist/ptvsd-dap-$version-$vscode_target.vsix" "$vscode_target" "$binary"
    echo "   $(basename "$binary"): $(stat -c %s "$binary") bytes, built in $((SECONDS - start)) s" >&2
done

# The sums of everything in dist/, also what earlier runs for other targets left there.
(cd "$dist" && rm -f SHA256SUMS && sha256sum -- * >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
ls -l "$dist" >&2
if [ "${#failed[@]}" -gt 0 ]; then
    echo "dist: these targets failed to build: ${failed[*]}" >&2
    exit 1
fi
