#!/usr/bin/env bash
# Installs, once, what the UI test needs besides Debian's packages: code-server (VS Code served to a
# browser) and playwright-core, pinned, under ${PTVSD_DAP_CACHE:-~/.cache/ptvsd-dap}/ui-test/.
# Prints the install folder (its node_modules holds code-server and playwright-core).
#
# code-server's own install script cannot run here: it refuses root, and @vscode/ripgrep downloads
# ripgrep from a host outside the package registries. So everything is installed with
# --ignore-scripts and the script's work is done by hand: VS Code's production dependencies, the
# native modules built from source against the local Node.js headers, Debian's ripgrep in place of
# the download, and the links code-server's postinstall.sh makes.
# Needs (Debian): nodejs 20 (code-server 4.100 runs on Node.js 20, newer releases want 22 or 24),
# build-essential python3 libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev, ripgrep, chromium.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.2

cache="${PTVSD_DAP_CACHE:-$HOME/.cache/ptvsd-dap}"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
dest="$cache/ui-test/code-server-$CODE_SERVER_VERSION-playwright-$PLAYWRIGHT_VERSION-node$node_major"
if [ -f "$dest/.complete" ]; then
    echo "$dest"
    exit 0
fi

if [ "$node_major" != 20 ]; then
    echo "install.sh: code-server $CODE_SERVER_VERSION needs Node.js 20, this is $(node --version)" >&2
    exit 1
fi
rg="$(command -v rg || true)"
if [ -z "$rg" ]; then
    echo "install.sh: ripgrep is missing (apt-get install ripgrep): VS Code's search runs it" >&2
    exit 1
fi

# Built beside the final folder and renamed at the end: a run stopped half way leaves no
# half-installed folder behind, and two runs at once do not share one.
mkdir -p "$cache/ui-test"
tmp="$(mktemp -d "$cache/ui-test/.install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
npm_flags=(--cache "$cache/npm" --no-audit --no-fund --loglevel=error)

echo "install.sh: code-server $CODE_SERVER_VERSION and playwright-core $PLAYWRIGHT_VERSION (npm)" >&2
npm install --prefix "$tmp" --ignore-scripts "${npm_flags[@]}" "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" </dev/null >&2
vscode="$tmp/node_modules/code-server/lib/vscode"
(cd "$vscode" && npm install --omit=dev --ignore-scripts "${npm_flags[@]}" </dev/null >&2)
(cd "$vscode/extensions" && npm install --omit=dev --ignore-scripts "${npm_flags[@]}" </dev/null >&2)

# Native modules, from source, with npm's own node-gyp. The headers of the installed Node.js are
# used when they are there (Debian's nodejs has them), so node-gyp downloads nothing.
node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
gyp_flags=(rebuild --jobs max)
if [ -f "$node_prefix/include/node/node.h" ]; then
    gyp_flags+=(--nodedir "$node_prefix")
    export npm_config_nodedir="$node_prefix"
fi
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
for module in kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty; do
    echo "install.sh: building $module" >&2
    (cd "$vscode/node_modules/$module" && node "$node_gyp" "${gyp_flags[@]}" </dev/null >"$tmp/gyp.log" 2>&1) ||
        { tail -40 "$tmp/gyp.log" >&2; echo "install.sh: building $module failed (build-essential, libkrb5-dev, libxkbfile-dev, libsecret-1-dev, libx11-dev installed?)" >&2; exit 1; }
done
# argon2 (code-server's password hashing) loads its binary from node-pre-gyp's folder.
echo "install.sh: building argon2" >&2
(cd "$tmp" && npm_config_build_from_source=true npm rebuild "${npm_flags[@]}" argon2 </dev/null >&2)

mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
ln -s "$rg" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
# What code-server's postinstall.sh links.
ln -s node_modules "$vscode/node_modules.asar"
ln -s code-linux.sh "$vscode/bin/remote-cli/code-server"
ln -s browser-linux.sh "$vscode/bin/helpers/browser.sh"

# It must start (XDG_CONFIG_HOME: it writes a default config file there).
XDG_CONFIG_HOME="$tmp/xdg" node "$tmp/node_modules/code-server/out/node/entry.js" --version >/dev/null
rm -rf "$tmp/xdg"
touch "$tmp/.complete"
if ! mv -T "$tmp" "$dest" 2>/dev/null; then
    # Another run finished first: use its folder.
    [ -f "$dest/.complete" ] || { echo "install.sh: could not move the install to $dest" >&2; exit 1; }
fi
trap - EXIT
rm -rf "$tmp"
echo "$dest"
